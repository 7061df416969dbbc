import Foundation

/// Writes to file descriptor 1 directly (C's `stdout` is shared mutable state to Swift 6).
enum StandardOutput {
    /// False when the reader went away or the disk is full.
    @discardableResult
    static func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
    }
}

/// Buffered standard output, line by line, written in 64 KiB pieces, with a progress count on
/// standard error when given a label and that is a terminal.
struct LineOutput {
    private var buffer: [UInt8] = []
    private var writeFailed = false
    private(set) var lines = 0
    private let progress: Progress?

    init(progressLabel: String? = nil) {
        progress = progressLabel.flatMap { Progress(label: $0) }
    }

    /// One line. A stored body may be pretty-printed; in valid JSON a raw CR or LF can only be
    /// whitespace between tokens (inside strings they are escaped), so spaces in their place keep
    /// it the same document on one line.
    mutating func writeLine(_ text: String) {
        writeLine { out in
            let start = out.count
            out += text.utf8
            for index in start..<out.count where out[index] == 0x0A || out[index] == 0x0D { out[index] = 0x20 }
        }
    }

    /// One line written by `body` straight into the buffer (no String in between); it must not
    /// write CR or LF.
    mutating func writeLine(_ body: (inout [UInt8]) -> Void) {
        body(&buffer)
        buffer.append(0x0A)
        lines += 1
        if buffer.count >= 1 << 16 { _ = flush() }
    }

    /// Writes what is buffered; false if any write so far failed (the reader went away).
    mutating func flush() -> Bool {
        if !buffer.isEmpty {
            if !StandardOutput.write(buffer) { writeFailed = true }
            buffer.removeAll(keepingCapacity: true)
            progress?.update(count: lines)
        }
        return !writeFailed
    }

    mutating func finish() {
        _ = flush()
        progress?.finish(count: lines)
    }
}
