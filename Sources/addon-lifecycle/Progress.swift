import Foundation

/// A one-line progress display on standard error, only when standard error is a terminal (never
/// in logs or pipes), redrawn at most five times a second.
final class Progress {
    private let label: String
    private let total: Int?
    private var lastDraw = ContinuousClock.now
    private let interval = Duration.milliseconds(200)

    /// Nil when standard error is not a terminal.
    init?(label: String, total: Int? = nil) {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        self.label = label
        self.total = total
    }

    /// `done` in the unit of `total` (bytes for a file), `count` items so far.
    func update(count: Int, done: Int? = nil) {
        let now = ContinuousClock.now
        guard now - lastDraw >= interval else { return }
        lastDraw = now
        draw(count: count, done: done)
    }

    func finish(count: Int) {
        draw(count: count, done: total)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func draw(count: Int, done: Int?) {
        var line = "\r\(label) \(count) events"
        if let total, total > 0, let done {
            let fraction = min(1, Double(done) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            line = "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
                + String(format: "%3.0f%% ", fraction * 100) + "\(label) \(count) events"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
