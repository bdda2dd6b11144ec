//! A template's resources into the inventory model, one scope per template, with the source of
//! every converted resource kept in a [`SourceTable`].
//!
//! Each resource's id in the inventory is its logical id, so `!Ref` joins resources exactly as
//! AWS ids do. What AWS creates implicitly is added the way AWS creates it: a VPC's main route
//! table (only the local route: CloudFormation cannot route the main table), its default network
//! ACL (allow all IPv4, for the subnets no ACL is associated with), an instance's primary
//! network interface, a security group's allow-all egress when the template declares none. Load balancers are in `balancing`, addresses,
//! endpoints, egress-only gateways and ECS services in `addresses`. A value that cannot be known before deploy
//! is listed in the snapshot's `coverage.unknown`, so the rules reading its dataset are not
//! evaluated for that template rather than passing on a guess.

mod addresses;
mod balancing;

use std::collections::BTreeMap;

use ipnet::{Ipv4Net, Ipv6Net};
use serde_json::json;
use vpcaudit_core::model::{
    DbCluster, DbInstance, DbSubnetGroup, DbSubnetGroupMember, Endpoint, EnvironmentVariable,
    FlowLog, Instance, InternetGateway, LambdaFunction, LambdaVpcConfig, NatGateway, NetworkAcl,
    NetworkAclEntry, NetworkInterface, NetworkInterfaceAttachment, PortRange, PrivateIp, Protocol,
    RegionInventory, Route, RouteDestination, RouteState, RouteTable, RouteTableAssociation,
    RouteTarget, SecurityGroup, SecurityGroupPeer, SecurityGroupRule, Subnet, Tags, Vpc,
};
use vpcaudit_core::secrets::{KnownEndpoints, value_facts};
use vpcaudit_core::snapshot::{
    CollectedDataset, Coverage, Dataset, SNAPSHOT_FORMAT_VERSION, Snapshot, ToolInfo, UnknownValue,
};

use crate::Template;
use crate::node::{Node, Position, Value};
use crate::resolve::{Resolver, endpoint_address, first_unknown};
use crate::sources::{PropertySource, ResourceSource, SourceTable};

/// The account every template scope is in: templates are not deployed anywhere yet.
pub const TEMPLATE_ACCOUNT: &str = "template";

/// Resource types whose data the inventory holds but this reader does not convert yet: a
/// template declaring one leaves that dataset unknown.
const UNCONVERTED: &[(&str, Dataset)] = &[
    ("AWS::ApiGateway::RestApi", Dataset::RestApiStages),
    ("AWS::ApiGateway::Stage", Dataset::RestApiStages),
    ("AWS::Serverless::Api", Dataset::RestApiStages),
    ("AWS::ApiGatewayV2::Api", Dataset::HttpApiStages),
    ("AWS::ApiGatewayV2::Stage", Dataset::HttpApiStages),
    ("AWS::Serverless::HttpApi", Dataset::HttpApiStages),
    ("AWS::EC2::NetworkInterface", Dataset::NetworkInterfaces),
    (
        "AWS::EC2::NetworkInterfaceAttachment",
        Dataset::NetworkInterfaces,
    ),
    ("AWS::AutoScaling::AutoScalingGroup", Dataset::Instances),
    ("AWS::EC2::EC2Fleet", Dataset::Instances),
    ("AWS::EC2::SpotFleet", Dataset::Instances),
    (
        "AWS::EC2::TransitGatewayRouteTableAssociation",
        Dataset::RouteTables,
    ),
    ("AWS::EC2::VPCCidrBlock", Dataset::Vpcs),
    // Targets registered from outside the target group's declaration.
    (
        "AWS::ElasticLoadBalancingV2::TargetGroupAttachment",
        Dataset::TargetHealth,
    ),
    ("AWS::ECS::TaskSet", Dataset::EcsServices),
];

/// The snapshot of one or more templates and where each resource came from.
#[derive(Debug)]
pub struct Converted {
    pub snapshot: Snapshot,
    pub sources: SourceTable,
}

/// Converts templates (each its own scope: account `template`, region = the template's path)
/// with `--parameter` values.
pub fn convert(templates: &[Template], parameters: &BTreeMap<String, String>) -> Converted {
    let mut scopes = Vec::new();
    let mut coverage = Coverage::default();
    let mut sources = SourceTable::default();
    for template in templates {
        let mut converter = Converter::new(template, parameters);
        converter.run();
        let Converter {
            inventory,
            unknown,
            sources: table,
            ..
        } = converter;
        for &dataset in Dataset::ALL {
            let (service, operation) = dataset.api_call();
            coverage.collected.push(CollectedDataset {
                service: service.to_owned(),
                operation: operation.to_owned(),
                account: inventory.account.clone(),
                region: inventory.region.clone(),
                count: count(&inventory, dataset),
                implied_by: None,
            });
        }
        coverage.unknown.extend(unknown);
        sources.extend(table);
        scopes.push(inventory);
    }
    let regions = scopes.iter().map(|s| s.region.clone()).collect();
    Converted {
        snapshot: Snapshot {
            format_version: SNAPSHOT_FORMAT_VERSION,
            tool: ToolInfo::current(),
            collected_at: String::new(),
            account: Some(TEMPLATE_ACCOUNT.to_owned()),
            accounts: vec![TEMPLATE_ACCOUNT.to_owned()],
            regions,
            scopes,
            coverage,
            collection: None,
        },
        sources,
    }
}

fn count(inventory: &RegionInventory, dataset: Dataset) -> usize {
    match dataset {
        Dataset::Vpcs => inventory.vpcs.len(),
        Dataset::Subnets => inventory.subnets.len(),
        Dataset::RouteTables => inventory.route_tables.len(),
        Dataset::InternetGateways => inventory.internet_gateways.len(),
        Dataset::NatGateways => inventory.nat_gateways.len(),
        Dataset::NetworkAcls => inventory.network_acls.len(),
        Dataset::SecurityGroups => inventory.security_groups.len(),
        Dataset::NetworkInterfaces => inventory.network_interfaces.len(),
        Dataset::Instances => inventory.instances.len(),
        Dataset::FlowLogs => inventory.flow_logs.len(),
        Dataset::DbInstances => inventory.db_instances.len(),
        Dataset::DbClusters => inventory.db_clusters.len(),
        Dataset::DbSubnetGroups => inventory.db_subnet_groups.len(),
        Dataset::LambdaFunctions => inventory.lambda_functions.len(),
        Dataset::RestApiStages | Dataset::HttpApiStages => inventory
            .api_stages
            .iter()
            .filter(|s| s.is_rest() == (dataset == Dataset::RestApiStages))
            .count(),
        Dataset::ElasticIps => inventory.elastic_ips.len(),
        Dataset::VpcEndpoints => inventory.vpc_endpoints.len(),
        Dataset::EgressOnlyInternetGateways => inventory.egress_only_internet_gateways.len(),
        Dataset::LoadBalancers => inventory.load_balancers.len(),
        Dataset::Listeners => inventory.listeners.len(),
        Dataset::TargetGroups | Dataset::TargetGroupAttributes => inventory.target_groups.len(),
        Dataset::TargetHealth => inventory.targets.len(),
        Dataset::ClassicLoadBalancers => inventory.classic_load_balancers.len(),
        Dataset::EcsServices => inventory.ecs_services.len(),
    }
}

