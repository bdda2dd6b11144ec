#!/usr/bin/env python3
"""IAM identities for the least-privilege test (tests/least_privilege.rs), in a moto server.

    python iam.py --endpoint URL enforce on|off
        turn moto's IAM enforcement on or off (POST /moto-api/reset-auth)
    python iam.py --endpoint URL user NAME POLICY.json
        an IAM user with POLICY as its only (inline) policy; prints {"key": ..., "secret": ...,
        "arn": ...}
    python iam.py --endpoint URL users SPEC.json
        one user per entry of SPEC ([{"name": ..., "policy": {...}}, ...]); prints a list of
        {"key": ..., "secret": ..., "arn": ...} in the same order
    python iam.py --endpoint URL role NAME POLICY.json TRUSTED_ARN
        a role with POLICY that TRUSTED_ARN may assume; prints {"arn": ...}
    python iam.py --endpoint URL organization
        an Organization whose management account is moto's account; prints {"id": ...}

With --enforced, enforcement is turned off while the identity is made and on again after
(one process instead of three: the least-privilege test makes thirty identities).
"""

import argparse
import json
import sys
import urllib.request

import hermetic  # noqa: F401  (fake credentials, no profile, no proxy: before boto3)

import boto3  # noqa: E402


def client(endpoint, service):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")


def enforce(endpoint, on):
    # moto counts requests before enforcing: 0 enforces from the next one on.
    count = b"0" if on else b"inf"
    request = urllib.request.Request(
        endpoint + "/moto-api/reset-auth", data=count, headers={"Content-Type": "text/plain"}
    )
    return urllib.request.urlopen(request).read().decode()


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--enforced", action="store_true", help="enforcement off while making, on after")
    sub = parser.add_subparsers(dest="command", required=True)
    toggle = sub.add_parser("enforce")
    toggle.add_argument("state", choices=["on", "off"])
    user = sub.add_parser("user")
    user.add_argument("name")
    user.add_argument("policy")
    users = sub.add_parser("users")
    users.add_argument("spec")
    role = sub.add_parser("role")
    role.add_argument("name")
    role.add_argument("policy")
    role.add_argument("trusted")
    sub.add_parser("organization")
    args = parser.parse_args(argv)

    if args.command == "enforce":
        print(enforce(args.endpoint, args.state == "on"))
        return 0
    if args.enforced:
        enforce(args.endpoint, False)
    if args.command == "user":
        iam = client(args.endpoint, "iam")
        arn = iam.create_user(UserName=args.name)["User"]["Arn"]
        with open(args.policy) as f:
            iam.put_user_policy(UserName=args.name, PolicyName="vpcaudit", PolicyDocument=f.read())
        key = iam.create_access_key(UserName=args.name)["AccessKey"]
        print(json.dumps({"key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "arn": arn}))
    elif args.command == "users":
        iam = client(args.endpoint, "iam")
        with open(args.spec) as f:
            spec = json.load(f)
        made = []
        for entry in spec:
            arn = iam.create_user(UserName=entry["name"])["User"]["Arn"]
            iam.put_user_policy(
                UserName=entry["name"], PolicyName="vpcaudit", PolicyDocument=json.dumps(entry["policy"])
            )
            key = iam.create_access_key(UserName=entry["name"])["AccessKey"]
            made.append({"key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "arn": arn})
        print(json.dumps(made))
    elif args.command == "role":
        iam = client(args.endpoint, "iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": args.trusted}, "Action": "sts:AssumeRole"}],
        }
        arn = iam.create_role(RoleName=args.name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        with open(args.policy) as f:
            iam.put_role_policy(RoleName=args.name, PolicyName="vpcaudit", PolicyDocument=f.read())
        print(json.dumps({"arn": arn}))
    else:
        org = client(args.endpoint, "organizations").create_organization(FeatureSet="ALL")
        print(json.dumps({"id": org["Organization"]["Id"]}))
    if args.enforced:
        enforce(args.endpoint, True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
