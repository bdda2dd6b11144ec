//! AZ004: a VPC Lambda function whose subnets are all in one Availability Zone.

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::LambdaFunctions, Dataset::Subnets];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    facts
        .inventory
        .lambda_functions
        .iter()
        .filter_map(|function| {
            let vpc = function.vpc.as_ref()?;
            let zones = facts.zones_of(vpc.subnet_ids.iter().map(String::as_str));
            if zones.len() != 1 {
                return None;
            }
            let zone = zones.iter().next().copied().unwrap_or_default();
            Some(
                Violation::new(
                    facts.lambda_resource(function),
                    format!(
                        "Lambda function {} runs only in {zone} (subnets {})",
                        function.name,
                        vpc.subnet_ids.join(", ")
                    ),
                )
                .evidence(json!({ "availability_zone": zone, "subnets": vpc.subnet_ids }))
                .remediation(format!(
                    "Add a private subnet in a second Availability Zone to the VPC configuration \
                     of {}.",
                    function.name
                )),
            )
        })
        .collect()
}
