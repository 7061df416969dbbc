/// An add-on's coverage profile: the countries in which a latch or first usage activates it.
/// Only `countries` matters to the lifecycle, so `id` and `name` are optional (SPEC §2).
public struct Coverage: Sendable, Hashable, Codable {
    public var id: String?
    /// Sorted and de-duplicated, so matching is a binary search and equal profiles compare equal
    /// (the provider's order survives in the raw snapshot).
    public private(set) var countries: [String]
    public var name: String?

    public init(id: String? = nil, countries: some Sequence<String>, name: String? = nil) {
        self.id = id
        var sorted = countries.sorted()
        // Adjacent duplicates only, after sorting: cheaper than a Set on the decode hot path.
        var last: String?
        sorted.removeAll { code in
            defer { last = code }
            return code == last
        }
        self.countries = sorted
        self.name = name
    }

    /// Binary search: coverage lists are short and already sorted, so this beats hashing.
    public func covers(_ country: String) -> Bool {
        let index = countries.lowerBound(of: country)
        return index < countries.count && countries[index] == country
    }
}
