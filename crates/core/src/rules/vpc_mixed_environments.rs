//! ENV001: one VPC holds resources of several environments.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::ScopeFacts;
use crate::model::Tags;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::Vpcs,
    Dataset::Subnets,
    Dataset::Instances,
    Dataset::SecurityGroups,
    Dataset::NetworkInterfaces,
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::DbSubnetGroups,
];

/// How many resources per environment the evidence lists.
const EXAMPLES: usize = 5;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let inv = facts.inventory;
    let cluster_vpc = |group: Option<&str>| {
        group
            .and_then(|g| facts.db_subnet_groups.get(g))
            .map(|g| g.vpc_id.as_str())
    };
    // (vpc id, tags, resource id) of everything that can carry an environment tag.
    let tagged: Vec<(Option<&str>, &Tags, &str)> = inv
        .vpcs
        .iter()
        .map(|v| (Some(v.id.as_str()), &v.tags, v.id.as_str()))
        .chain(
            inv.subnets
                .iter()
                .map(|s| (Some(s.vpc_id.as_str()), &s.tags, s.id.as_str())),
        )
        .chain(
            inv.instances
                .iter()
                .filter(|i| i.is_live())
                .map(|i| (i.vpc_id.as_deref(), &i.tags, i.id.as_str())),
        )
        .chain(
            inv.security_groups
                .iter()
                .map(|g| (g.vpc_id.as_deref(), &g.tags, g.id.as_str())),
        )
        .chain(
            inv.network_interfaces
                .iter()
                .map(|e| (e.vpc_id.as_deref(), &e.tags, e.id.as_str())),
        )
        .chain(
            inv.db_instances
                .iter()
                .map(|d| (d.vpc_id.as_deref(), &d.tags, d.id.as_str())),
        )
        .chain(inv.db_clusters.iter().map(|c| {
            (
                cluster_vpc(c.db_subnet_group.as_deref()),
                &c.tags,
                c.id.as_str(),
            )
        }))
        .collect();

    // vpc id → environment → ids of resources tagged with it
    let mut by_vpc: BTreeMap<&str, BTreeMap<String, Vec<&str>>> = BTreeMap::new();
    for (vpc_id, tags, id) in tagged {
        if let (Some(vpc_id), Some(env)) = (vpc_id, facts.settings.environment_of(tags)) {
            by_vpc
                .entry(vpc_id)
                .or_default()
                .entry(env)
                .or_default()
                .push(id);
        }
    }

    by_vpc
        .into_iter()
        .filter(|(_, envs)| envs.len() > 1)
        .map(|(vpc_id, envs)| {
            let names: Vec<&str> = envs.keys().map(String::as_str).collect();
            // The environment with most resources is taken as the VPC's own; the others are
            // the ones to move (ties go to the first name, for a stable message).
            let home = envs
                .iter()
                .max_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| b.0.cmp(a.0)))
                .map(|(env, _)| env.as_str())
                .unwrap_or_default();
            let strays: Vec<&str> = names.iter().copied().filter(|n| *n != home).collect();
            let summary: Vec<String> = envs
                .iter()
                .map(|(env, ids)| {
                    let shown: Vec<&str> = ids.iter().take(EXAMPLES).copied().collect();
                    let more = ids.len().saturating_sub(EXAMPLES);
                    let tail = if more > 0 {
                        format!(", +{more} more")
                    } else {
                        String::new()
                    };
                    format!("{env} ({}{tail})", shown.join(", "))
                })
                .collect();
            let evidence: BTreeMap<&str, &Vec<&str>> =
                envs.iter().map(|(env, ids)| (env.as_str(), ids)).collect();
            Violation::new(
                facts.vpc_resource(vpc_id),
                format!(
                    "{vpc_id} holds resources of {} environments: {}",
                    envs.len(),
                    summary.join("; ")
                ),
            )
            .evidence(json!({ "environments": evidence }))
            .remediation(format!(
                "Give each environment its own VPC: move the {} resources out of {vpc_id} \
                 (or correct their environment tags if they are wrong).",
                strays.join(", ")
            ))
            .cause(Cause::environments(&names))
        })
        .collect()
}
