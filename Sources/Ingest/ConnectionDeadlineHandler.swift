import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Enforces `ConnectionDeadlines` on one connection: sits after Hummingbird's HTTP/1 codec (so it
/// sees request and response parts) and owns the connection's one timer. Also counts the open
/// connections of its server against `HTTPLimits.maxConnections`.
///
/// `channelReadComplete` reaches it for every socket read, also one that decoded no part yet, which
/// is how the first byte of a head is noticed after the decoder.
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: HTTPLimits
    private let connections: ConnectionCount
    private var deadlines: ConnectionDeadlines?
    private var timer: Scheduled<Void>?
    private var generation = 0
    private var counted = false

    init(limits: HTTPLimits, connections: ConnectionCount) {
        self.limits = limits
        self.connections = connections
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { activate(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    private func activate(_ context: ChannelHandlerContext) {
        guard deadlines == nil else { return }
        counted = true
        let open = connections.open.add(1, ordering: .relaxed).newValue
        var machine = ConnectionDeadlines(limits: limits, overCap: open > limits.maxConnections)
        let action = machine.opened()
        deadlines = machine
        perform(action, context)
    }

    private func release() {
        cancelTimer()
        if counted {
            counted = false
            connections.open.subtract(1, ordering: .relaxed)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard var machine = deadlines, machine.acceptsWrites else { return }  // closing: the rest is not read
        let action: ConnectionDeadlines.Action
        switch unwrapInboundIn(data) {
        case .head(let head):
            action = machine.requestHead(contentLength: head.headerFields[.contentLength].flatMap { Int($0) })
        case .body:
            action = .none
        case .end:
            action = machine.requestEnd()
        }
        deadlines = machine
        if machine.acceptsWrites { context.fireChannelRead(data) }
        perform(action, context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if var machine = deadlines {
            let action = machine.bytesArrived()
            deadlines = machine
            perform(action, context)
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard var machine = deadlines, machine.acceptsWrites else {
            promise?.fail(ChannelError.ioOnClosedChannel)  // we answered for this request already
            return
        }
        var action = ConnectionDeadlines.Action.none
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational:
            machine.responseHead()
        case .end:
            action = machine.responseEnd()
        default:
            break
        }
        deadlines = machine
        context.write(data, promise: promise)
        perform(action, context)
    }

    private func perform(_ action: ConnectionDeadlines.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .arm(let delay):
            arm(delay, context)
        case .cancelTimer:
            cancelTimer()
        case .close:
            cancelTimer()
            context.close(promise: nil)
        case .answerTimeoutAndClose:
            cancelTimer()
            // The route reading this body gets the same answer as an error (logged as a 408).
            context.fireErrorCaught(APIError.requestTimeout)
            answerAndClose(APIError.requestTimeout, context)
        case .answerOverloadedAndClose:
            cancelTimer()
            answerAndClose(APIError.tooManyConnections, context)
        }
    }

    /// Writes `error` as the provider's error object with `Connection: close`, then closes.
    private func answerAndClose(_ error: APIError, _ context: ChannelHandlerContext) {
        let body = ByteBuffer(bytes: error.body)
        var fields: HTTPFields = [.contentType: "application/json", .connection: "close", .contentLength: String(body.readableBytes)]
        if let retryAfter = error.retryAfter { fields[.retryAfter] = String(retryAfter) }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: error.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func arm(_ delay: Duration, _ context: ChannelHandlerContext) {
        cancelTimer()
        let generation = self.generation
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [self] in
            guard generation == self.generation, var machine = deadlines else { return }
            timer = nil
            let action = machine.timerFired()
            deadlines = machine
            perform(action, context)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        generation &+= 1
    }
}

@available(*, unavailable)
extension ConnectionDeadlineHandler: Sendable {}

/// The open connections of one server.
final class ConnectionCount: Sendable {
    let open = Atomic<Int>(0)
}

extension HTTPServerBuilder {
    /// HTTP/1 with `limits` on every connection (Hummingbird's own idle timer stays off: ours
    /// covers it, and its silent close would beat our 408).
    public static func http1(limits: HTTPLimits) -> HTTPServerBuilder {
        let connections = ConnectionCount()
        return .http1(configuration: .init(
            additionalChannelHandlers: [ConnectionDeadlineHandler(limits: limits, connections: connections)]))
    }
}
