import CashbackClient
import CashbackStore
import H2
import CashbackTestSupport
import Testing

/// Hostile and malformed requests over the wire: each gets a clear status and writes nothing.
@Suite(.timeLimit(.minutes(1))) struct BadInputTests {
    static let accrue = CashbackV1.Accruals.Method.Accrue.descriptor

    static func validAccrual() -> [UInt8] {
        EndToEndTests.accrual("o-bad").compactBytes()
    }

    /// Runs `body` against a server with one merchant, then checks that nothing was written.
    static func expectNothingWritten(
        limits: RPCLimits = .default,
        _ body: (any RPCClientTransport) async throws -> Void
    ) async throws {
        let server = try await TestServer.start(limits: limits)
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: server.port)
        let client = CashbackClient(transport: connection, token: server.token)
        _ = try await client.admin.upsertMerchant(EndToEndTests.merchant)
        let before = try await server.ledger.verifyBooks()
        // The client's transport: the connection, sending the server's token.
        try await body(client.transport)
        let after = try await server.ledger.verifyBooks()
        #expect(after == before)
        #expect(after.accrualCount == 0)
        #expect(try await EndToEndTests.balance(client) == .init(pendingMinor: 0))
        await connection.close()
        await server.stop()
    }

    static func expectStatus(
        _ code: RPCStatusCode, message: String? = nil, _ call: () async throws -> [UInt8]
    ) async {
        await #expect {
            _ = try await call()
        } throws: { error in
            guard let error = error as? RPCError, error.code == code else { return false }
            return message.map { error.message.contains($0) } ?? true
        }
    }

    @Test func unknownMethodIsUnimplemented() async throws {
        try await Self.expectNothingWritten { connection in
            await Self.expectStatus(.unimplemented, message: "/cashback.v1.Accruals/Steal") {
                try await connection.unary(
                    .init(service: "cashback.v1.Accruals", method: "Steal"),
                    request: Self.validAccrual(), options: CallOptions())
            }
        }
    }

    @Test(arguments: [[0x0a, 0x7f, 0x41], [0x08], [0x0b], [0x0a, 0x02, 0xc3, 0x28]] as [[UInt8]])
    func malformedMessageIsInvalidArgument(_ payload: [UInt8]) async throws {
        try await Self.expectNothingWritten { connection in
            await Self.expectStatus(.invalidArgument, message: "cashback.v1.AccrueRequest") {
                try await connection.unary(Self.accrue, request: payload, options: CallOptions())
            }
        }
    }

    @Test func wrongContentTypeIsHTTP415() async throws {
        try await Self.expectNothingWritten { connection in
            await Self.expectStatus(.unknown, message: "415") {
                try await connection.unary(
                    Self.accrue, request: Self.validAccrual(),
                    options: CallOptions(metadata: Metadata([("content-type", "application/json")])))
            }
        }
    }

    @Test func anotherGRPCCodecIsRefused() async throws {
        try await Self.expectNothingWritten { connection in
            await Self.expectStatus(.invalidArgument, message: "proto") {
                try await connection.unary(
                    Self.accrue, request: Self.validAccrual(),
                    options: CallOptions(
                        metadata: Metadata([("content-type", "application/grpc+proto")])))
            }
        }
    }

    @Test func stockGRPCContentTypeIsServed() async throws {
        let server = try await TestServer.start()
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: server.port)
        let options = CallOptions(
            metadata: Metadata([
                ("content-type", "application/grpc"), ("authorization", "Bearer \(server.token)"),
            ]))
        let response = try await connection.unary(
            CashbackV1.Wallet.Method.GetBalance.descriptor,
            request: CashbackV1.GetBalanceRequest(memberID: "m1", currency: "EUR").compactBytes(),
            options: options)
        #expect(response == [])  // all zeros: every field at its default
        await connection.close()
        await server.stop()
    }

    @Test func messageOverTheSizeLimitIsResourceExhausted() async throws {
        var limits = RPCLimits.default
        limits.messageBytesMax = 1024
        try await Self.expectNothingWritten(limits: limits) { connection in
            let big = CashbackV1.AccrueRequest(
                merchantID: "shop-1", orderID: String(repeating: "o", count: 2000), memberID: "m1",
                amountMinor: 1000, currency: "EUR", orderedAtMs: 1_700_000_000_000)
            await Self.expectStatus(.resourceExhausted, message: "1024") {
                try await connection.unary(Self.accrue, request: big.compactBytes(), options: CallOptions())
            }
        }
    }

    @Test func invalidFieldsAreInvalidArgument() async throws {
        try await Self.expectNothingWritten { connection in
            var request = EndToEndTests.accrual("o-1")
            request.amountMinor = -5
            await Self.expectStatus(.invalidArgument) {
                try await connection.unary(Self.accrue, request: request.compactBytes(), options: CallOptions())
            }
            request = EndToEndTests.accrual("o-1")
            request.currency = "USD"
            await Self.expectStatus(.invalidArgument, message: "currency") {
                try await connection.unary(Self.accrue, request: request.compactBytes(), options: CallOptions())
            }
        }
    }

    @Test func oversizedHeadersResetTheStreamAndTheConnectionLivesOn() async throws {
        try await Self.expectNothingWritten { connection in
            let huge = String(repeating: "x", count: 20_000)
            await #expect(throws: RPCError.self) {
                _ = try await connection.unary(
                    Self.accrue, request: Self.validAccrual(),
                    options: CallOptions(metadata: Metadata([("x-padding", huge)])))
            }
            // The next call on the same connection still works.
            let response = try await connection.unary(
                CashbackV1.Wallet.Method.GetBalance.descriptor,
                request: CashbackV1.GetBalanceRequest(memberID: "m1", currency: "EUR").compactBytes(),
                options: CallOptions())
            #expect(response == [])
        }
    }

    @Test func malformedTimeoutIsInvalidArgument() async throws {
        try await Self.expectNothingWritten { connection in
            await Self.expectStatus(.invalidArgument, message: "grpc-timeout") {
                try await connection.unary(
                    Self.accrue, request: Self.validAccrual(),
                    options: CallOptions(metadata: Metadata([("grpc-timeout", "soon")])))
            }
        }
    }
}

/// Status messages stay bounded whatever the caller sent.
@Suite(.timeLimit(.minutes(1))) struct StatusMessageTests {
    @Test func aLongEchoedNameIsCutToOneKibibyte() async throws {
        let server = try await TestServer.start()
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: server.port)
        let longName = String(repeating: "x", count: 5000)
        await #expect {
            _ = try await connection.unary(
                MethodDescriptor(service: "cashback.v1.Wallet", method: longName), request: [],
                options: CallOptions())
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == .unimplemented && error.message.utf8.count <= 1024
                && error.message.hasSuffix("...")
        }
        let client = CashbackClient(transport: connection, token: server.token)
        await #expect {
            _ = try await client.checkHealth(service: longName)
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == .notFound && error.message.utf8.count < 200
        }
        await connection.close()
        await server.stop()
    }
}
