//! SG002: every port open to the whole internet.

use serde_json::json;

use super::{Cause, Violation, world_open};
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &world_open::REQUIRES;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for group in &facts.inventory.security_groups {
        for rule in group
            .ingress
            .iter()
            .filter(|r| r.peer.is_world() && world_open::admits_all(r))
        {
            let (severity, exposure) = world_open::exposure(facts, group);
            let mut violation = Violation::new(
                facts.security_group_resource(group),
                format!(
                    "{} admits {} from {}{exposure}",
                    group.id,
                    rule.describe_ports(),
                    rule.peer
                ),
            )
            .evidence(json!({ "rule": rule, "carried_by": world_open::carriers(facts, group) }))
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
    }
    out
}
