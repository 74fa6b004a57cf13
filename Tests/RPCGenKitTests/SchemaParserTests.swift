import Foundation
import RPCGenKit
import Testing

@Suite struct SchemaParserTests {
    static let valid = """
        package shop.v2;

        /// A colour.
        enum Colour {
            UNSPECIFIED = 0;
            DEEP_RED = 1;
        }

        /// An item.
        message Item {
            /// Its id.
            string item_id = 1;
            int64 price_minor = 2;
            Colour colour = 3;
            repeated string tags = 4;
            Price price = 5;
        }

        message Price {
            int64 amount_minor = 1;
        }

        service Catalog {
            /// Gets one item.
            idempotent rpc GetItem(Item) returns (Item);
            /// Every item after one.
            rpc ListItems(Item) returns (stream Item);
        }
        """

    @Test func parsesEveryDeclaration() throws {
        let file = try SchemaParser.parse(Self.valid, path: "shop.rpc").resolvingTypes
        #expect(file.package == "shop.v2")
        #expect(file.enums.first?.values.map(\.name) == ["UNSPECIFIED", "DEEP_RED"])
        let fields = try #require(file.messages.first?.fields)
        #expect(fields.map(\.number) == [1, 2, 3, 4, 5])
        #expect(fields[0].doc == ["Its id."])
        #expect(fields[2].type == .enumeration("Colour"))
        #expect(fields[3].isRepeated)
        #expect(fields[4].type == .message("Price"))
        #expect(file.services.first?.methods.first?.doc == ["Gets one item."])
        let methods = try #require(file.services.first?.methods)
        #expect(methods.map(\.isServerStreaming) == [false, true])
        #expect(methods.map(\.isIdempotent) == [true, false])
        #expect(methods[1].output == "Item")
    }

