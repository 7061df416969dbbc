extension Array where Element: Comparable {
    /// Index of the first element not less than `value`, in a sorted array (binary search).
    func lowerBound(of value: Element) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if self[mid] < value {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low
    }
}

extension Array {
    /// Sorts in place, stably, like `sort(by:)`. A short array (a subscription's handful of facts)
    /// is insertion-sorted by moving its elements' bytes: the standard sort copies each element
    /// it shifts, which for a fact is a reference count changed per string it holds.
    mutating func stableSortSmall(by areInIncreasingOrder: (Element, Element) -> Bool) {
        guard count <= 16 else {
            sort(by: areInIncreasingOrder)
            return
        }
        withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for i in buffer.indices.dropFirst() where areInIncreasingOrder(base[i], base[i - 1]) {
                let element = (base + i).move()
                var j = i
                // Strictly before: equal elements keep their order.
                while j > 0, areInIncreasingOrder(element, base[j - 1]) {
                    (base + j).moveInitialize(from: base + j - 1, count: 1)
                    j -= 1
                }
                (base + j).initialize(to: element)
            }
        }
    }
}
