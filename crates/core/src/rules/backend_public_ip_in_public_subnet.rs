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
    // Every address of every ENI, with the public address (Elastic IP or not) AWS maps to it.
    // (The Elastic IP list only adds associations an ENI's own data lacks, so it is not
    // required: snapshots without it are judged on the ENIs.)
    Dataset::NetworkInterfaces,
];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_PATHS;

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    // The first direct internet path into the resource's interfaces (not through a load
    // balancer), as evidence: how the public address is reached, and through which rule.
    let direct_path = |id: &str| {
        let interfaces = facts
            .inventory
            .network_interfaces
            .iter()
            .filter(move |e| e.id == id || e.instance_id.as_deref() == Some(id));
        super::world_open::path_evidence(
            facts,
            interfaces,
            |p| p.via_load_balancer.is_none(),
            |_| true,
        )
    };
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
            .evidence(super::world_open::with_path(
                json!({ "public_ip": public_ip, "subnet_id": subnet_id, "route": route }),
                direct_path(id),
            ))
            .remediation(format!(
                "Move {id} to a private subnet behind a load balancer (and NAT for egress); \
                 reach it for administration through SSM Session Manager instead of a public IP."
            ))
            .cause(Cause::subnet(subnet_id)),
        );
    };
    // Declared entry points (a bastion) sit in public subnets by design.
    let is_entry_point = |tags| facts.settings.is_entry_point(tags);
    // The public addresses of an ENI whose family its subnet routes to an internet gateway
    // (a public IPv4 in a subnet whose IPv4 leaves through NAT is not reachable; a global IPv6
    // address where ::/0 goes to the IGW is).
    let reachable_address = |eni: &crate::model::NetworkInterface| -> Option<(String, String)> {
        let subnet_id = eni.subnet_id.as_deref()?;
        let to_igw = facts.network.subnet(subnet_id)?.to_igw();
        facts
            .network
            .public_addresses(eni)
            .into_iter()
            .find(|(public, _)| match public {
                std::net::IpAddr::V4(_) => !to_igw.v4().is_empty(),
                std::net::IpAddr::V6(_) => !to_igw.v6().is_empty(),
            })
            .map(|(public, _)| (public.to_string(), subnet_id.to_owned()))
    };
    let mut enis_by_instance: std::collections::HashMap<
        &str,
        Vec<&crate::model::NetworkInterface>,
    > = std::collections::HashMap::new();
    for eni in &facts.inventory.network_interfaces {
        if let Some(instance) = eni.instance_id.as_deref() {
            enis_by_instance.entry(instance).or_default().push(eni);
        }
    }
    for instance in facts
        .inventory
        .instances
        .iter()
        .filter(|i| i.is_live() && !is_entry_point(&i.tags))
        // A NAT instance or appliance the route tables send traffic to is infrastructure: moving
        // it to a private subnet would cut the VPC's egress.
        .filter(|i| !facts.network.is_forwarder(&i.id))
    {
        // Any public address on any of its ENIs whose family reaches an IGW (an Elastic IP on a
        // secondary ENI or address, a global IPv6 address); else, when the ENIs do not list
        // it, the instance's own public IPv4 in a public subnet.
        let enis = enis_by_instance
            .get(instance.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let found = enis.iter().find_map(|e| reachable_address(e)).or_else(|| {
            let (ip, subnet_id) = (instance.public_ip.as_ref()?, instance.subnet_id.as_ref()?);
            let listed = enis.iter().any(|e| {
                facts
                    .network
                    .public_addresses(e)
                    .iter()
                    .any(|(p, _)| p.to_string() == ip.trim())
            });
            (!listed && facts.class_of(subnet_id).is_public())
                .then(|| (ip.clone(), subnet_id.clone()))
        });
        if let Some((ip, subnet_id)) = found {
            report(
                facts.instance_resource(&instance.id, &instance.tags),
                "EC2 instance",
                &instance.id,
                &subnet_id,
                &ip,
            );
        }
    }
    for eni in &facts.inventory.network_interfaces {
        // Instances are judged above; load balancers and NAT gateways belong there.
        if facts.interface_kind(eni) == SgUserKind::Interface
            && !is_entry_point(&eni.tags)
            && !facts.network.is_forwarder(&eni.id)
            && let Some((ip, subnet_id)) = reachable_address(eni)
            && facts.class_of(&subnet_id).is_public()
        {
            report(
                facts.network_interface_resource(&eni.id, &eni.tags),
                "network interface",
                &eni.id,
                &subnet_id,
                &ip,
            );
        }
    }
    out
}
