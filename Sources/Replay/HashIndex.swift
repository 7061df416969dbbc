import EventFormat
import Lifecycle

/// An open-addressing table from hashes to positions in the caller's own list, for sets and maps
/// of millions of entries: the keys stay in the caller's list and the table holds 8 bytes per
/// entry, so growing it never rehashes a key. The caller decides what a match is, so a hash
/// collision is resolved by comparing the keys themselves.
///
/// A slot keeps 32 bits of the hash, which both pick its home slot and skip, without asking the
/// caller, the other keys met while probing (a table of up to 2^32 slots).
struct HashIndex: Sendable {
    private struct Slot {
        var tag: UInt32
        /// Position in the caller's list; -1 for an empty slot.
        var position: Int32
    }

    private var slots: [Slot] = []
    private(set) var count = 0

    init(minimumCapacity: Int = 0) {
        if minimumCapacity > 0 { resize(to: Self.capacity(for: minimumCapacity)) }
    }

    /// The position stored under `hash` for which `matches` holds, if any.
    func find(hash: UInt64, where matches: (Int) -> Bool) -> Int? {
        guard !slots.isEmpty else { return nil }
        let tag = Self.tag(hash)
        let mask = slots.count - 1
        var i = Int(tag) & mask
        while true {
            let slot = slots[i]
            if slot.position < 0 { return nil }
            if slot.tag == tag, matches(Int(slot.position)) { return Int(slot.position) }
            i = (i + 1) & mask
        }
    }

    /// Loads the first slot `find(hash:)` would read and returns something of it: a batch of
    /// lookups touches all its slots first, so their cache misses overlap.
    func touch(hash: UInt64) -> UInt32 {
        guard !slots.isEmpty else { return 0 }
        return slots[Int(Self.tag(hash)) & (slots.count - 1)].tag
    }

    /// Adds `position` under `hash`; the caller has checked it is not there yet.
    mutating func insert(hash: UInt64, position: Int) {
        if (count + 1) * 2 > slots.count { resize(to: Self.capacity(for: count + 1)) }
        count += 1
        slots.withUnsafeMutableBufferPointer { Self.place(Slot(tag: Self.tag(hash), position: Int32(position)), in: $0) }
    }

    private static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> 32) }

    /// At most half full, so a probe ends soon.
    private static func capacity(for count: Int) -> Int {
        var capacity = 16
        while capacity < count * 2 { capacity *= 2 }
        return capacity
    }

    private mutating func resize(to capacity: Int) {
        let old = slots
        slots = Array(repeating: Slot(tag: 0, position: -1), count: capacity)
        slots.withUnsafeMutableBufferPointer { table in
            for slot in old where slot.position >= 0 { Self.place(slot, in: table) }
        }
    }

    private static func place(_ slot: Slot, in table: UnsafeMutableBufferPointer<Slot>) {
        let mask = table.count - 1
        var i = Int(slot.tag) & mask
        while table[i].position >= 0 { i = (i + 1) & mask }
        table[i] = slot
    }
}