/// One resource being converted: its logical id and resolved properties.
struct Declared<'a> {
    id: &'a str,
    kind: &'a str,
    position: Position,
    properties: Node,
}

struct Converter<'t> {
    template: &'t Template,
    resolver: Resolver<'t>,
    inventory: RegionInventory,
    unknown: Vec<UnknownValue>,
    sources: SourceTable,
    /// SAM `Globals.Function`, resolved.
    function_globals: Option<Node>,
}

impl<'t> Converter<'t> {
    fn new(template: &'t Template, parameters: &BTreeMap<String, String>) -> Converter<'t> {
        let resolver = Resolver::new(&template.root, parameters);
        let function_globals = template
            .root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .map(|g| resolver.resolve(g));
        // `AWS::Region` resolves `!Ref AWS::Region`; the scope stays the template's own, so
        // templates given together never merge.
        let region = template.scope.clone();
        Converter {
            template,
            resolver,
            inventory: RegionInventory {
                account: TEMPLATE_ACCOUNT.to_owned(),
                region,
                ..RegionInventory::default()
            },
            unknown: Vec::new(),
            sources: SourceTable::default(),
            function_globals,
        }
    }

    fn run(&mut self) {
        let Some(resources) = self.template.root.get("Resources") else {
            return;
        };
        // Parents first, so children (routes, rules, entries) find them.
        let mut ordered: Vec<(&str, &str, &Node, Position)> = resources
            .entries()
            .iter()
            .map(|(key, decl)| {
                let kind = decl.get("Type").and_then(Node::as_str).unwrap_or("");
                (key.name.as_str(), kind, decl, key.position)
            })
            .collect();
        ordered.sort_by_key(|(_, kind, _, _)| order(kind));
        for (id, kind, decl, position) in ordered {
            if let Some(condition) = decl.get("Condition").and_then(Node::as_str) {
                match self.resolver.condition(condition) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        if let Some(dataset) = dataset_of(kind) {
                            self.note_unknown(
                                dataset,
                                id,
                                "Condition",
                                format!("whether it exists depends on condition `{condition}`"),
                            );
                        }
                        continue;
                    }
                }
            }
            if let Some((_, dataset)) = UNCONVERTED.iter().find(|(t, _)| *t == kind) {
                self.note_unknown(
                    *dataset,
                    id,
                    "Type",
                    format!("{kind} is not read from templates yet"),
                );
                continue;
            }
            let properties = decl
                .get("Properties")
                .map(|p| self.resolver.resolve(p))
                .unwrap_or_else(|| Node::new(position, Value::Map(Vec::new())));
            let declared = Declared {
                id,
                kind,
                position,
                properties,
            };
            self.resource(&declared);
        }
        self.default_network_acls();
    }

    fn resource(&mut self, r: &Declared<'_>) {
        match r.kind {
            "AWS::EC2::VPC" => self.vpc(r),
            "AWS::EC2::Subnet" => self.subnet(r),
            "AWS::EC2::RouteTable" => self.route_table(r),
            "AWS::EC2::Route" => self.route(r),
            "AWS::EC2::SubnetRouteTableAssociation" => self.association(r),
            "AWS::EC2::InternetGateway" => self.internet_gateway(r),
            "AWS::EC2::VPCGatewayAttachment" => self.gateway_attachment(r),
            "AWS::EC2::NatGateway" => self.nat_gateway(r),
            "AWS::EC2::NetworkAcl" => self.network_acl(r),
            "AWS::EC2::NetworkAclEntry" => self.network_acl_entry(r),
            "AWS::EC2::SubnetNetworkAclAssociation" => self.network_acl_association(r),
            "AWS::EC2::SecurityGroup" => self.security_group(r),
            "AWS::EC2::SecurityGroupIngress" => self.standalone_rule(r, false),
            "AWS::EC2::SecurityGroupEgress" => self.standalone_rule(r, true),
            "AWS::EC2::Instance" => self.instance(r),
            "AWS::EC2::FlowLog" => self.flow_log(r),
            "AWS::RDS::DBSubnetGroup" => self.db_subnet_group(r),
            "AWS::RDS::DBInstance" => self.db_instance(r),
            "AWS::RDS::DBCluster" => self.db_cluster(r),
            "AWS::Lambda::Function" => self.function(r, r.properties.clone()),
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => self.load_balancer(r),
            "AWS::ElasticLoadBalancingV2::TargetGroup" => self.target_group(r),
            "AWS::ElasticLoadBalancingV2::Listener" => self.listener(r),
            "AWS::ElasticLoadBalancingV2::ListenerRule" => self.listener_rule(r),
            "AWS::ElasticLoadBalancing::LoadBalancer" => self.classic_load_balancer(r),
            "AWS::EC2::EIP" => self.elastic_ip(r),
            "AWS::EC2::EIPAssociation" => self.eip_association(r),
            "AWS::EC2::VPCEndpoint" => self.vpc_endpoint(r),
            "AWS::EC2::EgressOnlyInternetGateway" => self.egress_only_internet_gateway(r),
            "AWS::ECS::Service" => self.ecs_service(r),
            "AWS::Serverless::Function" => {
                let merged = match &self.function_globals {
                    Some(globals) => merge_globals(globals, &r.properties),
                    None => r.properties.clone(),
                };
                // SAM turns an `Api`/`HttpApi` event into an implicit API and stage.
                if let Some(events) = merged.get("Events") {
                    for (name, event) in events.entries() {
                        match event.get("Type").and_then(Node::as_str) {
                            Some("Api") => self.note_unknown(
                                Dataset::RestApiStages,
                                r.id,
                                &format!("Events.{}", name.name),
                                "SAM's implicit REST API is not read from templates yet".to_owned(),
                            ),
                            Some("HttpApi") => self.note_unknown(
                                Dataset::HttpApiStages,
                                r.id,
                                &format!("Events.{}", name.name),
                                "SAM's implicit HTTP API is not read from templates yet".to_owned(),
                            ),
                            _ => {}
                        }
                    }
                }
                self.function(r, merged);
            }
            _ => {}
        }
    }

    // ---- values -------------------------------------------------------------------------

    fn note_unknown(&mut self, dataset: Dataset, resource: &str, property: &str, reason: String) {
        self.unknown.push(UnknownValue {
            account: self.inventory.account.clone(),
            region: self.inventory.region.clone(),
            dataset,
            resource: resource.to_owned(),
            property: property.to_owned(),
            reason,
        });
    }

    /// A scalar property: None when absent, or unknown (then noted against `dataset`).
    fn text(
        &mut self,
        r: &Declared<'_>,
        node: Option<&Node>,
        property: &str,
        dataset: Dataset,
    ) -> Option<String> {
        let node = node?;
        match &node.value {
            Value::Scalar(text) => Some(text.clone()),
            Value::Null => None,
            _ => {
                let reason = first_unknown(node).unwrap_or_else(|| "not a single value".to_owned());
                self.note_unknown(dataset, r.id, property, reason);
                None
            }
        }
    }

    fn prop(&mut self, r: &Declared<'_>, name: &str, dataset: Dataset) -> Option<String> {
        self.text(r, r.properties.get(name), name, dataset)
    }

    /// A scalar property with AWS's `default` when absent; None only when it is unknown (then
    /// noted), so a default never stands in for an unknown value.
    fn prop_or(
        &mut self,
        r: &Declared<'_>,
        name: &str,
        dataset: Dataset,
        default: &str,
    ) -> Option<String> {
        if r.properties.get(name).is_none() {
            return Some(default.to_owned());
        }
        self.prop(r, name, dataset)
    }

    /// A port property: None when absent, or unknown or out of range (then noted).
    fn port(&mut self, r: &Declared<'_>, name: &str, dataset: Dataset) -> Option<u16> {
        let node = r.properties.get(name)?;
        self.port_value(r, node, name, dataset)
    }

    fn port_value(
        &mut self,
        r: &Declared<'_>,
        node: &Node,
        path: &str,
        dataset: Dataset,
    ) -> Option<u16> {
        let text = self.text(r, Some(node), path, dataset)?;
        match text.parse() {
            Ok(port) => Some(port),
            Err(_) => {
                self.note_unknown(dataset, r.id, path, format!("`{text}` is not a port"));
                None
            }
        }
    }

    /// The items of a list property with their indexes; anything else is noted unknown.
    fn items(
        &mut self,
        r: &Declared<'_>,
        node: &Node,
        name: &str,
        dataset: Dataset,
    ) -> Vec<(usize, Node)> {
        match &node.value {
            Value::List(items) => items.iter().cloned().enumerate().collect(),
            _ => {
                let reason = first_unknown(node).unwrap_or_else(|| "not a list".to_owned());
                self.note_unknown(dataset, r.id, name, reason);
                Vec::new()
            }
        }
    }

    fn flag(&mut self, r: &Declared<'_>, name: &str, dataset: Dataset) -> Option<bool> {
        let text = self.prop(r, name, dataset)?;
        match text.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.note_unknown(dataset, r.id, name, format!("`{text}` is not a boolean"));
                None
            }
        }
    }

    fn list(&mut self, r: &Declared<'_>, name: &str, dataset: Dataset) -> Vec<String> {
        let Some(node) = r.properties.get(name) else {
            return Vec::new();
        };
        match &node.value {
            Value::List(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.text(r, Some(item), &format!("{name}[{i}]"), dataset))
                .collect(),
            _ => {
                let reason = first_unknown(node).unwrap_or_else(|| "not a list".to_owned());
                self.note_unknown(dataset, r.id, name, reason);
                Vec::new()
            }
        }
    }

    fn tags(&mut self, r: &Declared<'_>, dataset: Dataset) -> Tags {
        let mut tags = Tags::new();
        let Some(node) = r.properties.get("Tags") else {
            return tags;
        };
        match &node.value {
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    let key = self.text(r, item.get("Key"), &format!("Tags[{i}].Key"), dataset);
                    let value =
                        self.text(r, item.get("Value"), &format!("Tags[{i}].Value"), dataset);
                    if let (Some(key), Some(value)) = (key, value) {
                        tags.insert(key, value);
                    }
                }
            }
            // SAM functions take tags as a map.
            Value::Map(entries) => {
                for (key, value) in entries {
                    let path = format!("Tags.{}", key.name);
                    if let Some(value) = self.text(r, Some(value), &path, dataset) {
                        tags.insert(key.name.clone(), value);
                    }
                }
            }
            _ => self.note_unknown(
                dataset,
                r.id,
                "Tags",
                first_unknown(node).unwrap_or_default(),
            ),
        }
        tags
    }

    fn cidr4(
        &mut self,
        r: &Declared<'_>,
        text: Option<String>,
        property: &str,
        dataset: Dataset,
    ) -> Option<Ipv4Net> {
        self.cidr(r, text, property, dataset, "IPv4")
    }

    fn cidr6(
        &mut self,
        r: &Declared<'_>,
        text: Option<String>,
        property: &str,
        dataset: Dataset,
    ) -> Option<Ipv6Net> {
        self.cidr(r, text, property, dataset, "IPv6")
    }

    /// A CIDR of `family`, or None with the value recorded as unknown (never dropped).
    fn cidr<N: std::str::FromStr>(
        &mut self,
        r: &Declared<'_>,
        text: Option<String>,
        property: &str,
        dataset: Dataset,
        family: &str,
    ) -> Option<N> {
        let text = text?;
        match text.parse::<N>() {
            Ok(net) => Some(net),
            Err(_) => {
                self.note_unknown(
                    dataset,
                    r.id,
                    property,
                    format!("`{text}` is not an {family} CIDR"),
                );
                None
            }
        }
    }

    fn source(&mut self, r: &Declared<'_>) -> &mut ResourceSource {
        self.sources.entry(
            &self.inventory.account,
            &self.inventory.region,
            r.id,
            ResourceSource {
                uri: self.template.uri.clone(),
                logical_id: r.id.to_owned(),
                resource_type: r.kind.to_owned(),
                position: r.position,
                properties: property_positions(&r.properties),
                items: Vec::new(),
            },
        )
    }

    /// The same source under another id: findings on load balancers name them by name.
    fn alias_source(&mut self, id: &str, alias: &str) {
        if id == alias {
            return;
        }
        let (account, region) = (&self.inventory.account, &self.inventory.region);
        if let Some(source) = self.sources.get(account, region, id).cloned() {
            self.sources.entry(account, region, alias, source);
        }
    }

    // ---- resources ----------------------------------------------------------------------

    fn vpc(&mut self, r: &Declared<'_>) {
        let d = Dataset::Vpcs;
        let cidr = self.prop(r, "CidrBlock", d);
        let cidr = self.cidr4(r, cidr, "CidrBlock", d);
        let tags = self.tags(r, d);
        self.inventory.vpcs.push(Vpc {
            id: r.id.to_owned(),
            cidr_blocks: cidr.into_iter().collect(),
            tags,
            ..Vpc::default()
        });
        // AWS gives every new VPC a main route table with only the local route.
        self.inventory.route_tables.push(RouteTable {
            id: main_route_table_id(r.id),
            vpc_id: r.id.to_owned(),
            routes: cidr
                .map(|net| Route {
                    destination: RouteDestination::Ipv4(net),
                    target: RouteTarget::Local,
                    state: RouteState::Active,
                    origin: Some("CreateRouteTable".to_owned()),
                })
                .into_iter()
                .collect(),
            associations: vec![RouteTableAssociation {
                main: true,
                ..RouteTableAssociation::default()
            }],
            tags: Tags::new(),
        });
        self.source(r);
    }

    fn subnet(&mut self, r: &Declared<'_>) {
        let d = Dataset::Subnets;
        let vpc_id = self.prop(r, "VpcId", d).unwrap_or_default();
        let az = self.prop(r, "AvailabilityZone", d);
        let az_id = self.prop(r, "AvailabilityZoneId", d);
        if az.is_none() && az_id.is_none() && r.properties.get("AvailabilityZone").is_none() {
            self.note_unknown(
                d,
                r.id,
                "AvailabilityZone",
                "AWS picks the zone at deploy time".to_owned(),
            );
        }
        let cidr = self.prop(r, "CidrBlock", d);
        let cidr = self.cidr4(r, cidr, "CidrBlock", d);
        let public = self.flag(r, "MapPublicIpOnLaunch", d).unwrap_or(false);
        let tags = self.tags(r, d);
        self.inventory.subnets.push(Subnet {
            id: r.id.to_owned(),
            vpc_id,
            availability_zone: az.or_else(|| az_id.clone()).unwrap_or_default(),
            availability_zone_id: az_id,
            cidr_block: cidr,
            map_public_ip_on_launch: public,
            tags,
            ..Subnet::default()
        });
        self.source(r);
    }

    fn route_table(&mut self, r: &Declared<'_>) {
        let d = Dataset::RouteTables;
        let vpc_id = self.prop(r, "VpcId", d).unwrap_or_default();
        let tags = self.tags(r, d);
        let local = self
            .inventory
            .vpcs
            .iter()
            .find(|v| v.id == vpc_id)
            .map(|v| v.cidr_blocks.clone())
            .unwrap_or_default();
        self.inventory.route_tables.push(RouteTable {
            id: r.id.to_owned(),
            vpc_id,
            routes: local
                .into_iter()
                .map(|net| Route {
                    destination: RouteDestination::Ipv4(net),
                    target: RouteTarget::Local,
                    state: RouteState::Active,
                    origin: Some("CreateRouteTable".to_owned()),
                })
                .collect(),
            associations: Vec::new(),
            tags,
        });
        self.source(r);
    }

    fn route(&mut self, r: &Declared<'_>) {
        let d = Dataset::RouteTables;
        let Some(table_id) = self.prop(r, "RouteTableId", d) else {
            return;
        };
        let destination = if let Some(cidr) = self.prop(r, "DestinationCidrBlock", d) {
            self.cidr4(r, Some(cidr), "DestinationCidrBlock", d)
                .map(RouteDestination::Ipv4)
        } else if let Some(cidr) = self.prop(r, "DestinationIpv6CidrBlock", d) {
            self.cidr6(r, Some(cidr), "DestinationIpv6CidrBlock", d)
                .map(RouteDestination::Ipv6)
        } else {
            self.prop(r, "DestinationPrefixListId", d)
                .map(RouteDestination::PrefixList)
        };
        let target = self.route_target(r);
        let (Some(destination), Some(target)) = (destination, target) else {
            return;
        };
        let Some(table) = self
            .inventory
            .route_tables
            .iter_mut()
            .find(|t| t.id == table_id)
        else {
            self.note_unknown(
                d,
                r.id,
                "RouteTableId",
                format!("route table `{table_id}` is not in the template"),
            );
            return;
        };
        let matcher = json!({ "destination": destination.to_string() });
        table.routes.push(Route {
            destination,
            target,
            state: RouteState::Active,
            origin: Some("CreateRoute".to_owned()),
        });
        // A route finding is about the table: locate it at this route.
        let position = r.position;
        let route_id = r.id.to_owned();
        if let Some(source) =
            self.sources
                .get_mut(&self.inventory.account, &self.inventory.region, &table_id)
        {
            source.items.push(PropertySource {
                path: format!("route {route_id}"),
                position,
                matcher,
            });
        }
        self.source(r);
    }

    fn route_target(&mut self, r: &Declared<'_>) -> Option<RouteTarget> {
        let d = Dataset::RouteTables;
        type Make = fn(String) -> RouteTarget;
        let kinds: [(&str, Make); 10] = [
            ("NatGatewayId", RouteTarget::NatGateway),
            ("InstanceId", RouteTarget::Instance),
            ("NetworkInterfaceId", RouteTarget::NetworkInterface),
            ("TransitGatewayId", RouteTarget::TransitGateway),
            ("VpcPeeringConnectionId", RouteTarget::VpcPeeringConnection),
            ("VpcEndpointId", RouteTarget::VpcEndpoint),
            (
                "EgressOnlyInternetGatewayId",
                RouteTarget::EgressOnlyInternetGateway,
            ),
            ("CarrierGatewayId", RouteTarget::CarrierGateway),
            ("LocalGatewayId", RouteTarget::LocalGateway),
            ("CoreNetworkArn", RouteTarget::CoreNetwork),
        ];
        if r.properties.get("GatewayId").is_some() {
            let id = self.prop(r, "GatewayId", d)?;
            // GatewayId takes an internet or a virtual private gateway: tell them apart by
            // what the template declares, else by the id's prefix.
            let kind = self.resolver.resource_type(&id);
            return Some(match kind {
                Some("AWS::EC2::VPNGateway") => RouteTarget::VpnGateway(id),
                Some("AWS::EC2::InternetGateway") => RouteTarget::InternetGateway(id),
                _ if id.starts_with("igw-") => RouteTarget::InternetGateway(id),
                _ if id.starts_with("vgw-") => RouteTarget::VpnGateway(id),
                _ => RouteTarget::Other(id),
            });
        }
        for (property, make) in kinds {
            if r.properties.get(property).is_some() {
                return self.prop(r, property, d).map(make);
            }
        }
        None
    }

    fn association(&mut self, r: &Declared<'_>) {
        let d = Dataset::RouteTables;
        let (Some(table_id), Some(subnet_id)) =
            (self.prop(r, "RouteTableId", d), self.prop(r, "SubnetId", d))
        else {
            return;
        };
        match self
            .inventory
            .route_tables
            .iter_mut()
            .find(|t| t.id == table_id)
        {
            Some(table) => table.associations.push(RouteTableAssociation {
                id: Some(r.id.to_owned()),
                main: false,
                subnet_id: Some(subnet_id),
                gateway_id: None,
            }),
            None => self.note_unknown(
                d,
                r.id,
                "RouteTableId",
                format!("route table `{table_id}` is not in the template"),
            ),
        }
        self.source(r);
    }

    fn internet_gateway(&mut self, r: &Declared<'_>) {
        let tags = self.tags(r, Dataset::InternetGateways);
        self.inventory.internet_gateways.push(InternetGateway {
            id: r.id.to_owned(),
            attached_vpc_ids: Vec::new(),
            tags,
        });
        self.source(r);
    }

    fn gateway_attachment(&mut self, r: &Declared<'_>) {
        let d = Dataset::InternetGateways;
        if r.properties.get("InternetGatewayId").is_none() {
            return; // a VPN gateway attachment
        }
        let (Some(igw), Some(vpc)) = (
            self.prop(r, "InternetGatewayId", d),
            self.prop(r, "VpcId", d),
        ) else {
            return;
        };
        if let Some(gateway) = self
            .inventory
            .internet_gateways
            .iter_mut()
            .find(|g| g.id == igw)
        {
            gateway.attached_vpc_ids.push(vpc);
        }
    }

    fn nat_gateway(&mut self, r: &Declared<'_>) {
        let d = Dataset::NatGateways;
        let subnet_id = self.prop(r, "SubnetId", d).unwrap_or_default();
        let connectivity = self.prop(r, "ConnectivityType", d);
        let allocation = self.prop(r, "AllocationId", d);
        let tags = self.tags(r, d);
        let vpc_id = self.subnet_vpc(&subnet_id).unwrap_or_default();
        self.inventory.nat_gateways.push(NatGateway {
            id: r.id.to_owned(),
            vpc_id,
            subnet_id,
            state: Some("available".to_owned()),
            connectivity_type: connectivity,
            // The Elastic IP's address is known after deploy; its allocation stands for it.
            public_ips: allocation.into_iter().collect(),
            network_interface_ids: Vec::new(),
            tags,
        });
        self.source(r);
    }

    fn network_acl(&mut self, r: &Declared<'_>) {
        let d = Dataset::NetworkAcls;
        let vpc_id = self.prop(r, "VpcId", d).unwrap_or_default();
        let tags = self.tags(r, d);
        self.inventory.network_acls.push(NetworkAcl {
            id: r.id.to_owned(),
            vpc_id,
            is_default: false,
            entries: Vec::new(),
            subnet_ids: Vec::new(),
            tags,
        });
        self.source(r);
    }

    fn network_acl_association(&mut self, r: &Declared<'_>) {
        let d = Dataset::NetworkAcls;
        let (Some(acl_id), Some(subnet_id)) =
            (self.prop(r, "NetworkAclId", d), self.prop(r, "SubnetId", d))
        else {
            return;
        };
        match self
            .inventory
            .network_acls
            .iter_mut()
            .find(|a| a.id == acl_id)
        {
            Some(acl) => acl.subnet_ids.push(subnet_id),
            None => self.note_unknown(
                d,
                r.id,
                "NetworkAclId",
                format!("network ACL `{acl_id}` is not in the template"),
            ),
        }
        self.source(r);
    }

    /// AWS gives every VPC a default network ACL that allows all IPv4 traffic both ways; the
    /// subnets no ACL of the template is associated with use it.
    fn default_network_acls(&mut self) {
        let associated: Vec<String> = self
            .inventory
            .network_acls
            .iter()
            .flat_map(|a| a.subnet_ids.iter().cloned())
            .collect();
        let entry = |rule_number: i32, egress: bool, action: &str| NetworkAclEntry {
            rule_number,
            egress,
            action: action.to_owned(),
            protocol: Protocol::all(),
            cidr_block: Some(Ipv4Net::default()),
            ipv6_cidr_block: None,
            port_range: None,
        };
        let defaults: Vec<NetworkAcl> = self
            .inventory
            .vpcs
            .iter()
            .map(|vpc| NetworkAcl {
                id: default_network_acl_id(&vpc.id),
                vpc_id: vpc.id.clone(),
                is_default: true,
                entries: vec![
                    entry(100, false, "allow"),
                    entry(32767, false, "deny"),
                    entry(100, true, "allow"),
                    entry(32767, true, "deny"),
                ],
                subnet_ids: self
                    .inventory
                    .subnets
                    .iter()
                    .filter(|s| s.vpc_id == vpc.id && !associated.contains(&s.id))
                    .map(|s| s.id.clone())
                    .collect(),
                tags: Tags::new(),
            })
            .collect();
        self.inventory.network_acls.extend(defaults);
    }

    fn network_acl_entry(&mut self, r: &Declared<'_>) {
        let d = Dataset::NetworkAcls;
        let Some(acl_id) = self.prop(r, "NetworkAclId", d) else {
            return;
        };
        let rule_number = self
            .prop(r, "RuleNumber", d)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let egress = self.flag(r, "Egress", d).unwrap_or(false);
        let action = self
            .prop(r, "RuleAction", d)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let protocol = Protocol(
            self.prop(r, "Protocol", d)
                .unwrap_or_else(|| "-1".to_owned()),
        );
        let cidr = self.prop(r, "CidrBlock", d);
        let cidr_block = self.cidr4(r, cidr, "CidrBlock", d);
        let cidr6 = self.prop(r, "Ipv6CidrBlock", d);
        let ipv6_cidr_block = self.cidr6(r, cidr6, "Ipv6CidrBlock", d);
        let port_range = r.properties.get("PortRange").and_then(|range| {
            let from = range.get("From").and_then(Node::as_str)?.parse().ok()?;
            let to = range.get("To").and_then(Node::as_str)?.parse().ok()?;
            Some(PortRange { from, to })
        });
        let entry = NetworkAclEntry {
            rule_number,
            egress,
            action,
            protocol,
            cidr_block,
            ipv6_cidr_block,
            port_range,
        };
        // An entry finding is about the ACL: locate it at this entry.
        let matcher = serde_json::to_value(&entry).unwrap_or_default();
        if let Some(acl) = self
            .inventory
            .network_acls
            .iter_mut()
            .find(|a| a.id == acl_id)
        {
            acl.entries.push(entry);
        }
        if let Some(source) =
            self.sources
                .get_mut(&self.inventory.account, &self.inventory.region, &acl_id)
        {
            source.items.push(PropertySource {
                path: format!("entry {}", r.id),
                position: r.position,
                matcher,
            });
        }
        self.source(r);
    }

    fn security_group(&mut self, r: &Declared<'_>) {
        let d = Dataset::SecurityGroups;
        let name = self
            .prop(r, "GroupName", d)
            .unwrap_or_else(|| r.id.to_owned());
        let description = self.prop(r, "GroupDescription", d);
        let vpc_id = self.prop(r, "VpcId", d);
        let tags = self.tags(r, d);
        self.source(r);
        let mut ingress = Vec::new();
        let mut egress = Vec::new();
        for (property, outbound) in [
            ("SecurityGroupIngress", false),
            ("SecurityGroupEgress", true),
        ] {
            let Some(node) = r.properties.get(property) else {
                continue;
            };
            let Value::List(items) = &node.value else {
                let reason = first_unknown(node).unwrap_or_else(|| "not a list".to_owned());
                self.note_unknown(d, r.id, property, reason);
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                let path = format!("{property}[{i}]");
                if let Some(rule) = self.sg_rule(r, item, &path, outbound) {
                    self.locate_item(r.id, &path, item.position, &rule);
                    if outbound {
                        egress.push(rule)
                    } else {
                        ingress.push(rule)
                    }
                }
            }
        }
        if r.properties.get("SecurityGroupEgress").is_none() {
            // AWS adds allow-all egress to a group created without egress rules.
            egress.push(SecurityGroupRule {
                id: None,
                protocol: Protocol::all(),
                ports: None,
                peer: SecurityGroupPeer::Ipv4(Ipv4Net::default()),
                description: None,
            });
        }
        self.inventory.security_groups.push(SecurityGroup {
            id: r.id.to_owned(),
            name,
            description,
            vpc_id,
            owner_id: None,
            ingress,
            egress,
            tags,
        });
    }

    fn locate_item(
        &mut self,
        resource: &str,
        path: &str,
        position: Position,
        rule: &SecurityGroupRule,
    ) {
        let matcher = serde_json::to_value(rule).unwrap_or_default();
        if let Some(source) =
            self.sources
                .get_mut(&self.inventory.account, &self.inventory.region, resource)
        {
            source.items.push(PropertySource {
                path: path.to_owned(),
                position,
                matcher,
            });
        }
    }

    /// One ingress or egress entry (an inline one, or a standalone resource's properties).
    fn sg_rule(
        &mut self,
        r: &Declared<'_>,
        item: &Node,
        path: &str,
        outbound: bool,
    ) -> Option<SecurityGroupRule> {
        let d = Dataset::SecurityGroups;
        if let Some(why) = first_unknown(item) {
            self.note_unknown(d, r.id, path, why);
            return None;
        }
        let field = |name: &str| item.get(name).and_then(Node::as_str).map(str::to_owned);
        let protocol = match field("IpProtocol")?.to_ascii_lowercase().as_str() {
            "-1" | "all" => Protocol::all(),
            other => Protocol(other.to_owned()),
        };
        let ports = if protocol.is_all() {
            None
        } else {
            match (
                field("FromPort").and_then(|p| p.parse().ok()),
                field("ToPort").and_then(|p| p.parse().ok()),
            ) {
                (Some(from), Some(to)) if from >= 0 => Some(PortRange { from, to }),
                _ => None,
            }
        };
        let (cidr, cidr6, group, prefix) = if outbound {
            (
                "CidrIp",
                "CidrIpv6",
                "DestinationSecurityGroupId",
                "DestinationPrefixListId",
            )
        } else {
            (
                "CidrIp",
                "CidrIpv6",
                "SourceSecurityGroupId",
                "SourcePrefixListId",
            )
        };
        let peer = if let Some(text) = field(cidr) {
            SecurityGroupPeer::Ipv4(self.cidr4(r, Some(text), &format!("{path}.{cidr}"), d)?)
        } else if let Some(text) = field(cidr6) {
            SecurityGroupPeer::Ipv6(self.cidr6(r, Some(text), &format!("{path}.{cidr6}"), d)?)
        } else if let Some(id) = field(group) {
            SecurityGroupPeer::SecurityGroup {
                group_id: id,
                user_id: field("SourceSecurityGroupOwnerId"),
                vpc_id: None,
                peering_status: None,
            }
        } else if let Some(id) = field(prefix) {
            SecurityGroupPeer::PrefixList(id)
        } else {
            self.note_unknown(
                d,
                r.id,
                path,
                "a peer vpcaudit does not read (e.g. SourceSecurityGroupName)".to_owned(),
            );
            return None;
        };
        Some(SecurityGroupRule {
            id: None,
            protocol,
            ports,
            peer,
            description: field("Description"),
        })
    }

    fn standalone_rule(&mut self, r: &Declared<'_>, outbound: bool) {
        let d = Dataset::SecurityGroups;
        let Some(group_id) = self.prop(r, "GroupId", d) else {
            if r.properties.get("GroupName").is_some() {
                self.note_unknown(
                    d,
                    r.id,
                    "GroupName",
                    "a group named, not referenced".to_owned(),
                );
            }
            return;
        };
        let Some(rule) = self.sg_rule(r, &r.properties, r.id, outbound) else {
            return;
        };
        let Some(group) = self
            .inventory
            .security_groups
            .iter_mut()
            .find(|g| g.id == group_id)
        else {
            self.note_unknown(
                d,
                r.id,
                "GroupId",
                format!("security group `{group_id}` is not in the template"),
            );
            return;
        };
        if outbound {
            // A standalone egress rule adds to the group's rules (AWS's allow-all included).
            group.egress.push(rule.clone());
        } else {
            group.ingress.push(rule.clone());
        }
        // A rule finding is about the group: locate it at this resource.
        let position = r.position;
        self.locate_item(&group_id, r.id, position, &rule);
        self.source(r);
    }

    fn instance(&mut self, r: &Declared<'_>) {
        let d = Dataset::Instances;
        let mut subnet_id = self.prop(r, "SubnetId", d);
        let mut groups = self.list(r, "SecurityGroupIds", d);
        let mut public = None;
        let mut primary_private_ip = None;
        if let Some(Value::List(interfaces)) =
            r.properties.get("NetworkInterfaces").map(|n| &n.value)
            && let Some(primary) = interfaces.first()
        {
            if let Some(why) = first_unknown(primary) {
                self.note_unknown(d, r.id, "NetworkInterfaces[0]", why);
            }
            subnet_id = subnet_id.or_else(|| {
                primary
                    .get("SubnetId")
                    .and_then(Node::as_str)
                    .map(str::to_owned)
            });
            if let Some(Value::List(set)) = primary.get("GroupSet").map(|n| &n.value) {
                groups.extend(set.iter().filter_map(Node::as_str).map(str::to_owned));
            }
            public = primary
                .get("AssociatePublicIpAddress")
                .and_then(Node::as_str)
                .map(|v| v.eq_ignore_ascii_case("true"));
            primary_private_ip = primary
                .get("PrivateIpAddress")
                .and_then(Node::as_str)
                .map(str::to_owned);
        }
        let subnet_public = subnet_id
            .as_deref()
            .and_then(|s| self.inventory.subnets.iter().find(|x| x.id == s))
            .map(|s| s.map_public_ip_on_launch);
        // The address itself is assigned at launch; stand for it when one will be.
        let public_ip = public
            .or(subnet_public)
            .unwrap_or(false)
            .then(|| "assigned at launch".to_owned());
        let vpc_id = subnet_id.as_deref().and_then(|s| self.subnet_vpc(s));
        let instance_type = self.prop(r, "InstanceType", d);
        let tags = self.tags(r, d);
        let private_ip = match self.prop(r, "PrivateIpAddress", d) {
            Some(ip) => Some(ip),
            None => primary_private_ip,
        };
        // AWS's default is on: an instance forwards others' traffic only when turned off.
        let source_dest_check = match r.properties.get("SourceDestCheck") {
            Some(_) => self.flag(r, "SourceDestCheck", d),
            None => Some(true),
        };
        // Every instance has a primary network interface: what load balancers and routes reach.
        // Its public address (if any) is assigned at launch, so it is not one the model can
        // route to; the instance record says it will have one.
        let interface = NetworkInterface {
            id: primary_interface_id(r.id),
            subnet_id: subnet_id.clone(),
            vpc_id: vpc_id.clone(),
            availability_zone: subnet_id
                .as_deref()
                .and_then(|s| self.inventory.subnets.iter().find(|x| x.id == s))
                .map(|s| s.availability_zone.clone()),
            interface_type: Some("interface".to_owned()),
            security_group_ids: groups.clone(),
            private_ip: private_ip.clone(),
            private_ips: private_ip
                .iter()
                .map(|address| PrivateIp {
                    address: address.clone(),
                    primary: true,
                    ..PrivateIp::default()
                })
                .collect(),
            instance_id: Some(r.id.to_owned()),
            status: Some("in-use".to_owned()),
            source_dest_check,
            attachment: Some(NetworkInterfaceAttachment {
                instance_id: Some(r.id.to_owned()),
                device_index: Some(0),
                status: Some("attached".to_owned()),
                ..NetworkInterfaceAttachment::default()
            }),
            ..NetworkInterface::default()
        };
        self.inventory.network_interfaces.push(interface);
        self.inventory.instances.push(Instance {
            id: r.id.to_owned(),
            vpc_id,
            subnet_id,
            state: Some("running".to_owned()),
            instance_type,
            private_ip,
            public_ip,
            security_group_ids: groups,
            tags,
        });
        self.source(r);
        self.alias_source(r.id, &primary_interface_id(r.id));
    }

    fn flow_log(&mut self, r: &Declared<'_>) {
        let d = Dataset::FlowLogs;
        let resource_id = self.prop(r, "ResourceId", d).unwrap_or_default();
        let traffic_type = self.prop(r, "TrafficType", d);
        let destination_type = self
            .prop(r, "LogDestinationType", d)
            .or(Some("cloud-watch-logs".to_owned()));
        self.inventory.flow_logs.push(FlowLog {
            id: r.id.to_owned(),
            resource_id,
            traffic_type,
            status: Some("ACTIVE".to_owned()),
            destination_type,
        });
        self.source(r);
    }

    fn db_subnet_group(&mut self, r: &Declared<'_>) {
        let d = Dataset::DbSubnetGroups;
        let subnet_ids = self.list(r, "SubnetIds", d);
        let members: Vec<DbSubnetGroupMember> = subnet_ids
            .iter()
            .map(|id| DbSubnetGroupMember {
                subnet_id: id.clone(),
                availability_zone: self
                    .inventory
                    .subnets
                    .iter()
                    .find(|s| &s.id == id)
                    .map(|s| s.availability_zone.clone()),
            })
            .collect();
        let vpc_id = subnet_ids
            .iter()
            .find_map(|s| self.subnet_vpc(s))
            .unwrap_or_default();
        self.inventory.db_subnet_groups.push(DbSubnetGroup {
            name: r.id.to_owned(),
            arn: None,
            vpc_id,
            subnets: members,
        });
        self.source(r);
    }

    /// `PubliclyAccessible` as AWS will apply it: when absent, a database in a subnet group of
    /// a non-default VPC is private; without a subnet group it goes to the default VPC, public.
    fn publicly_accessible(
        &mut self,
        r: &Declared<'_>,
        dataset: Dataset,
        group: Option<&str>,
    ) -> Option<bool> {
        if r.properties.get("PubliclyAccessible").is_some() {
            return self.flag(r, "PubliclyAccessible", dataset);
        }
        match group {
            Some(g) if self.inventory.db_subnet_groups.iter().any(|x| x.name == g) => Some(false),
            Some(_) => None,
            None => Some(true),
        }
    }

    fn db_instance(&mut self, r: &Declared<'_>) {
        let d = Dataset::DbInstances;
        let cluster_id = self.prop(r, "DBClusterIdentifier", d);
        let group = self.prop(r, "DBSubnetGroupName", d);
        let publicly_accessible = self.publicly_accessible(r, d, group.as_deref());
        let multi_az = match self.flag(r, "MultiAZ", d) {
            Some(m) => Some(m),
            None if cluster_id.is_none() && r.properties.get("MultiAZ").is_none() => Some(false),
            None => None,
        };
        let engine = self.prop(r, "Engine", d);
        let az = self.prop(r, "AvailabilityZone", d);
        let replica_of = self.prop(r, "SourceDBInstanceIdentifier", d);
        let groups = self.list(r, "VPCSecurityGroups", d);
        let tags = self.tags(r, d);
        let vpc_id = group
            .as_deref()
            .and_then(|g| self.inventory.db_subnet_groups.iter().find(|x| x.name == g))
            .map(|g| g.vpc_id.clone());
        self.inventory.db_instances.push(DbInstance {
            id: r.id.to_owned(),
            arn: None,
            engine,
            publicly_accessible,
            multi_az,
            availability_zone: az,
            cluster_id,
            replica_of,
            db_subnet_group: group,
            vpc_id,
            security_group_ids: groups,
            endpoint: Some(Endpoint {
                address: endpoint_address(r.id),
                port: None,
            }),
            status: Some("available".to_owned()),
            tags,
        });
        self.source(r);
    }

    fn db_cluster(&mut self, r: &Declared<'_>) {
        let d = Dataset::DbClusters;
        let group = self.prop(r, "DBSubnetGroupName", d);
        // Only Multi-AZ DB clusters take PubliclyAccessible; Aurora's instances carry it.
        let publicly_accessible = if r.properties.get("PubliclyAccessible").is_some() {
            self.flag(r, "PubliclyAccessible", d)
        } else {
            None
        };
        let engine = self.prop(r, "Engine", d);
        let zones = self.list(r, "AvailabilityZones", d);
        let groups = self.list(r, "VpcSecurityGroupIds", d);
        let tags = self.tags(r, d);
        self.inventory.db_clusters.push(DbCluster {
            id: r.id.to_owned(),
            arn: None,
            engine,
            publicly_accessible,
            multi_az: None,
            availability_zones: zones,
            db_subnet_group: group,
            security_group_ids: groups,
            endpoint: Some(Endpoint {
                address: endpoint_address(r.id),
                port: None,
            }),
            reader_endpoint: None,
            member_ids: Vec::new(),
            status: Some("available".to_owned()),
            tags,
        });
        self.source(r);
    }

    fn function(&mut self, r: &Declared<'_>, properties: Node) {
        let d = Dataset::LambdaFunctions;
        let r = Declared {
            id: r.id,
            kind: r.kind,
            position: r.position,
            properties,
        };
        let name = self
            .prop(&r, "FunctionName", d)
            .unwrap_or_else(|| r.id.to_owned());
        let runtime = self.prop(&r, "Runtime", d);
        let vpc = match r.properties.get("VpcConfig") {
            Some(config) => {
                let config = Declared {
                    id: r.id,
                    kind: r.kind,
                    position: config.position,
                    properties: config.clone(),
                };
                let subnet_ids = self.list(&config, "SubnetIds", d);
                let security_group_ids = self.list(&config, "SecurityGroupIds", d);
                Some(LambdaVpcConfig {
                    subnet_ids,
                    security_group_ids,
                })
            }
            None => None,
        };
        let mut environment = Vec::new();
        if let Some(variables) = r
            .properties
            .get("Environment")
            .and_then(|e| e.get("Variables"))
        {
            // The database endpoints the template declares, as the collector matches live ones.
            let addresses: Vec<(String, String)> = self
                .inventory
                .db_instances
                .iter()
                .map(|db| (db.id.clone(), endpoint_address(&db.id)))
                .chain(
                    self.inventory
                        .db_clusters
                        .iter()
                        .map(|c| (c.id.clone(), endpoint_address(&c.id))),
                )
                .collect();
            let endpoints =
                KnownEndpoints::new(addresses.iter().map(|(id, a)| (id.as_str(), a.as_str())));
            for (key, value) in variables.entries() {
                let path = format!("Environment.Variables.{}", key.name);
                let Some(text) = self.text(&r, Some(value), &path, d) else {
                    continue;
                };
                environment.push(EnvironmentVariable {
                    name: key.name.clone(),
                    value_facts: value_facts(&text, &endpoints),
                });
            }
        }
        self.inventory.lambda_functions.push(LambdaFunction {
            name: name.clone(),
            arn: name,
            runtime,
            vpc,
            environment,
        });
        self.source(&r);
    }

    fn subnet_vpc(&self, subnet_id: &str) -> Option<String> {
        self.inventory
            .subnets
            .iter()
            .find(|s| s.id == subnet_id)
            .map(|s| s.vpc_id.clone())
    }
}

