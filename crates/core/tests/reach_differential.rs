//! Differential test of the reachability model: a deliberately naive walker sends concrete probe
//! packets (every range boundary as a source, sample ports, IPv4 and IPv6) through the same
//! inventory hop by hop — route lookup by scanning every route, NACL by scanning entries in
//! order, SG by checking each rule — and must agree with `Network::inbound` on every ENI.
//!
//! The generated topologies cover both families (IPv4 and IPv6 routes, NACL entries and
//! security group rules), the ways an ENI gets a public address (its primary address, an
//! Elastic IP on a secondary address, an Elastic IP known only from `DescribeAddresses`, a
//! global IPv6 address), and inspection hops (a route to a Gateway Load Balancer endpoint whose
//! own subnet sends traffic on to the internet gateway or elsewhere).

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
    "::/0",
    "::/1",
    "8000::/1",
    "2600::/12",
    "2a00:1450::/32",
    "2600:1f18::/56",
];
/// The ENI's public address: 0 primary public IPv4, 1 Elastic IP on a secondary private
/// address, 2 Elastic IP only in `DescribeAddresses`, 3 global IPv6 address.
const ADDRESS_KINDS: u8 = 4;
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

fn cidr(i: usize) -> IpNet {
    CIDRS[i]
        .parse()
        .unwrap_or_else(|_| panic!("bad cidr {}", CIDRS[i]))
}

#[derive(Debug, Clone)]
struct Topo {
    // (cidr index, target kind: 0 igw, 1 nat, 2 tgw, 3 blackhole igw, 4 inspection endpoint)
    routes: Vec<(usize, u8)>,
    nacl: Vec<(u16, bool, usize, usize, usize, bool)>, // (rule, egress, proto, ports, cidr, allow)
    sgs: Vec<Vec<(usize, usize, usize)>>,              // per group: (proto, ports, cidr)
    public_ip: Option<u8>,
    has_nacl: bool,
    address_kind: u8,
    /// Where the inspection endpoint's subnet sends everything: true IGW, false a TGW.
    inspection_to_igw: bool,
}

fn topo() -> impl Strategy<Value = Topo> {
    (
        prop::collection::vec((0..CIDRS.len(), 0u8..5), 0..5),
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
        0..ADDRESS_KINDS,
        any::<bool>(),
    )
        .prop_map(
            |(routes, nacl, sgs, public_ip, has_nacl, address_kind, inspection_to_igw)| Topo {
                routes,
                nacl,
                sgs,
                public_ip,
                has_nacl,
                address_kind,
                inspection_to_igw,
            },
        )
}

