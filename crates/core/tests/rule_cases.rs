//! Per-rule cases: small inventories in `fixtures/rules/<ID>.json`, each with every finding
//! it must produce.
//!
//! Each case's inventory is audited with the whole catalog and the default settings (or the
//! case's own), and the set of `(rule id, resource id)` over ALL findings must equal the case's
//! `expected` list, so a collateral false positive from another rule fails the case too. Keep
//! inventories minimal.
//!
//! Fixture format:
//!
//! ```json
//! {"rule": "SG001", "cases": [
//!   {"name": "ssh open to the world on an attached group",
//!    "expected": [["SG001", "sg-0aaa"]],
//!    "severities": {"sg-0aaa": "critical"},
//!    "inventory": {"security_groups": [...], "instances": [...]}},
//!   {"name": "ssh from a security group is fine", "expected": [], "inventory": {...}}
//! ]}
//! ```
//!
//! - `inventory` is a `RegionInventory`; `account` and `region` may be omitted. Unknown keys
//!   anywhere in it are errors (the model's nested types accept them silently, so this test
//!   checks that every key it was given survives a round trip).
//! - `settings` (optional) holds `Settings` keys as in `vpcaudit.toml` (`{"edge": "cloudflare"}`);
//!   omitted keys keep their defaults. A declared edge gets the bundled ranges, as at load.
//! - `severities` (optional) maps a resource id to the severity every finding of the fixture's
//!   rule on that resource must have.
//! - `known_bug` (optional) marks a case where the rule contradicts its doc (`rules/<ID>.md`):
//!   the fixture states what the doc requires, the case is run and reported but does not fail,
//!   unless it passes, which means the bug is fixed and the marker must go.

mod common;

use std::collections::BTreeSet;
use std::io::Write as _;

use common::{Case, Fixture, audit, fixture_dir, fixture_path, load_fixture, parse_inventory};
use vpcaudit_core::finding::Finding;

/// Everything wrong with one case's result; empty when it passes.
fn problems(fixture: &Fixture, case: &Case, findings: &[Finding]) -> Vec<String> {
    let mut out = Vec::new();
    let expected: BTreeSet<(&str, &str)> = case
        .expected
        .iter()
        .map(|(rule, id)| (rule.as_str(), id.as_str()))
        .collect();
    if expected.len() != case.expected.len() {
        out.push("`expected` lists a pair twice".to_owned());
    }
    let actual: BTreeSet<(&str, &str)> = findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.resource.id.as_str()))
        .collect();
    for (rule, id) in expected.difference(&actual) {
        out.push(format!("missing    {rule} {id}"));
    }
    for (rule, id) in actual.difference(&expected) {
        out.push(format!("unexpected {rule} {id}"));
        for f in findings
            .iter()
            .filter(|f| f.rule_id == *rule && f.resource.id == *id)
        {
            out.push(format!(
                "             {} {}: {}",
                f.rule_id, f.severity, f.message
            ));
        }
    }
    for (id, want) in &case.severities {
        let of_rule: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule_id == fixture.rule && &f.resource.id == id)
            .collect();
        if of_rule.is_empty() {
            out.push(format!(
                "severities: no {} finding on {id} to check",
                fixture.rule
            ));
        }
        for f in of_rule.into_iter().filter(|f| f.severity != *want) {
            out.push(format!(
                "severity   {} {id} is {}, expected {want}: {}",
                f.rule_id, f.severity, f.message
            ));
        }
    }
    for f in findings {
        if f.message.trim().is_empty() || !f.message.contains(&f.resource.id) {
            out.push(format!(
                "message of {} {} does not name the resource: {:?}",
                f.rule_id, f.resource.id, f.message
            ));
        }
    }
    out
}

