import RPC

/// What a probe run produced: bytes for standard output, text for standard error, and the exit
/// status. Kept in memory so that tests can check all three.
public struct ProbeResult: Sendable {
    public var standardOutput: [UInt8] = []
    /// Where printed lines go as they are printed (a streaming call's messages, say), instead
    /// of ``standardOutput``; `nil` keeps them in memory.
    var writeOutput: (@Sendable ([UInt8]) -> Void)?
    public var standardError = ""
    public var exitCode: Int32 = 0

    mutating func print(_ text: String) {
        write(Array((text + "\n").utf8))
    }

    /// Writes `bytes` to standard output as they are (a frame for `encode`).
    mutating func write(_ bytes: [UInt8]) {
        if let writeOutput { writeOutput(bytes) } else { standardOutput += bytes }
    }

    /// Reports `failure` on standard error in `format`, and exits with its status.
    mutating func fail(_ failure: ProbeFailure, format: OutputFormat) {
        switch format {
        case .text: standardError += failure.text + "\n"
        case .json: standardError += JSONLine.encode(["error": failure]) + "\n"
        }
        exitCode = failure.exitCode
    }
}

/// A run that failed, as the probe reports it: `--format json` prints it as
/// `{"error":{"code":"NOT_FOUND","grpcCode":5,"message":"…","exitCode":69}}`.
struct ProbeFailure: Encodable, Equatable {
    /// The gRPC status's name (`NOT_FOUND`), `USAGE` for a usage error, `ERROR` for another
    /// failure.
    let code: String
    /// The gRPC status's number; `nil` (left out of the JSON) unless a call failed.
    let grpcCode: Int?
    let message: String
    /// 64 + the gRPC code for a failed call (as grpcurl), 2 for a usage error, 1 otherwise.
    let exitCode: Int32
    /// The text format's form (`NOT_FOUND: …`, `usage: …` and the usage lines).
    let text: String

    private enum CodingKeys: String, CodingKey {
        case code, grpcCode, message, exitCode
    }

    /// A usage error: wrong words or flags, or a request found wrong before anything is sent.
    ///
    /// - Parameter text: the text form, when not `usage: message` and the usage lines.
    static func usage(_ message: String, text: String? = nil) -> ProbeFailure {
        ProbeFailure(
            code: "USAGE", grpcCode: nil, message: message, exitCode: 2,
            text: text ?? "usage: \(message)\n\n\(ProbeOptions.usage)")
    }

    /// A call that ended with `error`'s status.
    static func status(_ error: RPCError) -> ProbeFailure {
        ProbeFailure(
            code: error.code.name, grpcCode: error.code.rawValue, message: error.message,
            exitCode: 64 + Int32(error.code.rawValue), text: "\(error.code.name): \(error.message)")
    }

    /// Any other failure (a TLS file that cannot be read, say).
    static func other(_ message: String) -> ProbeFailure {
        ProbeFailure(
            code: "ERROR", grpcCode: nil, message: message, exitCode: 1, text: "error: \(message)")
    }
}

/// A usage error: wrong words, missing flags.
struct ProbeUsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
