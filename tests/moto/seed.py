#!/usr/bin/env python3
"""Build vpcaudit test topologies in a running moto server, through the AWS API (boto3).

    python seed.py --endpoint http://127.0.0.1:PORT --region us-east-1 SCENARIO [SCENARIO...]

Prints ONE JSON object on stdout:

    {"ids":      {logical_name: aws_id, ...},
     "expected": [[rule_id, resource_id], ...],
     "severity": {"RULE_ID resource_id": severity, ...},
     "never_printed": [literal, ...]}

`expected` is the exact multiset of findings vpcaudit must report for the whole region after
this run (with no vpcaudit.toml), provided the moto server was empty before it: the findings of
every scenario built, plus those of the region's default VPC that moto creates on first access
(its default security group has an egress rule: SG003). resource_id is the id vpcaudit puts in
`resource.id`: subnet-, sg-, rtb-, nat-, acl-, vpc-, i- ids, a DB instance identifier, a DB
subnet group name, a Lambda function name. `severity` lists the findings whose severity the
rule's spec sets apart from the rule's default (front matter of rules/<ID>.md); every other
finding has the default. `never_printed` lists literal secret values stored in Lambda
environments: a report or snapshot must never contain them (LAM003). Every pair in `expected`
was checked against the rule's spec (front matter and "What it does" of rules/<ID>.md); the
comment next to each `expect` says why.

Scenarios: `good` (a textbook three-tier production VPC: no finding at all), one scenario per
rule that moto can represent (named after the rule id, lower case), and `all` (everything).
Every scenario VPC is kept free of side findings unless the comment says otherwise: each tier it
has spans two AZs (AZ001), its default security group is stripped of its rules (SG003), it has
an active VPC-level flow log (OBS001), and a private subnet that hosts a workload has a way out
(NAT004): central egress, its main table routing 0.0.0.0/0 to a transit gateway (one hub for
the region, `hub.tgw`), the way estates with a network hub have it.

NAT002 (blackhole route) has no scenario: moto 5.2.5 reports every route as "active"
(moto/ec2/models/route_tables.py, Route.state is hard-coded), even when its NAT gateway,
instance or interface has been deleted, so moto cannot produce a blackhole route. The snapshot
unit tests cover NAT002.

Only the endpoint given on the command line is contacted; the machine's AWS configuration and
credentials are ignored.
"""

import argparse
import io
import ipaddress
import json
import sys
import zipfile

import hermetic  # noqa: F401  (fake credentials, no profile, no proxy: before boto3)

import boto3  # noqa: E402  (after the environment is made hermetic)
from botocore.config import Config  # noqa: E402

AMI = "ami-12c6146b"  # one of moto's built-in AMIs
ACCOUNT = "123456789012"  # moto's default account
LAMBDA_ROLE = "vpcaudit-test-lambda"
# A literal secret in a Lambda environment (LAM003): must never appear in a report or snapshot.
LITERAL_DB_PASSWORD = "Tr0ub4dor-and-3-literal-secret"
LITERAL_URL_PASSWORD = "c0rrect-h0rse-in-a-url"


