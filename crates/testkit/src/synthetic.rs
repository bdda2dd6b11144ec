//! Generated estates, for the benchmarks (`benches/evaluate.rs`) and scale tests: many
//! three-tier environments spread over accounts and regions, with the mix of resources real
//! accounts have and a sprinkling of the problems the rules look for.
//!
//! Each environment is one VPC of about 44 resources: 6 subnets in two zones (public, private,
//! database), 5 route tables, an internet gateway, 2 NAT gateways, a network ACL, 8 security
//! groups (load balancer, app, database, default and four more) with their rules, 8 network
//! interfaces, 4 instances, a flow log, a DB subnet group and instance, 2 Lambda functions, and
//! an internet-facing ALB with its listener and target group (the 4 instances as targets).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use vpcaudit_core::model::{
    DbInstance, DbSubnetGroup, DbSubnetGroupMember, Endpoint, EnvironmentVariable, FlowLog,
    Instance, InternetGateway, LambdaFunction, LambdaVpcConfig, Listener, ListenerAction,
    LoadBalancer, LoadBalancerZone, NatGateway, NetworkAcl, NetworkAclEntry, NetworkInterface,
    PortRange, Protocol, RegionInventory, Route, RouteDestination, RouteTable,
    RouteTableAssociation, RouteTarget, SecurityGroup, SecurityGroupPeer, SecurityGroupRule,
    Subnet, Tags, Target, TargetGroup, ValueFact, Vpc,
};
use vpcaudit_core::snapshot::{Coverage, SNAPSHOT_FORMAT_VERSION, Snapshot, ToolInfo};

/// Resources in one generated environment (one in three has no flow log: one fewer).
pub const RESOURCES_PER_ENVIRONMENT: usize = 44;

/// Environments per account and region: a large but plausible region.
pub const ENVIRONMENTS_PER_SCOPE: usize = 50;

const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"];

/// A snapshot of about `resources` resources (rounded to whole environments, at least one),
/// [`ENVIRONMENTS_PER_SCOPE`] environments per region, four regions per account.
pub fn estate(resources: usize) -> Snapshot {
    let environments = resources.div_ceil(RESOURCES_PER_ENVIRONMENT).max(1);
    let mut scopes: Vec<RegionInventory> = Vec::new();
    for index in 0..environments {
        let scope_index = index / ENVIRONMENTS_PER_SCOPE;
        if scopes.len() <= scope_index {
            let account = format!("{:012}", 100_000_000_000u64 + (scope_index / 4) as u64);
            let region = REGIONS[scope_index % REGIONS.len()];
            scopes.push(RegionInventory {
                account,
                region: region.to_owned(),
                ..RegionInventory::default()
            });
        }
        if let Some(scope) = scopes.last_mut() {
            environment(scope, index);
        }
    }
    let mut accounts: Vec<String> = scopes.iter().map(|s| s.account.clone()).collect();
    accounts.dedup();
    let mut regions: Vec<String> = scopes.iter().map(|s| s.region.clone()).collect();
    regions.sort();
    regions.dedup();
    Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        tool: ToolInfo::current(),
        collected_at: "2026-01-01T00:00:00Z".to_owned(),
        account: accounts.first().cloned(),
        accounts,
        regions,
        scopes,
        coverage: Coverage::default(),
        collection: None,
    }
}

/// How many resources a snapshot holds (everything the inventory lists).
pub fn resource_count(snapshot: &Snapshot) -> usize {
    snapshot
        .scopes
        .iter()
        .map(|s| {
            s.vpcs.len()
                + s.subnets.len()
                + s.route_tables.len()
                + s.internet_gateways.len()
                + s.nat_gateways.len()
                + s.network_acls.len()
                + s.security_groups.len()
                + s.network_interfaces.len()
                + s.instances.len()
                + s.flow_logs.len()
                + s.db_instances.len()
                + s.db_clusters.len()
                + s.db_subnet_groups.len()
                + s.lambda_functions.len()
                + s.load_balancers.len()
                + s.listeners.len()
                + s.target_groups.len()
        })
        .sum()
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect::<BTreeMap<_, _>>()
}

fn net(a: u8, b: u8, c: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::new(a, b, c, 0), len).unwrap_or_default()
}

fn rule(protocol: &str, ports: Option<(i32, i32)>, peer: SecurityGroupPeer) -> SecurityGroupRule {
    SecurityGroupRule {
        id: None,
        protocol: Protocol(protocol.to_owned()),
        ports: ports.map(|(from, to)| PortRange { from, to }),
        peer,
        description: None,
    }
}

