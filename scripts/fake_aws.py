#!/usr/bin/env python3
"""A loopback fake of every AWS call vpcaudit makes, for N accounts x R regions, all empty.

    python3 scripts/fake_aws.py --port 0 --port-file PORTFILE --accounts 100 --regions 17 \
        --latency-ms 50 [--jitter-ms 10] [--throttle 20,40] [--vpc-regions 2] [--stats stats.json]

Python standard library only: one asyncio event loop with a small HTTP/1.1 protocol (keep-alive,
Content-Length or chunked bodies, no pipelining needed), so hundreds of concurrent connections
cost one thread. Each request is answered after --latency-ms (+ uniform(0, --jitter-ms)) with a
timer on the loop, not a thread or a coroutine per request.

The estate: a management account (the caller, 100000000000) and --accounts member accounts
(200000000001, 200000000002, ...), all ACTIVE; each has the same --regions enabled regions
(the 17 default regions first) and nothing in them, except with --vpc-regions V: one default
VPC (nothing in it) in each account's first V regions, which vpcaudit then reads whole.

How a request is identified, as AWS does: the service and region from the SigV4 credential
scope of the Authorization header (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`), the
account from the access key id (AssumeRole hands out `ASIAFAKE<account>` keys; any other key is
the management account's), the operation from the protocol: `Action` (EC2, STS, RDS, ELB query
protocols), `X-Amz-Target` (Organizations, ECS: JSON 1.1) or method and path (Lambda, API
Gateway: REST JSON).

Emulated (everything else is answered HTTP 400 with the protocol's error, counted, and listed
in the stats and on stderr at exit):

  sts            GetCallerIdentity, AssumeRole
  organizations  ListAccounts (20 per page, NextToken)
  ec2            DescribeRegions and the Describe calls in EC2_SETS below (empty sets)
  rds            DescribeDBInstances, DescribeDBClusters, DescribeDBSubnetGroups, DescribeDBProxies
  elbv2          DescribeLoadBalancers, DescribeTargetGroups, DescribeListeners (2015-12-01)
  elb            DescribeLoadBalancers (classic, 2012-06-01)
  lambda         ListFunctions
  apigateway     GetRestApis, GetStages (v1); apigatewayv2 GetApis, GetStages
  ecs            ListClusters, DescribeClusters, ListServices, ListTasks

--throttle RATE,BURST puts a token bucket on each (account, region, operation); a request
that finds it empty is answered with the service's throttling error (EC2 400
RequestLimitExceeded; STS, RDS, ELB 400 Throttling; Organizations 400
TooManyRequestsException; ECS 400 ThrottlingException; Lambda and API Gateway 429
TooManyRequestsException).

Statistics (GET /__stats at any time, and written to --stats on SIGTERM/SIGINT): requests in
total and by operation, connections accepted, peak connections open, peak requests in flight,
unknown calls, throttled requests, the process's own CPU seconds, and per (account, region,
service) the most datasets and pages one scope needed (for the benchmark's floor).
Loopback only; it stops by itself after --lifetime seconds (default 7200).
"""

import argparse
import asyncio
import collections
import datetime
import json
import os
import random
import re
import resource
import signal
import sys
import time
import urllib.parse
import zlib

MANAGEMENT = "100000000000"
MEMBER_BASE = 200000000000
ASSUMED_PREFIX = "ASIAFAKE"  # + 12 digits: 20 characters, like a real key id

