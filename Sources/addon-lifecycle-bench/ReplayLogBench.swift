import ArgumentParser
import Foundation

/// Writes a synthetic event log (export format) for timing `addon-lifecycle replay`: per
/// subscription a paid pass with a latch, a free top-up, a period end, and for some a cancellation
/// or the subscription's end, shuffled within the day like real deliveries.
struct ReplayLogBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Writes a synthetic NDJSON event log of about --events events to standard output.")

    @Option(help: "Events to write (rounded up to whole subscriptions).") var events = 1_000_000

    func run() throws {
        var out = [UInt8]()
        out.reserveCapacity(1 << 20)
        var written = 0
        var index = 0
        while written < events {
            for line in Self.events(for: index) {
                out += line.utf8
                out.append(0x0A)
                written += 1
            }
            index += 1
            if out.count > 1 << 20 {
                FileHandle.standardOutput.write(Data(out))
                out.removeAll(keepingCapacity: true)
            }
        }
        FileHandle.standardOutput.write(Data(out))
    }

    /// An id shaped like the provider's (`sub_0SNlurA049MEWV2gSfSxi00xlPIi`): a type prefix and
    /// 28 characters, so ids are as long as in a real log (too long to be stored inline, as they
    /// would be at 15 bytes or less).
    static func id(_ type: String, _ kind: String, _ index: Int) -> String {
        let digits = String(index)
        return type + "_0SNlur" + kind + String(repeating: "0", count: max(0, 22 - kind.count - digits.count)) + digits
    }

    static func events(for index: Int) -> [String] {
        let sub = id("sub", "", index)
        let pass = id("sad", "pass", index)
        let topUp = id("sad", "top", index)
        let day = 10 + index % 18
        func envelope(_ kind: String, _ type: String, _ time: String, _ data: String) -> String {
            #"{"object":"event","id":"\#(id("evt", kind, index))","type":"\#(type)","time":"\#(time)","project":"bench","specversion":"1.0","source":"https://api.gigs.com","datacontenttype":"application/json","data":\#(data)}"#
        }
        var lines = [
            envelope("pass", "com.gigs.subscriptionAddon.created", "2025-12-\(day)T10:30:00Z",
                     #"{"object":"subscriptionAddon","id":"\#(pass)","subscription":"\#(sub)","addon":{"object":"addon","id":"add_eu","name":"1GB Europe Week Pass","type":"topUp","activationTrigger":"networkLatch","coverage":{"object":"coverage","id":"cp_eu","countries":["DE","FR","IT","ES","PL","NL"],"name":"Europe Zone 1"},"validity":{"unit":"day","value":7},"allowances":{"dataBytes":1000000000,"voiceSeconds":null,"smsMessages":null},"price":{"amount":499,"currency":"USD"}}}"#),
            envelope("paid", "com.gigs.invoice.paid", "2025-12-\(day)T10:31:00Z",
                     #"{"object":"invoice","id":"\#(id("inv", "", index))","subscription":"\#(sub)","lineItems":[{"subscriptionAddon":"\#(pass)"}]}"#),
            envelope("latch", "com.gigs.network.latched", "2025-12-\(day + 1)T08:00:00Z",
                     #"{"subscription":"\#(sub)","country":"\#(index % 3 == 0 ? "JP" : "DE")","provider":"p15"}"#),
            envelope("topup", "com.gigs.subscriptionAddon.created", "2025-12-\(day)T00:00:00Z",
                     #"{"object":"subscriptionAddon","id":"\#(topUp)","subscription":"\#(sub)","addon":{"object":"addon","id":"add_top","name":"Top-up","type":"topUp","activationTrigger":"creation","coverage":null,"validity":null,"allowances":{"dataBytes":1000000000,"voiceSeconds":null,"smsMessages":null},"price":{"amount":0,"currency":"USD"}}}"#),
            envelope("period", "com.gigs.subscription.periodEnded", "2026-01-01T00:00:00Z",
                     #"{"subscription":"\#(sub)","period":{"number":1,"start":"2025-12-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}}"#),
        ]
        if index % 5 == 0 {
            lines.append(envelope("cancel", "com.gigs.subscriptionAddon.canceled", "2025-12-\(day + 1)T00:00:00Z",
                                  #"{"object":"subscriptionAddon","id":"\#(pass)","subscription":"\#(sub)"}"#))
        }
        if index % 7 == 0 {
            lines.append(envelope("ended", "com.gigs.subscription.ended", "2025-12-\(day)T12:00:00Z",
                                  #"{"object":"subscription","id":"\#(sub)","status":"ended"}"#))
        }
        return lines
    }
}
