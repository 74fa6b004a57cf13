import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("BalancesTable.adding")
struct BalancesTableTests {
    private static func balance(pending: Int64, available: Int64, lifetime: Int64) throws -> Balance
    {
        Balance(
            memberID: "member-1",
            currency: try euro(),
            pendingMinorUnits: pending,
            availableMinorUnits: available,
            lifetimeMinorUnits: lifetime
        )
    }

    @Test("adds bucket by bucket")
    func adds() throws {
        let start = try Self.balance(pending: 500, available: 100, lifetime: 100)
        let delta = BalanceDelta(
            pendingMinorUnits: -500,
            availableMinorUnits: 500,
            lifetimeMinorUnits: 500
        )
        #expect(
            try BalancesTable.adding(delta, to: start)
                == Self.balance(pending: 0, available: 600, lifetime: 600)
        )
    }

    @Test("an overflow is an error, never a wrap")
    func overflow() throws {
        let start = try Self.balance(pending: .max - 1, available: 0, lifetime: .max)
        #expect(throws: LedgerStoreError.self) {
            try BalancesTable.adding(BalanceDelta(pendingMinorUnits: 2), to: start)
        }
        #expect(throws: LedgerStoreError.self) {
            try BalancesTable.adding(BalanceDelta(lifetimeMinorUnits: 1), to: start)
        }
        #expect(
            try BalancesTable.adding(BalanceDelta(pendingMinorUnits: 1), to: start)
                .pendingMinorUnits == .max
        )
    }

    @Test("a bucket may not go negative")
    func negative() throws {
        let start = try Self.balance(pending: 5, available: 0, lifetime: 0)
        #expect(throws: LedgerStoreError.self) {
            try BalancesTable.adding(BalanceDelta(pendingMinorUnits: -6), to: start)
        }
        #expect(throws: LedgerStoreError.self) {
            try BalancesTable.adding(BalanceDelta(availableMinorUnits: -1), to: start)
        }
    }
}
