import CashbackClient

/// Renders services, methods and messages of the compiled-in schema as schema text.
enum SchemaDescription {
    /// The description of a service, method (`pkg.Service/Method`) or message; `nil` if unknown.
    static func describe(_ symbol: String) -> String? {
        for service in ProbeSchema.services {
            if service.name == symbol { return describe(service) }
            if let method = service.methods.first(where: { $0.descriptor.fullName == symbol }) {
                return describe(method)
            }
        }
        if let message = ProbeSchema.messages.first(where: { $0.name == symbol }) {
            return describe(message)
        }
        return nil
    }

    private static func describe(_ service: ServiceSchema) -> String {
        var lines = ["\(service.name) is a service:"]
        lines += service.doc.map { "// \($0)" }
        lines.append("service \(service.name.split(separator: ".").last!) {")
        for method in service.methods {
            lines += method.doc.map { "    // \($0)" }
            lines.append("    \(signature(method))")
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    private static func describe(_ method: MethodSchema) -> String {
        var lines = ["\(method.descriptor.fullName) is a method:"]
        lines += method.doc.map { "// \($0)" }
        lines.append(signature(method))
        for message in messages(using: [method.request, method.response]) {
            lines += [""] + text(message)
        }
        return lines.joined(separator: "\n")
    }

    private static func describe(_ message: MessageSchema) -> String {
        var lines = ["\(message.name) is a message:"]
        for used in messages(using: [message]) {
            lines += [""] + text(used)
        }
        return lines.joined(separator: "\n")
    }

    /// `message { … }` with a line a field.
    private static func text(_ message: MessageSchema) -> [String] {
        var lines = ["message \(message.name) {"]
        for field in message.fields {
            let label = field.isRepeated ? "repeated " : ""
            lines.append(
                "    \(label)\(field.type) \(field.name) = \(field.number);  // JSON: \(field.jsonName)")
        }
        lines.append("}")
        return lines
    }

    /// `roots` and, after each, every message type its fields use (depth first), each once.
    static func messages(using roots: [MessageSchema]) -> [MessageSchema] {
        var shown: Set<String> = []
        var found: [MessageSchema] = []
        func visit(_ message: MessageSchema) {
            guard shown.insert(message.name).inserted else { return }
            found.append(message)
            for field in message.fields {
                if let nested = ProbeSchema.messages.first(where: { $0.name == field.type }) {
                    visit(nested)
                }
            }
        }
        roots.forEach(visit)
        return found
    }

    private static func signature(_ method: MethodSchema) -> String {
        let response = (method.isServerStreaming ? "stream " : "") + method.response.name
        return "rpc \(method.descriptor.method)(\(method.request.name)) returns (\(response));"
    }
}