DEFAULT_REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ca-central-1",
    "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1",
]
# Beyond 17: real opt-in regions, reported as opted in.
OPT_IN_REGIONS = [
    "af-south-1", "ap-east-1", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
    "ca-west-1", "eu-south-1", "eu-south-2", "eu-central-2", "il-central-1", "me-south-1",
    "me-central-1", "mx-central-1", "ap-southeast-5", "ap-southeast-7",
]

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
# EC2 Describe calls answered with an empty list: operation -> its list element.
EC2_SETS = {
    "DescribeVpcs": "vpcSet",
    "DescribeSubnets": "subnetSet",
    "DescribeRouteTables": "routeTableSet",
    "DescribeInternetGateways": "internetGatewaySet",
    "DescribeNatGateways": "natGatewaySet",
    "DescribeNetworkAcls": "networkAclSet",
    "DescribeSecurityGroups": "securityGroupInfo",
    "DescribeSecurityGroupRules": "securityGroupRuleSet",
    "DescribeNetworkInterfaces": "networkInterfaceSet",
    "DescribeInstances": "reservationSet",
    "DescribeFlowLogs": "flowLogSet",
    "DescribeAddresses": "addressesSet",
    "DescribeVpcEndpoints": "vpcEndpointSet",
    "DescribeEgressOnlyInternetGateways": "egressOnlyInternetGatewaySet",
    "DescribeTransitGateways": "transitGatewaySet",
    "DescribeTransitGatewayAttachments": "transitGatewayAttachments",
    "DescribeTransitGatewayVpcAttachments": "transitGatewayVpcAttachments",
    "DescribeTransitGatewayRouteTables": "transitGatewayRouteTables",
    "DescribeVpcPeeringConnections": "vpcPeeringConnectionSet",
    "DescribeVpnGateways": "vpnGatewaySet",
    "DescribeVpnConnections": "vpnConnectionSet",
    "DescribeCustomerGateways": "customerGatewaySet",
    "DescribeManagedPrefixLists": "prefixListSet",
    "DescribeCarrierGateways": "carrierGatewaySet",
    "DescribeLocalGateways": "localGatewaySet",
    "DescribeDhcpOptions": "dhcpOptionsSet",
}

RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/"
RDS_LISTS = {
    "DescribeDBInstances": "DBInstances",
    "DescribeDBClusters": "DBClusters",
    "DescribeDBSubnetGroups": "DBSubnetGroups",
    "DescribeDBProxies": "DBProxies",
}
ELBV2_NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
ELBV2_LISTS = {
    "DescribeLoadBalancers": "LoadBalancers",
    "DescribeTargetGroups": "TargetGroups",
    "DescribeListeners": "Listeners",
}
ELB_NS = "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"
ELB_LISTS = {"DescribeLoadBalancers": "LoadBalancerDescriptions"}
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

ORGANIZATIONS_TARGET = "AWSOrganizationsV20161128."
ECS_TARGET = "AmazonEC2ContainerServiceV20141113."
ECS_EMPTY = {
    "ListClusters": {"clusterArns": []},
    "DescribeClusters": {"clusters": [], "failures": []},
    "ListServices": {"serviceArns": []},
    "ListTasks": {"taskArns": []},
}
ORGANIZATIONS_PAGE = 20

SCOPE_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           429: "Too Many Requests", 500: "Internal Server Error"}


