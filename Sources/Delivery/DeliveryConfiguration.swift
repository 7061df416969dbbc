import Foundation

/// How a process delivers (SPEC §6). The defaults are the contract's; operators and tests may set
/// the schedule (`DELIVERY_RETRY_SCHEDULE`), the disabling delay (`DELIVERY_DISABLE_AFTER`) and
/// private destinations (`DELIVERY_ALLOW_PRIVATE`).
public struct DeliveryConfiguration: Sendable {
    /// Delays before each retry; its length is the number of retries.
    public var retrySchedule: [Duration] = [.seconds(5), .seconds(300), .seconds(1_800), .seconds(7_200), .seconds(18_000),
                                            .seconds(36_000), .seconds(36_000)]
    /// Each delay varies by ±this fraction, so retries of many messages do not fall together.
    public var jitter = 0.2
    /// An endpoint whose every attempt has failed for this long is disabled (`failing`).
    public var disableAfter: Duration = .seconds(5 * 86_400)
    /// Success is a 2xx within this, from the start of the attempt to the end of what is read.
    public var requestTimeout: Duration = .seconds(15)
    /// Longest `Retry-After` honoured.
    public var maximumRetryAfter: Duration = .seconds(86_400)
    /// Loopback, private, link-local and metadata addresses, and plain http, allowed.
    public var allowPrivateDestinations = false
    /// Attempts in flight at once in this process.
    public var concurrency = 256
    /// Attempts in flight at once in this process to one endpoint: an endpoint that hangs holds
    /// at most this many slots, and the others keep being served: most of the process for a lone
    /// busy endpoint, a quarter kept for the rest.
    public var concurrencyPerEndpoint: Int { max(1, concurrency * 3 / 4) }
    /// Messages claimed per round trip.
    public var claimBatch = 200
    /// How long a claimed message is this process's: past it (the process died), another claims it.
    /// An attempt ends within `requestTimeout`; the rest is room to record it.
    public var lease: Duration = .seconds(30)
    /// Longest sleep without a wake-up: the fallback if notifications are lost.
    public var pollInterval: Duration = .seconds(5)
    /// How much of a receiver's answer is kept (and read).
    public var responseBodyLimit = 4_096

    public init() {}

    /// Parses `5s,5m,30m,2h,5h,10h,10h`. Empty means no retries.
    public static func parseSchedule(_ text: String) throws(ConfigurationProblem) -> [Duration] {
        var schedule: [Duration] = []
        for part in text.split(separator: ",") {
            schedule.append(try parseDuration(String(part)))
        }
        return schedule
    }

    /// `500ms`, `5s`, `5m`, `2h`, `5d`, or plain seconds.
    public static func parseDuration(_ text: String) throws(ConfigurationProblem) -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)]
        for (suffix, seconds) in units where trimmed.hasSuffix(suffix) {
            if let value = Double(trimmed.dropLast(suffix.count)), value >= 0, value.isFinite, value * seconds <= 366 * 86_400 {
                return .seconds(value * seconds)
            }
        }
        if let value = Double(trimmed), value >= 0, value <= 366 * 86_400 { return .seconds(value) }
        throw ConfigurationProblem(description: "'\(text)' is not a duration (e.g. 5s, 5m, 2h, 5d)")
    }
}

/// A setting that cannot be used, as one line.
public struct ConfigurationProblem: Error, CustomStringConvertible {
    public var description: String
}
