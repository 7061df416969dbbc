import ArgumentParser
import Foundation
import Lifecycle
import EventFormat
import Replay
import Postgres
import Store

#if os(Linux)
/// glibc's `int mallopt(int, int)`, declared in <malloc.h>, which the Glibc module does not export.
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Runs the lifecycle's pure core over an NDJSON event log (export output or raw webhook bodies).",
        discussion: """
            Prints every add-on's state as of --as-of (default: the latest logical time in the log), using
            only the facts known by then. --trace prints each event with what it changed and the transitions
            it caused, and timers as they fall due. --check instead compares the state of every subscription
            in the log with the database (DATABASE_URL) as of the database's current time, prints each
            difference and exits 1 if there is any. --allowances COUNTRY instead prints, per subscription, the
            add-ons active as of --as-of that cover COUNTRY in the order usage consumes them (SPEC §7), as
            GET /projects/{p}/subscriptions/{s}/allowances?country=COUNTRY&at=T answers.
            Exit status: 0 fine, 1 differences (--check), 2 bad input (an invalid line stops the replay
            unless --skip-invalid).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The NDJSON file, or - for standard input.") var file: String
    @Option(name: .customLong("as-of"), help: "RFC 3339 instant to evaluate at.") var asOf: String?
    @Option(help: "Only this subscription.") var subscription: String?
    @Flag(help: "Print each event, what it changed and the transitions it caused.") var trace = false
    @Option(help: "text or json (one JSON document per line).") var format: Format = .text
    @Flag(help: "Compare with the state stored in the database; exit 1 on any difference.") var check = false
    @Flag(name: .customLong("skip-invalid"), help: "Report invalid lines and go on instead of stopping.") var skipInvalid = false
    @Option(help: "Print the active add-ons covering this country (ISO 3166-1 alpha-2) in consumption order.") var allowances: String?

    func validate() throws {
        if let asOf, Instant(rfc3339: asOf) == nil {
            throw ValidationError("--as-of '\(asOf)' is not an RFC 3339 instant (e.g. 2025-12-15T10:30:00Z)")
        }
        if check && (asOf != nil || trace) {
            throw ValidationError("--check compares at the database's current time; drop --as-of and --trace")
        }
        if let allowances, !CountryCodes.isAccepted(allowances) {
            throw ValidationError("--allowances '\(allowances)' is not an ISO 3166-1 alpha-2 country code in uppercase (e.g. JP)")
        }
        if allowances != nil && (check || trace) {
            throw ValidationError("--allowances prints the consumption order; drop --check and --trace")
        }
    }

    func run() async throws {
        let log: ReplayLog
        do {
            log = try read()
        } catch let error as ReplayError {
            FileHandle.standardError.write(Data("replay: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if check {
            try await compareWithDatabase(log)
            return
        }
        guard let asOf = asOf.flatMap(Instant.init(rfc3339:)) ?? log.latestFactTime else {
            summary("no facts in the log")
            return
        }
        var output = ReplayOutput(format: format)
        if trace {
            for entry in log.trace(asOf: asOf, subscription: subscription) { output.write(entry) }
        } else if let country = allowances {
            for (key, addons) in log.states(now: asOf, knownBy: asOf, subscription: subscription) {
                for allowance in Lifecycle.allowances(addons, country: country) { output.write(allowance, key: key) }
            }
        } else {
            for (key, addons) in log.states(now: asOf, knownBy: asOf, subscription: subscription) {
                for addon in addons { output.write(addon, project: key.project) }
            }
        }
        output.finish()
        summary("\(log.events) events (\(log.duplicates) duplicates), \(log.keys(subscription: subscription).count) subscriptions, as of \(asOf.rfc3339)")
        // A big log is millions of small objects; freeing them one by one costs seconds and
        // changes nothing, so leave now (all output is written).
        Foundation.exit(0)
    }

    /// Decodes every line with the ingest's decoder. An invalid line names its number and stops
    /// the replay, or is skipped with --skip-invalid.
    func read() throws -> ReplayLog {
        let reader = try LineReader(path: file)
        Self.growHeapInLargeSteps()
        // Events are 200–500 bytes a line: size / 256 sizes the log's storage for all of them.
        var log = ReplayLog(keepsEventTypes: trace, expectedEvents: (reader.size ?? 0) / 256)
        let addons = AddonCatalog()
        var invalid = 0
        let progress = Progress(label: "replayed", total: reader.size)
        // Added in batches: see `ReplayLog.add(_:)`.
        var batch = ReplayLog.Batch()
        while let line = reader.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                batch.append(try EventDecoder.decode(line, addons: addons))
                if batch.isFull { log.add(&batch) }
            } catch {
                invalid += 1
                FileHandle.standardError.write(Data("line \(reader.number): \(error)\n".utf8))
                if !skipInvalid { throw ReplayError("stopped at invalid line \(reader.number) (use --skip-invalid to go on)") }
            }
            if reader.number % 65_536 == 0 { progress?.update(count: log.events, done: reader.bytesRead) }
        }
        log.add(&batch)
        progress?.finish(count: log.events)
        // Ingest refuses these (422) and the workers ignore those stored before it did: an add-on
        // belongs to the subscription of its first `created`. Named, and left out.
        for refused in log.refused {
            FileHandle.standardError.write(Data(
                "event \(refused.eventID): data.id \(refused.subscriptionAddon) belongs to subscription \(refused.owner); left out\n".utf8))
        }
        if invalid > 0 { summary("skipped \(invalid) invalid lines") }
        return log
    }

    /// Replay keeps every fact of the log in memory, a few hundred bytes per event. By default
    /// glibc grows the heap 128 KiB at a time and gives memory back as soon as 128 KiB are free
    /// at its top, so a growing log costs a system call and fresh zeroed pages again and again;
    /// measured, up to a fifth of the replay's time.
    static func growHeapInLargeSteps() {
        #if os(Linux)
        _ = glibcMallopt(-2 /* M_TOP_PAD */, 64 << 20)
        _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 512 << 20)
        #endif
    }

    func compareWithDatabase(_ log: ReplayLog) async throws {
        let logger = options.makeLogger()
        let keys = log.keys(subscription: subscription)
        let (now, stored, dueWork, failedEvents) = try await Database.with(url: options.resolvedDatabaseURL, logger: logger) { database in
            let pool = PostgresPool(configuration: database.configuration, size: 1, logger: logger)
            try await database.prepareSchema(pool, logger: logger)
            return try await pool.withConnection { connection in
                let now = try connection.query("SELECT now()")[0].decode(PostgresTimestamp.self, column: 0)
                var stored: [ReplayLog.Key: [String: JSONValue]] = [:]
                for (project, keys) in Dictionary(grouping: keys, by: \.project) {
                    for chunk in stride(from: 0, to: keys.count, by: 1_000).map({ keys[$0..<min($0 + 1_000, keys.count)] }) {
                        let objects = try AddonQueries.objects(project: project, subscriptions: chunk.map(\.subscription), on: connection)
                        for (subscription, addons) in objects { stored[ReplayLog.Key(project: project, subscription: subscription)] = addons }
                    }
                }
                let stats = try QueueStats.read(on: connection)
                return (Instant(now), stored, stats.due, stats.failedEvents)
            }
        }
        var differences = 0
        var compared = 0
        for (key, addons) in log.states(now: now, subscription: subscription) {
            var inDatabase = stored[key] ?? [:]
            for addon in addons {
                compared += 1
                let name = "\(key.project)/\(key.subscription) \(addon.id)"
                guard let row = inDatabase.removeValue(forKey: addon.id) else {
                    differences += 1
                    print("\(name): only in the replay (status \(addon.status.rawValue))")
                    continue
                }
                for change in row.changes(to: addon.json) {
                    differences += 1
                    print("\(name): \(change.path): database \(change.old?.jsonString ?? "absent"), replay \(change.new?.jsonString ?? "absent")")
                }
            }
            for id in inDatabase.keys.sorted() {
                differences += 1
                print("\(key.project)/\(key.subscription) \(id): only in the database")
            }
        }
        if dueWork > 0 { summary("note: \(dueWork) subscriptions have work due that workers have not applied yet") }
        if failedEvents > 0 { summary("note: \(failedEvents) events are failed; the workers did not apply them") }
        guard differences == 0 else {
            summary("\(differences) differences in \(compared) add-ons as of \(now.rfc3339)")
            throw ExitCode(1)
        }
        summary("no differences: \(compared) add-ons in \(keys.count) subscriptions match the database as of \(now.rfc3339)")
    }

    func summary(_ text: String) {
        FileHandle.standardError.write(Data("replay: \(text)\n".utf8))
    }
}
