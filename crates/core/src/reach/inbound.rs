//! Internet → ENI: which (protocol, ports, sources) can open a connection, and by which path.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::{Hop, Network, SubnetReach};
use crate::model::{self, NetworkInterface, SecurityGroupPeer};
use crate::net::{
    self, AddrSet, Direction, Exposure, FlowSet, NaclEntry, PortSet, Protocol, RuleAction,
};

/// The client ports a reply goes back to (stateless NACL egress check).
pub const EPHEMERAL: (u16, u16) = (1024, 65535);

/// Protocols the model evaluates (`-1` rules cover them all).
pub const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Icmp];

/// One hop of a path, naming the resource and the entry that lets the packet through. A path
/// lists the hops in the packet's order, with the reply's route (and the inspection hop it
/// takes) where the inbound leg enters the subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "hop", rename_all = "snake_case")]
pub enum PathHop {
    InternetGateway {
        id: String,
    },
    /// Ingress routing: the internet gateway's edge route table sends the packet to an
    /// appliance (firewall, Gateway Load Balancer endpoint) before the subnet.
    EdgeRoute {
        route_table_id: String,
        destination: String,
        target: String,
    },
    /// The route that sends the reply back towards the internet.
    Route {
        route_table_id: String,
        destination: String,
        target: String,
    },
    /// An inspection endpoint (Network Firewall, Gateway Load Balancer) the traffic passes,
    /// and the endpoint subnet's route onward. `assumed` when the endpoint or its subnet is not
    /// in the inventory and it is taken to forward to the VPC's internet gateway.
    Inspection {
        endpoint_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        subnet_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        route_table_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        destination: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        target: Option<String>,
        assumed: bool,
    },
    NaclInbound {
        network_acl_id: String,
        rule_number: u16,
    },
    NaclOutboundReply {
        network_acl_id: String,
        rule_number: u16,
    },
    SecurityGroup {
        group_id: String,
        rule_index: usize,
        rule: String,
    },
    /// An internet-facing load balancer. `filters_clients` is false for a Network Load
    /// Balancer without security groups.
    LoadBalancer {
        id: String,
        name: String,
        kind: String,
        filters_clients: bool,
    },
    Listener {
        #[serde(skip_serializing_if = "Option::is_none")]
        arn: Option<String>,
        protocol: String,
        port: u16,
    },
    TargetGroup {
        arn: String,
        name: String,
        port: u16,
        client_ip_preserved: bool,
    },
    Interface {
        id: String,
        address: String,
    },
    /// A Lambda function registered as a load balancer target.
    Function {
        arn: String,
    },
}

/// One way in: what it admits and the hops it takes.
#[derive(Debug, Clone, Serialize)]
pub struct InboundPath {
    pub protocol: Protocol,
    pub ports: PortSet,
    /// The admitted internet sources, described ("all public IPv4 except …").
    pub sources: String,
    #[serde(skip)]
    pub source_set: AddrSet,
    /// `world`, `large`, `some` or `none` (the admitted set itself is `sources`).
    #[serde(serialize_with = "exposure_name")]
    pub exposure: Exposure,
    /// The load balancer the path goes through (its ARN, or name for a Classic Load
    /// Balancer): the resource is reached through it, it is not public itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_load_balancer: Option<String>,
    pub path: Vec<PathHop>,
}

fn exposure_name<S: serde::Serializer>(exposure: &Exposure, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match exposure {
        Exposure::World { .. } => "world",
        Exposure::Large { .. } => "large",
        Exposure::Some { .. } => "some",
        Exposure::None => "none",
    })
}

/// Everything the internet can open on one ENI (or load balancer, or function).
#[derive(Debug, Clone, Default, Serialize)]
pub struct InboundReach {
    pub eni_id: String,
    pub paths: Vec<InboundPath>,
    /// Inputs the model lacks for this ENI (so an empty `paths` is not proof of "clean").
    pub not_evaluated: Vec<String>,
}

impl InboundReach {
    /// The union of every path as a flow set.
    pub fn flows(&self) -> FlowSet {
        let mut flows = FlowSet::new();
        for p in &self.paths {
            flows.insert(p.protocol, &p.ports, &p.source_set);
        }
        flows
    }

    /// Paths that reach the resource directly (its own public address), not through a load
    /// balancer.
    pub fn direct(&self) -> impl Iterator<Item = &InboundPath> {
        self.paths.iter().filter(|p| p.via_load_balancer.is_none())
    }
}

