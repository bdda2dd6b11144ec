//! The inventory: plain data describing what the collectors read from an account.
//!
//! Every type here is serde data with no AWS SDK type in sight, so a snapshot file written by
//! `vpcaudit collect` can be read back and audited offline, and fixtures can be written by hand.
//! Fields AWS may omit are `Option`: "unknown" must stay distinguishable from "false".

use std::collections::BTreeMap;

use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

/// Resource tags, sorted by key so snapshots and evidence are deterministic.
pub type Tags = BTreeMap<String, String>;

/// Everything collected for one account in one region. VPCs are regional, so every analysis
/// and rule works on one scope at a time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RegionInventory {
    pub account: String,
    pub region: String,
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub internet_gateways: Vec<InternetGateway>,
    pub nat_gateways: Vec<NatGateway>,
    pub network_acls: Vec<NetworkAcl>,
    pub security_groups: Vec<SecurityGroup>,
    pub network_interfaces: Vec<NetworkInterface>,
    pub instances: Vec<Instance>,
    pub flow_logs: Vec<FlowLog>,
    pub db_instances: Vec<DbInstance>,
    pub db_clusters: Vec<DbCluster>,
    pub db_subnet_groups: Vec<DbSubnetGroup>,
    pub lambda_functions: Vec<LambdaFunction>,
    pub api_stages: Vec<ApiStage>,
    pub elastic_ips: Vec<ElasticIp>,
    pub vpc_endpoints: Vec<VpcEndpoint>,
    pub egress_only_internet_gateways: Vec<EgressOnlyInternetGateway>,
    /// Application, Network and Gateway Load Balancers (elbv2).
    pub load_balancers: Vec<LoadBalancer>,
    pub listeners: Vec<Listener>,
    pub target_groups: Vec<TargetGroup>,
    /// The registered targets of every target group, with their health.
    pub targets: Vec<Target>,
    pub classic_load_balancers: Vec<ClassicLoadBalancer>,
    pub ecs_services: Vec<EcsService>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Vpc {
    pub id: String,
    pub cidr_blocks: Vec<Ipv4Net>,
    pub ipv6_cidr_blocks: Vec<Ipv6Net>,
    pub is_default: bool,
    pub state: Option<String>,
    pub owner_id: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub availability_zone_id: Option<String>,
    pub cidr_block: Option<Ipv4Net>,
    pub ipv6_cidr_blocks: Vec<Ipv6Net>,
    pub map_public_ip_on_launch: bool,
    pub arn: Option<String>,
    /// The account that owns the subnet: another one when it is shared with this account
    /// (AWS RAM).
    pub owner_id: Option<String>,
    pub assign_ipv6_address_on_creation: Option<bool>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    pub routes: Vec<Route>,
    pub associations: Vec<RouteTableAssociation>,
    pub tags: Tags,
}

impl RouteTable {
    /// True when this is its VPC's main route table (used by every subnet without its own).
    pub fn is_main(&self) -> bool {
        self.associations.iter().any(|a| a.main)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub destination: RouteDestination,
    pub target: RouteTarget,
    #[serde(default)]
    pub state: RouteState,
    /// `CreateRouteTable`, `CreateRoute` or `EnableVgwRoutePropagation`, as AWS reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// Where a route sends traffic to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RouteDestination {
    Ipv4(Ipv4Net),
    Ipv6(Ipv6Net),
    PrefixList(String),
}

impl RouteDestination {
    /// 0.0.0.0/0 or ::/0.
    pub fn is_default(&self) -> bool {
        match self {
            RouteDestination::Ipv4(net) => net.prefix_len() == 0,
            RouteDestination::Ipv6(net) => net.prefix_len() == 0,
            RouteDestination::PrefixList(_) => false,
        }
    }
}

impl std::fmt::Display for RouteDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteDestination::Ipv4(net) => write!(f, "{net}"),
            RouteDestination::Ipv6(net) => write!(f, "{net}"),
            RouteDestination::PrefixList(id) => write!(f, "{id}"),
        }
    }
}

