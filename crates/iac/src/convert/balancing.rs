//! Load balancers into the model the collectors fill: elbv2 load balancers, listeners, listener
//! rules, target groups and their targets, and Classic Load Balancers.
//!
//! Ids are logical ids (`!Ref` of each gives its ARN in AWS, its logical id here), so listeners,
//! rules, target groups and ECS services join as they do live. Defaults are AWS's: an elbv2
//! load balancer is an internet-facing `application` one on `ipv4`, a target group has
//! `instance` targets, a Classic Load Balancer is internet-facing. `preserve_client_ip.enabled`
//! is read when the template sets it; otherwise the model's
//! [`client_ip_preserved`](vpcaudit_core::model::TargetGroup::client_ip_preserved) applies AWS's
//! default, as it does for a live group whose attribute was not read.

use serde_json::json;
use vpcaudit_core::model::{
    ClassicListener, ClassicLoadBalancer, Listener, ListenerAction, LoadBalancer,
    LoadBalancerAddress, LoadBalancerZone, Target, TargetGroup,
};
use vpcaudit_core::snapshot::Dataset;

use super::{Converter, Declared};
use crate::node::{Node, Value};
use crate::resolve::first_unknown;
use crate::sources::PropertySource;

const PRESERVE_CLIENT_IP: &str = "preserve_client_ip.enabled";

