//! Differential test of the reachability model: a deliberately naive walker sends concrete probe
//! packets (every range boundary as a source, sample ports, IPv4 and IPv6) through the same
//! inventory hop by hop — route lookup by scanning every route, NACL by scanning entries in
//! order, SG by checking each rule — and must agree with `Network::inbound` on every ENI.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};
use proptest::prelude::*;
use vpcaudit_core::model::*;
use vpcaudit_core::net::{self, Protocol as P};
use vpcaudit_core::reach::Network;

const CIDRS: &[&str] = &[
    "0.0.0.0/0",
    "0.0.0.0/1",
    "128.0.0.0/1",
    "1.0.0.0/8",
    "1.2.3.0/24",
    "8.8.8.8/32",
    "200.0.0.0/5",
    "10.0.0.0/8",
    "54.0.0.0/8",
];
const PORTS: &[(i32, i32)] = &[
    (22, 22),
    (0, 65535),
    (20, 25),
    (1024, 65535),
    (80, 443),
    (3389, 3389),
];
const PROTOS: &[&str] = &["tcp", "udp", "-1", "6"];

fn v4(s: &str) -> Ipv4Net {
    s.parse().unwrap_or_else(|_| panic!("bad cidr {s}"))
}

#[derive(Debug, Clone)]
struct Topo {
    routes: Vec<(usize, u8)>, // (cidr index, target kind: 0 igw, 1 nat, 2 tgw, 3 blackhole igw)
    nacl: Vec<(u16, bool, usize, usize, usize, bool)>, // (rule, egress, proto, ports, cidr, allow)
    sgs: Vec<Vec<(usize, usize, usize)>>, // per group: (proto, ports, cidr)
    public_ip: Option<u8>,
    has_nacl: bool,
}

fn topo() -> impl Strategy<Value = Topo> {
    (
        prop::collection::vec((0..CIDRS.len(), 0u8..4), 0..4),
        prop::collection::vec(
            (
                1u16..200,
                any::<bool>(),
                0..PROTOS.len(),
                0..PORTS.len(),
                0..CIDRS.len(),
                any::<bool>(),
            ),
            0..6,
        ),
        prop::collection::vec(
            prop::collection::vec((0..PROTOS.len(), 0..PORTS.len(), 0..CIDRS.len()), 0..3),
            1..3,
        ),
        prop::option::of(1u8..250),
        any::<bool>(),
    )
        .prop_map(|(routes, nacl, sgs, public_ip, has_nacl)| Topo {
            routes,
            nacl,
            sgs,
            public_ip,
            has_nacl,
        })
}

