import NIOCore

/// A `TaskExecutor` that runs a task's jobs on one NIO event loop, so that a handler task
/// started with it as its executor preference runs where its request arrived.
///
/// NIO 2.101's `EventLoop` is a `SerialExecutor` (for actors), not a `TaskExecutor`: a job
/// handed to its `enqueue` runs as isolated to the loop's serial executor, and the runtime
/// then does not know that the task already sits on its preferred executor, so the next
/// nonisolated `await` would hop again. Here each job runs with
/// `runSynchronously(on: asUnownedTaskExecutor())`, which records this executor as the
/// current task executor for the job's duration (as NIO's own `ManualTaskExecutor` in
/// NIOTestUtils does), so nonisolated code keeps running on the loop without a hop.
///
/// A handler task with this preference that never suspends runs to completion on the loop;
/// one that awaits something elsewhere (a GRDB read on GRDB's queue) leaves the loop once and
/// comes back once, when its continuation is enqueued here. Nothing that blocks may run in
/// such a task: it would block every connection of the loop (ARCHITECTURE.md, "One unary
/// call").
///
/// Clients use it too: `CashbackClient.taskExecutor` runs a caller's tasks on the loop of the
/// client's connection, so a call made from such a task starts and completes without a hop.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop the jobs run on.
    public let eventLoop: any EventLoop

    /// An executor for `eventLoop`.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // From the loop itself `execute` only appends to its task queue; from another thread
        // (a continuation resumed by GRDB's queue) it also wakes the loop.
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
