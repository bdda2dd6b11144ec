//! DB001: a database the internet can reach, or one flagged publicly accessible. See
//! `rules/DB001.md`.
//!
//! An RDS instance is judged on the reachability model: its interfaces (requester
//! `amazon-rds` or description `RDSNetworkInterface`, in its DB subnet group's subnets,
//! carrying exactly its VPC security groups) are asked [`crate::reach::Network::inbound`], and
//! a path that admits the database port makes the finding critical, whatever
//! `PubliclyAccessible` says. `PubliclyAccessible = true` alone is still reported, at high when
//! the model shows no path, at critical (as before) when it cannot tell. One finding per
//! database, cause none: the fingerprint is the one the flag-only finding always had.

use std::collections::{BTreeSet, HashSet};

use serde_json::json;

use super::Violation;
use crate::analysis::{ScopeFacts, exposure::default_db_port};
use crate::finding::Severity;
use crate::model::{DbInstance, NetworkInterface};
use crate::net::Protocol;
use crate::reach::InboundPath;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::DbInstances,
    Dataset::DbClusters,
    // Which interfaces are the database's, and where they sit.
    Dataset::DbSubnetGroups,
    Dataset::NetworkInterfaces,
    // The reachability model's inbound path: VPC CIDRs, routes, network ACLs, groups.
    Dataset::Vpcs,
    Dataset::Subnets,
    Dataset::RouteTables,
    Dataset::NetworkAcls,
    Dataset::SecurityGroups,
];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_PATHS;

/// What the model says about the internet and one database.
enum Reach<'a> {
    /// A path admits the database port: the interface and the widest such path.
    Reachable {
        eni: &'a NetworkInterface,
        path: Box<InboundPath>,
        not_evaluated: Vec<String>,
    },
    /// No path admits the port (the reason, for evidence).
    Unreachable(String),
    /// The model lacks what it needs to tell.
    NotEvaluated(String),
}

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut reported: HashSet<&str> = HashSet::new();
    let remediation = |kind: &str, id: &str| {
        format!(
            "aws rds modify-{kind} --{kind}-identifier {id} --no-publicly-accessible \
             --apply-immediately; keep the database in private subnets reached through \
             security groups."
        )
    };
    for db in &facts.inventory.db_instances {
        let flagged = db.publicly_accessible == Some(true);
        let ports = ports_of(facts, db);
        let endpoint = db
            .endpoint
            .as_ref()
            .map(|e| format!(", endpoint {}", e.address))
            .unwrap_or_default();
        let violation = match reach(facts, db, &ports) {
            Reach::Reachable {
                eni,
                path,
                not_evaluated,
            } => {
                let port = ports
                    .iter()
                    .copied()
                    .find(|p| path.ports.contains(*p))
                    .unwrap_or_default();
                let flag = match db.publicly_accessible {
                    Some(v) => format!("PubliclyAccessible = {v}"),
                    None => "PubliclyAccessible not reported".to_owned(),
                };
                Violation::new(
                    facts.db_instance_resource(db),
                    format!(
                        "RDS instance {} is reachable from the internet on tcp/{port} through \
                         {}: {} ({flag}{endpoint})",
                        db.id,
                        eni.id,
                        path.exposure.describe()
                    ),
                )
                .evidence(json!({
                    "publicly_accessible": db.publicly_accessible,
                    "endpoint": db.endpoint,
                    "reachable": true,
                    "port": port,
                    "network_interface_id": eni.id,
                    "sources": path.sources,
                    "exposure": path.exposure.describe(),
                    "path": path.path,
                    "not_evaluated": not_evaluated,
                }))
            }
            Reach::Unreachable(why) if flagged => Violation::new(
                facts.db_instance_resource(db),
                format!(
                    "RDS instance {} is publicly accessible (PubliclyAccessible = true{endpoint}); \
                     no internet path reaches its port today ({why}), but one route or \
                     security group change would open it",
                    db.id
                ),
            )
            .evidence(json!({
                "publicly_accessible": true,
                "endpoint": db.endpoint,
                "reachable": false,
                "why": why,
            }))
            .severity(Severity::High),
            Reach::NotEvaluated(why) if flagged => Violation::new(
                facts.db_instance_resource(db),
                format!(
                    "RDS instance {} is publicly accessible (PubliclyAccessible = true{endpoint})",
                    db.id
                ),
            )
            .evidence(json!({
                "publicly_accessible": true,
                "endpoint": db.endpoint,
                "reachable": null,
                "not_evaluated": why,
            })),
            Reach::Unreachable(_) | Reach::NotEvaluated(_) => continue,
        };
        reported.insert(db.id.as_str());
        out.push(violation.remediation(remediation("db-instance", &db.id)));
    }
    // A cluster whose members were reported above is not reported again.
    for cluster in &facts.inventory.db_clusters {
        let members_reported = cluster
            .member_ids
            .iter()
            .any(|m| reported.contains(m.as_str()));
        if cluster.publicly_accessible == Some(true) && !members_reported {
            out.push(
                Violation::new(
                    facts.db_cluster_resource(cluster),
                    format!(
                        "DB cluster {} is publicly accessible (PubliclyAccessible = true)",
                        cluster.id
                    ),
                )
                .evidence(json!({ "publicly_accessible": true, "endpoint": cluster.endpoint }))
                .remediation(remediation("db-cluster", &cluster.id)),
            );
        }
    }
    out
}

/// The endpoint's port, else the engine's default, else every configured database port.
fn ports_of(facts: &ScopeFacts<'_>, db: &DbInstance) -> Vec<u16> {
    match db
        .endpoint
        .as_ref()
        .and_then(|e| e.port)
        .or_else(|| db.engine.as_deref().and_then(default_db_port))
    {
        Some(port) => vec![port],
        None => facts.settings.db_ports.clone(),
    }
}

