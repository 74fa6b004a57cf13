import CashbackClient
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP listener on 127.0.0.1 that accepts connections and never sends a byte: an endpoint
/// whose connection attempts wait for the server's HTTP/2 SETTINGS until their timeout, as
/// with a host whose packets are dropped.
final class SilentListener: Sendable {
    private let channel: any Channel
    /// The connections accepted, closed by ``stop()``: a client's attempt then ends at once
    /// instead of waiting out its timeout.
    private let accepted: NIOLockedValueBox<[any Channel]>

    var endpoint: CashbackClient.Endpoint {
        .init(host: "127.0.0.1", port: channel.localAddress!.port!)
    }

    private init(channel: any Channel, accepted: NIOLockedValueBox<[any Channel]>) {
        self.channel = channel
        self.accepted = accepted
    }

    static func start() async throws -> SilentListener {
        let accepted = NIOLockedValueBox<[any Channel]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                accepted.withLockedValue { $0.append(child) }
                return child.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentListener(channel: channel, accepted: accepted)
    }

    /// Stops listening and closes the connections accepted.
    func stop() async {
        try? await channel.close()
        for child in accepted.withLockedValue({ $0 }) { try? await child.close() }
    }
}
