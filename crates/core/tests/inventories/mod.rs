//! Inventories shared by the diagram tests (`diagram.rs`) and the browser tests
//! (`browser.rs`): a small account with ways in from the internet, and one whose every name
//! is hostile.

#![allow(dead_code)] // each test crate uses a different part

use vpcaudit_core::config::Settings;
use vpcaudit_core::finding::{Finding, Principle, Resource, Severity};
use vpcaudit_core::model::{
    Instance, InternetGateway, Listener, ListenerAction, LoadBalancer, LoadBalancerZone,
    NetworkAcl, NetworkAclEntry, NetworkInterface, NetworkInterfaceAttachment, PortRange,
    RegionInventory, Route, RouteDestination, RouteState, RouteTable, RouteTableAssociation,
    RouteTarget, SecurityGroup, SecurityGroupPeer, SecurityGroupRule, Subnet, Target, TargetGroup,
    Vpc,
};
use vpcaudit_core::report::diagram;
use vpcaudit_core::rules;
use vpcaudit_core::snapshot::Snapshot;

pub fn diagrams_of(snapshot: &Snapshot) -> Vec<diagram::VpcDiagram> {
    let settings = Settings::default();
    let evaluation = rules::evaluate(snapshot, &settings);
    diagram::build(snapshot, &settings, &evaluation.findings)
}

/// The generated estate of `environments` environments, with the internet paths drawn: the
/// generated network ACLs have no outbound entry, so nothing would answer the internet; this
/// lets replies out so every environment's ALB path is drawn too.
pub fn estate_with_replies(environments: usize) -> Snapshot {
    let mut snapshot = vpcaudit_testkit::synthetic::estate(
        environments * vpcaudit_testkit::synthetic::RESOURCES_PER_ENVIRONMENT,
    );
    for scope in &mut snapshot.scopes {
        for acl in &mut scope.network_acls {
            let mut reply = acl.entries[0].clone();
            reply.egress = true;
            acl.entries.push(reply);
        }
    }
    snapshot
}

