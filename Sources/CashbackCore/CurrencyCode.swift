/// An ISO 4217 alphabetic currency code such as `EUR`, validated for shape.
///
/// Only the shape is checked (exactly three ASCII uppercase letters), not membership in the
/// ISO list: the list changes over time and a ledger must keep accepting the codes it already
/// holds. Minor-unit scale is the caller's concern; the ledger only ever stores integers.
///
/// ```swift
/// let euro = try CurrencyCode(validating: "EUR")
/// print(euro.rawValue)  // "EUR"
/// ```
public struct CurrencyCode: Hashable, Sendable, CustomStringConvertible {
    /// The three uppercase ASCII letters.
    public let rawValue: String

    /// Validates `rawValue` and wraps it.
    ///
    /// - Parameter rawValue: The candidate code, for example `"USD"`.
    /// - Throws: `LedgerRejection` with code `.invalidArgument` unless `rawValue` is exactly
    ///   three ASCII letters `A`...`Z`.
    public init(validating rawValue: String) throws(LedgerRejection) {
        // Byte-wise: "É" or a full-width "Ｅ" must not pass as a letter. The length is checked
        // first, so a hostile megabyte is refused without being scanned.
        let bytes = rawValue.utf8
        guard bytes.count == 3, bytes.allSatisfy(Self.isUppercaseASCII) else {
            throw LedgerRejection(
                .invalidArgument,
                "currency must be 3 ASCII uppercase letters (ISO 4217), got "
                    + FieldValidation.quoted(rawValue)
            )
        }
        self.rawValue = rawValue
        assert(self.rawValue.utf8.count == 3)
    }

    private static func isUppercaseASCII(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
    }

    /// The code itself, for example `EUR`.
    public var description: String {
        self.rawValue
    }
}

extension CurrencyCode: Codable {
    /// Reads the code from a single string, validating it.
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        try self.init(validating: raw)
    }

    /// Writes the code as a single string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}