class Answer(Exception):
    """An error answer: the protocol decides its body."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Estate:
    def __init__(self, accounts, regions, vpc_regions=0):
        self.members = [f"{MEMBER_BASE + i:012d}" for i in range(1, accounts + 1)]
        self.accounts = [MANAGEMENT] + self.members
        self.known = set(self.accounts)
        names = DEFAULT_REGIONS + OPT_IN_REGIONS
        names += [f"xx-bench-{i}" for i in range(1, max(0, regions - len(names)) + 1)]
        self.regions = [(n, "opt-in-not-required" if n in DEFAULT_REGIONS else "opted-in")
                        for n in names[:regions]]
        # Regions where every account has one VPC (a default VPC, nothing in it).
        self.vpc_regions = {name for name, _ in self.regions[:vpc_regions]}


class Stats:
    def __init__(self):
        self.started = time.monotonic()
        self.requests = 0
        self.by_operation = collections.Counter()
        self.connections = 0
        self.open_connections = 0
        self.peak_connections = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.unknown = collections.Counter()
        self.throttled = 0
        self.throttled_by_operation = collections.Counter()
        self.first_request = None
        self.last_response = None
        # (account, region, service) -> Counter(operation): for the floor.
        self.scopes = collections.defaultdict(collections.Counter)

    def as_dict(self):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        per_service = {}
        # Each scope's shape: (datasets, pages) of each service it read, for the floor's sum
        # over scopes; scopes of one shape are counted together.
        shapes = collections.defaultdict(list)
        for (account, region, service), ops in self.scopes.items():
            shapes[(account, region)].append((len(ops), max(ops.values())))
        scope_shapes = collections.Counter(tuple(sorted(s)) for s in shapes.values())
        for (_account, _region, service), ops in self.scopes.items():
            entry = per_service.setdefault(
                service, {"scopes": 0, "max_datasets": 0, "max_pages": 0, "max_calls": 0})
            entry["scopes"] += 1
            entry["max_datasets"] = max(entry["max_datasets"], len(ops))
            entry["max_pages"] = max(entry["max_pages"], max(ops.values()))
            entry["max_calls"] = max(entry["max_calls"], sum(ops.values()))
        active = None
        if self.first_request is not None and self.last_response is not None:
            active = round(self.last_response - self.first_request, 3)
        return {
            "requests": self.requests,
            "by_operation": dict(sorted(self.by_operation.items())),
            "connections_accepted": self.connections,
            "peak_connections": self.peak_connections,
            "peak_in_flight": self.peak_in_flight,
            "unknown_calls": dict(sorted(self.unknown.items())),
            "unknown_total": sum(self.unknown.values()),
            "throttled": self.throttled,
            "throttled_by_operation": dict(sorted(self.throttled_by_operation.items())),
            "cpu_user_seconds": round(usage.ru_utime, 3),
            "cpu_system_seconds": round(usage.ru_stime, 3),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "uptime_seconds": round(time.monotonic() - self.started, 3),
            "active_seconds": active,
            "per_scope_service": dict(sorted(per_service.items())),
            "scope_shapes": [{"services": [list(p) for p in shape], "scopes": n}
                             for shape, n in sorted(scope_shapes.items())],
        }


class Buckets:
    """One token bucket per key: RATE tokens a second, at most BURST."""

    def __init__(self, spec):
        rate, _, burst = spec.partition(",")
        self.rate = float(rate)
        self.burst = float(burst or rate)
        if self.rate <= 0 or self.burst < 1:
            raise SystemExit("fake_aws: --throttle wants RATE,BURST with RATE > 0, BURST >= 1")
        self.buckets = {}

    def take(self, key):
        now = time.monotonic()
        tokens, then = self.buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1:
            self.buckets[key] = (tokens - 1, now)
            return True
        self.buckets[key] = (tokens, now)
        return False


def xml(body):
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


class Request:
    __slots__ = ("method", "path", "query", "headers", "body", "service", "region",
                 "account", "akid", "request_id")


class FakeAws:
    def __init__(self, args):
        self.args = args
        self.estate = Estate(args.accounts, args.regions, args.vpc_regions)
        self.stats = Stats()
        self.buckets = Buckets(args.throttle) if args.throttle else None
        self.latency = args.latency_ms / 1000.0
        self.jitter = args.jitter_ms / 1000.0
        self.counter = 0

    def delay(self):
        if self.jitter:
            return self.latency + random.uniform(0, self.jitter)
        return self.latency

    # ---- routing -------------------------------------------------------------------------

    def answer(self, req):
        """(status, headers, body bytes) for one request; counts it."""
        self.counter += 1
        req.request_id = f"fake-{self.counter:08d}"
        auth = req.headers.get("authorization", "")
        scope = SCOPE_RE.search(auth)
        if not scope:
            return self.unknown(req, "unsigned", "json", "no SigV4 credential scope")
        req.akid, _date, req.region, req.service = scope.groups()
        suffix = req.akid[len(ASSUMED_PREFIX):]
        if req.akid.startswith(ASSUMED_PREFIX) and suffix in self.estate.known:
            req.account = suffix
        else:
            req.account = MANAGEMENT
        service = req.service
        try:
            if service in ("ec2", "sts", "rds", "elasticloadbalancing"):
                return self.query(req)
            if service in ("organizations", "ecs"):
                return self.json11(req)
            if service in ("lambda", "apigateway"):
                return self.rest(req)
        except Answer as error:  # raised before an operation was known
            return self.error(req, "json", error)
        return self.unknown(req, service, "json", f"service {service} is not emulated")

    def count(self, req, family, operation, protocol):
        """Counts one known operation; raises the throttling Answer when its bucket is empty."""
        key = f"{family}:{operation}"
        self.stats.requests += 1
        self.stats.by_operation[key] += 1
        if self.buckets and not self.buckets.take((req.account, req.region, key)):
            self.stats.throttled += 1
            self.stats.throttled_by_operation[key] += 1
            if protocol == "ec2":
                raise Answer(400, "RequestLimitExceeded", "Request limit exceeded.")
            if protocol == "query":
                raise Answer(400, "Throttling", "Rate exceeded")
            if protocol == "json":
                code = "TooManyRequestsException" if family == "organizations" else (
                    "ThrottlingException")
                raise Answer(400, code, "Rate exceeded")
            raise Answer(429, "TooManyRequestsException", "Too Many Requests")
        # Answered calls per scope and service (not throttled ones): datasets and pages.
        if family not in ("sts", "organizations") and key != "ec2:DescribeRegions":
            self.stats.scopes[(req.account, req.region, family)][operation] += 1

    def unknown(self, req, family, protocol, why):
        label = f"{family}:{why}"
        self.stats.requests += 1
        self.stats.unknown[label] += 1
        self.stats.by_operation[f"{family}:<unknown>"] += 1
        code = {"ec2": "InvalidAction", "query": "InvalidAction"}.get(
            protocol, "UnknownOperationException")
        return self.error(req, protocol, Answer(400, code, f"fake_aws does not emulate {why}"))

    def error(self, req, protocol, error):
        rid = req.request_id
        if protocol == "ec2":
            body = xml(
                f"<Response><Errors><Error><Code>{error.code}</Code><Message>{error.message}"
                f"</Message></Error></Errors><RequestID>{rid}</RequestID></Response>")
            return error.status, "text/xml;charset=UTF-8", body.encode(), ()
        if protocol == "query":
            body = xml(
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{error.code}</Code>"
                f"<Message>{error.message}</Message></Error><RequestId>{rid}</RequestId>"
                "</ErrorResponse>")
            return error.status, "text/xml", body.encode(), ()
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        ctype = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
        return error.status, ctype, body, (("x-amzn-ErrorType", error.code),)

    # ---- query protocols: EC2, STS, RDS, ELB -------------------------------------------------

    def query(self, req):
        params = {}
        if req.query:
            params.update(urllib.parse.parse_qsl(req.query))
        if req.body:
            params.update(urllib.parse.parse_qsl(req.body.decode("utf-8", "replace")))
        action = params.get("Action", "")
        service = req.service
        if service == "ec2":
            return self.ec2(req, action, params)
        try:
            if service == "sts":
                return self.sts(req, action, params)
            if service == "rds" and action in RDS_LISTS:
                self.count(req, "rds", action, "query")
                return self.query_list(req, action, RDS_NS, RDS_LISTS[action])
            if service == "elasticloadbalancing":
                version = params.get("Version", "")
                if version == "2015-12-01" and action in ELBV2_LISTS:
                    self.count(req, "elbv2", action, "query")
                    return self.query_list(req, action, ELBV2_NS, ELBV2_LISTS[action])
                if version == "2012-06-01" and action in ELB_LISTS:
                    self.count(req, "elb", action, "query")
                    return self.query_list(req, action, ELB_NS, ELB_LISTS[action])
                return self.unknown(req, "elasticloadbalancing", "query",
                                    f"{action or req.method + ' ' + req.path} ({version})")
        except Answer as error:
            return self.error(req, "query", error)
        return self.unknown(req, service, "query", action or f"{req.method} {req.path}")

    def query_list(self, req, action, namespace, element):
        body = xml(
            f'<{action}Response xmlns="{namespace}"><{action}Result><{element}/></{action}Result>'
            f"<ResponseMetadata><RequestId>{req.request_id}</RequestId></ResponseMetadata>"
            f"</{action}Response>")
        return 200, "text/xml", body.encode(), ()

    def ec2(self, req, action, params):
        if action != "DescribeRegions" and action not in EC2_SETS:
            return self.unknown(req, "ec2", "ec2", action or f"{req.method} {req.path}")
        try:
            self.count(req, "ec2", action, "ec2")
        except Answer as error:
            return self.error(req, "ec2", error)
        rid = f"<requestId>{req.request_id}</requestId>"
        if action == "DescribeRegions":
            items = "".join(
                f"<item><regionName>{name}</regionName>"
                f"<regionEndpoint>ec2.{name}.amazonaws.com</regionEndpoint>"
                f"<optInStatus>{opt_in}</optInStatus></item>"
                for name, opt_in in self.estate.regions)
            inner = f"{rid}<regionInfo>{items}</regionInfo>"
        elif action == "DescribeVpcs" and req.region in self.estate.vpc_regions:
            inner = f"{rid}<vpcSet>{default_vpc(req.account, req.region)}</vpcSet>"
        else:
            inner = f"{rid}<{EC2_SETS[action]}/>"
        body = xml(f'<{action}Response xmlns="{EC2_NS}">{inner}</{action}Response>')
        return 200, "text/xml;charset=UTF-8", body.encode(), ()

    def sts(self, req, action, params):
        if action == "GetCallerIdentity":
            self.count(req, "sts", action, "query")
            account = req.account
            if account == MANAGEMENT:
                arn, user = f"arn:aws:iam::{account}:user/bench", "AIDAFAKEMANAGEMENT00"
            else:
                arn = f"arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/vpcaudit"
                user = f"AROAFAKE{account}:vpcaudit"
            result = f"<Arn>{arn}</Arn><UserId>{user}</UserId><Account>{account}</Account>"
        elif action == "AssumeRole":
            self.count(req, "sts", action, "query")
            role_arn = params.get("RoleArn", "")
            parts = role_arn.split(":")
            target = parts[4] if len(parts) >= 6 else ""
            if target not in self.estate.known:
                raise Answer(403, "AccessDenied",
                             f"User is not authorized to perform: sts:AssumeRole on {role_arn}")
            role_name = parts[5].rsplit("/", 1)[-1]
            session = params.get("RoleSessionName", "session")
            expires = (datetime.datetime.now(datetime.timezone.utc)
                       + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            result = (
                f"<Credentials><AccessKeyId>{ASSUMED_PREFIX}{target}</AccessKeyId>"
                f"<SecretAccessKey>fakesecret{target}</SecretAccessKey>"
                f"<SessionToken>faketoken{target}</SessionToken>"
                f"<Expiration>{expires}</Expiration></Credentials>"
                f"<AssumedRoleUser><AssumedRoleId>AROAFAKE{target}:{session}</AssumedRoleId>"
                f"<Arn>arn:aws:sts::{target}:assumed-role/{role_name}/{session}</Arn>"
                "</AssumedRoleUser>")
        else:
            return self.unknown(req, "sts", "query", action or f"{req.method} {req.path}")
        body = xml(
            f'<{action}Response xmlns="{STS_NS}"><{action}Result>{result}</{action}Result>'
            f"<ResponseMetadata><RequestId>{req.request_id}</RequestId></ResponseMetadata>"
            f"</{action}Response>")
        return 200, "text/xml", body.encode(), ()

    # ---- JSON 1.1: Organizations, ECS ------------------------------------------------------

    def json11(self, req):
        target = req.headers.get("x-amz-target", "")
        try:
            payload = json.loads(req.body or b"{}")
        except ValueError:
            payload = {}
        try:
            if req.service == "organizations" and target == ORGANIZATIONS_TARGET + "ListAccounts":
                self.count(req, "organizations", "ListAccounts", "json")
                return self.list_accounts(payload)
            if req.service == "ecs" and target.startswith(ECS_TARGET):
                operation = target[len(ECS_TARGET):]
                if operation in ECS_EMPTY:
                    self.count(req, "ecs", operation, "json")
                    return 200, "application/x-amz-json-1.1", json.dumps(
                        ECS_EMPTY[operation]).encode(), ()
        except Answer as error:
            return self.error(req, "json", error)
        return self.unknown(req, req.service, "json", target or f"{req.method} {req.path}")

    def list_accounts(self, payload):
        try:
            start = int(payload.get("NextToken") or 0)
        except ValueError:
            raise Answer(400, "InvalidInputException", "bad NextToken") from None
        size = min(int(payload.get("MaxResults") or ORGANIZATIONS_PAGE), ORGANIZATIONS_PAGE)
        page = self.estate.accounts[start:start + size]
        out = {"Accounts": [
            {
                "Id": account,
                "Arn": f"arn:aws:organizations::{MANAGEMENT}:account/o-fakeorg/{account}",
                "Email": f"aws+{account}@example.com",
                "Name": "management" if account == MANAGEMENT else f"member-{account}",
                "Status": "ACTIVE",
                "State": "ACTIVE",
                "JoinedMethod": "CREATED",
                "JoinedTimestamp": 1.7e9,
            }
            for account in page
        ]}
        if start + size < len(self.estate.accounts):
            out["NextToken"] = str(start + size)
        return 200, "application/x-amz-json-1.1", json.dumps(out).encode(), ()

    # ---- REST JSON: Lambda, API Gateway ----------------------------------------------------

    def rest(self, req):
        path = req.path.rstrip("/")
        get = req.method == "GET"
        try:
            if req.service == "lambda":
                if get and path == "/2015-03-31/functions":
                    self.count(req, "lambda", "ListFunctions", "rest")
                    return 200, "application/json", b'{"Functions":[]}', ()
                return self.unknown(req, "lambda", "rest", f"{req.method} {req.path}")
            if get and path == "/restapis":
                self.count(req, "apigateway", "GetRestApis", "rest")
                return 200, "application/json", b'{"item":[]}', ()
            if get and re.fullmatch(r"/restapis/[^/]+/stages", path):
                self.count(req, "apigateway", "GetStages", "rest")
                return 200, "application/json", b'{"item":[]}', ()
            if get and path == "/v2/apis":
                self.count(req, "apigatewayv2", "GetApis", "rest")
                return 200, "application/json", b'{"items":[]}', ()
            if get and re.fullmatch(r"/v2/apis/[^/]+/stages", path):
                self.count(req, "apigatewayv2", "GetStages", "rest")
                return 200, "application/json", b'{"items":[]}', ()
        except Answer as error:
            return self.error(req, "rest", error)
        return self.unknown(req, req.service, "rest", f"{req.method} {req.path}")


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; requests are answered one at a time, in order."""

    def __init__(self, fake):
        self.fake = fake
        self.loop = asyncio.get_running_loop()
        self.transport = None
        self.buffer = bytearray()
        self.busy = False
        self.continued = False
        self.closed = False

    def connection_made(self, transport):
        self.transport = transport
        stats = self.fake.stats
        stats.connections += 1
        stats.open_connections += 1
        stats.peak_connections = max(stats.peak_connections, stats.open_connections)

    def connection_lost(self, exc):
        self.closed = True
        self.fake.stats.open_connections -= 1

    def data_received(self, data):
        self.buffer += data
        if not self.busy:
            self.process()

    def process(self):
        while not self.busy and not self.closed:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self.transport.close()
                return
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            try:
                method, target, version = head[0].split(" ", 2)
            except ValueError:
                self.transport.close()
                return
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            start = end + 4
            if "chunked" in headers.get("transfer-encoding", "").lower():
                parsed = self.dechunk(start)
                if parsed is None:
                    self.expect_continue(headers)
                    return
                body, consumed = parsed
            else:
                length = int(headers.get("content-length") or 0)
                if len(self.buffer) < start + length:
                    self.expect_continue(headers)
                    return
                body, consumed = bytes(self.buffer[start:start + length]), start + length
            del self.buffer[:consumed]
            self.continued = False
            keep_alive = version.upper() == "HTTP/1.1" and (
                headers.get("connection", "").lower() != "close")
            self.handle(method, target, headers, body, keep_alive)

    def expect_continue(self, headers):
        if not self.continued and headers.get("expect", "").lower() == "100-continue":
            self.continued = True
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def dechunk(self, start):
        body = bytearray()
        pos = start
        while True:
            eol = self.buffer.find(b"\r\n", pos)
            if eol < 0:
                return None
            size = int(bytes(self.buffer[pos:eol]).split(b";")[0] or b"0", 16)
            pos = eol + 2
            if size == 0:
                # Trailers, if any, end with an empty line.
                end = self.buffer.find(b"\r\n", pos)
                while end >= 0 and end != pos:
                    pos = end + 2
                    end = self.buffer.find(b"\r\n", pos)
                if end < 0:
                    return None
                return bytes(body), end + 2
            if len(self.buffer) < pos + size + 2:
                return None
            body += self.buffer[pos:pos + size]
            pos += size + 2

    def handle(self, method, target, headers, body, keep_alive):
        fake = self.fake
        path, _, query = target.partition("?")
        if path == "/__stats":
            self.send(200, "application/json",
                      json.dumps(fake.stats.as_dict(), indent=1).encode(), (), keep_alive)
            return
        stats = fake.stats
        now = time.monotonic()
        if stats.first_request is None:
            stats.first_request = now
        stats.in_flight += 1
        stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
        req = Request()
        req.method, req.path, req.query, req.headers, req.body = (
            method, urllib.parse.unquote(path), query, headers, body)
        req.service = req.region = req.account = req.akid = req.request_id = None
        try:
            status, ctype, payload, extra = fake.answer(req)
        except Exception as error:  # a bug here must not hang the client
            print(f"fake_aws: internal error on {method} {target}: {error!r}", file=sys.stderr)
            status, ctype, payload, extra = 500, "application/json", b'{"message":"internal"}', ()
        extra = tuple(extra) + (("x-amzn-RequestId", req.request_id or "fake"),)
        self.busy = True
        self.loop.call_later(fake.delay(), self.reply, status, ctype, payload, extra, keep_alive)

    def reply(self, status, ctype, payload, extra, keep_alive):
        stats = self.fake.stats
        stats.in_flight -= 1
        stats.last_response = time.monotonic()
        self.busy = False
        self.send(status, ctype, payload, extra, keep_alive)
        if keep_alive and self.buffer and not self.closed:
            self.process()

    def send(self, status, ctype, payload, extra, keep_alive):
        if self.closed:
            return
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
                 f"Content-Type: {ctype}", f"Content-Length: {len(payload)}"]
        lines += [f"{k}: {v}" for k, v in extra]
        if not keep_alive:
            lines.append("Connection: close")
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        if not keep_alive:
            self.transport.close()


