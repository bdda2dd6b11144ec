//! What a security group rule admits: from how far away, on which port.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

use crate::model::SecurityGroupPeer;

/// How far away the peers a rule admits are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PeerReach {
    /// A security group reference: only members of that group.
    SecurityGroup,
    /// A managed prefix list: judged by whoever maintains the list.
    PrefixList,
    /// A range of private (RFC 1918, CGNAT, ULA) addresses.
    PrivateRange,
    /// A range that contains public internet addresses.
    PublicRange,
    /// 0.0.0.0/0 or ::/0.
    World,
}

impl PeerReach {
    pub fn of(peer: &SecurityGroupPeer) -> PeerReach {
        match peer {
            SecurityGroupPeer::SecurityGroup { .. } => PeerReach::SecurityGroup,
            SecurityGroupPeer::PrefixList(_) => PeerReach::PrefixList,
            _ if peer.is_world() => PeerReach::World,
            SecurityGroupPeer::Ipv4(net) if is_private_v4(net) => PeerReach::PrivateRange,
            SecurityGroupPeer::Ipv6(net) if is_private_v6(net) => PeerReach::PrivateRange,
            _ => PeerReach::PublicRange,
        }
    }

    /// The internet, or part of it.
    pub fn is_internet(self) -> bool {
        matches!(self, PeerReach::World | PeerReach::PublicRange)
    }
}

fn is_private_v4(net: &Ipv4Net) -> bool {
    const PRIVATE: [(Ipv4Addr, u8); 4] = [
        (Ipv4Addr::new(10, 0, 0, 0), 8),
        (Ipv4Addr::new(172, 16, 0, 0), 12),
        (Ipv4Addr::new(192, 168, 0, 0), 16),
        (Ipv4Addr::new(100, 64, 0, 0), 10),
    ];
    PRIVATE
        .iter()
        .any(|(addr, len)| Ipv4Net::new(*addr, *len).is_ok_and(|private| private.contains(net)))
}

fn is_private_v6(net: &Ipv6Net) -> bool {
    Ipv6Net::new(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7).is_ok_and(|ula| ula.contains(net))
}

/// The port an RDS engine listens on by default.
pub fn default_db_port(engine: &str) -> Option<u16> {
    let engine = engine.to_ascii_lowercase();
    let port = if engine.contains("postgres") {
        5432
    } else if engine.contains("mysql") || engine.contains("mariadb") || engine == "aurora" {
        3306
    } else if engine.starts_with("oracle") {
        1521
    } else if engine.starts_with("sqlserver") {
        1433
    } else if engine.starts_with("db2") {
        50000
    } else {
        return None;
    };
    Some(port)
}
