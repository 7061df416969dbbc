import Postgres

/// One page of a list, newest first, with the provider's cursors (object ids).
public struct PageRequest: Sendable, Equatable {
    public var limit: Int
    /// Only items older than this one.
    public var after: String?
    /// Only items newer than this one.
    public var before: String?

    public init(limit: Int, after: String? = nil, before: String? = nil) {
        self.limit = limit
        self.after = after
        self.before = before
    }
}

public struct Page<Item: Sendable>: Sendable {
    public init(items: [Item], moreItemsAfter: String?, moreItemsBefore: String?) {
        self.items = items
        self.moreItemsAfter = moreItemsAfter
        self.moreItemsBefore = moreItemsBefore
    }

    public var items: [Item]
    /// The id to pass as `after` for the next (older) page; nil when there is none.
    public var moreItemsAfter: String?
    /// The id to pass as `before` for the previous (newer) page; nil when there is none.
    public var moreItemsBefore: String?
}

/// A cursor names no item in scope.
public struct UnknownCursor: Error, Sendable {
    /// `after` or `before`.
    public var parameter: String

    public init(parameter: String) { self.parameter = parameter }
}

/// Keyset pagination over a table's `seq` (assigned at insert, never changed): a page is stable
/// under concurrent inserts, which only ever add newer items, and costs an index range scan
/// however deep it is.
struct Keyset {
    /// The table and the select list; the list must start with `id, seq`.
    var select: String
    var table: String
    /// Filters with `$1…$n` placeholders for `binds`.
    var conditions: [String]
    var binds: [any PostgresEncodable]
    /// How many leading conditions scope a cursor lookup (e.g. the project, not the filters).
    var cursorScope: Int

    func page<Item>(_ request: PageRequest, on connection: isolated PostgresConnection,
                    decode: (PostgresRow) throws -> Item) throws -> Page<Item> {
        var conditions = self.conditions
        var binds = self.binds
        func placeholder(_ value: any PostgresEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        for (parameter, id, comparison) in [("after", request.after, "<"), ("before", request.before, ">")] {
            guard let id else { continue }
            let scope = Array(self.conditions.prefix(cursorScope)) + ["id = $\(cursorScope + 1)"]
            let lookup = try connection.query("SELECT seq FROM \(table) WHERE \(scope.joined(separator: " AND "))",
                                              Array(self.binds.prefix(cursorScope)) + [id])
            guard let seq = try lookup.first?.decode(Int64.self, column: 0) else { throw UnknownCursor(parameter: parameter) }
            conditions.append("seq \(comparison) \(placeholder(seq))")
        }
        // Walk away from `after` (older, descending) unless only `before` is given: then walk up from
        // it and show the page newest first, so it is the page just before `before`.
        let newestFirst = request.after != nil || request.before == nil
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let rows = try connection.query("""
            SELECT \(select) FROM \(table) \(filter) ORDER BY seq \(newestFirst ? "DESC" : "ASC") LIMIT \(placeholder(request.limit + 1))
            """, binds)
        var keyed: [(id: String, seq: Int64, item: Item)] = []
        for row in rows.prefix(request.limit) {
            keyed.append((try row.decode(String.self, column: 0), try row.decode(Int64.self, column: 1), try decode(row)))
        }
        let hasMoreInDirection = rows.count > request.limit
        if !newestFirst { keyed.reverse() }
        guard let newest = keyed.first, let oldest = keyed.last else { return Page(items: [], moreItemsAfter: nil, moreItemsBefore: nil) }

        // The other direction: is anything newer than the newest (or older than the oldest) shown?
        func exists(_ comparison: String, _ seq: Int64) throws -> Bool {
            var conditions = self.conditions
            conditions.append("seq \(comparison) $\(self.binds.count + 1)")
            return try connection.query("SELECT EXISTS (SELECT FROM \(table) WHERE \(conditions.joined(separator: " AND ")))",
                                        self.binds + [seq])[0].decode(Bool.self, column: 0)
        }
        let moreAfter = try newestFirst ? hasMoreInDirection : exists("<", oldest.seq)
        let moreBefore = try newestFirst ? (request.after != nil || request.before != nil) && exists(">", newest.seq) : hasMoreInDirection
        return Page(items: keyed.map(\.item), moreItemsAfter: moreAfter ? oldest.id : nil, moreItemsBefore: moreBefore ? newest.id : nil)
    }
}
