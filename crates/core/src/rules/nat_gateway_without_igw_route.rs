//! NAT001: a public NAT gateway in a subnet that has no route to an internet gateway.

use serde_json::json;

use super::Violation;
use crate::analysis::{ScopeFacts, SubnetClass};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] =
    &[Dataset::NatGateways, Dataset::Subnets, Dataset::RouteTables];

/// A route to an inspection endpoint continues through the endpoint's subnet.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_ROUTES;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for nat in facts
        .inventory
        .nat_gateways
        .iter()
        .filter(|n| n.is_public() && n.is_live())
    {
        let class = facts.class_of(&nat.subnet_id);
        let Some(table) = facts
            .routing
            .get(nat.subnet_id.as_str())
            .and_then(|r| r.table)
        else {
            continue; // unknown routing: nothing to judge
        };
        // A NAT gateway translates IPv4: it works for the IPv4 internet its own subnet routes to
        // an IGW, by longest-prefix match (0.0.0.0/1 + 128.0.0.0/1 count like 0.0.0.0/0).
        let reach = facts.network.subnet(&nat.subnet_id);
        let ipv4_to_igw = reach.is_some_and(|s| !s.to_igw().v4().is_empty());
        // Through an inspection endpoint whose onward path is unknown: not evaluated.
        let unknown = reach.is_some_and(|s| s.egress_v4 == crate::reach::Egress::Unknown);
        if ipv4_to_igw || unknown || matches!(class, SubnetClass::Unknown) {
            continue;
        }
        out.push(
            Violation::new(
                facts.nat_gateway_resource(nat),
                format!(
                    "NAT gateway {} sits in {} ({}), whose route table {} has no IPv4 default \
                     route to an internet gateway: it cannot reach the internet",
                    nat.id,
                    nat.subnet_id,
                    class.name(),
                    table.id
                ),
            )
            .evidence(json!({
                "subnet_id": nat.subnet_id,
                "subnet_class": class.name(),
                "route_table_id": table.id,
            }))
            .remediation(format!(
                "Recreate {} in a public subnet (one whose route table sends 0.0.0.0/0 to the \
                 internet gateway) and repoint the private route tables at it.",
                nat.id
            )),
        );
    }
    out
}
