import EventFormat
import Lifecycle

extension ReplayLog {
    /// One subscription's add-ons as `replay --as-of T --subscription S` computes them from its
    /// export: the same decoder, the same log (duplicates and foreign `created` events dropped
    /// the same way) and the same fold, over bodies read from wherever they are stored. A body that
    /// no longer decodes is skipped, as `--skip-invalid` does.
    public static func states(ofBodies bodies: some Sequence<some StringProtocol>, project: String, subscription: String,
                              asOf: Instant) -> [AddonState] {
        var log = ReplayLog()
        for body in bodies {
            guard let event = try? EventDecoder.decode(Array(body.utf8)) else { continue }
            log.add(event)
        }
        for (key, addons) in log.states(now: asOf, knownBy: asOf, subscription: subscription) where key.project == project {
            return addons
        }
        return []
    }
}
