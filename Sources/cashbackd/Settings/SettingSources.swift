import ArgumentParser
import Configuration
import Foundation
import NIOConcurrencyHelpers
import RPC

/// Where `cashbackd serve` reads its settings, first to last: its flags, the environment
/// (`CASHBACKD_*`), then a JSON file (`--config FILE` or `CASHBACKD_CONFIG`). The first source
/// that sets a name wins; a name no source sets takes its default.
///
/// A name that is not a setting, in the environment or the file, is an error, as a misspelled
/// flag is: a setting an operator believes in force must never be silently ignored. So is a
/// value of the wrong type (`"CASHBACKD_MAX_CONNECTIONS=many"`).
struct SettingSources {
    /// What every environment variable of a setting starts with.
    static let environmentPrefix = "CASHBACKD_"
    /// The environment variable naming the JSON file, when `--config` does not.
    static let configFileVariable = "CASHBACKD_CONFIG"

    /// The settings given as flags, by name.
    var flags: [String: ConfigContent]
    /// The process's environment (only `CASHBACKD_*` is read).
    var environment: [String: String]
    /// `--config`, if given.
    var configFlag: String?

    /// The JSON file to read, from `--config` or else `CASHBACKD_CONFIG`.
    var configFile: String? {
        configFlag ?? environment[Self.configFileVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Reads every setting of `catalog` from the sources.
    ///
    /// - Throws: `ValidationError` naming the variable, key or value at fault and the fix.
    func resolve(_ catalog: [any AnySetting]) async throws -> ResolvedSettings {
        let environmentSettings = try settingsInEnvironment(catalog)
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                name: "flags",
                values: flags.reduce(into: [:]) { values, flag in
                    values[AbsoluteConfigKey([flag.key])] = ConfigValue(flag.value, isSecret: false)
                }),
            EnvironmentVariablesProvider(environmentVariables: environmentSettings),
        ]
        if let configFile {
            try Self.checkKeys(ofFile: configFile, against: catalog)
            let location = ConfigReader(
                provider: InMemoryProvider(values: [
                    "filePath": ConfigValue(.string(configFile), isSecret: false)
                ]))
            do {
                providers.append(try await FileProvider<JSONSnapshot>(config: location))
            } catch {
                throw ValidationError("cannot read the configuration file \(configFile): \(error)")
            }
        }
        let sources = providers.enumerated().map { index, provider in
            (provider.providerName, index)
        }
        let origins = Dictionary(sources, uniquingKeysWith: { first, _ in first })
        let reports = AccessRecorder()
        let reader = ConfigReader(providers: providers, accessReporter: reports)
        var resolved = ResolvedSettings()
        for setting in catalog {
            let value = setting.read(from: reader)
            let event = reports.event(for: setting.name)
            let answering = event?.providerResults.first { result in
                switch result.result {
                case .success(let lookup): lookup.value != nil
                case .failure: true
                }
            }
            let origin = answering.map { origins[$0.providerName] ?? 0 }
            let source: SettingSource =
                switch origin {
                case .none: .default
                case 0: .flag
                case 1: .environment(setting.environmentName)
                default: .file(configFile ?? "")
                }
            if event?.conversionError != nil || value == nil && origin != nil {
                throw ValidationError(
                    "\(source) sets \(setting.name) to a value that is not \(setting.configType.phrase)")
            }
            resolved.set(setting.name, to: value, from: source)
        }
        return resolved
    }

    /// The `CASHBACKD_*` variables without their prefix, once each is known to be a setting.
    private func settingsInEnvironment(_ catalog: [any AnySetting]) throws -> [String: String] {
        let known = Dictionary(catalog.map { ($0.environmentName, $0) }, uniquingKeysWith: { a, _ in a })
        var settings: [String: String] = [:]
        for (name, value) in environment
        where name.hasPrefix(Self.environmentPrefix) && name != Self.configFileVariable {
            guard known[name] != nil else {
                throw ValidationError(
                    "the environment variable \(name) is not a cashbackd setting"
                        + Self.suggestion(for: name, among: Array(known.keys) + [Self.configFileVariable])
                        + "; unset it, or see `cashbackd serve --help` for the settings")
            }
            settings[String(name.dropFirst(Self.environmentPrefix.count))] = value
        }
        return settings
    }

