import Configuration

/// One setting of `cashbackd serve`, under one name everywhere: the flag `--NAME`, the
/// environment variable `CASHBACKD_NAME` (upper case, `-` as `_`) and the key `NAME` of the
/// `--config` JSON file.
struct Setting<Value: SettingValue>: Sendable {
    /// The name, as the flag spells it without its dashes: `max-message-bytes`.
    let name: String
    /// What the setting is when nothing sets it; `nil` for an optional setting left unset.
    let defaultValue: Value

    init(_ name: String, default defaultValue: Value) {
        self.name = name
        self.defaultValue = defaultValue
    }

    /// ` (default: 300)`, for the flag's help; empty for a setting without a default.
    var defaultNote: String {
        defaultValue.shown.map { " (default: \($0))" } ?? ""
    }
}

/// What every setting has, whatever the type of its value: what the catalog, the checks for
/// unknown names and `--print-config` need.
protocol AnySetting: Sendable {
    var name: String { get }
    /// The type swift-configuration reads the value as.
    var configType: ConfigType { get }
    /// The default as `--print-config` shows it; `nil`: unset.
    var shownDefault: String? { get }
    /// Reads the value through `reader` (so that its access report says where it came from):
    /// the value, or `nil` when no source sets it.
    func read(from reader: ConfigReader) -> (any Sendable)?
}

extension Setting: AnySetting {
    var configType: ConfigType { Value.configType }
    var shownDefault: String? { defaultValue.shown }

    func read(from reader: ConfigReader) -> (any Sendable)? {
        Value.read(ConfigKey(name), from: reader)
    }
}

extension AnySetting {
    /// `CASHBACKD_MAX_MESSAGE_BYTES` for `max-message-bytes`.
    var environmentName: String {
        SettingSources.environmentPrefix + name.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}

/// A type a setting's value can have: read through a `ConfigReader`, written as a flag's
/// value, shown by `--print-config`.
protocol SettingValue: Sendable {
    /// The type swift-configuration reads the value as.
    static var configType: ConfigType { get }
    /// The value at `key`, `nil` when no source has it (or it has the wrong type: the access
    /// report says which).
    static func read(_ key: ConfigKey, from reader: ConfigReader) -> Self?
    /// The value as a configuration source holds it; `nil` for an unset optional.
    var content: ConfigContent? { get }
    /// The value as `--print-config` shows it; `nil` for an unset optional.
    var shown: String? { get }
}

extension Int: SettingValue {
    static var configType: ConfigType { .int }
    static func read(_ key: ConfigKey, from reader: ConfigReader) -> Int? { reader.int(forKey: key) }
    var content: ConfigContent? { .int(self) }
    var shown: String? { String(self) }
}

extension String: SettingValue {
    static var configType: ConfigType { .string }
    static func read(_ key: ConfigKey, from reader: ConfigReader) -> String? {
        reader.string(forKey: key)
    }
    var content: ConfigContent? { .string(self) }
    var shown: String? { self }
}

extension Bool: SettingValue {
    static var configType: ConfigType { .bool }
    static func read(_ key: ConfigKey, from reader: ConfigReader) -> Bool? { reader.bool(forKey: key) }
    var content: ConfigContent? { .bool(self) }
    var shown: String? { String(self) }
}

extension [String]: SettingValue {
    static var configType: ConfigType { .stringArray }
    static func read(_ key: ConfigKey, from reader: ConfigReader) -> [String]? {
        reader.stringArray(forKey: key)
    }
    var content: ConfigContent? { .stringArray(self) }
    var shown: String? { "[" + joined(separator: ", ") + "]" }
}

extension Optional: SettingValue where Wrapped: SettingValue {
    static var configType: ConfigType { Wrapped.configType }
    static func read(_ key: ConfigKey, from reader: ConfigReader) -> Wrapped?? {
        Wrapped.read(key, from: reader).map { .some($0) }
    }
    var content: ConfigContent? { self?.content }
    var shown: String? { self?.shown }
}
