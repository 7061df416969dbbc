import Foundation
import Synchronization
import NIOCore

/// Where messages may go (SPEC §6 "Destinations"). By default only `https`, and only to hosts whose
/// every address is public: not loopback, private (RFC 1918, ULA), link-local, shared, reserved or
/// multicast, and so not a cloud metadata service either. Checked when an endpoint is created or
/// changed (its name resolved then), and again at every connection on the address actually
/// connected to (`isAllowed`), so a name that later resolves elsewhere (DNS rebinding) is caught.
public enum Destination {
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// What an endpoint URL may look like (the OpenAPI document's `EndpointURL` has the same
    /// pattern): http(s), a host name or IP literal, a port, a path and a query of URL characters and percent-escapes.
    public static let urlPattern = #"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/([A-Za-z0-9._~!$&()*+,;=:@/-]|%[0-9A-Fa-f]{2})*)?(\?([A-Za-z0-9._~!$&()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$"#

    /// Built per check (a `Regex` is not `Sendable`); checks are rare (an endpoint saved, a cache miss).
    private static var urlRegex: Regex<AnyRegexOutput> { try! Regex(urlPattern) }

    /// Nil when `url` may receive messages; else why not, in one line.
    public static func check(_ url: String, allowPrivate: Bool) async -> Problem? {
        guard url.utf8.count <= 2_048, let match = try? urlRegex.wholeMatch(in: url), let host = match.output[1].substring.map(String.init)
        else { return Problem(description: "url must be an absolute http or https URL") }
        if allowPrivate { return nil }
        guard url.lowercased().hasPrefix("https://") else {
            return Problem(description: "url must use https (plain http is allowed only with --allow-private-destinations)")
        }
        let addresses = await resolve(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
        guard !addresses.isEmpty else { return Problem(description: "url's host \(host) does not resolve") }
        for address in addresses where !isAllowed(address) {
            return Problem(description: "url's host \(host) resolves to \(address.ipAddress ?? "a local address"), which is not public"
                           + " (allowed only with --allow-private-destinations)")
        }
        return nil
    }

    /// Whether a peer may be talked to: an IP address that is public.
    public static func isAllowed(_ address: SocketAddress?) -> Bool {
        switch address {
        case .v4(let v4):
            return isPublic(ipv4: withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) })
        case .v6(let v6):
            return isPublic(ipv6: withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) })
        default:
            return false
        }
    }

    static func isPublic(ipv4 b: [UInt8]) -> Bool {
        guard b.count == 4 else { return false }
        switch (b[0], b[1], b[2]) {
        case (0, _, _), (10, _, _), (127, _, _): return false       // this network, private, loopback
        case (100, 64...127, _): return false                       // shared address space (carrier NAT, some metadata)
        case (169, 254, _): return false                            // link-local, cloud metadata
        case (172, 16...31, _), (192, 168, _): return false         // private
        case (192, 0, 0), (192, 0, 2), (198, 51, 100), (203, 0, 113): return false  // IETF, documentation
        case (198, 18...19, _): return false                        // benchmarking
        case (224...255, _, _): return false                        // multicast, reserved, broadcast
        default: return true
        }
    }

    static func isPublic(ipv6 b: [UInt8]) -> Bool {
        guard b.count == 16 else { return false }
        let embeddedV4 = Array(b[12..<16])
        if b[0..<10].allSatisfy({ $0 == 0 }) {
            if b[10] == 0xFF && b[11] == 0xFF { return isPublic(ipv4: embeddedV4) }  // ::ffff:a.b.c.d
            if b[10] == 0 && b[11] == 0 { return false }                              // ::, ::1, ::a.b.c.d
        }
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..<12].allSatisfy({ $0 == 0 }) {
            return isPublic(ipv4: embeddedV4)                                         // 64:ff9b::/96 (NAT64)
        }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return false }                       // fe80::/10 link-local
        if b[0] & 0xFE == 0xFC { return false }                                       // fc00::/7 unique local (and fd00:ec2::254)
        if b[0] == 0xFF { return false }                                              // multicast
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return false } // 2001:db8::/32 documentation
        if b[0] == 0x20 && b[1] == 0x02 { return false }                              // 2002::/16 6to4 (wraps any IPv4)
        if b[0] == 0x01 && b[1] == 0x00 && b[2..<8].allSatisfy({ $0 == 0 }) { return false } // 100::/64 discard
        return true
    }

    /// Every address `host` resolves to (an IP literal is itself), on a thread of its own:
    /// `getaddrinfo` blocks.
    static func resolve(_ host: String) async -> [SocketAddress] {
        // `getaddrinfo` cannot be interrupted: a cancelled lookup (the attempt's deadline) answers
        // nothing at once and its thread finishes on its own.
        let pending = PendingLookup()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                pending.set(continuation)
                if Task.isCancelled { pending.finish([]) }
                Thread { pending.finish(lookUp(host)) }.start()
            }
        } onCancel: {
            pending.finish([])
        }
    }

    /// The continuation of a lookup, resumed once: by the lookup or by cancellation.
    private final class PendingLookup: Sendable {
        private let continuation = Mutex<CheckedContinuation<[SocketAddress], Never>?>(nil)

        func set(_ continuation: CheckedContinuation<[SocketAddress], Never>) {
            self.continuation.withLock { $0 = continuation }
        }

        func finish(_ addresses: [SocketAddress]) {
            continuation.withLock { $0.take() }?.resume(returning: addresses)
        }
    }

    /// Every address of `host`, blocking.
    private static func lookUp(_ host: String) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let info = current {
            if let address = info.pointee.ai_addr {
                switch Int32(info.pointee.ai_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                default:
                    break
                }
            }
            current = info.pointee.ai_next
        }
        return addresses
    }
}
