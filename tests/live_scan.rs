//! The real vpcaudit binary against a real AWS emulator: each test starts its own moto server,
//! builds topologies in it through the AWS API (tests/moto/seed.py, boto3) and checks what
//! `vpcaudit scan` / `vpcaudit collect` make of them.
//!
//! seed.py prints, next to the ids it created, the exact findings the rule specs
//! (rules/<ID>.md) call for; the tests compare vpcaudit's (rule_id, resource.id) pairs with
//! them as multisets, and check each finding's principle and severity against the spec. NAT002
//! (blackhole route) is not covered here: moto 5.2.5 reports every route as active, so it
//! cannot build one (see seed.py).
//!
//! Needs the venv from tests/moto/requirements.txt (scripts/test.sh makes it), found through
//! VPCAUDIT_PYTHON or <crate>/.venv/bin/python.

use vpcaudit_testkit::contracts::{assert_report_matches_schema, assert_snapshot_matches_schema};
use vpcaudit_testkit::moto as common;

use std::collections::BTreeSet;
use std::fs;

use common::{
    MotoServer, REGION, Run, Seed, assert_complete, assert_findings, assert_report_header,
    findings, free_port, rule_specs,
};

/// Exit code of a complete scan with the default `--fail-on low`.
fn exit_code_for(seed: &Seed) -> i32 {
    if seed.expected.is_empty() { 0 } else { 1 }
}

