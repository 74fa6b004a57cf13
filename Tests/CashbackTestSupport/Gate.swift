/// A gate a test opens once: tasks wait on it without sleeping.
public final class Gate: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Opens the gate for every waiter, present and future.
    public func open() { continuation.finish() }

    /// Waits until the gate is open (or the task is cancelled).
    public func wait() async {
        for await _ in stream {}
    }
}
