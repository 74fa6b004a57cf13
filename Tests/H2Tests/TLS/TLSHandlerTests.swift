import COpenSSL
import CashbackTestSupport
import NIOCore
import NIOEmbedded
import Testing

@testable import H2

/// The handler between two in-memory channels: no network, every byte moved by the test, so
/// the handshake and the records can arrive whole or one byte at a time.
@Suite struct TLSHandlerTests {
    /// A client and a server channel, each with a TLS handler, joined by ``pump()``.
    struct Pair {
        let client: EmbeddedChannel
        let server: EmbeddedChannel
        let handshake: EventLoopPromise<Void>
        let oneByteAtATime: Bool

        init(
            oneByteAtATime: Bool, clientCertificate: String? = nil, clientCA: String? = nil,
            serverSelectsH2: Bool = true
        ) throws {
            let certificates = try TestCertificates.shared()
            let serverContext = try TLSContext.server(certificates.server(clientCA: clientCA))
            if !serverSelectsH2 {
                // A server that ignores ALPN, as RFC 7301 §3.1 lets it.
                SSL_CTX_set_client_hello_cb(serverContext.pointer, nil, nil)
                SSL_CTX_set_alpn_select_cb(serverContext.pointer, nil, nil)
            }
            let clientContext = try TLSContext.client(
                certificates.client(identity: clientCertificate))
            server = EmbeddedChannel(
                handler: TLSHandler(
                    connection: try TLSConnection(context: serverContext, serverName: nil),
                    handshakeTimeout: .seconds(10), logger: nil))
            client = EmbeddedChannel()
            handshake = client.eventLoop.makePromise()
            try client.pipeline.syncOperations.addHandler(
                TLSHandler(
                    connection: try TLSConnection(context: clientContext, serverName: "localhost"),
                    handshakeTimeout: .seconds(10), logger: nil, handshakePromise: handshake))
            self.oneByteAtATime = oneByteAtATime
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
            try server.connect(to: address).wait()
            try client.connect(to: address).wait()  // the ClientHello
        }

        /// Moves ciphertext both ways until neither side has anything more to send.
        func pump() throws {
            var moved = true
            while moved {
                moved = try move(from: client, to: server)
                moved = try move(from: server, to: client) || moved
            }
        }

        private func move(from source: EmbeddedChannel, to target: EmbeddedChannel) throws -> Bool {
            var moved = false
            while let buffer = try source.readOutbound(as: ByteBuffer.self) {
                moved = true
                guard target.isActive else { continue }
                if oneByteAtATime {
                    for byte in buffer.readableBytesView {
                        try target.writeInbound(ByteBuffer(bytes: [byte]))
                    }
                } else {
                    try target.writeInbound(buffer)
                }
            }
            return moved
        }

        /// All plaintext `channel` has received so far.
        static func received(by channel: EmbeddedChannel) throws -> [UInt8] {
            var bytes: [UInt8] = []
            while let buffer = try channel.readInbound(as: ByteBuffer.self) {
                bytes += buffer.readableBytesView
            }
            return bytes
        }
    }

    @Test(arguments: [false, true])
    func dataWrittenBeforeTheHandshakeArrivesAfterIt(oneByteAtATime: Bool) throws {
        let pair = try Pair(oneByteAtATime: oneByteAtATime)
        // Written before the handshake: it waits in the handler, as the HTTP/2 preface does.
        pair.client.writeAndFlush(ByteBuffer(string: "PRI * HTTP/2.0"), promise: nil)
        try pair.pump()
        try pair.handshake.futureResult.wait()
        #expect(try Pair.received(by: pair.server) == Array("PRI * HTTP/2.0".utf8))
    }

