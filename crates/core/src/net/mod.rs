//! Set arithmetic for vpcaudit's reachability model.
//!
//! * [`AddrSet`]: IPv4 + IPv6 address sets (sorted interval lists).
//! * [`public_internet`] / [`internet_share`]: what "the internet" is and how
//!   much of it a source set admits ([`Exposure`]).
//! * [`PortSet`], [`Protocol`], [`PortMap`], [`FlowSet`]: ports, protocols
//!   and `(protocol, port, address)` boxes.
//! * [`RouteTable`]: longest-prefix-match routing, split over address sets.
//! * [`NetworkAcl`]: stateless first-match network ACLs.
//! * [`sg`]: stateful allow-only security groups.
//!
//! Performance: every set is kept canonical (sorted, disjoint, merged);
//! construction is sort + one merge pass and every binary operation is a
//! linear merge, so nothing is quadratic in the number of ranges. Route
//! tables are flattened once at construction; lookups are binary searches.
//! This matters because the model calls these per ENI for ~100,000
//! resources.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod addr;
mod describe;
pub mod flow;
pub mod internet;
pub mod interval;
pub mod nacl;
pub mod portmap;
pub mod ports;
pub mod routing;
pub mod sg;

#[cfg(test)]
mod proptests;

pub use addr::AddrSet;
pub use flow::FlowSet;
pub use internet::{Exposure, Thresholds, internet_share, internet_share_with, public_internet};
pub use interval::{IntervalSet, Point};
pub use nacl::{DEFAULT_DENY_RULE, Direction, NaclEntry, NetworkAcl, RuleAction};
pub use portmap::PortMap;
pub use ports::{ParseProtocolError, PortSet, Protocol};
pub use routing::{Route, RouteDest, RouteTable};
pub use sg::{SgPeer, SgRule};