/// How internet traffic gets to a subnet and back: the admitted sources and the hops.
pub(super) struct Entry {
    pub addrs: AddrSet,
    pub hops: Vec<PathHop>,
}

/// A security group's ingress rules in the set library's terms (unreadable ones left out),
/// each remembering its index in the group, for evidence.
pub(super) struct ConvertedGroup<'g> {
    group: &'g model::SecurityGroup,
    indices: Vec<usize>,
    pub rules: Vec<net::SgRule>,
}

impl<'g> ConvertedGroup<'g> {
    pub fn new(group: &'g model::SecurityGroup) -> Self {
        let (indices, rules) = group
            .ingress
            .iter()
            .enumerate()
            .filter_map(|(i, r)| sg_rule(r).map(|c| (i, c)))
            .unzip();
        ConvertedGroup {
            group,
            indices,
            rules,
        }
    }

    /// The hop naming the group and its rule behind `rules[k]`.
    pub fn hop(&self, k: usize) -> PathHop {
        let rule_index = self.indices.get(k).copied().unwrap_or(k);
        PathHop::SecurityGroup {
            group_id: self.group.id.clone(),
            rule_index,
            rule: self
                .group
                .ingress
                .get(rule_index)
                .map(|r| format!("{} from {}", r.describe_ports(), r.peer))
                .unwrap_or_default(),
        }
    }
}

/// A model NACL entry in the set library's terms (None for an entry it cannot read).
pub fn nacl_entry(e: &model::NetworkAclEntry) -> Option<NaclEntry> {
    let cidr = match (e.cidr_block, e.ipv6_cidr_block) {
        (Some(n), _) => IpNet::V4(n),
        (None, Some(n)) => IpNet::V6(n),
        (None, None) => return None,
    };
    let protocol: Protocol = e.protocol.0.parse().ok()?;
    let port_range = e.port_range.map(|r| {
        (
            u16::try_from(r.from.max(0)).unwrap_or(0),
            u16::try_from(r.to.clamp(0, 65535)).unwrap_or(u16::MAX),
        )
    });
    Some(NaclEntry {
        rule_number: u16::try_from(e.rule_number).ok()?,
        protocol,
        port_range,
        cidr,
        action: if e.action.eq_ignore_ascii_case("allow") {
            RuleAction::Allow
        } else {
            RuleAction::Deny
        },
        egress: e.egress,
    })
}

/// A model SG rule in the set library's terms (None for an unreadable protocol).
pub fn sg_rule(r: &model::SecurityGroupRule) -> Option<net::SgRule> {
    let protocol: Protocol = r.protocol.0.parse().ok()?;
    let peer = match &r.peer {
        SecurityGroupPeer::Ipv4(n) => net::SgPeer::Cidr(IpNet::V4(*n)),
        SecurityGroupPeer::Ipv6(n) => net::SgPeer::Cidr(IpNet::V6(*n)),
        // Prefix-list entries are not in the inventory: no addresses (reported as a limit).
        SecurityGroupPeer::PrefixList(id) => net::SgPeer::PrefixList {
            id: id.clone(),
            nets: Vec::new(),
        },
        SecurityGroupPeer::SecurityGroup { group_id, .. } => net::SgPeer::Group(group_id.clone()),
    };
    Some(net::SgRule {
        protocol,
        from_port: r.ports.map(|p| p.from),
        to_port: r.ports.map(|p| p.to),
        peer,
    })
}

/// The internet sources the union of `rules` admits on `protocol`/`ports` (sets, not CIDRs).
pub fn admitted_sources(
    rules: &[model::SecurityGroupRule],
    protocol: Protocol,
    ports: &PortSet,
) -> AddrSet {
    let converted: Vec<net::SgRule> = rules.iter().filter_map(sg_rule).collect();
    net::sg::admitted(&converted, protocol, ports)
        .into_iter()
        .fold(AddrSet::empty(), |acc, (_, _, a)| acc.union(&a))
}

/// Whether an IPv6 address is global unicast (2000::/3), the only kind the internet reaches.
fn is_global_v6(ip: &std::net::Ipv6Addr) -> bool {
    (ip.segments()[0] & 0xe000) == 0x2000
}