class World:
    """Clients for one moto endpoint plus the bookkeeping of what was built."""

    def __init__(self, endpoint, region):
        self.region = region
        self.az_a = region + "a"
        self.az_b = region + "b"
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=region,
        )
        config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=60)

        def client(service):
            return session.client(service, endpoint_url=endpoint, config=config)

        self.ec2 = client("ec2")
        self.rds = client("rds")
        self.lam = client("lambda")
        self.iam = client("iam")
        self.logs = client("logs")
        self.apigw = client("apigateway")
        self.apigwv2 = client("apigatewayv2")
        self.elbv2 = client("elbv2")
        self.elb = client("elb")
        self.ecs = client("ecs")
        self.ids = {}
        self.expected = []
        self.severity = {}
        self.never_printed = []
        self._role_arn = None
        self._flow_log_role_arn = None
        self._zip = None
        self._tgw = None

    # ---- bookkeeping -------------------------------------------------------------------
    def record(self, logical, aws_id):
        if logical in self.ids:
            raise SystemExit(f"seed.py: logical name {logical!r} used twice")
        self.ids[logical] = aws_id
        return aws_id

    def expect(self, rule_id, resource_id, severity=None):
        """A finding vpcaudit must report. `severity`: only when the rule's spec gives this case
        another severity than the rule's default (front matter of rules/<ID>.md)."""
        self.expected.append([rule_id, resource_id])
        if severity:
            self.severity[f"{rule_id} {resource_id}"] = severity

    # ---- EC2 helpers -------------------------------------------------------------------
    @staticmethod
    def tag_spec(resource_type, name=None, **tags):
        pairs = [{"Key": k, "Value": v} for k, v in tags.items()]
        if name:
            pairs.insert(0, {"Key": "Name", "Value": name})
        return [{"ResourceType": resource_type, "Tags": pairs}] if pairs else []

    def tag(self, resource_id, name=None, **tags):
        pairs = [{"Key": k, "Value": v} for k, v in tags.items()]
        if name:
            pairs.insert(0, {"Key": "Name", "Value": name})
        if pairs:
            self.ec2.create_tags(Resources=[resource_id], Tags=pairs)

    def vpc(self, scn, cidr, strip_default_sg=True, flow_log=True, **tags):
        """A VPC whose default SG is stripped of its rules (SG003) and that has an active
        VPC-level flow log (OBS001), unless told otherwise."""
        vpc_id = self.ec2.create_vpc(
            CidrBlock=cidr, TagSpecifications=self.tag_spec("vpc", scn, **tags)
        )["Vpc"]["VpcId"]
        self.record(f"{scn}.vpc", vpc_id)
        sg_id = self.default_sg(vpc_id)
        self.record(f"{scn}.default-sg", sg_id)
        if strip_default_sg:
            self.strip_sg(sg_id)
        if flow_log:
            self.flow_log(scn, "flow-log", vpc_id, "VPC")
        return vpc_id

    def flow_log(self, scn, key, resource_id, resource_type):
        """An ACTIVE flow log (all traffic, to CloudWatch Logs) on a VPC, subnet or ENI."""
        if self._flow_log_role_arn is None:
            self.logs.create_log_group(logGroupName="vpcaudit-test-flow-logs")
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
            self._flow_log_role_arn = self.global_role("vpcaudit-test-flow-logs", trust)
        out = self.ec2.create_flow_logs(
            ResourceIds=[resource_id],
            ResourceType=resource_type,
            TrafficType="ALL",
            LogDestinationType="cloud-watch-logs",
            LogGroupName="vpcaudit-test-flow-logs",
            DeliverLogsPermissionArn=self._flow_log_role_arn,
        )
        assert not out.get("Unsuccessful") and len(out["FlowLogIds"]) == 1, out
        return self.record(f"{scn}.{key}", out["FlowLogIds"][0])

    def default_sg(self, vpc_id):
        groups = self.ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"]
        assert len(groups) == 1, f"{vpc_id} has {len(groups)} default security groups"
        return groups[0]["GroupId"]

    @staticmethod
    def _clean(permissions):
        # Send back what describe returned, minus the empty lists and read-only fields.
        cleaned = []
        for perm in permissions:
            p = {k: v for k, v in perm.items() if v not in ([], None)}
            if "UserIdGroupPairs" in p:
                p["UserIdGroupPairs"] = [{"GroupId": g["GroupId"]} for g in p["UserIdGroupPairs"]]
            cleaned.append(p)
        return cleaned

    def strip_sg(self, sg_id):
        group = self.ec2.describe_security_groups(GroupIds=[sg_id])["SecurityGroups"][0]
        if group["IpPermissions"]:
            self.ec2.revoke_security_group_ingress(
                GroupId=sg_id, IpPermissions=self._clean(group["IpPermissions"])
            )
        if group["IpPermissionsEgress"]:
            self.ec2.revoke_security_group_egress(
                GroupId=sg_id, IpPermissions=self._clean(group["IpPermissionsEgress"])
            )
        group = self.ec2.describe_security_groups(GroupIds=[sg_id])["SecurityGroups"][0]
        assert not group["IpPermissions"] and not group["IpPermissionsEgress"], (
            f"could not strip {sg_id}: {group}"
        )

    def subnet(self, scn, key, vpc_id, cidr, az, name=None, **tags):
        subnet_id = self.ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=cidr,
            AvailabilityZone=az,
            TagSpecifications=self.tag_spec("subnet", name or f"{scn}-{key}", **tags),
        )["Subnet"]["SubnetId"]
        return self.record(f"{scn}.{key}", subnet_id)

    def igw(self, scn, vpc_id):
        igw_id = self.ec2.create_internet_gateway(
            TagSpecifications=self.tag_spec("internet-gateway", f"{scn}-igw")
        )["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
        return self.record(f"{scn}.igw", igw_id)

    def route_table(self, scn, key, vpc_id, subnets=(), default_route=None):
        """A custom route table, explicitly associated with `subnets`. `default_route` is the
        target of 0.0.0.0/0, e.g. {"GatewayId": igw} or {"NatGatewayId": nat}."""
        rtb_id = self.ec2.create_route_table(
            VpcId=vpc_id, TagSpecifications=self.tag_spec("route-table", f"{scn}-{key}")
        )["RouteTable"]["RouteTableId"]
        if default_route:
            self.ec2.create_route(RouteTableId=rtb_id, DestinationCidrBlock="0.0.0.0/0", **default_route)
        for subnet_id in subnets:
            self.ec2.associate_route_table(RouteTableId=rtb_id, SubnetId=subnet_id)
        return self.record(f"{scn}.{key}", rtb_id)

    def main_route_table(self, scn, vpc_id):
        tables = self.ec2.describe_route_tables(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "association.main", "Values": ["true"]},
            ]
        )["RouteTables"]
        assert len(tables) == 1, f"{vpc_id} has {len(tables)} main route tables"
        return self.record(f"{scn}.main-rtb", tables[0]["RouteTableId"])

    def central_egress(self, scn, vpc_id, subnet_id):
        """Central egress: the VPC attached (through `subnet_id`) to the region's transit
        gateway hub, its main table routing 0.0.0.0/0 there. A private subnet on the main table
        then has a way out (NAT004) without a public tier, NAT gateway or endpoint."""
        if self._tgw is None:
            tgw = self.ec2.create_transit_gateway(
                Description="egress hub",
                TagSpecifications=self.tag_spec("transit-gateway", "egress-hub"),
            )["TransitGateway"]["TransitGatewayId"]
            self._tgw = self.record("hub.tgw", tgw)
        attachment = self.ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=self._tgw, VpcId=vpc_id, SubnetIds=[subnet_id]
        )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        self.record(f"{scn}.tgw-attachment", attachment)
        main = self.main_route_table(scn, vpc_id)
        self.ec2.create_route(
            RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", TransitGatewayId=self._tgw
        )
        return main

    def sg(self, scn, key, vpc_id, ingress=(), **tags):
        """A security group with moto's default egress (all to 0.0.0.0/0) and `ingress`
        (IpPermissions)."""
        sg_id = self.ec2.create_security_group(
            GroupName=f"{scn}-{key}",
            Description=f"{scn} {key}",
            VpcId=vpc_id,
            TagSpecifications=self.tag_spec("security-group", f"{scn}-{key}", **tags),
        )["GroupId"]
        if ingress:
            self.ec2.authorize_security_group_ingress(GroupId=sg_id, IpPermissions=list(ingress))
        return self.record(f"{scn}.{key}", sg_id)

    def instance(self, scn, key, subnet_id, sg_ids, **tags):
        """A running instance. It gets a public IP exactly when its subnet maps one on launch
        (custom subnets: no, unless modified; moto's default subnets: yes)."""
        instance = self.ec2.run_instances(
            ImageId=AMI,
            InstanceType="t3.micro",
            MinCount=1,
            MaxCount=1,
            SubnetId=subnet_id,
            SecurityGroupIds=list(sg_ids),
            TagSpecifications=self.tag_spec("instance", f"{scn}-{key}", **tags),
        )["Instances"][0]
        for eni in instance.get("NetworkInterfaces", []):
            self.record(f"{scn}.{key}.eni{eni['Attachment']['DeviceIndex'] or ''}", eni["NetworkInterfaceId"])
        return self.record(f"{scn}.{key}", instance["InstanceId"])

    def eip(self):
        return self.ec2.allocate_address(Domain="vpc")["AllocationId"]

    def nat(self, scn, key, subnet_id):
        nat = self.ec2.create_nat_gateway(
            SubnetId=subnet_id,
            AllocationId=self.eip(),
            ConnectivityType="public",
            TagSpecifications=self.tag_spec("natgateway", f"{scn}-{key}"),
        )["NatGateway"]
        for i, address in enumerate(nat.get("NatGatewayAddresses", [])):
            if address.get("NetworkInterfaceId"):
                self.record(f"{scn}.{key}.eni{i or ''}", address["NetworkInterfaceId"])
        return self.record(f"{scn}.{key}", nat["NatGatewayId"])

    def load_balancer_eni(self, scn, key, subnet_id, sg_ids, **tags):
        """What an internet-facing ALB leaves in a subnet: an interface described "ELB app/..."
        with a public address (moto's elbv2 creates no interfaces)."""
        eni_id = self.ec2.create_network_interface(
            SubnetId=subnet_id,
            Groups=list(sg_ids),
            Description=f"ELB app/{scn}-web/50dc6c495c0c9188",
        )["NetworkInterface"]["NetworkInterfaceId"]
        self.tag(eni_id, **tags)
        self.ec2.associate_address(AllocationId=self.eip(), NetworkInterfaceId=eni_id)
        return self.record(f"{scn}.{key}", eni_id)

    # ---- RDS / Lambda helpers ------------------------------------------------------------
    def db_subnet_group(self, scn, name, subnet_ids):
        self.rds.create_db_subnet_group(
            DBSubnetGroupName=name,
            DBSubnetGroupDescription=f"{scn} {name}",
            SubnetIds=list(subnet_ids),
        )
        return self.record(f"{scn}.{name}", name)

    def database(self, scn, ident, subnet_group, sg_ids, multi_az, public, **tags):
        """A PostgreSQL instance; returns its endpoint address."""
        db = self.rds.create_db_instance(
            DBInstanceIdentifier=ident,
            Engine="postgres",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="app",
            MasterUserPassword="never-read-back-1",
            DBSubnetGroupName=subnet_group,
            VpcSecurityGroupIds=list(sg_ids),
            MultiAZ=multi_az,
            PubliclyAccessible=public,
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )["DBInstance"]
        self.record(f"{scn}.{ident}", ident)
        return db["Endpoint"]["Address"]

    def role_arn(self):
        if self._role_arn is None:
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
            self._role_arn = self.global_role(LAMBDA_ROLE, trust)
        return self._role_arn

    def global_role(self, name, trust):
        """IAM is global: a second region's seeding finds the role the first one made."""
        try:
            return self.iam.get_role(RoleName=name)["Role"]["Arn"]
        except self.iam.exceptions.NoSuchEntityException:
            return self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]

    def code_zip(self):
        if self._zip is None:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("index.py", "def handler(event, context):\n    return {'ok': True}\n")
            self._zip = buf.getvalue()
        return self._zip

    def function(self, scn, name, subnet_ids=None, sg_ids=None, env=None):
        kwargs = {}
        if subnet_ids is not None:
            kwargs["VpcConfig"] = {"SubnetIds": list(subnet_ids), "SecurityGroupIds": list(sg_ids or [])}
        if env:
            kwargs["Environment"] = {"Variables": dict(env)}
        self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self.role_arn(),
            Handler="index.handler",
            Code={"ZipFile": self.code_zip()},
            **kwargs,
        )
        return self.record(f"{scn}.{name}", name)

    # ---- composite building blocks --------------------------------------------------------
    def private_pair(self, scn, vpc_id, prefix, key="private", **tags):
        """Two subnets, AZ a and b, on the VPC's main table (local route only): private."""
        a = self.subnet(scn, f"{key}-a", vpc_id, f"{prefix}.10.0/24", self.az_a, **tags)
        b = self.subnet(scn, f"{key}-b", vpc_id, f"{prefix}.11.0/24", self.az_b, **tags)
        return a, b

    def public_pair(self, scn, vpc_id, prefix, igw_id):
        """Two subnets, AZ a and b, explicitly associated with a table routing 0.0.0.0/0 to
        the IGW: public. Named "public-1a"/"public-1b": a Name with the scenario in it could
        contain a word TIER001 reads as private ("db002-public-a" contains "db")."""
        a = self.subnet(scn, "public-a", vpc_id, f"{prefix}.0.0/24", self.az_a, name="public-1a")
        b = self.subnet(scn, "public-b", vpc_id, f"{prefix}.1.0/24", self.az_b, name="public-1b")
        self.route_table(scn, "public-rtb", vpc_id, [a, b], {"GatewayId": igw_id})
        return a, b

    def db_pair_group(self, scn, vpc_id, prefix):
        """Two isolated subnets (AZ a and b, main table) in a DB subnet group."""
        a = self.subnet(scn, "db-a", vpc_id, f"{prefix}.20.0/24", self.az_a)
        b = self.subnet(scn, "db-b", vpc_id, f"{prefix}.21.0/24", self.az_b)
        return self.db_subnet_group(scn, f"{scn}-db-subnets", [a, b])


