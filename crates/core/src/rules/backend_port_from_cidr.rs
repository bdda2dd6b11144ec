//! SG004: backend compute admits traffic from an address range instead of a security group.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::{Cause, Violation, world_open};
use crate::analysis::ScopeFacts;
use crate::finding::Severity;
use crate::model::{SecurityGroup, SecurityGroupRule};
use crate::net::{PortSet, Protocol};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &world_open::REQUIRES;

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_PATHS;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for group in &facts.inventory.security_groups {
        let Some(users) = facts.sg_users.get(group.id.as_str()) else {
            continue; // unattached: exposes nothing
        };
        // Only groups carried by backend compute alone: a load balancer's or a database's
        // group is judged by the rules for those tiers.
        if users.is_empty() || !users.iter().all(|u| u.kind.is_backend_compute()) {
            continue;
        }
        let ids: Vec<&str> = users.iter().map(|u| u.id).collect();
        let backend = format!("{} (backend: {})", group.id, ids.join(", "));
        let claimed = claimed_elsewhere(facts, group);
        let candidates: Vec<usize> = group
            .ingress
            .iter()
            .enumerate()
            .filter(|(i, r)| {
                r.peer.is_cidr()
                    // ICMP from a range is diagnostics, not service access
                    && (r.protocol.is_all() || r.protocol.is_tcp() || r.protocol.is_udp())
                    && !claimed.contains(i)
            })
            .map(|(i, _)| i)
            .collect();
        // The ranges judged together, per protocol: where they admit the world or a large share
        // of it, that is reported like a 0.0.0.0/0 rule (high), once.
        let partial: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| group.ingress.get(i).is_some_and(|r| !r.peer.is_world()))
            .collect();
        let world = world_open::world_rule_indices(group);
        let mut alone: BTreeMap<usize, Vec<world_open::Exposed<'_>>> = BTreeMap::new();
        let mut in_union: BTreeSet<usize> = BTreeSet::new();
        for protocol in [Protocol::Tcp, Protocol::Udp] {
            for union in
                world_open::world_like(facts, group, &partial, &world, protocol, &PortSet::all())
            {
                match union.single() {
                    Some((i, _)) => alone.entry(i).or_default().push(union),
                    None => {
                        in_union.extend(union.indices());
                        out.push(union_violation(facts, group, &backend, &union));
                    }
                }
            }
        }
        for i in candidates {
            let Some(rule) = group.ingress.get(i) else {
                continue;
            };
            let unions = alone.get(&i);
            if unions.is_none() && in_union.contains(&i) {
                continue; // reported as part of a union
            }
            let (severity, how_much) = match unions {
                Some(unions) => {
                    let widest = unions
                        .iter()
                        .max_by_key(|u| u.exposure.rank())
                        .map(|u| format!(": {}", u.exposure.describe()))
                        .unwrap_or_default();
                    (Severity::High, widest)
                }
                None if rule.peer.is_world() => (Severity::High, String::new()),
                None => (Severity::Medium, String::new()),
            };
            let path = (severity == Severity::High)
                .then(|| {
                    world_open::group_path(facts, group, protocol_of(rule), &ports_of(rule), &[i])
                })
                .flatten();
            let mut evidence =
                json!({ "rule": rule, "carried_by": world_open::carriers(facts, group) });
            if let Some(unions) = unions {
                world_open::set(
                    &mut evidence,
                    "exposure",
                    json!(if unions.iter().any(|u| u.exposure.is_world()) {
                        "world"
                    } else {
                        "large"
                    }),
                );
                world_open::set(
                    &mut evidence,
                    "admitted",
                    json!(
                        unions
                            .iter()
                            .filter_map(|u| u.exposure.admitted().map(|a| a.describe()))
                            .collect::<Vec<_>>()
                    ),
                );
            }
            let evidence = if severity == Severity::High {
                world_open::with_path(evidence, path)
            } else {
                evidence
            };
            out.push(
                Violation::new(
                    facts.security_group_resource(group),
                    format!(
                        "{backend} admits {} from address range {} instead of a security \
                         group{how_much}",
                        rule.describe_ports(),
                        rule.peer
                    ),
                )
                .evidence(evidence)
                .remediation(format!(
                    "Replace the {} rule on {} with one that references the security group of \
                     the tier that calls this backend (its load balancer or upstream service).",
                    rule.peer, group.id
                ))
                .cause(Cause::sg_ingress(rule))
                .severity(severity),
            );
        }
    }
    out
}

/// Rules SG001 or SG002 report: all traffic or an admin port from the world, one by one or as
/// part of a union that admits the world or a large share of it.
fn claimed_elsewhere(facts: &ScopeFacts<'_>, group: &SecurityGroup) -> BTreeSet<usize> {
    let admin = &facts.settings.admin_ports;
    let mut claimed: BTreeSet<usize> = group
        .ingress
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            world_open::is_world_rule(r)
                && (world_open::admits_all(r) || admin.iter().any(|p| r.admits_tcp_port(*p)))
        })
        .map(|(i, _)| i)
        .collect();
    for union in world_open::all_traffic_unions(facts, group) {
        claimed.extend(union.indices());
    }
    for &port in admin {
        // Only the rules that bring public addresses into it: a private range next to them is
        // still SG004's.
        if let Some((rules, _)) = world_open::admin_union(facts, group, port) {
            claimed.extend(rules.iter().map(|(i, _)| *i));
        }
    }
    claimed
}

fn union_violation(
    facts: &ScopeFacts<'_>,
    group: &SecurityGroup,
    backend: &str,
    union: &world_open::Exposed<'_>,
) -> Violation {
    let path = world_open::group_path(facts, group, union.protocol, &union.ports, &union.indices());
    let mut evidence = union.evidence();
    world_open::set(
        &mut evidence,
        "carried_by",
        world_open::carriers(facts, group),
    );
    Violation::new(
        facts.security_group_resource(group),
        format!(
            "{backend} admits {} from {} through {} address-range rules ({}) instead of a \
             security group",
            union.describe_ports(),
            union.exposure.describe(),
            union.rules.len(),
            union.peers()
        ),
    )
    .evidence(world_open::with_path(evidence, path))
    .remediation(format!(
        "Replace the rules from {} on {} with one that references the security group of the \
         tier that calls this backend (its load balancer or upstream service).",
        union.peers(),
        group.id
    ))
    .cause(Cause::sg_union(union.protocol, &union.ports))
    .severity(Severity::High)
}

fn protocol_of(rule: &SecurityGroupRule) -> Protocol {
    rule.protocol.0.parse().unwrap_or(Protocol::All)
}

fn ports_of(rule: &SecurityGroupRule) -> PortSet {
    PortSet::from_aws(rule.ports.map(|p| p.from), rule.ports.map(|p| p.to))
}
