import ArgumentParser
import CashbackRepository
import CashbackStore
import Foundation

/// `cashbackd verify`: checks every invariant of the books of a database file, offline.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every invariant of a ledger file's books and list each breach.",
        discussion: """
            Exit status: 0 when the books hold every invariant, 1 when there is a breach (each \
            is printed as `kind: message`), 2 when the file cannot be opened or checked. A \
            file written by an older cashbackd is migrated first, as the server would. Run it \
            on a copy, or while the server is stopped.
            """)

    @Option(help: "The SQLite database file to check; it must exist.")
    var database: String

    func run() async throws {
        guard FileManager.default.fileExists(atPath: database) else {
            printError("cashbackd verify: no database at \(database)")
            throw ExitCode(2)
        }
        let repository: SQLiteLedgerRepository
        do {
            repository = try SQLiteLedgerRepository(path: database)
        } catch let error as LedgerStoreError {
            // Its message names the path and the cause.
            printError("cashbackd verify: \(error.message)")
            throw ExitCode(2)
        } catch {
            printError("cashbackd verify: cannot open \(database): \(error)")
            throw ExitCode(2)
        }
        let report: BooksReport
        do {
            report = try await repository.verifyBooks()
            try repository.close()
        } catch {
            // Not a breach: the check itself could not finish (1 is kept for breaches).
            printError("cashbackd verify: cannot check \(database): \(error)")
            throw ExitCode(2)
        }
        let checked =
            "\(report.journalEntryCount) journal entries, \(report.accrualCount) accruals, "
            + "\(report.memberAccountCount) member accounts"
        guard report.isBalanced else {
            for breach in report.discrepancies {
                print("\(breach.kind): \(breach)")
            }
            print("\(report.discrepancies.count) breach(es) in \(checked)")
            throw ExitCode(1)
        }
        print("ok: \(checked) checked, no breach")
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
