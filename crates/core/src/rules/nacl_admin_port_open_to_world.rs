//! NACL001: a network ACL entry deliberately opens an admin port to the internet.

use ipnet::IpNet;
use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::ScopeFacts;
use crate::model::{NetworkAcl, NetworkAclEntry, PortRange};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::NetworkAcls];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for acl in facts
        .inventory
        .network_acls
        .iter()
        .filter(|a| !a.subnet_ids.is_empty())
    {
        let mut inbound: Vec<&NetworkAclEntry> = acl.entries.iter().filter(|e| !e.egress).collect();
        inbound.sort_by_key(|e| e.rule_number);
        for (i, entry) in inbound.iter().enumerate() {
            if !entry.action.eq_ignore_ascii_case("allow") || !entry.protocol.is_tcp() {
                continue;
            }
            let Some(source) = world_source(entry) else {
                continue;
            };
            // Protocol -1 (the AWS default "allow all") and tcp 0-65535 leave filtering to
            // security groups; only a deliberate port range is an opening.
            let Some(range) = entry.port_range.filter(|r| !r.is_every_port()) else {
                continue;
            };
            // Entries are evaluated lowest number first: an earlier deny wins.
            let earlier = inbound.get(..i).unwrap_or_default();
            let ports: Vec<u16> = facts
                .settings
                .admin_ports
                .iter()
                .copied()
                .filter(|p| range.contains(*p) && !denied_earlier(earlier, source, *p))
                .collect();
            if ports.is_empty() {
                continue;
            }
            out.push(violation(facts, acl, entry, source, range, &ports));
        }
    }
    out
}

fn violation(
    facts: &ScopeFacts<'_>,
    acl: &NetworkAcl,
    entry: &NetworkAclEntry,
    source: IpNet,
    range: PortRange,
    ports: &[u16],
) -> Violation {
    let admitted = if range.from == range.to {
        format!("tcp/{}", range.from)
    } else {
        format!("tcp/{}-{}", range.from, range.to)
    };
    let ports_text = ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let noun = if ports.len() == 1 { "port" } else { "ports" };
    let cidr_flag = match source {
        IpNet::V4(_) => "--cidr-block",
        IpNet::V6(_) => "--ipv6-cidr-block",
    };
    Violation::new(
        facts.network_acl_resource(acl),
        format!(
            "network ACL {} inbound entry #{} allows {admitted} from {source} (admin {noun} \
             {ports_text}) into {}",
            acl.id,
            entry.rule_number,
            acl.subnet_ids.join(", ")
        ),
    )
    .evidence(json!({
        "entry": entry,
        "admin_ports": ports,
        "subnets": acl.subnet_ids,
    }))
    .remediation(format!(
        "Delete inbound entry #{n} of {acl} (aws ec2 delete-network-acl-entry --network-acl-id \
         {acl} --ingress --rule-number {n}), or narrow it with replace-network-acl-entry \
         {cidr_flag} set to the administrators' range; reach hosts through SSM Session Manager.",
        n = entry.rule_number,
        acl = acl.id,
    ))
    .cause(Cause::nacl_ingress(entry.rule_number, source))
}

/// The entry's source when it is 0.0.0.0/0 or ::/0.
fn world_source(entry: &NetworkAclEntry) -> Option<IpNet> {
    let source = source(entry)?;
    (source.prefix_len() == 0).then_some(source)
}

fn source(entry: &NetworkAclEntry) -> Option<IpNet> {
    entry
        .cidr_block
        .map(IpNet::V4)
        .or(entry.ipv6_cidr_block.map(IpNet::V6))
}

/// Whether one of `earlier` (lower-numbered inbound entries) denies TCP `port` for every
/// address of `source`.
fn denied_earlier(earlier: &[&NetworkAclEntry], source: IpNet, port: u16) -> bool {
    earlier.iter().any(|e| {
        e.action.eq_ignore_ascii_case("deny")
            && self::source(e).is_some_and(|s| s.contains(&source))
            && (e.protocol.is_all()
                || (e.protocol.is_tcp() && e.port_range.is_none_or(|r| r.contains(port))))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Protocol;

    fn entry(
        number: i32,
        action: &str,
        protocol: &str,
        cidr: &str,
        ports: (i32, i32),
    ) -> NetworkAclEntry {
        NetworkAclEntry {
            rule_number: number,
            egress: false,
            action: action.to_owned(),
            protocol: Protocol(protocol.to_owned()),
            cidr_block: Some(cidr.parse().unwrap()),
            ipv6_cidr_block: None,
            port_range: Some(PortRange {
                from: ports.0,
                to: ports.1,
            }),
        }
    }

    #[test]
    fn an_earlier_deny_shadows_only_what_it_covers() {
        let world: IpNet = "0.0.0.0/0".parse().unwrap();
        let deny_ssh = entry(50, "deny", "6", "0.0.0.0/0", (22, 22));
        let deny_office = entry(60, "deny", "6", "203.0.113.0/24", (0, 65535));
        let deny_all = entry(70, "deny", "-1", "0.0.0.0/0", (0, 0));
        assert!(denied_earlier(&[&deny_ssh], world, 22));
        assert!(!denied_earlier(&[&deny_ssh], world, 3389));
        // A deny for part of the internet leaves the rest of it admitted.
        assert!(!denied_earlier(&[&deny_office], world, 22));
        assert!(denied_earlier(&[&deny_all], world, 3389));
        // A deny for UDP does not stop TCP.
        let deny_udp = entry(80, "deny", "17", "0.0.0.0/0", (22, 22));
        assert!(!denied_earlier(&[&deny_udp], world, 22));
    }

    #[test]
    fn only_world_sources_count() {
        assert!(world_source(&entry(100, "allow", "6", "0.0.0.0/0", (22, 22))).is_some());
        assert!(world_source(&entry(100, "allow", "6", "10.0.0.0/8", (22, 22))).is_none());
    }
}
