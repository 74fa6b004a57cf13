import Foundation

/// Writes a target's seed corpus when the binary is started with `--write-seeds=DIR`
/// (`Fuzz/run.sh` does, before each run), so that the seeds follow the golden vectors of
/// `Protocol/vectors/compact-codec.json` instead of being a committed copy that goes stale.
///
/// libFuzzer ignores arguments that start with `--`; the binary reads them in
/// `LLVMFuzzerInitialize`, writes the seeds and exits.
enum SeedWriter {
    /// One golden vector: its message name and bytes.
    struct Vector {
        let name: String
        let message: String
        let bytes: [UInt8]
    }

    /// Writes `seeds(vectors)` into the `--write-seeds` folder and exits, when asked to.
    static func runIfAsked(_ seeds: ([Vector]) -> [(name: String, bytes: [UInt8])]) {
        let arguments = CommandLine.arguments
        guard let folder = value(of: "--write-seeds", in: arguments) else { return }
        let vectors = value(of: "--vectors", in: arguments).map(readVectors) ?? []
        let url = URL(fileURLWithPath: folder, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            let written = seeds(vectors)
            for seed in written {
                try Data(seed.bytes).write(to: url.appendingPathComponent("seed-\(seed.name)"))
            }
            print("wrote \(written.count) seeds to \(folder)")
            fflush(nil)
            // _exit, not exit: LeakSanitizer's exit-time check would count what Foundation
            // keeps for the life of the process, and fail.
            _exit(0)
        } catch {
            fatalError("cannot write seeds to \(folder): \(error)")
        }
    }

    private static func value(of flag: String, in arguments: [String]) -> String? {
        arguments.lazy.filter { $0.hasPrefix(flag + "=") }.map {
            String($0.dropFirst(flag.count + 1))
        }
        .first
    }

    /// Every vector of the file: `valid`, `decodeOnly` and `invalid` alike.
    private static func readVectors(_ path: String) -> [Vector] {
        guard let data = FileManager.default.contents(atPath: path),
            let file = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { fatalError("cannot read the golden vectors at \(path)") }
        var vectors: [Vector] = []
        for section in ["valid", "decodeOnly", "invalid"] {
            for case let entry as [String: Any] in file[section] as? [Any] ?? [] {
                guard let name = entry["name"] as? String,
                    let message = entry["message"] as? String,
                    let hex = entry["hex"] as? String, let bytes = bytes(hex: hex)
                else { fatalError("malformed vector in \(section) of \(path): \(entry)") }
                vectors.append(Vector(name: name, message: message, bytes: bytes))
            }
        }
        guard !vectors.isEmpty else { fatalError("no vectors in \(path)") }
        return vectors
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard
                let byte = UInt8(
                    String(decoding: digits[index...index + 1], as: UTF8.self),
                    radix: 16
                )
            else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
