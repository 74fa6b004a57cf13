import H2
import RPC

/// A server whose one method, `test.Slow/Wait`, blocks until the test opens `release`. It
/// opens `entered` when a call arrives, `cancelled` when the call's task was cancelled, and
/// `finished` when the handler returns.
public struct SlowServer: Sendable {
    public static let method = MethodDescriptor(service: "test.Slow", method: "Wait")

    public let server: H2Server
    public let entered: Gate
    public let release: Gate
    public let cancelled: Gate
    public let finished: Gate

    public var port: Int { server.localAddress.port! }

    public static func start() async throws -> SlowServer {
        let entered = Gate()
        let release = Gate()
        let cancelled = Gate()
        let finished = Gate()
        var router = RPCRouter()
        router.registerRaw(method) { (payload, _) throws(RPCError) in
            entered.open()
            defer { finished.open() }
            await release.wait()
            if Task.isCancelled {
                cancelled.open()
                throw RPCError(.cancelled, "cancelled")
            }
            return payload
        }
        let server = try await H2Server.bind(host: "127.0.0.1", port: 0, router: router)
        return SlowServer(
            server: server, entered: entered, release: release, cancelled: cancelled,
            finished: finished)
    }
}
