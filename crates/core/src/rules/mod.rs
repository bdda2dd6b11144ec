//! The rule catalog and the engine that runs it.
//!
//! Each rule is one file here (named after what it detects) holding its check, and one file in
//! the top-level `rules/` folder holding its metadata and documentation. The registry below
//! ties them together by id; a test proves the two sides agree.

mod admin_port_open_to_world;
mod all_traffic_open_to_world;
mod api_stage_without_logging;
mod api_stage_without_throttling;
mod backend_port_from_cidr;
mod backend_public_ip_in_public_subnet;
mod blackhole_route;
mod cause;
mod db_port_open_to_cidr;
mod db_publicly_accessible;
mod db_sg_vpc_mismatch;
mod db_subnet_group_public_subnet;
mod db_subnet_group_single_az;
mod default_sg_has_rules;
mod lambda_env_secret;
mod lambda_public_subnets_only;
mod lambda_rds_without_vpc;
mod lambda_single_az;
mod lambda_vpc_unneeded;
mod main_route_table_to_igw;
mod metadata;
mod nacl_admin_port_open_to_world;
mod nat_gateway_cross_az;
mod nat_gateway_without_igw_route;
mod origin_not_edge_only;
mod private_named_subnet_is_public;
mod private_subnet_without_egress;
mod production_db_single_az;
mod tier_single_az;
mod vpc_flow_logs_disabled;
mod vpc_mixed_environments;
mod workload_in_default_vpc;
mod world_open;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::analysis::ScopeFacts;
use crate::config::{RuleSelection, Settings};
use crate::finding::{Finding, Principle, Resource, Severity, fingerprint};
use crate::snapshot::{Dataset, Snapshot};
pub use cause::Cause;
pub use metadata::{RuleDoc, RuleMetadata};

/// What a check returns for one problem it found; the engine adds the rule's metadata.
#[derive(Debug, Clone)]
pub struct Violation {
    pub resource: Resource,
    pub message: String,
    pub evidence: serde_json::Value,
    pub remediation: String,
    /// What distinguishes this violation from others of the same rule on the same resource
    /// (a route, a rule, a port): documented keys, part of the fingerprint (see [`Cause`]).
    pub cause: Cause,
    /// Set when this instance is more or less severe than the rule's default.
    pub severity: Option<Severity>,
}

impl Violation {
    pub fn new(resource: Resource, message: String) -> Violation {
        Violation {
            resource,
            message,
            evidence: serde_json::Value::Null,
            remediation: String::new(),
            cause: Cause::none(),
            severity: None,
        }
    }

    pub fn evidence(mut self, evidence: serde_json::Value) -> Violation {
        self.evidence = evidence;
        self
    }

    pub fn remediation(mut self, remediation: impl Into<String>) -> Violation {
        self.remediation = remediation.into();
        self
    }

