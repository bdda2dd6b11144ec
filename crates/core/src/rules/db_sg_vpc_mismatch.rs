//! SG005: a database's security group lives in another VPC than its DB subnet group.

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::ScopeFacts;
use crate::finding::Resource;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::DbSubnetGroups,
    Dataset::SecurityGroups,
];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut judge = |resource: Resource, subnet_group: Option<&str>, sg_ids: &[String]| {
        let Some(group) = subnet_group.and_then(|g| facts.db_subnet_groups.get(g)) else {
            return;
        };
        for sg_id in sg_ids {
            let Some(sg_vpc) = facts
                .security_groups
                .get(sg_id.as_str())
                .and_then(|sg| sg.vpc_id.as_deref())
            else {
                continue;
            };
            if sg_vpc == group.vpc_id {
                continue;
            }
            out.push(
                Violation::new(
                    resource.clone(),
                    format!(
                        "{} uses security group {sg_id} of {sg_vpc}, but its DB subnet group {} \
                         is in {}",
                        resource.id, group.name, group.vpc_id
                    ),
                )
                .evidence(json!({
                    "security_group_id": sg_id,
                    "security_group_vpc": sg_vpc,
                    "db_subnet_group": group.name,
                    "db_subnet_group_vpc": group.vpc_id,
                }))
                .remediation(format!(
                    "Give {} a security group created in {} (the VPC of its subnet group).",
                    resource.id, group.vpc_id
                ))
                .cause(Cause::security_group(sg_id)),
            );
        }
    };
    for db in &facts.inventory.db_instances {
        judge(
            facts.db_instance_resource(db),
            db.db_subnet_group.as_deref(),
            &db.security_group_ids,
        );
    }
    for cluster in &facts.inventory.db_clusters {
        judge(
            facts.db_cluster_resource(cluster),
            cluster.db_subnet_group.as_deref(),
            &cluster.security_group_ids,
        );
    }
    out
}
