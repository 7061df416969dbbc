import Lifecycle
/// How error messages quote input: never more than `maxBytes` UTF-8 bytes per quoted key or
/// value (hostile bodies are up to 256 KiB and messages end up in logs and responses), always
/// cut at a scalar boundary so the result stays valid UTF-8.
package enum Echo {
    package static let maxBytes = 64

    /// `s` itself when short enough, else its first bytes and "…", `maxBytes` in total.
    package static func excerpt(_ s: String) -> String {
        let utf8 = s.utf8
        guard utf8.count > maxBytes else { return s }
        let ellipsis = "…"
        var end = utf8.index(utf8.startIndex, offsetBy: maxBytes - ellipsis.utf8.count)
        while end > utf8.startIndex, UTF8.isContinuation(utf8[end]) {
            end = utf8.index(before: end)
        }
        return String(decoding: utf8[..<end], as: UTF8.self) + ellipsis
    }

    /// An input key inside a field path: control characters spelled `\u0000`, then capped.
    package static func key(_ key: String) -> String {
        guard key.utf8.contains(where: { $0 < 0x20 }) else { return excerpt(key) }
        var out = ""
        for scalar in key.unicodeScalars {
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: 4 - hex.utf8.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
            if out.utf8.count > maxBytes { break }
        }
        return excerpt(out)
    }
}
