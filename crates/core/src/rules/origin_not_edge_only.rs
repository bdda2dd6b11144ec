//! EDGE001: an origin behind the declared edge admits web traffic from outside the edge.

use std::borrow::Cow;

use ipnet::IpNet;
use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::{PeerReach, ScopeFacts, SgUser, SgUserKind};
use crate::config::{CLOUDFLARE_RANGES, Edge, parse_ranges};
use crate::model::{SecurityGroupPeer, SecurityGroupRule};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::SecurityGroups,
    Dataset::Instances,
    Dataset::NetworkInterfaces,
    Dataset::Subnets,
    Dataset::RouteTables,
];

/// The ports an origin serves the edge on.
const ORIGIN_PORTS: [u16; 2] = [80, 443];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let Some(edge) = facts.settings.edge else {
        return Vec::new();
    };
    let (edge_name, ranges) = match edge {
        Edge::Cloudflare => ("Cloudflare", edge_ranges(&facts.settings.edge_ranges)),
    };
    let mut out = Vec::new();
    for group in &facts.inventory.security_groups {
        let origins: Vec<&SgUser> = facts
            .sg_users
            .get(group.id.as_str())
            .into_iter()
            .flatten()
            .filter(|u| is_internet_facing_origin(facts, u))
            .collect();
        if origins.is_empty() {
            continue;
        }
        for rule in &group.ingress {
            let Some(source) = outside_the_edge(&rule.peer, &ranges) else {
                continue;
            };
            let ports: Vec<u16> = ORIGIN_PORTS
                .into_iter()
                .filter(|p| rule.admits_tcp_port(*p))
                .collect();
            if ports.is_empty() {
                continue;
            }
            out.push(violation(
                facts, group, rule, source, &ports, &origins, edge_name,
            ));
        }
    }
    out
}

/// The configured ranges, or the bundled list when the configuration named none.
fn edge_ranges(configured: &[IpNet]) -> Cow<'_, [IpNet]> {
    if configured.is_empty() {
        // The bundled list is compiled in and parsed by a unit test.
        Cow::Owned(parse_ranges(CLOUDFLARE_RANGES).unwrap_or_default())
    } else {
        Cow::Borrowed(configured)
    }
}

/// The peer's range when it is part of the internet and not inside any edge range. Security
/// group references, prefix lists and private ranges never carry traffic around the edge.
fn outside_the_edge(peer: &SecurityGroupPeer, ranges: &[IpNet]) -> Option<IpNet> {
    if !PeerReach::of(peer).is_internet() {
        return None;
    }
    let net = match peer {
        SecurityGroupPeer::Ipv4(net) => IpNet::V4(*net),
        SecurityGroupPeer::Ipv6(net) => IpNet::V6(*net),
        _ => return None,
    };
    (!ranges.iter().any(|r| r.contains(&net))).then_some(net)
}

/// A carrier the internet can reach directly: a load balancer or declared entry point with a
/// public IP or in a public subnet, or an instance or interface with a public IP in a public
/// subnet. Internal load balancers and private backends are not origins.
fn is_internet_facing_origin(facts: &ScopeFacts<'_>, user: &SgUser<'_>) -> bool {
    let in_public_subnet = user
        .subnet_ids
        .iter()
        .any(|s| facts.class_of(s).is_public());
    match user.kind {
        SgUserKind::LoadBalancer | SgUserKind::EntryPoint => {
            user.public_ip.is_some() || in_public_subnet
        }
        SgUserKind::Instance | SgUserKind::Interface => {
            user.public_ip.is_some() && in_public_subnet
        }
        _ => false,
    }
}

fn violation(
    facts: &ScopeFacts<'_>,
    group: &crate::model::SecurityGroup,
    rule: &SecurityGroupRule,
    source: IpNet,
    ports: &[u16],
    origins: &[&SgUser<'_>],
    edge_name: &str,
) -> Violation {
    let ports_text = ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" and ");
    let noun = if ports.len() == 1 { "port" } else { "ports" };
    let carriers: Vec<String> = origins
        .iter()
        .take(3)
        .map(|u| format!("{} {}", u.kind.name(), u.id))
        .collect();
    let more = origins.len().saturating_sub(3);
    let tail = if more > 0 {
        format!(" +{more} more")
    } else {
        String::new()
    };
    Violation::new(
        facts.security_group_resource(group),
        format!(
            "{} admits {} from {source}, outside {edge_name}'s ranges, on origin {noun} \
             {ports_text} of {}{tail}: clients can bypass {edge_name}",
            group.id,
            rule.describe_ports(),
            carriers.join(", ")
        ),
    )
    .evidence(json!({
        "rule": rule,
        "ports": ports,
        "edge": edge_name,
        "origins": origins
            .iter()
            .map(|u| json!({ "kind": u.kind.name(), "id": u.id, "public_ip": u.public_ip }))
            .collect::<Vec<_>>(),
    }))
    .remediation(format!(
        "Replace the {source} rule on {} with rules for {edge_name}'s published ranges (kept \
         in a managed prefix list), or put the origin behind a {edge_name} Tunnel.",
        group.id
    ))
    .cause(Cause::sg_ingress(rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_ranges_and_private_ranges_are_not_outside_the_edge() {
        let ranges = edge_ranges(&[]);
        let peer = |cidr: &str| match cidr.parse::<IpNet>().unwrap() {
            IpNet::V4(net) => SecurityGroupPeer::Ipv4(net),
            IpNet::V6(net) => SecurityGroupPeer::Ipv6(net),
        };
        assert!(outside_the_edge(&peer("0.0.0.0/0"), &ranges).is_some());
        assert!(outside_the_edge(&peer("::/0"), &ranges).is_some());
        assert!(outside_the_edge(&peer("198.51.100.0/24"), &ranges).is_some());
        assert!(outside_the_edge(&peer("173.245.48.0/20"), &ranges).is_none());
        assert!(outside_the_edge(&peer("2400:cb00::/32"), &ranges).is_none());
        assert!(outside_the_edge(&peer("10.0.0.0/16"), &ranges).is_none());
        let prefix_list = SecurityGroupPeer::PrefixList("pl-0cloudflare".to_owned());
        assert!(outside_the_edge(&prefix_list, &ranges).is_none());
    }

    #[test]
    fn configured_ranges_replace_the_bundled_list() {
        let configured: Vec<IpNet> = vec!["198.51.100.0/24".parse().unwrap()];
        let ranges = edge_ranges(&configured);
        let office = SecurityGroupPeer::Ipv4("198.51.100.0/25".parse().unwrap());
        assert!(outside_the_edge(&office, &ranges).is_none());
    }
}
