import Lifecycle
import EventFormat
import LifecycleFixtures
@testable import Replay
import Testing

/// `HashIndex` keeps positions by hash and leaves matching to the caller, so keys whose hashes
/// collide (entirely, or in the 32 bits a slot keeps) must still be told apart, through growth.
@Suite struct HashIndexTests {
    enum Hashing: CaseIterable, Sendable {
        case distinct, allEqual, sameUpperHalf, sameLowerHalf

        func hash(_ key: String) -> UInt64 {
            switch self {
            case .distinct: ByteHash.hash(key)
            case .allEqual: 42
            case .sameUpperHalf: UInt64(7) << 32 | (ByteHash.hash(key) & 0xFFFF_FFFF)
            case .sameLowerHalf: ByteHash.hash(key) & ~0xFFFF_FFFF
            }
        }
    }

    /// Keys in a list, found through the index.
    struct Table {
        var keys: [String] = []
        var index = HashIndex()
        let hashing: Hashing

        func hash(_ key: String) -> UInt64 { hashing.hash(key) }

        mutating func insertIfAbsent(_ key: String) -> Bool {
            let h = hash(key)
            if index.find(hash: h, where: { keys[$0] == key }) != nil { return false }
            index.insert(hash: h, position: keys.count)
            keys.append(key)
            return true
        }

        func position(of key: String) -> Int? {
            index.find(hash: hash(key)) { keys[$0] == key }
        }
    }

    @Test(arguments: Hashing.allCases)
    func keysAreToldApartWhateverTheirHashes(_ hashing: Hashing) {
        var table = Table(hashing: hashing)
        let keys = (0..<300).map { "evt_\($0)" }
        for key in keys {
            let inserted = table.insertIfAbsent(key)
            #expect(inserted, "\(key)")
        }
        // Grown from 16 slots several times on the way.
        #expect(table.index.count == keys.count)
        for key in keys.shuffled() {
            let inserted = table.insertIfAbsent(key)
            #expect(!inserted, "\(key)")
        }
        for (i, key) in keys.enumerated() { #expect(table.position(of: key) == i, "\(key)") }
        #expect(table.position(of: "evt_300") == nil)
    }

    @Test func byteHashDependsOnEveryByteAndTheLength() {
        let base = Array("sub_0SNlurA049MEWV3V0q7gjQbM4EVo".utf8)
        var hashes: Set<UInt64> = []
        for length in 0...base.count {
            hashes.insert(base[..<length].withUnsafeBytes { ByteHash.hash($0) })
        }
        for i in base.indices {
            var changed = base
            changed[i] ^= 1
            hashes.insert(changed.withUnsafeBytes { ByteHash.hash($0) })
        }
        #expect(hashes.count == base.count + 1 + base.count)
        // Trailing zero bytes change the length, and so the hash.
        let one: [UInt8] = [1], oneAndZero: [UInt8] = [1, 0]
        #expect(one.withUnsafeBytes { ByteHash.hash($0) } != oneAndZero.withUnsafeBytes { ByteHash.hash($0) })
    }
}
