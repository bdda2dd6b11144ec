//! TIER002: backend compute with a public IP address in a public subnet.

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::{ScopeFacts, SgUserKind};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::Subnets,
    Dataset::RouteTables,
    Dataset::Instances,
    // NAT gateways list their own interfaces, which are not workloads.
    Dataset::NatGateways,
    Dataset::NetworkInterfaces,
];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut report = |resource, what: &str, id: &str, subnet_id: &str, public_ip: &str| {
        let route = facts.deciding_route(subnet_id);
        let via = route
            .as_ref()
            .map(|r| {
                format!(
                    " ({} routes {} to {})",
                    r.route_table_id, r.destination, r.target
                )
            })
            .unwrap_or_default();
        out.push(
            Violation::new(
                resource,
                format!("{what} {id} has public IP {public_ip} in public subnet {subnet_id}{via}"),
            )
            .evidence(json!({ "public_ip": public_ip, "subnet_id": subnet_id, "route": route }))
            .remediation(format!(
                "Move {id} to a private subnet behind a load balancer (and NAT for egress); \
                 reach it for administration through SSM Session Manager instead of a public IP."
            ))
            .cause(Cause::subnet(subnet_id)),
        );
    };
    // Declared entry points (a bastion) sit in public subnets by design.
    let is_entry_point = |tags| facts.settings.is_entry_point(tags);
    for instance in facts
        .inventory
        .instances
        .iter()
        .filter(|i| i.is_live() && !is_entry_point(&i.tags))
        // A NAT instance or appliance the route tables send traffic to is infrastructure: moving
        // it to a private subnet would cut the VPC's egress.
        .filter(|i| !facts.network.is_forwarder(&i.id))
    {
        let (Some(ip), Some(subnet_id)) = (&instance.public_ip, &instance.subnet_id) else {
            continue;
        };
        if facts.class_of(subnet_id).is_public() {
            report(
                facts.instance_resource(&instance.id, &instance.tags),
                "EC2 instance",
                &instance.id,
                subnet_id,
                ip,
            );
        }
    }
    for eni in &facts.inventory.network_interfaces {
        let (Some(ip), Some(subnet_id)) = (&eni.public_ip, &eni.subnet_id) else {
            continue;
        };
        // Instances are judged above; load balancers and NAT gateways belong there.
        if facts.interface_kind(eni) == SgUserKind::Interface
            && !is_entry_point(&eni.tags)
            && !facts.network.is_forwarder(&eni.id)
            && facts.class_of(subnet_id).is_public()
        {
            report(
                facts.network_interface_resource(&eni.id, &eni.tags),
                "network interface",
                &eni.id,
                subnet_id,
                ip,
            );
        }
    }
    out
}
