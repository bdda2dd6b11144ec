//! LAM001: a VPC Lambda placed only in public subnets, where it has no internet access.

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::LambdaFunctions,
    Dataset::Subnets,
    Dataset::RouteTables,
    // Whether the IPv4 egress through a NAT gateway works.
    Dataset::NatGateways,
];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_ROUTES;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for function in &facts.inventory.lambda_functions {
        let Some(vpc) = &function.vpc else { continue };
        if vpc.subnet_ids.is_empty()
            || !vpc.subnet_ids.iter().all(|s| facts.class_of(s).is_public())
            || vpc.subnet_ids.iter().any(|s| function_egress(facts, s))
        {
            continue;
        }
        let routes: Vec<_> = vpc
            .subnet_ids
            .iter()
            .filter_map(|s| facts.deciding_route(s))
            .collect();
        out.push(
            Violation::new(
                facts.lambda_resource(function),
                format!(
                    "Lambda function {} is only in public subnets ({}); Lambda interfaces get no \
                     public IP, so it has no internet access",
                    function.name,
                    vpc.subnet_ids.join(", ")
                ),
            )
            .evidence(json!({ "subnets": vpc.subnet_ids, "routes": routes }))
            .remediation(format!(
                "Move {} to private subnets whose default route goes to a NAT gateway (or add VPC \
                 endpoints for the AWS services it calls).",
                function.name
            )),
        );
    }
    out
}

/// A Lambda ENI (no public IPv4) reaches the internet over IPv4 through NAT, a forwarder or
/// central egress, even in a subnet that is public over IPv6 (dual stack). IPv6 egress alone
/// does not count: it needs the function's dual-stack flag, which the inventory lacks.
fn function_egress(facts: &ScopeFacts<'_>, subnet_id: &str) -> bool {
    use crate::reach::Egress;
    facts.network.subnet(subnet_id).is_some_and(|s| {
        matches!(
            s.egress_v4,
            Egress::Nat | Egress::NatInstance | Egress::LeavesVpc | Egress::Unknown
        )
    })
}
