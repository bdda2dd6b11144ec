#!/usr/bin/env python3
"""Seed N three-tier environments into a running moto server, for scripts/bench-moto.sh.

    python scripts/bench_seed.py --endpoint http://127.0.0.1:PORT --region us-east-1 N [--threads 8]

Each environment is built through the AWS API (boto3), about 50 resources:
a VPC; 6 subnets (public, app, database; two zones); an internet gateway; 3 route tables
(public, and one per zone for the app tier through its NAT gateway) besides the main one;
2 NAT gateways (with their elastic IPs and interfaces); 4 app instances (and their
interfaces); a DB subnet group and a PostgreSQL instance; 2 Lambda functions (one in the app
subnets); a VPC flow log; the default network ACL and security group; and 19 security groups:
load balancer, app and database tiers plus 16 more, 5 ingress rules each (plus each group's
default egress rule). At N = 100: about 5,000 resources, 2,000 security groups and 10,000
security group rules. A few environments carry problems (SSH open to the world, a public
database) so the scan has findings to report.

Environments are built by --threads workers in parallel (each with its own boto3 session);
moto's server is the bottleneck. Prints one JSON line with the counts and the seconds taken.
Only the endpoint given is contacted; the machine's AWS configuration is ignored.
"""

import argparse
import concurrent.futures
import io
import json
import os
import sys
import threading
import time
import zipfile

for _key in [k for k in os.environ if k.startswith("AWS_")]:
    del os.environ[_key]
for _key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_key, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }
)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

AMI = "ami-12c6146b"  # one of moto's built-in AMIs
EXTRA_GROUPS = 16
RULES_PER_EXTRA_GROUP = 5
LOG_GROUP = "bench-flow-logs"


