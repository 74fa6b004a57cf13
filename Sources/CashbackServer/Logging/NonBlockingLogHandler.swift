import Foundation
import Logging
import NIOConcurrencyHelpers

/// A swift-log handler that never blocks the thread that logs: an event loop that logs a line
/// only formats it and queues it; a thread of its own writes the queue to the file descriptor.
///
/// `StreamLogHandler` writes on the caller's thread, so a standard error that nobody reads (a
/// full pipe, a stopped terminal) would stall the event loop that logged, and every connection
/// on it. Here the queue is bounded (``LogSink/capacityBytes``): when it is full, new lines are
/// dropped and counted, and the writer reports how many once it can write again.
///
/// The line format is ``LogFormat/text`` (`StreamLogHandler`'s: `TIME LEVEL LABEL: KEY=VALUE…
/// [SOURCE] MESSAGE`) unless ``LogFormat/json`` is asked for (one JSON object per line).
///
/// ```swift
/// let sink = LogSink(fileDescriptor: STDERR_FILENO)
/// LoggingSystem.bootstrap { label in NonBlockingLogHandler(label: label, sink: sink, format: .json) }
/// ```
public struct NonBlockingLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let sink: LogSink
    private let format: LogFormat

    /// A handler for the logger `label` that queues its lines, in `format`, to `sink`.
    public init(label: String, sink: LogSink, format: LogFormat = .text) {
        self.label = label
        self.sink = sink
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        let frame = LogLine.Frame(
            format: format, level: event.level, label: label, message: "\(event.message)",
            source: event.source)
        let fields = merged.sorted { $0.key < $1.key }
        sink.enqueue { buffer in
            var line = LogLine(frame, into: buffer)
            for (key, value) in fields { line.append(key, value) }
            return line.finish(frame)
        }
    }
}

/// The queues between the threads that log and the one that writes.
///
/// Each thread that logs has a queue of its own (a ``LogBuffer`` and a lock nobody else takes
/// but the writer, once per batch): it writes its lines there in place, and two event loops
/// logging at once never wait for each other. The writer thread wakes when a line arrives in
/// an empty queue, lets more gather for at most ``linger`` (or until a queue holds
/// ``batchBytes``), then swaps each queue's buffer for its empty one and writes it: a busy log
/// costs one wake-up and one `write(2)` per batch and thread, not per line, and a quiet one
/// writes each line within ``linger``. Within a batch, each thread's lines stay in order, one
/// thread's after another's.
public final class LogSink: @unchecked Sendable {
    /// The most bytes one thread may have queued; a line past it is dropped (and counted) until
    /// the writer catches up.
    public let capacityBytes: Int
    /// How long the writer lets lines gather before it writes them.
    public let linger: TimeInterval
    /// Queued bytes (in one thread's queue) that end the linger at once.
    public let batchBytes: Int
    /// The format of the sink's own line, the note of lines dropped: the log's, so that a
    /// reader of JSON lines can parse it too.
    public let format: LogFormat
    private let fileDescriptor: Int32
    /// Each thread's queue, made when it first logs.
    private let threadQueue = PerThread<QueueOwner>()
    /// Guards every field below; the writer waits on it.
    private let condition = NSCondition()
    /// Every thread's queue.
    private var queues: [Queue] = []
    /// Whether a queue has had a line since the writer last took them.
    private var pending = false
    /// Whether a queue has held a batch since the writer last took them.
    private var batchReady = false
    private var writer = WriterState.waiting
    private var flushRequested = false

    /// One thread's lines.
    final class Queue: @unchecked Sendable {  // `buffer`, `dropped`, `threadEnded` under `lock`
        let lock = NIOLock()
        var buffer: LogBuffer
        /// Lines dropped because `buffer` was full.
        var dropped = 0
        /// Set when its thread has exited: once written out, the queue is let go.
        var threadEnded = false
        /// The sink, which lives as long as the process (its writer thread holds it): not
        /// retained on every line.
        private unowned(unsafe) let sink: LogSink
        private let batchBytes: Int

        fileprivate init(sink: LogSink, capacity: Int) {
            self.sink = sink
            batchBytes = sink.batchBytes
            buffer = LogBuffer(capacity: capacity)
        }

        /// Queues the line that `write` writes in place (see ``LogSink/enqueue(_:)``). Only
        /// the queue's own thread calls it.
        func enqueue(_ write: (LogBuffer) -> Bool) {
            let (before, after) = lock.withLock {
                let before = buffer.count
                if !write(buffer) { dropped += 1 }
                return (before, buffer.count)
            }
            // The writer hears of this queue at most twice per batch: when it stops being
            // empty, and when this line makes it a batch. Not on every line past that: until
            // the writer swaps the queue out (on two busy cores, milliseconds later) each of
            // those would take the writer's lock and signal it again.
            let madeBatch = before < batchBytes && after >= batchBytes
            if before == 0 || madeBatch { sink.lineQueued(madeBatch: madeBatch) }
        }
    }

    private enum WriterState {
        /// Waiting for a line: the first one wakes it.
        case waiting
        /// Letting lines gather: a full batch or a flush wakes it.
        case lingering
        /// Writing a batch, the lock released.
        case writing
    }

