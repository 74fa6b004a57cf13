import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// Publishes the merchant's next rule-set version, idempotently on the key.
    ///
    /// See `LedgerRepository.publishRuleSet(_:actor:)`.
    public func publishRuleSet(
        _ publication: RuleSetPublication, actor: String
    ) async throws -> Result<PublishedRuleSet, LedgerRejection> {
        let now = self.clock()
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: "Admin/PublishRuleSet", key: publication.idempotencyKey,
                request: publication, nowMilliseconds: now
            ) { () throws -> Result<PublishedRuleSet, LedgerRejection> in
                guard try MerchantsTable.fetch(db, merchantID: publication.merchantID) != nil else {
                    return .failure(Self.merchantNotFound(publication.merchantID))
                }
                let version = try RuleSetsTable.latestVersion(
                    db, merchantID: publication.merchantID) + 1
                try RuleSetsTable.insert(
                    db, merchantID: publication.merchantID, version: version,
                    rules: publication.rules, nowMilliseconds: now)
                try MembersTable.recordAction(
                    db, "publish-rule-set", memberID: nil, merchantID: publication.merchantID,
                    subjectID: version, actor: actor, reason: "", nowMilliseconds: now)
                return .success(
                    PublishedRuleSet(
                        merchantID: publication.merchantID, version: version,
                        publishedAtMilliseconds: now, rules: publication.rules))
            }
        }
    }

    /// One rule-set version of a merchant (0 = the latest), from a reader snapshot.
    ///
    /// See `LedgerRepository.ruleSet(merchantID:version:)`.
    public func ruleSet(
        merchantID: String,
        version: Int64
    ) async throws -> Result<PublishedRuleSet, LedgerRejection> {
        try await self.pool.read { db in
            guard try MerchantsTable.fetch(db, merchantID: merchantID) != nil else {
                return .failure(Self.merchantNotFound(merchantID))
            }
            guard let published = try RuleSetsTable.fetch(db, merchantID: merchantID, version: version)
            else {
                return .failure(Self.ruleSetNotFound(merchantID, version))
            }
            return .success(published)
        }
    }

    static func merchantNotFound(_ merchantID: String) -> LedgerRejection {
        LedgerRejection(.merchantNotFound, "merchant '\(merchantID)' is not registered")
    }

    static func ruleSetNotFound(_ merchantID: String, _ version: Int64) -> LedgerRejection {
        LedgerRejection(
            .ruleSetNotFound,
            "merchant '\(merchantID)' has no rule set version \(version); "
                + "GetRuleSet with version 0 reads the latest")
    }
}
