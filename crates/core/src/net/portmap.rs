//! [`PortMap`]: a piecewise-constant map from port to [`AddrSet`].
//!
//! This is the workhorse behind the box algebra of flows, ACLs and security
//! groups: splitting on port boundaries turns "ports × addresses" regions
//! into a short list of port intervals, each with one address set, where
//! union/intersection/difference are pointwise.

use std::collections::{BTreeMap, BTreeSet};

use super::addr::AddrSet;
use super::ports::{PortSet, Protocol};

/// A map `port -> AddrSet`, stored as sorted, disjoint port intervals with
/// non-empty values; adjacent intervals with equal values are merged, so the
/// representation is canonical (`==` is map equality). Ports absent from the
/// list map to the empty set.
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct PortMap {
    pieces: Vec<(u16, u16, AddrSet)>,
}

/// Appends a piece in ascending port order, merging with an adjacent equal
/// piece and dropping empty values.
fn push_piece(out: &mut Vec<(u16, u16, AddrSet)>, lo: u16, hi: u16, v: AddrSet) {
    if v.is_empty() {
        return;
    }
    if let Some(last) = out.last_mut()
        && last.1.checked_add(1) == Some(lo)
        && last.2 == v
    {
        last.1 = hi;
        return;
    }
    out.push((lo, hi, v));
}

impl PortMap {
    /// The map sending every port to the empty set.
    pub const fn new() -> Self {
        Self { pieces: Vec::new() }
    }

    /// `ports × addrs`: every port in `ports` maps to `addrs`.
    pub fn from_box(ports: &PortSet, addrs: &AddrSet) -> Self {
        let mut pieces = Vec::new();
        for &(lo, hi) in ports.ranges() {
            push_piece(&mut pieces, lo, hi, addrs.clone());
        }
        Self { pieces }
    }

    /// The pieces `(first_port, last_port, addrs)`, ascending.
    pub fn pieces(&self) -> &[(u16, u16, AddrSet)] {
        &self.pieces
    }

    /// True if every port maps to the empty set.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The address set for one port.
    pub fn at(&self, port: u16) -> AddrSet {
        let i = self.pieces.partition_point(|p| p.1 < port);
        match self.pieces.get(i) {
            Some((lo, _, v)) if *lo <= port => v.clone(),
            _ => AddrSet::empty(),
        }
    }

    /// Ports with a non-empty address set.
    pub fn ports(&self) -> PortSet {
        PortSet::from_ranges(self.pieces.iter().map(|p| (p.0, p.1)))
    }

    /// Union of the address sets over all ports.
    pub fn all_addrs(&self) -> AddrSet {
        self.pieces
            .iter()
            .fold(AddrSet::empty(), |acc, p| acc.union(&p.2))
    }

    /// Addresses admitted on every port of `ports` (all addresses if
    /// `ports` is empty).
    pub fn common_addrs(&self, ports: &PortSet) -> AddrSet {
        let mut acc = AddrSet::all();
        for &(lo, hi) in ports.ranges() {
            let mut cursor = Some(lo);
            let i = self.pieces.partition_point(|p| p.1 < lo);
            for p in self.pieces.iter().skip(i) {
                let Some(c) = cursor else { break };
                if p.0 > hi {
                    break;
                }
                if p.0 > c {
                    return AddrSet::empty(); // a gap maps to the empty set
                }
                acc = acc.intersection(&p.2);
                cursor = p.1.checked_add(1);
                if p.1 >= hi {
                    cursor = None;
                }
            }
            if cursor.is_some() {
                return AddrSet::empty();
            }
        }
        acc
    }

