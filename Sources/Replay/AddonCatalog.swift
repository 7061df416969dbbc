import EventFormat
import Lifecycle

/// The distinct add-on snapshots seen while decoding a log, by their compact text. An add-on of
/// the provider's catalog arrives with the same `data.addon` on every subscription it is attached
/// to, so replay decodes and keeps each text once: a compact body's add-on bytes are looked up
/// before they are decoded (a snapshot is a function of those bytes alone), and every snapshot
/// decoded is shared from here.
public final class AddonCatalog: AddonSnapshotCache {
    private var snapshots: [AddonSnapshot] = []
    private var index = HashIndex()

    public init() {}

    /// Distinct snapshots kept.
    public var count: Int { snapshots.count }

    /// The snapshot whose compact text is `text`, if one was kept.
    public func snapshot(text: UnsafeRawBufferPointer) -> AddonSnapshot? {
        index.find(hash: ByteHash.hash(text)) { snapshots[$0].rawText.utf8Equals(text) }
            .map { snapshots[$0] }
    }

    /// The kept snapshot equal to `snapshot`, keeping `snapshot` if there is none.
    public func intern(_ snapshot: AddonSnapshot) -> AddonSnapshot {
        let hash = ByteHash.hash(snapshot.rawText)
        if let known = index.find(hash: hash, where: { snapshots[$0] == snapshot }) { return snapshots[known] }
        index.insert(hash: hash, position: snapshots.count)
        snapshots.append(snapshot)
        return snapshot
    }
}
