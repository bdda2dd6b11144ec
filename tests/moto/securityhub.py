#!/usr/bin/env python3
"""Security Hub in a moto server, for the `--security-hub` tests (tests/security_hub.rs).

    python securityhub.py --endpoint URL --region R enable
        enable Security Hub in moto's account and the region; prints {}
    python securityhub.py --endpoint URL --region R findings
        every finding of the region (all pages of GetFindings); prints them as a list
    python securityhub.py --endpoint URL --region R revoke GROUP_ID PORT CIDR
        revoke the security group rule tcp/PORT from CIDR; prints {}
"""

import argparse
import json

import hermetic  # noqa: F401  (fake credentials, no profile, no proxy: before boto3)

import boto3  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("command", choices=["enable", "findings", "revoke"])
    parser.add_argument("args", nargs="*")
    args = parser.parse_args()

    def client(service):
        return boto3.client(service, endpoint_url=args.endpoint, region_name=args.region)

    if args.command == "enable":
        client("securityhub").enable_security_hub(EnableDefaultStandards=False)
        print(json.dumps({}))
    elif args.command == "findings":
        hub = client("securityhub")
        found, token = [], None
        while True:
            page = hub.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
            found.extend(page["Findings"])
            token = page.get("NextToken")
            if not token:
                break
        print(json.dumps(found))
    elif args.command == "revoke":
        group, port, cidr = args.args
        client("ec2").revoke_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": int(port),
                    "ToPort": int(port),
                    "IpRanges": [{"CidrIp": cidr}],
                }
            ],
        )
        print(json.dumps({}))


if __name__ == "__main__":
    main()
