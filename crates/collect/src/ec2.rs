//! EC2 networking: VPCs, subnets, routes, gateways, ACLs, security groups, ENIs, instances,
//! flow logs, Elastic IPs, VPC endpoints, egress-only internet gateways. Thirteen Describe
//! calls (all paginated but DescribeAddresses, which AWS answers whole), run concurrently
//! within the service's bound.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types as sdk;
use ipnet::{Ipv4Net, Ipv6Net};

use super::{ApiError, Reader, Recorder, tags};
use vpcaudit_core::model::{
    EgressOnlyInternetGateway, ElasticIp, FlowLog, Instance, InternetGateway, NatGateway,
    NetworkAcl, NetworkAclEntry, NetworkInterface, NetworkInterfaceAttachment, PortRange,
    PrivateIp, Protocol, RegionInventory, Route, RouteDestination, RouteState, RouteTable,
    RouteTableAssociation, RouteTarget, SecurityGroup, SecurityGroupPeer, SecurityGroupRule,
    Subnet, Vpc, VpcEndpoint,
};
use vpcaudit_core::snapshot::Dataset;

type Read<T> = Result<Vec<T>, ApiError>;

/// A resource converted from AWS's answer, with what in it could not be converted (each a
/// sentence naming the part and why). What is dropped is said, never silently lost.
#[derive(Debug)]
pub(super) struct Converted<T> {
    pub(super) item: T,
    pub(super) unconvertible: Vec<String>,
}

pub(super) struct Network {
    vpcs: Read<Converted<Vpc>>,
    subnets: Read<Converted<Subnet>>,
    route_tables: Read<Converted<RouteTable>>,
    internet_gateways: Read<InternetGateway>,
    nat_gateways: Read<NatGateway>,
    network_acls: Read<Converted<NetworkAcl>>,
    security_groups: Read<Converted<SecurityGroup>>,
    network_interfaces: Read<NetworkInterface>,
    instances: Read<Instance>,
    flow_logs: Read<FlowLog>,
    elastic_ips: Read<ElasticIp>,
    vpc_endpoints: Read<VpcEndpoint>,
    egress_only_internet_gateways: Read<EgressOnlyInternetGateway>,
}

/// Largest page EC2 accepts for most Describe calls: fewer round trips, gentler on throttling.
const PAGE: i32 = 1000;
/// DescribeRouteTables caps pages at 100.
const ROUTE_TABLE_PAGE: i32 = 100;
/// DescribeEgressOnlyInternetGateways caps pages at 255.
const EGRESS_ONLY_PAGE: i32 = 255;

pub(super) async fn read(client: &Client, reader: &Reader<'_>) -> Network {
    // All ten at once: the reader admits as many as the service's bound allows, in this
    // order (its semaphore is fair), so the largest datasets, which take longest, start first.
    let (
        security_groups,
        network_interfaces,
        instances,
        route_tables,
        subnets,
        network_acls,
        vpcs,
        nat_gateways,
        internet_gateways,
        flow_logs,
        vpc_endpoints,
        elastic_ips,
        egress_only_internet_gateways,
    ) = futures::join!(
        reader.read(Dataset::SecurityGroups, || async {
            read_all!(
                reader.region(),
                client.describe_security_groups().max_results(PAGE),
                security_groups,
                next_token => set_next_token,
                security_group
            )
        }),
        reader.read(Dataset::NetworkInterfaces, || async {
            read_all!(
                reader.region(),
                client.describe_network_interfaces().max_results(PAGE),
                network_interfaces,
                next_token => set_next_token,
                network_interface
            )
        }),
        reader.read(Dataset::Instances, || async {
            let reservations: Read<Vec<Instance>> = read_all!(
                reader.region(),
                client.describe_instances().max_results(PAGE),
                reservations,
                next_token => set_next_token,
                |r: &sdk::Reservation| r.instances().iter().map(instance).collect::<Vec<_>>()
            );
            reservations.map(|r| r.into_iter().flatten().collect())
        }),
        reader.read(Dataset::RouteTables, || async {
            read_all!(
                reader.region(),
                client.describe_route_tables().max_results(ROUTE_TABLE_PAGE),
                route_tables,
                next_token => set_next_token,
                route_table
            )
        }),
        reader.read(Dataset::Subnets, || async {
            read_all!(
                reader.region(),
                client.describe_subnets().max_results(PAGE),
                subnets,
                next_token => set_next_token,
                subnet
            )
        }),
        reader.read(Dataset::NetworkAcls, || async {
            read_all!(
                reader.region(),
                client.describe_network_acls().max_results(PAGE),
                network_acls,
                next_token => set_next_token,
                network_acl
            )
        }),
        reader.read(Dataset::Vpcs, || async {
            read_all!(
                reader.region(),
                client.describe_vpcs().max_results(PAGE),
                vpcs,
                next_token => set_next_token,
                vpc
            )
        }),
        reader.read(Dataset::NatGateways, || async {
            read_all!(
                reader.region(),
                client.describe_nat_gateways().max_results(PAGE),
                nat_gateways,
                next_token => set_next_token,
                nat_gateway
            )
        }),
        reader.read(Dataset::InternetGateways, || async {
            read_all!(
                reader.region(),
                client.describe_internet_gateways().max_results(PAGE),
                internet_gateways,
                next_token => set_next_token,
                internet_gateway
            )
        }),
        reader.read(Dataset::FlowLogs, || async {
            read_all!(
                reader.region(),
                client.describe_flow_logs().max_results(PAGE),
                flow_logs,
                next_token => set_next_token,
                flow_log
            )
        }),
        reader.read(Dataset::VpcEndpoints, || async {
            read_all!(
                reader.region(),
                client.describe_vpc_endpoints().max_results(PAGE),
                vpc_endpoints,
                next_token => set_next_token,
                vpc_endpoint
            )
        }),
        reader.read(Dataset::ElasticIps, || async {
            // Not paginated: AWS returns every address of the region in one answer.
            let out = client
                .describe_addresses()
                .customize()
                .config_override(reader.region())
                .send()
                .await
                .map_err(|e| ApiError::from_sdk(&e))?;
            Ok::<Vec<ElasticIp>, ApiError>(out.addresses().iter().map(elastic_ip).collect())
        }),
        reader.read(Dataset::EgressOnlyInternetGateways, || async {
            read_all!(
                reader.region(),
                client
                    .describe_egress_only_internet_gateways()
                    .max_results(EGRESS_ONLY_PAGE),
                    egress_only_internet_gateways,
                    next_token => set_next_token,
                egress_only_internet_gateway
            )
        }),
    );
    Network {
        vpcs,
        subnets,
        route_tables,
        internet_gateways,
        nat_gateways,
        network_acls,
        security_groups,
        network_interfaces,
        instances,
        flow_logs,
        elastic_ips,
        vpc_endpoints,
        egress_only_internet_gateways,
    }
}

