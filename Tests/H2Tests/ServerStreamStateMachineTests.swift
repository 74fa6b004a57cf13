@testable import H2
import NIOCore
import Testing

/// Every transition of a server stream's lifecycle, driven directly: no channel, no clock
/// but the instants passed in.
@Suite struct ServerStreamStateMachineTests {
    typealias Machine = ServerStreamStateMachine
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let stall = TimeAmount.seconds(30)
    static let cancelCode: UInt32 = 8  // RST_STREAM CANCEL

    func opened() -> Machine { Machine(openedAt: Self.start, stallTimeout: Self.stall) }

    /// A unary call whose request arrived in full and whose handler runs.
    func running(deadline: NIODeadline? = nil, streaming: Bool = false) -> Machine {
        var machine = opened()
        machine.routed(deadline: deadline)
        #expect(machine.requestDidEnd() == .startHandler)
        machine.handlerStarted(streaming: streaming)
        return machine
    }

    @Test func aNewStreamWaitsForItsRequestWithinTheStallTimeout() {
        let machine = opened()
        #expect(machine.state == .receivingHeaders)
        #expect(machine.isReceivingHeaders)
        #expect(machine.nextTimerDeadline == Self.start + Self.stall)
        #expect(!machine.resetCancelsACall)
    }

    @Test func theHappyUnaryPathEndsAnsweredWithNoTimerLeft() {
        var machine = opened()
        let deadline = Self.start + .seconds(5)
        machine.routed(deadline: deadline)
        #expect(machine.state == .receivingBody)
        #expect(machine.isReceivingBody)
        #expect(machine.nextTimerDeadline == deadline)  // earlier than the stall
        #expect(machine.requestDidEnd() == .startHandler)
        machine.handlerStarted(streaming: false)
        #expect(machine.state == .running(streaming: false))
        #expect(machine.stallDeadline == nil)
        #expect(machine.nextTimerDeadline == deadline)
        let finishedAt = Self.start + .seconds(1)
        #expect(machine.handlerFinished(at: finishedAt) == .sendResponse)
        #expect(machine.state == .responding)
        #expect(machine.deadline == nil)
        #expect(machine.nextTimerDeadline == finishedAt + Self.stall)
        machine.bodyFinished()
        #expect(machine.state == .answered)
        #expect(machine.sentEndOfStream() == nil)
        #expect(machine.nextTimerDeadline == nil)
        #expect(machine.closed() == .none)
        #expect(machine.state == .closed)
    }

    @Test func aStreamingHandlerEndsWithItsTrailersQueued() {
        var machine = running(streaming: true)
        #expect(machine.state == .running(streaming: true))
        machine.responseQueueChanged(waitingSince: Self.start)
        #expect(machine.nextTimerDeadline == Self.start + Self.stall)
        machine.responseQueueChanged(waitingSince: nil)  // between messages: no stall
        #expect(machine.nextTimerDeadline == nil)
        #expect(machine.handlerFinished(at: Self.start) == .endStreaming)
        #expect(machine.answer(resetCode: 0) == .submit)  // the trailers, nothing to cancel
        #expect(machine.state == .answered)
    }

    @Test func endOfStreamBeforeRoutingStartsNothing() {
        var machine = opened()
        #expect(machine.requestDidEnd() == .none)
        #expect(machine.requestEnded)
        #expect(machine.resetCancelsACall)  // the request was complete: a cancellation
    }

    @Test func anAnswerWhileThePeerStillSendsIsFollowedByTheReset() {
        var machine = opened()
        machine.routed(deadline: nil)
        #expect(machine.answer(resetCode: Self.cancelCode) == .submit)
        #expect(machine.state == .answered)
        #expect(machine.requestDidEnd() == .none)  // late END_STREAM starts no handler
        #expect(machine.sentEndOfStream() == Self.cancelCode)
        #expect(machine.sentEndOfStream() == nil)  // only once
    }

    @Test func anAnswerAfterTheRequestEndedSendsNoReset() {
        var machine = opened()
        machine.routed(deadline: nil)
        _ = machine.requestDidEnd()
        #expect(machine.answer(resetCode: Self.cancelCode) == .submit)  // bad input, say
        #expect(machine.sentEndOfStream() == nil)
    }

    @Test func answeringTwiceSubmitsOnce() {
        var machine = opened()
        #expect(machine.answer(resetCode: 0) == .submit)
        #expect(machine.answer(resetCode: 0) == .none)
    }

