import Foundation
import StandardWebhooks
import HTTPTypes
import Ingest

/// Signed requests as a provider sends them.
enum WebhookFixtures {
    static let now: Int64 = 1_765_794_700
    static let secret = WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!
    static let rotatedSecret = WebhookSecret("whsec_" + Data("the-new-secret-after-rotation".utf8).base64EncodedString())!

    static func attached(id: String = "evt_\(UUID().uuidString.prefix(12))", subscription: String = "sub_1", sad: String = "sad_1") -> String {
        """
        {"object":"event","id":"\(id)","type":"com.gigs.subscriptionAddon.created","time":"2025-12-15T10:30:00Z",\
        "project":"gigs","specversion":"1.0","source":"https://api.gigs.com","datacontenttype":"application/json",\
        "data":{"object":"subscriptionAddon","id":"\(sad)","subscription":"\(subscription)",\
        "addon":{"object":"addon","id":"add_japan_5gb","name":"Japan 5GB","type":"topUp","activationTrigger":"usageStarted",\
        "coverage":{"object":"coverage","id":"cp_japan","countries":["JP"],"name":"Japan"},\
        "validity":{"unit":"day","value":14},"allowances":{"dataBytes":5000000000,"voiceSeconds":null,"smsMessages":null},\
        "price":{"amount":1499,"currency":"USD"}}}}
        """
    }

    static func unknownType(id: String = "evt_\(UUID().uuidString.prefix(12))") -> String {
        #"{"object":"event","id":"\#(id)","type":"com.gigs.user.updated","time":"2025-12-15T10:31:00Z","project":"gigs","data":{"id":"usr_1"}}"#
    }

    /// Headers signing `body` with `secret` at `timestamp`, under `webhook-*` or `svix-*` names.
    static func headers(for body: String, secret: WebhookSecret = secret, timestamp: Int64 = now, id: String = "msg_1",
                        prefix: String = "webhook", extraSignatures: [String] = [], contentType: String? = "application/json") -> HTTPFields {
        let signature = WebhookVerifier.sign(id: id, timestamp: timestamp, body: Array(body.utf8), secret: secret)
        var fields = HTTPFields()
        fields[HTTPField.Name("\(prefix)-id")!] = id
        fields[HTTPField.Name("\(prefix)-timestamp")!] = String(timestamp)
        fields[HTTPField.Name("\(prefix)-signature")!] = (extraSignatures + [signature]).joined(separator: " ")
        if let contentType { fields[.contentType] = contentType }
        return fields
    }
}