impl Network {
    pub(super) fn store(self, inventory: &mut RegionInventory, recorder: &mut Recorder<'_>) {
        inventory.vpcs = recorder.take_converted(Dataset::Vpcs, self.vpcs);
        inventory.subnets = recorder.take_converted(Dataset::Subnets, self.subnets);
        inventory.route_tables = recorder.take_converted(Dataset::RouteTables, self.route_tables);
        inventory.internet_gateways =
            recorder.take(Dataset::InternetGateways, self.internet_gateways);
        inventory.nat_gateways = recorder.take(Dataset::NatGateways, self.nat_gateways);
        inventory.network_acls = recorder.take_converted(Dataset::NetworkAcls, self.network_acls);
        inventory.security_groups =
            recorder.take_converted(Dataset::SecurityGroups, self.security_groups);
        inventory.network_interfaces =
            recorder.take(Dataset::NetworkInterfaces, self.network_interfaces);
        inventory.instances = recorder.take(Dataset::Instances, self.instances);
        inventory.flow_logs = recorder.take(Dataset::FlowLogs, self.flow_logs);
        inventory.elastic_ips = recorder.take(Dataset::ElasticIps, self.elastic_ips);
        inventory.vpc_endpoints = recorder.take(Dataset::VpcEndpoints, self.vpc_endpoints);
        inventory.egress_only_internet_gateways = recorder.take(
            Dataset::EgressOnlyInternetGateways,
            self.egress_only_internet_gateways,
        );
        inventory.elastic_ips.sort_by(|a, b| {
            (&a.allocation_id, &a.public_ip).cmp(&(&b.allocation_id, &b.public_ip))
        });
        inventory.vpc_endpoints.sort_by(|a, b| a.id.cmp(&b.id));
        inventory
            .egress_only_internet_gateways
            .sort_by(|a, b| a.id.cmp(&b.id));
    }
}

fn ec2_tags(list: &[sdk::Tag]) -> vpcaudit_core::model::Tags {
    tags(list.iter().map(|t| (t.key(), t.value())))
}

