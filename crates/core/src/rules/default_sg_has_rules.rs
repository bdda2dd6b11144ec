//! SG003: a VPC's default security group has rules.

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::SecurityGroups];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    facts
        .inventory
        .security_groups
        .iter()
        .filter(|g| g.is_default() && (!g.ingress.is_empty() || !g.egress.is_empty()))
        .map(|group| {
            Violation::new(
                facts.security_group_resource(group),
                format!(
                    "default security group {} of {} has {} ingress and {} egress rules",
                    group.id,
                    group.vpc_id.as_deref().unwrap_or("its VPC"),
                    group.ingress.len(),
                    group.egress.len()
                ),
            )
            .evidence(json!({ "ingress": group.ingress, "egress": group.egress }))
            .remediation(format!(
                "Revoke every rule of {} (aws ec2 revoke-security-group-ingress / -egress) and \
                 give each workload a security group of its own.",
                group.id
            ))
        })
        .collect()
}
