//! Generic sets of integers stored as sorted, disjoint, non-adjacent
//! inclusive ranges.
//!
//! Every public set type in this module tree (addresses, ports) is built on
//! [`IntervalSet`]. All binary operations are linear merges over the two
//! sorted range lists; construction from arbitrary ranges is a sort plus one
//! merge pass, so normalisation is `O(n log n)` and never quadratic.

use std::fmt::Debug;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

/// An unsigned integer type usable as an interval-set element.
pub trait Point: Copy + Ord + Debug + Hash + Send + Sync + 'static {
    /// Smallest value of the domain.
    const MIN: Self;
    /// Largest value of the domain.
    const MAX: Self;
    /// `self + 1`, or `None` at `MAX`.
    fn succ(self) -> Option<Self>;
    /// `self - 1`, or `None` at `MIN`.
    fn pred(self) -> Option<Self>;
    /// Number of values in `lo..=hi`, saturating at `u128::MAX`.
    fn span(lo: Self, hi: Self) -> u128;
}

macro_rules! impl_point {
    ($t:ty) => {
        impl Point for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
            fn succ(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn pred(self) -> Option<Self> {
                self.checked_sub(1)
            }
            fn span(lo: Self, hi: Self) -> u128 {
                u128::from(hi.saturating_sub(lo)).saturating_add(1)
            }
        }
    };
}
impl_point!(u16);
impl_point!(u32);
impl_point!(u128);

/// A set of integers as sorted, disjoint, non-adjacent inclusive ranges.
///
/// The representation is canonical, so `==` is set equality and `Hash`/`Ord`
/// are consistent with it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(from = "Vec<(T, T)>", into = "Vec<(T, T)>")]
pub struct IntervalSet<T: Point> {
    ranges: Vec<(T, T)>,
}

impl<T: Point> Default for IntervalSet<T> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<T: Point> From<Vec<(T, T)>> for IntervalSet<T> {
    fn from(v: Vec<(T, T)>) -> Self {
        Self::from_ranges(v)
    }
}

impl<T: Point> From<IntervalSet<T>> for Vec<(T, T)> {
    fn from(s: IntervalSet<T>) -> Self {
        s.ranges
    }
}

impl<T: Point> FromIterator<(T, T)> for IntervalSet<T> {
    fn from_iter<I: IntoIterator<Item = (T, T)>>(iter: I) -> Self {
        Self::from_ranges(iter)
    }
}

/// Appends `(lo, hi)` to a sorted range list, merging with the last range if
/// they overlap or touch. Ranges must be pushed in ascending `lo` order.
fn push_merge<T: Point>(out: &mut Vec<(T, T)>, lo: T, hi: T) {
    if let Some(last) = out.last_mut() {
        let touches = match last.1.succ() {
            Some(next) => lo <= next,
            None => true, // last already reaches MAX
        };
        if touches {
            if hi > last.1 {
                last.1 = hi;
            }
            return;
        }
    }
    out.push((lo, hi));
}

impl<T: Point> IntervalSet<T> {
    /// The empty set.
    pub const fn empty() -> Self {
        Self { ranges: Vec::new() }
    }

    /// The whole domain `MIN..=MAX`.
    pub fn all() -> Self {
        Self {
            ranges: vec![(T::MIN, T::MAX)],
        }
    }

    /// The single range `lo..=hi` (empty if `lo > hi`).
    pub fn range(lo: T, hi: T) -> Self {
        if lo > hi {
            Self::empty()
        } else {
            Self {
                ranges: vec![(lo, hi)],
            }
        }
    }

    /// Builds a set from arbitrary inclusive ranges (any order, overlaps
    /// allowed; ranges with `lo > hi` are ignored). Sort + one merge pass.
    pub fn from_ranges<I: IntoIterator<Item = (T, T)>>(iter: I) -> Self {
        let mut v: Vec<(T, T)> = iter.into_iter().filter(|(lo, hi)| lo <= hi).collect();
        v.sort_unstable();
        let mut out = Vec::with_capacity(v.len());
        for (lo, hi) in v {
            push_merge(&mut out, lo, hi);
        }
        Self { ranges: out }
    }

    /// The canonical ranges, ascending.
    pub fn ranges(&self) -> &[(T, T)] {
        &self.ranges
    }

    /// True if the set has no elements.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// True if the set is the whole domain.
    pub fn is_all(&self) -> bool {
        self.ranges.as_slice() == [(T::MIN, T::MAX)]
    }

    /// Number of elements, saturating at `u128::MAX`.
    pub fn count(&self) -> u128 {
        self.ranges
            .iter()
            .fold(0u128, |acc, &(lo, hi)| acc.saturating_add(T::span(lo, hi)))
    }

    /// Membership test (binary search).
    pub fn contains(&self, x: T) -> bool {
        let i = self.ranges.partition_point(|&(_, hi)| hi < x);
        self.ranges.get(i).is_some_and(|&(lo, _)| lo <= x)
    }

    /// Set union (linear merge).
    pub fn union(&self, other: &Self) -> Self {
        let (a, b) = (&self.ranges, &other.ranges);
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (a.iter().peekable(), b.iter().peekable());
        loop {
            let next = match (i.peek(), j.peek()) {
                (Some(x), Some(y)) => {
                    if x.0 <= y.0 {
                        i.next()
                    } else {
                        j.next()
                    }
                }
                (Some(_), None) => i.next(),
                (None, Some(_)) => j.next(),
                (None, None) => break,
            };
            if let Some(&(lo, hi)) = next {
                push_merge(&mut out, lo, hi);
            }
        }
        Self { ranges: out }
    }