fn owned(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

/// A CIDR AWS returned, or None when there is none; one that does not parse is noted
/// (`what` names where it was), never silently taken for "no CIDR".
fn noted_cidr<T: std::str::FromStr>(
    text: Option<&str>,
    family: &str,
    what: &dyn Fn() -> String,
    notes: &mut Vec<String>,
) -> Option<T> {
    let text = text?;
    match text.parse() {
        Ok(cidr) => Some(cidr),
        Err(_) => {
            notes.push(format!("{}: `{text}` is not an {family} CIDR", what()));
            None
        }
    }
}

fn vpc(v: &sdk::Vpc) -> Converted<Vpc> {
    let mut notes = Vec::new();
    let what = || format!("VPC {} CIDR block", owned(v.vpc_id()));
    let mut cidr_blocks: Vec<Ipv4Net> = v
        .cidr_block_association_set()
        .iter()
        .filter(|a| {
            a.cidr_block_state()
                .and_then(|s| s.state())
                .is_none_or(|s| s.as_str() == "associated")
        })
        .filter_map(|a| noted_cidr(a.cidr_block(), "IPv4", &what, &mut notes))
        .collect();
    if cidr_blocks.is_empty() && notes.is_empty() {
        cidr_blocks.extend(noted_cidr::<Ipv4Net>(
            v.cidr_block(),
            "IPv4",
            &what,
            &mut notes,
        ));
    }
    let ipv6_cidr_blocks = v
        .ipv6_cidr_block_association_set()
        .iter()
        .filter_map(|a| noted_cidr(a.ipv6_cidr_block(), "IPv6", &what, &mut notes))
        .collect();
    Converted {
        item: Vpc {
            id: owned(v.vpc_id()),
            cidr_blocks,
            ipv6_cidr_blocks,
            is_default: v.is_default().unwrap_or(false),
            state: v.state().map(|s| s.as_str().to_owned()),
            owner_id: v.owner_id().map(str::to_owned),
            tags: ec2_tags(v.tags()),
        },
        unconvertible: notes,
    }
}

fn subnet(s: &sdk::Subnet) -> Converted<Subnet> {
    let mut notes = Vec::new();
    let what = || format!("subnet {} CIDR block", owned(s.subnet_id()));
    let cidr_block = noted_cidr(s.cidr_block(), "IPv4", &what, &mut notes);
    let ipv6_cidr_blocks = s
        .ipv6_cidr_block_association_set()
        .iter()
        .filter_map(|a| noted_cidr(a.ipv6_cidr_block(), "IPv6", &what, &mut notes))
        .collect();
    Converted {
        item: Subnet {
            id: owned(s.subnet_id()),
            vpc_id: owned(s.vpc_id()),
            availability_zone: owned(s.availability_zone()),
            availability_zone_id: s.availability_zone_id().map(str::to_owned),
            cidr_block,
            ipv6_cidr_blocks,
            map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
            arn: s.subnet_arn().map(str::to_owned),
            owner_id: s.owner_id().map(str::to_owned),
            assign_ipv6_address_on_creation: s.assign_ipv6_address_on_creation(),
            tags: ec2_tags(s.tags()),
        },
        unconvertible: notes,
    }
}

fn route_table(t: &sdk::RouteTable) -> Converted<RouteTable> {
    let mut routes = Vec::new();
    let mut unconvertible = Vec::new();
    for r in t.routes() {
        match route(r) {
            Ok(route) => routes.push(route),
            Err(why) => {
                unconvertible.push(format!("route table {}: {why}", owned(t.route_table_id())))
            }
        }
    }
    let item = RouteTable {
        id: owned(t.route_table_id()),
        vpc_id: owned(t.vpc_id()),
        routes,
        associations: t
            .associations()
            .iter()
            .map(|a| RouteTableAssociation {
                id: a.route_table_association_id().map(str::to_owned),
                main: a.main().unwrap_or(false),
                subnet_id: a.subnet_id().map(str::to_owned),
                gateway_id: a.gateway_id().map(str::to_owned),
            })
            .collect(),
        tags: ec2_tags(t.tags()),
    };
    Converted {
        item,
        unconvertible,
    }
}

/// A route, or why it cannot be one: a destination that is not a CIDR (or no destination)
/// would otherwise vanish from the table and change which traffic goes where.
fn route(r: &sdk::Route) -> Result<Route, String> {
    let target = route_target(r);
    let destination = if let Some(text) = r.destination_cidr_block() {
        RouteDestination::Ipv4(text.parse().map_err(|e| {
            format!("route to {target}: destination `{text}` is not an IPv4 CIDR ({e})")
        })?)
    } else if let Some(text) = r.destination_ipv6_cidr_block() {
        RouteDestination::Ipv6(text.parse().map_err(|e| {
            format!("route to {target}: destination `{text}` is not an IPv6 CIDR ({e})")
        })?)
    } else if let Some(list) = r.destination_prefix_list_id() {
        RouteDestination::PrefixList(list.to_owned())
    } else {
        return Err(format!("route to {target} has no destination"));
    };
    Ok(Route {
        destination,
        target: route_target(r),
        state: match r.state() {
            Some(sdk::RouteState::Blackhole) => RouteState::Blackhole,
            _ => RouteState::Active,
        },
        origin: r.origin().map(|o| o.as_str().to_owned()),
    })
}

fn route_target(r: &sdk::Route) -> RouteTarget {
    let id = |s: &str| s.to_owned();
    if let Some(gateway) = r.gateway_id() {
        return match gateway {
            "local" => RouteTarget::Local,
            g if g.starts_with("igw-") => RouteTarget::InternetGateway(id(g)),
            g if g.starts_with("vgw-") => RouteTarget::VpnGateway(id(g)),
            g if g.starts_with("vpce-") => RouteTarget::VpcEndpoint(id(g)),
            g if g.starts_with("eigw-") => RouteTarget::EgressOnlyInternetGateway(id(g)),
            g => RouteTarget::Other(id(g)),
        };
    }
    if let Some(v) = r.nat_gateway_id() {
        RouteTarget::NatGateway(id(v))
    } else if let Some(v) = r.egress_only_internet_gateway_id() {
        RouteTarget::EgressOnlyInternetGateway(id(v))
    } else if let Some(v) = r.transit_gateway_id() {
        RouteTarget::TransitGateway(id(v))
    } else if let Some(v) = r.vpc_peering_connection_id() {
        RouteTarget::VpcPeeringConnection(id(v))
    } else if let Some(v) = r.instance_id() {
        RouteTarget::Instance(id(v))
    } else if let Some(v) = r.network_interface_id() {
        RouteTarget::NetworkInterface(id(v))
    } else if let Some(v) = r.carrier_gateway_id() {
        RouteTarget::CarrierGateway(id(v))
    } else if let Some(v) = r.local_gateway_id() {
        RouteTarget::LocalGateway(id(v))
    } else if let Some(v) = r.core_network_arn() {
        RouteTarget::CoreNetwork(id(v))
    } else {
        RouteTarget::Other("unknown".to_owned())
    }
}

fn internet_gateway(g: &sdk::InternetGateway) -> InternetGateway {
    InternetGateway {
        id: owned(g.internet_gateway_id()),
        attached_vpc_ids: g
            .attachments()
            .iter()
            .filter_map(|a| a.vpc_id().map(str::to_owned))
            .collect(),
        tags: ec2_tags(g.tags()),
    }
}

fn nat_gateway(n: &sdk::NatGateway) -> NatGateway {
    NatGateway {
        id: owned(n.nat_gateway_id()),
        vpc_id: owned(n.vpc_id()),
        subnet_id: owned(n.subnet_id()),
        state: n.state().map(|s| s.as_str().to_owned()),
        connectivity_type: n.connectivity_type().map(|c| c.as_str().to_owned()),
        public_ips: n
            .nat_gateway_addresses()
            .iter()
            .filter_map(|a| a.public_ip().map(str::to_owned))
            .collect(),
        network_interface_ids: n
            .nat_gateway_addresses()
            .iter()
            .filter_map(|a| a.network_interface_id().map(str::to_owned))
            .collect(),
        tags: ec2_tags(n.tags()),
    }
}

fn network_acl(a: &sdk::NetworkAcl) -> Converted<NetworkAcl> {
    let mut notes = Vec::new();
    let mut entries = Vec::new();
    for e in a.entries() {
        match network_acl_entry(e) {
            Ok(entry) => entries.push(entry),
            Err(why) => notes.push(format!("network ACL {}: {why}", owned(a.network_acl_id()))),
        }
    }
    Converted {
        item: NetworkAcl {
            id: owned(a.network_acl_id()),
            vpc_id: owned(a.vpc_id()),
            is_default: a.is_default().unwrap_or(false),
            entries,
            subnet_ids: a
                .associations()
                .iter()
                .filter_map(|x| x.subnet_id().map(str::to_owned))
                .collect(),
            tags: ec2_tags(a.tags()),
        },
        unconvertible: notes,
    }
}

/// An ACL entry, or why it cannot be one. Entries are evaluated in order and the first match
/// decides, so an entry left out (an allow or a deny) would change what the ACL admits.
fn network_acl_entry(e: &sdk::NetworkAclEntry) -> Result<NetworkAclEntry, String> {
    let direction = if e.egress().unwrap_or(false) {
        "outbound"
    } else {
        "inbound"
    };
    let number = e
        .rule_number()
        .ok_or_else(|| format!("an {direction} entry without a rule number"))?;
    let what = || format!("{direction} entry {number}");
    let action = e
        .rule_action()
        .map(|r| r.as_str().to_owned())
        .filter(|r| r == "allow" || r == "deny")
        .ok_or_else(|| format!("{}: no allow/deny action", what()))?;
    let mut notes = Vec::new();
    let cidr_block = noted_cidr(e.cidr_block(), "IPv4", &what, &mut notes);
    let ipv6_cidr_block = noted_cidr(e.ipv6_cidr_block(), "IPv6", &what, &mut notes);
    if let Some(note) = notes.into_iter().next() {
        return Err(note);
    }
    if cidr_block.is_none() && ipv6_cidr_block.is_none() {
        return Err(format!("{}: no CIDR block", what()));
    }
    Ok(NetworkAclEntry {
        rule_number: number,
        egress: e.egress().unwrap_or(false),
        action,
        protocol: Protocol(owned(e.protocol())),
        cidr_block,
        ipv6_cidr_block,
        port_range: e.port_range().and_then(|p| {
            Some(PortRange {
                from: p.from()?,
                to: p.to()?,
            })
        }),
    })
}

fn security_group(g: &sdk::SecurityGroup) -> Converted<SecurityGroup> {
    let mut unconvertible = Vec::new();
    let mut rules = |permissions: &[sdk::IpPermission], direction: &str| {
        let mut rules = Vec::new();
        for permission in permissions {
            let (converted, problems) = permission_rules(permission);
            rules.extend(converted);
            unconvertible.extend(problems.into_iter().map(|why| {
                format!(
                    "security group {} {direction} rule: {why}",
                    owned(g.group_id())
                )
            }));
        }
        rules
    };
    let ingress = rules(g.ip_permissions(), "ingress");
    let egress = rules(g.ip_permissions_egress(), "egress");
    Converted {
        item: SecurityGroup {
            id: owned(g.group_id()),
            name: owned(g.group_name()),
            description: g.description().map(str::to_owned),
            vpc_id: g.vpc_id().map(str::to_owned),
            owner_id: g.owner_id().map(str::to_owned),
            ingress,
            egress,
            tags: ec2_tags(g.tags()),
        },
        unconvertible,
    }
}

/// Splits one permission into one rule per peer, so each finding can cite the exact peer;
/// peers that cannot be converted are returned as sentences saying why.
fn permission_rules(p: &sdk::IpPermission) -> (Vec<SecurityGroupRule>, Vec<String>) {
    let protocol = Protocol(p.ip_protocol().unwrap_or("-1").to_owned());
    let ports = if protocol.is_tcp() || protocol.is_udp() {
        match (p.from_port(), p.to_port()) {
            (Some(from), Some(to)) if from >= 0 && to >= 0 => Some(PortRange { from, to }),
            _ => None,
        }
    } else if protocol.is_all() {
        None
    } else {
        // ICMP and other protocols: keep type/code as given.
        match (p.from_port(), p.to_port()) {
            (Some(from), Some(to)) => Some(PortRange { from, to }),
            _ => None,
        }
    };
    let rule = |peer, description: Option<&str>| SecurityGroupRule {
        id: None,
        protocol: protocol.clone(),
        ports,
        peer,
        description: description.map(str::to_owned),
    };
    let mut rules = Vec::new();
    let mut unconvertible = Vec::new();
    let what = rule(SecurityGroupPeer::PrefixList(String::new()), None).describe_ports();
    for range in p.ip_ranges() {
        match range.cidr_ip().map(str::parse::<Ipv4Net>) {
            Some(Ok(net)) => rules.push(rule(SecurityGroupPeer::Ipv4(net), range.description())),
            Some(Err(e)) => unconvertible.push(format!(
                "{what} from `{}` is not an IPv4 CIDR ({e})",
                range.cidr_ip().unwrap_or_default()
            )),
            None => unconvertible.push(format!("{what}: an IPv4 range without a CIDR")),
        }
    }
    for range in p.ipv6_ranges() {
        match range.cidr_ipv6().map(str::parse::<Ipv6Net>) {
            Some(Ok(net)) => rules.push(rule(SecurityGroupPeer::Ipv6(net), range.description())),
            Some(Err(e)) => unconvertible.push(format!(
                "{what} from `{}` is not an IPv6 CIDR ({e})",
                range.cidr_ipv6().unwrap_or_default()
            )),
            None => unconvertible.push(format!("{what}: an IPv6 range without a CIDR")),
        }
    }
    for list in p.prefix_list_ids() {
        match list.prefix_list_id() {
            Some(id) => rules.push(rule(
                SecurityGroupPeer::PrefixList(id.to_owned()),
                list.description(),
            )),
            None => unconvertible.push(format!("{what}: a prefix list without an id")),
        }
    }
    for pair in p.user_id_group_pairs() {
        if pair.group_id().is_none() {
            unconvertible.push(format!("{what}: a security group peer without a group id"));
        }
        if let Some(group_id) = pair.group_id() {
            rules.push(rule(
                SecurityGroupPeer::SecurityGroup {
                    group_id: group_id.to_owned(),
                    user_id: pair.user_id().map(str::to_owned),
                    vpc_id: pair.vpc_id().map(str::to_owned),
                    peering_status: pair.peering_status().map(str::to_owned),
                },
                pair.description(),
            ));
        }
    }
    (rules, unconvertible)
}

fn network_interface(e: &sdk::NetworkInterface) -> NetworkInterface {
    NetworkInterface {
        id: owned(e.network_interface_id()),
        subnet_id: e.subnet_id().map(str::to_owned),
        vpc_id: e.vpc_id().map(str::to_owned),
        availability_zone: e.availability_zone().map(str::to_owned),
        interface_type: e.interface_type().map(|t| t.as_str().to_owned()),
        requester_id: e.requester_id().map(str::to_owned),
        requester_managed: e.requester_managed().unwrap_or(false),
        description: e.description().map(str::to_owned),
        security_group_ids: e
            .groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_owned))
            .collect(),
        private_ip: e.private_ip_address().map(str::to_owned),
        public_ip: e
            .association()
            .and_then(|a| a.public_ip())
            .map(str::to_owned),
        instance_id: e
            .attachment()
            .and_then(|a| a.instance_id())
            .map(str::to_owned),
        status: e.status().map(|s| s.as_str().to_owned()),
        private_ips: private_ips(e),
        ipv6_addresses: e
            .ipv6_addresses()
            .iter()
            .filter_map(|a| a.ipv6_address().map(str::to_owned))
            .collect(),
        source_dest_check: e.source_dest_check(),
        owner_id: e.owner_id().map(str::to_owned),
        attachment: e.attachment().map(|a| NetworkInterfaceAttachment {
            id: a.attachment_id().map(str::to_owned),
            instance_id: a.instance_id().map(str::to_owned),
            instance_owner_id: a.instance_owner_id().map(str::to_owned),
            device_index: a.device_index(),
            status: a.status().map(|s| s.as_str().to_owned()),
        }),
        tags: ec2_tags(e.tag_set()),
    }
}