fn inventory(t: &Topo) -> RegionInventory {
    let mut routes = vec![Route {
        destination: RouteDestination::Ipv4(v4("10.0.0.0/16")),
        target: RouteTarget::Local,
        state: RouteState::Active,
        origin: None,
    }];
    for (c, kind) in &t.routes {
        let target = match kind {
            1 => RouteTarget::NatGateway("nat-1".into()),
            2 => RouteTarget::TransitGateway("tgw-1".into()),
            _ => RouteTarget::InternetGateway("igw-1".into()),
        };
        routes.push(Route {
            destination: RouteDestination::Ipv4(v4(CIDRS[*c])),
            target,
            state: if *kind == 3 {
                RouteState::Blackhole
            } else {
                RouteState::Active
            },
            origin: None,
        });
    }
    let entries = t
        .nacl
        .iter()
        .map(
            |(rule, egress, proto, ports, cidr, allow)| NetworkAclEntry {
                rule_number: i32::from(*rule),
                egress: *egress,
                action: if *allow { "allow" } else { "deny" }.into(),
                protocol: Protocol(PROTOS[*proto].into()),
                cidr_block: Some(v4(CIDRS[*cidr])),
                ipv6_cidr_block: None,
                port_range: Some(PortRange {
                    from: PORTS[*ports].0,
                    to: PORTS[*ports].1,
                }),
            },
        )
        .collect();
    let groups: Vec<SecurityGroup> = t
        .sgs
        .iter()
        .enumerate()
        .map(|(i, rules)| SecurityGroup {
            id: format!("sg-{i}"),
            name: format!("g{i}"),
            vpc_id: Some("vpc-1".into()),
            ingress: rules
                .iter()
                .map(|(proto, ports, cidr)| SecurityGroupRule {
                    id: None,
                    protocol: Protocol(PROTOS[*proto].into()),
                    ports: Some(PortRange {
                        from: PORTS[*ports].0,
                        to: PORTS[*ports].1,
                    }),
                    peer: SecurityGroupPeer::Ipv4(v4(CIDRS[*cidr])),
                    description: None,
                })
                .collect(),
            ..SecurityGroup::default()
        })
        .collect();
    RegionInventory {
        account: "1".into(),
        region: "eu-west-1".into(),
        vpcs: vec![Vpc {
            id: "vpc-1".into(),
            cidr_blocks: vec![v4("10.0.0.0/16")],
            ..Vpc::default()
        }],
        subnets: vec![Subnet {
            id: "subnet-a".into(),
            vpc_id: "vpc-1".into(),
            cidr_block: Some(v4("10.0.1.0/24")),
            ..Subnet::default()
        }],
        route_tables: vec![RouteTable {
            id: "rtb-a".into(),
            vpc_id: "vpc-1".into(),
            routes,
            associations: vec![RouteTableAssociation {
                subnet_id: Some("subnet-a".into()),
                ..Default::default()
            }],
            ..RouteTable::default()
        }],
        internet_gateways: vec![InternetGateway {
            id: "igw-1".into(),
            attached_vpc_ids: vec!["vpc-1".into()],
            ..Default::default()
        }],
        network_acls: if t.has_nacl {
            vec![NetworkAcl {
                id: "acl-1".into(),
                vpc_id: "vpc-1".into(),
                entries,
                subnet_ids: vec!["subnet-a".into()],
                ..Default::default()
            }]
        } else {
            vec![]
        },
        network_interfaces: vec![NetworkInterface {
            id: "eni-1".into(),
            subnet_id: Some("subnet-a".into()),
            vpc_id: Some("vpc-1".into()),
            security_group_ids: groups.iter().map(|g| g.id.clone()).collect(),
            public_ip: t.public_ip.map(|x| format!("54.0.0.{x}")),
            ..Default::default()
        }],
        security_groups: groups,
        ..RegionInventory::default()
    }
}

fn proto_matches(rule: &str, packet: P) -> bool {
    match rule {
        "-1" => true,
        "tcp" | "6" => packet == P::Tcp,
        "udp" | "17" => packet == P::Udp,
        _ => false,
    }
}

fn port_matches(rule_proto: &str, range: Option<PortRange>, port: u16) -> bool {
    rule_proto == "-1" || range.is_none_or(|r| r.from <= i32::from(port) && i32::from(port) <= r.to)
}

/// Naive: is a packet (proto, dst port, src) from the internet admitted into the ENI?
fn naive(inv: &RegionInventory, proto: P, port: u16, src: IpAddr) -> bool {
    let eni = &inv.network_interfaces[0];
    let Some(public) = eni
        .public_ip
        .as_deref()
        .and_then(|s| s.parse::<IpAddr>().ok())
    else {
        return false;
    };
    if public.is_ipv4() != src.is_ipv4() {
        return false; // no address of that family on the ENI
    }
    let vpc = net::AddrSet::from_net(&"10.0.0.0/16".parse::<IpNet>().unwrap());
    if !net::public_internet().contains(src) || vpc.contains(src) {
        return false;
    }
    // Reply route: scan every route, keep the longest match.
    let mut best: Option<&Route> = None;
    for r in &inv.route_tables[0].routes {
        let RouteDestination::Ipv4(n) = r.destination else {
            continue;
        };
        let IpAddr::V4(s) = src else { continue };
        if n.contains(&s) && best.is_none_or(|b| matches!(b.destination, RouteDestination::Ipv4(bn) if bn.prefix_len() < n.prefix_len())) {
            best = Some(r);
        }
    }
    let Some(best) = best else { return false };
    if best.state != RouteState::Active || !matches!(best.target, RouteTarget::InternetGateway(_)) {
        return false;
    }
    // NACL: first match by rule number.
    if let Some(acl) = inv.network_acls.first() {
        let verdict = |egress: bool, p: u16| -> bool {
            let mut entries: Vec<&NetworkAclEntry> =
                acl.entries.iter().filter(|e| e.egress == egress).collect();
            entries.sort_by_key(|e| e.rule_number);
            for e in entries {
                let IpAddr::V4(s) = src else { return false };
                if proto_matches(&e.protocol.0, proto)
                    && port_matches(&e.protocol.0, e.port_range, p)
                    && e.cidr_block.is_some_and(|c| c.contains(&s))
                {
                    return e.action == "allow";
                }
            }
            false
        };
        if !verdict(false, port) {
            return false;
        }
        // Reply to some ephemeral client port: probe every boundary in 1024..=65535.
        let mut client_ports = vec![1024u16, 65535];
        for e in &acl.entries {
            if let Some(r) = e.port_range {
                for p in [r.from - 1, r.from, r.to, r.to + 1] {
                    if (1024..=65535).contains(&p) {
                        client_ports.push(p as u16);
                    }
                }
            }
        }
        if !client_ports.iter().any(|p| verdict(true, *p)) {
            return false;
        }
    }
    // Security groups: any rule of any group.
    inv.security_groups.iter().any(|g| {
        g.ingress.iter().any(|r| {
            let SecurityGroupPeer::Ipv4(c) = r.peer else {
                return false;
            };
            let IpAddr::V4(s) = src else { return false };
            proto_matches(&r.protocol.0, proto)
                && port_matches(&r.protocol.0, r.ports, port)
                && c.contains(&s)
        })
    })
}

