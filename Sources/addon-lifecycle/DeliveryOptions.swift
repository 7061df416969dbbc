import ArgumentParser
import Delivery
import Foundation

/// Options of the commands that deliver (`deliver`, `work`, `run`).
struct DeliveryOptions: ParsableArguments {
    @Flag(name: .customLong("allow-private-destinations"),
          help: "Deliver to loopback, private and link-local addresses and plain http (env: DELIVERY_ALLOW_PRIVATE=true). On by default with the embedded database.")
    var allowPrivateDestinations = false

    @Option(name: .customLong("retry-schedule"),
            help: "Delays between attempts, comma-separated (env: DELIVERY_RETRY_SCHEDULE; default 5s,5m,30m,2h,5h,10h,10h).")
    var retrySchedule: String?

    @Option(name: .customLong("disable-after"),
            help: "Disable an endpoint whose every attempt has failed for this long (env: DELIVERY_DISABLE_AFTER; default 5d).")
    var disableAfter: String?

    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    func validate() throws {
        _ = try configuration(embedded: false)
    }

    /// The configuration from flags and the environment; the embedded default allows private
    /// destinations (a developer's receiver runs on localhost).
    func configuration(embedded: Bool) throws -> DeliveryConfiguration {
        var configuration = DeliveryConfiguration()
        do {
            if let text = retrySchedule ?? environment["DELIVERY_RETRY_SCHEDULE"] {
                configuration.retrySchedule = try DeliveryConfiguration.parseSchedule(text)
            }
            if let text = disableAfter ?? environment["DELIVERY_DISABLE_AFTER"] {
                configuration.disableAfter = try DeliveryConfiguration.parseDuration(text)
            }
        } catch {
            throw ValidationError("\(error)")
        }
        let allow = environment["DELIVERY_ALLOW_PRIVATE"].map { ["1", "true", "yes"].contains($0.lowercased()) } ?? false
        configuration.allowPrivateDestinations = allowPrivateDestinations || allow || embedded
        return configuration
    }
}
