//! NAT004: a private subnet that hosts workloads and has no way out at all. See
//! `rules/NAT004.md`.
//!
//! The reachability model decides egress per family ([`Egress`]); this rule only reports the
//! family pair (none, none): no route sends any internet range of either family anywhere.
//! Every other outcome belongs elsewhere or is not judged:
//! - a blackhole (a route whose state is `blackhole`, or an active route to a NAT gateway that
//!   is absent, deleted, deleting or failed) is NAT002's; a NAT gateway whose own subnet cannot
//!   reach an internet gateway is NAT001's: one broken route is one finding;
//! - through an inspection endpoint, or with no route table in the inventory, egress is
//!   [`Egress::Unknown`]: not evaluated, never a finding;
//! - transit gateway, peering, VPN gateway: leaves the VPC, legitimate central egress;
//! - IPv6 egress (egress-only or internet gateway) alone is a way out: whether each workload
//!   has an IPv6 address is not judged.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::Violation;
use crate::analysis::{ScopeFacts, SgUserKind};
use crate::model::{RouteDestination, Subnet, Tags, VpcEndpoint};
use crate::reach::{Egress, SubnetReach};
use crate::snapshot::Dataset;

/// Every dataset the check reads (a test blanks the others and expects the same findings).
pub(super) const REQUIRES: &[Dataset] = &[
    // The reachability model: VPC CIDRs, routes, and whether a NAT gateway route works.
    Dataset::Vpcs,
    Dataset::Subnets,
    Dataset::RouteTables,
    Dataset::NatGateways,
    // The workloads.
    Dataset::Instances,
    Dataset::NetworkInterfaces,
    Dataset::LambdaFunctions,
    Dataset::EcsServices,
    // Endpoints make a subnet without internet egress deliberate.
    Dataset::VpcEndpoints,
];

/// The tag (on the subnet or its route table) that declares a subnet isolated on purpose.
pub(super) const ISOLATED_TAG: (&str, &str) = ("vpcaudit:isolated", "true");

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let workloads = workloads_by_subnet(facts);
    let mut out = Vec::new();
    for (subnet_id, hosted) in &workloads {
        let Some(reach) = facts.network.subnet(subnet_id) else {
            continue; // a subnet not in the inventory: nothing to judge
        };
        if !no_way_out(reach) {
            continue;
        }
        let subnet = reach.subnet;
        let Some(table) = reach.table else { continue };
        if declared_isolated(&subnet.tags) || declared_isolated(&table.tags) {
            continue;
        }
        if !usable_endpoints(facts, subnet, &table.id).is_empty() {
            continue;
        }
        out.push(violation(facts, reach, hosted));
    }
    out
}

/// Neither family has any route out, and nothing is left unevaluated: a blackhole (NAT001,
/// NAT002), an inspection hop or a missing table (not evaluated), or a prefix-list route
/// whose entries are unknown (it may carry internet ranges) is never this rule's.
fn no_way_out(reach: &SubnetReach<'_>) -> bool {
    reach.table.is_some()
        && reach.egress_v4 == Egress::None
        && reach.egress_v6 == Egress::None
        && !reach
            .table
            .is_some_and(|t| t.routes.iter().any(|r| is_prefix_list(&r.destination)))
}

fn is_prefix_list(destination: &RouteDestination) -> bool {
    matches!(destination, RouteDestination::PrefixList(_))
}

fn declared_isolated(tags: &Tags) -> bool {
    tags.get(ISOLATED_TAG.0)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(ISOLATED_TAG.1))
}

/// VPC endpoints the subnet's workloads can use: interface (and other ENI-based) endpoints in
/// its VPC, gateway endpoints on its route table. Gateway Load Balancer endpoints are
/// inspection hops, not private access to a service; gone endpoints do not count.
fn usable_endpoints<'a>(
    facts: &ScopeFacts<'a>,
    subnet: &Subnet,
    table_id: &str,
) -> Vec<&'a VpcEndpoint> {
    facts
        .inventory
        .vpc_endpoints
        .iter()
        .filter(|e| e.vpc_id == subnet.vpc_id)
        .filter(|e| {
            !matches!(
                e.state.as_deref().map(str::to_ascii_lowercase).as_deref(),
                Some("deleted" | "deleting" | "failed" | "rejected" | "expired")
            )
        })
        .filter(|e| match e.endpoint_type.as_deref() {
            Some("GatewayLoadBalancer") => false,
            Some("Gateway") => e.route_table_ids.iter().any(|t| t == table_id),
            // Unknown type: a gateway endpoint names its tables, the others their subnets.
            None if !e.route_table_ids.is_empty() => {
                e.route_table_ids.iter().any(|t| t == table_id)
            }
            _ => true,
        })
        .collect()
}

/// One thing that runs in a subnet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Workload<'a> {
    kind: &'static str,
    id: &'a str,
}

