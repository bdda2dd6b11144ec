//! Network ACL evaluation: stateless, ordered, first match wins.

use std::collections::BTreeSet;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::addr::AddrSet;
use super::portmap::{PortMap, every_protocol};
use super::ports::{PortSet, Protocol};

/// Traffic direction relative to the subnet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Direction {
    /// Into the subnet (`Egress: false`); peers are sources.
    Ingress,
    /// Out of the subnet (`Egress: true`); peers are destinations.
    Egress,
}

/// `RuleAction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RuleAction {
    /// `allow`
    Allow,
    /// `deny`
    Deny,
}

/// The implicit last rule (`*`) of every network ACL: deny everything.
pub const DEFAULT_DENY_RULE: u16 = 32767;

/// One network ACL entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaclEntry {
    /// `RuleNumber` (1..=32766; 32767 is the implicit `*` deny).
    pub rule_number: u16,
    /// `Protocol` (`-1` matches every protocol and port).
    pub protocol: Protocol,
    /// `PortRange` `(From, To)`, inclusive. Only used for TCP and UDP;
    /// `None` means all ports. ICMP type/code are not modelled: an ICMP
    /// entry matches all ICMP.
    pub port_range: Option<(u16, u16)>,
    /// `CidrBlock` or `Ipv6CidrBlock`.
    pub cidr: IpNet,
    /// `RuleAction`.
    pub action: RuleAction,
    /// `Egress`.
    pub egress: bool,
}

impl NaclEntry {
    /// The entry's direction.
    pub fn direction(&self) -> Direction {
        if self.egress {
            Direction::Egress
        } else {
            Direction::Ingress
        }
    }

    /// Ports this entry matches for traffic of protocol `q`.
    fn ports_for(&self, q: Protocol) -> PortSet {
        match self.port_range {
            Some((a, b)) if q.has_ports() && self.protocol != Protocol::All => PortSet::range(a, b),
            _ => PortSet::all(),
        }
    }
}

/// A network ACL: entries evaluated in ascending rule-number order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAcl {
    entries: Vec<NaclEntry>,
}

impl NetworkAcl {
    /// Sorts entries by rule number. The sort is stable: duplicate rule
    /// numbers in one direction (which AWS rejects) keep input order. The
    /// implicit `*` deny need not be included; anything no entry matches is
    /// denied.
    pub fn new(mut entries: Vec<NaclEntry>) -> Self {
        entries.sort_by_key(|e| e.rule_number);
        Self { entries }
    }

    /// Entries in evaluation order.
    pub fn entries(&self) -> &[NaclEntry] {
        &self.entries
    }

    /// The parts of `ports × peers` that the ACL allows for `protocol` in
    /// `direction`, each tagged with the allowing rule number; parts are
    /// pairwise disjoint and ordered by rule number.
    ///
    /// Each entry only sees what earlier entries left undecided. For
    /// protocols without ports `ports` is carried through unchanged (entries'
    /// port ranges do not apply). For [`Protocol::All`] the result is what is
    /// allowed for *every* protocol (exact; tagged with the `-1` allow rule).
    pub fn allowed(
        &self,
        direction: Direction,
        protocol: Protocol,
        ports: &PortSet,
        peers: &AddrSet,
    ) -> Vec<(PortSet, AddrSet, u16)> {
        let protocol = protocol.canonical();
        if protocol == Protocol::All {
            let mentioned: BTreeSet<Protocol> = self
                .entries
                .iter()
                .filter(|e| e.direction() == direction)
                .map(|e| e.protocol.canonical())
                .collect();
            return every_protocol(&mentioned, |p| self.allowed(direction, p, ports, peers));
        }
        let mut undecided = PortMap::from_box(ports, peers);
        let mut out = Vec::new();
        for e in &self.entries {
            if undecided.is_empty() {
                break;
            }
            if e.direction() != direction || !e.protocol.covers(protocol) {
                continue;
            }
            let region = PortMap::from_box(&e.ports_for(protocol), &AddrSet::from_net(&e.cidr));
            let hit = undecided.intersection(&region);
            if hit.is_empty() {
                continue;
            }
            undecided = undecided.difference(&hit);
            if e.action == RuleAction::Allow {
                for (p, a) in hit.boxes() {
                    out.push((p, a, e.rule_number));
                }
            }
        }
        out
    }

