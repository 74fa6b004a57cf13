import CashbackCore
import CashbackRepository
import GRDB
import NIOConcurrencyHelpers

/// SQL for the append-only `rule_sets` table.
enum RuleSetsTable {
    /// Inserts version `version` of the merchant's rules.
    static func insert(
        _ db: Database,
        merchantID: String,
        version: Int64,
        rules: RuleSet,
        nowMilliseconds: Int64
    ) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO rule_sets (merchant_id, version, rules, published_ms)
                VALUES (?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: [
            merchantID, version, try StoredJSON.encode(rules), nowMilliseconds,
        ])
    }

    /// The merchant's latest version number, or 0 if it has none.
    static func latestVersion(_ db: Database, merchantID: String) throws -> Int64 {
        let statement = try db.cachedStatement(
            sql: "SELECT COALESCE(MAX(version), 0) FROM rule_sets WHERE merchant_id = ?")
        return try Int64.fetchOne(statement, arguments: [merchantID]) ?? 0
    }

    /// Version `version` of the merchant's rules (0 = the latest), or `nil`.
    static func fetch(_ db: Database, merchantID: String, version: Int64) throws
        -> PublishedRuleSet?
    {
        let statement = try db.cachedStatement(
            sql: """
                SELECT version, rules, published_ms FROM rule_sets
                WHERE merchant_id = ? AND (version = ? OR ? = 0)
                ORDER BY version DESC LIMIT 1
                """
        )
        guard
            let row = try Row.fetchOne(statement, arguments: [merchantID, version, version])
        else {
            return nil
        }
        return PublishedRuleSet(
            merchantID: merchantID,
            version: try row.decode(Int64.self, forColumn: "version"),
            publishedAtMilliseconds: try row.decode(Int64.self, forColumn: "published_ms"),
            rules: try Self.decodedRules(try row.decode(String.self, forColumn: "rules"))
        )
    }

    /// Decoded rule sets by their stored text. Every accrual prices with its merchant's rules,
    /// and decoding their JSON was a sixth of an accrual's time in the writer; the same text
    /// always decodes to the same value, so a memo of it is always right.
    private static let decoded = NIOLockedValueBox([String: RuleSet]())
    private static let decodedMax = 1_024

    private static func decodedRules(_ text: String) throws -> RuleSet {
        if let rules = decoded.withLockedValue({ $0[text] }) { return rules }
        let rules = try StoredJSON.decode(RuleSet.self, text, column: "rules")
        decoded.withLockedValue { memo in
            if memo.count >= decodedMax { memo.removeAll(keepingCapacity: true) }
            memo[text] = rules
        }
        return rules
    }
}