    @Test(arguments: [
        ("message A { string a = 1; }", "expected 'package'"),
        ("package p; message A { string a = 1 }", "expected ';'"),
        ("package p; message A { string a = 1; string b = 1; }", "used twice"),
        ("package p; message A { string a = 1; int64 a = 2; }", "declared twice"),
        ("package p; message A { Missing a = 1; }", "unknown type 'Missing'"),
        ("package p; message A { string a = 0; }", "outside 1..."),
        ("package p; message A { string a = 536870912; }", "outside 1..."),
        ("package p; message A { string camelCase = 1; }", "lower_snake_case"),
        ("package p; message a { }", "UpperCamelCase"),
        ("package p; enum E { ONE = 1; }", "must start with value 0"),
        ("package p; enum E { ZERO = 0; one = 1; }", "UPPER_SNAKE"),
        ("package p; message A { repeated int64 a = 1; }", "repeated is supported"),
        ("package p; service S { rpc M(Nope) returns (Nope); }", "unknown message 'Nope'"),
        ("package p; message A { } service S { rpc M(A) returns (stream Nope); }",
         "unknown message 'Nope'"),
        ("package p; message A { } service S { rpc M(stream A) returns (A); }",
         "client-streaming methods are not supported"),
        ("package p; message A { } service S { rpc M(A) returns (stream); }", "expected response type"),
        ("package p; message A { } service S { rpc M(A) returns (stream A A); }", "expected ')'"),
        ("package P.x;", "bad.rpc:1: package 'P.x' must be lower-case words"),
        ("package p; message A { string a = 1; } $", "unexpected character"),
        ("package p; message A {", "end of file"),
        ("package p; message A { string foo_1 = 1; string foo1 = 2; }", "same Swift or JSON name"),
        ("package p; enum E { A_1 = 0; A1 = 1; }", "same Swift case"),
        ("package p; enum E { ZERO = 0; UNRECOGNIZED = 1; }", "is reserved"),
        ("package p; message String { }", "reserved in the generated Swift"),
        ("package p; message Type { }", "reserved in the generated Swift"),
        ("package p; message CompactReader { }", "reserved in the generated Swift"),
        ("package a.v1; message AV1 { }", "the Swift namespace of package a.v1"),
        ("package p; message A { string self = 1; }", "would be the Swift property '`self`'"),
        ("package p; message A { string hash_value = 1; }", "would be the Swift property 'hashValue'"),
        ("package p; message A { bytes compact_bytes = 1; }", "'compactBytes'"),
        ("package p; message A { A next = 1; }", "contains itself"),
        ("package p; message A { B b = 1; } message B { A a = 1; }", "contains itself"),
    ])
    func rejectsBadSchemas(_ text: String, _ expected: String) {
        #expect {
            _ = try SchemaParser.parse(text, path: "bad.rpc")
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".hasPrefix("bad.rpc:")
        }
    }

    @Test func checkerErrorsCarryTheLineOfTheDeclaration() {
        let text = "package p;\n\nmessage A {\n  string a = 1;\n  string b = 1;\n}\n"
        #expect {
            _ = try SchemaParser.parse(text, path: "x.rpc")
        } throws: { "\($0)".hasPrefix("x.rpc:5: field number 1 is used twice") }
    }

    @Test func aNameDeclaredInTwoFilesOfOnePackageIsRefused() throws {
        let first = try SchemaParser.parse("package p;\nmessage A { }", path: "a.rpc")
        let second = try SchemaParser.parse("package p;\n\nmessage A { }", path: "b.rpc")
        let other = try SchemaParser.parse("package q;\nmessage A { }", path: "c.rpc")
        #expect {
            try RPCGenerator.checkNamesAcrossFiles([first, second])
        } throws: { "\($0)" == "b.rpc:3: 'p.A' is also declared in a.rpc" }
        try RPCGenerator.checkNamesAcrossFiles([first, other])
    }

    @Test func aMessageMayHoldItselfThroughARepeatedField() throws {
        _ = try SchemaParser.parse("package p; message A { repeated A children = 1; }", path: "t.rpc")
    }

    @Test func windowsLineEndingsParseLikeUnixOnes() throws {
        let unix = try SchemaParser.parse(Self.valid, path: "u.rpc")
        let windows = try SchemaParser.parse(
            Self.valid.replacingOccurrences(of: "\n", with: "\r\n"), path: "u.rpc")
        #expect(windows == unix)
        #expect(windows.messages.first?.fields.count == 5)
    }

    @Test func errorsCarryTheLineNumber() {
        let text = "package p;\n\nmessage A {\n  string a = 1\n}\n"
        #expect {
            _ = try SchemaParser.parse(text, path: "x.rpc")
        } throws: { "\($0)".hasPrefix("x.rpc:5:") }
    }

    /// A control or bidi character would reach the generated Swift through a doc comment,
    /// and break it or make it read other than it compiles: refused, naming the line.
    @Test(arguments: ["\u{07}", "\u{0}", "\u{7f}", "\u{202e}", "\u{2066}"])
    func controlAndBidiCharactersAreRefusedWithTheirLine(_ character: String) {
        let text = "package p;\n\n/// a doc\(character)comment\nmessage A { }\n"
        #expect {
            _ = try SchemaParser.parse(text, path: "x.rpc")
        } throws: {
            "\($0)".hasPrefix("x.rpc:3: the character U+") && "\($0)".hasSuffix("remove it")
        }
    }

    /// A tab is allowed, and a string literal of the generated code writes it as `\t`.
    @Test func aTabInADocCommentIsWrittenAsAnEscape() throws {
        let file = try SchemaParser.parse(
            "package p;\nmessage A { }\nservice S {\n/// a\tb\nrpc M(A) returns (A);\n}\n",
            path: "x.rpc"
        ).resolvingTypes
        #expect(file.services.first?.methods.first?.doc == ["a\tb"])
        let generated = RPCGenerator.generate([file])
        #expect(generated.contains { $0.contents.contains(#""a\tb""#) })
        // A raw tab only in doc comments, where Swift takes it.
        let lines = generated.flatMap { $0.contents.split(separator: "\n") }
        #expect(lines.filter { $0.contains("\t") }.allSatisfy {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("///")
        })
    }

    // MARK: `idempotent`

    @Test func idempotentMarksTheMethodItStarts() throws {
        let text = """
            package p;
            message A { bool idempotent = 1; }
            service S {
                /// Read only.
                idempotent rpc Get(A) returns (A);
                rpc Bump(A) returns (A);
                idempotent rpc Watch(A) returns (stream A);
            }
            """
        let file = try SchemaParser.parse(text, path: "p.rpc")
        let methods = try #require(file.services.first?.methods)
        #expect(methods.map(\.isIdempotent) == [true, false, true])
        #expect(methods[0].doc == ["Read only."])
        #expect(methods[0].line == 5)
        #expect(methods[2].isServerStreaming)
        // Only a keyword before `rpc`: a field may be called so.
        #expect(file.messages.first?.fields.first?.name == "idempotent")
    }

    /// `idempotent` anywhere but before `rpc`: the error points at the word, line and column.
    @Test(arguments: [
        ("service S {\n    rpc M(A) returns (A) idempotent;\n}", 2, 26),
        ("service S {\n    rpc idempotent M(A) returns (A);\n}", 2, 9),
        ("service S {\n    rpc M idempotent (A) returns (A);\n}", 2, 11),
        ("idempotent service S { }", 1, 1),
        ("message B {\n  idempotent string b = 1;\n}", 2, 3),
    ])
    func misplacedIdempotentNamesLineAndColumn(_ text: String, _ line: Int, _ column: Int) {
        let source = "package p; message A { }\n" + text
        #expect {
            _ = try SchemaParser.parse(source, path: "bad.rpc")
        } throws: { error in
            "\(error)"
                == "bad.rpc:\(line + 1):\(column): 'idempotent' marks a method and goes before "
                + "its 'rpc': idempotent rpc Name(Request) returns (Response);"
        }
    }

    @Test func idempotentTwiceIsRefusedAtTheSecond() {
        let text = "package p;\nmessage A { }\nservice S {\n  idempotent idempotent rpc M(A) returns (A);\n}"
        #expect {
            _ = try SchemaParser.parse(text, path: "bad.rpc")
        } throws: { "\($0)" == "bad.rpc:4:14: 'idempotent' is given twice; once before 'rpc' is enough" }
    }

    @Test func idempotentWithoutAMethodExpectsRPC() {
        #expect {
            _ = try SchemaParser.parse("package p;\nservice S {\n  idempotent\n}", path: "bad.rpc")
        } throws: { "\($0)" == "bad.rpc:4:1: expected 'rpc'" }
    }
}