/// Each private address with the public one mapped to it. The interface's own `Association`
/// is its primary address's: used for the primary when the per-address one is absent.
fn private_ips(e: &sdk::NetworkInterface) -> Vec<PrivateIp> {
    let mut ips: Vec<PrivateIp> = e
        .private_ip_addresses()
        .iter()
        .filter_map(|p| {
            Some(PrivateIp {
                address: p.private_ip_address()?.to_owned(),
                primary: p.primary().unwrap_or(false),
                public_ip: p
                    .association()
                    .and_then(|a| a.public_ip())
                    .map(str::to_owned),
                allocation_id: p
                    .association()
                    .and_then(|a| a.allocation_id())
                    .map(str::to_owned),
            })
        })
        .collect();
    if let Some(association) = e.association() {
        let primary = e.private_ip_address();
        if let Some(ip) = ips
            .iter_mut()
            .find(|ip| ip.primary || Some(ip.address.as_str()) == primary)
        {
            if ip.public_ip.is_none() {
                ip.public_ip = association.public_ip().map(str::to_owned);
                ip.allocation_id = association.allocation_id().map(str::to_owned);
            }
        }
    }
    ips
}

/// moto writes absent ids as empty strings: both mean "none".
fn present(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_owned)
}

fn elastic_ip(a: &sdk::Address) -> ElasticIp {
    ElasticIp {
        public_ip: owned(a.public_ip()),
        allocation_id: present(a.allocation_id()),
        association_id: present(a.association_id()),
        domain: a.domain().map(|d| d.as_str().to_owned()),
        instance_id: present(a.instance_id()),
        network_interface_id: present(a.network_interface_id()),
        network_interface_owner_id: present(a.network_interface_owner_id()),
        private_ip: present(a.private_ip_address()),
        public_ipv4_pool: present(a.public_ipv4_pool()),
        network_border_group: present(a.network_border_group()),
        tags: ec2_tags(a.tags()),
    }
}

