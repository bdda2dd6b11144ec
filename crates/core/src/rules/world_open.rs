//! Shared judgement of rules open to the internet (SG001, SG002, SG004, DB003, NACL001): how
//! exposed a group is, which rules admit the world together (as address sets, not one CIDR at
//! a time), and the path a packet takes in, for evidence.

use serde_json::{Value, json};

use crate::analysis::ScopeFacts;
use crate::finding::Severity;
use crate::model::{NetworkInterface, SecurityGroup, SecurityGroupRule};
use crate::net::{self, AddrSet, Exposure, PortMap, PortSet, Protocol};
use crate::reach::{self, InboundPath, PathHop};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: [Dataset; 7] = [
    Dataset::SecurityGroups,
    Dataset::Instances,
    Dataset::NetworkInterfaces,
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::DbSubnetGroups,
    Dataset::LambdaFunctions,
];

/// Protocol -1, or TCP/UDP on every port.
pub(super) fn admits_all(rule: &SecurityGroupRule) -> bool {
    rule.admits_everything()
        || ((rule.protocol.is_tcp() || rule.protocol.is_udp())
            && rule.ports.is_none_or(|r| r.is_every_port()))
}

/// A severity override and a message suffix. An unattached group exposes nothing today, so it
/// is reported at medium: still a trap for the next thing attached to it.
pub(super) fn exposure(
    facts: &ScopeFacts<'_>,
    group: &SecurityGroup,
) -> (Option<Severity>, String) {
    match facts.sg_users.get(group.id.as_str()) {
        Some(users) if !users.is_empty() => {
            let ids: Vec<&str> = users.iter().map(|u| u.id).take(3).collect();
            let more = users.len().saturating_sub(3);
            let tail = if more > 0 {
                format!(" +{more} more")
            } else {
                String::new()
            };
            (None, format!("; carried by {}{tail}", ids.join(", ")))
        }
        _ => (
            Some(Severity::Medium),
            "; not attached to anything yet".to_owned(),
        ),
    }
}

pub(super) fn carriers(facts: &ScopeFacts<'_>, group: &SecurityGroup) -> Value {
    let users = facts.sg_users.get(group.id.as_str());
    Value::Array(
        users
            .into_iter()
            .flatten()
            .map(|u| json!({ "kind": u.kind.name(), "id": u.id, "public_ip": u.public_ip }))
            .collect(),
    )
}

/// A literal `0.0.0.0/0` or `::/0` rule: reported one by one, keyed on the rule.
pub(super) fn is_world_rule(rule: &SecurityGroupRule) -> bool {
    rule.peer.is_cidr() && rule.peer.is_world()
}

/// The indices of `group`'s ingress rules from 0.0.0.0/0 or ::/0.
pub(super) fn world_rule_indices(group: &SecurityGroup) -> Vec<usize> {
    group
        .ingress
        .iter()
        .enumerate()
        .filter(|(_, r)| is_world_rule(r))
        .map(|(i, _)| i)
        .collect()
}

/// Part of a group's ingress judged as one set: the rules whose public sources together admit
/// the world or a large share of it on `ports` of `protocol`.
#[derive(Debug, Clone)]
pub(super) struct Exposed<'g> {
    pub protocol: Protocol,
    pub ports: PortSet,
    pub exposure: Exposure,
    /// `(index in the group's ingress, rule)`, in group order.
    pub rules: Vec<(usize, &'g SecurityGroupRule)>,
}

impl<'g> Exposed<'g> {
    /// The one rule that makes it up, when only one does.
    pub fn single(&self) -> Option<(usize, &'g SecurityGroupRule)> {
        match self.rules.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    pub fn indices(&self) -> Vec<usize> {
        self.rules.iter().map(|(i, _)| *i).collect()
    }

    pub fn peers(&self) -> String {
        let peers: Vec<String> = self.rules.iter().map(|(_, r)| r.peer.to_string()).collect();
        peers.join(", ")
    }

    /// `tcp/8080`, `tcp/0-21,23-65535`, `all traffic`: for messages.
    pub fn describe_ports(&self) -> String {
        describe_flow(self.protocol, &self.ports)
    }

    pub fn exposure_name(&self) -> &'static str {
        if self.exposure.is_world() {
            "world"
        } else {
            "large"
        }
    }