def report(fake, path):
    stats = fake.stats.as_dict()
    if path:
        tmp = f"{path}.tmp"
        with open(tmp, "w") as out:
            json.dump(stats, out, indent=1)
        os.replace(tmp, path)
    print(f"fake_aws: {stats['requests']} requests, {stats['connections_accepted']} connections, "
          f"peak {stats['peak_in_flight']} in flight, {stats['throttled']} throttled, "
          f"{stats['cpu_seconds']} s CPU", file=sys.stderr)
    if stats["unknown_calls"]:
        print("fake_aws: UNKNOWN calls (answered 400, not emulated):", file=sys.stderr)
        for call, count in stats["unknown_calls"].items():
            print(f"  {count:6d}  {call}", file=sys.stderr)


async def serve(args):
    fake = FakeAws(args)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(fake), "127.0.0.1", args.port,
                                      backlog=1024, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        with open(f"{args.port_file}.tmp", "w") as out:
            out.write(f"{port}\n")
        os.replace(f"{args.port_file}.tmp", args.port_file)
    print(f"fake_aws: listening on http://127.0.0.1:{port} ({len(fake.estate.accounts)} accounts "
          f"incl. management {MANAGEMENT}, {len(fake.estate.regions)} regions, "
          f"{args.latency_ms} ms + 0..{args.jitter_ms} ms)", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.lifetime)
    except asyncio.TimeoutError:
        print("fake_aws: --lifetime reached, stopping", file=sys.stderr)
    server.close()
    report(fake, args.stats)


