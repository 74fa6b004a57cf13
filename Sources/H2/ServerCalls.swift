import NIOConcurrencyHelpers
import Synchronization

/// Every handler task a server has started and that has not returned yet, whether or not its
/// stream or connection is still open: the server owns this work, and its shutdown waits for it
/// before the caller closes what the handlers use (the ledger).
///
/// A count rather than a task group: the calls start on event loops, outside any async scope,
/// and handing each to a group's owner task would cost one more thread hop per call. The
/// guarantee is the same: nothing the server started runs after ``waitUntilIdle()``.
///
/// A count rather than a table of tasks, too: starting and finishing a call is one atomic
/// operation each, no lock. Cancellation needs no table: a handler's task is cancelled by its
/// connection when its stream ends (reset, deadline, close) or the connection closes, and the
/// server's shutdown waits for every connection to close before it waits here.
final class ServerCalls: Sendable {
    /// Handlers started and not yet returned.
    private let running = Atomic<Int>(0)
    /// Shutdown's waits for ``running`` to reach 0.
    private let idleWaiters = NIOLockedValueBox<[CheckedContinuation<Void, Never>]>([])

    /// Starts `body` as a task the server owns, preferring `executor` (its connection's event
    /// loop). The task starts right away on the calling thread (`Task.immediate`), so a body
    /// that never suspends has run to completion when this returns.
    func start(
        on executor: EventLoopTaskExecutor, _ body: @escaping @Sendable () async -> Void
    ) -> Task<Void, Never> {
        running.add(1, ordering: .relaxed)
        if #available(macOS 26.0, *) {
            return Task.immediate(executorPreference: executor) {
                await body()
                self.finished()
            }
        }
        return Task(executorPreference: executor) {
            await body()
            self.finished()
        }
    }

    private func finished() {
        let left = running.subtract(1, ordering: .acquiringAndReleasing).newValue
        assert(left >= 0, "call accounting went negative")
        guard left == 0 else { return }
        let waiters = idleWaiters.withLockedValue { waiters -> [CheckedContinuation<Void, Never>] in
            // A call started since: the next one to finish wakes the waiters.
            guard running.load(ordering: .acquiring) == 0 else { return [] }
            defer { waiters = [] }
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The handlers running now.
    var count: Int { running.load(ordering: .acquiring) }

    /// Returns once no handler is running.
    func waitUntilIdle() async {
        await withCheckedContinuation { continuation in
            let idle = idleWaiters.withLockedValue { waiters in
                guard running.load(ordering: .acquiring) != 0 else { return true }
                waiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}
