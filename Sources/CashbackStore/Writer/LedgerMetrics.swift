import CoreMetrics
import GRDB

/// What the ledger counts as it commits, as swift-metrics instruments made from one factory:
/// the writer's batches, and the ledger's totals since the process started.
///
/// The writer records a batch's size, its commit time and its commands once it has committed,
/// and its queue depth as commands arrive and leave. The ledger's totals come from the
/// accrual history (`accrual_events`): after applying a batch, inside its transaction, the
/// writer reads the rows the batch added, so a command that was refused and rolled back
/// counts nothing, and a batch whose commit fails counts nothing either. Replays write no
/// history and count nothing.
///
/// | name | type | labels |
/// |---|---|---|
/// | `cashback_writer_batch_size` | histogram | |
/// | `cashback_writer_commit_duration_seconds` | histogram | |
/// | `cashback_writer_commands_total` | counter | |
/// | `cashback_writer_queue_depth` | gauge | |
/// | `cashback_ledger_accruals_total` | counter | `event`: booked, confirmed, cancelled, adjusted |
/// | `cashback_ledger_cashback_minor_units_total` | counter | `event`, `currency` |
///
/// ```swift
/// let ledger = try SQLiteLedgerRepository(
///     path: "ledger.sqlite", metrics: LedgerMetrics(factory: prometheusFactory))
/// ```
public struct LedgerMetrics: Sendable {
    /// Metric names, for the Prometheus factory's bucket settings and for tests.
    public enum Name {
        public static let batchSize = "cashback_writer_batch_size"
        public static let commitDuration = "cashback_writer_commit_duration_seconds"
        public static let commands = "cashback_writer_commands_total"
        public static let queueDepth = "cashback_writer_queue_depth"
        public static let accruals = "cashback_ledger_accruals_total"
        public static let cashback = "cashback_ledger_cashback_minor_units_total"
    }

    /// Commands per committed transaction.
    let batchSize: Recorder
    /// Time from taking a batch to its commit (applying every command and the fsync).
    let commitDuration: Timer
    /// Commands in committed transactions, those a command's own refusal rolled back included.
    let commands: Counter
    /// Commands waiting for a batch.
    let queueDepth: Gauge
    /// Makes the instruments of the ledger's totals, by label values.
    let factory: any MetricsFactory

    /// Instruments made from `factory`.
    public init(factory: any MetricsFactory) {
        self.factory = factory
        batchSize = Recorder(label: Name.batchSize, dimensions: [], aggregate: true, factory: factory)
        commitDuration = Timer(label: Name.commitDuration, dimensions: [], factory: factory)
        commands = Counter(label: Name.commands, dimensions: [], factory: factory)
        queueDepth = Gauge(label: Name.queueDepth, dimensions: [], factory: factory)
    }
}

/// The ledger's totals since the process started, counted from the accrual history rows each
/// batch adds. Confined to the writer's thread.
final class LedgerTotals {
    /// The accrual history's kinds, as the totals' `event` label names them.
    private static let events = [
        "accrue": "booked", "confirm": "confirmed", "cancel": "cancelled", "adjust": "adjusted",
    ]

    private let factory: any MetricsFactory
    /// The newest history row counted: rows after it are the next batch's.
    private var countedThroughID: Int64
    /// Instruments made so far, by `event` (and currency): made when first needed, as a
    /// currency first appears.
    private var accruals: [String: Counter] = [:]
    private var cashback: [String: Counter] = [:]

    /// What one batch added, counted once the batch commits.
    struct Tally {
        fileprivate var rows: [(event: String, currency: String, count: Int64, minorUnits: Int64)]
        fileprivate var throughID: Int64
    }

    /// Starts counting after the newest history row in `db`: the totals are this process's.
    init(factory: any MetricsFactory, db: Database) throws {
        self.factory = factory
        self.countedThroughID = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM accrual_events") ?? 0
        for event in Self.events.values {
            accruals[event] = Counter(
                label: LedgerMetrics.Name.accruals, dimensions: [("event", event)],
                factory: factory)
        }
    }

    /// The history rows the batch in progress added, per event and currency: call it inside
    /// the batch's transaction, after its last command.
    ///
    /// The amount is the cashback each event moved: booked and confirmed count the accrual's
    /// cashback then, cancelled and adjusted what they took back. All integers, minor units.
    func tally(_ db: Database) throws -> Tally {
        let statement = try db.cachedStatement(
            sql: """
                SELECT e.kind, a.currency, COUNT(*),
                       SUM(CASE WHEN e.kind IN ('accrue', 'confirm') THEN e.cashback_minor
                                ELSE -e.cashback_delta_minor END),
                       MAX(e.id)
                FROM accrual_events e JOIN accruals a ON a.id = e.accrual_id
                WHERE e.id > ? GROUP BY e.kind, a.currency
                """)
        var tally = Tally(rows: [], throughID: countedThroughID)
        for row in try Row.fetchAll(statement, arguments: [countedThroughID]) {
            let kind: String = row[0]
            tally.rows.append(
                (Self.events[kind] ?? kind, row[1], row[2], row[3]))
            tally.throughID = max(tally.throughID, row[4])
        }
        return tally
    }

    /// Adds a committed batch's tally to the totals.
    func count(_ tally: Tally) {
        countedThroughID = tally.throughID
        for row in tally.rows {
            accrualCounter(row.event).increment(by: row.count)
            // A negative amount cannot happen (the schema's checks); a counter never falls.
            if row.minorUnits > 0 {
                cashbackCounter(row.event, row.currency).increment(by: row.minorUnits)
            }
        }
    }

    private func accrualCounter(_ event: String) -> Counter {
        if let counter = accruals[event] { return counter }
        let counter = Counter(
            label: LedgerMetrics.Name.accruals, dimensions: [("event", event)], factory: factory)
        accruals[event] = counter
        return counter
    }

    private func cashbackCounter(_ event: String, _ currency: String) -> Counter {
        let key = event + "/" + currency
        if let counter = cashback[key] { return counter }
        let counter = Counter(
            label: LedgerMetrics.Name.cashback,
            dimensions: [("event", event), ("currency", currency)], factory: factory)
        cashback[key] = counter
        return counter
    }
}
