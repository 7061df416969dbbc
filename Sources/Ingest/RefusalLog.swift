import Logging
import Synchronization

/// Logs refused webhooks without letting a flood of them flood the log: the first refusal after a
/// quiet `interval` is logged at `notice` with its details, and the ones that follow within it are
/// only counted (each at `debug`), then summed up in the next notice. `/metrics` counts every one
/// (`addon_ingest_requests_total{outcome}`).
final class RefusalLog: Sendable {
    private let interval: Duration
    private let state = Mutex<(lastNotice: ContinuousClock.Instant?, suppressed: [String: Int])>((nil, [:]))

    init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    func refused(_ error: APIError, logger: Logger) {
        let now = ContinuousClock.now
        var metadata: Logger.Metadata = ["status": "\(error.status.code)", "type": "\(error.type)", "code": "\(error.code ?? "")",
                                         "message": "\(error.message)"]
        let suppressed = state.withLock { state -> [String: Int]? in
            if let last = state.lastNotice, now - last < interval {
                state.suppressed[error.type, default: 0] += 1
                return nil
            }
            defer { state = (now, [:]) }
            return state.suppressed
        }
        guard let suppressed else {
            logger.debug("webhook refused", metadata: metadata)
            return
        }
        if !suppressed.isEmpty {
            metadata["refusedSinceLastNotice"] = "\(suppressed.values.reduce(0, +))"
            metadata["byType"] = "\(suppressed.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))"
        }
        if error.status.code >= 500 {
            logger.warning("webhook not stored", metadata: metadata)
        } else {
            logger.notice("webhook refused", metadata: metadata)
        }
    }
}
