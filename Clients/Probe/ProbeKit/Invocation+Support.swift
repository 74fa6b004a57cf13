import CashbackClient
import Foundation

extension Invocation {
    /// Connects, runs `body`, and closes the connection whatever happens.
    func withClient<T: Sendable>(
        _ address: HostAndPort?, _ body: (CashbackClient) async throws -> T
    ) async throws -> T {
        guard let address else { throw ProbeUsageError("this verb needs HOST:PORT") }
        guard (1...65535).contains(address.port) else {
            throw ProbeUsageError("the port must be 1...65535, got \(address.port)")
        }
        guard options.connectTimeout >= 0.001, options.connectTimeout <= 3600 else {
            throw ProbeUsageError("--connect-timeout must be 0.001 to 3600 seconds")
        }
        let tls = try tlsConfiguration()
        _ = try callOptions()  // usage errors before any connection attempt
        let token = try token()
        if tls == nil, token != nil, !HostAndPort.isLoopback(address.host) {
            throw ProbeUsageError(
                "refusing to send the token in cleartext to \(address.host): leave out "
                    + "--plaintext (TLS), or the token")
        }
        recorder?.willConnect()
        // No retries: the probe reports what the server answered, and a bench counts every
        // UNAVAILABLE instead of hiding it behind a second attempt.
        let client = try await CashbackClient.connect(
            host: address.host, port: address.port, tls: tls,
            connectTimeout: Self.milliseconds(options.connectTimeout), token: token,
            retryPolicy: .disabled)
        do {
            let value = try await body(client)
            recorder?.didEndCall()
            await client.close()
            return value
        } catch {
            recorder?.didEndCall()
            await client.close()
            throw error
        }
    }

    /// TLS from `--cacert`, `--insecure`, `--cert` and `--key`, or `nil` with `--plaintext`.
    func tlsConfiguration() throws -> TLSClientConfiguration? {
        let tlsFlagGiven =
            options.cacert != nil || options.insecure || options.cert != nil || options.key != nil
        if options.plaintext {
            guard !tlsFlagGiven else {
                throw ProbeUsageError("--cacert, --insecure, --cert and --key apply to TLS, not --plaintext")
            }
            return nil
        }
        guard (options.cert == nil) == (options.key == nil) else {
            throw ProbeUsageError("--cert and --key go together: give both")
        }
        return TLSClientConfiguration(
            trustRootsPath: options.cacert, certificateChainPath: options.cert,
            privateKeyPath: options.key, verifiesServer: !options.insecure,
            handshakeTimeout: Self.milliseconds(options.connectTimeout))
    }

    /// Why `name` cannot be sent as metadata (the transport writes it), or `nil`.
    static func transportOwned(_ name: String) -> String? {
        switch name {
        case _ where name.hasPrefix(":"):
            return "pseudo-headers (:path, :authority…) are the transport's; the address and the "
                + "method set them"
        case "content-type": return "the probe sends application/grpc+compact, the only codec"
        case "te": return "the transport sends 'te: trailers', as gRPC requires"
        case "grpc-timeout": return "use --max-time SECONDS"
        case "authorization": return "use --token (or CASHBACK_TOKEN)"
        case "host", "connection", "keep-alive", "transfer-encoding", "upgrade",
            "proxy-connection":
            return "HTTP/1 connection headers are not allowed in HTTP/2"
        case "user-agent": return "the transport sends its own"
        case _ where name.hasPrefix("grpc-"): return "grpc-* headers are reserved for gRPC itself"
        default: return nil
        }
    }

    /// The token from `--token`, else from `CASHBACK_TOKEN`; `nil` when neither is set (an
    /// empty variable counts as unset).
    func token() throws -> String? {
        let given = options.token ?? ProcessInfo.processInfo.environment["CASHBACK_TOKEN"]
        guard let given, !given.isEmpty else { return nil }
        // Refused here as a usage error (exit 2), before any connection.
        do throws(RPCError) {
            try CashbackClient.checkToken(given)
        } catch {
            throw ProbeUsageError(error.message)
        }
        return given
    }

    /// The deadline of a call without `--max-time`: a server that never answers does not
    /// hang the probe.
    static let unaryTimeout: Duration = .seconds(30)
    /// The same for a server-streaming call, which may carry a long export.
    static let streamingTimeout: Duration = .seconds(600)

