//! Property tests: set algebra, CIDR round trips, LPM against a naive
//! per-address lookup, ACL/SG evaluation against naive per-flow evaluation.
//! Probes always include every range boundary (lo-1, lo, hi, hi+1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;

use super::*;

// ---------- strategies ----------

/// IPv4 addresses clustered near a few anchors so that ranges overlap.
fn v4_addr() -> impl Strategy<Value = u32> {
    prop_oneof![
        any::<u32>(),
        (0u32..16, any::<u32>(), 0u32..=28)
            .prop_map(|(top, low, bits)| { (top << 28) | (low & (((1u64 << bits) - 1) as u32)) }),
        Just(0u32),
        Just(u32::MAX),
    ]
}

fn v6_addr() -> impl Strategy<Value = u128> {
    prop_oneof![
        any::<u128>(),
        (0u128..16, any::<u128>(), 0u32..=124).prop_map(|(top, low, bits)| {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX >> (128 - bits)
            };
            (top << 124) | (low & mask)
        }),
        Just(0u128),
        Just(u128::MAX),
    ]
}

fn v4_net() -> impl Strategy<Value = IpNet> {
    (v4_addr(), prop_oneof![0u8..=8, 8u8..=24, 24u8..=32])
        .prop_map(|(a, l)| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), l).unwrap().trunc()))
}

fn v6_net() -> impl Strategy<Value = IpNet> {
    (v6_addr(), prop_oneof![0u8..=16, 16u8..=64, 64u8..=128])
        .prop_map(|(a, l)| IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), l).unwrap().trunc()))
}

fn any_net() -> impl Strategy<Value = IpNet> {
    prop_oneof![3 => v4_net(), 2 => v6_net()]
}

/// Sets built from arbitrary (unaligned) ranges and from CIDRs.
fn addr_set() -> impl Strategy<Value = AddrSet> {
    (
        prop::collection::vec((v4_addr(), v4_addr()), 0..5),
        prop::collection::vec((v6_addr(), v6_addr()), 0..5),
        prop::collection::vec(any_net(), 0..4),
    )
        .prop_map(|(r4, r6, nets)| {
            let ranges = AddrSet::from_parts(
                IntervalSet::from_ranges(r4.into_iter().map(|(a, b)| (a.min(b), a.max(b)))),
                IntervalSet::from_ranges(r6.into_iter().map(|(a, b)| (a.min(b), a.max(b)))),
            );
            ranges.union(&AddrSet::from_nets(&nets))
        })
}

fn port() -> impl Strategy<Value = u16> {
    prop_oneof![0u16..100, Just(0u16), Just(65535u16), any::<u16>()]
}

fn port_set() -> impl Strategy<Value = PortSet> {
    prop_oneof![
        1 => Just(PortSet::all()),
        4 => prop::collection::vec((port(), port()), 0..4)
            .prop_map(|v| PortSet::from_ranges(v.into_iter().map(|(a, b)| (a.min(b), a.max(b))))),
    ]
}

const PROTO_POOL: [Protocol; 5] = [
    Protocol::Tcp,
    Protocol::Udp,
    Protocol::Icmp,
    Protocol::All,
    Protocol::Other(47),
];

fn protocol() -> impl Strategy<Value = Protocol> {
    prop::sample::select(PROTO_POOL.to_vec())
}

/// Concrete protocols to check "every protocol" against: the pool plus
/// protocols named nowhere (all of which behave identically).
const CONCRETE: [Protocol; 6] = [
    Protocol::Tcp,
    Protocol::Udp,
    Protocol::Icmp,
    Protocol::Other(47),
    Protocol::Other(99),
    Protocol::Icmpv6,
];

// ---------- probes ----------

fn bounds4(s: &IntervalSet<u32>, out: &mut Vec<IpAddr>) {
    for &(lo, hi) in s.ranges() {
        for x in [lo.checked_sub(1), Some(lo), Some(hi), hi.checked_add(1)]
            .into_iter()
            .flatten()
        {
            out.push(IpAddr::V4(Ipv4Addr::from(x)));
        }
    }
}

fn bounds6(s: &IntervalSet<u128>, out: &mut Vec<IpAddr>) {
    for &(lo, hi) in s.ranges() {
        for x in [lo.checked_sub(1), Some(lo), Some(hi), hi.checked_add(1)]
            .into_iter()
            .flatten()
        {
            out.push(IpAddr::V6(Ipv6Addr::from(x)));
        }
    }
}

