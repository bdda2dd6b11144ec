//! [`AddrSet`]: arbitrary sets of IPv4 and IPv6 addresses.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use super::interval::{IntervalSet, Point};

/// A set of IP addresses: one interval set per family.
///
/// The two families are independent spaces (AWS routes, ACLs and security
/// groups never match an IPv4 packet with an IPv6 CIDR or vice versa), so
/// `complement` is taken per family and `all()` is "all IPv4 and all IPv6".
///
/// Serialised (serde) as its minimal CIDR list, e.g. `["10.0.0.0/8"]`.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(into = "Vec<IpNet>", from = "Vec<IpNet>")]
pub struct AddrSet {
    v4: IntervalSet<u32>,
    v6: IntervalSet<u128>,
}

/// Bounds `(first, last)` of an IPv4 network, host bits ignored.
fn v4_bounds(n: &Ipv4Net) -> (u32, u32) {
    (u32::from(n.network()), u32::from(n.broadcast()))
}

/// Bounds `(first, last)` of an IPv6 network, host bits ignored.
fn v6_bounds(n: &Ipv6Net) -> (u128, u128) {
    (u128::from(n.network()), u128::from(n.broadcast()))
}

/// Exact decomposition of `lo..=hi` into maximal aligned prefixes (greedy,
/// which is minimal). `bits` is the address width (32 or 128); `emit`
/// receives (network start, prefix length) in ascending order.
fn range_to_prefixes<T, F>(lo: T, hi: T, bits: u32, mut emit: F)
where
    T: Point + PrefixMath,
    F: FnMut(T, u8),
{
    let mut lo = lo;
    loop {
        // Largest block aligned at `lo`...
        let mut host = lo.trailing_zeros_capped(bits);
        // ...shrunk until it ends within `hi`.
        while host > 0 && lo.with_host_bits(host) > hi {
            host -= 1;
        }
        let last = lo.with_host_bits(host);
        let plen = u8::try_from(bits - host).unwrap_or(0);
        emit(lo, plen);
        if last >= hi {
            break;
        }
        match last.succ() {
            Some(n) => lo = n,
            None => break,
        }
    }
}

/// Bit tricks needed by [`range_to_prefixes`].
trait PrefixMath: Sized {
    /// Trailing zeros, `bits` for zero.
    fn trailing_zeros_capped(self, bits: u32) -> u32;
    /// `self | (2^host - 1)`.
    fn with_host_bits(self, host: u32) -> Self;
}

macro_rules! impl_prefix_math {
    ($t:ty) => {
        impl PrefixMath for $t {
            fn trailing_zeros_capped(self, bits: u32) -> u32 {
                self.trailing_zeros().min(bits)
            }
            fn with_host_bits(self, host: u32) -> Self {
                // `host == 0` shifts by BITS -> None -> no host bits;
                // `host == BITS` shifts by 0 -> MAX.
                self | <$t>::MAX.checked_shr(<$t>::BITS - host).unwrap_or(0)
            }
        }
    };
}
impl_prefix_math!(u32);
impl_prefix_math!(u128);

impl AddrSet {
    /// No addresses.
    pub const fn empty() -> Self {
        Self {
            v4: IntervalSet::empty(),
            v6: IntervalSet::empty(),
        }
    }

    /// Every IPv4 and every IPv6 address (`0.0.0.0/0` + `::/0`).
    pub fn all() -> Self {
        Self {
            v4: IntervalSet::all(),
            v6: IntervalSet::all(),
        }
    }

    /// Every IPv4 address (`0.0.0.0/0`).
    pub fn all_v4() -> Self {
        Self {
            v4: IntervalSet::all(),
            v6: IntervalSet::empty(),
        }
    }

    /// Every IPv6 address (`::/0`).
    pub fn all_v6() -> Self {
        Self {
            v4: IntervalSet::empty(),
            v6: IntervalSet::all(),
        }
    }

    /// Builds from raw interval sets.
    pub fn from_parts(v4: IntervalSet<u32>, v6: IntervalSet<u128>) -> Self {
        Self { v4, v6 }
    }

