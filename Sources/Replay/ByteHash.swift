import EventFormat
import Lifecycle

/// A fast 64-bit hash of a byte string, for the in-memory tables of a replay (event ids,
/// subscriptions, add-on texts): millions of short keys, where `Hasher`'s SipHash costs more than
/// the lookup. It reads eight bytes per step and mixes the result once (MurmurHash3's finalizer).
/// Not a defence against keys chosen to collide: the tables compare the bytes on every hash match,
/// so a collision costs time, never a wrong answer, and the seed differs per process.
enum ByteHash {
    static let seed = UInt64.random(in: .min ... .max)

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = seed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
        let count = bytes.count
        var i = 0
        while i + 8 <= count {
            h = step(h, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < count {
            // The last bytes: an overlapping final word when there is one, else byte by byte.
            var tail: UInt64 = 0
            if count >= 8 {
                tail = bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            } else {
                for k in i..<count { tail |= UInt64(bytes[k]) << (8 * UInt64(k - i)) }
            }
            h = step(h, tail)
        }
        return finalize(h)
    }

    static func hash(_ string: String) -> UInt64 {
        // A native string's UTF-8 is read in place, with no copy to count.
        withContiguousBytes(string.utf8) { hash(UnsafeRawBufferPointer($0)) }
    }

    /// Two hashes as one (for a key of two strings).
    static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 {
        finalize(step(a, b))
    }

    private static func step(_ h: UInt64, _ word: UInt64) -> UInt64 {
        ((h << 5 | h >> 59) ^ word) &* 0x517C_C1B7_2722_0A95
    }

    private static func finalize(_ h: UInt64) -> UInt64 {
        var h = h
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
