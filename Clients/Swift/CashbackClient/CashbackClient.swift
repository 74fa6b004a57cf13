@_exported import CashbackAPI
import CompactCodec
import H2
import NIOPosix
@_exported import struct H2.TLSClientConfiguration
@_exported import struct H2.TLSError
@_exported import RPC

/// A client of the Cashback service: typed calls per service over one HTTP/2 connection per
/// endpoint.
///
/// Concurrent calls share a connection, one HTTP/2 stream each. With several endpoints, calls
/// are spread over them or fail over between them (``LoadBalancing``). When a connection
/// closes (the server's idle timeout, a restart), the next call opens a new one; an endpoint
/// that cannot be reached is tried again after a backoff (``ConnectionBackoff``) and skipped
/// meanwhile. A call that fails with UNAVAILABLE is retried when its method is idempotent, as
/// every Cashback method is (``RetryPolicy``). Every failure is an ``RPCError`` carrying the
/// status code and message.
///
/// ```swift
/// let client = try await CashbackClient.connect(host: "127.0.0.1", port: 50051)
/// let balance = try await client.wallet.getBalance(.init(memberID: "m1", currency: "EUR"))
/// print(balance.availableMinor)
/// await client.close()
/// ```
public struct CashbackClient: Sendable {
    /// `cashback.v1.Admin`: merchants, rule sets, members, expiry, verification.
    public let admin: CashbackV1.Admin.Client
    /// `cashback.v1.Accruals`: quote, accrue, confirm, cancel, adjust, explain.
    public let accruals: CashbackV1.Accruals.Client
    /// `cashback.v1.Wallet`: balance, redeem, refund a redemption, withdraw.
    public let wallet: CashbackV1.Wallet.Client
    /// `cashback.v1.Payouts`: the payout worker's side of withdrawals.
    public let payouts: CashbackV1.Payouts.Client
    /// `cashback.v1.Reflection`: what the server serves.
    public let reflection: CashbackV1.Reflection.Client
    /// The transport every call goes through.
    public let transport: any RPCClientTransport
    /// The endpoints' connections (`nil` for a client over another transport).
    let connection: ReconnectingTransport?
    /// The retry layer over them (`nil` for a client over another transport).
    let retrying: RetryingTransport?
    /// Runs tasks on the event loop of this client's connection (`nil` for a client over
    /// another transport). A call made from a task with this executor preference
    /// (`Task(executorPreference:)`, `group.addTask(executorPreference:)`) is started and
    /// resumed where its connection lives, without a thread hop each way: for load generators
    /// and other code that makes many calls. Nothing that blocks may run in such a task.
    public let taskExecutor: (any TaskExecutor)?

    /// Creates a client over any transport (for example `InProcessClientTransport` in tests).
    ///
    /// - Parameter token: the bearer token every call sends (`authorization: Bearer …`), from
    ///   `cashbackd token create`; `nil` sends none (only health answers then).
    public init(transport: any RPCClientTransport, token: String? = nil) {
        self.init(transport: transport, retrying: nil, token: token, taskExecutor: nil)
    }

    /// A client whose calls go through `retrying` (and so its endpoints), or `transport`.
    init(
        transport: any RPCClientTransport, retrying: RetryingTransport?, token: String?,
        taskExecutor: (any TaskExecutor)?
    ) {
        self.taskExecutor = taskExecutor
        self.retrying = retrying
        let transport: any RPCClientTransport =
            if let token, !token.isEmpty {
                BearerTokenTransport(base: transport, token: token)
            } else {
                transport
            }
        self.transport = transport
        self.connection = retrying?.base
        admin = .init(transport: transport)
        accruals = .init(transport: transport)
        wallet = .init(transport: transport)
        payouts = .init(transport: transport)
        reflection = .init(transport: transport)
    }

    /// Returns once every connection open now has closed (the server's idle timeout or
    /// shutdown, a network failure). The next call connects again.
    public func waitUntilDisconnected() async {
        await connection?.waitUntilCurrentConnectionCloses()
    }

    /// Asks `grpc.health.v1.Health/Check` whether the server (or one service) is serving.
    ///
    /// - Parameter service: a fully qualified service name, or empty for the whole server.
    /// - Returns: `SERVING`, `NOT_SERVING`, `UNKNOWN` or `SERVICE_UNKNOWN`.
    /// - Throws: ``RPCError``; NOT_FOUND for an unknown service.
    public func checkHealth(service: String = "", options: CallOptions = CallOptions())
        async throws -> String
    {
        let response = try await transport.unary(
            Self.healthCheck,
            request: HealthCheckRequest(service: service).compactBytes(), options: options)
        let status: HealthCheckResponse.ServingStatus
        do throws(CompactDecodingError) {
            status = try HealthCheckResponse(compactBytes: response).status
        } catch {
            throw RPCError(.internal, "malformed HealthCheckResponse: \(error)")
        }
        return status.jsonName ?? "STATUS_\(status.rawValue)"
    }

    /// `grpc.health.v1.Health/Check`, which writes nothing: retried as the schema's reads are.
    static let healthCheck = MethodDescriptor(
        service: "grpc.health.v1.Health", method: "Check", isIdempotent: true)

    /// Refuses a token a header cannot carry as it is (empty, spaces, control characters),
    /// before any connection: the server would only see a malformed header.
    ///
    /// - Throws: ``RPCError`` UNAUTHENTICATED saying what to pass instead.
    public static func checkToken(_ token: String) throws(RPCError) {
        guard !token.isEmpty, token.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw RPCError(
                .unauthenticated,
                "the token is empty or holds spaces or control characters; pass the token "
                    + "`cashbackd token create` printed, as it is")
        }
    }

    /// Closes the connections; calls in flight fail with UNAVAILABLE, and so do later calls.
    public func close() async {
        await connection?.close()
    }
}

/// Sends `authorization: Bearer <token>` with every call that does not set its own.
struct BearerTokenTransport: RPCClientTransport {
    let base: any RPCClientTransport
    let token: String

    func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions) async throws
        -> [UInt8]
    {
        try await base.unary(method, request: request, options: authorized(options))
    }

    func serverStreaming(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        -> RPCRawResponseStream
    {
        base.serverStreaming(method, request: request, options: authorized(options))
    }

    private func authorized(_ options: CallOptions) -> CallOptions {
        var options = options
        if options.metadata["authorization"] == nil {
            options.metadata.add("authorization", "Bearer " + token)
        }
        return options
    }
}