/// The reference architecture yields nothing: the only findings are those of the region's
/// default VPC that moto creates (its default security group has a rule: SG003).
#[test]
fn good_topology_has_no_findings() {
    let moto = MotoServer::start();
    let seed = moto.seed(&["good"]);
    let work = tempfile::tempdir().expect("temp dir");

    let run = Run::scan_live(work.path(), &moto.endpoint(), &[]);
    let report = run.json();
    assert_report_header(&report);
    assert_complete(&report);

    // Nothing about the good VPC or anything in it, whatever resource a finding names.
    let good = seed.ids_under("good.");
    let good_vpc = seed.id("good.vpc");
    let on_good: Vec<String> = findings(&report)
        .iter()
        .filter(|f| {
            let id = f["resource"]["id"].as_str().unwrap_or("");
            good.contains(id) || f.to_string().contains(good_vpc)
        })
        .map(|f| {
            let id = f["resource"]["id"].as_str().unwrap_or("");
            format!(
                "{} {id} [{}]: {}",
                f["rule_id"].as_str().unwrap_or(""),
                seed.names_of(id),
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(
        on_good.is_empty(),
        "the reference VPC {good_vpc} must yield no finding, got {}:\n  {}",
        on_good.len(),
        on_good.join("\n  ")
    );
    assert_findings(&report, &seed);
    run.assert_code(exit_code_for(&seed));

    // What is left (SG003 on the default VPC) is low: `--fail-on medium` passes.
    Run::scan_live(
        work.path(),
        &moto.endpoint(),
        &["--fail-on", "medium", "--quiet"],
    )
    .assert_code(0);
}

/// Declaring Cloudflare as the edge (./vpcaudit.toml) turns the good ALB's 443-from-anywhere
/// rule into an edge bypass (EDGE001: a load balancer with a public IP whose group admits 443
/// from a range outside the edge's), and nothing else: the app and DB groups admit security
/// groups only.
#[test]
fn declared_edge_flags_the_load_balancer_open_to_all() {
    let moto = MotoServer::start();
    let mut seed = moto.seed(&["good"]);
    let work = tempfile::tempdir().expect("temp dir");
    fs::write(
        work.path().join("vpcaudit.toml"),
        "[settings]\nedge = \"cloudflare\"\n",
    )
    .expect("write vpcaudit.toml");

    let run = Run::scan_live(work.path(), &moto.endpoint(), &[]);
    let report = run.json();
    assert_complete(&report);
    let alb_sg = seed.id("good.alb-sg").to_owned();
    seed.expected.push(("EDGE001".to_owned(), alb_sg));
    seed.expected.sort();
    assert_findings(&report, &seed);
    run.assert_code(1);
}

/// Every violation moto can represent, built together with the good VPC: vpcaudit reports
/// exactly the expected (rule, resource) pairs, each with its rule's principle and the
/// severity its spec gives it.
#[test]
fn every_violation_is_reported_exactly() {
    let moto = MotoServer::start();
    let seed = moto.seed(&["all"]);
    let work = tempfile::tempdir().expect("temp dir");

    let run = Run::scan_live(work.path(), &moto.endpoint(), &[]);
    let report = run.json();
    assert_report_header(&report);
    assert_complete(&report);
    assert_findings(&report, &seed);
    run.assert_code(exit_code_for(&seed));

    // Every rule has a live scenario: NAT002 cannot have one (see the module doc) and EDGE001
    // needs a configuration (declared_edge_flags_the_load_balancer_open_to_all).
    let covered: BTreeSet<&str> = seed.expected.iter().map(|(r, _)| r.as_str()).collect();
    let uncovered: Vec<String> = rule_specs()
        .into_keys()
        .filter(|r| !covered.contains(r.as_str()) && !["NAT002", "EDGE001"].contains(&r.as_str()))
        .collect();
    assert!(
        uncovered.is_empty(),
        "rules without a live scenario in seed.py: {uncovered:?}"
    );

    // LAM003: only the variable name is reported, never the value.
    for secret in &seed.never_printed {
        assert!(
            !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
            "the report prints the literal value of a secret Lambda variable"
        );
    }
}

/// `collect` then `scan --snapshot` (offline, moto stopped) gives the same findings, byte for
/// byte, as the live scan.
#[test]
fn offline_scan_of_a_snapshot_matches_the_live_scan() {
    let moto = MotoServer::start();
    let seed = moto.seed(&["all"]);
    let work = tempfile::tempdir().expect("temp dir");

    let live_path = work.path().join("live.json");
    Run::scan_live(
        work.path(),
        &moto.endpoint(),
        &["-o", live_path.to_str().unwrap()],
    )
    .assert_code(exit_code_for(&seed));
    let live: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&live_path).expect("scan -o wrote the report"))
            .expect("scan -o wrote JSON");
    assert_complete(&live);
    assert_report_matches_schema("the live scan report", &live);

    let snapshot = work.path().join("snapshot.json");
    Run::vpcaudit(
        work.path(),
        &[
            "collect",
            "--endpoint-url",
            &moto.endpoint(),
            "--region",
            REGION,
            "-o",
            snapshot.to_str().unwrap(),
        ],
    )
    .assert_code(0);
    let snapshot_text = fs::read_to_string(&snapshot).expect("collect -o wrote the snapshot");
    assert_snapshot_matches_schema(
        "collect -o",
        &serde_json::from_str(&snapshot_text).expect("collect -o wrote JSON"),
    );
    for secret in &seed.never_printed {
        assert!(
            !snapshot_text.contains(secret.as_str()),
            "the snapshot stores the literal value of a secret Lambda variable (LAM003: values \
             are never stored)"
        );
    }

    // Offline means offline: nothing to talk to any more.
    drop(moto);
    let offline = Run::vpcaudit(
        work.path(),
        &[
            "scan",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    offline.assert_code(exit_code_for(&seed));
    let offline = offline.json();

    let live_findings = serde_json::to_string_pretty(findings(&live)).unwrap();
    let offline_findings = serde_json::to_string_pretty(findings(&offline)).unwrap();
    if live_findings != offline_findings {
        let live_lines: Vec<&str> = live_findings.lines().collect();
        let first = offline_findings
            .lines()
            .zip(live_findings.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(live_lines.len().min(offline_findings.lines().count()));
        let from = first.saturating_sub(8);
        panic!(
            "findings of `scan --snapshot` differ from the live scan, first at line {}:\n\
             --- live:\n{}\n--- offline:\n{}",
            first + 1,
            live_findings
                .lines()
                .skip(from)
                .take(20)
                .collect::<Vec<_>>()
                .join("\n"),
            offline_findings
                .lines()
                .skip(from)
                .take(20)
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    assert_eq!(offline["account"], live["account"], "account");
    assert_eq!(offline["regions"], live["regions"], "regions");
    // Not a vacuous equality: the `all` topology has findings (which ones is
    // every_violation_is_reported_exactly's business).
    assert!(
        findings(&live).len() >= seed.expected.len(),
        "the live scan found {} findings, seed.py expects {}",
        findings(&live).len(),
        seed.expected.len()
    );
}

/// An endpoint nobody listens on: an incomplete scan (exit 3) that says what failed, no panic.
#[test]
fn unreachable_endpoint_is_an_incomplete_scan() {
    let port = free_port(); // released: nothing listens there
    let endpoint = format!("http://127.0.0.1:{port}");
    let work = tempfile::tempdir().expect("temp dir");

    let run = Run::scan_live(work.path(), &endpoint, &[]);
    run.assert_code(3);
    let report = run.json();
    let errors = report["coverage"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("coverage.errors missing: {}", run.describe()));
    assert!(
        !errors.is_empty(),
        "coverage.errors is empty: {}",
        run.describe()
    );
    // Said on stderr too: the scan is incomplete, and which calls failed.
    assert!(
        run.stderr.to_ascii_lowercase().contains("incomplete")
            && errors.iter().any(|e| e["operation"]
                .as_str()
                .is_some_and(|op| run.stderr.contains(op))),
        "stderr should say the scan is incomplete and name the failed calls: {}",
        run.describe()
    );
    for e in errors {
        for field in ["service", "operation", "error"] {
            assert!(
                e[field].as_str().is_some_and(|s| !s.is_empty()),
                "coverage error without {field}: {e:#}"
            );
        }
        assert!(
            e["region"].is_null() || e["region"] == REGION,
            "coverage error in another region: {e:#}"
        );
    }
    assert!(
        findings(&report).is_empty(),
        "no data, so no findings: {:#}",
        report["findings"]
    );
}
