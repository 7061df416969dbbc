import Foundation

/// The limits every HTTP port of ours enforces (`serve`, `run`, the metrics port of `work`), so a
/// client that stalls, trickles or hoards connections costs bounded time and memory.
///
/// Defaults, and why:
/// - `headerTimeout` 5 s from a request's first byte to the end of its head: a sender writes a
///   head of a few hundred bytes in one packet; 5 s covers a slow mobile uplink, and a slowloris
///   client holds a connection at most that long.
/// - `bodyTimeout` 10 s plus one second per `minimumBodyRate` bytes declared (16 KiB/s): a
///   256 KiB body may take 26 s, a 1 KB webhook 10 s. Past it the request gets 408 and the
///   connection closes, however the bytes trickle in.
/// - `idleTimeout` 60 s between requests on a keep-alive connection (and from accept to the first
///   byte): longer than the idle timeout of common client pools, so a sender does not race us
///   reusing a connection we are closing.
/// - `maxConnections` 10,000 open at once (clamped below the process's file limit): past it a
///   request is answered 503 and its connection closed.
/// - `unsignedBodyBudget` 32 MiB held by bodies read but not yet verified, across the process:
///   a request that would exceed it is answered 503 (`Retry-After`) without reading its body.
public struct HTTPLimits: Sendable {
    public var headerTimeout: Duration
    public var bodyTimeout: Duration
    /// Bytes per second a declared body must arrive at, on top of `bodyTimeout`.
    public var minimumBodyRate: Int
    public var idleTimeout: Duration
    public var maxConnections: Int
    /// The largest body a route accepts; the body deadline of a body without a length assumes it.
    public var maxBodySize: Int
    public var unsignedBodyBudget: Int

    public init(
        headerTimeout: Duration = .seconds(5), bodyTimeout: Duration = .seconds(10), minimumBodyRate: Int = 16 * 1024,
        idleTimeout: Duration = .seconds(60), maxConnections: Int = 10_000, maxBodySize: Int = 256 * 1024,
        unsignedBodyBudget: Int = 32 * 1024 * 1024
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.minimumBodyRate = minimumBodyRate
        self.idleTimeout = idleTimeout
        self.maxConnections = max(64, min(maxConnections, Self.fileLimit - 256))
        self.maxBodySize = maxBodySize
        self.unsignedBodyBudget = unsignedBodyBudget
    }

    /// How long the body of a request declaring `contentLength` bytes (nil: unknown) may take.
    public func bodyDeadline(contentLength: Int?) -> Duration {
        let bytes = min(contentLength ?? maxBodySize, maxBodySize)
        return bodyTimeout + .seconds(Double(bytes) / Double(max(1, minimumBodyRate)))
    }

    /// Raises this process's soft limit of open files to its hard limit (each connection is one):
    /// the default soft limit is often 1,024. Called once at startup.
    public static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Open files this process may hold (each connection is one).
    static var fileLimit: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int.max / 2) else { return Int.max / 2 }
        return Int(clamping: limit.rlim_cur)
    }
}
