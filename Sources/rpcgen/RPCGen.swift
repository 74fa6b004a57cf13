import ArgumentParser
import Foundation
import RPCGenKit

/// `rpcgen`: generates the Swift API and client stubs from the schema under `Protocol/`.
@main
struct RPCGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpcgen",
        abstract: "Generate Swift message types, service protocols and clients from .rpc files.")

    @Option(help: "The schema directory.")
    var schema = "Protocol"

    @Option(help: "The repository root that generated paths are relative to.")
    var root = "."

    @Flag(help: "Write nothing; exit 1 when a generated file is missing or stale.")
    var check = false

    func run() throws {
        let files = RPCGenerator.generate(try RPCGenerator.loadSchema(root: schema))
        let rootURL = URL(fileURLWithPath: root)
        var stale: [String] = []
        for file in files {
            let url = rootURL.appendingPathComponent(file.path)
            let current = try? String(contentsOf: url, encoding: .utf8)
            guard current != file.contents else { continue }
            stale.append(file.path)
            if !check {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try file.contents.write(to: url, atomically: true, encoding: .utf8)
            }
        }
        let verb = check ? "stale" : "written"
        FileHandle.standardError.write(Data("rpcgen: \(stale.count) file(s) \(verb)\n".utf8))
        for path in stale { FileHandle.standardError.write(Data("  \(path)\n".utf8)) }
        if check && !stale.isEmpty { throw ExitCode(1) }
    }
}
