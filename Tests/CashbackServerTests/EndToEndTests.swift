@testable import CashbackClient
import CashbackStore
import CashbackTestSupport
import Testing

/// The walkthrough of the README, over HTTP/2 on loopback with the generated client.
@Suite(.timeLimit(.minutes(1))) struct EndToEndTests {
    static let merchant = CashbackV1.UpsertMerchantRequest(
        merchantID: "shop-1", name: "Shop One", currency: "EUR", shopperRateBps: 250,
        idempotencyKey: "upsert-shop-1")

    static func accrual(_ order: String, member: String = "m1", amount: Int64 = 12_999)
        -> CashbackV1.AccrueRequest
    {
        .init(
            merchantID: "shop-1", orderID: order, memberID: member, amountMinor: amount,
            currency: "EUR", orderedAtMs: 1_700_000_000_000)
    }

    static func balance(_ client: CashbackClient, member: String = "m1") async throws
        -> CashbackV1.GetBalanceResponse
    {
        try await client.wallet.getBalance(.init(memberID: member, currency: "EUR"))
    }

    @Test func walkthroughUpsertAccrueBalanceConfirmBalance() async throws {
        let server = try await TestServer.start()
        let client = try await CashbackClient.connect(host: "127.0.0.1", port: server.port, token: server.token)

        #expect(try await client.admin.upsertMerchant(Self.merchant).created)
        // A replay of the key answers the first response; a new key updates.
        #expect(try await client.admin.upsertMerchant(Self.merchant).created)
        var again = Self.merchant
        again.idempotencyKey = "upsert-shop-1-again"
        #expect(try await !client.admin.upsertMerchant(again).created)

        let accrued = try await client.accruals.accrue(Self.accrual("o-1"))
        #expect(accrued.cashbackMinor == 324)  // 12 999 × 2.5 % = 324.975, rounded down
        #expect(accrued.state == .pending)
        #expect(try await Self.balance(client) == .init(pendingMinor: 324))

        let confirmed = try await client.accruals.confirm(.init(merchantID: "shop-1", orderID: "o-1"))
        #expect(confirmed.state == .confirmed)
        #expect(
            try await Self.balance(client)
                == .init(pendingMinor: 0, availableMinor: 324, lifetimeMinor: 324))

        #expect(try await client.checkHealth() == "SERVING")
        await client.close()
        await server.stop()
    }

    @Test func callsFromTasksOnTheClientsEventLoopAreAnswered() async throws {
        let server = try await TestServer.start()
        let client = try await CashbackClient.connect(host: "127.0.0.1", port: server.port, token: server.token)
        let executor = try #require(client.taskExecutor)
        #expect(CashbackClient(transport: client.transport).taskExecutor == nil)
        _ = try await client.admin.upsertMerchant(Self.merchant)
        let cashback = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<20 {
                group.addTask(executorPreference: executor) {
                    try await client.accruals.accrue(Self.accrual("loop-\(index)")).cashbackMinor
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(cashback == 20 * 324)
        #expect(try await Self.balance(client) == .init(pendingMinor: 20 * 324))
        await client.close()
        await server.stop()
    }

    @Test func hundredConcurrentAccrualsOnOneConnectionAreEachAnsweredOnce() async throws {
        let server = try await TestServer.start()
        let client = try await CashbackClient.connect(host: "127.0.0.1", port: server.port, token: server.token)
        _ = try await client.admin.upsertMerchant(Self.merchant)

        let responses = try await withThrowingTaskGroup(
            of: (Int, CashbackV1.AccrueResponse).self
        ) { group in
            for index in 0..<100 {
                group.addTask {
                    let request = Self.accrual("order-\(index)", amount: Int64(1000 + index * 10))
                    return (index, try await client.accruals.accrue(request))
                }
            }
            return try await group.reduce(into: [Int: CashbackV1.AccrueResponse]()) {
                #expect($0[$1.0] == nil, "answered twice")
                $0[$1.0] = $1.1
            }
        }
        #expect(responses.count == 100)
        #expect(Set(responses.values.map(\.accrualID)).count == 100)
        var expected: Int64 = 0
        for index in 0..<100 {
            let amount = Int64(1000 + index * 10)
            expected += amount * 250 / 10_000
        }
        let answered = responses.values.map(\.cashbackMinor).reduce(0, +)
        #expect(answered == expected)
        #expect(try await Self.balance(client).pendingMinor == expected)
        #expect(server.server.connectionCount == 1)
        #expect(try await server.ledger.verifyBooks().isBalanced)
        await client.close()
        await server.stop()
    }

    @Test func aRestartedServerOnTheSameFileHasTheSameBalance() async throws {
        let first = try await TestServer.start()
        var client = try await CashbackClient.connect(host: "127.0.0.1", port: first.port, token: first.token)
        _ = try await client.admin.upsertMerchant(Self.merchant)
        _ = try await client.accruals.accrue(Self.accrual("o-1"))
        _ = try await client.accruals.accrue(Self.accrual("o-2", amount: 40_000))
        _ = try await client.accruals.confirm(.init(merchantID: "shop-1", orderID: "o-2"))
        let before = try await Self.balance(client)
        await client.close()
        await first.stop()

        let second = try await TestServer.start(databasePath: first.databasePath)
        client = try await CashbackClient.connect(host: "127.0.0.1", port: second.port, token: second.token)
        #expect(try await Self.balance(client) == before)
        #expect(before == .init(pendingMinor: 324, availableMinor: 1000, lifetimeMinor: 1000))
        // The accrual survived too: a replay answers the first result.
        #expect(try await client.accruals.accrue(Self.accrual("o-1")).accrualID == 1)
        await client.close()
        await second.stop()
    }

    @Test func businessOutcomesTravelAsStatuses() async throws {
        let server = try await TestServer.start()
        let client = try await CashbackClient.connect(host: "127.0.0.1", port: server.port, token: server.token)
        await #expect { _ = try await client.accruals.accrue(Self.accrual("o-1")) } throws: {
            ($0 as? RPCError)?.code == .notFound
        }
        _ = try await client.admin.upsertMerchant(Self.merchant)
        let first = try await client.accruals.accrue(Self.accrual("o-1"))
        #expect(try await client.accruals.accrue(Self.accrual("o-1")) == first)
        await #expect {
            _ = try await client.accruals.accrue(Self.accrual("o-1", amount: 13_000))
        } throws: { ($0 as? RPCError)?.code == .alreadyExists }
        _ = try await client.accruals.cancel(.init(merchantID: "shop-1", orderID: "o-1"))
        await #expect {
            _ = try await client.accruals.confirm(.init(merchantID: "shop-1", orderID: "o-1"))
        } throws: { ($0 as? RPCError)?.code == .failedPrecondition }
        await #expect {
            _ = try await client.accruals.confirm(.init(merchantID: "shop-1", orderID: "nope"))
        } throws: { ($0 as? RPCError)?.code == .notFound }
        await #expect {
            _ = try await client.wallet.getBalance(.init(memberID: "", currency: "EUR"))
        } throws: { ($0 as? RPCError)?.code == .invalidArgument }
        await client.close()
        await server.stop()
    }
}

