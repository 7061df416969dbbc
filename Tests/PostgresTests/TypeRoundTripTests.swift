import Postgres
import TestSupport
import Testing

/// Every supported type goes out as a parameter and comes back as the same Swift value.
@Suite struct TypeRoundTripTests {
    let pool: PostgresPool

    init() async throws {
        pool = PostgresPool(configuration: try await TestDatabase.shared("types"), size: 2, logger: TestDatabase.logger)
    }

    func roundTrip<T: PostgresEncodable & PostgresDecodable & Equatable>(_ value: T, as sqlType: String) async throws -> T {
        try await pool.withConnection { connection in
            let rows = try connection.query("SELECT $1::\(sqlType) AS value", [value])
            return try rows[0].decode(T.self, column: "value")
        }
    }

    @Test(arguments: ["", "plain", "Grüße aus München", "日本 5GB パス", "emoji 🛫🇯🇵", "quote ' and \" and \\ and $1", String(repeating: "x", count: 100_000)])
    func text(_ value: String) async throws {
        #expect(try await roundTrip(value, as: "text") == value)
    }

    @Test(arguments: [Int64.min, -1, 0, 1, 42, Int64.max])
    func int8(_ value: Int64) async throws {
        #expect(try await roundTrip(value, as: "int8") == value)
    }

    @Test(arguments: [Int32.min, 0, Int32.max])
    func int4(_ value: Int32) async throws {
        #expect(try await roundTrip(value, as: "int4") == value)
    }

    @Test func intReadsNarrowerColumns() async throws {
        let (small, medium) = try await pool.withConnection { connection in
            try connection.query("SELECT 7::int2, 70000::int4")[0].decode((Int, Int).self)
        }
        #expect(small == 7 && medium == 70_000)
    }

    @Test(arguments: [true, false])
    func bool(_ value: Bool) async throws {
        #expect(try await roundTrip(value, as: "bool") == value)
    }

    @Test(arguments: [0.0, -1.5, 3.141592653589793, 1e300])
    func float8(_ value: Double) async throws {
        #expect(try await roundTrip(value, as: "float8") == value)
    }

    /// Microsecond precision both sides of both epochs (1970 for us, 2000 for PostgreSQL's wire format).
    @Test(arguments: [0, 1, -1, 946_684_800_000_000, 946_684_799_999_999, 1_765_794_660_123_456, -2_208_988_800_000_000, 253_402_300_799_999_999] as [Int64])
    func timestamptz(_ micros: Int64) async throws {
        let value = PostgresTimestamp(microsecondsSinceEpoch: micros)
        #expect(try await roundTrip(value, as: "timestamptz") == value)
    }

    @Test func timestamptzMatchesServerText() async throws {
        let text = try await pool.withConnection { connection in
            try connection.query(
                "SELECT to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')",
                [PostgresTimestamp(microsecondsSinceEpoch: 1_765_794_660_123_456)])[0].decode(String.self, column: 0)
        }
        #expect(text == "2025-12-15T10:31:00.123456")
    }

    @Test func jsonb() async throws {
        let value = PostgresJSONB(#"{"name":"日本 5GB","countries":["JP"],"price":{"amount":1499}}"#)
        let back = try await pool.withConnection { connection in
            try connection.query("SELECT $1::jsonb -> 'countries' ->> 0, $1::jsonb", [value])[0].decode((String, PostgresJSONB).self)
        }
        #expect(back.0 == "JP")
        // jsonb normalizes spacing; compare parsed content through the server.
        let same = try await pool.withConnection { connection in
            try connection.query("SELECT $1::jsonb = $2::jsonb", [value, back.1])[0].decode(Bool.self, column: 0)
        }
        #expect(same)
    }

    @Test func nullsOfEveryType() async throws {
        let row = try await pool.withConnection { connection in
            try connection.query(
                "SELECT $1::text, $2::int8, $3::bool, $4::timestamptz, $5::jsonb, $6::float8",
                [String?.none, Int64?.none, Bool?.none, PostgresTimestamp?.none, PostgresJSONB?.none, Double?.none])[0]
                .decode((String?, Int64?, Bool?, PostgresTimestamp?, PostgresJSONB?, Double?).self)
        }
        #expect(row.0 == nil && row.1 == nil && row.2 == nil && row.3 == nil && row.4 == nil && row.5 == nil)
    }

    @Test func optionalsWithValues() async throws {
        let value: String? = "set"
        #expect(try await roundTrip(value, as: "text") == "set")
    }

    @Test func arraysExpandWithUnnest() async throws {
        let ids = ["evt_1", "evt_ü", ""]
        let times = [1, 2, 3].map { PostgresTimestamp(microsecondsSinceEpoch: $0) }
        let optionals: [String?] = ["a", nil, "c"]
        let rows = try await pool.withConnection { connection in
            try connection.query(
                "SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[]) WITH ORDINALITY ORDER BY ordinality",
                [ids, times, optionals]
            ).map { try $0.decode((String, PostgresTimestamp, String?, Int).self) }
        }
        #expect(rows.map(\.0) == ids)
        #expect(rows.map(\.1) == times)
        #expect(rows.map(\.2) == optionals)
    }

    @Test func nullIntoNonOptionalNamesTheColumn() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { connection in
                try connection.query("SELECT NULL::text AS nickname")[0].decode(String.self, column: "nickname")
            }
        }
        #expect(error?.kind == .decoding)
        #expect(error?.message.contains("nickname") == true)
    }

    @Test func wrongTypeNamesTheColumn() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { connection in
                try connection.query("SELECT 'x'::text AS label")[0].decode(Int.self, column: "label")
            }
        }
        #expect(error?.kind == .decoding)
        #expect(error?.message.contains("label") == true)
        #expect(error?.message.contains("text") == true)
    }

    @Test func unknownColumnIsAnError() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { connection in
                try connection.query("SELECT 1 AS one")[0].decode(Int.self, column: "two")
            }
        }
        #expect(error?.message.contains("two") == true)
    }

    /// Values are parameters, never SQL: a hostile string is stored verbatim.
    @Test func parametersAreNeverInterpretedAsSQL() async throws {
        let hostile = "'); DROP TABLE victims; --"
        let count = try await pool.withConnection { connection in
            try connection.simpleQuery("CREATE TABLE IF NOT EXISTS victims (name text)")
            try connection.query("INSERT INTO victims (name) VALUES ($1)", [hostile])
            return try connection.query("SELECT count(*) FROM victims WHERE name = $1", [hostile])[0].decode(Int.self, column: 0)
        }
        #expect(count == 1)
    }
}
