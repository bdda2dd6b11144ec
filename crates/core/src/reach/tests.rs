//! Model tests for the paths beyond an ENI's own primary address: Elastic IPs on secondary
//! addresses, IPv6, inspection endpoints (edge routing), and load balancers. Each must-reach
//! case has a must-not-reach twin.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde_json::{Value, json};

use super::*;
use crate::model::RegionInventory;

fn inventory(v: Value) -> RegionInventory {
    serde_json::from_value(v).expect("inventory")
}

fn rule(proto: &str, from: i32, to: i32, peer: Value) -> Value {
    json!({"protocol": proto, "ports": {"from": from, "to": to}, "peer": peer})
}

fn sg(id: &str, ingress: Vec<Value>) -> Value {
    json!({"id": id, "name": id, "vpc_id": "vpc-1", "ingress": ingress})
}

fn routes(extra: Value) -> Value {
    let mut r = vec![json!({"destination": {"ipv4": "10.0.0.0/16"}, "target": {"kind": "local"}})];
    r.extend(extra.as_array().cloned().unwrap_or_default());
    Value::Array(r)
}

fn to(dest: &str, kind: &str, id: &str) -> Value {
    let d = if dest.contains(':') {
        json!({"ipv6": dest})
    } else {
        json!({"ipv4": dest})
    };
    json!({"destination": d, "target": {"kind": kind, "id": id}})
}

/// A VPC with a public subnet (10.0.1.0/24), a private one (10.0.2.0/24, through NAT), an
/// IGW, and the given extra resources merged in.
fn base(extra: Value) -> RegionInventory {
    let mut v = json!({
        "account": "111111111111", "region": "eu-west-1",
        "vpcs": [{"id": "vpc-1", "cidr_blocks": ["10.0.0.0/16"], "ipv6_cidr_blocks": ["2600:1f18::/56"]}],
        "internet_gateways": [{"id": "igw-1", "attached_vpc_ids": ["vpc-1"]}],
        "subnets": [
            {"id": "subnet-pub", "vpc_id": "vpc-1", "availability_zone": "eu-west-1a", "cidr_block": "10.0.1.0/24"},
            {"id": "subnet-priv", "vpc_id": "vpc-1", "availability_zone": "eu-west-1a", "cidr_block": "10.0.2.0/24"}
        ],
        "route_tables": [
            {"id": "rtb-pub", "vpc_id": "vpc-1", "associations": [{"subnet_id": "subnet-pub"}],
             "routes": routes(json!([to("0.0.0.0/0", "internet_gateway", "igw-1"), to("::/0", "internet_gateway", "igw-1")]))},
            {"id": "rtb-priv", "vpc_id": "vpc-1", "associations": [{"subnet_id": "subnet-priv"}],
             "routes": routes(json!([to("0.0.0.0/0", "nat_gateway", "nat-1")]))}
        ],
        "nat_gateways": [{"id": "nat-1", "vpc_id": "vpc-1", "subnet_id": "subnet-pub", "state": "available"}],
        "security_groups": [
            sg("sg-open", vec![rule("tcp", 22, 22, json!({"ipv4": "0.0.0.0/0"})), rule("tcp", 22, 22, json!({"ipv6": "::/0"}))]),
            sg("sg-closed", vec![rule("tcp", 22, 22, json!({"ipv4": "10.0.0.0/16"}))])
        ]
    });
    let (Value::Object(base), Value::Object(extra)) = (&mut v, extra) else {
        unreachable!()
    };
    for (k, val) in extra {
        match (base.get_mut(&k), val) {
            (Some(Value::Array(a)), Value::Array(b)) => a.extend(b),
            (_, val) => {
                base.insert(k, val);
            }
        }
    }
    inventory(v)
}

fn eni(id: &str, subnet: &str, sgs: &[&str], extra: Value) -> Value {
    let mut e =
        json!({"id": id, "subnet_id": subnet, "vpc_id": "vpc-1", "security_group_ids": sgs});
    if let (Value::Object(e), Value::Object(extra)) = (&mut e, extra) {
        e.extend(extra);
    }
    e
}

