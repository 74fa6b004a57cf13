// Foundation only for NFC (`precomposedStringWithCanonicalMapping`): the standard library
// compares strings by canonical equivalence but does not expose a normalizer. Keep the import
// in this file.
import Foundation

/// Shared checks for the validating initializers of commands.
///
/// Each check names the field as it appears on the wire (`memberId`, not `memberID`) so a
/// caller can find it in its own request.
enum FieldValidation {
    /// Checks that `value` is an identifier: a merchant, order or member id, or any other key
    /// the ledger compares byte for byte.
    ///
    /// The policy (`Protocol/WIRE.md` §4.1) is to refuse, never to normalize silently: two ids
    /// that look alike must not name two merchants, and an id must not change between what the
    /// caller sent and what the ledger stored. An identifier
    /// - is within `LedgerLimits.identifierBytes` UTF-8 bytes (checked first, so a hostile
    ///   megabyte is refused without a scan);
    /// - contains no control character (Cc), format character (Cf: U+200B, U+200D, U+2060,
    ///   U+FEFF, bidi controls...), whitespace (the Unicode White_Space property: U+0020,
    ///   U+00A0, U+2028, U+3000...), noncharacter (U+FDD0...U+FDEF, U+xFFFE, U+xFFFF),
    ///   private-use character (Co) or unassigned code point (Cn, as of the Unicode version of
    ///   the Swift runtime); the first such code point is named;
    /// - is in Unicode Normalization Form C (NFC), compared byte for byte.
    ///
    /// ```swift
    /// try FieldValidation.identifier("caf\u{E9}", field: "merchantId")  // accepted
    /// try FieldValidation.identifier("cafe\u{301}", field: "merchantId")  // refused: not NFC
    /// ```
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field, the offending
    ///   code point and the fix.
    static func identifier(_ value: String, field: String) throws(LedgerRejection) {
        try Self.byteCount(value, field: field, bytes: LedgerLimits.identifierBytes)
        for scalar in value.unicodeScalars {
            if let refused = RefusedInIdentifier(scalar) {
                throw LedgerRejection(
                    .invalidArgument,
                    "\(field) must not contain \(refused.kind), found U+\(Self.hex(scalar.value))"
                        + refused.fix
                )
            }
        }
        try Self.normalizationFormC(value, field: field)
    }

    /// Checks that `value` is within `bytes` UTF-8 bytes and free of control characters.
    ///
    /// For display text such as a merchant's name: any other character is allowed, and the text
    /// is kept exactly as sent.
    static func text(
        _ value: String,
        field: String,
        bytes: ClosedRange<Int>
    ) throws(LedgerRejection) {
        try Self.byteCount(value, field: field, bytes: bytes)
        // C0, DEL and C1 (general category Cc): they break logs and hide differences between
        // values that look equal on screen.
        if let control = value.unicodeScalars.first(where: {
            $0.properties.generalCategory == .control
        }) {
            throw LedgerRejection(
                .invalidArgument,
                "\(field) must not contain control characters, found U+\(Self.hex(control.value))"
            )
        }
    }

    /// Checks that `value` lies in `range`, whose unit the caller names in `unit`.
    static func integer(
        _ value: Int64,
        field: String,
        range: ClosedRange<Int64>,
        unit: String
    ) throws(LedgerRejection) {
        guard range.contains(value) else {
            throw LedgerRejection(
                .invalidArgument,
                "\(field) must be \(range.lowerBound)...\(range.upperBound) \(unit), got \(value)"
            )
        }
    }

    /// `value` as a quoted, escaped literal for a message, cut after 16 characters: a hostile
    /// caller must not be able to put a megabyte or a terminal escape into a log line.
    static func quoted(_ value: String) -> String {
        let limit = 16
        let head = String(value.unicodeScalars.prefix(limit))
        let cut = value.unicodeScalars.count > limit ? "…" : ""
        return head.debugDescription + cut
    }

    // MARK: Internals

