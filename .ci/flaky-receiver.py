#!/usr/bin/env python3
"""A flaky webhook receiver for the chaos run: usage flaky-receiver.py PORT LOG.

Answers each delivery at random: 200 (73%), 500 (15%), 503 with Retry-After: 0 (5%), a reset
connection (5%), or no answer for 17 s, past the sender's 15 s deadline (2%). Every request is
logged as one JSON line: arrival time, webhook-id, the answer, and the body.
"""
import http.server
import json
import random
import socket
import struct
import sys
import threading
import time

lock = threading.Lock()
log = open(sys.argv[2], "a", buffering=1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        roll = random.random()
        answer = 200 if roll < 0.73 else 500 if roll < 0.88 else 503 if roll < 0.93 else "reset" if roll < 0.98 else "timeout"
        with lock:
            log.write(json.dumps({"t": time.time(), "id": self.headers.get("webhook-id"), "answer": answer,
                                  "body": json.loads(body)}) + "\n")
        if answer == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if answer == "timeout":
            time.sleep(17)
            self.close_connection = True
            return
        self.send_response(answer)
        if answer == 503:
            self.send_header("Retry-After", "0")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *arguments):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a sender that gave up (its deadline) or was killed: nothing to report


Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
