import CashbackClient
import CashbackCore
import CashbackTestSupport
import H2
import Testing

/// `Admin/ExportJournal` end to end: the generated client's stream, the cursor, the limit,
/// bad input and access.
@Suite(.timeLimit(.minutes(1))) struct ExportJournalTests {
    /// A server whose journal holds seven entries: three manual credits, two accruals, a
    /// confirmation and a redemption.
    static func start() async throws -> (TestServer, CashbackClient) {
        let server = try await TestServer.start()
        let client = try await CashbackClient.connect(
            host: "127.0.0.1", port: server.port, token: server.token)
        _ = try await client.admin.upsertMerchant(EndToEndTests.merchant)
        for index in 1...3 {
            _ = try await client.admin.adjustBalance(
                .init(
                    memberID: "m\(index)", currency: "EUR", amountMinor: Int64(100 * index),
                    reason: "welcome", idempotencyKey: "credit-\(index)"))
        }
        _ = try await client.accruals.accrue(EndToEndTests.accrual("o-1"))
        _ = try await client.accruals.accrue(EndToEndTests.accrual("o-2", member: "m2"))
        _ = try await client.accruals.confirm(.init(merchantID: "shop-1", orderID: "o-1"))
        _ = try await client.wallet.redeem(
            .init(memberID: "m1", currency: "EUR", amountMinor: 50, idempotencyKey: "r-1"))
        return (server, client)
    }

    static func collect(_ stream: RPCResponseStream<CashbackV1.JournalEntry>) async throws
        -> [CashbackV1.JournalEntry]
    {
        var entries: [CashbackV1.JournalEntry] = []
        for try await entry in stream { entries.append(entry) }
        return entries
    }

    @Test func streamsTheJournalInIdOrderAndResumesFromTheCursor() async throws {
        let (server, client) = try await Self.start()
        let all = try await Self.collect(client.admin.exportJournal(.init()))
        #expect(all.map(\.kind) == [
            "manual-credit", "manual-credit", "manual-credit", "accrue", "accrue", "confirm",
            "redeem",
        ])
        #expect(all.map(\.entryID) == all.map(\.entryID).sorted())
        for entry in all {
            #expect(entry.lines.map(\.amountMinor).reduce(0, +) == 0)
            #expect(entry.createdAtMs > 0)
        }
        #expect(all[0].note.hasPrefix("test-admin"))
        #expect(all[3].accrualID != 0)
        #expect(all[6].redemptionID != 0)
        #expect(all[0].lines.contains {
            $0.account == "member-available" && $0.ownerID == "m1" && $0.amountMinor == 100
                && $0.currency == "EUR"
        })

        // A limit, then the rest from the last entry received.
        let first = try await Self.collect(client.admin.exportJournal(.init(limit: 3)))
        #expect(first == Array(all.prefix(3)))
        let rest = try await Self.collect(
            client.admin.exportJournal(.init(afterEntryID: first.last!.entryID)))
        #expect(rest == Array(all.dropFirst(3)))
        let none = try await Self.collect(
            client.admin.exportJournal(.init(afterEntryID: all.last!.entryID)))
        #expect(none.isEmpty)
        await client.close()
        await server.stop()
    }

    /// The store reads 500 entries a page: an export across page boundaries has every entry
    /// once, in order, and a limit that ends inside a page resumes exactly after it.
    @Test func pagesJoinWithoutGapsOrRepeats() async throws {
        let server = try await TestServer.start()
        let client = try await CashbackClient.connect(
            host: "127.0.0.1", port: server.port, token: server.token)
        let count = 1_201
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: count, by: 8) {
                        _ = try await client.admin.adjustBalance(
                            .init(
                                memberID: "m\(index)", currency: "EUR", amountMinor: 1,
                                reason: "page test", idempotencyKey: "c-\(index)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let all = try await Self.collect(client.admin.exportJournal(.init()))
        #expect(all.count == count)
        #expect(Set(all.map(\.entryID)).count == count)
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.entryID < $1.entryID })
        let head = try await Self.collect(client.admin.exportJournal(.init(limit: 700)))
        let tail = try await Self.collect(
            client.admin.exportJournal(.init(afterEntryID: head.last!.entryID)))
        #expect(head + tail == all)
        await client.close()
        await server.stop()
    }

    @Test(arguments: [
        (CashbackV1.ExportJournalRequest(afterEntryID: -1), "afterEntryId"),
        (CashbackV1.ExportJournalRequest(limit: -1), "limit"),
        (CashbackV1.ExportJournalRequest(limit: 100_001), "limit must be 1 to 100000"),
    ])
    func badInputIsInvalidArgumentNamingTheField(
        _ request: CashbackV1.ExportJournalRequest, _ fragment: String
    ) async throws {
        let (server, client) = try await Self.start()
        await LedgerEndToEndTests.expectStatus(.invalidArgument, fragment) {
            _ = try await Self.collect(client.admin.exportJournal(request))
        }
        await client.close()
        await server.stop()
    }

    @Test func needsAnAdminOrReadToken() async throws {
        let (server, admin) = try await Self.start()
        let anonymous = try await CashbackClient.connect(host: "127.0.0.1", port: server.port)
        await LedgerEndToEndTests.expectStatus(.unauthenticated) {
            _ = try await Self.collect(anonymous.admin.exportJournal(.init()))
        }
        let wallet = try await CashbackClient.connect(
            host: "127.0.0.1", port: server.port,
            token: try server.makeToken(name: "wallet-only", scopes: [.wallet]))
        await LedgerEndToEndTests.expectStatus(.permissionDenied, "ExportJournal") {
            _ = try await Self.collect(wallet.admin.exportJournal(.init()))
        }
        let auditor = try await CashbackClient.connect(
            host: "127.0.0.1", port: server.port,
            token: try server.makeToken(name: "auditor", scopes: [.read]))
        #expect(try await Self.collect(auditor.admin.exportJournal(.init(limit: 2))).count == 2)
        for client in [anonymous, wallet, auditor, admin] { await client.close() }
        await server.stop()
    }

    @Test func healthWatchSendsTheStatusAtOnceAndServiceUnknownForAnUnknownService()
        async throws
    {
        let server = try await TestServer.start()
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: server.port)
        let watch = MethodDescriptor(service: "grpc.health.v1.Health", method: "Watch")
        var serving = connection.serverStreaming(watch, request: [], options: CallOptions())
            .makeAsyncIterator()
        #expect(try await serving.next() == [0x08, 0x01])
        var unknown = connection.serverStreaming(
            watch, request: [0x0a, 0x03] + Array("foo".utf8), options: CallOptions()
        ).makeAsyncIterator()
        #expect(try await unknown.next() == [0x08, 0x03])
        await connection.close()
        await server.stop()
    }
}
