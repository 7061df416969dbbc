@testable import Ingest
import Testing

/// The connection state machine without sockets: which timer runs when, and what expiry does.
@Suite struct ConnectionDeadlinesTests {
    let limits = HTTPLimits(headerTimeout: .seconds(5), bodyTimeout: .seconds(10), minimumBodyRate: 1_000, idleTimeout: .seconds(60),
                            maxBodySize: 100_000)

    @Test func anIdleConnectionThenAStalledHeadAreClosedSilently() {
        var machine = ConnectionDeadlines(limits: limits)
        #expect(machine.opened() == .arm(.seconds(60)))
        #expect(machine.bytesArrived() == .arm(.seconds(5)))
        #expect(machine.bytesArrived() == .none, "more bytes of the same head do not extend its deadline")
        #expect(machine.timerFired() == .close)
        #expect(!machine.acceptsWrites)
    }

    @Test func aBodyHasItsOwnDeadlineScaledByItsLength() {
        var machine = ConnectionDeadlines(limits: limits)
        _ = machine.opened()
        _ = machine.bytesArrived()
        #expect(machine.requestHead(contentLength: 5_000) == .arm(.seconds(15)))
        #expect(machine.timerFired() == .answerTimeoutAndClose)
        var unknown = ConnectionDeadlines(limits: limits)
        _ = unknown.opened()
        #expect(unknown.requestHead(contentLength: nil) == .arm(.seconds(110)), "no length: the largest body allowed")
        #expect(unknown.requestHead(contentLength: 10_000_000) != .arm(.seconds(10_010)), "capped at the largest body")
    }

    @Test func theRoutesTimeHasNoDeadlineAndIdleFollowsTheResponse() {
        var machine = ConnectionDeadlines(limits: limits)
        _ = machine.opened()
        _ = machine.bytesArrived()
        _ = machine.requestHead(contentLength: 10)
        #expect(machine.requestEnd() == .cancelTimer)
        #expect(machine.timerFired() == .none)
        machine.responseHead()
        #expect(machine.responseEnd() == .arm(.seconds(60)))
        #expect(machine.bytesArrived() == .arm(.seconds(5)), "the next request's head")
    }

    @Test func anEarlyAnswerStillBoundsTheRestOfTheBodyButIsNotAnsweredTwice() {
        var machine = ConnectionDeadlines(limits: limits)
        _ = machine.opened()
        _ = machine.requestHead(contentLength: 50_000)
        machine.responseHead()
        #expect(machine.responseEnd() == .none, "the body is still being drained under its deadline")
        #expect(machine.timerFired() == .close)
        var finished = ConnectionDeadlines(limits: limits)
        _ = finished.opened()
        _ = finished.requestHead(contentLength: 50)
        finished.responseHead()
        _ = finished.responseEnd()
        #expect(finished.requestEnd() == .arm(.seconds(60)), "body drained after the answer: idle")
    }

    @Test func overTheCapTheFirstRequestIsAnswered503() {
        var machine = ConnectionDeadlines(limits: limits, overCap: true)
        _ = machine.opened()
        #expect(machine.requestHead(contentLength: nil) == .answerOverloadedAndClose)
        #expect(!machine.acceptsWrites)
    }

    @Test func aPipelinedRequestBehindAnUnansweredOneIsClosedNotAnswered() {
        var machine = ConnectionDeadlines(limits: limits)
        _ = machine.opened()
        _ = machine.requestHead(contentLength: 10)
        _ = machine.requestEnd()
        guard case .arm = machine.requestHead(contentLength: 10) else {
            Issue.record("the second request's body has a deadline")
            return
        }
        #expect(machine.timerFired() == .close, "a 408 now would be taken for the first request's answer")
    }

    @Test func overTheCapAConnectionHasAHeadsTimeOnly() {
        var machine = ConnectionDeadlines(limits: limits, overCap: true)
        #expect(machine.opened() == .arm(.seconds(5)))
    }
}
