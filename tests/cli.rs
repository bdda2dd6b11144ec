//! The command line as users and CI meet it: exit codes, errors that name their input,
//! stdout for data and stderr for the rest. No network: snapshots only.

use std::path::Path;
use vpcaudit_testkit::contracts::assert_report_matches_schema;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{Value, json};

fn vpcaudit() -> Command {
    let mut cmd = Command::cargo_bin("vpcaudit").expect("the binary is built");
    // Nothing here may read the developer's AWS setup or reach the metadata service.
    cmd.env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// A snapshot with one VPC whose default security group still has AWS's default rules
/// (SG003, low) and, when `broken`, an SSH rule open to the world on an attached group.
fn snapshot(broken: bool, errors: Value) -> Value {
    let mut groups = vec![json!({
        "id": "sg-default", "name": "default", "vpc_id": "vpc-1",
        "egress": [{"protocol": "-1", "peer": {"ipv4": "0.0.0.0/0"}}]
    })];
    if broken {
        groups.push(json!({
            "id": "sg-ssh", "name": "ssh", "vpc_id": "vpc-1",
            "ingress": [{"protocol": "tcp", "ports": {"from": 22, "to": 22},
                         "peer": {"ipv4": "0.0.0.0/0"}}]
        }));
    }
    json!({
        "format_version": 1,
        "tool": {"name": "vpcaudit", "version": "0.1.0"},
        "collected_at": "2026-11-26T00:00:00Z",
        "account": "111122223333",
        "regions": ["eu-west-1"],
        "scopes": [{
            "account": "111122223333",
            "region": "eu-west-1",
            "vpcs": [{"id": "vpc-1", "cidr_blocks": ["10.0.0.0/16"]}],
            "subnets": [{"id": "subnet-1", "vpc_id": "vpc-1", "availability_zone": "eu-west-1a"}],
            "security_groups": groups,
            "flow_logs": [{"id": "fl-1", "resource_id": "vpc-1", "status": "ACTIVE"}],
            "instances": [{"id": "i-1", "vpc_id": "vpc-1", "subnet_id": "subnet-1",
                           "state": "running", "security_group_ids": ["sg-ssh"]}]
        }],
        "coverage": {"collected": [], "errors": errors}
    })
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).expect("json")).expect("write");
    path.display().to_string()
}

#[test]
fn rules_lists_every_rule_and_explains_one() {
    let out = vpcaudit()
        .args(["rules", "--format", "json"])
        .assert()
        .success();
    let list: Value = serde_json::from_slice(&out.get_output().stdout).expect("json list");
    let ids: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids.len(), vpcaudit_core::rules::all().len());
    assert!(ids.contains(&"SG001"));

    vpcaudit()
        .args(["rules", "explain", "sg001"])
        .assert()
        .success()
        .stdout(predicate::str::contains("# SG001 admin-port-open-to-world"))
        .stdout(predicate::str::contains("## Why it matters"))
        .stdout(predicate::str::contains("## How to fix"));
}

#[test]
fn unknown_rule_is_a_usage_error() {
    vpcaudit()
        .args(["rules", "explain", "XYZ999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule `XYZ999`"));
}

#[test]
fn findings_at_or_above_the_threshold_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "s.json", &snapshot(true, json!([])));
    let out = vpcaudit()
        .args(["scan", "--snapshot", &path, "--format", "json"])
        .assert()
        .code(1);
    let report: Value = serde_json::from_slice(&out.get_output().stdout).expect("json report");
    assert_report_matches_schema("scan --format json", &report);
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["account"], "111122223333");
    assert_eq!(report["summary"]["complete"], true);
    let pairs: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_owned(),
                f["resource"]["id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("SG001".to_owned(), "sg-ssh".to_owned()),
            ("SG003".to_owned(), "sg-default".to_owned())
        ]
    );
    let ssh = &report["findings"][0];
    assert_eq!(ssh["severity"], "critical");
    assert_eq!(ssh["principle"], "sg-over-ip");
    assert_eq!(
        ssh["resource"]["arn"],
        "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-ssh"
    );
    assert!(
        ssh["message"]
            .as_str()
            .unwrap_or_default()
            .contains("tcp/22 from 0.0.0.0/0")
    );
    assert_eq!(ssh["evidence"]["rule"]["peer"]["ipv4"], "0.0.0.0/0");

    // Below the threshold: clean exit, same findings.
    vpcaudit()
        .args(["scan", "--snapshot", &path, "--fail-on", "none", "--quiet"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "2 findings (1 critical, 0 high, 0 medium, 1 low",
        ));
    let clean = write(dir.path(), "clean.json", &snapshot(false, json!([])));
    vpcaudit()
        .args(["scan", "--snapshot", &clean, "--fail-on", "medium"])
        .assert()
        .code(0);
}

