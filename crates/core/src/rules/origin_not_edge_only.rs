//! EDGE001: an origin behind the declared edge admits web traffic from outside the edge.

use std::borrow::Cow;
use std::collections::BTreeSet;

use ipnet::IpNet;
use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::{PeerReach, ScopeFacts, SgUser, SgUserKind};
use crate::config::{CLOUDFLARE_RANGES, Edge, parse_ranges};
use crate::model::{SecurityGroupPeer, SecurityGroupRule};
use crate::net::AddrSet;
use crate::reach::{InboundPath, PathHop};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::SecurityGroups,
    Dataset::Instances,
    Dataset::NetworkInterfaces,
    Dataset::Subnets,
    Dataset::RouteTables,
    // Paths through load balancers are judged through network ACLs too.
    Dataset::NetworkAcls,
];

/// Paths through load balancers, on every listener port (and through inspection endpoints,
/// Elastic IPs): without them the rule judges the origins' own groups only.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_PATHS;

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
    let mut reported: BTreeSet<(&str, usize)> = BTreeSet::new();
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
        for (rule_index, rule) in group.ingress.iter().enumerate() {
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
            reported.insert((group.id.as_str(), rule_index));
            out.push(violation(
                facts, group, rule, source, &ports, &origins, edge_name,
            ));
        }
    }
    out.extend(load_balancer_paths(facts, &ranges, edge_name, &reported));
    out
}

/// Paths through internet-facing load balancers, on every listener port: the security group
/// rule that admits clients outside the edge (the load balancer's own, or the target's when
/// an NLB preserves client addresses), or the load balancer itself when nothing filters the
/// clients (an NLB without security groups whose targets see only its nodes).
fn load_balancer_paths(
    facts: &ScopeFacts<'_>,
    ranges: &[IpNet],
    edge_name: &str,
    reported: &BTreeSet<(&str, usize)>,
) -> Vec<Violation> {
    let edge = AddrSet::from_nets(ranges);
    let mut seen: BTreeSet<(String, usize)> = reported
        .iter()
        .map(|(g, i)| ((*g).to_owned(), *i))
        .collect();
    let mut unfiltered: BTreeSet<(String, String, u16)> = BTreeSet::new();
    let mut out = Vec::new();
    // Front paths of load balancers that filter clients (their own groups decide), and every
    // path on to a target (for one that filters nothing, the target leg decides).
    let filters = |p: &&InboundPath| {
        p.path.iter().any(|h| {
            matches!(
                h,
                PathHop::LoadBalancer {
                    filters_clients: true,
                    ..
                }
            )
        })
    };
    let mut paths: Vec<&InboundPath> = facts
        .network
        .load_balancer_fronts
        .values()
        .flat_map(|f| f.paths.iter())
        .filter(filters)
        .chain(facts.network.through_load_balancers.values().flatten())
        .collect();
    paths.sort_by(|a, b| a.path.iter().map(hop_key).cmp(b.path.iter().map(hop_key)));
    for path in paths {
        let outside = path.source_set.difference(&edge);
        if outside.is_empty() {
            continue;
        }
        let listener = path.path.iter().find_map(|h| match h {
            PathHop::Listener { protocol, port, .. } => Some((protocol.clone(), *port)),
            _ => None,
        });
        let Some((protocol, port)) = listener else {
            continue;
        };
        let lb = path.path.iter().find_map(|h| match h {
            PathHop::LoadBalancer {
                id,
                name,
                filters_clients,
                ..
            } => Some((id.clone(), name.clone(), *filters_clients)),
            _ => None,
        });
        let Some((lb_id, lb_name, filters)) = lb else {
            continue;
        };
        // The last security group hop that saw the clients themselves.
        let preserved = path.path.iter().any(|h| {
            matches!(
                h,
                PathHop::TargetGroup {
                    client_ip_preserved: true,
                    ..
                }
            )
        });
        let before_lb = path
            .path
            .iter()
            .take_while(|h| !matches!(h, PathHop::LoadBalancer { .. }));
        let after_lb = path
            .path
            .iter()
            .skip_while(|h| !matches!(h, PathHop::LoadBalancer { .. }));
        let group_hop = if preserved && !filters {
            last_group(after_lb)
        } else {
            last_group(before_lb)
        };
        let evidence_path = serde_json::to_value(&path.path).unwrap_or_default();
        match group_hop {
            Some((group_id, rule_index)) => {
                if !seen.insert((group_id.clone(), rule_index)) {
                    continue;
                }
                let Some(group) = facts.security_groups.get(group_id.as_str()) else {
                    continue;
                };
                let Some(rule) = group.ingress.get(rule_index) else {
                    continue;
                };
                out.push(
                    Violation::new(
                        facts.security_group_resource(group),
                        format!(
                            "{} admits {} from {}, outside {edge_name}'s ranges, through load \
                             balancer {lb_name} ({protocol} listener on {port}): clients can \
                             bypass {edge_name}",
                            group.id,
                            rule.describe_ports(),
                            rule.peer
                        ),
                    )
                    .evidence(json!({
                        "rule": rule,
                        "port": port,
                        "edge": edge_name,
                        "admitted_outside_edge": outside.describe(),
                        "path": evidence_path,
                    }))
                    .remediation(format!(
                        "Admit only {edge_name}'s published ranges (kept in a managed prefix \
                         list) on {}, or put the origin behind a {edge_name} Tunnel.",
                        group.id
                    ))
                    .cause(Cause::sg_ingress(rule)),
                );
            }
            None => {
                if !unfiltered.insert((lb_id.clone(), protocol.clone(), port)) {
                    continue;
                }
                out.push(
                    Violation::new(
                        facts.load_balancer_resource(&lb_id),
                        format!(
                            "load balancer {lb_name} has no security groups and its {protocol} \
                             listener on {port} reaches its targets from {}: clients can \
                             bypass {edge_name}",
                            outside.describe()
                        ),
                    )
                    .evidence(json!({
                        "port": port,
                        "edge": edge_name,
                        "admitted_outside_edge": outside.describe(),
                        "path": evidence_path,
                    }))
                    .remediation(format!(
                        "Give {lb_name} a security group that admits only {edge_name}'s \
                         published ranges (security groups can be added to a Network Load \
                         Balancer created with them), or recreate it with one."
                    ))
                    .cause(Cause::listener(&protocol, port)),
                );
            }
        }
    }
    out
}

/// The last security group hop among `hops`: its group and rule index.
fn last_group<'h>(hops: impl Iterator<Item = &'h PathHop>) -> Option<(String, usize)> {
    hops.filter_map(|h| match h {
        PathHop::SecurityGroup {
            group_id,
            rule_index,
            ..
        } => Some((group_id.clone(), *rule_index)),
        _ => None,
    })
    .last()
}

/// A stable order for paths (evidence and deduplication do not depend on hash order).
fn hop_key(h: &PathHop) -> String {
    serde_json::to_string(h).unwrap_or_default()
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
    .evidence(super::world_open::with_path(
        json!({
            "rule": rule,
            "ports": ports,
            "edge": edge_name,
            "origins": origins
                .iter()
                .map(|u| json!({ "kind": u.kind.name(), "id": u.id, "public_ip": u.public_ip }))
                .collect::<Vec<_>>(),
        }),
        super::world_open::group_path(
            facts,
            group,
            crate::net::Protocol::Tcp,
            &crate::net::PortSet::from_ranges(ports.iter().map(|p| (*p, *p))),
            &group
                .ingress
                .iter()
                .position(|r| r == rule)
                .into_iter()
                .collect::<Vec<_>>(),
        ),
    ))
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
