#!/usr/bin/env python3
"""A throttling proxy in front of moto, to compare the SDK's retry modes.

    python scripts/bench_throttle.py --listen PORT --moto http://127.0.0.1:MOTO [--throttles 2]

Listens on 127.0.0.1:PORT and forwards every request to moto, except that the first
--throttles attempts of each EC2 operation are answered with EC2's throttling error (HTTP 400
`RequestLimitExceeded`). Point `vpcaudit scan --endpoint-url http://127.0.0.1:PORT` at it with
AWS_RETRY_MODE=standard or adaptive and compare wall time and `summary.retries`.
Loopback only; it stops by itself after --lifetime seconds (default 300).
"""

import argparse
import http.client
import http.server
import threading
import urllib.parse

THROTTLED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
    b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
    b"</Error></Errors><RequestID>bench-throttle</RequestID></Response>"
)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--throttles", type=int, default=2)
    parser.add_argument("--lifetime", type=float, default=300)
    args = parser.parse_args()
    moto = urllib.parse.urlparse(args.moto)
    lock = threading.Lock()
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            scope = self.headers.get("Authorization", "")
            if "/ec2/aws4_request" in scope:
                action = urllib.parse.parse_qs(body.decode()).get("Action", ["?"])[0]
                with lock:
                    seen[action] = seen.get(action, 0) + 1
                    throttle = seen[action] <= args.throttles
                if throttle:
                    self.send_response(400)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(THROTTLED)))
                    self.end_headers()
                    self.wfile.write(THROTTLED)
                    return
            conn = http.client.HTTPConnection(moto.hostname, moto.port, timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = handle_any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.listen), Handler)
    threading.Timer(args.lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
