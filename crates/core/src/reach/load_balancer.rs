//! Internet → load balancer → target: paths through internet-facing ALBs, NLBs and Classic
//! Load Balancers.
//!
//! The front leg is judged like an ENI's own address (the load balancer's subnets, their
//! network ACLs, the load balancer's security groups) on each listener's port. The target leg
//! follows the listener's target groups (default actions, and target groups that name the load
//! balancer through listener rules) to each registered target, on the target's port:
//! - the target's security groups must admit the load balancer: a rule referencing one of its
//!   groups, or an address rule covering its subnets. When the target group preserves client
//!   IPs (NLB instance targets, UDP) the targets see the clients themselves, so address rules
//!   must admit the clients, and only those clients are exposed;
//! - the target subnet's network ACL must admit that source inbound and the reply outbound.
//!
//! Target health is not considered (like AWS Reachability Analyzer, configuration only).
//! Gateway Load Balancers are inspection hops, not entry points; an ALB registered behind an
//! NLB is not followed.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use super::inbound::{ConvertedGroup, EPHEMERAL, InboundPath, InboundReach, PathHop, nacl_entry};
use super::{Network, SubnetReach};
use crate::model::{self, NetworkInterface, SecurityGroup, TargetGroup};
use crate::net::{self, AddrSet, Direction, PortSet, Protocol};

/// One load balancer, seen the same way whatever its generation.
struct Front<'a> {
    id: String,
    name: String,
    kind: &'static str,
    /// None: no security groups (an NLB created without them): nothing filters clients.
    groups: Option<Vec<&'a SecurityGroup>>,
    group_ids: BTreeSet<&'a str>,
    subnets: Vec<&'a str>,
    ipv4: bool,
    ipv6: bool,
    /// The addresses its nodes use towards targets (its subnets' CIDRs).
    node_addrs: AddrSet,
    vpc_id: Option<&'a str>,
}

/// One listener: protocol(s), port, and where it sends traffic.
struct Leg<'a> {
    arn: Option<String>,
    protocol_name: String,
    protocols: Vec<Protocol>,
    port: u16,
    targets: Vec<TargetRef<'a>>,
}

enum TargetRef<'a> {
    /// A target group's target.
    Group {
        group: &'a TargetGroup,
        target: &'a model::Target,
    },
    /// A Classic Load Balancer's registered instance and its instance port.
    Classic { instance_id: &'a str, port: u16 },
}

fn listener_protocols(protocol: Option<&str>) -> Vec<Protocol> {
    match protocol.map(str::to_ascii_uppercase).as_deref() {
        Some("UDP") => vec![Protocol::Udp],
        Some("TCP_UDP") => vec![Protocol::Tcp, Protocol::Udp],
        _ => vec![Protocol::Tcp],
    }
}