fn probes(sets: &[&AddrSet], extra4: &[u32], extra6: &[u128]) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for s in sets {
        bounds4(s.v4(), &mut out);
        bounds6(s.v6(), &mut out);
    }
    out.extend(extra4.iter().map(|&a| IpAddr::V4(Ipv4Addr::from(a))));
    out.extend(extra6.iter().map(|&a| IpAddr::V6(Ipv6Addr::from(a))));
    out.extend(
        [
            "0.0.0.0",
            "255.255.255.255",
            "::",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ]
        .map(|s| s.parse::<IpAddr>().unwrap()),
    );
    out.sort();
    out.dedup();
    out
}

fn port_probes(sets: &[&PortSet], extra: &[u16]) -> Vec<u16> {
    let mut out: Vec<u16> = vec![0, 65535];
    for s in sets {
        for &(lo, hi) in s.ranges() {
            out.extend(
                [lo.checked_sub(1), Some(lo), Some(hi), hi.checked_add(1)]
                    .into_iter()
                    .flatten(),
            );
        }
    }
    out.extend_from_slice(extra);
    out.sort_unstable();
    out.dedup();
    out
}

fn assert_canonical<T: Point>(s: &IntervalSet<T>) {
    for w in s.ranges().windows(2) {
        let (a, b) = (w[0], w[1]);
        assert!(a.0 <= a.1 && b.0 <= b.1);
        assert!(a.1.succ().unwrap() < b.0, "not merged: {a:?} {b:?}");
    }
}

// ---------- set algebra ----------

proptest! {
    #[test]
    fn algebra(a in addr_set(), b in addr_set(), c in addr_set()) {
        prop_assert_eq!(a.union(&b).complement(), a.complement().intersection(&b.complement()));
        prop_assert_eq!(a.intersection(&b).complement(), a.complement().union(&b.complement()));
        prop_assert_eq!(a.difference(&b), a.intersection(&b.complement()));
        prop_assert_eq!(a.complement().complement(), a.clone());
        prop_assert_eq!(a.union(&b), b.union(&a));
        prop_assert_eq!(a.intersection(&b), b.intersection(&a));
        prop_assert_eq!(a.union(&b).union(&c), a.union(&b.union(&c)));
        prop_assert_eq!(a.intersection(&b.union(&c)), a.intersection(&b).union(&a.intersection(&c)));
        prop_assert_eq!(a.union(&a), a.clone());
        prop_assert!(a.is_subset(&a.union(&b)));
        prop_assert!(a.intersection(&b).is_subset(&a));
        prop_assert_eq!(a.is_subset(&b), a.difference(&b).is_empty());
        prop_assert_eq!(a.is_superset(&b), b.difference(&a).is_empty());
        prop_assert_eq!(a.intersects(&b), !a.intersection(&b).is_empty());
        prop_assert_eq!(
            a.union(&b).count_v4() + a.intersection(&b).count_v4(),
            a.count_v4() + b.count_v4()
        );
        for s in [&a, &b, &a.union(&b), &a.difference(&b), &a.complement()] {
            assert_canonical(s.v4());
            assert_canonical(s.v6());
        }
    }

    #[test]
    fn membership(a in addr_set(), b in addr_set(), r4 in prop::collection::vec(v4_addr(), 8), r6 in prop::collection::vec(v6_addr(), 8)) {
        let u = a.union(&b);
        let i = a.intersection(&b);
        let d = a.difference(&b);
        let n = a.complement();
        for x in probes(&[&a, &b], &r4, &r6) {
            let (ia, ib) = (a.contains(x), b.contains(x));
            prop_assert_eq!(u.contains(x), ia || ib, "union {}", x);
            prop_assert_eq!(i.contains(x), ia && ib, "intersection {}", x);
            prop_assert_eq!(d.contains(x), ia && !ib, "difference {}", x);
            prop_assert_eq!(n.contains(x), !ia, "complement {}", x);
            // Naive membership from the ranges themselves.
            let naive = match x {
                IpAddr::V4(v) => a.v4().ranges().iter().any(|&(lo, hi)| lo <= u32::from(v) && u32::from(v) <= hi),
                IpAddr::V6(v) => a.v6().ranges().iter().any(|&(lo, hi)| lo <= u128::from(v) && u128::from(v) <= hi),
            };
            prop_assert_eq!(ia, naive);
        }
    }

    #[test]
    fn cidrs_round_trip(a in addr_set()) {
        let cidrs = a.to_cidrs();
        prop_assert_eq!(AddrSet::from_nets(&cidrs), a.clone());
        // Exact decomposition: disjoint, ascending, and no two siblings that
        // could merge into their parent (minimality of the greedy cover).
        for w in cidrs.windows(2) {
            let (x, y) = (w[0], w[1]);
            prop_assert!(!AddrSet::from_net(&x).intersects(&AddrSet::from_net(&y)));
            if x.prefix_len() == y.prefix_len()
                    && let (Some(px), Some(py)) = (x.supernet(), y.supernet())
                {
                    prop_assert!(px != py, "{} and {} should merge", x, y);
                }
        }
        // Every CIDR is a network address (host bits zero).
        for c in &cidrs {
            prop_assert_eq!(c.trunc(), *c);
        }
    }

    #[test]
    fn port_algebra(a in port_set(), b in port_set(), extra in prop::collection::vec(any::<u16>(), 4)) {
        prop_assert_eq!(a.union(&b).complement(), a.complement().intersection(&b.complement()));
        prop_assert_eq!(a.difference(&b), a.intersection(&b.complement()));
        for p in port_probes(&[&a, &b], &extra) {
            prop_assert_eq!(a.union(&b).contains(p), a.contains(p) || b.contains(p));
            prop_assert_eq!(a.difference(&b).contains(p), a.contains(p) && !b.contains(p));
        }
        prop_assert_eq!(a.count() + a.complement().count(), 65536);
    }
}

