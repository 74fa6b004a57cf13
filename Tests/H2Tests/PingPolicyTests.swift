@testable import H2
import NIOCore
import Testing

/// gRPC's ping policy and the record of completed streams, as values with a controllable clock.
@Suite struct PingPolicyTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    /// Feeds pings at `seconds` after the start; returns which were allowed.
    static func allowed(_ strikes: inout PingStrikes, at seconds: [Int64]) -> [Bool] {
        seconds.map { strikes.receivedPing(at: start + .seconds($0)) }
    }

    @Test func pingsSoonerThanTheIntervalAreStrikes() {
        var strikes = PingStrikes(intervalMin: .seconds(300), strikesMax: 2)
        // The first is never a strike; the next two are strikes 1 and 2; the fourth is out.
        #expect(Self.allowed(&strikes, at: [0, 1, 2, 3]) == [true, true, true, false])
    }

    @Test func pingsAtTheIntervalAreNot() {
        var strikes = PingStrikes(intervalMin: .seconds(300), strikesMax: 0)
        let everyFiveMinutes = (0..<20).map { Int64($0) * 300 }
        #expect(Self.allowed(&strikes, at: everyFiveMinutes).allSatisfy { $0 })
        #expect(Self.allowed(&strikes, at: [19 * 300 + 299]) == [false])
    }

    @Test func sendingHeadersOrDataResetsTheStrikes() {
        var strikes = PingStrikes(intervalMin: .seconds(300), strikesMax: 1)
        var answers: [Bool] = []
        for second in Int64(0)..<100 {
            // A ping after each response (a BDP probe) is never a strike.
            answers += Self.allowed(&strikes, at: [second])
            strikes.sentHeadersOrData()
        }
        #expect(answers.allSatisfy { $0 } && strikes.strikes == 0)
    }

    /// One ping a round trip while a large response flows (grpc-go's BDP probes): each follows
    /// data, so none is a strike nor a glitch; a ping after nothing was sent is not expected.
    @Test func pingsThatFollowDataAreExpected() {
        var strikes = PingStrikes(intervalMin: .seconds(300), strikesMax: 2)
        var verdicts: [PingStrikes.Verdict] = []
        for tick in Int64(0)..<1000 {
            strikes.sentHeadersOrData()
            verdicts.append(strikes.judge(pingAt: Self.start + .milliseconds(tick)))
        }
        #expect(verdicts.allSatisfy { $0 == .expected })
        let more = (1...3).map { strikes.judge(pingAt: Self.start + .seconds(2) + .milliseconds($0)) }
        #expect(more == [.allowed, .allowed, .tooMany])
    }

    @Test func aCompletedStreamIsForgivenOneResetOnly() {
        var recent = RecentStreamIDs(capacity: 4)
        for id: Int32 in [1, 3, 5, 7, 9] { recent.insert(id) }
        // 1 was pushed out by the fifth; a second reset of 9 is a glitch.
        let answers = [Int32](arrayLiteral: 1, 9, 9, 3, 5, 7, 0, 11).map { recent.remove($0) }
        #expect(answers == [false, true, false, true, true, true, false, false])
    }
}
