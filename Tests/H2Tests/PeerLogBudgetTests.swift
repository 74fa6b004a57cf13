import CashbackTestSupport
@testable import H2
import Logging
import NIOCore
import Testing

@Suite struct PeerLogBudgetTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    /// Two lines a second: the third to fifth in the same second are left out, and the first
    /// line of the next second says so.
    @Test func aSecondTakesAtMostItsLinesAndTheNextSaysHowManyWereLeftOut() {
        let budget = PeerLogBudget(linesPerSecond: 2, now: Self.start)
        let takes: [(milliseconds: Int64, expected: Int?)] = [
            (0, 0), (100, 0), (200, nil), (300, nil), (999, nil), (1_000, 3), (1_100, 0),
            (1_200, nil), (5_000, 1),
        ]
        for (milliseconds, expected) in takes {
            #expect(
                budget.take(at: Self.start + .milliseconds(milliseconds)) == expected,
                "at \(milliseconds) ms")
        }
    }

    @Test func loggedLinesCarryTheCountLeftOut() {
        let logs = CapturedLogs()
        let budget = PeerLogBudget(linesPerSecond: 1, now: Self.start)
        for milliseconds: Int64 in [0, 10, 20, 1_500] {
            budget.log(
                .warning, "refusing a connection", metadata: ["peer": "p"], to: logs.logger,
                at: Self.start + .milliseconds(milliseconds))
        }
        #expect(logs.records.map(\.text) == [
            "refusing a connection peer=p", "refusing a connection peer=p suppressed=2",
        ])
    }

    /// A line below the logger's level takes nothing from the budget.
    @Test func linesTheLoggerWouldDropTakeNothing() {
        let logs = CapturedLogs()
        var logger = logs.logger
        logger.logLevel = .warning
        let budget = PeerLogBudget(linesPerSecond: 1, now: Self.start)
        budget.log(.notice, "quiet", to: logger, at: Self.start)
        budget.log(.warning, "loud", to: logger, at: Self.start)
        #expect(logs.records.map(\.message) == ["loud"])
    }
}
