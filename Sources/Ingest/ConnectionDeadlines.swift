/// The deadlines of one HTTP/1 connection as a state machine: events in, actions out, no I/O and
/// no clock (`ConnectionDeadlineHandler` performs the actions on the channel).
///
/// - Between requests the connection may idle for `idleTimeout`, then it is closed.
/// - From the first byte of a request to the end of its head: `headerTimeout`, then closed
///   (there is no request to answer yet).
/// - From the head to the end of the body: `bodyDeadline(contentLength:)`, then 408 and closed;
///   if the route already answered (an early 401 or 413), only closed.
/// - While the route works on a fully read request there is no deadline: that time is ours.
struct ConnectionDeadlines {
    enum Action: Equatable {
        case none
        /// (Re)arm the one timer of the connection for this long; the previous one is void.
        case arm(Duration)
        case cancelTimer
        /// Close without a word.
        case close
        /// Answer 408 with `Connection: close`, then close.
        case answerTimeoutAndClose
        /// Answer 503 with `Connection: close`, then close (over the connection cap).
        case answerOverloadedAndClose
    }

    enum Phase: Equatable {
        case idle, readingHead, readingBody, awaitingResponse, closing
    }

    let limits: HTTPLimits
    /// Over the connection cap: the first request is answered 503.
    let overCap: Bool
    private(set) var phase: Phase = .idle
    /// Heads of requests and ends of responses so far: a response that ends before its request's
    /// body (an early 401/413) leaves the body to be read, still under its deadline.
    private var requests = 0
    private var responsesStarted = 0
    private var responsesEnded = 0

    init(limits: HTTPLimits, overCap: Bool = false) {
        self.limits = limits
        self.overCap = overCap
    }

    mutating func opened() -> Action {
        phase = .idle
        // Over the cap, a connection gets a head's time to ask (and be answered 503), no more.
        return .arm(overCap ? limits.headerTimeout : limits.idleTimeout)
    }

    /// A read from the socket ended (it may have produced no part: a head still incomplete).
    mutating func bytesArrived() -> Action {
        guard phase == .idle else { return .none }
        phase = .readingHead
        return .arm(limits.headerTimeout)
    }

    mutating func requestHead(contentLength: Int?) -> Action {
        guard phase != .closing else { return .none }
        requests += 1
        if overCap {
            phase = .closing
            return .answerOverloadedAndClose
        }
        phase = .readingBody
        return .arm(limits.bodyDeadline(contentLength: contentLength))
    }

    mutating func requestEnd() -> Action {
        guard phase == .readingBody else { return .none }
        if responsesEnded >= requests {
            phase = .idle
            return .arm(limits.idleTimeout)
        }
        phase = .awaitingResponse
        return .cancelTimer
    }

    mutating func responseHead() {
        responsesStarted += 1
    }

    mutating func responseEnd() -> Action {
        responsesEnded += 1
        guard phase == .awaitingResponse, responsesEnded >= requests else { return .none }
        phase = .idle
        return .arm(limits.idleTimeout)
    }

    /// The armed timer fired (a stale one never reaches here).
    mutating func timerFired() -> Action {
        switch phase {
        case .idle, .readingHead:
            phase = .closing
            return .close
        case .readingBody:
            phase = .closing
            // The 408 is this request's answer only when every earlier one is answered and this one
            // is not (a pipelined request behind a response still being written is just closed):
            // a second or misplaced response would corrupt the stream.
            return responsesEnded == requests - 1 && responsesStarted == responsesEnded ? .answerTimeoutAndClose : .close
        case .awaitingResponse, .closing:
            return .none
        }
    }

    /// Whether a write from the route may still go out (not after we answered for it).
    var acceptsWrites: Bool { phase != .closing }
}
