//! Shared VPCs (AWS RAM subnet sharing): which account judges what.
//!
//! # What each side can read
//!
//! A VPC's owner shares some of its subnets with other accounts of its Organization, the
//! *participants* ("Share your VPC subnets with other accounts" and "Responsibilities and
//! permissions for owners and participants", Amazon VPC User Guide:
//! <https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing.html>,
//! <https://docs.aws.amazon.com/vpc/latest/userguide/vpc-share-limitations.html>). What a
//! participant's Describe calls return, and so what its inventory holds:
//!
//! - the shared VPC and **only the subnets shared with it** (each with the owner's account in
//!   `owner_id`): other subnets of the VPC are invisible, so its tiers and zones are unknown;
//! - the VPC's route tables, network ACLs and gateways, read-only: routing and filtering of
//!   its own workloads can be judged;
//! - its own workloads (instances, network interfaces, security groups, functions, databases,
//!   load balancers, services), never the owner's or another participant's;
//! - **not** the owner's flow logs: participants can describe flow logs only of the network
//!   interfaces they own, never those of the VPC or of a shared subnet;
//! - **not** the owner's tags: tags are not shared, so names, tiers and environments the owner
//!   declared on the VPC and its subnets read as absent.
//!
//! # What vpcaudit does with that
//!
//! A VPC is *shared in* to a scope when its `owner_id` (or its subnets') names another
//! account. Then, per account and region:
//!
//! - **Owner in the same scan (same region): join.** The participant's workloads in the VPC
//!   (instances, network interfaces, security groups, functions, databases and their subnet
//!   groups, load balancers with their listeners and targets, ECS services, Elastic IPs and
//!   flow logs of its interfaces, VPC endpoints) move into the owner's scope, and the
//!   participant's read-only copy of the VPC's network (the VPC, its subnets, route tables,
//!   network ACLs and gateways) is dropped. The VPC is judged once, in the owner's scope, with
//!   every account's workloads in it: VPC-level findings are raised once, under the owner's
//!   account; findings on a participant's resources keep the participant's account (and ARN).
//!   A dataset the participant could not read counts as missing in the owner's scope too
//!   (named with the participant's account), since the joined VPC needs it.
//! - **Owner not in the scan: judge what the participant can see.** Workload rules (security
//!   groups, public addresses, Lambda placement, databases) run as usual, and findings on the
//!   owner's network (route tables, ACLs, gateways, subnets) carry the owner's account. The
//!   rules whose judgement of the VPC needs what only the owner reads ([`OWNER_ONLY`]: flow
//!   logs, the owner's tags, the subnets not shared, the other accounts' workloads) do not
//!   judge it: their findings on it are withheld and `coverage.not_evaluated` names the rule,
//!   the VPC, its owner and what is missing, so the scan is incomplete (exit 3), never silently
//!   clean.
//! - **Either side:** network interfaces and security groups whose `owner_id` names another
//!   account (a participant's interfaces seen by the owner in its shared subnets, a shared
//!   group) are named with that account in findings.
//! - **Once:** the owner's network judged from several participants' sides (the owner not in
//!   the scan) gives the same findings, with the same fingerprints: the engine keeps one.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::config::Settings;
use crate::model::RegionInventory;
use crate::snapshot::{Dataset, MissingDatasets, Snapshot};

/// What a rule's judgement of a shared VPC needs that only the owner can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerData {
    /// The VPC's flow logs (OBS001).
    FlowLogs,
    /// The owner's tags and the other accounts' resources (ENV001).
    TagsAndResources,
    /// The subnets not shared with the participant (AZ001).
    UnsharedSubnets,
    /// The owner's names and tags on the shared subnets (TIER001).
    SubnetTags,
    /// The other accounts' resources the participant's functions could talk to (LAM004).
    OtherResources,
    /// The owner's environment tag on the VPC, for databases without their own (AZ003).
    EnvironmentTag,
}

/// The rules that cannot judge a shared VPC from a participant's side alone.
pub const OWNER_ONLY: &[(&str, OwnerData)] = &[
    ("OBS001", OwnerData::FlowLogs),
    ("ENV001", OwnerData::TagsAndResources),
    ("AZ001", OwnerData::UnsharedSubnets),
    ("TIER001", OwnerData::SubnetTags),
    ("LAM004", OwnerData::OtherResources),
    ("AZ003", OwnerData::EnvironmentTag),
];

