import CashbackCore
import Testing

@Suite("AccrualState.action(on:)")
struct AccrualStateTransitionsTests {
    /// The whole table: every state × every event, with the expected action.
    static let table: [(AccrualState, AccrualEvent, AccrualTransitionAction)] = [
        (.pending, .confirm, .transition(to: .confirmed)),
        (.pending, .cancel, .transition(to: .cancelled)),
        (.confirmed, .confirm, .alreadyInState),
        (
            .confirmed, .cancel,
            .reject(
                LedgerRejection(
                    .cancelAfterConfirm,
                    "the accrual was confirmed; it cannot be cancelled: refund it with "
                        + "Accruals/Adjust {fullRefund: true}"
                )
            )
        ),
        (
            .cancelled, .confirm,
            .reject(
                LedgerRejection(
                    .confirmAfterCancel,
                    "the accrual was cancelled; it cannot be confirmed"
                )
            )
        ),
        (.cancelled, .cancel, .alreadyInState),
    ]

    @Test("every state and event", arguments: Self.table)
    func action(state: AccrualState, event: AccrualEvent, expected: AccrualTransitionAction) {
        #expect(state.action(on: event) == expected)
    }

    @Test("the table covers every pair")
    func coverage() {
        let covered = Set(Self.table.map { "\($0.0)-\($0.1)" })
        #expect(covered.count == AccrualState.allCases.count * AccrualEvent.allCases.count)
    }

    @Test("replaying an event after its transition is idempotent")
    func replayAfterTransition() {
        for event in AccrualEvent.allCases {
            guard case .transition(to: let next) = AccrualState.pending.action(on: event) else {
                Issue.record("pending must move on \(event)")
                continue
            }
            #expect(next.action(on: event) == .alreadyInState)
        }
    }

    @Test("no event leads back to pending")
    func pendingIsInitialOnly() {
        for state in AccrualState.allCases {
            for event in AccrualEvent.allCases {
                #expect(state.action(on: event) != .transition(to: .pending))
            }
        }
    }
}
