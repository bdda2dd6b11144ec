//! TIER001: a subnet whose name or tags say private, but whose routes make it public.

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::ScopeFacts;
use crate::model::Tags;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::Subnets, Dataset::RouteTables];

/// Read to follow the network further; without them the rule runs on the rest.
pub(super) const ALSO_READS: &[Dataset] = super::FOLLOWS_ROUTES;

/// Words in a subnet name that claim it is not public.
const PRIVATE_WORDS: &[&str] = &[
    "private", "priv", "prv", "internal", "isolated", "db", "database", "rds",
];

/// Tag keys whose value states the subnet's tier.
const TIER_TAG_KEYS: &[&str] = &[
    "Tier",
    "tier",
    "Type",
    "type",
    "SubnetType",
    "subnet-type",
    "aws-cdk:subnet-type",
];

/// Splits a name into lower-case words at punctuation, case changes and digits, so
/// `app-private-1a`, `PrivateSubnet1A` and `Stack/Vpc/PrivateSubnet1` all yield `private`.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous: Option<char> = None;
    for c in name.chars() {
        let boundary = match previous {
            _ if !c.is_ascii_alphanumeric() => true,
            Some(p) => {
                (p.is_ascii_lowercase() && c.is_ascii_uppercase())
                    || (p.is_ascii_digit() != c.is_ascii_digit())
            }
            None => false,
        };
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        }
        previous = Some(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The tag that claims the subnet is private, as `(key, value)`.
pub(crate) fn private_claim(tags: &Tags) -> Option<(&str, &str)> {
    let says_private = |value: &str| {
        words(value)
            .iter()
            .any(|word| PRIVATE_WORDS.contains(&word.as_str()))
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
            .cause(Cause::table_route(
                &route.route_table_id,
                &route.route_destination,
            )),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn splits_names_the_way_people_and_tools_write_them() {
        assert_eq!(words("app-private-1a"), ["app", "private", "1", "a"]);
        assert_eq!(words("PrivateSubnet1A"), ["private", "subnet", "1", "a"]);
        assert_eq!(
            words("Stack/Vpc/PrivateSubnet1"),
            ["stack", "vpc", "private", "subnet", "1"]
        );
        assert_eq!(words("sandbox-public"), ["sandbox", "public"]);
        assert_eq!(words("DBSubnet"), ["dbsubnet"]);
    }
}
