import Lifecycle
import Foundation

extension String {
    /// Whether this string's UTF-8 is exactly `bytes` (compared in place for a native string).
    package func utf8Equals(_ bytes: UnsafeRawBufferPointer) -> Bool {
        withContiguousBytes(utf8) { own in
            own.count == bytes.count && (own.isEmpty || memcmp(own.baseAddress!, bytes.baseAddress!, own.count) == 0)
        }
    }
}
