import CashbackClient
import NIOConcurrencyHelpers

/// The baseline's whole state: pending cashback per member account and the accruals booked so
/// far, in memory behind one lock. Nothing is durable and there is no pricing beyond one flat
/// rate: it measures grpc-swift-2's RPC stack, not a ledger (README.md).
///
/// ```swift
/// let ledger = InMemoryLedger(rateBasisPoints: 250)
/// let outcome = ledger.accrue(request)      // .booked, then .replayed for the same request
/// let pending = ledger.pendingMinorUnits(memberID: "m1", currency: "EUR")
/// ```
final class InMemoryLedger: Sendable {
    /// One member's account in one currency.
    struct AccountKey: Hashable {
        var memberID: String
        var currency: String
    }

    /// One order of one merchant: Accrue is idempotent on it.
    struct OrderKey: Hashable {
        var merchantID: String
        var orderID: String
    }

    /// What an Accrue did.
    enum AccrueOutcome: Equatable {
        /// The order was new: its cashback was credited as pending.
        case booked(CashbackV1.AccrueResponse)
        /// The same request came before: its first answer, nothing credited.
        case replayed(CashbackV1.AccrueResponse)
        /// The order was booked before with another member, amount or currency.
        case conflict
        /// The member's pending balance would pass `Int64.max`.
        case balanceOverflow
    }

    private struct Accrual {
        var request: CashbackV1.AccrueRequest
        var response: CashbackV1.AccrueResponse
    }

    private struct State {
        var pendingMinorUnits: [AccountKey: Int64] = [:]
        var accruals: [OrderKey: Accrual] = [:]
        var nextAccrualID: Int64 = 1
    }

    /// The share of every order credited, in basis points (250 = 2.5 %).
    let rateBasisPoints: Int64
    private let state = NIOLockedValueBox(State())

    /// Creates an empty ledger.
    ///
    /// - Parameter rateBasisPoints: the flat cashback rate, 0 to 10 000.
    init(rateBasisPoints: Int64) {
        precondition((0...10_000).contains(rateBasisPoints), "rate out of 0...10000 bps")
        self.rateBasisPoints = rateBasisPoints
    }

    /// The cashback an order of `amountMinorUnits` earns: the amount × the rate, rounded down.
    ///
    /// Split at 10 000 so that no product passes `Int64.max` (an amount is at most 10^15 and
    /// the rate at most 10^4, whose product would be 10^19).
    func cashbackMinorUnits(amountMinorUnits: Int64) -> Int64 {
        precondition(amountMinorUnits >= 0, "negative amount")
        let (whole, rest) = amountMinorUnits.quotientAndRemainder(dividingBy: 10_000)
        return whole * rateBasisPoints + rest * rateBasisPoints / 10_000
    }

    /// Books `request` once: credits its cashback as pending on the first call and answers
    /// the same response to a replay. The request must have been validated.
    func accrue(_ request: CashbackV1.AccrueRequest) -> AccrueOutcome {
        let order = OrderKey(merchantID: request.merchantID, orderID: request.orderID)
        let account = AccountKey(memberID: request.memberID, currency: request.currency)
        let cashback = cashbackMinorUnits(amountMinorUnits: request.amountMinor)
        return state.withLockedValue { state in
            if let first = state.accruals[order] {
                return first.request == request ? .replayed(first.response) : .conflict
            }
            let (pending, overflow) = state.pendingMinorUnits[account, default: 0]
                .addingReportingOverflow(cashback)
            guard !overflow else { return .balanceOverflow }
            let response = CashbackV1.AccrueResponse(
                accrualID: state.nextAccrualID, cashbackMinor: cashback, state: .pending,
                ruleVersion: 1)
            state.nextAccrualID += 1
            state.pendingMinorUnits[account] = pending
            state.accruals[order] = Accrual(request: request, response: response)
            return .booked(response)
        }
    }

    /// The pending cashback of a member's account; 0 for an account never credited.
    func pendingMinorUnits(memberID: String, currency: String) -> Int64 {
        let account = AccountKey(memberID: memberID, currency: currency)
        return state.withLockedValue { $0.pendingMinorUnits[account, default: 0] }
    }
}
