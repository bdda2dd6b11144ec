//! Pictures of the network: one diagram per VPC with availability zones as columns, subnet
//! tiers as rows, the gateways its routes lead to, what runs in each subnet (load balancers
//! from their own records, with kind and scheme), the security-group edges between tiers, the
//! internet paths of the reachability model ([`crate::reach`]: Internet → internet gateway →
//! exposed resource, or → load balancer → its targets, coloured by exposure), and the
//! findings on the resources they are about.
//!
//! The model is built from the same derived facts the rules use ([`ScopeFacts`]), so a subnet
//! drawn as public is exactly the subnet the rules call public. Renderers turn it into
//! Mermaid ([`mermaid`]), Graphviz DOT ([`dot`]) and SVG ([`svg`]); every one escapes what
//! comes from the account, and none needs a network or an external program.

pub mod dot;
pub mod mermaid;
pub mod svg;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::analysis::{ScopeFacts, SgUserKind, SubnetClass};
use crate::config::Settings;
use crate::finding::{Finding, Severity};
use crate::model::{RouteTarget, SecurityGroupPeer, Subnet, Tags};
use crate::net::{PortSet, Protocol};
use crate::reach::{InboundPath, PathHop};
use crate::snapshot::Snapshot;

/// Mermaid's default `maxTextSize`: a longer diagram is refused with "Maximum text size in
/// diagram exceeded".
pub const MERMAID_MAX_TEXT: usize = 50_000;

/// More members of one kind than this in one subnet are drawn as one counted group.
pub const GROUP_ABOVE: usize = 3;

/// A subnet row, decided by the subnet's routes the way the rules decide
/// ([`SubnetClass`]), never by names or tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TierRow {
    Public,
    PrivateNat,
    PrivateOther,
    Isolated,
    Unknown,
}

impl TierRow {
    fn of(class: SubnetClass<'_>) -> TierRow {
        match class {
            SubnetClass::Public { .. } => TierRow::Public,
            SubnetClass::PrivateNat { .. } => TierRow::PrivateNat,
            SubnetClass::PrivateOther { .. } => TierRow::PrivateOther,
            SubnetClass::Isolated => TierRow::Isolated,
            SubnetClass::Unknown => TierRow::Unknown,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            TierRow::Public => "public",
            TierRow::PrivateNat => "private with NAT",
            TierRow::PrivateOther => "private, other egress",
            TierRow::Isolated => "isolated",
            TierRow::Unknown => "routing unknown",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            TierRow::Public => "public",
            TierRow::PrivateNat => "private_nat",
            TierRow::PrivateOther => "private_other",
            TierRow::Isolated => "isolated",
            TierRow::Unknown => "unknown",
        }
    }
}

/// What a box in the diagram is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// Load balancers, from their own records: drawn in each of their zones' subnets.
    ApplicationLb,
    NetworkLb,
    ClassicLb,
    GatewayLb,
    /// A load balancer's interface whose load balancer is not in the inventory.
    LoadBalancer,
    NatGateway,
    Instance,
    Database,
    Function,
    Interface,
    Endpoint,
    ManagedService,
    InternetGateway,
    EgressOnlyGateway,
    TransitGateway,
    Peering,
    VpnGateway,
    /// Any other route target (appliance instance or interface, carrier gateway, …).
    OtherTarget,
    /// The internet, where exposure paths start.
    Internet,
}

impl NodeKind {
    pub fn title(self, count: usize) -> &'static str {
        let many = count != 1;
        match self {
            NodeKind::ApplicationLb if many => "application load balancers",
            NodeKind::ApplicationLb => "application load balancer",
            NodeKind::NetworkLb if many => "network load balancers",
            NodeKind::NetworkLb => "network load balancer",
            NodeKind::ClassicLb if many => "Classic Load Balancers",
            NodeKind::ClassicLb => "Classic Load Balancer",
            NodeKind::GatewayLb if many => "Gateway Load Balancers",
            NodeKind::GatewayLb => "Gateway Load Balancer",
            NodeKind::LoadBalancer if many => "load balancer interfaces",
            NodeKind::LoadBalancer => "load balancer",
            NodeKind::NatGateway if many => "NAT gateways",
            NodeKind::NatGateway => "NAT gateway",
            NodeKind::Instance if many => "EC2 instances",
            NodeKind::Instance => "EC2 instance",
            NodeKind::Database if many => "databases",
            NodeKind::Database => "database",
            NodeKind::Function if many => "Lambda functions",
            NodeKind::Function => "Lambda function",
            NodeKind::Interface if many => "network interfaces",
            NodeKind::Interface => "network interface",
            NodeKind::Endpoint if many => "VPC endpoints",
            NodeKind::Endpoint => "VPC endpoint",
            NodeKind::ManagedService if many => "managed-service interfaces",
            NodeKind::ManagedService => "managed-service interface",
            NodeKind::InternetGateway => "internet gateway",
            NodeKind::EgressOnlyGateway => "egress-only internet gateway",
            NodeKind::TransitGateway => "transit gateway",
            NodeKind::Peering => "VPC peering",
            NodeKind::VpnGateway => "VPN gateway",
            NodeKind::OtherTarget => "route target",
            NodeKind::Internet => "Internet",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            NodeKind::ApplicationLb => "alb",
            NodeKind::NetworkLb => "nlb",
            NodeKind::ClassicLb => "clb",
            NodeKind::GatewayLb => "gwlb",
            NodeKind::LoadBalancer => "lb",
            NodeKind::NatGateway => "nat",
            NodeKind::Instance => "i",
            NodeKind::Database => "db",
            NodeKind::Function => "fn",
            NodeKind::Interface => "eni",
            NodeKind::Endpoint => "vpce",
            NodeKind::ManagedService => "svc",
            NodeKind::InternetGateway => "igw",
            NodeKind::EgressOnlyGateway => "eigw",
            NodeKind::TransitGateway => "tgw",
            NodeKind::Peering => "pcx",
            NodeKind::VpnGateway => "vgw",
            NodeKind::OtherTarget => "target",
            NodeKind::Internet => "internet",
        }
    }

    /// A load balancer of any generation (drawn as a hexagon).
    pub fn is_load_balancer(self) -> bool {
        matches!(
            self,
            NodeKind::ApplicationLb
                | NodeKind::NetworkLb
                | NodeKind::ClassicLb
                | NodeKind::GatewayLb
                | NodeKind::LoadBalancer
        )
    }
}