fn dest(n: IpNet) -> RouteDestination {
    match n {
        IpNet::V4(n) => RouteDestination::Ipv4(n),
        IpNet::V6(n) => RouteDestination::Ipv6(n),
    }
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
            4 => RouteTarget::VpcEndpoint("vpce-1".into()),
            _ => RouteTarget::InternetGateway("igw-1".into()),
        };
        routes.push(Route {
            destination: dest(cidr(*c)),
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
        .map(|(rule, egress, proto, ports, c, allow)| NetworkAclEntry {
            rule_number: i32::from(*rule),
            egress: *egress,
            action: if *allow { "allow" } else { "deny" }.into(),
            protocol: Protocol(PROTOS[*proto].into()),
            cidr_block: match cidr(*c) {
                IpNet::V4(n) => Some(n),
                IpNet::V6(_) => None,
            },
            ipv6_cidr_block: match cidr(*c) {
                IpNet::V6(n) => Some(n),
                IpNet::V4(_) => None,
            },
            port_range: Some(PortRange {
                from: PORTS[*ports].0,
                to: PORTS[*ports].1,
            }),
        })
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
                .map(|(proto, ports, c)| SecurityGroupRule {
                    id: None,
                    protocol: Protocol(PROTOS[*proto].into()),
                    ports: Some(PortRange {
                        from: PORTS[*ports].0,
                        to: PORTS[*ports].1,
                    }),
                    peer: match cidr(*c) {
                        IpNet::V4(n) => SecurityGroupPeer::Ipv4(n),
                        IpNet::V6(n) => SecurityGroupPeer::Ipv6(n),
                    },
                    description: None,
                })
                .collect(),
            ..SecurityGroup::default()
        })
        .collect();
    let public = t.public_ip.map(|x| format!("54.0.0.{x}"));
    let mut eni = NetworkInterface {
        id: "eni-1".into(),
        subnet_id: Some("subnet-a".into()),
        vpc_id: Some("vpc-1".into()),
        security_group_ids: groups.iter().map(|g| g.id.clone()).collect(),
        private_ip: Some("10.0.1.10".into()),
        private_ips: vec![
            PrivateIp {
                address: "10.0.1.10".into(),
                primary: true,
                ..Default::default()
            },
            PrivateIp {
                address: "10.0.1.11".into(),
                primary: false,
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let mut elastic_ips = Vec::new();
    match (t.address_kind, public) {
        (_, None) => {}
        (0, Some(ip)) => {
            eni.public_ip = Some(ip.clone());
            eni.private_ips[0].public_ip = Some(ip);
        }
        (1, Some(ip)) => eni.private_ips[1].public_ip = Some(ip),
        (2, Some(ip)) => elastic_ips.push(ElasticIp {
            public_ip: ip,
            network_interface_id: Some("eni-1".into()),
            private_ip: Some("10.0.1.11".into()),
            ..Default::default()
        }),
        (_, Some(_)) => eni.ipv6_addresses = vec!["2600:1f18:0:1::10".into()],
    }
    let local = |n: IpNet| Route {
        destination: dest(n),
        target: RouteTarget::Local,
        state: RouteState::Active,
        origin: None,
    };
    routes.push(local("2600:1f18::/56".parse().unwrap()));
    let inspection_default = |n: &str| Route {
        destination: dest(n.parse().unwrap()),
        target: if t.inspection_to_igw {
            RouteTarget::InternetGateway("igw-1".into())
        } else {
            RouteTarget::TransitGateway("tgw-1".into())
        },
        state: RouteState::Active,
        origin: None,
    };
    let association = |s: &str| RouteTableAssociation {
        subnet_id: Some(s.into()),
        ..Default::default()
    };
    RegionInventory {
        account: "1".into(),
        region: "eu-west-1".into(),
        vpcs: vec![Vpc {
            id: "vpc-1".into(),
            cidr_blocks: vec![v4("10.0.0.0/16")],
            ipv6_cidr_blocks: vec!["2600:1f18::/56".parse().unwrap()],
            ..Vpc::default()
        }],
        subnets: vec![
            Subnet {
                id: "subnet-a".into(),
                vpc_id: "vpc-1".into(),
                cidr_block: Some(v4("10.0.1.0/24")),
                ..Subnet::default()
            },
            Subnet {
                id: "subnet-fw".into(),
                vpc_id: "vpc-1".into(),
                cidr_block: Some(v4("10.0.0.0/28")),
                ..Subnet::default()
            },
        ],
        route_tables: vec![
            RouteTable {
                id: "rtb-a".into(),
                vpc_id: "vpc-1".into(),
                routes,
                associations: vec![association("subnet-a")],
                ..RouteTable::default()
            },
            RouteTable {
                id: "rtb-fw".into(),
                vpc_id: "vpc-1".into(),
                routes: vec![
                    local("10.0.0.0/16".parse().unwrap()),
                    local("2600:1f18::/56".parse().unwrap()),
                    inspection_default("0.0.0.0/0"),
                    inspection_default("::/0"),
                ],
                associations: vec![association("subnet-fw")],
                ..RouteTable::default()
            },
        ],
        vpc_endpoints: vec![VpcEndpoint {
            id: "vpce-1".into(),
            vpc_id: "vpc-1".into(),
            endpoint_type: Some("GatewayLoadBalancer".into()),
            subnet_ids: vec!["subnet-fw".into()],
            ..Default::default()
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
        network_interfaces: vec![eni],
        elastic_ips,
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

fn contains(n: &IpNet, ip: IpAddr) -> bool {
    n.contains(&ip)
}

fn route_net(d: &RouteDestination) -> Option<IpNet> {
    match d {
        RouteDestination::Ipv4(n) => Some(IpNet::V4(*n)),
        RouteDestination::Ipv6(n) => Some(IpNet::V6(*n)),
        RouteDestination::PrefixList(_) => None,
    }
}

/// Longest-prefix match by scanning every route of the table.
fn lookup(table: &RouteTable, ip: IpAddr) -> Option<&Route> {
    let mut best: Option<(&Route, u8)> = None;
    for r in &table.routes {
        let Some(n) = route_net(&r.destination) else {
            continue;
        };
        if contains(&n, ip) && best.is_none_or(|(_, len)| len < n.prefix_len()) {
            best = Some((r, n.prefix_len()));
        }
    }
    best.map(|(r, _)| r)
}

/// The ENI's public address, found the way a reader of the API would: the primary public IP,
/// each private address's association, Elastic IPs naming the ENI, global IPv6 addresses.
fn public_address(inv: &RegionInventory) -> Option<IpAddr> {
    let eni = &inv.network_interfaces[0];
    let parse = |s: &str| s.parse::<IpAddr>().ok();
    eni.public_ip
        .as_deref()
        .and_then(parse)
        .or_else(|| {
            eni.private_ips
                .iter()
                .find_map(|p| p.public_ip.as_deref().and_then(parse))
        })
        .or_else(|| {
            inv.elastic_ips
                .iter()
                .filter(|e| e.network_interface_id.as_deref() == Some(eni.id.as_str()))
                .find_map(|e| parse(&e.public_ip))
        })
        .or_else(|| eni.ipv6_addresses.iter().find_map(|a| parse(a)))
}

/// Naive: is a packet (proto, dst port, src) from the internet admitted into the ENI?
fn naive(inv: &RegionInventory, proto: P, port: u16, src: IpAddr) -> bool {
    let Some(public) = public_address(inv) else {
        return false;
    };
    if public.is_ipv4() != src.is_ipv4() {
        return false; // no address of that family on the ENI
    }
    let vpc = net::AddrSet::from_nets(&[
        "10.0.0.0/16".parse::<IpNet>().unwrap(),
        "2600:1f18::/56".parse::<IpNet>().unwrap(),
    ]);
    if !net::public_internet().contains(src) || vpc.contains(src) {
        return false;
    }
    // Reply route: scan every route, keep the longest match. An inspection endpoint hands the
    // reply to its own subnet's table.
    let Some(best) = lookup(&inv.route_tables[0], src) else {
        return false;
    };
    let best = match &best.target {
        RouteTarget::VpcEndpoint(_) if best.state == RouteState::Active => {
            match lookup(&inv.route_tables[1], src) {
                Some(r) => r,
                None => return false,
            }
        }
        _ => best,
    };
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
                let net = e
                    .cidr_block
                    .map(IpNet::V4)
                    .or(e.ipv6_cidr_block.map(IpNet::V6));
                if proto_matches(&e.protocol.0, proto)
                    && port_matches(&e.protocol.0, e.port_range, p)
                    && net.is_some_and(|n| contains(&n, src))
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
            let net = match r.peer {
                SecurityGroupPeer::Ipv4(c) => IpNet::V4(c),
                SecurityGroupPeer::Ipv6(c) => IpNet::V6(c),
                _ => return false,
            };
            proto_matches(&r.protocol.0, proto)
                && port_matches(&r.protocol.0, r.ports, port)
                && contains(&net, src)
        })
    })
}

fn probes() -> (Vec<IpAddr>, Vec<u16>) {
    let mut srcs: Vec<IpAddr> = vec!["2001:db8::1".parse().unwrap(), "2600::1".parse().unwrap()];
    for i in 0..CIDRS.len() {
        match cidr(i) {
            IpNet::V4(n) => {
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
            IpNet::V6(n) => {
                let lo = u128::from(n.network());
                let hi = u128::from(n.broadcast());
                for x in [
                    lo.wrapping_sub(1),
                    lo,
                    lo.wrapping_add(1),
                    hi.wrapping_sub(1),
                    hi,
                    hi.wrapping_add(1),
                ] {
                    srcs.push(IpAddr::V6(x.into()));
                }
            }
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
        address_kind: 0,
        inspection_to_igw: false,
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

/// The generator reaches the new kinds too: a global IPv6 address behind an inspection
/// endpoint whose subnet sends on to the IGW is admitted by both walkers, and not when the
/// endpoint's subnet sends traffic to a transit gateway instead.
#[test]
fn both_walkers_see_ipv6_through_an_inspection_endpoint() {
    let mut t = Topo {
        routes: vec![(9, 4)], // ::/0 -> vpce
        nacl: vec![],
        sgs: vec![vec![(0, 0, 9)]], // ssh from ::/0
        public_ip: Some(7),
        has_nacl: false,
        address_kind: 3,
        inspection_to_igw: true,
    };
    let src: IpAddr = "2a00:1450::1".parse().unwrap();
    let inv = inventory(&t);
    let flows = Network::build(&inv)
        .inbound(&inv.network_interfaces[0])
        .flows();
    assert!(flows.contains(P::Tcp, 22, src));
    assert!(naive(&inv, P::Tcp, 22, src));
    t.inspection_to_igw = false;
    let inv = inventory(&t);
    let flows = Network::build(&inv)
        .inbound(&inv.network_interfaces[0])
        .flows();
    assert!(!flows.contains(P::Tcp, 22, src));
    assert!(!naive(&inv, P::Tcp, 22, src));
    // An Elastic IP on the secondary address, over IPv4.
    let t = Topo {
        routes: vec![(0, 0)],
        nacl: vec![],
        sgs: vec![vec![(0, 0, 0)]],
        public_ip: Some(7),
        has_nacl: false,
        address_kind: 1,
        inspection_to_igw: false,
    };
    let inv = inventory(&t);
    let src: IpAddr = "8.8.4.4".parse().unwrap();
    let flows = Network::build(&inv)
        .inbound(&inv.network_interfaces[0])
        .flows();
    assert!(flows.contains(P::Tcp, 22, src) && naive(&inv, P::Tcp, 22, src));
}