    /// Refuses a length outside `bytes`, counted in UTF-8 bytes (what the store and the wire
    /// hold), not in characters.
    private static func byteCount(
        _ value: String,
        field: String,
        bytes: ClosedRange<Int>
    ) throws(LedgerRejection) {
        let byteCount = value.utf8.count
        guard bytes.contains(byteCount) else {
            throw LedgerRejection(
                .invalidArgument,
                "\(field) must be \(bytes.lowerBound)...\(bytes.upperBound) UTF-8 bytes, "
                    + "got \(byteCount)"
            )
        }
    }

    /// Refuses `value` unless it is in NFC, byte for byte. Swift's `==` cannot tell: it
    /// compares by canonical equivalence, so `"caf\u{E9}" == "cafe\u{301}"`.
    private static func normalizationFormC(
        _ value: String,
        field: String
    ) throws(LedgerRejection) {
        // Below U+0300 every scalar is NFC and starts no composition: nothing to normalize.
        guard value.unicodeScalars.contains(where: { $0.value >= 0x300 }) else { return }
        let normalized = value.precomposedStringWithCanonicalMapping
        guard !value.utf8.elementsEqual(normalized.utf8) else { return }
        // Name the run that differs: the scalars between the common prefix and suffix.
        let sent = Array(value.unicodeScalars)
        let nfc = Array(normalized.unicodeScalars)
        var prefix = 0
        while prefix < min(sent.count, nfc.count) && sent[prefix] == nfc[prefix] {
            prefix += 1
        }
        var suffix = 0
        while suffix < min(sent.count, nfc.count) - prefix
            && sent[sent.count - 1 - suffix] == nfc[nfc.count - 1 - suffix]
        {
            suffix += 1
        }
        let found = sent[prefix..<(sent.count - suffix)]
        let expected = nfc[prefix..<(nfc.count - suffix)]
        throw LedgerRejection(
            .invalidArgument,
            "\(field) must be in Unicode NFC (normalize it before sending); found "
                + "\(Self.codePoints(found)), which NFC writes as \(Self.codePoints(expected))"
        )
    }

    /// `U+0065 U+0301`, cut after eight code points.
    private static func codePoints(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        let limit = 8
        let shown = scalars.prefix(limit).map { "U+\(Self.hex($0.value))" }
        return shown.joined(separator: " ") + (scalars.count > limit ? " …" : "")
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// The kinds of code point an identifier must not contain.
private enum RefusedInIdentifier {
    case control, format, whitespace, noncharacter, privateUse, unassigned

    /// The kind of `scalar`, or `nil` when it may appear in an identifier. Checked in this
    /// order because the categories overlap: tab and U+0085 are both Cc and White_Space, and
    /// noncharacters are Cn.
    init?(_ scalar: Unicode.Scalar) {
        // Printable ASCII other than the space: the common case, decided without a lookup.
        if scalar.value > 0x20 && scalar.value < 0x7F { return nil }
        let properties = scalar.properties
        let category = properties.generalCategory
        if category == .control {
            self = .control
        } else if category == .format {
            self = .format
        } else if properties.isWhitespace {
            self = .whitespace
        } else if properties.isNoncharacterCodePoint {
            self = .noncharacter
        } else if category == .privateUse {
            self = .privateUse
        } else if category == .unassigned {
            self = .unassigned
        } else {
            return nil
        }
    }

    /// The kind, as the object of "must not contain".
    var kind: String {
        switch self {
        case .control: "control characters"
        case .format: "invisible format characters (Unicode category Cf)"
        case .whitespace: "whitespace"
        case .noncharacter: "noncharacters"
        case .privateUse: "private-use characters (Unicode category Co)"
        case .unassigned: "unassigned code points (Unicode category Cn)"
        }
    }

    /// What the caller should do, appended to the message. Control characters keep the
    /// message they have always had (shared with display text), which already says it.
    var fix: String {
        switch self {
        case .control: ""
        case .whitespace: "; remove it, or write '-' or '_' instead"
        case .format, .noncharacter, .privateUse, .unassigned: "; remove it"
        }
    }
}
