@testable import Delivery
import Foundation
import NIOCore
import Store
import Testing

/// The pure parts of delivery: what follows an attempt, and which addresses are public.
@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(DeliveryConfiguration())
    let now = Date(timeIntervalSince1970: 1_765_800_000)

    @Test func theScheduleOfTheContract() throws {
        #expect(try DeliveryConfiguration.parseSchedule("5s,5m,30m,2h,5h,10h,10h") == DeliveryConfiguration().retrySchedule)
        #expect(try DeliveryConfiguration.parseDuration("5d") == .seconds(432_000))
        #expect(try DeliveryConfiguration.parseSchedule("") == [])
        #expect(throws: ConfigurationProblem.self) { try DeliveryConfiguration.parseSchedule("5s,soon") }
        #expect(throws: ConfigurationProblem.self) { try DeliveryConfiguration.parseDuration("-1s") }
        for (attempts, seconds) in zip(1...7, [5.0, 300, 1_800, 7_200, 18_000, 36_000, 36_000]) {
            #expect(policy.next(statusCode: 500, retryAfter: nil, attempts: attempts) == .retry(afterSeconds: seconds))
        }
        #expect(policy.next(statusCode: 500, retryAfter: nil, attempts: 8) == .failed, "seven retries, then failed")
        #expect(policy.next(statusCode: nil, retryAfter: nil, attempts: 8) == .failed)
    }

    @Test func outcomesByStatus() {
        #expect(policy.next(statusCode: 204, retryAfter: nil, attempts: 1) == .delivered)
        #expect(policy.next(statusCode: 410, retryAfter: nil, attempts: 1) == .gone)
        #expect(policy.next(statusCode: 301, retryAfter: nil, attempts: 1) == .retry(afterSeconds: 5))
        let jittered = policy.next(statusCode: 500, retryAfter: nil, attempts: 2, jitter: 0.8)
        #expect(jittered == .retry(afterSeconds: 240))
    }

    @Test func retryAfterIsAtLeastTheScheduleAndAtMostADay() {
        #expect(policy.next(statusCode: 429, retryAfter: .seconds(60), attempts: 1) == .retry(afterSeconds: 60))
        #expect(policy.next(statusCode: 503, retryAfter: .seconds(1), attempts: 2) == .retry(afterSeconds: 300))
        #expect(policy.next(statusCode: 503, retryAfter: .seconds(9_999_999), attempts: 1) == .retry(afterSeconds: 86_400))
        #expect(policy.next(statusCode: 500, retryAfter: .seconds(60), attempts: 1) == .retry(afterSeconds: 5),
                "only on 429 and 503")
        #expect(RetryPolicy.retryAfter("120", now: now) == .seconds(120))
        #expect(RetryPolicy.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: Date(timeIntervalSince1970: 1_445_412_420)) == .seconds(60))
        #expect(RetryPolicy.retryAfter("soon", now: now) == nil)
        #expect(RetryPolicy.retryAfter("-5", now: now) == nil)
    }

    @Test func onlyPublicAddressesAreAllowed() throws {
        for host in ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.100.100.200", "0.0.0.0",
                     "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "::ffff:127.0.0.1",
                     "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:7f00:1::", "ff02::1", "2001:db8::1"] {
            #expect(!Destination.isAllowed(try SocketAddress(ipAddress: host, port: 443)), "\(host)")
        }
        for host in ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"] {
            #expect(Destination.isAllowed(try SocketAddress(ipAddress: host, port: 443)), "\(host)")
        }
        #expect(!Destination.isAllowed(try SocketAddress(unixDomainSocketPath: "/tmp/socket")))
        #expect(!Destination.isAllowed(nil))
    }
}
