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
    /// ArgumentParser's message for `error`; for a number option given a negative value, which
    /// it takes for another option (`--max-time -1`: "Missing value"), one that says so.
    static func parseErrorMessage(_ error: any Error, arguments: [String]) -> String {
        let message = ProbeOptions.message(for: error)
        guard message.hasPrefix("Missing value for '") else { return message }
        for (index, word) in arguments.enumerated().dropLast()
        where word.hasPrefix("-") && message.contains("'\(word) ") {
            let value = arguments[index + 1]
            if value.hasPrefix("-"), value.dropFirst().first?.isNumber == true {
                return "\(word) takes a positive value, got \(value)"
            }
        }
        return message
    }

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
        let options: ProbeOptions
        do {
            options = try ProbeOptions.parse(arguments)
        } catch {
            if ProbeOptions.exitCode(for: error) == .success {
                // `ParsableArguments` help has the options only: add the verbs, examples and
                // exit statuses (the configuration's usage and discussion).
                result.print(ProbeOptions.help())
            } else {
                // Not parsed yet: the format is read from the words themselves. The tool's
                // own usage follows (ArgumentParser's would name it after the options type).
                result.fail(
                    .usage(Self.parseErrorMessage(error, arguments: arguments)),
                    format: OutputFormat.requested(in: arguments))
            }
            return result
        }
        // `ParsableArguments` has no built-in --version (only a command's `main()` has).
        if options.version {
            result.print(CashbackRelease.version)
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
