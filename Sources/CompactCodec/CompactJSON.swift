import Foundation

// The JSON mapping of messages (`Protocol/WIRE.md`, "JSON mapping"): field names in lower camel
// case, int64 as JSON numbers (strings holding a decimal integer are accepted too), enums by
// name, bytes as base64. Generated `Codable` conformances call these helpers so that every
// message follows the same rules; unknown keys are an error, because a misspelt field silently
// taking its default is how money goes to the wrong place.

/// A coding key that is any string: generated conformances name their fields with it.
public struct CompactJSONKey: CodingKey, Hashable, Sendable {
    public let stringValue: String
    public var intValue: Int? { nil }

    /// Creates a key for a JSON field name.
    public init(_ stringValue: String) { self.stringValue = stringValue }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// An enum's JSON form: the value's name in the schema.
public protocol CompactJSONEnum: CompactEnum {
    /// Creates the case named `jsonName`, or `nil` when the schema has no such value.
    init?(jsonName: String)
    /// The value's name in the schema; unrecognized values have none.
    var jsonName: String? { get }
}

extension KeyedDecodingContainer where K == CompactJSONKey {
    /// Throws when the object holds a key that is not one of `known`.
    public func rejectUnknownKeys(_ known: Set<String>, in message: String) throws {
        for key in allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self,
                debugDescription: "\(message) has no field \"\(key.stringValue)\"")
        }
    }

    /// Decodes a string field, or `nil` when absent or null.
    public func decodeCompactString(_ name: String) throws -> String? {
        try decodeIfPresent(String.self, forKey: CompactJSONKey(name))
    }

    /// Decodes a bool field.
    public func decodeCompactBool(_ name: String) throws -> Bool? {
        try decodeIfPresent(Bool.self, forKey: CompactJSONKey(name))
    }

    /// Decodes an integer field given as a JSON number or as a string holding a decimal integer.
    public func decodeCompactInteger<T: FixedWidthInteger & Decodable>(
        _ type: T.Type, _ name: String
    ) throws -> T? {
        let key = CompactJSONKey(name)
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let number = try? decode(T.self, forKey: key) { return number }
        if let text = try? decode(String.self, forKey: key), isDecimalInteger(text),
            let number = T(text, radix: 10)
        {
            return number
        }
        throw DecodingError.dataCorruptedError(
            forKey: key, in: self,
            debugDescription: "\"\(name)\" must be an integer in \(T.min)...\(T.max)")
    }

    /// Decodes an enum field given by name (or by number, for values this schema lacks).
    public func decodeCompactEnum<E: CompactJSONEnum>(_ type: E.Type, _ name: String) throws -> E?
    {
        let key = CompactJSONKey(name)
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let text = try? decode(String.self, forKey: key), let value = E(jsonName: text) {
            return value
        }
        if let number = try? decode(UInt32.self, forKey: key) { return E(rawValue: number) }
        throw DecodingError.dataCorruptedError(
            forKey: key, in: self, debugDescription: "\"\(name)\" is not a value of its enum")
    }

    /// Decodes a bytes field given as base64 (padded or not).
    public func decodeCompactBytes(_ name: String) throws -> [UInt8]? {
        let key = CompactJSONKey(name)
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        var padded = text
        while padded.utf8.count % 4 != 0 { padded += "=" }
        guard let data = Data(base64Encoded: padded) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "\"\(name)\" is not base64")
        }
        return Array(data)
    }
}

extension KeyedEncodingContainer where K == CompactJSONKey {
    /// Encodes an enum by name, or by number when the schema has no name for it.
    public mutating func encodeCompactEnum(_ value: some CompactJSONEnum, _ name: String) throws {
        if let jsonName = value.jsonName {
            try encode(jsonName, forKey: CompactJSONKey(name))
        } else {
            try encode(value.rawValue, forKey: CompactJSONKey(name))
        }
    }

    /// Encodes bytes as base64 with padding.
    public mutating func encodeCompactBytes(_ value: [UInt8], _ name: String) throws {
        try encode(Data(value).base64EncodedString(), forKey: CompactJSONKey(name))
    }
}

/// Digits, after a minus sign for a negative value (`T(_:radix:)` alone also takes a plus sign).
private func isDecimalInteger(_ text: String) -> Bool {
    let digits = text.utf8.dropFirst(text.hasPrefix("-") ? 1 : 0)
    return !digits.isEmpty && digits.allSatisfy { (0x30...0x39).contains($0) }
}
