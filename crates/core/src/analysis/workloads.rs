//! Who sits where: which workloads carry each security group and which VPCs host anything.

use std::collections::{HashMap, HashSet};

use crate::config::Settings;
use crate::model::{NetworkInterface, RegionInventory, Subnet};

/// What kind of thing carries a security group. Decides how an open rule is judged: a load
/// balancer open on 443 is its job, a database open on 5432 is an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SgUserKind {
    LoadBalancer,
    /// An instance or interface the configuration declares an entry point (bastion, proxy).
    EntryPoint,
    NatGateway,
    VpcEndpoint,
    /// AWS-managed interfaces that are not compute (API Gateway, EFS, transit gateway, …).
    ManagedService,
    Database,
    Function,
    Instance,
    /// A plain interface not attached to an instance (ECS/Fargate tasks, appliances, …).
    Interface,
}

impl SgUserKind {
    /// Backend compute: instances, functions, tasks. What should sit in private subnets.
    pub fn is_backend_compute(self) -> bool {
        matches!(
            self,
            SgUserKind::Instance | SgUserKind::Function | SgUserKind::Interface
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            SgUserKind::LoadBalancer => "load balancer",
            SgUserKind::EntryPoint => "declared entry point",
            SgUserKind::NatGateway => "NAT gateway",
            SgUserKind::VpcEndpoint => "VPC endpoint",
            SgUserKind::ManagedService => "managed service",
            SgUserKind::Database => "database",
            SgUserKind::Function => "Lambda function",
            SgUserKind::Instance => "EC2 instance",
            SgUserKind::Interface => "network interface",
        }
    }
}

/// One carrier of a security group.
#[derive(Debug, Clone)]
pub struct SgUser<'a> {
    pub kind: SgUserKind,
    pub id: &'a str,
    pub subnet_ids: Vec<&'a str>,
    pub public_ip: Option<&'a str>,
}

/// The interfaces of the inventory's NAT gateways, by id.
pub fn nat_gateway_interfaces(inventory: &RegionInventory) -> HashSet<&str> {
    inventory
        .nat_gateways
        .iter()
        .flat_map(|n| n.network_interface_ids.iter().map(String::as_str))
        .collect()
}

/// Classifies an ENI by the service that created it. `nat_interfaces` are the interfaces
/// the NAT gateways list as theirs (their own labels vary, and emulators omit them).
pub fn interface_kind(eni: &NetworkInterface, nat_interfaces: &HashSet<&str>) -> SgUserKind {
    if nat_interfaces.contains(eni.id.as_str()) {
        return SgUserKind::NatGateway;
    }
    let interface_type = eni.interface_type.as_deref().unwrap_or("interface");
    let requester = eni.requester_id.as_deref().unwrap_or("");
    let description = eni.description.as_deref().unwrap_or("");
    match interface_type {
        "network_load_balancer" | "gateway_load_balancer" => return SgUserKind::LoadBalancer,
        "nat_gateway" => return SgUserKind::NatGateway,
        "vpc_endpoint" | "gateway_load_balancer_endpoint" => return SgUserKind::VpcEndpoint,
        "lambda" => return SgUserKind::Function,
        "interface" | "" => {}
        _ => return SgUserKind::ManagedService,
    }
    if requester == "amazon-elb" || description.starts_with("ELB ") {
        SgUserKind::LoadBalancer
    } else if requester == "amazon-rds" || description.starts_with("RDSNetworkInterface") {
        SgUserKind::Database
    } else if description.starts_with("AWS Lambda VPC ENI") || requester.ends_with(":AWSLambda") {
        SgUserKind::Function
    } else if description.starts_with("Interface for NAT Gateway") {
        SgUserKind::NatGateway
    } else if description.starts_with("VPC Endpoint Interface") {
        SgUserKind::VpcEndpoint
    } else if eni.instance_id.is_some() {
        SgUserKind::Instance
    } else if description.starts_with("arn:aws") && description.contains(":attachment/") {
        // ECS/Fargate task interfaces: requester-managed by ECS, but backend compute.
        SgUserKind::Interface
    } else if eni.requester_managed && !requester.contains("ecs") {
        SgUserKind::ManagedService
    } else {
        SgUserKind::Interface
    }
}