extension CashbackV1.GetBalanceResponse {
    init(pendingMinor: Int64) {
        self.init(pendingMinor: pendingMinor, availableMinor: 0, lifetimeMinor: 0)
    }
}

/// A long-lived client outlives the server's idle timeout.
@Suite(.timeLimit(.minutes(1))) struct ReconnectTests {
    @Test func theClientReconnectsAfterTheServerClosedAnIdleConnection() async throws {
        var limits = RPCLimits.default
        limits.connectionIdleTimeout = .seconds(1)
        let server = try await TestServer.start(limits: limits)
        let client = try await CashbackClient.connect(host: "127.0.0.1", port: server.port, token: server.token)
        await client.waitUntilDisconnected()  // the server's idle timeout closed it
        #expect(try await client.checkHealth() == "SERVING")
        await client.close()
        await #expect {
            _ = try await client.checkHealth()
        } throws: { ($0 as? RPCError)?.code == .unavailable }
        await server.stop()
    }

    @Test func concurrentCallsAfterADropShareOneNewConnection() async throws {
        var limits = RPCLimits.default
        limits.connectionIdleTimeout = .seconds(1)
        let server = try await TestServer.start(limits: limits)
        let client = try await CashbackClient.connect(host: "127.0.0.1", port: server.port, token: server.token)
        await client.waitUntilDisconnected()
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await client.checkHealth() } }
            for try await status in group { #expect(status == "SERVING") }
        }
        // The first and one shared new one (20 calls that did not share would open 20); on a
        // loaded machine the 1 s idle timer may also close a new connection before its first
        // call, which the client then sends on another.
        let opened = client.connection?.connectionsOpened ?? 0
        #expect((2...1 + ReconnectingTransport.attemptsMax).contains(opened))
        await client.close()
        await server.stop()
    }
}
