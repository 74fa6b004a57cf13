import CashbackServer
import Foundation
import Logging
import Testing

/// Logging never waits for the log's reader.
@Suite(.timeLimit(.minutes(1))) struct NonBlockingLogHandlerTests {
    @Test func aPipeNobodyReadsNeverBlocksTheLogger() throws {
        let pipe = Pipe()
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
        let pipe = Pipe()
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
        let pipe = Pipe()
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
}
