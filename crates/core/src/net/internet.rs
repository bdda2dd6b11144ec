//! What counts as "the internet", and how much of it a source set admits.

use std::sync::LazyLock;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::addr::AddrSet;

/// IANA IPv4 Special-Purpose Address Registry (RFC 6890, updated by
/// RFC 8190), plus multicast (RFC 5771) and the limited broadcast address.
/// These are never reachable "from the internet", so an ACL that admits
/// them does not expose anything publicly.
///
/// Source: <https://www.iana.org/assignments/iana-ipv4-special-registry>.
pub const SPECIAL_V4: &[&str] = &[
    "0.0.0.0/8",          // "this network" (RFC 791)
    "10.0.0.0/8",         // private-use (RFC 1918)
    "100.64.0.0/10",      // shared address space / CGNAT (RFC 6598)
    "127.0.0.0/8",        // loopback (RFC 1122)
    "169.254.0.0/16",     // link local (RFC 3927)
    "172.16.0.0/12",      // private-use (RFC 1918)
    "192.0.0.0/24",       // IETF protocol assignments (RFC 6890)
    "192.0.2.0/24",       // TEST-NET-1 documentation (RFC 5737)
    "192.88.99.0/24",     // deprecated 6to4 relay anycast (RFC 7526)
    "192.168.0.0/16",     // private-use (RFC 1918)
    "198.18.0.0/15",      // benchmarking (RFC 2544)
    "198.51.100.0/24",    // TEST-NET-2 documentation (RFC 5737)
    "203.0.113.0/24",     // TEST-NET-3 documentation (RFC 5737)
    "224.0.0.0/4",        // multicast (RFC 5771)
    "240.0.0.0/4",        // reserved (RFC 1112)
    "255.255.255.255/32", // limited broadcast (RFC 919); inside 240/4
];

/// IANA IPv6 Special-Purpose Address Registry (RFC 6890 and updates).
/// Only global unicast `2000::/3` (RFC 4291 §2.4, RFC 3587) is treated as
/// internet at all, so most of these are already outside it; they are
/// listed so that the list is the registry and `2000::/3` minus it is the
/// IPv6 internet.
///
/// Source: <https://www.iana.org/assignments/iana-ipv6-special-registry>.
pub const SPECIAL_V6: &[&str] = &[
    "::/128",         // unspecified (RFC 4291)
    "::1/128",        // loopback (RFC 4291)
    "::ffff:0:0/96",  // IPv4-mapped (RFC 4291)
    "64:ff9b::/96",   // IPv4-IPv6 translation, well-known prefix (RFC 6052)
    "64:ff9b:1::/48", // local-use IPv4/IPv6 translation (RFC 8215)
    "100::/64",       // discard-only (RFC 6666)
    "2001::/23",      // IETF protocol assignments (RFC 2928); includes Teredo
    "2001:db8::/32",  // documentation (RFC 3849)
    "2002::/16",      // 6to4 (RFC 3056)
    "fc00::/7",       // unique local (RFC 4193)
    "fe80::/10",      // link-local unicast (RFC 4291)
    "ff00::/8",       // multicast (RFC 4291)
];

/// The IPv6 global unicast space, the only IPv6 space treated as internet.
pub const GLOBAL_UNICAST_V6: &str = "2000::/3";

fn parse_all(list: &[&str]) -> Vec<IpNet> {
    list.iter().filter_map(|s| s.parse().ok()).collect()
}

static PUBLIC: LazyLock<AddrSet> = LazyLock::new(|| {
    let special_v4 = AddrSet::from_nets(&parse_all(SPECIAL_V4));
    let special_v6 = AddrSet::from_nets(&parse_all(SPECIAL_V6));
    let global_v6 = AddrSet::from_nets(&parse_all(&[GLOBAL_UNICAST_V6]));
    let v4 = AddrSet::all_v4().difference(&special_v4);
    let v6 = global_v6.difference(&special_v6);
    v4.union(&v6)
});

/// The addresses that count as "the internet": all IPv4 minus
/// [`SPECIAL_V4`], and IPv6 global unicast `2000::/3` minus [`SPECIAL_V6`].
///
/// Computed once; the returned reference is cheap to use repeatedly.
pub fn public_internet() -> &'static AddrSet {
    &PUBLIC
}

