import Foundation

/// A minimal blocking HTTP/1.1 keep-alive client over one TCP socket, for load generation.
/// One per thread; no pipelining. Good enough to measure a server, not to be a general client.
final class HTTPLoadClient {
    private let host: String
    private let port: UInt16
    private var fd: Int32 = -1
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var pending: [UInt8] = []

    init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    deinit { if fd >= 0 { close(fd) } }

    private func connect() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            fd = -1
            throw LoadError("cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
        }
        pending.removeAll()
    }

    /// Sends one request and returns the response status code (reconnecting once if the
    /// keep-alive connection was closed by the server).
    func send(_ request: [UInt8]) throws -> Int {
        for attempt in 0..<2 {
            if fd < 0 { try connect() }
            if writeAll(request), let status = readResponse() { return status }
            close(fd)
            fd = -1
            if attempt == 1 { break }
        }
        throw LoadError("connection failed")
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    /// Reads one response: status line, headers, Content-Length body.
    private func readResponse() -> Int? {
        while true {
            if let end = headerEnd() {
                let head = String(decoding: pending[..<end], as: UTF8.self)
                let lines = head.split(separator: "\r\n")
                guard let statusLine = lines.first, statusLine.count >= 12, let status = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
                var length = 0
                for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
                    length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                }
                let total = end + 4 + length
                while pending.count < total {
                    guard fill() else { return nil }
                }
                pending.removeFirst(total)
                return status
            }
            guard fill() else { return nil }
        }
    }

    private func headerEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for index in 0...(pending.count - 4) where pending[index] == 13 && pending[index + 1] == 10 && pending[index + 2] == 13 && pending[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func fill() -> Bool {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard count > 0 else { return false }
        pending.append(contentsOf: buffer[..<count])
        return true
    }
}

struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