    @Test(arguments: [false, true])
    func manyWritesLeaveInOneFlushAndLargeOnesSpanRecords(oneByteAtATime: Bool) throws {
        let pair = try Pair(oneByteAtATime: oneByteAtATime)
        try pair.pump()
        // Three writes, one flush: one ciphertext buffer reaches the channel.
        for part in ["a", "b", "c"] { pair.server.write(ByteBuffer(string: part), promise: nil) }
        pair.server.flush()
        let ciphertext = try #require(try pair.server.readOutbound(as: ByteBuffer.self))
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == nil)
        try pair.client.writeInbound(ciphertext)
        #expect(try Pair.received(by: pair.client) == Array("abc".utf8))
        // Larger than a record (16 KiB) and than the early-write threshold.
        let large = (0..<(200 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let written = pair.client.eventLoop.makePromise(of: Void.self)
        pair.client.writeAndFlush(ByteBuffer(bytes: large), promise: written)
        try written.futureResult.wait()
        try pair.pump()
        #expect(try Pair.received(by: pair.server) == large)
    }

    @Test func closeSendsCloseNotifyAndThePeerClosesToo() throws {
        let pair = try Pair(oneByteAtATime: false)
        try pair.pump()
        try pair.client.close().wait()
        #expect(pair.server.isActive)
        try pair.pump()
        #expect(!pair.server.isActive)
    }

    /// An empty write completes with the ciphertext written before it, not before: the server
    /// connection learns that its last frames have left that way before it half-closes.
    @Test func anEmptyWriteCompletesWithTheWritesBeforeIt() throws {
        let pair = try Pair(oneByteAtATime: false)
        try pair.pump()
        let held = HeldWrites()
        try pair.server.pipeline.syncOperations.addHandler(held, position: .first)
        pair.server.writeAndFlush(ByteBuffer(string: "last frames"), promise: nil)
        let empty = pair.server.eventLoop.makePromise(of: Void.self)
        var emptyWritten = false
        empty.futureResult.whenSuccess { emptyWritten = true }
        pair.server.writeAndFlush(ByteBuffer(), promise: empty)
        #expect(held.promises.count == 1)  // the ciphertext, held below the TLS handler
        #expect(!emptyWritten)
        for promise in held.promises { promise?.succeed() }
        #expect(emptyWritten)
    }

    /// A close waits for close_notify to reach the socket, but not for ever: a peer that reads
    /// nothing does not hold the connection (and a server's shutdown) open.
    @Test func aCloseDoesNotWaitForeverForAPeerThatReadsNothing() throws {
        let pair = try Pair(oneByteAtATime: false)
        try pair.pump()
        let held = HeldWrites()
        try pair.server.pipeline.syncOperations.addHandler(held, position: .first)
        pair.server.writeAndFlush(ByteBuffer(string: "never read"), promise: nil)
        let closed = pair.server.eventLoop.makePromise(of: Void.self)
        pair.server.close(promise: closed)
        #expect(pair.server.isActive)  // close_notify waits behind the unread ciphertext
        pair.server.embeddedEventLoop.advanceTime(by: TLSHandler.closeNotifyTimeout)
        #expect(!pair.server.isActive)
        try closed.futureResult.wait()
        // What the socket never wrote fails as the channel closes.
        for promise in held.promises { promise?.fail(ChannelError.ioOnClosedChannel) }
    }

    /// Keeps the promises of the writes that pass it, uncompleted, as a socket that has not
    /// written them yet would.
    final class HeldWrites: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var promises: [EventLoopPromise<Void>?] = []

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            promises.append(promise)
            context.write(data, promise: nil)
        }
    }

    @Test func aClientWithoutTheRequiredCertificateIsRefused() throws {
        let certificates = try TestCertificates.shared()
        let pair = try Pair(
            oneByteAtATime: false, clientCertificate: "other-client",
            clientCA: "ca.pem")
        #expect(throws: TLSError.self) { try pair.pump() }
        #expect(!pair.server.isActive)
    }

    @Test func theClientRefusesAServerThatDoesNotSelectH2() throws {
        let pair = try Pair(oneByteAtATime: false, serverSelectsH2: false)
        #expect(throws: TLSError.self) { try pair.pump() }
        #expect {
            try pair.handshake.futureResult.wait()
        } throws: { error in
            (error as? TLSError)?.message == "the server did not select ALPN h2"
        }
        #expect(!pair.client.isActive)
    }

    @Test func aMissingFileIsNamed() throws {
        let certificates = try TestCertificates.shared()
        var configuration = certificates.server()
        configuration.certificateChainPath = "/nonexistent/cert.pem"
        #expect {
            _ = try TLSServerCredentials(configuration)
        } throws: { error in
            let message = (error as? TLSError)?.message ?? ""
            return message == "cannot load the certificate chain /nonexistent/cert.pem"
        }
    }
}
