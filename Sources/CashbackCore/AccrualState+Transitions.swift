/// Something that happens to an accrual after it was created.
public enum AccrualEvent: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The merchant confirmed the order: pending cashback becomes available.
    case confirm
    /// The merchant cancelled the order: pending cashback is reversed.
    case cancel

    /// The event's name, as it appears in logs.
    public var description: String {
        switch self {
        case .confirm: "confirm"
        case .cancel: "cancel"
        }
    }
}

/// What the caller must do with an accrual after an event: the answer of the state machine.
public enum AccrualTransitionAction: Sendable, Hashable {
    /// Move the accrual to the given state and book the money that moves with it.
    case transition(to: AccrualState)
    /// The accrual is already where the event would put it: a replay. Write nothing and
    /// answer with the record as it is.
    case alreadyInState
    /// Refuse the event; write nothing.
    case reject(LedgerRejection)
}

extension AccrualState {
    /// The accrual state machine: what to do when `event` happens in this state.
    ///
    /// A pure function over values; the store carries the action out in a transaction.
    ///
    /// | state \ event | confirm                      | cancel                       |
    /// |---------------|------------------------------|------------------------------|
    /// | pending       | transition(to: .confirmed)   | transition(to: .cancelled)   |
    /// | confirmed     | alreadyInState               | reject(.cancelAfterConfirm)  |
    /// | cancelled     | reject(.confirmAfterCancel)  | alreadyInState               |
    ///
    /// ```swift
    /// AccrualState.pending.action(on: .confirm)  // .transition(to: .confirmed)
    /// ```
    ///
    /// - Parameter event: What happened to the accrual.
    /// - Returns: The action the caller must carry out.
    public func action(on event: AccrualEvent) -> AccrualTransitionAction {
        switch (self, event) {
        case (.pending, .confirm):
            return .transition(to: .confirmed)
        case (.pending, .cancel):
            return .transition(to: .cancelled)
        case (.confirmed, .confirm), (.cancelled, .cancel):
            return .alreadyInState
        case (.cancelled, .confirm):
            return .reject(
                LedgerRejection(
                    .confirmAfterCancel,
                    "the accrual was cancelled; it cannot be confirmed"
                )
            )
        case (.confirmed, .cancel):
            return .reject(
                LedgerRejection(
                    .cancelAfterConfirm,
                    "the accrual was confirmed; it cannot be cancelled: refund it with "
                        + "Accruals/Adjust {fullRefund: true}"
                )
            )
        }
    }
}