impl OwnerData {
    fn of(rule_id: &str) -> Option<OwnerData> {
        OWNER_ONLY
            .iter()
            .find(|(id, _)| *id == rule_id)
            .map(|(_, data)| *data)
    }

    fn describe(self, vpc_id: &str) -> String {
        match self {
            OwnerData::FlowLogs => format!("the flow logs of {vpc_id}"),
            OwnerData::TagsAndResources => {
                format!("the owner's tags and the other accounts' resources in {vpc_id}")
            }
            OwnerData::UnsharedSubnets => {
                format!("the subnets of {vpc_id} not shared with this account")
            }
            OwnerData::SubnetTags => {
                format!("the owner's names and tags of the subnets of {vpc_id}")
            }
            OwnerData::OtherResources => format!("the other accounts' resources in {vpc_id}"),
            OwnerData::EnvironmentTag => format!("the owner's environment tag on {vpc_id}"),
        }
    }
}

/// A VPC seen from a participant's side, its owner not in the scan.
#[derive(Debug, Clone)]
pub struct UnjoinedVpc {
    pub vpc_id: String,
    pub owner: String,
    /// Whether the owner's account is in the scan for this region (its inventory then lacks
    /// the VPC: deleted between the two reads, or not readable).
    pub owner_scanned: bool,
    /// Per owner-only rule, the resources whose judgement needs the owner's data (empty:
    /// nothing of the participant's is judged there, no gap).
    subjects: BTreeMap<&'static str, BTreeSet<String>>,
    /// Whether the participant has workloads of its own in the VPC (else no gap is reported).
    has_workloads: bool,
}

/// One scope as the rules judge it: the snapshot's inventory, or that inventory with shared
/// VPCs joined in or moved out.
pub struct JudgedScope<'a> {
    pub inventory: Cow<'a, RegionInventory>,
    /// The account of each resource (by the id findings name it with) that is not this
    /// scope's account: the owner's network seen by a participant, a participant's workloads
    /// joined into its owner's scope.
    pub owners: HashMap<String, String>,
    /// Participants whose workloads were joined into this scope.
    pub participants: BTreeSet<String>,
    /// Shared VPCs judged from this participant's side only.
    pub unjoined: Vec<UnjoinedVpc>,
}

impl JudgedScope<'_> {
    pub fn account(&self) -> &str {
        &self.inventory.account
    }

    pub fn region(&self) -> &str {
        &self.inventory.region
    }

    /// Why `rule_id` cannot judge everything here: one sentence per shared VPC whose owner
    /// is not in the scan.
    pub fn gaps(&self, rule_id: &str) -> Vec<String> {
        let Some(data) = OwnerData::of(rule_id) else {
            return Vec::new();
        };
        self.unjoined
            .iter()
            .filter(|v| v.has_workloads)
            .filter(|v| v.subjects.get(rule_id).is_some_and(|s| !s.is_empty()))
            .map(|v| {
                let why = if v.owner_scanned {
                    "the owner's inventory in this scan does not hold it"
                } else {
                    "its owner is not in this scan"
                };
                format!(
                    "{}: {} is owned by {} and shared with this account (AWS RAM); {why}",
                    data.describe(&v.vpc_id),
                    v.vpc_id,
                    v.owner
                )
            })
            .collect()
    }

    /// Whether a finding of `rule_id` on `resource_id` would rest on data only a shared VPC's
    /// owner can read.
    pub fn withheld(&self, rule_id: &str, resource_id: &str) -> bool {
        self.unjoined.iter().any(|v| {
            v.subjects
                .get(rule_id)
                .is_some_and(|s| s.contains(resource_id))
        })
    }

    /// The datasets `requires` lists that are missing here: this account's, as their IAM
    /// action (or the unknown values that make them so), then each joined participant's.
    pub fn missing(
        &self,
        requires: &[Dataset],
        failed: &MissingDatasets<'_>,
        snapshot: &Snapshot,
    ) -> Vec<String> {
        let region = self.region();
        let mut missing = Vec::new();
        for dataset in requires
            .iter()
            .filter(|d| failed.is_missing(**d, self.account(), region))
        {
            // A template's unknown values name themselves; a failed call its action.
            let unknown = snapshot
                .coverage
                .unknown_in(*dataset, self.account(), region);
            if unknown.is_empty() {
                missing.push(dataset.iam_action());
            } else {
                missing.extend(unknown);
            }
        }
        for participant in &self.participants {
            for dataset in requires
                .iter()
                .filter(|d| failed.is_missing(**d, participant, region))
            {
                missing.push(format!(
                    "{} (participant {participant}, whose workloads in a shared VPC are judged here)",
                    dataset.iam_action()
                ));
            }
        }
        // Datasets that share an IAM action (load balancers v2 and Classic:
        // elasticloadbalancing:DescribeLoadBalancers) name it once.
        let mut seen = HashSet::new();
        missing.retain(|m| seen.insert(m.clone()));
        missing
    }
}