def tcp(port, cidr=None, cidr6=None, from_sg=None, to_port=None):
    perm = {"IpProtocol": "tcp", "FromPort": port, "ToPort": to_port or port}
    if cidr:
        perm["IpRanges"] = [{"CidrIp": cidr}]
    if cidr6:
        perm["Ipv6Ranges"] = [{"CidrIpv6": cidr6}]
    if from_sg:
        perm["UserIdGroupPairs"] = [{"GroupId": from_sg}]
    return perm


# ---- the region's default VPC ------------------------------------------------------------
def baseline(w):
    """moto creates a default VPC (172.31.0.0/16, one subnet per AZ, no IGW) whose default
    security group has one egress rule (all traffic to 0.0.0.0/0)."""
    vpcs = w.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1, f"expected one default VPC, got {vpcs}"
    vpc_id = w.record("default.vpc", vpcs[0]["VpcId"])
    sg_id = w.record("default.default-sg", w.default_sg(vpc_id))
    group = w.ec2.describe_security_groups(GroupIds=[sg_id])["SecurityGroups"][0]
    if group["IpPermissions"] or group["IpPermissionsEgress"]:
        w.expect("SG003", sg_id)  # SG003: a default SG with any ingress or egress rule
    # NAT003 excludes default VPCs; nothing else lives there unless a scenario puts it there.
    subnets = w.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    for s in sorted(subnets, key=lambda s: s["AvailabilityZone"]):
        w.record(f"default.subnet-{s['AvailabilityZone'][-1]}", s["SubnetId"])


def no_vpc(w):
    """Not a rule scenario, built only when named and instead of the baseline: deletes the
    region's default VPC (its subnets first; moto gives it no internet gateway), leaving a
    region with no VPC at all, as AWS Control Tower leaves the accounts it creates."""
    vpcs = w.ec2.describe_vpcs()["Vpcs"]
    for vpc in vpcs:
        vpc_id = vpc["VpcId"]
        subnets = w.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
        for subnet in subnets:
            w.ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        gateways = w.ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        )["InternetGateways"]
        for gateway in gateways:
            w.ec2.detach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id)
            w.ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
        w.ec2.delete_vpc(VpcId=vpc_id)
    left = w.ec2.describe_vpcs()["Vpcs"]
    assert not left, f"VPCs left: {left}"


