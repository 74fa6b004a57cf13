/// Where an accrual is in its lifecycle: pending → confirmed | cancelled.
///
/// The raw values go on the wire and into the database; they are fixed and never renumbered.
///
/// ```swift
/// AccrualState(rawValue: 2)  // .confirmed
/// ```
public enum AccrualState: UInt8, Sendable, Hashable, CaseIterable, Codable,
    CustomStringConvertible
{
    /// Reported by the merchant; the cashback counts as pending and cannot be spent.
    case pending = 1
    /// Confirmed after the return window; the cashback is available to the member.
    case confirmed = 2
    /// The order was cancelled or returned; the pending cashback was reversed.
    case cancelled = 3

    /// The state's name, as it appears in logs.
    public var description: String {
        switch self {
        case .pending: "pending"
        case .confirmed: "confirmed"
        case .cancelled: "cancelled"
        }
    }
}