/// The VPCs each scope sees as shared in, with their owner.
fn shared_in(scope: &RegionInventory) -> BTreeMap<&str, &str> {
    fn foreign<'s>(owner: &'s Option<String>, account: &str) -> Option<&'s str> {
        owner.as_deref().filter(|o| !o.is_empty() && *o != account)
    }
    let own_vpcs: HashSet<&str> = scope
        .vpcs
        .iter()
        .filter(|v| v.owner_id.as_deref() == Some(scope.account.as_str()))
        .map(|v| v.id.as_str())
        .collect();
    let mut shared: BTreeMap<&str, &str> = BTreeMap::new();
    for subnet in &scope.subnets {
        if let Some(owner) = foreign(&subnet.owner_id, &scope.account) {
            if !own_vpcs.contains(subnet.vpc_id.as_str()) {
                shared.insert(subnet.vpc_id.as_str(), owner);
            }
        }
    }
    // The VPC's own owner wins over its subnets'.
    for vpc in &scope.vpcs {
        if let Some(owner) = foreign(&vpc.owner_id, &scope.account) {
            shared.insert(vpc.id.as_str(), owner);
        }
    }
    shared
}

/// The scopes of a snapshot as the rules judge them (see the module documentation): shared
/// VPCs whose owner is in the scan are joined into the owner's scope; the others are marked
/// so that owner-only rules leave them alone. A snapshot without shared VPCs is returned as
/// it is, borrowed.
pub fn plan<'a>(snapshot: &'a Snapshot, settings: &Settings) -> Vec<JudgedScope<'a>> {
    let failed = snapshot.coverage.missing();
    let index: HashMap<(&str, &str), usize> = snapshot
        .scopes
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.account.as_str(), s.region.as_str()), i))
        .collect();
    let mut judged: Vec<JudgedScope<'a>> = snapshot
        .scopes
        .iter()
        .map(|s| JudgedScope {
            inventory: Cow::Borrowed(s),
            owners: HashMap::new(),
            participants: BTreeSet::new(),
            unjoined: Vec::new(),
        })
        .collect();
    // Interfaces and security groups another account owns (a participant's, seen by the
    // owner in its shared subnets; a group shared with this account) are named with it.
    for (scope, target) in snapshot.scopes.iter().zip(judged.iter_mut()) {
        let foreign = |id: &str, owner: &Option<String>| {
            owner
                .as_deref()
                .filter(|o| !o.is_empty() && *o != scope.account)
                .map(|o| (id.to_owned(), o.to_owned()))
        };
        target.owners.extend(
            scope
                .network_interfaces
                .iter()
                .filter_map(|e| foreign(&e.id, &e.owner_id))
                .chain(
                    scope
                        .security_groups
                        .iter()
                        .filter_map(|g| foreign(&g.id, &g.owner_id)),
                ),
        );
    }
    for (participant, scope) in snapshot.scopes.iter().enumerate() {
        for (vpc_id, owner) in shared_in(scope) {
            let owner_scanned = index.contains_key(&(owner, scope.region.as_str()));
            let owner_scope = index
                .get(&(owner, scope.region.as_str()))
                .copied()
                .filter(|&o| {
                    snapshot.scopes.get(o).is_some_and(|s| {
                        s.vpcs.iter().any(|v| v.id == vpc_id)
                            || failed.is_missing(Dataset::Vpcs, &s.account, &s.region)
                    })
                });
            match owner_scope {
                Some(o) => join(&mut judged, participant, o, vpc_id),
                None => {
                    if let Some(target) = judged.get_mut(participant) {
                        mark_unjoined(target, vpc_id, owner, owner_scanned, settings);
                    }
                }
            }
        }
    }
    judged
}

