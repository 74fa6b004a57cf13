import CashbackCore
import CashbackRepository
import PropertyBased
import Testing
@testable import CashbackStore

@Suite("BalanceReadModel: balances in memory, kept current by the writer")
struct BalanceReadModelTests {
    static func balance(_ member: String, available: Int64 = 0) throws -> Balance {
        var balance = Balance.zero(memberID: member, currency: try euro())
        balance.availableMinorUnits = available
        return balance
    }

    static func key(_ member: String) throws -> BalanceReadModel.Key {
        BalanceReadModel.Key(memberID: member, currency: try euro())
    }

    @Test("an offer from a read older than a batch that touched the balance is refused")
    func staleOffersAreRefused() throws {
        let model = BalanceReadModel(entriesMax: 10)
        let readAt = model.epoch
        model.publish(touched: [try Self.key("a")], refreshed: [:])
        model.offer(try Self.balance("a", available: 1), readAtEpoch: readAt)
        model.offer(try Self.balance("b", available: 2), readAtEpoch: readAt)
        #expect(model.cached(try Self.key("a")) == nil)
        #expect(model.cached(try Self.key("b"))?.availableMinorUnits == 2)
        model.offer(try Self.balance("a", available: 3), readAtEpoch: model.epoch)
        #expect(model.cached(try Self.key("a"))?.availableMinorUnits == 3)
    }

    @Test("an offer older than the batches remembered is refused")
    func offersBeyondMemoryAreRefused() throws {
        let model = BalanceReadModel(entriesMax: 10)
        let readAt = model.epoch
        for index in 0..<100 { model.publish(touched: [try Self.key("m\(index)")], refreshed: [:]) }
        model.offer(try Self.balance("b"), readAtEpoch: readAt)
        #expect(model.cached(try Self.key("b")) == nil)
    }

    @Test("a publish replaces held balances it read again and drops the other touched ones")
    func publishReplacesAndDrops() throws {
        let model = BalanceReadModel(entriesMax: 10)
        model.offer(try Self.balance("a", available: 1), readAtEpoch: model.epoch)
        model.offer(try Self.balance("b", available: 1), readAtEpoch: model.epoch)
        model.publish(
            touched: [try Self.key("a"), try Self.key("b")],
            refreshed: [try Self.key("a"): try Self.balance("a", available: 9)])
        #expect(model.cached(try Self.key("a"))?.availableMinorUnits == 9)
        #expect(model.cached(try Self.key("b")) == nil)
    }

    @Test("it never holds more than its bound, and zero holds nothing")
    func bounded() throws {
        let model = BalanceReadModel(entriesMax: 3)
        for index in 0..<10 {
            model.offer(try Self.balance("m\(index)"), readAtEpoch: model.epoch)
            #expect(model.count <= 3)
        }
        #expect(model.cached(try Self.key("m9")) != nil)
        let none = BalanceReadModel(entriesMax: 0)
        none.offer(try Self.balance("a"), readAtEpoch: none.epoch)
        #expect(none.count == 0)
    }

    @Test("a caller sees its own writes at once, through the read model")
    func callersSeeTheirOwnWrites() async throws {
        try await withLedger { repository in
            #expect(try await repository.euroBalance().pendingMinorUnits == 0)  // now held
            _ = try await repository.accrue(try accrual("order-1")).get()
            #expect(try await repository.euroBalance().pendingMinorUnits == 500)
            _ = try await repository.confirm(try order("order-1")).get()
            let balance = try await repository.euroBalance()
            #expect(balance.pendingMinorUnits == 0)
            #expect(balance.availableMinorUnits == 500)
            #expect(repository.readModel.cached(try Self.key("member-1")) == balance)
        }
    }

    /// Concurrent accruals, confirmations and reads over more members than the read model
    /// holds: afterwards every balance it serves equals the file's.
    @Test("under concurrent writes and reads, what it serves equals the file", .shrinking(false))
    func agreesWithTheFile() async throws {
        await propertyCheck(count: 20, input: Gen.int(in: 0...999).array(of: 10...60)) { steps in
            try await withTemporaryDirectory { directory in
                let repository = try SQLiteLedgerRepository(
                    path: ledgerPath(in: directory), balanceCacheEntries: 3)
                _ = try await repository.upsertMerchant(try merchant()).get()
                let members = (0..<6).map { "member-\($0)" }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, step) in steps.enumerated() {
                        let member = members[step % members.count]
                        group.addTask {
                            switch step % 3 {
                            case 0:
                                _ = try await repository.accrue(
                                    try accrual("order-\(index)", memberID: member))
                            case 1:
                                _ = try await repository.confirm(
                                    try order("order-\(max(0, index - 1))"))
                            default:
                                _ = try await repository.balance(
                                    memberID: member, currency: try euro())
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                for member in members {
                    let served = try await repository.balance(memberID: member, currency: try euro())
                    let stored = try await repository.pool.read { db in
                        try SQLiteLedgerRepository.readBalance(
                            db, memberID: member, currency: try euro())
                    }
                    #expect(served == stored, "member \(member)")
                }
                #expect(repository.readModel.count <= 3)
                try repository.close()
            }
        }
    }
}
