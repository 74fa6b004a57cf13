/// Renders a service: its namespace, method descriptors, the server protocol and its
/// registration with a router.
struct ServiceRenderer {
    let file: SchemaFile
    var namespace: String { SwiftNames.namespace(file.package) }

    func render(_ service: ServiceDecl, into out: inout CodeWriter) {
        let fullName = "\(file.package).\(service.name)"
        out.block("extension \(namespace)") { out in
            out.doc(service.doc)
            out.block("public enum \(service.name)") { out in
                out.doc(["The service's fully qualified name."])
                out.line("public static let name = \(SwiftNames.literal(fullName))")
                out.line()
                out.doc(["The service's methods."])
                out.block("public enum Method") { out in
                    for method in service.methods {
                        renderMethod(method, service: fullName, into: &out)
                    }
                }
                out.line()
                out.doc(["Every method of the service, in schema order."])
                let all = service.methods.map { "Method.\($0.name).descriptor" }
                out.wrappedList("public static let methods: [MethodDescriptor] = [", all, "]")
                out.line()
                renderProtocol(service, into: &out)
            }
        }
        out.line()
        renderRegistration(service, into: &out)
    }

    private func renderMethod(_ method: MethodDecl, service: String, into out: inout CodeWriter) {
        out.doc(method.doc)
        out.block("public enum \(method.name)") { out in
            out.doc(["The request message."])
            out.line("public typealias Input = \(namespace).\(method.input)")
            out.doc(["The response message."])
            out.line("public typealias Output = \(namespace).\(method.output)")
            if method.isServerStreaming {
                out.doc(["The server answers with a stream of `Output` messages."])
                out.line("public static let isServerStreaming = true")
            }
            out.doc(
                method.isIdempotent
                    ? ["The method's name and path; the schema marks it idempotent."]
                    : ["The method's name and path."])
            out.wrapped(
                "public static let descriptor = MethodDescriptor(",
                [
                    "service: \(SwiftNames.literal(service))",
                    "method: \(SwiftNames.literal(method.name))",
                ] + (method.isIdempotent ? ["isIdempotent: true"] : []), ")")
        }
    }

    private func renderProtocol(_ service: ServiceDecl, into out: inout CodeWriter) {
        out.doc([
            "What a server implements to serve the service.", "",
            "Throw `RPCError` to answer with a status other than OK.",
        ])
        out.block("public protocol ServiceProtocol: Sendable") { out in
            for (index, method) in service.methods.enumerated() {
                if index > 0 { out.line() }
                let name = method.name
                if method.isServerStreaming {
                    out.doc(
                        method.doc + [
                            "",
                            "A server-streaming method: write each response message through `writer`",
                            "(each write waits while the client is behind), then return for status OK.",
                        ])
                    out.signature(
                        "func \(SwiftNames.method(name))(",
                        [
                            "_ request: Method.\(name).Input",
                            "writer: RPCStreamWriter<Method.\(name).Output>",
                            "context: RPCServerContext",
                        ], ") async throws")
                } else {
                    out.doc(method.doc)
                    out.signature(
                        "func \(SwiftNames.method(name))(",
                        ["_ request: Method.\(name).Input", "context: RPCServerContext"],
                        ") async throws -> Method.\(name).Output")
                }
            }
        }
    }

    private func renderRegistration(_ service: ServiceDecl, into out: inout CodeWriter) {
        let type = "\(namespace).\(service.name)"
        out.block("extension \(type).ServiceProtocol") { out in
            out.doc(["Registers every method of the service with `router`."])
            out.block("public func register(with router: inout RPCRouter)") { out in
                for method in service.methods {
                    let path = "\(type).Method.\(method.name)"
                    let call = "try await self.\(SwiftNames.method(method.name))"
                    if method.isServerStreaming {
                        out.line("router.registerServerStreaming(\(path).descriptor) {")
                        // The writer's type follows from the method called.
                        out.line("    (request: \(path).Input, writer, context) in")
                        out.line("    \(call)(request, writer: writer, context: context)")
                    } else {
                        out.line("router.registerUnary(\(path).descriptor) {")
                        out.line("    (request: \(path).Input, context) in")
                        out.line("    \(call)(request, context: context)")
                    }
                    out.line("}")
                }
            }
        }
    }
}
