//! Security group evaluation: stateful, allow-only, union of all rules.

use std::collections::BTreeSet;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::addr::AddrSet;
use super::flow::FlowSet;
use super::portmap::{PortMap, every_protocol};
use super::ports::{PortSet, Protocol};

/// Who a rule admits (source for inbound, destination for outbound rules).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SgPeer {
    /// `CidrIpv4` / `CidrIpv6`.
    Cidr(IpNet),
    /// `PrefixListId`, with its entries already resolved by the caller.
    PrefixList {
        /// `pl-…` id, for evidence.
        id: String,
        /// Resolved entries.
        nets: Vec<IpNet>,
    },
    /// `ReferencedGroupId`: members of another group. Not an address set;
    /// the model must resolve it to the group's ENIs.
    Group(String),
}

/// One security group rule (one direction; the caller passes the inbound
/// or the outbound list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SgRule {
    /// `IpProtocol` (`-1` = all protocols and ports).
    pub protocol: Protocol,
    /// `FromPort` (`-1` or missing = all). For ICMP it is the type, which
    /// is not modelled: ICMP rules admit all ICMP.
    pub from_port: Option<i32>,
    /// `ToPort` (`-1` or missing = all). For ICMP it is the code.
    pub to_port: Option<i32>,
    /// The peer.
    pub peer: SgPeer,
}

impl SgRule {
    /// Ports this rule admits for traffic of protocol `q` (all ports unless
    /// both the rule and `q` are TCP or UDP).
    pub fn ports_for(&self, q: Protocol) -> PortSet {
        if q.has_ports() && self.protocol.has_ports() {
            PortSet::from_aws(self.from_port, self.to_port)
        } else {
            PortSet::all()
        }
    }

    /// The peer as addresses (empty for a referenced group).
    pub fn peer_addrs(&self) -> AddrSet {
        match &self.peer {
            SgPeer::Cidr(n) => AddrSet::from_net(n),
            SgPeer::PrefixList { nets, .. } => AddrSet::from_nets(nets),
            SgPeer::Group(_) => AddrSet::empty(),
        }
    }
}

fn mentioned(rules: &[SgRule]) -> BTreeSet<Protocol> {
    rules.iter().map(|r| r.protocol.canonical()).collect()
}

/// Per rule, the part of `ports × addresses` it admits for `protocol`:
/// `(rule_index, ports, addrs)`, in rule order, empty parts omitted. Parts
/// of different rules may overlap (security groups are a union). Rules with
/// a referenced group are left out; see [`admitted_groups`].
///
/// For protocols without ports `ports` is carried through. For
/// [`Protocol::All`] the result is what is admitted for *every* protocol
/// (exact; in practice the `-1` rules).
pub fn admitted(
    rules: &[SgRule],
    protocol: Protocol,
    ports: &PortSet,
) -> Vec<(usize, PortSet, AddrSet)> {
    let protocol = protocol.canonical();
    if protocol == Protocol::All {
        return every_protocol(&mentioned(rules), |p| {
            admitted(rules, p, ports)
                .into_iter()
                .map(|(i, ps, a)| (ps, a, i))
                .collect()
        })
        .into_iter()
        .map(|(ps, a, i)| (i, ps, a))
        .collect();
    }
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        if !r.protocol.covers(protocol) || matches!(r.peer, SgPeer::Group(_)) {
            continue;
        }
        let p = r.ports_for(protocol).intersection(ports);
        let a = r.peer_addrs();
        if !p.is_empty() && !a.is_empty() {
            out.push((i, p, a));
        }
    }
    out
}

/// Rules admitting members of a referenced group for `protocol`:
/// `(rule_index, ports, group_id)`. For [`Protocol::All`], only `-1` rules
/// (a group admitted for every protocol through separate per-protocol rules
/// is not reported).
pub fn admitted_groups<'a>(
    rules: &'a [SgRule],
    protocol: Protocol,
    ports: &PortSet,
) -> Vec<(usize, PortSet, &'a str)> {
    let protocol = protocol.canonical();
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let SgPeer::Group(g) = &r.peer else { continue };
        if !r.protocol.covers(protocol) {
            continue;
        }
        let p = r.ports_for(protocol).intersection(ports);
        if !p.is_empty() {
            out.push((i, p, g.as_str()));
        }
    }
    out
}

/// Union of [`admitted`]: disjoint `(ports, addrs)` boxes.
pub fn admitted_union(
    rules: &[SgRule],
    protocol: Protocol,
    ports: &PortSet,
) -> Vec<(PortSet, AddrSet)> {
    admitted(rules, protocol, ports)
        .iter()
        .fold(PortMap::new(), |acc, (_, p, a)| {
            acc.union(&PortMap::from_box(p, a))
        })
        .boxes()
}

