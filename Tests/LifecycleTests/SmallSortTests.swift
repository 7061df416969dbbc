@testable import Lifecycle
import EventFormat
import LifecycleFixtures
import Testing

/// The fold sorts a subscription's facts with `stableSortSmall`, which moves elements' bytes
/// itself: it must give exactly the stable order of `sort(by:)`, for any length.
@Suite struct SmallSortTests {
    @Test func ordersLikeTheStandardStableSort() {
        var rng = SystemRandomNumberGenerator()
        for count in 0...24 {
            for _ in 0..<50 {
                // Few distinct keys, so equal keys are common; the tag (a heap string) shows their order.
                let elements = (0..<count).map { i in
                    (key: Int.random(in: 0..<4, using: &rng), tag: "element number \(i) of a list long enough to live on the heap")
                }
                var sorted = elements
                sorted.stableSortSmall { $0.key < $1.key }
                let expected = elements.enumerated()
                    .sorted { $0.element.key != $1.element.key ? $0.element.key < $1.element.key : $0.offset < $1.offset }
                    .map(\.element)
                #expect(sorted.map(\.key) == expected.map(\.key))
                #expect(sorted.map(\.tag) == expected.map(\.tag))
            }
        }
    }
}
