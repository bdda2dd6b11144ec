//! ASFF output (what `--security-hub` imports): a golden file of the bundled example's records,
//! the fields every record must have right, and hostile text (control characters, long
//! multibyte messages) within ASFF's limits and inert.
//!
//! After an intended change of the records, rewrite the golden file with
//! `VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test asff` and review the diff.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use vpcaudit_core::config::Config;
use vpcaudit_core::finding::{Finding, Suppression};
use vpcaudit_core::pipeline;
use vpcaudit_core::report::Report;
use vpcaudit_core::report::asff::{self, ArchiveScope, AsffFinding};
use vpcaudit_core::rules::NotEvaluated;
use vpcaudit_core::snapshot::{CollectionError, Snapshot};

const NOW: &str = "2026-12-02T10:00:00Z";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example_report() -> Report {
    let snapshot = Snapshot::load(&repo_root().join("fixtures/acme-small.json")).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    pipeline::audit(&snapshot, &Config::default(), None, today)
}

fn all_records(report: &Report) -> Vec<AsffFinding> {
    asff::scopes(report)
        .iter()
        .flat_map(|(account, region)| asff::build_scope(report, account, region, NOW))
        .collect()
}

#[test]
fn bundled_example_golden() {
    let report = example_report();
    let actual = serde_json::to_string_pretty(&all_records(&report)).unwrap() + "\n";
    assert_eq!(
        actual,
        serde_json::to_string_pretty(&all_records(&report)).unwrap() + "\n"
    );
    let path = repo_root().join("crates/core/tests/golden/acme-small.asff.json");
    if std::env::var_os("VPCAUDIT_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test asff",
            path.display()
        )
    });
    assert!(
        actual == expected,
        "the ASFF records of the bundled example differ from {}; if the change is intended, \
         rerun with VPCAUDIT_BLESS=1 and review the diff",
        path.display()
    );
}

#[test]
fn every_finding_is_one_record_keyed_on_its_fingerprint() {
    let report = example_report();
    let records = all_records(&report);
    assert!(!records.is_empty());
    assert_eq!(records.len(), report.findings.len());
    for finding in &report.findings {
        let record = records
            .iter()
            .find(|r| r.id == format!("vpcaudit/{}", finding.fingerprint))
            .unwrap_or_else(|| panic!("no record for {}", finding.fingerprint));
        let json = serde_json::to_value(record).unwrap();
        assert_eq!(json["SchemaVersion"], "2018-10-08");
        assert_eq!(json["GeneratorId"], format!("vpcaudit/{}", finding.rule_id));
        assert_eq!(json["AwsAccountId"], finding.resource.account.as_str());
        assert_eq!(json["Region"], finding.resource.region.as_str());
        assert_eq!(
            json["ProductArn"],
            format!(
                "arn:aws:securityhub:{region}:{account}:product/{account}/default",
                region = finding.resource.region,
                account = finding.resource.account
            )
        );
        assert_eq!(json["RecordState"], "ACTIVE");
        assert_eq!(json["Workflow"]["Status"], "NEW");
        assert_eq!(json["CreatedAt"], NOW);
        assert_eq!(json["FirstObservedAt"], "2026-11-20T09:00:00Z");
        assert_eq!(json["Severity"]["Original"], finding.severity.as_str());
        assert_eq!(
            json["ProductFields"]["vpcaudit/fingerprint"],
            finding.fingerprint.as_str()
        );
        assert_eq!(json["Resources"][0]["Partition"], "aws");
        assert_eq!(json["Resources"][0]["Id"], finding.resource.arn.as_str());
        assert_ne!(json["Resources"][0]["Type"], "");
        assert!(
            json["Remediation"]["Recommendation"]["Url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("rules/{}.md", finding.rule_id))
        );
    }
    // The fixture's findings are on resources ASFF has types for.
    assert!(
        records
            .iter()
            .any(|r| r.resources[0].kind == "AwsEc2SecurityGroup")
    );
}

#[test]
fn a_suppressed_finding_is_imported_suppressed() {
    let mut report = example_report();
    report.findings[0].suppression = Some(Suppression {
        reason: "Accepted: SEC-142".to_owned(),
        expires: None,
        source: "vpcaudit.toml:3".to_owned(),
    });
    let finding = &report.findings[0];
    let record = asff::record(finding, &report.collected_at, NOW);
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["Workflow"]["Status"], "SUPPRESSED");
    assert_eq!(json["RecordState"], "ACTIVE");
    assert_eq!(
        json["ProductFields"]["vpcaudit/suppression"],
        "Accepted: SEC-142 (vpcaudit.toml:3)"
    );
}