    @Test func anAnswerWhileTheHandlerRunsCancelsIt() {
        var machine = running()
        #expect(machine.answer(resetCode: 0) == .submitAndCancelHandler)
        // The handler's late result is dropped.
        #expect(machine.handlerFinished(at: Self.start) == .discard)
    }

    @Test func theDeadlineWhileTheRequestArrivesAnswersWithoutAHandler() {
        var machine = opened()
        let deadline = Self.start + .milliseconds(50)
        machine.routed(deadline: deadline)
        #expect(machine.timerFired(at: deadline - .milliseconds(1)) == .none)
        #expect(machine.timerFired(at: deadline) == .deadlineExceeded)
        #expect(machine.deadline == nil)
        #expect(machine.answer(resetCode: Self.cancelCode) == .submit)
        #expect(machine.sentEndOfStream() == Self.cancelCode)
    }

    @Test func theDeadlineWhileTheHandlerRunsCancelsIt() {
        let deadline = Self.start + .seconds(1)
        var machine = running(deadline: deadline)
        #expect(machine.timerFired(at: deadline + .seconds(1)) == .deadlineExceeded)
        #expect(machine.answer(resetCode: Self.cancelCode) == .submitAndCancelHandler)
        #expect(machine.sentEndOfStream() == nil)  // the request had ended
        #expect(machine.handlerFinished(at: deadline) == .discard)
    }

    @Test func theDeadlineIsNotAppliedOnceTheResponseLeaves() {
        let deadline = Self.start + .seconds(1)
        var machine = running(deadline: deadline)
        _ = machine.handlerFinished(at: Self.start)
        // Only the response's stall clock is left.
        #expect(machine.timerFired(at: deadline + .seconds(1)) == .none)
        #expect(machine.timerFired(at: Self.start + Self.stall) == .stalled)
    }

    @Test func aRequestThatStopsArrivingStalls() {
        var machine = opened()
        machine.routed(deadline: nil)
        #expect(machine.timerFired(at: Self.start + Self.stall - .nanoseconds(1)) == .none)
        #expect(machine.timerFired(at: Self.start + Self.stall) == .stalled)
        #expect(machine.nextTimerDeadline == nil)  // reported once
    }

    @Test func aHandlerDoesNotStallHoweverLongItRuns() {
        var machine = running()
        #expect(machine.nextTimerDeadline == nil)
        #expect(machine.timerFired(at: Self.start + .seconds(3600)) == .none)
    }

    @Test func aStreamingResponseStallsOnlyWhileBytesWait() {
        var machine = running(streaming: true)
        let queuedAt = Self.start + .seconds(10)
        machine.responseQueueChanged(waitingSince: queuedAt)
        #expect(machine.timerFired(at: queuedAt + Self.stall - .seconds(1)) == .none)
        #expect(machine.timerFired(at: queuedAt + Self.stall) == .stalled)
    }

    @Test func aPeerResetOfARequestStillArrivingIsAGlitchNotACancellation() {
        var machine = opened()
        machine.routed(deadline: nil)
        #expect(!machine.resetCancelsACall)
        _ = machine.requestDidEnd()
        #expect(machine.resetCancelsACall)
    }

    @Test func aPeerResetOfARunningCallCancelsItsHandler() {
        var machine = running()
        #expect(machine.resetCancelsACall)
        #expect(machine.closed() == .cancelHandler)
        #expect(machine.state == .closed)
        #expect(machine.nextTimerDeadline == nil)
        #expect(machine.handlerFinished(at: Self.start) == .discard)
        #expect(machine.answer(resetCode: 0) == .none)
        #expect(machine.timerFired(at: Self.start + .seconds(3600)) == .none)
    }

    @Test func anHTTPErrorBodyHasItsOwnStallClock() {
        var machine = opened()
        let at = Self.start + .seconds(2)
        machine.respondingWithoutHandler(at: at, resetCode: 0)
        #expect(machine.state == .responding)
        #expect(machine.nextTimerDeadline == at + Self.stall)
        #expect(machine.requestDidEnd() == .none)
        machine.bodyFinished()
        #expect(machine.state == .answered)
    }

    /// An HTTP error answered while the request still arrives resets the stream once the
    /// answer has left: no handler reads the rest, and no timer is left to end it.
    @Test func anHTTPErrorToARequestStillArrivingResetsTheStreamAfterIt() {
        var machine = opened()
        machine.respondingWithoutHandler(at: Self.start, resetCode: 0)
        machine.bodyFinished()
        #expect(machine.sentEndOfStream() == 0)
        #expect(machine.nextTimerDeadline == nil)
    }
}