    /// Set intersection (linear two-pointer sweep).
    pub fn intersection(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let (mut i, mut j) = (self.ranges.iter(), other.ranges.iter());
        let (mut x, mut y) = (i.next(), j.next());
        while let (Some(&(alo, ahi)), Some(&(blo, bhi))) = (x, y) {
            let lo = alo.max(blo);
            let hi = ahi.min(bhi);
            if lo <= hi {
                out.push((lo, hi));
            }
            if ahi < bhi {
                x = i.next();
            } else {
                y = j.next();
            }
        }
        Self { ranges: out }
    }

    /// Complement within the whole domain `MIN..=MAX`.
    pub fn complement(&self) -> Self {
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        let mut cursor = Some(T::MIN);
        for &(lo, hi) in &self.ranges {
            if let Some(c) = cursor
                && c < lo
                && let Some(end) = lo.pred()
            {
                out.push((c, end));
            }
            cursor = hi.succ();
        }
        if let Some(c) = cursor {
            out.push((c, T::MAX));
        }
        Self { ranges: out }
    }

    /// Set difference `self \ other` (linear sweep).
    pub fn difference(&self, other: &Self) -> Self {
        let mut out = Vec::with_capacity(self.ranges.len());
        let mut j = 0usize;
        let b = &other.ranges;
        for &(lo, hi) in &self.ranges {
            // Skip subtrahend ranges entirely below this range.
            while b.get(j).is_some_and(|&(_, bhi)| bhi < lo) {
                j += 1;
            }
            let mut cur = Some(lo);
            let mut k = j;
            while let (Some(c), Some(&(blo, bhi))) = (cur, b.get(k)) {
                if blo > hi {
                    break;
                }
                if c < blo
                    && let Some(end) = blo.pred()
                {
                    out.push((c, end));
                }
                cur = if bhi >= hi {
                    None
                } else {
                    bhi.succ().map(|n| n.max(c))
                };
                k += 1;
            }
            if let Some(c) = cur
                && c <= hi
            {
                out.push((c, hi));
            }
            // A subtrahend range may span into the next minuend range, so do
            // not advance `j` past the last one that overlapped.
            j = k.saturating_sub(1).max(j);
        }
        Self { ranges: out }
    }

    /// True if every element of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.ranges.iter().all(|&(lo, hi)| {
            let i = other.ranges.partition_point(|&(_, ohi)| ohi < lo);
            other
                .ranges
                .get(i)
                .is_some_and(|&(olo, ohi)| olo <= lo && hi <= ohi)
        })
    }

    /// True if the two sets share at least one element.
    pub fn intersects(&self, other: &Self) -> bool {
        let (mut i, mut j) = (self.ranges.iter(), other.ranges.iter());
        let (mut x, mut y) = (i.next(), j.next());
        while let (Some(&(alo, ahi)), Some(&(blo, bhi))) = (x, y) {
            if alo.max(blo) <= ahi.min(bhi) {
                return true;
            }
            if ahi < bhi {
                x = i.next();
            } else {
                y = j.next();
            }
        }
        false
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn s(v: &[(u16, u16)]) -> IntervalSet<u16> {
        IntervalSet::from_ranges(v.iter().copied())
    }

    #[test]
    fn normalises_overlaps_and_adjacency() {
        assert_eq!(
            s(&[(5, 9), (1, 3), (4, 4), (20, 30), (25, 26)]).ranges(),
            &[(1, 9), (20, 30)]
        );
        assert_eq!(s(&[(9, 5)]), IntervalSet::empty());
        assert_ne!(s(&[(1, 3), (5, 6)]).ranges(), &[(1, 6)]);
    }

    #[test]
    fn complement_edges() {
        assert_eq!(IntervalSet::<u16>::all().complement(), IntervalSet::empty());
        assert_eq!(IntervalSet::<u16>::empty().complement(), IntervalSet::all());
        assert_eq!(
            s(&[(0, 0), (65535, 65535)]).complement().ranges(),
            &[(1, 65534)]
        );
        assert_ne!(s(&[(0, 0)]).complement(), IntervalSet::all());
    }

    #[test]
    fn difference_spanning() {
        let a = s(&[(0, 10), (20, 30), (40, 50)]);
        let b = s(&[(5, 25), (45, 65535)]);
        assert_eq!(a.difference(&b).ranges(), &[(0, 4), (26, 30), (40, 44)]);
        assert_eq!(a.difference(&IntervalSet::empty()), a);
        assert!(a.difference(&IntervalSet::all()).is_empty());
    }

    #[test]
    fn contains_and_subset() {
        let a = s(&[(10, 20), (30, 40)]);
        assert!(a.contains(10) && a.contains(20) && a.contains(35));
        assert!(!a.contains(9) && !a.contains(21) && !a.contains(41));
        assert!(s(&[(12, 18)]).is_subset(&a));
        assert!(!s(&[(18, 31)]).is_subset(&a));
        assert!(a.intersects(&s(&[(40, 50)])));
        assert!(!a.intersects(&s(&[(41, 50)])));
    }

    #[test]
    fn count_saturates() {
        assert_eq!(IntervalSet::<u128>::all().count(), u128::MAX);
        assert_eq!(IntervalSet::<u32>::all().count(), 1u128 << 32);
        assert_eq!(IntervalSet::<u16>::empty().count(), 0);
    }
}
