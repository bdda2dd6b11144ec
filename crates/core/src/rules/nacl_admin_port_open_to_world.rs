//! NACL001: a network ACL deliberately opens an admin port to the internet.

use std::collections::BTreeMap;

use ipnet::IpNet;
use serde_json::json;

use super::{Cause, Violation, world_open};
use crate::analysis::ScopeFacts;
use crate::model::{NetworkAcl, NetworkAclEntry};
use crate::net::{self, AddrSet, Direction, Exposure, PortSet, Protocol};
use crate::reach::{self, InboundPath, PathHop};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::NetworkAcls];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_PATHS;

/// What the ACL's deliberate entries let in from the internet on some admin ports, judged as
/// one set: the entries (rule numbers) that allow it, the ports and what they admit.
struct Opening {
    entries: Vec<u16>,
    ports: Vec<u16>,
    admitted: AddrSet,
}

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for acl in facts
        .inventory
        .network_acls
        .iter()
        .filter(|a| !a.subnet_ids.is_empty())
    {
        for opening in openings(facts, acl) {
            let exposure = facts.network.exposure(&opening.admitted, Some(&acl.vpc_id));
            out.push(violation(facts, acl, &opening, &exposure));
        }
    }
    out
}

/// Evaluates the inbound entries in rule-number order, first match wins, as AWS does: per
/// admin port, the internet addresses that reach an `allow` entry that is a deliberate opening
/// (TCP with a port range short of every port: protocol -1, the AWS default "allow all", and
/// tcp 0-65535 leave filtering to security groups). Earlier denies take their share away. Ports
/// whose admitted set is the world or a large share of it are grouped by the entries that
/// admit it.
fn openings(facts: &ScopeFacts<'_>, acl: &NetworkAcl) -> Vec<Opening> {
    let deliberate: BTreeMap<u16, &NetworkAclEntry> = acl
        .entries
        .iter()
        .filter(|e| !e.egress && is_deliberate(e))
        .filter_map(|e| Some((u16::try_from(e.rule_number).ok()?, e)))
        .collect();
    let model = net::NetworkAcl::new(acl.entries.iter().filter_map(reach::nacl_entry).collect());
    let internet = facts.network.internet(&acl.vpc_id);
    let mut out: Vec<Opening> = Vec::new();
    for &port in &facts.settings.admin_ports {
        let mut by_entry: BTreeMap<u16, AddrSet> = BTreeMap::new();
        for (_, addrs, rule) in model.allowed(
            Direction::Ingress,
            Protocol::Tcp,
            &PortSet::single(port),
            &internet,
        ) {
            if deliberate.contains_key(&rule) {
                let acc = by_entry.entry(rule).or_default();
                *acc = acc.union(&addrs);
            }
        }
        // A 0.0.0.0/0 or ::/0 entry that lets a large share through keeps its own finding (one
        // per family, keyed on the entry as always); the other entries are judged as one set.
        let large = |a: &AddrSet| facts.network.exposure(a, Some(&acl.vpc_id)).rank() >= 2;
        let world_entry = |rule: u16| {
            deliberate
                .get(&rule)
                .and_then(|e| source(e))
                .is_some_and(|s| s.prefix_len() == 0)
        };
        let mut rest: BTreeMap<u16, AddrSet> = BTreeMap::new();
        for (rule, addrs) in by_entry {
            if world_entry(rule) && large(&addrs) {
                add(&mut out, vec![rule], port, addrs);
            } else {
                rest.insert(rule, addrs);
            }
        }
        let admitted = rest.values().fold(AddrSet::empty(), |acc, a| acc.union(a));
        if large(&admitted) {
            add(&mut out, rest.keys().copied().collect(), port, admitted);
        }
    }
    out
}

/// Adds `port` to the opening of `entries` (a new one if there is none yet).
fn add(out: &mut Vec<Opening>, entries: Vec<u16>, port: u16, admitted: AddrSet) {
    match out.iter_mut().find(|o| o.entries == entries) {
        Some(o) => {
            o.ports.push(port);
            o.admitted = o.admitted.union(&admitted);
        }
        None => out.push(Opening {
            entries,
            ports: vec![port],
            admitted,
        }),
    }
}

fn is_deliberate(entry: &NetworkAclEntry) -> bool {
    entry.action.eq_ignore_ascii_case("allow")
        && entry.protocol.is_tcp()
        && entry.port_range.is_some_and(|r| !r.is_every_port())
}

