#!/usr/bin/env python3
"""An independent sender: signs events with the Standard Webhooks reference library (PyPI
`standardwebhooks`) and posts them to a running `addon-lifecycle serve`.

Usage: standardwebhooks_client.py BASE_URL SECRET
Exits non-zero if the server does not answer as SPEC section 2 says.
"""
import datetime
import json
import sys
import urllib.error
import urllib.request
import uuid

from standardwebhooks.webhooks import Webhook


def event(event_id):
    return json.dumps({
        "object": "event", "id": event_id, "type": "com.gigs.subscriptionAddon.created",
        "time": "2025-12-15T10:30:00Z", "project": "gigs", "specversion": "1.0",
        "source": "https://api.gigs.com", "datacontenttype": "application/json",
        "data": {
            "object": "subscriptionAddon", "id": "sad_" + event_id, "subscription": "sub_interop",
            "addon": {
                "object": "addon", "id": "add_europe_week", "name": "1GB Europe Week Pass", "type": "topUp",
                "activationTrigger": "networkLatch",
                "coverage": {"object": "coverage", "id": "cp_europe_zone_1",
                             "countries": ["DE", "FR", "IT", "ES", "PL", "NL"], "name": "Europe Zone 1"},
                "validity": {"unit": "day", "value": 7},
                "allowances": {"dataBytes": 1000000000, "voiceSeconds": None, "smsMessages": None},
                "price": {"amount": 499, "currency": "USD"},
            },
        },
    })


def post(base_url, body, headers):
    request = urllib.request.Request(base_url + "/webhooks", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def signed_headers(webhook, msg_id, body, prefix="webhook", when=None):
    when = when or datetime.datetime.now(tz=datetime.timezone.utc)
    return {
        f"{prefix}-id": msg_id,
        f"{prefix}-timestamp": str(int(when.timestamp())),
        f"{prefix}-signature": webhook.sign(msg_id, when, body),
    }


def main():
    base_url, secret = sys.argv[1], sys.argv[2]
    webhook = Webhook(secret)
    event_id = "evt_interop_" + uuid.uuid4().hex[:12]
    body = event(event_id)
    checks = [
        ("signed by the reference library", post(base_url, body, signed_headers(webhook, "msg_1", body)),
         202, "accepted"),
        ("same event again (svix-* names)", post(base_url, body, signed_headers(webhook, "msg_1", body, prefix="svix")),
         200, "duplicate"),
        ("signed 10 minutes ago", post(base_url, event(event_id + "_old"), signed_headers(
            webhook, "msg_2", event(event_id + "_old"),
            when=datetime.datetime.now(tz=datetime.timezone.utc) - datetime.timedelta(minutes=10))),
         401, None),
        ("signed with another secret", post(base_url, body, signed_headers(Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQQ=="), "msg_3", body)),
         401, None),
    ]
    failures = 0
    for name, (status, reply), expected_status, expected_receipt in checks:
        ok = status == expected_status and (expected_receipt is None or reply.get("status") == expected_receipt)
        if expected_receipt is None:
            ok = ok and reply.get("object") == "error" and reply.get("type") == "unauthenticated"
        failures += 0 if ok else 1
        print(f"standardwebhooks interop: {'ok  ' if ok else 'FAIL'} {name}: {status} {json.dumps(reply)}")
    print(f"standardwebhooks interop: {len(checks) - failures} of {len(checks)} checks as expected")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