/// Thresholds above which an exposure is [`Exposure::Large`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// More than this many public IPv4 addresses is large.
    /// Default 16,777,216 (a /8: the size of the largest single allocations
    /// ever made, so no one organisation's ranges exceed it).
    pub v4: u64,
    /// More than this many public IPv6 addresses is large.
    /// Default 2^96 (a /32: the standard RIR allocation to one ISP/LIR,
    /// i.e. "a whole provider's customers").
    pub v6: u128,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            v4: 1 << 24,
            v6: 1 << 96,
        }
    }
}

/// How much of the internet a source (or destination) set admits.
///
/// Each admitting variant carries the admitted internet subset for evidence;
/// it never contains non-public or VPC-internal addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Exposure {
    /// The whole internet of at least one address family (e.g. `0.0.0.0/0`,
    /// `::/0`, `2000::/3`, or `0.0.0.0/1` + `128.0.0.0/1`). Per family
    /// because a host reachable from every IPv4 address is open to the world
    /// whatever its IPv6 rules say.
    World {
        /// The admitted internet addresses.
        admitted: AddrSet,
    },
    /// Not the whole internet, but more than [`Thresholds`] in some family.
    Large {
        /// The admitted internet addresses.
        admitted: AddrSet,
        /// Admitted public IPv4 addresses.
        v4: u64,
        /// Admitted public IPv6 addresses (saturating).
        v6: u128,
    },
    /// Some public addresses, at most the thresholds.
    Some {
        /// The admitted internet addresses.
        admitted: AddrSet,
        /// Admitted public IPv4 addresses.
        v4: u64,
        /// Admitted public IPv6 addresses (saturating).
        v6: u128,
    },
    /// No public address at all.
    None,
}

impl Exposure {
    /// The admitted internet subset (`None` for [`Exposure::None`]).
    pub fn admitted(&self) -> Option<&AddrSet> {
        match self {
            Self::World { admitted }
            | Self::Large { admitted, .. }
            | Self::Some { admitted, .. } => Some(admitted),
            Self::None => None,
        }
    }

    /// Severity rank: World 3, Large 2, Some 1, None 0.
    pub fn rank(&self) -> u8 {
        match self {
            Self::World { .. } => 3,
            Self::Large { .. } => 2,
            Self::Some { .. } => 1,
            Self::None => 0,
        }
    }

    /// True for [`Exposure::World`].
    pub fn is_world(&self) -> bool {
        matches!(self, Self::World { .. })
    }

    /// Evidence text, e.g. `"the whole internet (all public IPv4)"`.
    pub fn describe(&self) -> String {
        match self {
            Self::World { admitted } => format!("the whole internet ({})", admitted.describe()),
            Self::Large { admitted, .. } => {
                format!("a large part of the internet ({})", admitted.describe())
            }
            Self::Some { admitted, .. } => {
                format!("part of the internet ({})", admitted.describe())
            }
            Self::None => "no internet addresses".to_string(),
        }
    }
}

/// [`internet_share_with`] using [`Thresholds::default`].
pub fn internet_share(sources: &AddrSet, vpc_cidrs: &AddrSet) -> Exposure {
    internet_share_with(sources, vpc_cidrs, &Thresholds::default())
}