    /// The evidence every union finding carries.
    pub fn evidence(&self) -> Value {
        json!({
            "rules": self.rules.iter().map(|(_, r)| r).collect::<Vec<_>>(),
            "protocol": self.protocol,
            "ports": port_ranges(&self.ports),
            "admitted": self.exposure.admitted().map(|a| a.describe()),
            "exposure": self.exposure_name(),
        })
    }
}

/// `tcp/8080`, `udp/0-65535`, `all traffic`.
pub(super) fn describe_flow(protocol: Protocol, ports: &PortSet) -> String {
    if protocol == Protocol::All {
        "all traffic".to_owned()
    } else {
        format!("{}/{}", protocol.aws_name(), port_ranges(ports))
    }
}

/// `22`, `8000-8080`, `0-21,23-65535`.
pub(super) fn port_ranges(ports: &PortSet) -> String {
    let ranges: Vec<String> = ports
        .ranges()
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    ranges.join(",")
}

/// The internet as seen from the group's VPC.
fn internet(facts: &ScopeFacts<'_>, vpc: Option<&str>) -> AddrSet {
    vpc.map_or_else(
        || net::public_internet().clone(),
        |v| facts.network.internet(v),
    )
}

/// The rules at `indices` of `group`, converted for the set library (unreadable ones left out).
fn converted(group: &SecurityGroup, indices: &[usize]) -> Vec<(usize, net::SgRule)> {
    indices
        .iter()
        .filter_map(|&i| {
            let rule = group.ingress.get(i)?;
            reach::sg_rule(rule).map(|r| (i, r))
        })
        .collect()
}

/// Where the union of the `candidates` rules (indices into `group.ingress`) admits the world or
/// a large share of it for `protocol` on `ports`, as sets, once what the `reported` rules admit
/// (rules reported one by one) is taken away. Grouped by the rules that make each part up.
pub(super) fn world_like<'g>(
    facts: &ScopeFacts<'_>,
    group: &'g SecurityGroup,
    candidates: &[usize],
    reported: &[usize],
    protocol: Protocol,
    ports: &PortSet,
) -> Vec<Exposed<'g>> {
    let vpc = group.vpc_id.as_deref();
    let internet = internet(facts, vpc);
    let parts = |rules: &[(usize, net::SgRule)]| -> Vec<(usize, PortSet, AddrSet)> {
        let only: Vec<net::SgRule> = rules.iter().map(|(_, r)| r.clone()).collect();
        net::sg::admitted(&only, protocol, ports)
            .into_iter()
            .filter_map(|(k, p, a)| {
                let index = rules.get(k)?.0;
                Some((index, p, a.intersection(&internet)))
            })
            .filter(|(_, _, a)| !a.is_empty())
            .collect()
    };
    let map = |parts: &[(usize, PortSet, AddrSet)]| {
        parts.iter().fold(PortMap::new(), |acc, (_, p, a)| {
            acc.union(&PortMap::from_box(p, a))
        })
    };
    let candidate_parts = parts(&converted(group, candidates));
    let region = map(&candidate_parts).difference(&map(&parts(&converted(group, reported))));
    // (contributing rule indices, ports, admitted addresses)
    let mut groups: Vec<(Vec<usize>, PortSet, AddrSet)> = Vec::new();
    for (lo, hi, addrs) in region.pieces() {
        if facts.network.exposure(addrs, vpc).rank() < 2 {
            continue;
        }
        let piece = PortSet::range(*lo, *hi);
        let mut who: Vec<usize> = candidate_parts
            .iter()
            .filter(|(_, p, a)| p.intersects(&piece) && a.intersects(addrs))
            .map(|(i, _, _)| *i)
            .collect();
        who.sort_unstable();
        who.dedup();
        match groups.iter_mut().find(|(w, _, _)| *w == who) {
            Some((_, p, a)) => {
                *p = p.union(&piece);
                *a = a.union(addrs);
            }
            None => groups.push((who, piece, addrs.clone())),
        }
    }
    groups
        .into_iter()
        .map(|(who, ports, addrs)| Exposed {
            protocol,
            ports,
            exposure: facts.network.exposure(&addrs, vpc),
            rules: who
                .into_iter()
                .filter_map(|i| group.ingress.get(i).map(|r| (i, r)))
                .collect(),
        })
        .collect()
}

