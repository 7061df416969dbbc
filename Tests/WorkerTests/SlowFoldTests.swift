import EventFormat
import Postgres
import Store
import TestSupport
import Testing

/// Ingest never waits for a worker's batch: while a worker folds a subscription (made slow here by
/// a trigger that blocks until the test lets go), new events of that subscription and of others are
/// stored at once, under a lock timeout far shorter than the fold; and the event that arrived
/// mid-fold is not lost: it is folded next.
@Suite(.timeLimit(.minutes(2)))
struct SlowFoldTests {
    static func created(_ id: String, subscription: String, sad: String) -> String {
        #"{"object":"event","id":"\#(id)","type":"com.gigs.subscriptionAddon.created","time":"2025-12-15T10:30:00Z","project":"gigs","data":{"id":"\#(sad)","subscription":"\#(subscription)","addon":{"id":"add_week","activationTrigger":"creation","validity":{"unit":"day","value":7},"coverage":null,"price":{"amount":0,"currency":"USD"}}}}"#
    }

    static func store(_ bodies: [String], in pool: PostgresPool, lockTimeout: String = "5s") async throws -> EventInbox.Stored {
        let records = try bodies.map { InboxRecord(try EventDecoder.decode($0), body: $0) }
        return try await pool.withTransaction { connection in
            try connection.query("SELECT set_config('lock_timeout', $1, true)", [lockTimeout])
            return try EventInbox.insert(records, on: connection)
        }
    }

    @Test func ingestGoesOnWhileAWorkerFoldsTheSameSubscription() async throws {
        let pool = try await TestDatabase.pool("slow_fold", size: 4)
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        // Writing sub_slow's state waits for advisory lock 4242, which the test holds.
        try await pool.withConnection { connection in
            try connection.simpleQuery("""
                CREATE FUNCTION slow_fold() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.subscription = 'sub_slow' THEN PERFORM pg_advisory_xact_lock(4242); END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER slow_fold BEFORE INSERT OR UPDATE ON subscription_addons FOR EACH ROW EXECUTE FUNCTION slow_fold();
                """)
        }
        let gate = try await PostgresConnection.connect(pool.configuration)
        _ = try await gate.simpleQuery("SELECT pg_advisory_lock(4242)")
        _ = try await Self.store([Self.created("evt_1", subscription: "sub_slow", sad: "sad_1")], in: pool)

        let worker = Task { try await pool.withTransaction { try WorkQueue.processDue(limit: 50, on: $0) } }
        // Until the worker is inside the fold, waiting at the gate.
        while try await pool.withConnection({ connection in
            try connection.query("""
                SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory')
                """)[0].decode(Bool.self, column: 0)
        }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let stored = try await Self.store([Self.created("evt_2", subscription: "sub_slow", sad: "sad_2"),
                                           Self.created("evt_3", subscription: "sub_other", sad: "sad_3")],
                                          in: pool, lockTimeout: "200ms")
        #expect(stored.newIDs == ["evt_2", "evt_3"])

        _ = try await gate.simpleQuery("SELECT pg_advisory_unlock(4242)")
        await gate.close()
        let first = try await worker.value
        #expect(first.claimed == 1 && first.processedEvents == 1, "\(first.claimed) claimed, \(first.processedEvents) processed")
        // evt_2 arrived after the fold had loaded sub_slow's events: its signal is still there.
        var processed = first.processedEvents
        while true {
            let outcome = try await pool.withTransaction { try WorkQueue.processDue(limit: 50, on: $0) }
            if outcome.claimed == 0 { break }
            processed += outcome.processedEvents
        }
        #expect(processed == 3)
        let (statuses, signals, addons) = try await pool.withConnection { connection in
            try connection.query("""
                SELECT (SELECT string_agg(id || '=' || status, ',' ORDER BY id) FROM events),
                       (SELECT count(*) FROM work_signals),
                       (SELECT string_agg(id || '=' || status, ',' ORDER BY id) FROM subscription_addons)
                """)[0].decode((String, Int, String).self)
        }
        #expect(statuses == "evt_1=processed,evt_2=processed,evt_3=processed")
        #expect(signals == 0)
        #expect(addons == "sad_1=ended,sad_2=ended,sad_3=ended")  // a week from 2025-12-15
    }
}
