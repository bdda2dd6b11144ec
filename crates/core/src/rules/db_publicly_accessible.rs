//! DB001: an RDS instance or cluster that is publicly accessible.

use std::collections::HashSet;

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::DbInstances, Dataset::DbClusters];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let remediation = |kind: &str, id: &str| {
        format!(
            "aws rds modify-{kind} --{kind}-identifier {id} --no-publicly-accessible \
             --apply-immediately; keep the database in private subnets reached through \
             security groups."
        )
    };
    for db in &facts.inventory.db_instances {
        if db.publicly_accessible == Some(true) {
            out.push(
                Violation::new(
                    facts.db_instance_resource(db),
                    format!(
                        "RDS instance {} is publicly accessible (PubliclyAccessible = true{})",
                        db.id,
                        db.endpoint
                            .as_ref()
                            .map(|e| format!(", endpoint {}", e.address))
                            .unwrap_or_default()
                    ),
                )
                .evidence(json!({ "publicly_accessible": true, "endpoint": db.endpoint }))
                .remediation(remediation("db-instance", &db.id)),
            );
        }
    }
    // A cluster whose public members were reported above is not reported again.
    let reported: HashSet<&str> = facts
        .inventory
        .db_instances
        .iter()
        .filter(|d| d.publicly_accessible == Some(true))
        .map(|d| d.id.as_str())
        .collect();
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
