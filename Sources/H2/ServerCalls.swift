import NIOConcurrencyHelpers

/// Every handler task a server has started and that has not returned yet, whether or not its
/// stream or connection is still open: the server owns this work, and its shutdown waits for it
/// before the caller closes what the handlers use (the ledger).
///
/// A registry rather than a task group: the calls start on event loops, outside any async
/// scope, and handing each to a group's owner task would cost one more thread hop per call.
/// The guarantee is the same: nothing the server started runs after ``waitUntilIdle()``.
final class ServerCalls: Sendable {
    private struct State {
        var running: [UInt64: Task<Void, Never>] = [:]
        var nextID: UInt64 = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    /// Starts `body` as a task the server owns.
    func start(_ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        state.withLockedValue { state in
            let id = state.nextID
            state.nextID += 1
            let task = Task {
                await body()
                self.finished(id)
            }
            state.running[id] = task
            return task
        }
    }

    private func finished(_ id: UInt64) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.running[id] = nil
            guard state.running.isEmpty else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The handlers running now.
    var count: Int { state.withLockedValue { $0.running.count } }

    /// Cancels every running handler (the grace period is over).
    func cancelAll() {
        for task in state.withLockedValue({ Array($0.running.values) }) { task.cancel() }
    }

    /// Returns once no handler is running.
    func waitUntilIdle() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLockedValue { state in
                guard !state.running.isEmpty else { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}
