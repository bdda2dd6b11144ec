//! Shared judgement of rules open to the internet (SG001, SG002): how exposed the group is.

use serde_json::{Value, json};

use crate::analysis::ScopeFacts;
use crate::finding::Severity;
use crate::model::{SecurityGroup, SecurityGroupRule};
use crate::snapshot::Dataset;

pub(super) const REQUIRES: [Dataset; 7] = [
    Dataset::SecurityGroups,
    Dataset::Instances,
    Dataset::NetworkInterfaces,
    Dataset::DbInstances,
    Dataset::DbClusters,
    Dataset::DbSubnetGroups,
    Dataset::LambdaFunctions,
];

/// Protocol -1, or TCP/UDP on every port.
pub(super) fn admits_all(rule: &SecurityGroupRule) -> bool {
    rule.admits_everything()
        || ((rule.protocol.is_tcp() || rule.protocol.is_udp())
            && rule.ports.is_none_or(|r| r.is_every_port()))
}

/// A severity override and a message suffix. An unattached group exposes nothing today, so it
/// is reported at medium: still a trap for the next thing attached to it.
pub(super) fn exposure(
    facts: &ScopeFacts<'_>,
    group: &SecurityGroup,
) -> (Option<Severity>, String) {
    match facts.sg_users.get(group.id.as_str()) {
        Some(users) if !users.is_empty() => {
            let ids: Vec<&str> = users.iter().map(|u| u.id).take(3).collect();
            let more = users.len().saturating_sub(3);
            let tail = if more > 0 {
                format!(" +{more} more")
            } else {
                String::new()
            };
            (None, format!("; carried by {}{tail}", ids.join(", ")))
        }
        _ => (
            Some(Severity::Medium),
            "; not attached to anything yet".to_owned(),
        ),
    }
}

pub(super) fn carriers(facts: &ScopeFacts<'_>, group: &SecurityGroup) -> Value {
    let users = facts.sg_users.get(group.id.as_str());
    Value::Array(
        users
            .into_iter()
            .flatten()
            .map(|u| json!({ "kind": u.kind.name(), "id": u.id, "public_ip": u.public_ip }))
            .collect(),
    )
}
