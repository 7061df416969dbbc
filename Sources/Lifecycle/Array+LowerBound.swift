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