/// The ids of a scope's subnets in `vpc_id`.
fn subnets_of(scope: &RegionInventory, vpc_id: &str) -> HashSet<String> {
    scope
        .subnets
        .iter()
        .filter(|s| s.vpc_id == vpc_id)
        .map(|s| s.id.clone())
        .collect()
}

/// Records, in a participant's scope, a shared VPC whose owner is not in the scan: the
/// owner's network is named with the owner's account, and the owner-only rules' subjects are
/// listed.
fn mark_unjoined(
    target: &mut JudgedScope<'_>,
    vpc_id: &str,
    owner: &str,
    owner_scanned: bool,
    settings: &Settings,
) {
    let inv = target.inventory.as_ref();
    let subnets = subnets_of(inv, vpc_id);
    let mut owners: Vec<(String, String)> = vec![(vpc_id.to_owned(), owner.to_owned())];
    for subnet in inv.subnets.iter().filter(|s| s.vpc_id == vpc_id) {
        let account = subnet.owner_id.clone().unwrap_or_else(|| owner.to_owned());
        owners.push((subnet.id.clone(), account));
    }
    let network = inv
        .route_tables
        .iter()
        .filter(|t| t.vpc_id == vpc_id)
        .map(|t| t.id.clone())
        .chain(
            inv.network_acls
                .iter()
                .filter(|a| a.vpc_id == vpc_id)
                .map(|a| a.id.clone()),
        )
        .chain(
            inv.nat_gateways
                .iter()
                .filter(|n| n.vpc_id == vpc_id)
                .map(|n| n.id.clone()),
        )
        .chain(
            inv.internet_gateways
                .iter()
                .filter(|g| g.attached_vpc_ids.iter().any(|v| v == vpc_id))
                .map(|g| g.id.clone()),
        );
    owners.extend(network.map(|id| (id, owner.to_owned())));

    let whole_vpc: BTreeSet<String> = [vpc_id.to_owned()].into();
    let functions: BTreeSet<String> = inv
        .lambda_functions
        .iter()
        .filter(|f| {
            f.vpc
                .iter()
                .flat_map(|v| v.subnet_ids.iter())
                .any(|s| subnets.contains(s))
        })
        .map(|f| f.name.clone())
        .collect();
    let groups_in_vpc: HashSet<&str> = inv
        .db_subnet_groups
        .iter()
        .filter(|g| g.vpc_id == vpc_id)
        .map(|g| g.name.as_str())
        .collect();
    let untagged = |tags| settings.environment_of(tags).is_none();
    let databases: BTreeSet<String> = inv
        .db_instances
        .iter()
        .filter(|d| {
            (d.vpc_id.as_deref() == Some(vpc_id)
                || d.db_subnet_group
                    .as_deref()
                    .is_some_and(|g| groups_in_vpc.contains(g)))
                && untagged(&d.tags)
        })
        .map(|d| d.id.clone())
        .chain(
            inv.db_clusters
                .iter()
                .filter(|c| {
                    c.db_subnet_group
                        .as_deref()
                        .is_some_and(|g| groups_in_vpc.contains(g))
                        && untagged(&c.tags)
                })
                .map(|c| c.id.clone()),
        )
        .collect();
    // A participant with nothing of its own in the VPC (no instance, interface, function or
    // database there) has nothing the VPC-level rules would judge for it: no gap to report
    // (findings on the owner's network are still withheld).
    let in_vpc = |subnet: Option<&str>, vpc: Option<&str>| {
        subnet.is_some_and(|s| subnets.contains(s)) || vpc == Some(vpc_id)
    };
    let has_workloads = !functions.is_empty()
        || !databases.is_empty()
        || inv
            .instances
            .iter()
            .any(|i| i.is_live() && in_vpc(i.subnet_id.as_deref(), i.vpc_id.as_deref()))
        || inv
            .network_interfaces
            .iter()
            .any(|e| !e.requester_managed && in_vpc(e.subnet_id.as_deref(), e.vpc_id.as_deref()))
        || inv.db_instances.iter().any(|d| {
            d.vpc_id.as_deref() == Some(vpc_id)
                || d.db_subnet_group
                    .as_deref()
                    .is_some_and(|g| groups_in_vpc.contains(g))
        });
    let shared_subnets: BTreeSet<String> = subnets.iter().cloned().collect();
    let subjects = OWNER_ONLY
        .iter()
        .map(|(rule_id, data)| {
            let subjects = match data {
                OwnerData::FlowLogs | OwnerData::TagsAndResources | OwnerData::UnsharedSubnets => {
                    whole_vpc.clone()
                }
                OwnerData::SubnetTags => shared_subnets.clone(),
                OwnerData::OtherResources => functions.clone(),
                OwnerData::EnvironmentTag => databases.clone(),
            };
            (*rule_id, subjects)
        })
        .collect();
    target.owners.extend(owners);
    target.unjoined.push(UnjoinedVpc {
        vpc_id: vpc_id.to_owned(),
        owner: owner.to_owned(),
        owner_scanned,
        subjects,
        has_workloads,
    });
}

