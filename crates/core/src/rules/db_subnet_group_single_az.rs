//! AZ002: a DB subnet group whose subnets are all in one Availability Zone.

use std::collections::BTreeSet;

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::DbSubnetGroups, Dataset::Subnets];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    facts
        .inventory
        .db_subnet_groups
        .iter()
        .filter_map(|group| {
            let zones: BTreeSet<&str> = group
                .subnets
                .iter()
                .filter_map(|m| {
                    m.availability_zone.as_deref().or_else(|| {
                        facts
                            .subnets
                            .get(m.subnet_id.as_str())
                            .map(|s| s.availability_zone.as_str())
                    })
                })
                .collect();
            if zones.len() != 1 {
                return None;
            }
            let zone = zones.iter().next().copied().unwrap_or_default();
            let subnet_ids: Vec<&str> =
                group.subnets.iter().map(|m| m.subnet_id.as_str()).collect();
            Some(
                Violation::new(
                    facts.db_subnet_group_resource(group),
                    format!(
                        "DB subnet group {} has subnets only in {zone} ({})",
                        group.name,
                        subnet_ids.join(", ")
                    ),
                )
                .evidence(json!({ "availability_zone": zone, "subnets": subnet_ids }))
                .remediation(format!(
                    "Add a private subnet in another Availability Zone to DB subnet group {} \
                     (aws rds modify-db-subnet-group --db-subnet-group-name {} --subnet-ids …).",
                    group.name, group.name
                )),
            )
        })
        .collect()
}
