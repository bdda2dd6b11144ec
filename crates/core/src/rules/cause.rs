//! Fingerprint causes: what tells two violations of one rule on one resource apart.
//!
//! A finding's fingerprint hashes the rule id, account, region, resource id and its cause.
//! Fingerprints are a contract: GitHub code-scanning alerts, `--baseline` files and the Lambda
//! job's "new findings" are keyed on them (README, "Fingerprints"). So a cause is built only
//! from the named keys below, each with its own frozen encoding, never from a message or a
//! `Display` impl: rewording a message must not re-key a finding.
//!
//! The encoding is the keys' values, in the order given, joined by `:`; the key names are
//! documentation (they are not hashed), which keeps every fingerprint vpcaudit 0.1.0 wrote.
//! `fixtures/fingerprints.json` pins the values (`tests/fingerprints.rs`).

use ipnet::IpNet;

use crate::analysis::Tier;
use crate::model::{RouteDestination, SecurityGroupPeer, SecurityGroupRule};
use crate::net::{PortSet, Protocol};

/// The cause of a violation: ordered `key = value` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cause {
    keys: Vec<(&'static str, String)>,
}

impl Cause {
    /// No cause: the rule reports a resource at most once.
    pub fn none() -> Cause {
        Cause::default()
    }

    /// `direction=ingress`, `peer`, `ports`: one inbound security group rule.
    pub fn sg_ingress(rule: &SecurityGroupRule) -> Cause {
        Cause::default()
            .key("direction", "ingress")
            .key("peer", peer(&rule.peer))
            .key("ports", ports(rule))
    }

    /// `direction=ingress`, `peer=union`, `ports=tcp/PORT`: several inbound rules of one
    /// security group that together admit (nearly) the whole internet on one TCP port.
    pub fn sg_union_tcp(port: u16) -> Cause {
        Cause::sg_union(Protocol::Tcp, &PortSet::single(port))
    }

    /// `direction=ingress`, `peer=union`, `ports`: several inbound rules of one security group
    /// that together admit (nearly) the whole internet on `ports` of `protocol`: `tcp/8080`,
    /// `udp/0-65535`, `tcp/0-21,23-65535`, or `all traffic` for protocol `-1`.
    pub fn sg_union(protocol: Protocol, ports: &PortSet) -> Cause {
        Cause::default()
            .key("direction", "ingress")
            .key("peer", "union")
            .key("ports", flow(protocol, ports))
    }

    /// `peer=union`, `ports=tcp/PORT`, `port`: several security group rules that together
    /// admit (nearly) the whole internet on one (database) port.
    pub fn sg_union_port(port: u16) -> Cause {
        Cause::default()
            .key("peer", "union")
            .key("ports", flow(Protocol::Tcp, &PortSet::single(port)))
            .key("port", port.to_string())
    }

    /// `peer`, `ports`, `port`: one security group rule admitting one (database) port.
    pub fn sg_port(rule: &SecurityGroupRule, port: u16) -> Cause {
        Cause::default()
            .key("peer", peer(&rule.peer))
            .key("ports", ports(rule))
            .key("port", port.to_string())
    }

    /// `listener=PROTOCOL/PORT`: one listener of a load balancer.
    pub fn listener(protocol: &str, port: u16) -> Cause {
        Cause::default().key(
            "listener",
            format!("{}/{port}", protocol.to_ascii_lowercase()),
        )
    }

    /// `direction=ingress`, `rule_number`, `source`: one inbound network ACL entry.
    pub fn nacl_ingress(rule_number: i32, source: IpNet) -> Cause {
        Cause::default()
            .key("direction", "ingress")
            .key("rule_number", rule_number.to_string())
            .key("source", source.to_string())
    }

    /// `direction=ingress`, `rule_number=union`, `source=tcp/PORTS`: several inbound network
    /// ACL entries that together allow (nearly) the whole internet on admin ports.
    pub fn nacl_union_tcp(ports: &[u16]) -> Cause {
        Cause::default()
            .key("direction", "ingress")
            .key("rule_number", "union")
            .key(
                "source",
                flow(
                    Protocol::Tcp,
                    &PortSet::from_ranges(ports.iter().map(|&p| (p, p))),
                ),
            )
    }

    /// `destination`: one route of the resource's route table.
    pub fn route(destination: &RouteDestination) -> Cause {
        Cause::default().key("destination", route_destination(destination))
    }

    /// `route_table`, `destination`: one route of another resource's route table.
    pub fn table_route(route_table_id: &str, destination: &RouteDestination) -> Cause {
        Cause::default()
            .key("route_table", route_table_id)
            .key("destination", route_destination(destination))
    }

    /// `tier`: `public`, `private` or `database`.
    pub fn tier(tier: Tier) -> Cause {
        let name = match tier {
            Tier::Public => "public",
            Tier::Private => "private",
            Tier::Database => "database",
        };
        Cause::default().key("tier", name)
    }

    /// `environments`: the sorted environment names, comma-separated.
    pub fn environments(sorted_names: &[&str]) -> Cause {
        Cause::default().key("environments", sorted_names.join(","))
    }

    /// `subnet`: a subnet id.
    pub fn subnet(id: &str) -> Cause {
        Cause::default().key("subnet", id)
    }

