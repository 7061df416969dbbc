import Lifecycle

/// A field that differs between two JSON documents, by path (`currentPeriod.end`).
public struct JSONDifference: Sendable, Hashable {
    public var path: String
    /// Nil when the field is absent on that side.
    public var old: JSONValue?
    public var new: JSONValue?

    public init(path: String, old: JSONValue?, new: JSONValue?) {
        self.path = path
        self.old = old
        self.new = new
    }
}

extension JSONValue {
    /// The leaf fields that differ from `self` (old) to `other` (new), in `self`'s member order,
    /// then `other`'s extra members.
    /// Objects compare by key whatever their member order (PostgreSQL's jsonb reorders keys), and
    /// numbers by value (`1.0` and `1e0` are the same number); arrays compare element-wise.
    public func changes(to other: JSONValue, path: String = "") -> [JSONDifference] {
        switch (self, other) {
        case (.object(let mine), .object(let theirs)):
            var result: [JSONDifference] = []
            var theirsByKey: [String: JSONValue] = [:]
            for member in theirs { theirsByKey[member.key] = member.value }
            var seen = Set<String>()
            for member in mine {
                seen.insert(member.key)
                let child = path.isEmpty ? member.key : "\(path).\(member.key)"
                if let value = theirsByKey[member.key] {
                    result += member.value.changes(to: value, path: child)
                } else {
                    result.append(JSONDifference(path: child, old: member.value, new: nil))
                }
            }
            for member in theirs where !seen.contains(member.key) {
                result.append(JSONDifference(path: path.isEmpty ? member.key : "\(path).\(member.key)", old: nil, new: member.value))
            }
            return result
        case (.array(let mine), .array(let theirs)) where mine.count == theirs.count:
            return zip(mine, theirs).enumerated().flatMap { index, pair in pair.0.changes(to: pair.1, path: "\(path)[\(index)]") }
        case (.number(let a), .number(let b)):
            return a == b || (a.double != nil && a.double == b.double) ? [] : [JSONDifference(path: path, old: self, new: other)]
        default:
            return self == other ? [] : [JSONDifference(path: path, old: self, new: other)]
        }
    }
}
