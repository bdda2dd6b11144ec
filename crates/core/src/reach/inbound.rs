//! Internet → ENI: which (protocol, ports, sources) can open a connection, and by which path.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::{Hop, Network};
use crate::model::{self, NetworkInterface, SecurityGroupPeer};
use crate::net::{
    self, AddrSet, Direction, Exposure, FlowSet, NaclEntry, PortSet, Protocol, RuleAction,
};

/// The client ports a reply goes back to (stateless NACL egress check).
pub const EPHEMERAL: (u16, u16) = (1024, 65535);

/// Protocols the model evaluates (`-1` rules cover them all).
pub const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Icmp];

/// One hop of a path, naming the resource and the entry that lets the packet through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "hop", rename_all = "snake_case")]
pub enum PathHop {
    InternetGateway {
        id: String,
    },
    Route {
        route_table_id: String,
        destination: String,
        target: String,
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
    Interface {
        id: String,
        address: String,
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
    pub exposure: Exposure,
    pub path: Vec<PathHop>,
}

/// Everything the internet can open on one ENI.
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

impl Network<'_> {
    /// Every internet path into one ENI. Per-subnet facts are precomputed; this does the
    /// per-ENI part only (its groups and its address).
    pub fn inbound(&self, eni: &NetworkInterface) -> InboundReach {
        let mut out = InboundReach {
            eni_id: eni.id.clone(),
            ..InboundReach::default()
        };
        out.not_evaluated
            .push("IPv6 addresses and Elastic IPs on this ENI are not in the inventory".into());
        let Some(ip) = eni
            .public_ip
            .as_deref()
            .and_then(|s| s.parse::<IpAddr>().ok())
        else {
            return out;
        };
        let Some(subnet) = eni.subnet_id.as_deref().and_then(|s| self.subnet(s)) else {
            out.not_evaluated
                .push("the ENI's subnet is not in the inventory".into());
            return out;
        };
        let Some(table) = subnet.table else {
            out.not_evaluated
                .push("the subnet's route table is not in the inventory".into());
            return out;
        };
        let vpc = subnet.subnet.vpc_id.as_str();
        // Sources whose replies route to an IGW, of the ENI's address family.
        let family = match ip {
            IpAddr::V4(_) => AddrSet::all_v4(),
            IpAddr::V6(_) => AddrSet::all_v6(),
        };
        let igw_parts: Vec<_> = subnet
            .parts
            .iter()
            .filter(|p| p.hop == Hop::InternetGateway)
            .map(|p| (p, p.addrs.intersection(&family)))
            .filter(|(_, a)| !a.is_empty())
            .collect();
        if igw_parts.is_empty() {
            return out;
        }
        let reachable = igw_parts
            .iter()
            .fold(AddrSet::empty(), |acc, (_, a)| acc.union(a));
        let acl = self.nacl_by_subnet.get(subnet.subnet.id.as_str());
        let nacl =
            acl.map(|a| net::NetworkAcl::new(a.entries.iter().filter_map(nacl_entry).collect()));
        if acl.is_none() {
            out.not_evaluated.push(format!(
                "no network ACL for {} in the inventory: assumed to allow everything",
                subnet.subnet.id
            ));
        }
        let mut groups = Vec::new();
        for id in &eni.security_group_ids {
            match self.security_groups.get(id.as_str()) {
                Some(g) => groups.push(*g),
                None => out
                    .not_evaluated
                    .push(format!("security group {id} is not in the inventory")),
            }
        }
        let ephemeral = PortSet::range(EPHEMERAL.0, EPHEMERAL.1);
        for protocol in PROTOCOLS {
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
            for group in &groups {
                let rules: Vec<(usize, net::SgRule)> = group
                    .ingress
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| sg_rule(r).map(|c| (i, c)))
                    .collect();
                let converted: Vec<net::SgRule> = rules.iter().map(|(_, r)| r.clone()).collect();
                for (k, ports, addrs) in net::sg::admitted(&converted, protocol, &PortSet::all()) {
                    let admitted = addrs.intersection(&candidates);
                    if admitted.is_empty() {
                        continue;
                    }
                    let rule_index = rules.get(k).map_or(k, |(i, _)| *i);
                    let rule_text = group
                        .ingress
                        .get(rule_index)
                        .map(|r| format!("{} from {}", r.describe_ports(), r.peer))
                        .unwrap_or_default();
                    let inbound_parts = match &nacl {
                        Some(n) => n
                            .allowed(Direction::Ingress, protocol, &ports, &admitted)
                            .into_iter()
                            .map(|(p, a, r)| (p, a, Some(r)))
                            .collect(),
                        None => vec![(ports.clone(), admitted.clone(), None)],
                    };
                    for (in_ports, sources, in_rule) in inbound_parts {
                        let mut path = Vec::new();
                        for (part, a) in &igw_parts {
                            if a.intersects(&sources) {
                                path.push(PathHop::InternetGateway {
                                    id: part.target.clone().unwrap_or_default(),
                                });
                                path.push(PathHop::Route {
                                    route_table_id: table.id.clone(),
                                    destination: part.destination.clone().unwrap_or_default(),
                                    target: part.target.clone().unwrap_or_default(),
                                });
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
                        path.push(PathHop::SecurityGroup {
                            group_id: group.id.clone(),
                            rule_index,
                            rule: rule_text.clone(),
                        });
                        path.push(PathHop::Interface {
                            id: eni.id.clone(),
                            address: ip.to_string(),
                        });
                        out.paths.push(InboundPath {
                            protocol,
                            ports: in_ports,
                            sources: sources.describe(),
                            exposure: self.exposure(&sources, Some(vpc)),
                            source_set: sources,
                            path,
                        });
                    }
                }
            }
        }
        out
    }

    /// Every internet path into a resource by id (ENI id, or instance id: all its ENIs).
    /// Ready for `vpcaudit reach RESOURCE`.
    pub fn paths_into(&self, resource_id: &str) -> Vec<InboundReach> {
        self.inventory
            .network_interfaces
            .iter()
            .filter(|e| e.id == resource_id || e.instance_id.as_deref() == Some(resource_id))
            .map(|e| self.inbound(e))
            .collect()
    }
}
