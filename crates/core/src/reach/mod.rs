//! The reachability model: what packets can do in a region's VPCs, with the path as evidence.
//!
//! Built once per region scope by [`Network::build`]; rules ask it questions instead of
//! matching patterns on one component.
//!
//! # Semantics
//!
//! **Routing.** Each subnet uses its explicitly associated route table, else its VPC's main
//! table. The internet (every public IPv4 and global-unicast IPv6 address, see
//! [`crate::net::public_internet`], minus the VPC's own CIDRs) is split by longest-prefix match
//! over every route, so `0.0.0.0/1` + `128.0.0.0/1 → igw` beats `0.0.0.0/0 → nat`. A blackhole
//! route still wins its prefix and drops the traffic. Each part of the split is judged by its
//! target ([`Hop`]):
//! - internet gateway: the internet proper;
//! - NAT gateway: usable when its state is `available`/`pending` (or unknown) and the NAT's own
//!   subnet sends that destination to an internet gateway; absent, `deleted`, `deleting` or
//!   `failed` is a blackhole whatever the route's `State` says;
//! - instance or network interface: a forwarder (NAT instance or appliance). The inventory has
//!   no source/destination-check flag yet, so a route target is taken to be a forwarder: AWS
//!   only delivers routed traffic to it when the check is off;
//! - VPC endpoint (Gateway Load Balancer, Network Firewall): an inspection hop whose onward
//!   path is not evaluated (the endpoint's subnet is not in the model yet): [`Egress::Unknown`];
//! - transit gateway, peering, VPN gateway, Cloud WAN, local/carrier gateway: leaves the VPC,
//!   legitimate central egress, never judged broken;
//! - no route: no egress.
//!
//! A subnet is **public** when some internet range (IPv4 or IPv6) routes to an internet gateway.
//!
//! **Inbound to an ENI** ([`Network::inbound`]): a packet from the internet reaches an ENI when
//! (1) the ENI has a public address of that family (public IPv4 today; IPv6 addresses and Elastic
//! IPs on secondary ENIs are not in the inventory yet and are reported as not evaluated),
//! (2) the subnet's route table sends the reply to that source to an internet gateway,
//! (3) the subnet's network ACL allows it inbound (ordered, first match) and allows the reply
//! outbound to the ephemeral ports 1024-65535 (stateless), and (4) the union of the ENI's
//! security groups admits it (stateful: no reply check). The result per ENI is a list of
//! [`InboundPath`]s: protocol, ports, the admitted internet source set, its [`Exposure`] and an
//! ordered `path` of hops naming each resource and entry.
//!
//! # Limits
//! - Not modelled yet (no data): load balancers and their targets, Elastic IPs beyond an ENI's
//!   own public IP, IPv6 ENI addresses, IGW edge route tables, prefix-list contents (a prefix
//!   list route or source is left out of the sets and reported in `unresolved`), security group
//!   references across the internet (a referenced group is never "the internet").
//! - ICMP types and codes are not modelled: an ICMP entry matches all ICMP.
//! - A NACL's reply check uses the Linux/AWS ephemeral range 1024-65535 for every client.
//! - Where an input is missing (no route table, no NACL for the subnet) the answer is
//!   [`Egress::Unknown`] / `not_evaluated`, never "clean".

mod inbound;
mod load_balancer;
mod query;
#[cfg(test)]
mod tests;

pub use query::*;

use std::collections::HashMap;

use ipnet::IpNet;
use serde::Serialize;

use crate::model::{
    NatGateway, RegionInventory, Route, RouteDestination, RouteState, RouteTable, RouteTarget,
    Subnet, VpcEndpoint,
};
use crate::net::{self, AddrSet};

pub use inbound::{
    EPHEMERAL, InboundPath, InboundReach, PROTOCOLS, PathHop, admitted_sources, nacl_entry, sg_rule,
};

/// What a route target does with internet-bound traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hop {
    InternetGateway,
    /// A NAT gateway that can reach an internet gateway for this destination.
    NatGateway,
    /// An instance or ENI forwarding traffic (NAT instance, appliance).
    NatInstance,
    /// Gateway Load Balancer / Network Firewall endpoint: inspection, onward path unknown.
    Inspection,
    /// Transit gateway, peering, VPN gateway, Cloud WAN, local or carrier gateway.
    LeavesVpc,
    /// Blackhole route, or a NAT gateway that is absent, unusable or cannot reach an IGW.
    Blackhole,
    /// Egress-only internet gateway (IPv6 egress, no inbound).
    EgressOnlyIgw,
    /// No route matches.
    NoRoute,
}

