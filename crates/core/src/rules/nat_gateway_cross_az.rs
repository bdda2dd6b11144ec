//! AZ005: a private subnet sends its egress through a NAT gateway in another zone.

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::{ScopeFacts, SubnetClass};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] =
    &[Dataset::Subnets, Dataset::RouteTables, Dataset::NatGateways];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_ROUTES;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for subnet in &facts.inventory.subnets {
        let SubnetClass::PrivateNat { nat_gateway_id, .. } = facts.class_of(&subnet.id) else {
            continue;
        };
        let Some(nat_zone) = facts
            .nat_gateways
            .get(nat_gateway_id)
            .and_then(|nat| facts.subnets.get(nat.subnet_id.as_str()))
            .map(|s| s.availability_zone.as_str())
        else {
            continue;
        };
        if nat_zone == subnet.availability_zone {
            continue;
        }
        let route = facts.deciding_route(&subnet.id);
        out.push(
            Violation::new(
                facts.subnet_resource(subnet),
                format!(
                    "{} in {} sends its egress to {nat_gateway_id} in {nat_zone}{}",
                    subnet.id,
                    subnet.availability_zone,
                    route
                        .as_ref()
                        .map(|r| format!(" (route {} in {})", r.destination, r.route_table_id))
                        .unwrap_or_default()
                ),
            )
            .evidence(json!({
                "subnet_zone": subnet.availability_zone,
                "nat_gateway_id": nat_gateway_id,
                "nat_gateway_zone": nat_zone,
                "route": route,
            }))
            .remediation(format!(
                "Create a NAT gateway in a public subnet of {} and point this subnet's default \
                 route at it (one NAT gateway per Availability Zone).",
                subnet.availability_zone
            ))
            .cause(Cause::nat_gateway(nat_gateway_id)),
        );
    }
    out
}
