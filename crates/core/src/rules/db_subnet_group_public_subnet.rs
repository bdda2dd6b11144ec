//! DB002: a DB subnet group that contains a public subnet.

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::DbSubnetGroups,
    Dataset::Subnets,
    Dataset::RouteTables,
];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_ROUTES;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for group in &facts.inventory.db_subnet_groups {
        for member in &group.subnets {
            if !facts.class_of(&member.subnet_id).is_public() {
                continue;
            }
            let Some(route) = facts.deciding_route(&member.subnet_id) else {
                continue;
            };
            out.push(
                Violation::new(
                    facts.db_subnet_group_resource(group),
                    format!(
                        "DB subnet group {} contains public subnet {}: {} routes {} to internet \
                         gateway {}",
                        group.name,
                        member.subnet_id,
                        route.route_table_id,
                        route.destination,
                        route.target
                    ),
                )
                .evidence(json!({ "subnet_id": member.subnet_id, "route": route }))
                .remediation(format!(
                    "Replace {} in DB subnet group {} with an isolated private subnet \
                     (aws rds modify-db-subnet-group …).",
                    member.subnet_id, group.name
                ))
                .cause(Cause::subnet(&member.subnet_id)),
            );
        }
    }
    out
}
