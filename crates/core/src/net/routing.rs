//! Longest-prefix-match route tables.
//!
//! At construction the table is flattened into a sorted list of disjoint
//! address segments, each labelled with its winning route (or none). Lookup
//! is then a binary search, and splitting a destination set is one linear
//! merge of two sorted lists, `O(routes + ranges)`, so no per-address or
//! per-route-pair work is ever done.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::addr::AddrSet;
use super::interval::{IntervalSet, Point};

/// Where a route sends traffic for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteDest {
    /// `DestinationCidrBlock` / `DestinationIpv6CidrBlock`.
    Cidr(IpNet),
    /// `DestinationPrefixListId`, with the list's entries already resolved.
    /// AWS treats each entry as a route of that length.
    PrefixList {
        /// `pl-…` id, for evidence.
        id: String,
        /// Resolved entries.
        nets: Vec<IpNet>,
    },
}

/// One route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route<T> {
    /// Destination.
    pub dest: RouteDest,
    /// Target (gateway id, or whatever the model uses).
    pub target: T,
    /// True for routes propagated from a VGW / Direct Connect.
    pub propagated: bool,
}

impl<T> Route<T> {
    /// A static CIDR route.
    pub fn cidr(net: IpNet, target: T) -> Self {
        Self {
            dest: RouteDest::Cidr(net),
            target,
            propagated: false,
        }
    }

    /// A static prefix-list route.
    pub fn prefix_list(id: impl Into<String>, nets: Vec<IpNet>, target: T) -> Self {
        Self {
            dest: RouteDest::PrefixList {
                id: id.into(),
                nets,
            },
            target,
            propagated: false,
        }
    }

    /// A propagated CIDR route.
    pub fn propagated(net: IpNet, target: T) -> Self {
        Self {
            dest: RouteDest::Cidr(net),
            target,
            propagated: true,
        }
    }

    /// Tie-break class among routes with the same prefix, following AWS
    /// "route priority": static CIDR routes, then prefix-list routes, then
    /// propagated routes.
    fn class(&self) -> u8 {
        match (&self.dest, self.propagated) {
            (_, true) => 2,
            (RouteDest::PrefixList { .. }, false) => 1,
            (RouteDest::Cidr(_), false) => 0,
        }
    }
}

/// A flattened family: disjoint segments covering the whole space, each with
/// the index of the winning route, ascending.
type Segments<P> = Vec<(P, P, Option<usize>)>;

/// Per-target IPv4 and IPv6 ranges collected by `split`.
type RangeLists = (Vec<(u32, u32)>, Vec<(u128, u128)>);

/// A candidate prefix: `(first, last, prefix_len, (class, route_index))`.
type Candidate<P> = (P, P, u8, (u8, usize));

fn emit<P: Point>(out: &mut Segments<P>, lo: P, hi: P, r: Option<usize>) {
    if let Some(last) = out.last_mut()
        && last.2 == r
        && last.1.succ() == Some(lo)
    {
        last.1 = hi;
        return;
    }
    out.push((lo, hi, r));
}

/// Laminar sweep: prefixes are either nested or disjoint, so sorting by
/// (start, length) and keeping a stack of open prefixes gives the innermost
/// (longest) prefix for every address.
fn flatten<P: Point>(mut cands: Vec<Candidate<P>>) -> Segments<P> {
    // Same start + same length = same prefix; keep the best (class, index).
    cands.sort_unstable_by_key(|c| (c.0, c.2, c.3));
    cands.dedup_by_key(|c| (c.0, c.2));
    let mut out = Vec::with_capacity(2 * cands.len() + 1);
    let mut cursor = Some(P::MIN);
    let mut stack: Vec<(P, usize)> = Vec::new();
    for (lo, hi, _, (_, idx)) in cands {
        while let Some(&(thi, tidx)) = stack.last() {
            if thi >= lo {
                break;
            }
            if let Some(c) = cursor
                && c <= thi
            {
                emit(&mut out, c, thi, Some(tidx));
            }
            cursor = thi.succ();
            stack.pop();
        }
        if let Some(c) = cursor
            && c < lo
            && let Some(end) = lo.pred()
        {
            emit(&mut out, c, end, stack.last().map(|t| t.1));
            cursor = Some(lo);
        }
        stack.push((hi, idx));
    }
    while let Some((thi, tidx)) = stack.pop() {
        if let Some(c) = cursor
            && c <= thi
        {
            emit(&mut out, c, thi, Some(tidx));
            cursor = thi.succ();
        }
    }
    if let Some(c) = cursor {
        emit(&mut out, c, P::MAX, None);
    }
    out
}

/// Segment containing `x` (segments cover the whole space).
fn find<P: Point>(segs: &Segments<P>, x: P) -> Option<usize> {
    let i = segs.partition_point(|s| s.1 < x);
    segs.get(i).and_then(|s| s.2)
}

