/// Shared checks for the validating initializers of commands.
///
/// Each check names the field as it appears on the wire (`memberId`, not `memberID`) so a
/// caller can find it in its own request.
enum FieldValidation {
    /// Checks that `value` is an identifier: within `LedgerLimits.identifierBytes` UTF-8 bytes
    /// and free of control characters.
    static func identifier(_ value: String, field: String) throws(LedgerRejection) {
        try Self.text(value, field: field, bytes: LedgerLimits.identifierBytes)
    }

    /// Checks that `value` is within `bytes` UTF-8 bytes and free of control characters.
    static func text(
        _ value: String,
        field: String,
        bytes: ClosedRange<Int>
    ) throws(LedgerRejection) {
        // Counted in UTF-8 bytes, not characters: that is what the store and the wire hold.
        let byteCount = value.utf8.count
        guard bytes.contains(byteCount) else {
            throw LedgerRejection(
                .invalidArgument,
                "\(field) must be \(bytes.lowerBound)...\(bytes.upperBound) UTF-8 bytes, "
                    + "got \(byteCount)"
            )
        }
        // C0, DEL and C1 (general category Cc): they break logs and hide differences between
        // ids that look equal on screen.
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

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
