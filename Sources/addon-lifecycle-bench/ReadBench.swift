import ArgumentParser
import EventFormat
import Foundation
import Logging
import Postgres
import Store

/// Fills a database for `.ci/bench read`: subscriptions shaped like the add-ons guide's example
/// (a Japan pass, an Asia Pacific pass and a worldwide top-up, each paid, then a usage in Japan,
/// a latch and a period end), nine events each, stored as ingest stores them. Prints the run id
/// and the number of subscriptions, which the wrk script picks from at random.
struct ReadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-data",
        abstract: "Stores events for the read benchmark (needs DATABASE_URL); prints `RUN SUBSCRIPTIONS`.")

    @Option(help: "Events to store (nine per subscription).") var events = 1_000_000

    func run() async throws {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw ValidationError("set DATABASE_URL") }
        let logger = Logger(label: "bench")
        let pool = PostgresPool(configuration: PostgresConfiguration(url), size: 2, logger: logger)
        try await Migrator(logger: logger).migrate(pool)
        let run = String(UInt32.random(in: .min ... .max), radix: 36)
        let subscriptions = max(1, events / 9)
        let start = ContinuousClock.now
        // Two connections insert alternate batches, so the store takes half as long.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<2 {
                group.addTask {
                    var batch: [InboxRecord] = []
                    for subscription in stride(from: lane, to: subscriptions, by: 2) {
                        batch += try Self.records(run: run, subscription: subscription)
                        if batch.count >= 900 {
                            let records = batch
                            _ = try await pool.withConnection { try EventInbox.insert(records, on: $0) }
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                    let records = batch
                    if !records.isEmpty { _ = try await pool.withConnection { try EventInbox.insert(records, on: $0) } }
                }
            }
            try await group.waitForAll()
        }
        try await pool.withConnection { _ = try $0.query("VACUUM ANALYZE events") }
        FileHandle.standardError.write(Data(String(format: "stored %d events for %d subscriptions in %.1f s\n",
                                                    subscriptions * 9, subscriptions, (ContinuousClock.now - start).seconds).utf8))
        print(run, subscriptions)
    }

    static func records(run: String, subscription: Int) throws -> [InboxRecord] {
        let sub = "sub_\(run)_\(subscription)"
        let day = 10 + subscription % 10
        func created(_ n: Int, _ addon: String) -> String {
            #"{"object":"event","id":"evt_c\#(n)_\#(sub)","type":"com.gigs.subscriptionAddon.created","time":"2025-12-\#(day)T10:0\#(n):00Z","project":"bench","data":{"id":"sad_\#(n)_\#(sub)","subscription":"\#(sub)","addon":\#(addon)}}"#
        }
        func paid(_ n: Int) -> String {
            #"{"object":"event","id":"evt_p\#(n)_\#(sub)","type":"com.gigs.invoice.paid","time":"2025-12-\#(day)T10:1\#(n):00Z","project":"bench","data":{"id":"inv_\#(n)_\#(sub)","subscription":"\#(sub)","lineItems":[{"subscriptionAddon":"sad_\#(n)_\#(sub)","amount":999}]}}"#
        }
        let bodies = [
            created(1, #"{"id":"add_japan_5gb","name":"Japan 5GB","activationTrigger":"usageStarted","coverage":{"id":"cp_japan","countries":["JP"],"name":"Japan"},"validity":{"unit":"day","value":14},"allowances":{"dataBytes":5000000000},"price":{"amount":1499,"currency":"USD"}}"#),
            created(2, #"{"id":"add_apac_10gb","name":"Asia Pacific 10GB","activationTrigger":"usageStarted","coverage":{"id":"cp_apac","countries":["JP","KR","TH","SG","MY"],"name":"Asia Pacific"},"validity":{"unit":"day","value":30},"allowances":{"dataBytes":10000000000},"price":{"amount":2999,"currency":"USD"}}"#),
            created(3, #"{"id":"add_world_5gb","name":"5GB Worldwide","activationTrigger":"creation","coverage":null,"validity":null,"allowances":{"dataBytes":5000000000},"price":{"amount":1999,"currency":"USD"}}"#),
            paid(1), paid(2), paid(3),
            #"{"object":"event","id":"evt_u_\#(sub)","type":"com.gigs.usage.started","time":"2025-12-\#(day)T12:00:00Z","project":"bench","data":{"subscription":"\#(sub)","country":"JP"}}"#,
            #"{"object":"event","id":"evt_l_\#(sub)","type":"com.gigs.network.latched","time":"2025-12-\#(day)T11:00:00Z","project":"bench","data":{"subscription":"\#(sub)","country":"JP"}}"#,
            #"{"object":"event","id":"evt_e_\#(sub)","type":"com.gigs.subscription.periodEnded","time":"2026-01-20T00:05:00Z","project":"bench","data":{"subscription":"\#(sub)","period":{"number":1,"start":"2025-12-20T00:00:00Z","end":"2026-01-20T00:00:00Z"}}}"#,
        ]
        return try bodies.map { body in InboxRecord(try EventDecoder.decode(Array(body.utf8)), body: body) }
    }
}