/// The database's interfaces: created by RDS, in its subnet group's subnets (else its VPC),
/// carrying exactly its security groups. An interface with a public IPv4 address is never one
/// of a database that says it is not publicly accessible (RDS gives those no public address):
/// two databases sharing groups and subnets are told apart that way.
fn interfaces<'a>(facts: &ScopeFacts<'a>, db: &DbInstance) -> Vec<&'a NetworkInterface> {
    let groups: BTreeSet<&str> = db.security_group_ids.iter().map(String::as_str).collect();
    if groups.is_empty() {
        return Vec::new();
    }
    let subnets: Option<HashSet<&str>> = db
        .db_subnet_group
        .as_deref()
        .and_then(|g| facts.db_subnet_groups.get(g))
        .map(|g| g.subnets.iter().map(|m| m.subnet_id.as_str()).collect());
    facts
        .inventory
        .network_interfaces
        .iter()
        .filter(|e| {
            e.requester_id.as_deref() == Some("amazon-rds")
                || e.description
                    .as_deref()
                    .is_some_and(|d| d.starts_with("RDSNetworkInterface"))
        })
        .filter(|e| match &subnets {
            Some(subnets) => e.subnet_id.as_deref().is_some_and(|s| subnets.contains(s)),
            None => e.vpc_id.is_some() && e.vpc_id == db.vpc_id,
        })
        .filter(|e| {
            let carried: BTreeSet<&str> = e.security_group_ids.iter().map(String::as_str).collect();
            carried == groups
        })
        .filter(|e| e.public_ip.is_none() || db.publicly_accessible != Some(false))
        .collect()
}

fn reach<'a>(facts: &ScopeFacts<'a>, db: &DbInstance, ports: &[u16]) -> Reach<'a> {
    let enis = interfaces(facts, db);
    if enis.is_empty() {
        // Without its interfaces, routes can still prove it: a path from the internet needs
        // a subnet that routes to an internet gateway.
        let members: Vec<&str> = db
            .db_subnet_group
            .as_deref()
            .and_then(|g| facts.db_subnet_groups.get(g))
            .map(|g| g.subnets.iter().map(|m| m.subnet_id.as_str()).collect())
            .unwrap_or_default();
        let known: Vec<_> = members
            .iter()
            .filter_map(|s| facts.network.subnet(s))
            .filter(|s| s.table.is_some())
            .collect();
        if !members.is_empty()
            && known.len() == members.len()
            && !known.iter().any(|s| s.is_public())
        {
            return Reach::Unreachable(format!(
                "none of its subnets ({}) routes to an internet gateway",
                members.join(", ")
            ));
        }
        return Reach::NotEvaluated(
            "no RDS network interface of this instance is in the inventory".to_owned(),
        );
    }
    let mut best: Option<(&NetworkInterface, InboundPath, Vec<String>)> = None;
    for eni in &enis {
        let inbound = facts.network.inbound(eni);
        for path in inbound.paths {
            let admits = path.protocol == Protocol::Tcp
                && ports.iter().any(|p| path.ports.contains(*p))
                && path.exposure.rank() > 0;
            if admits
                && best
                    .as_ref()
                    .is_none_or(|(_, b, _)| path.exposure.rank() > b.exposure.rank())
            {
                best = Some((eni, path, inbound.not_evaluated.clone()));
            }
        }
    }
    match best {
        Some((eni, path, not_evaluated)) => Reach::Reachable {
            eni,
            path: Box::new(path),
            not_evaluated,
        },
        None => {
            let ids: Vec<&str> = enis.iter().map(|e| e.id.as_str()).collect();
            let ports: Vec<String> = ports.iter().map(|p| format!("tcp/{p}")).collect();
            Reach::Unreachable(format!(
                "no internet path admits {} to {}",
                ports.join(", "),
                ids.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::model::RegionInventory;

    /// The fixture case of a database the internet reaches: the finding quotes the model's path.
    #[test]
    fn a_reachable_database_carries_its_path_in_order() {
        let fixture: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../fixtures/rules/DB001.json"
            ))
            .expect("fixtures/rules/DB001.json"),
        )
        .expect("fixture is JSON");
        let case = fixture["cases"]
            .as_array()
            .and_then(|cases| {
                cases.iter().find(|c| {
                    c["name"]
                        == "model: reachable from the internet on its port: critical, with the path"
                })
            })
            .expect("the case");
        let inventory: RegionInventory =
            serde_json::from_value(case["inventory"].clone()).expect("inventory");
        let settings = Settings::default();
        let facts = ScopeFacts::build(&inventory, &settings);
        let found = check(&facts);
        let [violation] = found.as_slice() else {
            panic!("one violation expected: {found:?}");
        };
        assert_eq!(violation.severity, None, "the rule's default: critical");
        let evidence = &violation.evidence;
        assert_eq!(evidence["reachable"], true);
        assert_eq!(evidence["port"], 5432);
        assert_eq!(evidence["network_interface_id"], "eni-rds");
        let hops: Vec<&str> = evidence["path"]
            .as_array()
            .expect("path")
            .iter()
            .filter_map(|h| h["hop"].as_str())
            .collect();
        assert_eq!(
            hops,
            [
                "internet_gateway",
                "route",
                "nacl_inbound",
                "nacl_outbound_reply",
                "security_group",
                "interface"
            ]
        );
        assert_eq!(evidence["path"][5]["address"], "203.0.113.10");
        assert!(evidence["sources"].as_str().is_some_and(|s| !s.is_empty()));
    }
}
