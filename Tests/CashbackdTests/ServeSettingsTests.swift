import ArgumentParser
import Foundation
import RPC
import Testing

@testable import cashbackd

/// `cashbackd serve`'s settings: one name in flags, the environment and the file; flags win
/// over the environment, the environment over the file, the file over the default; unknown
/// names and values of the wrong type are errors that name them.
@Suite("Serve settings")
struct ServeSettingsTests {
    /// A JSON configuration file in a fresh temporary folder.
    static func configFile(_ json: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("cashbackd-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("cashbackd.json")
        try Data(json.utf8).write(to: file)
        return file.path
    }

    /// The settings `cashbackd serve ARGUMENTS` has with `environment`.
    static func resolve(_ arguments: [String], environment: [String: String] = [:]) async throws
        -> ResolvedSettings
    {
        let serve = try Serve.parse(arguments)
        return try await serve.resolvedSettings(environment: environment)
    }

    /// The message of the `ValidationError` that resolving throws.
    static func refusal(_ arguments: [String], environment: [String: String] = [:]) async -> String? {
        do {
            _ = try await resolve(arguments, environment: environment)
            return nil
        } catch let error as ValidationError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    struct PrecedenceCase: Sendable, CustomTestStringConvertible {
        let flag: Int?
        let environment: Int?
        let file: Int?
        let expected: Int
        let source: SettingSource
        var testDescription: String { "flag \(flag as Any), env \(environment as Any), file \(file as Any)" }
    }

    @Test(
        "The first source that sets a name wins: flag, environment, file, default",
        arguments: [
            PrecedenceCase(flag: 11, environment: 22, file: 33, expected: 11, source: .flag),
            PrecedenceCase(flag: nil, environment: 22, file: 33, expected: 22,
                           source: .environment("CASHBACKD_MAX_CONNECTIONS")),
            PrecedenceCase(flag: nil, environment: nil, file: 33, expected: 33, source: .file("")),
            PrecedenceCase(flag: 11, environment: nil, file: 33, expected: 11, source: .flag),
            PrecedenceCase(flag: nil, environment: nil, file: nil, expected: 1024, source: .default),
        ])
    func precedence(_ example: PrecedenceCase) async throws {
        let path = try Self.configFile(
            example.file.map { "{\"max-connections\": \($0)}" } ?? "{}")
        var arguments = ["--config", path]
        if let flag = example.flag { arguments += ["--max-connections", String(flag)] }
        var environment = ["PATH": "/usr/bin"]
        if let value = example.environment { environment["CASHBACKD_MAX_CONNECTIONS"] = String(value) }
        let settings = try await Self.resolve(arguments, environment: environment)
        #expect(settings[ServeSettings.maxConnections] == example.expected)
        let source = settings.sources["max-connections"]
        if case .file = example.source {
            #expect(source == .file(path))
        } else {
            #expect(source == example.source)
        }
    }

    @Test("Every type reads from the environment and the file")
    func types() async throws {
        let path = try Self.configFile(
            """
            {"plaintext": true, "currency-withdrawal-minimum": ["JPY=1000", "EUR=500"],
             "tls-handshake-timeout": 7}
            """)
        let fromFile = try await Self.resolve(["--config", path])
        #expect(fromFile[ServeSettings.plaintext])
        #expect(fromFile[ServeSettings.currencyWithdrawalMinimum] == ["JPY=1000", "EUR=500"])
        #expect(fromFile[ServeSettings.tlsHandshakeTimeout] == 7)
        #expect(fromFile[ServeSettings.tlsCert] == nil)

        let fromEnvironment = try await Self.resolve(
            ["--config", path],
            environment: [
                "CASHBACKD_PLAINTEXT": "false", "CASHBACKD_CURRENCY_WITHDRAWAL_MINIMUM": "GBP=200",
                "CASHBACKD_TLS_CERT": "/etc/cashbackd/cert.pem",
            ])
        #expect(!fromEnvironment[ServeSettings.plaintext])
        #expect(fromEnvironment[ServeSettings.currencyWithdrawalMinimum] == ["GBP=200"])
        #expect(fromEnvironment[ServeSettings.tlsCert] == "/etc/cashbackd/cert.pem")

        // --no-plaintext overrides a file that asks for cleartext.
        let overridden = try await Self.resolve(["--config", path, "--no-plaintext"])
        #expect(!overridden[ServeSettings.plaintext])
        #expect(overridden.sources["plaintext"] == .flag)
    }

    @Test("Whole numbers in any JSON form are integers; null leaves an optional setting unset")
    func wholeNumbersAndNull() async throws {
        let path = try Self.configFile(
            "{\"max-connections\": 300.0, \"tls-handshake-timeout\": 1e1, \"tls-cert\": null}")
        let settings = try await Self.resolve(["--config", path])
        #expect(settings[ServeSettings.maxConnections] == 300)
        #expect(settings[ServeSettings.tlsHandshakeTimeout] == 10)
        #expect(settings[ServeSettings.tlsCert] == nil)
    }

    @Test("CASHBACKD_CONFIG names the file when --config does not")
    func configFromEnvironment() async throws {
        let path = try Self.configFile("{\"database\": \"/var/lib/cashback.sqlite\"}")
        let settings = try await Self.resolve([], environment: ["CASHBACKD_CONFIG": path])
        #expect(settings[ServeSettings.database] == "/var/lib/cashback.sqlite")
        #expect(settings.sources["database"] == .file(path))
    }

    struct RefusalCase: Sendable, CustomTestStringConvertible {
        let file: String?
        let environment: [String: String]
        let expected: [String]
        var testDescription: String { expected[0] }
    }

    @Test(
        "Unknown names and values of the wrong type are refused with the name and the fix",
        arguments: [
            RefusalCase(
                file: nil, environment: ["CASHBACKD_MAX_CONECTIONS": "3"],
                expected: [
                    "the environment variable CASHBACKD_MAX_CONECTIONS is not a cashbackd setting",
                    "did you mean CASHBACKD_MAX_CONNECTIONS?",
                ]),
            RefusalCase(
                file: nil, environment: ["CASHBACKD_MAX_CONNECTIONS": "many"],
                expected: [
                    "the environment variable CASHBACKD_MAX_CONNECTIONS sets max-connections to a "
                        + "value that is not an integer"
                ]),
            RefusalCase(
                file: "{\"max-mesage-bytes\": 2048}", environment: [:],
                expected: [
                    "has the key \"max-mesage-bytes\", which is not a setting",
                    "did you mean max-message-bytes?",
                ]),
            RefusalCase(
                file: "{\"max-message-bytes\": \"big\"}", environment: [:],
                expected: ["sets max-message-bytes to a value that is not an integer"]),
            RefusalCase(
                file: "{\"plaintext\": \"yes please\"}", environment: [:],
                expected: ["sets plaintext to a value that is not true or false"]),
            RefusalCase(
                file: "[\"listen\"]", environment: [:],
                expected: ["must hold one JSON object of settings"]),
            RefusalCase(
                file: "{\"config\": \"other.json\"}", environment: [:],
                expected: ["has the key \"config\", which is not a setting"]),
            RefusalCase(
                file: "{\"max-connections\": {\"value\": 5}}", environment: [:],
                expected: ["sets max-connections to a value that is not an integer"]),
            RefusalCase(
                file: "{\"max-connections\": true}", environment: [:],
                expected: ["sets max-connections to a value that is not an integer"]),
            RefusalCase(
                file: "{\"max-connections\": 5.5}", environment: [:],
                expected: ["sets max-connections to a value that is not an integer"]),
            RefusalCase(
                file: "{\"listen\": null}", environment: [:],
                expected: ["sets listen to null; leave the key out for its default"]),
            RefusalCase(
                file: "{\"plaintext\": 1}", environment: [:],
                expected: ["sets plaintext to a value that is not true or false"]),
            RefusalCase(
                file: "{\"currency-withdrawal-minimum\": [\"JPY=1000\", 5]}", environment: [:],
                expected: [
                    "sets currency-withdrawal-minimum to a value that is not a list of strings"
                ]),
        ])
    func refusals(_ example: RefusalCase) async throws {
        var arguments: [String] = []
        if let file = example.file { arguments = ["--config", try Self.configFile(file)] }
        let message = try #require(await Self.refusal(arguments, environment: example.environment))
        for part in example.expected {
            #expect(message.contains(part), "\(message)")
        }
    }

    @Test("A missing configuration file is named")
    func missingFile() async throws {
        let message = await Self.refusal(["--config", "/nonexistent/cashbackd.json"])
        #expect(message?.hasPrefix("no configuration file at /nonexistent/cashbackd.json") == true)
    }

    @Test("Variables of other programs are left alone")
    func otherVariables() async throws {
        let settings = try await Self.resolve(
            [], environment: ["CASHBACKD": "/usr/bin/cashbackd", "LISTEN": "0.0.0.0:1", "HOME": "/root"])
        #expect(settings[ServeSettings.listen] == "127.0.0.1:50051")
    }

    @Test("A value set anywhere is checked as a flag is")
    func checksApplyToEverySource() async throws {
        let path = try Self.configFile("{\"max-message-bytes\": 10, \"plaintext\": true}")
        let settings = try await Self.resolve(["--config", path])
        #expect(throws: ValidationError.self) { try settings.serverConfiguration() }
        let good = try await Self.resolve(
            ["--config", path], environment: ["CASHBACKD_MAX_MESSAGE_BYTES": "4096"])
        #expect(try good.serverConfiguration().limits.messageBytesMax == 4096)
        let badFormat = try await Self.resolve(
            ["--plaintext"], environment: ["CASHBACKD_LOG_FORMAT": "yaml"])
        let refusal = #expect(throws: ValidationError.self) { try badFormat.serverConfiguration() }
        #expect(refusal?.message == "unknown --log-format 'yaml'; use text or json")
        let metrics = try await Self.resolve(
            ["--plaintext"], environment: ["CASHBACKD_METRICS_LISTEN": "127.0.0.1:9464"])
        #expect(try metrics.metricsAddress() == HostAndPort(host: "127.0.0.1", port: 9464))
    }

    @Test("--print-config lists every setting with its value and source")
    func printed() async throws {
        let settings = try await Self.resolve(
            ["--listen", "127.0.0.1:7000"], environment: ["CASHBACKD_WRITE_QUEUE_MAX": "20"])
        let lines = settings.printed(ServeSettings.all).split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
        #expect(lines.count == ServeSettings.all.count)
        #expect(lines.contains(["listen", "127.0.0.1:7000", "flag"]))
        #expect(lines.contains(["write-queue-max", "20", "env", "CASHBACKD_WRITE_QUEUE_MAX"]))
        #expect(lines.contains(["tls-cert", "(not", "set)", "default"]))
        #expect(lines.contains(["commit-mode", "group", "default"]))
    }

    @Test("The catalog has exactly the options of `cashbackd serve`, under the same names")
    func catalogMatchesTheFlags() throws {
        let help = Serve.helpMessage(columns: 10_000)
        let pattern = try Regex(#"--([a-z][a-z0-9-]*)"#)
        var flags = Set(help.matches(of: pattern).map { String($0.output[1].substring ?? "") })
        // The command's own flags, and the negations of boolean settings.
        flags.subtract(["config", "print-config", "help", "version"])
        flags.subtract(ServeSettings.all.filter { $0.configType == .bool }.map { "no-" + $0.name })
        #expect(flags == Set(ServeSettings.all.map(\.name)))
        #expect(Set(ServeSettings.all.map(\.name)).count == ServeSettings.all.count)
    }
}
