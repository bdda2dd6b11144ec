//! Elastic IPs, VPC endpoints, egress-only internet gateways and ECS services into the model
//! the collectors fill.
//!
//! An Elastic IP's address is known after deploy: its logical id stands for it (as a NAT
//! gateway's allocation stands for its address). An Elastic IP on a template instance gives the
//! instance a public address. Interface endpoints' and tasks' network interfaces exist only once
//! deployed; the model holds their subnets and groups as the collectors' do.

use vpcaudit_core::model::{
    EcsLoadBalancer, EcsNetwork, EcsService, EgressOnlyInternetGateway, ElasticIp, VpcEndpoint,
};
use vpcaudit_core::snapshot::Dataset;

use super::{Converter, Declared};
use crate::node::Node;
use crate::resolve::first_unknown;

impl Converter<'_> {
    pub(super) fn elastic_ip(&mut self, r: &Declared<'_>) {
        let d = Dataset::ElasticIps;
        let domain = self.prop_or(r, "Domain", d, "vpc");
        let instance_id = self.prop(r, "InstanceId", d);
        let network_interface_id = self.prop(r, "NetworkInterfaceId", d);
        let public_ipv4_pool = self.prop(r, "PublicIpv4Pool", d);
        let network_border_group = self.prop(r, "NetworkBorderGroup", d);
        let tags = self.tags(r, d);
        let associated = instance_id.is_some() || network_interface_id.is_some();
        self.inventory.elastic_ips.push(ElasticIp {
            public_ip: r.id.to_owned(),
            allocation_id: Some(r.id.to_owned()),
            association_id: associated.then(|| format!("{}.Association", r.id)),
            domain,
            instance_id: instance_id.clone(),
            network_interface_id,
            network_interface_owner_id: None,
            private_ip: None,
            public_ipv4_pool,
            network_border_group,
            tags,
        });
        if let Some(instance) = instance_id {
            self.give_address(&instance, r.id);
        }
        self.source(r);
    }

    pub(super) fn eip_association(&mut self, r: &Declared<'_>) {
        let d = Dataset::ElasticIps;
        // `AllocationId` (VPC) or the legacy `EIP`; both resolve to the Elastic IP's id.
        let eip = match self.prop(r, "AllocationId", d) {
            Some(id) => Some(id),
            None => self.prop(r, "EIP", d),
        };
        let Some(eip) = eip else {
            return;
        };
        let instance_id = self.prop(r, "InstanceId", d);
        let network_interface_id = self.prop(r, "NetworkInterfaceId", d);
        let private_ip = self.prop(r, "PrivateIpAddress", d);
        let Some(address) = self
            .inventory
            .elastic_ips
            .iter_mut()
            .find(|a| a.allocation_id.as_deref() == Some(eip.as_str()))
        else {
            self.note_unknown(
                d,
                r.id,
                "AllocationId",
                format!("Elastic IP `{eip}` is not in the template"),
            );
            return;
        };
        address.association_id = Some(r.id.to_owned());
        address.instance_id = instance_id.clone();
        address.network_interface_id = network_interface_id;
        address.private_ip = private_ip;
        if let Some(instance) = instance_id {
            self.give_address(&instance, &eip);
        }
        self.source(r);
    }

    /// An Elastic IP replaces the address an instance had (if any) with its own.
    fn give_address(&mut self, instance_id: &str, eip: &str) {
        if let Some(instance) = self
            .inventory
            .instances
            .iter_mut()
            .find(|i| i.id == instance_id)
        {
            instance.public_ip = Some(format!("Elastic IP {eip}"));
        }
    }

    pub(super) fn vpc_endpoint(&mut self, r: &Declared<'_>) {
        let d = Dataset::VpcEndpoints;
        let vpc_id = self.prop(r, "VpcId", d).unwrap_or_default();
        let endpoint_type = self.prop_or(r, "VpcEndpointType", d, "Gateway");
        // Usually `!Sub com.amazonaws.${AWS::Region}.…`, unknown without `AWS::Region`; no rule
        // reads it, so it does not make the endpoints unknown.
        let service_name = r
            .properties
            .get("ServiceName")
            .and_then(Node::as_str)
            .map(str::to_owned);
        let route_table_ids = self.list(r, "RouteTableIds", d);
        let subnet_ids = self.list(r, "SubnetIds", d);
        let security_group_ids = self.list(r, "SecurityGroupIds", d);
        let private_dns_enabled = match endpoint_type.as_deref() {
            // AWS's default for interface endpoints created by CloudFormation is false.
            Some("Interface") if r.properties.get("PrivateDnsEnabled").is_none() => Some(false),
            _ => self.flag(r, "PrivateDnsEnabled", d),
        };
        let tags = self.tags(r, d);
        self.inventory.vpc_endpoints.push(VpcEndpoint {
            id: r.id.to_owned(),
            vpc_id,
            endpoint_type,
            service_name,
            state: Some("available".to_owned()),
            route_table_ids,
            subnet_ids,
            security_group_ids,
            network_interface_ids: Vec::new(),
            private_dns_enabled,
            // No rule reads the policy; it is not rendered back to JSON text.
            policy_document: None,
            owner_id: None,
            tags,
        });
        self.source(r);
    }

    pub(super) fn egress_only_internet_gateway(&mut self, r: &Declared<'_>) {
        let d = Dataset::EgressOnlyInternetGateways;
        let vpc = self.prop(r, "VpcId", d);
        let tags = self.tags(r, d);
        self.inventory
            .egress_only_internet_gateways
            .push(EgressOnlyInternetGateway {
                id: r.id.to_owned(),
                attached_vpc_ids: vpc.into_iter().collect(),
                tags,
            });
        self.source(r);
    }

    pub(super) fn ecs_service(&mut self, r: &Declared<'_>) {
        let d = Dataset::EcsServices;
        let name = self
            .prop(r, "ServiceName", d)
            .unwrap_or_else(|| r.id.to_owned());
        let cluster_arn = self.prop_or(r, "Cluster", d, "default").unwrap_or_default();
        let launch_type = self.prop(r, "LaunchType", d);
        // AWS starts a new service with one task when the count is not given.
        let desired_count = match self.prop_or(r, "DesiredCount", d, "1") {
            Some(n) => match n.parse() {
                Ok(n) => n,
                Err(_) => {
                    self.note_unknown(d, r.id, "DesiredCount", format!("`{n}` is not a number"));
                    0
                }
            },
            None => 0,
        };
        let task_definition = self.prop(r, "TaskDefinition", d);
        let network = match r
            .properties
            .get("NetworkConfiguration")
            .and_then(|n| n.get("AwsvpcConfiguration"))
        {
            Some(config) => {
                let config = Declared {
                    id: r.id,
                    kind: r.kind,
                    position: config.position,
                    properties: config.clone(),
                };
                let subnet_ids = self.list(&config, "Subnets", d);
                let security_group_ids = self.list(&config, "SecurityGroups", d);
                // Not said: AWS treats it as DISABLED.
                let assign_public_ip = self
                    .prop(&config, "AssignPublicIp", d)
                    .map(|a| a.eq_ignore_ascii_case("ENABLED"));
                Some(EcsNetwork {
                    subnet_ids,
                    security_group_ids,
                    assign_public_ip,
                })
            }
            None => None,
        };
        let mut load_balancers = Vec::new();
        if let Some(node) = r.properties.get("LoadBalancers") {
            for (i, lb) in self.items(r, node, "LoadBalancers", d) {
                let path = format!("LoadBalancers[{i}]");
                if let Some(why) = first_unknown(&lb) {
                    self.note_unknown(d, r.id, &path, why);
                    continue;
                }
                let field = |name: &str| lb.get(name).and_then(Node::as_str).map(str::to_owned);
                let target_group_arn = field("TargetGroupArn");
                if let Some(group) = &target_group_arn {
                    // Its tasks join the group when they start: the targets behind the load
                    // balancer are not in the template.
                    self.note_unknown(
                        Dataset::TargetHealth,
                        r.id,
                        &path,
                        format!(
                            "the service's tasks are registered with target group `{group}` \
                             at runtime"
                        ),
                    );
                }
                load_balancers.push(EcsLoadBalancer {
                    target_group_arn,
                    load_balancer_name: field("LoadBalancerName"),
                    container_name: field("ContainerName"),
                    container_port: field("ContainerPort").and_then(|p| p.parse().ok()),
                });
            }
        }
        let tags = self.tags(r, d);
        self.inventory.ecs_services.push(EcsService {
            arn: r.id.to_owned(),
            name,
            cluster_arn,
            launch_type,
            status: Some("ACTIVE".to_owned()),
            desired_count,
            running_count: 0,
            task_definition,
            network,
            load_balancers,
            tags,
        });
        self.source(r);
    }
}
