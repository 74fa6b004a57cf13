import CashbackClient
import Foundation

extension Invocation {
    /// Connects, runs `body`, and closes the connection whatever happens.
    func withClient<T: Sendable>(
        _ address: HostAndPort?, _ body: (CashbackClient) async throws -> T
    ) async throws -> T {
        guard let address else { throw ProbeUsageError("this verb needs HOST:PORT") }
        guard options.connectTimeout > 0, options.connectTimeout <= 3600 else {
            throw ProbeUsageError("--connect-timeout must be in (0, 3600] seconds")
        }
        let tls = try tlsConfiguration()
        _ = try callOptions()  // usage errors before any connection attempt
        let client = try await CashbackClient.connect(
            host: address.host, port: address.port, tls: tls,
            connectTimeout: .milliseconds(Int64(options.connectTimeout * 1000)),
            token: try token())
        do {
            let value = try await body(client)
            await client.close()
            return value
        } catch {
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
            handshakeTimeout: .milliseconds(Int64(options.connectTimeout * 1000)))
    }

    /// The token from `--token`, else from `CASHBACK_TOKEN`; `nil` when neither is set (an
    /// empty variable counts as unset).
    func token() throws -> String? {
        let given = options.token ?? ProcessInfo.processInfo.environment["CASHBACK_TOKEN"]
        guard let given, !given.isEmpty else { return nil }
        guard given.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw ProbeUsageError(
                "the token holds spaces or control characters; pass what `cashbackd token "
                    + "create` printed, as it is")
        }
        return given
    }

    /// The call options from `--max-time` and `-H`.
    func callOptions() throws -> CallOptions {
        var metadata = Metadata()
        for header in options.headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw ProbeUsageError("header '\(header)' is not 'name: value'")
            }
            let name = header[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            // content-type stays allowed: it lets the probe speak as a stock gRPC client.
            let reserved: Set<String> = ["te", "user-agent", "host", "connection"]
            guard !name.isEmpty, !name.hasPrefix(":"), !name.hasPrefix("grpc-"),
                !reserved.contains(name)
            else {
                throw ProbeUsageError("header name '\(name)' is reserved or empty")
            }
            // gRPC metadata names are [0-9a-z_.-]; values are printable ASCII.
            let validName = name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)
            }
            let validValue = value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value <= 0x7e }
            guard validName, validValue else {
                throw ProbeUsageError("header '\(header)' is not a valid gRPC metadata entry")
            }
            metadata.add(name, value)
        }
        var timeout: Duration?
        if let maxTime = options.maxTime {
            guard maxTime > 0, maxTime <= 86_400 else {
                throw ProbeUsageError("--max-time must be in (0, 86400] seconds")
            }
            timeout = .milliseconds(Int64(maxTime * 1000))
        }
        return CallOptions(timeout: timeout, metadata: metadata)
    }

    /// The request's compact encoding from `-d` JSON (an empty object when `-d` is absent).
    func requestBytes(for method: MethodSchema) throws -> [UInt8] {
        let json: [UInt8]
        switch options.data {
        case nil: json = Array("{}".utf8)
        case "@": json = standardInput()
        case let data? where data.hasPrefix("@"):
            let path = String(data.dropFirst())
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw ProbeUsageError("cannot read \(path)")
            }
            json = Array(contents)
        case let data?: json = Array(data.utf8)
        }
        do {
            return try method.request.compactFromJSON(json)
        } catch let error as DecodingError {
            throw RPCError(
                .invalidArgument,
                "request is not a valid \(method.request.name): \(Self.describe(error))")
        }
    }

    /// The method named `name` (`pkg.Service/Method` or `pkg.Service.Method`).
    static func method(named name: String?) throws -> MethodSchema {
        guard let name else { throw ProbeUsageError("missing method") }
        let wanted = normalized(name)
        for service in SchemaCatalog.services {
            if let method = service.methods.first(where: { $0.descriptor.fullName == wanted }) {
                return method
            }
        }
        throw RPCError(.unimplemented, "unknown method \(name); try 'list'")
    }

    /// `pkg.Service.Method` → `pkg.Service/Method`; other names are returned unchanged.
    static func normalized(_ symbol: String) -> String {
        guard !symbol.contains("/"), let dot = symbol.lastIndex(of: ".") else { return symbol }
        let service = String(symbol[..<dot])
        let isService = SchemaCatalog.services.contains { $0.name == service }
        return isService ? service + "/" + symbol[symbol.index(after: dot)...] : symbol
    }

    /// A one-line explanation of a JSON decoding error.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map(\.stringValue).joined(separator: ".")
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .dataCorrupted(let context): return context.debugDescription + path(context)
        case .typeMismatch(let type, let context): return "expected \(type)\(path(context))"
        case .valueNotFound(let type, let context): return "missing \(type)\(path(context))"
        case .keyNotFound(let key, let context): return "missing \(key.stringValue)\(path(context))"
        @unknown default: return "\(error)"
        }
    }
}