/// The findings on one box: the worst severity and the rule ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub severity: Option<Severity>,
    pub rule_ids: BTreeSet<String>,
}

impl Flags {
    fn add(&mut self, finding: &Finding) {
        self.severity = self.severity.max(Some(finding.severity));
        self.rule_ids.insert(finding.rule_id.clone());
    }

    fn merge(&mut self, other: &Flags) {
        self.severity = self.severity.max(other.severity);
        self.rule_ids.extend(other.rule_ids.iter().cloned());
    }

    /// `high: NET001, SG002` (at most four ids, then a count), for labels.
    pub fn label(&self) -> Option<String> {
        let severity = self.severity?;
        let mut ids: Vec<&str> = self.rule_ids.iter().map(String::as_str).take(4).collect();
        let more = self.rule_ids.len().saturating_sub(ids.len());
        let more_text = format!("+{more}");
        if more > 0 {
            ids.push(&more_text);
        }
        Some(format!("{severity}: {}", ids.join(", ")))
    }
}

/// One box: a resource (or, once grouped, several of one kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Stable id, `[A-Za-z0-9_]` only, derived from the resource id.
    pub id: String,
    pub kind: NodeKind,
    /// The resource id.
    pub resource_id: String,
    /// The `Name` tag (or the resource's own name), when it differs from the id.
    pub name: Option<String>,
    /// Said after the kind (a load balancer's scheme: `internet-facing`, `internal`).
    pub detail: Option<String>,
    pub flags: Flags,
}

impl Node {
    /// Label lines: kind (and detail), name, id, findings.
    pub fn lines(&self) -> Vec<String> {
        if self.kind == NodeKind::Internet {
            return vec![self.kind.title(1).to_owned()];
        }
        let mut lines = vec![match &self.detail {
            Some(detail) => format!("{} · {detail}", self.kind.title(1)),
            None => self.kind.title(1).to_owned(),
        }];
        if let Some(name) = &self.name {
            lines.push(name.clone());
        }
        lines.push(self.resource_id.clone());
        lines.extend(self.flags.label());
        lines
    }
}

/// What is drawn inside a subnet: single resources, or counted groups of many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member<'a> {
    One(&'a Node),
    Group {
        id: String,
        kind: NodeKind,
        count: usize,
        /// How many members carry each detail (load balancers' schemes).
        details: BTreeMap<String, usize>,
        flags: Flags,
    },
}

impl Member<'_> {
    pub fn id(&self) -> &str {
        match self {
            Member::One(node) => &node.id,
            Member::Group { id, .. } => id,
        }
    }

    pub fn flags(&self) -> &Flags {
        match self {
            Member::One(node) => &node.flags,
            Member::Group { flags, .. } => flags,
        }
    }

    pub fn lines(&self) -> Vec<String> {
        match self {
            Member::One(node) => node.lines(),
            Member::Group {
                kind,
                count,
                details,
                flags,
                ..
            } => {
                let mut lines = vec![format!("{count} × {}", kind.title(*count))];
                if !details.is_empty() {
                    let parts: Vec<String> =
                        details.iter().map(|(d, n)| format!("{n} {d}")).collect();
                    lines.push(parts.join(", "));
                }
                lines.extend(flags.label());
                lines
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetBox {
    pub id: String,
    pub subnet_id: String,
    pub name: Option<String>,
    pub zone: String,
    pub cidr: Option<String>,
    pub tier: TierRow,
    pub flags: Flags,
    /// Every resource in the subnet, ordered by kind then id.
    pub nodes: Vec<Node>,
}

impl SubnetBox {
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(name) = &self.name {
            lines.push(name.clone());
        }
        let mut id_line = format!("{} · {}", self.subnet_id, self.zone);
        if let Some(cidr) = &self.cidr {
            id_line.push_str(&format!(" · {cidr}"));
        }
        lines.push(id_line);
        lines.extend(self.flags.label());
        lines
    }

    /// The members to draw: kinds with more than `group_above` resources become one counted
    /// group carrying the worst severity and every rule id of its resources.
    pub fn members(&self, group_above: usize) -> Vec<Member<'_>> {
        let mut by_kind: BTreeMap<NodeKind, Vec<&Node>> = BTreeMap::new();
        for node in &self.nodes {
            by_kind.entry(node.kind).or_default().push(node);
        }
        let mut members = Vec::new();
        for (kind, nodes) in by_kind {
            if nodes.len() > group_above {
                let mut flags = Flags::default();
                let mut details: BTreeMap<String, usize> = BTreeMap::new();
                for node in &nodes {
                    flags.merge(&node.flags);
                    if let Some(detail) = &node.detail {
                        *details.entry(detail.clone()).or_default() += 1;
                    }
                }
                members.push(Member::Group {
                    id: format!("{}_{}", self.id, kind.slug()),
                    kind,
                    count: nodes.len(),
                    details,
                    flags,
                });
            } else {
                members.extend(nodes.into_iter().map(Member::One));
            }
        }
        members
    }
}

/// How much of the internet an exposure edge admits, as the reachability model judges it
/// ([`crate::net::Exposure`]): the edge's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Exposure {
    /// Some public addresses.
    Some,
    /// A large part of the internet (more than a /8 of IPv4 or a /32 of IPv6).
    Large,
    /// The whole internet of a family.
    World,
}

impl Exposure {
    fn of(exposure: &crate::net::Exposure) -> Option<Exposure> {
        match exposure {
            crate::net::Exposure::World { .. } => Some(Exposure::World),
            crate::net::Exposure::Large { .. } => Some(Exposure::Large),
            crate::net::Exposure::Some { .. } => Some(Exposure::Some),
            crate::net::Exposure::None => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Exposure::World => "world",
            Exposure::Large => "large",
            Exposure::Some => "some",
        }
    }

    /// Line colour: red for the world, orange for a large range, slate for the rest.
    pub fn colour(self) -> &'static str {
        match self {
            Exposure::World => "#dc2626",
            Exposure::Large => "#ea580c",
            Exposure::Some => "#475569",
        }
    }
}

