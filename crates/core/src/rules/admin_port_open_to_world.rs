//! SG001: SSH or RDP open to the whole internet.

use serde_json::json;

use super::{Cause, Violation, world_open};
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &world_open::REQUIRES;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for group in &facts.inventory.security_groups {
        for rule in group.ingress.iter().filter(|r| r.peer.is_world()) {
            if world_open::admits_all(rule) {
                continue; // SG002 reports it
            }
            let Some(port) = facts
                .settings
                .admin_ports
                .iter()
                .copied()
                .find(|p| rule.admits_tcp_port(*p))
            else {
                continue;
            };
            let (severity, exposure) = world_open::exposure(facts, group);
            let mut violation = Violation::new(
                facts.security_group_resource(group),
                format!(
                    "{} admits {} from {} (admin port {port}){exposure}",
                    group.id,
                    rule.describe_ports(),
                    rule.peer
                ),
            )
            .evidence(json!({ "rule": rule, "port": port, "carried_by": world_open::carriers(facts, group) }))
            .remediation(format!(
                "Revoke the {} rule on {} and reach instances through SSM Session Manager or a \
                 bastion whose security group is referenced instead.",
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
