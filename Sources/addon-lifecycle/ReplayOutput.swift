import Foundation
import Lifecycle
import EventFormat
import Replay

/// What `replay` prints on standard output, in text or as one JSON document per line.
struct ReplayOutput {
    let format: ReplayCommand.Format
    private var output = LineOutput()

    init(format: ReplayCommand.Format) { self.format = format }

    mutating func write(_ addon: AddonState, project: String) {
        switch format {
        case .json:
            guard case .object(let members) = addon.json else { return }
            line(JSONValue.object([JSONMember("project", .string(project))] + members).jsonString)
        case .text:
            // Written in place: a large log prints hundreds of thousands of these lines. Ids are
            // printable ASCII (the decoder checks), so no CR or LF.
            output.writeLine { out in
                out += project.utf8; out.append(UInt8(ascii: "/")); out += addon.subscription.utf8
                out.append(0x20); out += addon.id.utf8; out.append(0x20); out += addon.status.rawValue.utf8
                out += "  created ".utf8; addon.createdAt.writeRFC3339(to: &out)
                if let at = addon.activatedAt { out += "  activated ".utf8; at.writeRFC3339(to: &out) }
                if let end = addon.currentPeriod?.end, addon.status == .active { out += "  ends ".utf8; end.writeRFC3339(to: &out) }
                if let at = addon.endedAt {
                    out += "  ended ".utf8; at.writeRFC3339(to: &out)
                    out += " (\(addon.endReason?.rawValue ?? "?"))".utf8
                }
            }
        }
    }

    mutating func write(_ allowance: Allowance, key: ReplayLog.Key) {
        switch format {
        case .json:
            guard case .object(let members) = allowance.json else { return }
            let scope = [JSONMember("project", .string(key.project)), JSONMember("subscription", .string(key.subscription))]
            line(JSONValue.object(scope + members).jsonString)
        case .text:
            let expires = allowance.expiresAt.map { "  expires \($0.rfc3339)" } ?? "  expiry unknown"
            line("\(key.project)/\(key.subscription) \(allowance.priority) \(allowance.scope.rawValue) \(allowance.addon.id) \(allowance.addon.addon.id)\(expires)")
        }
    }

    mutating func write(_ entry: TraceEntry) {
        switch format {
        case .json:
            var members: [JSONMember] = [
                JSONMember("time", .string(entry.time.rfc3339)),
                JSONMember("project", .string(entry.key.project)),
                JSONMember("subscription", .string(entry.key.subscription)),
            ]
            switch entry.cause {
            case .event(let id, let type):
                members += [JSONMember("cause", "event"), JSONMember("event", .string(id)), JSONMember("type", .string(type))]
            case .timer:
                members.append(JSONMember("cause", "timer"))
            }
            members.append(JSONMember("changes", .array(entry.changes.flatMap { addon, fields in
                fields.map { field -> JSONValue in
                    ["subscriptionAddon": .string(addon), "field": .string(field.path), "from": field.old ?? .null, "to": field.new ?? .null]
                }
            })))
            members.append(JSONMember("transitions", .array(entry.transitions.map(Self.json))))
            line(JSONValue.object(members).jsonString)
        case .text:
            let cause: String = switch entry.cause {
            case .event(let id, let type): "\(id) \(type)"
            case .timer: "timer"
            }
            line("\(entry.time.rfc3339) \(entry.key.project)/\(entry.key.subscription) \(cause)")
            for (addon, fields) in entry.changes {
                if fields.count == 1, fields[0].path.isEmpty, let object = fields[0].new {
                    line("    \(addon) created: \(object["status"]?.stringValue ?? "?")")
                    continue
                }
                line("    \(addon) " + fields.map { "\($0.path): \($0.old?.jsonString ?? "-") → \($0.new?.jsonString ?? "-")" }.joined(separator: "; "))
            }
            for transition in entry.transitions {
                let reason = transition.reason.map { " (\($0.rawValue))" } ?? ""
                line("    ⇒ \(transition.kind.rawValue) \(transition.subscriptionAddon) at \(transition.at.rfc3339)\(reason)")
            }
        }
    }

    static func json(_ transition: Transition) -> JSONValue {
        [
            "kind": .string(transition.kind.rawValue), "subscriptionAddon": .string(transition.subscriptionAddon),
            "at": .string(transition.at.rfc3339), "endReason": transition.reason.map { .string($0.rawValue) } ?? .null,
        ]
    }

    private mutating func line(_ text: String) {
        output.writeLine(text)
    }

    mutating func finish() {
        output.finish()
    }
}
