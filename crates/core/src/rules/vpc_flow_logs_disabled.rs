//! OBS001: a VPC that hosts workloads records no flow logs.
//!
//! A shared VPC is judged in its owner's scope, with the participants' workloads joined in
//! when they are in the scan; a participant alone cannot describe the owner's flow logs, so
//! the engine withholds this rule's finding on it there and lists the gap
//! (see [`crate::shared_vpc`]).

use std::collections::{BTreeSet, HashMap};

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::model::FlowLog;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::Vpcs,
    Dataset::FlowLogs,
    // What `vpcs_with_workloads` is built from.
    Dataset::Subnets,
    Dataset::Instances,
    Dataset::NetworkInterfaces,
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::DbSubnetGroups,
    Dataset::LambdaFunctions,
];

/// AWS reports `ACTIVE` for a working flow log; a missing status is taken at its word.
fn is_active(log: &FlowLog) -> bool {
    log.status
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("active"))
}

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    // Flow logs by the resource they watch, and subnets with an active one by VPC.
    let mut logs_of: HashMap<&str, Vec<&FlowLog>> = HashMap::new();
    let mut logged_subnets_of: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for log in &facts.inventory.flow_logs {
        logs_of
            .entry(log.resource_id.as_str())
            .or_default()
            .push(log);
        if let Some(subnet) = facts.subnets.get(log.resource_id.as_str()) {
            if is_active(log) {
                logged_subnets_of
                    .entry(subnet.vpc_id.as_str())
                    .or_default()
                    .insert(log.resource_id.as_str());
            }
        }
    }
    let mut out = Vec::new();
    for vpc in facts
        .inventory
        .vpcs
        .iter()
        .filter(|v| facts.vpcs_with_workloads.contains(v.id.as_str()))
    {
        let on_vpc: Vec<&FlowLog> = logs_of.get(vpc.id.as_str()).cloned().unwrap_or_default();
        if on_vpc.iter().any(|l| is_active(l)) {
            continue;
        }
        let subnets = facts
            .subnets_by_vpc
            .get(vpc.id.as_str())
            .map_or(0, Vec::len);
        let logged_subnets = logged_subnets_of
            .get(vpc.id.as_str())
            .cloned()
            .unwrap_or_default();
        let mut message = format!("VPC {} hosts workloads but has no active flow log", vpc.id);
        for log in &on_vpc {
            message.push_str(&format!(
                "; its flow log {} is {}",
                log.id,
                log.status.as_deref().unwrap_or_default()
            ));
        }
        if !logged_subnets.is_empty() {
            let listed: Vec<&str> = logged_subnets.iter().copied().collect();
            message.push_str(&format!(
                "; only subnet-level flow logs exist, on {} of its {subnets} subnets ({})",
                listed.len(),
                listed.join(", ")
            ));
        }
        out.push(
            Violation::new(facts.vpc_resource(&vpc.id), message)
                .evidence(json!({
                    "vpc_id": vpc.id,
                    "inactive_flow_logs": on_vpc,
                    "subnets_with_flow_logs": logged_subnets,
                }))
                .remediation(format!(
                    "Enable a VPC-level flow log: aws ec2 create-flow-logs --resource-type VPC \
                     --resource-ids {} --traffic-type ALL --log-destination-type s3 \
                     --log-destination arn:aws:s3:::<bucket>/vpc-flow-logs/",
                    vpc.id
                )),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_status_counts_as_active() {
        let log = |status: Option<&str>| FlowLog {
            status: status.map(str::to_owned),
            ..FlowLog::default()
        };
        assert!(is_active(&log(None)));
        assert!(is_active(&log(Some("ACTIVE"))));
        assert!(!is_active(&log(Some("INACTIVE"))));
    }
}
