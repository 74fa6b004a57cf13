import CashbackClient
import Foundation

/// One run of the probe: which verb, against which server, with which request.
struct Invocation {
    let options: ProbeOptions
    let standardInput: () -> [UInt8]
    /// Set on every call with `-v`; `nil` without.
    let recorder: VerboseRecorder?

    private static let verbs: Set<String> = [
        "list", "describe", "call", "health", "encode", "decode", "bench",
    ]

    func run(_ result: inout ProbeResult) async throws {
        var words = options.words[...]
        var address: HostAndPort?
        if let first = words.first, !Self.verbs.contains(first) {
            do { address = try HostAndPort(parsing: first) } catch {
                throw ProbeUsageError("\(error)")
            }
            words = words.dropFirst()
        }
        guard let verb = words.popFirst() else { throw ProbeUsageError("missing verb") }
        let argument = words.popFirst()
        guard words.isEmpty else { throw ProbeUsageError("unexpected '\(words.first!)'") }
        try checkFlags(for: verb)
        switch verb {
        case "list": try await list(address: address, service: argument, into: &result)
        case "describe": try await describe(address: address, symbol: argument, into: &result)
        case "call": try await call(address: address, method: argument, into: &result)
        case "health": try await health(address: address, service: argument, into: &result)
        case "encode": try encode(method: argument, into: &result)
        case "decode": try decode(symbol: argument, into: &result)
        case "bench": try await bench(address: address, method: argument, into: &result)
        default: throw ProbeUsageError("unknown verb '\(verb)'")
        }
    }

    /// Refuses the flags that do nothing for `verb`, before anything is sent.
    private func checkFlags(for verb: String) throws {
        _ = try OutputFormat(flag: options.format)
        if options.data != nil, !["call", "encode", "bench"].contains(verb) {
            throw ProbeUsageError(
                verb == "decode"
                    ? "decode reads the bytes from standard input: use < FILE, not -d"
                    : "-d is the request of call, encode and bench; \(verb) takes none")
        }
        if verb != "bench", BenchPlan.anyFlagGiven(in: options) {
            throw ProbeUsageError("-c, -m, -n, -z and --seed apply to bench only")
        }
        if verb == "encode", options.format != nil {
            throw ProbeUsageError(
                "encode writes a binary frame: --format applies to what prints text")
        }
        if options.verbose, ["encode", "decode", "bench"].contains(verb) {
            throw ProbeUsageError(
                "-v shows the calls of list, describe, call and health; "
                    + (verb == "bench"
                        ? "bench's report has its latencies" : "\(verb) calls nothing"))
        }
    }

    /// `--format`, once ``checkFlags(for:)`` has accepted it.
    var format: OutputFormat { (try? OutputFormat(flag: options.format)) ?? .text }

    /// Prints a message's JSON as `format` wants it: pretty for people, one line for scripts.
    func printMessage(_ json: [UInt8], into result: inout ProbeResult) {
        switch format {
        case .text: result.print(String(decoding: json, as: UTF8.self))
        case .json: result.print(JSONLine.minified(json))
        }
    }

    // MARK: Verbs

    private func list(address: HostAndPort?, service: String?, into result: inout ProbeResult)
        async throws
    {
        let served = try await withClient(address) { client in
            try await client.reflection.listServices(.init(), options: try callOptions())
        }
        let services = served.services.filter { service == nil || $0.name == service }
        if let service, services.isEmpty {
            throw RPCError(.notFound, "the server does not serve \(service)")
        }
        if format == .json { return result.print(JSONLine.encode(ServiceList(services))) }
        for info in services {
            if service == nil { result.print(info.name) }
            for method in info.methods { result.print("\(service == nil ? "  " : "")\(info.name)/\(method)") }
        }
    }

    private func describe(address: HostAndPort?, symbol: String?, into result: inout ProbeResult)
        async throws
    {
        guard let symbol else { throw ProbeUsageError("describe needs a symbol") }
        if let address {
            // Ask the server first, so that a symbol it does not serve is reported as such.
            let served = try await withClient(address) { client in
                try await client.reflection.listServices(.init(), options: try callOptions())
            }
            let names = served.services.flatMap { info in
                [info.name] + info.methods.map { "\(info.name)/\($0)" }
            }
            let isMessage = ProbeSchema.messages.contains { $0.name == symbol }
            guard isMessage || names.contains(Self.normalized(symbol)) else {
                throw RPCError(.notFound, "the server does not serve \(symbol)")
            }
        }
        let description =
            switch format {
            case .text: SchemaDescription.describe(Self.normalized(symbol))
            case .json: SchemaDescription.json(Self.normalized(symbol))
            }
        guard let description else {
            throw ProbeUsageError(
                "no service, method or message named \(symbol)" + Self.closest(to: symbol))
        }
        result.print(description)
    }

    private func call(address: HostAndPort?, method: String?, into result: inout ProbeResult)
        async throws
    {
        let schema = try Self.method(named: method)
        let request = try requestBytes(for: schema)
        if schema.isServerStreaming {
            return try await callStreaming(address: address, schema, request: request, into: &result)
        }
        let response = try await withClient(address) { client in
            try await client.transport.unary(
                schema.descriptor, request: request, options: try callOptions())
        }
        printMessage(try schema.response.jsonFromCompact(response), into: &result)
    }

    /// Prints each message of a server-streaming call as it arrives, one JSON object each;
    /// a status other than OK after some messages still fails the run.
    private func callStreaming(
        address: HostAndPort?, _ schema: MethodSchema, request: [UInt8],
        into result: inout ProbeResult
    ) async throws {
        try await withClient(address) { client in
            let stream = client.transport.serverStreaming(
                schema.descriptor, request: request,
                options: try callOptions(defaultTimeout: Self.streamingTimeout))
            for try await payload in stream {
                printMessage(try schema.response.jsonFromCompact(payload), into: &result)
            }
        }
    }

    private func health(address: HostAndPort?, service: String?, into result: inout ProbeResult)
        async throws
    {
        let status = try await withClient(address) { client in
            try await client.checkHealth(service: service ?? "", options: try callOptions())
        }
        switch format {
        case .text: result.print(status)
        // The shape of grpc.health.v1.HealthCheckResponse's JSON, as `call` prints it.
        case .json: result.print(JSONLine.encode(["status": status]))
        }
        if status != "SERVING" { result.exitCode = 1 }
    }

    /// Standard input (a length-prefixed frame, or a bare payload) as JSON: the message named
    /// `symbol`, or the response of the method named `symbol`.
    private func decode(symbol: String?, into result: inout ProbeResult) throws {
        guard let symbol else { throw ProbeUsageError("decode needs a message or method name") }
        let schema: MessageSchema
        if let message = ProbeSchema.messages.first(where: { $0.name == symbol }) {
            schema = message
        } else {
            schema = try Self.method(named: symbol).response
        }
        var bytes = standardInput()
        // A frame: flag 0, then a 4-byte length that covers exactly the rest.
        if bytes.count >= 5, bytes[0] == 0,
            Int(bytes[1]) << 24 | Int(bytes[2]) << 16 | Int(bytes[3]) << 8 | Int(bytes[4])
                == bytes.count - 5
        {
            bytes.removeFirst(5)
        }
        do {
            printMessage(try schema.jsonFromCompact(bytes), into: &result)
        } catch {
            throw ProbeUsageError("standard input is not a valid \(schema.name): \(error)")
        }
    }

    private func encode(method: String?, into result: inout ProbeResult) throws {
        let schema = try Self.method(named: method)
        result.write(GRPCFraming.frame(try requestBytes(for: schema)))
    }
}
