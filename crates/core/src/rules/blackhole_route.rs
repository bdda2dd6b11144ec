//! NAT002: a route whose target was deleted, so matching traffic is dropped.

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::ScopeFacts;
use crate::model::RouteState;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::RouteTables,
    Dataset::Subnets,
    // A route to a NAT gateway that is absent, deleted or failed is a blackhole.
    Dataset::NatGateways,
];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for table in &facts.inventory.route_tables {
        let subnets = facts
            .subnets_by_route_table
            .get(table.id.as_str())
            .cloned()
            .unwrap_or_default();
        // A route to a NAT gateway that is absent, deleted, deleting or failed drops traffic
        // whatever its State says.
        let dead_nat = |route: &crate::model::Route| match &route.target {
            crate::model::RouteTarget::NatGateway(id) => facts
                .nat_gateways
                .get(id.as_str())
                .is_none_or(|n| !n.is_live()),
            _ => false,
        };
        for route in table
            .routes
            .iter()
            .filter(|r| r.state == RouteState::Blackhole || dead_nat(r))
        {
            let affected = if subnets.is_empty() {
                "no subnet uses the table".to_owned()
            } else {
                format!("used by {}", subnets.join(", "))
            };
            out.push(
                Violation::new(
                    facts.route_table_resource(table),
                    format!(
                        "route {} → {} {} in {} is a blackhole (the target no longer exists); {affected}",
                        route.destination,
                        route.target.kind_name(),
                        route.target,
                        table.id
                    ),
                )
                .evidence(json!({
                    "destination": route.destination.to_string(),
                    "target": route.target,
                    "subnets": subnets,
                }))
                .remediation(format!(
                    "Point the route at a live target (aws ec2 replace-route --route-table-id {} \
                     --destination-cidr-block {} --nat-gateway-id …) or delete it.",
                    table.id, route.destination
                ))
                .cause(Cause::route(&route.destination)),
            );
        }
    }
    out
}