/// Classifies how much of the internet `sources` covers.
///
/// The internet is [`public_internet`] minus `vpc_cidrs`: a VPC may use
/// public ranges (BYOIP or "borrowed" space) internally, and traffic from
/// those addresses is VPC-local, never from the internet. Admitting all of
/// the remaining internet of a family is [`Exposure::World`].
pub fn internet_share_with(sources: &AddrSet, vpc_cidrs: &AddrSet, t: &Thresholds) -> Exposure {
    let internet = public_internet().difference(vpc_cidrs);
    let admitted = sources.intersection(&internet);
    if admitted.is_empty() {
        return Exposure::None;
    }
    let world_v4 = !internet.v4().is_empty() && admitted.v4() == internet.v4();
    let world_v6 = !internet.v6().is_empty() && admitted.v6() == internet.v6();
    if world_v4 || world_v6 {
        return Exposure::World { admitted };
    }
    let v4 = admitted.count_v4();
    let v6 = admitted.count_v6();
    if v4 > t.v4 || v6 > t.v6 {
        Exposure::Large { admitted, v4, v6 }
    } else {
        Exposure::Some { admitted, v4, v6 }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> AddrSet {
        v.iter().map(|s| s.parse::<IpNet>().unwrap()).collect()
    }
    fn share(v: &[&str]) -> Exposure {
        internet_share(&set(v), &set(&["10.0.0.0/16"]))
    }

    #[test]
    fn lists_parse() {
        assert_eq!(parse_all(SPECIAL_V4).len(), SPECIAL_V4.len());
        assert_eq!(parse_all(SPECIAL_V6).len(), SPECIAL_V6.len());
    }

    #[test]
    fn public_membership_twins() {
        let p = public_internet();
        for yes in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "2600::1",
            "2a00::1",
        ] {
            assert!(p.contains(yes.parse().unwrap()), "{yes}");
        }
        for no in [
            "10.1.2.3",
            "100.64.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "203.0.113.7",
            "224.0.0.1",
            "255.255.255.255",
            "0.1.2.3",
            "::1",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "2002::1",
            "ff02::1",
            "4000::1",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
        ] {
            assert!(!p.contains(no.parse().unwrap()), "{no}");
        }
    }

    #[test]
    fn halves_are_world_one_half_is_large() {
        assert!(share(&["0.0.0.0/1", "128.0.0.0/1"]).is_world());
        let half = share(&["0.0.0.0/1"]);
        assert!(matches!(half, Exposure::Large { .. }), "{half:?}");
        assert!(!half.is_world());
    }

    #[test]
    fn world_minus_a_slash_24() {
        let e = share(&["0.0.0.0/0"]);
        assert!(e.is_world());
        // 8.8.8.0/24 is public; removing it makes the share Large.
        let s = AddrSet::all_v4().difference(&set(&["8.8.8.0/24"]));
        let e = internet_share(&s, &AddrSet::empty());
        assert!(matches!(e, Exposure::Large { .. }), "{e:?}");
        assert!(e.describe().contains("8.8.8.0/24"), "{}", e.describe());
        // Removing a special-purpose /24 changes nothing: still World.
        let s = AddrSet::all_v4().difference(&set(&["203.0.113.0/24"]));
        assert!(internet_share(&s, &AddrSet::empty()).is_world());
    }

    #[test]
    fn private_is_none() {
        assert_eq!(share(&["10.0.0.0/8"]), Exposure::None);
        assert_eq!(share(&["fd00::/8", "192.168.0.0/16"]), Exposure::None);
        assert_ne!(share(&["11.0.0.0/8"]), Exposure::None);
    }

    #[test]
    fn vpc_public_ranges_are_not_internet() {
        let vpc = set(&["8.8.0.0/16"]);
        assert_eq!(internet_share(&set(&["8.8.0.0/16"]), &vpc), Exposure::None);
        // World minus the VPC's own public range is still the world.
        let s = AddrSet::all_v4().difference(&vpc);
        assert!(internet_share(&s, &vpc).is_world());
        assert!(!internet_share(&s, &AddrSet::empty()).is_world());
    }

    #[test]
    fn ipv6_world() {
        assert!(share(&["::/0"]).is_world());
        assert!(share(&["2000::/3"]).is_world());
        assert!(!share(&["2000::/4"]).is_world());
        assert!(matches!(share(&["2000::/4"]), Exposure::Large { .. }));
    }

    #[test]
    fn thresholds_are_strict() {
        // Exactly a /8 (public) is Some, one more address is Large.
        let e = share(&["11.0.0.0/8"]);
        assert!(matches!(e, Exposure::Some { v4: 16_777_216, .. }), "{e:?}");
        assert!(matches!(
            share(&["11.0.0.0/8", "12.0.0.0/32"]),
            Exposure::Large { .. }
        ));
        assert!(matches!(share(&["2600::/32"]), Exposure::Some { .. }));
        assert!(matches!(share(&["2600::/31"]), Exposure::Large { .. }));
        let tight = Thresholds { v4: 255, v6: 0 };
        assert!(matches!(
            internet_share_with(&set(&["8.8.8.0/24"]), &AddrSet::empty(), &tight),
            Exposure::Large { .. }
        ));
    }

    #[test]
    fn single_host_is_some() {
        let e = share(&["8.8.8.8/32"]);
        assert!(matches!(e, Exposure::Some { v4: 1, v6: 0, .. }));
        assert_eq!(e.admitted(), Some(&set(&["8.8.8.8/32"])));
        assert_eq!(e.rank(), 1);
        assert_eq!(Exposure::None.admitted(), None);
    }
}
