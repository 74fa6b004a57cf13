/// The pure part of an adjustment (a partial or full refund): which lines are left, and the
/// cashback they earn with the accrual's own rule version.
public enum Adjustment {
    /// The order's lines after `change`, or why the change cannot apply.
    ///
    /// - An order reported without lines takes `newAmount` or `fullRefund`; one reported with
    ///   lines takes `refundedLines` or `fullRefund` (`invalidArgument` otherwise).
    /// - A new amount above what is left, or a line refund above what the line has left, is
    ///   `adjustmentRefused`: an adjustment only lowers. A new amount equal to what is left
    ///   changes nothing.
    /// - A refunded sku that is not a line of the order is `invalidArgument`.
    public static func lines(
        after change: AdjustCommand.Change,
        of order: OrderPricingInput
    ) -> Result<[OrderLine], LedgerRejection> {
        var lines = order.lines
        switch change {
        case .fullRefund:
            for index in lines.indices {
                lines[index].refundedMinorUnits = lines[index].amountMinorUnits
            }
        case .newAmount(let amount):
            guard !order.hasReportedLines else {
                return .failure(
                    LedgerRejection(
                        .invalidArgument,
                        "the order was accrued with lines: send refundedLines or fullRefund, "
                            + "not newAmountMinor"))
            }
            let left = lines[0].remainingMinorUnits
            guard amount <= left else {
                return .failure(
                    LedgerRejection(
                        .adjustmentRefused,
                        "newAmountMinor \(amount) is above the eligible amount left, \(left); "
                            + "an adjustment only lowers it"))
            }
            lines[0].refundedMinorUnits = lines[0].amountMinorUnits - amount
        case .refundedLines(let refunds):
            guard order.hasReportedLines else {
                return .failure(
                    LedgerRejection(
                        .invalidArgument,
                        "the order was accrued without lines: send newAmountMinor or "
                            + "fullRefund, not refundedLines"))
            }
            for (position, refund) in refunds.enumerated() {
                guard
                    let index = lines.firstIndex(where: {
                        $0.sku.utf8.elementsEqual(refund.sku.utf8)
                    })
                else {
                    return .failure(
                        LedgerRejection(
                            .invalidArgument,
                            "refundedLines[\(position)].sku '\(refund.sku)' is not a line of "
                                + "the order"))
                }
                let left = lines[index].remainingMinorUnits
                guard refund.amountMinorUnits <= left else {
                    return .failure(
                        LedgerRejection(
                            .adjustmentRefused,
                            "refundedLines[\(position)] refunds \(refund.amountMinorUnits) of "
                                + "line '\(refund.sku)', which has \(left) left"))
                }
                lines[index].refundedMinorUnits += refund.amountMinorUnits
            }
        }
        return .success(lines)
    }

    /// The explanation after an adjustment: the order priced again with its own rules, with
    /// the cashback never above `currentCashbackMinorUnits` (nor the commission above
    /// `currentCommissionMinorUnits`).
    public static func reprice(
        _ order: OrderPricingInput,
        rules: RuleSet,
        version: Int64,
        commissionBasisPoints: Int64,
        currentCashbackMinorUnits: Int64,
        currentCommissionMinorUnits: Int64
    ) -> PricingExplanation {
        var explanation = Pricing.price(
            order, rules: rules, version: version, commissionBasisPoints: commissionBasisPoints)
        if explanation.cashbackMinorUnits > currentCashbackMinorUnits {
            explanation.cashbackMinorUnits = currentCashbackMinorUnits
            explanation.keptByAdjustment = true
        }
        // Commission is monotone in the eligible amount, so this never binds; it is stated so
        // that no rounding subtlety can ever raise what the store owes.
        explanation.commissionMinorUnits = min(
            explanation.commissionMinorUnits, currentCommissionMinorUnits)
        explanation.marginMinorUnits =
            explanation.commissionMinorUnits - explanation.cashbackMinorUnits
        return explanation
    }
}