# ---- the reference architecture --------------------------------------------------------
def good(w):
    """Three tiers over two AZs, production, no finding at all."""
    scn = "good"
    p = "10.0"
    vpc = w.vpc(scn, f"{p}.0.0/16", Environment="prod")
    igw = w.igw(scn, vpc)
    # Environment spellings that all fold to prod (ENV001 must not fire): prod, production,
    # live, prd, Prod under the keys Environment, Stage, env.
    sub_tags = {"Environment": "production"}
    pub_a = w.subnet(scn, "public-a", vpc, f"{p}.0.0/24", w.az_a, name="public-1a", **sub_tags)
    pub_b = w.subnet(scn, "public-b", vpc, f"{p}.1.0/24", w.az_b, name="public-1b", **sub_tags)
    app_a = w.subnet(scn, "app-a", vpc, f"{p}.10.0/24", w.az_a, name="app-private-1a", **sub_tags)
    app_b = w.subnet(scn, "app-b", vpc, f"{p}.11.0/24", w.az_b, name="app-private-1b", **sub_tags)
    db_a = w.subnet(scn, "db-a", vpc, f"{p}.20.0/24", w.az_a, name="db-isolated-1a", **sub_tags)
    db_b = w.subnet(scn, "db-b", vpc, f"{p}.21.0/24", w.az_b, name="db-isolated-1b", **sub_tags)

    w.route_table(scn, "public-rtb", vpc, [pub_a, pub_b], {"GatewayId": igw})
    nat_a = w.nat(scn, "nat-a", pub_a)
    nat_b = w.nat(scn, "nat-b", pub_b)
    w.route_table(scn, "app-rtb-a", vpc, [app_a], {"NatGatewayId": nat_a})
    w.route_table(scn, "app-rtb-b", vpc, [app_b], {"NatGatewayId": nat_b})
    w.route_table(scn, "db-rtb", vpc, [db_a, db_b])  # local route only
    group = w.db_subnet_group(scn, "good-db-subnets", [db_a, db_b])

    sg_tags = {"Stage": "live"}
    alb_sg = w.sg(scn, "alb-sg", vpc, [tcp(443, cidr="0.0.0.0/0")], **sg_tags)
    app_sg = w.sg(scn, "app-sg", vpc, [tcp(8080, from_sg=alb_sg)], **sg_tags)
    db_sg = w.sg(scn, "db-sg", vpc, [tcp(5432, from_sg=app_sg)], **sg_tags)
    # An internet-facing ALB in both public subnets: an entry point, expected there.
    w.load_balancer_eni(scn, "alb-eni-a", pub_a, [alb_sg], Environment="prod")
    w.load_balancer_eni(scn, "alb-eni-b", pub_b, [alb_sg], Environment="prod")

    w.instance(scn, "app-instance", app_a, [app_sg], env="prd")
    endpoint = w.database(
        scn, "good-db", group, [db_sg], multi_az=True, public=False, Environment="Prod"
    )
    w.function(
        scn,
        "good-api",
        subnet_ids=[app_a, app_b],
        sg_ids=[app_sg],
        env={
            "LOG_LEVEL": "info",
            "DB_HOST": endpoint,  # fine: the function is in the VPC (LAM002 does not apply)
            "DB_PASSWORD_SECRET_ARN": f"arn:aws:secretsmanager:{w.region}:{ACCOUNT}:secret:good-db-AbCdEf",
        },
    )


# ---- one scenario per violation ------------------------------------------------------------
def env001(w):
    scn = "env001"
    vpc = w.vpc(scn, "10.1.0.0/16", Environment="prod")
    a, _ = w.private_pair(scn, vpc, "10.1")
    w.central_egress(scn, vpc, a)  # a way out for the instance (else NAT004)
    sg = w.sg(scn, "app-sg", vpc)
    w.instance(scn, "dev-instance", a, [sg], Environment="development")
    w.expect("ENV001", vpc)  # ENV001: prod (the VPC) and dev (the instance) in one VPC


def env002(w):
    scn = "env002"
    vpc = w.ids["default.vpc"]  # recorded by baseline()
    subnet = w.ids["default.subnet-a"]
    w.flow_log(scn, "flow-log", vpc, "VPC")  # it hosts workloads now (OBS001)
    sg = w.sg(scn, "app-sg", vpc)
    # moto's default subnets map public IPs, but moto's default VPC has no IGW: the subnets are
    # not public by their routes, so TIER002 does not apply.
    prod = w.instance(scn, "prod-instance", subnet, [sg], Environment="prod")
    unknown = w.instance(scn, "untagged-instance", subnet, [sg])
    w.expect("ENV002", prod)  # ENV002: production workload in the default VPC (high)
    w.expect("ENV002", unknown, "medium")  # ENV002: unknown environment in the default VPC
    # NAT004: a moto quirk, not AWS. moto's default VPC has no internet gateway and its main
    # table only the local route (real AWS gives the default VPC an IGW and routes 0.0.0.0/0 to
    # it), so the subnet hosting the two instances has no way out at all.
    w.expect("NAT004", subnet)


def az001(w):
    scn = "az001"
    vpc = w.vpc(scn, "10.2.0.0/16")
    a = w.subnet(scn, "private-a", vpc, "10.2.10.0/24", w.az_a)
    w.central_egress(scn, vpc, a)  # a way out for the instance (else NAT004)
    sg = w.sg(scn, "app-sg", vpc)
    w.instance(scn, "app-instance", a, [sg])
    w.expect("AZ001", vpc)  # AZ001: the private tier of a VPC with a workload is only in AZ a


def az002(w):
    scn = "az002"
    vpc = w.vpc(scn, "10.3.0.0/16")
    a1 = w.subnet(scn, "db-a1", vpc, "10.3.20.0/24", w.az_a)
    a2 = w.subnet(scn, "db-a2", vpc, "10.3.21.0/24", w.az_a)
    b = w.subnet(scn, "db-b", vpc, "10.3.22.0/24", w.az_b)
    single = w.db_subnet_group(scn, "az002-single-az", [a1, a2])
    w.db_subnet_group(scn, "az002-two-az", [a2, b])  # fine; keeps the DB tier in two AZs
    w.expect("AZ002", single)  # AZ002: both subnets of the group are in AZ a


def az003(w):
    scn = "az003"
    vpc = w.vpc(scn, "10.4.0.0/16", Environment="prod")
    group = w.db_pair_group(scn, vpc, "10.4")
    sg = w.sg(scn, "db-sg", vpc)
    w.database(scn, "az003-vpc-tagged", group, [sg], multi_az=False, public=False)
    w.database(
        scn, "az003-own-tag", group, [sg], multi_az=False, public=False, Environment="production"
    )
    w.expect("AZ003", "az003-vpc-tagged")  # AZ003: prod through its VPC's tag, MultiAZ false
    w.expect("AZ003", "az003-own-tag")  # AZ003: prod through its own tag, MultiAZ false


def az004(w):
    scn = "az004"
    vpc = w.vpc(scn, "10.5.0.0/16")
    a, b = w.private_pair(scn, vpc, "10.5")
    w.central_egress(scn, vpc, a)  # a way out for the function and the service (else NAT004)
    sg = w.sg(scn, "fn-sg", vpc)
    fn = w.function(scn, "az004-one-az", subnet_ids=[a], sg_ids=[sg])
    # What the function needs the VPC for (else LAM004): an internal service.
    w.instance(scn, "internal-service", b, [w.sg(scn, "service-sg", vpc)])
    w.expect("AZ004", fn)  # AZ004: VPC function whose only subnet is in AZ a


def az005(w):
    scn = "az005"
    p = "10.6"
    vpc = w.vpc(scn, f"{p}.0.0/16")
    igw = w.igw(scn, vpc)
    pub_a, _ = w.public_pair(scn, vpc, p, igw)
    nat_a = w.nat(scn, "nat-a", pub_a)
    priv_a = w.subnet(scn, "private-a", vpc, f"{p}.10.0/24", w.az_a)
    priv_b = w.subnet(scn, "private-b", vpc, f"{p}.11.0/24", w.az_b)
    w.route_table(scn, "private-rtb-a", vpc, [priv_a], {"NatGatewayId": nat_a})
    w.route_table(scn, "private-rtb-b", vpc, [priv_b], {"NatGatewayId": nat_a})
    w.expect("AZ005", priv_b)  # AZ005: private subnet in AZ b egresses through the NAT in AZ a


