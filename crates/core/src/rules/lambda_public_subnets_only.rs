//! LAM001: a VPC Lambda placed only in public subnets, where it has no internet access.

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::LambdaFunctions,
    Dataset::Subnets,
    Dataset::RouteTables,
];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for function in &facts.inventory.lambda_functions {
        let Some(vpc) = &function.vpc else { continue };
        if vpc.subnet_ids.is_empty()
            || !vpc.subnet_ids.iter().all(|s| facts.class_of(s).is_public())
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