/// Moves a participant's workloads in `vpc_id` into the owner's scope and drops the
/// participant's copy of the VPC's network.
fn join(judged: &mut [JudgedScope<'_>], participant: usize, owner: usize, vpc_id: &str) {
    let Some(from) = judged.get_mut(participant) else {
        return;
    };
    let participant_account = from.inventory.account.clone();
    let moved = take_vpc(from.inventory.to_mut(), vpc_id);
    let Some(to) = judged.get_mut(owner) else {
        return;
    };
    let owners = give(to.inventory.to_mut(), moved);
    to.owners.extend(
        owners
            .into_iter()
            .map(|id| (id, participant_account.clone())),
    );
    to.participants.insert(participant_account);
}

/// Removes from `inv` everything in `vpc_id`: its network (dropped) and its workloads
/// (returned).
fn take_vpc(inv: &mut RegionInventory, vpc_id: &str) -> RegionInventory {
    let subnets = subnets_of(inv, vpc_id);
    let in_vpc = |vpc: Option<&str>, subnet: Option<&str>| {
        vpc == Some(vpc_id) || subnet.is_some_and(|s| subnets.contains(s))
    };
    let in_subnets = |ids: &[String]| ids.iter().any(|s| subnets.contains(s));
    let mut moved = RegionInventory::default();

    // The owner's network: the owner's scope holds the authoritative copy.
    inv.vpcs.retain(|v| v.id != vpc_id);
    inv.subnets.retain(|s| s.vpc_id != vpc_id);
    inv.route_tables.retain(|t| t.vpc_id != vpc_id);
    inv.network_acls.retain(|a| a.vpc_id != vpc_id);
    inv.nat_gateways.retain(|n| n.vpc_id != vpc_id);
    inv.internet_gateways
        .retain(|g| !g.attached_vpc_ids.iter().any(|v| v == vpc_id));
    inv.egress_only_internet_gateways
        .retain(|g| !g.attached_vpc_ids.iter().any(|v| v == vpc_id));

    // The participant's workloads.
    (moved.instances, inv.instances) = std::mem::take(&mut inv.instances)
        .into_iter()
        .partition(|i| in_vpc(i.vpc_id.as_deref(), i.subnet_id.as_deref()));
    (moved.network_interfaces, inv.network_interfaces) =
        std::mem::take(&mut inv.network_interfaces)
            .into_iter()
            .partition(|e| in_vpc(e.vpc_id.as_deref(), e.subnet_id.as_deref()));
    (moved.security_groups, inv.security_groups) = std::mem::take(&mut inv.security_groups)
        .into_iter()
        .partition(|g| in_vpc(g.vpc_id.as_deref(), None));
    (moved.lambda_functions, inv.lambda_functions) = std::mem::take(&mut inv.lambda_functions)
        .into_iter()
        .partition(|f| f.vpc.as_ref().is_some_and(|v| in_subnets(&v.subnet_ids)));
    (moved.db_subnet_groups, inv.db_subnet_groups) = std::mem::take(&mut inv.db_subnet_groups)
        .into_iter()
        .partition(|g| g.vpc_id == vpc_id);
    let groups: HashSet<String> = moved
        .db_subnet_groups
        .iter()
        .map(|g| g.name.clone())
        .collect();
    let in_group = |group: &Option<String>| group.as_ref().is_some_and(|g| groups.contains(g));
    (moved.db_instances, inv.db_instances) = std::mem::take(&mut inv.db_instances)
        .into_iter()
        .partition(|d| d.vpc_id.as_deref() == Some(vpc_id) || in_group(&d.db_subnet_group));
    (moved.db_clusters, inv.db_clusters) = std::mem::take(&mut inv.db_clusters)
        .into_iter()
        .partition(|c| in_group(&c.db_subnet_group));
    (moved.load_balancers, inv.load_balancers) = std::mem::take(&mut inv.load_balancers)
        .into_iter()
        .partition(|b| b.vpc_id.as_deref() == Some(vpc_id));
    let balancers: HashSet<String> = moved.load_balancers.iter().map(|b| b.arn.clone()).collect();
    (moved.listeners, inv.listeners) = std::mem::take(&mut inv.listeners)
        .into_iter()
        .partition(|l| balancers.contains(&l.load_balancer_arn));
    (moved.target_groups, inv.target_groups) = std::mem::take(&mut inv.target_groups)
        .into_iter()
        .partition(|g| {
            g.vpc_id.as_deref() == Some(vpc_id)
                || g.load_balancer_arns.iter().any(|a| balancers.contains(a))
        });
    let target_groups: HashSet<String> =
        moved.target_groups.iter().map(|g| g.arn.clone()).collect();
    (moved.targets, inv.targets) = std::mem::take(&mut inv.targets)
        .into_iter()
        .partition(|t| target_groups.contains(&t.target_group_arn));
    (moved.classic_load_balancers, inv.classic_load_balancers) =
        std::mem::take(&mut inv.classic_load_balancers)
            .into_iter()
            .partition(|b| b.vpc_id.as_deref() == Some(vpc_id));
    (moved.ecs_services, inv.ecs_services) = std::mem::take(&mut inv.ecs_services)
        .into_iter()
        .partition(|s| {
            s.network
                .as_ref()
                .is_some_and(|n| in_subnets(&n.subnet_ids))
        });
    (moved.vpc_endpoints, inv.vpc_endpoints) = std::mem::take(&mut inv.vpc_endpoints)
        .into_iter()
        .partition(|e| e.vpc_id == vpc_id);
    let interfaces: HashSet<String> = moved
        .network_interfaces
        .iter()
        .map(|e| e.id.clone())
        .collect();
    let instances: HashSet<String> = moved.instances.iter().map(|i| i.id.clone()).collect();
    (moved.elastic_ips, inv.elastic_ips) = std::mem::take(&mut inv.elastic_ips)
        .into_iter()
        .partition(|a| {
            a.network_interface_id
                .as_ref()
                .is_some_and(|e| interfaces.contains(e))
                || a.instance_id
                    .as_ref()
                    .is_some_and(|i| instances.contains(i))
        });
    // Flow logs of the participant's own interfaces (the only ones it can create there).
    (moved.flow_logs, inv.flow_logs) = std::mem::take(&mut inv.flow_logs)
        .into_iter()
        .partition(|l| interfaces.contains(&l.resource_id) || l.resource_id == vpc_id);
    moved
}

/// Adds a participant's workloads to the owner's inventory, skipping what the owner already
/// lists, and returns the keys (id, or ARN for resources whose names are unique only within
/// an account) findings on the added resources can be recognised by.
fn give(inv: &mut RegionInventory, moved: RegionInventory) -> Vec<String> {
    use crate::model::*;
    let mut named = Vec::new();
    macro_rules! merge {
        ($field:ident, $key:expr, $named:expr) => {{
            let key = $key;
            let present: HashSet<String> = inv.$field.iter().map(|x| key(x)).collect();
            for item in moved.$field {
                if present.contains(&key(&item)) {
                    continue;
                }
                if $named {
                    named.push(key(&item));
                }
                inv.$field.push(item);
            }
        }};
    }
    merge!(instances, |x: &Instance| x.id.clone(), true);
    merge!(
        network_interfaces,
        |x: &NetworkInterface| x.id.clone(),
        true
    );
    merge!(security_groups, |x: &SecurityGroup| x.id.clone(), true);
    merge!(lambda_functions, |x: &LambdaFunction| x.arn.clone(), true);
    merge!(
        db_subnet_groups,
        |x: &DbSubnetGroup| x.arn.clone().unwrap_or_else(|| x.name.clone()),
        true
    );
    merge!(
        db_instances,
        |x: &DbInstance| x.arn.clone().unwrap_or_else(|| x.id.clone()),
        true
    );
    merge!(
        db_clusters,
        |x: &DbCluster| x.arn.clone().unwrap_or_else(|| x.id.clone()),
        true
    );
    merge!(load_balancers, |x: &LoadBalancer| x.arn.clone(), false);
    merge!(listeners, |x: &Listener| x.arn.clone(), false);
    merge!(target_groups, |x: &TargetGroup| x.arn.clone(), false);
    merge!(
        targets,
        |x: &Target| format!("{} {}", x.target_group_arn, x.id),
        false
    );
    merge!(
        classic_load_balancers,
        |x: &ClassicLoadBalancer| x.dns_name.clone().unwrap_or_else(|| x.name.clone()),
        false
    );
    merge!(ecs_services, |x: &EcsService| x.arn.clone(), false);
    merge!(vpc_endpoints, |x: &VpcEndpoint| x.id.clone(), true);
    merge!(elastic_ips, |x: &ElasticIp| x.public_ip.clone(), false);
    merge!(flow_logs, |x: &FlowLog| x.id.clone(), false);
    named.retain(|key| !key.is_empty());
    named
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::ScopeFacts;
    use crate::model::{RouteTable, Subnet, Vpc};
    use crate::snapshot::{Coverage, SNAPSHOT_FORMAT_VERSION, ToolInfo};

    const OWNER: &str = "222222222222";
    const PARTICIPANT: &str = "111111111111";

    fn participant() -> RegionInventory {
        RegionInventory {
            account: PARTICIPANT.to_owned(),
            region: "eu-west-1".to_owned(),
            vpcs: vec![Vpc {
                id: "vpc-shared".to_owned(),
                owner_id: Some(OWNER.to_owned()),
                ..Vpc::default()
            }],
            subnets: vec![Subnet {
                id: "subnet-a".to_owned(),
                vpc_id: "vpc-shared".to_owned(),
                owner_id: Some(OWNER.to_owned()),
                ..Subnet::default()
            }],
            route_tables: vec![RouteTable {
                id: "rtb-shared".to_owned(),
                vpc_id: "vpc-shared".to_owned(),
                ..RouteTable::default()
            }],
            ..RegionInventory::default()
        }
    }

    fn snapshot(scopes: Vec<RegionInventory>) -> Snapshot {
        Snapshot {
            format_version: SNAPSHOT_FORMAT_VERSION,
            tool: ToolInfo::current(),
            collected_at: String::new(),
            account: None,
            accounts: Vec::new(),
            regions: vec!["eu-west-1".to_owned()],
            scopes,
            coverage: Coverage::default(),
            collection: None,
        }
    }

    #[test]
    fn the_owners_network_seen_by_a_participant_is_named_with_the_owners_account() {
        let snapshot = snapshot(vec![participant()]);
        let settings = Settings::default();
        let plan = plan(&snapshot, &settings);
        let scope = plan.first().expect("one scope");
        let facts = ScopeFacts::build(&scope.inventory, &settings).with_owners(&scope.owners);
        let table = facts.route_table_resource(&participant().route_tables[0]);
        assert_eq!(table.account, OWNER);
        assert_eq!(
            table.arn,
            "arn:aws:ec2:eu-west-1:222222222222:route-table/rtb-shared"
        );
        assert_eq!(facts.vpc_resource("vpc-shared").account, OWNER);
        assert!(scope.withheld("OBS001", "vpc-shared"));
        assert!(!scope.withheld("SG001", "vpc-shared"));
        // Nothing of the participant's in the VPC: no gap to report.
        assert!(scope.gaps("OBS001").is_empty());
        // With an instance of its own there, the owner-only judgements are gaps.
        let mut with_instance = participant();
        with_instance.instances.push(crate::model::Instance {
            id: "i-participant".to_owned(),
            vpc_id: Some("vpc-shared".to_owned()),
            subnet_id: Some("subnet-a".to_owned()),
            state: Some("running".to_owned()),
            ..crate::model::Instance::default()
        });
        let snapshot = self::snapshot(vec![with_instance]);
        let judged = super::plan(&snapshot, &settings);
        let scope = judged.first().expect("one scope");
        assert_eq!(scope.gaps("OBS001").len(), 1);
        assert!(scope.gaps("SG001").is_empty());
        // No function there: LAM004 has nothing of the participant's to judge.
        assert!(scope.gaps("LAM004").is_empty());
    }

    #[test]
    fn an_estate_without_shared_vpcs_is_judged_as_read() {
        let mut own = participant();
        own.vpcs[0].owner_id = Some(PARTICIPANT.to_owned());
        own.subnets[0].owner_id = None;
        let snapshot = snapshot(vec![own]);
        let plan = plan(&snapshot, &Settings::default());
        assert!(matches!(plan[0].inventory, Cow::Borrowed(_)));
        assert!(plan[0].owners.is_empty() && plan[0].unjoined.is_empty());
    }

    #[test]
    fn joining_moves_the_workloads_and_drops_the_participants_copy_of_the_network() {
        let mut owner = participant();
        owner.account = OWNER.to_owned();
        let mut visitor = participant();
        visitor.instances = vec![crate::model::Instance {
            id: "i-visitor".to_owned(),
            subnet_id: Some("subnet-a".to_owned()),
            ..crate::model::Instance::default()
        }];
        let snapshot = snapshot(vec![owner, visitor]);
        let plan = plan(&snapshot, &Settings::default());
        let (owner, visitor) = (&plan[0], &plan[1]);
        assert!(visitor.inventory.vpcs.is_empty() && visitor.inventory.route_tables.is_empty());
        assert!(visitor.inventory.instances.is_empty() && visitor.unjoined.is_empty());
        assert_eq!(owner.inventory.instances.len(), 1);
        assert_eq!(
            owner.owners.get("i-visitor").map(String::as_str),
            Some(PARTICIPANT)
        );
        assert_eq!(owner.participants.len(), 1);
    }

    #[test]
    fn a_participants_function_keeps_its_account_when_joined() {
        let arn = "arn:aws:lambda:eu-west-1:111111111111:function:api";
        let function = crate::model::LambdaFunction {
            name: "api".to_owned(),
            arn: arn.to_owned(),
            vpc: Some(crate::model::LambdaVpcConfig {
                subnet_ids: vec!["subnet-a".to_owned()],
                security_group_ids: Vec::new(),
            }),
            ..crate::model::LambdaFunction::default()
        };
        let mut owner = participant();
        owner.account = OWNER.to_owned();
        // The owner has a function of the same name: names are unique per account only.
        owner.lambda_functions = vec![crate::model::LambdaFunction {
            arn: "arn:aws:lambda:eu-west-1:222222222222:function:api".to_owned(),
            ..function.clone()
        }];
        let mut visitor = participant();
        visitor.lambda_functions = vec![function];
        let snapshot = snapshot(vec![owner, visitor]);
        let settings = Settings::default();
        let plan = plan(&snapshot, &settings);
        let facts = ScopeFacts::build(&plan[0].inventory, &settings).with_owners(&plan[0].owners);
        let accounts: Vec<String> = plan[0]
            .inventory
            .lambda_functions
            .iter()
            .map(|f| facts.lambda_resource(f).account)
            .collect();
        assert_eq!(accounts, [OWNER, PARTICIPANT]);
    }

    #[test]
    fn an_interface_another_account_owns_is_named_with_it() {
        let mut owner = participant();
        owner.account = OWNER.to_owned();
        owner.network_interfaces = vec![crate::model::NetworkInterface {
            id: "eni-visitor".to_owned(),
            subnet_id: Some("subnet-a".to_owned()),
            owner_id: Some(PARTICIPANT.to_owned()),
            ..crate::model::NetworkInterface::default()
        }];
        let snapshot = snapshot(vec![owner]);
        let settings = Settings::default();
        let plan = plan(&snapshot, &settings);
        let facts = ScopeFacts::build(&plan[0].inventory, &settings).with_owners(&plan[0].owners);
        let eni = facts.network_interface_resource("eni-visitor", &Default::default());
        assert_eq!(eni.account, PARTICIPANT);
        assert!(eni.arn.contains(":111111111111:network-interface/"));
    }
}
