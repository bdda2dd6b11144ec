//! [`FlowSet`]: sets of (protocol, port, address) flows as normalised boxes.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::addr::AddrSet;
use super::portmap::PortMap;
use super::ports::{PortSet, Protocol};

/// A set of flows `(protocol, port, address)`, built from boxes
/// `(Protocol, PortSet, AddrSet)` and closed under union and intersection.
///
/// Semantics (AWS): a box with [`Protocol::All`] covers every protocol and
/// every port (its `PortSet` is ignored, as AWS ignores ports on `-1`
/// rules); a box with a protocol without ports (ICMP, ICMPv6, other
/// numbers) covers all "ports" (ICMP type/code are not modelled).
///
/// Canonical form: `all` holds addresses admitted for every protocol; each
/// protocol's [`PortMap`] holds only what goes beyond `all`. Two FlowSets
/// denoting the same flows compare equal.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct FlowSet {
    all: AddrSet,
    per: BTreeMap<Protocol, PortMap>,
}

/// Ports that matter for a protocol: the given ones for TCP/UDP, all for
/// the rest.
fn effective_ports(p: Protocol, ports: &PortSet) -> PortSet {
    if p.has_ports() {
        ports.clone()
    } else {
        PortSet::all()
    }
}

impl FlowSet {
    /// No flows.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every flow.
    pub fn everything() -> Self {
        Self {
            all: AddrSet::all(),
            per: BTreeMap::new(),
        }
    }

    /// One box.
    pub fn from_box(protocol: Protocol, ports: &PortSet, addrs: &AddrSet) -> Self {
        let mut s = Self::new();
        s.insert(protocol, ports, addrs);
        s
    }

    /// Union of boxes.
    pub fn from_boxes<'a, I>(boxes: I) -> Self
    where
        I: IntoIterator<Item = (Protocol, &'a PortSet, &'a AddrSet)>,
    {
        let mut s = Self::new();
        for (p, ports, addrs) in boxes {
            s.insert(p, ports, addrs);
        }
        s
    }

    /// Adds one box (union).
    pub fn insert(&mut self, protocol: Protocol, ports: &PortSet, addrs: &AddrSet) {
        let p = protocol.canonical();
        if addrs.is_empty() {
            return;
        }
        if p == Protocol::All {
            self.all = self.all.union(addrs);
            let all = &self.all;
            self.per = std::mem::take(&mut self.per)
                .into_iter()
                .map(|(k, m)| (k, m.map_values(|v| v.difference(all))))
                .filter(|(_, m)| !m.is_empty())
                .collect();
            return;
        }
        let ports = effective_ports(p, ports);
        let extra = addrs.difference(&self.all);
        if ports.is_empty() || extra.is_empty() {
            return;
        }
        let add = PortMap::from_box(&ports, &extra);
        let entry = self.per.entry(p).or_default();
        *entry = entry.union(&add);
    }

