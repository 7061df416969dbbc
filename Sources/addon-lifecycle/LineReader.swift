import Foundation

/// Reads a file (or standard input for "-") line by line with C stdio: no whole-file buffer, so a
/// log of any size streams. Lines are handed out as raw bytes without the newline.
final class LineReader {
    private let file: UnsafeMutablePointer<FILE>
    private let closes: Bool
    private var line: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    private(set) var number = 0
    private(set) var bytesRead = 0
    /// The file's size, when it is a regular file (for progress).
    let size: Int?

    init(path: String) throws {
        if path == "-" {
            guard let input = fdopen(STDIN_FILENO, "r") else { throw ReplayError("cannot read standard input") }
            file = input
            closes = false
        } else {
            guard let opened = fopen(path, "r") else {
                throw ReplayError("cannot open \(path): \(String(cString: strerror(errno)))")
            }
            file = opened
            closes = true
        }
        // stdio's default 4 KiB buffer makes a read() per 4 KiB: on a large log that is most of
        // the reading cost.
        setvbuf(file, nil, _IOFBF, 1 << 20)
        var info = stat()
        size = fstat(fileno(file), &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
    }

    deinit {
        free(line)
        if closes { fclose(file) }
    }

    /// The next line, or nil at the end. The buffer is only valid until the next call.
    func next() -> UnsafeRawBufferPointer? {
        let count = getline(&line, &capacity, file)
        guard count >= 0, let line else { return nil }
        number += 1
        bytesRead += count
        var length = count
        while length > 0, line[length - 1] == 0x0A || line[length - 1] == 0x0D { length -= 1 }
        return UnsafeRawBufferPointer(start: line, count: length)
    }
}

/// A one-line error for the command line (exit 2).
struct ReplayError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
