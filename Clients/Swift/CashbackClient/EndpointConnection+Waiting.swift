import H2
import NIOConcurrencyHelpers
import RPC

extension EndpointConnection.Availability {
    /// The connection `attempt` makes, waited for at most `timeout` (the call's deadline) and
    /// no longer than the waiting task is not cancelled: the attempt is shared by every call
    /// waiting on it, so one call giving up leaves it running for the others.
    ///
    /// - Throws: the attempt's error as ``RPCError``; DEADLINE_EXCEEDED when `timeout` passes
    ///   first; CANCELLED when the task is cancelled first.
    static func connection(
        from attempt: Task<H2ClientConnection, any Error>, endpoint: CashbackClient.Endpoint,
        within timeout: Duration?
    ) async throws(RPCError) -> H2ClientConnection {
        let race = OnceResult<H2ClientConnection>()
        do {
            return try await race.wait {
                Task { race.resume(with: await attempt.result) }
                if let timeout {
                    let timer = Task {
                        try await Task.sleep(for: timeout)
                        race.resume(
                            with: .failure(
                                RPCError(
                                    .deadlineExceeded,
                                    "the deadline passed while connecting to \(endpoint)")))
                    }
                    race.onResume { timer.cancel() }
                }
            }
        } catch {
            throw RPCError(clientFailure: error)
        }
    }
}

/// A result that the first of several tasks sets, for a waiter that may be cancelled.
private final class OnceResult<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var result: Result<Value, any Error>?
        var onResume: [@Sendable () -> Void] = []
    }

    private let state = NIOLockedValueBox(State())

    /// Runs `start` (which arranges for ``resume(with:)`` to be called), then waits for the
    /// first result, or for the waiting task's cancellation.
    func wait(_ start: () -> Void) async throws -> Value {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLockedValue { state -> Result<Value, any Error>? in
                    if let result = state.result { return result }
                    state.continuation = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) } else { start() }
            }
        } onCancel: {
            resume(with: .failure(CancellationError()))
        }
    }

    /// Sets the result, unless one is set already.
    func resume(with result: Result<Value, any Error>) {
        let (continuation, actions) = state.withLockedValue {
            state -> (CheckedContinuation<Value, any Error>?, [@Sendable () -> Void]) in
            guard state.result == nil else { return (nil, []) }
            state.result = result
            defer {
                state.continuation = nil
                state.onResume = []
            }
            return (state.continuation, state.onResume)
        }
        continuation?.resume(with: result)
        for action in actions { action() }
    }

    /// Runs `action` once a result is set (at once if it is).
    func onResume(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLockedValue { state in
            if state.result != nil { return true }
            state.onResume.append(action)
            return false
        }
        if now { action() }
    }
}
