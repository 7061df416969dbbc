import Lifecycle
/// Valid JSON the service still refuses (422, not 400: the body parses fine):
/// - U+0000 in a string or key: PostgreSQL `jsonb` rejects `\u0000` and `text` rejects NUL, so the
///   event could not be stored as received.
/// - a duplicate key: two readers would disagree on which value counts.
///
/// Found by a walk in document order that builds the path of the first hazard only while
/// unwinding, so a clean document costs no allocation.
enum JSONHazard: Sendable {
    case nulInString, nulInKey, duplicateKey

    static func first(in value: JSONValue) -> DecodingFailure? {
        guard let found = find(in: value) else { return nil }
        return found.hazard.failure(at: render(found.steps.reversed()))
    }

    private enum Step {
        case key(String)
        case index(Int)
    }

    private static func find(in value: JSONValue) -> (hazard: JSONHazard, steps: [Step])? {
        switch value {
        case .null, .bool, .number:
            return nil
        case .string(let s):
            return containsNUL(s) ? (.nulInString, []) : nil
        case .array(let elements):
            for (i, element) in elements.enumerated() {
                if var found = find(in: element) {
                    found.steps.append(.index(i))
                    return found
                }
            }
            return nil
        case .object(let members):
            var seen: Set<String>?
            for (i, member) in members.enumerated() {
                if containsNUL(member.key) { return (.nulInKey, [.key(member.key)]) }
                if isDuplicate(member.key, before: i, in: members, seen: &seen) {
                    return (.duplicateKey, [.key(member.key)])
                }
                if var found = find(in: member.value) {
                    found.steps.append(.key(member.key))
                    return found
                }
            }
            return nil
        }
    }

    /// Linear for the usual small objects, a hash set once an object is large (hostile bodies).
    private static func isDuplicate(_ key: String, before i: Int, in members: [JSONMember], seen: inout Set<String>?) -> Bool {
        if seen == nil {
            if i < 16 {
                for k in 0..<i where members[k].key == key { return true }
                return false
            }
            seen = Set(members[..<i].lazy.map(\.key))
        }
        return !seen!.insert(key).inserted
    }

    private static func containsNUL(_ s: String) -> Bool {
        for byte in s.utf8 where byte == 0 { return true }
        return false
    }

    /// `data.lineItems[0].note`; keys are input, so each is shown escaped and capped.
    private static func render(_ steps: some Sequence<Step>) -> String {
        var path = ""
        for step in steps {
            switch step {
            case .key(let key):
                if !path.isEmpty { path += "." }
                path += Echo.key(key)
            case .index(let i):
                path += "[\(i)]"
            }
        }
        return path
    }

    private func failure(at field: String) -> DecodingFailure {
        switch self {
        case .nulInString:
            return .invalid(
                field: field, code: DecodingFailure.Code.invalidValue,
                message: "\(field) contains U+0000, which cannot be stored.",
                hint: "Remove U+0000 from \(field): strings must not contain U+0000.")
        case .nulInKey:
            return .invalid(
                field: field, code: DecodingFailure.Code.invalidValue,
                message: "The key \(field) contains U+0000, which cannot be stored.",
                hint: "Remove U+0000 from the key \(field): strings must not contain U+0000.")
        case .duplicateKey:
            return .invalid(
                field: field, code: DecodingFailure.Code.duplicateKey,
                message: "\(field) appears more than once in its object.",
                hint: "Send \(field) only once: readers disagree on which duplicate counts.")
        }
    }
}