/// A small account with two ways in from the internet: a bastion instance with a public
/// address whose group admits SSH from the world, and an internet-facing Network Load
/// Balancer without security groups (it filters nothing) forwarding TCP 443 to two private
/// instances whose group admits 443 from the world (the NLB preserves client addresses).
/// `lb_name` and `target_group_name` name the load balancer and its target group.
pub fn exposure_inventory(lb_name: &str, target_group_name: &str) -> RegionInventory {
    let tags = |n: &str| [("Name".to_owned(), n.to_owned())].into_iter().collect();
    let subnet = |id: &str, zone: &str, cidr: &str, name: &str| Subnet {
        id: id.into(),
        vpc_id: "vpc-1".into(),
        availability_zone: zone.into(),
        cidr_block: Some(cidr.parse().unwrap()),
        tags: tags(name),
        ..Subnet::default()
    };
    let world_rule = |from: i32, to: i32| SecurityGroupRule {
        id: None,
        protocol: vpcaudit_core::model::Protocol("tcp".into()),
        ports: Some(PortRange { from, to }),
        peer: SecurityGroupPeer::Ipv4("0.0.0.0/0".parse().unwrap()),
        description: None,
    };
    let group = |id: &str, name: &str, port: i32| SecurityGroup {
        id: id.into(),
        name: name.into(),
        vpc_id: Some("vpc-1".into()),
        ingress: vec![world_rule(port, port)],
        ..SecurityGroup::default()
    };
    let acl_entry = |egress: bool| NetworkAclEntry {
        rule_number: 100,
        egress,
        action: "allow".into(),
        protocol: vpcaudit_core::model::Protocol("-1".into()),
        cidr_block: Some("0.0.0.0/0".parse().unwrap()),
        ..NetworkAclEntry::default()
    };
    let instance = |id: &str, subnet: &str, name: &str, sg: &str| Instance {
        id: id.into(),
        vpc_id: Some("vpc-1".into()),
        subnet_id: Some(subnet.into()),
        state: Some("running".into()),
        security_group_ids: vec![sg.into()],
        tags: tags(name),
        ..Instance::default()
    };
    let eni =
        |id: &str, instance: &str, subnet: &str, private: &str, public: Option<&str>, sg: &str| {
            NetworkInterface {
                id: id.into(),
                subnet_id: Some(subnet.into()),
                vpc_id: Some("vpc-1".into()),
                interface_type: Some("interface".into()),
                security_group_ids: vec![sg.into()],
                private_ip: Some(private.into()),
                public_ip: public.map(Into::into),
                instance_id: Some(instance.into()),
                status: Some("in-use".into()),
                attachment: Some(NetworkInterfaceAttachment {
                    instance_id: Some(instance.into()),
                    device_index: Some(0),
                    ..NetworkInterfaceAttachment::default()
                }),
                ..NetworkInterface::default()
            }
        };
    let lb_arn =
        "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/partner/0123";
    let tg_arn = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/partner/4567";
    RegionInventory {
        account: "111122223333".into(),
        region: "us-east-1".into(),
        vpcs: vec![Vpc {
            id: "vpc-1".into(),
            cidr_blocks: vec!["10.0.0.0/16".parse().unwrap()],
            tags: tags("exposed"),
            ..Vpc::default()
        }],
        subnets: vec![
            subnet("subnet-pub-a", "us-east-1a", "10.0.0.0/24", "public-a"),
            subnet("subnet-pub-b", "us-east-1b", "10.0.1.0/24", "public-b"),
            subnet("subnet-app-a", "us-east-1a", "10.0.2.0/24", "app-a"),
            subnet("subnet-app-b", "us-east-1b", "10.0.3.0/24", "app-b"),
        ],
        route_tables: vec![
            RouteTable {
                id: "rtb-public".into(),
                vpc_id: "vpc-1".into(),
                routes: vec![Route {
                    destination: RouteDestination::Ipv4("0.0.0.0/0".parse().unwrap()),
                    target: RouteTarget::InternetGateway("igw-1".into()),
                    state: RouteState::Active,
                    origin: None,
                }],
                associations: ["subnet-pub-a", "subnet-pub-b"]
                    .into_iter()
                    .map(|s| RouteTableAssociation {
                        subnet_id: Some(s.into()),
                        ..RouteTableAssociation::default()
                    })
                    .collect(),
                tags: tags("public"),
            },
            RouteTable {
                id: "rtb-main".into(),
                vpc_id: "vpc-1".into(),
                routes: Vec::new(),
                associations: vec![RouteTableAssociation {
                    main: true,
                    ..RouteTableAssociation::default()
                }],
                tags: tags("main"),
            },
        ],
        internet_gateways: vec![InternetGateway {
            id: "igw-1".into(),
            attached_vpc_ids: vec!["vpc-1".into()],
            tags: tags("igw"),
        }],
        network_acls: vec![NetworkAcl {
            id: "acl-1".into(),
            vpc_id: "vpc-1".into(),
            is_default: true,
            entries: vec![acl_entry(false), acl_entry(true)],
            subnet_ids: [
                "subnet-pub-a",
                "subnet-pub-b",
                "subnet-app-a",
                "subnet-app-b",
            ]
            .into_iter()
            .map(Into::into)
            .collect(),
            ..NetworkAcl::default()
        }],
        security_groups: vec![
            group("sg-bastion", "bastion", 22),
            group("sg-api", "api", 443),
        ],
        instances: vec![
            instance("i-bastion", "subnet-pub-a", "bastion", "sg-bastion"),
            instance("i-api-1", "subnet-app-a", "api-1", "sg-api"),
            instance("i-api-2", "subnet-app-b", "api-2", "sg-api"),
        ],
        network_interfaces: vec![
            eni(
                "eni-bastion",
                "i-bastion",
                "subnet-pub-a",
                "10.0.0.10",
                Some("54.0.0.10"),
                "sg-bastion",
            ),
            eni(
                "eni-api-1",
                "i-api-1",
                "subnet-app-a",
                "10.0.2.10",
                None,
                "sg-api",
            ),
            eni(
                "eni-api-2",
                "i-api-2",
                "subnet-app-b",
                "10.0.3.10",
                None,
                "sg-api",
            ),
        ],
        load_balancers: vec![LoadBalancer {
            arn: lb_arn.into(),
            name: lb_name.into(),
            kind: Some("network".into()),
            scheme: Some("internet-facing".into()),
            vpc_id: Some("vpc-1".into()),
            state: Some("active".into()),
            ip_address_type: Some("ipv4".into()),
            security_group_ids: Vec::new(),
            zones: [
                ("us-east-1a", "subnet-pub-a"),
                ("us-east-1b", "subnet-pub-b"),
            ]
            .into_iter()
            .map(|(zone, subnet)| LoadBalancerZone {
                zone_name: Some(zone.into()),
                subnet_id: Some(subnet.into()),
                addresses: Vec::new(),
            })
            .collect(),
            ..LoadBalancer::default()
        }],
        listeners: vec![Listener {
            arn: format!("{lb_arn}/listener/443"),
            load_balancer_arn: lb_arn.into(),
            port: Some(443),
            protocol: Some("TCP".into()),
            default_actions: vec![ListenerAction {
                kind: "forward".into(),
                target_group_arns: vec![tg_arn.into()],
            }],
        }],
        target_groups: vec![TargetGroup {
            arn: tg_arn.into(),
            name: target_group_name.into(),
            target_type: Some("instance".into()),
            protocol: Some("TCP".into()),
            port: Some(443),
            vpc_id: Some("vpc-1".into()),
            load_balancer_arns: vec![lb_arn.into()],
            ..TargetGroup::default()
        }],
        targets: ["i-api-1", "i-api-2"]
            .into_iter()
            .map(|id| Target {
                target_group_arn: tg_arn.into(),
                id: id.into(),
                port: Some(443),
                ..Target::default()
            })
            .collect(),
        ..RegionInventory::default()
    }
}

