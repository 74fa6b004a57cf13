import CashbackCore
import CashbackRepository
import GRDB

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
            rules: try StoredJSON.decode(
                RuleSet.self, try row.decode(String.self, forColumn: "rules"), column: "rules")
        )
    }
}
