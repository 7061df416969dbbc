import Foundation
import Logging
import Postgres
import TestSupport
import Testing

/// SPEC §9: given a libpq multi-host URL, the pool and the listener follow a promotion by
/// themselves; a standby alone is refused with an error that names it and never the password.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct FailoverTests {
    @Test func aPoolAndAListenerFollowAPromotion() async throws {
        try await ReplicatedCluster.with { cluster in try await Self.followsAPromotion(cluster) }
    }

    static func followsAPromotion(_ cluster: ReplicatedCluster) async throws {
        let configuration = PostgresConfiguration(cluster.multiHostURL, connectTimeout: 2)
        let pool = PostgresPool(configuration: configuration, size: 2, logger: TestDatabase.logger)
        let listener = PostgresListener(configuration: configuration, channels: ["failover"], logger: TestDatabase.logger)
        let listening = Task { try await listener.run() }
        var events = listener.events.makeAsyncIterator()
        #expect(await events.next() == .connected)

        let before = try await pool.withConnection { connection in
            try connection.query("CREATE TABLE marks (id int PRIMARY KEY)")
            try connection.query("INSERT INTO marks VALUES (1)")
            return try connection.query("SELECT inet_server_port(), current_setting('port')::int").first?.decode(Int.self, column: 1)
        }
        #expect(before == cluster.primaryPort)

        try await cluster.killPrimary()
        try await cluster.promoteStandby()

        // The pool's connections died with the primary: the next leases reach the new one. The
        // first may still fail while libpq finds it; none may hang.
        var port: Int?
        for _ in 0..<100 where port == nil {
            port = try? await pool.withConnection { connection in
                try connection.query("INSERT INTO marks VALUES (2)")
                return try connection.query("SELECT current_setting('port')::int, pg_is_in_recovery()::int")[0].decode(Int.self, column: 0)
            }
            if port == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(port == cluster.standbyPort)
        let marks = try await pool.withConnection { try $0.query("SELECT count(*) FROM marks")[0].decode(Int.self, column: 0) }
        #expect(marks == 2, "the row committed on the old primary survived (synchronous replication)")

        // The listener reconnects by itself (to the new primary) and hears its notifications.
        #expect(await events.next() == .connected)
        try await pool.withConnection { try $0.query("SELECT pg_notify('failover', 'after')") }
        guard case .notification(let notification)? = await events.next() else {
            Issue.record("no notification after the failover")
            return
        }
        #expect(notification.payload == "after")
        listener.stop()
        try await listening.value
        pool.close()
    }

    /// A commit waits for the synchronous standby; when that wait is cancelled (an operator's
    /// pg_cancel_backend, a pooler's cancel: statement_timeout does not reach it) PostgreSQL
    /// reports a WARNING and then an ordinary success. That commit is on the primary only, so it
    /// is an error to us: ingest answers 503 and the sender's retry is a duplicate, never a 202
    /// a failover could take back.
    @Test func aCommitTheStandbyNeverConfirmedIsAnError() async throws {
        try await ReplicatedCluster.with { cluster in
            let primary = PostgresConfiguration("host=\(cluster.directory) port=\(cluster.primaryPort) user=postgres dbname=postgres")
            let connection = try await PostgresConnection.connect(primary)
            let admin = try await PostgresConnection.connect(primary)
            try await connection.run { try $0.query("CREATE TABLE acks (id int)") }
            let pid = await connection.backendPID
            try await cluster.stopStandby()
            let insert = Task { try await connection.run { try $0.query("INSERT INTO acks VALUES (1) RETURNING id") } }
            // Until the insert waits for the standby, then cancel that wait.
            var cancelled = false
            for _ in 0..<200 where !cancelled {
                cancelled = try await admin.run { admin in
                    try admin.query("""
                        SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'SyncRep'
                        """, [Int(pid)]).first?.decode(Bool.self, column: 0) ?? false
                }
                if !cancelled { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(cancelled, "the insert never waited for the standby")
            let error = await #expect(throws: PostgresError.self) { try await insert.value }
            #expect(error?.kind == .commitNotReplicated && error?.isTransient == true, "\(String(describing: error))")
            // Committed locally all the same: a retry finds it.
            let stored = try await admin.run { try $0.query("SELECT count(*) FROM acks")[0].decode(Int.self, column: 0) }
            #expect(stored == 1)
            await connection.close()
            await admin.close()
        }
    }

    @Test func aStandbyAloneIsRefusedByNameWithoutThePassword() async throws {
        try await ReplicatedCluster.with { cluster in try await Self.refusesTheStandby(cluster) }
    }

    static func refusesTheStandby(_ cluster: ReplicatedCluster) async throws {
        let standby = PostgresConfiguration(cluster.tcpURL(port: cluster.standbyPort, readWrite: true), connectTimeout: 2)
        do {
            let connection = try await PostgresConnection.connect(standby)
            await connection.close()
            Issue.record("a read-write session was opened on a standby")
        } catch {
            let message = "\(error)"
            #expect(message.contains("127.0.0.1") && message.contains(String(cluster.standbyPort)), "\(message)")
            #expect(message.contains("read-only") || message.contains("read-write"), "\(message)")
            #expect(!message.contains(ReplicatedCluster.password), "\(message)")
        }
        // Without target_session_attrs the standby answers, read-only.
        let plain = try await PostgresConnection.connect(PostgresConfiguration(cluster.tcpURL(port: cluster.standbyPort, readWrite: false)))
        let recovering = try await plain.run { try $0.query("SELECT pg_is_in_recovery()")[0].decode(Bool.self, column: 0) }
        await plain.close()
        #expect(recovering)
    }
}
