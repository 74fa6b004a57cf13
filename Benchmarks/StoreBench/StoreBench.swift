import ArgumentParser
import CashbackCore
import CashbackRepository
import CashbackStore
import Foundation

/// `cashback-storebench`: the ledger store on its own, with no RPC in the way.
///
/// Every subcommand opens a `SQLiteLedgerRepository` on a file and drives it through the
/// `LedgerRepository` protocol with many calls in flight, as the server's handlers would:
/// `preload` fills the file with members and their history, `accrue` measures durable
/// accruals, `balance` measures balance reads. Results go to standard output (text, or one
/// JSON object with `--format json`); progress goes to standard error.
@main
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cashback-storebench",
        abstract: "Benchmark the Cashback ledger store (SQLite) without RPC.",
        discussion: """
            Build it in release mode: swift build -c release --product cashback-storebench. \
            Run preload once, then accrue and balance against the same file. The file is \
            owned by the benchmark while it runs: stop any cashbackd on it first.
            """,
        subcommands: [Preload.self, AccrueBench.self, BalanceBench.self])
}

/// The output of a subcommand: words for a person or JSON for a script.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
}

/// The options every subcommand shares: the file, the output, and the store's settings (named
/// as `cashbackd`'s flags of the same meaning).
struct StoreOptions: ParsableArguments {
    @Option(help: "The SQLite ledger file; created with its schema when missing.")
    var database: String

    @Option(help: "Output: text or json.")
    var format: OutputFormat = .text

    @Option(
        help: """
            group: commands share transactions (one fsync per batch); per-request: one \
            transaction and one fsync per command, for comparison.
            """)
    var commitMode: CommitSettings.Mode = CommitSettings.default.mode

    @Option(help: "The most commands committed in one transaction, in group mode.")
    var commitBatchMax = CommitSettings.default.batchMaxInGroupMode

    @Option(help: "Balances the store holds in memory to answer balance reads; 0: none.")
    var balanceCacheEntries = SQLiteLedgerRepository.balanceCacheEntriesDefault

    /// The writer's settings the options describe; the rest are the store's defaults.
    var commitSettings: CommitSettings {
        var settings = CommitSettings.default
        settings.mode = self.commitMode
        settings.batchMaxInGroupMode = self.commitBatchMax
        return settings
    }

    func validate() throws {
        if let problem = self.commitSettings.problem() {
            throw ValidationError("--commit-batch-max: \(problem)")
        }
        guard self.balanceCacheEntries >= 0 else {
            throw ValidationError(
                "--balance-cache-entries must not be negative, got \(self.balanceCacheEntries)")
        }
    }

    /// Opens the ledger, or stops with the path and the cause in words.
    ///
    /// - Parameters:
    ///   - command: The subcommand's name, for the message.
    ///   - policy: What the wallet allows (velocity limits).
    func open(
        for command: String, policy: WalletPolicy = .default
    ) throws -> SQLiteLedgerRepository {
        do {
            return try SQLiteLedgerRepository(
                path: self.database, policy: policy, commit: self.commitSettings,
                balanceCacheEntries: self.balanceCacheEntries)
        } catch let error as LedgerStoreError {
            // Its message names the path and the cause (a missing folder, a file in use).
            throw BenchFailure("\(command): \(error.message)")
        }
    }
}

extension CommitSettings.Mode: ExpressibleByArgument {}

/// A run that cannot go on, in words (ArgumentParser prints it as `Error: …`, exit status 1).
struct BenchFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The options of a measured run over preloaded members (`accrue`, `balance`).
struct RunOptions: ParsableArguments {
    @Option(help: "Operations to run.")
    var count: Int

    @Option(help: "Operations in flight at once.")
    var concurrency = 64

    @Option(help: "The members to use, member-0 to member-(N-1): the preload's --members.")
    var members: Int

    @Option(help: "The currency (ISO 4217): the preload's --currency.")
    var currency = "EUR"

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
        guard concurrency >= 1 else {
            throw ValidationError("--concurrency must be at least 1, got \(concurrency)")
        }
        guard members >= 1 else {
            throw ValidationError("--members must be at least 1, got \(members)")
        }
    }
}

/// The `--currency` option's validation, shared by the subcommands that write.
func validatedCurrency(_ code: String) throws -> CurrencyCode {
    do {
        return try CurrencyCode(validating: code)
    } catch {
        throw ValidationError("--currency: \(error.message)")
    }
}

/// Writes `line` to standard error: progress and warnings stay out of the report on stdout.
func printProgress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Prints a report: its text, or its JSON on one line.
func emit<Report: Encodable>(_ report: Report, text: String, format: OutputFormat) throws {
    switch format {
    case .text:
        print(text)
    case .json:
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}
