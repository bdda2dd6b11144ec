//! `vpcaudit reach RESOURCE`: find a resource anywhere in a snapshot (id, name, ARN or `Name`
//! tag), map it to its network interfaces and subnets, and ask the model of its scope every
//! internet path into those interfaces and the way out of those subnets.
//!
//! AWS does not label every managed interface with its owner: load balancer and Lambda
//! interfaces name theirs in their description, RDS and ECS task interfaces do not and are
//! matched by subnet and security groups (said in `not_evaluated` when that match is shared).
//! A resource whose interfaces are not in the inventory gets a `not_evaluated` note, never an
//! empty "not reachable".

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Egress, InboundReach, Network};
use crate::analysis::workloads::{SgUserKind, interface_kind, nat_gateway_interfaces};
use crate::model::{NetworkInterface, RegionInventory};
use crate::snapshot::Snapshot;

/// What kind of resource a query resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Instance,
    NetworkInterface,
    Subnet,
    /// An elbv2 load balancer (application, network or gateway).
    LoadBalancer,
    ClassicLoadBalancer,
    DbInstance,
    DbCluster,
    LambdaFunction,
    EcsService,
}

impl ResourceKind {
    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::Instance => "EC2 instance",
            ResourceKind::NetworkInterface => "network interface",
            ResourceKind::Subnet => "subnet",
            ResourceKind::LoadBalancer => "load balancer",
            ResourceKind::ClassicLoadBalancer => "Classic Load Balancer",
            ResourceKind::DbInstance => "RDS DB instance",
            ResourceKind::DbCluster => "RDS DB cluster",
            ResourceKind::LambdaFunction => "Lambda function",
            ResourceKind::EcsService => "ECS service",
        }
    }
}

/// A resource of the snapshot, where it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ResourceRef {
    pub kind: ResourceKind,
    /// Its id, or its ARN for load balancers, functions and services.
    pub id: String,
    /// Its name (or `Name` tag) when it has one other than its id.
    pub name: Option<String>,
    pub account: String,
    pub region: String,
}

impl ResourceRef {
    /// `EC2 instance i-1 (web) in 111122223333 eu-west-1`.
    pub fn describe(&self) -> String {
        let name = match &self.name {
            Some(name) if name != &self.id => format!(" ({name})"),
            _ => String::new(),
        };
        format!(
            "{} {}{name} in {} {}",
            self.kind.name(),
            self.id,
            self.account,
            self.region
        )
    }
}

/// Why a query has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error(
        "no resource `{0}` in the inventory (an instance, network interface, subnet, load balancer, \
         RDS database, Lambda function or ECS service: id, name, ARN or Name tag)"
    )]
    NotFound(String),
    #[error("`{resource}` names {} resources: {}; pass an id or ARN", .candidates.len(),
        .candidates.iter().map(ResourceRef::describe).collect::<Vec<_>>().join("; "))]
    Ambiguous {
        resource: String,
        candidates: Vec<ResourceRef>,
    },
}

/// Everything the internet can do to a resource and how it gets out: `vpcaudit reach`.
#[derive(Debug, Clone, Serialize)]
pub struct ReachReport {
    pub resource: ResourceRef,
    /// One entry per network interface of the resource.
    pub inbound: Vec<InterfaceReach>,
    /// One entry per subnet the resource is in (or configured for).
    pub egress: Vec<SubnetEgress>,
    /// What the answer could not take into account for the resource as a whole (interfaces
    /// not in the inventory, failed API calls in its scope).
    pub not_evaluated: Vec<String>,
    /// False when API calls failed in the resource's account and region: then an absent path
    /// proves nothing.
    pub complete: bool,
}

/// The internet paths into one network interface.
#[derive(Debug, Clone, Serialize)]
pub struct InterfaceReach {
    pub subnet_id: Option<String>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    /// `eni_id`, `paths` (each with its `path` of hops) and `not_evaluated`, from the model.
    #[serde(flatten)]
    pub reach: InboundReach,
}