    pub fn cause(mut self, cause: Cause) -> Violation {
        self.cause = cause;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Violation {
        self.severity = Some(severity);
        self
    }
}

pub type Check = fn(&ScopeFacts<'_>) -> Vec<Violation>;

/// A rule: its metadata (parsed from its doc file), the data it needs, and its check.
pub struct Rule {
    pub meta: RuleMetadata,
    pub doc: RuleDoc,
    /// The datasets the check reads: if any could not be collected, the rule is not evaluated.
    pub requires: &'static [Dataset],
    /// Datasets the check also reads to follow the network further (routes to inspection
    /// endpoints, Elastic IPs, load balancers): without them it still runs on the rest, and
    /// the scan lists it as partly evaluated (`not_evaluated`, naming what was missing).
    pub also_reads: &'static [Dataset],
    pub check: Check,
}

/// What a rule that classifies subnets also reads: a route to a Gateway Load Balancer or
/// firewall endpoint continues through the endpoint's subnet.
pub(super) const FOLLOWS_ROUTES: &[Dataset] = &[Dataset::VpcEndpoints];

/// What a rule that follows internet paths into resources also reads: inspection endpoints,
/// Elastic IPs, and the paths through load balancers.
pub(super) const FOLLOWS_PATHS: &[Dataset] = &[
    Dataset::VpcEndpoints,
    Dataset::ElasticIps,
    Dataset::LoadBalancers,
    Dataset::Listeners,
    Dataset::TargetGroups,
    Dataset::TargetHealth,
    Dataset::TargetGroupAttributes,
    Dataset::ClassicLoadBalancers,
];

/// The source of each rule: id, doc file and code.
struct RuleSource {
    id: &'static str,
    doc: &'static str,
    requires: &'static [Dataset],
    also_reads: &'static [Dataset],
    check: Check,
}

macro_rules! rule {
    ($id:literal, $module:ident) => {
        RuleSource {
            id: $id,
            doc: include_str!(concat!("../../rules/", $id, ".md")),
            requires: $module::REQUIRES,
            also_reads: &[],
            check: $module::check,
        }
    };
    ($id:literal, $module:ident, also_reads) => {
        RuleSource {
            id: $id,
            doc: include_str!(concat!("../../rules/", $id, ".md")),
            requires: $module::REQUIRES,
            also_reads: $module::ALSO_READS,
            check: $module::check,
        }
    };
}

const SOURCES: &[RuleSource] = &[
    rule!("ENV001", vpc_mixed_environments),
    rule!("ENV002", workload_in_default_vpc),
    rule!("AZ001", tier_single_az, also_reads),
    rule!("AZ002", db_subnet_group_single_az),
    rule!("AZ003", production_db_single_az),
    rule!("AZ004", lambda_single_az),
    rule!("AZ005", nat_gateway_cross_az, also_reads),
    rule!("TIER001", private_named_subnet_is_public, also_reads),
    rule!("TIER002", backend_public_ip_in_public_subnet, also_reads),
    rule!("DB001", db_publicly_accessible, also_reads),
    rule!("DB002", db_subnet_group_public_subnet, also_reads),
    rule!("DB003", db_port_open_to_cidr, also_reads),
    rule!("NAT001", nat_gateway_without_igw_route, also_reads),
    rule!("NAT002", blackhole_route),
    rule!("NAT003", main_route_table_to_igw, also_reads),
    rule!("NAT004", private_subnet_without_egress),
    rule!("SG001", admin_port_open_to_world, also_reads),
    rule!("SG002", all_traffic_open_to_world, also_reads),
    rule!("SG003", default_sg_has_rules),
    rule!("SG004", backend_port_from_cidr, also_reads),
    rule!("SG005", db_sg_vpc_mismatch),
    rule!("NACL001", nacl_admin_port_open_to_world, also_reads),
    rule!("LAM001", lambda_public_subnets_only, also_reads),
    rule!("LAM002", lambda_rds_without_vpc),
    rule!("LAM003", lambda_env_secret),
    rule!("LAM004", lambda_vpc_unneeded, also_reads),
    rule!("EDGE001", origin_not_edge_only, also_reads),
    rule!("OBS001", vpc_flow_logs_disabled),
    rule!("OBS002", api_stage_without_logging),
    rule!("OBS003", api_stage_without_throttling),
];

/// Every rule, in catalog order.
pub fn all() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        SOURCES
            .iter()
            .map(|source| {
                // The docs are compiled in and checked by tests, so a parse failure here is a
                // bug in this build, not bad user input.
                let (meta, doc) = metadata::parse(source.doc)
                    .unwrap_or_else(|e| panic!("rules/{}.md: {e}", source.id));
                assert_eq!(
                    meta.id, source.id,
                    "rules/{}.md declares another id",
                    source.id
                );
                Rule {
                    meta,
                    doc,
                    requires: source.requires,
                    also_reads: source.also_reads,
                    check: source.check,
                }
            })
            .collect()
    })
}

/// Looks a rule up by id, case-insensitively.
pub fn find(id: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.meta.id.eq_ignore_ascii_case(id))
}

/// A rule that could not be evaluated somewhere because data it needs is missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NotEvaluated {
    pub rule_id: String,
    pub account: String,
    pub region: String,
    pub missing: Vec<String>,
}

/// The result of running the catalog over a snapshot.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub rules_run: usize,
}

/// Runs every rule over every scope of the snapshot. Rules whose data is missing in a scope are
/// skipped there and listed, never counted as passing.
pub fn evaluate(snapshot: &Snapshot, settings: &Settings) -> Evaluation {
    evaluate_selected(snapshot, settings, &RuleSelection::default())
}