    /// Starts the writer thread for `fileDescriptor` (standard error, say); it lives as long as
    /// the process.
    public init(
        fileDescriptor: Int32, capacityBytes: Int = 4 << 20, linger: TimeInterval = 0.01,
        batchBytes: Int? = nil, format: LogFormat = .text
    ) {
        // A sixteenth of the queue by default, 256 KiB of the default 4 MiB: at GetBalance's
        // full rate (~30 MB of access log a second) the linger, not the batch, paces the
        // writer, which then wakes ~100 times a second instead of once per 64 KiB.
        let batchBytes = batchBytes ?? capacityBytes / 16
        precondition(batchBytes <= capacityBytes, "a batch larger than the queue")
        self.fileDescriptor = fileDescriptor
        self.format = format
        self.capacityBytes = capacityBytes
        self.linger = linger
        self.batchBytes = batchBytes
        let thread = Thread { [self] in self.writeForever() }
        thread.name = "log-writer"
        thread.start()
    }

    /// Queues the line that `write` writes, in place, into the calling thread's queue:
    /// `write` returns whether the line fits (``LogLine/finish(_:)``); a line that does not
    /// (the queue is full) is dropped and counted. Never waits for the writer.
    func enqueue(_ write: (LogBuffer) -> Bool) {
        currentQueue().enqueue(write)
    }

    /// The calling thread's queue, made when it first logs. A thread that logs once per call
    /// keeps it (``AccessLog``): its lines then touch nothing of the sink itself.
    func currentQueue() -> Queue {
        if let owner = threadQueue.currentValue { return owner.queue }
        let queue = Queue(sink: self, capacity: capacityBytes)
        threadQueue.currentValue = QueueOwner(queue)
        condition.lock()
        queues.append(queue)
        condition.unlock()
        return queue
    }

    /// What a thread keeps of its queue: released when the thread exits, which marks the queue
    /// as ended, so that a thread that logged once and went (a Dispatch worker) does not leave
    /// a queue, and its buffer, in the sink for good.
    private final class QueueOwner {
        let queue: Queue

        init(_ queue: Queue) {
            self.queue = queue
        }

        deinit {
            queue.lock.withLock { queue.threadEnded = true }
        }
    }

    /// The queues of threads that log, and of those that ended and still have lines to write.
    var queueCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queues.count
    }

    /// Called by a queue that a line has made non-empty, or a batch.
    fileprivate func lineQueued(madeBatch: Bool) {
        condition.lock()
        pending = true
        if madeBatch { batchReady = true }
        switch writer {
        case .waiting: condition.signal()
        case .lingering where batchReady: condition.signal()
        case .lingering, .writing: break
        }
        condition.unlock()
    }

    /// The lines dropped so far because a queue was full, and not reported yet.
    public var droppedCount: Int {
        condition.lock()
        let queues = self.queues
        condition.unlock()
        return queues.reduce(0) { total, queue in total + queue.lock.withLock { queue.dropped } }
    }

    /// Waits until what was queued before the call has been written (at exit), for at most
    /// `timeout`; a writer stuck on a pipe nobody reads does not hold the process.
    public func flush(timeout: TimeInterval = 2) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        flushRequested = true
        condition.broadcast()
        while pending || writer != .waiting {
            guard condition.wait(until: deadline) else { break }
        }
        flushRequested = false
        condition.unlock()
    }

    private func writeForever() {
        // A reader that went away makes write(2) raise SIGPIPE in this thread, which would end
        // the process: block it here, so that the write fails with EPIPE instead.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        // Swapped with each queue's buffer in turn: the buffers keep their memory.
        var batch = LogBuffer(capacity: capacityBytes)
        while true {
            condition.lock()
            writer = .waiting
            condition.broadcast()
            while !pending { condition.wait() }
            writer = .lingering
            let deadline = Date(timeIntervalSinceNow: linger)
            while !flushRequested, !batchReady, condition.wait(until: deadline) {}
            pending = false
            batchReady = false
            writer = .writing
            let queues = self.queues
            condition.unlock()
            var dropped = 0
            var ended: [ObjectIdentifier] = []
            for queue in queues {
                // A thread that logs waits for no more than this swap.
                let threadEnded = queue.lock.withLock {
                    swap(&batch, &queue.buffer)
                    dropped += queue.dropped
                    queue.dropped = 0
                    return queue.threadEnded
                }
                write(batch.bytes)
                batch.removeAll()
                // Its thread is gone, so nothing was queued since the swap.
                if threadEnded { ended.append(ObjectIdentifier(queue)) }
            }
            if dropped > 0 { writeNote(dropped: dropped) }
            if !ended.isEmpty {
                condition.lock()
                self.queues.removeAll { ended.contains(ObjectIdentifier($0)) }
                condition.unlock()
            }
        }
    }

    /// Says, as a warning line of the log's format, how many lines were dropped.
    private func writeNote(dropped: Int) {
        let frame = LogLine.Frame(
            format: format, level: .warning, label: "cashback.log",
            message: "\(dropped) log line(s) dropped: the log output was not being read fast "
                + "enough",
            source: "CashbackServer")
        let buffer = LogBuffer(capacity: 1024)
        var line = LogLine(frame, into: buffer)
        line.append("dropped", "\(dropped)")
        if line.finish(frame) { write(buffer.bytes) }
    }

    /// Writes all of `bytes`, retrying partial writes and interruptions, and waiting when the
    /// descriptor is non-blocking and full (`EAGAIN`: a pipe whose reader is slow): this thread
    /// may wait, the threads that log do not. Gives up on errors (a closed descriptor):
    /// logging must never end the process.
    private func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(
                fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var ready = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, -1)
            } else {
                return
            }
        }
    }
}