    /// The addresses of one network (host bits are ignored, as AWS does
    /// after normalising a CIDR).
    pub fn from_net(net: &IpNet) -> Self {
        match net {
            IpNet::V4(n) => Self::from_v4net(n),
            IpNet::V6(n) => Self::from_v6net(n),
        }
    }

    /// The addresses of one IPv4 network.
    pub fn from_v4net(net: &Ipv4Net) -> Self {
        let (lo, hi) = v4_bounds(net);
        Self {
            v4: IntervalSet::range(lo, hi),
            v6: IntervalSet::empty(),
        }
    }

    /// The addresses of one IPv6 network.
    pub fn from_v6net(net: &Ipv6Net) -> Self {
        let (lo, hi) = v6_bounds(net);
        Self {
            v4: IntervalSet::empty(),
            v6: IntervalSet::range(lo, hi),
        }
    }

    /// Union of many networks; a single sort + merge, so building from
    /// thousands of prefix-list entries stays `O(n log n)`.
    pub fn from_nets<'a, I: IntoIterator<Item = &'a IpNet>>(nets: I) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for n in nets {
            match n {
                IpNet::V4(n) => v4.push(v4_bounds(n)),
                IpNet::V6(n) => v6.push(v6_bounds(n)),
            }
        }
        Self {
            v4: IntervalSet::from_ranges(v4),
            v6: IntervalSet::from_ranges(v6),
        }
    }

    /// A single address.
    pub fn from_addr(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Self::from_v4_range(a, a),
            IpAddr::V6(a) => Self::from_v6_range(a, a),
        }
    }

    /// An inclusive IPv4 address range (empty if `lo > hi`).
    pub fn from_v4_range(lo: Ipv4Addr, hi: Ipv4Addr) -> Self {
        Self {
            v4: IntervalSet::range(u32::from(lo), u32::from(hi)),
            v6: IntervalSet::empty(),
        }
    }

    /// An inclusive IPv6 address range (empty if `lo > hi`).
    pub fn from_v6_range(lo: Ipv6Addr, hi: Ipv6Addr) -> Self {
        Self {
            v4: IntervalSet::empty(),
            v6: IntervalSet::range(u128::from(lo), u128::from(hi)),
        }
    }

    /// The IPv4 part as integer intervals.
    pub fn v4(&self) -> &IntervalSet<u32> {
        &self.v4
    }

    /// The IPv6 part as integer intervals.
    pub fn v6(&self) -> &IntervalSet<u128> {
        &self.v6
    }

    /// Only the IPv4 addresses of `self`.
    pub fn only_v4(&self) -> Self {
        Self::from_parts(self.v4.clone(), IntervalSet::empty())
    }

    /// Only the IPv6 addresses of `self`.
    pub fn only_v6(&self) -> Self {
        Self::from_parts(IntervalSet::empty(), self.v6.clone())
    }

    /// Set union.
    pub fn union(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.union(&other.v4),
            v6: self.v6.union(&other.v6),
        }
    }

    /// Set intersection.
    pub fn intersection(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.intersection(&other.v4),
            v6: self.v6.intersection(&other.v6),
        }
    }

    /// Set difference `self \ other`.
    pub fn difference(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.difference(&other.v4),
            v6: self.v6.difference(&other.v6),
        }
    }

    /// Complement within each family's full space.
    pub fn complement(&self) -> Self {
        Self {
            v4: self.v4.complement(),
            v6: self.v6.complement(),
        }
    }

    /// True if there is no address at all.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Membership test.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => self.v6.contains(u128::from(a)),
        }
    }

    /// True if every address of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.v4.is_subset(&other.v4) && self.v6.is_subset(&other.v6)
    }

    /// True if every address of `other` is in `self`.
    pub fn is_superset(&self, other: &Self) -> bool {
        other.is_subset(self)
    }

    /// True if the sets share an address.
    pub fn intersects(&self, other: &Self) -> bool {
        self.v4.intersects(&other.v4) || self.v6.intersects(&other.v6)
    }

    /// Number of IPv4 addresses (at most 2^32, always fits).
    pub fn count_v4(&self) -> u64 {
        u64::try_from(self.v4.count()).unwrap_or(u64::MAX)
    }

    /// Number of IPv6 addresses, saturating: `::/0` reports `u128::MAX`.
    pub fn count_v6(&self) -> u128 {
        self.v6.count()
    }

    /// Minimal CIDR cover: the exact decomposition of the set into the
    /// fewest aligned prefixes (IPv4 first, then IPv6, ascending).
    pub fn to_cidrs(&self) -> Vec<IpNet> {
        let mut out = self.v4_cidrs();
        out.extend(self.v6_cidrs());
        out
    }

    /// [`Self::to_cidrs`] restricted to IPv4.
    pub fn v4_cidrs(&self) -> Vec<IpNet> {
        let mut out = Vec::new();
        for &(lo, hi) in self.v4.ranges() {
            range_to_prefixes(lo, hi, 32, |start, plen| {
                if let Ok(n) = Ipv4Net::new(Ipv4Addr::from(start), plen) {
                    out.push(IpNet::V4(n));
                }
            });
        }
        out
    }

    /// [`Self::to_cidrs`] restricted to IPv6.
    pub fn v6_cidrs(&self) -> Vec<IpNet> {
        let mut out = Vec::new();
        for &(lo, hi) in self.v6.ranges() {
            range_to_prefixes(lo, hi, 128, |start, plen| {
                if let Ok(n) = Ipv6Net::new(Ipv6Addr::from(start), plen) {
                    out.push(IpNet::V6(n));
                }
            });
        }
        out
    }

    /// A short, deterministic human description for finding evidence, e.g.
    /// `"all public IPv4"`, `"all public IPv4 except 203.0.113.0/24"`,
    /// `"10.0.0.0/8, 192.168.0.0/16"`,
    /// `"5 ranges, 1,280 public IPv4 addresses (e.g. 1.0.0.0/24, …)"`.
    ///
    /// IPv4 and IPv6 parts are described separately and joined by `"; "`.
    /// "public" is relative to [`super::public_internet`].
    pub fn describe(&self) -> String {
        super::describe::describe(self)
    }
}

