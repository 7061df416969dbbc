#!/usr/bin/env python3
"""An independent receiver: verifies every delivery with the Standard Webhooks reference library
(PyPI `standardwebhooks`) while the scenarios of SPEC section 3 are sent to a running
`addon-lifecycle run` (signed by the same library).

Usage: standardwebhooks_receiver.py BASE_URL API_TOKEN WEBHOOK_SECRET
Registers an endpoint on a local port, sends the scenarios, and checks that every request verified,
that each add-on got the transitions SPEC section 3 gives it in order (and corrections only after
them), and that the last message of each add-on carries the object the API shows. Exits non-zero
otherwise.
"""
import datetime
import http.server
import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

received = []
lock = threading.Lock()
verifier = None


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            payload = verifier.verify(body, headers)
            ok = True
        except WebhookVerificationError as error:
            payload, ok = json.loads(body), False
            print(f"standardwebhooks receiver: FAIL a request did not verify: {error}")
        with lock:
            received.append((ok, headers.get("webhook-id"), payload))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *arguments):
        pass


def api(base_url, token, method, path, body=None):
    request = urllib.request.Request(base_url + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def send(base_url, webhook, envelope):
    body = json.dumps(envelope)
    message = "msg_" + uuid.uuid4().hex[:12]
    now = datetime.datetime.now(tz=datetime.timezone.utc)
    request = urllib.request.Request(base_url + "/webhooks", data=body.encode(), method="POST", headers={
        "Content-Type": "application/json", "webhook-id": message, "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": webhook.sign(message, now, body)})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 202), response.status


