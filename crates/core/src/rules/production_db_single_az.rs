//! AZ003: a production database without a standby in another Availability Zone.

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::Vpcs,
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::DbSubnetGroups,
];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    // Aurora members are judged through their cluster; a read replica's availability is
    // its source's (a replica may well be single-AZ on purpose).
    for db in facts
        .inventory
        .db_instances
        .iter()
        .filter(|d| d.cluster_id.is_none() && d.replica_of.is_none())
    {
        let env = facts.environment(&db.tags, db.vpc_id.as_deref());
        if db.multi_az == Some(false) && facts.settings.is_production(env.as_deref()) {
            out.push(
                Violation::new(
                    facts.db_instance_resource(db),
                    format!(
                        "production RDS instance {} is single-AZ (MultiAZ = false, in {})",
                        db.id,
                        db.availability_zone.as_deref().unwrap_or("an unknown zone")
                    ),
                )
                .evidence(json!({
                    "multi_az": false,
                    "availability_zone": db.availability_zone,
                    "environment": env,
                }))
                .remediation(format!(
                    "aws rds modify-db-instance --db-instance-identifier {} --multi-az --apply-immediately",
                    db.id
                )),
            );
        }
    }
    for cluster in &facts.inventory.db_clusters {
        let vpc_id = cluster
            .db_subnet_group
            .as_deref()
            .and_then(|g| facts.db_subnet_groups.get(g))
            .map(|g| g.vpc_id.as_str());
        let env = facts.environment(&cluster.tags, vpc_id);
        if cluster.multi_az == Some(false) && facts.settings.is_production(env.as_deref()) {
            out.push(
                Violation::new(
                    facts.db_cluster_resource(cluster),
                    format!(
                        "production DB cluster {} has no instance in a second Availability Zone \
                         (MultiAZ = false)",
                        cluster.id
                    ),
                )
                .evidence(json!({
                    "multi_az": false,
                    "members": cluster.member_ids,
                    "environment": env,
                }))
                .remediation(format!(
                    "Add a reader instance to {} in another Availability Zone so it can fail over.",
                    cluster.id
                )),
            );
        }
    }
    out
}