#[test]
fn an_incomplete_snapshot_exits_3_and_says_what_was_not_evaluated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let errors = json!([{
        "service": "ec2", "operation": "DescribeSecurityGroups", "account": "111122223333",
        "region": "eu-west-1", "code": "UnauthorizedOperation",
        "error": "UnauthorizedOperation: You are not authorized", "dataset": "security_groups"
    }]);
    let path = write(dir.path(), "partial.json", &snapshot(true, errors));
    let out = vpcaudit()
        .args([
            "scan",
            "--snapshot",
            &path,
            "--format",
            "json",
            "--fail-on",
            "none",
        ])
        .assert()
        .code(3);
    let report: Value = serde_json::from_slice(&out.get_output().stdout).expect("json report");
    assert_report_matches_schema("scan --format json", &report);
    assert_eq!(report["summary"]["complete"], false);
    assert_eq!(
        report["coverage"]["errors"][0]["code"],
        "UnauthorizedOperation"
    );
    let skipped: Vec<&str> = report["coverage"]["not_evaluated"]
        .as_array()
        .expect("not_evaluated")
        .iter()
        .filter_map(|n| n["rule_id"].as_str())
        .collect();
    assert!(
        skipped.contains(&"SG001") && skipped.contains(&"SG003"),
        "{skipped:?}"
    );
    // A rule that could not run must not be reported as passing, nor produce findings.
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| {
                let id = f["rule_id"].as_str().unwrap_or_default();
                !skipped.contains(&id)
            })
    );

    vpcaudit()
        .args(["scan", "--snapshot", &path])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("INCOMPLETE"))
        .stdout(predicate::str::contains(
            "ec2:DescribeSecurityGroups in eu-west-1",
        ));
}

#[test]
fn malformed_snapshot_names_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        "{\n  \"format_version\": 1,\n  \"tool\": {\"name\": \"vpcaudit\" \"version\": 1}\n}\n",
    )
    .expect("write");
    let path = path.display().to_string();
    vpcaudit()
        .args(["scan", "--snapshot", &path])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!("{path}:3:")))
        .stderr(predicate::str::contains("panicked").not());

    // A well-formed file with a wrong field: the position of the offending key.
    let mut bad = snapshot(false, json!([]));
    bad["scopes"][0]["vpcs"][0]["cidr_blocks"] = json!(["10.0.0.0/99"]);
    let bad_path = write(dir.path(), "bad-cidr.json", &bad);
    vpcaudit()
        .args(["scan", "--snapshot", &bad_path])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{bad_path}:")))
        .stderr(predicate::str::contains("invalid"));
}

#[test]
fn unsupported_or_foreign_files_are_rejected_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut future = snapshot(false, json!([]));
    future["format_version"] = json!(99);
    let path = write(dir.path(), "future.json", &future);
    vpcaudit()
        .args(["scan", "--snapshot", &path])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "format_version 99 is not supported",
        ));

    let foreign = write(dir.path(), "foreign.json", &json!({"hello": "world"}));
    vpcaudit()
        .args(["scan", "--snapshot", &foreign])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is this a vpcaudit snapshot?"));

    vpcaudit()
        .args(["scan", "--snapshot", "/nonexistent/snapshot.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/nonexistent/snapshot.json: cannot read",
        ));
}