def code_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("index.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


class Clients(threading.local):
    """One boto3 session and its clients per worker thread (sessions are not thread-safe)."""

    def setup(self, endpoint, region):
        if getattr(self, "ec2", None) is None:
            session = boto3.session.Session(region_name=region)
            config = Config(retries={"max_attempts": 10, "mode": "standard"})
            make = lambda s: session.client(s, endpoint_url=endpoint, config=config)  # noqa: E731
            self.ec2 = make("ec2")
            self.rds = make("rds")
            self.lam = make("lambda")
        return self


def tag(kind, name, env):
    return [
        {
            "ResourceType": kind,
            "Tags": [{"Key": "Name", "Value": name}, {"Key": "Environment", "Value": env}],
        }
    ]


def build(clients, region, i, shared):
    ec2, rds, lam = clients.ec2, clients.rds, clients.lam
    env = ("prod", "staging", "dev")[i % 3]
    name = f"{env}-{i}"
    second = i % 250
    az = (region + "a", region + "b")
    vpc = ec2.create_vpc(
        CidrBlock=f"10.{second}.0.0/16", TagSpecifications=tag("vpc", name, env)
    )["Vpc"]["VpcId"]
    subnets = {}
    for t, tier in enumerate(("public", "app", "db")):
        for z in range(2):
            subnets[(tier, z)] = ec2.create_subnet(
                VpcId=vpc,
                CidrBlock=f"10.{second}.{t * 2 + z}.0/24",
                AvailabilityZone=az[z],
                TagSpecifications=tag("subnet", f"{name}-{tier}-{z}", env),
            )["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for z in range(2):
        ec2.associate_route_table(RouteTableId=public, SubnetId=subnets[("public", z)])
    for z in range(2):
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnets[("public", z)], AllocationId=eip)[
            "NatGateway"
        ]["NatGatewayId"]
        private = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=private, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        ec2.associate_route_table(RouteTableId=private, SubnetId=subnets[("app", z)])

    def group(label, permissions):
        sg = ec2.create_security_group(
            GroupName=f"{name}-{label}", Description=f"{name} {label}", VpcId=vpc
        )["GroupId"]
        if permissions:
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=permissions)
        return sg

    def tcp(port, cidr=None, sg=None):
        p = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
        if cidr:
            p["IpRanges"] = [{"CidrIp": cidr}]
        if sg:
            p["UserIdGroupPairs"] = [{"GroupId": sg}]
        return p

    alb = group("alb", [tcp(443, cidr="0.0.0.0/0"), tcp(80, cidr="0.0.0.0/0")])
    app = group("app", [tcp(8080, sg=alb)])
    db = group("db", [tcp(5432, sg=app)])
    for x in range(EXTRA_GROUPS):
        rules = [tcp(9000 + r, cidr=f"10.{second}.{x}.0/24") for r in range(RULES_PER_EXTRA_GROUP - 1)]
        # Every tenth environment left SSH open to the world on one group (SG001).
        rules.append(tcp(22, cidr="0.0.0.0/0") if i % 10 == 0 and x == 0 else tcp(8443, sg=app))
        group(f"extra-{x}", rules)

    for z in range(2):
        ec2.run_instances(
            ImageId=AMI,
            InstanceType="t3.micro",
            MinCount=2,
            MaxCount=2,
            SubnetId=subnets[("app", z)],
            SecurityGroupIds=[app],
            TagSpecifications=tag("instance", f"{name}-app-{z}", env),
        )
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=LOG_GROUP,
        DeliverLogsPermissionArn=shared["flow_log_role"],
    )
    rds.create_db_subnet_group(
        DBSubnetGroupName=f"{name}-db",
        DBSubnetGroupDescription=name,
        SubnetIds=[subnets[("db", 0)], subnets[("db", 1)]],
    )
    endpoint = rds.create_db_instance(
        DBInstanceIdentifier=f"{name}-orders",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="bench-password-1",
        DBSubnetGroupName=f"{name}-db",
        VpcSecurityGroupIds=[db],
        MultiAZ=env == "prod",
        # Every eleventh environment's database is public (DB001).
        PubliclyAccessible=i % 11 == 0,
        Tags=[{"Key": "Environment", "Value": env}],
    )["DBInstance"]["Endpoint"]["Address"]
    for fn, vpc_config in (
        ("worker", {"SubnetIds": [subnets[("app", 0)], subnets[("app", 1)]], "SecurityGroupIds": [app]}),
        ("notifier", None),
    ):
        kwargs = {"VpcConfig": vpc_config} if vpc_config else {}
        lam.create_function(
            FunctionName=f"{name}-{fn}",
            Runtime="python3.12",
            Role=shared["lambda_role"],
            Handler="index.handler",
            Code={"ZipFile": shared["zip"]},
            Environment={"Variables": {"DB_HOST": endpoint, "LOG_LEVEL": "info"}},
            **kwargs,
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("environments", type=int)
    args = parser.parse_args()

    started = time.monotonic()
    session = boto3.session.Session(region_name=args.region)
    iam = session.client("iam", endpoint_url=args.endpoint)
    logs = session.client("logs", endpoint_url=args.endpoint)
    trust = lambda service: json.dumps(  # noqa: E731
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    logs.create_log_group(logGroupName=LOG_GROUP)
    shared = {
        "flow_log_role": iam.create_role(
            RoleName="bench-flow-logs", AssumeRolePolicyDocument=trust("vpc-flow-logs.amazonaws.com")
        )["Role"]["Arn"],
        "lambda_role": iam.create_role(
            RoleName="bench-lambda", AssumeRolePolicyDocument=trust("lambda.amazonaws.com")
        )["Role"]["Arn"],
        "zip": code_zip(),
    }
    clients = Clients()

    def work(i):
        build(clients.setup(args.endpoint, args.region), args.region, i, shared)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.threads)) as pool:
        for done, future in enumerate(
            concurrent.futures.as_completed([pool.submit(work, i) for i in range(args.environments)]), 1
        ):
            future.result()
            if done % 10 == 0 or done == args.environments:
                print(f"bench_seed: {done}/{args.environments} environments", file=sys.stderr)

    ec2 = session.client("ec2", endpoint_url=args.endpoint)
    groups = ec2.describe_security_groups()["SecurityGroups"]
    rules = sum(
        len(p.get("IpRanges", [])) + len(p.get("UserIdGroupPairs", [])) + len(p.get("Ipv6Ranges", []))
        for g in groups
        for p in g.get("IpPermissions", []) + g.get("IpPermissionsEgress", [])
    )
    print(
        json.dumps(
            {
                "environments": args.environments,
                "security_groups": len(groups),
                "security_group_rules": rules,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
