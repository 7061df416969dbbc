import Foundation
import Postgres
import Store
import TestSupport
import Testing

@Suite struct MigrationsTests {
    let migrator = Migrator(logger: TestDatabase.logger)

    @Test func everyFileInSQLIsRegisteredInOrder() throws {
        let sqlDirectory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sql")
        let files = try FileManager.default.contentsOfDirectory(atPath: sqlDirectory.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(!files.isEmpty)
        let registered = Migrations.all.map { String(format: "%03d_%@.sql", $0.version, $0.name) }
        #expect(registered == files)
        for (migration, file) in zip(Migrations.all, files) {
            let onDisk = try String(contentsOf: sqlDirectory.appendingPathComponent(file), encoding: .utf8)
            #expect(migration.sql == onDisk, "the binary embeds an outdated \(file)")
        }
        #expect(Migrations.all.map(\.version) == Array(1...Migrations.all.count))
    }

    @Test func migrateAppliesOnceAndIsIdempotent() async throws {
        let pool = try await TestDatabase.pool("mig")
        #expect(try await migrator.currentVersion(pool) == 0)
        #expect(try await migrator.migrate(pool) == Migrations.all.map(\.version))
        #expect(try await migrator.migrate(pool) == [])
        #expect(try await migrator.currentVersion(pool) == Migrations.latestVersion)
        let recorded = try await pool.withConnection { connection in
            try connection.query("SELECT count(*) FROM schema_migrations")[0].decode(Int.self, column: 0)
        }
        #expect(recorded == Migrations.all.count)
    }

    /// Several processes starting at once: the advisory lock lets exactly one apply each migration.
    @Test func concurrentMigrationsApplyEachVersionExactlyOnce() async throws {
        let configuration = try await TestDatabase.create("migc")
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let pool = PostgresPool(configuration: configuration, size: 1, logger: TestDatabase.logger)
                    return try await Migrator(logger: TestDatabase.logger).migrate(pool)
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == Migrations.all.map(\.version))
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        let pool = try await TestDatabase.pool("edit")
        try await migrator.migrate(pool)
        var edited = Migrations.all
        edited[0].sql += "\n-- edited"
        await #expect(throws: Migrator.Failure.self) {
            try await Migrator(migrations: edited, logger: TestDatabase.logger).migrate(pool)
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        let pool = try await TestDatabase.pool("fail")
        let broken = Migrations.all + [Migration(version: 999, name: "broken", sql: "CREATE TABLE half (id int); SELECT 1/0;")]
        await #expect(throws: PostgresError.self) {
            try await Migrator(migrations: broken, logger: TestDatabase.logger).migrate(pool)
        }
        #expect(try await migrator.currentVersion(pool) == 0)
        let tables = try await pool.withConnection { connection in
            try connection.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0].decode(Int.self, column: 0)
        }
        #expect(tables == 0)
    }

    @Test(arguments: [("001_initial.sql", 1, "initial"), ("012_add_index.sql", 12, "add_index")])
    func fileNamesParse(file: String, version: Int, name: String) {
        let migration = Migration(fileName: file, sql: "")
        #expect(migration?.version == version)
        #expect(migration?.name == name)
    }

    @Test(arguments: ["README.md", "initial.sql", "000_zero.sql", "abc_x.sql"])
    func otherFileNamesAreNotMigrations(file: String) {
        #expect(Migration(fileName: file, sql: "") == nil)
    }
}