/// Runs every case of `fixtures/rules/<rule_id>.json`; panics with a report of all failures.
fn run_fixture(rule_id: &str) {
    let path = fixture_path(rule_id);
    let file = format!("fixtures/rules/{rule_id}.json");
    let fixture = load_fixture(&path);
    assert_eq!(fixture.rule, rule_id, "{file}: `rule` names another rule");
    assert!(!fixture.cases.is_empty(), "{file}: no cases");
    let mut names = BTreeSet::new();
    let mut failures = Vec::new();
    let mut known_bugs = Vec::new();
    for case in &fixture.cases {
        // Mistakes in the fixture itself fail even in a known_bug case.
        let mut broken = Vec::new();
        if !names.insert(case.name.as_str()) {
            broken.push("another case has the same name".to_owned());
        }
        for id in case.severities.keys() {
            if !case
                .expected
                .iter()
                .any(|(rule, rid)| *rule == fixture.rule && rid == id)
            {
                broken.push(format!(
                    "severities names {id}, but `expected` has no {} finding on it",
                    fixture.rule
                ));
            }
        }
        let found = match parse_inventory(case) {
            Ok(inventory) => problems(&fixture, case, &audit(inventory, &case.settings)),
            Err(e) => {
                broken.push(e);
                Vec::new()
            }
        };
        if !broken.is_empty() {
            failures.push(format!(
                "{file}: case `{}`: broken fixture:\n    {}",
                case.name,
                broken.join("\n    ")
            ));
            continue;
        }
        match (&case.known_bug, found.is_empty()) {
            (None, true) => {}
            (None, false) => failures.push(format!(
                "{file}: case `{}`:\n    {}",
                case.name,
                found.join("\n    ")
            )),
            (Some(_), true) => failures.push(format!(
                "{file}: case `{}` is marked known_bug but now passes: remove the marker",
                case.name
            )),
            (Some(why), false) => known_bugs.push(format!(
                "KNOWN BUG (skipped) {file}: case `{}`\n    {why}\n    {}\n",
                case.name,
                found.join("\n    ")
            )),
        }
    }
    if !known_bugs.is_empty() {
        // Written straight to stderr, past the test harness's output capture, so they are
        // seen on every run; one write so parallel tests do not interleave with it.
        let _ = std::io::stderr().write_all(known_bugs.concat().as_bytes());
    }
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

macro_rules! rule_case_tests {
    ($($test:ident => $id:literal),+ $(,)?) => {
        /// Every rule id with a test function below.
        const TESTED_RULES: &[&str] = &[$($id),+];
        $(
            #[test]
            fn $test() {
                run_fixture($id);
            }
        )+
    };
}

rule_case_tests! {
    env001 => "ENV001",
    env002 => "ENV002",
    az001 => "AZ001",
    az002 => "AZ002",
    az003 => "AZ003",
    az004 => "AZ004",
    az005 => "AZ005",
    tier001 => "TIER001",
    tier002 => "TIER002",
    db001 => "DB001",
    db002 => "DB002",
    db003 => "DB003",
    nat001 => "NAT001",
    nat002 => "NAT002",
    nat003 => "NAT003",
    sg001 => "SG001",
    sg002 => "SG002",
    sg003 => "SG003",
    sg004 => "SG004",
    sg005 => "SG005",
    lam001 => "LAM001",
    lam002 => "LAM002",
    lam003 => "LAM003",
    lam004 => "LAM004",
    nacl001 => "NACL001",
    edge001 => "EDGE001",
    obs001 => "OBS001",
    obs002 => "OBS002",
    obs003 => "OBS003",
}

#[test]
fn every_rule_has_a_fixture_with_positive_and_negative_cases() {
    let catalog: BTreeSet<&str> = vpcaudit_core::rules::all()
        .iter()
        .map(|r| r.meta.id.as_str())
        .collect();
    let tested: BTreeSet<&str> = TESTED_RULES.iter().copied().collect();
    assert_eq!(
        catalog, tested,
        "the rule catalog and the rule_case_tests! list in tests/rule_cases.rs differ"
    );
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixture_dir())
        .expect("fixtures/rules is readable")
        .map(|entry| entry.expect("directory entry").file_name())
        .filter_map(|name| name.into_string().ok())
        .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
        .collect();
    let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
    assert_eq!(
        on_disk, catalog,
        "fixtures/rules/*.json and the rule catalog differ"
    );

    let mut gaps = Vec::new();
    for id in &catalog {
        let fixture = load_fixture(&fixture_path(id));
        let confirmed = || fixture.cases.iter().filter(|c| c.known_bug.is_none());
        if !confirmed().any(|c| c.expects(id)) {
            gaps.push(format!(
                "{id}: no case (other than known bugs) expects an {id} finding"
            ));
        }
        if !confirmed().any(|c| !c.expects(id)) {
            gaps.push(format!(
                "{id}: no case (other than known bugs) where {id} is absent"
            ));
        }
    }
    assert!(gaps.is_empty(), "{}", gaps.join("\n"));
}