fn vpc_endpoint(v: &sdk::VpcEndpoint) -> VpcEndpoint {
    VpcEndpoint {
        id: owned(v.vpc_endpoint_id()),
        vpc_id: owned(v.vpc_id()),
        endpoint_type: v.vpc_endpoint_type().map(|t| t.as_str().to_owned()),
        service_name: v.service_name().map(str::to_owned),
        state: v.state().map(|s| s.as_str().to_owned()),
        route_table_ids: v.route_table_ids().to_vec(),
        subnet_ids: v.subnet_ids().to_vec(),
        security_group_ids: v
            .groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_owned))
            .collect(),
        network_interface_ids: v.network_interface_ids().to_vec(),
        private_dns_enabled: v.private_dns_enabled(),
        policy_document: present(v.policy_document()),
        owner_id: v.owner_id().map(str::to_owned),
        tags: ec2_tags(v.tags()),
    }
}

fn egress_only_internet_gateway(g: &sdk::EgressOnlyInternetGateway) -> EgressOnlyInternetGateway {
    EgressOnlyInternetGateway {
        id: owned(g.egress_only_internet_gateway_id()),
        attached_vpc_ids: g
            .attachments()
            .iter()
            .filter_map(|a| a.vpc_id().map(str::to_owned))
            .collect(),
        tags: ec2_tags(g.tags()),
    }
}

fn instance(i: &sdk::Instance) -> Instance {
    Instance {
        id: owned(i.instance_id()),
        vpc_id: i.vpc_id().map(str::to_owned),
        subnet_id: i.subnet_id().map(str::to_owned),
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_owned()),
        instance_type: i.instance_type().map(|t| t.as_str().to_owned()),
        private_ip: i.private_ip_address().map(str::to_owned),
        public_ip: i.public_ip_address().map(str::to_owned),
        security_group_ids: i
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_owned))
            .collect(),
        tags: ec2_tags(i.tags()),
    }
}

