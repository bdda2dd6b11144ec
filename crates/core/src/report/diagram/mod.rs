//! Pictures of the network: one diagram per VPC with availability zones as columns, subnet
//! tiers as rows, the gateways its routes lead to, what runs in each subnet, the
//! security-group edges between tiers, and the findings on the resources they are about.
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
}

impl NodeKind {
    pub fn title(self, count: usize) -> &'static str {
        let many = count != 1;
        match self {
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
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
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
        }
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
    pub flags: Flags,
}

impl Node {
    /// Label lines: kind, name, id, findings.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.kind.title(1).to_owned()];
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
                kind, count, flags, ..
            } => {
                let mut lines = vec![format!("{count} × {}", kind.title(*count))];
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
                for node in &nodes {
                    flags.merge(&node.flags);
                }
                members.push(Member::Group {
                    id: format!("{}_{}", self.id, kind.slug()),
                    kind,
                    count: nodes.len(),
                    flags,
                });
            } else {
                members.extend(nodes.into_iter().map(Member::One));
            }
        }
        members
    }
}

/// Why an edge is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// A tier's routes send traffic to a gateway.
    Route,
    /// A security group of the `to` tier admits a group carried in the `from` tier.
    SecurityGroup,
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
    /// The label, at most three entries, then a count.
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

    pub fn has_findings(&self) -> bool {
        !self.placements.is_empty()
    }

    /// The part of the diagram about one tier: its subnets, the gateways its routes lead to
    /// and its edges. Used when the whole VPC is too large to render as one diagram.
    pub fn tier_part(&self, tier: TierRow) -> VpcDiagram {
        let tier_id = self.tier_id(tier);
        let edges: Vec<Edge> = self
            .edges
            .iter()
            .filter(|e| e.from == tier_id || e.to == tier_id)
            .cloned()
            .collect();
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
        // An edge to another tier keeps its end: that tier is drawn as an empty row.
        let mut part = VpcDiagram {
            gateways: self
                .gateways
                .iter()
                .filter(|g| edges.iter().any(|e| e.to == g.id))
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

/// A resource in a subnet: kind, id and name.
type Resident = (NodeKind, String, Option<String>);

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
    let mut put = |subnet: &str, kind: NodeKind, id: &str, name: Option<String>| {
        if let Some(subnet) = in_vpc.get(subnet) {
            residents
                .entry(subnet)
                .or_default()
                .insert((kind, id.to_owned(), name));
        }
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
        for (kind, resource_id, name) in residents.remove(subnet.id.as_str()).unwrap_or_default() {
            let node_id = ids.id(kind.slug(), &format!("{resource_id}_{}", subnet.id));
            let mut node_flags = Flags::default();
            place(&mut node_flags, &node_id, &resource_id);
            for group in groups_of.get(resource_id.as_str()).into_iter().flatten() {
                place(&mut node_flags, &node_id, group);
            }
            nodes.push(Node {
                id: node_id,
                kind,
                name: name.filter(|n| *n != resource_id),
                resource_id,
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
