@testable import CashbackServer
import Foundation
import Logging
import Testing

/// Log lines in both formats: JSON that any parser reads back exactly, whatever the text
/// holds, and the text format as `StreamLogHandler` writes it.
@Suite struct LogFormatTests {
    static let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} nul \u{0} é 🙂"

    /// One line in `frame` with the fields `body` appends, as bytes.
    static func render(_ frame: LogLine.Frame, _ body: (inout LogLine) -> Void) -> [UInt8] {
        let buffer = LogBuffer(capacity: 4096)
        var line = LogLine(frame, into: buffer)
        body(&line)
        let fits = line.finish(frame)
        #expect(fits)
        return Array(buffer.bytes)
    }

    static func json(_ line: [UInt8]) throws -> [String: Any] {
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
        let object = try JSONSerialization.jsonObject(with: Data(line))
        return try #require(object as? [String: Any])
    }

    @Test func jsonLinesEscapeWhatTheyHoldAndParseBackExactly() throws {
        let frame = LogLine.Frame(
            format: .json, level: .warning, label: "a \"label\"", message: Self.awkward,
            source: "Tests")
        let fields = try Self.json(
            Self.render(frame) { line in
                line.append("key \"1\"", Self.awkward)
                line.append("durationMilliseconds", thousandths: 183)
                line.append(prebuilt: LogLine.field("prebuilt", Self.awkward, format: .json))
            })
        #expect(fields["prebuilt"] as? String == Self.awkward)
        #expect(fields["msg"] as? String == Self.awkward)
        #expect(fields["key \"1\""] as? String == Self.awkward)
        #expect(fields["label"] as? String == "a \"label\"")
        #expect(fields["level"] as? String == "warning")
        #expect((fields["durationMilliseconds"] as? NSNumber)?.doubleValue == 0.183)
        let ts = try #require(fields["ts"] as? String)
        #expect(ts.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
    }

    @Test(arguments: [
        (Int64(0), "0.000"), (5, "0.005"), (999, "0.999"), (1000, "1.000"), (1234, "1.234"),
        (-1500, "-1.500"), (10_000_000_010, "10000000.010"),
        (Int64.max, "9223372036854775.807"), (Int64.min, "-9223372036854775.808"),
    ])
    func thousandthsAreDecimalsWithThreePlaces(value: Int64, text: String) {
        let frame = LogLine.Frame(format: .text, level: .info, label: "t", message: "m", source: "s")
        let written = String(
            decoding: Self.render(frame) { $0.append("d", thousandths: value) }, as: UTF8.self)
        #expect(written.hasSuffix(" t: d=\(text) [s] m\n"))
    }

    @Test(arguments: [
        (UInt64(0), "0"), (9, "9"), (0xa, "a"), (0xf, "f"), (0x10, "10"), (0x1f, "1f"),
        (0xdead_beef, "deadbeef"), (UInt64.max, "ffffffffffffffff"),
    ])
    func valuesWithACounterEndInLowerCaseHex(counter: UInt64, hex: String) throws {
        let frame = LogLine.Frame(format: .json, level: .info, label: "t", message: "m", source: "s")
        let fields = try Self.json(
            Self.render(frame) { line in
                line.append(prebuilt: LogLine.key("id", format: .json))
                line.append(plainValue: Array("p-".utf8), hex: counter)
            })
        #expect(fields["id"] as? String == "p-\(hex)")
    }

    @Test func textLinesKeepStreamLogHandlersShape() throws {
        let frame = LogLine.Frame(
            format: .text, level: .info, label: "cashbackd", message: "hello",
            source: "CashbackServer")
        let written = String(
            decoding: Self.render(frame) { line in
                line.append("a", "1")
                line.append("b", .array(["x", "y"]))
            }, as: UTF8.self)
        let shape = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info cashbackd: (.*) \[CashbackServer\] hello\n/
        let match = try #require(written.wholeMatch(of: shape), "\(written)")
        // Values as swift-log prints them, as `StreamLogHandler` does.
        let list = Logger.MetadataValue.array(["x", "y"])
        #expect(match.output.1 == "a=1 b=\(list)")
    }

    @Test(arguments: [
        ("plain", "plain"), ("é 🙂 £ —", "é 🙂 £ —"),
        (
            "x\n2026-12-01T05:45:00+0000 notice cashbackd: forged",
            #"x\n2026-12-01T05:45:00+0000 notice cashbackd: forged"#
        ),
        ("cr\rtab\tbell\u{07}nul\u{0}del\u{7f}", #"cr\rtab\tbell\u{7}nul\u{0}del\u{7f}"#),
        ("nel\u{85}ls\u{2028}ps\u{2029}end", #"nel\u{85}ls\u{2028}ps\u{2029}end"#),
    ])
    func textLinesEscapeWhatWouldEndOrHideALine(value: String, shown: String) throws {
        let frame = LogLine.Frame(
            format: .text, level: .warning, label: "l\nabel", message: "m\(value)",
            source: "s\ro")
        let written = String(
            decoding: Self.render(frame) { $0.append("k\ney", value) }, as: UTF8.self)
        let fields = #" warning l\nabel: k\ney="# + shown + #" [s\ro] m"# + shown + "\n"
        #expect(written.hasSuffix(fields))
        // One line, whatever the values hold.
        let breaks = written.unicodeScalars.filter { $0.properties.isWhitespace && $0 != " " }
        #expect(Array(breaks) == ["\n"])
    }

    @Test func theHandlerWritesMetadataSortedAndNestedAsJSON() throws {
        let pipe = keptOpenPipe()
        let sink = LogSink(fileDescriptor: pipe.fileHandleForWriting.fileDescriptor, linger: 0)
        var logger = Logger(label: "test") {
            NonBlockingLogHandler(label: $0, sink: sink, format: .json)
        }
        logger[metadataKey: "peer"] = "127.0.0.1:1"
        logger.notice(
            "started", metadata: ["list": ["a", "b"], "map": ["k": "v"], "text": "\(Self.awkward)"])
        sink.flush()
        let line = Array(pipe.fileHandleForReading.availableData)
        let fields = try Self.json(line)
        #expect(fields["msg"] as? String == "started")
        #expect(fields["peer"] as? String == "127.0.0.1:1")
        #expect(fields["text"] as? String == Self.awkward)
        #expect(fields["list"] as? [String] == ["a", "b"])
        #expect(fields["map"] as? [String: String] == ["k": "v"])
        let text = String(decoding: line, as: UTF8.self)
        let order = ["\"list\"", "\"map\"", "\"peer\"", "\"text\""].map {
            text.range(of: $0)!.lowerBound
        }
        #expect(order == order.sorted())
    }

    @Test func aLineThatDoesNotFitIsTakenBackWhole() {
        let frame = LogLine.Frame(format: .json, level: .info, label: "t", message: "m", source: "s")
        let buffer = LogBuffer(capacity: 120)
        var first = LogLine(frame, into: buffer)
        first.append("a", "short")
        let firstFits = first.finish(frame)
        #expect(firstFits)
        let kept = Array(buffer.bytes)
        var second = LogLine(frame, into: buffer)
        second.append("b", String(repeating: "x", count: 100))
        let secondFits = second.finish(frame)
        #expect(!secondFits)
        #expect(Array(buffer.bytes) == kept)
    }
}
