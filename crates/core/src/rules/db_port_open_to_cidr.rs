//! DB003: a database's security group admits an address range on the database port.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::{PeerReach, ScopeFacts, exposure::default_db_port};
use crate::finding::Severity;
use crate::model::Endpoint;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::SecurityGroups,
];

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
        for rule in &group.ingress {
            let reach = PeerReach::of(&rule.peer);
            if !rule.peer.is_cidr() {
                continue;
            }
            let Some(port) = ports.iter().copied().find(|p| rule.admits_tcp_port(*p)) else {
                continue;
            };
            let db_ids: Vec<&str> = databases
                .iter()
                .filter(|(_, p)| *p == port)
                .map(|(id, _)| *id)
                .collect();
            let (severity, whom) = if reach.is_internet() {
                (Severity::Critical, "the internet")
            } else {
                (Severity::High, "an address range")
            };
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
                .evidence(json!({
                    "databases": db_ids,
                    "port": port,
                    "rule": rule,
                }))
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