/// Why an edge is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// A tier's routes send traffic to a gateway.
    Route,
    /// A security group of the `to` tier admits a group carried in the `from` tier.
    SecurityGroup,
    /// An internet path of the reachability model: Internet → internet gateway → exposed
    /// resource, or load balancer → its targets, on these protocols and ports.
    Exposure(Exposure),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// A tier id or a node id.
    pub from: String,
    pub to: String,
    /// What the edge carries, one entry per line (destinations, or `app → db on tcp/5432`).
    pub labels: Vec<String>,
}

impl Edge {
    /// The label, at most three entries, then a count (empty: no label).
    pub fn label(&self) -> String {
        let mut shown: Vec<String> = self.labels.iter().take(3).cloned().collect();
        if self.labels.len() > 3 {
            shown.push(format!("+{} more", self.labels.len() - 3));
        }
        shown.join("; ")
    }
}

/// One VPC's picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcDiagram {
    pub id: String,
    pub vpc_id: String,
    pub name: Option<String>,
    pub account: String,
    pub region: String,
    pub cidrs: Vec<String>,
    pub flags: Flags,
    /// Availability zones, the columns, sorted.
    pub zones: Vec<String>,
    /// Subnet rows in tier order, then zone, then subnet id.
    pub subnets: Vec<SubnetBox>,
    /// Gateways and other route targets outside the subnets.
    pub gateways: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Where each finding is drawn: fingerprint → node, subnet or VPC id.
    pub placements: BTreeMap<String, String>,
}

impl VpcDiagram {
    /// The tiers that have subnets, in row order.
    pub fn tiers(&self) -> Vec<TierRow> {
        let tiers: BTreeSet<TierRow> = self.subnets.iter().map(|s| s.tier).collect();
        tiers.into_iter().collect()
    }

    /// The id of a tier's row.
    pub fn tier_id(&self, tier: TierRow) -> String {
        format!("{}_{}", self.id, tier.slug())
    }

    pub fn title(&self) -> String {
        let mut title = match &self.name {
            Some(name) => format!("{name} ({})", self.vpc_id),
            None => self.vpc_id.clone(),
        };
        title.push_str(&format!(" · {} · {}", self.account, self.region));
        if !self.cidrs.is_empty() {
            title.push_str(&format!(" · {}", self.cidrs.join(", ")));
        }
        title
    }

    /// The drawn box of a node: itself, or the counted group it was folded into.
    pub fn anchor_of(&self, node_id: &str, group_above: usize) -> String {
        for subnet in &self.subnets {
            let Some(node) = subnet.nodes.iter().find(|n| n.id == node_id) else {
                continue;
            };
            return subnet
                .members(group_above)
                .iter()
                .find(|m| match m {
                    Member::One(one) => one.id == node.id,
                    Member::Group { kind, .. } => *kind == node.kind,
                })
                .map_or_else(|| node_id.to_owned(), |m| m.id().to_owned());
        }
        node_id.to_owned()
    }

    /// Every node id in a subnet → the id of the box drawn for it (itself, or its group).
    pub fn anchors(&self, group_above: usize) -> HashMap<String, String> {
        let mut anchors = HashMap::new();
        for subnet in &self.subnets {
            let members = subnet.members(group_above);
            for node in &subnet.nodes {
                let anchor = members
                    .iter()
                    .find(|m| match m {
                        Member::One(one) => one.id == node.id,
                        Member::Group { kind, .. } => *kind == node.kind,
                    })
                    .map_or_else(|| node.id.clone(), |m| m.id().to_owned());
                anchors.insert(node.id.clone(), anchor);
            }
        }
        anchors
    }

    /// The edges as drawn with `group_above`: ends moved to the boxes drawn for them, and
    /// edges that then join the same boxes in the same way merged (labels united, sorted).
    /// This is what keeps exposure edges to a counted group of 100 instances one edge per
    /// exposure level.
    pub fn drawn_edges(&self, group_above: usize) -> Vec<Edge> {
        let anchors = self.anchors(group_above);
        let anchor = |id: &String| anchors.get(id).cloned().unwrap_or_else(|| id.clone());
        let mut merged: Vec<(EdgeKind, String, String, BTreeSet<String>)> = Vec::new();
        let mut index: HashMap<(EdgeKind, String, String), usize> = HashMap::new();
        for edge in &self.edges {
            let key = (edge.kind, anchor(&edge.from), anchor(&edge.to));
            match index.get(&key) {
                Some(&n) => {
                    if let Some(entry) = merged.get_mut(n) {
                        entry.3.extend(edge.labels.iter().cloned());
                    }
                }
                None => {
                    index.insert(key.clone(), merged.len());
                    merged.push((key.0, key.1, key.2, edge.labels.iter().cloned().collect()));
                }
            }
        }
        merged
            .into_iter()
            .map(|(kind, from, to, labels)| Edge {
                kind,
                from,
                to,
                labels: labels.into_iter().collect(),
            })
            .collect()
    }

    pub fn has_findings(&self) -> bool {
        !self.placements.is_empty()
    }