#[test]
fn bad_usage_exits_2() {
    vpcaudit()
        .args(["scan", "--snapshot", "x.json", "--profile", "prod"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
    vpcaudit()
        .args(["scan", "--fail-on", "severe"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown severity `severe`"));
}

/// A time limit that is not a finite number of seconds from 0 is a usage error, never a
/// silent 0 s (which reads nothing) or no limit at all. Nothing is contacted.
#[test]
fn a_time_limit_that_is_not_a_duration_is_a_usage_error() {
    for bad in ["-5", "nan", "NaN", "inf", "-0.5", "1e300", "five"] {
        vpcaudit()
            .args([
                "scan",
                "--region",
                "eu-west-1",
                "--endpoint-url",
                "http://127.0.0.1:9",
            ])
            .arg(format!("--time-limit={bad}"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--time-limit"))
            .stderr(predicate::str::contains("expected a number of seconds"));
    }
    for bad in ["0", "-1", "nan", "inf", "3601", "soon"] {
        vpcaudit()
            .args(["scan", "--region", "eu-west-1"])
            .arg(format!("--read-timeout={bad}"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--read-timeout"));
    }
    for bad in ["0", "-1", "nan", "100000"] {
        vpcaudit()
            .args(["scan", "--region", "eu-west-1"])
            .arg(format!("--max-concurrency={bad}"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--max-concurrency"));
    }
}

/// A snapshot naming resources it does not hold loads, but as an incomplete scan (exit 3),
/// never as a clean one; a region listed without inventory is an input error (exit 2).
#[test]
fn inconsistent_snapshots_never_read_as_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut dangling = snapshot(false, json!([]));
    dangling["scopes"][0]["subnets"] =
        json!([{"id": "subnet-1", "vpc_id": "vpc-gone", "availability_zone": "eu-west-1a"}]);
    let path = write(dir.path(), "dangling.json", &dangling);
    vpcaudit()
        .args(["scan", "--snapshot", &path, "--fail-on", "critical"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("vpc-gone"));
    let mut no_inventory = snapshot(false, json!([]));
    no_inventory["regions"] = json!(["eu-west-1", "us-east-1"]);
    let path = write(dir.path(), "regions.json", &no_inventory);
    vpcaudit()
        .args(["scan", "--snapshot", &path])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("us-east-1 has no inventory"));
}

#[test]
fn unwritable_output_is_reported_not_panicked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "s.json", &snapshot(false, json!([])));
    vpcaudit()
        .args([
            "scan",
            "--snapshot",
            &path,
            "-o",
            "/nonexistent/dir/report.txt",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/nonexistent/dir/report.txt: cannot write",
        ));
}

#[test]
fn no_region_anywhere_is_a_clear_usage_error() {
    vpcaudit()
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .args(["collect", "--endpoint-url", "http://127.0.0.1:9"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no AWS region"));
}

#[test]
fn diagram_draws_the_bundled_example_in_every_format() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/acme-small.json");
    // Three VPCs: Mermaid comes as Markdown with one block each.
    vpcaudit()
        .args(["diagram", "--snapshot", example])
        .assert()
        .success()
        .stdout(predicate::str::contains("```mermaid\n---\nconfig:\n").count(3));
    vpcaudit()
        .args([
            "diagram",
            "--snapshot",
            example,
            "--vpc",
            "vpc-060a3c4d9bc373e2e",
        ])
        .assert()
        .success()
        // Raw Mermaid: its front matter (room for subnet titles), then the flowchart.
        .stdout(predicate::str::starts_with("---\nconfig:\n"))
        .stdout(predicate::str::contains("\n---\nflowchart TB\n"));
    vpcaudit()
        .args(["diagram", "--snapshot", example, "--format", "dot"])
        .assert()
        .success()
        .stdout(predicate::str::contains("digraph ").count(3));
    vpcaudit()
        .args(["diagram", "--snapshot", example, "--format", "svg"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("<svg "));
    vpcaudit()
        .args(["diagram", "--snapshot", example, "--vpc", "vpc-nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no VPC `vpc-nope`"));
}

#[test]
fn scan_writes_a_self_contained_html_report() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/acme-small.json");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    vpcaudit()
        .args(["scan", "--snapshot", example, "--fail-on", "none", "--html"])
        .arg(&html)
        .assert()
        .success();
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>"));
    assert!(text.contains("<svg "));
    assert!(text.contains("id=\"filter-severity\""));
}

#[test]
fn a_template_is_scanned_before_deploy_with_findings_at_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("iac.sarif");
    let template = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/iac/tests/templates/sg-cidr-parameter.yaml"
    );
    // A parameter without a value: SG rules are not evaluated, the scan is incomplete.
    vpcaudit()
        .args([
            "scan",
            "--quiet",
            "--format",
            "json",
            "--template",
            template,
        ])
        .assert()
        .code(3);
    // With the value: the world-open SSH rule is found (medium: nothing carries the group
    // yet), at the rule's line in the template.
    vpcaudit()
        .args([
            "scan",
            "--quiet",
            "--format",
            "json",
            "--template",
            template,
        ])
        .args(["--parameter", "AdminCidr=0.0.0.0/0", "--fail-on", "medium"])
        .arg("--sarif")
        .arg(&sarif)
        .assert()
        .code(1);
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let result = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "SG001")
        .expect("SG001");
    let physical = &result["locations"][0]["physicalLocation"];
    assert!(
        physical["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("sg-cidr-parameter.yaml")
    );
    assert_eq!(physical["region"]["startLine"], 18);
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["name"],
        "AdminSg"
    );
    // --parameter without --template is a usage error.
    vpcaudit()
        .args(["scan", "--parameter", "A=b"])
        .assert()
        .code(2);
}

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/acme-small.json");

#[test]
fn completions_are_generated_for_every_shell() {
    vpcaudit()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("vpcaudit"))
        .stdout(predicate::str::contains("--snapshot"));
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        vpcaudit()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("vpcaudit"));
    }
    vpcaudit().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_prints_a_roff_page_from_the_clap_definitions() {
    let out = vpcaudit().arg("man").assert().success();
    let page = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    // clap_mangen opens with the definition of the quote string (`.ie \n(.g .ds Aq …`), then
    // the title: every line before `.TH` is a roff request.
    let title = page
        .lines()
        .position(|line| line.starts_with(".TH vpcaudit 1 "))
        .expect("a .TH title line");
    assert!(
        page.lines().take(title).all(|line| line.starts_with('.')),
        "{page}"
    );
    assert!(page.contains(".SH SYNOPSIS"), "{page}");
    assert!(page.contains("completions"), "subcommands are listed");
}

#[test]
fn man_prints_a_page_per_subcommand_and_writes_them_all() {
    let out = vpcaudit().args(["man", "scan"]).assert().success();
    let page = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(page.contains(".TH vpcaudit-scan 1 "), "{page}");
    assert!(
        page.contains("\\-\\-fail\\-on"),
        "scan's own options: {page}"
    );
    let out = vpcaudit()
        .args(["man", "rules", "explain"])
        .assert()
        .success();
    let page = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(page.contains(".TH vpcaudit-rules-explain 1 "), "{page}");

    vpcaudit()
        .args(["man", "scna"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no subcommand `scna`"))
        .stderr(predicate::str::contains("scan"));

    let dir = tempfile::tempdir().expect("tempdir");
    vpcaudit()
        .args(["man", "--dir"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout("");
    for page in [
        "vpcaudit.1",
        "vpcaudit-scan.1",
        "vpcaudit-reach.1",
        "vpcaudit-rules-explain.1",
        "vpcaudit-man.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).expect(page);
        let stem = page.trim_end_matches(".1");
        assert!(text.contains(&format!(".TH {stem} 1 ")), "{page}: {text}");
    }
    assert!(
        !dir.path().join("vpcaudit-help.1").exists(),
        "no page for clap's help subcommand"
    );
}

#[test]
fn scan_writes_ocsf_to_stdout_and_to_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("findings.ocsf.json");
    let out = vpcaudit()
        .args(["scan", "--snapshot", EXAMPLE, "--quiet", "--format", "ocsf"])
        .arg("--ocsf")
        .arg(&file)
        .assert()
        .code(1);
    let records: Value = serde_json::from_slice(&out.get_output().stdout).expect("OCSF JSON");
    let records = records.as_array().expect("an array of records");
    assert_eq!(records.len(), 20, "one record per finding of the example");
    assert!(records.iter().all(|r| r["class_uid"] == 2004));
    let written = std::fs::read(&file).expect("--ocsf FILE written");
    assert_eq!(
        written,
        out.get_output().stdout,
        "the same records both ways"
    );
}

#[test]
fn a_piped_table_is_compact_and_plain_unless_colour_is_asked() {
    // assert_cmd pipes stdout: not a terminal.
    let out = vpcaudit()
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .args(["scan", "--snapshot", EXAMPLE, "--quiet"])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(!text.contains('\u{1b}'), "no colour in a pipe");
    assert!(!text.contains('│'), "no box in a pipe");
    assert!(text.contains("CRITICAL DB001 acme-staging-mysql"), "{text}");
    let summary = text.find("20 findings").expect("the summary line");
    for line in text.get(..summary).unwrap_or_default().lines() {
        assert!(line.chars().count() <= 100, "{line}");
    }
    vpcaudit()
        .args([
            "scan",
            "--snapshot",
            EXAMPLE,
            "--quiet",
            "--color",
            "always",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\u{1b}[1;31mCRITICAL\u{1b}[0m"));
    vpcaudit()
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .args(["scan", "--snapshot", EXAMPLE, "--quiet"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\u{1b}[31mHIGH\u{1b}[0m"));
    vpcaudit()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .args(["scan", "--snapshot", EXAMPLE, "--quiet"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\u{1b}").not());
    vpcaudit()
        .args(["scan", "--snapshot", EXAMPLE, "--color", "sometimes"])
        .assert()
        .code(2);
}

/// `--security-hub` writes to the scanned account: never with a snapshot or a template (no
/// live account), a baseline (a filtered report would archive what it leaves out), or other
/// accounts' roles (the caller's credentials cannot import there). Usage errors, exit 2.
#[test]
fn security_hub_needs_a_live_scan_of_the_callers_account() {
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/acme-small.json");
    let snapshot = snapshot.to_str().expect("UTF-8 path");
    let refused: [&[&str]; 4] = [
        &["scan", "--snapshot", snapshot, "--security-hub"],
        &["scan", "--template", "template.yaml", "--security-hub"],
        &[
            "scan",
            "--role-arn",
            "arn:aws:iam::111122223333:role/audit",
            "--security-hub",
        ],
        &["scan", "--baseline", "audit.json", "--security-hub"],
    ];
    for args in refused {
        vpcaudit()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--security-hub"));
    }
}

/// A build without the `security-hub` feature refuses `--security-hub` before reading
/// anything, and says how to get it.
#[cfg(not(feature = "security-hub"))]
#[test]
fn security_hub_without_the_feature_says_how_to_get_it() {
    vpcaudit()
        .args(["scan", "--region", "eu-west-1", "--security-hub"])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cargo install vpcaudit --features security-hub",
        ));
}

/// The Security Hub statement is separate from the read-only policy, and only its two calls.
#[test]
fn iam_policy_prints_the_security_hub_statement_apart() {
    let out = vpcaudit()
        .args(["iam-policy", "--security-hub"])
        .output()
        .expect("run vpcaudit");
    assert!(out.status.success());
    let policy: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let statements = policy["Statement"].as_array().expect("statements");
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0]["Sid"], "VpcauditSecurityHub");
    assert_eq!(
        statements[0]["Action"],
        json!(["securityhub:BatchImportFindings", "securityhub:GetFindings"])
    );
    let read_only = vpcaudit_core::snapshot::iam_policy(true);
    assert!(!read_only.contains("securityhub"));
    vpcaudit()
        .args(["iam-policy", "--security-hub", "--read-only"])
        .assert()
        .code(2);
}
