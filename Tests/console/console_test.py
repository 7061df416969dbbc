#!/usr/bin/env python3
"""The operator console (SPEC section 8) in Debian's chromium, against a real `addon-lifecycle run`.

Usage: console_test.py BASE_URL API_TOKEN WEBHOOK_SECRET SCREENSHOT_DIR   (DATABASE_URL: the run's database)

Sends a subscription's events as signed webhooks (Standard Webhooks reference library), lets the
workers fold and deliver them to a local receiver, then drives the page: the token prompt, the
overview against /metrics, search, the timeline and its "as of" control against the API, the back
button, retrying a failed event and resending a message; and checks that no request left the
origin and the browser console stayed free of errors. Exits non-zero on the first failure.
"""
import datetime
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from standardwebhooks.webhooks import Webhook

BASE, TOKEN, SECRET, SHOTS = sys.argv[1:5]
PROJECT = "gigs"
RUN = uuid.uuid4().hex[:8]
SUB = f"sub_{RUN}_console"
SUB_RETRY = f"sub_{RUN}_retry"
PASS, WEEK_OLD, RETRIED = f"sad_{RUN}_japan", f"sad_{RUN}_week", f"sad_{RUN}_retry"
NOW = datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)
ACTIVATION = NOW - datetime.timedelta(days=1)

