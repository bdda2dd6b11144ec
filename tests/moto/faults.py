#!/usr/bin/env python3
"""A loopback proxy in front of moto that logs every AWS call and injects faults on chosen ones.

    python faults.py --upstream http://127.0.0.1:MOTO [--faults FAULTS.json] [--log CALLS.jsonl]

Listens on a free port of 127.0.0.1 and prints ONE JSON line on stdout when ready:
{"port": N}. Every request is forwarded to the upstream (moto) unchanged, unless a fault rule
matches it. Each request is logged as a JSON line:

    {"service": "ec2", "model": "ec2", "operation": "DescribeSubnets", "region": "us-east-1",
     "method": "POST", "status": 200, "fault": null}

`service` is the SigV4 signing name from the Authorization header (ec2, rds,
elasticloadbalancing, lambda, apigateway, ecs, sts, organizations, iam); `operation` the API
operation: the query protocol's `Action`, the JSON protocol's `X-Amz-Target`, or for REST
protocols the operation of botocore's service model whose method and URI template match; `model` is that
botocore model (elbv2 or elb, apigateway or apigatewayv2).

FAULTS.json is a list of rules; the first that matches a request decides:

    {"service": "ec2", "operation": "DescribeSubnets", "region": "us-east-1",  # each optional
     "fault": "throttle" | "http500" | "http503" | "reset" | "truncate" | "malformed" |
              "slow" | "deny",
     "times": 2,        # only the first N matching requests (default: all of them)
     "delay": 5.0}      # for "slow": seconds before the (real) answer

- throttle: the service's throttling error (EC2 RequestLimitExceeded 503, query Throttling 400,
  JSON ThrottlingException 400, REST TooManyRequestsException 429), in the protocol's shape.
- http500 / http503: InternalError / ServiceUnavailable.
- reset: the connection is closed with a TCP reset before any answer.
- truncate: moto's real answer, cut in the middle: Content-Length promises more than is sent.
- malformed: 200 with a body that is not the protocol's XML or JSON.
- slow: moto's real answer after `delay` seconds.
- deny: AccessDenied (EC2: UnauthorizedOperation, 403), as AWS answers a missing permission.

Standard library only (plus botocore, which the venv has for the REST operation names).
"""

import argparse
import http.client
import http.server
import json
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse

import botocore.session

# The protocol of each signing name, for error shapes.
PROTOCOL = {
    "ec2": "ec2",
    "rds": "query",
    "elasticloadbalancing": "query",
    "sts": "query",
    "iam": "query",
    "ecs": "json",
    "organizations": "json",
    "lambda": "rest-json",
    "apigateway": "rest-json",
}

# REST services: the botocore models whose URI templates name the operation.
REST_MODELS = {"lambda": ["lambda"], "apigateway": ["apigatewayv2", "apigateway"]}


def rest_routes():
    session = botocore.session.get_session()
    routes = {}
    for signing, models in REST_MODELS.items():
        table = []
        for name in models:
            model = session.get_service_model(name)
            for op in model.operation_names:
                http = model.operation_model(op).http
                path = http["requestUri"].split("?")[0]
                pattern = re.sub(r"\{[^}]+\+\}", ".+", path)
                pattern = re.sub(r"\{[^}]+\}", "[^/]+", pattern)
                # Literal segments first: /restapis/{id}/stages before /restapis/{id}/{x}.
                literal = len(re.sub(r"\{[^}]+\}", "", path))
                table.append((http["method"], re.compile("^" + pattern.rstrip("/") + "/?$"), literal, name, op))
        table.sort(key=lambda row: -row[2])
        routes[signing] = table
    return routes


ROUTES = rest_routes()


def identify(method, path, headers, body):
    """(service, model, operation, region) of a signed AWS request."""
    auth = headers.get("Authorization", "")
    scope = auth.partition("Credential=")[2].partition(",")[0].split("/")
    region = scope[2] if len(scope) > 3 else None
    service = scope[3] if len(scope) > 3 else None
    target = headers.get("X-Amz-Target")
    if target:
        return service, service, target.rsplit(".", 1)[-1], region
    url = urllib.parse.urlsplit(path)
    params = urllib.parse.parse_qs(url.query)
    if body and "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        params.update(urllib.parse.parse_qs(body.decode("utf-8", "replace")))
    if "Action" in params:
        model = service
        if service == "elasticloadbalancing":
            model = "elbv2" if params.get("Version") == ["2015-12-01"] else "elb"
        return service, model, params["Action"][0], region
    for verb, pattern, _, model, op in ROUTES.get(service, []):
        if verb == method and pattern.match(url.path):
            return service, model, op, region
    return service, service, None, region