fn group_peer(id: &str) -> SecurityGroupPeer {
    SecurityGroupPeer::SecurityGroup {
        group_id: id.to_owned(),
        user_id: None,
        vpc_id: None,
        peering_status: None,
    }
}

fn default_route(target: RouteTarget) -> Route {
    Route {
        destination: RouteDestination::Ipv4(net(0, 0, 0, 0)),
        target,
        state: Default::default(),
        origin: None,
    }
}

fn table(id: String, vpc: &str, main: bool, subnets: &[&str], extra: Option<Route>) -> RouteTable {
    let local = Route {
        destination: RouteDestination::Ipv4(net(10, 0, 0, 16)),
        target: RouteTarget::Local,
        state: Default::default(),
        origin: None,
    };
    let mut associations: Vec<RouteTableAssociation> = subnets
        .iter()
        .map(|s| RouteTableAssociation {
            subnet_id: Some((*s).to_owned()),
            ..RouteTableAssociation::default()
        })
        .collect();
    if main {
        associations.push(RouteTableAssociation {
            main: true,
            ..RouteTableAssociation::default()
        });
    }
    RouteTable {
        id,
        vpc_id: vpc.to_owned(),
        routes: std::iter::once(local).chain(extra).collect(),
        associations,
        tags: Tags::new(),
    }
}