def scenarios(run):
    """Events per scenario and, per add-on, the transitions SPEC section 3 gives it."""
    def envelope(name, kind, time, data):
        return {"object": "event", "id": f"evt_{run}_{name}", "type": f"com.gigs.{kind}", "time": time, "project": "gigs", "data": data}

    def addon(trigger, validity, countries=None, amount=0):
        return {"object": "addon", "id": f"add_{trigger}", "name": "Pass", "activationTrigger": trigger, "validity": validity,
                "coverage": {"id": "cp", "countries": countries, "name": "Zone"} if countries else None,
                "price": {"amount": amount, "currency": "USD"}}

    week = {"unit": "day", "value": 7}
    events, expected = [], {}

    def created(name, sub, sad, body, time="2025-12-15T10:30:00Z"):
        events.append(envelope(name, "subscriptionAddon.created", time, {"id": sad, "subscription": sub, "addon": body}))

    sub = f"sub_{run}_creation"  # creation trigger, free: active at creation, expires after 7 days
    created("a1", sub, f"sad_{run}_creation", addon("creation", week))
    expected[f"sad_{run}_creation"] = ["activated", "ended"]

    sub = f"sub_{run}_latch"  # paid, activated by a latch in a covered country (an uncovered one first)
    created("b1", sub, f"sad_{run}_latch", addon("networkLatch", week, ["DE", "FR"], 499))
    events.append(envelope("b2", "invoice.paid", "2025-12-15T10:31:00Z",
                           {"id": "inv_b", "subscription": sub, "lineItems": [{"subscriptionAddon": f"sad_{run}_latch"}]}))
    events.append(envelope("b3", "network.latched", "2025-12-15T12:00:00Z", {"subscription": sub, "country": "JP"}))
    events.append(envelope("b4", "network.latched", "2025-12-16T08:00:00Z", {"subscription": sub, "country": "DE"}))
    expected[f"sad_{run}_latch"] = ["activated", "ended"]

    sub = f"sub_{run}_usage"  # usage started, validity tied to the period
    created("c1", sub, f"sad_{run}_usage", addon("usageStarted", None, ["JP"]))
    events.append(envelope("c2", "usage.started", "2025-12-16T00:00:00Z", {"subscription": sub, "country": "JP", "kind": "data"}))
    events.append(envelope("c3", "subscription.periodEnded", "2026-01-01T00:00:00Z",
                           {"subscription": sub, "period": {"number": 1, "start": "2025-12-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}}))
    expected[f"sad_{run}_usage"] = ["activated", "ended"]

    sub = f"sub_{run}_cancel"  # canceled while active
    created("d1", sub, f"sad_{run}_cancel", addon("creation", week))
    events.append(envelope("d2", "subscriptionAddon.canceled", "2025-12-17T00:00:00Z", {"id": f"sad_{run}_cancel", "subscription": sub}))
    expected[f"sad_{run}_cancel"] = ["activated", "ended"]

    sub = f"sub_{run}_never"  # canceled before its trigger: ended, never activated
    created("e1", sub, f"sad_{run}_never", addon("networkLatch", week))
    events.append(envelope("e2", "subscriptionAddon.canceled", "2025-12-15T11:00:00Z", {"id": f"sad_{run}_never", "subscription": sub}))
    events.append(envelope("e3", "network.latched", "2025-12-15T12:00:00Z", {"subscription": sub, "country": "DE"}))
    expected[f"sad_{run}_never"] = ["ended"]

    sub = f"sub_{run}_ended"  # the subscription ends while the add-on is active
    created("f1", sub, f"sad_{run}_ended", addon("creation", {"unit": "month", "value": 1}))
    events.append(envelope("f2", "subscription.ended", "2025-12-20T00:00:00Z", {"id": sub}))
    expected[f"sad_{run}_ended"] = ["activated", "ended"]
    return events, expected


def main():
    global verifier
    base_url, token, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = api(base_url, token, "POST", "/projects/gigs/webhookEndpoints",
                   {"url": f"http://127.0.0.1:{server.server_port}/hook", "description": "standardwebhooks receiver"})
    verifier = Webhook(endpoint["secret"])
    run = uuid.uuid4().hex[:8]
    events, expected = scenarios(run)
    sender = Webhook(secret)
    for envelope in events:
        send(base_url, sender, envelope)

    def transitions(sad):
        with lock:
            kinds = [payload["type"].rsplit(".", 1)[1] for _, _, payload in received if payload["data"]["id"] == sad]
        return [kind for kind in kinds if kind != "updated"]

    deadline = time.time() + 60
    while time.time() < deadline and any(transitions(sad) != kinds for sad, kinds in expected.items()):
        time.sleep(0.2)
    time.sleep(1)  # corrections, if any, come right after

    failures = 0
    with lock:
        messages = list(received)
    if not all(ok for ok, _, _ in messages):
        failures += 1
    for sad, kinds in expected.items():
        mine = [payload for _, _, payload in messages if payload["data"]["id"] == sad]
        got = [payload["type"].rsplit(".", 1)[1] for payload in mine]
        stored = api(base_url, token, "GET", f"/projects/gigs/subscriptionAddons/{sad}")
        # A worker may fold between two of a scenario's events: then a later fact corrects what
        # it announced (`updated`), and only the last message must hold the final state.
        transitions = [kind for kind in got if kind != "updated"]
        ok = transitions == kinds and mine and mine[-1]["data"] == stored and all(
            p["object"] == "event" and p["project"] == "gigs" and p["source"] == "addon-lifecycle" for p in mine)
        failures += 0 if ok else 1
        print(f"standardwebhooks receiver: {'ok  ' if ok else 'FAIL'} {sad}: {got} (expected {kinds})")
    print(f"standardwebhooks receiver: {len(messages)} deliveries, all verified: {all(ok for ok, _, _ in messages)}; "
          f"{len(expected) - failures} of {len(expected)} add-ons as SPEC section 3 gives them")
    request = urllib.request.Request(f"{base_url}/projects/gigs/webhookEndpoints/{endpoint['id']}", method="DELETE",
                                     headers={"Authorization": f"Bearer {token}"})
    urllib.request.urlopen(request, timeout=10).close()
    server.shutdown()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
