/// The id policy, for fields that are ids but not part of a command type (a bare merchant id
/// in a query, say).
public enum Identifier {
    /// Checks that `value` is a valid identifier (see `FieldValidation.identifier`).
    ///
    /// ```swift
    /// try Identifier.validate("shop-1", field: "merchantId")
    /// ```
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming `field`.
    public static func validate(_ value: String, field: String) throws(LedgerRejection) {
        try FieldValidation.identifier(value, field: field)
    }
}

extension FieldValidation {
    /// Checks that `sku` (of element `index` of the list `field`) was not seen before in the
    /// list, byte-wise, and records it in `seen`.
    static func unique(
        _ sku: String,
        at index: Int,
        in seen: inout [[UInt8]: Int],
        field: String
    ) throws(LedgerRejection) {
        if let first = seen.updateValue(index, forKey: Array(sku.utf8)) {
            throw LedgerRejection(
                .invalidArgument,
                "\(field)[\(index)].sku '\(sku)' repeats \(field)[\(first)].sku; skus are unique "
                    + "within an order")
        }
    }
}

extension FieldValidation {
    /// Checks the `actor` (an identifier) and the `reason` (1...500 UTF-8 bytes) every admin
    /// action carries.
    static func adminAction(actor: String, reason: String) throws(LedgerRejection) {
        try Self.identifier(actor, field: "actor")
        try Self.text(reason, field: "reason", bytes: 1...LedgerLimits.reasonBytes.upperBound)
    }
}
