import CashbackClient
import H2
import Logging
import NIOConcurrencyHelpers
import RPC

/// A real HTTP/2 server on 127.0.0.1 whose methods fail as the test scripts them, and count
/// their calls: the other end of the client's retries and balancing.
///
/// Each call takes the next step of the script; with none left, a unary call echoes its
/// request and a streaming call sends three messages.
final class ScriptedServer: Sendable {
    /// A method the client may retry.
    static let idempotent = MethodDescriptor(service: "test.Scripted", method: "Get", isIdempotent: true)
    /// The same server method, called through a descriptor without the mark.
    static let notIdempotent = MethodDescriptor(service: "test.Scripted", method: "Get")
    /// A server-streaming method the client may retry.
    static let stream = MethodDescriptor(service: "test.Scripted", method: "Watch", isIdempotent: true)

    /// What one call does.
    enum Step: Sendable {
        /// Fails with the error before answering anything.
        case fail(RPCError)
        /// Streams one message, then fails with the error (streaming calls only).
        case failAfterOneMessage(RPCError)
    }

    let server: H2Server
    private let state: NIOLockedValueBox<(script: [Step], calls: Int)>

    var port: Int { server.localAddress.port! }
    var endpoint: CashbackClient.Endpoint { .init(host: "127.0.0.1", port: port) }
    /// Calls received so far, of every method.
    var calls: Int { state.withLockedValue { $0.calls } }

    private init(server: H2Server, state: NIOLockedValueBox<(script: [Step], calls: Int)>) {
        self.server = server
        self.state = state
    }

    /// Starts a server whose calls follow `script`, then succeed, on `port` (0: any free one).
    static func start(_ script: [Step] = [], port: Int = 0) async throws -> ScriptedServer {
        let state = NIOLockedValueBox<(script: [Step], calls: Int)>((script, 0))
        @Sendable func nextStep() -> Step? {
            state.withLockedValue { state in
                state.calls += 1
                return state.script.isEmpty ? nil : state.script.removeFirst()
            }
        }
        var router = RPCRouter()
        router.registerRaw(idempotent) { (payload, _) throws(RPCError) in
            switch nextStep() {
            case nil: return payload
            case .fail(let error), .failAfterOneMessage(let error): throw error
            }
        }
        router.registerRawServerStreaming(stream) { (payload, writer, _) throws(RPCError) in
            switch nextStep() {
            case nil:
                for index in 0..<3 { try await writer.write(payload + [UInt8(index)]) }
            case .fail(let error):
                throw error
            case .failAfterOneMessage(let error):
                try await writer.write(payload + [0])
                throw error
            }
        }
        let server = try await H2Server.bind(
            host: "127.0.0.1", port: port, router: router,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return ScriptedServer(server: server, state: state)
    }

    /// Adds steps to the script, for the calls that follow.
    func append(_ steps: [Step]) {
        state.withLockedValue { $0.script += steps }
    }

    /// Stops serving; the client's connection to it closes.
    func stop() async {
        await server.shutdownGracefully(gracePeriod: .seconds(5))
    }
}

extension RPCError {
    /// UNAVAILABLE, as a server that is restarting answers.
    static let restarting = RPCError(.unavailable, "restarting")

    /// `self` with the server's word on retrying.
    func pushing(back pushback: RetryPushback) -> RPCError {
        var error = self
        error.retryPushback = pushback
        return error
    }
}
