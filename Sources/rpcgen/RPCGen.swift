import ArgumentParser
import Foundation
import RPCGenKit

/// `rpcgen`: generates the Swift API and client stubs from the schema under `Protocol/`.
@main
struct RPCGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpcgen",
        abstract: "Generate Swift message types, service protocols and clients from .rpc files.")

    @Option(help: "The schema directory; a relative path is under --root.")
    var schema = "Protocol"

    @Option(help: "The repository root that generated paths are relative to.")
    var root = "."

    @Flag(help: "Write nothing; exit 1 when a generated file is missing, stale or orphaned.")
    var check = false

    func run() throws {
        let rootURL = URL(fileURLWithPath: root)
        let schemaPath =
            schema.hasPrefix("/") ? schema : rootURL.appendingPathComponent(schema).path
        let drift = try RPCGenerator.drift(schemaRoot: schemaPath, repositoryRoot: root)
        if !check {
            for file in drift.changed {
                let url = rootURL.appendingPathComponent(file.path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try file.contents.write(to: url, atomically: true, encoding: .utf8)
            }
            for path in drift.orphaned {
                try FileManager.default.removeItem(at: rootURL.appendingPathComponent(path))
            }
        }
        let verb = check ? "stale" : "updated"
        var report = "rpcgen: \(drift.changed.count + drift.orphaned.count) file(s) \(verb)\n"
        for file in drift.changed { report += "  \(file.path)\n" }
        for path in drift.orphaned { report += "  \(path) (no longer generated)\n" }
        FileHandle.standardError.write(Data(report.utf8))
        if check && !drift.isEmpty { throw ExitCode(1) }
    }
}