    /// The part of the diagram about one tier: its subnets, the gateways its routes lead to
    /// and its edges. Used when the whole VPC is too large to render as one diagram.
    pub fn tier_part(&self, tier: TierRow) -> VpcDiagram {
        let tier_id = self.tier_id(tier);
        let subnets: Vec<SubnetBox> = self
            .subnets
            .iter()
            .filter(|s| s.tier == tier)
            .cloned()
            .collect();
        let present: HashSet<&str> = subnets
            .iter()
            .flat_map(|s| {
                std::iter::once(s.id.as_str()).chain(s.nodes.iter().map(|n| n.id.as_str()))
            })
            .collect();
        // The row of every node and subnet of the other tiers.
        let row_of: HashMap<&str, String> = self
            .subnets
            .iter()
            .filter(|s| s.tier != tier)
            .flat_map(|s| {
                let row = self.tier_id(s.tier);
                std::iter::once((s.id.as_str(), row.clone()))
                    .chain(s.nodes.iter().map(move |n| (n.id.as_str(), row.clone())))
            })
            .collect();
        // Route and group edges of this tier, and exposure edges into or out of its nodes.
        let mut edges: Vec<Edge> = Vec::new();
        for edge in &self.edges {
            match edge.kind {
                EdgeKind::Route | EdgeKind::SecurityGroup => {
                    if edge.from == tier_id || edge.to == tier_id {
                        edges.push(edge.clone());
                    }
                }
                EdgeKind::Exposure(_) => {
                    if present.contains(edge.from.as_str()) || present.contains(edge.to.as_str()) {
                        // A node of another tier is represented by its row.
                        let end = |id: &String| row_of.get(id.as_str()).unwrap_or(id).clone();
                        edges.push(Edge {
                            from: end(&edge.from),
                            to: end(&edge.to),
                            ..edge.clone()
                        });
                    }
                }
            }
        }
        // The internet gateways this part's exposure edges come through, and the Internet
        // in front of them.
        let exposed_from: HashSet<String> = edges
            .iter()
            .filter(|e| matches!(e.kind, EdgeKind::Exposure(_)))
            .map(|e| e.from.clone())
            .collect();
        let mut kept: HashSet<String> = edges
            .iter()
            .flat_map(|e| [e.from.clone(), e.to.clone()])
            .collect();
        for edge in &self.edges {
            if matches!(edge.kind, EdgeKind::Exposure(_))
                && exposed_from.contains(&edge.to)
                && self.gateways.iter().any(|g| g.id == edge.to)
                && !edges.contains(edge)
            {
                edges.push(edge.clone());
                kept.insert(edge.from.clone());
            }
        }
        // An edge to another tier keeps its end: that tier is drawn as an empty row.
        let mut part = VpcDiagram {
            gateways: self
                .gateways
                .iter()
                .filter(|g| kept.contains(&g.id))
                .cloned()
                .collect(),
            placements: self
                .placements
                .iter()
                .filter(|(_, node)| present.contains(node.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            edges,
            subnets,
            ..self.clone()
        };
        part.name = Some(format!(
            "{} — {} tier",
            self.name.as_deref().unwrap_or(&self.vpc_id),
            tier.title()
        ));
        part
    }
}

/// Builds one diagram per VPC of the snapshot, in account, region and VPC id order, with the
/// unsuppressed findings of `findings` on their resources.
pub fn build(snapshot: &Snapshot, settings: &Settings, findings: &[Finding]) -> Vec<VpcDiagram> {
    let mut scopes: Vec<_> = snapshot.scopes.iter().collect();
    scopes.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    let mut by_resource: HashMap<(&str, &str, &str), Vec<&Finding>> = HashMap::new();
    for finding in findings.iter().filter(|f| f.suppression.is_none()) {
        by_resource
            .entry((
                finding.resource.account.as_str(),
                finding.resource.region.as_str(),
                finding.resource.id.as_str(),
            ))
            .or_default()
            .push(finding);
    }
    let mut ids = IdAllocator::default();
    let mut diagrams = Vec::new();
    for inventory in scopes {
        let facts = ScopeFacts::build(inventory, settings);
        let scoped = |id: &str| -> Vec<&Finding> {
            by_resource
                .get(&(inventory.account.as_str(), inventory.region.as_str(), id))
                .cloned()
                .unwrap_or_default()
        };
        let mut vpcs: Vec<_> = inventory.vpcs.iter().collect();
        vpcs.sort_by(|a, b| a.id.cmp(&b.id));
        for vpc in vpcs {
            diagrams.push(build_vpc(&facts, vpc, &scoped, &mut ids));
        }
    }
    diagrams
}

/// Turns resource ids into unique `[A-Za-z0-9_]` ids, the same for the same input order.
#[derive(Default)]
struct IdAllocator {
    used: HashSet<String>,
}

impl IdAllocator {
    fn id(&mut self, prefix: &str, resource_id: &str) -> String {
        let base = format!("{prefix}_{}", sanitize_id(resource_id));
        let mut id = base.clone();
        let mut n = 2;
        while !self.used.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        id
    }
}

/// Every character outside `[A-Za-z0-9_]` becomes `_`: ids are safe in every format.
pub fn sanitize_id(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn name_tag(tags: &Tags) -> Option<String> {
    tags.get("Name").filter(|n| !n.trim().is_empty()).cloned()
}

/// A resource in a subnet: kind, id, name and detail.
type Resident = (NodeKind, String, Option<String>, Option<String>);

fn build_vpc<'a>(
    facts: &ScopeFacts<'a>,
    vpc: &'a crate::model::Vpc,
    findings_of: &dyn Fn(&str) -> Vec<&'a Finding>,
    ids: &mut IdAllocator,
) -> VpcDiagram {
    let inventory = facts.inventory;
    let vpc_node_id = ids.id("vpc", &vpc.id);
    let mut placements: BTreeMap<String, String> = BTreeMap::new();
    let mut place = |flags: &mut Flags, node_id: &str, id: &str| {
        for finding in findings_of(id) {
            flags.add(finding);
            placements
                .entry(finding.fingerprint.clone())
                .or_insert_with(|| node_id.to_owned());
        }
    };
    let mut vpc_flags = Flags::default();
    place(&mut vpc_flags, &vpc_node_id, &vpc.id);

    let mut subnets: Vec<&Subnet> = facts
        .subnets_by_vpc
        .get(vpc.id.as_str())
        .cloned()
        .unwrap_or_default();
    let tier_of = |s: &Subnet| TierRow::of(facts.class_of(&s.id));
    subnets.sort_by(|a, b| {
        (tier_of(a), &a.availability_zone, &a.id).cmp(&(tier_of(b), &b.availability_zone, &b.id))
    });
    let in_vpc: HashSet<&str> = subnets.iter().map(|s| s.id.as_str()).collect();

    // Everything that runs in each subnet, as (kind, resource id, name).
    let mut residents: HashMap<&str, BTreeSet<Resident>> = HashMap::new();
    let mut put_detailed =
        |subnet: &str, kind: NodeKind, id: &str, name: Option<String>, detail: Option<String>| {
            if let Some(subnet) = in_vpc.get(subnet) {
                residents
                    .entry(subnet)
                    .or_default()
                    .insert((kind, id.to_owned(), name, detail));
            }
        };
    // Other ids whose findings belong on a resource's box (a load balancer's ARN and groups).
    let mut also_ids: HashMap<String, Vec<String>> = HashMap::new();
    // Load balancers from their own records, in each zone's subnet, with their scheme. The
    // interfaces of a load balancer drawn this way are not drawn again.
    let mut drawn_lb_interfaces: HashSet<String> = HashSet::new();
    for lb in &inventory.load_balancers {
        let kind = match lb.kind.as_deref() {
            Some("network") => NodeKind::NetworkLb,
            Some("gateway") => NodeKind::GatewayLb,
            _ => NodeKind::ApplicationLb,
        };
        for zone in &lb.zones {
            if let Some(subnet) = &zone.subnet_id {
                put_detailed(subnet, kind, &lb.name, None, lb.scheme.clone());
            }
        }
        if let Some((_, suffix)) = lb.arn.split_once(":loadbalancer/") {
            drawn_lb_interfaces.insert(format!("ELB {suffix}"));
        }
        let ids = also_ids.entry(lb.name.clone()).or_default();
        ids.push(lb.arn.clone());
        ids.extend(lb.security_group_ids.iter().cloned());
    }
    for lb in &inventory.classic_load_balancers {
        for subnet in &lb.subnet_ids {
            put_detailed(
                subnet,
                NodeKind::ClassicLb,
                &lb.name,
                None,
                lb.scheme.clone(),
            );
        }
        drawn_lb_interfaces.insert(format!("ELB {}", lb.name));
        also_ids
            .entry(lb.name.clone())
            .or_default()
            .extend(lb.security_group_ids.iter().cloned());
    }
    let mut put = |subnet: &str, kind: NodeKind, id: &str, name: Option<String>| {
        put_detailed(subnet, kind, id, name, None);
    };
    for nat in inventory.nat_gateways.iter().filter(|n| n.is_live()) {
        put(
            &nat.subnet_id,
            NodeKind::NatGateway,
            &nat.id,
            name_tag(&nat.tags),
        );
    }
    for instance in inventory.instances.iter().filter(|i| i.is_live()) {
        if let Some(subnet) = &instance.subnet_id {
            put(
                subnet,
                NodeKind::Instance,
                &instance.id,
                name_tag(&instance.tags),
            );
        }
    }
    for eni in &inventory.network_interfaces {
        let kind = match facts.interface_kind(eni) {
            SgUserKind::LoadBalancer => NodeKind::LoadBalancer,
            SgUserKind::VpcEndpoint => NodeKind::Endpoint,
            SgUserKind::ManagedService => NodeKind::ManagedService,
            SgUserKind::Interface | SgUserKind::EntryPoint => NodeKind::Interface,
            // Drawn from their own records.
            SgUserKind::NatGateway
            | SgUserKind::Instance
            | SgUserKind::Function
            | SgUserKind::Database => continue,
        };
        if eni.instance_id.is_some() {
            continue;
        }
        if kind == NodeKind::LoadBalancer
            && eni
                .description
                .as_ref()
                .is_some_and(|d| drawn_lb_interfaces.contains(d))
        {
            continue;
        }
        if let Some(subnet) = &eni.subnet_id {
            let name = name_tag(&eni.tags).or_else(|| eni.description.clone());
            put(subnet, kind, &eni.id, name);
        }
    }
    for db in &inventory.db_instances {
        let group = db
            .db_subnet_group
            .as_deref()
            .and_then(|g| facts.db_subnet_groups.get(g));
        // An instance lives in one zone: the group's subnet there, else the group's first.
        let subnet = group.and_then(|g| {
            g.subnets
                .iter()
                .find(|m| {
                    facts
                        .subnets
                        .get(m.subnet_id.as_str())
                        .map(|s| &s.availability_zone)
                        == db.availability_zone.as_ref()
                })
                .or_else(|| g.subnets.first())
        });
        if let Some(member) = subnet {
            put(
                &member.subnet_id,
                NodeKind::Database,
                &db.id,
                name_tag(&db.tags),
            );
        }
    }
    for cluster in &inventory.db_clusters {
        let members_drawn = inventory
            .db_instances
            .iter()
            .any(|d| d.cluster_id.as_deref() == Some(cluster.id.as_str()));
        if members_drawn {
            continue;
        }
        let first = cluster
            .db_subnet_group
            .as_deref()
            .and_then(|g| facts.db_subnet_groups.get(g))
            .and_then(|g| g.subnets.first());
        if let Some(member) = first {
            put(
                &member.subnet_id,
                NodeKind::Database,
                &cluster.id,
                name_tag(&cluster.tags),
            );
        }
    }
    for function in &inventory.lambda_functions {
        // A function has an interface in every subnet it is configured with.
        for subnet in function.vpc.iter().flat_map(|v| &v.subnet_ids) {
            put(subnet, NodeKind::Function, &function.name, None);
        }
    }

    // Findings reach a subnet through the subnet itself, its route table, its network ACL
    // and its DB subnet group.
    let mut subnet_extra_ids: HashMap<&str, Vec<&str>> = HashMap::new();
    for (table_id, table_subnets) in &facts.subnets_by_route_table {
        for subnet in table_subnets {
            subnet_extra_ids.entry(subnet).or_default().push(table_id);
        }
    }
    for acl in &inventory.network_acls {
        for subnet in &acl.subnet_ids {
            subnet_extra_ids
                .entry(subnet.as_str())
                .or_default()
                .push(&acl.id);
        }
    }
    for group in &inventory.db_subnet_groups {
        for member in &group.subnets {
            subnet_extra_ids
                .entry(member.subnet_id.as_str())
                .or_default()
                .push(&group.name);
        }
    }
    // Security-group findings reach the resources that carry the group.
    let mut groups_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for (group, users) in &facts.sg_users {
        for user in users {
            groups_of.entry(user.id).or_default().push(group);
        }
    }
    for groups in groups_of.values_mut() {
        groups.sort_unstable();
        groups.dedup();
    }

    let mut boxes = Vec::new();
    for subnet in &subnets {
        let id = ids.id("subnet", &subnet.id);
        let mut flags = Flags::default();
        place(&mut flags, &id, &subnet.id);
        let mut extra = subnet_extra_ids
            .get(subnet.id.as_str())
            .cloned()
            .unwrap_or_default();
        extra.sort_unstable();
        extra.dedup();
        for other in extra {
            place(&mut flags, &id, other);
        }
        let mut nodes = Vec::new();
        for (kind, resource_id, name, detail) in
            residents.remove(subnet.id.as_str()).unwrap_or_default()
        {
            let node_id = ids.id(kind.slug(), &format!("{resource_id}_{}", subnet.id));
            let mut node_flags = Flags::default();
            place(&mut node_flags, &node_id, &resource_id);
            for other in also_ids.get(&resource_id).into_iter().flatten() {
                place(&mut node_flags, &node_id, other);
            }
            for group in groups_of.get(resource_id.as_str()).into_iter().flatten() {
                place(&mut node_flags, &node_id, group);
            }
            nodes.push(Node {
                id: node_id,
                kind,
                name: name.filter(|n| *n != resource_id),
                resource_id,
                detail,
                flags: node_flags,
            });
        }
        boxes.push(SubnetBox {
            id,
            subnet_id: subnet.id.clone(),
            name: name_tag(&subnet.tags),
            zone: subnet.availability_zone.clone(),
            cidr: subnet.cidr_block.map(|c| c.to_string()),
            tier: tier_of(subnet),
            flags,
            nodes,
        });
    }

    // Route edges: from each tier to every target its routes use, labelled with the
    // destinations. NAT gateways are already drawn in their subnets.
    let nat_node: HashMap<&str, &str> = boxes
        .iter()
        .flat_map(|b| b.nodes.iter())
        .filter(|n| n.kind == NodeKind::NatGateway)
        .map(|n| (n.resource_id.as_str(), n.id.as_str()))
        .collect();
    let mut targets: BTreeMap<(NodeKind, String), Option<String>> = BTreeMap::new();
    for igw in inventory
        .internet_gateways
        .iter()
        .filter(|g| g.attached_vpc_ids.contains(&vpc.id))
    {
        targets.insert(
            (NodeKind::InternetGateway, igw.id.clone()),
            name_tag(&igw.tags),
        );
    }
    let mut route_labels: BTreeMap<(TierRow, NodeKind, String), BTreeSet<String>> = BTreeMap::new();
    for subnet in &subnets {
        let Some(table) = facts.routing.get(subnet.id.as_str()).and_then(|r| r.table) else {
            continue;
        };
        for route in table
            .routes
            .iter()
            .filter(|r| r.target != RouteTarget::Local)
        {
            let kind = match &route.target {
                RouteTarget::Local => continue,
                RouteTarget::InternetGateway(_) => NodeKind::InternetGateway,
                RouteTarget::EgressOnlyInternetGateway(_) => NodeKind::EgressOnlyGateway,
                RouteTarget::NatGateway(_) => NodeKind::NatGateway,
                RouteTarget::TransitGateway(_) => NodeKind::TransitGateway,
                RouteTarget::VpcPeeringConnection(_) => NodeKind::Peering,
                RouteTarget::VpnGateway(_) => NodeKind::VpnGateway,
                RouteTarget::VpcEndpoint(_) => NodeKind::Endpoint,
                _ => NodeKind::OtherTarget,
            };
            let target = route.target.id().to_owned();
            let mut label = route.destination.to_string();
            if route.state != crate::model::RouteState::Active {
                label.push_str(" (blackhole)");
            }
            route_labels
                .entry((tier_of(subnet), kind, target.clone()))
                .or_default()
                .insert(label);
            if kind != NodeKind::NatGateway || !nat_node.contains_key(target.as_str()) {
                targets.entry((kind, target)).or_insert(None);
            }
        }
    }
    let mut gateways = Vec::new();
    let mut gateway_ids: HashMap<String, String> = HashMap::new();
    for ((kind, target), name) in targets {
        let id = ids.id(kind.slug(), &format!("{}_{target}", vpc.id));
        let mut flags = Flags::default();
        place(&mut flags, &id, &target);
        gateway_ids.insert(target.clone(), id.clone());
        gateways.push(Node {
            id,
            kind,
            resource_id: target,
            name,
            detail: None,
            flags,
        });
    }
    let tier_id = |tier: TierRow| format!("{vpc_node_id}_{}", tier.slug());
    let mut edges = Vec::new();
    for ((tier, _, target), labels) in route_labels {
        let to = nat_node
            .get(target.as_str())
            .map(|id| (*id).to_owned())
            .or_else(|| gateway_ids.get(&target).cloned());
        if let Some(to) = to {
            edges.push(Edge {
                kind: EdgeKind::Route,
                from: tier_id(tier),
                to,
                labels: labels.into_iter().collect(),
            });
        }
    }

    // Security-group edges: a group admitting another group, drawn between the tiers that
    // carry them ("app → db on tcp/5432"). Same-tier pairs are left out: they do not cross
    // a row.
    let tier_by_subnet: HashMap<&str, TierRow> = subnets
        .iter()
        .map(|s| (s.id.as_str(), tier_of(s)))
        .collect();
    let tiers_carrying = |group: &str| -> BTreeSet<TierRow> {
        facts
            .sg_users
            .get(group)
            .into_iter()
            .flatten()
            .flat_map(|u| u.subnet_ids.iter())
            .filter_map(|s| tier_by_subnet.get(s).copied())
            .collect()
    };
    let group_name = |group: &str| -> String {
        facts
            .security_groups
            .get(group)
            .map(|g| name_tag(&g.tags).unwrap_or_else(|| g.name.clone()))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| group.to_owned())
    };
    let mut sg_labels: BTreeMap<(TierRow, TierRow), BTreeSet<String>> = BTreeMap::new();
    let mut groups: Vec<_> = inventory
        .security_groups
        .iter()
        .filter(|g| g.vpc_id.as_deref() == Some(vpc.id.as_str()))
        .collect();
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    for group in groups {
        let to_tiers = tiers_carrying(&group.id);
        if to_tiers.is_empty() {
            continue;
        }
        for rule in &group.ingress {
            let SecurityGroupPeer::SecurityGroup { group_id, .. } = &rule.peer else {
                continue;
            };
            let label = format!(
                "{} → {} on {}",
                group_name(group_id),
                group_name(&group.id),
                rule.describe_ports()
            );
            for from in tiers_carrying(group_id) {
                for to in to_tiers.iter().filter(|t| **t != from) {
                    sg_labels
                        .entry((from, *to))
                        .or_default()
                        .insert(label.clone());
                }
            }
        }
    }
    for ((from, to), labels) in sg_labels {
        edges.push(Edge {
            kind: EdgeKind::SecurityGroup,
            from: tier_id(from),
            to: tier_id(to),
            labels: labels.into_iter().collect(),
        });
    }

    exposure_edges(
        facts,
        &subnets,
        &boxes,
        &drawn_lb_interfaces,
        &mut gateways,
        &gateway_ids,
        &mut edges,
        &vpc_node_id,
        ids,
    );

    let mut zones: Vec<String> = subnets
        .iter()
        .map(|s| s.availability_zone.clone())
        .collect();
    zones.sort();
    zones.dedup();
    VpcDiagram {
        id: vpc_node_id,
        vpc_id: vpc.id.clone(),
        name: name_tag(&vpc.tags),
        account: inventory.account.clone(),
        region: inventory.region.clone(),
        cidrs: vpc.cidr_blocks.iter().map(|c| c.to_string()).collect(),
        flags: vpc_flags,
        zones,
        subnets: boxes,
        gateways,
        edges,
        placements,
    }
}

/// Ports and protocol of an exposure label: `tcp/22, 443`, `all tcp`, `icmp`.
fn protocol_ports(protocol: Protocol, ports: &PortSet) -> String {
    if !protocol.has_ports() {
        protocol.to_string()
    } else if ports.is_all() {
        format!("all {protocol}")
    } else {
        format!("{protocol}/{}", ports.describe())
    }
}

/// Exposure edges, labelled by protocol and ports, keyed by (from, to, exposure), then by
/// (protocol, what follows the ports).
type ExposureMap = BTreeMap<(String, String, Exposure), BTreeMap<(Protocol, String), PortSet>>;

/// The reachability model's internet paths into this VPC as edges: Internet → internet
/// gateway → the exposed resource's box (its own public address), internet gateway → load
/// balancer (its listeners), load balancer → the targets it forwards to. One edge per
/// (from, to, exposure) with the protocols and ports merged, so many paths make few edges;
/// the renderers merge them further per drawn group.
#[allow(clippy::too_many_arguments)]
fn exposure_edges(
    facts: &ScopeFacts<'_>,
    subnets: &[&Subnet],
    boxes: &[SubnetBox],
    drawn_lb_interfaces: &HashSet<String>,
    gateways: &mut Vec<Node>,
    gateway_ids: &HashMap<String, String>,
    edges: &mut Vec<Edge>,
    vpc_node_id: &str,
    ids: &mut IdAllocator,
) {
    let inventory = facts.inventory;
    let network = &facts.network;
    let in_vpc: HashSet<&str> = subnets.iter().map(|s| s.id.as_str()).collect();
    let zone_of = |subnet: &str| {
        facts
            .subnets
            .get(subnet)
            .map(|s| s.availability_zone.as_str())
    };
    // Resource id → (subnet id, node id) of its boxes.
    let mut node_index: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
    // Load balancer (ARN, or name for a Classic Load Balancer) → (subnet id, node id).
    let mut lb_nodes: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
    let arn_of: HashMap<&str, &str> = inventory
        .load_balancers
        .iter()
        .map(|l| (l.name.as_str(), l.arn.as_str()))
        .collect();
    for b in boxes {
        for n in &b.nodes {
            let entry = (b.subnet_id.as_str(), n.id.as_str());
            node_index
                .entry(n.resource_id.as_str())
                .or_default()
                .push(entry);
            let key = match n.kind {
                NodeKind::ClassicLb => Some(n.resource_id.as_str()),
                NodeKind::ApplicationLb | NodeKind::NetworkLb | NodeKind::GatewayLb => {
                    arn_of.get(n.resource_id.as_str()).copied()
                }
                _ => None,
            };
            if let Some(key) = key {
                lb_nodes.entry(key).or_default().push(entry);
            }
        }
    }
    // A resource's box: the one in `subnet` when it has several, else its first.
    let node_in = |resource: &str, subnet: Option<&str>| -> Option<String> {
        let found = node_index.get(resource)?;
        found
            .iter()
            .find(|(s, _)| Some(*s) == subnet)
            .or(found.first())
            .map(|(_, id)| (*id).to_owned())
    };
    // The load balancer's box nearest a target: in the target's zone, else its first.
    let lb_node_for = |key: &str, target_subnet: Option<&str>| -> Option<String> {
        let found = lb_nodes.get(key)?;
        let zone = target_subnet.and_then(zone_of);
        found
            .iter()
            .find(|(s, _)| zone.is_some() && zone_of(s) == zone)
            .or(found.first())
            .map(|(_, id)| (*id).to_owned())
    };
    let subnet_box = |subnet: Option<&str>| -> Option<String> {
        boxes
            .iter()
            .find(|b| Some(b.subnet_id.as_str()) == subnet)
            .map(|b| b.id.clone())
    };
    let from_the_internet = |path: &InboundPath, level: Exposure| match level {
        Exposure::World => " from the world".to_owned(),
        Exposure::Large => " from a large part of the internet".to_owned(),
        Exposure::Some => format!(" from {}", path.sources),
    };
    let igw_of = |path: &InboundPath| {
        path.path.iter().find_map(|hop| match hop {
            PathHop::InternetGateway { id } => gateway_ids.get(id).cloned(),
            _ => None,
        })
    };

    let internet_id = format!("{vpc_node_id}_internet");
    let mut found: ExposureMap = BTreeMap::new();
    let mut add = |from: String, to: String, level: Exposure, path: &InboundPath, tail: String| {
        let ports = found
            .entry((from, to, level))
            .or_default()
            .entry((path.protocol, tail))
            .or_insert_with(PortSet::empty);
        *ports = ports.union(&path.ports);
    };
    // One path: its entry from the internet (direct, or into a load balancer) or its leg
    // from a load balancer to `anchor`.
    let mut path_edge = |path: &InboundPath, anchor: &str, subnet: Option<&str>| {
        let Some(level) = Exposure::of(&path.exposure) else {
            return;
        };
        match &path.via_load_balancer {
            None => {
                let from = igw_of(path).unwrap_or_else(|| internet_id.clone());
                add(
                    from,
                    anchor.to_owned(),
                    level,
                    path,
                    from_the_internet(path, level),
                );
            }
            Some(key) => {
                let Some(from) = lb_node_for(key, subnet) else {
                    return;
                };
                let group = path.path.iter().find_map(|hop| match hop {
                    PathHop::TargetGroup { name, .. } => Some(format!(" ({name})")),
                    _ => None,
                });
                add(
                    from,
                    anchor.to_owned(),
                    level,
                    path,
                    group.unwrap_or_default(),
                );
            }
        }
    };

    let nat_of_eni: HashMap<&str, &str> = inventory
        .nat_gateways
        .iter()
        .flat_map(|n| {
            n.network_interface_ids
                .iter()
                .map(move |e| (e.as_str(), n.id.as_str()))
        })
        .collect();
    let mut enis: Vec<_> = inventory
        .network_interfaces
        .iter()
        .filter(|e| e.subnet_id.as_deref().is_some_and(|s| in_vpc.contains(s)))
        .collect();
    enis.sort_by(|a, b| a.id.cmp(&b.id));
    for eni in enis {
        let subnet = eni.subnet_id.as_deref();
        let kind = facts.interface_kind(eni);
        if kind == SgUserKind::LoadBalancer
            && eni
                .description
                .as_ref()
                .is_some_and(|d| drawn_lb_interfaces.contains(d))
        {
            // Its load balancer's listeners are its paths (below).
            continue;
        }
        let owner = if let Some(instance) = &eni.instance_id {
            node_in(instance, subnet)
        } else {
            match kind {
                SgUserKind::NatGateway => nat_of_eni
                    .get(eni.id.as_str())
                    .and_then(|n| node_in(n, subnet)),
                SgUserKind::Database => {
                    // The one database whose subnet group holds this subnet and which carries
                    // one of the interface's groups (its interface may sit in another zone's
                    // subnet than the box).
                    let in_group = |group: Option<&str>| {
                        group
                            .and_then(|g| facts.db_subnet_groups.get(g))
                            .is_some_and(|g| {
                                g.subnets
                                    .iter()
                                    .any(|m| Some(m.subnet_id.as_str()) == subnet)
                            })
                    };
                    let shares = |groups: &[String]| {
                        groups.iter().any(|g| eni.security_group_ids.contains(g))
                    };
                    let dbs: BTreeSet<&str> = inventory
                        .db_instances
                        .iter()
                        .filter(|d| {
                            in_group(d.db_subnet_group.as_deref()) && shares(&d.security_group_ids)
                        })
                        .map(|d| d.id.as_str())
                        .chain(
                            inventory
                                .db_clusters
                                .iter()
                                .filter(|c| {
                                    in_group(c.db_subnet_group.as_deref())
                                        && shares(&c.security_group_ids)
                                })
                                .map(|c| c.id.as_str()),
                        )
                        .filter(|id| node_index.contains_key(id))
                        .collect();
                    match dbs.into_iter().collect::<Vec<_>>().as_slice() {
                        [one] => node_in(one, subnet),
                        _ => None,
                    }
                }
                SgUserKind::Function => None,
                _ => node_in(&eni.id, subnet),
            }
        };
        // Unknown owner: the subnet's box stands for it.
        let Some(anchor) = owner.or_else(|| subnet_box(subnet)) else {
            continue;
        };
        for path in &network.inbound(eni).paths {
            path_edge(path, &anchor, subnet);
        }
    }
    // Functions invoked by internet-facing load balancers.
    for function in &inventory.lambda_functions {
        let Some(paths) = network.through_load_balancers.get(&function.arn) else {
            continue;
        };
        let first_subnet = function
            .vpc
            .iter()
            .flat_map(|v| &v.subnet_ids)
            .map(String::as_str)
            .next();
        if let Some(anchor) = node_in(&function.name, first_subnet) {
            for path in paths {
                path_edge(path, &anchor, first_subnet);
            }
        }
    }
    // Into the load balancers: each listener path to the boxes of the subnets it enters (by
    // its route table and network ACL), else to every box of the load balancer.
    let mut keys: Vec<&str> = lb_nodes.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let Some(front) = network.load_balancer_fronts.get(key) else {
            continue;
        };
        let nodes = lb_nodes.get(key).cloned().unwrap_or_default();
        for path in &front.paths {
            let Some(level) = Exposure::of(&path.exposure) else {
                continue;
            };
            let table = path.path.iter().find_map(|hop| match hop {
                PathHop::Route { route_table_id, .. } => Some(route_table_id.as_str()),
                _ => None,
            });
            let acl = path.path.iter().find_map(|hop| match hop {
                PathHop::NaclInbound { network_acl_id, .. } => Some(network_acl_id.as_str()),
                _ => None,
            });
            let entered: Vec<&str> = nodes
                .iter()
                .filter(|(s, _)| {
                    let routed = facts
                        .routing
                        .get(s)
                        .and_then(|r| r.table)
                        .map(|t| t.id.as_str());
                    let filtered = network.nacl_by_subnet.get(s).map(|a| a.id.as_str());
                    routed == table && (acl.is_none() || filtered == acl)
                })
                .map(|(_, id)| *id)
                .collect();
            let targets: Vec<&str> = if entered.is_empty() {
                nodes.iter().map(|(_, id)| *id).collect()
            } else {
                entered
            };
            let from = igw_of(path).unwrap_or_else(|| internet_id.clone());
            for to in targets {
                add(
                    from.clone(),
                    to.to_owned(),
                    level,
                    path,
                    from_the_internet(path, level),
                );
            }
        }
    }
    if found.is_empty() {
        return;
    }

