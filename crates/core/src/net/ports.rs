//! [`PortSet`] and [`Protocol`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::interval::IntervalSet;

/// A set of TCP/UDP ports in `0..=65535`.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PortSet(IntervalSet<u16>);

/// At most this many port ranges are spelled out by [`PortSet::describe`].
const PORT_LIST_LIMIT: usize = 8;

impl PortSet {
    /// No ports.
    pub const fn empty() -> Self {
        Self(IntervalSet::empty())
    }

    /// All ports `0..=65535`.
    pub fn all() -> Self {
        Self(IntervalSet::all())
    }

    /// One port.
    pub fn single(p: u16) -> Self {
        Self(IntervalSet::range(p, p))
    }

    /// Ports `a..=b`; empty if `a > b`.
    pub fn range(a: u16, b: u16) -> Self {
        Self(IntervalSet::range(a, b))
    }

    /// From arbitrary inclusive ranges.
    pub fn from_ranges<I: IntoIterator<Item = (u16, u16)>>(iter: I) -> Self {
        Self(IntervalSet::from_ranges(iter))
    }

    /// From an AWS `FromPort`/`ToPort` pair. `-1`, a missing value or a
    /// `0..=65535` pair means all ports (AWS uses `-1` with protocol `-1`
    /// and for "all ICMP"); out-of-range values are clamped.
    pub fn from_aws(from: Option<i32>, to: Option<i32>) -> Self {
        match (from, to) {
            (None, _) | (_, None) | (Some(-1), _) | (_, Some(-1)) => Self::all(),
            (Some(a), Some(b)) => {
                let clamp = |x: i32| u16::try_from(x.clamp(0, 65535)).unwrap_or(u16::MAX);
                Self::range(clamp(a), clamp(b))
            }
        }
    }

    /// The underlying interval set.
    pub fn intervals(&self) -> &IntervalSet<u16> {
        &self.0
    }

    /// Canonical inclusive ranges, ascending.
    pub fn ranges(&self) -> &[(u16, u16)] {
        self.0.ranges()
    }

    /// Set union.
    pub fn union(&self, o: &Self) -> Self {
        Self(self.0.union(&o.0))
    }

    /// Set intersection.
    pub fn intersection(&self, o: &Self) -> Self {
        Self(self.0.intersection(&o.0))
    }

    /// Set difference.
    pub fn difference(&self, o: &Self) -> Self {
        Self(self.0.difference(&o.0))
    }

    /// Complement within `0..=65535`.
    pub fn complement(&self) -> Self {
        Self(self.0.complement())
    }

    /// True if no port.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True if all 65,536 ports.
    pub fn is_all(&self) -> bool {
        self.0.is_all()
    }

    /// Membership.
    pub fn contains(&self, p: u16) -> bool {
        self.0.contains(p)
    }

    /// `self ⊆ o`.
    pub fn is_subset(&self, o: &Self) -> bool {
        self.0.is_subset(&o.0)
    }

    /// `self ⊇ o`.
    pub fn is_superset(&self, o: &Self) -> bool {
        o.0.is_subset(&self.0)
    }

    /// True if the sets share a port.
    pub fn intersects(&self, o: &Self) -> bool {
        self.0.intersects(&o.0)
    }

    /// Number of ports (at most 65,536).
    pub fn count(&self) -> u32 {
        u32::try_from(self.0.count()).unwrap_or(u32::MAX)
    }

