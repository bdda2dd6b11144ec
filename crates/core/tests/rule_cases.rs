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
use vpcaudit_core::model::RegionInventory;
use vpcaudit_core::snapshot::Dataset;

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

/// One run over the registry, not a hand-kept list: a rule added to `rules/mod.rs` without a
/// fixture fails here. `VPCAUDIT_RULE=SG001` runs one rule's fixture only.
#[test]
fn every_rule_passes_its_fixture() {
    let only = std::env::var("VPCAUDIT_RULE").ok();
    let mut failures = Vec::new();
    for rule in vpcaudit_core::rules::all() {
        let id = rule.meta.id.as_str();
        if only.as_deref().is_some_and(|o| !o.eq_ignore_ascii_case(id)) {
            continue;
        }
        if !fixture_path(id).exists() {
            failures.push(format!("{id}: fixtures/rules/{id}.json is missing"));
            continue;
        }
        if let Err(panic) = std::panic::catch_unwind(|| run_fixture(id)) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{id}: {message}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The inventory field that holds a dataset (API Gateway stages of both kinds share one).
fn field_of(dataset: Dataset) -> String {
    match dataset {
        Dataset::RestApiStages | Dataset::HttpApiStages => "api_stages".to_owned(),
        Dataset::TargetHealth => "targets".to_owned(),
        // Attributes are fields of each target group (client IP preservation).
        Dataset::TargetGroupAttributes => "target_groups".to_owned(),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
    }
}

/// A rule reads only the datasets it declares in `REQUIRES` (or `ALSO_READS`, which it runs
/// without and is then listed as partly evaluated): blanking every other dataset of each
/// fixture case leaves its findings unchanged. Otherwise it could read a dataset that failed to
/// load and be reported as evaluated.
#[test]
fn every_rule_reads_only_what_it_requires() {
    let mut failures = Vec::new();
    for path in fixture_paths() {
        let fixture = load_fixture(&path);
        for case in &fixture.cases {
            let Ok(inventory) = parse_inventory(case) else {
                continue; // reported by every_rule_passes_its_fixture
            };
            let full = audit(inventory.clone(), &case.settings);
            for rule in vpcaudit_core::rules::all() {
                let required: BTreeSet<String> = rule
                    .requires
                    .iter()
                    .chain(rule.also_reads)
                    .map(|d| field_of(*d))
                    .collect();
                let mut value = serde_json::to_value(&inventory).expect("inventory serialises");
                for &dataset in Dataset::ALL {
                    let field = field_of(dataset);
                    if !required.contains(&field) {
                        value[field.as_str()] = serde_json::json!([]);
                    }
                }
                let blanked: RegionInventory =
                    serde_json::from_value(value).expect("blanked inventory parses");
                let of_rule = |findings: &[Finding]| -> BTreeSet<(String, String)> {
                    findings
                        .iter()
                        .filter(|f| f.rule_id == rule.meta.id)
                        .map(|f| (f.resource.id.clone(), f.fingerprint.clone()))
                        .collect()
                };
                let before = of_rule(&full);
                let after = of_rule(&audit(blanked, &case.settings));
                if before != after {
                    failures.push(format!(
                        "{}: case `{}`: {} findings change when datasets outside its REQUIRES \
                         are blanked: {before:?} -> {after:?}",
                        path.display(),
                        case.name,
                        rule.meta.id
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn fixture_paths() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(fixture_dir())
        .expect("fixtures/rules is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_rule_has_a_fixture_with_positive_and_negative_cases() {
    let catalog: BTreeSet<&str> = vpcaudit_core::rules::all()
        .iter()
        .map(|r| r.meta.id.as_str())
        .collect();
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