    /// The call options from `--max-time`, `-H` and `-v`.
    func callOptions(defaultTimeout: Duration = Self.unaryTimeout) throws -> CallOptions {
        var metadata = Metadata()
        for header in options.headers {
            // A pseudo-header's own colon comes first: `:path: /x`.
            let searchFrom = header.hasPrefix(":") ? header.index(after: header.startIndex) : header.startIndex
            // The value is never echoed: it may be a token.
            guard let colon = header[searchFrom...].firstIndex(of: ":") else {
                let start = header.prefix { $0 != " " && $0 != "=" }.prefix(40)
                throw ProbeUsageError("-H '\(start)…' is not 'name: value' (no colon)")
            }
            let name = header[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw ProbeUsageError("an -H header has no name") }
            if let owner = Self.transportOwned(name) {
                throw ProbeUsageError("-H cannot set '\(name)': \(owner)")
            }
            // gRPC metadata names are [0-9a-z_.-]; values are printable ASCII.
            let validName = name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)
            }
            let validValue = value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value <= 0x7e }
            guard validName else {
                throw ProbeUsageError(
                    "-H '\(name)': a gRPC metadata name is made of a-z, 0-9, '_', '.' and '-'")
            }
            guard validValue else {
                throw ProbeUsageError(
                    "-H '\(name)': its value must be printable ASCII (the value is not shown)")
            }
            metadata.add(name, value)
        }
        var timeout: Duration? = defaultTimeout
        if let maxTime = options.maxTime {
            guard maxTime >= 0.001, maxTime <= 86_400 else {
                throw ProbeUsageError("--max-time must be 0.001 to 86400 seconds")
            }
            timeout = Self.milliseconds(maxTime)
        }
        return CallOptions(timeout: timeout, metadata: metadata, observer: recorder)
    }

    /// The request's compact encoding from `-d` JSON (an empty object when `-d` is absent).
    func requestBytes(for method: MethodSchema) throws -> [UInt8] {
        try Self.encodeRequest(try requestJSON(), for: method)
    }

    /// The request JSON as `-d` gives it: the text itself, standard input for `@`, a file for
    /// `@FILE`, or an empty object when `-d` is absent.
    func requestJSON() throws -> [UInt8] {
        switch options.data {
        case nil: return Array("{}".utf8)
        case "@": return standardInput()
        case let data? where data.hasPrefix("@"):
            let path = String(data.dropFirst())
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw ProbeUsageError("cannot read \(path)")
            }
            return Array(contents)
        case let data?: return Array(data.utf8)
        }
    }

    /// `json` as `method`'s request in the compact encoding; JSON that is not a valid request
    /// is a usage error naming the field (a local mistake, never a status).
    static func encodeRequest(_ json: [UInt8], for method: MethodSchema) throws -> [UInt8] {
        do {
            return try method.request.compactFromJSON(json)
        } catch let error as DecodingError {
            // A local mistake, found before anything is sent: a usage error, not a status.
            if let syntax = JSONSyntax.error(in: json) {
                throw ProbeUsageError(
                    "-d is not a valid \(method.request.name): not JSON: \(syntax)")
            }
            throw ProbeUsageError(
                "-d is not a valid \(method.request.name): \(Self.describe(error))"
                    + Self.suggestion(for: error))
        }
    }

    /// The method named `name` (`pkg.Service/Method` or `pkg.Service.Method`).
    static func method(named name: String?) throws -> MethodSchema {
        guard let name else { throw ProbeUsageError("missing method") }
        let wanted = normalized(name)
        for service in ProbeSchema.services {
            if let method = service.methods.first(where: { $0.descriptor.fullName == wanted }) {
                return method
            }
        }
        throw ProbeUsageError(
            "unknown method \(name)" + Self.closest(to: name) + "; `cashback-probe HOST:PORT list` "
                + "shows the methods")
    }

    /// `pkg.Service.Method` → `pkg.Service/Method`; other names are returned unchanged.
    static func normalized(_ symbol: String) -> String {
        guard !symbol.contains("/"), let dot = symbol.lastIndex(of: ".") else { return symbol }
        let service = String(symbol[..<dot])
        let isService = ProbeSchema.services.contains { $0.name == service }
        return isService ? service + "/" + symbol[symbol.index(after: dot)...] : symbol
    }

    /// ` (did you mean "memberId"?)` for an unknown field with a close name, else "".
    static func suggestion(for error: DecodingError) -> String {
        guard case .dataCorrupted(let context) = error,
            let range = context.debugDescription.range(of: " has no field \""),
            let message = ProbeSchema.messages.first(where: {
                $0.name == context.debugDescription[..<range.lowerBound]
            })
        else { return "" }
        let key = context.debugDescription[range.upperBound...].dropLast()
        let names = message.fields.map(\.jsonName)
        guard let best = NearestName.find(String(key), among: names) else {
            return " (its fields: \(names.joined(separator: ", ")))"
        }
        return " (did you mean \"\(best)\"?)"
    }

    /// ` (did you mean cashback.v1.Wallet/GetBalance?)` for a method name with a close match.
    static func closest(to name: String) -> String {
        let names = ProbeSchema.services.flatMap { $0.methods.map(\.descriptor.fullName) }
        guard let best = NearestName.find(normalized(name), among: names) else { return "" }
        return " (did you mean \(best)?)"
    }

    /// A one-line explanation of a JSON decoding error.
    static func describe(_ error: DecodingError) -> String {
        // The path as JSON reads it: `rules.categories[0].excluded`.
        func path(_ context: DecodingError.Context) -> String {
            var text = ""
            for key in context.codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return text.isEmpty ? "" : " at \(text)"
        }
        switch error {
        case .dataCorrupted(let context): return context.debugDescription + path(context)
        case .typeMismatch(let type, let context):
            return "expected \(jsonKind(of: type))\(path(context))"
        case .valueNotFound(let type, let context):
            return "expected \(jsonKind(of: type)), not null\(path(context))"
        case .keyNotFound(let key, let context): return "missing \(key.stringValue)\(path(context))"
        @unknown default: return "\(error)"
        }
    }

    /// What a Swift type is in JSON's words, for errors.
    private static func jsonKind(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "a JSON object"
        case is any BinaryInteger.Type: "an integer"
        case is any BinaryFloatingPoint.Type: "a number"
        default: "another kind of value"
        }
    }
}

extension Invocation {
    /// A number of seconds from the command line as whole milliseconds, rounded up: `0.0004`
    /// is 1 ms, not a zero that the client would refuse.
    static func milliseconds(_ seconds: Double) -> Duration {
        .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}
