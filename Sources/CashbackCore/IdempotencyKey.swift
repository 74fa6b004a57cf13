/// The caller's key for one mutating command: the same key with the same payload is a replay
/// that answers the first response; the same key with another payload is refused
/// (`idempotencyConflict`). Keys are scoped by method and kept forever.
///
/// ```swift
/// let key = try IdempotencyKey(validating: "7f9c2ba4-e88f-11ee-a0b4-0242ac120002")
/// ```
public struct IdempotencyKey: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The key as sent.
    public let rawValue: String

    /// Validates `rawValue` as an identifier (1...128 UTF-8 bytes, see `FieldValidation`).
    ///
    /// - Parameters:
    ///   - rawValue: The key.
    ///   - field: The field's name on the wire, for the message.
    /// - Throws: `LedgerRejection` with code `.invalidArgument`.
    public init(validating rawValue: String, field: String = "idempotencyKey")
        throws(LedgerRejection)
    {
        try FieldValidation.identifier(rawValue, field: field)
        self.rawValue = rawValue
    }

    /// The key itself.
    public var description: String {
        self.rawValue
    }
}
