//! DB003: a database's security group admits an address range on the database port.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::{Cause, Violation, world_open};
use crate::analysis::{PeerReach, ScopeFacts, exposure::default_db_port};
use crate::finding::Severity;
use crate::model::{Endpoint, SecurityGroup};
use crate::net::{PortSet, Protocol};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::SecurityGroups,
];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_PATHS;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    // security group id → (database id, port) of every database it protects
    let mut protected: BTreeMap<&str, Vec<(&str, u16)>> = BTreeMap::new();
    // The endpoint's port, else the engine's default, else every configured database port.
    let ports_of = |endpoint: Option<&Endpoint>, engine: Option<&str>| -> Vec<u16> {
        match endpoint
            .and_then(|e| e.port)
            .or_else(|| engine.and_then(default_db_port))
        {
            Some(port) => vec![port],
            None => facts.settings.db_ports.clone(),
        }
    };
    let databases = facts
        .inventory
        .db_instances
        .iter()
        .map(|d| {
            (
                &d.id,
                d.endpoint.as_ref(),
                d.engine.as_deref(),
                &d.security_group_ids,
            )
        })
        .chain(facts.inventory.db_clusters.iter().map(|c| {
            (
                &c.id,
                c.endpoint.as_ref(),
                c.engine.as_deref(),
                &c.security_group_ids,
            )
        }));
    for (id, endpoint, engine, groups) in databases {
        for port in ports_of(endpoint, engine) {
            for sg in groups {
                protected.entry(sg).or_default().push((id, port));
            }
        }
    }

    let mut out = Vec::new();
    for (sg_id, databases) in protected {
        let Some(group) = facts.security_groups.get(sg_id) else {
            continue;
        };
        let mut ports: Vec<u16> = databases.iter().map(|(_, p)| *p).collect();
        ports.sort_unstable();
        ports.dedup();
        let db_ids_on = |port: u16| -> Vec<&str> {
            databases
                .iter()
                .filter(|(_, p)| *p == port)
                .map(|(id, _)| *id)
                .collect()
        };
        // Ranges that are not the internet one by one but are together (0.0.0.0/1 +
        // 128.0.0.0/1, or all public IPv4 but a /24): one finding per port, from the union.
        let mut in_union: BTreeSet<(usize, u16)> = BTreeSet::new();
        let world = world_open::world_rule_indices(group);
        for &port in &ports {
            let partial: Vec<usize> = group
                .ingress
                .iter()
                .enumerate()
                .filter(|(_, r)| r.peer.is_cidr() && !r.peer.is_world() && r.admits_tcp_port(port))
                .map(|(i, _)| i)
                .collect();
            let unions = world_open::world_like(
                facts,
                group,
                &partial,
                &world,
                Protocol::Tcp,
                &PortSet::single(port),
            );
            for union in unions.iter().filter(|u| u.single().is_none()) {
                in_union.extend(union.indices().into_iter().map(|i| (i, port)));
                out.push(union_violation(facts, group, &db_ids_on(port), port, union));
            }
        }
        for (index, rule) in group.ingress.iter().enumerate() {
            let reach = PeerReach::of(&rule.peer);
            if !rule.peer.is_cidr() {
                continue;
            }
            let Some(port) = ports
                .iter()
                .copied()
                .find(|p| rule.admits_tcp_port(*p) && !in_union.contains(&(index, *p)))
            else {
                continue;
            };
            let db_ids = db_ids_on(port);
            let (severity, whom) = if reach.is_internet() {
                (Severity::Critical, "the internet")
            } else {
                (Severity::High, "an address range")
            };
            let mut evidence = json!({
                "databases": db_ids,
                "port": port,
                "rule": rule,
            });
            if reach.is_internet() {
                let path = world_open::group_path(
                    facts,
                    group,
                    Protocol::Tcp,
                    &PortSet::single(port),
                    &[index],
                );
                evidence = world_open::with_path(evidence, path);
            }
            out.push(
                Violation::new(
                    facts.security_group_resource(group),
                    format!(
                        "{sg_id} protects database {} and admits {whom} ({}) on {} (port {port})",
                        db_ids.join(", "),
                        rule.peer,
                        rule.describe_ports()
                    ),
                )
                .evidence(evidence)
                .remediation(format!(
                    "Remove the {} rule from {sg_id} and admit port {port} only from the \
                     application tier's security group.",
                    rule.peer
                ))
                .cause(Cause::sg_port(rule, port))
                .severity(severity),
            );
        }
    }
    out
}

fn union_violation(
    facts: &ScopeFacts<'_>,
    group: &SecurityGroup,
    db_ids: &[&str],
    port: u16,
    union: &world_open::Exposed<'_>,
) -> Violation {
    let path = world_open::group_path(
        facts,
        group,
        Protocol::Tcp,
        &PortSet::single(port),
        &union.indices(),
    );
    let mut evidence = union.evidence();
    world_open::set(&mut evidence, "databases", json!(db_ids));
    world_open::set(&mut evidence, "port", json!(port));
    Violation::new(
        facts.security_group_resource(group),
        format!(
            "{} protects database {} and admits {} on tcp/{port} through {} rules ({})",
            group.id,
            db_ids.join(", "),
            union.exposure.describe(),
            union.rules.len(),
            union.peers()
        ),
    )
    .evidence(world_open::with_path(evidence, path))
    .remediation(format!(
        "Remove the rules from {} on {} and admit port {port} only from the application \
         tier's security group.",
        union.peers(),
        group.id
    ))
    .cause(Cause::sg_union_port(port))
    .severity(Severity::Critical)
}
