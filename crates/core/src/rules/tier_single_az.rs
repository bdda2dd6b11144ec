//! AZ001: a subnet tier of a VPC that hosts workloads sits in one Availability Zone.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::{ScopeFacts, Tier};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::Vpcs,
    Dataset::Subnets,
    Dataset::RouteTables,
    Dataset::DbSubnetGroups,
    Dataset::Instances,
    Dataset::NetworkInterfaces,
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::LambdaFunctions,
    // NAT gateways list their own interfaces, which are not workloads.
    Dataset::NatGateways,
];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_ROUTES;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut vpc_ids: Vec<&str> = facts.vpcs_with_workloads.iter().copied().collect();
    vpc_ids.sort_unstable();
    for vpc_id in vpc_ids {
        let Some(subnets) = facts.subnets_by_vpc.get(vpc_id) else {
            continue;
        };
        let mut tiers: BTreeMap<Tier, (BTreeSet<&str>, Vec<&str>)> = BTreeMap::new();
        for subnet in subnets {
            if let Some(tier) = facts.tier_of(&subnet.id) {
                let (zones, ids) = tiers.entry(tier).or_default();
                zones.insert(subnet.availability_zone.as_str());
                ids.push(subnet.id.as_str());
            }
        }
        for (tier, (zones, ids)) in tiers {
            if zones.len() != 1 {
                continue;
            }
            let zone = zones.iter().next().copied().unwrap_or_default();
            out.push(
                Violation::new(
                    facts.vpc_resource(vpc_id),
                    format!(
                        "the {} tier of {vpc_id} is only in {zone} ({})",
                        tier.name(),
                        ids.join(", ")
                    ),
                )
                .evidence(json!({ "tier": tier.name(), "availability_zone": zone, "subnets": ids }))
                .remediation(format!(
                    "Add a {} subnet in a second Availability Zone of {vpc_id} and spread the \
                     tier's resources over both.",
                    tier.name()
                ))
                .cause(Cause::tier(tier)),
            );
        }
    }
    out
}