/// How one subnet reaches the internet, per address family.
#[derive(Debug, Clone, Serialize)]
pub struct SubnetEgress {
    pub subnet_id: String,
    pub vpc_id: Option<String>,
    pub route_table_id: Option<String>,
    /// `explicit` association or the VPC's `main` table (None: no table known).
    pub association: Option<&'static str>,
    pub ipv4: FamilyEgress,
    pub ipv6: FamilyEgress,
    /// Prefix-list routes whose entries are not in the inventory (left out of the answer).
    pub unresolved_prefix_lists: Vec<String>,
}

/// One family's way out and the route that decides it.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyEgress {
    pub egress: Egress,
    pub route: Option<RouteRef>,
    /// Why the answer is what it is when the route alone does not say.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteRef {
    pub destination: String,
    pub target: String,
}

/// A resolved resource: its scope, interfaces and subnets.
struct Target<'a> {
    scope: &'a RegionInventory,
    resource: ResourceRef,
    enis: Vec<&'a NetworkInterface>,
    subnets: Vec<String>,
    notes: Vec<String>,
    /// False for what has no interface of its own (a subnet, a function outside any VPC).
    has_interfaces: bool,
}

/// How sure a match is: an id or ARN beats a name or tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    Id,
    Name,
}

/// Every resource `query` names in the snapshot, best matches only.
pub fn find(snapshot: &Snapshot, query: &str) -> Vec<ResourceRef> {
    candidates(snapshot, query)
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

fn candidates(snapshot: &Snapshot, query: &str) -> Vec<(usize, ResourceRef)> {
    let mut found: Vec<(Match, usize, ResourceRef)> = Vec::new();
    for (index, scope) in snapshot.scopes.iter().enumerate() {
        let mut add = |how: Match, kind: ResourceKind, id: &str, name: Option<&str>| {
            found.push((
                how,
                index,
                ResourceRef {
                    kind,
                    id: id.to_owned(),
                    name: name.filter(|n| *n != id).map(str::to_owned),
                    account: scope.account.clone(),
                    region: scope.region.clone(),
                },
            ));
        };
        for i in &scope.instances {
            let name = tag_name(&i.tags);
            if i.id == query {
                add(Match::Id, ResourceKind::Instance, &i.id, name);
            } else if name == Some(query) {
                add(Match::Name, ResourceKind::Instance, &i.id, name);
            }
        }
        for e in &scope.network_interfaces {
            let name = tag_name(&e.tags);
            if e.id == query {
                add(Match::Id, ResourceKind::NetworkInterface, &e.id, name);
            } else if name == Some(query) {
                add(Match::Name, ResourceKind::NetworkInterface, &e.id, name);
            }
        }
        for s in &scope.subnets {
            if s.id == query || s.arn.as_deref() == Some(query) {
                add(Match::Id, ResourceKind::Subnet, &s.id, tag_name(&s.tags));
            }
        }
        for lb in &scope.load_balancers {
            if lb.arn == query {
                add(
                    Match::Id,
                    ResourceKind::LoadBalancer,
                    &lb.arn,
                    Some(&lb.name),
                );
            } else if lb.name == query {
                add(
                    Match::Name,
                    ResourceKind::LoadBalancer,
                    &lb.arn,
                    Some(&lb.name),
                );
            }
        }
        for lb in &scope.classic_load_balancers {
            // `arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/NAME`.
            let arn_tail = format!(
                ":{}:{}:loadbalancer/{}",
                scope.region, scope.account, lb.name
            );
            if query.starts_with("arn:") && query.ends_with(&arn_tail) {
                add(Match::Id, ResourceKind::ClassicLoadBalancer, &lb.name, None);
            } else if lb.name == query {
                add(
                    Match::Name,
                    ResourceKind::ClassicLoadBalancer,
                    &lb.name,
                    None,
                );
            }
        }
        // DB identifiers are names people choose (`web`): they rank with names, not ids, so
        // an instance tagged `web` makes `web` ambiguous rather than silently a database.
        for db in &scope.db_instances {
            if db.arn.as_deref() == Some(query) {
                add(Match::Id, ResourceKind::DbInstance, &db.id, None);
            } else if db.id == query {
                add(Match::Name, ResourceKind::DbInstance, &db.id, None);
            }
        }
        for db in &scope.db_clusters {
            if db.arn.as_deref() == Some(query) {
                add(Match::Id, ResourceKind::DbCluster, &db.id, None);
            } else if db.id == query {
                add(Match::Name, ResourceKind::DbCluster, &db.id, None);
            }
        }
        for f in &scope.lambda_functions {
            // A qualified ARN (`…:function:name:alias`) names the same function.
            let qualified = query
                .strip_prefix(f.arn.as_str())
                .is_some_and(|rest| rest.starts_with(':') && rest.len() > 1);
            if f.arn == query || qualified {
                add(
                    Match::Id,
                    ResourceKind::LambdaFunction,
                    &f.arn,
                    Some(&f.name),
                );
            } else if f.name == query {
                add(
                    Match::Name,
                    ResourceKind::LambdaFunction,
                    &f.arn,
                    Some(&f.name),
                );
            }
        }
        for s in &scope.ecs_services {
            if s.arn == query {
                add(Match::Id, ResourceKind::EcsService, &s.arn, Some(&s.name));
            } else if s.name == query {
                add(Match::Name, ResourceKind::EcsService, &s.arn, Some(&s.name));
            }
        }
    }
    let Some(best) = found.iter().map(|(how, _, _)| *how).min() else {
        return Vec::new();
    };
    let mut best: Vec<(usize, ResourceRef)> = found
        .into_iter()
        .filter(|(how, _, _)| *how == best)
        .map(|(_, index, r)| (index, r))
        .collect();
    // An instance and its own interface sharing a Name tag are one answer: the instance.
    let instances: BTreeSet<(usize, String)> = best
        .iter()
        .filter(|(_, r)| r.kind == ResourceKind::Instance)
        .map(|(i, r)| (*i, r.id.clone()))
        .collect();
    best.retain(|(index, r)| {
        r.kind != ResourceKind::NetworkInterface
            || !snapshot.scopes.get(*index).is_some_and(|scope| {
                scope.network_interfaces.iter().any(|e| {
                    e.id == r.id
                        && attached_instance(e)
                            .is_some_and(|i| instances.contains(&(*index, i.to_owned())))
                })
            })
    });
    best.sort();
    best.dedup();
    best
}

fn tag_name(tags: &crate::model::Tags) -> Option<&str> {
    tags.get("Name").map(String::as_str)
}

/// The instance an interface is attached to.
fn attached_instance(eni: &NetworkInterface) -> Option<&str> {
    eni.instance_id
        .as_deref()
        .or_else(|| eni.attachment.as_ref()?.instance_id.as_deref())
}

fn same_groups(a: &[String], b: &[String]) -> bool {
    let a: BTreeSet<&str> = a.iter().map(String::as_str).collect();
    let b: BTreeSet<&str> = b.iter().map(String::as_str).collect();
    a == b
}

/// `AWS Lambda VPC ENI-<function>-<uuid>` (Hyperplane) or `AWS Lambda VPC ENI-<function>`:
/// the description names exactly this function (not one whose name it starts with).
fn lambda_description_names(description: &str, function: &str) -> bool {
    description
        .strip_prefix("AWS Lambda VPC ENI-")
        .and_then(|rest| rest.strip_prefix(function))
        .is_some_and(|rest| rest.is_empty() || rest.strip_prefix('-').is_some_and(is_uuid))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}

/// The interfaces and subnets of a resolved resource.
fn target<'a>(scope: &'a RegionInventory, resource: ResourceRef) -> Target<'a> {
    let mut t = Target {
        scope,
        resource,
        enis: Vec::new(),
        subnets: Vec::new(),
        notes: Vec::new(),
        has_interfaces: true,
    };
    let id = t.resource.id.clone();
    let nat_interfaces = nat_gateway_interfaces(scope);
    let kind_of = |e: &NetworkInterface| interface_kind(e, &nat_interfaces);
    let enis = &scope.network_interfaces;
    // Interfaces matched by subnet and security groups (RDS, ECS tasks, Lambda's shared ones).
    let by_placement = |kind: SgUserKind, subnets: &[String], groups: &[String]| {
        enis.iter()
            .filter(move |e| {
                kind_of(e) == kind
                    && e.subnet_id.as_ref().is_some_and(|s| subnets.contains(s))
                    && same_groups(&e.security_group_ids, groups)
            })
            .collect::<Vec<_>>()
    };
    match t.resource.kind {
        ResourceKind::Instance => {
            t.enis = enis
                .iter()
                .filter(|e| attached_instance(e) == Some(id.as_str()))
                .collect();
            if let Some(s) = scope
                .instances
                .iter()
                .find(|i| i.id == id)
                .and_then(|i| i.subnet_id.as_deref())
            {
                push_unique(&mut t.subnets, s);
            }
        }
        ResourceKind::NetworkInterface => {
            t.enis = enis.iter().filter(|e| e.id == id).collect();
        }
        ResourceKind::Subnet => {
            t.has_interfaces = false;
            push_unique(&mut t.subnets, &id);
        }
        ResourceKind::LoadBalancer => {
            if let Some(lb) = scope.load_balancers.iter().find(|lb| lb.arn == id) {
                // `…:loadbalancer/app/NAME/ID` → interfaces described `ELB app/NAME/ID`.
                let label = lb
                    .arn
                    .split_once(":loadbalancer/")
                    .map(|(_, tail)| format!("ELB {tail}"));
                t.enis = enis
                    .iter()
                    .filter(|e| label.is_some() && e.description == label)
                    .collect();
                for s in lb.zones.iter().filter_map(|z| z.subnet_id.as_deref()) {
                    push_unique(&mut t.subnets, s);
                }
            }
        }
        ResourceKind::ClassicLoadBalancer => {
            let label = format!("ELB {id}");
            t.enis = enis
                .iter()
                .filter(|e| e.description.as_deref() == Some(label.as_str()))
                .collect();
            if let Some(lb) = scope.classic_load_balancers.iter().find(|lb| lb.name == id) {
                for s in &lb.subnet_ids {
                    push_unique(&mut t.subnets, s);
                }
            }
        }
        ResourceKind::DbInstance | ResourceKind::DbCluster => {
            let (group, sgs) = if t.resource.kind == ResourceKind::DbInstance {
                scope
                    .db_instances
                    .iter()
                    .find(|d| d.id == id)
                    .map(|d| (d.db_subnet_group.clone(), d.security_group_ids.clone()))
                    .unwrap_or_default()
            } else {
                scope
                    .db_clusters
                    .iter()
                    .find(|d| d.id == id)
                    .map(|d| (d.db_subnet_group.clone(), d.security_group_ids.clone()))
                    .unwrap_or_default()
            };
            let subnets: Vec<String> = scope
                .db_subnet_groups
                .iter()
                .find(|g| Some(&g.name) == group.as_ref())
                .map(|g| g.subnets.iter().map(|m| m.subnet_id.clone()).collect())
                .unwrap_or_default();
            if subnets.is_empty() {
                t.notes.push(format!(
                    "the DB subnet group {} is not in the inventory: the database's subnets are unknown",
                    group.as_deref().unwrap_or("(none)")
                ));
            }
            t.enis = by_placement(SgUserKind::Database, &subnets, &sgs);
            let sharing: Vec<&str> = scope
                .db_instances
                .iter()
                .filter(|d| d.id != id && d.db_subnet_group == group)
                .filter(|d| same_groups(&d.security_group_ids, &sgs))
                .map(|d| d.id.as_str())
                .chain(
                    scope
                        .db_clusters
                        .iter()
                        .filter(|d| d.id != id && d.db_subnet_group == group)
                        .filter(|d| same_groups(&d.security_group_ids, &sgs))
                        .map(|d| d.id.as_str()),
                )
                .collect();
            if !t.enis.is_empty() && !sharing.is_empty() {
                t.notes.push(format!(
                    "RDS interfaces do not name their database; these are matched by subnet and \
                     security groups, which {} share",
                    sharing.join(", ")
                ));
            }
            t.subnets = subnets;
        }
        ResourceKind::LambdaFunction => {
            let function = scope.lambda_functions.iter().find(|f| f.arn == id);
            match function.and_then(|f| f.vpc.as_ref().map(|v| (f, v))) {
                None => {
                    t.has_interfaces = false;
                    t.notes.push(
                        "the function is not attached to a VPC: it has no network interface, \
                         and its traffic leaves through the Lambda service, outside the model"
                            .into(),
                    );
                }
                Some((f, vpc)) => {
                    // Lambda shares an interface between functions with the same subnet and
                    // groups; its description names the function that created it.
                    let shared = by_placement(
                        SgUserKind::Function,
                        &vpc.subnet_ids,
                        &vpc.security_group_ids,
                    );
                    t.enis = enis
                        .iter()
                        .filter(|e| {
                            shared.iter().any(|s| s.id == e.id)
                                || e.description
                                    .as_deref()
                                    .is_some_and(|d| lambda_description_names(d, &f.name))
                        })
                        .collect();
                    t.subnets = vpc.subnet_ids.clone();
                }
            }
        }
        ResourceKind::EcsService => {
            let service = scope.ecs_services.iter().find(|s| s.arn == id);
            match service.and_then(|s| s.network.as_ref()) {
                None => {
                    t.has_interfaces = false;
                    t.notes.push(
                        "the service does not use awsvpc networking: its tasks use their \
                         container instances' interfaces (query the instances)"
                            .into(),
                    );
                }
                Some(network) => {
                    t.enis = by_placement(
                        SgUserKind::Interface,
                        &network.subnet_ids,
                        &network.security_group_ids,
                    )
                    .into_iter()
                    .filter(|e| {
                        e.description
                            .as_deref()
                            .is_some_and(|d| d.starts_with("arn:aws") && d.contains(":attachment/"))
                    })
                    .collect();
                    if !t.enis.is_empty() {
                        t.notes.push(
                            "task interfaces do not name their service; these are matched by \
                             subnet and security groups"
                                .into(),
                        );
                    }
                    t.subnets = network.subnet_ids.clone();
                }
            }
        }
    }
    for e in &t.enis {
        if let Some(s) = e.subnet_id.as_deref() {
            push_unique(&mut t.subnets, s);
        }
    }
    t
}