fn hostile(finding: &Finding) -> Finding {
    let mut finding = finding.clone();
    // Multibyte characters straddling every limit, escapes, bidi controls, line breaks.
    let long = "é🦀\u{1b}[2J\u{202e}x\n".repeat(400);
    finding.rule_id = format!("X{long}");
    finding.message = long.clone();
    finding.remediation = long.clone();
    finding.resource.name = Some(long);
    finding
}

#[test]
fn hostile_text_is_inert_and_cut_to_asff_limits_on_character_boundaries() {
    let report = example_report();
    let finding = hostile(&report.findings[0]);
    let record = asff::record(&finding, "not a time", NOW);
    let checks = [
        ("Title", &record.title, asff::TITLE_MAX),
        ("Description", &record.description, asff::DESCRIPTION_MAX),
        (
            "Recommendation",
            &record.remediation.recommendation.text,
            asff::RECOMMENDATION_MAX,
        ),
        (
            "Name tag",
            &record.resources[0].tags["Name"],
            asff::TAG_VALUE_MAX,
        ),
    ];
    for (what, text, max) in checks {
        assert!(
            text.chars().count() <= max,
            "{what}: {}",
            text.chars().count()
        );
        assert!(text.ends_with('…'), "{what} was cut without a mark");
        assert!(
            !text.chars().any(vpcaudit_core::inert::is_hazard),
            "{what}: {text:?}"
        );
    }
    // An unparsable collection time is not invented: the import's time stands in.
    assert_eq!(record.first_observed_at, NOW);
    // The JSON escapes nothing raw either.
    let json = serde_json::to_string(&record).unwrap();
    assert!(!json.chars().any(char::is_control));
}

#[test]
fn archiving_spares_rules_not_evaluated_and_scopes_with_unattributed_failures() {
    let mut report = example_report();
    let account = report.findings[0].resource.account.clone();
    let region = report.findings[0].resource.region.clone();
    let scope = ArchiveScope::of(&report, &account, &region);
    assert!(scope.may_archive("vpcaudit/SG001"));
    assert!(!scope.may_archive("other/SG001"));
    assert!(!scope.may_archive("vpcaudit/"));

    report.coverage.not_evaluated.push(NotEvaluated {
        rule_id: "SG001".to_owned(),
        account: account.clone(),
        region: region.clone(),
        missing: vec!["security_groups".to_owned()],
    });
    let scope = ArchiveScope::of(&report, &account, &region);
    assert!(!scope.may_archive("vpcaudit/SG001"));
    assert!(scope.may_archive("vpcaudit/NET001"));
    // Another region's gap does not hold this one back.
    assert!(ArchiveScope::of(&report, &account, "xx-none-1").may_archive("vpcaudit/SG001"));

    report.coverage.errors.push(CollectionError {
        service: "sts".to_owned(),
        operation: "AssumeRole".to_owned(),
        account: Some(account.clone()),
        region: None,
        code: Some("AccessDenied".to_owned()),
        error: "denied".to_owned(),
        dataset: None,
    });
    assert!(!ArchiveScope::of(&report, &account, &region).may_archive("vpcaudit/NET001"));
}