    /// `"all ports"`, `"none"`, `"22"`, `"8000-8080"`, `"22, 80, 443"`; more
    /// than eight ranges are cut with `"… (N ranges)"`.
    pub fn describe(&self) -> String {
        if self.is_all() {
            return "all ports".to_string();
        }
        if self.is_empty() {
            return "none".to_string();
        }
        let r = self.ranges();
        let mut parts: Vec<String> = r
            .iter()
            .take(PORT_LIST_LIMIT)
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        if r.len() > PORT_LIST_LIMIT {
            parts.push(format!("… ({} ranges)", r.len()));
        }
        parts.join(", ")
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// An IP protocol as AWS names it in security groups and network ACLs.
///
/// Canonical: the well-known numbers always map to their named variant, so
/// `Other(n)` never holds 1, 6, 17 or 58 when built by [`Protocol::from_number`]
/// or parsing (use [`Protocol::canonical`] if you build `Other` by hand).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Protocol {
    /// `-1`: every protocol (and every port).
    All,
    /// ICMP, number 1.
    Icmp,
    /// TCP, number 6.
    Tcp,
    /// UDP, number 17.
    Udp,
    /// ICMPv6, number 58.
    Icmpv6,
    /// Any other IANA protocol number.
    Other(u8),
}

/// Error from parsing a protocol string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseProtocolError(pub String);

impl fmt::Display for ParseProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown IP protocol {:?}", self.0)
    }
}

impl std::error::Error for ParseProtocolError {}

impl Protocol {
    /// From an IANA protocol number, canonicalised.
    pub fn from_number(n: u8) -> Self {
        match n {
            1 => Self::Icmp,
            6 => Self::Tcp,
            17 => Self::Udp,
            58 => Self::Icmpv6,
            n => Self::Other(n),
        }
    }

    /// The IANA number; `None` for [`Protocol::All`].
    pub fn number(self) -> Option<u8> {
        match self {
            Self::All => None,
            Self::Icmp => Some(1),
            Self::Tcp => Some(6),
            Self::Udp => Some(17),
            Self::Icmpv6 => Some(58),
            Self::Other(n) => Some(n),
        }
    }

    /// The same protocol with `Other(6)` etc. folded into named variants.
    pub fn canonical(self) -> Self {
        match self {
            Self::Other(n) => Self::from_number(n),
            p => p,
        }
    }

    /// True for TCP and UDP, the only protocols whose rules use port ranges.
    /// For every other protocol AWS port fields are ignored (ICMP type/code
    /// are treated as "all" in this model).
    pub fn has_ports(self) -> bool {
        matches!(self.canonical(), Self::Tcp | Self::Udp)
    }

    /// True if a rule for `self` applies to traffic of protocol `traffic`
    /// (`-1` rules apply to everything).
    pub fn covers(self, traffic: Protocol) -> bool {
        self == Self::All || self.canonical() == traffic.canonical()
    }

    /// The AWS spelling used in output: `"-1"`, `"tcp"`, `"udp"`, `"icmp"`,
    /// `"icmpv6"` or the decimal number.
    pub fn aws_name(self) -> String {
        match self.canonical() {
            Self::All => "-1".to_string(),
            Self::Icmp => "icmp".to_string(),
            Self::Tcp => "tcp".to_string(),
            Self::Udp => "udp".to_string(),
            Self::Icmpv6 => "icmpv6".to_string(),
            Self::Other(n) => n.to_string(),
        }
    }
}

impl FromStr for Protocol {
    type Err = ParseProtocolError;

    /// Accepts the AWS forms: names (`tcp`, `udp`, `icmp`, `icmpv6`, `all`;
    /// any case) and numbers (`-1`, `6`, `17`, `1`, `58`, any `0..=255`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "-1" | "all" => Ok(Self::All),
            "tcp" => Ok(Self::Tcp),
            "udp" => Ok(Self::Udp),
            "icmp" => Ok(Self::Icmp),
            "icmpv6" | "icmp6" | "ipv6-icmp" => Ok(Self::Icmpv6),
            other => other
                .parse::<u8>()
                .map(Self::from_number)
                .map_err(|_| ParseProtocolError(s.to_string())),
        }
    }
}

