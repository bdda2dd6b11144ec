#!/usr/bin/env python3
"""The emulator's own time to answer the minimal list calls of one region, all at once.

    python scripts/bench_floor.py --endpoint http://127.0.0.1:PORT [--region us-east-1]

Sends the requests a one-region scan needs (sts:GetCallerIdentity, one call per EC2, RDS,
Lambda and load balancer dataset with the largest page size, the ECS cluster list and the two
API Gateway API lists) concurrently, as
raw HTTP: nothing is parsed on this side, so the
time measured is moto's (plus the loopback), the floor no client can go below. Prints one JSON
line: {"seconds": S, "bytes": B}.
"""

import argparse
import concurrent.futures
import http.client
import json
import time
import urllib.parse

EC2 = "2016-11-15"
RDS = "2014-10-31"
CALLS = [
    ("sts", "POST", "/", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}),
    *[
        ("ec2", "POST", "/", {"Action": action, "Version": EC2, "MaxResults": str(page)})
        for action, page in [
            ("DescribeVpcs", 1000),
            ("DescribeSubnets", 1000),
            ("DescribeRouteTables", 100),
            ("DescribeInternetGateways", 1000),
            ("DescribeNatGateways", 1000),
            ("DescribeNetworkAcls", 1000),
            ("DescribeSecurityGroups", 1000),
            ("DescribeNetworkInterfaces", 1000),
            ("DescribeInstances", 1000),
            ("DescribeFlowLogs", 1000),
            ("DescribeVpcEndpoints", 1000),
            ("DescribeEgressOnlyInternetGateways", 255),
        ]
    ],
    # DescribeAddresses takes no page size: one call returns every address.
    ("ec2", "POST", "/", {"Action": "DescribeAddresses", "Version": EC2}),
    *[
        ("elasticloadbalancing", "POST", "/", {"Action": action, "Version": version, "PageSize": "400"})
        for action, version in [
            ("DescribeLoadBalancers", "2015-12-01"),
            ("DescribeTargetGroups", "2015-12-01"),
            ("DescribeLoadBalancers", "2012-06-01"),
        ]
    ],
    *[
        ("rds", "POST", "/", {"Action": action, "Version": RDS, "MaxRecords": "100"})
        for action in ("DescribeDBInstances", "DescribeDBClusters", "DescribeDBSubnetGroups")
    ],
    ("lambda", "GET", "/2015-03-31/functions/?MaxItems=50", None),
    # ECS: the cluster list (services are then read per cluster; the benchmark seeds none).
    ("ecs", "POST", "/", {"__json__": {"maxResults": 100}, "__target__": "AmazonEC2ContainerServiceV20141113.ListClusters"}),
    # API Gateway: the API lists (stages are then read per API; the benchmark seeds no API).
    ("apigateway", "GET", "/restapis?limit=500", None),
    ("apigateway", "GET", "/v2/apis?maxResults=500", None),
]


def call(host, port, region, service, method, path, params):
    # moto does not check signatures; the credential scope tells it the region and service.
    headers = {
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=0"
        ),
        "X-Amz-Date": "20260101T000000Z",
    }
    body = None
    if params is not None and "__json__" in params:
        body = json.dumps(params["__json__"])
        headers["Content-Type"] = "application/x-amz-json-1.1"
        headers["X-Amz-Target"] = params["__target__"]
    elif params is not None:
        body = urllib.parse.urlencode(params)
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    conn = http.client.HTTPConnection(host, port, timeout=600)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{service} {path} {params}: HTTP {response.status}: {data[:300]!r}")
    return len(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()
    url = urllib.parse.urlparse(args.endpoint)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(CALLS)) as pool:
        sizes = list(
            pool.map(
                lambda c: call(url.hostname, url.port, args.region, *c),
                CALLS,
            )
        )
    print(json.dumps({"seconds": round(time.monotonic() - started, 2), "bytes": sum(sizes)}))


if __name__ == "__main__":
    main()
