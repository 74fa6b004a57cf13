/// A failure of the store itself, as opposed to a business rejection.
///
/// Thrown, never returned in a `Result`: the command was not carried out and nothing of it was
/// committed. Database errors from GRDB (`DatabaseError`) are thrown as they are; this type
/// covers what the store itself detects.
///
/// ```swift
/// do {
///     _ = try await repository.accrue(command)
/// } catch let error as LedgerStoreError where error.code == .balanceOutOfRange {
///     // alert: a balance would overflow or go negative
/// }
/// ```
public struct LedgerStoreError: Error, CustomStringConvertible {
    /// What went wrong. New codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case balanceOutOfRange
            case corruptRow
            case storageMisconfigured
            case databaseInUse
            case databaseUnavailable
            case writeQueueFull
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// A balance update would overflow `Int64` or make an amount negative; the
        /// transaction was rolled back.
        public static let balanceOutOfRange = Code(.balanceOutOfRange)
        /// A row read from the file holds a value no valid write could have stored.
        public static let corruptRow = Code(.corruptRow)
        /// The opened database does not have the durability settings the ledger requires.
        public static let storageMisconfigured = Code(.storageMisconfigured)
        /// Another process (another server, or `cashbackd verify`) owns the database file.
        public static let databaseInUse = Code(.databaseInUse)
        /// The database cannot be opened: a missing or read-only folder, a file that is not a
        /// SQLite database, or a SQLite database of another application. The message names
        /// the path and the cause.
        public static let databaseUnavailable = Code(.databaseUnavailable)

        /// More commands wait for the writer than it accepts (a burst beyond what the disk
        /// commits); the command was refused without being queued, and may be retried later.
        public static let writeQueueFull = Code(.writeQueueFull)

        /// The code's name, for logs.
        public var description: String {
            switch self.wrapped {
            case .balanceOutOfRange: "balanceOutOfRange"
            case .corruptRow: "corruptRow"
            case .storageMisconfigured: "storageMisconfigured"
            case .databaseInUse: "databaseInUse"
            case .databaseUnavailable: "databaseUnavailable"
            case .writeQueueFull: "writeQueueFull"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence for a human.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: A sentence for a human.
    ///   - cause: The underlying error, if any.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// `code: message (cause: …)`, for logs.
    public var description: String {
        if let cause = self.cause {
            return "\(self.code): \(self.message) (cause: \(cause))"
        }
        return "\(self.code): \(self.message)"
    }
}
