#!/usr/bin/env python3
"""Build a small multi-account estate in a running moto server, for tests/estate.rs.

    python estate.py --endpoint http://127.0.0.1:PORT --role-name NAME --regions R1,R2

Creates an AWS Organization in moto's account (123456789012, the management account) with one
member account, then, in each account and region, one security group that admits SSH from the
internet (SG001), reaching the member account through sts:AssumeRole of NAME as vpcaudit will
(moto gives each account id its own backend and does not check the role exists).

Prints ONE JSON object on stdout:

    {"management": "123456789012", "member": "…",
     "open_ssh": {"ACCOUNT REGION": "sg-…", …},
     "enabled_regions": [...], "not_opted_in": [...]}

`enabled_regions`/`not_opted_in` are what DescribeRegions says in the management account.
Only the endpoint given on the command line is contacted.
"""

import argparse
import json

import hermetic  # noqa: F401  (fake credentials, no profile, no proxy: before boto3)

import boto3  # noqa: E402  (after the environment is made hermetic)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--role-name", required=True)
    parser.add_argument("--regions", required=True)
    args = parser.parse_args()
    regions = args.regions.split(",")

    def client(service, region, credentials=None):
        keys = {}
        if credentials:
            keys = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        return boto3.client(service, endpoint_url=args.endpoint, region_name=region, **keys)

    home = regions[0]
    management = client("sts", home).get_caller_identity()["Account"]
    org = client("organizations", home)
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="member@example.com", AccountName="member")[
        "CreateAccountStatus"
    ]["AccountId"]
    assumed = client("sts", home).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/{args.role_name}", RoleSessionName="estate-seed"
    )["Credentials"]

    open_ssh = {}
    for account, credentials in ((management, None), (member, assumed)):
        for region in regions:
            ec2 = client("ec2", region, credentials)
            group = ec2.create_security_group(
                GroupName=f"open-ssh-{account}-{region}", Description="SSH from anywhere"
            )["GroupId"]
            ec2.authorize_security_group_ingress(
                GroupId=group,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 22,
                        "ToPort": 22,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    }
                ],
            )
            open_ssh[f"{account} {region}"] = group

    listed = client("ec2", home).describe_regions(AllRegions=True)["Regions"]
    print(
        json.dumps(
            {
                "management": management,
                "member": member,
                "open_ssh": open_ssh,
                "enabled_regions": sorted(
                    r["RegionName"] for r in listed if r.get("OptInStatus") != "not-opted-in"
                ),
                "not_opted_in": sorted(
                    r["RegionName"] for r in listed if r.get("OptInStatus") == "not-opted-in"
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