/// How a subnet reaches the internet for one address family, best path first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Egress {
    Igw,
    Nat,
    NatInstance,
    EgressOnlyIgw,
    LeavesVpc,
    /// Through an inspection endpoint whose onward path is not evaluated.
    Unknown,
    Blackhole,
    None,
}

impl Egress {
    pub fn name(self) -> &'static str {
        match self {
            Egress::Igw => "igw",
            Egress::Nat => "nat",
            Egress::NatInstance => "nat-instance",
            Egress::EgressOnlyIgw => "egress-only-igw",
            Egress::LeavesVpc => "leaves-vpc",
            Egress::Unknown => "unknown",
            Egress::Blackhole => "blackhole",
            Egress::None => "none",
        }
    }

    /// True when the family has a working (or legitimately central) way out.
    pub fn has_egress(self) -> bool {
        !matches!(self, Egress::Blackhole | Egress::None)
    }

    fn of(hop: Hop) -> Egress {
        match hop {
            Hop::InternetGateway => Egress::Igw,
            Hop::NatGateway => Egress::Nat,
            Hop::NatInstance => Egress::NatInstance,
            Hop::EgressOnlyIgw => Egress::EgressOnlyIgw,
            Hop::LeavesVpc => Egress::LeavesVpc,
            Hop::Inspection => Egress::Unknown,
            Hop::Blackhole => Egress::Blackhole,
            Hop::NoRoute => Egress::None,
        }
    }
}

/// One part of the internet and the route that wins it.
#[derive(Debug, Clone, Serialize)]
pub struct RoutedPart {
    pub hop: Hop,
    /// Index of the winning route in the table's `routes` (None: no route).
    #[serde(skip)]
    pub route_index: Option<usize>,
    /// The winning route's destination and target, for evidence.
    pub destination: Option<String>,
    pub target: Option<String>,
    pub addrs: AddrSet,
    /// For an inspection hop: where the endpoint's own subnet sends these addresses. None when
    /// the endpoint or its subnet is not in the inventory (Network Firewall endpoints are not
    /// listed by `DescribeVpcEndpoints`): the onward path is then not evaluated.
    pub onward: Option<Onward>,
}

/// The onward leg of an inspection hop: the endpoint subnet's route for these addresses.
#[derive(Debug, Clone, Serialize)]
pub struct Onward {
    pub endpoint_subnet_id: String,
    pub route_table_id: String,
    pub destination: Option<String>,
    pub target: Option<String>,
    pub hop: Hop,
}

impl RoutedPart {
    /// How this part leaves: its hop's, or for an inspection hop the onward hop's.
    pub fn egress(&self) -> Egress {
        match (&self.hop, &self.onward) {
            (Hop::Inspection, Some(o)) if o.hop != Hop::Inspection => Egress::of(o.hop),
            (hop, _) => Egress::of(*hop),
        }
    }

    /// Reaches an internet gateway: directly, or through an inspection endpoint whose subnet
    /// sends it to one.
    pub fn reaches_igw(&self) -> bool {
        self.hop == Hop::InternetGateway
            || (self.hop == Hop::Inspection
                && self
                    .onward
                    .as_ref()
                    .is_some_and(|o| o.hop == Hop::InternetGateway))
    }
}

/// Routing facts of one subnet.
#[derive(Debug, Clone)]
pub struct SubnetReach<'a> {
    pub subnet: &'a Subnet,
    pub table: Option<&'a RouteTable>,
    /// True for an explicit association, false for the VPC's main table.
    pub explicit: bool,
    /// The internet split by winning route (IPv4 and IPv6 together; each part is one route).
    pub parts: Vec<RoutedPart>,
    pub egress_v4: Egress,
    pub egress_v6: Egress,
    /// Prefix-list routes whose entries are not in the inventory: left out of the split.
    pub unresolved: Vec<String>,
}