/// Everything that carries each security group, by group id.
///
/// Instances are counted once (through the instance, not again through their ENIs), and
/// functions and databases come from their own configuration, since their ENIs are not
/// always visible (and moto does not create them).
pub fn security_group_users<'a>(
    inventory: &'a RegionInventory,
    settings: &Settings,
) -> HashMap<&'a str, Vec<SgUser<'a>>> {
    let mut users: HashMap<&str, Vec<SgUser<'_>>> = HashMap::new();
    let nat_interfaces = nat_gateway_interfaces(inventory);
    let subnet_groups: HashMap<&str, Vec<&str>> = inventory
        .db_subnet_groups
        .iter()
        .map(|g| {
            (
                g.name.as_str(),
                g.subnets.iter().map(|m| m.subnet_id.as_str()).collect(),
            )
        })
        .collect();
    for instance in inventory.instances.iter().filter(|i| i.is_live()) {
        let kind = if settings.is_entry_point(&instance.tags) {
            SgUserKind::EntryPoint
        } else {
            SgUserKind::Instance
        };
        for sg in &instance.security_group_ids {
            users.entry(sg.as_str()).or_default().push(SgUser {
                kind,
                id: &instance.id,
                subnet_ids: instance.subnet_id.as_deref().into_iter().collect(),
                public_ip: instance.public_ip.as_deref(),
            });
        }
    }
    for eni in &inventory.network_interfaces {
        let kind = match interface_kind(eni, &nat_interfaces) {
            SgUserKind::Interface if settings.is_entry_point(&eni.tags) => SgUserKind::EntryPoint,
            kind => kind,
        };
        // Instances, functions and databases are represented by their own records.
        if matches!(
            kind,
            SgUserKind::Instance | SgUserKind::Function | SgUserKind::Database
        ) {
            continue;
        }
        for sg in &eni.security_group_ids {
            users.entry(sg.as_str()).or_default().push(SgUser {
                kind,
                id: &eni.id,
                subnet_ids: eni.subnet_id.as_deref().into_iter().collect(),
                public_ip: eni.public_ip.as_deref(),
            });
        }
    }
    for db in &inventory.db_instances {
        let subnet_ids = db
            .db_subnet_group
            .as_deref()
            .and_then(|g| subnet_groups.get(g))
            .cloned()
            .unwrap_or_default();
        for sg in &db.security_group_ids {
            users.entry(sg.as_str()).or_default().push(SgUser {
                kind: SgUserKind::Database,
                id: &db.id,
                subnet_ids: subnet_ids.clone(),
                public_ip: None,
            });
        }
    }
    for cluster in &inventory.db_clusters {
        let subnet_ids = cluster
            .db_subnet_group
            .as_deref()
            .and_then(|g| subnet_groups.get(g))
            .cloned()
            .unwrap_or_default();
        for sg in &cluster.security_group_ids {
            users.entry(sg.as_str()).or_default().push(SgUser {
                kind: SgUserKind::Database,
                id: &cluster.id,
                subnet_ids: subnet_ids.clone(),
                public_ip: None,
            });
        }
    }
    for function in &inventory.lambda_functions {
        let Some(vpc) = &function.vpc else { continue };
        for sg in &vpc.security_group_ids {
            users.entry(sg.as_str()).or_default().push(SgUser {
                kind: SgUserKind::Function,
                id: &function.name,
                subnet_ids: vpc.subnet_ids.iter().map(String::as_str).collect(),
                public_ip: None,
            });
        }
    }
    users
}

/// VPCs that host at least one workload.
pub fn vpcs_with_workloads<'a>(
    inventory: &'a RegionInventory,
    subnets: &HashMap<&'a str, &'a Subnet>,
) -> HashSet<&'a str> {
    let vpc_of_subnet = |id: &str| subnets.get(id).map(|s| s.vpc_id.as_str());
    let mut vpcs: HashSet<&str> = HashSet::new();
    vpcs.extend(
        inventory
            .instances
            .iter()
            .filter(|i| i.is_live())
            .filter_map(|i| i.vpc_id.as_deref()),
    );
    // Interfaces count when something runs behind them; a NAT gateway, an endpoint or other
    // AWS plumbing alone is infrastructure, not a workload.
    let nat_interfaces = nat_gateway_interfaces(inventory);
    vpcs.extend(
        inventory
            .network_interfaces
            .iter()
            .filter(|e| {
                !matches!(
                    interface_kind(e, &nat_interfaces),
                    SgUserKind::NatGateway | SgUserKind::VpcEndpoint | SgUserKind::ManagedService
                )
            })
            .filter_map(|e| e.vpc_id.as_deref()),
    );
    vpcs.extend(
        inventory
            .db_instances
            .iter()
            .filter_map(|d| d.vpc_id.as_deref()),
    );
    let used_subnet_groups: HashSet<&str> = inventory
        .db_instances
        .iter()
        .filter_map(|d| d.db_subnet_group.as_deref())
        .chain(
            inventory
                .db_clusters
                .iter()
                .filter_map(|c| c.db_subnet_group.as_deref()),
        )
        .collect();
    vpcs.extend(
        inventory
            .db_subnet_groups
            .iter()
            .filter(|g| used_subnet_groups.contains(g.name.as_str()))
            .map(|g| g.vpc_id.as_str()),
    );
    vpcs.extend(
        inventory
            .lambda_functions
            .iter()
            .filter_map(|f| f.vpc.as_ref())
            .flat_map(|v| v.subnet_ids.iter())
            .filter_map(|s| vpc_of_subnet(s)),
    );
    vpcs
}
