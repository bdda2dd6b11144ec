//! `vpcaudit scan --security-hub` against moto's Security Hub (moto 5.2.5): the findings are
//! imported as ASFF records, a re-import updates them (no duplicate, `CreatedAt` kept), and a
//! finding whose cause is gone is archived while the others stay active.
//!
//! Built only with the `security-hub` feature (`[[test]] required-features` in Cargo.toml;
//! `scripts/test.sh` tests with `--all-features`). Needs the venv of tests/moto/requirements.txt
//! as the other live tests do (VPCAUDIT_PYTHON or .venv/bin/python).

use std::collections::BTreeMap;

use serde_json::Value;
use vpcaudit_testkit::moto::{ACCOUNT, MotoServer, REGION, Run, findings};

/// vpcaudit's records in moto's Security Hub, by Id. moto keeps every imported finding, and
/// only vpcaudit imports here.
fn records(moto: &MotoServer) -> BTreeMap<String, Value> {
    let all = moto.securityhub(&["findings"]);
    let all = all.as_array().expect("findings list");
    let mut by_id = BTreeMap::new();
    for record in all {
        let id = record["Id"].as_str().expect("Id").to_owned();
        assert!(
            by_id.insert(id.clone(), record.clone()).is_none(),
            "duplicate record {id}"
        );
    }
    by_id
}

fn scan(moto: &MotoServer, work: &std::path::Path) -> (Run, Value) {
    let run = Run::scan_live(work, &moto.endpoint(), &["--security-hub"]);
    run.assert_code(1);
    let report = run.json();
    (run, report)
}

fn active(records: &BTreeMap<String, Value>) -> Vec<&String> {
    records
        .iter()
        .filter(|(_, r)| r["RecordState"] == "ACTIVE")
        .map(|(id, _)| id)
        .collect()
}

#[test]
fn findings_are_imported_updated_in_place_and_archived_when_resolved() {
    let moto = MotoServer::start();
    let seed = moto.seed(&["sg001", "sg002"]);
    moto.securityhub(&["enable"]);
    let work = tempfile::tempdir().expect("temp dir");

    // (a) One record per finding, its fields from the finding.
    let (run, report) = scan(&moto, work.path());
    let first = records(&moto);
    let found = findings(&report);
    assert!(!found.is_empty());
    assert_eq!(first.len(), found.len(), "{}", run.describe());
    assert!(
        run.stderr.contains(&format!(
            "Security Hub {ACCOUNT} {REGION}: {} new, 0 updated, 0 archived",
            found.len()
        )),
        "{}",
        run.describe()
    );
    for finding in found {
        let fingerprint = finding["fingerprint"].as_str().expect("fingerprint");
        let record = &first[&format!("vpcaudit/{fingerprint}")];
        let rule = finding["rule_id"].as_str().expect("rule_id");
        assert_eq!(record["SchemaVersion"], "2018-10-08");
        assert_eq!(record["GeneratorId"], format!("vpcaudit/{rule}"));
        assert_eq!(record["AwsAccountId"], ACCOUNT);
        assert_eq!(
            record["ProductArn"],
            format!("arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default")
        );
        assert_eq!(record["RecordState"], "ACTIVE");
        assert_eq!(record["Workflow"]["Status"], "NEW");
        assert_eq!(record["Description"], finding["message"]);
        assert_eq!(
            record["Severity"]["Original"], finding["severity"],
            "{rule}"
        );
        let label = match finding["severity"].as_str() {
            Some("info") => "INFORMATIONAL",
            Some(other) => &other.to_ascii_uppercase(),
            None => panic!("severity"),
        };
        assert_eq!(record["Severity"]["Label"], label, "{rule}");
        assert_eq!(record["Resources"][0]["Id"], finding["resource"]["arn"]);
        assert_eq!(record["ProductFields"]["vpcaudit/fingerprint"], fingerprint);
    }
    let ssh_sg = seed.id("sg001.ssh-sg").to_owned();
    let sg001 = found
        .iter()
        .find(|f| f["rule_id"] == "SG001" && f["resource"]["id"] == ssh_sg.as_str())
        .expect("SG001 on the SSH group");
    let sg001_id = format!(
        "vpcaudit/{}",
        sg001["fingerprint"].as_str().expect("fingerprint")
    );
    assert!(first.contains_key(&sg001_id));

    // (b) Again: the same records, updated in place, created when they were.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (run, _) = scan(&moto, work.path());
    let second = records(&moto);
    assert_eq!(
        second.keys().collect::<Vec<_>>(),
        first.keys().collect::<Vec<_>>(),
        "a re-import adds or loses records: {}",
        run.describe()
    );
    assert!(
        run.stderr
            .contains(&format!("0 new, {} updated, 0 archived", first.len())),
        "{}",
        run.describe()
    );
    for (id, record) in &second {
        assert_eq!(record["CreatedAt"], first[id]["CreatedAt"], "{id}");
        assert_eq!(record["RecordState"], "ACTIVE");
    }

    // (c) The SSH rule is revoked: its finding is resolved, and only it is archived.
    moto.securityhub(&["revoke", &ssh_sg, "22", "0.0.0.0/0"]);
    let (run, report) = scan(&moto, work.path());
    let third = records(&moto);
    assert_eq!(third.len(), first.len(), "{}", run.describe());
    assert_eq!(third[&sg001_id]["RecordState"], "ARCHIVED");
    assert_eq!(third[&sg001_id]["CreatedAt"], first[&sg001_id]["CreatedAt"]);
    assert_ne!(third[&sg001_id]["UpdatedAt"], first[&sg001_id]["UpdatedAt"]);
    let now_active = active(&third);
    assert_eq!(now_active.len(), findings(&report).len());
    assert!(!now_active.contains(&&sg001_id));
    assert!(run.stderr.contains(", 1 archived"), "{}", run.describe());
}

/// Security Hub unreachable (moto answers GetFindings whether or not Security Hub is
/// enabled, so a dead endpoint for Security Hub alone stands in for the failure): the report
/// is still written, the scan exits 3 and says why.
#[test]
fn a_failed_import_exits_incomplete_after_writing_the_report() {
    let moto = MotoServer::start();
    moto.seed(&["sg001"]);
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("report.json");
    let dead = format!("http://127.0.0.1:{}", vpcaudit_testkit::moto::free_port());
    let run = Run::vpcaudit_with_env(
        work.path(),
        &[
            "scan",
            "--region",
            REGION,
            "--format",
            "json",
            "-o",
            out.to_str().expect("UTF-8 path"),
            "--security-hub",
        ],
        &[
            ("AWS_ENDPOINT_URL", &moto.endpoint()),
            ("AWS_ENDPOINT_URL_SECURITYHUB", &dead),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    run.assert_code(3);
    assert!(
        out.exists(),
        "the report is written first: {}",
        run.describe()
    );
    assert!(
        run.stderr.contains("securityhub:GetFindings failed"),
        "{}",
        run.describe()
    );
}