    // The Internet, in front of every internet gateway these paths come through.
    let mut entries: BTreeMap<String, Exposure> = BTreeMap::new();
    let gateway_nodes: HashSet<&String> = gateway_ids.values().collect();
    for (from, _, level) in found.keys() {
        if gateway_nodes.contains(from) {
            let worst = entries.entry(from.clone()).or_insert(*level);
            *worst = (*worst).max(*level);
        }
    }
    let internet_node = ids.id("internet", vpc_node_id);
    gateways.insert(
        0,
        Node {
            id: internet_node.clone(),
            kind: NodeKind::Internet,
            resource_id: "the internet".to_owned(),
            name: None,
            detail: None,
            flags: Flags::default(),
        },
    );
    for (igw, level) in entries {
        edges.push(Edge {
            kind: EdgeKind::Exposure(level),
            from: internet_node.clone(),
            to: igw,
            labels: Vec::new(),
        });
    }
    for ((from, to, level), labels) in found {
        let from = if from == internet_id {
            internet_node.clone()
        } else {
            from
        };
        edges.push(Edge {
            kind: EdgeKind::Exposure(level),
            from,
            to,
            labels: labels
                .into_iter()
                .map(|((protocol, tail), ports)| {
                    format!("{}{tail}", protocol_ports(protocol, &ports))
                })
                .collect(),
        });
    }
}

/// Keeps only printable characters on one line, at most `max` characters (then `…`):
/// newlines, tabs and control characters become spaces. Every renderer starts from this and
/// then escapes for its own syntax.
pub fn clean_text(value: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in value.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// The longest label line drawn, in characters.
pub const MAX_LINE: usize = 60;
