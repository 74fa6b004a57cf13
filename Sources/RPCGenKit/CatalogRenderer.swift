/// Renders the schema catalogue: every service, method and message shape, for tools such as
/// `cashback-probe describe` and `call`.
struct CatalogRenderer {
    let files: [SchemaFile]

    func render(into out: inout CodeWriter) {
        out.doc(["Every service and message of the schema, with shapes and JSON mappings."])
        out.block("public enum SchemaCatalog") { out in
            out.doc(["The services, in schema order."])
            out.line("public static let services: [ServiceSchema] = [")
            for file in files {
                for service in file.services { renderService(service, file: file, into: &out) }
            }
            out.line("]")
            out.line()
            out.doc(["Every message, in schema order."])
            out.line("public static let messages: [MessageSchema] = [")
            for file in files {
                for message in file.messages {
                    out.line("    Messages.\(constant(message.name, file: file)),")
                }
            }
            out.line("]")
            out.line()
            out.block("private enum Messages") { out in
                for file in files {
                    for message in file.messages { renderMessage(message, file: file, into: &out) }
                }
            }
        }
    }

    private func renderService(
        _ service: ServiceDecl, file: SchemaFile, into out: inout CodeWriter
    ) {
        let namespace = SwiftNames.namespace(file.package)
        out.line("    ServiceSchema(")
        out.line("        name: \(SwiftNames.literal("\(file.package).\(service.name)")),")
        renderDoc(service.doc, indent: "        ", into: &out)
        out.line("        methods: [")
        for method in service.methods {
            out.line("            MethodSchema(")
            out.line(
                "                descriptor: \(namespace).\(service.name).Method.\(method.name).descriptor,")
            renderDoc(method.doc, indent: "                ", into: &out)
            out.line("                request: Messages.\(constant(method.input, file: file)),")
            if method.isServerStreaming {
                out.line("                response: Messages.\(constant(method.output, file: file)),")
                out.line("                isServerStreaming: true")
            } else {
                out.line("                response: Messages.\(constant(method.output, file: file))")
            }
            out.line("            ),")
        }
        out.line("        ]")
        out.line("    ),")
    }

    private func renderMessage(
        _ message: MessageDecl, file: SchemaFile, into out: inout CodeWriter
    ) {
        let namespace = SwiftNames.namespace(file.package)
        out.line("static let \(constant(message.name, file: file)) = MessageSchema(")
        out.line("    \(namespace).\(message.name).self,")
        out.line("    fields: [")
        for field in message.fields {
            let type: String
            switch field.type {
            case .enumeration(let typeName), .message(let typeName):
                type = "\(file.package).\(typeName)"
            default:
                type = field.type.schemaSpelling
            }
            out.line("        FieldSchema(")
            out.line(
                "            name: \(SwiftNames.literal(field.name)), "
                    + "jsonName: \(SwiftNames.literal(SwiftNames.json(field.name))),")
            out.line(
                "            number: \(field.number), type: \(SwiftNames.literal(type)), "
                    + "isRepeated: \(field.isRepeated)),")
        }
        out.line("    ])")
    }

    /// `cashback.v1` + `AccrueRequest` → `cashbackV1AccrueRequest`.
    private func constant(_ message: String, file: SchemaFile) -> String {
        let namespace = SwiftNames.namespace(file.package)
        return namespace.prefix(1).lowercased() + namespace.dropFirst() + message
    }

    /// Writes `doc: [...]`, one line of documentation per source line.
    private func renderDoc(_ doc: [String], indent: String, into out: inout CodeWriter) {
        let single = indent + "doc: [\(doc.map(SwiftNames.literal).joined())],"
        guard doc.count > 1 || single.count > out.room else {
            out.line(single)
            return
        }
        out.line(indent + "doc: [")
        for line in doc { out.line(indent + "    \(SwiftNames.literal(line)),") }
        out.line(indent + "],")
    }
}