received = []
lock = threading.Lock()
requests_seen = []  # every URL the browser requested, from the performance log


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def fail(message):
    print(f"console test: FAIL {message}")
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        with lock:
            received.append(self.headers.get("webhook-id"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *arguments):
        pass


def api(method, path, body=None):
    request = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def send(envelope):
    body = json.dumps(envelope)
    message = "msg_" + uuid.uuid4().hex[:12]
    now = datetime.datetime.now(tz=datetime.timezone.utc)
    request = urllib.request.Request(BASE + "/webhooks", data=body.encode(), method="POST", headers={
        "Content-Type": "application/json", "webhook-id": message, "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(message, now, body)})
    with urllib.request.urlopen(request, timeout=10) as response:
        check(response.status in (200, 202), f"webhook answered {response.status}")


def events():
    def envelope(name, kind, moment, data):
        return {"object": "event", "id": f"evt_{RUN}_{name}", "type": f"com.gigs.{kind}", "time": stamp(moment),
                "project": PROJECT, "data": data}

    def addon(identifier, name, trigger, countries, amount=0):
        return {"object": "addon", "id": identifier, "name": name, "activationTrigger": trigger,
                "validity": {"unit": "day", "value": 7},
                "coverage": {"id": "cp_jp", "countries": countries, "name": "Japan"} if countries else None,
                "price": {"amount": amount, "currency": "USD"}}

    day = datetime.timedelta(days=1)
    return [
        # Japan 5GB: paid two days ago, latched in Japan yesterday: active, expiring in six days.
        envelope("p1", "subscriptionAddon.created", NOW - 2 * day,
                 {"id": PASS, "subscription": SUB, "addon": addon("add_japan_5gb", "Japan 5GB", "networkLatch", ["JP"], 499)}),
        envelope("p2", "invoice.paid", NOW - 2 * day + datetime.timedelta(minutes=1),
                 {"id": f"inv_{RUN}", "subscription": SUB, "lineItems": [{"subscriptionAddon": PASS}]}),
        envelope("p3", "network.latched", ACTIVATION, {"subscription": SUB, "country": "JP"}),
        # A free week pass from ten days ago: active at creation, expired three days ago.
        envelope("w1", "subscriptionAddon.created", NOW - 10 * day,
                 {"id": WEEK_OLD, "subscription": SUB, "addon": addon("add_week", "Week pass", "creation", None)}),
        # Another subscription's event, set aside as failed below and retried from the page.
        envelope("r1", "subscriptionAddon.created", NOW - 2 * day,
                 {"id": RETRIED, "subscription": SUB_RETRY, "addon": addon("add_week", "Week pass", "creation", None)}),
    ]


def wait(condition, what, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    fail(f"timed out waiting for {what() if callable(what) else what}")


def gauges():
    with urllib.request.urlopen(BASE + "/metrics", timeout=10) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+)(?:\{[^}]*\})?\s+(\S+)$", line)
        if match:
            values[match.group(1)] = values.get(match.group(1), 0) + float(match.group(2))
    return values


def prepare():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = api("POST", f"/projects/{PROJECT}/webhookEndpoints",
                   {"url": f"http://127.0.0.1:{server.server_port}/hook", "description": "console test receiver"})
    for envelope in events():
        send(envelope)

    seen = {}

    def folded():
        try:
            summary = api("GET", f"/projects/{PROJECT}/subscriptions/{SUB}")
            retried = api("GET", f"/projects/{PROJECT}/subscriptions/{SUB_RETRY}")
        except urllib.error.HTTPError as error:
            seen["last"] = str(error)
            return False
        statuses = {addon["id"]: addon["status"] for addon in summary["addons"]}
        seen["last"] = (summary["pendingWork"], retried["pendingWork"], statuses)
        return not summary["pendingWork"] and not retried["pendingWork"] and statuses == {PASS: "active", WEEK_OLD: "ended"}
    wait(folded, lambda: f"the workers to fold the scenario (last seen: {seen.get('last')})")
    messages = f"/projects/{PROJECT}/webhookEndpoints/{endpoint['id']}/messages"
    wait(lambda: api("GET", messages + "?status=delivered&limit=200")["items"] and not api("GET", messages + "?status=pending")["items"],
         "every message delivered")
    # Set one processed event aside as failed, as the workers do with one the database refuses.
    failed = f"evt_{RUN}_r1"
    subprocess.run(["psql", os.environ["DATABASE_URL"], "-qc",
                    f"UPDATE events SET status = 'failed', last_error = 'set aside by the console test' WHERE id = '{failed}'"],
                   check=True)
    return endpoint, failed


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--disable-background-networking", "--disable-component-update", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def network(driver):
    """Drains the browser's performance log into `requests_seen`; returns the URLs it added."""
    added = []
    for entry in driver.get_log("performance"):
        event = json.loads(entry["message"])["message"]
        if event["method"] == "Network.requestWillBeSent":
            added.append(event["params"]["request"]["url"])
    requests_seen.extend(added)
    return added


def main():
    endpoint, failed = prepare()
    with urllib.request.urlopen(BASE + "/console", timeout=10) as response:
        policy = response.headers.get("Content-Security-Policy", "")
        check(policy.startswith("default-src 'self'"), f"Content-Security-Policy is {policy!r}")

    driver = browser()
    until = WebDriverWait(driver, 20)
    try:
        # The token is asked once.
        driver.get(BASE + "/console")
        dialog = until.until(lambda d: d.find_element(By.ID, "token-dialog") if d.find_element(By.ID, "token-dialog").is_displayed() else None)
        driver.find_element(By.ID, "token-input").send_keys(Keys.ESCAPE)
        check(driver.find_element(By.ID, "token-dialog").is_displayed(), "Escape dismissed the token prompt")
        driver.find_element(By.ID, "token-input").send_keys(TOKEN + Keys.ENTER)
        until.until(lambda d: not d.find_element(By.ID, "token-dialog").is_displayed())
        stored = driver.execute_script(
            "return [sessionStorage.getItem('addon-lifecycle.token'), Object.keys(localStorage).filter(k => k.includes('token')).length]")
        check(stored == [TOKEN, 0], f"the token is not kept in sessionStorage only: {stored}")

        # The overview's figures are /metrics' (the system is idle: they no longer move).
        until.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-metric] .value"))
        expected = gauges()

        def shown():
            cards = {card.get_attribute("data-metric"): card.find_element(By.CLASS_NAME, "value").text.replace(",", "")
                     for card in driver.find_elements(By.CSS_SELECTOR, "[data-metric]")}
            return cards if cards and all(float(value) == expected.get(name) for name, value in cards.items()) else None
        try:
            cards = WebDriverWait(driver, 20).until(lambda d: shown())
        except TimeoutException:
            fail(f"overview differs from /metrics: page {[(c.get_attribute('data-metric'), c.text) for c in driver.find_elements(By.CSS_SELECTOR, '[data-metric]')]}, metrics {expected}")
        check(float(cards["addon_events_failed"]) == 1, f"the overview shows {cards['addon_events_failed']} failed events")
        driver.save_screenshot(f"{SHOTS}/overview-1280.png")

        # Live updates stop while the tab is hidden and resume when it shows again.
        def visibility(state):
            driver.execute_script(
                "Object.defineProperty(document, 'visibilityState', {value: arguments[0], configurable: true});"
                "document.dispatchEvent(new Event('visibilitychange'))", state)
        network(driver)
        visibility("hidden")
        time.sleep(0.5)
        network(driver)
        time.sleep(6)
        scrapes = [url for url in network(driver) if url.endswith("/metrics")]
        check(not scrapes, f"the hidden overview kept polling: {scrapes}")
        visibility("visible")
        wait(lambda: any(url.endswith("/metrics") for url in network(driver)), "the overview to poll again once visible", 10)

        # Searching a subscription id opens its page; its bars and statuses are the API's.
        driver.find_element(By.ID, "search-project").clear()
        driver.find_element(By.ID, "search-project").send_keys(PROJECT)
        driver.find_element(By.ID, "search-id").send_keys(SUB + Keys.ENTER)
        until.until(lambda d: d.current_url.endswith(f"/console/subscriptions/{PROJECT}/{SUB}"))
        until.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#allowances li"))
        summary = api("GET", f"/projects/{PROJECT}/subscriptions/{SUB}")
        for addon in summary["addons"]:
            row = driver.find_element(By.CSS_SELECTOR, f".row[data-addon='{addon['id']}']")
            check(row.find_element(By.CLASS_NAME, "status-badge").text == addon["status"],
                  f"{addon['id']} shows {row.find_element(By.CLASS_NAME, 'status-badge').text}, the API says {addon['status']}")
            kinds = {bar.get_attribute("data-kind") for bar in row.find_elements(By.CLASS_NAME, "bar")}
            want = {"pending", "active", "timer"} if addon["id"] == PASS else {"active", "ended"}
            check(want <= kinds, f"{addon['id']} has bars {kinds}, expected {want}")
        check("Japan 5GB" in driver.find_element(By.ID, "allowances").text, "the consumption order lacks the Japan pass")
        # Marks are buttons: focus one and its details show.
        mark = driver.find_element(By.CSS_SELECTOR, f".row[data-addon='{PASS}'] .mark.transition")
        check(mark.tag_name == "button", "marks are not keyboard-focusable buttons")
        driver.execute_script("arguments[0].focus()", mark)
        check("transition activated" in driver.find_element(By.ID, "mark-details").text, "focusing a transition shows no details")
        driver.save_screenshot(f"{SHOTS}/subscription-1280.png")
        driver.set_window_size(390, 844)
        time.sleep(0.3)
        driver.save_screenshot(f"{SHOTS}/subscription-390.png")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        check(width <= 390, f"the page is {width} px wide at 390 px")
        driver.set_window_size(1280, 900)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        check(background == "rgb(17, 21, 26)", f"dark mode did not apply (background {background})")
        driver.save_screenshot(f"{SHOTS}/subscription-1280-dark.png")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})

        # The slider moves by keyboard, and says where it is as a time.
        slider = driver.find_element(By.ID, "as-of")
        start_text = driver.find_element(By.ID, "as-of-value").get_attribute("value")
        slider.send_keys(Keys.ARROW_LEFT * 3)
        until.until(lambda d: d.find_element(By.ID, "as-of-value").get_attribute("value") != start_text)
        check(slider.get_attribute("aria-valuetext").endswith("Z"), "the slider's value is not read out as a time")

        # "As of" before the activation shows the pass pending, in the timeline and in the state.
        before = (ACTIVATION - datetime.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
        field = driver.find_element(By.ID, "as-of-value")
        field.send_keys(Keys.CONTROL + "a")
        field.send_keys(before + Keys.TAB)
        until.until(lambda d: d.find_element(By.CSS_SELECTOR, f".row[data-addon='{PASS}'] .status-badge").text == "pending")
        state = api("GET", f"/projects/{PROJECT}/subscriptions/{SUB}/state?asOf={urllib.parse.quote(before)}")
        shown_state = {row.get_attribute("data-addon"): row.find_element(By.CLASS_NAME, "status").text
                       for row in driver.find_elements(By.CSS_SELECTOR, "tr[data-addon]")}
        check(shown_state == {addon["id"]: addon["status"] for addon in state["addons"]},
              f"as of {before} the page shows {shown_state}, the API {state['addons']}")

        # The back button returns to the overview, forward to the permalink.
        driver.back()
        until.until(lambda d: urllib.parse.urlparse(d.current_url).path == "/console")
        until.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-metric]"))
        driver.forward()
        until.until(lambda d: d.current_url.endswith(f"/console/subscriptions/{PROJECT}/{SUB}"))
        until.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".row[data-addon]"))

        # Retrying the failed event from the page turns it processed.
        driver.find_element(By.LINK_TEXT, "Failed events").click()
        row = until.until(lambda d: d.find_element(By.CSS_SELECTOR, f"tr[data-event='{failed}']"))
        row.find_element(By.CLASS_NAME, "retry").click()
        until.until(lambda d: d.find_element(By.ID, "confirm-dialog").is_displayed())
        driver.find_element(By.ID, "confirm-cancel").click()  # asked first: cancelling does nothing
        until.until(lambda d: not d.find_element(By.ID, "confirm-dialog").is_displayed())
        time.sleep(1)
        check(api("GET", f"/events/{failed}")["status"] == "failed", "cancelling the confirmation retried the event")
        row.find_element(By.CLASS_NAME, "retry").click()
        until.until(lambda d: d.find_element(By.ID, "confirm-dialog").is_displayed())
        driver.find_element(By.ID, "confirm-ok").click()
        WebDriverWait(driver, 40).until(lambda d: d.find_element(By.CSS_SELECTOR, f"tr[data-event='{failed}'] .status").text == "processed")
        check(api("GET", f"/events/{failed}")["status"] == "processed", "the API does not show the retried event processed")

        # Resending a message from the endpoint's page reaches the receiver again.
        driver.get(f"{BASE}/console/endpoints/{PROJECT}/{endpoint['id']}")
        row = until.until(lambda d: d.find_element(By.CSS_SELECTOR, "tr[data-message]"))
        message = row.get_attribute("data-message")
        with lock:
            before_count = received.count(message)
        row.find_element(By.CLASS_NAME, "resend").click()
        until.until(lambda d: d.find_element(By.ID, "confirm-dialog").is_displayed())
        driver.find_element(By.ID, "confirm-ok").click()
        wait(lambda: received.count(message) > before_count, f"message {message} to reach the receiver again", 30)

        # No request left the origin; the console logged no error.
        origin = urllib.parse.urlparse(BASE).netloc
        network(driver)
        paths = {urllib.parse.urlparse(url).path for url in requests_seen}
        check({"/console", "/console/assets/app.js", "/metrics", f"/projects/{PROJECT}/subscriptions/{SUB}"} <= paths,
              f"the network log misses requests the page made: {sorted(paths)[:20]}")
        for seen in requests_seen:
            url = urllib.parse.urlparse(seen)
            check(url.scheme in ("http", "https") and url.netloc == origin, f"a request left the origin: {seen}")
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        check(not errors, f"the browser console has errors: {errors}")

        # A wrong token is refused with a clear message, and asked again.
        driver.execute_script("sessionStorage.clear()")
        driver.get(BASE + "/console/events")
        until.until(lambda d: d.find_element(By.ID, "token-dialog").is_displayed())
        driver.find_element(By.ID, "token-input").send_keys("not-the-token" + Keys.ENTER)
        until.until(lambda d: "refused" in d.find_element(By.ID, "token-message").text and d.find_element(By.ID, "token-dialog").is_displayed())
    finally:
        driver.quit()
    print(f"console test: ok (screenshots in {SHOTS}: overview-1280.png, subscription-1280.png, subscription-1280-dark.png, subscription-390.png)")


if __name__ == "__main__":
    main()
