//! ENV002: a production (or untagged) workload runs in the default VPC.

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::finding::{Resource, Severity};
use crate::model::Tags;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::Vpcs,
    Dataset::Subnets,
    Dataset::Instances,
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::DbSubnetGroups,
    Dataset::LambdaFunctions,
];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let inv = facts.inventory;
    let is_default = |vpc_id: Option<&str>| {
        vpc_id
            .and_then(|id| facts.vpcs.get(id))
            .is_some_and(|v| v.is_default)
    };
    let mut out = Vec::new();
    let mut judge = |resource: Resource, what: &str, tags: Option<&Tags>, vpc_id: &str| {
        let environment = tags.and_then(|t| facts.environment(t, Some(vpc_id)));
        let (severity, why) = match environment.as_deref() {
            Some("prod") => (Severity::High, "is tagged production".to_owned()),
            None => (
                Severity::Medium,
                "has no environment tag, so it may be production".to_owned(),
            ),
            Some(_) => return,
        };
        out.push(
            Violation::new(
                resource.clone(),
                format!(
                    "{what} {} runs in the default VPC {vpc_id} and {why}",
                    resource.id
                ),
            )
            .evidence(json!({ "vpc_id": vpc_id, "environment": environment }))
            .remediation(format!(
                "Move {} into the environment's own VPC with private subnets; keep the default \
                 VPC empty (or delete it).",
                resource.id
            ))
            .severity(severity),
        );
    };

    for instance in inv.instances.iter().filter(|i| i.is_live()) {
        if let Some(vpc_id) = instance.vpc_id.as_deref().filter(|v| is_default(Some(v))) {
            judge(
                facts.instance_resource(&instance.id, &instance.tags),
                "EC2 instance",
                Some(&instance.tags),
                vpc_id,
            );
        }
    }
    for db in &inv.db_instances {
        if let Some(vpc_id) = db.vpc_id.as_deref().filter(|v| is_default(Some(v))) {
            judge(
                facts.db_instance_resource(db),
                "RDS instance",
                Some(&db.tags),
                vpc_id,
            );
        }
    }
    for cluster in &inv.db_clusters {
        let vpc_id = cluster
            .db_subnet_group
            .as_deref()
            .and_then(|g| facts.db_subnet_groups.get(g))
            .map(|g| g.vpc_id.as_str());
        if let Some(vpc_id) = vpc_id.filter(|v| is_default(Some(v))) {
            judge(
                facts.db_cluster_resource(cluster),
                "DB cluster",
                Some(&cluster.tags),
                vpc_id,
            );
        }
    }
    for function in &inv.lambda_functions {
        let vpc_id = function
            .vpc
            .as_ref()
            .and_then(|v| v.subnet_ids.first())
            .and_then(|s| facts.subnets.get(s.as_str()))
            .map(|s| s.vpc_id.as_str());
        if let Some(vpc_id) = vpc_id.filter(|v| is_default(Some(v))) {
            // ListFunctions returns no tags: the VPC's environment tag is all there is.
            judge(
                facts.lambda_resource(function),
                "Lambda function",
                Some(&Tags::new()),
                vpc_id,
            );
        }
    }
    out
}
