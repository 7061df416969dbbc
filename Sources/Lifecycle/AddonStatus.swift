/// Status of a subscription add-on at a given `now`. Only moves pending → active → ended or
/// pending → ended.
public enum AddonStatus: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case pending, active, ended

    private var rank: Int {
        switch self {
        case .pending: return 0
        case .active: return 1
        case .ended: return 2
        }
    }

    public static func < (a: AddonStatus, b: AddonStatus) -> Bool { a.rank < b.rank }
}