impl<'a> SubnetReach<'a> {
    /// Some internet range (IPv4 or IPv6) routes to an internet gateway, directly or through
    /// an inspection endpoint.
    pub fn is_public(&self) -> bool {
        self.parts.iter().any(RoutedPart::reaches_igw)
    }

    /// The internet addresses this subnet's replies reach through an internet gateway
    /// (directly or through an inspection endpoint).
    pub fn to_igw(&self) -> AddrSet {
        self.parts
            .iter()
            .filter(|p| p.reaches_igw())
            .fold(AddrSet::empty(), |acc, p| acc.union(&p.addrs))
    }

    /// The route that makes the subnet public: the one winning the most internet addresses
    /// that reach an internet gateway, IPv4 first.
    pub fn public_route(&self) -> Option<&'a Route> {
        let table = self.table?;
        self.parts
            .iter()
            .filter(|p| p.reaches_igw())
            .max_by_key(|p| (p.addrs.count_v4(), p.addrs.count_v6()))
            .and_then(|p| p.route_index)
            .and_then(|i| table.routes.get(i))
    }

    /// The route deciding a hop kind: the one winning the most addresses for it, IPv4 first.
    pub fn route_for(&self, hop: Hop) -> Option<&'a Route> {
        let table = self.table?;
        self.parts
            .iter()
            .filter(|p| p.hop == hop)
            .max_by_key(|p| (p.addrs.count_v4(), p.addrs.count_v6()))
            .and_then(|p| p.route_index)
            .and_then(|i| table.routes.get(i))
    }

    /// The route deciding a family's egress.
    pub fn egress_route(&self, v6: bool) -> Option<&'a Route> {
        let table = self.table?;
        let egress = if v6 { self.egress_v6 } else { self.egress_v4 };
        self.parts
            .iter()
            .filter(|p| p.egress() == egress)
            .filter(|p| {
                if v6 {
                    !p.addrs.v6().is_empty()
                } else {
                    !p.addrs.v4().is_empty()
                }
            })
            .max_by_key(|p| (p.addrs.count_v4(), p.addrs.count_v6()))
            .and_then(|p| p.route_index)
            .and_then(|i| table.routes.get(i))
    }

    /// Evidence: the split of the internet by route, as JSON-serialisable parts.
    pub fn evidence(&self) -> serde_json::Value {
        serde_json::json!({
            "subnet_id": self.subnet.id,
            "route_table_id": self.table.map(|t| t.id.as_str()),
            "association": if self.explicit { "explicit" } else { "main" },
            "egress_ipv4": self.egress_v4.name(),
            "egress_ipv6": self.egress_v6.name(),
            "internet_split": self.parts.iter().filter(|p| p.hop != Hop::NoRoute).map(|p| serde_json::json!({
                "hop": p.hop, "destination": p.destination, "target": p.target,
                "addresses": p.addrs.describe(), "onward": p.onward,
            })).collect::<Vec<_>>(),
        })
    }
}

/// The network model of one region scope.
pub struct Network<'a> {
    pub inventory: &'a RegionInventory,
    pub subnets: HashMap<&'a str, SubnetReach<'a>>,
    /// Each VPC's CIDRs (IPv4 and IPv6): never "the internet".
    pub vpc_cidrs: HashMap<&'a str, AddrSet>,
    pub nacl_by_subnet: HashMap<&'a str, &'a crate::model::NetworkAcl>,
    pub security_groups: HashMap<&'a str, &'a crate::model::SecurityGroup>,
    /// Instance ids and ENI ids that are route targets (forwarders: NAT instances,
    /// appliances), unless their source/destination check is known to be on.
    pub forwarders: std::collections::HashSet<&'a str>,
    /// Edge route tables by the gateway they are associated with (ingress routing).
    pub edge_tables: HashMap<&'a str, &'a RouteTable>,
    /// The internet gateway attached to each VPC.
    pub igw_of_vpc: HashMap<&'a str, &'a str>,
    pub endpoints: HashMap<&'a str, &'a VpcEndpoint>,
    /// Elastic IPs by the ENI they are associated with.
    pub eips_by_eni: HashMap<&'a str, Vec<&'a crate::model::ElasticIp>>,
    /// ENIs by the instance they are attached to.
    pub enis_by_instance: HashMap<&'a str, Vec<&'a crate::model::NetworkInterface>>,
    /// ENIs by each of their private addresses (IPv4 and IPv6).
    pub eni_by_address: HashMap<&'a str, &'a crate::model::NetworkInterface>,
    pub thresholds: net::Thresholds,
    /// Internet paths through load balancers, by target: ENI id, or Lambda function ARN.
    pub through_load_balancers: HashMap<String, Vec<InboundPath>>,
    /// Internet paths into each internet-facing load balancer (by ARN, or name for a Classic
    /// Load Balancer), listener by listener.
    pub load_balancer_fronts: HashMap<String, InboundReach>,
}