    /// Refuses a file that is not one JSON object of known names.
    private static func checkKeys(ofFile path: String, against catalog: [any AnySetting]) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError(
                "no configuration file at \(path): give the path of a JSON file to --config "
                    + "(or \(configFileVariable)), or leave it out")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot read the configuration file \(path): \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError(
                "the configuration file \(path) must hold one JSON object of settings, "
                    + "such as {\"listen\": \"127.0.0.1:50051\"}")
        }
        let settings = Dictionary(catalog.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for key in object.keys.sorted() {
            guard let setting = settings[key] else {
                throw ValidationError(
                    "the configuration file \(path) has the key \"\(key)\", which is not a "
                        + "setting" + suggestion(for: key, among: Array(settings.keys))
                        + "; its keys are the flags' names without the dashes")
            }
            // The file's reader would take `null` (for a setting that has a default), an object
            // or `true` for an integer as "not set" or as 1, silently: refused here instead,
            // naming the key. `null` leaves a setting without a default unset, as leaving the
            // key out does.
            let value = object[key]!
            if value is NSNull {
                guard setting.shownDefault != nil else { continue }
                throw ValidationError(
                    "the configuration file \(path) sets \(key) to null; leave the key out for "
                        + "its default")
            }
            guard matches(value, setting.configType) else {
                throw ValidationError(
                    "the configuration file \(path) sets \(key) to a value that is not "
                        + setting.configType.phrase)
            }
        }
    }

    /// Whether a value read from the file is of the setting's type. `JSONSerialization` gives
    /// numbers as `NSNumber`: `true` and `false` of type `c` (char), integers `i`, `l` or `q`,
    /// numbers written with a fraction or an exponent `d` (taken for an integer when whole:
    /// `300.0`, `1e3`, as the file's reader does).
    private static func matches(_ value: Any, _ type: ConfigType) -> Bool {
        let number = value as? NSNumber
        let kind = number.map { String(cString: $0.objCType) }
        switch type {
        case .int:
            if kind == "d", let number { return Int(exactly: number.doubleValue) != nil }
            return kind.map { ["i", "l", "q", "s"].contains($0) } ?? false
        case .bool: return kind == "c"
        case .stringArray: return value is [String]
        default: return value is String
        }
    }

    /// ` (did you mean CASHBACKD_LISTEN?)`, or empty.
    private static func suggestion(for name: String, among names: [String]) -> String {
        NearestName.find(name, among: names).map { " (did you mean \($0)?)" } ?? ""
    }
}

/// Where a setting's value came from, as `--print-config` and errors name it.
enum SettingSource: Equatable, CustomStringConvertible {
    case flag
    case environment(String)
    case file(String)
    case `default`

    var description: String {
        switch self {
        case .flag: "a flag"
        case .environment(let name): "the environment variable \(name)"
        case .file(let path): "the configuration file \(path)"
        case .default: "the default"
        }
    }

    /// `--print-config`'s column: `flag`, `env CASHBACKD_LISTEN`, `file PATH`, `default`.
    var short: String {
        switch self {
        case .flag: "flag"
        case .environment(let name): "env \(name)"
        case .file(let path): "file \(path)"
        case .default: "default"
        }
    }
}

/// The settings in force, with where each came from.
struct ResolvedSettings: Sendable {
    private var values: [String: any Sendable] = [:]
    private(set) var sources: [String: SettingSource] = [:]

    mutating func set(_ name: String, to value: (any Sendable)?, from source: SettingSource) {
        values[name] = value
        sources[name] = source
    }

    /// The value in force: what a source set, else the default.
    subscript<Value>(_ setting: Setting<Value>) -> Value {
        values[setting.name] as? Value ?? setting.defaultValue
    }

    /// One line per setting, `NAME  VALUE  SOURCE`, in catalog order: `--print-config`.
    func printed(_ catalog: [any AnySetting]) -> String {
        let rows = catalog.map { setting in
            let shown =
                values[setting.name].flatMap { ($0 as? any SettingValue)?.shown }
                ?? setting.shownDefault ?? "(not set)"
            return (setting.name, shown, (sources[setting.name] ?? .default).short)
        }
        let nameWidth = rows.map(\.0.count).max() ?? 0
        let valueWidth = rows.map(\.1.count).max() ?? 0
        return rows.map { name, value, source in
            name.padding(toLength: nameWidth + 2, withPad: " ", startingAt: 0)
                + value.padding(toLength: valueWidth + 2, withPad: " ", startingAt: 0) + source
        }.joined(separator: "\n") + "\n"
    }
}

/// Keeps the access report of each setting read, to tell which source answered.
private final class AccessRecorder: AccessReporter, Sendable {
    private let events = NIOLockedValueBox<[String: AccessEvent]>([:])

    func report(_ event: AccessEvent) {
        events.withLockedValue { $0[event.metadata.key.components.joined(separator: ".")] = event }
    }

    func event(for name: String) -> AccessEvent? {
        events.withLockedValue { $0[name] }
    }
}

extension ConfigType {
    /// `an integer`, for errors.
    var phrase: String {
        switch self {
        case .int: "an integer"
        case .bool: "true or false"
        case .stringArray: "a list of strings"
        default: "a string"
        }
    }
}