fn probes() -> (Vec<IpAddr>, Vec<u16>) {
    let mut srcs: Vec<IpAddr> = vec!["2001:db8::1".parse().unwrap(), "2600::1".parse().unwrap()];
    for c in CIDRS {
        let n = v4(c);
        let lo = u32::from(n.network());
        let hi = u32::from(n.broadcast());
        for x in [
            lo.wrapping_sub(1),
            lo,
            lo.wrapping_add(1),
            hi.wrapping_sub(1),
            hi,
            hi.wrapping_add(1),
        ] {
            srcs.push(IpAddr::V4(x.into()));
        }
    }
    let mut ports = vec![0u16, 1, 65535];
    for (a, b) in PORTS {
        for p in [a - 1, *a, *b, b + 1] {
            if (0..=65535).contains(&p) {
                ports.push(p as u16);
            }
        }
    }
    (srcs, ports)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
    #[test]
    fn model_agrees_with_naive_walker(t in topo()) {
        let inv = inventory(&t);
        let network = Network::build(&inv);
        let flows = network.inbound(&inv.network_interfaces[0]).flows();
        let (srcs, ports) = probes();
        for proto in [P::Tcp, P::Udp] {
            for port in &ports {
                for src in &srcs {
                    let model = flows.contains(proto, *port, *src);
                    let naive = naive(&inv, proto, *port, *src);
                    prop_assert_eq!(model, naive, "{:?} port {} from {}", proto, port, src);
                }
            }
        }
    }
}

/// The generator reaches the interesting side: a known open topology is admitted by both.
#[test]
fn both_walkers_see_a_plain_open_host() {
    let t = Topo {
        routes: vec![(1, 0), (2, 0), (0, 1)], // 0/1 + 128/1 -> igw, 0/0 -> nat
        nacl: vec![],
        sgs: vec![vec![(0, 0, 1)], vec![(0, 0, 2)]], // ssh from 0/1 in one group, 128/1 in another
        public_ip: Some(7),
        has_nacl: false,
    };
    let inv = inventory(&t);
    let network = Network::build(&inv);
    let reach = network.inbound(&inv.network_interfaces[0]);
    let src: IpAddr = "8.8.4.4".parse().unwrap();
    assert!(reach.flows().contains(P::Tcp, 22, src));
    assert!(naive(&inv, P::Tcp, 22, src));
    assert!(!reach.flows().contains(P::Tcp, 23, src));
    // Two halves in two groups are the whole internet.
    let admitted = reach.flows().addrs_for(P::Tcp, 22);
    assert!(network.exposure(&admitted, Some("vpc-1")).is_world());
    assert!(reach.paths.iter().all(|p| !p.path.is_empty()));
    let json = serde_json::to_value(&reach).unwrap();
    assert!(
        json["paths"][0]["path"][0]["hop"] == "internet_gateway",
        "{json}"
    );
    // The subnet is public by the /1 halves.
    assert!(network.subnet("subnet-a").unwrap().is_public());
}
