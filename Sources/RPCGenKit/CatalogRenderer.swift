/// Renders the schema catalogue: every service, method and message shape, for tools.
struct CatalogRenderer {
    let files: [SchemaFile]

    func render(into out: inout CodeWriter) {
        out.doc(["Every service of the schema, with its methods and message shapes."])
        out.block("public enum SchemaCatalog") { out in
            out.doc(["The services, sorted by name."])
            out.line("public static let services: [ServiceSchema] = [")
            for file in files {
                for service in file.services {
                    renderService(service, file: file, into: &out)
                }
            }
            out.line("]")
        }
    }

    private func renderService(_ service: ServiceDecl, file: SchemaFile, into out: inout CodeWriter)
    {
        let namespace = SwiftNames.namespace(file.package)
        out.line("    ServiceSchema(")
        out.line("        name: \(SwiftNames.literal("\(file.package).\(service.name)")),")
        out.line("        doc: \(docLiteral(service.doc)),")
        out.line("        methods: [")
        for method in service.methods {
            let type = "\(namespace).\(service.name).Method.\(method.name)"
            out.line("            MethodSchema(")
            out.line("                descriptor: \(type).descriptor,")
            out.line("                doc: \(docLiteral(method.doc)),")
            out.line("                request: \(messageSchema(method.input, file: file)),")
            out.line("                response: \(messageSchema(method.output, file: file))")
            out.line("            ),")
        }
        out.line("        ]")
        out.line("    ),")
    }

    private func messageSchema(_ name: String, file: SchemaFile) -> String {
        let namespace = SwiftNames.namespace(file.package)
        guard let message = file.messages.first(where: { $0.name == name }) else {
            preconditionFailure("the checker resolves every method type")
        }
        let fields = message.fields.map { field in
            let type: String
            switch field.type {
            case .enumeration(let typeName), .message(let typeName):
                type = "\(file.package).\(typeName)"
            default:
                type = field.type.schemaSpelling
            }
            return "FieldSchema(name: \(SwiftNames.literal(field.name)), jsonName: "
                + "\(SwiftNames.literal(SwiftNames.json(field.name))), number: \(field.number), "
                + "type: \(SwiftNames.literal(type)), isRepeated: \(field.isRepeated))"
        }
        return "MessageSchema(\(namespace).\(name).self, fields: [\(fields.joined(separator: ", "))])"
    }

    private func docLiteral(_ doc: [String]) -> String {
        "[" + doc.map(SwiftNames.literal).joined(separator: ", ") + "]"
    }
}
