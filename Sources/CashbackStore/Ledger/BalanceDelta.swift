/// A signed change to a member's materialized balance.
struct BalanceDelta: Hashable, Sendable {
    /// Change of `pending_minor`.
    var pendingMinorUnits: Int64 = 0
    /// Change of `available_minor`.
    var availableMinorUnits: Int64 = 0
    /// Change of `lifetime_minor`.
    var lifetimeMinorUnits: Int64 = 0
    /// Change of `debt_minor`.
    var debtMinorUnits: Int64 = 0
    /// Change of `reserved_minor`.
    var reservedMinorUnits: Int64 = 0
    /// Change of `spent_minor` (gross: only redemptions raise it, nothing lowers it).
    var spentMinorUnits: Int64 = 0
    /// Change of `withdrawn_minor`.
    var withdrawnMinorUnits: Int64 = 0
    /// Change of `expired_minor`.
    var expiredMinorUnits: Int64 = 0
}
