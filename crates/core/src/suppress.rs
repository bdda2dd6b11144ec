//! Suppressions: accepted findings, with a reason, optionally until a date.
//!
//! A suppressed finding stays in the report, marked, and no longer fails the run. An expired
//! suppression stops suppressing and is reported; one that matches nothing is reported as
//! stale, so the configuration does not silently rot.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::SuppressionRule;
use crate::finding::{Finding, Suppression};
use crate::model::Tags;
use crate::snapshot::Snapshot;

/// What became of the configured suppressions in one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuppressionReport {
    /// Past their `expires` date: they no longer suppress anything.
    pub expired: Vec<SuppressionNote>,
    /// Matched no finding: the problem was fixed, or the entry is wrong.
    pub stale: Vec<SuppressionNote>,
}

impl SuppressionReport {
    pub fn is_empty(&self) -> bool {
        self.expired.is_empty() && self.stale.is_empty()
    }
}

/// A suppression as reported back to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuppressionNote {
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub source: String,
    /// How many findings it would have matched (for expired ones).
    #[serde(default)]
    pub matches: usize,
}

impl SuppressionNote {
    fn new(rule: &SuppressionRule, matches: usize) -> SuppressionNote {
        SuppressionNote {
            rule: rule.rule.clone(),
            resource: rule.resource.clone(),
            tags: rule.tags.clone(),
            reason: rule.reason.clone(),
            expires: rule.expires.map(|d| d.to_string()),
            source: rule.source.clone(),
            matches,
        }
    }
}

/// Marks the findings that an active suppression matches, and reports expired and stale ones.
pub fn apply(
    findings: &mut [Finding],
    rules: &[SuppressionRule],
    snapshot: &Snapshot,
    today: NaiveDate,
) -> SuppressionReport {
    let mut report = SuppressionReport::default();
    if rules.is_empty() {
        return report;
    }
    let tags = tag_index(snapshot);
    let no_tags = Tags::new();
    for rule in rules {
        let expired = rule.expires.is_some_and(|last_day| last_day < today);
        let mut matches = 0;
        for finding in findings.iter_mut() {
            let resource_tags = tags
                .get(finding.resource.id.as_str())
                .copied()
                .unwrap_or(&no_tags);
            if !matches_finding(rule, finding, resource_tags) {
                continue;
            }
            matches += 1;
            if !expired && finding.suppression.is_none() {
                finding.suppression = Some(Suppression {
                    reason: rule.reason.clone(),
                    expires: rule.expires.map(|d| d.to_string()),
                    source: rule.source.clone(),
                });
            }
        }
        if expired {
            report.expired.push(SuppressionNote::new(rule, matches));
        } else if matches == 0 {
            report.stale.push(SuppressionNote::new(rule, 0));
        }
    }
    report
}

fn matches_finding(rule: &SuppressionRule, finding: &Finding, tags: &Tags) -> bool {
    if rule.rule != "*" && rule.rule != finding.rule_id {
        return false;
    }
    let resource = &finding.resource;
    let resource_matches = rule.resource.as_deref().is_none_or(|pattern| {
        glob_match(pattern, &resource.id)
            || glob_match(pattern, &resource.arn)
            || resource
                .name
                .as_deref()
                .is_some_and(|n| glob_match(pattern, n))
    });
    resource_matches && rule.tags.iter().all(|(k, v)| tags.get(k) == Some(v))
}

/// Tags of every taggable resource in the snapshot, by id.
fn tag_index(snapshot: &Snapshot) -> HashMap<&str, &Tags> {
    let mut index = HashMap::new();
    for scope in &snapshot.scopes {
        let pairs = scope
            .vpcs
            .iter()
            .map(|r| (r.id.as_str(), &r.tags))
            .chain(scope.subnets.iter().map(|r| (r.id.as_str(), &r.tags)))
            .chain(scope.route_tables.iter().map(|r| (r.id.as_str(), &r.tags)))
            .chain(scope.nat_gateways.iter().map(|r| (r.id.as_str(), &r.tags)))
            .chain(scope.network_acls.iter().map(|r| (r.id.as_str(), &r.tags)))
            .chain(
                scope
                    .security_groups
                    .iter()
                    .map(|r| (r.id.as_str(), &r.tags)),
            )
            .chain(
                scope
                    .network_interfaces
                    .iter()
                    .map(|r| (r.id.as_str(), &r.tags)),
            )
            .chain(scope.instances.iter().map(|r| (r.id.as_str(), &r.tags)))
            .chain(scope.db_instances.iter().map(|r| (r.id.as_str(), &r.tags)))
            .chain(scope.db_clusters.iter().map(|r| (r.id.as_str(), &r.tags)));
        index.extend(pairs);
    }
    index
}

/// Shell-style glob: `*` matches any run of characters, `?` exactly one.
///
/// Linear backtracking over the last `*` only, so a hostile pattern costs at most
/// `pattern × text` steps, never exponential time.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while let Some(&tc) = t.get(ti) {
        match p.get(pi) {
            Some('*') => {
                backtrack = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == tc => {
                pi += 1;
                ti += 1;
            }
            _ => match backtrack {
                Some((star, matched)) => {
                    pi = star + 1;
                    ti = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_pattern_and_text_is_safe(pattern in "\\PC{0,40}", text in "\\PC{0,40}") {
            let _ = glob_match(&pattern, &text);
        }

        #[test]
        fn a_text_matches_itself_and_star(text in "[^*?]{0,40}") {
            prop_assert!(glob_match(&text, &text));
            prop_assert!(glob_match("*", &text));
            let (pattern, longer) = (format!("*{text}"), format!("«x»{text}"));
            prop_assert!(glob_match(&pattern, &longer));
        }

        #[test]
        fn question_mark_is_one_character_not_one_byte(c in any::<char>()) {
            prop_assert!(glob_match("?", &c.to_string()));
            prop_assert!(!glob_match("??", &c.to_string()));
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("sg-0abc*", "sg-0abc123"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match(
            "arn:aws:ec2:*:sg-?",
            "arn:aws:ec2:eu-west-1:1:sg-1"
        ));
        assert!(glob_match("sg-1", "sg-1"));
        assert!(!glob_match("sg-1", "sg-12"));
        assert!(!glob_match("sg-?", "sg-12"));
        assert!(glob_match("*-bastion-*", "acme-bastion-a"));
        assert!(!glob_match("", "x"));
    }
}