/// All address-based flows the rules admit, as a [`FlowSet`] (referenced
/// groups left out).
pub fn flows(rules: &[SgRule]) -> FlowSet {
    let mut f = FlowSet::new();
    for r in rules {
        if matches!(r.peer, SgPeer::Group(_)) {
            continue;
        }
        let ports = if r.protocol.has_ports() {
            PortSet::from_aws(r.from_port, r.to_port)
        } else {
            PortSet::all()
        };
        f.insert(r.protocol, &ports, &r.peer_addrs());
    }
    f
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn rule(proto: &str, from: i32, to: i32, peer: &str) -> SgRule {
        let peer = if let Some(g) = peer.strip_prefix("sg-") {
            SgPeer::Group(format!("sg-{g}"))
        } else {
            SgPeer::Cidr(peer.parse().unwrap())
        };
        SgRule {
            protocol: proto.parse().unwrap(),
            from_port: Some(from),
            to_port: Some(to),
            peer,
        }
    }
    fn set(v: &[&str]) -> AddrSet {
        v.iter().map(|s| s.parse::<IpNet>().unwrap()).collect()
    }

    #[test]
    fn union_of_rules() {
        let rules = vec![
            rule("tcp", 22, 22, "10.0.0.0/8"),
            rule("tcp", 0, 65535, "11.0.0.0/8"),
            rule("udp", 53, 53, "0.0.0.0/0"),
            rule("tcp", 22, 22, "sg-123"),
        ];
        let a = admitted(&rules, Protocol::Tcp, &PortSet::range(20, 30));
        assert_eq!(
            a,
            vec![
                (0, PortSet::single(22), set(&["10.0.0.0/8"])),
                (1, PortSet::range(20, 30), set(&["11.0.0.0/8"])),
            ]
        );
        let u = admitted_union(&rules, Protocol::Tcp, &PortSet::range(20, 30));
        assert_eq!(
            u,
            vec![
                (
                    PortSet::from_ranges([(20, 21), (23, 30)]),
                    set(&["11.0.0.0/8"])
                ),
                (PortSet::single(22), set(&["10.0.0.0/7"])),
            ]
        );
        assert_eq!(
            admitted_groups(&rules, Protocol::Tcp, &PortSet::all()),
            vec![(3, PortSet::single(22), "sg-123")]
        );
        assert!(admitted_groups(&rules, Protocol::Udp, &PortSet::all()).is_empty());
        assert!(admitted(&rules, Protocol::Icmp, &PortSet::all()).is_empty());
        assert!(
            admitted(
                &rules,
                Protocol::Tcp,
                &PortSet::single(23)
                    .complement()
                    .intersection(&PortSet::range(23, 23))
            )
            .is_empty()
        );
    }

    #[test]
    fn all_protocol_rule_and_icmp() {
        let rules = vec![
            rule("-1", -1, -1, "10.0.0.0/8"),
            rule("icmp", 8, -1, "0.0.0.0/0"),
        ];
        assert_eq!(
            admitted(&rules, Protocol::Udp, &PortSet::single(53)),
            vec![(0, PortSet::single(53), set(&["10.0.0.0/8"]))]
        );
        assert_eq!(
            admitted(&rules, Protocol::Icmp, &PortSet::all()),
            vec![
                (0, PortSet::all(), set(&["10.0.0.0/8"])),
                (1, PortSet::all(), AddrSet::all_v4())
            ]
        );
        assert_eq!(
            admitted(&rules, Protocol::All, &PortSet::all()),
            vec![(0, PortSet::all(), set(&["10.0.0.0/8"]))]
        );
        let f = flows(&rules);
        assert_eq!(f.addrs_for(Protocol::Tcp, 1), set(&["10.0.0.0/8"]));
        assert_eq!(f.addrs_for(Protocol::Icmp, 0), AddrSet::all_v4());
        assert_ne!(f.addrs_for(Protocol::Icmpv6, 0), AddrSet::all_v4());
    }

    #[test]
    fn prefix_list_peer() {
        let rules = vec![SgRule {
            protocol: Protocol::Tcp,
            from_port: Some(443),
            to_port: Some(443),
            peer: SgPeer::PrefixList {
                id: "pl-1".into(),
                nets: vec!["1.0.0.0/24".parse().unwrap(), "2600::/16".parse().unwrap()],
            },
        }];
        let a = admitted(&rules, Protocol::Tcp, &PortSet::all());
        assert_eq!(
            a,
            vec![(0, PortSet::single(443), set(&["1.0.0.0/24", "2600::/16"]))]
        );
        assert!(admitted(&rules, Protocol::Tcp, &PortSet::single(80)).is_empty());
    }
}
