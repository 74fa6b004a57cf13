import CashbackRepository
import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One process owns a ledger file: an exclusive `flock` on `<database>.lock`, held for the
/// life of the repository and released by the kernel when the process ends, however it ends.
///
/// A second server (or `cashbackd verify`) on the same file is refused at once with the file
/// and the owning process named, instead of meeting "database is locked" on some later
/// command. The lock file holds the owner's pid and name, for that message only; the lock
/// itself is the `flock`, never the file's contents.
final class DatabaseOwnership: Sendable {
    /// The lock file's path.
    let lockPath: String
    /// The lock file's descriptor while the lock is held, -1 after `release()`.
    private let held: NIOLockedValueBox<Int32>

    /// Takes ownership of the ledger at `databasePath`.
    ///
    /// - Throws: `LedgerStoreError.databaseInUse` when another process (or another repository
    ///   in this one) owns it; `.databaseUnavailable` when the lock file cannot be created.
    init(databasePath: String) throws {
        self.lockPath = databasePath + ".lock"
        // open(2): EACCES, ENOENT, EROFS… are what a user can fix; each is reported with the
        // path. O_CLOEXEC: a child process must not inherit the lock.
        let descriptor = open(self.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw LedgerStoreError(
                .databaseUnavailable,
                "cannot create the lock file \(self.lockPath): \(String(cString: strerror(errno)))")
        }
        // flock(2): EWOULDBLOCK means another open file description holds it; EINTR cannot
        // happen with LOCK_NB; anything else (ENOLCK) is reported as it is.
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            let owner = Self.owner(of: descriptor)
            close(descriptor)
            guard failure == EWOULDBLOCK else {
                throw LedgerStoreError(
                    .databaseUnavailable,
                    "cannot lock \(self.lockPath): \(String(cString: strerror(failure)))")
            }
            throw LedgerStoreError(
                .databaseInUse,
                "the database \(databasePath) is already open in \(owner); stop it, or choose "
                    + "another --database")
        }
        let record = "\(getpid()) \(ProcessInfo.processInfo.processName)\n"
        _ = ftruncate(descriptor, 0)
        _ = record.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.held = NIOLockedValueBox(descriptor)
    }

    /// Releases the lock (also on deinit).
    func release() {
        self.held.withLockedValue { descriptor in
            guard descriptor >= 0 else { return }
            _ = flock(descriptor, LOCK_UN)
            close(descriptor)
            descriptor = -1
        }
    }

    deinit {
        self.release()
    }

    /// "process 1234 (cashbackd)" from the lock file, or "another process".
    private static func owner(of descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return "another process" }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: " ", maxSplits: 1)
        guard let pid = parts.first.flatMap({ Int32($0) }) else { return "another process" }
        return parts.count == 2 ? "process \(pid) (\(parts[1]))" : "process \(pid)"
    }
}

/// Checks a ledger path before SQLite sees it, so that a start fails with the path and the
/// real cause in words, not a library's error.
enum DatabasePreflight {
    /// Creates `path` empty and readable and writable by its owner only (0600), unless it
    /// exists: SQLite would create it 0644 (umask allowing), readable by every local user, and
    /// its -wal and -shm files take the database's mode. A ledger holds payout accounts. A file
    /// that exists keeps its mode: the operator chose it.
    ///
    /// - Throws: `LedgerStoreError` `.databaseUnavailable` naming the path and the cause.
    static func createPrivately(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor < 0 else {
            close(descriptor)
            return
        }
        guard errno == EEXIST else {
            throw LedgerStoreError(
                .databaseUnavailable,
                "cannot create the database \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func check(_ path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            throw LedgerStoreError(
                .databaseUnavailable,
                "the folder \(folder) of the database \(path) does not exist; create it, or "
                    + "choose another --database")
        }
        guard access(folder, W_OK) == 0 else {
            throw LedgerStoreError(
                .databaseUnavailable,
                "the folder \(folder) of the database \(path) is not writable by this user "
                    + "(SQLite writes its -wal and -shm files beside the database)")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else {
                throw LedgerStoreError(
                    .databaseUnavailable, "the database \(path) is a folder, not a file")
            }
            guard access(path, R_OK | W_OK) == 0 else {
                throw LedgerStoreError(
                    .databaseUnavailable,
                    "the database \(path) is not readable and writable by this user")
            }
        }
    }
}