/// Intersects sorted `ranges` with the segments, calling `f(route, lo, hi)`
/// for every overlap, in ascending order.
fn overlay<P: Point, F: FnMut(Option<usize>, P, P)>(
    segs: &Segments<P>,
    ranges: &[(P, P)],
    mut f: F,
) {
    let (mut i, mut j) = (0usize, 0usize);
    while let (Some(&(slo, shi, r)), Some(&(lo, hi))) = (segs.get(i), ranges.get(j)) {
        let a = slo.max(lo);
        let b = shi.min(hi);
        if a <= b {
            f(r, a, b);
        }
        if shi < hi {
            i += 1;
        } else {
            j += 1;
        }
    }
}

/// A route table with AWS longest-prefix-match semantics.
///
/// Ties between routes with the same prefix: static CIDR route, then
/// prefix-list route, then propagated route (AWS route priority); within a
/// class the first route given wins (AWS forbids such duplicates, so this
/// only matters for malformed input). IPv4 and IPv6 are independent.
///
/// Not modelled (the caller must pre-filter): the `local` route beating
/// more specific *propagated* routes, and blackholed routes.
#[derive(Clone, Debug)]
pub struct RouteTable<T> {
    routes: Vec<Route<T>>,
    v4: Segments<u32>,
    v6: Segments<u128>,
}

impl<T: Clone + Ord> RouteTable<T> {
    /// Builds and flattens the table: `O(n log n)` in the number of
    /// prefixes (prefix lists expanded).
    pub fn new<I: IntoIterator<Item = Route<T>>>(routes: I) -> Self {
        let routes: Vec<Route<T>> = routes.into_iter().collect();
        let mut c4: Vec<Candidate<u32>> = Vec::new();
        let mut c6: Vec<Candidate<u128>> = Vec::new();
        for (idx, r) in routes.iter().enumerate() {
            let key = (r.class(), idx);
            let nets: &[IpNet] = match &r.dest {
                RouteDest::Cidr(n) => std::slice::from_ref(n),
                RouteDest::PrefixList { nets, .. } => nets,
            };
            for n in nets {
                match n {
                    IpNet::V4(n) => c4.push((
                        u32::from(n.network()),
                        u32::from(n.broadcast()),
                        n.prefix_len(),
                        key,
                    )),
                    IpNet::V6(n) => c6.push((
                        u128::from(n.network()),
                        u128::from(n.broadcast()),
                        n.prefix_len(),
                        key,
                    )),
                }
            }
        }
        Self {
            routes,
            v4: flatten(c4),
            v6: flatten(c6),
        }
    }

    /// Convenience: static CIDR routes from `(net, target)` pairs.
    pub fn from_cidrs<I: IntoIterator<Item = (IpNet, T)>>(routes: I) -> Self {
        Self::new(routes.into_iter().map(|(n, t)| Route::cidr(n, t)))
    }

    /// The routes as given.
    pub fn routes(&self) -> &[Route<T>] {
        &self.routes
    }

    /// The winning route for one address.
    pub fn route_for(&self, ip: IpAddr) -> Option<&Route<T>> {
        let idx = match ip {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => find(&self.v6, u128::from(a)),
        };
        idx.and_then(|i| self.routes.get(i))
    }

    /// The target of the winning route for one address.
    pub fn lookup(&self, ip: IpAddr) -> Option<&T> {
        self.route_for(ip).map(|r| &r.target)
    }

