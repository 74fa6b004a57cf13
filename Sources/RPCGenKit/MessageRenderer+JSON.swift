/// The JSON mapping of a message: lower camel case names, every scalar, enum and repeated field
/// written (defaults too, so scripts can rely on a field being there; an unset message field is
/// left out), unknown names rejected.
extension MessageRenderer {
    func renderJSON(_ message: MessageDecl, into out: inout CodeWriter) {
        let type = "\(namespace).\(message.name)"
        out.line("// MARK: \(message.name) JSON mapping")
        out.line()
        out.block("extension \(type): Codable") { out in
            out.doc(["The JSON names of the fields: any other name in an object is an error."])
            let known = message.fields.map { SwiftNames.literal(SwiftNames.json($0.name)) }
            out.wrappedList("private static let jsonFieldNames: Set<String> = [", known, "]")
            out.line()
            out.doc(["Reads the message from a JSON object; unknown field names are an error."])
            out.block("public init(from decoder: any Decoder) throws") { out in
                out.line("let json = try decoder.container(keyedBy: CompactJSONKey.self)")
                out.line("try json.rejectUnknownKeys(Self.jsonFieldNames, in: Self.schemaName)")
                out.line("self.init()")
                for field in message.fields {
                    let name = SwiftNames.property(field.name)
                    let (function, arguments) = jsonDecode(field)
                    out.wrappedBlock("if let value = try json.\(function)(", arguments, ")") {
                        $0.line("self.\(name) = value")
                    }
                }
            }
            out.line()
            out.doc(["Writes the message as a JSON object with every field."])
            out.block("public func encode(to encoder: any Encoder) throws") { out in
                let binding = message.fields.isEmpty ? "_ =" : "var json ="
                out.line("\(binding) encoder.container(keyedBy: CompactJSONKey.self)")
                for field in message.fields {
                    let (function, arguments) = jsonEncode(field)
                    out.wrapped("try json.\(function)(", arguments, ")")
                }
            }
        }
    }

    /// The container's method that reads `field`, and its arguments.
    private func jsonDecode(_ field: FieldDecl) -> (function: String, arguments: [String]) {
        let key = SwiftNames.literal(SwiftNames.json(field.name))
        if field.isRepeated {
            let type = "\(swiftType(field)).self"
            return ("decodeIfPresent", [type, "forKey: CompactJSONKey(\(key))"])
        }
        switch field.type {
        case .string: return ("decodeCompactString", [key])
        case .bytes: return ("decodeCompactBytes", [key])
        case .bool: return ("decodeCompactBool", [key])
        case .int32, .int64, .uint32, .uint64:
            return ("decodeCompactInteger", ["\(swiftType(field)).self", key])
        case .enumeration:
            return ("decodeCompactEnum", ["\(swiftType(field)).self", key])
        case .message(let name):
            return (
                "decodeIfPresent", ["\(namespace).\(name).self", "forKey: CompactJSONKey(\(key))"]
            )
        }
    }

    /// The container's method that writes `field`, and its arguments.
    private func jsonEncode(_ field: FieldDecl) -> (function: String, arguments: [String]) {
        let key = SwiftNames.literal(SwiftNames.json(field.name))
        let name = "self." + SwiftNames.property(field.name)
        if field.isRepeated { return ("encode", [name, "forKey: CompactJSONKey(\(key))"]) }
        switch field.type {
        case .bytes: return ("encodeCompactBytes", [name, key])
        case .enumeration: return ("encodeCompactEnum", [name, key])
        case .message: return ("encodeIfPresent", [name, "forKey: CompactJSONKey(\(key))"])
        default: return ("encode", [name, "forKey: CompactJSONKey(\(key))"])
        }
    }
}
