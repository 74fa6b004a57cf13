/// Where a withdrawal is: reserved until the payout worker completes or fails it, once.
///
/// The raw values go on the wire and into the database; they are fixed.
public enum WithdrawalState: UInt8, Hashable, Sendable, Codable, CaseIterable,
    CustomStringConvertible
{
    /// Requested: the amount is reserved.
    case reserved = 1
    /// Paid out: the amount is withdrawn.
    case completed = 2
    /// The payout failed: the amount went back to available.
    case failed = 3

    /// The state's name, as it appears in logs.
    public var description: String {
        switch self {
        case .reserved: "reserved"
        case .completed: "completed"
        case .failed: "failed"
        }
    }
}
