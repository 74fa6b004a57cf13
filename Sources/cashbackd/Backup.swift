import ArgumentParser
import CashbackRepository
import CashbackStore
import Foundation

/// `cashbackd backup`: a consistent copy of a ledger file, while the server runs.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a ledger file consistently, while the server runs or not.",
        discussion: """
            Uses SQLite's online backup: the copy is one snapshot, holding every command \
            committed before it began. It never overwrites a file. Restore it with \
            `cashbackd restore`. Exit status: 0 when copied, 1 when not.
            """)

    @Option(help: "The ledger file to copy.")
    var database = "./cashback.sqlite"

    @Option(help: "The new file to write; it must not exist.")
    var to: String

    func run() throws {
        do {
            let copy = try SQLiteLedgerBackup.backup(database: database, to: to)
            print("backed up \(database) to \(to): \(copy.bytes) bytes")
        } catch let error as LedgerStoreError {
            standardError("cashbackd backup: \(error.message)")
            throw ExitCode.failure
        }
    }
}

/// `cashbackd restore`: a backup back into place, its books checked.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup as a ledger file, then check its books.",
        discussion: """
            Run it with the server stopped: a database a server owns is refused. An existing \
            file is replaced only with --replace. Exit status: 0 when restored with clean \
            books, 1 when the books of the restored file have a breach (listed), 2 when it \
            could not be restored.
            """)

    @Option(help: "The backup to restore (from `cashbackd backup`).")
    var from: String

    @Option(help: "The ledger file to write.")
    var database = "./cashback.sqlite"

    @Flag(help: "Overwrite --database if it exists.")
    var replace = false

    func run() async throws {
        let restored: SQLiteLedgerBackup.Restored
        do {
            restored = try await SQLiteLedgerBackup.restore(
                from: from, to: database, replacing: replace)
        } catch let error as LedgerStoreError {
            standardError("cashbackd restore: \(error.message)")
            throw ExitCode(2)
        } catch {
            // Anything else also means that nothing was restored: never exit 1, which says
            // "restored, with a breach".
            standardError("cashbackd restore: cannot restore \(from) to \(database): \(error)")
            throw ExitCode(2)
        }
        let report = restored.books
        if restored.revocationsCarriedOver > 0 {
            print(
                "revoked again \(restored.revocationsCarriedOver) token(s) that the replaced file "
                    + "had revoked since the backup")
        }
        print(
            "\(restored.activeTokens) token(s) active, as in the backup: tokens created since are "
                + "gone, and a token revoked since in another file is active again; review them with "
                + "`cashbackd token list`")
        guard report.isBalanced else {
            for breach in report.discrepancies { print("\(breach.kind): \(breach)") }
            print("restored \(from) to \(database), but its books have \(report.discrepancies.count) breach(es)")
            throw ExitCode(1)
        }
        print(
            "restored \(from) to \(database): \(report.journalEntryCount) journal entries, "
                + "\(report.accrualCount) accruals checked, no breach")
    }
}

private func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