/// SG002's unions: per kind (protocol `-1`, TCP on every port, UDP on every port), the rules of
/// that kind that are not the world one by one but admit it (or a large share) together.
pub(super) fn all_traffic_unions<'g>(
    facts: &ScopeFacts<'_>,
    group: &'g SecurityGroup,
) -> Vec<Exposed<'g>> {
    let mut out = Vec::new();
    for kind in [Protocol::All, Protocol::Tcp, Protocol::Udp] {
        let of_kind = |r: &SecurityGroupRule| match kind {
            Protocol::All => r.protocol.is_all(),
            Protocol::Tcp => r.protocol.is_tcp(),
            _ => r.protocol.is_udp(),
        };
        let candidates: Vec<usize> = group
            .ingress
            .iter()
            .enumerate()
            .filter(|(_, r)| r.peer.is_cidr() && admits_all(r) && of_kind(r) && !is_world_rule(r))
            .map(|(i, _)| i)
            .collect();
        if candidates.is_empty() {
            continue;
        }
        // What the world rules reported one by one admit (a -1 rule admits every TCP and UDP
        // port too) is not judged again.
        let reported: Vec<usize> = group
            .ingress
            .iter()
            .enumerate()
            .filter(|(_, r)| is_world_rule(r) && admits_all(r))
            .map(|(i, _)| i)
            .collect();
        out.extend(world_like(
            facts,
            group,
            &candidates,
            &reported,
            kind,
            &PortSet::all(),
        ));
    }
    out
}

/// SG001's union on one admin port: the group's address-range rules (all traffic aside, SG002's)
/// that admit TCP `port` from the world or a large share of it together, once what its
/// `0.0.0.0/0` and `::/0` rules admit (reported one by one) is taken away. Only the rules that
/// bring public addresses are listed.
pub(super) fn admin_union<'g>(
    facts: &ScopeFacts<'_>,
    group: &'g SecurityGroup,
    port: u16,
) -> Option<(Vec<(usize, &'g SecurityGroupRule)>, Exposure)> {
    let pick = |world: bool| -> Vec<usize> {
        group
            .ingress
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.peer.is_cidr()
                    && is_world_rule(r) == world
                    && (world || !admits_all(r))
                    && r.admits_tcp_port(port)
            })
            .map(|(i, _)| i)
            .collect()
    };
    let candidates = pick(false);
    if candidates.is_empty() {
        return None;
    }
    world_like(
        facts,
        group,
        &candidates,
        &pick(true),
        Protocol::Tcp,
        &PortSet::single(port),
    )
    .into_iter()
    .next()
    .map(|union| (union.rules, union.exposure))
}

/// Evidence of a way in: the hops of the first internet path into one of `interfaces` that
/// `matches` accepts (one that `preferred` also accepts first), and how many of the interfaces
/// have such a path. `None` when none has.
pub(super) fn path_evidence<'i>(
    facts: &ScopeFacts<'_>,
    interfaces: impl Iterator<Item = &'i NetworkInterface>,
    matches: impl Fn(&InboundPath) -> bool,
    preferred: impl Fn(&InboundPath) -> bool,
) -> Option<(Vec<PathHop>, usize)> {
    let mut reachable = 0;
    let mut first: Option<Vec<PathHop>> = None;
    let mut first_preferred: Option<Vec<PathHop>> = None;
    for eni in interfaces {
        let inbound = facts.network.inbound(eni);
        let found: Vec<&InboundPath> = inbound.paths.iter().filter(|p| matches(p)).collect();
        let Some(any) = found.first() else {
            continue;
        };
        reachable += 1;
        if first_preferred.is_none() {
            first_preferred = found.iter().find(|p| preferred(p)).map(|p| p.path.clone());
        }
        if first.is_none() {
            first = Some(any.path.clone());
        }
    }
    first_preferred.or(first).map(|path| (path, reachable))
}

