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

    /// The exit status for a failed call: 64 + the gRPC code, as grpcurl does.
    static func exitCode(for error: RPCError) -> Int32 { 64 + Int32(error.code.rawValue) }

    mutating func print(_ text: String) {
        write(Array((text + "\n").utf8))
    }

    /// Writes `bytes` to standard output as they are (a frame for `encode`).
    mutating func write(_ bytes: [UInt8]) {
        if let writeOutput { writeOutput(bytes) } else { standardOutput += bytes }
    }

    mutating func fail(_ message: String, exitCode: Int32) {
        standardError += message + "\n"
        self.exitCode = exitCode
    }
}

/// A usage error: wrong words, missing flags.
struct ProbeUsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
