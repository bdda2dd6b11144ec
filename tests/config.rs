//! Configuration end to end through the binary: `init`, rule selection, severities, entry
//! points, the edge, suppressions (active, expired, stale), baselines, and bad files.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const ACME: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/acme-small.json");
const BASTION: &str = "i-071b520a97e653b1a";
const BASTION_SG: &str = "sg-0d57017cff937950d";

fn vpcaudit(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("vpcaudit").expect("binary");
    cmd.current_dir(dir);
    cmd
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

/// Scans the acme account with `config` (as ./vpcaudit.toml) and returns the exit code, the
/// JSON report and stderr.
fn scan(config: &str, extra: &[&str]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "vpcaudit.toml", config);
    let out = vpcaudit(dir.path())
        .args(["scan", "--snapshot", ACME, "--format", "json"])
        .args(extra)
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), report, stderr)
}

fn finding<'a>(report: &'a Value, rule: &str, resource: &str) -> Option<&'a Value> {
    report["findings"]
        .as_array()?
        .iter()
        .find(|f| f["rule_id"] == rule && f["resource"]["id"] == resource)
}

#[test]
fn init_writes_a_commented_default_that_scan_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    vpcaudit(dir.path())
        .arg("init")
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote vpcaudit.toml"));
    let text = std::fs::read_to_string(dir.path().join("vpcaudit.toml")).expect("written");
    assert!(
        text.contains("[[suppress]]") && text.contains("# "),
        "{text}"
    );
    vpcaudit(dir.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "vpcaudit.toml already exists; pass --force",
        ));
    vpcaudit(dir.path())
        .args(["init", "--force"])
        .assert()
        .success();
    // The default configuration changes nothing.
    let (code, with_default, _) = scan(&text, &[]);
    let (_, without, _) = scan("", &[]);
    assert_eq!(code, 1);
    assert_eq!(with_default["findings"], without["findings"]);
}

#[test]
fn rules_can_be_disabled_and_reweighted() {
    let (_, report, _) = scan(
        "[rules]\ndisable = [\"SG003\"]\ndisable_principles = [\"observability\"]\n\
         severity = { AZ001 = \"low\" }\n",
        &[],
    );
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(
        !rules.contains(&"SG003") && !rules.contains(&"OBS001"),
        "{rules:?}"
    );
    let az = finding(&report, "AZ001", "vpc-060a3c4d9bc373e2e").expect("AZ001");
    assert_eq!(az["severity"], "low");
    let all = vpcaudit_core::rules::all().len() as u64;
    let observability = vpcaudit_core::rules::all()
        .iter()
        .filter(|r| r.meta.principle == vpcaudit_core::finding::Principle::Observability)
        .count() as u64;
    assert_eq!(report["summary"]["rules_run"], all - 1 - observability);
}

#[test]
fn a_declared_bastion_is_an_entry_point_not_backend_compute() {
    let (_, plain, _) = scan("", &[]);
    assert!(finding(&plain, "TIER002", BASTION).is_some());
    let (_, configured, _) = scan("[settings]\nentry_point_tags = [\"Role=bastion\"]\n", &[]);
    assert!(finding(&configured, "TIER002", BASTION).is_none());
    // Still: SSH open to the world on it is reported.
    assert!(finding(&configured, "SG001", BASTION_SG).is_some());
}

