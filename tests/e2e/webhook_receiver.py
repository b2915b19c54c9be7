"""A webhook endpoint for the tests: prints its address, then appends each
delivery it accepts to a JSON-lines file with whether its signature
verifies. While the file named by --fail-flag exists it answers 500."""
import argparse
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-flag", required=True)
    a = ap.parse_args()
    secret = a.secret.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if os.path.exists(a.fail_flag):
                self.send_response(500)
                self.end_headers()
                with open(a.log + ".refused", "a") as f:
                    f.write(self.headers.get("X-Marketsync-Event-Id", "?") + "\n")
                return
            sig = dict(p.split("=", 1) for p in self.headers.get("X-Marketsync-Signature", "").split(",") if "=" in p)
            want = hmac.new(secret, f"{sig.get('t', '')}.".encode() + body, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(want, sig.get("v1", "")) and abs(time.time() - int(sig.get("t", "0"))) < 86400 * 400
            event = json.loads(body)
            with open(a.log, "a") as f:
                f.write(json.dumps({"id": event["id"], "type": event["type"],
                                    "header_id": self.headers.get("X-Marketsync-Event-Id"),
                                    "header_type": self.headers.get("X-Marketsync-Event"),
                                    "signature_ok": ok, "event": event}) + "\n")
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"http://127.0.0.1:{srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