pub const HOSTILE: &str = "x\"] end; click a call alert(1) %%{init: {}}%% <script>alert('x')</script> `md` |pipe| #35; [[b]] {c} (d) \\N\\G\nnewline\r\u{7}\u{1b}[31m \u{202e}rtl";

pub fn hostile_inventory(name: &str) -> RegionInventory {
    let tags = |n: &str| [("Name".to_owned(), n.to_owned())].into_iter().collect();
    RegionInventory {
        account: "111122223333".into(),
        region: "us-east-1".into(),
        vpcs: vec![Vpc {
            id: "vpc-1".into(),
            tags: tags(name),
            ..Vpc::default()
        }],
        subnets: vec![Subnet {
            id: "subnet-pub".into(),
            vpc_id: "vpc-1".into(),
            availability_zone: "us-east-1a".into(),
            tags: tags(name),
            ..Subnet::default()
        }],
        route_tables: vec![RouteTable {
            id: "rtb-1".into(),
            vpc_id: "vpc-1".into(),
            routes: vec![Route {
                destination: RouteDestination::Ipv4("0.0.0.0/0".parse().unwrap()),
                target: RouteTarget::InternetGateway("igw-1".into()),
                state: RouteState::Active,
                origin: None,
            }],
            associations: vec![RouteTableAssociation {
                main: true,
                ..RouteTableAssociation::default()
            }],
            tags: tags(name),
        }],
        internet_gateways: vec![InternetGateway {
            id: "igw-1".into(),
            attached_vpc_ids: vec!["vpc-1".into()],
            tags: tags(name),
        }],
        instances: vec![Instance {
            id: "i-1".into(),
            vpc_id: Some("vpc-1".into()),
            subnet_id: Some("subnet-pub".into()),
            security_group_ids: vec!["sg-app".into()],
            tags: tags(name),
            ..Instance::default()
        }],
        security_groups: vec![SecurityGroup {
            id: "sg-app".into(),
            name: name.into(),
            vpc_id: Some("vpc-1".into()),
            ingress: vec![SecurityGroupRule {
                id: None,
                protocol: vpcaudit_core::model::Protocol("tcp".into()),
                ports: None,
                peer: SecurityGroupPeer::SecurityGroup {
                    group_id: "sg-app".into(),
                    user_id: None,
                    vpc_id: None,
                    peering_status: None,
                },
                description: Some(name.into()),
            }],
            ..SecurityGroup::default()
        }],
        ..RegionInventory::default()
    }
}

pub fn snapshot_of(inventory: RegionInventory) -> Snapshot {
    let mut snapshot = vpcaudit_testkit::synthetic::estate(1);
    snapshot.account = Some(inventory.account.clone());
    snapshot.accounts = vec![inventory.account.clone()];
    snapshot.regions = vec![inventory.region.clone()];
    snapshot.scopes = vec![inventory];
    snapshot
}

/// A high finding on the instance `i-1` whose rule id, name, message, evidence and
/// remediation are all `name`.
pub fn hostile_finding(name: &str) -> Finding {
    Finding {
        rule_id: name.into(),
        severity: Severity::High,
        principle: Principle::TieredSubnets,
        resource: Resource {
            kind: "AWS::EC2::Instance".into(),
            id: "i-1".into(),
            arn: "arn:aws:ec2:us-east-1:111122223333:instance/i-1".into(),
            name: Some(name.into()),
            region: "us-east-1".into(),
            account: "111122223333".into(),
        },
        message: name.into(),
        evidence: serde_json::json!({ "name": name }),
        remediation: name.into(),
        fingerprint: "f1".into(),
        suppression: None,
    }
}

/// 400 instances in one subnet, and 199 more subnets (the default quota is 200 per VPC) with
/// three named instances each: too much for one Mermaid diagram.
pub fn crowded_inventory() -> RegionInventory {
    let mut inventory = hostile_inventory("plain");
    for n in 0..199 {
        let subnet = format!("subnet-{n:04}");
        inventory.subnets.push(Subnet {
            id: subnet.clone(),
            vpc_id: "vpc-1".into(),
            availability_zone: format!("us-east-1{}", ["a", "b", "c"][n % 3]),
            tags: [(
                "Name".to_owned(),
                format!("a rather long subnet name number {n}"),
            )]
            .into(),
            ..Subnet::default()
        });
        for m in 0..3 {
            inventory.instances.push(Instance {
                id: format!("i-{n:04}{m}"),
                vpc_id: Some("vpc-1".into()),
                subnet_id: Some(subnet.clone()),
                tags: [("Name".to_owned(), format!("worker {m} of subnet {n}"))].into(),
                ..Instance::default()
            });
        }
    }
    for n in 0..400 {
        inventory.instances.push(Instance {
            id: format!("i-{n:05}"),
            vpc_id: Some("vpc-1".into()),
            subnet_id: Some("subnet-pub".into()),
            ..Instance::default()
        });
    }
    inventory
}
