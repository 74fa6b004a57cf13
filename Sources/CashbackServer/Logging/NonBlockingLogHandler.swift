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
/// The line format is `StreamLogHandler`'s: `TIME LEVEL LABEL: KEY=VALUE… [SOURCE] MESSAGE`.
///
/// ```swift
/// let sink = LogSink(fileDescriptor: STDERR_FILENO)
/// LoggingSystem.bootstrap { label in NonBlockingLogHandler(label: label, sink: sink) }
/// ```
public struct NonBlockingLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let sink: LogSink

    public init(label: String, sink: LogSink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
        source: String, file: String, function: String, line: UInt
    ) {
        var merged = self.metadata
        if let explicit { merged.merge(explicit) { _, new in new } }
        let fields = merged.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        sink.enqueue("\(Self.timestamp()) \(level) \(label):\(fields) [\(source)] \(message)\n")
    }

    /// Local time to the second with the UTC offset, as `StreamLogHandler` writes it.
    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The queue between the threads that log and the one that writes.
public final class LogSink: @unchecked Sendable {
    /// The most bytes queued; past it, lines are dropped (and counted) until the writer catches
    /// up.
    public let capacityBytes: Int
    private let fileDescriptor: Int32
    /// Guards every field below; the writer waits on it.
    private let condition = NSCondition()
    private var queue: [String] = []
    private var queuedBytes = 0
    private var dropped = 0
    private var isWriting = false

    /// Starts the writer thread for `fileDescriptor` (standard error, say); it lives as long as
    /// the process.
    public init(fileDescriptor: Int32, capacityBytes: Int = 4 << 20) {
        self.fileDescriptor = fileDescriptor
        self.capacityBytes = capacityBytes
        let thread = Thread { [self] in self.writeForever() }
        thread.name = "log-writer"
        thread.start()
    }

    /// Queues a line; drops it when the queue is full. Never waits for the writer.
    func enqueue(_ line: String) {
        condition.lock()
        if queuedBytes + line.utf8.count > capacityBytes {
            dropped += 1
        } else {
            queue.append(line)
            queuedBytes += line.utf8.count
        }
        condition.signal()
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
        while !queue.isEmpty || isWriting {
            guard condition.wait(until: deadline) else { break }
        }
        condition.unlock()
    }

    private func writeForever() {
        // A reader that went away makes write(2) raise SIGPIPE in this thread, which would end
        // the process: block it here, so that the write fails with EPIPE instead.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        while true {
            condition.lock()
            while queue.isEmpty && dropped == 0 { condition.wait() }
            // Taken out under the lock, joined and written outside it: a thread that logs never
            // waits for more than the swap.
            let lines = queue
            let droppedNow = dropped
            queue = []
            queuedBytes = 0
            dropped = 0
            isWriting = true
            condition.unlock()
            var batch = lines.joined()
            if droppedNow > 0 {
                batch +=
                    "\(droppedNow) log line(s) dropped: the log output was not being read fast "
                    + "enough\n"
            }
            write(batch)
            condition.lock()
            isWriting = false
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Writes all of `text`, retrying partial writes and interruptions; gives up on errors
    /// (a closed descriptor): logging must never end the process.
    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { raw in
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
