/// The migrations compiled into the binary from `sql/` (SwiftPM `embedInCode`), in version order.
///
/// Add a file to `sql/` and a line here; `MigrationsTests` fails if a file in `sql/` is not listed.
public enum Migrations {
    public static let all: [Migration] = [
        embedded("001_initial.sql", PackageResources._01_initial_sql),
        embedded("002_lean_event_indexes.sql", PackageResources._02_lean_event_indexes_sql),
        embedded("003_storable_addons.sql", PackageResources._03_storable_addons_sql),
        embedded("004_delivery.sql", PackageResources._04_delivery_sql),
        embedded("005_work_signals.sql", PackageResources._05_work_signals_sql),
    ]

    /// The schema version this build expects (what `/readyz` compares with the database).
    public static var latestVersion: Int { all.map(\.version).max() ?? 0 }

    private static func embedded(_ fileName: String, _ bytes: [UInt8]) -> Migration {
        guard let migration = Migration(fileName: fileName, sql: String(decoding: bytes, as: UTF8.self)) else {
            preconditionFailure("\(fileName) is not named NNN_name.sql")
        }
        return migration
    }
}
