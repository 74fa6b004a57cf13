/// Renders a schema enum as a Swift enum that keeps numbers it does not know.
struct EnumRenderer {
    let file: SchemaFile

    func render(_ decl: EnumDecl, into out: inout CodeWriter) {
        out.block("extension \(SwiftNames.namespace(file.package))") { out in
            out.doc(decl.doc)
            out.block("public enum \(decl.name): CompactJSONEnum") { out in
                for value in decl.values {
                    out.doc(value.doc)
                    out.line("case \(SwiftNames.enumCase(value.name))")
                }
                out.doc(["A number this version of the schema does not know."])
                out.line("case unrecognized(UInt32)")
                out.line()
                renderNumbers(decl, into: &out)
                out.line()
                renderNames(decl, into: &out)
            }
        }
    }

    private func renderNumbers(_ decl: EnumDecl, into out: inout CodeWriter) {
        out.doc(["The case for a wire number."])
        out.block("public init(rawValue: UInt32)") { out in
            out.switchBlock("rawValue") { out in
                for value in decl.values {
                    out.line("case \(value.number): self = .\(SwiftNames.enumCase(value.name))")
                }
                out.line("default: self = .unrecognized(rawValue)")
            }
        }
        out.line()
        out.doc(["The wire number."])
        out.block("public var rawValue: UInt32") { out in
            out.switchBlock("self") { out in
                for value in decl.values {
                    out.line("case .\(SwiftNames.enumCase(value.name)): \(value.number)")
                }
                out.line("case .unrecognized(let number): number")
            }
        }
    }

    private func renderNames(_ decl: EnumDecl, into out: inout CodeWriter) {
        out.doc(["The case named `jsonName` in the schema."])
        out.block("public init?(jsonName: String)") { out in
            out.switchBlock("jsonName") { out in
                for value in decl.values {
                    out.line(
                        "case \(SwiftNames.literal(value.name)): self = .\(SwiftNames.enumCase(value.name))"
                    )
                }
                out.line("default: return nil")
            }
        }
        out.line()
        out.doc(["The value's name in the schema; `nil` for unrecognized numbers."])
        out.block("public var jsonName: String?") { out in
            out.switchBlock("self") { out in
                for value in decl.values {
                    out.line(
                        "case .\(SwiftNames.enumCase(value.name)): \(SwiftNames.literal(value.name))")
                }
                out.line("case .unrecognized: nil")
            }
        }
    }
}