impl fmt::Display for AddrSet {
    /// Same as [`AddrSet::describe`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl From<IpNet> for AddrSet {
    fn from(n: IpNet) -> Self {
        Self::from_net(&n)
    }
}

impl From<Ipv4Net> for AddrSet {
    fn from(n: Ipv4Net) -> Self {
        Self::from_v4net(&n)
    }
}

impl From<Ipv6Net> for AddrSet {
    fn from(n: Ipv6Net) -> Self {
        Self::from_v6net(&n)
    }
}

impl From<Vec<IpNet>> for AddrSet {
    fn from(nets: Vec<IpNet>) -> Self {
        Self::from_nets(&nets)
    }
}

impl From<AddrSet> for Vec<IpNet> {
    fn from(s: AddrSet) -> Self {
        s.to_cidrs()
    }
}

impl FromIterator<IpNet> for AddrSet {
    fn from_iter<I: IntoIterator<Item = IpNet>>(iter: I) -> Self {
        let nets: Vec<IpNet> = iter.into_iter().collect();
        Self::from_nets(&nets)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn n(s: &str) -> IpNet {
        s.parse().unwrap()
    }
    fn set(v: &[&str]) -> AddrSet {
        v.iter().map(|s| n(s)).collect()
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn halves_make_the_world() {
        assert_eq!(set(&["0.0.0.0/1", "128.0.0.0/1"]), AddrSet::all_v4());
        assert_ne!(set(&["0.0.0.0/1"]), AddrSet::all_v4());
        assert_eq!(set(&["::/1", "8000::/1"]), AddrSet::all_v6());
        assert_ne!(set(&["::/1", "8000::/2"]), AddrSet::all_v6());
    }

    #[test]
    fn host_bits_ignored() {
        assert_eq!(set(&["10.1.2.3/8"]), set(&["10.0.0.0/8"]));
        assert_ne!(set(&["10.1.2.3/8"]), set(&["10.1.2.3/32"]));
    }

    #[test]
    fn contains_twins() {
        let s = set(&["10.0.0.0/8", "2001:db8::/32"]);
        assert!(s.contains(ip("10.255.255.255")));
        assert!(!s.contains(ip("11.0.0.0")));
        assert!(s.contains(ip("2001:db8::1")));
        assert!(!s.contains(ip("2001:db9::")));
        // IPv4-mapped IPv6 is NOT the IPv4 address.
        assert!(!s.contains(ip("::ffff:10.0.0.1")));
    }

    #[test]
    fn ops_twins() {
        let a = set(&["10.0.0.0/8"]);
        let b = set(&["10.1.0.0/16", "11.0.0.0/8"]);
        assert_eq!(a.intersection(&b), set(&["10.1.0.0/16"]));
        assert_eq!(a.union(&b), set(&["10.0.0.0/7"]));
        assert_eq!(
            a.difference(&b).to_cidrs().len(),
            8 // 10.0/16, 10.2/15, 10.4/14, 10.8/13, 10.16/12, 10.32/11, 10.64/10, 10.128/9
        );
        assert!(a.is_superset(&set(&["10.1.0.0/16"])));
        assert!(!a.is_superset(&b));
        assert!(set(&["10.1.0.0/16"]).is_subset(&a));
        assert!(!b.is_subset(&a));
        assert!(AddrSet::empty().is_empty());
        assert!(!AddrSet::all_v6().is_empty());
        assert_eq!(AddrSet::all().complement(), AddrSet::empty());
        assert_eq!(AddrSet::all_v4().complement(), AddrSet::all_v6());
    }

    #[test]
    fn serde_form_is_cidr_list() {
        let s = set(&["10.0.0.0/8", "2600::/16"]);
        let v: Vec<IpNet> = s.clone().into();
        assert_eq!(v, vec![n("10.0.0.0/8"), n("2600::/16")]);
        assert_eq!(AddrSet::from(v), s);
    }

    /// Not a benchmark: sizes at which any quadratic normalisation would
    /// hang, so a regression shows up as a slow test.
    #[test]
    fn scale_is_linearithmic() {
        let a: Vec<IpNet> = (0..100_000u32)
            .map(|i| {
                IpNet::V4(Ipv4Net::new(Ipv4Addr::from(i.wrapping_mul(2_654_435_761)), 30).unwrap())
            })
            .collect();
        let b: Vec<IpNet> = (0..100_000u32)
            .map(|i| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(i << 12), 24).unwrap()))
            .collect();
        let (a, b) = (AddrSet::from_nets(&a), AddrSet::from_nets(&b));
        let u = a.union(&b);
        let d = u.difference(&b);
        assert!(d.is_subset(&a));
        assert_eq!(u.intersection(&a), a);
        assert_eq!(AddrSet::from_nets(&u.to_cidrs()), u);
    }