/// Adds environment `n` (a VPC and everything in it) to `scope`.
fn environment(scope: &mut RegionInventory, n: usize) {
    let id = |kind: &str| format!("{kind}-{n:08x}");
    let env = ["prod", "staging", "dev"][n % 3];
    let name = |what: &str| tags(&[("Name", &format!("{env}-{n}-{what}")), ("Environment", env)]);
    let vpc = id("vpc");
    let zones = [format!("{}a", scope.region), format!("{}b", scope.region)];
    let second = u8::try_from(n % 200).unwrap_or(0);

    scope.vpcs.push(Vpc {
        id: vpc.clone(),
        cidr_blocks: vec![net(10, second, 0, 16)],
        tags: name("vpc"),
        ..Vpc::default()
    });
    // Subnets: public, private (app), database; one of each per zone.
    let tiers = ["public", "private", "db"];
    let mut subnet_ids: Vec<String> = Vec::new();
    for (t, tier) in tiers.iter().enumerate() {
        for (z, zone) in zones.iter().enumerate() {
            let subnet = format!("subnet-{n:08x}{t}{z}");
            scope.subnets.push(Subnet {
                id: subnet.clone(),
                vpc_id: vpc.clone(),
                availability_zone: zone.clone(),
                cidr_block: Some(net(10, second, u8::try_from(t * 2 + z).unwrap_or(0), 24)),
                map_public_ip_on_launch: *tier == "public",
                tags: name(&format!("{tier}-{z}")),
                ..Subnet::default()
            });
            subnet_ids.push(subnet);
        }
    }
    let subnet = |t: usize, z: usize| subnet_ids[t * 2 + z].as_str();
    let igw = id("igw");
    let nats = [format!("nat-{n:08x}0"), format!("nat-{n:08x}1")];
    // Every fifth environment has a "private" subnet routed to the internet gateway (TIER001).
    let leaky = n % 5 == 0;
    scope.route_tables.extend([
        table(id("rtb-main"), &vpc, true, &[], None),
        table(
            id("rtb-pub"),
            &vpc,
            false,
            &[subnet(0, 0), subnet(0, 1)],
            Some(default_route(RouteTarget::InternetGateway(igw.clone()))),
        ),
        table(
            id("rtb-priv0"),
            &vpc,
            false,
            &[subnet(1, 0)],
            Some(default_route(if leaky {
                RouteTarget::InternetGateway(igw.clone())
            } else {
                RouteTarget::NatGateway(nats[0].clone())
            })),
        ),
        table(
            id("rtb-priv1"),
            &vpc,
            false,
            &[subnet(1, 1)],
            Some(default_route(RouteTarget::NatGateway(nats[1].clone()))),
        ),
        table(
            id("rtb-db"),
            &vpc,
            false,
            &[subnet(2, 0), subnet(2, 1)],
            None,
        ),
    ]);
    scope.internet_gateways.push(InternetGateway {
        id: igw,
        attached_vpc_ids: vec![vpc.clone()],
        tags: name("igw"),
    });
    for (z, nat) in nats.iter().enumerate() {
        scope.nat_gateways.push(NatGateway {
            id: nat.clone(),
            vpc_id: vpc.clone(),
            subnet_id: subnet(0, z).to_owned(),
            state: Some("available".to_owned()),
            connectivity_type: Some("public".to_owned()),
            public_ips: vec![format!("203.0.{}.{}", n % 250, z + 1)],
            network_interface_ids: vec![format!("eni-{n:08x}n{z}")],
            tags: name(&format!("nat-{z}")),
        });
    }
    scope.network_acls.push(NetworkAcl {
        id: id("acl"),
        vpc_id: vpc.clone(),
        is_default: true,
        // AWS's default network ACL: everything allowed both ways (a stateless ACL needs the
        // outbound rule for replies).
        entries: [false, true]
            .into_iter()
            .map(|egress| NetworkAclEntry {
                rule_number: 100,
                egress,
                action: "allow".to_owned(),
                protocol: Protocol::all(),
                cidr_block: Some(net(0, 0, 0, 0)),
                ..NetworkAclEntry::default()
            })
            .collect(),
        subnet_ids: subnet_ids.clone(),
        tags: Tags::new(),
    });

    // Security groups: the three tiers, the default, and four more with their own rules.
    let (alb_sg, app_sg, db_sg) = (id("sg-alb"), id("sg-app"), id("sg-db"));
    let world = SecurityGroupPeer::Ipv4(net(0, 0, 0, 0));
    let group = |gid: &str, name: &str, ingress: Vec<SecurityGroupRule>| SecurityGroup {
        id: gid.to_owned(),
        name: name.to_owned(),
        vpc_id: Some(vpc.clone()),
        ingress,
        egress: vec![rule("-1", None, SecurityGroupPeer::Ipv4(net(0, 0, 0, 0)))],
        tags: tags(&[("Environment", env)]),
        ..SecurityGroup::default()
    };
    scope.security_groups.extend([
        group(
            &alb_sg,
            "alb",
            vec![rule("tcp", Some((443, 443)), world.clone())],
        ),
        group(
            &app_sg,
            "app",
            vec![rule("tcp", Some((8080, 8080)), group_peer(&alb_sg))],
        ),
        group(
            &db_sg,
            "db",
            vec![
                rule("tcp", Some((5432, 5432)), group_peer(&app_sg)),
                // Every seventh: the database port open to the VPC range (DB003).
                if n % 7 == 0 {
                    rule(
                        "tcp",
                        Some((5432, 5432)),
                        SecurityGroupPeer::Ipv4(net(10, 0, 0, 8)),
                    )
                } else {
                    rule("tcp", Some((5432, 5432)), group_peer(&app_sg))
                },
            ],
        ),
        SecurityGroup {
            ingress: vec![rule("-1", None, group_peer(&id("sg-default")))],
            ..group(&id("sg-default"), "default", Vec::new())
        },
    ]);
    for extra in 0..4 {
        let gid = format!("sg-{n:08x}x{extra}");
        let mut ingress = vec![
            rule(
                "tcp",
                Some((443, 443)),
                SecurityGroupPeer::Ipv4(net(10, 0, 0, 8)),
            ),
            rule("tcp", Some((8000, 8100)), group_peer(&app_sg)),
            rule(
                "udp",
                Some((53, 53)),
                SecurityGroupPeer::Ipv4(net(10, second, 0, 16)),
            ),
            rule(
                "tcp",
                Some((9000 + extra, 9000 + extra)),
                SecurityGroupPeer::PrefixList(format!("pl-{n:08x}")),
            ),
        ];
        // Every tenth environment left SSH open to the world on one of them (SG001).
        if n % 10 == 0 && extra == 0 {
            ingress.push(rule("tcp", Some((22, 22)), world.clone()));
        }
        scope
            .security_groups
            .push(group(&gid, &format!("extra-{extra}"), ingress));
    }

    // Compute: four app instances (two per private subnet), their interfaces, the load
    // balancer's and the NAT gateways' interfaces.
    for i in 0..4 {
        let instance = format!("i-{n:08x}{i}");
        let z = i % 2;
        let ip = format!("10.{second}.{}.{}", 2 + z, 10 + i);
        scope.instances.push(Instance {
            id: instance.clone(),
            vpc_id: Some(vpc.clone()),
            subnet_id: Some(subnet(1, z).to_owned()),
            state: Some("running".to_owned()),
            instance_type: Some("m7g.large".to_owned()),
            private_ip: Some(ip.clone()),
            security_group_ids: vec![app_sg.clone()],
            tags: name(&format!("app-{i}")),
            ..Instance::default()
        });
        scope.network_interfaces.push(NetworkInterface {
            id: format!("eni-{n:08x}i{i}"),
            subnet_id: Some(subnet(1, z).to_owned()),
            vpc_id: Some(vpc.clone()),
            availability_zone: Some(zones[z].clone()),
            interface_type: Some("interface".to_owned()),
            security_group_ids: vec![app_sg.clone()],
            private_ip: Some(ip),
            instance_id: Some(instance),
            status: Some("in-use".to_owned()),
            ..NetworkInterface::default()
        });
    }
    for (z, zone) in zones.iter().enumerate() {
        scope.network_interfaces.push(NetworkInterface {
            id: format!("eni-{n:08x}l{z}"),
            subnet_id: Some(subnet(0, z).to_owned()),
            vpc_id: Some(vpc.clone()),
            availability_zone: Some(zone.clone()),
            interface_type: Some("interface".to_owned()),
            requester_id: Some("amazon-elb".to_owned()),
            requester_managed: true,
            description: Some(format!("ELB app/{env}-{n}/0123456789abcdef")),
            security_group_ids: vec![alb_sg.clone()],
            public_ip: Some(format!("198.51.{}.{}", n % 250, z + 1)),
            status: Some("in-use".to_owned()),
            ..NetworkInterface::default()
        });
        scope.network_interfaces.push(NetworkInterface {
            id: format!("eni-{n:08x}n{z}"),
            subnet_id: Some(subnet(0, z).to_owned()),
            vpc_id: Some(vpc.clone()),
            availability_zone: Some(zone.clone()),
            interface_type: Some("nat_gateway".to_owned()),
            requester_managed: true,
            status: Some("in-use".to_owned()),
            ..NetworkInterface::default()
        });
    }
    // The internet-facing ALB in front of the app instances: HTTPS 443 to HTTP 8080.
    let lb_arn = format!(
        "arn:aws:elasticloadbalancing:{}:{}:loadbalancer/app/{env}-{n}/0123456789abcdef",
        scope.region, scope.account
    );
    let tg_arn = format!(
        "arn:aws:elasticloadbalancing:{}:{}:targetgroup/{env}-{n}-app/0123456789abcdef",
        scope.region, scope.account
    );
    scope.load_balancers.push(LoadBalancer {
        arn: lb_arn.clone(),
        name: format!("{env}-{n}"),
        kind: Some("application".to_owned()),
        scheme: Some("internet-facing".to_owned()),
        vpc_id: Some(vpc.clone()),
        state: Some("active".to_owned()),
        ip_address_type: Some("ipv4".to_owned()),
        security_group_ids: vec![alb_sg.clone()],
        zones: (0..2)
            .map(|z| LoadBalancerZone {
                zone_name: Some(zones[z].clone()),
                subnet_id: Some(subnet(0, z).to_owned()),
                addresses: Vec::new(),
            })
            .collect(),
        ..LoadBalancer::default()
    });
    scope.listeners.push(Listener {
        arn: format!("{lb_arn}/listener/443"),
        load_balancer_arn: lb_arn.clone(),
        port: Some(443),
        protocol: Some("HTTPS".to_owned()),
        default_actions: vec![ListenerAction {
            kind: "forward".to_owned(),
            target_group_arns: vec![tg_arn.clone()],
        }],
    });
    scope.target_groups.push(TargetGroup {
        arn: tg_arn.clone(),
        name: format!("{env}-{n}-app"),
        target_type: Some("instance".to_owned()),
        protocol: Some("HTTP".to_owned()),
        port: Some(8080),
        vpc_id: Some(vpc.clone()),
        load_balancer_arns: vec![lb_arn],
        ..TargetGroup::default()
    });
    scope.targets.extend((0..4).map(|i| Target {
        target_group_arn: tg_arn.clone(),
        id: format!("i-{n:08x}{i}"),
        port: Some(8080),
        health: Some("healthy".to_owned()),
        ..Target::default()
    }));

    // Every third environment forgot its flow log (OBS001); the others log the VPC.
    if n % 3 != 1 {
        scope.flow_logs.push(FlowLog {
            id: id("fl"),
            resource_id: vpc.clone(),
            traffic_type: Some("ALL".to_owned()),
            status: Some("ACTIVE".to_owned()),
            destination_type: Some("s3".to_owned()),
        });
    }

    // Data: one database in the two database subnets.
    let group_name = format!("{env}-{n}-db");
    scope.db_subnet_groups.push(DbSubnetGroup {
        name: group_name.clone(),
        arn: None,
        vpc_id: vpc.clone(),
        subnets: (0..2)
            .map(|z| DbSubnetGroupMember {
                subnet_id: subnet(2, z).to_owned(),
                availability_zone: Some(zones[z].clone()),
            })
            .collect(),
    });
    let db = format!("{env}-{n}-orders");
    let address = format!("{db}.abcdefghij.{}.rds.amazonaws.com", scope.region);
    scope.db_instances.push(DbInstance {
        id: db.clone(),
        engine: Some("postgres".to_owned()),
        // Every eleventh: public (DB001); production ones are Multi-AZ.
        publicly_accessible: Some(n % 11 == 0),
        multi_az: Some(env == "prod"),
        availability_zone: Some(zones[0].clone()),
        db_subnet_group: Some(group_name),
        vpc_id: Some(vpc.clone()),
        security_group_ids: vec![db_sg],
        endpoint: Some(Endpoint {
            address: address.clone(),
            port: Some(5432),
        }),
        status: Some("available".to_owned()),
        tags: name("db"),
        ..DbInstance::default()
    });

    // Functions: a worker in the private subnets talking to the database, and one outside any
    // VPC; every sixth of those points at the database anyway (LAM002).
    let variable = |name: &str, facts: Vec<ValueFact>| EnvironmentVariable {
        name: name.to_owned(),
        value_facts: facts,
    };
    let endpoint_fact = ValueFact::RdsEndpoint {
        db_id: db.clone(),
        address,
    };
    scope.lambda_functions.push(LambdaFunction {
        name: format!("{env}-{n}-worker"),
        arn: format!(
            "arn:aws:lambda:{}:{}:function:{env}-{n}-worker",
            scope.region, scope.account
        ),
        runtime: Some("python3.12".to_owned()),
        vpc: Some(LambdaVpcConfig {
            subnet_ids: vec![subnet(1, 0).to_owned(), subnet(1, 1).to_owned()],
            security_group_ids: vec![app_sg],
        }),
        environment: vec![
            variable("DB_HOST", vec![ValueFact::Literal, endpoint_fact.clone()]),
            variable("DB_PASSWORD_SECRET_ARN", vec![ValueFact::SecretReference]),
            variable("LOG_LEVEL", vec![ValueFact::Literal]),
        ],
    });
    let mut outside = vec![variable("QUEUE_URL", vec![ValueFact::Literal])];
    if n % 6 == 0 {
        outside.push(variable(
            "DATABASE_URL",
            vec![ValueFact::Literal, endpoint_fact],
        ));
    }
    scope.lambda_functions.push(LambdaFunction {
        name: format!("{env}-{n}-notifier"),
        arn: format!(
            "arn:aws:lambda:{}:{}:function:{env}-{n}-notifier",
            scope.region, scope.account
        ),
        runtime: Some("nodejs22.x".to_owned()),
        vpc: None,
        environment: outside,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpcaudit_core::config::Settings;

    #[test]
    fn sizes_are_as_asked_and_spread_over_scopes() {
        let small = estate(1_000);
        let count = resource_count(&small);
        assert!(
            (980..=1_000 + RESOURCES_PER_ENVIRONMENT).contains(&count),
            "{count}"
        );
        assert_eq!(small.scopes.len(), 1);
        let large = estate(10_000);
        assert_eq!(
            large.scopes.len(),
            10_000usize
                .div_ceil(RESOURCES_PER_ENVIRONMENT)
                .div_ceil(ENVIRONMENTS_PER_SCOPE)
        );
        let count = resource_count(&large);
        assert!((9_800..=10_100).contains(&count), "{count}");
    }

    #[test]
    fn a_generated_estate_has_the_problems_it_was_given() {
        let evaluation = vpcaudit_core::rules::evaluate(&estate(2_000), &Settings::default());
        let mut rules: Vec<&str> = evaluation
            .findings
            .iter()
            .map(|f| f.rule_id.as_str())
            .collect();
        rules.sort_unstable();
        rules.dedup();
        for expected in ["DB001", "DB003", "LAM002", "OBS001", "SG001", "TIER001"] {
            assert!(
                rules.contains(&expected),
                "{expected} missing from {rules:?}"
            );
        }
        assert!(evaluation.not_evaluated.is_empty());
    }
}