/// Resolves `query` in the snapshot: exactly one resource, else an error.
pub fn resolve(snapshot: &Snapshot, query: &str) -> Result<ResourceRef, QueryError> {
    let mut found = find(snapshot, query);
    match found.len() {
        0 => Err(QueryError::NotFound(query.to_owned())),
        1 => Ok(found.remove(0)),
        _ => Err(QueryError::Ambiguous {
            resource: query.to_owned(),
            candidates: found,
        }),
    }
}

/// `vpcaudit reach RESOURCE`: every internet path into the resource and its way out.
pub fn reach(snapshot: &Snapshot, query: &str) -> Result<ReachReport, QueryError> {
    let mut found = candidates(snapshot, query);
    let (index, resource) = match found.len() {
        0 => return Err(QueryError::NotFound(query.to_owned())),
        1 => found.remove(0),
        _ => {
            return Err(QueryError::Ambiguous {
                resource: query.to_owned(),
                candidates: found.into_iter().map(|(_, r)| r).collect(),
            });
        }
    };
    let Some(scope) = snapshot.scopes.get(index) else {
        return Err(QueryError::NotFound(query.to_owned()));
    };
    let target = target(scope, resource);
    let network = Network::build(target.scope);
    let mut inbound: Vec<InterfaceReach> = target
        .enis
        .iter()
        .map(|eni| InterfaceReach {
            subnet_id: eni.subnet_id.clone(),
            private_ip: eni.private_ip.clone(),
            public_ip: eni.public_ip.clone(),
            reach: network.inbound(eni),
        })
        .collect();
    // Paths the model answers for the resource itself rather than one interface (a load
    // balancer's listeners, a function behind a load balancer): whatever `paths_into` adds.
    if matches!(
        target.resource.kind,
        ResourceKind::LoadBalancer
            | ResourceKind::ClassicLoadBalancer
            | ResourceKind::LambdaFunction
    ) {
        for entry in network.paths_into(&target.resource.id) {
            if !inbound.iter().any(|i| i.reach.eni_id == entry.eni_id) {
                inbound.push(InterfaceReach {
                    subnet_id: None,
                    private_ip: None,
                    public_ip: None,
                    reach: entry,
                });
            }
        }
    }
    let egress = target
        .subnets
        .iter()
        .map(|s| subnet_egress(&network, s))
        .collect();
    let mut not_evaluated = target.notes;
    if target.has_interfaces && target.enis.is_empty() {
        not_evaluated.push(format!(
            "no network interface of this {} is in the inventory{}",
            target.resource.kind.name(),
            if inbound.is_empty() {
                ": its inbound paths are not evaluated"
            } else {
                ""
            }
        ));
    }
    let mut complete = true;
    for error in &snapshot.coverage.errors {
        let here = error.account.as_deref().is_none_or(|a| a == scope.account)
            && error.region.as_deref().is_none_or(|r| r == scope.region);
        if here {
            complete = false;
            not_evaluated.push(format!(
                "{}:{} failed: {} (what it covers is unknown)",
                error.service, error.operation, error.error
            ));
        }
    }
    for unknown in &snapshot.coverage.unknown {
        if unknown.account == scope.account && unknown.region == scope.region {
            not_evaluated.push(unknown.describe());
        }
    }
    Ok(ReachReport {
        resource: target.resource,
        inbound,
        egress,
        not_evaluated,
        complete,
    })
}