fn flow_log(f: &sdk::FlowLog) -> FlowLog {
    FlowLog {
        id: owned(f.flow_log_id()),
        resource_id: owned(f.resource_id()),
        traffic_type: f.traffic_type().map(|t| t.as_str().to_owned()),
        status: f.flow_log_status().map(str::to_owned),
        destination_type: f.log_destination_type().map(|t| t.as_str().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    //! moto ignores page sizes, so paging is proven here against EC2's wire format, answered
    //! in process (`Ec2Pages`). Not `aws-smithy-mocks`: it turns on the SDK's `test-util`
    //! features, and a test build whose SDK features differ from the binary's builds the whole
    //! SDK a second time in every cold CI run.

    use std::sync::{Arc, Mutex};

    use crate::clients::InRegion;
    use aws_sdk_ec2::Client;
    use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
        SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::retry::RetryConfig;

    use super::*;
    use proptest::prelude::*;

    /// Answers a request's form body with an HTTP status and an EC2 XML body.
    type Answer = dyn Fn(&str) -> (u16, String) + Send + Sync;

    /// An EC2 endpoint in process: each request's form body (`Action=…&NextToken=…`) is
    /// recorded and answered by `answer`.
    #[derive(Clone)]
    struct Ec2Pages {
        answer: Arc<Answer>,
        requests: Arc<Mutex<Vec<String>>>,
    }

    impl std::fmt::Debug for Ec2Pages {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Ec2Pages")
        }
    }

    impl HttpConnector for Ec2Pages {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let form = String::from_utf8_lossy(request.body().bytes().unwrap_or_default());
            self.requests.lock().unwrap().push(form.to_string());
            let (status, xml) = (self.answer)(&form);
            let response = HttpResponse::new(status.try_into().unwrap(), SdkBody::from(xml));
            HttpConnectorFuture::ready(Ok(response))
        }
    }

    impl HttpClient for Ec2Pages {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    impl Ec2Pages {
        fn new(answer: impl Fn(&str) -> (u16, String) + Send + Sync + 'static) -> Self {
            Ec2Pages {
                answer: Arc::new(answer),
                requests: Arc::default(),
            }
        }

        fn client(&self) -> Client {
            let config = aws_sdk_ec2::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("eu-west-1"))
                .credentials_provider(Credentials::new("AKIDTEST", "test", None, None, "test"))
                .retry_config(RetryConfig::disabled())
                .http_client(SharedHttpClient::new(self.clone()))
                .build();
            Client::from_conf(config)
        }

        /// The form bodies of the requests whose `Action` is `action`.
        fn requests(&self, action: &str) -> Vec<String> {
            let prefix = format!("Action={action}&");
            let requests = self.requests.lock().unwrap();
            requests
                .iter()
                .filter(|r| r.starts_with(&prefix))
                .cloned()
                .collect()
        }
    }

    /// The value of `key` in a form body.
    fn form_value<'a>(form: &'a str, key: &str) -> Option<&'a str> {
        form.split('&')
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
    }

    fn ec2_response(action: &str, inner: &str) -> (u16, String) {
        let xml = format!(
            r#"<{action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId>{inner}</{action}Response>"#
        );
        (200, xml)
    }

    fn next_token(token: Option<&str>) -> String {
        token.map_or_else(String::new, |t| format!("<nextToken>{t}</nextToken>"))
    }

    /// An Elastic IP on a secondary private address (moto maps it to the primary, so this is
    /// proven on the SDK type): each address keeps its own public address, and the interface's
    /// own association stays the primary's.
    #[test]
    fn an_elastic_ip_on_a_secondary_address_stays_on_that_address() {
        let association = |ip: &str, allocation: &str| {
            sdk::NetworkInterfaceAssociation::builder()
                .public_ip(ip)
                .allocation_id(allocation)
                .build()
        };
        let eni = sdk::NetworkInterface::builder()
            .network_interface_id("eni-1")
            .private_ip_address("10.0.0.10")
            .association(association("203.0.113.10", "eipalloc-primary"))
            .private_ip_addresses(
                sdk::NetworkInterfacePrivateIpAddress::builder()
                    .private_ip_address("10.0.0.10")
                    .primary(true)
                    .build(),
            )
            .private_ip_addresses(
                sdk::NetworkInterfacePrivateIpAddress::builder()
                    .private_ip_address("10.0.0.11")
                    .primary(false)
                    .association(association("198.51.100.7", "eipalloc-secondary"))
                    .build(),
            )
            .source_dest_check(false)
            .build();
        let converted = network_interface(&eni);
        let by_address: Vec<(&str, Option<&str>, Option<&str>)> = converted
            .private_ips
            .iter()
            .map(|ip| {
                (
                    ip.address.as_str(),
                    ip.public_ip.as_deref(),
                    ip.allocation_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            by_address,
            [
                ("10.0.0.10", Some("203.0.113.10"), Some("eipalloc-primary")),
                (
                    "10.0.0.11",
                    Some("198.51.100.7"),
                    Some("eipalloc-secondary")
                ),
            ]
        );
        assert_eq!(converted.public_ip.as_deref(), Some("203.0.113.10"));
        assert_eq!(converted.source_dest_check, Some(false));
    }

    #[test]
    fn a_route_whose_destination_is_not_a_cidr_is_reported_not_dropped() {
        let table = sdk::RouteTable::builder()
            .route_table_id("rtb-1")
            .routes(
                sdk::Route::builder()
                    .destination_cidr_block("10.0.0.0/16")
                    .gateway_id("local")
                    .build(),
            )
            .routes(
                sdk::Route::builder()
                    .destination_cidr_block("0.0.0.0/0x")
                    .gateway_id("igw-1")
                    .build(),
            )
            .routes(sdk::Route::builder().gateway_id("igw-2").build())
            .build();
        let converted = route_table(&table);
        assert_eq!(converted.item.routes.len(), 1, "the good route is kept");
        assert_eq!(
            converted.unconvertible.len(),
            2,
            "{:?}",
            converted.unconvertible
        );
        assert!(converted.unconvertible[0].contains("rtb-1"));
        assert!(converted.unconvertible[0].contains("`0.0.0.0/0x`"));
        assert!(converted.unconvertible[1].contains("no destination"));
    }

    #[test]
    fn cidrs_that_do_not_parse_are_noted_in_vpcs_subnets_and_acls() {
        let vpc = vpc(&sdk::Vpc::builder()
            .vpc_id("vpc-1")
            .cidr_block("10.0.0.0/16")
            .cidr_block_association_set(
                sdk::VpcCidrBlockAssociation::builder()
                    .cidr_block("10.0.0.0/33")
                    .build(),
            )
            .build());
        assert_eq!(vpc.unconvertible.len(), 1, "{:?}", vpc.unconvertible);
        assert!(vpc.unconvertible[0].contains("vpc-1"));
        assert!(vpc.unconvertible[0].contains("`10.0.0.0/33`"));
        assert!(
            vpc.item.cidr_blocks.is_empty(),
            "never a guess from the other field"
        );

        let subnet = subnet(
            &sdk::Subnet::builder()
                .subnet_id("subnet-1")
                .cidr_block("10.0.0.«0»/24")
                .build(),
        );
        assert_eq!(subnet.item.cidr_block, None);
        assert!(subnet.unconvertible[0].contains("subnet-1"));

        let entry = |number: i32, cidr: Option<&str>| {
            let mut e = sdk::NetworkAclEntry::builder()
                .rule_number(number)
                .rule_action(sdk::RuleAction::Deny)
                .protocol("-1")
                .egress(false);
            if let Some(cidr) = cidr {
                e = e.cidr_block(cidr);
            }
            e.build()
        };
        let acl = network_acl(
            &sdk::NetworkAcl::builder()
                .network_acl_id("acl-1")
                .entries(entry(100, Some("203.0.113.0/24")))
                .entries(entry(110, Some("203.0.113.0/99")))
                .entries(entry(120, None))
                .build(),
        );
        assert_eq!(acl.item.entries.len(), 1, "the good entry is kept");
        assert_eq!(acl.unconvertible.len(), 2, "{:?}", acl.unconvertible);
        assert!(acl.unconvertible[0].contains("acl-1: inbound entry 110"));
        assert!(acl.unconvertible[1].contains("entry 120: no CIDR block"));
    }

    #[test]
    fn well_formed_vpcs_subnets_and_acls_convert_without_notes() {
        let vpc = vpc(&sdk::Vpc::builder()
            .vpc_id("vpc-1")
            .cidr_block("10.0.0.0/16")
            .build());
        assert!(vpc.unconvertible.is_empty());
        assert_eq!(vpc.item.cidr_blocks.len(), 1);
        let subnet = subnet(
            &sdk::Subnet::builder()
                .subnet_id("subnet-1")
                .cidr_block("10.0.0.0/24")
                .build(),
        );
        assert!(subnet.unconvertible.is_empty());
        let acl = network_acl(
            &sdk::NetworkAcl::builder()
                .network_acl_id("acl-1")
                .entries(
                    sdk::NetworkAclEntry::builder()
                        .rule_number(32767)
                        .rule_action(sdk::RuleAction::Deny)
                        .protocol("-1")
                        .ipv6_cidr_block("::/0")
                        .build(),
                )
                .build(),
        );
        assert!(acl.unconvertible.is_empty(), "{:?}", acl.unconvertible);
    }

    #[test]
    fn a_well_formed_route_table_converts_without_notes() {
        let table = sdk::RouteTable::builder()
            .route_table_id("rtb-1")
            .routes(
                sdk::Route::builder()
                    .destination_ipv6_cidr_block("::/0")
                    .gateway_id("igw-1")
                    .build(),
            )
            .routes(
                sdk::Route::builder()
                    .destination_prefix_list_id("pl-1")
                    .gateway_id("vpce-1")
                    .build(),
            )
            .build();
        let converted = route_table(&table);
        assert_eq!(converted.item.routes.len(), 2);
        assert!(converted.unconvertible.is_empty());
    }

    #[test]
    fn a_security_group_rule_whose_cidr_is_not_a_cidr_is_reported_not_dropped() {
        let permission = sdk::IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(sdk::IpRange::builder().cidr_ip("0.0.0.0/O").build())
            .ip_ranges(sdk::IpRange::builder().cidr_ip("10.0.0.0/8").build())
            .ipv6_ranges(sdk::Ipv6Range::builder().cidr_ipv6("::/0/0").build())
            .user_id_group_pairs(sdk::UserIdGroupPair::builder().build())
            .build();
        let group = sdk::SecurityGroup::builder()
            .group_id("sg-1")
            .ip_permissions(permission)
            .build();
        let converted = security_group(&group);
        assert_eq!(converted.item.ingress.len(), 1, "the good peer is kept");
        assert_eq!(
            converted.unconvertible.len(),
            3,
            "{:?}",
            converted.unconvertible
        );
        assert!(
            converted.unconvertible[0].contains("sg-1 ingress rule: all traffic from `0.0.0.0/O`")
        );
    }

    proptest! {
        /// Whatever AWS puts in a CIDR field, the rule or route is either converted or
        /// reported: never silently dropped, never a panic.
        #[test]
        fn every_peer_and_route_is_kept_or_reported(
            cidr in "\\PC{0,24}|[0-9./:a-f]{0,24}",
            protocol in "-1|tcp|udp|icmp|6|\\PC{0,4}",
            from in any::<i32>(),
            to in any::<i32>(),
        ) {
            let permission = sdk::IpPermission::builder()
                .ip_protocol(protocol)
                .from_port(from)
                .to_port(to)
                .ip_ranges(sdk::IpRange::builder().cidr_ip(cidr.clone()).build())
                .ipv6_ranges(sdk::Ipv6Range::builder().cidr_ipv6(cidr.clone()).build())
                .build();
            let (rules, problems) = permission_rules(&permission);
            prop_assert_eq!(rules.len() + problems.len(), 2);
            let table = sdk::RouteTable::builder()
                .routes(sdk::Route::builder().destination_cidr_block(cidr.clone()).build())
                .routes(sdk::Route::builder().destination_ipv6_cidr_block(cidr).build())
                .build();
            let converted = route_table(&table);
            prop_assert_eq!(converted.item.routes.len() + converted.unconvertible.len(), 2);
        }
    }

    fn vpc_page(ids: &[&str], next: Option<&str>) -> (u16, String) {
        let items: String = ids
            .iter()
            .map(|id| format!("<item><vpcId>{id}</vpcId></item>"))
            .collect();
        let inner = format!("<vpcSet>{items}</vpcSet>{}", next_token(next));
        ec2_response("DescribeVpcs", &inner)
    }

    /// Every VPC, through `read_all!` as the collectors page.
    async fn read_vpcs(client: &Client) -> Read<Converted<Vpc>> {
        read_all!(
            &InRegion::new("us-east-1"),
            client.describe_vpcs().max_results(PAGE),
            vpcs,
            next_token => set_next_token,
            vpc
        )
    }

    #[tokio::test]
    async fn every_page_is_read_and_each_page_is_one_call() {
        let ec2 = Ec2Pages::new(|form| {
            if form.starts_with("Action=DescribeInstances&") {
                let reservation = "<reservationSet><item><reservationId>r-1</reservationId>\
                    <instancesSet><item><instanceId>i-1</instanceId></item>\
                    <item><instanceId>i-2</instanceId></item></instancesSet></item></reservationSet>";
                return ec2_response("DescribeInstances", reservation);
            }
            match form_value(form, "NextToken") {
                None => vpc_page(&["vpc-1", "vpc-2"], Some("page-2")),
                Some("page-2") => vpc_page(&["vpc-3"], Some("page-3")),
                Some("page-3") => vpc_page(&["vpc-4"], None),
                Some(other) => panic!("no page {other}"),
            }
        });
        let client = ec2.client();

        let vpcs = read_vpcs(&client).await;
        let ids: Vec<String> = vpcs
            .expect("all pages")
            .into_iter()
            .map(|v| v.item.id)
            .collect();
        assert_eq!(ids, ["vpc-1", "vpc-2", "vpc-3", "vpc-4"]);
        let tokens: Vec<Option<String>> = ec2
            .requests("DescribeVpcs")
            .iter()
            .map(|form| form_value(form, "NextToken").map(str::to_owned))
            .collect();
        assert_eq!(
            tokens,
            [None, Some("page-2".into()), Some("page-3".into())],
            "one call per page, no more"
        );

        let reservations: Read<Vec<Instance>> = read_all!(
            &InRegion::new("us-east-1"),
            client.describe_instances().max_results(PAGE),
            reservations,
            next_token => set_next_token,
            |r: &sdk::Reservation| r.instances().iter().map(instance).collect::<Vec<_>>()
        );
        let instances_read: Vec<String> = reservations
            .expect("instances")
            .into_iter()
            .flatten()
            .map(|i| i.id)
            .collect();
        assert_eq!(
            instances_read,
            ["i-1", "i-2"],
            "instances are unwrapped from reservations"
        );
        let instance_calls = ec2.requests("DescribeInstances");
        let page_size = PAGE.to_string();
        assert_eq!(instance_calls.len(), 1);
        assert_eq!(
            form_value(&instance_calls[0], "MaxResults"),
            Some(page_size.as_str()),
            "the largest page size is requested"
        );
    }

    #[tokio::test]
    async fn a_repeated_or_empty_token_ends_the_listing() {
        // An endpoint that answers every page with the same token would be read forever; one
        // that sends an empty token has no next page. (The SDK's paginators stop there too.)
        let ec2 = Ec2Pages::new(|form| match form_value(form, "NextToken") {
            None => vpc_page(&["vpc-1"], Some("again")),
            Some("again") => vpc_page(&["vpc-2"], Some("again")),
            Some(other) => panic!("no page {other}"),
        });
        let client = ec2.client();
        let vpcs = read_vpcs(&client).await;
        assert_eq!(vpcs.expect("read").len(), 2);
        assert_eq!(
            ec2.requests("DescribeVpcs").len(),
            2,
            "the repeat is not followed"
        );

        let ec2 = Ec2Pages::new(|_| vpc_page(&["vpc-1"], Some("")));
        let client = ec2.client();
        let vpcs = read_vpcs(&client).await;
        assert_eq!(vpcs.expect("read").len(), 1);
        assert_eq!(ec2.requests("DescribeVpcs").len(), 1);
    }

    #[tokio::test]
    async fn a_failure_on_a_later_page_loses_the_whole_dataset_not_half_of_it() {
        let ec2 = Ec2Pages::new(|form| match form_value(form, "NextToken") {
            None => ec2_response(
                "DescribeSecurityGroups",
                "<securityGroupInfo><item><groupId>sg-1</groupId></item></securityGroupInfo>\
                 <nextToken>page-2</nextToken>",
            ),
            Some(_) => (
                403,
                "<Response><Errors><Error><Code>UnauthorizedOperation</Code>\
                 <Message>You are not authorized to perform this operation.</Message>\
                 </Error></Errors><RequestID>r-2</RequestID></Response>"
                    .to_owned(),
            ),
        });
        let client = ec2.client();

        let groups: Read<Converted<SecurityGroup>> = read_all!(
            &InRegion::new("us-east-1"),
            client.describe_security_groups().max_results(PAGE),
            security_groups,
            next_token => set_next_token,
            security_group
        );
        let error = groups.expect_err("a half-read dataset must not pass for a whole one");
        assert_eq!(error.code.as_deref(), Some("UnauthorizedOperation"));
        assert_eq!(
            error.message,
            "UnauthorizedOperation: You are not authorized to perform this operation."
        );
        assert_eq!(ec2.requests("DescribeSecurityGroups").len(), 2);
    }

    #[test]
    fn one_permission_becomes_one_rule_per_peer() {
        let permission = sdk::IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(443)
            .to_port(443)
            .ip_ranges(sdk::IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .ipv6_ranges(sdk::Ipv6Range::builder().cidr_ipv6("::/0").build())
            .prefix_list_ids(sdk::PrefixListId::builder().prefix_list_id("pl-1").build())
            .user_id_group_pairs(sdk::UserIdGroupPair::builder().group_id("sg-lb").build())
            .build();
        let (rules, unconvertible) = permission_rules(&permission);
        assert!(unconvertible.is_empty());
        let peers: Vec<String> = rules.iter().map(|r| r.peer.to_string()).collect();
        assert_eq!(peers, ["0.0.0.0/0", "::/0", "pl-1", "sg-lb"]);
        assert!(rules.iter().all(|r| r.describe_ports() == "tcp/443"));

        let everything = sdk::IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(sdk::IpRange::builder().cidr_ip("10.0.0.0/8").build())
            .build();
        let rule = &permission_rules(&everything).0[0];
        assert!(rule.admits_everything() && rule.ports.is_none());
    }

    #[test]
    fn route_targets_are_recognised_by_kind() {
        let route =
            |b: sdk::builders::RouteBuilder| route(&b.destination_cidr_block("0.0.0.0/0").build());
        let cases = [
            (
                sdk::Route::builder().gateway_id("igw-1"),
                RouteTarget::InternetGateway("igw-1".into()),
            ),
            (
                sdk::Route::builder().gateway_id("vgw-1"),
                RouteTarget::VpnGateway("vgw-1".into()),
            ),
            (
                sdk::Route::builder().gateway_id("vpce-1"),
                RouteTarget::VpcEndpoint("vpce-1".into()),
            ),
            (
                sdk::Route::builder().nat_gateway_id("nat-1"),
                RouteTarget::NatGateway("nat-1".into()),
            ),
            (
                sdk::Route::builder().transit_gateway_id("tgw-1"),
                RouteTarget::TransitGateway("tgw-1".into()),
            ),
            (
                sdk::Route::builder().vpc_peering_connection_id("pcx-1"),
                RouteTarget::VpcPeeringConnection("pcx-1".into()),
            ),
            (
                sdk::Route::builder().egress_only_internet_gateway_id("eigw-1"),
                RouteTarget::EgressOnlyInternetGateway("eigw-1".into()),
            ),
            (
                sdk::Route::builder().instance_id("i-1"),
                RouteTarget::Instance("i-1".into()),
            ),
            (
                sdk::Route::builder().network_interface_id("eni-1"),
                RouteTarget::NetworkInterface("eni-1".into()),
            ),
        ];
        for (builder, expected) in cases {
            assert_eq!(route(builder).map(|r| r.target), Ok(expected));
        }
        let blackhole = super::route(
            &sdk::Route::builder()
                .destination_ipv6_cidr_block("::/0")
                .nat_gateway_id("nat-gone")
                .state(sdk::RouteState::Blackhole)
                .build(),
        );
        assert_eq!(blackhole.map(|r| r.state), Ok(RouteState::Blackhole));
    }
}
