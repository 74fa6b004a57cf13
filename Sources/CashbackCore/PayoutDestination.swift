/// Where a withdrawal is paid: a card, an e-wallet or a phone number.
///
/// The account is personal data: `masked` is what answers and log lines show, and the
/// account is never used as an id.
///
/// ```swift
/// let card = try PayoutDestination(kind: .card, account: "4111111111111111")
/// print(card.masked)  // "************1111": all but the last four characters hidden
/// ```
public struct PayoutDestination: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The kind of destination; raw values go on the wire.
    public enum Kind: UInt8, Hashable, Sendable, Codable, CaseIterable {
        /// A payment card number: 12 to 19 digits passing the Luhn check.
        case card = 1
        /// An e-wallet account: an identifier or an e-mail address, 3 to 128 bytes.
        case ewallet = 2
        /// A phone number in E.164: `+` and 8 to 15 digits.
        case phone = 3
    }

    /// The kind.
    public let kind: Kind
    /// The full account, as validated; never shown.
    public let account: String

    /// Validates the account for its kind.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming `destination.account`
    ///   (without echoing it).
    public init(kind: Kind, account: String) throws(LedgerRejection) {
        let bytes = Array(account.utf8)
        let digits = { (slice: ArraySlice<UInt8>) in
            slice.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        switch kind {
        case .card:
            guard (12...19).contains(bytes.count), digits(bytes[...]), Self.luhn(bytes) else {
                throw LedgerRejection(
                    .invalidArgument,
                    "destination.account must be a card number of 12 to 19 digits with a valid "
                        + "check digit (no spaces)")
            }
        case .phone:
            guard (9...16).contains(bytes.count), bytes.first == UInt8(ascii: "+"),
                digits(bytes.dropFirst()), bytes[1] != UInt8(ascii: "0")
            else {
                throw LedgerRejection(
                    .invalidArgument,
                    "destination.account must be a phone number in E.164: + and 8 to 15 digits, "
                        + "the first not 0")
            }
        case .ewallet:
            guard (3...LedgerLimits.identifierBytes.upperBound).contains(bytes.count) else {
                throw LedgerRejection(
                    .invalidArgument,
                    "destination.account must be 3 to \(LedgerLimits.identifierBytes.upperBound) "
                        + "UTF-8 bytes for an EWALLET, got \(bytes.count)")
            }
            try FieldValidation.identifier(account, field: "destination.account")
        }
        self.kind = kind
        self.account = account
    }

    /// The account with every character replaced by `*` but the last four, or fewer for a
    /// short account: at most as many as are hidden (`abcdef` → `****ef`), so that a short
    /// account is never mostly shown.
    public var masked: String {
        let characters = Array(self.account)
        let shown = min(4, max(0, characters.count - 4))
        return String(repeating: "*", count: characters.count - shown)
            + String(characters.suffix(shown))
    }

    /// `KIND masked`, for logs.
    public var description: String {
        "\(self.kind) \(self.masked)"
    }

    /// The Luhn check of a string of ASCII digits.
    private static func luhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (offset, byte) in digits.reversed().enumerated() {
            var digit = Int(byte - UInt8(ascii: "0"))
            if offset % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }
}