impl TryFrom<String> for Protocol {
    type Error = ParseProtocolError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Protocol> for String {
    fn from(p: Protocol) -> Self {
        p.aws_name()
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.aws_name())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn port_describe() {
        assert_eq!(PortSet::single(22).describe(), "22");
        assert_eq!(PortSet::range(8000, 8080).describe(), "8000-8080");
        assert_eq!(PortSet::all().describe(), "all ports");
        assert_eq!(PortSet::range(0, 65534).describe(), "0-65534");
        assert_eq!(PortSet::empty().describe(), "none");
        assert_eq!(PortSet::range(5, 4).describe(), "none");
        let many = PortSet::from_ranges((0..10).map(|i| (i * 10, i * 10)));
        assert_eq!(
            many.describe(),
            "0, 10, 20, 30, 40, 50, 60, 70, … (10 ranges)"
        );
        assert_eq!(
            PortSet::from_ranges([(443, 443), (22, 22), (80, 80)]).describe(),
            "22, 80, 443"
        );
    }

    #[test]
    fn port_ops() {
        let web = PortSet::from_ranges([(80, 80), (443, 443)]);
        assert!(web.contains(443) && !web.contains(444));
        assert_eq!(web.count(), 2);
        assert_eq!(PortSet::all().count(), 65536);
        assert_eq!(web.complement().count(), 65534);
        assert!(web.is_subset(&PortSet::range(80, 443)));
        assert!(!PortSet::range(80, 443).is_subset(&web));
        assert!(PortSet::range(80, 443).is_superset(&web));
        assert_eq!(
            PortSet::range(0, 100).difference(&PortSet::range(50, 200)),
            PortSet::range(0, 49)
        );
        assert_eq!(
            PortSet::range(0, 100).intersection(&PortSet::range(50, 200)),
            PortSet::range(50, 100)
        );
        assert_eq!(
            PortSet::range(0, 100).union(&PortSet::range(101, 65535)),
            PortSet::all()
        );
        assert!(!PortSet::range(0, 100).intersects(&PortSet::range(101, 200)));
    }

    #[test]
    fn ports_from_aws() {
        assert_eq!(PortSet::from_aws(Some(-1), Some(-1)), PortSet::all());
        assert_eq!(PortSet::from_aws(None, None), PortSet::all());
        assert_eq!(PortSet::from_aws(Some(22), Some(22)), PortSet::single(22));
        assert_eq!(PortSet::from_aws(Some(0), Some(70000)), PortSet::all());
        assert_ne!(PortSet::from_aws(Some(1), Some(65535)), PortSet::all());
    }

    #[test]
    fn protocol_parse() {
        let cases = [
            ("tcp", Protocol::Tcp),
            ("TCP", Protocol::Tcp),
            ("6", Protocol::Tcp),
            ("udp", Protocol::Udp),
            ("17", Protocol::Udp),
            ("icmp", Protocol::Icmp),
            ("1", Protocol::Icmp),
            ("icmpv6", Protocol::Icmpv6),
            ("58", Protocol::Icmpv6),
            ("-1", Protocol::All),
            ("all", Protocol::All),
            ("47", Protocol::Other(47)),
            ("0", Protocol::Other(0)),
        ];
        for (s, p) in cases {
            assert_eq!(s.parse::<Protocol>(), Ok(p), "{s}");
        }
        for bad in ["", "256", "-2", "sctpx", "6.0"] {
            assert!(bad.parse::<Protocol>().is_err(), "{bad}");
        }
    }

    #[test]
    fn protocol_semantics() {
        assert!(Protocol::All.covers(Protocol::Udp));
        assert!(Protocol::Tcp.covers(Protocol::Other(6)));
        assert!(!Protocol::Tcp.covers(Protocol::Udp));
        assert!(!Protocol::Tcp.covers(Protocol::All));
        assert!(Protocol::Other(17).has_ports());
        assert!(!Protocol::Icmp.has_ports());
        assert!(!Protocol::All.has_ports());
        assert_eq!(Protocol::Other(6).canonical(), Protocol::Tcp);
        assert_eq!(Protocol::Tcp.number(), Some(6));
        assert_eq!(Protocol::All.number(), None);
        assert_eq!(Protocol::Other(47).to_string(), "47");
        assert_eq!(Protocol::Other(58).to_string(), "icmpv6");
    }

    #[test]
    fn protocol_serde_roundtrip_via_string() {
        let s: String = Protocol::Udp.into();
        assert_eq!(s, "udp");
        assert_eq!(Protocol::try_from(s), Ok(Protocol::Udp));
    }
}
