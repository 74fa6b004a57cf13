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
}