def default_vpc(account, region):
    """One default VPC, as DescribeVpcs lists it (an <item> of vpcSet)."""
    vpc_id = f"vpc-{int(account) % 16 ** 12:012x}{zlib.crc32(region.encode()) % 16 ** 5:05x}"
    return (
        f"<item><vpcId>{vpc_id}</vpcId><ownerId>{account}</ownerId><state>available</state>"
        "<cidrBlock>172.31.0.0/16</cidrBlock><cidrBlockAssociationSet><item>"
        f"<associationId>{vpc_id}-cidr</associationId><cidrBlock>172.31.0.0/16</cidrBlock>"
        "<cidrBlockState><state>associated</state></cidrBlockState></item>"
        "</cidrBlockAssociationSet><dhcpOptionsId>dopt-0default</dhcpOptionsId>"
        "<instanceTenancy>default</instanceTenancy><isDefault>true</isDefault></item>")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--port-file", help="write the port here once listening")
    parser.add_argument("--accounts", type=int, default=10, help="member accounts")
    parser.add_argument("--regions", type=int, default=17, help="enabled regions per account")
    parser.add_argument("--vpc-regions", type=int, default=0,
                        help="in the first N regions, each account has one (default) VPC")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--throttle", help="RATE,BURST token bucket per account/region/operation")
    parser.add_argument("--stats", help="write the statistics here at exit (SIGTERM/SIGINT)")
    parser.add_argument("--lifetime", type=float, default=7200.0)
    args = parser.parse_args()
    if args.accounts < 0 or args.regions < 1 or args.vpc_regions < 0:
        parser.error("--accounts >= 0, --regions >= 1 and --vpc-regions >= 0")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