/// The interfaces that carry `group`.
pub(super) fn interfaces_of<'a>(
    facts: &'a ScopeFacts<'_>,
    group_id: &'a str,
) -> impl Iterator<Item = &'a NetworkInterface> + 'a {
    facts
        .inventory
        .network_interfaces
        .iter()
        .filter(move |e| e.security_group_ids.iter().any(|g| g == group_id))
}

/// The way in through `group` for `protocol` on `ports` (through one of `rule_indices` if one
/// is), for a finding's evidence.
pub(super) fn group_path(
    facts: &ScopeFacts<'_>,
    group: &SecurityGroup,
    protocol: Protocol,
    ports: &PortSet,
    rule_indices: &[usize],
) -> Option<(Vec<PathHop>, usize)> {
    let through = |p: &InboundPath, indices: Option<&[usize]>| {
        p.path.iter().any(|hop| match hop {
            PathHop::SecurityGroup {
                group_id,
                rule_index,
                ..
            } => group_id == &group.id && indices.is_none_or(|i| i.contains(rule_index)),
            _ => false,
        })
    };
    let flow = |p: &InboundPath| {
        protocol == Protocol::All
            || (p.protocol == protocol && (!protocol.has_ports() || p.ports.intersects(ports)))
    };
    path_evidence(
        facts,
        interfaces_of(facts, &group.id),
        |p| flow(p) && through(p, None),
        |p| through(p, Some(rule_indices)),
    )
}

/// Adds `path` and `reachable_interfaces` to an evidence object (a path only when some
/// interface is reachable).
pub(super) fn with_path(mut evidence: Value, path: Option<(Vec<PathHop>, usize)>) -> Value {
    if let Value::Object(map) = &mut evidence {
        let reachable = path.as_ref().map_or(0, |(_, n)| *n);
        if let Some((hops, _)) = path {
            map.insert("path".to_owned(), json!(hops));
        }
        map.insert("reachable_interfaces".to_owned(), json!(reachable));
    }
    evidence
}

