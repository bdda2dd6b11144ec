//! SG004: backend compute admits traffic from an address range instead of a security group.

use serde_json::json;

use super::{Cause, Violation, world_open};
use crate::analysis::ScopeFacts;
use crate::finding::Severity;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &world_open::REQUIRES;

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
        for rule in &group.ingress {
            if !rule.peer.is_cidr() {
                continue;
            }
            if !(rule.protocol.is_all() || rule.protocol.is_tcp() || rule.protocol.is_udp()) {
                continue; // ICMP from a range is diagnostics, not service access
            }
            let already_reported = rule.peer.is_world()
                && (world_open::admits_all(rule)
                    || facts
                        .settings
                        .admin_ports
                        .iter()
                        .any(|p| rule.admits_tcp_port(*p)));
            if already_reported {
                continue; // SG001 or SG002
            }
            let ids: Vec<&str> = users.iter().map(|u| u.id).collect();
            let severity = if rule.peer.is_world() {
                Severity::High
            } else {
                Severity::Medium
            };
            out.push(
                Violation::new(
                    facts.security_group_resource(group),
                    format!(
                        "{} (backend: {}) admits {} from address range {} instead of a security \
                         group",
                        group.id,
                        ids.join(", "),
                        rule.describe_ports(),
                        rule.peer
                    ),
                )
                .evidence(json!({ "rule": rule, "carried_by": world_open::carriers(facts, group) }))
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
