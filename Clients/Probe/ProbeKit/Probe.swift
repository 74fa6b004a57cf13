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
            if ProbeOptions.exitCode(for: error) == .success {
                // `ParsableArguments` help has the options only: add the verbs, examples and
                // exit statuses (the configuration's usage and discussion).
                result.print(ProbeOptions.help())
            } else {
                // Not parsed yet: the format is read from the words themselves.
                result.fail(
                    .usage(
                        ProbeOptions.message(for: error),
                        text: ProbeOptions.fullMessage(for: error)),
                    format: OutputFormat.requested(in: arguments))
            }
            return result
        }
        let recorder = options.verbose ? VerboseRecorder() : nil
        var failure: ProbeFailure?
        do {
            try await Invocation(options: options, standardInput: standardInput, recorder: recorder)
                .run(&result)
        } catch let error as ProbeUsageError {
            failure = .usage(error.message)
        } catch let error as RPCError {
            failure = .status(error)
        } catch {
            failure = .other("\(error)")
        }
        // An invalid --format is itself the usage error, reported as text.
        let format = (try? OutputFormat(flag: options.format)) ?? .text
        // What went over the wire first, then how it ended.
        for call in recorder?.calls ?? [] {
            result.standardError += format == .json ? call.json() + "\n" : call.text()
        }
        if let failure { result.fail(failure, format: format) }
        return result
    }
}
