import CashbackClient
import NIOCore
import NIOPosix

/// A TCP listener on 127.0.0.1 that accepts connections and never sends a byte: an endpoint
/// whose connection attempts wait for the server's HTTP/2 SETTINGS until their timeout, as
/// with a host whose packets are dropped.
final class SilentListener: Sendable {
    private let channel: any Channel

    var endpoint: CashbackClient.Endpoint {
        .init(host: "127.0.0.1", port: channel.localAddress!.port!)
    }

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func start() async throws -> SilentListener {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentListener(channel: channel)
    }

    /// Stops listening; connections accepted so far stay open until their clients close them.
    func stop() async {
        try? await channel.close()
    }
}