def tier001(w):
    scn = "tier001"
    vpc = w.vpc(scn, "10.7.0.0/16")
    igw = w.igw(scn, vpc)
    s = w.subnet(scn, "app-private-1a", vpc, "10.7.10.0/24", w.az_a, name="app-private-1a")
    w.route_table(scn, "rtb", vpc, [s], {"GatewayId": igw})
    w.expect("TIER001", s)  # TIER001: named private, explicit table routes 0.0.0.0/0 to the IGW


def tier002(w):
    scn = "tier002"
    p = "10.8"
    vpc = w.vpc(scn, f"{p}.0.0/16")
    igw = w.igw(scn, vpc)
    pub_a, _ = w.public_pair(scn, vpc, p, igw)
    w.ec2.modify_subnet_attribute(SubnetId=pub_a, MapPublicIpOnLaunch={"Value": True})
    sg = w.sg(scn, "app-sg", vpc)
    i = w.instance(scn, "public-instance", pub_a, [sg])
    ip = w.ec2.describe_instances(InstanceIds=[i])["Reservations"][0]["Instances"][0].get("PublicIpAddress")
    assert ip, f"{i} got no public IP"
    w.expect("TIER002", i)  # TIER002: live instance with a public IP in a public subnet


def db001(w):
    scn = "db001"
    vpc = w.vpc(scn, "10.9.0.0/16")
    group = w.db_pair_group(scn, vpc, "10.9")
    sg = w.sg(scn, "db-sg", vpc)
    w.database(scn, "db001-public", group, [sg], multi_az=False, public=True)
    # DB001: PubliclyAccessible = true, but no internet path: both subnets of its group are on
    # the main table (local route only) and the VPC has no internet gateway, so the spec says
    # high, not critical (and moto creates no RDS interface to follow).
    w.expect("DB001", "db001-public", "high")


def db002(w):
    scn = "db002"
    p = "10.10"
    vpc = w.vpc(scn, f"{p}.0.0/16")
    igw = w.igw(scn, vpc)
    pub_a, _ = w.public_pair(scn, vpc, p, igw)
    db_a = w.subnet(scn, "db-a", vpc, f"{p}.20.0/24", w.az_a)
    db_b = w.subnet(scn, "db-b", vpc, f"{p}.21.0/24", w.az_b)
    group = w.db_subnet_group(scn, "db002-with-public", [db_a, db_b, pub_a])
    w.expect("DB002", group)  # DB002: the group contains public subnet public-a


def db003(w):
    scn = "db003"
    vpc = w.vpc(scn, "10.11.0.0/16")
    group = w.db_pair_group(scn, vpc, "10.11")
    sg = w.sg(scn, "db-sg", vpc, [tcp(5432, cidr="0.0.0.0/0")])
    w.database(scn, "db003-open", group, [sg], multi_az=False, public=False)
    w.expect("DB003", sg)  # DB003: the DB's SG admits 0.0.0.0/0 on 5432 (critical)


def nat001(w):
    scn = "nat001"
    vpc = w.vpc(scn, "10.12.0.0/16")
    w.igw(scn, vpc)  # attached, but no table routes to it
    a, _ = w.private_pair(scn, vpc, "10.12")
    nat = w.nat(scn, "nat", a)
    w.expect("NAT001", nat)  # NAT001: public NAT gateway in a subnet without an IGW route


def nat003(w):
    scn = "nat003"
    vpc = w.vpc(scn, "10.13.0.0/16")
    igw = w.igw(scn, vpc)
    main = w.main_route_table(scn, vpc)
    w.ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    w.subnet(scn, "web-a", vpc, "10.13.0.0/24", w.az_a)
    w.subnet(scn, "web-b", vpc, "10.13.1.0/24", w.az_b)
    w.expect("NAT003", main)  # NAT003: main table of a non-default VPC routes to the IGW


def nat004(w):
    scn = "nat004"
    vpc = w.vpc(scn, "10.25.0.0/16")
    a, b = w.private_pair(scn, vpc, "10.25")
    w.instance(scn, "app-instance", a, [w.sg(scn, "app-sg", vpc)])
    # NAT004: hosts an instance, its table (the main one) has only the local route, the VPC
    # has no endpoint. Subnet b hosts nothing: not reported.
    w.expect("NAT004", a)

    # Quiet twins: the same private tier, isolated on purpose.
    # An interface endpoint anywhere in the VPC (here SSM, in both subnets) is a way to AWS.
    twin = "nat004-interface"
    vpc = w.vpc(twin, "10.26.0.0/16")
    a, b = w.private_pair(twin, vpc, "10.26")
    app_sg = w.sg(twin, "app-sg", vpc)
    w.instance(twin, "app-instance", a, [app_sg])
    endpoint_sg = w.sg(twin, "endpoint-sg", vpc, [tcp(443, from_sg=app_sg)])
    endpoint = w.ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{w.region}.ssm", VpcEndpointType="Interface",
        SubnetIds=[a, b], SecurityGroupIds=[endpoint_sg],
    )["VpcEndpoint"]["VpcEndpointId"]
    w.record(f"{twin}.ssm-endpoint", endpoint)

    # An S3 gateway endpoint on the subnet's route table. Quiet twice over: the endpoint is
    # usable from the subnet, and the route it adds (moto, like AWS: the S3 prefix list to the
    # endpoint) is a prefix-list route, which NAT004 does not evaluate (its entries are not in
    # the inventory).
    twin = "nat004-gateway"
    vpc = w.vpc(twin, "10.27.0.0/16")
    a, b = w.private_pair(twin, vpc, "10.27")
    w.instance(twin, "app-instance", a, [w.sg(twin, "app-sg", vpc)])
    endpoint = w.ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{w.region}.s3", VpcEndpointType="Gateway",
        RouteTableIds=[w.main_route_table(twin, vpc)],
    )["VpcEndpoint"]["VpcEndpointId"]
    w.record(f"{twin}.s3-endpoint", endpoint)

    # Declared isolated: the subnets carry vpcaudit:isolated=true.
    twin = "nat004-isolated"
    vpc = w.vpc(twin, "10.28.0.0/16")
    a, b = w.private_pair(twin, vpc, "10.28", **{"vpcaudit:isolated": "true"})
    w.instance(twin, "app-instance", a, [w.sg(twin, "app-sg", vpc)])


def sg001(w):
    scn = "sg001"
    vpc = w.vpc(scn, "10.14.0.0/16")
    a, _ = w.private_pair(scn, vpc, "10.14")
    w.central_egress(scn, vpc, a)  # a way out for the instance (else NAT004)
    sg = w.sg(scn, "ssh-sg", vpc, [tcp(22, cidr="0.0.0.0/0")])
    w.instance(scn, "app-instance", a, [sg])
    # SG001: tcp/22 from 0.0.0.0/0. The group is carried by a backend instance, but SG004 does
    # not repeat rules SG001 reports.
    w.expect("SG001", sg)


