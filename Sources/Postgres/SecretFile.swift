import Foundation

/// Files that hold a secret (the embedded cluster's password, the development webhook secret and
/// API token) are created with mode 0600 from their first byte: `open(O_CREAT | O_EXCL, 0600)`, not
/// written and then chmod-ed, so there is no moment when another user could read them.
package enum SecretFile {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// Creates `path` with `contents`; fails if it exists (never reuses a file someone planted).
    package static func create(_ path: String, contents: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                unlink(path)
                throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += count
        }
    }
}
