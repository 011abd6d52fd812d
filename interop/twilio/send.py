"""Twilio's own Python SDK against the router's Twilio-compatible Messages API.

Usage: send.py BASE_URL ACCOUNT TOKEN --to NUMBER --from SHORT_CODE --opted-out NUMBER

Points a `twilio.rest.Client` at BASE_URL (instead of https://api.twilio.com), then:
sends an MT with a StatusCallback to a small HTTP server of its own (127.0.0.1), waits for
its callbacks and checks each with the SDK's RequestValidator, fetches the message, lists
the recipient's messages two to a page, and sends to an opted-out number (which must fail
with Twilio's error 21610). Prints one JSON summary line; exits 1 on any exception. Every
wait is bounded (20 s in all).
"""

import argparse
import http.server
import json
import sys
import threading
import time
import urllib.parse

from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base_url")
    ap.add_argument("account")
    ap.add_argument("token")
    ap.add_argument("--to", required=True)
    ap.add_argument("--from", dest="from_", required=True)
    ap.add_argument("--opted-out", required=True)
    args = ap.parse_args()
    deadline = time.monotonic() + 20

    validator = RequestValidator(args.token)
    callbacks = []
    lock = threading.Lock()

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            params = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            url = hook_url
            valid = validator.validate(url, params, self.headers.get("X-Twilio-Signature", ""))
            with lock:
                callbacks.append({"status": params.get("MessageStatus"),
                                  "sid": params.get("MessageSid"), "valid": valid})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/twilio-status"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    client = Client(args.account, args.token)
    client.api.base_url = args.base_url.rstrip("/")

    sent = client.messages.create(to=args.to, from_=args.from_, body="Hello from the Twilio SDK",
                                  status_callback=hook_url)
    while time.monotonic() < deadline:
        with lock:
            if any(c["status"] == "delivered" for c in callbacks):
                break
        time.sleep(0.05)
    fetched = client.messages(sent.sid).fetch()
    client.messages.create(to=args.to, from_=args.from_, body="second")
    client.messages.create(to=args.to, from_=args.from_, body="third")
    listed = [m.body for m in client.messages.list(to=args.to, page_size=2, limit=10)]

    refused = None
    try:
        client.messages.create(to=args.opted_out, from_=args.from_, body="promo")
    except TwilioRestException as e:
        refused = {"status": e.status, "code": e.code}

    server.shutdown()
    with lock:
        seen = list(callbacks)
    print(json.dumps({
        "sid": sent.sid,
        "created_status": sent.status,
        "to": sent.to,
        "segments": sent.num_segments,
        "fetched_status": fetched.status,
        "listed": listed,
        "callbacks": seen,
        "refused": refused,
    }))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any failure is the test's failure
        print(json.dumps({"error": repr(e)}))
        sys.exit(1)