    /// True if no flow.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty() && self.per.is_empty()
    }

    /// Addresses admitted for every protocol and port.
    pub fn all_protocols(&self) -> &AddrSet {
        &self.all
    }

    /// Union.
    pub fn union(&self, other: &Self) -> Self {
        let all = self.all.union(&other.all);
        let mut per = BTreeMap::new();
        let keys: Vec<Protocol> = self.per.keys().chain(other.per.keys()).copied().collect();
        for k in keys {
            if per.contains_key(&k) {
                continue;
            }
            let a = self.per.get(&k).cloned().unwrap_or_default();
            let b = other.per.get(&k).cloned().unwrap_or_default();
            let m = a.union(&b).map_values(|v| v.difference(&all));
            if !m.is_empty() {
                per.insert(k, m);
            }
        }
        Self { all, per }
    }

    /// Intersection.
    pub fn intersection(&self, other: &Self) -> Self {
        let all = self.all.intersection(&other.all);
        let mut per = BTreeMap::new();
        let full_a = PortMap::from_box(&PortSet::all(), &self.all);
        let full_b = PortMap::from_box(&PortSet::all(), &other.all);
        let keys: Vec<Protocol> = self.per.keys().chain(other.per.keys()).copied().collect();
        for k in keys {
            if per.contains_key(&k) {
                continue;
            }
            let a = self
                .per
                .get(&k)
                .map_or_else(|| full_a.clone(), |m| m.union(&full_a));
            let b = other
                .per
                .get(&k)
                .map_or_else(|| full_b.clone(), |m| m.union(&full_b));
            let m = a.intersection(&b).map_values(|v| v.difference(&all));
            if !m.is_empty() {
                per.insert(k, m);
            }
        }
        Self { all, per }
    }

    /// Addresses admitted for `protocol` on `port` (the port is ignored for
    /// protocols without ports). For [`Protocol::All`]: addresses admitted
    /// for every protocol on that port.
    pub fn addrs_for(&self, protocol: Protocol, port: u16) -> AddrSet {
        let p = protocol.canonical();
        if p == Protocol::All {
            // Only if every one of the 256 protocols had extras could more
            // than `all` be admitted for all of them.
            if self.per.len() < 256 {
                return self.all.clone();
            }
            let common = self
                .per
                .iter()
                .map(|(k, m)| m.at(if k.has_ports() { port } else { 0 }))
                .reduce(|a, b| a.intersection(&b))
                .unwrap_or_default();
            return self.all.union(&common);
        }
        let port = if p.has_ports() { port } else { 0 };
        match self.per.get(&p) {
            Some(m) => self.all.union(&m.at(port)),
            None => self.all.clone(),
        }
    }

    /// Membership of one concrete flow.
    pub fn contains(&self, protocol: Protocol, port: u16, ip: IpAddr) -> bool {
        self.addrs_for(protocol, port).contains(ip)
    }

    /// The `(protocol, ports)` under which *every* address of `s` is
    /// admitted. `[(All, all ports)]` when `s` is within the all-protocol
    /// part (including when `s` is empty); otherwise one entry per protocol
    /// with a non-empty port set.
    pub fn admitting_all(&self, s: &AddrSet) -> Vec<(Protocol, PortSet)> {
        if s.is_subset(&self.all) {
            return vec![(Protocol::All, PortSet::all())];
        }
        let rest = s.difference(&self.all);
        let mut out = Vec::new();
        for (k, m) in &self.per {
            let ports = PortSet::from_ranges(
                m.pieces()
                    .iter()
                    .filter(|(_, _, v)| rest.is_subset(v))
                    .map(|(lo, hi, _)| (*lo, *hi)),
            );
            if !ports.is_empty() {
                out.push((*k, ports));
            }
        }
        out
    }

    /// The `(protocol, ports)` under which *some* address of `s` is
    /// admitted. `[(All, all ports)]` when `s` meets the all-protocol part.
    pub fn admitting_any(&self, s: &AddrSet) -> Vec<(Protocol, PortSet)> {
        if s.intersects(&self.all) {
            return vec![(Protocol::All, PortSet::all())];
        }
        let mut out = Vec::new();
        for (k, m) in &self.per {
            let ports = PortSet::from_ranges(
                m.pieces()
                    .iter()
                    .filter(|(_, _, v)| s.intersects(v))
                    .map(|(lo, hi, _)| (*lo, *hi)),
            );
            if !ports.is_empty() {
                out.push((*k, ports));
            }
        }
        out
    }

    /// Canonical disjoint boxes: `(All, all ports, all_protocols)` first if
    /// non-empty, then per protocol (ascending) its extra boxes.
    pub fn boxes(&self) -> Vec<(Protocol, PortSet, AddrSet)> {
        let mut out = Vec::new();
        if !self.all.is_empty() {
            out.push((Protocol::All, PortSet::all(), self.all.clone()));
        }
        for (k, m) in &self.per {
            for (ports, addrs) in m.boxes() {
                out.push((*k, ports, addrs));
            }
        }
        out
    }

    /// Short evidence text, one box per line-part, e.g.
    /// `"tcp 22 from 10.0.0.0/8; -1 all ports from all public IPv4"`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .boxes()
            .into_iter()
            .map(|(p, ports, addrs)| {
                if p.has_ports() {
                    format!("{p} {} from {}", ports.describe(), addrs.describe())
                } else {
                    format!("{p} from {}", addrs.describe())
                }
            })
            .collect();
        if parts.is_empty() {
            "nothing".to_string()
        } else {
            parts.join("; ")
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use ipnet::IpNet;

    fn set(v: &[&str]) -> AddrSet {
        v.iter().map(|s| s.parse::<IpNet>().unwrap()).collect()
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn all_box_covers_everything() {
        let f = FlowSet::from_box(Protocol::All, &PortSet::single(1), &set(&["10.0.0.0/8"]));
        assert!(f.contains(Protocol::Tcp, 443, ip("10.1.1.1")));
        assert!(f.contains(Protocol::Other(47), 0, ip("10.1.1.1")));
        assert!(!f.contains(Protocol::Tcp, 443, ip("11.1.1.1")));
    }

    #[test]
    fn union_absorbs_into_all() {
        let a = FlowSet::from_box(Protocol::Tcp, &PortSet::single(22), &set(&["10.0.0.0/8"]));
        let b = FlowSet::from_box(Protocol::All, &PortSet::all(), &set(&["10.0.0.0/7"]));
        assert_eq!(a.union(&b), b);
        assert_ne!(a.union(&b), a);
        assert_eq!(b.union(&a), b);
        let mut c = a.clone();
        c.insert(Protocol::All, &PortSet::all(), &set(&["10.0.0.0/7"]));
        assert_eq!(c, b);
    }

    #[test]
    fn intersection_splits_on_ports() {
        let sg = FlowSet::from_boxes([
            (Protocol::Tcp, &PortSet::range(20, 30), &set(&["0.0.0.0/0"])),
            (Protocol::Udp, &PortSet::single(53), &set(&["10.0.0.0/8"])),
        ]);
        let nacl = FlowSet::from_boxes([
            (
                Protocol::Tcp,
                &PortSet::range(25, 1000),
                &set(&["1.0.0.0/8"]),
            ),
            (Protocol::All, &PortSet::all(), &set(&["10.0.0.0/8"])),
        ]);
        let i = sg.intersection(&nacl);
        assert_eq!(i.addrs_for(Protocol::Tcp, 22), set(&["10.0.0.0/8"]));
        assert_eq!(
            i.addrs_for(Protocol::Tcp, 26),
            set(&["10.0.0.0/8", "1.0.0.0/8"])
        );
        assert_eq!(i.addrs_for(Protocol::Tcp, 31), AddrSet::empty());
        assert_eq!(i.addrs_for(Protocol::Udp, 53), set(&["10.0.0.0/8"]));
        assert_eq!(i.addrs_for(Protocol::Udp, 54), AddrSet::empty());
        assert_eq!(i.addrs_for(Protocol::Icmp, 0), AddrSet::empty());
        assert_eq!(i, nacl.intersection(&sg));
        assert!(i.intersection(&FlowSet::new()).is_empty());
        assert_eq!(i.intersection(&FlowSet::everything()), i);
    }

    #[test]
    fn admitting_queries() {
        let f = FlowSet::from_boxes([
            (Protocol::Tcp, &PortSet::range(20, 30), &set(&["0.0.0.0/0"])),
            (Protocol::Tcp, &PortSet::single(443), &set(&["10.0.0.0/8"])),
            (Protocol::Icmp, &PortSet::empty(), &set(&["10.0.0.0/8"])),
        ]);
        let s = set(&["10.1.0.0/16"]);
        assert_eq!(
            f.admitting_all(&s),
            vec![
                (Protocol::Icmp, PortSet::all()),
                (Protocol::Tcp, PortSet::from_ranges([(20, 30), (443, 443)])),
            ]
        );
        let t = set(&["10.1.0.0/16", "8.8.8.8/32"]);
        assert_eq!(
            f.admitting_all(&t),
            vec![(Protocol::Tcp, PortSet::range(20, 30))]
        );
        assert_eq!(f.admitting_any(&t).len(), 2);
        assert!(f.admitting_all(&set(&["::/0"])).is_empty());
        let w = FlowSet::everything();
        assert_eq!(w.admitting_all(&t), vec![(Protocol::All, PortSet::all())]);
    }

    #[test]
    fn describe_flows() {
        let f = FlowSet::from_boxes([
            (Protocol::Tcp, &PortSet::single(22), &set(&["10.0.0.0/8"])),
            (Protocol::Icmp, &PortSet::all(), &set(&["10.0.0.0/8"])),
        ]);
        assert_eq!(f.describe(), "icmp from 10.0.0.0/8; tcp 22 from 10.0.0.0/8");
        assert_eq!(FlowSet::new().describe(), "nothing");
    }
}
