@testable import CashbackServer
import NIOCore
import NIOEmbedded
import Prometheus
import Testing

/// The admin listener's deadlines, on an embedded channel whose time moves only by hand: reads
/// never move them, so bytes that trickle in cannot hold a connection.
@Suite struct MetricsListenerTests {
    static let request = "GET /metrics HTTP/1.1\r\nhost: test\r\n\r\n"

    static func connection() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try MetricsListener.addHandlers(
            to: channel.pipeline.syncOperations, registry: PrometheusCollectorRegistry(),
            collect: {})
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// The response's bytes, as written.
    static func response(of channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    @Test func aFirstRequestThatTricklesInIsCutAtTheRequestTimeout() throws {
        let channel = try Self.connection()
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(string: "GET /metrics HTTP/1.1\r\nx-a: "))
        channel.embeddedEventLoop.advanceTime(
            by: MetricsListener.Limits.requestTimeout - .milliseconds(1))
        try channel.writeInbound(ByteBuffer(string: "b"))  // a byte: the deadline stays
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func aKeptAliveConnectionHasTheIdleTimeoutForItsNextRequest() throws {
        let channel = try Self.connection()
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(string: Self.request))
        #expect(try Self.response(of: channel).hasPrefix("HTTP/1.1 200 OK"))
        // Past the first request's timeout, within the idle one: still open, and answered.
        channel.embeddedEventLoop.advanceTime(
            by: MetricsListener.Limits.idleTimeout - .milliseconds(1))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: Self.request))
        #expect(try Self.response(of: channel).hasPrefix("HTTP/1.1 200 OK"))
        channel.embeddedEventLoop.advanceTime(by: MetricsListener.Limits.idleTimeout)
        #expect(!channel.isActive)
    }

    @Test func headAnswersTheHeadersOfGetWithoutTheBody() throws {
        let channel = try Self.connection()
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(string: "HEAD /metrics HTTP/1.1\r\nhost: t\r\n\r\n"))
        let response = try Self.response(of: channel)
        #expect(response.hasPrefix("HTTP/1.1 200 OK"))
        #expect(response.hasSuffix("\r\n\r\n"))  // the head only
        try channel.writeInbound(ByteBuffer(string: "HEAD /nope HTTP/1.1\r\nhost: t\r\n\r\n"))
        let missing = try Self.response(of: channel)
        #expect(missing.hasPrefix("HTTP/1.1 404 Not Found"))
        #expect(missing.hasSuffix("\r\n\r\n"))
    }
}
