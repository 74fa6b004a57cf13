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
}
