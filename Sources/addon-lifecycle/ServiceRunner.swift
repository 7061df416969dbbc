import Foundation
import Ingest
import Logging
import NIOCore
import ServiceLifecycle

/// One `ServiceGroup` per process, the same way for every command. SIGTERM/SIGINT shut the group
/// down gracefully; so does any service that fails (HTTP that cannot bind, say): the others stop in
/// order (HTTP drains, workers commit their batch, pools close) and the error ends the process,
/// whose caller then stops an embedded cluster it started. Never a process left running on a
/// broken service.
enum ServiceRunner {
    /// `ports`: the HTTP ports the services bind, to name a taken one in one line.
    static func run(_ services: [any Service], ports: [Int] = [], logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(
            services: services.map {
                .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // A hung call must not keep a process that was asked to stop: past these, its tasks are
        // cancelled, then the group gives up on them.
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        configuration.maximumCancellationDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ConfigurationError(ports.count == 1 ? "port \(ports[0]) is in use" : "a port of \(ports.map(String.init).joined(separator: ", ")) is in use")
        } catch let error as IOError where error.errnoCode == EACCES {
            throw ConfigurationError("no permission to listen on port \(ports.map(String.init).joined(separator: ", "))")
        }
    }
}
