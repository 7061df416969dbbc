import Foundation

/// A TCP connection to 127.0.0.1 driven byte by byte, for what an HTTP client library will not
/// do: stall in a head, trickle a body, hold a connection open. Reads block on a thread of their
/// own, never on Swift's cooperative pool (which the server under test needs).
public final class RawConnection: @unchecked Sendable {
    private let fd: Int32

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Foundation.close(fd)
            throw CocoaError(.fileReadUnknown)
        }
    }

    private let closed = NSLock()
    private var isClosed = false

    deinit { close() }

    public func close() {
        closed.lock()
        defer { closed.unlock() }
        if !isClosed {
            isClosed = true
            Foundation.close(fd)
        }
    }

    /// False once the server has closed its end (the write fails).
    @discardableResult
    public func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Everything the server sends until it closes the connection; nil if it is still open after
    /// `limit` (a generous bound, so a broken server fails the test instead of hanging it).
    public func readUntilClosed(limit: Duration = .seconds(30)) async -> String? {
        await withCheckedContinuation { continuation in
            let fd = self.fd
            Thread {
                var timeout = timeval(tv_sec: Int(limit.components.seconds), tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if count > 0 {
                        received += buffer[..<count]
                    } else if count == 0 || errno == ECONNRESET {
                        continuation.resume(returning: String(decoding: received, as: UTF8.self))
                        return
                    } else if errno != EINTR {
                        continuation.resume(returning: nil)
                        return
                    }
                }
            }.start()
        }
    }
}