impl<'a> Network<'a> {
    /// The public addresses of an ENI, each with the private address it maps to: the public
    /// IPv4 of the primary address, every Elastic IP or public IPv4 on a secondary address,
    /// Elastic IPs that name the ENI, and its global IPv6 addresses.
    pub fn public_addresses(&self, eni: &NetworkInterface) -> Vec<(IpAddr, Option<IpAddr>)> {
        let parse = |s: Option<&str>| s.and_then(|s| s.trim().parse::<IpAddr>().ok());
        let mut out: Vec<(IpAddr, Option<IpAddr>)> = Vec::new();
        let mut push = |public: Option<IpAddr>, private: Option<IpAddr>| {
            if let Some(public) = public
                && !out.iter().any(|(p, _)| *p == public)
            {
                out.push((public, private));
            }
        };
        push(
            parse(eni.public_ip.as_deref()),
            parse(eni.private_ip.as_deref()),
        );
        for p in &eni.private_ips {
            push(
                parse(p.public_ip.as_deref()),
                parse(Some(p.address.as_str())),
            );
        }
        for eip in self.eips_by_eni.get(eni.id.as_str()).into_iter().flatten() {
            push(
                parse(Some(eip.public_ip.as_str())),
                parse(eip.private_ip.as_deref()),
            );
        }
        for a in &eni.ipv6_addresses {
            if let Some(IpAddr::V6(v6)) = parse(Some(a.as_str()))
                && is_global_v6(&v6)
            {
                push(Some(IpAddr::V6(v6)), Some(IpAddr::V6(v6)));
            }
        }
        out
    }

