/// The JSON mapping of a message: lower camel case names, every scalar, enum and repeated field
/// written (defaults too, so scripts can rely on a field being there; an unset message field is
/// left out), unknown names rejected.
extension MessageRenderer {
    func renderJSON(_ message: MessageDecl, into out: inout CodeWriter) {
        let type = "\(namespace).\(message.name)"
        out.line("// MARK: \(message.name) JSON mapping")
        out.line()
        out.block("extension \(type): Codable") { out in
            out.doc(["Reads the message from a JSON object; unknown field names are an error."])
            out.block("public init(from decoder: any Decoder) throws") { out in
                out.line("let json = try decoder.container(keyedBy: CompactJSONKey.self)")
                let known = message.fields.map { SwiftNames.literal(SwiftNames.json($0.name)) }
                out.line(
                    "try json.rejectUnknownKeys([\(known.joined(separator: ", "))], in: "
                        + "\(SwiftNames.literal(qualified(message.name))))")
                out.line("self.init()")
                for field in message.fields {
                    let name = SwiftNames.property(field.name)
                    out.block("if let value = \(jsonDecode(field))") { out in
                        out.line("self.\(name) = value")
                    }
                }
            }
            out.line()
            out.doc(["Writes the message as a JSON object with every field."])
            out.block("public func encode(to encoder: any Encoder) throws") { out in
                let binding = message.fields.isEmpty ? "_ =" : "var json ="
                out.line("\(binding) encoder.container(keyedBy: CompactJSONKey.self)")
                for field in message.fields {
                    out.line(jsonEncode(field))
                }
            }
        }
    }

    private func jsonDecode(_ field: FieldDecl) -> String {
        let key = SwiftNames.literal(SwiftNames.json(field.name))
        if field.isRepeated {
            return "try json.decodeIfPresent(\(swiftType(field)).self, forKey: CompactJSONKey(\(key)))"
        }
        switch field.type {
        case .string: return "try json.decodeCompactString(\(key))"
        case .bytes: return "try json.decodeCompactBytes(\(key))"
        case .bool: return "try json.decodeCompactBool(\(key))"
        case .int32, .int64, .uint32, .uint64:
            return "try json.decodeCompactInteger(\(swiftType(field)).self, \(key))"
        case .enumeration:
            return "try json.decodeCompactEnum(\(swiftType(field)).self, \(key))"
        case .message(let name):
            return
                "try json.decodeIfPresent(\(namespace).\(name).self, forKey: CompactJSONKey(\(key)))"
        }
    }

    private func jsonEncode(_ field: FieldDecl) -> String {
        let key = SwiftNames.literal(SwiftNames.json(field.name))
        let name = "self." + SwiftNames.property(field.name)
        if field.isRepeated { return "try json.encode(\(name), forKey: CompactJSONKey(\(key)))" }
        switch field.type {
        case .bytes: return "try json.encodeCompactBytes(\(name), \(key))"
        case .enumeration: return "try json.encodeCompactEnum(\(name), \(key))"
        case .message: return "try json.encodeIfPresent(\(name), forKey: CompactJSONKey(\(key)))"
        default: return "try json.encode(\(name), forKey: CompactJSONKey(\(key)))"
        }
    }
}