    /// Union of [`Self::allowed`] as a port map (rule numbers dropped).
    pub fn allowed_map(
        &self,
        direction: Direction,
        protocol: Protocol,
        ports: &PortSet,
        peers: &AddrSet,
    ) -> PortMap {
        self.allowed(direction, protocol, ports, peers)
            .iter()
            .fold(PortMap::new(), |acc, (p, a, _)| {
                acc.union(&PortMap::from_box(p, a))
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn e(rule: u16, proto: &str, ports: Option<(u16, u16)>, cidr: &str, allow: bool) -> NaclEntry {
        NaclEntry {
            rule_number: rule,
            protocol: proto.parse().unwrap(),
            port_range: ports,
            cidr: cidr.parse().unwrap(),
            action: if allow {
                RuleAction::Allow
            } else {
                RuleAction::Deny
            },
            egress: false,
        }
    }
    fn set(v: &[&str]) -> AddrSet {
        v.iter().map(|s| s.parse::<IpNet>().unwrap()).collect()
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }
    fn allows(acl: &NetworkAcl, proto: Protocol, port: u16, addr: &str) -> Option<u16> {
        acl.allowed(
            Direction::Ingress,
            proto,
            &PortSet::single(port),
            &AddrSet::from_addr(ip(addr)),
        )
        .first()
        .map(|x| x.2)
    }

    #[test]
    fn default_acl_allows_everything() {
        let acl = NetworkAcl::new(vec![
            e(100, "-1", None, "0.0.0.0/0", true),
            e(101, "-1", None, "::/0", true),
        ]);
        let r = acl.allowed(
            Direction::Ingress,
            Protocol::Tcp,
            &PortSet::all(),
            &AddrSet::all(),
        );
        assert_eq!(
            r,
            vec![
                (PortSet::all(), AddrSet::all_v4(), 100),
                (PortSet::all(), AddrSet::all_v6(), 101)
            ]
        );
        // Egress has no entries here: everything denied.
        assert!(
            acl.allowed(
                Direction::Egress,
                Protocol::Tcp,
                &PortSet::all(),
                &AddrSet::all()
            )
            .is_empty()
        );
    }

    #[test]
    fn first_match_wins_regardless_of_input_order() {
        let acl = NetworkAcl::new(vec![
            e(200, "-1", None, "0.0.0.0/0", true),
            e(100, "tcp", Some((22, 22)), "0.0.0.0/0", false),
        ]);
        assert_eq!(allows(&acl, Protocol::Tcp, 22, "8.8.8.8"), None);
        assert_eq!(allows(&acl, Protocol::Tcp, 23, "8.8.8.8"), Some(200));
        assert_eq!(allows(&acl, Protocol::Udp, 22, "8.8.8.8"), Some(200));
        assert_eq!(allows(&acl, Protocol::Tcp, 22, "::1"), None);
        let r = acl.allowed(
            Direction::Ingress,
            Protocol::Tcp,
            &PortSet::all(),
            &AddrSet::all_v4(),
        );
        assert_eq!(
            r,
            vec![(PortSet::single(22).complement(), AddrSet::all_v4(), 200)]
        );
    }

    #[test]
    fn deny_subnet_then_allow_world() {
        let acl = NetworkAcl::new(vec![
            e(10, "-1", None, "203.0.113.0/24", false),
            e(20, "tcp", Some((443, 443)), "0.0.0.0/0", true),
        ]);
        let r = acl.allowed(
            Direction::Ingress,
            Protocol::Tcp,
            &PortSet::range(80, 443),
            &AddrSet::all_v4(),
        );
        assert_eq!(
            r,
            vec![(
                PortSet::single(443),
                AddrSet::all_v4().difference(&set(&["203.0.113.0/24"])),
                20
            )]
        );
        assert_eq!(allows(&acl, Protocol::Tcp, 443, "203.0.113.9"), None);
        assert_eq!(allows(&acl, Protocol::Tcp, 443, "203.0.114.9"), Some(20));
    }

    #[test]
    fn icmp_and_portless_ignore_port_ranges() {
        let acl = NetworkAcl::new(vec![e(10, "icmp", Some((8, 0)), "0.0.0.0/0", true)]);
        assert_eq!(allows(&acl, Protocol::Icmp, 0, "8.8.8.8"), Some(10));
        assert_eq!(allows(&acl, Protocol::Tcp, 0, "8.8.8.8"), None);
        let acl = NetworkAcl::new(vec![e(10, "-1", Some((1, 1)), "0.0.0.0/0", true)]);
        assert_eq!(allows(&acl, Protocol::Tcp, 80, "8.8.8.8"), Some(10));
    }

    #[test]
    fn every_protocol_query() {
        // tcp/22 denied, everything else allowed.
        let acl = NetworkAcl::new(vec![
            e(100, "tcp", Some((22, 22)), "0.0.0.0/0", false),
            e(200, "-1", None, "0.0.0.0/0", true),
        ]);
        let r = acl.allowed(
            Direction::Ingress,
            Protocol::All,
            &PortSet::all(),
            &AddrSet::all_v4(),
        );
        assert_eq!(
            r,
            vec![(PortSet::single(22).complement(), AddrSet::all_v4(), 200)]
        );
        // Specific allows before a -1 deny do not make "every protocol" allowed.
        let acl = NetworkAcl::new(vec![
            e(100, "tcp", None, "0.0.0.0/0", true),
            e(200, "-1", None, "0.0.0.0/0", false),
        ]);
        let r = acl.allowed(
            Direction::Ingress,
            Protocol::All,
            &PortSet::all(),
            &AddrSet::all_v4(),
        );
        assert!(r.is_empty());
        // An earlier allow for tcp/22 survives a later tcp/22 deny.
        let acl = NetworkAcl::new(vec![
            e(100, "tcp", Some((22, 22)), "0.0.0.0/0", true),
            e(150, "tcp", Some((22, 22)), "0.0.0.0/0", false),
            e(200, "-1", None, "0.0.0.0/0", true),
        ]);
        let r = acl.allowed(
            Direction::Ingress,
            Protocol::All,
            &PortSet::all(),
            &AddrSet::all_v4(),
        );
        assert_eq!(r, vec![(PortSet::all(), AddrSet::all_v4(), 200)]);
    }

    #[test]
    fn allowed_map_union() {
        let acl = NetworkAcl::new(vec![
            e(1, "tcp", Some((80, 80)), "10.0.0.0/8", true),
            e(2, "tcp", Some((80, 80)), "11.0.0.0/8", true),
        ]);
        let m = acl.allowed_map(
            Direction::Ingress,
            Protocol::Tcp,
            &PortSet::all(),
            &AddrSet::all(),
        );
        assert_eq!(m.at(80), set(&["10.0.0.0/7"]));
        assert_eq!(m.at(81), AddrSet::empty());
    }
}