/// What a route sends traffic through. Every target kind a VPC route can have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(
    tag = "kind",
    content = "id",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum RouteTarget {
    Local,
    InternetGateway(String),
    EgressOnlyInternetGateway(String),
    NatGateway(String),
    Instance(String),
    NetworkInterface(String),
    TransitGateway(String),
    VpcPeeringConnection(String),
    VpnGateway(String),
    /// A gateway endpoint (S3/DynamoDB) or a Gateway Load Balancer / firewall endpoint.
    VpcEndpoint(String),
    CarrierGateway(String),
    LocalGateway(String),
    CoreNetwork(String),
    /// A target this version of vpcaudit does not know; kept so nothing is lost.
    Other(String),
}

impl RouteTarget {
    pub fn id(&self) -> &str {
        match self {
            RouteTarget::Local => "local",
            RouteTarget::InternetGateway(id)
            | RouteTarget::EgressOnlyInternetGateway(id)
            | RouteTarget::NatGateway(id)
            | RouteTarget::Instance(id)
            | RouteTarget::NetworkInterface(id)
            | RouteTarget::TransitGateway(id)
            | RouteTarget::VpcPeeringConnection(id)
            | RouteTarget::VpnGateway(id)
            | RouteTarget::VpcEndpoint(id)
            | RouteTarget::CarrierGateway(id)
            | RouteTarget::LocalGateway(id)
            | RouteTarget::CoreNetwork(id)
            | RouteTarget::Other(id) => id,
        }
    }

    /// Human name of the target kind, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            RouteTarget::Local => "the VPC itself",
            RouteTarget::InternetGateway(_) => "internet gateway",
            RouteTarget::EgressOnlyInternetGateway(_) => "egress-only internet gateway",
            RouteTarget::NatGateway(_) => "NAT gateway",
            RouteTarget::Instance(_) => "instance",
            RouteTarget::NetworkInterface(_) => "network interface",
            RouteTarget::TransitGateway(_) => "transit gateway",
            RouteTarget::VpcPeeringConnection(_) => "VPC peering connection",
            RouteTarget::VpnGateway(_) => "VPN gateway",
            RouteTarget::VpcEndpoint(_) => "VPC endpoint",
            RouteTarget::CarrierGateway(_) => "carrier gateway",
            RouteTarget::LocalGateway(_) => "local gateway",
            RouteTarget::CoreNetwork(_) => "Cloud WAN core network",
            RouteTarget::Other(_) => "target",
        }
    }
}

