import CashbackClient

/// One call as `-v` shows it on standard error: the request headers sent, the response headers
/// and trailers received, and how long each took.
///
/// Text, after curl's `-v` (`*` for what the probe says, `>` sent, `<` received):
///
/// ```
/// * connected to 127.0.0.1:50051 (h2c) in 0.412 ms
/// > :method: POST
/// > :path: /cashback.v1.Wallet/GetBalance
/// > authorization: Bearer <redacted>
/// * response headers, 1.234 ms after the request:
/// < :status: 200
/// * trailers, 1.456 ms after the request:
/// < grpc-status: 0
/// * total 1.870 ms, connecting included
/// ```
///
/// JSON, one line: `{"call":{"connection":{…},"requestHeaders":[{"name":…,"value":…}],
/// "responseHeaders":[…],"trailers":[…],"timingsUs":{…}}}`.
struct VerboseCall: Equatable, Sendable {
    /// As sent, `authorization` redacted.
    var requestHeaders: [Metadata.Field]
    /// How the connection was set up, when this call opened it.
    var connection: RPCConnectionSetup?
    /// `nil` for a trailers-only response, or one that never came.
    var responseHeaders: [Metadata.Field]?
    var responseHeadersAfter: Duration?
    /// `nil` when the call ended without them (a deadline, a reset stream, a dropped
    /// connection).
    var trailers: [Metadata.Field]?
    var trailersAfter: Duration?
    /// From the start of connecting (a new connection) or of the request, to the end of the
    /// call.
    var total: Duration?

    init(requestHeaders: [Metadata.Field], connection: RPCConnectionSetup?) {
        self.requestHeaders = requestHeaders
        self.connection = connection
    }

    /// The value of the request header `name`, e.g. `:authority`.
    private func requestHeader(_ name: String) -> String? {
        requestHeaders.first { $0.name == name }?.value
    }

    // MARK: Text

    /// The lines `-v` prints for this call, each ending in a newline.
    func text() -> String {
        var lines: [String] = []
        if let connection {
            let authority = requestHeader(":authority") ?? "the server"
            let overTLS = connection.tlsHandshake != nil
            var line = "* connected to \(authority) (\(overTLS ? "TLS" : "h2c")) in "
                + Self.milliseconds(connection.connect)
            if let handshake = connection.tlsHandshake {
                line += "; TLS handshake \(Self.milliseconds(handshake))"
            }
            lines.append(line)
        }
        lines += requestHeaders.map { "> \($0.name): \($0.value)" }
        if let responseHeaders {
            lines.append("* response headers\(Self.after(responseHeadersAfter)):")
            lines += responseHeaders.map { "< \($0.name): \($0.value)" }
        } else if trailers != nil {
            lines.append("* no response headers: a trailers-only response")
        }
        if let trailers {
            lines.append("* trailers\(Self.after(trailersAfter)):")
            lines += trailers.map { "< \($0.name): \($0.value)" }
        } else {
            lines.append("* no trailers: the call ended without them")
        }
        if let total {
            let connecting = connection == nil ? "" : ", connecting included"
            lines.append("* total \(Self.milliseconds(total))\(connecting)")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    private static func after(_ duration: Duration?) -> String {
        duration.map { ", \(milliseconds($0)) after the request" } ?? ""
    }

    /// `1.234 ms`.
    private static func milliseconds(_ duration: Duration) -> String {
        BenchReport.milliseconds(BenchTally.microseconds(duration)) + " ms"
    }

    // MARK: JSON

    /// What `--format json` prints: `{"call":{…}}` on one line.
    func json() -> String {
        JSONLine.encode(["call": JSONForm(self)])
    }

    /// The JSON shape; absent parts are left out.
    private struct JSONForm: Encodable {
        struct Field: Encodable {
            var name: String
            var value: String
        }

        struct Connection: Encodable {
            var connectUs: UInt64
            var tlsHandshakeUs: UInt64?
        }

        struct Timings: Encodable {
            var responseHeaders: UInt64?
            var trailers: UInt64?
            var total: UInt64?
        }

        var connection: Connection?
        var requestHeaders: [Field]
        var responseHeaders: [Field]?
        var trailers: [Field]?
        var timingsUs: Timings

        init(_ call: VerboseCall) {
            let fields = { (list: [Metadata.Field]) in
                list.map { Field(name: $0.name, value: $0.value) }
            }
            connection = call.connection.map {
                Connection(
                    connectUs: BenchTally.microseconds($0.connect),
                    tlsHandshakeUs: $0.tlsHandshake.map(BenchTally.microseconds))
            }
            requestHeaders = fields(call.requestHeaders)
            responseHeaders = call.responseHeaders.map(fields)
            trailers = call.trailers.map(fields)
            timingsUs = Timings(
                responseHeaders: call.responseHeadersAfter.map(BenchTally.microseconds),
                trailers: call.trailersAfter.map(BenchTally.microseconds),
                total: call.total.map(BenchTally.microseconds))
        }
    }
}