impl Converter<'_> {
    pub(super) fn load_balancer(&mut self, r: &Declared<'_>) {
        let d = Dataset::LoadBalancers;
        let kind = self
            .prop_or(r, "Type", d, "application")
            .map(|k| k.to_ascii_lowercase());
        // Gateway Load Balancers have no scheme.
        let scheme = match kind.as_deref() {
            Some("gateway") => None,
            _ => self.prop_or(r, "Scheme", d, "internet-facing"),
        };
        let ip_address_type = self.prop_or(r, "IpAddressType", d, "ipv4");
        let mut zones: Vec<LoadBalancerZone> = self
            .list(r, "Subnets", d)
            .into_iter()
            .map(|subnet| LoadBalancerZone {
                subnet_id: Some(subnet),
                ..LoadBalancerZone::default()
            })
            .collect();
        if let Some(mappings) = r.properties.get("SubnetMappings") {
            for (i, mapping) in self.items(r, mappings, "SubnetMappings", d) {
                let path = format!("SubnetMappings[{i}]");
                let field =
                    |name: &str| mapping.get(name).and_then(Node::as_str).map(str::to_owned);
                let address = LoadBalancerAddress {
                    ip_address: None,
                    allocation_id: field("AllocationId"),
                    private_ipv4_address: field("PrivateIPv4Address"),
                    ipv6_address: field("IPv6Address"),
                };
                let Some(subnet) = field("SubnetId") else {
                    self.note_unknown(d, r.id, &path, "no SubnetId".to_owned());
                    continue;
                };
                let has_address = address != LoadBalancerAddress::default();
                zones.push(LoadBalancerZone {
                    zone_name: None,
                    subnet_id: Some(subnet),
                    addresses: if has_address {
                        vec![address]
                    } else {
                        Vec::new()
                    },
                });
            }
        }
        for zone in &mut zones {
            zone.zone_name = zone
                .subnet_id
                .as_deref()
                .and_then(|s| self.inventory.subnets.iter().find(|x| x.id == s))
                .map(|s| s.availability_zone.clone());
        }
        let security_group_ids = self.list(r, "SecurityGroups", d);
        if r.properties.get("SecurityGroups").is_none() && kind.as_deref() == Some("application") {
            // AWS gives it the VPC's default group, whose rules a template does not declare.
            self.note_unknown(
                d,
                r.id,
                "SecurityGroups",
                "an Application Load Balancer without SecurityGroups gets its VPC's default \
                 security group, which the template does not declare"
                    .to_owned(),
            );
        }
        let vpc_id = zones
            .iter()
            .filter_map(|z| z.subnet_id.as_deref())
            .find_map(|s| self.subnet_vpc(s));
        let name = self.prop(r, "Name", d).unwrap_or_else(|| r.id.to_owned());
        self.inventory.load_balancers.push(LoadBalancer {
            arn: r.id.to_owned(),
            name: name.clone(),
            kind,
            scheme,
            vpc_id,
            state: Some("active".to_owned()),
            dns_name: None,
            ip_address_type,
            security_group_ids,
            zones,
        });
        self.source(r);
        // A finding on the load balancer names it by name.
        self.alias_source(r.id, &name);
    }

    pub(super) fn listener(&mut self, r: &Declared<'_>) {
        let d = Dataset::Listeners;
        let Some(lb) = self.prop(r, "LoadBalancerArn", d) else {
            return;
        };
        let port = self.port(r, "Port", d);
        let protocol = self.prop(r, "Protocol", d);
        let default_actions = self.actions(r, "DefaultActions", d);
        let Some(lb_name) = self
            .inventory
            .load_balancers
            .iter()
            .find(|l| l.arn == lb)
            .map(|l| l.name.clone())
        else {
            self.note_unknown(
                d,
                r.id,
                "LoadBalancerArn",
                format!("load balancer `{lb}` is not in the template"),
            );
            return;
        };
        self.serve(r.id, &lb, &default_actions);
        self.inventory.listeners.push(Listener {
            arn: r.id.to_owned(),
            load_balancer_arn: lb.clone(),
            port,
            protocol,
            default_actions,
        });
        // A finding about the load balancer on this listener's port lands here.
        let matcher = json!({ "hop": "listener", "arn": r.id });
        let position = r.position;
        for id in [lb.as_str(), lb_name.as_str()] {
            if let Some(source) =
                self.sources
                    .get_mut(&self.inventory.account, &self.inventory.region, id)
                && !source.items.iter().any(|i| i.matcher == matcher)
            {
                source.items.push(PropertySource {
                    path: format!("listener {}", r.id),
                    position,
                    matcher: matcher.clone(),
                });
            }
        }
        self.source(r);
    }

    /// A listener rule's target groups serve the rule's load balancer (the model keeps no
    /// rule conditions: AWS lists the load balancer on the group either way).
    pub(super) fn listener_rule(&mut self, r: &Declared<'_>) {
        let d = Dataset::Listeners;
        let Some(listener) = self.prop(r, "ListenerArn", d) else {
            return;
        };
        let actions = self.actions(r, "Actions", d);
        let Some(lb) = self
            .inventory
            .listeners
            .iter()
            .find(|l| l.arn == listener)
            .map(|l| l.load_balancer_arn.clone())
        else {
            self.note_unknown(
                d,
                r.id,
                "ListenerArn",
                format!("listener `{listener}` is not in the template"),
            );
            return;
        };
        self.serve(r.id, &lb, &actions);
        self.source(r);
    }

    /// Records `lb` on each target group `actions` (of resource `by`) forward to; a group the
    /// template does not declare is unknown.
    fn serve(&mut self, by: &str, lb: &str, actions: &[ListenerAction]) {
        for arn in actions.iter().flat_map(|a| &a.target_group_arns) {
            if let Some(group) = self
                .inventory
                .target_groups
                .iter_mut()
                .find(|g| &g.arn == arn)
            {
                if !group.load_balancer_arns.iter().any(|l| l == lb) {
                    group.load_balancer_arns.push(lb.to_owned());
                }
            } else {
                self.note_unknown(
                    Dataset::TargetGroups,
                    by,
                    "TargetGroupArn",
                    format!("target group `{arn}` is not in the template"),
                );
            }
        }
    }

    /// `DefaultActions` / `Actions`: each action's type and the groups it forwards to
    /// (`TargetGroupArn`, or every group of `ForwardConfig`).
    fn actions(&mut self, r: &Declared<'_>, name: &str, d: Dataset) -> Vec<ListenerAction> {
        let Some(node) = r.properties.get(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, action) in self.items(r, node, name, d) {
            let path = format!("{name}[{i}]");
            if let Some(why) = first_unknown(&action) {
                self.note_unknown(d, r.id, &path, why);
                continue;
            }
            let kind = action
                .get("Type")
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let mut target_group_arns: Vec<String> = action
                .get("TargetGroupArn")
                .and_then(Node::as_str)
                .map(str::to_owned)
                .into_iter()
                .collect();
            if let Some(Value::List(groups)) = action
                .get("ForwardConfig")
                .and_then(|f| f.get("TargetGroups"))
                .map(|g| &g.value)
            {
                for arn in groups
                    .iter()
                    .filter_map(|g| g.get("TargetGroupArn").and_then(Node::as_str))
                {
                    if !target_group_arns.iter().any(|known| known == arn) {
                        target_group_arns.push(arn.to_owned());
                    }
                }
            }
            out.push(ListenerAction {
                kind,
                target_group_arns,
            });
        }
        out
    }

    pub(super) fn target_group(&mut self, r: &Declared<'_>) {
        let d = Dataset::TargetGroups;
        let name = self.prop(r, "Name", d).unwrap_or_else(|| r.id.to_owned());
        let target_type = self
            .prop_or(r, "TargetType", d, "instance")
            .map(|t| t.to_ascii_lowercase());
        let protocol = self.prop(r, "Protocol", d).map(|p| p.to_ascii_uppercase());
        let port = self.port(r, "Port", d);
        let vpc_id = self.prop(r, "VpcId", d);
        let health_check_port = self.prop(r, "HealthCheckPort", d);
        let health_check_protocol = self.prop(r, "HealthCheckProtocol", d);
        let ip_address_type = self.prop(r, "IpAddressType", d);
        let mut preserve_client_ip = None;
        if let Some(attributes) = r.properties.get("TargetGroupAttributes") {
            let a = Dataset::TargetGroupAttributes;
            for (i, attribute) in self.items(r, attributes, "TargetGroupAttributes", a) {
                if attribute.get("Key").and_then(Node::as_str) != Some(PRESERVE_CLIENT_IP) {
                    continue;
                }
                let path = format!("TargetGroupAttributes[{i}].Value");
                match self
                    .text(r, attribute.get("Value"), &path, a)
                    .map(|v| v.to_ascii_lowercase())
                    .as_deref()
                {
                    Some("true") => preserve_client_ip = Some(true),
                    Some("false") => preserve_client_ip = Some(false),
                    Some(other) => {
                        self.note_unknown(a, r.id, &path, format!("`{other}` is not a boolean"))
                    }
                    None => {}
                }
            }
        }
        if let Some(targets) = r.properties.get("Targets") {
            let t = Dataset::TargetHealth;
            for (i, target) in self.items(r, targets, "Targets", t) {
                let path = format!("Targets[{i}]");
                let Some(id) = self.text(r, target.get("Id"), &format!("{path}.Id"), t) else {
                    continue;
                };
                let port = match target.get("Port") {
                    Some(node) => {
                        let Some(port) = self.port_value(r, node, &format!("{path}.Port"), t)
                        else {
                            continue;
                        };
                        Some(port)
                    }
                    None => None,
                };
                let zone_path = format!("{path}.AvailabilityZone");
                let availability_zone = self.text(r, target.get("AvailabilityZone"), &zone_path, t);
                self.inventory.targets.push(Target {
                    target_group_arn: r.id.to_owned(),
                    id,
                    port,
                    availability_zone,
                    health: None,
                    health_reason: None,
                });
            }
        }
        self.inventory.target_groups.push(TargetGroup {
            arn: r.id.to_owned(),
            name,
            target_type,
            protocol,
            port,
            vpc_id,
            load_balancer_arns: Vec::new(),
            health_check_port,
            health_check_protocol,
            ip_address_type,
            preserve_client_ip,
        });
        self.source(r);
    }

    pub(super) fn classic_load_balancer(&mut self, r: &Declared<'_>) {
        let d = Dataset::ClassicLoadBalancers;
        let name = self
            .prop(r, "LoadBalancerName", d)
            .unwrap_or_else(|| r.id.to_owned());
        let scheme = self.prop_or(r, "Scheme", d, "internet-facing");
        let subnet_ids = self.list(r, "Subnets", d);
        let availability_zones = self.list(r, "AvailabilityZones", d);
        let security_group_ids = self.list(r, "SecurityGroups", d);
        if r.properties.get("SecurityGroups").is_none() {
            self.note_unknown(
                d,
                r.id,
                "SecurityGroups",
                "a Classic Load Balancer without SecurityGroups gets a default security group \
                 the template does not declare"
                    .to_owned(),
            );
        }
        let mut listeners = Vec::new();
        if let Some(node) = r.properties.get("Listeners") {
            for (i, listener) in self.items(r, node, "Listeners", d) {
                let path = format!("Listeners[{i}]");
                if let Some(why) = first_unknown(&listener) {
                    self.note_unknown(d, r.id, &path, why);
                    continue;
                }
                let field =
                    |name: &str| listener.get(name).and_then(Node::as_str).map(str::to_owned);
                let port = |name: &str| field(name).and_then(|p| p.parse::<u16>().ok());
                let protocol = field("Protocol").unwrap_or_default().to_ascii_uppercase();
                let classic = ClassicListener {
                    port: port("LoadBalancerPort"),
                    instance_port: port("InstancePort"),
                    instance_protocol: field("InstanceProtocol"),
                    protocol,
                };
                // Both are required; a missing one is never taken to be the other.
                if classic.port.is_none() || classic.instance_port.is_none() {
                    self.note_unknown(
                        d,
                        r.id,
                        &path,
                        "no valid LoadBalancerPort and InstancePort".to_owned(),
                    );
                    continue;
                }
                let matcher = json!({ "hop": "listener", "protocol": classic.protocol, "port": classic.port });
                listeners.push((classic, path, listener.position, matcher));
            }
        }
        let instance_ids = self.list(r, "Instances", d);
        let vpc_id = subnet_ids.iter().find_map(|s| self.subnet_vpc(s));
        self.inventory
            .classic_load_balancers
            .push(ClassicLoadBalancer {
                name: name.clone(),
                dns_name: None,
                scheme,
                vpc_id,
                subnet_ids,
                availability_zones,
                security_group_ids,
                listeners: listeners.iter().map(|(l, ..)| l.clone()).collect(),
                instance_ids,
            });
        let source = self.source(r);
        for (_, path, position, matcher) in listeners {
            source.items.push(PropertySource {
                path,
                position,
                matcher,
            });
        }
        self.alias_source(r.id, &name);
    }
}