#[test]
fn declaring_cloudflare_checks_the_origins() {
    let (_, plain, _) = scan("", &[]);
    let edge_findings = |r: &Value| {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule_id"] == "EDGE001")
            .count()
    };
    assert_eq!(
        edge_findings(&plain),
        0,
        "no edge declared, nothing to check"
    );
    let (_, cloudflare, _) = scan("[settings]\nedge = \"cloudflare\"\n", &[]);
    assert!(
        edge_findings(&cloudflare) > 0,
        "the ALBs admit 0.0.0.0/0 on 443"
    );

    // A newer list file replaces the bundled one; errors in it name the file and line.
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "edge.txt", "0.0.0.0/0\n::/0\n");
    write(
        dir.path(),
        "vpcaudit.toml",
        "[settings]\nedge = \"cloudflare\"\nedge_ranges_file = \"edge.txt\"\n",
    );
    let out = vpcaudit(dir.path())
        .args(["scan", "--snapshot", ACME, "--format", "json"])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        edge_findings(&report),
        0,
        "everything is inside the configured edge"
    );
    write(dir.path(), "edge.txt", "# ranges\n10.0.0.0/8\nnonsense\n");
    vpcaudit(dir.path())
        .args(["scan", "--snapshot", ACME])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "edge.txt: line 3: `nonsense` is not a CIDR",
        ));
}

#[test]
fn suppressions_mark_findings_and_stop_them_failing_the_run() {
    let config = format!(
        "[[suppress]]\nrule = \"SG001\"\nresource = \"{BASTION_SG}\"\n\
         reason = \"Office VPN only, SEC-142\"\nexpires = 2099-12-31\n\n\
         [[suppress]]\nrule = \"TIER002\"\ntags = {{ Role = \"bastion\" }}\n\
         reason = \"Bastion by design\"\n\n\
         [[suppress]]\nrule = \"*\"\nresource = \"arn:aws:rds:*:db:acme-staging-*\"\n\
         reason = \"Staging database is being rebuilt\"\n"
    );
    let (code, report, _) = scan(&config, &["--fail-on", "critical"]);
    let ssh = finding(&report, "SG001", BASTION_SG).expect("still listed");
    assert_eq!(ssh["suppression"]["reason"], "Office VPN only, SEC-142");
    assert_eq!(ssh["suppression"]["expires"], "2099-12-31");
    assert_eq!(ssh["suppression"]["source"], "vpcaudit.toml:1");
    let bastion = finding(&report, "TIER002", BASTION).expect("still listed");
    assert_eq!(bastion["suppression"]["reason"], "Bastion by design");
    let db = finding(&report, "DB001", "acme-staging-mysql").expect("still listed");
    assert!(db["suppression"].is_object(), "ARN glob matches");
    // The other bastion-less TIER002 finding is not touched.
    assert!(
        finding(&report, "TIER002", "i-03d10b3141a00c104").expect("listed")["suppression"]
            .is_null()
    );
    assert_eq!(report["summary"]["suppressed"], 3);
    let (_, unsuppressed, _) = scan("", &[]);
    assert_eq!(
        report["summary"]["total"].as_u64().unwrap_or_default() + 3,
        unsuppressed["summary"]["total"]
            .as_u64()
            .unwrap_or_default()
    );
    // DB003 (critical) remains: the run still fails at `critical`...
    assert_eq!(code, 1);
    // ...and passes once it is suppressed too.
    let all_critical = format!(
        "{config}\n[[suppress]]\nrule = \"DB003\"\nresource = \"sg-03ad04e222a37a393\"\nreason = \"r\"\n"
    );
    let (code, report, _) = scan(&all_critical, &["--fail-on", "critical"]);
    assert_eq!(code, 0, "{}", report["summary"]);
    assert!(
        report["suppressions"]["stale"]
            .as_array()
            .expect("stale")
            .is_empty()
    );
}

