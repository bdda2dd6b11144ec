//! SG001: SSH or RDP open to the whole internet.

use serde_json::json;

use super::{Cause, Violation, world_open};
use crate::analysis::ScopeFacts;
use crate::model::SecurityGroup;
use crate::net::{PortSet, Protocol};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &world_open::REQUIRES;

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_PATHS;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for group in &facts.inventory.security_groups {
        for (index, rule) in group
            .ingress
            .iter()
            .enumerate()
            .filter(|(_, r)| r.peer.is_world())
        {
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
            let path = world_open::group_path(
                facts,
                group,
                Protocol::Tcp,
                &PortSet::single(port),
                &[index],
            );
            let mut violation = Violation::new(
                facts.security_group_resource(group),
                format!(
                    "{} admits {} from {} (admin port {port}){exposure}",
                    group.id,
                    rule.describe_ports(),
                    rule.peer
                ),
            )
            .evidence(world_open::with_path(
                json!({ "rule": rule, "port": port, "carried_by": world_open::carriers(facts, group) }),
                path,
            ))
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
        out.extend(union_findings(facts, group));
    }
    out
}

/// Rules that are not the world one by one but are together: `0.0.0.0/1` + `128.0.0.0/1`, or
/// all public IPv4 but a /24 (a large share counts like the world for admin ports). Judged on
/// the union of the group's CIDR sources per admin port, as address sets.
fn union_findings(facts: &ScopeFacts<'_>, group: &SecurityGroup) -> Vec<Violation> {
    let mut out = Vec::new();
    for &port in &facts.settings.admin_ports {
        let Some((rules, exposure)) = world_open::admin_union(facts, group, port) else {
            continue; // Some or None: SG004 judges partial ranges
        };
        let (severity, carried) = world_open::exposure(facts, group);
        let peers: Vec<String> = rules.iter().map(|(_, r)| r.peer.to_string()).collect();
        let indices: Vec<usize> = rules.iter().map(|(i, _)| *i).collect();
        let path = world_open::group_path(
            facts,
            group,
            Protocol::Tcp,
            &PortSet::single(port),
            &indices,
        );
        let mut violation = Violation::new(
            facts.security_group_resource(group),
            format!(
                "{} admits tcp/{port} (admin port) from {} through {} {} ({}){carried}",
                group.id,
                exposure.describe(),
                rules.len(),
                if rules.len() == 1 { "rule" } else { "rules" },
                peers.join(", ")
            ),
        )
        .evidence(world_open::with_path(
            json!({
                "rules": rules.iter().map(|(_, r)| r).collect::<Vec<_>>(),
                "port": port,
                "admitted": exposure.admitted().map(|a| a.describe()),
                "exposure": if exposure.is_world() { "world" } else { "large" },
                "carried_by": world_open::carriers(facts, group),
            }),
            path,
        ))
        .remediation(format!(
            "Revoke the rules admitting tcp/{port} on {} from public ranges and reach instances \
             through SSM Session Manager or a bastion whose security group is referenced instead.",
            group.id
        ))
        .cause(Cause::sg_union_tcp(port));
        if let Some(severity) = severity {
            violation = violation.severity(severity);
        }
        out.push(violation);
    }
    out
}