    /// Pointwise combination on the common refinement of both partitions.
    /// `f(∅, ∅)` must be `∅` (true for union, intersection, difference).
    pub fn combine<F>(&self, other: &Self, f: F) -> Self
    where
        F: Fn(&AddrSet, &AddrSet) -> AddrSet,
    {
        // Cut points as u32 so that 65536 (one past the end) fits.
        let mut cuts: Vec<u32> = Vec::with_capacity(2 * (self.pieces.len() + other.pieces.len()));
        for p in self.pieces.iter().chain(other.pieces.iter()) {
            cuts.push(u32::from(p.0));
            cuts.push(u32::from(p.1) + 1);
        }
        cuts.sort_unstable();
        cuts.dedup();
        let empty = AddrSet::empty();
        let mut out = Vec::with_capacity(cuts.len());
        let (mut i, mut j) = (0usize, 0usize);
        for w in cuts.windows(2) {
            let &[start, end] = w else { continue };
            let (Ok(lo), Ok(hi)) = (u16::try_from(start), u16::try_from(end - 1)) else {
                continue;
            };
            while self.pieces.get(i).is_some_and(|p| p.1 < lo) {
                i += 1;
            }
            while other.pieces.get(j).is_some_and(|p| p.1 < lo) {
                j += 1;
            }
            let a = match self.pieces.get(i) {
                Some(p) if p.0 <= lo => &p.2,
                _ => &empty,
            };
            let b = match other.pieces.get(j) {
                Some(p) if p.0 <= lo => &p.2,
                _ => &empty,
            };
            if a.is_empty() && b.is_empty() {
                continue;
            }
            push_piece(&mut out, lo, hi, f(a, b));
        }
        Self { pieces: out }
    }

    /// Pointwise union.
    pub fn union(&self, other: &Self) -> Self {
        self.combine(other, AddrSet::union)
    }

    /// Pointwise intersection.
    pub fn intersection(&self, other: &Self) -> Self {
        self.combine(other, AddrSet::intersection)
    }

    /// Pointwise difference.
    pub fn difference(&self, other: &Self) -> Self {
        self.combine(other, AddrSet::difference)
    }

    /// Applies `f` to every value (keeping the partition); `f(∅)` is never
    /// called.
    pub fn map_values<F: Fn(&AddrSet) -> AddrSet>(&self, f: F) -> Self {
        let mut out = Vec::with_capacity(self.pieces.len());
        for (lo, hi, v) in &self.pieces {
            push_piece(&mut out, *lo, *hi, f(v));
        }
        Self { pieces: out }
    }

    /// Restricts the map to `ports`.
    pub fn restrict(&self, ports: &PortSet) -> Self {
        self.intersection(&Self::from_box(ports, &AddrSet::all()))
    }

    /// The map as disjoint boxes: pieces with equal address sets are grouped
    /// into one `PortSet`. Ordered by first port.
    pub fn boxes(&self) -> Vec<(PortSet, AddrSet)> {
        let mut groups: BTreeMap<&AddrSet, Vec<(u16, u16)>> = BTreeMap::new();
        for (lo, hi, v) in &self.pieces {
            groups.entry(v).or_default().push((*lo, *hi));
        }
        let mut out: Vec<(PortSet, AddrSet)> = groups
            .into_iter()
            .map(|(v, r)| (PortSet::from_ranges(r), v.clone()))
            .collect();
        out.sort_by_key(|(p, _)| p.ranges().first().map(|r| r.0));
        out
    }
}

