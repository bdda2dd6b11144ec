//! LAM004: a VPC Lambda whose VPC holds nothing it could need the VPC for.

use std::collections::HashSet;

use serde_json::json;

use super::Violation;
use crate::analysis::{ScopeFacts, SgUserKind};
use crate::model::{LambdaFunction, NetworkInterface, RouteState, RouteTarget, ValueFact};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::LambdaFunctions,
    Dataset::Subnets,
    Dataset::RouteTables,
    Dataset::Instances,
    Dataset::NetworkInterfaces,
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::DbSubnetGroups,
];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_ROUTES;

const LOOKED_FOR: &str = "no database, EC2 instance, load balancer, VPC endpoint, task or \
                          service interface, no route to a peered, transit or on-premises \
                          network, no RDS endpoint in its environment";

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let with_destinations = vpcs_with_destinations(facts);
    let mut out = Vec::new();
    for function in &facts.inventory.lambda_functions {
        let Some(config) = function.vpc.as_ref().filter(|v| !v.subnet_ids.is_empty()) else {
            continue;
        };
        // Subnets not in the inventory: the VPC cannot be judged.
        let Some(vpc_id) = config
            .subnet_ids
            .iter()
            .find_map(|s| facts.subnets.get(s.as_str()))
            .map(|s| s.vpc_id.as_str())
        else {
            continue;
        };
        if with_destinations.contains(vpc_id)
            || names_a_database(function)
            || routes_beyond_the_vpc(facts, &config.subnet_ids)
        {
            continue;
        }
        out.push(
            Violation::new(
                facts.lambda_resource(function),
                format!(
                    "Lambda function {} is attached to {vpc_id}, which holds nothing it needs the \
                     VPC for ({LOOKED_FOR})",
                    function.name
                ),
            )
            .evidence(json!({ "vpc_id": vpc_id, "subnets": config.subnet_ids }))
            .remediation(format!(
                "Detach {} from the VPC (aws lambda update-function-configuration \
                 --function-name {} --vpc-config SubnetIds=[],SecurityGroupIds=[]), unless it \
                 reaches something vpcaudit cannot see.",
                function.name, function.name
            )),
        );
    }
    out
}

/// VPCs holding something a function could need the VPC to reach.
fn vpcs_with_destinations<'a>(facts: &ScopeFacts<'a>) -> HashSet<&'a str> {
    let inv = facts.inventory;
    let mut found: HashSet<&str> = HashSet::new();
    let mut note = |vpc_id: Option<&'a str>| {
        found.extend(vpc_id);
    };
    let group_vpc = |group: Option<&str>| {
        facts
            .db_subnet_groups
            .get(group?)
            .map(|g| g.vpc_id.as_str())
    };
    for db in &inv.db_instances {
        let vpc = db
            .vpc_id
            .as_deref()
            .or_else(|| group_vpc(db.db_subnet_group.as_deref()));
        note(vpc);
    }
    for cluster in &inv.db_clusters {
        let vpc = group_vpc(cluster.db_subnet_group.as_deref());
        note(vpc);
    }
    for instance in inv.instances.iter().filter(|i| i.is_live()) {
        let vpc = instance.vpc_id.as_deref().or_else(|| {
            let subnet = facts.subnets.get(instance.subnet_id.as_deref()?)?;
            Some(subnet.vpc_id.as_str())
        });
        note(vpc);
    }
    for eni in &inv.network_interfaces {
        if !is_destination(facts, eni) {
            continue;
        }
        let vpc = eni.vpc_id.as_deref().or_else(|| {
            let subnet = facts.subnets.get(eni.subnet_id.as_deref()?)?;
            Some(subnet.vpc_id.as_str())
        });
        note(vpc);
    }
    found
}

/// Whether an interface is something a function could talk to. Other functions, NAT gateways
/// and AWS plumbing (API Gateway, Global Accelerator, transit gateway attachments, …) are not;
/// AWS-managed services behind a plain interface (ElastiCache, EFS, OpenSearch, …) are.
fn is_destination(facts: &ScopeFacts<'_>, eni: &NetworkInterface) -> bool {
    match facts.interface_kind(eni) {
        SgUserKind::Function | SgUserKind::NatGateway => false,
        SgUserKind::ManagedService => {
            matches!(eni.interface_type.as_deref(), None | Some("interface"))
        }
        _ => true,
    }
}

/// Whether the function's environment points at an RDS database (LAM002 reads the same facts).
fn names_a_database(function: &LambdaFunction) -> bool {
    function.environment.iter().any(|var| {
        var.value_facts.iter().any(|f| {
            matches!(
                f,
                ValueFact::RdsEndpoint { .. } | ValueFact::RdsHostname { .. }
            )
        })
    })
}

/// Whether any of the subnets routes to networks beyond the VPC (peering, transit gateway,
/// VPN, Cloud WAN, Outposts): internal services may live there.
fn routes_beyond_the_vpc(facts: &ScopeFacts<'_>, subnet_ids: &[String]) -> bool {
    subnet_ids
        .iter()
        .filter_map(|s| facts.routing.get(s.as_str())?.table)
        .flat_map(|t| &t.routes)
        .filter(|r| r.state == RouteState::Active)
        .any(|r| {
            matches!(
                r.target,
                RouteTarget::VpcPeeringConnection(_)
                    | RouteTarget::TransitGateway(_)
                    | RouteTarget::VpnGateway(_)
                    | RouteTarget::CoreNetwork(_)
                    | RouteTarget::LocalGateway(_)
            )
        })
}
