import H2
import NIOConcurrencyHelpers
import RPC

extension EndpointConnection {
    /// Every one of several connection attempts failed (``firstToConnect(_:within:deadline:endsTheWait:)``).
    struct AttemptsFailed: Error {
        /// Each attempt's error, in the attempts' order.
        var failures: [any Error]
    }

    /// The first of `attempts` to connect, as soon as it does, whatever the others are doing;
    /// waited for at most `timeout` (the call's deadline, one for all of them) and no longer
    /// than the waiting task is not cancelled. An attempt is shared by every call waiting on
    /// it, so one call giving up leaves it running for the others.
    ///
    /// - Parameters:
    ///   - deadline: what the DEADLINE_EXCEEDED error says.
    ///   - endsTheWait: whether a failure is every endpoint's, not this one's alone (a TLS file
    ///     that cannot be read): it ends the wait at once.
    /// - Returns: the index in `attempts` of the one that connected, and its connection.
    /// - Throws: the first failure that `endsTheWait`; ``AttemptsFailed`` once all have failed;
    ///   ``RPCError`` DEADLINE_EXCEEDED when `timeout` passes first; `CancellationError` when
    ///   the task is cancelled first.
    static func firstToConnect(
        _ attempts: [Task<H2ClientConnection, any Error>], within timeout: Duration?,
        deadline: String, endsTheWait: @escaping @Sendable (any Error) -> Bool
    ) async throws -> (index: Int, connection: H2ClientConnection) {
        precondition(!attempts.isEmpty, "no attempt to wait for")
        let race = OnceResult<(index: Int, connection: H2ClientConnection)>()
        let failures = NIOLockedValueBox([(any Error)?](repeating: nil, count: attempts.count))
        return try await race.wait {
            for (index, attempt) in attempts.enumerated() {
                Task {
                    switch await attempt.result {
                    case .success(let connection):
                        race.resume(with: .success((index, connection)))
                    case .failure(let error) where endsTheWait(error):
                        race.resume(with: .failure(error))
                    case .failure(let error):
                        let all = failures.withLockedValue { failures -> [any Error]? in
                            failures[index] = error
                            let all = failures.compactMap { $0 }
                            return all.count == failures.count ? all : nil
                        }
                        if let all { race.resume(with: .failure(AttemptsFailed(failures: all))) }
                    }
                }
            }
            if let timeout {
                let timer = Task {
                    try await Task.sleep(for: timeout)
                    race.resume(with: .failure(RPCError(.deadlineExceeded, deadline)))
                }
                race.onResume { timer.cancel() }
            }
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