def sg002(w):
    scn = "sg002"
    vpc = w.vpc(scn, "10.15.0.0/16")
    sg = w.sg(scn, "all-open-sg", vpc, [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    # SG002: all traffic from ::/0. The group is attached to nothing yet, which the spec
    # reports at medium (a trap for the next thing attached to it), not critical.
    w.expect("SG002", sg, severity="medium")


def sg003(w):
    scn = "sg003"
    vpc = w.vpc(scn, "10.16.0.0/16", strip_default_sg=False)
    sg = w.ids[f"{scn}.default-sg"]
    # AWS's default SG also admits everything from itself; moto only creates the egress rule.
    w.ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": sg}]}]
    )
    w.expect("SG003", sg)  # SG003: a default security group with rules


def sg004(w):
    scn = "sg004"
    vpc = w.vpc(scn, "10.17.0.0/16")
    a, _ = w.private_pair(scn, vpc, "10.17")
    w.central_egress(scn, vpc, a)  # a way out for the instance (else NAT004)
    sg = w.sg(scn, "app-sg", vpc, [tcp(8080, cidr="10.17.0.0/16")])
    w.instance(scn, "app-instance", a, [sg])
    w.expect("SG004", sg)  # SG004: backend-only SG admits 8080 from a CIDR (medium)


def sg005(w):
    scn = "sg005"
    vpc = w.vpc(scn, "10.18.0.0/16")
    group = w.db_pair_group(scn, vpc, "10.18")
    other_vpc = w.vpc("sg005-other", "10.19.0.0/16")
    foreign_sg = w.sg(scn, "foreign-db-sg", other_vpc)
    w.database(scn, "sg005-db", group, [foreign_sg], multi_az=False, public=False)
    w.expect("SG005", "sg005-db")  # SG005: SG of another VPC than the DB subnet group


def lam001(w):
    scn = "lam001"
    p = "10.20"
    vpc = w.vpc(scn, f"{p}.0.0/16")
    igw = w.igw(scn, vpc)
    pub_a, pub_b = w.public_pair(scn, vpc, p, igw)
    sg = w.sg(scn, "fn-sg", vpc)
    fn = w.function(scn, "lam001-public-only", subnet_ids=[pub_a, pub_b], sg_ids=[sg])
    # What the function needs the VPC for (else LAM004): an internal service, in private
    # subnets of both AZs (else AZ001).
    priv_a, _ = w.private_pair(scn, vpc, p)
    w.central_egress(scn, vpc, priv_a)  # a way out for the service (else NAT004)
    w.instance(scn, "internal-service", priv_a, [w.sg(scn, "service-sg", vpc)])
    w.expect("LAM001", fn)  # LAM001: every subnet of the function is public


def lam002(w):
    scn = "lam002"
    vpc = w.vpc(scn, "10.21.0.0/16")
    group = w.db_pair_group(scn, vpc, "10.21")
    sg = w.sg(scn, "db-sg", vpc)
    endpoint = w.database(scn, "lam002-db", group, [sg], multi_az=False, public=False)
    fn = w.function(scn, "lam002-no-vpc", env={"DB_HOST": endpoint, "DB_PORT": "5432"})
    w.expect("LAM002", fn)  # LAM002: no VPC config, DB_HOST names a private RDS endpoint


def lam003(w):
    scn = "lam003"
    fn = w.function(scn, "lam003-literal", env={"DB_PASSWORD": LITERAL_DB_PASSWORD, "LOG_LEVEL": "debug"})
    w.never_printed.append(LITERAL_DB_PASSWORD)
    w.expect("LAM003", fn)  # LAM003: DB_PASSWORD (a secret's name) holds a literal value
    url = f"postgres://app:{LITERAL_URL_PASSWORD}@orders.internal.example:5432/orders"
    fn = w.function(scn, "lam003-url", env={"ORDERS_DATABASE_URL": url})
    w.never_printed.append(LITERAL_URL_PASSWORD)
    w.expect("LAM003", fn)  # LAM003: whatever its name, the value is a URL with a password


def lam004(w):
    scn = "lam004"
    vpc = w.vpc(scn, "10.24.0.0/16")
    a, b = w.private_pair(scn, vpc, "10.24")
    sg = w.sg(scn, "fn-sg", vpc)
    fn = w.function(
        scn, "lam004-nothing-to-reach", subnet_ids=[a, b], sg_ids=[sg], env={"BUCKET": "media"}
    )
    w.expect("LAM004", fn)  # LAM004: VPC function, nothing in the VPC it could need
    # NAT004: the function's subnets have only the local route and the VPC no endpoint: it
    # cannot reach anything at all. No central egress here: a route beyond the VPC (transit
    # gateway) is where internal services may live, which LAM004 leaves alone.
    w.expect("NAT004", a)
    w.expect("NAT004", b)


def nacl001(w):
    scn = "nacl001"
    vpc = w.vpc(scn, "10.22.0.0/16")
    a, b = w.private_pair(scn, vpc, "10.22")
    acl = w.record(
        f"{scn}.acl",
        w.ec2.create_network_acl(
            VpcId=vpc, TagSpecifications=w.tag_spec("network-acl", f"{scn}-acl")
        )["NetworkAcl"]["NetworkAclId"],
    )

    def entry(number, action, cidr=None, cidr6=None, protocol="6", ports=None, egress=False):
        kwargs = {"CidrBlock": cidr} if cidr else {"Ipv6CidrBlock": cidr6}
        if ports:
            kwargs["PortRange"] = {"From": ports[0], "To": ports[1]}
        w.ec2.create_network_acl_entry(
            NetworkAclId=acl, RuleNumber=number, Protocol=protocol, RuleAction=action,
            Egress=egress, **kwargs,
        )

    entry(90, "deny", cidr="0.0.0.0/0", ports=(3389, 3389))
    entry(100, "allow", cidr="0.0.0.0/0", ports=(22, 22))  # reported
    entry(105, "allow", cidr6="::/0", ports=(0, 1024))  # reported: covers 22 (not 3389)
    entry(110, "allow", cidr="0.0.0.0/0", ports=(3389, 3389))  # dead: #90 denies it first
    entry(120, "allow", cidr="0.0.0.0/0", ports=(0, 65535))  # every port: left to SGs
    entry(130, "allow", cidr="10.0.0.0/8", ports=(22, 22))  # narrow range
    entry(200, "allow", cidr="0.0.0.0/0", protocol="-1")  # allow all
    entry(100, "allow", cidr="0.0.0.0/0", ports=(22, 22), egress=True)  # outbound
    for subnet in (a, b):
        default = w.ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
        )["NetworkAcls"][0]
        assoc = next(x for x in default["Associations"] if x["SubnetId"] == subnet)
        w.ec2.replace_network_acl_association(
            AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl
        )
    # The same opening on an ACL no subnet uses is not reported.
    unused = w.record(
        f"{scn}.unused-acl", w.ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    )
    w.ec2.create_network_acl_entry(
        NetworkAclId=unused, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22},
    )
    # NACL001: tcp/22 from the whole internet, #100 admitting all of IPv4 and #105 all of
    # IPv6: a 0.0.0.0/0 or ::/0 entry keeps its own finding, one per entry as always. (3389:
    # #90 denies IPv4 before #110, and #105 stops at 1024.)
    w.expect("NACL001", acl)  # inbound #100 allows tcp/22 from 0.0.0.0/0
    w.expect("NACL001", acl)  # inbound #105 allows tcp/0-1024 from ::/0


