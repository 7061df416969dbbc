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

    static func events(for index: Int) -> [String] {
        let sub = "sub_\(index)"
        let day = 10 + index % 18
        func envelope(_ id: String, _ type: String, _ time: String, _ data: String) -> String {
            #"{"object":"event","id":"\#(id)_\#(index)","type":"\#(type)","time":"\#(time)","project":"bench","specversion":"1.0","source":"https://api.gigs.com","datacontenttype":"application/json","data":\#(data)}"#
        }
        var lines = [
            envelope("evt_pass", "com.gigs.subscriptionAddon.created", "2025-12-\(day)T10:30:00Z",
                     #"{"object":"subscriptionAddon","id":"sad_pass_\#(index)","subscription":"\#(sub)","addon":{"object":"addon","id":"add_eu","name":"1GB Europe Week Pass","type":"topUp","activationTrigger":"networkLatch","coverage":{"object":"coverage","id":"cp_eu","countries":["DE","FR","IT","ES","PL","NL"],"name":"Europe Zone 1"},"validity":{"unit":"day","value":7},"allowances":{"dataBytes":1000000000,"voiceSeconds":null,"smsMessages":null},"price":{"amount":499,"currency":"USD"}}}"#),
            envelope("evt_paid", "com.gigs.invoice.paid", "2025-12-\(day)T10:31:00Z",
                     #"{"object":"invoice","id":"inv_\#(index)","subscription":"\#(sub)","lineItems":[{"subscriptionAddon":"sad_pass_\#(index)"}]}"#),
            envelope("evt_latch", "com.gigs.network.latched", "2025-12-\(day + 1)T08:00:00Z",
                     #"{"subscription":"\#(sub)","country":"\#(index % 3 == 0 ? "JP" : "DE")","provider":"p15"}"#),
            envelope("evt_topup", "com.gigs.subscriptionAddon.created", "2025-12-\(day)T00:00:00Z",
                     #"{"object":"subscriptionAddon","id":"sad_top_\#(index)","subscription":"\#(sub)","addon":{"object":"addon","id":"add_top","name":"Top-up","type":"topUp","activationTrigger":"creation","coverage":null,"validity":null,"allowances":{"dataBytes":1000000000,"voiceSeconds":null,"smsMessages":null},"price":{"amount":0,"currency":"USD"}}}"#),
            envelope("evt_period", "com.gigs.subscription.periodEnded", "2026-01-01T00:00:00Z",
                     #"{"subscription":"\#(sub)","period":{"number":1,"start":"2025-12-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}}"#),
        ]
        if index % 5 == 0 {
            lines.append(envelope("evt_cancel", "com.gigs.subscriptionAddon.canceled", "2025-12-\(day + 1)T00:00:00Z",
                                  #"{"object":"subscriptionAddon","id":"sad_pass_\#(index)","subscription":"\#(sub)"}"#))
        }
        if index % 7 == 0 {
            lines.append(envelope("evt_ended", "com.gigs.subscription.ended", "2025-12-\(day)T12:00:00Z",
                                  #"{"object":"subscription","id":"\#(sub)","status":"ended"}"#))
        }
        return lines
    }
}
