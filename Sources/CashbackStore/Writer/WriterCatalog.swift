import CashbackCore
import CashbackRepository
import GRDB
import NIOConcurrencyHelpers

/// The merchants and rule sets Accrue prices with, as the writer's connection last read them:
/// two SELECTs per accrual fewer (the merchant, with the decoding of its row, and its rule
/// set), which a profile of the writer put at 8 % of its time.
///
/// An entry is always what the connection would read now, whatever writes the two tables:
/// - A temporary trigger of the writer's connection calls `cashback_catalog_changed()`, a
///   function of that connection, after every insert, update or delete of a `merchants` or
///   `rule_sets` row, and the function empties the catalog: at once, inside the statement
///   that made the change, whether it came from UpsertMerchant, PublishRuleSet or SQL
///   written by hand on that connection. Another process writing the two tables while the
///   server runs is not seen (as it is not by the balance read model): the server owns its
///   file (`DatabaseOwnership`), and the other commands that open it while it runs (`token
///   create`, `token revoke`, `backup`) never write them.
/// - The writer empties it whenever a command's savepoint or a batch is rolled back
///   (`LedgerWriter`), since a rollback undoes changes without any trigger: an entry read
///   after a change that is then rolled back is gone with it. A command that writes the two
///   tables does not read them through the catalog (none does: Accrue and ApproveClaim read,
///   UpsertMerchant and PublishRuleSet write), so no entry is read and rolled back inside one
///   command, where the writer would not see it.
///
/// Only the writer's thread uses it, through its connection; the lock makes that cheap
/// certainty instead of an assumption ThreadSanitizer cannot check.
final class WriterCatalog: Sendable {
    private struct State {
        var merchants: [String: Merchant] = [:]
        /// Published rule sets by merchant and the version asked for (0: the latest).
        var ruleSets: [RuleSetKey: PublishedRuleSet] = [:]
    }

    private struct RuleSetKey: Hashable {
        var merchantID: String
        var version: Int64
    }

    /// Entries of each kind before the catalog starts again empty: merchants that accrue are
    /// few, and a full catalog costs one read each to fill again.
    static let entriesMax = 4_096

    private let state = NIOLockedValueBox(State())

    /// The SQL function the triggers call.
    static let changedFunctionName = "cashback_catalog_changed"

    /// Registers the function and creates the triggers on the writer's connection.
    func install(_ db: Database) throws {
        db.add(
            function: DatabaseFunction(Self.changedFunctionName, argumentCount: 0, pure: false) {
                [self] _ in
                self.empty()
                return nil
            })
        for table in ["merchants", "rule_sets"] {
            for event in ["INSERT", "UPDATE", "DELETE"] {
                try db.execute(
                    sql: """
                        CREATE TEMP TRIGGER IF NOT EXISTS catalog_\(table)_\(event.lowercased())
                        AFTER \(event) ON main.\(table) BEGIN
                            SELECT \(Self.changedFunctionName)();
                        END
                        """)
            }
        }
    }

    /// Forgets every entry.
    func empty() {
        state.withLockedValue { $0 = State() }
    }

    /// The merchant with `merchantID` (see `MerchantsTable.fetch`). A merchant that does not
    /// exist is not remembered: its first upsert must not wait for anything.
    func merchant(_ db: Database, merchantID: String) throws -> Merchant? {
        if let merchant = state.withLockedValue({ $0.merchants[merchantID] }) { return merchant }
        guard let merchant = try MerchantsTable.fetch(db, merchantID: merchantID) else {
            return nil
        }
        state.withLockedValue { state in
            if state.merchants.count >= Self.entriesMax { state.merchants.removeAll() }
            state.merchants[merchantID] = merchant
        }
        return merchant
    }

    /// Version `version` of the merchant's rules, 0 the latest (see `RuleSetsTable.fetch`).
    func ruleSet(_ db: Database, merchantID: String, version: Int64) throws -> PublishedRuleSet? {
        let key = RuleSetKey(merchantID: merchantID, version: version)
        if let published = state.withLockedValue({ $0.ruleSets[key] }) { return published }
        guard let published = try RuleSetsTable.fetch(db, merchantID: merchantID, version: version)
        else {
            return nil
        }
        state.withLockedValue { state in
            if state.ruleSets.count >= Self.entriesMax { state.ruleSets.removeAll() }
            state.ruleSets[key] = published
        }
        return published
    }
}