    /// `security_group`: a security group id.
    pub fn security_group(id: &str) -> Cause {
        Cause::default().key("security_group", id)
    }

    /// `nat_gateway`: a NAT gateway id.
    pub fn nat_gateway(id: &str) -> Cause {
        Cause::default().key("nat_gateway", id)
    }

    /// `variable`: an environment variable's name (never its value).
    pub fn variable(name: &str) -> Cause {
        Cause::default().key("variable", name)
    }

    fn key(mut self, key: &'static str, value: impl Into<String>) -> Cause {
        self.keys.push((key, value.into()));
        self
    }

    /// The `(key, value)` pairs, in order.
    pub fn keys(&self) -> &[(&'static str, String)] {
        &self.keys
    }

    /// What the fingerprint hashes: the values joined by `:`.
    pub fn encoded(&self) -> String {
        let values: Vec<&str> = self.keys.iter().map(|(_, v)| v.as_str()).collect();
        values.join(":")
    }
}

/// A security group peer: a CIDR in canonical notation, a group id or a prefix list id.
fn peer(peer: &SecurityGroupPeer) -> String {
    match peer {
        SecurityGroupPeer::Ipv4(net) => net.to_string(),
        SecurityGroupPeer::Ipv6(net) => net.to_string(),
        SecurityGroupPeer::SecurityGroup { group_id, .. } => group_id.clone(),
        SecurityGroupPeer::PrefixList(id) => id.clone(),
    }
}

/// A rule's protocol and ports: `tcp/22`, `tcp/0-65535`, `all traffic`, `icmp`. Frozen: it
/// happens to read like the messages' port text, but must not follow it if that changes.
fn ports(rule: &SecurityGroupRule) -> String {
    let protocol = &rule.protocol;
    if protocol.is_all() {
        return "all traffic".to_owned();
    }
    let name = protocol.0.as_str();
    match rule.ports {
        Some(r) if r.from == r.to => format!("{name}/{}", r.from),
        Some(r) if protocol.is_tcp() || protocol.is_udp() => format!("{name}/{}-{}", r.from, r.to),
        _ => name.to_owned(),
    }
}

/// A protocol and a port set: `tcp/22`, `tcp/8000-8080`, `tcp/0-21,23-65535`, `all traffic`.
/// Frozen, like [`ports`].
fn flow(protocol: Protocol, ports: &PortSet) -> String {
    if protocol == Protocol::All {
        return "all traffic".to_owned();
    }
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
    format!("{}/{}", protocol.aws_name(), ranges.join(","))
}

/// A route destination: a CIDR in canonical notation or a prefix list id.
fn route_destination(destination: &RouteDestination) -> String {
    match destination {
        RouteDestination::Ipv4(net) => net.to_string(),
        RouteDestination::Ipv6(net) => net.to_string(),
        RouteDestination::PrefixList(id) => id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PortRange, Protocol as RuleProtocol};

    fn rule(protocol: &str, ports: Option<(i32, i32)>, peer: &str) -> SecurityGroupRule {
        SecurityGroupRule {
            id: None,
            protocol: RuleProtocol(protocol.to_owned()),
            ports: ports.map(|(from, to)| PortRange { from, to }),
            peer: SecurityGroupPeer::Ipv4(peer.parse().expect("cidr")),
            description: None,
        }
    }

    #[test]
    fn encodings_are_those_of_0_1_0() {
        let ssh = rule("tcp", Some((22, 22)), "0.0.0.0/0");
        assert_eq!(
            Cause::sg_ingress(&ssh).encoded(),
            "ingress:0.0.0.0/0:tcp/22"
        );
        let all = rule("-1", None, "0.0.0.0/0");
        assert_eq!(
            Cause::sg_ingress(&all).encoded(),
            "ingress:0.0.0.0/0:all traffic"
        );
        let range = rule("udp", Some((0, 65535)), "10.0.0.0/8");
        assert_eq!(
            Cause::sg_port(&range, 5432).encoded(),
            "10.0.0.0/8:udp/0-65535:5432"
        );
        assert_eq!(Cause::sg_union_tcp(22).encoded(), "ingress:union:tcp/22");
        assert_eq!(
            Cause::sg_union(Protocol::Tcp, &PortSet::range(0, 65535)).encoded(),
            "ingress:union:tcp/0-65535"
        );
        assert_eq!(
            Cause::sg_union(Protocol::All, &PortSet::all()).encoded(),
            "ingress:union:all traffic"
        );
        assert_eq!(Cause::sg_union_port(5432).encoded(), "union:tcp/5432:5432");
        assert_eq!(
            Cause::nacl_union_tcp(&[22, 3389]).encoded(),
            "ingress:union:tcp/22,3389"
        );
        assert_eq!(Cause::tier(Tier::Private).encoded(), "private");
        assert_eq!(Cause::environments(&["dev", "prod"]).encoded(), "dev,prod");
        assert_eq!(Cause::none().encoded(), "");
        let keys: Vec<&str> = Cause::sg_ingress(&ssh)
            .keys()
            .iter()
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(keys, ["direction", "peer", "ports"]);
    }
}
