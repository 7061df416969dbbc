import Foundation
import Store

/// What follows an attempt (SPEC §6): a 2xx is delivered; a 410 disables the endpoint (`gone`) and
/// the message waits; anything else (another status, a redirect, an error, no answer in time) is
/// retried on the schedule, with `Retry-After` honoured on 429 and 503 (at least the scheduled
/// delay, at most a day), and after the last retry the message has failed.
public struct RetryPolicy: Sendable {
    public var configuration: DeliveryConfiguration

    public init(_ configuration: DeliveryConfiguration) {
        self.configuration = configuration
    }

    /// `attempts`: the attempts made, this one included. `jitter`: a factor in 1 ± jitter. A retry
    /// is a delay, not an instant: the database adds it to its own clock, which due times are
    /// compared with (a delivering host's clock may be off).
    public func next(statusCode: Int?, retryAfter: Duration?, attempts: Int, jitter: Double = 1) -> WebhookMessages.Completion.Next {
        if let statusCode, (200..<300).contains(statusCode) { return .delivered }
        if statusCode == 410 { return .gone }
        let schedule = configuration.retrySchedule
        guard attempts <= schedule.count else { return .failed }
        var delay = schedule[attempts - 1].seconds * jitter
        if let retryAfter, statusCode == 429 || statusCode == 503 {
            // The receiver's wish is capped, never the schedule.
            delay = max(delay, min(retryAfter.seconds, configuration.maximumRetryAfter.seconds))
        }
        return .retry(afterSeconds: delay)
    }

    /// A random factor in 1 ± the configured jitter.
    public var randomJitter: Double {
        1 + Double.random(in: -configuration.jitter...configuration.jitter)
    }

    /// `Retry-After` as delta-seconds or an HTTP date; nil when it is neither.
    public static func retryAfter(_ value: String?, now: Date) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(max(0, date.timeIntervalSince(now)))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
