import CashbackCore
import CashbackRepository
import Foundation

/// The token `make run` hands a newcomer: every scope, named `development`, kept in a file
/// (mode 0600) so that the walkthrough's commands can read it.
///
/// At each start the token in the file is kept while it is still active in this database and
/// the file is still private (mode 0600 or stricter); otherwise (first start, another
/// database, a revoked token, a file others could read) a new one replaces it, and the
/// previous active `development` token is revoked. The server refuses the option unless it
/// listens on loopback: it is for a first try on one's own machine.
enum DevelopmentToken {
    static let name = "development"

    /// Makes sure `path` holds an active development token of `tokens`.
    ///
    /// - Returns: whether a new token was written.
    static func ensure(at path: String, in tokens: any AccessTokenStore, nowMilliseconds: Int64)
        async throws -> Bool
    {
        // A file others could read holds a token that may have been read: not kept.
        if Self.isPrivate(path),
            let existing = try? String(contentsOfFile: path, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines),
            let id = AccessToken.id(of: existing), let stored = try await tokens.token(id: id),
            stored.isActive, AccessToken.matches(existing, digest: stored.digest)
        {
            return false
        }
        if try tokens.allTokens().contains(where: { $0.grant.name == name && $0.isActive }) {
            _ = try tokens.revoke(name: name, nowMilliseconds: nowMilliseconds)
        }
        let grant = try AccessGrant(
            name: name, scopes: Set(AccessScope.allCases), merchantID: nil)
        let (token, stored) = try AccessToken.generate(grant: grant, nowMilliseconds: nowMilliseconds)
        try tokens.insert(stored)
        try Self.writePrivately(token + "\n", to: path)
        return true
    }

    /// Whether `path` is a regular file that only its owner may read or write.
    static func isPrivate(_ path: String) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0 else { return false }
        return status.st_mode & S_IFMT == S_IFREG && status.st_mode & 0o077 == 0
    }

    /// Writes `text` to `path` through a new file that is mode 0600 from the moment it exists
    /// (`open` with `O_EXCL`, so never a file someone else made), then renames it over `path`:
    /// no one else can read the token at any point, and a crash leaves the old file or the new
    /// one, never half of one. (`FileManager.createFile`'s permissions are set after its
    /// rename, so the token was readable to every local user in between.)
    static func writePrivately(_ text: String, to path: String) throws {
        let temporary = "\(path).\(UInt32.random(in: .min ... .max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw AccessTokenError("cannot write the development token beside \(path): \(reason)")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw AccessTokenError("cannot write the development token to \(path): \(reason)")
        }
    }
}