/// Evaluates a query for [`Protocol::All`] meaning "allowed for *every*
/// protocol", exactly, from per-protocol evaluations.
///
/// Rules only distinguish the protocols they name (`mentioned`, without
/// `All`); every unnamed protocol behaves identically. So the answer is the
/// evaluation for one unnamed representative, intersected pointwise with
/// the evaluation of every named protocol. Tags (rule numbers / indexes)
/// come from the representative's evaluation, i.e. from `-1` rules, which
/// are the rules that admit "everything".
pub(crate) fn every_protocol<Tag, F>(
    mentioned: &BTreeSet<Protocol>,
    eval: F,
) -> Vec<(PortSet, AddrSet, Tag)>
where
    Tag: Copy,
    F: Fn(Protocol) -> Vec<(PortSet, AddrSet, Tag)>,
{
    let mut named: Vec<Protocol> = mentioned
        .iter()
        .map(|p| p.canonical())
        .filter(|p| *p != Protocol::All)
        .collect();
    named.sort_unstable();
    named.dedup();
    let rep = (0..=u8::MAX)
        .map(Protocol::from_number)
        .find(|p| named.binary_search(p).is_err());
    let (rep, others): (Protocol, &[Protocol]) = match rep {
        Some(r) => (r, &named),
        None => match named.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Vec::new(),
        },
    };
    let base = eval(rep);
    let mut inter: Option<PortMap> = None;
    for p in others {
        let m = eval(*p)
            .iter()
            .fold(PortMap::new(), |acc, (ports, addrs, _)| {
                acc.union(&PortMap::from_box(ports, addrs))
            });
        inter = Some(match inter {
            Some(i) => i.intersection(&m),
            None => m,
        });
    }
    let mut out = Vec::new();
    for (ports, addrs, tag) in base {
        let piece = PortMap::from_box(&ports, &addrs);
        let piece = match &inter {
            Some(i) => piece.intersection(i),
            None => piece,
        };
        for (p, a) in piece.boxes() {
            out.push((p, a, tag));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use ipnet::IpNet;

    fn set(v: &[&str]) -> AddrSet {
        v.iter().map(|s| s.parse::<IpNet>().unwrap()).collect()
    }

    #[test]
    fn combine_refines_and_merges() {
        let a = PortMap::from_box(&PortSet::range(0, 100), &set(&["10.0.0.0/8"]));
        let b = PortMap::from_box(&PortSet::range(50, 200), &set(&["11.0.0.0/8"]));
        let u = a.union(&b);
        assert_eq!(u.pieces().len(), 3);
        assert_eq!(u.at(75), set(&["10.0.0.0/7"]));
        assert_eq!(u.at(10), set(&["10.0.0.0/8"]));
        assert_eq!(u.at(300), AddrSet::empty());
        // Union with itself is a no-op and re-merges.
        assert_eq!(u.union(&u), u);
        let i = a.intersection(&b);
        assert!(i.is_empty());
        let d = u.difference(&b);
        assert_eq!(d, a);
        assert_ne!(d, b);
    }

    #[test]
    fn boxes_group_equal_values() {
        let x = set(&["10.0.0.0/8"]);
        let m = PortMap::from_box(&PortSet::from_ranges([(22, 22), (443, 443)]), &x).union(
            &PortMap::from_box(&PortSet::single(80), &set(&["1.1.1.1/32"])),
        );
        let b = m.boxes();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0], (PortSet::from_ranges([(22, 22), (443, 443)]), x));
        assert_eq!(
            m.ports(),
            PortSet::from_ranges([(22, 22), (80, 80), (443, 443)])
        );
        assert_eq!(m.all_addrs(), set(&["10.0.0.0/8", "1.1.1.1/32"]));
    }

    #[test]
    fn common_addrs_twins() {
        let m = PortMap::from_box(&PortSet::range(0, 100), &set(&["10.0.0.0/8"])).union(
            &PortMap::from_box(&PortSet::range(50, 65535), &set(&["10.0.0.0/16"])),
        );
        assert_eq!(
            m.common_addrs(&PortSet::range(0, 100)),
            set(&["10.0.0.0/8"])
        );
        assert_eq!(m.common_addrs(&PortSet::all()), set(&["10.0.0.0/16"]));
        let gap = PortMap::from_box(&PortSet::from_ranges([(0, 10), (12, 20)]), &AddrSet::all());
        assert_eq!(gap.common_addrs(&PortSet::range(0, 20)), AddrSet::empty());
        assert_eq!(gap.common_addrs(&PortSet::range(12, 20)), AddrSet::all());
        assert_eq!(gap.common_addrs(&PortSet::empty()), AddrSet::all());
    }
}
