import Foundation
import Logging

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
        var line = LogLine(
            format: format, level: event.level, label: label, message: "\(event.message)")
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { line.append(key, value) }
        sink.enqueue(line.finish(source: event.source))
    }
}

/// The queue between the threads that log and the one that writes.
///
/// Lines are appended to one byte buffer. The writer thread wakes when the first line arrives
/// in an empty queue, lets more gather for at most ``linger`` (or until ``batchBytes`` are
/// queued), then writes them all at once: a busy log costs one wake-up and one `write(2)` per
/// batch, not per line, and a quiet one writes each line within ``linger``.
public final class LogSink: @unchecked Sendable {
    /// The most bytes queued; past it, lines are dropped (and counted) until the writer catches
    /// up.
    public let capacityBytes: Int
    /// How long the writer lets lines gather before it writes them.
    public let linger: TimeInterval
    /// Queued bytes that end the linger at once.
    public let batchBytes: Int
    private let fileDescriptor: Int32
    /// Guards every field below; the writer waits on it.
    private let condition = NSCondition()
    private var queue: [UInt8] = []
    private var dropped = 0
    private var writer = WriterState.waiting
    private var flushRequested = false

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
        batchBytes: Int = 64 << 10
    ) {
        precondition(batchBytes <= capacityBytes, "a batch larger than the queue")
        self.fileDescriptor = fileDescriptor
        self.capacityBytes = capacityBytes
        self.linger = linger
        self.batchBytes = batchBytes
        let thread = Thread { [self] in self.writeForever() }
        thread.name = "log-writer"
        thread.start()
    }

    /// Queues a line (ending in its newline); drops it when the queue is full. Never waits
    /// for the writer.
    func enqueue(_ line: [UInt8]) {
        condition.lock()
        if queue.count + line.count > capacityBytes {
            dropped += 1
        } else {
            queue.append(contentsOf: line)
        }
        switch writer {
        case .waiting: condition.signal()
        case .lingering where queue.count >= batchBytes: condition.signal()
        case .lingering, .writing: break
        }
        condition.unlock()
    }

    /// The lines dropped so far because the queue was full.
    public var droppedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }

    /// Waits until what was queued before the call has been written (at exit), for at most
    /// `timeout`; a writer stuck on a pipe nobody reads does not hold the process.
    public func flush(timeout: TimeInterval = 2) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        flushRequested = true
        condition.broadcast()
        while !queue.isEmpty || writer == .writing {
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
        // Swapped with the queue: the two buffers keep their capacity from batch to batch.
        var batch: [UInt8] = []
        while true {
            condition.lock()
            writer = .waiting
            while queue.isEmpty && dropped == 0 { condition.wait() }
            writer = .lingering
            let deadline = Date(timeIntervalSinceNow: linger)
            while !flushRequested, queue.count < batchBytes, condition.wait(until: deadline) {}
            // Taken out under the lock, written outside it: a thread that logs never waits
            // for more than a swap.
            swap(&batch, &queue)
            let droppedNow = dropped
            dropped = 0
            writer = .writing
            condition.unlock()
            if droppedNow > 0 {
                batch.append(
                    contentsOf: "\(droppedNow) log line(s) dropped: the log output was not being "
                        .utf8)
                batch.append(contentsOf: "read fast enough\n".utf8)
            }
            write(batch)
            batch.removeAll(keepingCapacity: true)
            condition.lock()
            writer = .waiting
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Writes all of `bytes`, retrying partial writes and interruptions; gives up on errors
    /// (a closed descriptor): logging must never end the process.
    private func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Foundation.write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
