import ArgumentParser
import CashbackClient
import Foundation

/// The `cashback-probe` tool: health, list, describe, call (JSON in and out), encode, decode
/// and bench (a load run).
///
/// ```swift
/// let result = await Probe.run(["--plaintext", "127.0.0.1:50051", "health"])
/// // result.standardOutput == "SERVING\n"
/// ```
public enum Probe {
    /// Runs the probe with command-line `arguments` (without the program name).
    ///
    /// - Parameter writeOutput: where standard output goes as it is printed (the messages of
    ///   a streaming call as they arrive); `nil` collects it in the result's `standardOutput`.
    public static func run(
        _ arguments: [String], standardInput: @escaping () -> [UInt8] = { [] },
        writeOutput: (@Sendable ([UInt8]) -> Void)? = nil
    ) async
        -> ProbeResult
    {
        var result = ProbeResult()
        result.writeOutput = writeOutput
        // `ParsableArguments` has no built-in --version (only a command's `main()` has).
        if arguments == ["--version"] {
            result.print(CashbackRelease.version)
            return result
        }
        let options: ProbeOptions
        do {
            options = try ProbeOptions.parse(arguments)
        } catch {
            let code = ProbeOptions.exitCode(for: error)
            let message = ProbeOptions.fullMessage(for: error)
            if code == .success {
                // `ParsableArguments` help has the options only: add the verbs, examples and
                // exit statuses (the configuration's usage and discussion).
                result.print(ProbeOptions.help())
            } else {
                result.fail(message, exitCode: 2)
            }
            return result
        }
        do {
            try await Invocation(options: options, standardInput: standardInput).run(&result)
        } catch let error as ProbeUsageError {
            result.fail("usage: \(error.message)\n\n\(ProbeOptions.usage)", exitCode: 2)
        } catch let error as RPCError {
            result.fail("\(error.code.name): \(error.message)", exitCode: ProbeResult.exitCode(for: error))
        } catch {
            result.fail("error: \(error)", exitCode: 1)
        }
        return result
    }
}