impl std::fmt::Display for RouteTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RouteState {
    #[default]
    Active,
    /// The target was deleted: traffic matching this route is dropped.
    Blackhole,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RouteTableAssociation {
    pub id: Option<String>,
    pub main: bool,
    pub subnet_id: Option<String>,
    pub gateway_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InternetGateway {
    pub id: String,
    pub attached_vpc_ids: Vec<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NatGateway {
    pub id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub state: Option<String>,
    /// `public` (needs an internet gateway route in its own subnet) or `private`.
    pub connectivity_type: Option<String>,
    pub public_ips: Vec<String>,
    /// The gateway's own network interfaces (infrastructure, not workloads).
    pub network_interface_ids: Vec<String>,
    pub tags: Tags,
}

impl NatGateway {
    /// Public unless AWS says it is a private NAT gateway (the default type is public).
    pub fn is_public(&self) -> bool {
        self.connectivity_type.as_deref() != Some("private")
    }

    /// Deleted and failed NAT gateways linger in Describe output for a while.
    pub fn is_live(&self) -> bool {
        !matches!(
            self.state.as_deref(),
            Some("deleted" | "deleting" | "failed")
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkAcl {
    pub id: String,
    pub vpc_id: String,
    pub is_default: bool,
    pub entries: Vec<NetworkAclEntry>,
    pub subnet_ids: Vec<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkAclEntry {
    pub rule_number: i32,
    pub egress: bool,
    /// `allow` or `deny`.
    pub action: String,
    pub protocol: Protocol,
    pub cidr_block: Option<Ipv4Net>,
    pub ipv6_cidr_block: Option<Ipv6Net>,
    pub port_range: Option<PortRange>,
}

/// An IP protocol as AWS writes it: `-1` (all), a name (`tcp`) or a number (`6`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Protocol(pub String);

impl Protocol {
    pub fn all() -> Protocol {
        Protocol("-1".to_owned())
    }

    pub fn is_all(&self) -> bool {
        matches!(self.0.as_str(), "-1" | "all")
    }

    pub fn is_tcp(&self) -> bool {
        matches!(self.0.as_str(), "tcp" | "6")
    }

    pub fn is_udp(&self) -> bool {
        matches!(self.0.as_str(), "udp" | "17")
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_all() {
            f.write_str("all")
        } else {
            f.write_str(&self.0)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortRange {
    pub from: i32,
    pub to: i32,
}

impl PortRange {
    pub fn contains(&self, port: u16) -> bool {
        self.from <= i32::from(port) && i32::from(port) <= self.to
    }

    pub fn is_every_port(&self) -> bool {
        self.from <= 0 && self.to >= 65535
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub vpc_id: Option<String>,
    pub owner_id: Option<String>,
    pub ingress: Vec<SecurityGroupRule>,
    pub egress: Vec<SecurityGroupRule>,
    pub tags: Tags,
}

impl SecurityGroup {
    /// Every VPC has one security group named `default` that AWS created with it.
    pub fn is_default(&self) -> bool {
        self.name == "default"
    }
}

/// One permission of a security group with exactly one peer. AWS groups several peers under
/// one permission; the collectors split them so every finding can cite the one that matters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupRule {
    /// The security group rule id (`sgr-…`) when AWS reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub protocol: Protocol,
    /// None for protocols without ports (all traffic, ICMP type/code aside).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<PortRange>,
    pub peer: SecurityGroupPeer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl SecurityGroupRule {
    /// Whether this rule admits TCP traffic to `port`.
    pub fn admits_tcp_port(&self, port: u16) -> bool {
        if self.protocol.is_all() {
            return true;
        }
        self.protocol.is_tcp() && self.ports.is_none_or(|r| r.contains(port))
    }

    /// Whether this rule admits every protocol on every port.
    pub fn admits_everything(&self) -> bool {
        self.protocol.is_all()
    }

    /// `tcp/22`, `tcp/0-65535`, `all traffic`, for messages.
    pub fn describe_ports(&self) -> String {
        if self.protocol.is_all() {
            return "all traffic".to_owned();
        }
        match self.ports {
            Some(r) if r.from == r.to => format!("{}/{}", self.protocol, r.from),
            Some(r) if self.protocol.is_tcp() || self.protocol.is_udp() => {
                format!("{}/{}-{}", self.protocol, r.from, r.to)
            }
            _ => self.protocol.to_string(),
        }
    }
}

/// Who a security group rule lets in (or out to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[serde(deny_unknown_fields)]
pub enum SecurityGroupPeer {
    Ipv4(Ipv4Net),
    Ipv6(Ipv6Net),
    SecurityGroup {
        group_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vpc_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        peering_status: Option<String>,
    },
    PrefixList(String),
}

impl SecurityGroupPeer {
    /// 0.0.0.0/0 or ::/0: anyone on the internet.
    pub fn is_world(&self) -> bool {
        match self {
            SecurityGroupPeer::Ipv4(net) => net.prefix_len() == 0,
            SecurityGroupPeer::Ipv6(net) => net.prefix_len() == 0,
            _ => false,
        }
    }

    /// A raw address range rather than a security group or a managed prefix list.
    pub fn is_cidr(&self) -> bool {
        matches!(
            self,
            SecurityGroupPeer::Ipv4(_) | SecurityGroupPeer::Ipv6(_)
        )
    }
}

impl std::fmt::Display for SecurityGroupPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecurityGroupPeer::Ipv4(net) => write!(f, "{net}"),
            SecurityGroupPeer::Ipv6(net) => write!(f, "{net}"),
            SecurityGroupPeer::SecurityGroup { group_id, .. } => f.write_str(group_id),
            SecurityGroupPeer::PrefixList(id) => f.write_str(id),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkInterface {
    pub id: String,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub availability_zone: Option<String>,
    /// `interface`, `lambda`, `network_load_balancer`, `nat_gateway`, `vpc_endpoint`, …
    pub interface_type: Option<String>,
    /// Which service created it (`amazon-elb`, `amazon-rds`, …) when AWS manages it.
    pub requester_id: Option<String>,
    pub requester_managed: bool,
    pub description: Option<String>,
    pub security_group_ids: Vec<String>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    pub instance_id: Option<String>,
    pub status: Option<String>,
    /// Every private IPv4 address (the primary and the secondary ones), each with the public
    /// address (Elastic IP or auto-assigned) mapped to it.
    pub private_ips: Vec<PrivateIp>,
    pub ipv6_addresses: Vec<String>,
    /// False on appliances (NAT instances, firewalls) that forward others' traffic; None when
    /// AWS did not say.
    pub source_dest_check: Option<bool>,
    /// The account that owns the interface (the requester's for managed ones).
    pub owner_id: Option<String>,
    pub attachment: Option<NetworkInterfaceAttachment>,
    pub tags: Tags,
}

/// One private IPv4 address of a network interface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PrivateIp {
    pub address: String,
    pub primary: bool,
    /// The public address mapped to this private one, if any.
    pub public_ip: Option<String>,
    /// The Elastic IP's allocation id when the public address is an Elastic IP.
    pub allocation_id: Option<String>,
}

/// What a network interface is attached to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkInterfaceAttachment {
    pub id: Option<String>,
    pub instance_id: Option<String>,
    /// The instance's owner: an account id, or `amazon-elb`, `amazon-aws`, … for managed ones.
    pub instance_owner_id: Option<String>,
    pub device_index: Option<i32>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Instance {
    pub id: String,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub state: Option<String>,
    pub instance_type: Option<String>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    pub security_group_ids: Vec<String>,
    pub tags: Tags,
}

impl Instance {
    /// Terminated instances stay visible for an hour; they are no longer workloads.
    pub fn is_live(&self) -> bool {
        !matches!(self.state.as_deref(), Some("terminated" | "shutting-down"))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FlowLog {
    pub id: String,
    /// The VPC, subnet or ENI it records.
    pub resource_id: String,
    pub traffic_type: Option<String>,
    pub status: Option<String>,
    pub destination_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DbInstance {
    pub id: String,
    pub arn: Option<String>,
    pub engine: Option<String>,
    /// None when AWS did not say (it omits the field in some setups): unknown, not false.
    pub publicly_accessible: Option<bool>,
    pub multi_az: Option<bool>,
    pub availability_zone: Option<String>,
    pub cluster_id: Option<String>,
    /// The source instance when this is a read replica.
    pub replica_of: Option<String>,
    pub db_subnet_group: Option<String>,
    pub vpc_id: Option<String>,
    pub security_group_ids: Vec<String>,
    pub endpoint: Option<Endpoint>,
    pub status: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DbCluster {
    pub id: String,
    pub arn: Option<String>,
    pub engine: Option<String>,
    pub publicly_accessible: Option<bool>,
    pub multi_az: Option<bool>,
    pub availability_zones: Vec<String>,
    pub db_subnet_group: Option<String>,
    pub security_group_ids: Vec<String>,
    pub endpoint: Option<Endpoint>,
    pub reader_endpoint: Option<String>,
    pub member_ids: Vec<String>,
    pub status: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DbSubnetGroup {
    pub name: String,
    pub arn: Option<String>,
    pub vpc_id: String,
    pub subnets: Vec<DbSubnetGroupMember>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DbSubnetGroupMember {
    pub subnet_id: String,
    pub availability_zone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LambdaFunction {
    pub name: String,
    pub arn: String,
    pub runtime: Option<String>,
    /// None when the function is not attached to a VPC.
    pub vpc: Option<LambdaVpcConfig>,
    /// Environment variable names with facts derived from their values at collection time.
    /// The values themselves are never stored.
    pub environment: Vec<EnvironmentVariable>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LambdaVpcConfig {
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EnvironmentVariable {
    pub name: String,
    /// What the value was found to be; never the value.
    pub value_facts: Vec<ValueFact>,
}

/// A fact about an environment variable's value, derived when it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ValueFact {
    /// The value names the endpoint of an RDS instance or cluster seen in this account/region.
    RdsEndpoint { db_id: String, address: String },
    /// The value names an RDS host (`*.rds.amazonaws.com`) that is not in this inventory.
    RdsHostname { address: String },
    /// The value is a reference to a secret store (Secrets Manager, SSM), not a secret.
    SecretReference,
    /// The value itself looks like a credential (pattern given, value not kept).
    LooksLikeSecret { pattern: String },
    /// The value is a non-empty literal (so a secret-like name holds a real value).
    Literal,
}

/// An API Gateway stage (REST, HTTP or WebSocket API): the entry point the architecture puts
/// in front of the business tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ApiStage {
    pub api_id: String,
    pub api_name: Option<String>,
    /// `rest`, `http` or `websocket`.
    pub protocol: String,
    pub stage_name: String,
    /// Where access logs go (a log group or Firehose ARN), when access logging is on.
    pub access_log_destination: Option<String>,
    /// Execution logging level for every method of a REST stage (`OFF`, `ERROR`, `INFO`).
    pub execution_logging: Option<String>,
    /// Stage-wide throttling: steady requests per second, and burst.
    pub throttle_rate_limit: Option<f64>,
    pub throttle_burst_limit: Option<i32>,
    pub tags: Tags,
}

impl ApiStage {
    /// REST stages are `AWS::ApiGateway::Stage`; HTTP and WebSocket ones are API Gateway v2.
    pub fn is_rest(&self) -> bool {
        self.protocol == "rest"
    }

    /// The API's name, else its id, for messages.
    pub fn display_name(&self) -> &str {
        self.api_name.as_deref().unwrap_or(&self.api_id)
    }

    /// `REST`, `HTTP` or `WebSocket`, for messages.
    pub fn protocol_label(&self) -> &'static str {
        match self.protocol.as_str() {
            "rest" => "REST",
            "websocket" => "WebSocket",
            _ => "HTTP",
        }
    }

    /// Whether a stage-wide throttle is set (a zero limit blocks everything, still a limit).
    pub fn is_throttled(&self) -> bool {
        self.throttle_rate_limit.is_some() || self.throttle_burst_limit.is_some()
    }
}

/// An Elastic IP address (ec2:DescribeAddresses) and what it is associated with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ElasticIp {
    pub public_ip: String,
    pub allocation_id: Option<String>,
    /// None when the address is not associated with anything.
    pub association_id: Option<String>,
    /// `vpc` (or `standard`, EC2-Classic).
    pub domain: Option<String>,
    pub instance_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub network_interface_owner_id: Option<String>,
    /// The private address of the interface it maps to (the primary or a secondary one).
    pub private_ip: Option<String>,
    pub public_ipv4_pool: Option<String>,
    pub network_border_group: Option<String>,
    pub tags: Tags,
}

impl ElasticIp {
    pub fn is_associated(&self) -> bool {
        self.association_id.is_some()
            || self.network_interface_id.is_some()
            || self.instance_id.is_some()
    }
}

/// A VPC endpoint: gateway (S3, DynamoDB: a route to a prefix list), interface (an ENI per
/// subnet) or Gateway Load Balancer (an appliance hop that route tables point at).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VpcEndpoint {
    pub id: String,
    pub vpc_id: String,
    /// `Gateway`, `Interface`, `GatewayLoadBalancer`, `Resource` or `ServiceNetwork`.
    pub endpoint_type: Option<String>,
    pub service_name: Option<String>,
    pub state: Option<String>,
    /// Gateway endpoints: the route tables given a route to the service.
    pub route_table_ids: Vec<String>,
    /// Interface and GWLB endpoints: the subnets they are in.
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub network_interface_ids: Vec<String>,
    pub private_dns_enabled: Option<bool>,
    /// The endpoint policy (JSON text) when AWS returned one.
    pub policy_document: Option<String>,
    pub owner_id: Option<String>,
    pub tags: Tags,
}

/// An egress-only internet gateway: outbound-only IPv6 to the internet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EgressOnlyInternetGateway {
    pub id: String,
    pub attached_vpc_ids: Vec<String>,
    pub tags: Tags,
}

/// An Application, Network or Gateway Load Balancer (elbv2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    /// `application`, `network` or `gateway`.
    pub kind: Option<String>,
    /// `internet-facing` or `internal`; None for Gateway Load Balancers, which have none.
    pub scheme: Option<String>,
    pub vpc_id: Option<String>,
    pub state: Option<String>,
    pub dns_name: Option<String>,
    /// `ipv4`, `dualstack` or `dualstack-without-public-ipv4`.
    pub ip_address_type: Option<String>,
    /// Empty for a Network Load Balancer created without security groups (it then filters
    /// nothing: its targets' groups see the clients).
    pub security_group_ids: Vec<String>,
    pub zones: Vec<LoadBalancerZone>,
}

/// One Availability Zone of a load balancer: its subnet and, for NLBs, its addresses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LoadBalancerZone {
    pub zone_name: Option<String>,
    pub subnet_id: Option<String>,
    pub addresses: Vec<LoadBalancerAddress>,
}

/// An address of a Network Load Balancer in one zone (AWS lists none for ALBs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LoadBalancerAddress {
    pub ip_address: Option<String>,
    pub allocation_id: Option<String>,
    pub private_ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
}

/// A listener of an elbv2 load balancer: the port it accepts traffic on and where it sends it
/// by default. (Non-default listener rules are not read; a target group reached only through
/// one still names its load balancer in [`TargetGroup::load_balancer_arns`].)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Listener {
    pub arn: String,
    pub load_balancer_arn: String,
    /// None for Gateway Load Balancer listeners, which take every port and protocol.
    pub port: Option<u16>,
    pub protocol: Option<String>,
    pub default_actions: Vec<ListenerAction>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ListenerAction {
    /// `forward`, `redirect`, `fixed-response`, `authenticate-oidc`, `authenticate-cognito`.
    pub kind: String,
    /// The target groups it forwards to (one, or several weighted).
    pub target_group_arns: Vec<String>,
}

/// An elbv2 target group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: Option<String>,
    /// None for Lambda target groups.
    pub protocol: Option<String>,
    pub port: Option<u16>,
    pub vpc_id: Option<String>,
    /// Every load balancer that routes to it, through a default action or a listener rule.
    pub load_balancer_arns: Vec<String>,
    /// `traffic-port` or a port number.
    pub health_check_port: Option<String>,
    pub health_check_protocol: Option<String>,
    pub ip_address_type: Option<String>,
    /// The `preserve_client_ip.enabled` attribute, read for NLB target groups only (TCP, UDP,
    /// TLS, TCP_UDP): whether targets see the client's address (their security groups must
    /// admit the clients) or the load balancer's. None when not read or not reported;
    /// [`TargetGroup::client_ip_preserved`] falls back on AWS's default.
    pub preserve_client_ip: Option<bool>,
}

impl TargetGroup {
    /// Whether this is a Network Load Balancer target group (the protocols NLBs speak).
    pub fn is_network(&self) -> bool {
        matches!(
            self.protocol.as_deref(),
            Some("TCP" | "UDP" | "TLS" | "TCP_UDP")
        )
    }

    /// Whether the targets see the client's address: the attribute when it was read, else
    /// AWS's documented default (NLB: on for instance targets and for UDP/TCP_UDP, off for IP
    /// targets over TCP/TLS; ALB and GWLB: the client's address is not the source). None when
    /// the target type is unknown.
    pub fn client_ip_preserved(&self) -> Option<bool> {
        if let Some(preserved) = self.preserve_client_ip {
            return Some(preserved);
        }
        if !self.is_network() {
            return Some(false);
        }
        match self.target_type.as_deref()? {
            "instance" => Some(true),
            "ip" => Some(matches!(self.protocol.as_deref(), Some("UDP" | "TCP_UDP"))),
            _ => None,
        }
    }
}

/// A target registered with a target group, with its health.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Target {
    pub target_group_arn: String,
    /// An instance id, an IP address, a Lambda function ARN or an ALB ARN.
    pub id: String,
    pub port: Option<u16>,
    /// `all` for an IP target outside the VPC.
    pub availability_zone: Option<String>,
    /// `healthy`, `unhealthy`, `initial`, `unused`, `draining`, `unavailable`.
    pub health: Option<String>,
    pub health_reason: Option<String>,
}

/// A Classic Load Balancer (elb): listeners forward straight to registered instances.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClassicLoadBalancer {
    pub name: String,
    pub dns_name: Option<String>,
    /// `internet-facing` or `internal`.
    pub scheme: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
    pub availability_zones: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub listeners: Vec<ClassicListener>,
    pub instance_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClassicListener {
    pub protocol: String,
    pub port: Option<u16>,
    pub instance_protocol: Option<String>,
    pub instance_port: Option<u16>,
}

/// An ECS service: where its tasks are placed and how they are reached, known even when no
/// task runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EcsService {
    pub arn: String,
    pub name: String,
    pub cluster_arn: String,
    /// `FARGATE`, `EC2`, `EXTERNAL`; None when a capacity provider strategy decides.
    pub launch_type: Option<String>,
    pub status: Option<String>,
    pub desired_count: i32,
    pub running_count: i32,
    pub task_definition: Option<String>,
    /// The awsvpc network configuration; None for bridge/host networking.
    pub network: Option<EcsNetwork>,
    /// The target groups (or Classic Load Balancers) that send traffic to its tasks.
    pub load_balancers: Vec<EcsLoadBalancer>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EcsNetwork {
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    /// `assignPublicIp`: whether each task gets a public IPv4 address (None: not said, which
    /// AWS treats as DISABLED).
    pub assign_public_ip: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EcsLoadBalancer {
    pub target_group_arn: Option<String>,
    pub load_balancer_name: Option<String>,
    pub container_name: Option<String>,
    pub container_port: Option<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(target_type: &str, protocol: &str, attribute: Option<bool>) -> TargetGroup {
        TargetGroup {
            target_type: Some(target_type.to_owned()),
            protocol: Some(protocol.to_owned()),
            preserve_client_ip: attribute,
            ..TargetGroup::default()
        }
    }

    #[test]
    fn client_ip_preservation_is_the_attribute_else_the_aws_default() {
        assert_eq!(
            group("ip", "TCP", Some(true)).client_ip_preserved(),
            Some(true)
        );
        assert_eq!(
            group("instance", "TCP", Some(false)).client_ip_preserved(),
            Some(false)
        );
        assert_eq!(
            group("instance", "TCP", None).client_ip_preserved(),
            Some(true)
        );
        assert_eq!(group("ip", "TLS", None).client_ip_preserved(), Some(false));
        assert_eq!(group("ip", "UDP", None).client_ip_preserved(), Some(true));
        assert_eq!(
            group("instance", "HTTP", None).client_ip_preserved(),
            Some(false)
        );
        assert_eq!(group("alb", "TCP", None).client_ip_preserved(), None);
    }

    #[test]
    fn new_types_reject_unknown_fields_and_default_what_is_absent() {
        let eip: ElasticIp = serde_json::from_str(r#"{"public_ip": "203.0.113.7"}"#).expect("eip");
        assert!(!eip.is_associated());
        assert!(serde_json::from_str::<ElasticIp>(r#"{"public_ip": "x", "typo": 1}"#).is_err());
        // An Elastic IP on a secondary address (moto cannot map one): kept per address.
        let eni: NetworkInterface = serde_json::from_str(
            r#"{"id": "eni-1", "private_ips": [
                {"address": "10.0.1.10", "primary": true},
                {"address": "10.0.1.11", "primary": false, "public_ip": "203.0.113.8",
                 "allocation_id": "eipalloc-2"}]}"#,
        )
        .expect("eni");
        assert_eq!(eni.source_dest_check, None, "unknown, not false");
        assert_eq!(eni.private_ips[1].public_ip.as_deref(), Some("203.0.113.8"));
        let scope: RegionInventory = serde_json::from_str(r#"{"account": "1", "region": "r"}"#)
            .expect("a scope without the newer lists");
        assert!(scope.load_balancers.is_empty() && scope.ecs_services.is_empty());
    }
}
