//! Facts derived from one region's inventory: routing per subnet, subnet tiers, who carries
//! each security group, where every workload sits. Built once per scope with hash-map
//! indexes, so every rule looks things up instead of scanning.

pub mod exposure;
pub mod routing;
pub mod workloads;

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::config::Settings;
use crate::finding::Resource;
use crate::model::{
    DbSubnetGroup, NatGateway, RegionInventory, RouteTable, SecurityGroup, Subnet, Tags, Vpc,
};
pub use exposure::PeerReach;
pub use routing::{RouteEvidence, SubnetClass, SubnetRouting};
pub use workloads::{SgUser, SgUserKind};

/// The role a subnet plays, from its routes and what it hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Public,
    Private,
    Database,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::Private => "private",
            Tier::Database => "database",
        }
    }
}

/// All derived facts for one account and region.
pub struct ScopeFacts<'a> {
    pub inventory: &'a RegionInventory,
    pub settings: &'a Settings,
    pub vpcs: HashMap<&'a str, &'a Vpc>,
    pub subnets: HashMap<&'a str, &'a Subnet>,
    pub subnets_by_vpc: HashMap<&'a str, Vec<&'a Subnet>>,
    pub routing: HashMap<&'a str, SubnetRouting<'a>>,
    pub main_route_tables: HashMap<&'a str, &'a RouteTable>,
    /// Subnets that use each route table, explicitly or as their VPC's main table.
    pub subnets_by_route_table: HashMap<&'a str, Vec<&'a str>>,
    pub nat_gateways: HashMap<&'a str, &'a NatGateway>,
    pub security_groups: HashMap<&'a str, &'a SecurityGroup>,
    pub db_subnet_groups: HashMap<&'a str, &'a DbSubnetGroup>,
    /// Subnets that belong to any DB subnet group.
    pub db_subnet_ids: HashSet<&'a str>,
    /// Who carries each security group (instances, ENIs, databases, functions).
    pub sg_users: HashMap<&'a str, Vec<SgUser<'a>>>,
    /// VPCs that host at least one workload (instance, database, function or interface).
    pub vpcs_with_workloads: HashSet<&'a str>,
    /// Network interfaces that belong to NAT gateways.
    pub nat_interfaces: HashSet<&'a str>,
    /// The reachability model: routing splits, egress, inbound paths.
    pub network: crate::reach::Network<'a>,
    /// The account of resources (by id, or ARN) that belong to another account than the
    /// scope's: a shared VPC's network seen by a participant, a participant's workloads
    /// joined into the owner's scope (see [`crate::shared_vpc`]). Findings name it.
    pub owners: HashMap<&'a str, &'a str>,
}