/// A table's split of some addresses by winning route index.
type Split = Vec<(Option<usize>, AddrSet)>;

/// The internet as seen from one VPC.
pub fn internet_of(vpc_cidrs: &AddrSet) -> AddrSet {
    net::public_internet().difference(vpc_cidrs)
}

fn route_dest_net(dest: &RouteDestination) -> Option<IpNet> {
    match dest {
        RouteDestination::Ipv4(n) => Some(IpNet::V4(*n)),
        RouteDestination::Ipv6(n) => Some(IpNet::V6(*n)),
        RouteDestination::PrefixList(_) => None,
    }
}

/// A NAT gateway state that forwards traffic (unknown counts: no evidence it is broken).
pub fn nat_usable(nat: &NatGateway) -> bool {
    matches!(nat.state.as_deref(), None | Some("available" | "pending"))
}

/// Splits `dest` by winning route index over a model route table (blackhole routes included).
pub fn split_table(table: &RouteTable, dest: &AddrSet) -> Split {
    let routes = table
        .routes
        .iter()
        .enumerate()
        .filter_map(|(i, r)| route_dest_net(&r.destination).map(|n| net::Route::cidr(n, i)));
    net::RouteTable::new(routes)
        .split(dest)
        .into_iter()
        .collect()
}

impl<'a> Network<'a> {
    pub fn build(inventory: &'a RegionInventory) -> Network<'a> {
        let tables =
            crate::analysis::routing::effective_tables(&inventory.subnets, &inventory.route_tables);
        let vpc_cidrs: HashMap<&str, AddrSet> = inventory
            .vpcs
            .iter()
            .map(|v| {
                let nets: Vec<IpNet> = v
                    .cidr_blocks
                    .iter()
                    .map(|n| IpNet::V4(*n))
                    .chain(v.ipv6_cidr_blocks.iter().map(|n| IpNet::V6(*n)))
                    .collect();
                (v.id.as_str(), AddrSet::from_nets(&nets))
            })
            .collect();
        let nats: HashMap<&str, &NatGateway> = inventory
            .nat_gateways
            .iter()
            .map(|n| (n.id.as_str(), n))
            .collect();
        let endpoints: HashMap<&str, &VpcEndpoint> = inventory
            .vpc_endpoints
            .iter()
            .map(|e| (e.id.as_str(), e))
            .collect();
        let empty = AddrSet::empty();
        // Pass 1: the raw split per subnet (a NAT's usability needs its own subnet's split).
        let mut raw: HashMap<&str, Split> = HashMap::new();
        // Tables shared by many subnets are split once.
        let mut by_table: HashMap<(&str, &str), Split> = HashMap::new();
        for subnet in &inventory.subnets {
            let Some((Some(table), _)) = tables.get(subnet.id.as_str()) else {
                continue;
            };
            let cidrs = vpc_cidrs.get(subnet.vpc_id.as_str()).unwrap_or(&empty);
            let split = by_table
                .entry((table.id.as_str(), subnet.vpc_id.as_str()))
                .or_insert_with(|| split_table(table, &internet_of(cidrs)))
                .clone();
            raw.insert(subnet.id.as_str(), split);
        }
        let table_of = |subnet_id: &str| tables.get(subnet_id).and_then(|(t, _)| *t);
        // The addresses a subnet's table sends over an active route that `wins` accepts.
        let routed = |subnet_id: &str, wins: &dyn Fn(&RouteTarget) -> bool| -> AddrSet {
            let (Some(split), Some(table)) = (raw.get(subnet_id), table_of(subnet_id)) else {
                return AddrSet::empty();
            };
            split
                .iter()
                .filter(|(i, _)| {
                    i.and_then(|i| table.routes.get(i))
                        .is_some_and(|r| r.state == RouteState::Active && wins(&r.target))
                })
                .fold(AddrSet::empty(), |acc, (_, a)| acc.union(a))
        };
        // The addresses a subnet sends straight to an internet gateway over an active route.
        let direct_igw = |subnet_id: &str| -> AddrSet {
            routed(subnet_id, &|t| matches!(t, RouteTarget::InternetGateway(_)))
        };
        // The subnet an inspection endpoint sits in (the first listed: one per endpoint).
        let endpoint_subnet = |id: &str| -> Option<&str> {
            endpoints
                .get(id)
                .and_then(|e| e.subnet_ids.first())
                .map(String::as_str)
                .filter(|s| raw.contains_key(s))
        };
        // ... directly, or through an inspection endpoint whose own subnet sends them to an
        // internet gateway (AWS's firewall designs: protected subnet → firewall → IGW).
        let igw_share = |subnet_id: &str| -> AddrSet {
            let mut share = direct_igw(subnet_id);
            let (Some(split), Some(table)) = (raw.get(subnet_id), table_of(subnet_id)) else {
                return share;
            };
            for (i, addrs) in split {
                let Some(route) = i.and_then(|i| table.routes.get(i)) else {
                    continue;
                };
                if let (RouteState::Active, RouteTarget::VpcEndpoint(id)) =
                    (route.state, &route.target)
                    && let Some(onward) = endpoint_subnet(id)
                    && onward != subnet_id
                {
                    share = share.union(&addrs.intersection(&direct_igw(onward)));
                }
            }
            share
        };
        // Addresses a subnet sends to an inspection endpoint that is not in the inventory
        // (Network Firewall endpoints are not listed): their onward path is unknown.
        let unresolved_inspection = |subnet_id: &str| -> AddrSet {
            routed(
                subnet_id,
                &|t| matches!(t, RouteTarget::VpcEndpoint(id) if endpoint_subnet(id).is_none()),
            )
        };
        // What each NAT gateway can reach: its own subnet's IGW share. Through an endpoint whose
        // onward path is unknown it is given the benefit of the doubt (the documented
        // firewall-plus-NAT designs send it on to the IGW).
        let nat_reach: HashMap<&str, AddrSet> = inventory
            .nat_gateways
            .iter()
            .filter(|n| raw.contains_key(n.subnet_id.as_str()))
            .map(|n| {
                let share = igw_share(&n.subnet_id).union(&unresolved_inspection(&n.subnet_id));
                (n.id.as_str(), share)
            })
            .collect();
        // Source/destination check per instance and ENI: a forwarder only forwards with it off.
        let mut forwarding: HashMap<&str, bool> = HashMap::new();
        for eni in &inventory.network_interfaces {
            if let Some(check) = eni.source_dest_check {
                forwarding.insert(eni.id.as_str(), !check);
                if let Some(instance) = eni.instance_id.as_deref() {
                    let e = forwarding.entry(instance).or_insert(false);
                    *e |= !check;
                }
            }
        }
        // What one route does with `addrs` (an endpoint route is [`Hop::Inspection`]).
        let judge = |route: &Route, addrs: &AddrSet| -> Vec<(Hop, AddrSet)> {
            if route.state == RouteState::Blackhole {
                return vec![(Hop::Blackhole, addrs.clone())];
            }
            match &route.target {
                // An IGW missing from a collected list is still an IGW route; only a blackhole
                // state says it is gone.
                RouteTarget::InternetGateway(_) => vec![(Hop::InternetGateway, addrs.clone())],
                RouteTarget::EgressOnlyInternetGateway(_) => {
                    vec![(Hop::EgressOnlyIgw, addrs.clone())]
                }
                RouteTarget::NatGateway(id) => match nats.get(id.as_str()) {
                    Some(nat) if nat_usable(nat) && nat.is_public() => {
                        // NAT gateways translate IPv4 (and NAT64); the part the NAT's own
                        // subnet cannot send to an IGW goes nowhere. A NAT whose subnet is not
                        // in the model is given the benefit of the doubt.
                        match nat_reach.get(id.as_str()) {
                            Some(reach) => vec![
                                (Hop::NatGateway, addrs.intersection(reach)),
                                (Hop::Blackhole, addrs.difference(reach)),
                            ],
                            None => vec![(Hop::NatGateway, addrs.clone())],
                        }
                    }
                    Some(nat) if nat_usable(nat) => vec![(Hop::LeavesVpc, addrs.clone())],
                    _ => vec![(Hop::Blackhole, addrs.clone())],
                },
                RouteTarget::Instance(id) | RouteTarget::NetworkInterface(id) => {
                    // With the check on, the instance drops traffic not addressed to it.
                    if forwarding.get(id.as_str()) == Some(&false) {
                        vec![(Hop::Blackhole, addrs.clone())]
                    } else {
                        vec![(Hop::NatInstance, addrs.clone())]
                    }
                }
                RouteTarget::VpcEndpoint(_) => vec![(Hop::Inspection, addrs.clone())],
                RouteTarget::Local => vec![(Hop::NoRoute, addrs.clone())],
                _ => vec![(Hop::LeavesVpc, addrs.clone())],
            }
        };
        let mut forwarders = std::collections::HashSet::new();
        for table in &inventory.route_tables {
            for route in &table.routes {
                if let RouteTarget::Instance(id) | RouteTarget::NetworkInterface(id) = &route.target
                    && route.state == RouteState::Active
                    && route_dest_net(&route.destination).is_some()
                    && forwarding.get(id.as_str()) != Some(&false)
                {
                    forwarders.insert(id.as_str());
                }
            }
        }
        let mut subnets = HashMap::new();
        for subnet in &inventory.subnets {
            let (table, explicit) = tables
                .get(subnet.id.as_str())
                .copied()
                .unwrap_or((None, false));
            let mut parts = Vec::new();
            let mut unresolved = Vec::new();
            if let (Some(table), Some(split)) = (table, raw.get(subnet.id.as_str())) {
                for r in &table.routes {
                    if let RouteDestination::PrefixList(id) = &r.destination {
                        unresolved.push(id.clone());
                    }
                }
                for (index, addrs) in split {
                    let Some(route) = index.and_then(|i| table.routes.get(i)) else {
                        parts.push(RoutedPart {
                            hop: Hop::NoRoute,
                            route_index: None,
                            destination: None,
                            target: None,
                            addrs: addrs.clone(),
                            onward: None,
                        });
                        continue;
                    };
                    for (hop, addrs) in judge(route, addrs) {
                        if addrs.is_empty() {
                            continue;
                        }
                        let part = |addrs: AddrSet, onward: Option<Onward>| RoutedPart {
                            hop,
                            route_index: *index,
                            destination: Some(route.destination.to_string()),
                            target: Some(route.target.id().to_owned()),
                            addrs,
                            onward,
                        };
                        // An inspection hop continues through the endpoint subnet's table.
                        let onward_subnet = match (&route.target, hop) {
                            (RouteTarget::VpcEndpoint(id), Hop::Inspection) => endpoint_subnet(id)
                                .filter(|s| *s != subnet.id.as_str())
                                .and_then(|s| Some((s, table_of(s)?, raw.get(s)?))),
                            _ => None,
                        };
                        let Some((onward_id, onward_table, onward_split)) = onward_subnet else {
                            parts.push(part(addrs, None));
                            continue;
                        };
                        for (j, sub) in onward_split {
                            let sub = sub.intersection(&addrs);
                            if sub.is_empty() {
                                continue;
                            }
                            let onward_route = j.and_then(|j| onward_table.routes.get(j));
                            let judged = match onward_route {
                                Some(r) => judge(r, &sub),
                                None => vec![(Hop::NoRoute, sub)],
                            };
                            for (onward_hop, a) in judged {
                                if a.is_empty() {
                                    continue;
                                }
                                parts.push(part(
                                    a,
                                    Some(Onward {
                                        endpoint_subnet_id: onward_id.to_owned(),
                                        route_table_id: onward_table.id.clone(),
                                        destination: onward_route
                                            .map(|r| r.destination.to_string()),
                                        target: onward_route.map(|r| r.target.id().to_owned()),
                                        hop: onward_hop,
                                    }),
                                ));
                            }
                        }
                    }
                }
            }
            let egress = |v6: bool| {
                if table.is_none() {
                    return Egress::Unknown;
                }
                parts
                    .iter()
                    .filter(|p| {
                        if v6 {
                            !p.addrs.v6().is_empty()
                        } else {
                            !p.addrs.v4().is_empty()
                        }
                    })
                    .map(RoutedPart::egress)
                    .min()
                    .unwrap_or(Egress::None)
            };
            let (egress_v4, egress_v6) = (egress(false), egress(true));
            subnets.insert(
                subnet.id.as_str(),
                SubnetReach {
                    subnet,
                    table,
                    explicit,
                    parts,
                    egress_v4,
                    egress_v6,
                    unresolved,
                },
            );
        }
        let mut nacl_by_subnet = HashMap::new();
        for acl in &inventory.network_acls {
            for s in &acl.subnet_ids {
                nacl_by_subnet.insert(s.as_str(), acl);
            }
        }
        // Forwarders named by instance id: add their ENIs too.
        for eni in &inventory.network_interfaces {
            if eni
                .instance_id
                .as_deref()
                .is_some_and(|i| forwarders.contains(i))
            {
                forwarders.insert(eni.id.as_str());
            }
        }
        // Edge route tables: associated with an internet gateway (ingress routing).
        let mut edge_tables: HashMap<&str, &RouteTable> = HashMap::new();
        for table in &inventory.route_tables {
            for a in &table.associations {
                if let Some(gw) = a.gateway_id.as_deref() {
                    edge_tables.insert(gw, table);
                }
            }
        }
        let mut igw_of_vpc: HashMap<&str, &str> = HashMap::new();
        for igw in &inventory.internet_gateways {
            for vpc in &igw.attached_vpc_ids {
                igw_of_vpc.insert(vpc.as_str(), igw.id.as_str());
            }
        }
        let mut eips_by_eni: HashMap<&str, Vec<&crate::model::ElasticIp>> = HashMap::new();
        for eip in &inventory.elastic_ips {
            if let Some(eni) = eip.network_interface_id.as_deref() {
                eips_by_eni.entry(eni).or_default().push(eip);
            }
        }
        let mut enis_by_instance: HashMap<&str, Vec<&crate::model::NetworkInterface>> =
            HashMap::new();
        let mut eni_by_address: HashMap<&str, &crate::model::NetworkInterface> = HashMap::new();
        for eni in &inventory.network_interfaces {
            let instance = eni.instance_id.as_deref().or(eni
                .attachment
                .as_ref()
                .and_then(|a| a.instance_id.as_deref()));
            if let Some(instance) = instance {
                enis_by_instance.entry(instance).or_default().push(eni);
            }
            for address in eni
                .private_ip
                .iter()
                .chain(eni.private_ips.iter().map(|p| &p.address))
                .chain(eni.ipv6_addresses.iter())
            {
                eni_by_address.entry(address.as_str()).or_insert(eni);
            }
        }
        let mut network = Network {
            inventory,
            subnets,
            vpc_cidrs,
            nacl_by_subnet,
            security_groups: inventory
                .security_groups
                .iter()
                .map(|g| (g.id.as_str(), g))
                .collect(),
            forwarders,
            edge_tables,
            igw_of_vpc,
            endpoints,
            eips_by_eni,
            enis_by_instance,
            eni_by_address,
            thresholds: net::Thresholds::default(),
            through_load_balancers: HashMap::new(),
            load_balancer_fronts: HashMap::new(),
        };
        network.build_load_balancer_paths();
        network
    }

    pub fn subnet(&self, id: &str) -> Option<&SubnetReach<'a>> {
        self.subnets.get(id)
    }

    /// True when an instance or ENI forwards other subnets' internet traffic (a NAT instance
    /// or appliance): infrastructure, not a backend.
    pub fn is_forwarder(&self, id: &str) -> bool {
        self.forwarders.contains(id)
    }

    /// The internet as seen from a VPC (public space minus its CIDRs).
    pub fn internet(&self, vpc_id: &str) -> AddrSet {
        self.vpc_cidrs
            .get(vpc_id)
            .map_or_else(|| net::public_internet().clone(), internet_of)
    }

    /// How much of the internet `sources` is, from inside `vpc_id`.
    pub fn exposure(&self, sources: &AddrSet, vpc_id: Option<&str>) -> net::Exposure {
        let empty = AddrSet::empty();
        let cidrs = vpc_id.and_then(|v| self.vpc_cidrs.get(v)).unwrap_or(&empty);
        net::internet_share_with(sources, cidrs, &self.thresholds)
    }
}
