/// A validated reference to one order of one merchant: the key of an accrual.
///
/// ```swift
/// let ref = try OrderReference(merchantID: "shop-1", orderID: "order-42")
/// ```
public struct OrderReference: Hashable, Sendable, CustomStringConvertible {
    /// The merchant that reported the order.
    public let merchantID: String
    /// The merchant's own id for the order.
    public let orderID: String

    /// Validates both ids against `LedgerLimits.identifierBytes`.
    ///
    /// - Parameters:
    ///   - merchantID: The merchant's id; an identifier (see `FieldValidation.identifier`).
    ///   - orderID: The order's id; an identifier (see `FieldValidation.identifier`).
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field at fault.
    public init(merchantID: String, orderID: String) throws(LedgerRejection) {
        try FieldValidation.identifier(merchantID, field: "merchantId")
        try FieldValidation.identifier(orderID, field: "orderId")
        self.merchantID = merchantID
        self.orderID = orderID
    }

    /// `order '<orderId>' of merchant '<merchantId>'`, for messages.
    public var description: String {
        "order '\(self.orderID)' of merchant '\(self.merchantID)'"
    }
}

extension AccrueCommand {
    /// The accrual key this command is idempotent on.
    public var orderReference: OrderReference {
        // Both ids were validated by this command's initializer, with the same limits.
        do {
            return try OrderReference(merchantID: self.merchantID, orderID: self.orderID)
        } catch {
            preconditionFailure("a validated command holds valid ids: \(error)")
        }
    }
}