def obs001(w):
    scn = "obs001"
    vpc = w.vpc(scn, "10.23.0.0/16", flow_log=False)
    a, _ = w.private_pair(scn, vpc, "10.23")
    w.flow_log(scn, "subnet-flow-log", a, "Subnet")  # a subnet's flow log does not cover the VPC
    w.central_egress(scn, vpc, a)  # a way out for the instance (else NAT004)
    sg = w.sg(scn, "app-sg", vpc)
    w.instance(scn, "app-instance", a, [sg])
    w.expect("OBS001", vpc)  # OBS001: hosts a workload, no VPC-level flow log


ACCESS_LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:api-access"


def rest_api_stage(w, scn, name, patch):
    """A REST API with one mock method, deployed to stage `prod`, then patched."""
    api = w.record(f"{scn}.{name}", w.apigw.create_rest_api(name=f"{scn}-{name}")["id"])
    root = w.apigw.get_resources(restApiId=api)["items"][0]["id"]
    w.apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    w.apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    w.apigw.create_deployment(restApiId=api, stageName="prod")
    if patch:
        w.apigw.update_stage(restApiId=api, stageName="prod", patchOperations=patch)
    return f"{api}/prod"


def http_api_stage(w, scn, name, **stage):
    api = w.record(
        f"{scn}.{name}",
        w.apigwv2.create_api(Name=f"{scn}-{name}", ProtocolType="HTTP")["ApiId"],
    )
    w.apigwv2.create_stage(ApiId=api, StageName="$default", **stage)
    return f"{api}/$default"


def obs002(w):
    scn = "obs002"
    throttled = [
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "200"},
    ]
    stage = rest_api_stage(w, scn, "unlogged-rest", throttled)
    w.expect("OBS002", stage)  # OBS002: throttled, but no access log destination
    stage = http_api_stage(
        w, scn, "unlogged-http",
        DefaultRouteSettings={"ThrottlingRateLimit": 50.0, "ThrottlingBurstLimit": 100},
    )
    w.expect("OBS002", stage)  # OBS002: HTTP API stage without access logs
    # Logged and throttled: nothing to report.
    rest_api_stage(
        w, scn, "observed-rest",
        throttled + [{"op": "replace", "path": "/accessLogSettings/destinationArn",
                      "value": ACCESS_LOG_GROUP}],
    )


def obs003(w):
    scn = "obs003"
    stage = http_api_stage(
        w, scn, "unthrottled-http",
        AccessLogSettings={"DestinationArn": ACCESS_LOG_GROUP, "Format": "$context.requestId"},
    )
    w.expect("OBS003", stage)  # OBS003: logged, but no default route throttle
    http_api_stage(
        w, scn, "throttled-http",
        AccessLogSettings={"DestinationArn": ACCESS_LOG_GROUP, "Format": "$context.requestId"},
        DefaultRouteSettings={"ThrottlingRateLimit": 20.0, "ThrottlingBurstLimit": 40},
    )


# Recognisable secret values (tests/secrets_stay_out.rs): none of these bytes may appear in
# any output. The access key id and the private key match vpcaudit's credential patterns.
CANARY_TOKEN = "vpcaudit-canary-token-7f3a9c1e"
CANARY_ACCESS_KEY = "AKIAVPCAUDITCANARY42"
CANARY_KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDcanary"


def secrets(w):
    scn = "secrets"
    fn = w.function(
        scn,
        "secrets-canary",
        env={
            # Non-ASCII around an RDS host name: once made the scan panic.
            "DB_HOST": "«db.x.eu-west-1.rds.amazonaws.com»",
            "API_TOKEN": CANARY_TOKEN,
            "UPSTREAM": CANARY_ACCESS_KEY,
            "SIGNING": f"-----BEGIN PRIVATE KEY-----\n{CANARY_KEY_BODY}\n-----END PRIVATE KEY-----",
        },
    )
    w.never_printed.extend([CANARY_TOKEN, CANARY_ACCESS_KEY, CANARY_KEY_BODY])
    w.expect("LAM003", fn)  # LAM003: secret-named literal, and credential-like values