// ---------- routing ----------

fn naive_route(routes: &[Route<u8>], x: IpAddr) -> Option<&u8> {
    let mut best: Option<(u8, u8, usize)> = None; // (len, class, index)
    for (i, r) in routes.iter().enumerate() {
        let nets: Vec<IpNet> = match &r.dest {
            RouteDest::Cidr(n) => vec![*n],
            RouteDest::PrefixList { nets, .. } => nets.clone(),
        };
        let class = if r.propagated {
            2
        } else if matches!(r.dest, RouteDest::PrefixList { .. }) {
            1
        } else {
            0
        };
        for n in nets {
            if n.contains(&x) {
                let cand = (n.prefix_len(), class, i);
                let better = match best {
                    None => true,
                    Some((bl, bc, bi)) => {
                        cand.0 > bl || (cand.0 == bl && (cand.1, cand.2) < (bc, bi))
                    }
                };
                if better {
                    best = Some(cand);
                }
            }
        }
    }
    best.map(|(_, _, i)| &routes[i].target)
}

fn route() -> impl Strategy<Value = Route<u8>> {
    prop_oneof![
        6 => (any_net(), 0u8..4).prop_map(|(n, t)| Route::cidr(n, t)),
        1 => (any_net(), 0u8..4).prop_map(|(n, t)| Route::propagated(n, t)),
        1 => (prop::collection::vec(any_net(), 0..3), 0u8..4).prop_map(|(n, t)| Route::prefix_list("pl-x", n, t)),
    ]
}

proptest! {
    #[test]
    fn lpm_agrees_with_naive(routes in prop::collection::vec(route(), 0..10), dest in addr_set(), r4 in prop::collection::vec(v4_addr(), 6), r6 in prop::collection::vec(v6_addr(), 6)) {
        let table = RouteTable::new(routes.clone());
        let split = table.split(&dest);
        // Partition: values disjoint, non-empty, union = dest.
        let mut union = AddrSet::empty();
        for v in split.values() {
            prop_assert!(!v.is_empty());
            prop_assert!(!v.intersects(&union));
            union = union.union(v);
        }
        prop_assert_eq!(&union, &dest);
        let route_nets: Vec<IpNet> = routes.iter().flat_map(|r| match &r.dest {
            RouteDest::Cidr(n) => vec![*n],
            RouteDest::PrefixList { nets, .. } => nets.clone(),
        }).collect();
        let rs = AddrSet::from_nets(&route_nets);
        // Boundaries of each route individually (nested routes are merged in `rs`).
        let per_route: Vec<AddrSet> = route_nets.iter().map(AddrSet::from_net).collect();
        let mut sets: Vec<&AddrSet> = per_route.iter().collect();
        sets.push(&dest);
        sets.push(&rs);
        for x in probes(&sets, &r4, &r6) {
            let want = naive_route(&routes, x);
            prop_assert_eq!(table.lookup(x), want, "lookup {}", x);
            let got: Vec<Option<u8>> = split.iter().filter(|(_, v)| v.contains(x)).map(|(k, _)| *k).collect();
            if dest.contains(x) {
                prop_assert_eq!(got, vec![want.copied()], "split {}", x);
            } else {
                prop_assert!(got.is_empty());
            }
        }
    }
}

// ---------- network ACLs ----------