impl<'a> Network<'a> {
    pub(super) fn build_load_balancer_paths(&mut self) {
        let inv = self.inventory;
        if inv.load_balancers.is_empty() && inv.classic_load_balancers.is_empty() {
            return;
        }
        let mut listeners: HashMap<&str, Vec<&model::Listener>> = HashMap::new();
        for l in &inv.listeners {
            listeners
                .entry(l.load_balancer_arn.as_str())
                .or_default()
                .push(l);
        }
        let groups_by_arn: HashMap<&str, &TargetGroup> = inv
            .target_groups
            .iter()
            .map(|g| (g.arn.as_str(), g))
            .collect();
        let mut targets: HashMap<&str, Vec<&model::Target>> = HashMap::new();
        for t in &inv.targets {
            targets
                .entry(t.target_group_arn.as_str())
                .or_default()
                .push(t);
        }
        let mut fronts = HashMap::new();
        let mut through: HashMap<String, Vec<InboundPath>> = HashMap::new();
        for lb in &inv.load_balancers {
            if lb.scheme.as_deref() != Some("internet-facing") {
                continue;
            }
            let kind: &'static str = match lb.kind.as_deref() {
                Some("application") => "application",
                Some("network") => "network",
                _ => continue, // Gateway Load Balancers are not entry points
            };
            let subnets: Vec<&str> = lb
                .zones
                .iter()
                .filter_map(|z| z.subnet_id.as_deref())
                .collect();
            let ip_type = lb.ip_address_type.as_deref().unwrap_or("ipv4");
            let mut notes = Vec::new();
            let front = Front {
                id: lb.arn.clone(),
                name: lb.name.clone(),
                kind,
                groups: self.groups_of(&lb.security_group_ids, kind == "network", &mut notes),
                group_ids: lb.security_group_ids.iter().map(String::as_str).collect(),
                node_addrs: self.subnet_addrs(&subnets, lb.vpc_id.as_deref()),
                subnets,
                ipv4: ip_type != "dualstack-without-public-ipv4",
                ipv6: ip_type.starts_with("dualstack"),
                vpc_id: lb.vpc_id.as_deref(),
            };
            // Target groups reached through listener rules: every listener may use them.
            let mut by_rule: Vec<&TargetGroup> = inv
                .target_groups
                .iter()
                .filter(|g| g.load_balancer_arns.contains(&lb.arn))
                .collect();
            let lb_listeners = listeners.get(lb.arn.as_str()).cloned().unwrap_or_default();
            let defaults: BTreeSet<&str> = lb_listeners
                .iter()
                .flat_map(|l| l.default_actions.iter())
                .flat_map(|a| a.target_group_arns.iter().map(String::as_str))
                .collect();
            by_rule.retain(|g| !defaults.contains(g.arn.as_str()));
            let legs: Vec<Leg> =
                lb_listeners
                    .iter()
                    .filter_map(|l| {
                        let port = l.port?;
                        let mut tgs: Vec<&TargetGroup> = l
                            .default_actions
                            .iter()
                            .filter(|a| a.kind.eq_ignore_ascii_case("forward"))
                            .flat_map(|a| a.target_group_arns.iter())
                            .filter_map(|arn| groups_by_arn.get(arn.as_str()).copied())
                            .collect();
                        tgs.extend(by_rule.iter().copied());
                        Some(Leg {
                            arn: Some(l.arn.clone()),
                            protocol_name: l.protocol.clone().unwrap_or_default(),
                            protocols: listener_protocols(l.protocol.as_deref()),
                            port,
                            targets: tgs
                                .into_iter()
                                .flat_map(|g| {
                                    targets.get(g.arn.as_str()).into_iter().flatten().map(
                                        move |t| TargetRef::Group {
                                            group: g,
                                            target: t,
                                        },
                                    )
                                })
                                .collect(),
                        })
                    })
                    .collect();
            let reach = self.evaluate(&front, &legs, notes, &mut through);
            fronts.insert(lb.arn.clone(), reach);
        }
        for lb in &inv.classic_load_balancers {
            if lb.scheme.as_deref() != Some("internet-facing") {
                continue;
            }
            let mut notes = Vec::new();
            let subnets: Vec<&str> = lb.subnet_ids.iter().map(String::as_str).collect();
            let front = Front {
                id: lb.name.clone(),
                name: lb.name.clone(),
                kind: "classic",
                groups: self.groups_of(&lb.security_group_ids, false, &mut notes),
                group_ids: lb.security_group_ids.iter().map(String::as_str).collect(),
                node_addrs: self.subnet_addrs(&subnets, lb.vpc_id.as_deref()),
                subnets,
                ipv4: true,
                ipv6: false,
                vpc_id: lb.vpc_id.as_deref(),
            };
            let legs: Vec<Leg> = lb
                .listeners
                .iter()
                .filter_map(|l| {
                    let port = l.port?;
                    let instance_port = l.instance_port.unwrap_or(port);
                    Some(Leg {
                        arn: None,
                        protocol_name: l.protocol.clone(),
                        protocols: vec![Protocol::Tcp],
                        port,
                        targets: lb
                            .instance_ids
                            .iter()
                            .map(|i| TargetRef::Classic {
                                instance_id: i.as_str(),
                                port: instance_port,
                            })
                            .collect(),
                    })
                })
                .collect();
            let reach = self.evaluate(&front, &legs, notes, &mut through);
            fronts.insert(lb.name.clone(), reach);
        }
        self.load_balancer_fronts = fronts;
        self.through_load_balancers = through;
    }

    /// The load balancer's security groups; None when it has none (an NLB without groups) or
    /// when none of them is in the inventory (with a note: nothing is assumed filtered).
    fn groups_of(
        &self,
        ids: &[String],
        may_have_none: bool,
        notes: &mut Vec<String>,
    ) -> Option<Vec<&'a SecurityGroup>> {
        if ids.is_empty() {
            if !may_have_none {
                notes.push(
                    "the load balancer's security groups are not in the inventory: assumed to \
                     admit every client"
                        .into(),
                );
            }
            return None;
        }
        let mut found = Vec::new();
        for id in ids {
            match self.security_groups.get(id.as_str()) {
                Some(g) => found.push(*g),
                None => notes.push(format!("security group {id} is not in the inventory")),
            }
        }
        Some(found)
    }

    /// The CIDRs of `subnets` (the VPC's when none is known).
    fn subnet_addrs(&self, subnets: &[&str], vpc_id: Option<&str>) -> AddrSet {
        let mut nets = Vec::new();
        for s in subnets.iter().filter_map(|s| self.subnet(s)) {
            if let Some(n) = s.subnet.cidr_block {
                nets.push(ipnet::IpNet::V4(n));
            }
            nets.extend(
                s.subnet
                    .ipv6_cidr_blocks
                    .iter()
                    .map(|n| ipnet::IpNet::V6(*n)),
            );
        }
        if nets.is_empty() {
            return vpc_id
                .and_then(|v| self.vpc_cidrs.get(v))
                .cloned()
                .unwrap_or_else(AddrSet::empty);
        }
        AddrSet::from_nets(&nets)
    }

    fn evaluate(
        &self,
        front: &Front<'a>,
        legs: &[Leg<'a>],
        mut notes: Vec<String>,
        through: &mut HashMap<String, Vec<InboundPath>>,
    ) -> InboundReach {
        let mut reach = InboundReach {
            eni_id: front.id.clone(),
            ..InboundReach::default()
        };
        let mut family = AddrSet::empty();
        if front.ipv4 {
            family = family.union(&AddrSet::all_v4());
        }
        if front.ipv6 {
            family = family.union(&AddrSet::all_v6());
        }
        let lb_hop = PathHop::LoadBalancer {
            id: front.id.clone(),
            name: front.name.clone(),
            kind: front.kind.to_owned(),
            filters_clients: front.groups.is_some(),
        };
        let subnets: Vec<&SubnetReach<'_>> = front
            .subnets
            .iter()
            .filter_map(|s| {
                let found = self.subnet(s).filter(|r| r.table.is_some());
                if found.is_none() {
                    notes.push(format!(
                        "subnet {s} of the load balancer or its route table is not in the inventory"
                    ));
                }
                found
            })
            .collect();
        for leg in legs {
            for &protocol in &leg.protocols {
                let port = PortSet::single(leg.port);
                let tail = [
                    lb_hop.clone(),
                    PathHop::Listener {
                        arn: leg.arn.clone(),
                        protocol: leg.protocol_name.clone(),
                        port: leg.port,
                    },
                ];
                let mut front_paths = Vec::new();
                for subnet in &subnets {
                    front_paths.extend(self.paths_to(
                        subnet,
                        front.groups.as_deref(),
                        &family,
                        None,
                        Some((protocol, &port)),
                        &tail,
                        &mut notes,
                    ));
                }
                let clients = front_paths
                    .iter()
                    .fold(AddrSet::empty(), |acc, p| acc.union(&p.source_set));
                let Some(first) = front_paths.first() else {
                    continue;
                };
                let hops = first.path.clone();
                reach.paths.extend(front_paths.iter().cloned());
                for target in &leg.targets {
                    if let Some((key, path)) =
                        self.target_leg(front, protocol, &clients, &hops, target, &mut notes)
                    {
                        through.entry(key).or_default().push(path);
                    }
                }
            }
        }
        notes.sort();
        notes.dedup();
        reach.not_evaluated = notes;
        reach
    }

    /// The leg from the load balancer to one target: None when the target's network ACL or
    /// security groups stop it. Returns the key (ENI id or function ARN) and the path.
    fn target_leg(
        &self,
        front: &Front<'a>,
        protocol: Protocol,
        clients: &AddrSet,
        front_hops: &[PathHop],
        target: &TargetRef<'a>,
        notes: &mut Vec<String>,
    ) -> Option<(String, InboundPath)> {
        let (group, eni, address, port, preserved): (
            Option<&TargetGroup>,
            &NetworkInterface,
            String,
            u16,
            bool,
        ) = match target {
            TargetRef::Group { group, target } => {
                let port = target.port.or(group.port)?;
                match group.target_type.as_deref() {
                    Some("lambda") => {
                        let mut path = front_hops.to_vec();
                        path.push(PathHop::TargetGroup {
                            arn: group.arn.clone(),
                            name: group.name.clone(),
                            port,
                            client_ip_preserved: false,
                        });
                        path.push(PathHop::Function {
                            arn: target.id.clone(),
                        });
                        return Some((
                            target.id.clone(),
                            self.lb_path(front, protocol, port, clients.clone(), path),
                        ));
                    }
                    Some("ip") => {
                        let eni = self.eni_by_private_ip(&target.id)?;
                        (
                            Some(*group),
                            eni,
                            target.id.clone(),
                            port,
                            group.client_ip_preserved().unwrap_or(false),
                        )
                    }
                    Some("instance") | None => {
                        let eni = self.primary_eni(&target.id)?;
                        (
                            Some(*group),
                            eni,
                            eni.private_ip.clone().unwrap_or_default(),
                            port,
                            // Unknown: NLB instance targets preserve by default.
                            group.client_ip_preserved().unwrap_or(group.is_network()),
                        )
                    }
                    Some(other) => {
                        notes.push(format!(
                            "target group {} has {other} targets: not followed",
                            group.name
                        ));
                        return None;
                    }
                }
            }
            TargetRef::Classic { instance_id, port } => {
                let eni = self.primary_eni(instance_id)?;
                (
                    None,
                    eni,
                    eni.private_ip.clone().unwrap_or_default(),
                    *port,
                    false,
                )
            }
        };
        let ports = PortSet::single(port);
        // What the target sees as the source: the clients, or the load balancer's nodes.
        let seen = if preserved {
            clients.clone()
        } else {
            front.node_addrs.clone()
        };
        let mut path = front_hops.to_vec();
        if let Some(g) = group {
            path.push(PathHop::TargetGroup {
                arn: g.arn.clone(),
                name: g.name.clone(),
                port,
                client_ip_preserved: preserved,
            });
        }
        let mut exposed = clients.clone();
        // The target subnet's network ACL, both ways (stateless).
        if let Some(acl) = eni
            .subnet_id
            .as_deref()
            .and_then(|s| self.nacl_by_subnet.get(s))
        {
            let n = net::NetworkAcl::new(acl.entries.iter().filter_map(nacl_entry).collect());
            let inbound = n.allowed(Direction::Ingress, protocol, &ports, &seen);
            let allowed = inbound
                .iter()
                .fold(AddrSet::empty(), |acc, (_, a, _)| acc.union(a));
            let reply = n.allowed(
                Direction::Egress,
                protocol,
                &PortSet::range(EPHEMERAL.0, EPHEMERAL.1),
                &allowed,
            );
            let replied = reply
                .iter()
                .fold(AddrSet::empty(), |acc, (_, a, _)| acc.union(a));
            if replied.is_empty() {
                return None;
            }
            if preserved {
                exposed = exposed.intersection(&replied);
            }
            if let Some((_, _, rule_number)) = inbound.first() {
                path.push(PathHop::NaclInbound {
                    network_acl_id: acl.id.clone(),
                    rule_number: *rule_number,
                });
            }
            if let Some((_, _, rule_number)) = reply.first() {
                path.push(PathHop::NaclOutboundReply {
                    network_acl_id: acl.id.clone(),
                    rule_number: *rule_number,
                });
            }
        }
        // The target's security groups: a reference to the load balancer's group, or address
        // rules admitting what the target sees.
        let mut admitted = AddrSet::empty();
        let mut first_hop = None;
        for id in &eni.security_group_ids {
            let Some(sg) = self.security_groups.get(id.as_str()) else {
                notes.push(format!("security group {id} is not in the inventory"));
                continue;
            };
            let converted = ConvertedGroup::new(sg);
            let mut hit = |k: usize, set: AddrSet| {
                if set.is_empty() {
                    return;
                }
                admitted = admitted.union(&set);
                if first_hop.is_none() {
                    first_hop = Some(converted.hop(k));
                }
            };
            for (k, _, g) in net::sg::admitted_groups(&converted.rules, protocol, &ports) {
                if front.group_ids.contains(g) {
                    hit(k, exposed.clone());
                }
            }
            for (k, _, addrs) in net::sg::admitted(&converted.rules, protocol, &ports) {
                if preserved {
                    hit(k, addrs.intersection(&exposed));
                } else if addrs.intersects(&seen) {
                    hit(k, exposed.clone());
                }
            }
        }
        let hop = first_hop?;
        path.push(hop);
        path.push(PathHop::Interface {
            id: eni.id.clone(),
            address,
        });
        let exposed = exposed.intersection(&admitted);
        if exposed.is_empty() {
            return None;
        }
        Some((
            eni.id.clone(),
            self.lb_path(front, protocol, port, exposed, path),
        ))
    }

    fn lb_path(
        &self,
        front: &Front<'a>,
        protocol: Protocol,
        port: u16,
        sources: AddrSet,
        path: Vec<PathHop>,
    ) -> InboundPath {
        InboundPath {
            protocol,
            ports: PortSet::single(port),
            sources: sources.describe(),
            exposure: self.exposure(&sources, front.vpc_id),
            source_set: sources,
            via_load_balancer: Some(front.id.clone()),
            path,
        }
    }

    /// The ENI with this private address (an IP target).
    fn eni_by_private_ip(&self, ip: &str) -> Option<&'a NetworkInterface> {
        let ip: IpAddr = ip.trim().parse().ok()?;
        self.eni_by_address.get(ip.to_string().as_str()).copied()
    }

    /// An instance's primary ENI (device index 0), else any of its ENIs.
    fn primary_eni(&self, instance_id: &str) -> Option<&'a NetworkInterface> {
        let enis = self.enis_by_instance.get(instance_id)?;
        enis.iter()
            .find(|e| e.attachment.as_ref().and_then(|a| a.device_index) == Some(0))
            .or(enis.first())
            .copied()
    }
}
