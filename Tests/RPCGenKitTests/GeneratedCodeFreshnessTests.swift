import Foundation
import RPCGenKit
import Testing

/// CI fails while a checked-in generated file differs from what the schema generates.
@Suite struct GeneratedCodeFreshnessTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func generatedFilesMatchTheSchema() throws {
        let drift = try RPCGenerator.drift(
            schemaRoot: Self.repositoryRoot.appendingPathComponent("Protocol").path,
            repositoryRoot: Self.repositoryRoot.path)
        #expect(
            drift.changed.map(\.path).isEmpty,
            "stale generated files: run `make generate` and commit the result")
        #expect(drift.orphaned.isEmpty, "orphaned generated files: run `make generate`")
    }

    /// A file that differs only in Unicode normalization is stale: compared as strings it
    /// would pass, and `make generate` would never rewrite it.
    @Test func aFileThatDiffersOnlyInNormalizationIsStale() throws {
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("rpcgen-drift-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }
        // The schema, with one doc comment in composed form (é as one scalar).
        let schema = temporary.appendingPathComponent("Protocol")
        try FileManager.default.copyItem(
            at: Self.repositoryRoot.appendingPathComponent("Protocol/cashback"),
            to: schema.appendingPathComponent("cashback"))
        let accruals = schema.appendingPathComponent("cashback/v1/accruals.rpc")
        let text = try String(contentsOf: accruals, encoding: .utf8)
        try text.replacingOccurrences(
            of: "/// Never sent by the server.", with: "/// Never sent by the server (caf\u{E9}).",
            options: .literal
        ).write(to: accruals, atomically: true, encoding: .utf8)
        // Generated files as the schema says, but that one decomposed (e and a combining accent).
        let files = RPCGenerator.generate(try RPCGenerator.loadSchema(root: schema.path))
        for file in files {
            let url = temporary.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let decomposed = file.contents.replacingOccurrences(
                of: "caf\u{E9}", with: "cafe\u{301}", options: .literal)
            try Data(decomposed.utf8).write(to: url)
        }
        let drift = try RPCGenerator.drift(schemaRoot: schema.path, repositoryRoot: temporary.path)
        #expect(!drift.changed.isEmpty)
        #expect(drift.changed.allSatisfy { $0.contents.contains("caf\u{E9}") })
    }

    /// A schema path that is not there (rpcgen run from another folder) or holds no `.rpc`
    /// file is an error: generating from it would find every generated file orphaned, and
    /// `rpcgen` would delete them all.
    @Test(arguments: ["missing", "empty"])
    func noSchemaIsAnErrorNotAnEmptySchema(_ folder: String) throws {
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("rpcgen-empty-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }
        try FileManager.default.createDirectory(
            at: temporary.appendingPathComponent("empty"), withIntermediateDirectories: true)
        #expect {
            _ = try RPCGenerator.drift(
                schemaRoot: temporary.appendingPathComponent(folder).path,
                repositoryRoot: Self.repositoryRoot.path)
        } throws: { error in
            let message = "\(error)"
            return folder == "missing"
                ? message.contains("no schema directory here; run rpcgen from the repository root")
                : message.contains("no .rpc file in the schema directory")
        }
    }

    /// `a/b.rpc` and `a.b.rpc` would both generate `a.b.swift`.
    @Test func twoSchemaFilesWithOneOutputNameAreRefused() throws {
        let first = try SchemaParser.parse("package a;\nmessage M { }", path: "a/b.rpc")
        let second = try SchemaParser.parse("package a;\nmessage B { }", path: "a.b.rpc")
        #expect {
            try RPCGenerator.checkOutputNames([first, second])
        } throws: {
            "\($0)" == "a.b.rpc:0: generates a.b.swift, as a/b.rpc does; rename one of them"
        }
        // Only the suffix goes: a folder named `x.rpc` stays in the name.
        let third = try SchemaParser.parse("package c;\nmessage M { }", path: "x.rpc/c.rpc")
        let files = RPCGenerator.generate([third]).map(\.path)
        #expect(files.contains("\(RPCGenerator.apiDirectory)/x.rpc.c.swift"))
    }
}
