//! Executable contracts: the JSON Schemas of the report and the snapshot are generated from
//! the types and committed (`schemas/`), every report these tests produce validates against
//! them, and a snapshot written by vpcaudit 0.1.0 stays readable.
//!
//! After a deliberate change of the report or snapshot types, regenerate the schemas with:
//!
//! ```sh
//! VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test contracts
//! ```

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use serde_json::Value;
use vpcaudit_core::config::{Config, Settings};
use vpcaudit_core::report::Report;
use vpcaudit_core::rules::Evaluation;
use vpcaudit_core::snapshot::{NOT_COLLECTED, Snapshot};

use common::{audit_evaluation, fixture_dir, load_fixture, parse_inventory};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn generated(name: &str) -> Value {
    let schema = match name {
        "report" => schemars::schema_for!(Report),
        "snapshot" => schemars::schema_for!(Snapshot),
        other => panic!("no schema {other}"),
    };
    serde_json::to_value(schema).expect("schema serialises")
}

/// The committed schema, regenerated first under `VPCAUDIT_BLESS`.
fn committed(name: &str) -> Value {
    let path = repo(&format!("schemas/{name}.schema.json"));
    if std::env::var_os("VPCAUDIT_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&generated(name)).expect("json") + "\n";
        std::fs::write(&path, text).expect("write schema");
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; create it with VPCAUDIT_BLESS=1", path.display()));
    serde_json::from_str(&text).expect("schema is JSON")
}

fn validate(name: &str, what: &str, instance: &Value) {
    static REPORT: OnceLock<jsonschema::Validator> = OnceLock::new();
    static SNAPSHOT: OnceLock<jsonschema::Validator> = OnceLock::new();
    let cell = if name == "report" { &REPORT } else { &SNAPSHOT };
    let validator = cell
        .get_or_init(|| jsonschema::validator_for(&committed(name)).expect("the schema compiles"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match schemas/{name}.schema.json:\n{}",
        errors.join("\n")
    );
}

#[test]
fn committed_schemas_are_generated_from_the_types() {
    for name in ["report", "snapshot"] {
        assert!(
            committed(name) == generated(name),
            "schemas/{name}.schema.json is stale: run \
             VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test contracts"
        );
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")
}

#[test]
fn every_report_of_the_fixtures_matches_the_schema() {
    for path in [
        "fixtures/acme-small.json",
        "fixtures/compat/snapshot-0.1.0.json",
    ] {
        let snapshot = Snapshot::load(&repo(path)).unwrap_or_else(|e| panic!("{e}"));
        validate(
            "snapshot",
            path,
            &serde_json::to_value(&snapshot).expect("json"),
        );
        let raw: Value = serde_json::from_str(&std::fs::read_to_string(repo(path)).expect("read"))
            .expect("json");
        validate("snapshot", path, &raw);
        let report = vpcaudit_core::pipeline::audit(&snapshot, &Config::default(), None, today());
        validate(
            "report",
            &format!("the report of {path}"),
            &serde_json::to_value(&report).expect("json"),
        );
    }
    let mut paths: Vec<_> = std::fs::read_dir(fixture_dir())
        .expect("fixtures/rules")
        .map(|entry| entry.expect("entry").path())
        .collect();
    paths.sort();
    for path in paths {
        let fixture = load_fixture(&path);
        for case in &fixture.cases {
            let inventory = parse_inventory(case).unwrap_or_else(|e| panic!("{e}"));
            let (snapshot, evaluation) =
                audit_evaluation(inventory, &case.settings, Default::default());
            let report = Report::build(&snapshot, evaluation);
            let what = format!("the report of {}#{}", path.display(), case.name);
            validate(
                "report",
                &what,
                &serde_json::to_value(&report).expect("json"),
            );
        }
    }
}

fn findings_of(evaluation: &Evaluation) -> Vec<(String, String, String)> {
    evaluation
        .findings
        .iter()
        .map(|f| {
            (
                f.rule_id.clone(),
                f.resource.id.clone(),
                f.fingerprint.clone(),
            )
        })
        .collect()
}

/// Snapshots are user data: one written by 0.1.0 (before API Gateway stages, load balancers,
/// Elastic IPs, endpoints and ECS services were collected)
/// loads, audits to the same findings as today's example of the same account, and the
/// datasets it lacks are reported as not collected, never read as empty.
#[test]
fn a_snapshot_written_by_0_1_0_stays_readable() {
    let old = Snapshot::load(&repo("fixtures/compat/snapshot-0.1.0.json"))
        .unwrap_or_else(|e| panic!("a 0.1.0 snapshot no longer loads: {e}"));
    let new = Snapshot::load(&repo("fixtures/acme-small.json")).unwrap_or_else(|e| panic!("{e}"));
    let settings = Settings::default();
    let old_eval = vpcaudit_core::rules::evaluate(&old, &settings);
    let new_eval = vpcaudit_core::rules::evaluate(&new, &settings);
    assert_eq!(findings_of(&old_eval), findings_of(&new_eval));
    assert!(new_eval.not_evaluated.is_empty() && new.coverage.errors.is_empty());

    let not_collected: Vec<&str> = old
        .coverage
        .errors
        .iter()
        .filter(|e| e.code.as_deref() == Some(NOT_COLLECTED))
        .map(|e| e.operation.as_str())
        .collect();
    // API Gateway stages (0.2), then load balancers, addresses, endpoints and ECS (issue 10).
    assert_eq!(
        not_collected,
        [
            "GetStages",
            "GetStages",
            "DescribeAddresses",
            "DescribeVpcEndpoints",
            "DescribeEgressOnlyInternetGateways",
            "DescribeLoadBalancers",
            "DescribeListeners",
            "DescribeTargetGroups",
            "DescribeTargetHealth",
            "DescribeTargetGroupAttributes",
            "DescribeLoadBalancers",
            "DescribeServices",
        ]
    );
    let partly = |n: &&vpcaudit_core::rules::NotEvaluated| {
        n.missing
            .iter()
            .all(|m| m.ends_with("(partly evaluated without it)"))
    };
    let mut skipped: Vec<&str> = old_eval
        .not_evaluated
        .iter()
        .filter(|n| !partly(n))
        .map(|n| n.rule_id.as_str())
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        ["NAT004", "OBS002", "OBS003"],
        "rules needing VPC endpoints and ECS (NAT004) and API Gateway stages (OBS002, OBS003)"
    );
    // Rules that follow routes or paths further run on the rest, listed as partly evaluated.
    let mut partial: Vec<&str> = old_eval
        .not_evaluated
        .iter()
        .filter(partly)
        .map(|n| n.rule_id.as_str())
        .collect();
    partial.sort();
    assert_eq!(
        partial,
        [
            "AZ001", "AZ005", "DB001", "DB002", "DB003", "EDGE001", "LAM001", "LAM004", "NACL001",
            "NAT001", "NAT003", "SG001", "SG002", "SG004", "TIER001", "TIER002"
        ]
    );
    let report = vpcaudit_core::pipeline::audit(&old, &Config::default(), None, today());
    assert!(
        !report.summary.complete,
        "a snapshot that lacks datasets is not a complete audit"
    );
}

/// A snapshot written by hand (no collection record) is taken as it is.
#[test]
fn a_snapshot_without_a_collection_record_is_taken_as_written() {
    let text = r#"{"format_version": 1, "tool": {"name": "vpcaudit", "version": "0.1.0"},
        "collected_at": "2026-01-01T00:00:00Z", "account": "111122223333",
        "regions": ["eu-west-1"], "scopes": [{"account": "111122223333", "region": "eu-west-1"}],
        "coverage": {"collected": [], "errors": []}}"#;
    let snapshot =
        Snapshot::from_json(text, Path::new("hand.json")).unwrap_or_else(|e| panic!("{e}"));
    assert!(snapshot.coverage.errors.is_empty());
}
