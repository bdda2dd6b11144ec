//! NAT003: a VPC's main route table routes to an internet gateway.

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::{RouteEvidence, ScopeFacts};
use crate::model::{RouteState, RouteTarget};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::Vpcs, Dataset::RouteTables, Dataset::Subnets];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_ROUTES;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for table in facts.inventory.route_tables.iter().filter(|t| t.is_main()) {
        // The default VPC is public by design; ENV002 watches what runs in it.
        if facts
            .vpcs
            .get(table.vpc_id.as_str())
            .is_none_or(|v| v.is_default)
        {
            continue;
        }
        let Some(route) = table.routes.iter().find(|r| {
            r.state == RouteState::Active
                && r.destination.is_default()
                && matches!(r.target, RouteTarget::InternetGateway(_))
        }) else {
            continue;
        };
        let inheriting: Vec<&str> = facts
            .subnets_by_route_table
            .get(table.id.as_str())
            .map(|ids| {
                ids.iter()
                    .copied()
                    .filter(|id| facts.routing.get(id).is_some_and(|r| !r.explicit))
                    .collect()
            })
            .unwrap_or_default();
        out.push(
            Violation::new(
                facts.route_table_resource(table),
                format!(
                    "main route table {} of {} routes {} to internet gateway {}: every subnet \
                     without its own table is public ({} now)",
                    table.id,
                    table.vpc_id,
                    route.destination,
                    route.target,
                    if inheriting.is_empty() {
                        "none".to_owned()
                    } else {
                        inheriting.join(", ")
                    }
                ),
            )
            .evidence(json!({
                "route": RouteEvidence::new(table, route, false),
                "inheriting_subnets": inheriting,
            }))
            .remediation(format!(
                "Remove the internet route from the main table (aws ec2 delete-route \
                 --route-table-id {} --destination-cidr-block {}) and give public subnets an \
                 explicit public route table.",
                table.id, route.destination
            ))
            .cause(Cause::route(&route.destination)),
        );
    }
    out
}