/// The id standing for the primary network interface AWS creates with a template instance.
pub fn primary_interface_id(instance_id: &str) -> String {
    format!("{instance_id}.PrimaryInterface")
}

/// The id standing for the default network ACL AWS creates with a template VPC.
pub fn default_network_acl_id(vpc_id: &str) -> String {
    format!("{vpc_id}.DefaultNetworkAcl")
}

/// The id standing for the main route table AWS creates with a template VPC.
pub fn main_route_table_id(vpc_id: &str) -> String {
    format!("{vpc_id}.MainRouteTable")
}

/// Parents before children: VPCs, then subnets, tables and gateways, then what points at them.
fn order(kind: &str) -> u8 {
    match kind {
        "AWS::EC2::VPC" => 0,
        "AWS::EC2::Subnet"
        | "AWS::EC2::InternetGateway"
        | "AWS::EC2::RouteTable"
        | "AWS::EC2::NetworkAcl"
        | "AWS::EC2::SecurityGroup" => 1,
        "AWS::RDS::DBSubnetGroup" | "AWS::EC2::NatGateway" | "AWS::EC2::VPCGatewayAttachment" => 2,
        "AWS::RDS::DBInstance"
        | "AWS::RDS::DBCluster"
        | "AWS::ElasticLoadBalancingV2::LoadBalancer"
        | "AWS::ElasticLoadBalancingV2::TargetGroup" => 3,
        // Listeners point at load balancers and target groups; Elastic IPs at instances.
        "AWS::ElasticLoadBalancingV2::Listener" | "AWS::EC2::EIP" => 5,
        // Rules point at listeners; associations at Elastic IPs.
        "AWS::ElasticLoadBalancingV2::ListenerRule" | "AWS::EC2::EIPAssociation" => 6,
        _ => 4,
    }
}

