//! Shared VPCs (AWS RAM): the cases in `fixtures/shared/shared_vpc.json`, each a snapshot of
//! an owner's and/or a participant's scopes, audited through the pipeline. Every finding and
//! every `coverage.not_evaluated` entry must be listed (a collateral one fails the case), the
//! scan is complete exactly when nothing is listed as not evaluated, and a finding names its
//! resource's account in its ARN too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use vpcaudit_core::config::Config;
use vpcaudit_core::model::RegionInventory;
use vpcaudit_core::pipeline::{self, ExitStatus};
use vpcaudit_core::report::Report;
use vpcaudit_core::snapshot::{Coverage, SNAPSHOT_FORMAT_VERSION, Snapshot, ToolInfo};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    #[allow(dead_code)]
    description: String,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    scopes: Vec<RegionInventory>,
    #[serde(default)]
    coverage: Coverage,
    /// `[rule, resource.account, resource.id]` of every finding.
    expected: Vec<(String, String, String)>,
    /// `[rule, account, text]`: every not-evaluated entry, with a text its `missing` holds.
    not_evaluated: Vec<(String, String, String)>,
}

fn load() -> Fixture {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/shared/shared_vpc.json");
    let text = std::fs::read_to_string(&path).expect("fixture is readable");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn snapshot(case: &Case) -> Snapshot {
    let accounts: BTreeSet<String> = case.scopes.iter().map(|s| s.account.clone()).collect();
    let regions: BTreeSet<String> = case.scopes.iter().map(|s| s.region.clone()).collect();
    Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        tool: ToolInfo::current(),
        collected_at: "2026-12-01T00:00:00Z".to_owned(),
        account: accounts.iter().next().cloned(),
        accounts: accounts.into_iter().collect(),
        regions: regions.into_iter().collect(),
        scopes: case.scopes.clone(),
        coverage: case.coverage.clone(),
        collection: None,
    }
}

fn audit(case: &Case) -> Report {
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date");
    pipeline::audit(&snapshot(case), &Config::default(), None, today)
}

fn problems(case: &Case, report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let expected: BTreeSet<(&str, &str, &str)> = case
        .expected
        .iter()
        .map(|(r, a, i)| (r.as_str(), a.as_str(), i.as_str()))
        .collect();
    let actual: Vec<(&str, &str, &str)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.rule_id.as_str(),
                f.resource.account.as_str(),
                f.resource.id.as_str(),
            )
        })
        .collect();
    let actual_set: BTreeSet<(&str, &str, &str)> = actual.iter().copied().collect();
    if actual.len() != actual_set.len() {
        out.push(format!("a finding is reported twice: {actual:?}"));
    }
    for missing in expected.difference(&actual_set) {
        out.push(format!("missing finding    {missing:?}"));
    }
    for unexpected in actual_set.difference(&expected) {
        out.push(format!("unexpected finding {unexpected:?}"));
    }
    for finding in &report.findings {
        let account = format!(":{}:", finding.resource.account);
        if !finding.resource.arn.contains(&account) {
            out.push(format!(
                "{} on {}: ARN {} does not name account {}",
                finding.rule_id,
                finding.resource.id,
                finding.resource.arn,
                finding.resource.account
            ));
        }
    }
    let mut skipped: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for entry in &report.coverage.not_evaluated {
        skipped
            .entry((entry.rule_id.as_str(), entry.account.as_str()))
            .or_default()
            .extend(entry.missing.iter().map(String::as_str));
    }
    let listed: BTreeSet<(&str, &str)> = case
        .not_evaluated
        .iter()
        .map(|(r, a, _)| (r.as_str(), a.as_str()))
        .collect();
    for (rule, account, text) in &case.not_evaluated {
        match skipped.get(&(rule.as_str(), account.as_str())) {
            None => out.push(format!(
                "{rule} in {account} was evaluated; expected it not to be"
            )),
            Some(missing) if !missing.iter().any(|m| m.contains(text.as_str())) => out.push(
                format!("{rule} in {account}: no missing entry mentions `{text}`: {missing:?}"),
            ),
            Some(_) => {}
        }
    }
    for (key, missing) in &skipped {
        if !listed.contains(key) {
            out.push(format!(
                "unexpected not evaluated {} in {}: {missing:?}",
                key.0, key.1
            ));
        }
    }
    let complete = case.not_evaluated.is_empty() && case.coverage.errors.is_empty();
    if report.summary.complete != complete {
        out.push(format!(
            "summary.complete is {}, expected {complete}",
            report.summary.complete
        ));
    }
    if !complete && pipeline::status(report, None) != ExitStatus::Incomplete {
        out.push("an incomplete scan must exit 3".to_owned());
    }
    out
}

#[test]
fn shared_vpc_cases() {
    let fixture = load();
    let mut failures = Vec::new();
    for case in &fixture.cases {
        let report = audit(case);
        let problems = problems(case, &report);
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", case.name, problems.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Joining never changes who a participant's finding is about: its fingerprint is the one the
/// participant's own scan gives it.
#[test]
fn a_participant_finding_keeps_its_fingerprint_when_joined() {
    let fixture = load();
    let case = |prefix: &str| {
        fixture
            .cases
            .iter()
            .find(|c| c.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no case `{prefix}…`"))
    };
    let fingerprint = |case: &Case| {
        audit(case)
            .findings
            .iter()
            .find(|f| f.rule_id == "SG001")
            .map(|f| (f.fingerprint.clone(), f.resource.clone()))
            .expect("an SG001 finding")
    };
    let alone = fingerprint(case("participant side alone: SSH"));
    let joined = fingerprint(case("joined: SSH"));
    assert_eq!(alone, joined);
    assert_eq!(
        joined.1.arn,
        "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-participant-admin"
    );
}
