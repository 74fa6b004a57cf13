/// Renders message structs and enums: stored properties, the compact codec conformance and the
/// JSON mapping.
struct MessageRenderer {
    let file: SchemaFile
    var namespace: String { SwiftNames.namespace(file.package) }

    func render(_ message: MessageDecl, into out: inout CodeWriter) {
        out.block("extension \(namespace)") { out in
            out.doc(message.doc)
            out.block("public struct \(message.name): CompactMessage") { out in
                out.doc(["The message's name in the schema."])
                out.line(
                    "public static let schemaName = \(SwiftNames.literal(qualified(message.name)))")
                for field in message.fields {
                    out.line()
                    out.doc(field.doc)
                    out.line("public var \(SwiftNames.property(field.name)): \(swiftType(field))")
                }
                out.line()
                renderInitializers(message, into: &out)
                out.line()
                renderDecoder(message, into: &out)
                out.line()
                renderEncoder(message, into: &out)
            }
        }
        out.line()
        renderJSON(message, into: &out)
    }

    // MARK: Initializers

    private func renderInitializers(_ message: MessageDecl, into out: inout CodeWriter) {
        out.doc(["A message with every field at its default."])
        out.block("public init()") { out in
            for field in message.fields {
                out.line("self.\(SwiftNames.property(field.name)) = \(defaultValue(field))")
            }
        }
        guard !message.fields.isEmpty else { return }
        out.line()
        out.doc(["Creates a message from its fields; omitted fields take their defaults."])
        let parameters = message.fields.map {
            "\(SwiftNames.property($0.name)): \(swiftType($0)) = \(defaultValue($0))"
        }
        out.line("public init(")
        for (index, parameter) in parameters.enumerated() {
            out.line("    " + parameter + (index == parameters.count - 1 ? "" : ","))
        }
        out.block(")") { out in
            for field in message.fields {
                let name = SwiftNames.property(field.name)
                out.line("self.\(name) = \(name)")
            }
        }
    }

    // MARK: Compact codec

    private func renderDecoder(_ message: MessageDecl, into out: inout CodeWriter) {
        out.doc(["Reads the message's fields; unknown fields are skipped."])
        out.block(
            "public init(compactReader reader: inout CompactReader) throws(CompactDecodingError)"
        ) { out in
            out.line("self.init()")
            guard !message.fields.isEmpty else {
                out.block("while let tag = try reader.readTag()") { out in
                    out.line("try reader.skipField(tag)")
                }
                return
            }
            // The field being read, so that an error names it (0: between fields).
            out.line("var field: UInt32 = 0")
            out.doCatch { out in
                out.block("while let tag = try reader.readTag()") { out in
                    out.line("field = tag.fieldNumber")
                    out.switchBlock("tag.fieldNumber") { out in
                        for field in message.fields {
                            let name = SwiftNames.property(field.name)
                            // An element's type is the array's: `as` only for a single value.
                            let read = readExpression(field, typed: !field.isRepeated)
                            // `self.` keeps a field named like a local (`tag`, `reader`) apart.
                            let assignment =
                                field.isRepeated
                                ? "self.\(name).append(\(read))" : "self.\(name) = \(read)"
                            out.caseLine("\(field.number)", assignment)
                        }
                        out.line("default: try reader.skipField(tag)")
                    }
                    out.line("field = 0")
                }
            } catch: { out in
                out.line("throw error.inField(self.compactFieldPath(field))")
            }
        }
        out.line()
        renderFieldPath(message, into: &out)
    }

    /// The JSON name of each field as a path segment, for decoding errors.
    private func renderFieldPath(_ message: MessageDecl, into out: inout CodeWriter) {
        out.doc([
            "Field `number` as a decoding error names it: its JSON name, with the index of the",
            "element being read for a repeated field; `nil` for a number the schema does not name.",
        ])
        out.block("private func compactFieldPath(_ number: UInt32) -> String?") { out in
            out.switchBlock("number") { out in
                for field in message.fields {
                    let json = SwiftNames.json(field.name)
                    let segment =
                        field.isRepeated
                        ? "\"\(json)[\\(self.\(SwiftNames.property(field.name)).count)]\""
                        : "\"\(json)\""
                    out.line("case \(field.number): \(segment)")
                }
                out.line("default: nil")
            }
        }
    }

    private func renderEncoder(_ message: MessageDecl, into out: inout CodeWriter) {
        out.doc(["Writes the fields in field-number order, defaults left out."])
        let sorted = message.fields.sorted { $0.number < $1.number }
        let parameter = sorted.isEmpty ? "_" : "writer"
        out.block("public func encode(to \(parameter): inout CompactWriter)") { out in
            for field in sorted {
                out.line(
                    "writer.\(writeMethod(field))(\(field.number), "
                        + "self.\(SwiftNames.property(field.name)))")
            }
        }
    }

    /// The read of one value of `field`; a message is read `as` its type when `typed`.
    private func readExpression(_ field: FieldDecl, typed: Bool = true) -> String {
        switch field.type {
        case .string: "try reader.readString(tag)"
        case .bytes: "try reader.readBytes(tag)"
        case .bool: "try reader.readBool(tag)"
        case .int32: "try reader.readInt32(tag)"
        case .int64: "try reader.readInt64(tag)"
        case .uint32: "try reader.readUInt32(tag)"
        case .uint64: "try reader.readUInt64(tag)"
        case .enumeration: "try reader.readEnum(tag)"
        case .message(let name):
            "try reader.readMessage(tag)" + (typed ? " as \(namespace).\(name)" : "")
        }
    }

    private func writeMethod(_ field: FieldDecl) -> String {
        let base: String
        switch field.type {
        case .string: base = "String"
        case .bytes: base = "Bytes"
        case .bool: base = "Bool"
        case .int32: base = "Int32"
        case .int64: base = "Int64"
        case .uint32: base = "UInt32"
        case .uint64: base = "UInt64"
        case .enumeration: base = "Enum"
        case .message: base = "Message"
        }
        return field.isRepeated ? "writeRepeated\(base)Field" : "write\(base)Field"
    }

    // MARK: Types

    func swiftType(_ field: FieldDecl) -> String {
        let element: String
        switch field.type {
        case .string: element = "String"
        case .bytes: element = "[UInt8]"
        case .bool: element = "Bool"
        case .int32: element = "Int32"
        case .int64: element = "Int64"
        case .uint32: element = "UInt32"
        case .uint64: element = "UInt64"
        case .enumeration(let name), .message(let name): element = "\(namespace).\(name)"
        }
        if field.isRepeated { return "[\(element)]" }
        if case .message = field.type { return element + "?" }
        return element
    }

    private func defaultValue(_ field: FieldDecl) -> String {
        if field.isRepeated { return "[]" }
        switch field.type {
        case .string: return "\"\""
        case .bytes: return "[]"
        case .bool: return "false"
        case .int32, .int64, .uint32, .uint64: return "0"
        case .enumeration(let name): return "\(namespace).\(name)(rawValue: 0)"
        case .message: return "nil"
        }
    }

    func qualified(_ name: String) -> String { "\(file.package).\(name)" }
}
