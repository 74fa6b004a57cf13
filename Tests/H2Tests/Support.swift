import CompactCodec
import H2
import RPC

/// A gate a test opens once: tasks wait on it without sleeping.
final class Gate: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Opens the gate for every waiter, present and future.
    func open() { continuation.finish() }

    /// Waits until the gate is open, or the waiting task is cancelled.
    func wait() async {
        for await _ in stream {}
    }
}

/// A server whose one method, `test.Slow/Wait`, blocks until the test opens a gate. It opens
/// `entered` when a call arrives and `cancelled` when the call's task is cancelled.
struct SlowServer {
    static let method = MethodDescriptor(service: "test.Slow", method: "Wait")

    let server: H2Server
    let entered: Gate
    let release: Gate
    let cancelled: Gate

    var port: Int { server.localAddress.port! }

    static func start() async throws -> SlowServer {
        let entered = Gate()
        let release = Gate()
        let cancelled = Gate()
        var router = RPCRouter()
        router.registerRaw(method) { (payload, _) throws(RPCError) in
            entered.open()
            await release.wait()
            if Task.isCancelled {
                cancelled.open()
                throw RPCError(.cancelled, "cancelled")
            }
            return payload
        }
        let server = try await H2Server.bind(host: "127.0.0.1", port: 0, router: router)
        return SlowServer(server: server, entered: entered, release: release, cancelled: cancelled)
    }
}