# ---- the rest of the network: load balancers, addresses, endpoints, IPv6, ECS ---------------
def network(w):
    """Not a rule scenario: what vpcaudit collects besides the ENIs it leaves behind (issue 10),
    built the way a tidy estate has it, so it adds no finding. An internet-facing ALB and NLB
    in public subnets forwarding to a private app instance, a Classic ELB, Elastic IPs (one
    idle, one on an appliance interface with a secondary address, IPv6 and the source/dest check
    off), S3 gateway and SQS interface endpoints, an egress-only internet gateway for the app
    tier's IPv6, a gateway route table (IGW edge association) and a Fargate service.

    Not representable in moto 5.2.5, so covered by snapshot fixtures instead: an Elastic IP on a
    secondary private address (moto accepts it but maps the primary) and load balancer
    interfaces (moto's ELBs create none)."""
    scn = "network"
    p = "10.90"
    vpc = w.vpc(scn, f"{p}.0.0/16")
    w.ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)
    v6 = w.ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    app_v6 = str(list(ipaddress.IPv6Network(v6).subnets(new_prefix=64))[10])
    igw = w.igw(scn, vpc)
    pub_a, pub_b = w.public_pair(scn, vpc, p, igw)
    app_a = w.subnet(scn, "app-a", vpc, f"{p}.10.0/24", w.az_a, name="app-1a")
    app_b = w.subnet(scn, "app-b", vpc, f"{p}.11.0/24", w.az_b, name="app-1b")
    w.ec2.associate_subnet_cidr_block(SubnetId=app_a, Ipv6CidrBlock=app_v6)
    eigw = w.record(
        f"{scn}.eigw",
        w.ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"][
            "EgressOnlyInternetGatewayId"
        ],
    )
    app_rtb = w.route_table(scn, "app-rtb", vpc, [app_a, app_b])
    w.ec2.create_route(
        RouteTableId=app_rtb, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw
    )
    # A gateway route table: the IGW's edge association (where inbound traffic is inspected).
    edge_rtb = w.ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    w.record(f"{scn}.edge-rtb", edge_rtb)
    w.ec2.associate_route_table(RouteTableId=edge_rtb, GatewayId=igw)

    alb_sg = w.sg(scn, "alb-sg", vpc, [tcp(80, cidr="0.0.0.0/0")])
    app_sg = w.sg(scn, "app-sg", vpc, [tcp(8080, from_sg=alb_sg)])
    endpoint_sg = w.sg(scn, "endpoint-sg", vpc, [tcp(443, from_sg=app_sg)])
    appliance_sg = w.sg(scn, "appliance-sg", vpc, [tcp(6081, from_sg=app_sg)])
    instance = w.instance(scn, "app-instance", app_a, [app_sg])
    instance_ip = w.ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0][
        "PrivateIpAddress"
    ]

    alb = w.record(
        f"{scn}.alb",
        w.elbv2.create_load_balancer(
            Name=f"{scn}-alb", Subnets=[pub_a, pub_b], SecurityGroups=[alb_sg],
            Scheme="internet-facing", Type="application",
        )["LoadBalancers"][0]["LoadBalancerArn"],
    )
    nlb = w.record(
        f"{scn}.nlb",
        w.elbv2.create_load_balancer(
            Name=f"{scn}-nlb", Subnets=[pub_a, pub_b], Scheme="internet-facing", Type="network",
        )["LoadBalancers"][0]["LoadBalancerArn"],
    )
    alb_tg = w.record(
        f"{scn}.alb-tg",
        w.elbv2.create_target_group(
            Name=f"{scn}-alb-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance",
        )["TargetGroups"][0]["TargetGroupArn"],
    )
    nlb_tg = w.record(
        f"{scn}.nlb-tg",
        w.elbv2.create_target_group(
            Name=f"{scn}-nlb-tg", Protocol="TCP", Port=8080, VpcId=vpc, TargetType="ip",
        )["TargetGroups"][0]["TargetGroupArn"],
    )
    w.elbv2.register_targets(TargetGroupArn=alb_tg, Targets=[{"Id": instance, "Port": 8080}])
    w.elbv2.register_targets(TargetGroupArn=nlb_tg, Targets=[{"Id": instance_ip}])
    w.elbv2.modify_target_group_attributes(
        TargetGroupArn=nlb_tg, Attributes=[{"Key": "preserve_client_ip.enabled", "Value": "true"}]
    )
    for lb, protocol, tg in [(alb, "HTTP", alb_tg), (nlb, "TCP", nlb_tg)]:
        w.elbv2.create_listener(
            LoadBalancerArn=lb, Protocol=protocol, Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
        )
    w.elb.create_load_balancer(
        LoadBalancerName=f"{scn}-classic",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 8080}],
        Subnets=[pub_a, pub_b], SecurityGroups=[alb_sg], Scheme="internet-facing",
    )
    w.record(f"{scn}.classic", f"{scn}-classic")
    w.elb.register_instances_with_load_balancer(
        LoadBalancerName=f"{scn}-classic", Instances=[{"InstanceId": instance}]
    )

    # An appliance interface: secondary address, IPv6, no source/dest check, an Elastic IP.
    appliance = w.ec2.create_network_interface(
        SubnetId=app_a, Groups=[appliance_sg], SecondaryPrivateIpAddressCount=1,
        Ipv6AddressCount=1, Description=f"{scn} appliance",
    )["NetworkInterface"]["NetworkInterfaceId"]
    w.record(f"{scn}.appliance-eni", appliance)
    w.ec2.modify_network_interface_attribute(NetworkInterfaceId=appliance, SourceDestCheck={"Value": False})
    appliance_eip = w.record(f"{scn}.appliance-eip", w.eip())
    w.ec2.associate_address(AllocationId=appliance_eip, NetworkInterfaceId=appliance)
    w.record(f"{scn}.idle-eip", w.eip())

    s3 = w.ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{w.region}.s3", VpcEndpointType="Gateway",
        RouteTableIds=[app_rtb],
    )["VpcEndpoint"]["VpcEndpointId"]
    w.record(f"{scn}.s3-endpoint", s3)
    sqs = w.ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{w.region}.sqs", VpcEndpointType="Interface",
        SubnetIds=[app_a], SecurityGroupIds=[endpoint_sg],
    )["VpcEndpoint"]["VpcEndpointId"]
    w.record(f"{scn}.sqs-endpoint", sqs)

    cluster = w.ecs.create_cluster(clusterName=f"{scn}-cluster")["cluster"]["clusterArn"]
    w.record(f"{scn}.cluster", cluster)
    task = w.ecs.register_task_definition(
        family=f"{scn}-web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": "nginx", "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    service = w.ecs.create_service(
        cluster=cluster, serviceName=f"{scn}-web", taskDefinition=task, desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [pub_a, pub_b], "securityGroups": [app_sg], "assignPublicIp": "ENABLED",
            }
        },
    )["service"]["serviceArn"]
    w.record(f"{scn}.service", service)


def reach(w):
    """Not a rule scenario, built only when named (its public web tier would add findings to
    "all"): on top of `network`, a web instance with a public IP in the public subnet,
    registered with the ALB's target group, whose group admits 8080 from the ALB and 443 from
    anywhere. `vpcaudit reach` must show its direct internet path (and, once the model knows
    load balancers, the path through the ALB)."""
    scn = "reach"
    if "network.vpc" not in w.ids:
        network(w)
    vpc = w.ids["network.vpc"]
    web_sg = w.sg(
        scn, "web-sg", vpc, [tcp(8080, from_sg=w.ids["network.alb-sg"]), tcp(443, cidr="0.0.0.0/0")]
    )
    web = w.ec2.run_instances(
        ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        NetworkInterfaces=[{
            "DeviceIndex": 0, "SubnetId": w.ids["network.public-a"], "Groups": [web_sg],
            "AssociatePublicIpAddress": True,
        }],
        TagSpecifications=w.tag_spec("instance", f"{scn}-web"),
    )["Instances"][0]
    w.record(f"{scn}.web", web["InstanceId"])
    w.record(f"{scn}.web.eni", web["NetworkInterfaces"][0]["NetworkInterfaceId"])
    w.elbv2.register_targets(
        TargetGroupArn=w.ids["network.alb-tg"], Targets=[{"Id": web["InstanceId"], "Port": 8080}]
    )


SCENARIOS = {
    "secrets": secrets,
    "good": good,
    "env001": env001,
    "env002": env002,
    "az001": az001,
    "az002": az002,
    "az003": az003,
    "az004": az004,
    "az005": az005,
    "tier001": tier001,
    "tier002": tier002,
    "db001": db001,
    "db002": db002,
    "db003": db003,
    "nat001": nat001,
    "nat003": nat003,
    "nat004": nat004,
    "sg001": sg001,
    "sg002": sg002,
    "sg003": sg003,
    "sg004": sg004,
    "sg005": sg005,
    "lam001": lam001,
    "lam002": lam002,
    "lam003": lam003,
    "lam004": lam004,
    "nacl001": nacl001,
    "obs001": obs001,
    "obs002": obs002,
    "obs003": obs003,
    "network": network,
    "reach": reach,
    "no_vpc": no_vpc,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="moto server URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        choices=["all", *SCENARIOS],
        help="all, " + ", ".join(SCENARIOS),
    )
    args = parser.parse_args(argv)

    # "secrets", "reach" and "no_vpc" are only built when named: their findings are not part
    # of "all"'s exact list. "no_vpc" removes the default VPC the baseline describes, so it
    # comes first, instead of the baseline.
    every = [name for name in SCENARIOS if name not in ("secrets", "reach", "no_vpc")]
    names = every if "all" in args.scenarios else list(dict.fromkeys(args.scenarios))
    w = World(args.endpoint, args.region)
    if "no_vpc" in names:
        names.remove("no_vpc")
        no_vpc(w)
    else:
        baseline(w)
    for name in names:
        SCENARIOS[name](w)
    out = {
        "ids": w.ids,
        "expected": sorted(w.expected),
        "never_printed": w.never_printed,
        "severity": w.severity,
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
