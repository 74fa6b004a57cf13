@testable import CashbackServer
import Foundation
import Logging
import Synchronization
import Testing

/// Logging never waits for the log's reader.
@Suite(.timeLimit(.minutes(1))) struct NonBlockingLogHandlerTests {
    @Test func aPipeNobodyReadsNeverBlocksTheLogger() throws {
        let pipe = keptOpenPipe()
        // No linger: the writer takes the first line at once and is stuck on the full pipe
        // from then on, so what the queue cannot hold is dropped however fast this loop runs.
        let sink = LogSink(
            fileDescriptor: pipe.fileHandleForWriting.fileDescriptor, capacityBytes: 64 << 10,
            linger: 0)
        var logger = Logger(label: "test") { NonBlockingLogHandler(label: $0, sink: sink) }
        logger[metadataKey: "peer"] = "127.0.0.1:1"
        // 4 MiB of log into a 64 KiB pipe and a 64 KiB queue, with nobody reading: had a line
        // waited for the pipe, this loop would never end.
        let padding = String(repeating: "x", count: 1000)
        for index in 0..<4096 { logger.info("line \(index) \(padding)") }

        // Reading now lets the writer go on; it reports what it dropped.
        var output = ""
        let reader = pipe.fileHandleForReading
        // Until the whole note has been read: a read may end inside it.
        while !output.contains("dropped: the log output was not being read fast enough\n") {
            let data = reader.availableData
            guard !data.isEmpty else { break }
            output += String(decoding: data, as: UTF8.self)
        }
        #expect(output.contains("log line(s) dropped: the log output was not being read"))
        let first = try #require(output.split(separator: "\n").first)
        #expect(first.contains(" info test: peer=127.0.0.1:1 [CashbackServerTests] line 0 x"))
    }

    /// Lines past a full queue are dropped and counted (``LogSink/droppedCount``) until the
    /// writer takes the queue. Here it never does during the test: it lingers an hour, and no
    /// line makes a batch (the batch is the whole queue, which a line that does not fit never
    /// completes). (The test above cannot count: a writer thread that starts late may take the
    /// queue, and its count, in the loop's last lines.)
    @Test func linesPastAFullQueueAreDroppedAndCounted() {
        let pipe = keptOpenPipe()
        let sink = LogSink(
            fileDescriptor: pipe.fileHandleForWriting.fileDescriptor, capacityBytes: 8 << 10,
            linger: 3600, batchBytes: 8 << 10)
        let logger = Logger(label: "test") { NonBlockingLogHandler(label: $0, sink: sink) }
        let padding = String(repeating: "x", count: 1000)
        #expect(sink.droppedCount == 0)
        for index in 0..<100 { logger.info("line \(index) \(padding)") }
        // Lines of ~1 050 bytes: 7 fit in 8 KiB.
        #expect((92...99).contains(sink.droppedCount))
    }

    /// A queue that reaches a batch is written without waiting for the linger, batch after
    /// batch: the writer hears of each crossing (here the linger is an hour, so a missed one
    /// would hold the read below past the suite's time limit).
    @Test func eachFullBatchIsWrittenWithoutWaitingForTheLinger() throws {
        let pipe = keptOpenPipe()
        let sink = LogSink(
            fileDescriptor: pipe.fileHandleForWriting.fileDescriptor, capacityBytes: 64 << 10,
            linger: 3600, batchBytes: 1024)
        let logger = Logger(label: "test") { NonBlockingLogHandler(label: $0, sink: sink) }
        let reader = pipe.fileHandleForReading
        let padding = String(repeating: "x", count: 100)
        for batch in 0..<3 {
            // 20 lines of ~150 bytes: past the 1 KiB batch, the rest queued behind it.
            for index in 0..<20 { logger.info("batch \(batch) line \(index) \(padding)") }
            var output = ""
            while !output.contains("batch \(batch) line ") {
                let data = reader.availableData
                guard !data.isEmpty else { break }
                output += String(decoding: data, as: UTF8.self)
            }
            #expect(output.contains("batch \(batch) line 0 "))
        }
    }

    /// A thread that logged and exited (a Dispatch worker, say) leaves no queue behind once
    /// its lines are written: each holds a buffer of `capacityBytes`.
    @Test func theQueuesOfThreadsThatExitedAreLetGo() throws {
        let pipe = keptOpenPipe()
        let sink = LogSink(fileDescriptor: pipe.fileHandleForWriting.fileDescriptor, linger: 0)
        let logger = Logger(label: "test") { NonBlockingLogHandler(label: $0, sink: sink) }
        let reading = Thread {
            while !pipe.fileHandleForReading.availableData.isEmpty {}
        }
        reading.start()
        var threads: [pthread_t] = []
        for _ in 0..<20 {
            var thread = pthread_t()
            let box = Unmanaged.passRetained(LoggerBox(logger)).toOpaque()
            let created = pthread_create(&thread, nil, { raw in
                let box = Unmanaged<LoggerBox>.fromOpaque(raw!).takeRetainedValue()
                box.logger.info("from a thread that ends")
                return nil
            }, box)
            try #require(created == 0)
            threads.append(thread)
        }
        // Joined: each has exited, its thread-specific values released.
        for thread in threads { pthread_join(thread, nil) }
        // One more line, and its write: the writer lets the ended queues go as it passes.
        logger.info("from the test")
        sink.flush(timeout: 30)
        #expect(sink.queueCount == 1)  // this thread's
    }

    /// A standard error that is non-blocking (a pipe set so by whoever reads it) and full: the
    /// writer waits for room instead of giving up on the batch, so no line is lost uncounted
    /// or torn, and the note of what was dropped is a JSON line like the others.
    @Test func aNonBlockingOutputLosesNoLineUncountedAndTheNoteIsJSON() throws {
        let pipe = keptOpenPipe()
        let output = pipe.fileHandleForWriting.fileDescriptor
        _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) | O_NONBLOCK)
        let sink = LogSink(
            fileDescriptor: output, capacityBytes: 64 << 10, linger: 0, format: .json)
        let logger = Logger(label: "test") {
            NonBlockingLogHandler(label: $0, sink: sink, format: .json)
        }
        let count = 2000
        let padding = String(repeating: "x", count: 1000)
        for index in 0..<count { logger.info("line \(index) \(padding)") }
        // Reading lets the writer go on. Every line is either written whole or counted in a
        // note; a line lost uncounted would keep this loop waiting past the time limit.
        let reader = pipe.fileHandleForReading
        var pending = Data()
        var written = 0
        var dropped = 0
        while written + dropped < count {
            let data = reader.availableData
            guard !data.isEmpty else { break }
            pending += data
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                    "\(String(decoding: line, as: UTF8.self).prefix(80))")
                if let note = object["dropped"] as? String {
                    dropped += try #require(Int(note))
                } else {
                    #expect((object["msg"] as? String)?.hasSuffix(padding) == true)
                    written += 1
                }
            }
        }
        #expect(dropped > 0)
        #expect(written + dropped == count)
    }
}

/// Pipes that stay open as long as the process: a sink's writer thread lives that long too, and
/// writes to its descriptor's number, which a closed pipe would hand to another test's pipe.
private let openPipes = Mutex<[Pipe]>([])

func keptOpenPipe() -> Pipe {
    let pipe = Pipe()
    openPipes.withLock { $0.append(pipe) }
    return pipe
}

/// A logger handed to a thread made with `pthread_create`.
private final class LoggerBox {
    let logger: Logger
    init(_ logger: Logger) { self.logger = logger }
}
