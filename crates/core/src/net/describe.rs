//! Human descriptions of address sets, used as evidence text in findings.
//! Short and deterministic: the same set always yields the same string.

use ipnet::IpNet;

use super::addr::AddrSet;
use super::internet::public_internet;

/// At most this many CIDRs are spelled out.
const LIST_LIMIT: usize = 3;

/// `1234567` -> `"1,234,567"`.
pub(crate) fn thousands(n: u128) -> String {
    let digits = n.to_string();
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// IPv6 counts are astronomically large; above 2^64 they are given as a
/// power of two (rounded down), which is what a reader can compare.
fn count_text(n: u128, v6: bool) -> String {
    if v6 && n > (1u128 << 64) {
        if n == u128::MAX {
            return "2^128".to_string();
        }
        let k = 127 - n.leading_zeros();
        if n.is_power_of_two() {
            format!("2^{k}")
        } else {
            format!("more than 2^{k}")
        }
    } else {
        thousands(n)
    }
}

fn join(nets: &[IpNet]) -> String {
    nets.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The CIDRs of a single-family set if there are at most [`LIST_LIMIT`].
/// Cheap: more ranges than the limit means more CIDRs, so the decomposition
/// is only computed for a handful of ranges.
fn few_cidrs(s: &AddrSet) -> Option<Vec<IpNet>> {
    let ranges = s.v4().ranges().len() + s.v6().ranges().len();
    if ranges > LIST_LIMIT {
        return None;
    }
    let c = s.to_cidrs();
    (c.len() <= LIST_LIMIT).then_some(c)
}

/// Describes one family's part; `s` holds only that family.
fn describe_family(s: &AddrSet, full: &AddrSet, public: &AddrSet, name: &str) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    if s == full {
        return Some(format!("all {name}"));
    }
    if s == public {
        return Some(format!("all public {name}"));
    }
    if let Some(missing) = few_cidrs(&full.difference(s)) {
        return Some(format!("all {name} except {}", join(&missing)));
    }
    if s.is_subset(public)
        && let Some(missing) = few_cidrs(&public.difference(s))
    {
        return Some(format!("all public {name} except {}", join(&missing)));
    }
    if s.is_superset(public)
        && let Some(extra) = few_cidrs(&s.difference(public))
    {
        return Some(format!("all public {name} plus {}", join(&extra)));
    }
    if let Some(list) = few_cidrs(s) {
        return Some(join(&list));
    }
    let is_v6 = !s.v6().is_empty();
    let (ranges, count) = if is_v6 {
        (s.v6().ranges().len(), s.count_v6())
    } else {
        (s.v4().ranges().len(), u128::from(s.count_v4()))
    };
    let example = if is_v6 {
        s.v6().ranges().first().map(|&(lo, hi)| {
            AddrSet::from_v6_range(lo.into(), hi.into())
                .v6_cidrs()
                .into_iter()
                .next()
        })
    } else {
        s.v4().ranges().first().map(|&(lo, hi)| {
            AddrSet::from_v4_range(lo.into(), hi.into())
                .v4_cidrs()
                .into_iter()
                .next()
        })
    }
    .flatten()
    .map(|n| format!(" (e.g. {n}, …)"))
    .unwrap_or_default();
    let public_word = if s.is_subset(public) { "public " } else { "" };
    Some(format!(
        "{ranges} ranges, {} {public_word}{name} addresses{example}",
        count_text(count, is_v6)
    ))
}

/// See [`AddrSet::describe`].
pub(crate) fn describe(s: &AddrSet) -> String {
    let public = public_internet();
    let parts: Vec<String> = [
        describe_family(&s.only_v4(), &AddrSet::all_v4(), &public.only_v4(), "IPv4"),
        describe_family(&s.only_v6(), &AddrSet::all_v6(), &public.only_v6(), "IPv6"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "no addresses".to_string()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> AddrSet {
        v.iter().map(|s| s.parse::<IpNet>().unwrap()).collect()
    }

    #[test]
    fn thousands_format() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(16_777_216), "16,777,216");
    }

    #[test]
    fn describe_examples() {
        let p = public_internet();
        assert_eq!(p.only_v4().describe(), "all public IPv4");
        assert_eq!(p.only_v6().describe(), "all public IPv6");
        assert_eq!(p.describe(), "all public IPv4; all public IPv6");
        assert_eq!(AddrSet::all().describe(), "all IPv4; all IPv6");
        assert_eq!(AddrSet::empty().describe(), "no addresses");
        assert_eq!(
            p.only_v4().difference(&set(&["8.8.8.0/24"])).describe(),
            "all public IPv4 except 8.8.8.0/24"
        );
        assert_eq!(
            AddrSet::all_v4()
                .difference(&set(&["203.0.113.0/24"]))
                .describe(),
            "all IPv4 except 203.0.113.0/24"
        );
        assert_eq!(
            p.only_v4().union(&set(&["10.0.0.0/8"])).describe(),
            "all public IPv4 plus 10.0.0.0/8"
        );
        assert_eq!(
            set(&["10.0.0.0/8", "192.168.0.0/16"]).describe(),
            "10.0.0.0/8, 192.168.0.0/16"
        );
        assert_eq!(set(&["2001:db8::/32"]).describe(), "2001:db8::/32");
    }

    #[test]
    fn describe_many_ranges() {
        let s = set(&[
            "1.0.0.0/24",
            "1.0.2.0/24",
            "1.0.4.0/24",
            "1.0.6.0/24",
            "1.0.8.0/24",
        ]);
        assert_eq!(
            s.describe(),
            "5 ranges, 1,280 public IPv4 addresses (e.g. 1.0.0.0/24, …)"
        );
        let s = set(&["10.0.0.0/24", "1.0.2.0/24", "1.0.4.0/24", "1.0.6.0/24"]);
        assert_eq!(
            s.describe(),
            "4 ranges, 1,024 IPv4 addresses (e.g. 1.0.2.0/24, …)"
        );
        let s = set(&["2600::/16", "2602::/16", "2604::/16", "2606::/15"]);
        assert_eq!(
            s.describe(),
            "4 ranges, more than 2^114 public IPv6 addresses (e.g. 2600::/16, …)"
        );
    }

    #[test]
    fn describe_is_deterministic() {
        let a = set(&["1.0.0.0/24", "2600::/16", "10.0.0.0/8"]);
        let b = set(&["10.0.0.0/8", "2600::/16", "1.0.0.0/24"]);
        assert_eq!(a.describe(), b.describe());
        assert_eq!(a.describe(), "1.0.0.0/24, 10.0.0.0/8; 2600::/16");
    }
}