/// Runs the rules the selection enables, at the severities it sets.
pub fn evaluate_selected(
    snapshot: &Snapshot,
    settings: &Settings,
    selection: &RuleSelection,
) -> Evaluation {
    let enabled: Vec<&Rule> = all()
        .iter()
        .filter(|r| selection.is_enabled(&r.meta))
        .collect();
    let mut evaluation = Evaluation {
        rules_run: enabled.len(),
        ..Evaluation::default()
    };
    let failed = snapshot.coverage.missing();
    // Shared VPCs are judged once, in their owner's scope when it is in the snapshot.
    let scopes = crate::shared_vpc::plan(snapshot, settings);
    for scope in &scopes {
        let facts = ScopeFacts::build(&scope.inventory, settings).with_owners(&scope.owners);
        for rule in &enabled {
            let missing = scope.missing(rule.requires, &failed, snapshot);
            // What only a shared VPC's owner could tell (its owner not in the scan).
            let gaps = scope.gaps(&rule.meta.id);
            let not_evaluated = |missing: Vec<String>| NotEvaluated {
                rule_id: rule.meta.id.clone(),
                account: scope.account().to_owned(),
                region: scope.region().to_owned(),
                missing,
            };
            if !missing.is_empty() {
                evaluation
                    .not_evaluated
                    .push(not_evaluated([missing, gaps].concat()));
                continue;
            }
            // Datasets read to follow the network further: the rule runs on the rest.
            let partly: Vec<String> = scope
                .missing(rule.also_reads, &failed, snapshot)
                .into_iter()
                .map(|m| format!("{m} (partly evaluated without it)"))
                .collect();
            let severity = selection.severity_of(&rule.meta.id);
            for violation in (rule.check)(&facts) {
                if scope.withheld(&rule.meta.id, &violation.resource.id) {
                    continue;
                }
                let mut finding = finding(rule, violation);
                if let Some(severity) = severity {
                    finding.severity = severity;
                }
                evaluation.findings.push(finding);
            }
            if !gaps.is_empty() || !partly.is_empty() {
                evaluation
                    .not_evaluated
                    .push(not_evaluated([partly, gaps].concat()));
            }
        }
    }
    sort_findings(&mut evaluation.findings);
    // A shared VPC's network seen by several participants (its owner not in the scan) is
    // judged from each side alike: one finding per fingerprint.
    evaluation
        .findings
        .dedup_by(|a, b| a.rule_id == b.rule_id && a.fingerprint == b.fingerprint);
    evaluation
}

fn finding(rule: &Rule, v: Violation) -> Finding {
    let fingerprint = fingerprint(&[
        &rule.meta.id,
        &v.resource.account,
        &v.resource.region,
        &v.resource.id,
        &v.cause.encoded(),
    ]);
    let remediation = if v.remediation.is_empty() {
        rule.doc.fix_summary.clone()
    } else {
        v.remediation
    };
    Finding {
        rule_id: rule.meta.id.clone(),
        severity: v.severity.unwrap_or(rule.meta.severity),
        principle: rule.meta.principle,
        resource: v.resource,
        message: v.message,
        evidence: v.evidence,
        remediation,
        fingerprint,
        suppression: None,
    }
}

/// Most severe first, then by rule, account, region, resource and cause: a stable order so
/// reports diff cleanly between runs.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.resource.account.cmp(&b.resource.account))
            .then_with(|| a.resource.region.cmp(&b.resource.region))
            .then_with(|| a.resource.id.cmp(&b.resource.id))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
}

/// The principles a rule set covers, for reports.
pub fn principles_covered() -> Vec<Principle> {
    let mut principles: Vec<Principle> = all().iter().map(|r| r.meta.principle).collect();
    principles.sort();
    principles.dedup();
    principles
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_rule_parses_and_ids_are_unique() {
        let ids: BTreeSet<&str> = all().iter().map(|r| r.meta.id.as_str()).collect();
        assert_eq!(ids.len(), SOURCES.len(), "duplicate rule ids");
        let names: BTreeSet<&str> = all().iter().map(|r| r.meta.name.as_str()).collect();
        assert_eq!(names.len(), SOURCES.len(), "duplicate rule names");
    }

    #[test]
    fn every_doc_file_has_a_rule_and_every_rule_a_doc_file() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("rules/ is readable")
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter_map(|name| name.strip_suffix(".md").map(str::to_owned))
            .collect();
        on_disk.sort();
        let mut registered: Vec<String> = SOURCES.iter().map(|s| s.id.to_owned()).collect();
        registered.sort();
        assert_eq!(on_disk, registered, "rules/*.md and the registry differ");
    }

    #[test]
    fn every_doc_has_the_standard_sections_in_order() {
        for rule in all() {
            let headings: Vec<&str> = rule.doc.sections.iter().map(|(h, _)| h.as_str()).collect();
            assert_eq!(
                headings,
                metadata::SECTIONS,
                "rules/{}.md sections",
                rule.meta.id
            );
            for (heading, body) in &rule.doc.sections {
                assert!(
                    !body.is_empty() && !body.contains("TODO"),
                    "rules/{}.md: section `{heading}` is empty or unfinished",
                    rule.meta.id
                );
            }
        }
    }

    #[test]
    fn every_principle_in_the_foundation_has_a_rule() {
        let covered = principles_covered();
        for &principle in Principle::ALL {
            assert!(covered.contains(&principle), "no rule for {principle}");
        }
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(find("sg001").map(|r| r.meta.id.as_str()), Some("SG001"));
        assert!(find("NOPE1").is_none());
    }
}
