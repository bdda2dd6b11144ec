//! Routing facts: each subnet's effective route table and what its routes make it.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{Route, RouteDestination, RouteState, RouteTable, RouteTarget, Subnet};

/// What a subnet's routes make it. Decided from routes only, never from names or tags.
#[derive(Debug, Clone, Copy)]
pub enum SubnetClass<'a> {
    /// A default route (IPv4 or IPv6) to an internet gateway.
    Public { route: &'a Route },
    /// No IGW default route; IPv4 default route to a NAT gateway.
    PrivateNat {
        route: &'a Route,
        nat_gateway_id: &'a str,
    },
    /// No IGW default route; default route to a transit gateway, VPN gateway, peering,
    /// firewall endpoint or appliance: central egress designs, legitimate.
    PrivateOther { route: &'a Route },
    /// No working default route at all.
    Isolated,
    /// The subnet has no route table to judge (neither explicit nor main was collected).
    Unknown,
}

impl SubnetClass<'_> {
    pub fn is_public(&self) -> bool {
        matches!(self, SubnetClass::Public { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            SubnetClass::Public { .. } => "public",
            SubnetClass::PrivateNat { .. } => "private-nat",
            SubnetClass::PrivateOther { .. } => "private-other-egress",
            SubnetClass::Isolated => "isolated",
            SubnetClass::Unknown => "unknown",
        }
    }
}

/// A subnet's effective routing: the table that applies and the class it gives.
#[derive(Debug, Clone, Copy)]
pub struct SubnetRouting<'a> {
    pub table: Option<&'a RouteTable>,
    /// True when the table is explicitly associated; false when inherited from the main table.
    pub explicit: bool,
    pub class: SubnetClass<'a>,
}

/// Evidence for a route: which table, which destination, which target.
#[derive(Debug, Clone, Serialize)]
pub struct RouteEvidence {
    pub route_table_id: String,
    pub destination: String,
    pub target: String,
    pub target_kind: String,
    pub state: RouteState,
    /// Whether the subnet uses this table through an explicit association or as the main table.
    pub association: &'static str,
    /// The destination itself, for fingerprint causes (`destination` is display text).
    #[serde(skip)]
    pub route_destination: RouteDestination,
}

impl RouteEvidence {
    pub fn new(table: &RouteTable, route: &Route, explicit: bool) -> RouteEvidence {
        RouteEvidence {
            route_table_id: table.id.clone(),
            destination: route.destination.to_string(),
            target: route.target.id().to_owned(),
            target_kind: route.target.kind_name().to_owned(),
            state: route.state,
            association: if explicit { "explicit" } else { "main" },
            route_destination: route.destination.clone(),
        }
    }
}

/// Finds each subnet's effective route table: its explicit association, else its VPC's main.
pub fn effective_tables<'a>(
    subnets: &'a [Subnet],
    tables: &'a [RouteTable],
) -> HashMap<&'a str, (Option<&'a RouteTable>, bool)> {
    let mut explicit: HashMap<&str, &RouteTable> = HashMap::new();
    let mut main: HashMap<&str, &RouteTable> = HashMap::new();
    for table in tables {
        for assoc in &table.associations {
            if let Some(subnet_id) = assoc.subnet_id.as_deref() {
                explicit.insert(subnet_id, table);
            }
            if assoc.main {
                main.insert(table.vpc_id.as_str(), table);
            }
        }
    }
    subnets
        .iter()
        .map(|s| {
            let entry = match explicit.get(s.id.as_str()) {
                Some(t) => (Some(*t), true),
                None => (main.get(s.vpc_id.as_str()).copied(), false),
            };
            (s.id.as_str(), entry)
        })
        .collect()
}

/// Classifies a subnet from the reachability model: public when some internet range routes to
/// an internet gateway (IPv4 or IPv6, by longest-prefix match over every route); else by how
/// IPv4 (then IPv6) leaves.
pub fn classify<'a>(
    reach: &crate::reach::SubnetReach<'a>,
    network: &crate::reach::Network<'a>,
) -> SubnetClass<'a> {
    use crate::reach::Egress;
    if reach.table.is_none() {
        return SubnetClass::Unknown;
    }
    if let Some(route) = reach.public_route() {
        return SubnetClass::Public { route };
    }
    let v6 = !reach.egress_v4.has_egress() && reach.egress_v6.has_egress();
    let egress = if v6 { reach.egress_v6 } else { reach.egress_v4 };
    if !egress.has_egress() {
        return SubnetClass::Isolated;
    }
    let Some(route) = reach.egress_route(v6) else {
        return SubnetClass::Isolated;
    };
    match (&route.target, egress) {
        (RouteTarget::NatGateway(id), Egress::Nat) => {
            let _ = network;
            SubnetClass::PrivateNat {
                route,
                nat_gateway_id: id,
            }
        }
        _ => SubnetClass::PrivateOther { route },
    }
}