#[test]
fn expired_and_stale_suppressions_are_reported() {
    let config = format!(
        "[[suppress]]\nrule = \"SG001\"\nresource = \"{BASTION_SG}\"\nreason = \"temporary\"\n\
         expires = 2020-01-31\n\n\
         [[suppress]]\nrule = \"SG002\"\nresource = \"sg-gone\"\nreason = \"old\"\n"
    );
    let (code, report, stderr) = scan(&config, &[]);
    assert_eq!(code, 1);
    let ssh = finding(&report, "SG001", BASTION_SG).expect("listed");
    assert!(
        ssh["suppression"].is_null(),
        "an expired suppression no longer suppresses"
    );
    let expired = &report["suppressions"]["expired"][0];
    assert_eq!(expired["source"], "vpcaudit.toml:1");
    assert_eq!(expired["expires"], "2020-01-31");
    assert_eq!(expired["matches"], 1);
    let stale = &report["suppressions"]["stale"][0];
    assert_eq!(stale["source"], "vpcaudit.toml:7");
    assert_eq!(stale["resource"], "sg-gone");
    assert!(
        stderr.contains("suppression at vpcaudit.toml:1 expired on 2020-01-31"),
        "{stderr}"
    );
    assert!(
        stderr.contains("suppression at vpcaudit.toml:7 matches no finding"),
        "{stderr}"
    );
}

#[test]
fn a_baseline_reports_only_what_is_new() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = dir.path().join("before.json");
    vpcaudit(dir.path())
        .args([
            "scan",
            "--snapshot",
            ACME,
            "--format",
            "json",
            "--quiet",
            "-o",
        ])
        .arg(&before)
        .assert()
        .code(1);
    // Same account again: nothing new, the run passes.
    let out = vpcaudit(dir.path())
        .args(["scan", "--snapshot", ACME, "--format", "json", "--baseline"])
        .arg(&before)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["summary"]["total"], 0);
    assert!(
        report["summary"]["baseline"]["known"]
            .as_u64()
            .unwrap_or_default()
            > 10
    );

    // A baseline missing one finding: exactly that one is new. Matching is by fingerprint,
    // so a reworded message in the old report changes nothing.
    let mut old: Value =
        serde_json::from_str(&std::fs::read_to_string(&before).expect("read")).expect("json");
    let findings = old["findings"].as_array_mut().expect("findings");
    let removed = findings.remove(0);
    for f in findings.iter_mut() {
        f["message"] = Value::from("worded differently in an older version");
    }
    let edited = write(dir.path(), "edited.json", &old.to_string());
    let out = vpcaudit(dir.path())
        .args([
            "scan",
            "--snapshot",
            ACME,
            "--format",
            "json",
            "--baseline",
            &edited,
        ])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let new: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["fingerprint"], removed["fingerprint"]);

    let junk = write(dir.path(), "junk.json", "{\"findings\": [}");
    vpcaudit(dir.path())
        .args(["scan", "--snapshot", ACME, "--baseline", &junk])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{junk}:1:")));
}

#[test]
fn bad_configuration_is_exit_2_with_file_line_and_column() {
    let cases = [
        (
            "[settings]\nadmin_ports = [22]\nadmin_prots = [3389]\n",
            "vpcaudit.toml:3:1: unknown field `admin_prots`",
        ),
        (
            "[rules]\ndisable = [\"SG001\", \"XX042\"]\n",
            "vpcaudit.toml:2:21: unknown rule `XX042`",
        ),
        (
            "[rules]\nseverity = { SG001 = \"severe\" }\n",
            "vpcaudit.toml:2:22: unknown severity `severe`",
        ),
        (
            "[[suppress]]\nrule = \"SG001\"\nresource = \"sg-1\"\n",
            "missing field `reason`",
        ),
        (
            "[[suppress]]\nrule = \"SG001\"\nresource = \"sg-1\"\nreason = \"r\"\nexpires = \"someday\"\n",
            "vpcaudit.toml:5:11: `expires` must be a date",
        ),
        ("[settings\n", "vpcaudit.toml:1:"),
    ];
    for (config, message) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "vpcaudit.toml", config);
        vpcaudit(dir.path())
            .args(["scan", "--snapshot", ACME])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(message))
            .stderr(predicate::str::contains("panicked").not());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    vpcaudit(dir.path())
        .args(["scan", "--snapshot", ACME, "--config", "missing.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.toml: cannot read"));
}