def error_answer(protocol, status, code, message):
    """(status, headers, body) of an AWS error in the protocol's shape."""
    if protocol == "ec2":
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>fault-1</RequestID></Response>"
        )
        return status, {"Content-Type": "text/xml"}, body.encode()
    if protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>fault-1</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml"}, body.encode()
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message})
        return status, {"Content-Type": "application/x-amz-json-1.1"}, body.encode()
    body = json.dumps({"message": message})
    return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body.encode()


def canned(fault, protocol):
    if fault == "throttle":
        if protocol == "ec2":
            return error_answer(protocol, 503, "RequestLimitExceeded", "Request limit exceeded.")
        if protocol == "rest-json":
            return error_answer(protocol, 429, "TooManyRequestsException", "Rate exceeded")
        if protocol == "json":
            return error_answer(protocol, 400, "ThrottlingException", "Rate exceeded")
        return error_answer(protocol, 400, "Throttling", "Rate exceeded")
    if fault == "http500":
        return error_answer(protocol, 500, "InternalError", "An internal error has occurred")
    if fault == "http503":
        return error_answer(protocol, 503, "ServiceUnavailable", "Service is unavailable")
    if fault == "deny":
        if protocol == "ec2":
            return error_answer(protocol, 403, "UnauthorizedOperation", "You are not authorized to perform this operation.")
        code = "AccessDeniedException" if protocol in ("json", "rest-json") else "AccessDenied"
        return error_answer(protocol, 403, code, "User is not authorized to perform this action")
    if fault == "malformed":
        content_type = "text/xml" if protocol in ("ec2", "query") else "application/json"
        return 200, {"Content-Type": content_type}, b"<<<\x00 this is not what the protocol promised {"
    return None


class Rules:
    def __init__(self, rules):
        self.rules = rules
        self.seen = [0] * len(rules)
        self.lock = threading.Lock()

    def match(self, service, model, operation, region):
        with self.lock:
            for i, rule in enumerate(self.rules):
                if any(
                    key in rule and rule[key] not in values
                    for key, values in (
                        ("service", (service, model)),
                        ("operation", (operation,)),
                        ("region", (region,)),
                    )
                ):
                    continue
                self.seen[i] += 1
                if "times" in rule and self.seen[i] > rule["times"]:
                    continue
                return rule
        return None


def make_handler(upstream, rules, log):
    up = urllib.parse.urlsplit(upstream)
    log_lock = threading.Lock()
    local = threading.local()

    def connection():
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
            local.conn = conn
        return conn

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def record(self, status, fault):
            if log is None:
                return
            service, model, operation, region = self.call
            line = json.dumps(
                {"service": service, "model": model, "operation": operation, "region": region,
                 "method": self.command, "status": status, "fault": fault}
            )
            with log_lock:
                log.write(line + "\n")
                log.flush()

        def forward(self, body):
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            for attempt in range(2):
                conn = connection()
                try:
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                    kept = [(k, v) for k, v in answer.getheaders()
                            if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length")]
                    return answer.status, kept, data
                except (http.client.HTTPException, OSError):
                    conn.close()
                    local.conn = None
                    if attempt:
                        raise
            raise RuntimeError("unreachable")

        def send(self, status, headers, body, declared_length=None):
            self.send_response(status)
            items = headers.items() if isinstance(headers, dict) else headers
            for k, v in items:
                self.send_header(k, v)
            self.send_header("Content-Length", str(declared_length if declared_length is not None else len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            self.call = identify(self.command, self.path, self.headers, body)
            service, model, operation, region = self.call
            rule = rules.match(service, model, operation, region) if operation else None
            fault = rule["fault"] if rule else None
            protocol = PROTOCOL.get(service, "query")
            if fault == "reset":
                self.record(None, fault)
                # SO_LINGER with a zero timeout: close() sends a RST, not a FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            answer = canned(fault, protocol) if fault else None
            if answer is not None:
                self.record(answer[0], fault)
                self.send(*answer)
                return
            if fault == "slow":
                time.sleep(float(rule.get("delay", 5)))
            status, headers, data = self.forward(body)
            self.record(status, fault)
            if fault == "truncate":
                self.send(status, headers, data[: len(data) // 2], declared_length=len(data))
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            try:
                self.send(status, headers, data)
            except OSError:
                # The client gave up (a read timeout during "slow"): nothing to answer.
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--faults", help="JSON file with the fault rules")
    parser.add_argument("--log", help="append one JSON line per request to this file")
    args = parser.parse_args(argv)
    rules = Rules(json.load(open(args.faults)) if args.faults else [])
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args.upstream, rules, log))
    server.daemon_threads = True
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