/// Live instances, Lambda functions (configuration or ENI), ECS services and tasks, other
/// interfaces something runs behind; never NAT gateways, forwarders (NAT instances,
/// appliances), load balancers, endpoints, databases or other AWS-managed interfaces.
fn workloads_by_subnet<'a>(facts: &ScopeFacts<'a>) -> BTreeMap<&'a str, BTreeSet<Workload<'a>>> {
    let inv = facts.inventory;
    let mut out: BTreeMap<&str, BTreeSet<Workload>> = BTreeMap::new();
    let mut add = |subnet: &'a str, kind: &'static str, id: &'a str| {
        out.entry(subnet).or_default().insert(Workload { kind, id });
    };
    for instance in inv
        .instances
        .iter()
        .filter(|i| i.is_live() && !facts.network.is_forwarder(&i.id))
    {
        if let Some(subnet) = instance.subnet_id.as_deref() {
            add(subnet, "EC2 instance", &instance.id);
        }
    }
    for eni in &inv.network_interfaces {
        let Some(subnet) = eni.subnet_id.as_deref() else {
            continue;
        };
        // A detached interface runs nothing; a forwarder is infrastructure.
        if eni.status.as_deref() == Some("available") || facts.network.is_forwarder(&eni.id) {
            continue;
        }
        match facts.interface_kind(eni) {
            SgUserKind::Instance => {
                let id = eni.instance_id.as_deref().unwrap_or(&eni.id);
                if !facts.network.is_forwarder(id) {
                    add(subnet, "EC2 instance", id);
                }
            }
            SgUserKind::Function => add(subnet, "Lambda interface", &eni.id),
            SgUserKind::Interface | SgUserKind::EntryPoint => {
                add(subnet, "network interface", &eni.id);
            }
            _ => {}
        }
    }
    for function in &inv.lambda_functions {
        for subnet in function.vpc.iter().flat_map(|v| &v.subnet_ids) {
            add(subnet, "Lambda function", &function.name);
        }
    }
    for service in inv.ecs_services.iter().filter(|s| {
        !s.status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("INACTIVE"))
    }) {
        for subnet in service.network.iter().flat_map(|n| &n.subnet_ids) {
            add(subnet, "ECS service", &service.name);
        }
    }
    out
}

fn violation(
    facts: &ScopeFacts<'_>,
    reach: &SubnetReach<'_>,
    hosted: &BTreeSet<Workload<'_>>,
) -> Violation {
    let subnet = reach.subnet;
    let table_id = reach.table.map_or("", |t| t.id.as_str());
    let association = if reach.explicit {
        "explicitly associated"
    } else {
        "the VPC's main table"
    };
    let listed: Vec<String> = hosted
        .iter()
        .take(3)
        .map(|w| format!("{} {}", w.kind, w.id))
        .collect();
    let more = hosted.len().saturating_sub(listed.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let zone = &subnet.availability_zone;
    Violation::new(
        facts.subnet_resource(subnet),
        format!(
            "private subnet {} hosts {}{more} but has no way out: route table {table_id} \
             ({association}) routes no IPv4 or IPv6 internet range anywhere (no NAT, no NAT \
             instance, no central egress, no egress-only gateway) and the VPC has no endpoint \
             it can use",
            subnet.id,
            listed.join(", ")
        ),
    )
    .evidence(json!({
        "routing": reach.evidence(),
        "workloads": hosted.iter().map(|w| json!({"kind": w.kind, "id": w.id})).collect::<Vec<_>>(),
        // What would have made it deliberate, and what was found instead.
        "endpoints_in_vpc_not_usable": facts
            .inventory
            .vpc_endpoints
            .iter()
            .filter(|e| e.vpc_id == subnet.vpc_id)
            .map(|e| json!({"id": e.id, "type": e.endpoint_type, "state": e.state,
                            "route_table_ids": e.route_table_ids}))
            .collect::<Vec<_>>(),
        "isolated_tag": format!("{}={}", ISOLATED_TAG.0, ISOLATED_TAG.1),
    }))
    .remediation(format!(
        "Give {table_id} a default route to a NAT gateway in a public subnet of {zone} (aws ec2 \
         create-route --route-table-id {table_id} --destination-cidr-block 0.0.0.0/0 \
         --nat-gateway-id nat-…) or to your central egress (transit gateway); if {} is isolated \
         on purpose, add the VPC endpoints its workloads need, or tag it {}={}.",
        subnet.id, ISOLATED_TAG.0, ISOLATED_TAG.1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::model::RegionInventory;

    fn case(name: &str) -> RegionInventory {
        let fixture: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../fixtures/rules/NAT004.json"
            ))
            .expect("fixtures/rules/NAT004.json"),
        )
        .expect("fixture is JSON");
        let case = fixture["cases"]
            .as_array()
            .and_then(|cases| cases.iter().find(|c| c["name"] == name))
            .unwrap_or_else(|| panic!("no case {name}"));
        serde_json::from_value(case["inventory"].clone()).expect("inventory")
    }

    #[test]
    fn the_finding_names_the_table_the_workloads_and_what_did_not_count() {
        let inventory =
            case("a Gateway Load Balancer endpoint is inspection, not access to a service");
        let settings = Settings::default();
        let facts = ScopeFacts::build(&inventory, &settings);
        let found = check(&facts);
        let [violation] = found.as_slice() else {
            panic!("one violation expected: {found:?}");
        };
        assert!(violation.message.contains("rtb-app") && violation.message.contains("i-app"));
        let evidence = &violation.evidence;
        assert_eq!(evidence["routing"]["route_table_id"], "rtb-app");
        assert_eq!(evidence["routing"]["egress_ipv4"], "none");
        assert_eq!(evidence["routing"]["egress_ipv6"], "none");
        assert_eq!(evidence["workloads"][0]["id"], "i-app");
        assert_eq!(
            evidence["endpoints_in_vpc_not_usable"][0]["id"],
            "vpce-gwlb"
        );
        assert_eq!(evidence["isolated_tag"], "vpcaudit:isolated=true");
    }
}
