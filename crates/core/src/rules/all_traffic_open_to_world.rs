//! SG002: every port open to the whole internet.

use serde_json::json;

use super::{Cause, Violation, world_open};
use crate::analysis::ScopeFacts;
use crate::net::{PortSet, Protocol};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &world_open::REQUIRES;

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_PATHS;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for group in &facts.inventory.security_groups {
        let (severity, carried) = world_open::exposure(facts, group);
        for (index, rule) in group
            .ingress
            .iter()
            .enumerate()
            .filter(|(_, r)| r.peer.is_world() && world_open::admits_all(r))
        {
            let path = world_open::group_path(
                facts,
                group,
                kind_of(&rule.protocol),
                &PortSet::all(),
                &[index],
            );
            let mut violation = Violation::new(
                facts.security_group_resource(group),
                format!(
                    "{} admits {} from {}{carried}",
                    group.id,
                    rule.describe_ports(),
                    rule.peer
                ),
            )
            .evidence(world_open::with_path(
                json!({ "rule": rule, "carried_by": world_open::carriers(facts, group) }),
                path,
            ))
            .remediation(format!(
                "Revoke the all-traffic rule from {} on {} and admit only the ports the service \
                 needs, from the security group of the tier in front of it.",
                rule.peer, group.id
            ))
            .cause(Cause::sg_ingress(rule));
            if let Some(severity) = severity {
                violation = violation.severity(severity);
            }
            out.push(violation);
        }
        // Rules that admit every port from part of the internet: judged together, per kind
        // (all traffic, TCP on every port, UDP on every port), as address sets.
        for union in world_open::all_traffic_unions(facts, group) {
            let path = world_open::group_path(
                facts,
                group,
                union.protocol,
                &union.ports,
                &union.indices(),
            );
            let mut evidence = union.evidence();
            world_open::set(
                &mut evidence,
                "carried_by",
                world_open::carriers(facts, group),
            );
            let (message, cause, revoke) = match union.single() {
                // One rule that is a large share by itself: keyed on the rule, as a 0.0.0.0/0
                // rule would be.
                Some((_, rule)) => (
                    format!(
                        "{} admits {} from {} ({}){carried}",
                        group.id,
                        rule.describe_ports(),
                        rule.peer,
                        union.exposure.describe()
                    ),
                    Cause::sg_ingress(rule),
                    format!("the all-traffic rule from {}", rule.peer),
                ),
                None => (
                    format!(
                        "{} admits {} from {} through {} rules ({}){carried}",
                        group.id,
                        union.describe_ports(),
                        union.exposure.describe(),
                        union.rules.len(),
                        union.peers()
                    ),
                    Cause::sg_union(union.protocol, &union.ports),
                    format!("the all-traffic rules from {}", union.peers()),
                ),
            };
            let mut violation = Violation::new(facts.security_group_resource(group), message)
                .evidence(world_open::with_path(evidence, path))
                .remediation(format!(
                    "Revoke {revoke} on {} and admit only the ports the service needs, from the \
                     security group of the tier in front of it.",
                    group.id
                ))
                .cause(cause);
            if let Some(severity) = severity {
                violation = violation.severity(severity);
            }
            out.push(violation);
        }
    }
    out
}

/// The kind of all-traffic rule: protocol `-1`, TCP or UDP on every port.
fn kind_of(protocol: &crate::model::Protocol) -> Protocol {
    if protocol.is_tcp() {
        Protocol::Tcp
    } else if protocol.is_udp() {
        Protocol::Udp
    } else {
        Protocol::All
    }
}