    /// The internet sources (of `family`) whose packets reach an address in `subnet` and whose
    /// replies get back, each with the hops that carry them. `private` is the address the
    /// internet gateway delivers to (for the edge route table lookup).
    pub(super) fn entries(
        &self,
        subnet: &SubnetReach<'_>,
        family: &AddrSet,
        private: Option<IpAddr>,
        notes: &mut Vec<String>,
    ) -> Vec<Entry> {
        let Some(table) = subnet.table else {
            return Vec::new();
        };
        let vpc = subnet.subnet.vpc_id.as_str();
        let igw = self.igw_of_vpc.get(vpc).copied();
        // Ingress routing: the IGW's edge route table, by longest prefix on the private address.
        let mut inbound_leg = Vec::new();
        if let (Some(igw), Some(private)) = (igw, private)
            && let Some(edge) = self.edge_tables.get(igw)
        {
            let routes = edge.routes.iter().enumerate().filter_map(|(i, r)| {
                super::route_dest_net(&r.destination).map(|n| net::Route::cidr(n, i))
            });
            let lpm = net::RouteTable::new(routes);
            let route = lpm
                .route_for(private)
                .and_then(|r| edge.routes.get(r.target));
            match route {
                Some(r) if r.state == model::RouteState::Blackhole => {
                    notes.push(format!(
                        "edge route table {} drops traffic to {private} (blackhole {})",
                        edge.id, r.destination
                    ));
                    return Vec::new();
                }
                Some(r) if !matches!(r.target, model::RouteTarget::Local) => {
                    inbound_leg.push(PathHop::EdgeRoute {
                        route_table_id: edge.id.clone(),
                        destination: r.destination.to_string(),
                        target: r.target.id().to_owned(),
                    });
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for part in &subnet.parts {
            let addrs = part.addrs.intersection(family);
            if addrs.is_empty() {
                continue;
            }
            let route = PathHop::Route {
                route_table_id: table.id.clone(),
                destination: part.destination.clone().unwrap_or_default(),
                target: part.target.clone().unwrap_or_default(),
            };
            let hops = match (part.hop, &part.onward) {
                (Hop::InternetGateway, _) => {
                    let mut hops = vec![PathHop::InternetGateway {
                        id: part.target.clone().unwrap_or_default(),
                    }];
                    hops.extend(inbound_leg.iter().cloned());
                    hops.push(route);
                    hops
                }
                (Hop::Inspection, Some(o)) if o.hop == Hop::InternetGateway => {
                    let mut hops = vec![PathHop::InternetGateway {
                        id: o.target.clone().unwrap_or_default(),
                    }];
                    hops.extend(inbound_leg.iter().cloned());
                    hops.push(route);
                    hops.push(PathHop::Inspection {
                        endpoint_id: part.target.clone().unwrap_or_default(),
                        subnet_id: Some(o.endpoint_subnet_id.clone()),
                        route_table_id: Some(o.route_table_id.clone()),
                        destination: o.destination.clone(),
                        target: o.target.clone(),
                        assumed: false,
                    });
                    hops
                }
                // The endpoint's subnet is unknown: in every documented design it forwards to
                // the VPC's internet gateway. Assume it does rather than call the ENI clean.
                (Hop::Inspection, None) if igw.is_some() => {
                    let endpoint = part.target.clone().unwrap_or_default();
                    let note = format!(
                        "inspection endpoint {endpoint}: its subnet is not in the inventory; \
                         replies are assumed to reach the internet gateway through it"
                    );
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                    let mut hops = vec![PathHop::InternetGateway {
                        id: igw.unwrap_or_default().to_owned(),
                    }];
                    hops.extend(inbound_leg.iter().cloned());
                    hops.push(route);
                    hops.push(PathHop::Inspection {
                        endpoint_id: endpoint,
                        subnet_id: None,
                        route_table_id: None,
                        destination: None,
                        target: None,
                        assumed: true,
                    });
                    hops
                }
                _ => continue,
            };
            out.push(Entry { addrs, hops });
        }
        out
    }

    /// Every internet path that lands in `subnet` and passes its network ACL (both ways) and
    /// `groups` (None: no security group filters, an NLB without groups), restricted to
    /// `only` (a listener's protocol and port) when given. `tail` ends each path.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn paths_to(
        &self,
        subnet: &SubnetReach<'_>,
        groups: Option<&[&'a model::SecurityGroup]>,
        family: &AddrSet,
        private: Option<IpAddr>,
        only: Option<(Protocol, &PortSet)>,
        tail: &[PathHop],
        notes: &mut Vec<String>,
    ) -> Vec<InboundPath> {
        let mut out = Vec::new();
        let entries = self.entries(subnet, family, private, notes);
        if entries.is_empty() {
            return out;
        }
        let vpc = subnet.subnet.vpc_id.as_str();
        let reachable = entries
            .iter()
            .fold(AddrSet::empty(), |acc, e| acc.union(&e.addrs));
        let acl = self.nacl_by_subnet.get(subnet.subnet.id.as_str()).copied();
        let nacl =
            acl.map(|a| net::NetworkAcl::new(a.entries.iter().filter_map(nacl_entry).collect()));
        if acl.is_none() {
            let note = format!(
                "no network ACL for {} in the inventory: assumed to allow everything",
                subnet.subnet.id
            );
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        let ephemeral = PortSet::range(EPHEMERAL.0, EPHEMERAL.1);
        let all_ports = PortSet::all();
        let protocols: Vec<(Protocol, &PortSet)> = match only {
            Some(o) => vec![o],
            None => PROTOCOLS.iter().map(|p| (*p, &all_ports)).collect(),
        };
        for (protocol, scope) in protocols {
            // Stateless reply check: some client port in the ephemeral range is allowed back.
            let (reply_ok, reply_rules): (AddrSet, Vec<(AddrSet, u16)>) = match &nacl {
                Some(n) => {
                    let parts = n.allowed(Direction::Egress, protocol, &ephemeral, &reachable);
                    let set = parts
                        .iter()
                        .fold(AddrSet::empty(), |acc, (_, a, _)| acc.union(a));
                    (set, parts.into_iter().map(|(_, a, r)| (a, r)).collect())
                }
                None => (reachable.clone(), Vec::new()),
            };
            let candidates = reachable.intersection(&reply_ok);
            if candidates.is_empty() {
                continue;
            }
            // The security group stage: (group hop, ports, admitted sources).
            let mut admitted_parts: Vec<(Option<PathHop>, PortSet, AddrSet)> = Vec::new();
            match groups {
                Some(groups) => {
                    for group in groups {
                        let converted = ConvertedGroup::new(group);
                        for (k, ports, addrs) in
                            net::sg::admitted(&converted.rules, protocol, scope)
                        {
                            let admitted = addrs.intersection(&candidates);
                            if admitted.is_empty() {
                                continue;
                            }
                            admitted_parts.push((Some(converted.hop(k)), ports, admitted));
                        }
                    }
                }
                None => admitted_parts.push((None, scope.clone(), candidates.clone())),
            }
            for (sg_hop, ports, admitted) in admitted_parts {
                let inbound_parts: Vec<(PortSet, AddrSet, Option<u16>)> = match &nacl {
                    Some(n) => n
                        .allowed(Direction::Ingress, protocol, &ports, &admitted)
                        .into_iter()
                        .map(|(p, a, r)| (p, a, Some(r)))
                        .collect(),
                    None => vec![(ports.clone(), admitted.clone(), None)],
                };
                for (in_ports, sources, in_rule) in inbound_parts {
                    let mut path = Vec::new();
                    for e in &entries {
                        if e.addrs.intersects(&sources) {
                            path.extend(e.hops.iter().cloned());
                        }
                    }
                    if let (Some(acl), Some(rule_number)) = (acl, in_rule) {
                        path.push(PathHop::NaclInbound {
                            network_acl_id: acl.id.clone(),
                            rule_number,
                        });
                        if let Some((_, r)) =
                            reply_rules.iter().find(|(a, _)| a.intersects(&sources))
                        {
                            path.push(PathHop::NaclOutboundReply {
                                network_acl_id: acl.id.clone(),
                                rule_number: *r,
                            });
                        }
                    }
                    path.extend(sg_hop.iter().cloned());
                    path.extend(tail.iter().cloned());
                    out.push(InboundPath {
                        protocol,
                        ports: in_ports,
                        sources: sources.describe(),
                        exposure: self.exposure(&sources, Some(vpc)),
                        source_set: sources,
                        via_load_balancer: None,
                        path,
                    });
                }
            }
        }
        out
    }

    /// Every internet path into one ENI: through its own public addresses (each address of
    /// each family), and through load balancers that have it as a target. Per-subnet facts are
    /// precomputed; this does the per-ENI part only.
    pub fn inbound(&self, eni: &NetworkInterface) -> InboundReach {
        let mut out = InboundReach {
            eni_id: eni.id.clone(),
            ..InboundReach::default()
        };
        let addresses = self.public_addresses(eni);
        if !addresses.is_empty() {
            match eni.subnet_id.as_deref().and_then(|s| self.subnet(s)) {
                None => out
                    .not_evaluated
                    .push("the ENI's subnet is not in the inventory".into()),
                Some(subnet) if subnet.table.is_none() => out
                    .not_evaluated
                    .push("the subnet's route table is not in the inventory".into()),
                Some(subnet) => {
                    let mut groups = Vec::new();
                    for id in &eni.security_group_ids {
                        match self.security_groups.get(id.as_str()) {
                            Some(g) => groups.push(*g),
                            None => out
                                .not_evaluated
                                .push(format!("security group {id} is not in the inventory")),
                        }
                    }
                    for (public, private) in addresses {
                        let family = match public {
                            IpAddr::V4(_) => AddrSet::all_v4(),
                            IpAddr::V6(_) => AddrSet::all_v6(),
                        };
                        let tail = [PathHop::Interface {
                            id: eni.id.clone(),
                            address: public.to_string(),
                        }];
                        let paths = self.paths_to(
                            subnet,
                            Some(&groups),
                            &family,
                            private,
                            None,
                            &tail,
                            &mut out.not_evaluated,
                        );
                        out.paths.extend(paths);
                    }
                }
            }
        }
        if let Some(paths) = self.through_load_balancers.get(eni.id.as_str()) {
            out.paths.extend(paths.iter().cloned());
        }
        out
    }

    /// Every internet path into a resource: an ENI id, an instance id (all its ENIs), a load
    /// balancer (ARN or name: the paths into its listeners), or a Lambda function ARN (paths
    /// through load balancers that invoke it).
    pub fn paths_into(&self, resource_id: &str) -> Vec<InboundReach> {
        let mut out: Vec<InboundReach> = self
            .inventory
            .network_interfaces
            .iter()
            .filter(|e| e.id == resource_id || e.instance_id.as_deref() == Some(resource_id))
            .map(|e| self.inbound(e))
            .collect();
        if let Some(front) = self.load_balancer_fronts.get(resource_id) {
            out.push(front.clone());
        }
        if let Some(paths) = self.through_load_balancers.get(resource_id)
            && !resource_id.starts_with("eni-")
        {
            out.push(InboundReach {
                eni_id: resource_id.to_owned(),
                paths: paths.clone(),
                not_evaluated: Vec::new(),
            });
        }
        out
    }
}