impl<'a> ScopeFacts<'a> {
    pub fn build(inventory: &'a RegionInventory, settings: &'a Settings) -> ScopeFacts<'a> {
        let vpcs = inventory.vpcs.iter().map(|v| (v.id.as_str(), v)).collect();
        let subnets: HashMap<&str, &Subnet> = inventory
            .subnets
            .iter()
            .map(|s| (s.id.as_str(), s))
            .collect();
        let mut subnets_by_vpc: HashMap<&str, Vec<&Subnet>> = HashMap::new();
        for subnet in &inventory.subnets {
            subnets_by_vpc
                .entry(subnet.vpc_id.as_str())
                .or_default()
                .push(subnet);
        }
        let network = crate::reach::Network::build(inventory);
        let routing: HashMap<&str, SubnetRouting> = network
            .subnets
            .iter()
            .map(|(subnet_id, reach)| {
                let class = routing::classify(reach, &network);
                (
                    *subnet_id,
                    SubnetRouting {
                        table: reach.table,
                        explicit: reach.explicit,
                        class,
                    },
                )
            })
            .collect();
        let mut subnets_by_route_table: HashMap<&str, Vec<&str>> = HashMap::new();
        for subnet in &inventory.subnets {
            if let Some(table) = routing.get(subnet.id.as_str()).and_then(|r| r.table) {
                subnets_by_route_table
                    .entry(table.id.as_str())
                    .or_default()
                    .push(subnet.id.as_str());
            }
        }
        let main_route_tables = inventory
            .route_tables
            .iter()
            .filter(|t| t.is_main())
            .map(|t| (t.vpc_id.as_str(), t))
            .collect();
        let db_subnet_ids = inventory
            .db_subnet_groups
            .iter()
            .flat_map(|g| g.subnets.iter().map(|m| m.subnet_id.as_str()))
            .collect();
        let sg_users = workloads::security_group_users(inventory, settings);
        let vpcs_with_workloads = workloads::vpcs_with_workloads(inventory, &subnets);
        ScopeFacts {
            inventory,
            settings,
            vpcs,
            subnets,
            subnets_by_vpc,
            routing,
            main_route_tables,
            subnets_by_route_table,
            nat_gateways: inventory
                .nat_gateways
                .iter()
                .map(|n| (n.id.as_str(), n))
                .collect(),
            security_groups: inventory
                .security_groups
                .iter()
                .map(|g| (g.id.as_str(), g))
                .collect(),
            db_subnet_groups: inventory
                .db_subnet_groups
                .iter()
                .map(|g| (g.name.as_str(), g))
                .collect(),
            db_subnet_ids,
            sg_users,
            vpcs_with_workloads,
            nat_interfaces: workloads::nat_gateway_interfaces(inventory),
            network,
            owners: HashMap::new(),
        }
    }

    /// Names the account of resources that are not the scope's (see [`ScopeFacts::owners`]).
    pub fn with_owners(mut self, owners: &'a HashMap<String, String>) -> ScopeFacts<'a> {
        self.owners = owners
            .iter()
            .map(|(id, account)| (id.as_str(), account.as_str()))
            .collect();
        self
    }

    pub fn account(&self) -> &'a str {
        &self.inventory.account
    }

    pub fn region(&self) -> &'a str {
        &self.inventory.region
    }

    /// What kind of thing a network interface belongs to.
    pub fn interface_kind(&self, eni: &crate::model::NetworkInterface) -> SgUserKind {
        workloads::interface_kind(eni, &self.nat_interfaces)
    }

    /// The routing class of a subnet (Unknown for a subnet not in the inventory).
    pub fn class_of(&self, subnet_id: &str) -> SubnetClass<'a> {
        self.routing
            .get(subnet_id)
            .map_or(SubnetClass::Unknown, |r| r.class)
    }

    /// Evidence for the default route that decides a subnet's class, if any.
    pub fn deciding_route(&self, subnet_id: &str) -> Option<RouteEvidence> {
        let routing = self.routing.get(subnet_id)?;
        let table = routing.table?;
        let route = match routing.class {
            SubnetClass::Public { route }
            | SubnetClass::PrivateNat { route, .. }
            | SubnetClass::PrivateOther { route } => route,
            SubnetClass::Isolated | SubnetClass::Unknown => return None,
        };
        Some(RouteEvidence::new(table, route, routing.explicit))
    }

    pub fn tier_of(&self, subnet_id: &str) -> Option<Tier> {
        match self.class_of(subnet_id) {
            SubnetClass::Unknown => None,
            SubnetClass::Public { .. } => Some(Tier::Public),
            _ if self.db_subnet_ids.contains(subnet_id) => Some(Tier::Database),
            _ => Some(Tier::Private),
        }
    }

    /// Distinct availability zones of the given subnets (unknown subnets are skipped).
    pub fn zones_of<'s>(&self, subnet_ids: impl IntoIterator<Item = &'s str>) -> BTreeSet<&'a str> {
        subnet_ids
            .into_iter()
            .filter_map(|id| self.subnets.get(id))
            .map(|s| s.availability_zone.as_str())
            .collect()
    }

    /// The environment of a resource: its own tag, else its VPC's.
    pub fn environment(&self, tags: &Tags, vpc_id: Option<&str>) -> Option<String> {
        self.settings.environment_of(tags).or_else(|| {
            let vpc = self.vpcs.get(vpc_id?)?;
            self.settings.environment_of(&vpc.tags)
        })
    }

    // ---- resources, for findings ----

    fn arn(&self, service: &str, path: &str) -> String {
        let partition = partition_of(self.region());
        format!(
            "arn:{partition}:{service}:{}:{}:{path}",
            self.region(),
            self.account()
        )
    }

    fn resource(&self, kind: &str, id: &str, arn: String, tags: Option<&Tags>) -> Resource {
        let account = self
            .owners
            .get(id)
            .or_else(|| self.owners.get(arn.as_str()))
            .copied()
            .unwrap_or(self.account());
        // ARNs built here carry the scope's account; AWS's own already carry the right one.
        let arn = if account == self.account() {
            arn
        } else {
            let region = self.region();
            arn.replacen(
                &format!(":{region}:{}:", self.account()),
                &format!(":{region}:{account}:"),
                1,
            )
        };
        Resource {
            kind: kind.to_owned(),
            id: id.to_owned(),
            arn,
            name: tags.and_then(|t| t.get("Name")).cloned(),
            region: self.region().to_owned(),
            account: account.to_owned(),
        }
    }

    pub fn vpc_resource(&self, vpc_id: &str) -> Resource {
        let tags = self.vpcs.get(vpc_id).map(|v| &v.tags);
        self.resource(
            "AWS::EC2::VPC",
            vpc_id,
            self.arn("ec2", &format!("vpc/{vpc_id}")),
            tags,
        )
    }

    pub fn subnet_resource(&self, subnet: &Subnet) -> Resource {
        let arn = subnet
            .arn
            .clone()
            .unwrap_or_else(|| self.arn("ec2", &format!("subnet/{}", subnet.id)));
        self.resource("AWS::EC2::Subnet", &subnet.id, arn, Some(&subnet.tags))
    }

    pub fn route_table_resource(&self, table: &RouteTable) -> Resource {
        let arn = self.arn("ec2", &format!("route-table/{}", table.id));
        self.resource("AWS::EC2::RouteTable", &table.id, arn, Some(&table.tags))
    }

    pub fn nat_gateway_resource(&self, nat: &NatGateway) -> Resource {
        let arn = self.arn("ec2", &format!("natgateway/{}", nat.id));
        self.resource("AWS::EC2::NatGateway", &nat.id, arn, Some(&nat.tags))
    }

    /// An elbv2 load balancer (by ARN), or a Classic Load Balancer (by name).
    pub fn load_balancer_resource(&self, id: &str) -> Resource {
        if let Some(lb) = self.inventory.load_balancers.iter().find(|l| l.arn == id) {
            let mut r = self.resource(
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                &lb.name,
                lb.arn.clone(),
                None,
            );
            r.name = Some(lb.name.clone());
            return r;
        }
        let arn = self.arn("elasticloadbalancing", &format!("loadbalancer/{id}"));
        let mut r = self.resource("AWS::ElasticLoadBalancing::LoadBalancer", id, arn, None);
        r.name = Some(id.to_owned());
        r
    }

    pub fn network_acl_resource(&self, acl: &crate::model::NetworkAcl) -> Resource {
        let arn = self.arn("ec2", &format!("network-acl/{}", acl.id));
        self.resource("AWS::EC2::NetworkAcl", &acl.id, arn, Some(&acl.tags))
    }

    pub fn security_group_resource(&self, group: &SecurityGroup) -> Resource {
        let arn = self.arn("ec2", &format!("security-group/{}", group.id));
        let mut resource =
            self.resource("AWS::EC2::SecurityGroup", &group.id, arn, Some(&group.tags));
        resource.name = resource.name.or_else(|| Some(group.name.clone()));
        resource
    }

    pub fn instance_resource(&self, id: &str, tags: &Tags) -> Resource {
        let arn = self.arn("ec2", &format!("instance/{id}"));
        self.resource("AWS::EC2::Instance", id, arn, Some(tags))
    }

    pub fn network_interface_resource(&self, id: &str, tags: &Tags) -> Resource {
        let arn = self.arn("ec2", &format!("network-interface/{id}"));
        self.resource("AWS::EC2::NetworkInterface", id, arn, Some(tags))
    }

    pub fn db_instance_resource(&self, db: &crate::model::DbInstance) -> Resource {
        let arn = db
            .arn
            .clone()
            .unwrap_or_else(|| self.arn("rds", &format!("db:{}", db.id)));
        self.resource("AWS::RDS::DBInstance", &db.id, arn, Some(&db.tags))
    }

    pub fn db_cluster_resource(&self, db: &crate::model::DbCluster) -> Resource {
        let arn = db
            .arn
            .clone()
            .unwrap_or_else(|| self.arn("rds", &format!("cluster:{}", db.id)));
        self.resource("AWS::RDS::DBCluster", &db.id, arn, Some(&db.tags))
    }

    pub fn db_subnet_group_resource(&self, group: &DbSubnetGroup) -> Resource {
        let arn = group
            .arn
            .clone()
            .unwrap_or_else(|| self.arn("rds", &format!("subgrp:{}", group.name)));
        let mut resource = self.resource("AWS::RDS::DBSubnetGroup", &group.name, arn, None);
        resource.name = Some(group.name.clone());
        resource
    }

    pub fn api_stage_resource(&self, stage: &crate::model::ApiStage) -> Resource {
        let partition = partition_of(self.region());
        let (kind, path) = if stage.is_rest() {
            ("AWS::ApiGateway::Stage", "restapis")
        } else {
            ("AWS::ApiGatewayV2::Stage", "apis")
        };
        let arn = format!(
            "arn:{partition}:apigateway:{}::/{path}/{}/stages/{}",
            self.region(),
            stage.api_id,
            stage.stage_name
        );
        let id = format!("{}/{}", stage.api_id, stage.stage_name);
        let mut resource = self.resource(kind, &id, arn, Some(&stage.tags));
        if resource.name.is_none() {
            resource.name = stage
                .api_name
                .as_ref()
                .map(|api| format!("{api}/{}", stage.stage_name));
        }
        resource
    }

    pub fn lambda_resource(&self, function: &crate::model::LambdaFunction) -> Resource {
        let mut resource = self.resource(
            "AWS::Lambda::Function",
            &function.name,
            function.arn.clone(),
            None,
        );
        resource.name = Some(function.name.clone());
        resource
    }
}

/// The ARN partition of a region.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}
