@testable import Ingest
import Logging
import Synchronization
import Testing

/// A flood of refused webhooks costs the log one line per interval, not one per request.
@Suite struct RefusalLogTests {
    final class Capture: LogHandler, @unchecked Sendable {
        let lines = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
        }
    }

    @Test func aFloodIsSummedUpInTheNextNotice() async throws {
        let capture = Capture()
        let logger = Logger(label: "test") { _ in capture }
        let log = RefusalLog(interval: .milliseconds(300))
        let refused = APIError.unauthenticated("invalidSignature", "No signature matches.")
        for _ in 0..<100 { log.refused(refused, logger: logger) }
        var lines = capture.lines.withLock { $0 }
        #expect(lines.filter { $0.0 == .notice }.count == 1)
        #expect(lines.filter { $0.0 == .debug }.count == 99)
        try await Task.sleep(for: .milliseconds(400))
        log.refused(refused, logger: logger)
        lines = capture.lines.withLock { $0 }
        let notices = lines.filter { $0.0 == .notice }
        #expect(notices.count == 2)
        #expect(notices.last?.2["refusedSinceLastNotice"] == "99")
        #expect(notices.last?.2["byType"] == "unauthenticated=99")
    }
}