/// Nets for rules: often wide, so that rules overlap and shadow each other.
fn rule_net() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        3 => any_net(),
        1 => Just("0.0.0.0/0".parse::<IpNet>().unwrap()),
        1 => Just("::/0".parse::<IpNet>().unwrap()),
        2 => (0u32..4, 1u8..=4).prop_map(|(k, l)| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(k << 30), l).unwrap().trunc())),
    ]
}

fn nacl_entry() -> impl Strategy<Value = NaclEntry> {
    (
        1u16..40,
        protocol(),
        prop::option::of((port(), port())),
        rule_net(),
        any::<bool>(),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(rule_number, protocol, pr, cidr, allow, egress)| NaclEntry {
                rule_number,
                protocol,
                port_range: pr.map(|(a, b)| (a.min(b), a.max(b))),
                cidr,
                action: if allow {
                    RuleAction::Allow
                } else {
                    RuleAction::Deny
                },
                egress,
            },
        )
}

/// Naive first match for one concrete flow: the allowing rule, if allowed.
fn naive_nacl(
    entries: &[NaclEntry],
    dir: Direction,
    q: Protocol,
    port: u16,
    x: IpAddr,
) -> Option<u16> {
    let mut sorted: Vec<&NaclEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.rule_number); // stable: input order on ties
    for e in sorted {
        if e.direction() != dir {
            continue;
        }
        if !(e.protocol == Protocol::All || e.protocol == q) {
            continue;
        }
        let port_ok = match e.port_range {
            Some((a, b)) if q.has_ports() && e.protocol != Protocol::All => a <= port && port <= b,
            _ => true,
        };
        if port_ok && e.cidr.contains(&x) {
            return (e.action == RuleAction::Allow).then_some(e.rule_number);
        }
    }
    None
}

/// Which piece of a result holds the flow (asserting at most one does).
fn piece_tag(res: &[(PortSet, AddrSet, u16)], port: u16, x: IpAddr) -> Option<u16> {
    let hits: Vec<u16> = res
        .iter()
        .filter(|(p, a, _)| p.contains(port) && a.contains(x))
        .map(|r| r.2)
        .collect();
    assert!(hits.len() <= 1, "overlapping pieces: {hits:?}");
    hits.first().copied()
}

proptest! {
    #[test]
    fn nacl_agrees_with_naive(
        entries in prop::collection::vec(nacl_entry(), 0..8),
        egress in prop::bool::weighted(0.2),
        q in protocol(),
        ports in port_set(),
        peers in prop_oneof![3 => addr_set(), 1 => Just(AddrSet::all())],
        r4 in prop::collection::vec(v4_addr(), 3),
        extra_ports in prop::collection::vec(any::<u16>(), 2),
    ) {
        let dir = if egress { Direction::Egress } else { Direction::Ingress };
        let acl = NetworkAcl::new(entries.clone());
        let res = acl.allowed(dir, q, &ports, &peers);
        let cidrs: Vec<AddrSet> = entries.iter().map(|e| AddrSet::from_net(&e.cidr)).collect();
        let mut sets: Vec<&AddrSet> = cidrs.iter().collect();
        sets.push(&peers);
        let entry_ports: Vec<PortSet> = entries.iter().filter_map(|e| e.port_range.map(|(a, b)| PortSet::range(a, b))).collect();
        let mut psets: Vec<&PortSet> = entry_ports.iter().collect();
        psets.push(&ports);
        let addrs = probes(&sets, &r4, &[]);
        let pports = port_probes(&psets, &extra_ports);
        for &x in &addrs {
            for &p in &pports {
                let got = piece_tag(&res, p, x);
                let inside = ports.contains(p) && peers.contains(x);
                let want = if !inside {
                    None
                } else if q == Protocol::All {
                    // Allowed for every protocol; tagged by the rule that
                    // decides a protocol no entry names.
                    let all_ok = CONCRETE.iter().all(|c| naive_nacl(&entries, dir, *c, p, x).is_some());
                    if all_ok { naive_nacl(&entries, dir, Protocol::Other(99), p, x) } else { None }
                } else {
                    naive_nacl(&entries, dir, q, p, x)
                };
                prop_assert_eq!(got, want, "flow {:?} port {} from {}", q, p, x);
            }
        }
    }
}

// ---------- security groups and flow sets ----------

