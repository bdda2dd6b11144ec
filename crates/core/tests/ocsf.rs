//! OCSF output: Detection Finding records that the OCSF models Prowler uses (`py-ocsf-models`)
//! accept, for the bundled example and for a report with a suppressed finding; and a golden
//! file of the example's records, so the text stays byte-for-byte deterministic.
//!
//! The validation runs `tests/ocsf/validate.py` with the test venv's Python (`VPCAUDIT_PYTHON`,
//! else `.venv/bin/python`; `scripts/test.sh` installs `py-ocsf-models` from
//! `tests/moto/requirements.txt`). Without the models the test says so and returns, but fails
//! under `CI=true` rather than pass silently.
//!
//! After an intended change of the records, rewrite the golden file with
//! `VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test ocsf` and review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use serde_json::Value;
use vpcaudit_core::config::Config;
use vpcaudit_core::pipeline;
use vpcaudit_core::report::{Report, ocsf};
use vpcaudit_core::snapshot::Snapshot;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn example() -> Snapshot {
    Snapshot::load(&repo_root().join("fixtures/acme-small.json")).unwrap()
}

fn example_report() -> Report {
    pipeline::audit(&example(), &Config::default(), None, today())
}

/// The example with its first finding suppressed by a configuration, as a user would.
fn suppressed_report() -> Report {
    let plain = example_report();
    let first = plain.findings.first().expect("the example has findings");
    let config = Config::parse(
        &format!(
            "[[suppress]]\nrule = \"{}\"\nresource = \"{}\"\nreason = \"Accepted: SEC-142\"\n\
             expires = 2027-03-31\n",
            first.rule_id, first.resource.id
        ),
        Path::new("vpcaudit.toml"),
    )
    .unwrap();
    let report = pipeline::audit(&example(), &config, None, today());
    assert!(
        report.summary.suppressed > 0,
        "the suppression matched nothing"
    );
    report
}

/// The test venv's Python with `py_ocsf_models`, or `None` (with a notice) outside CI.
fn python() -> Option<PathBuf> {
    let python = std::env::var_os("VPCAUDIT_PYTHON")
        .filter(|p| !p.is_empty())
        .map_or_else(|| repo_root().join(".venv/bin/python"), PathBuf::from);
    let importable = Command::new(&python)
        .args(["-c", "import py_ocsf_models"])
        .output()
        .is_ok_and(|o| o.status.success());
    if importable {
        return Some(python);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the OCSF test needs py-ocsf-models under CI: {} cannot import py_ocsf_models \
         (scripts/test.sh installs tests/moto/requirements.txt into .venv; or set \
         VPCAUDIT_PYTHON)",
        python.display()
    );
    eprintln!(
        "skipped: {} cannot import py_ocsf_models; set VPCAUDIT_PYTHON to a Python with \
         py-ocsf-models (tests/moto/requirements.txt)",
        python.display()
    );
    None
}

/// Runs the validator over `text`; panics with its complaints.
fn validate(python: &Path, what: &str, text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{what}.ocsf.json"));
    std::fs::write(&file, text).unwrap();
    let output = Command::new(python)
        .arg(repo_root().join("tests/ocsf/validate.py"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{what}: the OCSF records do not validate:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{what}: {}", String::from_utf8_lossy(&output.stdout).trim());
}

#[test]
fn the_bundled_example_validates_against_py_ocsf_models() {
    let Some(python) = python() else { return };
    let report = example_report();
    assert!(!report.findings.is_empty());
    validate(&python, "acme-small", &ocsf::render(&report));
}

#[test]
fn a_report_with_a_suppressed_finding_validates() {
    let Some(python) = python() else { return };
    validate(&python, "suppressed", &ocsf::render(&suppressed_report()));
}

#[test]
fn a_validator_rejects_what_ocsf_does_not_know() {
    let Some(python) = python() else { return };
    let mut records: Value = serde_json::from_str(&ocsf::render(&example_report())).unwrap();
    records[0]["finding_info"]["titel"] = Value::from("misspelt");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(&file, records.to_string()).unwrap();
    let output = Command::new(python)
        .arg(repo_root().join("tests/ocsf/validate.py"))
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("finding_info.titel"));
}

#[test]
fn every_finding_is_one_record_with_our_identity() {
    let report = suppressed_report();
    let records: Value = serde_json::from_str(&ocsf::render(&report)).unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), report.findings.len());
    for (record, finding) in records.iter().zip(&report.findings) {
        assert_eq!(record["class_uid"], 2004);
        assert_eq!(record["finding_info"]["uid"], finding.fingerprint.as_str());
        assert_eq!(
            record["finding_info"]["analytic"]["uid"],
            finding.rule_id.as_str()
        );
        assert_eq!(record["finding_info"]["desc"], finding.message.as_str());
        assert_eq!(record["remediation"]["desc"], finding.remediation.as_str());
        assert_eq!(
            record["severity_id"],
            ocsf::severity_id(finding.severity),
            "{}",
            finding.rule_id
        );
        assert_eq!(record["cloud"]["provider"], "AWS");
        assert_eq!(
            record["cloud"]["account"]["uid"],
            finding.resource.account.as_str()
        );
        assert_eq!(record["resources"][0]["uid"], finding.resource.arn.as_str());
        assert_eq!(
            record["resources"][0]["type"],
            finding.resource.kind.as_str()
        );
        assert_eq!(record["time"], 1_795_165_200_000_i64, "collected_at in ms");
        assert_eq!(record["metadata"]["version"], ocsf::OCSF_VERSION);
        match &finding.suppression {
            None => {
                assert_eq!(record["status_id"], 1);
                assert!(record["unmapped"].get("suppression").is_none());
            }
            Some(suppression) => {
                assert_eq!(record["status_id"], 3);
                assert_eq!(record["status"], "Suppressed");
                assert_eq!(
                    record["unmapped"]["suppression"]["reason"],
                    suppression.reason.as_str()
                );
            }
        }
        if finding.evidence.is_object() {
            assert_eq!(record["evidences"][0]["data"], finding.evidence);
        }
    }
    assert!(records.iter().any(|r| r["status_id"] == 3));
}

#[test]
fn bundled_example_golden() {
    let mut report = example_report();
    // A release bumps the version; the golden file is about the mapping.
    report.tool.version = "0.0.0-golden".to_owned();
    let actual = ocsf::render(&report);
    // Twice from scratch: nothing in the text may depend on map order or the clock.
    assert_eq!(actual, ocsf::render(&report));
    let path = repo_root().join("crates/core/tests/golden/acme-small.ocsf.json");
    if std::env::var_os("VPCAUDIT_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test ocsf",
            path.display()
        )
    });
    assert!(
        actual == expected,
        "the OCSF records of the bundled example differ from {}; if the change is intended, \
         rerun with VPCAUDIT_BLESS=1 and review the diff",
        path.display()
    );
}