fn violation(
    facts: &ScopeFacts<'_>,
    acl: &NetworkAcl,
    opening: &Opening,
    exposure: &Exposure,
) -> Violation {
    let inbound: Vec<&NetworkAclEntry> = opening
        .entries
        .iter()
        .filter_map(|n| {
            acl.entries
                .iter()
                .find(|e| !e.egress && e.rule_number == i32::from(*n))
        })
        .collect();
    let ports_text = opening
        .ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let noun = if opening.ports.len() == 1 {
        "port"
    } else {
        "ports"
    };
    let path = nacl_path(facts, acl, &opening.entries, &opening.ports);
    let evidence = world_open::with_path(
        json!({
            "entries": inbound,
            "admin_ports": opening.ports,
            "subnets": acl.subnet_ids,
            "admitted": exposure.admitted().map(|a| a.describe()),
            "exposure": if exposure.is_world() { "world" } else { "large" },
        }),
        path,
    );
    match inbound.as_slice() {
        [entry] => {
            let source = source(entry);
            let admitted = match entry.port_range {
                Some(r) if r.from == r.to => format!("tcp/{}", r.from),
                Some(r) => format!("tcp/{}-{}", r.from, r.to),
                None => "tcp".to_owned(),
            };
            let source_text = source.map_or_else(|| "?".to_owned(), |s| s.to_string());
            // The whole internet from a 0.0.0.0/0 entry needs no gloss; anything else says how
            // much of it gets through.
            let how_much = if source.is_some_and(|s| s.prefix_len() == 0) && exposure.is_world() {
                String::new()
            } else {
                format!(": {}", exposure.describe())
            };
            let cidr_flag = match source {
                Some(IpNet::V6(_)) => "--ipv6-cidr-block",
                _ => "--cidr-block",
            };
            let mut evidence = evidence;
            world_open::set(&mut evidence, "entry", json!(entry));
            Violation::new(
                facts.network_acl_resource(acl),
                format!(
                    "network ACL {} inbound entry #{} allows {admitted} from {source_text} \
                     (admin {noun} {ports_text}) into {}{how_much}",
                    acl.id,
                    entry.rule_number,
                    acl.subnet_ids.join(", ")
                ),
            )
            .evidence(evidence)
            .remediation(format!(
                "Delete inbound entry #{n} of {acl} (aws ec2 delete-network-acl-entry \
                 --network-acl-id {acl} --ingress --rule-number {n}), or narrow it with \
                 replace-network-acl-entry {cidr_flag} set to the administrators' range; reach \
                 hosts through SSM Session Manager.",
                n = entry.rule_number,
                acl = acl.id,
            ))
            .cause(match source {
                Some(source) => Cause::nacl_ingress(entry.rule_number, source),
                None => Cause::nacl_union_tcp(&opening.ports),
            })
        }
        entries => {
            let numbers: Vec<String> = entries
                .iter()
                .map(|e| {
                    let from = source(e).map_or_else(|| "?".to_owned(), |s| s.to_string());
                    format!("#{} from {from}", e.rule_number)
                })
                .collect();
            Violation::new(
                facts.network_acl_resource(acl),
                format!(
                    "network ACL {} allows tcp (admin {noun} {ports_text}) from {} into {} \
                     through {} inbound entries ({})",
                    acl.id,
                    exposure.describe(),
                    acl.subnet_ids.join(", "),
                    entries.len(),
                    numbers.join(", ")
                ),
            )
            .evidence(evidence)
            .remediation(format!(
                "Delete or narrow inbound entries {} of {} (aws ec2 delete-network-acl-entry \
                 --network-acl-id {} --ingress --rule-number N) so that together they admit \
                 only the administrators' range; reach hosts through SSM Session Manager.",
                entries
                    .iter()
                    .map(|e| format!("#{}", e.rule_number))
                    .collect::<Vec<_>>()
                    .join(", "),
                acl.id,
                acl.id
            ))
            .cause(Cause::nacl_union_tcp(&opening.ports))
        }
    }
}

/// The way in through the ACL's subnets: the first internet path into an interface there that
/// one of `entries` lets in on an admin port.
fn nacl_path(
    facts: &ScopeFacts<'_>,
    acl: &NetworkAcl,
    entries: &[u16],
    ports: &[u16],
) -> Option<(Vec<PathHop>, usize)> {
    let through = |p: &InboundPath| {
        p.protocol == Protocol::Tcp
            && ports.iter().any(|port| p.ports.contains(*port))
            && p.path.iter().any(|hop| {
                matches!(hop, PathHop::NaclInbound { network_acl_id, rule_number }
                    if network_acl_id == &acl.id && entries.contains(rule_number))
            })
    };
    let interfaces = facts.inventory.network_interfaces.iter().filter(|e| {
        e.subnet_id
            .as_deref()
            .is_some_and(|s| acl.subnet_ids.iter().any(|id| id == s))
    });
    world_open::path_evidence(facts, interfaces, through, |_| true)
}

fn source(entry: &NetworkAclEntry) -> Option<IpNet> {
    entry
        .cidr_block
        .map(IpNet::V4)
        .or(entry.ipv6_cidr_block.map(IpNet::V6))
}
