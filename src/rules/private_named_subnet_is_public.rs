//! TIER001: a subnet whose name or tags say private, but whose routes make it public.

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::model::Tags;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::Subnets, Dataset::RouteTables];

/// Words in a subnet name that claim it is not public.
const PRIVATE_WORDS: &[&str] = &[
    "private", "priv", "prv", "internal", "isolated", "db", "database", "rds",
];

/// Tag keys whose value states the subnet's tier.
const TIER_TAG_KEYS: &[&str] = &["Tier", "tier", "Type", "type", "SubnetType", "subnet-type"];

/// The tag that claims the subnet is private, as `(key, value)`.
pub(crate) fn private_claim(tags: &Tags) -> Option<(&str, &str)> {
    let says_private = |value: &str| {
        value
            .to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| PRIVATE_WORDS.contains(&word))
    };
    if let Some(name) = tags.get("Name").filter(|n| says_private(n)) {
        return Some(("Name", name.as_str()));
    }
    TIER_TAG_KEYS.iter().find_map(|key| {
        tags.get_key_value(*key)
            .filter(|(_, v)| says_private(v))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    })
}

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for subnet in &facts.inventory.subnets {
        if !facts.class_of(&subnet.id).is_public() {
            continue;
        }
        let Some((key, value)) = private_claim(&subnet.tags) else {
            continue;
        };
        let Some(route) = facts.deciding_route(&subnet.id) else {
            continue;
        };
        out.push(
            Violation::new(
                facts.subnet_resource(subnet),
                format!(
                    "{} is tagged {key}={value} but is public: {} ({} table) routes {} to \
                     internet gateway {}",
                    subnet.id,
                    route.route_table_id,
                    route.association,
                    route.destination,
                    route.target
                ),
            )
            .evidence(json!({ "tag": { key: value }, "route": route }))
            .remediation(format!(
                "Associate {} with a route table whose default route goes to a NAT gateway \
                 (aws ec2 replace-route-table-association …), or rename it if it is meant to \
                 be public.",
                subnet.id
            ))
            .cause(format!("{}:{}", route.route_table_id, route.destination)),
        );
    }
    out
}
