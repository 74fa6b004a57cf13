/// Renders typed client stubs: one `Client` struct per service, one async method per RPC.
struct ClientRenderer {
    let file: SchemaFile
    var namespace: String { SwiftNames.namespace(file.package) }

    func render(_ service: ServiceDecl, into out: inout CodeWriter) {
        let type = "\(namespace).\(service.name)"
        out.block("extension \(type)") { out in
            out.doc(["A typed client of `\(file.package).\(service.name)`.", ""] + service.doc)
            out.block("public struct Client: Sendable") { out in
                out.line("private let transport: any RPCClientTransport")
                out.line()
                out.doc(["Creates a client that sends its calls through `transport`."])
                out.block("public init(transport: any RPCClientTransport)") { out in
                    out.line("self.transport = transport")
                }
                for method in service.methods {
                    out.line()
                    renderCall(method, type: type, into: &out)
                }
            }
        }
    }

    private func renderCall(_ method: MethodDecl, type: String, into out: inout CodeWriter) {
        if method.isServerStreaming { return renderStreamingCall(method, type: type, into: &out) }
        out.doc(
            method.doc + ["", Self.retries(method)] + [
                "",
                "- Throws: `RPCError` with the server's status, or UNAVAILABLE when the call",
                "  could not reach the server.",
            ])
        out.line("public func \(SwiftNames.method(method.name))(")
        out.line("    _ request: \(type).Method.\(method.name).Input,")
        out.line("    options: CallOptions = CallOptions()")
        out.block(") async throws -> \(type).Method.\(method.name).Output") { out in
            out.line("let response = try await transport.unary(")
            out.line("    \(type).Method.\(method.name).descriptor,")
            out.line("    request: request.compactBytes(),")
            out.line("    options: options")
            out.line(")")
            out.line("return try decodeResponse(response)")
        }
    }

    private func renderStreamingCall(
        _ method: MethodDecl, type: String, into out: inout CodeWriter
    ) {
        out.doc(
            method.doc + [
                "",
                "A server-streaming call, made when the returned sequence is iterated: it yields",
                "each response message, ends after status OK, and throws `RPCError` otherwise",
                "(the server's status, or UNAVAILABLE when the call could not reach the server).",
                "Cancelling the consuming task, or leaving the loop early, resets the stream.",
                "",
                Self.retries(method),
            ])
        out.line("public func \(SwiftNames.method(method.name))(")
        out.line("    _ request: \(type).Method.\(method.name).Input,")
        out.line("    options: CallOptions = CallOptions()")
        out.block(") -> RPCResponseStream<\(type).Method.\(method.name).Output>") { out in
            out.line("RPCResponseStream(")
            out.line("    transport.serverStreaming(")
            out.line("        \(type).Method.\(method.name).descriptor,")
            out.line("        request: request.compactBytes(),")
            out.line("        options: options")
            out.line("    )")
            out.line(")")
        }
    }

    /// What the client's retry policy does with the method, for its doc comment.
    private static func retries(_ method: MethodDecl) -> String {
        switch (method.isIdempotent, method.isServerStreaming) {
        case (false, _): "Not idempotent: the client never retries it."
        case (true, false): "Idempotent: the client retries it as its `RetryPolicy` says."
        case (true, true):
            "Idempotent: the client retries it as its `RetryPolicy` says, until the first message."
        }
    }
}