fn subnet_egress(network: &Network<'_>, subnet_id: &str) -> SubnetEgress {
    let Some(reach) = network.subnet(subnet_id) else {
        let unknown = || FamilyEgress {
            egress: Egress::Unknown,
            route: None,
            note: Some("the subnet is not in the inventory".into()),
        };
        return SubnetEgress {
            subnet_id: subnet_id.to_owned(),
            vpc_id: None,
            route_table_id: None,
            association: None,
            ipv4: unknown(),
            ipv6: unknown(),
            unresolved_prefix_lists: Vec::new(),
        };
    };
    let family = |v6: bool| {
        let egress = if v6 { reach.egress_v6 } else { reach.egress_v4 };
        let route = reach.egress_route(v6).map(|r| RouteRef {
            destination: r.destination.to_string(),
            target: r.target.id().to_owned(),
        });
        let note = if reach.table.is_none() {
            Some("no route table for the subnet in the inventory".to_owned())
        } else if v6 && reach.subnet.ipv6_cidr_blocks.is_empty() {
            Some("the subnet has no IPv6 CIDR".to_owned())
        } else if route.is_none() && egress == Egress::None {
            Some("no route to the internet".to_owned())
        } else {
            None
        };
        FamilyEgress {
            egress,
            route,
            note,
        }
    };
    SubnetEgress {
        subnet_id: subnet_id.to_owned(),
        vpc_id: Some(reach.subnet.vpc_id.clone()),
        route_table_id: reach.table.map(|t| t.id.clone()),
        association: reach
            .table
            .map(|_| if reach.explicit { "explicit" } else { "main" }),
        ipv4: family(false),
        ipv6: family(true),
        unresolved_prefix_lists: reach.unresolved.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> Snapshot {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/acme-small.json");
        Snapshot::load(&path).expect("the bundled example loads")
    }

    /// Two scopes: an instance `web` whose interface is also tagged `web`, an ECS service
    /// `api` in each region, and an instance tagged with the other's id.
    fn two_regions() -> Snapshot {
        let scope = |region: &str| {
            serde_json::json!({
                "account": "111122223333", "region": region,
                "instances": [
                    {"id": format!("i-web-{region}"), "tags": {"Name": "web"}},
                    {"id": format!("i-odd-{region}"), "tags": {"Name": "i-web-eu-west-1"}}
                ],
                "network_interfaces": [{
                    "id": format!("eni-{region}"), "tags": {"Name": "web"},
                    "attachment": {"instance_id": format!("i-web-{region}")}
                }],
                "ecs_services": [{
                    "arn": format!("arn:aws:ecs:{region}:111122223333:service/c/api"),
                    "name": "api", "cluster_arn": "c"
                }]
            })
        };
        serde_json::from_value(serde_json::json!({
            "format_version": 1,
            "tool": {"name": "vpcaudit", "version": "0"},
            "collected_at": "2026-12-01T00:00:00Z",
            "regions": ["eu-west-1", "us-east-1"],
            "scopes": [scope("eu-west-1"), scope("us-east-1")],
            "coverage": {"collected": [], "errors": []}
        }))
        .expect("snapshot")
    }

    #[test]
    fn ids_beat_names_and_an_instance_absorbs_its_own_interface() {
        let s = two_regions();
        // The id wins over the other instance's Name tag.
        let web = resolve(&s, "i-web-eu-west-1").expect("by id");
        assert_eq!(
            (web.kind, web.region.as_str()),
            (ResourceKind::Instance, "eu-west-1")
        );
        // `web` tags an instance and its interface in each region: two instances, no ENI.
        match resolve(&s, "web") {
            Err(QueryError::Ambiguous { candidates, .. }) => {
                let ids: Vec<&str> = candidates.iter().map(|c| c.id.as_str()).collect();
                assert_eq!(ids, ["i-web-eu-west-1", "i-web-us-east-1"]);
            }
            other => panic!("ambiguous expected, got {other:?}"),
        }
        // A service name in two regions is ambiguous; its ARN is not.
        assert!(matches!(
            resolve(&s, "api"),
            Err(QueryError::Ambiguous { .. })
        ));
        let arn = "arn:aws:ecs:us-east-1:111122223333:service/c/api";
        assert_eq!(
            resolve(&s, arn).map(|r| r.region),
            Ok("us-east-1".to_owned())
        );
        let message = resolve(&s, "api").expect_err("ambiguous").to_string();
        assert!(message.contains("in 111122223333 eu-west-1"), "{message}");
        assert!(message.contains("pass an id or ARN"), "{message}");
    }

    #[test]
    fn database_identifiers_rank_with_names_and_classic_arns_resolve() {
        let s: Snapshot = serde_json::from_value(serde_json::json!({
            "format_version": 1,
            "tool": {"name": "vpcaudit", "version": "0"},
            "collected_at": "2026-12-01T00:00:00Z",
            "regions": ["eu-west-1"],
            "scopes": [{
                "account": "111122223333", "region": "eu-west-1",
                "instances": [{"id": "i-1", "tags": {"Name": "web"}}],
                "db_instances": [{"id": "web",
                                  "arn": "arn:aws:rds:eu-west-1:111122223333:db:web"}],
                "classic_load_balancers": [{"name": "legacy"}]
            }],
            "coverage": {"collected": [], "errors": []}
        }))
        .expect("snapshot");
        assert!(matches!(
            resolve(&s, "web"),
            Err(QueryError::Ambiguous { .. })
        ));
        let db = resolve(&s, "arn:aws:rds:eu-west-1:111122223333:db:web").expect("by ARN");
        assert_eq!(db.kind, ResourceKind::DbInstance);
        let arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/legacy";
        let classic = resolve(&s, arn).expect("classic by ARN");
        assert_eq!(
            (classic.kind, classic.id.as_str()),
            (ResourceKind::ClassicLoadBalancer, "legacy")
        );
    }

    #[test]
    fn a_service_without_interfaces_is_not_evaluated_not_unreachable() {
        let s = two_regions();
        let arn = "arn:aws:ecs:eu-west-1:111122223333:service/c/api";
        let answer = reach(&s, arn).expect("resolves");
        assert!(answer.inbound.is_empty());
        assert!(
            answer.not_evaluated.iter().any(|n| n.contains("awsvpc")),
            "{:?}",
            answer.not_evaluated
        );
    }

    #[test]
    fn lambda_descriptions_name_exactly_one_function() {
        let d = "AWS Lambda VPC ENI-acme-prod-orders-worker-7248f47e-8e4d-4047-bfaa-fabb594a458d";
        assert!(lambda_description_names(d, "acme-prod-orders-worker"));
        assert!(!lambda_description_names(d, "acme-prod-orders"));
        assert!(!lambda_description_names(d, "acme"));
        assert!(lambda_description_names(
            "AWS Lambda VPC ENI-report-uat",
            "report-uat"
        ));
        assert!(!lambda_description_names(
            "AWS Lambda VPC ENI-report-uat",
            "report"
        ));
    }

    #[test]
    fn names_ids_and_arns_resolve() {
        let s = acme();
        let kind = |q: &str| resolve(&s, q).map(|r| r.kind);
        assert_eq!(kind("i-071b520a97e653b1a"), Ok(ResourceKind::Instance));
        assert_eq!(kind("acme-staging-bastion"), Ok(ResourceKind::Instance));
        assert_eq!(kind("acme-prod-web"), Ok(ResourceKind::LoadBalancer));
        assert_eq!(kind("acme-prod-db"), Ok(ResourceKind::DbInstance));
        assert_eq!(
            kind("acme-prod-orders-worker"),
            Ok(ResourceKind::LambdaFunction)
        );
        assert_eq!(kind("subnet-0885209605fa2fb72"), Ok(ResourceKind::Subnet));
        assert!(matches!(kind("nope"), Err(QueryError::NotFound(_))));
    }

    #[test]
    fn managed_interfaces_map_to_their_resource() {
        let s = acme();
        let alb = reach(&s, "acme-prod-web").expect("alb");
        let mut enis: Vec<&str> = alb
            .inbound
            .iter()
            .filter(|i| i.subnet_id.is_some())
            .map(|i| i.reach.eni_id.as_str())
            .collect();
        enis.sort_unstable();
        // Its two interfaces (and whatever the model answers for the load balancer itself).
        assert_eq!(enis, ["eni-07b32420c746c3d53", "eni-08a0d72ecf4ba44b2"]);
        let db = reach(&s, "acme-prod-db").expect("db");
        assert_eq!(db.inbound.len(), 1, "{db:?}");
        assert_eq!(db.inbound[0].reach.eni_id, "eni-064a1945d45dadbb3");
        let f = reach(&s, "acme-prod-orders-worker").expect("lambda");
        assert_eq!(f.inbound.len(), 2);
        let plain = reach(&s, "acme-billing-sync").expect("lambda outside a VPC");
        assert!(plain.inbound.is_empty());
        assert!(
            plain
                .not_evaluated
                .iter()
                .any(|n| n.contains("not attached to a VPC"))
        );
    }
}