    /// Partitions `dest` by winning target (`None`: no route matches).
    /// Routes with equal targets are merged into one entry. The values are
    /// pairwise disjoint, non-empty, and their union is `dest`.
    pub fn split(&self, dest: &AddrSet) -> BTreeMap<Option<T>, AddrSet> {
        let mut acc: BTreeMap<Option<T>, RangeLists> = BTreeMap::new();
        overlay(&self.v4, dest.v4().ranges(), |r, lo, hi| {
            let key = r.and_then(|i| self.routes.get(i)).map(|x| x.target.clone());
            acc.entry(key).or_default().0.push((lo, hi));
        });
        overlay(&self.v6, dest.v6().ranges(), |r, lo, hi| {
            let key = r.and_then(|i| self.routes.get(i)).map(|x| x.target.clone());
            acc.entry(key).or_default().1.push((lo, hi));
        });
        acc.into_iter()
            .map(|(k, (a, b))| {
                (
                    k,
                    AddrSet::from_parts(IntervalSet::from_ranges(a), IntervalSet::from_ranges(b)),
                )
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn n(s: &str) -> IpNet {
        s.parse().unwrap()
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }
    fn set(v: &[&str]) -> AddrSet {
        v.iter().map(|s| n(s)).collect()
    }

    #[test]
    fn halves_beat_default() {
        let t = RouteTable::from_cidrs([
            (n("0.0.0.0/0"), "nat"),
            (n("0.0.0.0/1"), "igw"),
            (n("128.0.0.0/1"), "igw"),
            (n("10.0.0.0/16"), "local"),
        ]);
        let s = t.split(&AddrSet::all_v4());
        assert_eq!(s.get(&Some("nat")), None);
        assert_eq!(s.get(&Some("local")), Some(&set(&["10.0.0.0/16"])));
        assert_eq!(
            s.get(&Some("igw")),
            Some(&AddrSet::all_v4().difference(&set(&["10.0.0.0/16"])))
        );
        assert_eq!(t.lookup(ip("8.8.8.8")), Some(&"igw"));
        assert_eq!(t.lookup(ip("10.0.255.255")), Some(&"local"));
        assert_eq!(t.lookup(ip("10.1.0.0")), Some(&"igw"));
        assert_eq!(t.lookup(ip("::1")), None);
    }

    #[test]
    fn default_route_wins_where_nothing_longer() {
        let t = RouteTable::from_cidrs([(n("0.0.0.0/0"), "nat"), (n("0.0.0.0/1"), "igw")]);
        assert_eq!(t.lookup(ip("200.0.0.1")), Some(&"nat"));
        assert_eq!(t.lookup(ip("100.0.0.1")), Some(&"igw"));
        let s = t.split(&set(&["127.255.255.0/24", "128.0.0.0/24"]));
        assert_eq!(s.get(&Some("igw")), Some(&set(&["127.255.255.0/24"])));
        assert_eq!(s.get(&Some("nat")), Some(&set(&["128.0.0.0/24"])));
    }

    #[test]
    fn no_route_is_none() {
        let t = RouteTable::from_cidrs([(n("10.0.0.0/8"), 1u32), (n("2600::/16"), 2)]);
        let s = t.split(&set(&["10.0.0.0/7", "2600::/15"]));
        assert_eq!(s.get(&None), Some(&set(&["11.0.0.0/8", "2601::/16"])));
        assert_eq!(s.get(&Some(1)), Some(&set(&["10.0.0.0/8"])));
        assert_eq!(s.get(&Some(2)), Some(&set(&["2600::/16"])));
        assert_eq!(t.lookup(ip("11.0.0.0")), None);
        assert!(t.split(&AddrSet::empty()).is_empty());
        let empty: RouteTable<u32> = RouteTable::new([]);
        assert_eq!(
            empty.split(&AddrSet::all()).get(&None),
            Some(&AddrSet::all())
        );
    }

    #[test]
    fn duplicates_first_wins_and_class_priority() {
        let t = RouteTable::from_cidrs([(n("10.0.0.0/8"), "a"), (n("10.0.0.0/8"), "b")]);
        assert_eq!(t.lookup(ip("10.0.0.1")), Some(&"a"));
        assert_ne!(t.lookup(ip("10.0.0.1")), Some(&"b"));
        // Propagated route given first still loses to the static one.
        let t = RouteTable::new([
            Route::propagated(n("10.0.0.0/8"), "vgw"),
            Route::prefix_list("pl-1", vec![n("10.0.0.0/8"), n("11.0.0.0/8")], "pl"),
            Route::cidr(n("10.0.0.0/8"), "igw"),
        ]);
        assert_eq!(t.lookup(ip("10.0.0.1")), Some(&"igw"));
        assert_eq!(t.lookup(ip("11.0.0.1")), Some(&"pl"));
        // Longest prefix still beats class.
        let t = RouteTable::new([
            Route::cidr(n("10.0.0.0/8"), "igw"),
            Route::propagated(n("10.1.0.0/16"), "vgw"),
        ]);
        assert_eq!(t.lookup(ip("10.1.0.1")), Some(&"vgw"));
        assert_eq!(
            t.route_for(ip("10.2.0.1")).map(|r| r.propagated),
            Some(false)
        );
    }

    /// Not a benchmark: 20,000 routes split over a 100,000-range set would
    /// hang if flattening or splitting were quadratic.
    #[test]
    fn scale_is_linearithmic() {
        let routes = (0..20_000u32).map(|i| {
            let len = 8 + (i % 17) as u8;
            let net =
                ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(i.wrapping_mul(2_654_435_761)), len)
                    .unwrap()
                    .trunc();
            (IpNet::V4(net), i % 7)
        });
        let t = RouteTable::from_cidrs(routes);
        let dest: AddrSet = (0..100_000u32)
            .map(|i| IpNet::V4(ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(i << 14), 28).unwrap()))
            .collect();
        let s = t.split(&dest);
        let total = s.values().fold(AddrSet::empty(), |acc, v| acc.union(v));
        assert_eq!(total, dest);
    }

    #[test]
    fn extremes() {
        let t = RouteTable::from_cidrs([
            (n("255.255.255.255/32"), "top"),
            (n("0.0.0.0/32"), "bottom"),
            (n("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), "top6"),
            (n("::/0"), "igw6"),
        ]);
        assert_eq!(t.lookup(ip("255.255.255.255")), Some(&"top"));
        assert_eq!(t.lookup(ip("255.255.255.254")), None);
        assert_eq!(t.lookup(ip("0.0.0.0")), Some(&"bottom"));
        assert_eq!(t.lookup(ip("0.0.0.1")), None);
        assert_eq!(
            t.lookup(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
            Some(&"top6")
        );
        assert_eq!(
            t.lookup(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")),
            Some(&"igw6")
        );
    }
}
