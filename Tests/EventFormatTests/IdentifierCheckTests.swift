import Lifecycle
@testable import EventFormat
import LifecycleFixtures
import Testing

/// The decoder's quick identifier test (8 bytes at a time) must accept exactly what the precise
/// check accepts: every byte value, at every position of a word, for lengths around the word
/// size and the length limit.
@Suite struct IdentifierCheckTests {
    static func precise(_ bytes: [UInt8]) -> Bool {
        (try? FieldReader.checkIdentifier(bytes, field: "id")) != nil
    }

    static func quick(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { FieldReader.isPrintableASCII($0) }
    }

    @Test(arguments: [1, 7, 8, 9, 16, 17, 32, 254, 255])
    func quickTestAgreesWithThePreciseOneForEveryByte(length: Int) {
        var disagreements: [String] = []
        for position in Set([0, length / 2, length - 1, min(7, length - 1), min(8, length - 1)]) {
            for value in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                bytes[position] = UInt8(value)
                // Neighbours at the edges of the valid range, where a carry or borrow could leak.
                if position > 0 { bytes[position - 1] = value % 2 == 0 ? 0x21 : 0x7E }
                if Self.quick(bytes) != Self.precise(bytes) { disagreements.append("byte \(value) at \(position)") }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    @Test func emptyAndOverlongAreRejected() {
        for length in [0, 256, 300] {
            let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
            #expect(!Self.quick(bytes))
            #expect(!Self.precise(bytes))
        }
    }
}