fn sg_rule() -> impl Strategy<Value = SgRule> {
    (
        protocol(),
        prop::option::of((port(), port())),
        prop_oneof![4 => rule_net().prop_map(SgPeer::Cidr), 1 => Just(SgPeer::Group("sg-1".into()))],
    )
        .prop_map(|(protocol, pr, peer)| {
            let (from, to) = match pr {
                Some((a, b)) => (Some(i32::from(a.min(b))), Some(i32::from(a.max(b)))),
                None => (Some(-1), Some(-1)),
            };
            SgRule { protocol, from_port: from, to_port: to, peer }
        })
}

fn naive_sg(rules: &[SgRule], q: Protocol, port: u16, x: IpAddr) -> bool {
    rules.iter().any(|r| {
        let SgPeer::Cidr(n) = &r.peer else {
            return false;
        };
        let proto_ok = r.protocol == Protocol::All || r.protocol == q;
        let port_ok = if q.has_ports() && r.protocol.has_ports() {
            match (r.from_port, r.to_port) {
                (Some(a), Some(b)) if a >= 0 && b >= 0 => {
                    a <= i32::from(port) && i32::from(port) <= b
                }
                _ => true,
            }
        } else {
            true
        };
        proto_ok && port_ok && n.contains(&x)
    })
}

proptest! {
    #[test]
    fn sg_agrees_with_naive(
        rules in prop::collection::vec(sg_rule(), 0..6),
        q in protocol(),
        ports in port_set(),
        r4 in prop::collection::vec(v4_addr(), 3),
    ) {
        let union = admitted_union_boxes(&rules, q, &ports);
        let flows = sg::flows(&rules);
        let nets: Vec<AddrSet> = rules.iter().map(SgRule::peer_addrs).collect();
        let sets: Vec<&AddrSet> = nets.iter().collect();
        let rule_ports: Vec<PortSet> = rules.iter().map(|r| r.ports_for(Protocol::Tcp)).collect();
        let mut psets: Vec<&PortSet> = rule_ports.iter().collect();
        psets.push(&ports);
        for x in probes(&sets, &r4, &[]) {
            for p in port_probes(&psets, &[]) {
                let want_any = if q == Protocol::All {
                    CONCRETE.iter().all(|c| naive_sg(&rules, *c, p, x))
                } else {
                    naive_sg(&rules, q, p, x)
                };
                let want = ports.contains(p) && want_any;
                let hits = union.iter().filter(|(ps, a)| ps.contains(p) && a.contains(x)).count();
                prop_assert!(hits <= 1);
                prop_assert_eq!(hits == 1, want, "sg {:?} port {} from {}", q, p, x);
                // The FlowSet of all rules agrees for concrete protocols.
                for c in CONCRETE {
                    prop_assert_eq!(flows.contains(c, p, x), naive_sg(&rules, c, p, x), "flows {:?} {} {}", c, p, x);
                }
            }
        }
    }

    #[test]
    fn flowset_ops_agree_with_membership(
        a in prop::collection::vec(sg_rule(), 0..5),
        b in prop::collection::vec(sg_rule(), 0..5),
    ) {
        let (fa, fb) = (sg::flows(&a), sg::flows(&b));
        let (u, i) = (fa.union(&fb), fa.intersection(&fb));
        prop_assert_eq!(&u, &fb.union(&fa));
        prop_assert_eq!(&i, &fb.intersection(&fa));
        // Canonical: insertion order does not matter.
        let rev: Vec<SgRule> = a.iter().rev().cloned().collect();
        prop_assert_eq!(&sg::flows(&rev), &fa);
        // Rebuilding from the canonical boxes gives the same set.
        let boxes = u.boxes();
        prop_assert_eq!(&FlowSet::from_boxes(boxes.iter().map(|(p, ps, s)| (*p, ps, s))), &u);
        let nets: Vec<AddrSet> = a.iter().chain(b.iter()).map(SgRule::peer_addrs).collect();
        let sets: Vec<&AddrSet> = nets.iter().collect();
        let rule_ports: Vec<PortSet> = a.iter().chain(b.iter()).map(|r| r.ports_for(Protocol::Tcp)).collect();
        let psets: Vec<&PortSet> = rule_ports.iter().collect();
        for x in probes(&sets, &[], &[]) {
            for p in port_probes(&psets, &[]) {
                for c in CONCRETE {
                    let (ia, ib) = (fa.contains(c, p, x), fb.contains(c, p, x));
                    prop_assert_eq!(u.contains(c, p, x), ia || ib);
                    prop_assert_eq!(i.contains(c, p, x), ia && ib);
                }
            }
        }
    }
}

fn admitted_union_boxes(rules: &[SgRule], q: Protocol, ports: &PortSet) -> Vec<(PortSet, AddrSet)> {
    sg::admitted_union(rules, q, ports)
}
