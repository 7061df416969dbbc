import Lifecycle

/// Where the decoder may share add-on snapshots between events: a log repeats the provider's few
/// add-ons on every subscription, so replay keeps each distinct text once (`Replay.AddonCatalog`).
/// A snapshot is a function of its compact text alone, which is what makes sharing safe.
public protocol AddonSnapshotCache: AnyObject {
    /// The snapshot kept for this compact text, if any.
    func snapshot(text: UnsafeRawBufferPointer) -> AddonSnapshot?
    /// The kept snapshot equal to `snapshot`, keeping `snapshot` if there is none.
    func intern(_ snapshot: AddonSnapshot) -> AddonSnapshot
}