/// Sets `key` on an evidence object (nothing for any other JSON value).
pub(super) fn set(evidence: &mut Value, key: &str, value: Value) {
    if let Value::Object(map) = evidence {
        map.insert(key.to_owned(), value);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use serde_json::{Value, json};

    use crate::analysis::ScopeFacts;
    use crate::config::Settings;
    use crate::finding::Severity;
    use crate::model::RegionInventory;
    use crate::rules::Violation;

    fn tcp(port: u16, cidr: &str) -> Value {
        json!({"protocol": "tcp", "ports": {"from": port, "to": port}, "peer": {"ipv4": cidr}})
    }

    /// One public subnet (default route to an IGW) with one instance's interface in it: a
    /// public IPv4 address when `public`, carrying `sg-app` with `ingress`, and `db` RDS
    /// instance on it when asked; `acl` network ACL entries for the subnet when given.
    fn inventory(public: bool, ingress: Vec<Value>, acl: Option<Vec<Value>>) -> RegionInventory {
        let mut value = json!({
            "vpcs": [{"id": "vpc-app", "cidr_blocks": ["10.0.0.0/16"]}],
            "subnets": [{"id": "subnet-pub-a", "vpc_id": "vpc-app",
                         "availability_zone": "eu-west-1a"}],
            "route_tables": [{"id": "rtb-public", "vpc_id": "vpc-app", "routes": [
                {"destination": {"ipv4": "10.0.0.0/16"}, "target": {"kind": "local"}},
                {"destination": {"ipv4": "0.0.0.0/0"},
                 "target": {"kind": "internet_gateway", "id": "igw-app"}}],
                "associations": [{"subnet_id": "subnet-pub-a"}]}],
            "internet_gateways": [{"id": "igw-app", "attached_vpc_ids": ["vpc-app"]}],
            "security_groups": [{"id": "sg-app", "name": "sg-app", "vpc_id": "vpc-app",
                                 "ingress": ingress}],
            "instances": [{"id": "i-app", "vpc_id": "vpc-app", "subnet_id": "subnet-pub-a",
                           "state": "running", "security_group_ids": ["sg-app"],
                           "public_ip": if public { Some("54.1.2.3") } else { None }}],
            "network_interfaces": [{"id": "eni-app", "vpc_id": "vpc-app",
                                    "subnet_id": "subnet-pub-a", "instance_id": "i-app",
                                    "security_group_ids": ["sg-app"],
                                    "public_ip": if public { Some("54.1.2.3") } else { None }}],
        });
        if let Some(entries) = acl {
            value["network_acls"] = json!([{"id": "acl-web", "vpc_id": "vpc-app",
                "entries": entries, "subnet_ids": ["subnet-pub-a"]}]);
        }
        serde_json::from_value(value).expect("inventory")
    }

    fn run(inventory: &RegionInventory, check: super::super::Check) -> Vec<Violation> {
        let settings = Settings::default();
        let facts = ScopeFacts::build(inventory, &settings);
        check(&facts)
    }

    fn hops(violation: &Violation) -> Vec<String> {
        violation.evidence["path"]
            .as_array()
            .expect("a path")
            .iter()
            .map(|h| h["hop"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn sg004_reports_the_halves_once_with_the_path_in() {
        let inventory = inventory(
            true,
            vec![tcp(8080, "0.0.0.0/1"), tcp(8080, "128.0.0.0/1")],
            None,
        );
        let found = run(&inventory, super::super::backend_port_from_cidr::check);
        assert_eq!(found.len(), 1, "{found:#?}");
        let union = &found[0];
        assert_eq!(union.severity, Some(Severity::High));
        assert_eq!(union.cause.encoded(), "ingress:union:tcp/8080");
        assert_eq!(union.evidence["exposure"], "world");
        assert_eq!(union.evidence["reachable_interfaces"], 1);
        assert_eq!(
            hops(union),
            ["internet_gateway", "route", "security_group", "interface"]
        );
        let sg_hop = &union.evidence["path"][2];
        assert_eq!(sg_hop["group_id"], "sg-app");
        assert_eq!(union.evidence["path"][3]["id"], "eni-app");
    }

    #[test]
    fn tier002_carries_the_direct_path_into_the_instance() {
        let open = inventory(true, vec![tcp(22, "8.8.8.0/24")], None);
        let found = run(
            &open,
            super::super::backend_public_ip_in_public_subnet::check,
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            hops(&found[0]),
            ["internet_gateway", "route", "security_group", "interface"]
        );
        // Twin: no rule admits the internet: the placement is still reported, without a path.
        let closed = inventory(true, vec![tcp(22, "10.0.0.0/16")], None);
        let found = run(
            &closed,
            super::super::backend_public_ip_in_public_subnet::check,
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].evidence.get("path").is_none());
        assert_eq!(found[0].evidence["reachable_interfaces"], 0);
    }

    #[test]
    fn no_path_when_no_carrier_is_reachable() {
        let inventory = inventory(
            false,
            vec![tcp(8080, "0.0.0.0/1"), tcp(8080, "128.0.0.0/1")],
            None,
        );
        let found = run(&inventory, super::super::backend_port_from_cidr::check);
        assert_eq!(found.len(), 1);
        assert!(found[0].evidence.get("path").is_none());
        assert_eq!(found[0].evidence["reachable_interfaces"], 0);
        assert_eq!(found[0].severity, Some(Severity::High));
    }

    #[test]
    fn sg001_union_carries_the_path() {
        let inventory = inventory(
            true,
            vec![tcp(22, "0.0.0.0/1"), tcp(22, "128.0.0.0/1")],
            None,
        );
        let found = run(&inventory, super::super::admin_port_open_to_world::check);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].cause.encoded(), "ingress:union:tcp/22");
        assert_eq!(found[0].evidence["reachable_interfaces"], 1);
        assert_eq!(
            hops(&found[0]).last().map(String::as_str),
            Some("interface")
        );
    }

    #[test]
    fn sg001_judges_the_ipv6_halves_next_to_a_v4_world_rule() {
        // 0.0.0.0/0 keeps its own finding; the IPv6 halves are all of the IPv6 internet, a
        // second exposure; a /1 inside 0.0.0.0/0 adds nothing.
        let v6 = |cidr: &str| json!({"protocol": "tcp", "ports": {"from": 22, "to": 22}, "peer": {"ipv6": cidr}});
        let inventory = inventory(
            true,
            vec![
                tcp(22, "0.0.0.0/0"),
                tcp(22, "0.0.0.0/1"),
                v6("2000::/4"),
                v6("3000::/4"),
            ],
            None,
        );
        let found = run(&inventory, super::super::admin_port_open_to_world::check);
        let causes: Vec<String> = found.iter().map(|v| v.cause.encoded()).collect();
        assert_eq!(
            causes,
            ["ingress:0.0.0.0/0:tcp/22", "ingress:union:tcp/22"],
            "{found:#?}"
        );
        assert_eq!(found[1].evidence["rules"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn sg002_union_carries_the_path() {
        let all = |cidr: &str| json!({"protocol": "-1", "peer": {"ipv4": cidr}});
        let inventory = inventory(true, vec![all("0.0.0.0/1"), all("128.0.0.0/1")], None);
        let found = run(&inventory, super::super::all_traffic_open_to_world::check);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].cause.encoded(), "ingress:union:all traffic");
        assert_eq!(
            hops(&found[0]).last().map(String::as_str),
            Some("interface")
        );
    }

    #[test]
    fn what_an_all_traffic_world_rule_admits_is_not_judged_again() {
        // -1 from 0.0.0.0/0 already admits every TCP port from 0.0.0.0/1: one SG002 finding.
        let inventory = inventory(
            true,
            vec![
                json!({"protocol": "-1", "peer": {"ipv4": "0.0.0.0/0"}}),
                json!({"protocol": "tcp", "ports": {"from": 0, "to": 65535},
                       "peer": {"ipv4": "0.0.0.0/1"}}),
            ],
            None,
        );
        let found = run(&inventory, super::super::all_traffic_open_to_world::check);
        let causes: Vec<String> = found.iter().map(|v| v.cause.encoded()).collect();
        assert_eq!(causes, ["ingress:0.0.0.0/0:all traffic"]);
    }

    #[test]
    fn a_world_rule_keeps_its_own_finding_and_the_rest_is_judged_without_it() {
        // 0.0.0.0/0 on 8080 is reported one by one (its fingerprint unchanged); the /1 next to
        // it adds nothing the world rule does not already admit, so it stays a plain range.
        let inventory = inventory(
            true,
            vec![tcp(8080, "0.0.0.0/0"), tcp(8080, "0.0.0.0/1")],
            None,
        );
        let found = run(&inventory, super::super::backend_port_from_cidr::check);
        let causes: Vec<String> = found.iter().map(|v| v.cause.encoded()).collect();
        assert_eq!(
            causes,
            ["ingress:0.0.0.0/0:tcp/8080", "ingress:0.0.0.0/1:tcp/8080"]
        );
        assert_eq!(found[0].severity, Some(Severity::High));
        assert_eq!(found[1].severity, Some(Severity::Medium));
    }

    #[test]
    fn db003_reports_the_halves_once() {
        let mut inventory = inventory(
            true,
            vec![
                tcp(5432, "0.0.0.0/1"),
                tcp(5432, "128.0.0.0/1"),
                tcp(5432, "10.0.0.0/16"),
            ],
            None,
        );
        inventory.db_instances = serde_json::from_value(json!([{"id": "orders-db",
            "engine": "postgres", "vpc_id": "vpc-app", "security_group_ids": ["sg-app"]}]))
        .unwrap();
        let found = run(&inventory, super::super::db_port_open_to_cidr::check);
        let causes: Vec<String> = found.iter().map(|v| v.cause.encoded()).collect();
        assert_eq!(
            causes,
            ["union:tcp/5432:5432", "10.0.0.0/16:tcp/5432:5432"],
            "{found:#?}"
        );
        assert_eq!(found[0].severity, Some(Severity::Critical));
        assert_eq!(found[1].severity, Some(Severity::High));
        assert!(found[0].evidence["path"].is_array());
    }

    fn entry(n: i32, action: &str, protocol: &str, cidr: &str, ports: Option<u16>) -> Value {
        let mut e = json!({"rule_number": n, "egress": false, "action": action,
                           "protocol": protocol, "cidr_block": cidr});
        if let Some(p) = ports {
            e["port_range"] = json!({"from": p, "to": p});
        }
        e
    }

    fn reply() -> Value {
        json!({"rule_number": 100, "egress": true, "action": "allow", "protocol": "-1",
               "cidr_block": "0.0.0.0/0"})
    }

    #[test]
    fn nacl001_judges_what_first_match_admits_as_a_set() {
        let ssh = vec![tcp(22, "0.0.0.0/0")];
        // The halves: one finding for the pair, with the path through one of them.
        let acl = vec![
            entry(100, "allow", "6", "0.0.0.0/1", Some(22)),
            entry(110, "allow", "6", "128.0.0.0/1", Some(22)),
            reply(),
        ];
        let found = run(
            &inventory(true, ssh.clone(), Some(acl)),
            super::super::nacl_admin_port_open_to_world::check,
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].cause.encoded(), "ingress:union:tcp/22");
        assert_eq!(found[0].evidence["exposure"], "world");
        assert!(hops(&found[0]).contains(&"nacl_inbound".to_owned()));

        // A deny of 0.0.0.0/1 first leaves 128.0.0.0/1 of a world allow: large, one entry,
        // keyed on the entry as before.
        let acl = vec![
            entry(90, "deny", "-1", "0.0.0.0/1", None),
            entry(100, "allow", "6", "0.0.0.0/0", Some(22)),
            reply(),
        ];
        let found = run(
            &inventory(true, ssh.clone(), Some(acl)),
            super::super::nacl_admin_port_open_to_world::check,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].cause.encoded(), "ingress:100:0.0.0.0/0");
        assert_eq!(found[0].evidence["exposure"], "large");

        // 0.0.0.0/0 on 22 and ::/0 on 0-1024: one finding per entry, keyed as always.
        let mut v6 = entry(105, "allow", "6", "0.0.0.0/0", None);
        v6.as_object_mut().unwrap().remove("cidr_block");
        v6["ipv6_cidr_block"] = json!("::/0");
        v6["port_range"] = json!({"from": 0, "to": 1024});
        let acl = vec![entry(100, "allow", "6", "0.0.0.0/0", Some(22)), v6, reply()];
        let found = run(
            &inventory(true, ssh.clone(), Some(acl)),
            super::super::nacl_admin_port_open_to_world::check,
        );
        let causes: Vec<String> = found.iter().map(|f| f.cause.encoded()).collect();
        assert_eq!(
            causes,
            ["ingress:100:0.0.0.0/0", "ingress:105:::/0"],
            "{found:#?}"
        );

        // A deny of everything first: nothing gets through.
        let acl = vec![
            entry(50, "deny", "-1", "0.0.0.0/0", None),
            entry(100, "allow", "6", "0.0.0.0/1", Some(22)),
            entry(110, "allow", "6", "128.0.0.0/1", Some(22)),
            reply(),
        ];
        let found = run(
            &inventory(true, ssh, Some(acl)),
            super::super::nacl_admin_port_open_to_world::check,
        );
        assert!(found.is_empty(), "{found:#?}");
    }
}
