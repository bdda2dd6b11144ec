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

/// Classifies a route table by its default routes.
pub fn classify(table: Option<&RouteTable>) -> SubnetClass<'_> {
    let Some(table) = table else {
        return SubnetClass::Unknown;
    };
    let defaults = || {
        table
            .routes
            .iter()
            .filter(|r| r.state == RouteState::Active && r.destination.is_default())
    };
    if let Some(route) = defaults().find(|r| matches!(r.target, RouteTarget::InternetGateway(_))) {
        return SubnetClass::Public { route };
    }
    // IPv4 decides the egress path when present; an IPv6-only egress (egress-only IGW) still
    // counts as egress.
    let default_route = defaults()
        .find(|r| matches!(r.destination, RouteDestination::Ipv4(_)))
        .or_else(|| defaults().next());
    match default_route {
        Some(route) => match &route.target {
            RouteTarget::NatGateway(id) => SubnetClass::PrivateNat {
                route,
                nat_gateway_id: id,
            },
            _ => SubnetClass::PrivateOther { route },
        },
        None => SubnetClass::Isolated,
    }
}
