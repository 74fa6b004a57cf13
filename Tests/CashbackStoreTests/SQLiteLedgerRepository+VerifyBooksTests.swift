import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository.verifyBooks")
struct SQLiteLedgerRepositoryVerifyBooksTests {
    /// Accruals for three members, some confirmed, some cancelled, some replayed, some refused.
    private static func mixedSequence(_ repository: SQLiteLedgerRepository) async throws {
        _ = try await repository.upsertMerchant(
            try merchant("shop-2", currency: "USD", rateBasisPoints: 1_234)
        )
        for index in 0..<30 {
            let member = "member-\(index % 3)"
            let shop = index.isMultiple(of: 2) ? "shop-1" : "shop-2"
            let currency = shop == "shop-1" ? "EUR" : "USD"
            let command = try accrual(
                "order-\(index)",
                merchantID: shop,
                memberID: member,
                eligibleMinorUnits: Int64(9_999 + index * 1_003),
                currency: currency
            )
            _ = try await repository.accrue(command)
            _ = try await repository.accrue(command)  // replay
            let ref = try order("order-\(index)", merchantID: shop)
            switch index % 4 {
            case 0: _ = try await repository.confirm(ref)
            case 1: _ = try await repository.cancel(ref)
            case 2:
                _ = try await repository.confirm(ref)
                _ = try await repository.cancel(ref)  // refused
            default: break
            }
        }
    }

    @Test("balanced after a mixed sequence")
    func balancedAfterMixedSequence() async throws {
        try await withLedger { repository in
            try await Self.mixedSequence(repository)
            let report = try await repository.verifyBooks()
            #expect(report.discrepancies == [])
            #expect(report.isBalanced)
            #expect(report.accrualCount == 30)
            // 30 accruals + 8 + 7 + 8 confirms/cancels for indexes ≡ 0, 1, 2 (mod 4).
            #expect(report.journalEntryCount == 30 + 8 + 7 + 8)
            // Accrue, cancel and confirm entries have three lines each.
            #expect(report.journalLineCount == report.journalEntryCount * 3)
            #expect(report.memberAccountCount == 6)  // 3 members × 2 currencies
        }
    }

    @Test("an empty ledger is balanced")
    func emptyIsBalanced() async throws {
        try await withLedger { repository in
            let report = try await repository.verifyBooks()
            #expect(
                report
                    == BooksReport(
                        journalEntryCount: 0,
                        journalLineCount: 0,
                        accrualCount: 0,
                        memberAccountCount: 0,
                        discrepancies: []
                    )
            )
        }
    }

    @Test("a materialized balance changed behind the journal's back is reported")
    func tamperedBalance() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual())
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE balances SET pending_minor = pending_minor + 1"
            )
            let report = try await repository.verifyBooks()
            #expect(
                report.discrepancies == [
                    .balanceMismatch(
                        memberID: "member-1",
                        currency: "EUR",
                        bucket: .pending,
                        evidence: .journal,
                        materializedMinorUnits: 501,
                        expectedMinorUnits: 500
                    ),
                    .balanceMismatch(
                        memberID: "member-1",
                        currency: "EUR",
                        bucket: .pending,
                        evidence: .accruals,
                        materializedMinorUnits: 501,
                        expectedMinorUnits: 500
                    ),
                ]
            )
        }
    }

    @Test("an accrual whose state moved without its journal entry is reported")
    func stateChangedWithoutPosting() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual())
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE accruals SET state = 2"
            )
            let report = try await repository.verifyBooks()
            #expect(report.discrepancies.count == 2)
            #expect(
                report.discrepancies.allSatisfy {
                    if case .balanceMismatch(_, _, _, .accruals, _, _) = $0 { return true }
                    return false
                }
            )
        }
    }

    @Test("an entry that does not sum to zero, or has one line, is reported")
    func unbalancedEntry() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual())
            try await repository.executeBypassingLedgerForTesting(
                sql: """
                    INSERT INTO journal_entries (accrual_id, kind, created_ms)
                    VALUES (1, 'confirm', 0);
                    INSERT INTO journal_lines (entry_id, account, owner_id, currency, amount_minor)
                    VALUES (2, 'merchant-receivable', 'shop-1', 'EUR', 7);
                    """
            )
            let report = try await repository.verifyBooks()
            #expect(
                report.discrepancies == [
                    .unbalancedEntry(entryID: 2, lineCount: 1, currencyCount: 1, sumMinorUnits: 7),
                    // The second witness: the line lands on the accrual's receivable.
                    .accrualJournalMismatch(
                        accrualID: 1, side: "merchant-receivable", expectedMinorUnits: 0,
                        journalMinorUnits: 7),
                ]
            )
        }
    }

    @Test("the journal refuses edits and deletions")
    func journalIsAppendOnly() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual())
            for sql in [
                "UPDATE journal_lines SET amount_minor = 0",
                "DELETE FROM journal_lines",
                "UPDATE journal_entries SET kind = 'cancel'",
                "DELETE FROM journal_entries",
            ] {
                await #expect(throws: (any Error).self, "\(sql)") {
                    try await repository.executeBypassingLedgerForTesting(sql: sql)
                }
            }
            #expect(try await repository.verifyBooks().journalLineCount == 3)
        }
    }

    @Test("the schema refuses a double booking, unknown kinds and out-of-range values")
    func schemaConstraints() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual())
            let entry = "INSERT INTO journal_entries (accrual_id, kind, created_ms) VALUES"
            for sql in [
                "\(entry) (1, 'accrue', 0)",  // accrual 1 booked a second time
                "\(entry) (1, 'refund', 0)",  // no such kind
                "INSERT INTO journal_lines (entry_id, account, owner_id, currency, amount_minor) "
                    + "VALUES (1, 'member-savings', 'm', 'EUR', 0)",  // no such account
                "UPDATE balances SET debt_minor = -1",
                "UPDATE accruals SET eligible_now_minor = eligible_minor + 1",
                "UPDATE rule_sets SET rules = '{}'",
                "DELETE FROM rule_sets",
                "UPDATE idempotency_keys SET response = '{}'",
                "DELETE FROM accrual_events",
                "\(entry) (99, 'cancel', 0)",  // no such accrual
                "UPDATE accruals SET state = 4",
                "UPDATE accruals SET cashback_minor = eligible_minor + 1",
                "UPDATE balances SET available_minor = -1",
                "UPDATE merchants SET shopper_rate_bps = 10001",
                "UPDATE merchants SET currency = 'eur'",
            ] {
                await #expect(throws: (any Error).self, "\(sql)") {
                    try await repository.executeBypassingLedgerForTesting(sql: sql)
                }
            }
            #expect(try await repository.verifyBooks().isBalanced)
        }
    }
}