fn dataset_of(kind: &str) -> Option<Dataset> {
    Some(match kind {
        "AWS::EC2::VPC" => Dataset::Vpcs,
        "AWS::EC2::Subnet" => Dataset::Subnets,
        "AWS::EC2::RouteTable" | "AWS::EC2::Route" | "AWS::EC2::SubnetRouteTableAssociation" => {
            Dataset::RouteTables
        }
        "AWS::EC2::InternetGateway" | "AWS::EC2::VPCGatewayAttachment" => Dataset::InternetGateways,
        "AWS::EC2::NatGateway" => Dataset::NatGateways,
        "AWS::EC2::NetworkAcl"
        | "AWS::EC2::NetworkAclEntry"
        | "AWS::EC2::SubnetNetworkAclAssociation" => Dataset::NetworkAcls,
        "AWS::EC2::SecurityGroup"
        | "AWS::EC2::SecurityGroupIngress"
        | "AWS::EC2::SecurityGroupEgress" => Dataset::SecurityGroups,
        "AWS::EC2::Instance" => Dataset::Instances,
        "AWS::EC2::FlowLog" => Dataset::FlowLogs,
        "AWS::RDS::DBInstance" => Dataset::DbInstances,
        "AWS::RDS::DBCluster" => Dataset::DbClusters,
        "AWS::RDS::DBSubnetGroup" => Dataset::DbSubnetGroups,
        "AWS::Lambda::Function" | "AWS::Serverless::Function" => Dataset::LambdaFunctions,
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => Dataset::LoadBalancers,
        "AWS::ElasticLoadBalancingV2::Listener" | "AWS::ElasticLoadBalancingV2::ListenerRule" => {
            Dataset::Listeners
        }
        "AWS::ElasticLoadBalancingV2::TargetGroup" => Dataset::TargetGroups,
        "AWS::ElasticLoadBalancing::LoadBalancer" => Dataset::ClassicLoadBalancers,
        "AWS::EC2::EIP" | "AWS::EC2::EIPAssociation" => Dataset::ElasticIps,
        "AWS::EC2::VPCEndpoint" => Dataset::VpcEndpoints,
        "AWS::EC2::EgressOnlyInternetGateway" => Dataset::EgressOnlyInternetGateways,
        "AWS::ECS::Service" => Dataset::EcsServices,
        _ => return None,
    })
}

/// Each top-level property's line, for locating findings about one property.
fn property_positions(properties: &Node) -> BTreeMap<String, Position> {
    properties
        .entries()
        .iter()
        .map(|(key, _)| (key.name.clone(), key.position))
        .collect()
}

/// SAM's `Globals`: a function's own primitive values win, maps merge, lists add up (globals
/// first).
pub fn merge_globals(globals: &Node, local: &Node) -> Node {
    match (&globals.value, &local.value) {
        (Value::Map(global_entries), Value::Map(local_entries)) => {
            let mut merged = global_entries.clone();
            for (key, value) in local_entries {
                match merged.iter_mut().find(|(k, _)| k.name == key.name) {
                    Some((k, existing)) => {
                        *existing = merge_globals(existing, value);
                        *k = key.clone();
                    }
                    None => merged.push((key.clone(), value.clone())),
                }
            }
            Node::new(local.position, Value::Map(merged))
        }
        (Value::List(global_items), Value::List(local_items)) => {
            let mut items = global_items.clone();
            items.extend(local_items.iter().cloned());
            Node::new(local.position, Value::List(items))
        }
        _ => local.clone(),
    }
}
