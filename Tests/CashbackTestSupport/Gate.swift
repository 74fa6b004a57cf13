import Synchronization

/// A gate a test opens once: tasks wait on it without sleeping.
public final class Gate: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let opened = Atomic<Bool>(false)

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Opens the gate for every waiter, present and future.
    public func open() {
        opened.store(true, ordering: .sequentiallyConsistent)
        continuation.finish()
    }

    /// Whether the gate has been opened.
    public var isOpen: Bool { opened.load(ordering: .sequentiallyConsistent) }

    /// Waits until the gate is open, or the waiting task is cancelled.
    public func wait() async {
        for await _ in stream {}
    }
}