fn hops(path: &InboundPath) -> Vec<String> {
    path.path
        .iter()
        .map(|h| {
            serde_json::to_value(h).unwrap()["hop"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn inbound(inv: &RegionInventory, id: &str) -> InboundReach {
    let network = Network::build(inv);
    let eni = inv.network_interfaces.iter().find(|e| e.id == id).unwrap();
    network.inbound(eni)
}

#[test]
fn elastic_ip_on_a_secondary_address_is_a_way_in() {
    let secondary = json!({"private_ip": "10.0.1.10", "private_ips": [
        {"address": "10.0.1.10", "primary": true},
        {"address": "10.0.1.11", "primary": false, "public_ip": "198.51.100.9", "allocation_id": "eipalloc-1"}]});
    let inv = base(
        json!({"network_interfaces": [eni("eni-a", "subnet-pub", &["sg-open"], secondary.clone())]}),
    );
    let reach = inbound(&inv, "eni-a");
    assert!(!reach.paths.is_empty());
    assert!(
        reach
            .paths
            .iter()
            .all(|p| p.path.contains(&PathHop::Interface {
                id: "eni-a".into(),
                address: "198.51.100.9".into()
            }))
    );
    // Twin: the same ENI in the private subnet (replies leave through NAT).
    let inv =
        base(json!({"network_interfaces": [eni("eni-a", "subnet-priv", &["sg-open"], secondary)]}));
    assert!(inbound(&inv, "eni-a").paths.is_empty());
}

#[test]
fn elastic_ip_listed_only_in_describe_addresses_counts() {
    let inv = base(json!({
        "network_interfaces": [eni("eni-a", "subnet-pub", &["sg-open"], json!({"private_ip": "10.0.1.10"}))],
        "elastic_ips": [{"public_ip": "198.51.100.9", "network_interface_id": "eni-a", "private_ip": "10.0.1.10"}]
    }));
    assert!(!inbound(&inv, "eni-a").paths.is_empty());
    let inv = base(json!({
        "network_interfaces": [eni("eni-a", "subnet-pub", &["sg-open"], json!({"private_ip": "10.0.1.10"}))],
        "elastic_ips": [{"public_ip": "198.51.100.9", "network_interface_id": "eni-other"}]
    }));
    assert!(inbound(&inv, "eni-a").paths.is_empty());
}

#[test]
fn a_global_ipv6_address_is_reached_over_ipv6_only() {
    let v6 = json!({"ipv6_addresses": ["2600:1f18::10"]});
    let inv =
        base(json!({"network_interfaces": [eni("eni-a", "subnet-pub", &["sg-open"], v6.clone())]}));
    let reach = inbound(&inv, "eni-a");
    assert!(!reach.paths.is_empty());
    assert!(
        reach
            .paths
            .iter()
            .all(|p| p.source_set.v4().is_empty() && !p.source_set.v6().is_empty())
    );
    // Twin: the security group admits IPv4 only.
    let inv = base(json!({
        "security_groups": [sg("sg-v4", vec![rule("tcp", 22, 22, json!({"ipv4": "0.0.0.0/0"}))])],
        "network_interfaces": [eni("eni-a", "subnet-pub", &["sg-v4"], v6)]
    }));
    assert!(inbound(&inv, "eni-a").paths.is_empty());
    // A link-local or unique-local address is never reached from the internet.
    let inv = base(
        json!({"network_interfaces": [eni("eni-a", "subnet-pub", &["sg-open"], json!({"ipv6_addresses": ["fd00::1", "fe80::1"]}))]}),
    );
    assert!(inbound(&inv, "eni-a").paths.is_empty());
}

/// AWS's firewall design: the protected subnet sends 0.0.0.0/0 to the firewall endpoint, the
/// firewall subnet to the IGW, and the IGW's edge table sends the protected subnet's CIDR to
/// the endpoint.
fn firewall(listed: bool, firewall_route: Value) -> RegionInventory {
    let mut extra = json!({
        "subnets": [
            {"id": "subnet-fw", "vpc_id": "vpc-1", "availability_zone": "eu-west-1a", "cidr_block": "10.0.0.0/28"},
            {"id": "subnet-protected", "vpc_id": "vpc-1", "availability_zone": "eu-west-1a", "cidr_block": "10.0.3.0/24"}
        ],
        "route_tables": [
            {"id": "rtb-fw", "vpc_id": "vpc-1", "associations": [{"subnet_id": "subnet-fw"}], "routes": routes(json!([firewall_route]))},
            {"id": "rtb-protected", "vpc_id": "vpc-1", "associations": [{"subnet_id": "subnet-protected"}],
             "routes": routes(json!([to("0.0.0.0/0", "vpc_endpoint", "vpce-fw")]))},
            {"id": "rtb-edge", "vpc_id": "vpc-1", "associations": [{"gateway_id": "igw-1"}],
             "routes": routes(json!([to("10.0.3.0/24", "vpc_endpoint", "vpce-fw")]))}
        ],
        "network_interfaces": [eni("eni-web", "subnet-protected", &["sg-open"], json!({"private_ip": "10.0.3.10", "public_ip": "203.0.113.10"}))]
    });
    if listed {
        extra["vpc_endpoints"] = json!([{"id": "vpce-fw", "vpc_id": "vpc-1", "endpoint_type": "GatewayLoadBalancer", "subnet_ids": ["subnet-fw"]}]);
    }
    base(extra)
}

#[test]
fn a_host_behind_a_firewall_endpoint_is_reachable_through_it() {
    let inv = firewall(true, to("0.0.0.0/0", "internet_gateway", "igw-1"));
    let reach = inbound(&inv, "eni-web");
    let path = reach.paths.first().expect("a path through the firewall");
    assert_eq!(
        hops(path),
        [
            "internet_gateway",
            "edge_route",
            "route",
            "inspection",
            "security_group",
            "interface"
        ]
    );
    let network = Network::build(&inv);
    let subnet = network.subnet("subnet-protected").unwrap();
    assert!(subnet.is_public());
    assert_eq!(subnet.egress_v4, Egress::Igw);
    // Twin: the firewall subnet sends everything to a transit gateway: no way back out.
    let inv = firewall(true, to("0.0.0.0/0", "transit_gateway", "tgw-1"));
    assert!(inbound(&inv, "eni-web").paths.is_empty());
    let network = Network::build(&inv);
    let subnet = network.subnet("subnet-protected").unwrap();
    assert!(!subnet.is_public());
    assert_eq!(subnet.egress_v4, Egress::LeavesVpc);
}

#[test]
fn an_unlisted_firewall_endpoint_is_assumed_to_forward_and_says_so() {
    let inv = firewall(false, to("0.0.0.0/0", "internet_gateway", "igw-1"));
    let reach = inbound(&inv, "eni-web");
    assert!(!reach.paths.is_empty());
    assert!(reach.not_evaluated.iter().any(|n| n.contains("vpce-fw")));
    let network = Network::build(&inv);
    assert_eq!(
        network.subnet("subnet-protected").unwrap().egress_v4,
        Egress::Unknown
    );
}

#[test]
fn an_edge_route_blackhole_drops_inbound() {
    let mut inv = firewall(true, to("0.0.0.0/0", "internet_gateway", "igw-1"));
    let edge = inv
        .route_tables
        .iter_mut()
        .find(|t| t.id == "rtb-edge")
        .unwrap();
    edge.routes[1].state = RouteState::Blackhole;
    assert!(inbound(&inv, "eni-web").paths.is_empty());
}

#[test]
fn a_route_to_an_instance_with_source_dest_check_on_is_a_blackhole() {
    let nat_instance = |check: bool| {
        json!({
            "route_tables": [{"id": "rtb-app", "vpc_id": "vpc-1", "associations": [{"subnet_id": "subnet-app"}],
                "routes": routes(json!([to("0.0.0.0/0", "instance", "i-nat")]))}],
            "subnets": [{"id": "subnet-app", "vpc_id": "vpc-1", "availability_zone": "eu-west-1a", "cidr_block": "10.0.4.0/24"}],
            "network_interfaces": [eni("eni-nat", "subnet-pub", &["sg-closed"], json!({"instance_id": "i-nat", "source_dest_check": check, "public_ip": "203.0.113.20"}))]
        })
    };
    let inv = base(nat_instance(false));
    let network = Network::build(&inv);
    assert_eq!(
        network.subnet("subnet-app").unwrap().egress_v4,
        Egress::NatInstance
    );
    assert!(network.is_forwarder("i-nat"));
    let inv = base(nat_instance(true));
    let network = Network::build(&inv);
    assert_eq!(
        network.subnet("subnet-app").unwrap().egress_v4,
        Egress::Blackhole
    );
    assert!(!network.is_forwarder("i-nat"));
}

/// An internet-facing load balancer in the public subnet, with a listener on `port` forwarding
/// to a target group of `target_type` holding `eni-app`'s instance (or address).
fn load_balanced(
    kind: &str,
    lb_groups: &[&str],
    target_type: &str,
    target_sg: Value,
    preserve: Option<bool>,
) -> RegionInventory {
    let protocol = if kind == "network" { "TCP" } else { "HTTP" };
    let target_id = if target_type == "ip" {
        "10.0.2.10"
    } else {
        "i-app"
    };
    base(json!({
        "security_groups": [
            sg("sg-lb", vec![rule("tcp", 80, 80, json!({"ipv4": "0.0.0.0/0"}))]),
            target_sg
        ],
        "network_interfaces": [eni("eni-app", "subnet-priv", &["sg-app"], json!({
            "private_ip": "10.0.2.10", "instance_id": "i-app", "attachment": {"instance_id": "i-app", "device_index": 0}}))],
        "load_balancers": [{"arn": "arn:lb/web", "name": "web", "kind": kind, "scheme": "internet-facing", "vpc_id": "vpc-1",
            "security_group_ids": lb_groups, "zones": [{"subnet_id": "subnet-pub"}]}],
        "listeners": [{"arn": "arn:listener/web/80", "load_balancer_arn": "arn:lb/web", "port": 80, "protocol": protocol,
            "default_actions": [{"kind": "forward", "target_group_arns": ["arn:tg/app"]}]}],
        "target_groups": [{"arn": "arn:tg/app", "name": "app", "target_type": target_type, "protocol": protocol, "port": 8080,
            "vpc_id": "vpc-1", "load_balancer_arns": ["arn:lb/web"], "preserve_client_ip": preserve}],
        "targets": [{"target_group_arn": "arn:tg/app", "id": target_id, "port": 8080}]
    }))
}

#[test]
fn an_alb_target_admitting_the_alb_group_is_reached_through_it() {
    let inv = load_balanced(
        "application",
        &["sg-lb"],
        "instance",
        sg(
            "sg-app",
            vec![rule(
                "tcp",
                8080,
                8080,
                json!({"security_group": {"group_id": "sg-lb"}}),
            )],
        ),
        None,
    );
    let reach = inbound(&inv, "eni-app");
    let path = reach.paths.first().expect("a path through the ALB");
    assert_eq!(path.via_load_balancer.as_deref(), Some("arn:lb/web"));
    assert_eq!(
        hops(path),
        [
            "internet_gateway",
            "route",
            "security_group",
            "load_balancer",
            "listener",
            "target_group",
            "security_group",
            "interface"
        ]
    );
    assert!(path.exposure.is_world());
    assert!(path.ports.contains(8080));
    assert_eq!(
        reach.direct().count(),
        0,
        "reached through the LB, not public"
    );
    // Twin: the target admits another group only.
    let inv = load_balanced(
        "application",
        &["sg-lb"],
        "instance",
        sg(
            "sg-app",
            vec![rule(
                "tcp",
                8080,
                8080,
                json!({"security_group": {"group_id": "sg-bastion"}}),
            )],
        ),
        None,
    );
    assert!(inbound(&inv, "eni-app").paths.is_empty());
    // Twin: the ALB's own group admits nothing on the listener port.
    let mut inv = load_balanced(
        "application",
        &["sg-lb"],
        "instance",
        sg(
            "sg-app",
            vec![rule(
                "tcp",
                8080,
                8080,
                json!({"security_group": {"group_id": "sg-lb"}}),
            )],
        ),
        None,
    );
    inv.security_groups[2].ingress.clear();
    assert!(inbound(&inv, "eni-app").paths.is_empty());
}

#[test]
fn an_nlb_without_groups_preserving_client_ips_exposes_targets_to_the_clients() {
    // The target admits the world on 8080: with client IPs preserved, that is the internet.
    let inv = load_balanced(
        "network",
        &[],
        "instance",
        sg(
            "sg-app",
            vec![rule("tcp", 8080, 8080, json!({"ipv4": "0.0.0.0/0"}))],
        ),
        None,
    );
    let reach = inbound(&inv, "eni-app");
    let path = reach.paths.first().expect("a path through the NLB");
    assert!(path.exposure.is_world());
    assert!(path.path.contains(&PathHop::LoadBalancer {
        id: "arn:lb/web".into(),
        name: "web".into(),
        kind: "network".into(),
        filters_clients: false
    }));
    // Twin: the target admits only the VPC: the clients' addresses are not admitted.
    let inv = load_balanced(
        "network",
        &[],
        "instance",
        sg(
            "sg-app",
            vec![rule("tcp", 8080, 8080, json!({"ipv4": "10.0.0.0/16"}))],
        ),
        None,
    );
    assert!(inbound(&inv, "eni-app").paths.is_empty());
    // But with client IPs not preserved (IP targets over TCP), the NLB's nodes are the source.
    let inv = load_balanced(
        "network",
        &[],
        "ip",
        sg(
            "sg-app",
            vec![rule("tcp", 8080, 8080, json!({"ipv4": "10.0.0.0/16"}))],
        ),
        None,
    );
    let reach = inbound(&inv, "eni-app");
    assert!(reach.paths.first().is_some_and(|p| p.exposure.is_world()));
}

#[test]
fn an_internal_load_balancer_is_no_way_in() {
    let mut inv = load_balanced(
        "application",
        &["sg-lb"],
        "instance",
        sg(
            "sg-app",
            vec![rule(
                "tcp",
                8080,
                8080,
                json!({"security_group": {"group_id": "sg-lb"}}),
            )],
        ),
        None,
    );
    inv.load_balancers[0].scheme = Some("internal".into());
    assert!(inbound(&inv, "eni-app").paths.is_empty());
}