    #[test]
    fn counts() {
        assert_eq!(AddrSet::all_v4().count_v4(), 1 << 32);
        assert_eq!(AddrSet::all_v6().count_v6(), u128::MAX);
        assert_eq!(set(&["2001:db8::/64"]).count_v6(), 1 << 64);
        assert_eq!(set(&["10.0.0.0/8", "10.0.0.0/9"]).count_v4(), 1 << 24);
        assert_eq!(set(&["10.0.0.0/8"]).count_v6(), 0);
    }

    #[test]
    fn to_cidrs_exact() {
        assert_eq!(AddrSet::all().to_cidrs(), vec![n("0.0.0.0/0"), n("::/0")]);
        assert_eq!(
            AddrSet::from_v4_range("10.0.0.1".parse().unwrap(), "10.0.0.6".parse().unwrap())
                .to_cidrs(),
            vec![
                n("10.0.0.1/32"),
                n("10.0.0.2/31"),
                n("10.0.0.4/31"),
                n("10.0.0.6/32")
            ]
        );
        assert_eq!(
            set(&[
                "255.255.255.255/32",
                "::/128",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"
            ])
            .to_cidrs(),
            vec![
                n("255.255.255.255/32"),
                n("::/128"),
                n("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")
            ]
        );
        assert!(AddrSet::empty().to_cidrs().is_empty());
    }
}
