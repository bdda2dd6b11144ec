//! SARIF, Markdown and multi-output tests, and the example GitHub Actions workflow.
//!
//! Every SARIF log vpcaudit can produce (findings, none, suppressed findings, scan errors, and
//! every snapshot under `fixtures/`) is validated against the official SARIF 2.1.0 schema
//! (`tests/data/`, offline) and against what GitHub code scanning needs beyond the schema. When
//! `VPCAUDIT_SARIF_MULTITOOL` names Microsoft's SARIF multitool, its GitHub rules run too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::{Value, json};
use vpcaudit_core::config::Settings;
use vpcaudit_core::finding::{Severity, Suppression};
use vpcaudit_core::report::Report;
use vpcaudit_core::report::markdown;
use vpcaudit_core::report::sarif::{self, FINGERPRINT_KEY, INFORMATION_URI, SarifOptions};
use vpcaudit_core::rules;
use vpcaudit_core::snapshot::Snapshot;

const SCHEMA: &str = include_str!("data/sarif-schema-2.1.0.json");
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const WORKFLOW: &str = "examples/github-actions/vpcaudit.yml";

// ---------------------------------------------------------------------------------------------
// Snapshots and reports

/// One account and region breaking several rules at every severity from medium to critical,
/// with names that need escaping (`|`, `*`, `<`) and a subnet group name with spaces.
fn findings_snapshot_json() -> Value {
    json!({
        "format_version": 1,
        "tool": {"name": "vpcaudit", "version": "0.1.0"},
        "collected_at": "2026-11-26T12:00:00Z",
        "account": ACCOUNT,
        "regions": [REGION],
        "scopes": [{
            "account": ACCOUNT,
            "region": REGION,
            "vpcs": [{"id": "vpc-0a1", "cidr_blocks": ["10.0.0.0/16"],
                      "tags": {"Name": "prod | core *x*", "Environment": "prod"}}],
            "subnets": [
                {"id": "subnet-pub-a", "vpc_id": "vpc-0a1", "availability_zone": "us-east-1a",
                 "cidr_block": "10.0.0.0/24", "map_public_ip_on_launch": true,
                 "tags": {"Name": "public-a"}},
                {"id": "subnet-priv-a", "vpc_id": "vpc-0a1", "availability_zone": "us-east-1a",
                 "cidr_block": "10.0.1.0/24", "tags": {"Name": "private-a"}}
            ],
            "internet_gateways": [{"id": "igw-1", "attached_vpc_ids": ["vpc-0a1"]}],
            "route_tables": [
                {"id": "rtb-main", "vpc_id": "vpc-0a1",
                 "associations": [{"id": "rtbassoc-m", "main": true},
                                  {"id": "rtbassoc-p", "subnet_id": "subnet-pub-a"}],
                 "routes": [
                     {"destination": {"ipv4": "10.0.0.0/16"}, "target": {"kind": "local"}},
                     {"destination": {"ipv4": "0.0.0.0/0"},
                      "target": {"kind": "internet_gateway", "id": "igw-1"}}]},
                {"id": "rtb-priv", "vpc_id": "vpc-0a1",
                 "associations": [{"id": "rtbassoc-x", "subnet_id": "subnet-priv-a"}],
                 "routes": [
                     {"destination": {"ipv4": "10.0.0.0/16"}, "target": {"kind": "local"}},
                     {"destination": {"ipv4": "0.0.0.0/0"},
                      "target": {"kind": "nat_gateway", "id": "nat-dead"}, "state": "blackhole"}]}
            ],
            "security_groups": [
                {"id": "sg-admin", "name": "bastion-sg", "vpc_id": "vpc-0a1",
                 "ingress": [{"id": "sgr-1", "protocol": "tcp", "ports": {"from": 22, "to": 22},
                              "peer": {"ipv4": "0.0.0.0/0"}}]},
                {"id": "sg-db", "name": "db-sg", "vpc_id": "vpc-0a1",
                 "ingress": [{"id": "sgr-2", "protocol": "tcp",
                              "ports": {"from": 5432, "to": 5432},
                              "peer": {"ipv4": "0.0.0.0/0"}}]}
            ],
            "instances": [{"id": "i-0bastion", "vpc_id": "vpc-0a1", "subnet_id": "subnet-pub-a",
                           "state": "running", "public_ip": "203.0.113.10",
                           "security_group_ids": ["sg-admin"], "tags": {"Name": "bastion <b>"}}],
            "db_instances": [{"id": "orders-db",
                              "arn": "arn:aws:rds:us-east-1:123456789012:db:orders-db",
                              "engine": "postgres", "publicly_accessible": true,
                              "multi_az": false, "availability_zone": "us-east-1a",
                              "db_subnet_group": "orders db group", "vpc_id": "vpc-0a1",
                              "security_group_ids": ["sg-db"],
                              "endpoint": {"address": "orders-db.abc.us-east-1.rds.amazonaws.com",
                                           "port": 5432},
                              "tags": {"Environment": "prod"}}],
            "db_subnet_groups": [{"name": "orders db group",
                                  "arn": "arn:aws:rds:us-east-1:123456789012:subgrp:orders db group",
                                  "vpc_id": "vpc-0a1",
                                  "subnets": [{"subnet_id": "subnet-pub-a",
                                               "availability_zone": "us-east-1a"}]}],
            "lambda_functions": [{"name": "billing-fn",
                                  "arn": "arn:aws:lambda:us-east-1:123456789012:function:billing-fn",
                                  "runtime": "python3.12",
                                  "environment": [{"name": "DB_PASSWORD",
                                                   "value_facts": [{"kind": "literal"}]}]}]
        }],
        "coverage": {"collected": [], "errors": []}
    })
}

/// The same account with nothing in it: a clean, complete scan.
fn empty_snapshot_json() -> Value {
    let mut snapshot = findings_snapshot_json();
    snapshot["scopes"] = json!([{"account": ACCOUNT, "region": REGION}]);
    snapshot
}

/// The findings snapshot where security groups could not be read (so the rules that need them
/// are not evaluated) and one call failed without a dataset.
fn coverage_errors_snapshot_json() -> Value {
    let mut snapshot = findings_snapshot_json();
    snapshot["scopes"][0]["security_groups"] = json!([]);
    snapshot["coverage"]["errors"] = json!([
        {"service": "ec2", "operation": "DescribeSecurityGroups", "account": ACCOUNT,
         "region": REGION, "code": "UnauthorizedOperation",
         "error": "You are not authorized to perform this operation | denied",
         "dataset": "security_groups"},
        {"service": "sts", "operation": "GetCallerIdentity",
         "error": "connection reset by peer"}
    ]);
    snapshot
}

fn snapshot(json: &Value) -> Snapshot {
    Snapshot::from_json(&json.to_string(), Path::new("<test>")).expect("test snapshot parses")
}

fn report(snapshot: &Snapshot) -> Report {
    Report::build(snapshot, rules::evaluate(snapshot, &Settings::default()))
}

/// The findings report with its first finding suppressed, the way the config work will mark it.
fn suppressed_report() -> Report {
    let mut report = report(&snapshot(&findings_snapshot_json()));
    let first = report
        .findings
        .first_mut()
        .expect("the sample has findings");
    first.suppression = Some(Suppression {
        reason: "Public by design: read replica for partners | ticket SEC-12".to_owned(),
        expires: Some("2027-01-31".to_owned()),
        source: "vpcaudit.toml:12".to_owned(),
    });
    report
}

/// Every report the tool can turn into SARIF, named: the in-code cases, every snapshot under
/// `fixtures/`, and every case of the per-rule fixtures (`fixtures/rules/<ID>.json`), so each
/// rule's findings and resource types go through SARIF.
fn all_reports() -> Vec<(String, Report)> {
    let mut reports = vec![
        (
            "findings".to_owned(),
            report(&snapshot(&findings_snapshot_json())),
        ),
        (
            "no findings".to_owned(),
            report(&snapshot(&empty_snapshot_json())),
        ),
        ("suppressed".to_owned(), suppressed_report()),
        (
            "coverage errors".to_owned(),
            report(&snapshot(&coverage_errors_snapshot_json())),
        ),
    ];
    for (name, snapshot) in fixture_snapshots() {
        reports.push((name, report(&snapshot)));
    }
    reports
}

/// Snapshots from `fixtures/**/*.json`: snapshot files as they are, and each case of a per-rule
/// fixture as a one-scope snapshot. Other JSON is skipped.
fn fixture_snapshots() -> Vec<(String, Snapshot)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let root = manifest_dir();
    let mut paths = Vec::new();
    walk(&root.join("fixtures"), &mut paths);
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let name = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let Some(value) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        else {
            continue;
        };
        if value.get("scopes").is_some() && value.get("coverage").is_some() {
            let snapshot = Snapshot::load(&path).unwrap_or_else(|e| panic!("{e}"));
            out.push((name, snapshot));
        } else if let Some(cases) = value["cases"].as_array() {
            for case in cases {
                let mut scope = case["inventory"].clone();
                for (key, default) in [("account", "111122223333"), ("region", "eu-west-1")] {
                    if scope.get(key).is_none() {
                        scope[key] = json!(default);
                    }
                }
                let mut snapshot = empty_snapshot_json();
                snapshot["account"] = scope["account"].clone();
                snapshot["regions"] = json!([scope["region"].clone()]);
                snapshot["scopes"] = json!([scope]);
                let case_name = case["name"].as_str().unwrap_or("case");
                out.push((
                    format!("{name}: {case_name}"),
                    Snapshot::from_json(&snapshot.to_string(), &path)
                        .unwrap_or_else(|e| panic!("{name}: {case_name}: {e}")),
                ));
            }
        }
    }
    out
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sarif_of(report: &Report) -> Value {
    let text = sarif::render(report, &SarifOptions::default());
    serde_json::from_str(&text).expect("the SARIF output is JSON")
}

// ---------------------------------------------------------------------------------------------
// Checks

/// Schema errors of a document against the vendored official SARIF 2.1.0 schema.
fn schema_errors(doc: &Value) -> Vec<String> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA).expect("the vendored schema is JSON");
        jsonschema::validator_for(&schema).expect("the vendored schema compiles")
    });
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn text_of<'a>(value: &'a Value, what: &str) -> &'a str {
    let text = value["text"].as_str().unwrap_or_default();
    assert!(!text.trim().is_empty(), "{what}.text is missing or empty");
    text
}

/// Fails with every problem GitHub code scanning would have with the log, beyond the schema.
fn assert_github_ready(doc: &Value, what: &str) {
    assert_eq!(doc["version"], "2.1.0", "{what}: version");
    assert!(doc["$schema"].is_string(), "{what}: $schema");
    let runs = doc["runs"].as_array().expect("runs");
    assert!(
        (1..=20).contains(&runs.len()),
        "{what}: GitHub takes 1 to 20 runs"
    );
    for run in runs {
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "vpcaudit", "{what}: driver name");
        assert!(
            driver["semanticVersion"]
                .as_str()
                .is_some_and(|v| !v.is_empty()),
            "{what}: driver version"
        );
        assert_eq!(driver["informationUri"], INFORMATION_URI, "{what}");

        // Rules: unique ids, fully described, with a security severity GitHub can bucket.
        let rules = driver["rules"].as_array().expect("driver.rules");
        assert!(
            rules.len() >= rules::all().len(),
            "{what}: every rule that ran is listed"
        );
        let mut ids = BTreeSet::new();
        for rule in rules {
            let id = rule["id"].as_str().expect("rule id");
            assert!(ids.insert(id), "{what}: rule {id} listed twice");
            text_of(
                &rule["shortDescription"],
                &format!("{what}: rule {id} shortDescription"),
            );
            text_of(
                &rule["fullDescription"],
                &format!("{what}: rule {id} fullDescription"),
            );
            text_of(&rule["help"], &format!("{what}: rule {id} help"));
            let score: f64 = rule["properties"]["security-severity"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: rule {id} security-severity is not a string"))
                .parse()
                .unwrap_or_else(|e| panic!("{what}: rule {id} security-severity: {e}"));
            assert!(
                (0.0..=10.0).contains(&score),
                "{what}: rule {id} score {score}"
            );
            let tags: Vec<&str> = rule["properties"]["tags"]
                .as_array()
                .expect("tags")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert!(
                tags.contains(&"security") && tags.len() <= 10,
                "{what}: {id} tags {tags:?}"
            );
        }
        for catalog_rule in rules::all() {
            let id = catalog_rule.meta.id.as_str();
            let rule = rules
                .iter()
                .find(|r| r["id"] == id)
                .expect("catalog rule listed");
            assert_eq!(
                rule["name"],
                catalog_rule.meta.name.as_str(),
                "{what}: {id} name"
            );
            assert!(
                rule["help"]["markdown"]
                    .as_str()
                    .is_some_and(|m| m.contains("## How to fix")),
                "{what}: {id} help.markdown is the rule's doc"
            );
            let tags = &rule["properties"]["tags"];
            for tag in ["security", catalog_rule.meta.principle.slug(), "aws", "vpc"] {
                assert!(
                    tags.as_array().is_some_and(|t| t.iter().any(|x| x == tag)),
                    "{what}: {id} lacks tag {tag}"
                );
            }
        }
        let notification_descriptors = driver["notifications"].as_array().expect("notifications");
        for descriptor in notification_descriptors {
            for field in ["shortDescription", "fullDescription", "help"] {
                text_of(&descriptor[field], &format!("{what}: notification {field}"));
            }
        }

        // Results: rules exist, located, fingerprinted.
        let results = run["results"]
            .as_array()
            .expect("results is present, even empty");
        assert!(results.len() <= 25_000, "{what}: too many results");
        for (i, result) in results.iter().enumerate() {
            let at = format!("{what}: results[{i}]");
            let rule_id = result["ruleId"].as_str().expect("ruleId");
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(
                rules.get(index).map(|r| &r["id"]),
                Some(&json!(rule_id)),
                "{at}"
            );
            assert!(
                ["error", "warning", "note"].contains(&result["level"].as_str().unwrap_or("")),
                "{at}: level"
            );
            text_of(&result["message"], &format!("{at}.message"));
            let locations = result["locations"].as_array().expect("locations");
            assert!((1..=1000).contains(&locations.len()), "{at}: locations");
            let physical = &locations[0]["physicalLocation"];
            let uri = physical["artifactLocation"]["uri"].as_str().expect("uri");
            assert!(
                uri.starts_with("aws/")
                    && !uri.contains("://")
                    && !uri.contains(' ')
                    && uri
                        .split('/')
                        .all(|s| !s.is_empty() && s != ".." && s != "."),
                "{at}: uri {uri} is not a clean relative path"
            );
            assert_eq!(uri.split('/').count(), 5, "{at}: {uri}");
            assert!(physical["region"]["startLine"].as_u64() >= Some(1), "{at}");
            let logical = &locations[0]["logicalLocations"][0];
            assert_eq!(logical["kind"], "resource", "{at}");
            assert!(
                logical["fullyQualifiedName"]
                    .as_str()
                    .is_some_and(|arn| arn.starts_with("arn:aws")),
                "{at}: logical location ARN"
            );
            assert!(
                result["partialFingerprints"][FINGERPRINT_KEY]
                    .as_str()
                    .is_some_and(|f| !f.is_empty()),
                "{at}: partialFingerprints"
            );
        }

        // Category and completeness.
        let id = run["automationDetails"]["id"]
            .as_str()
            .expect("automationDetails.id");
        assert!(
            id.starts_with("vpcaudit/") && id.ends_with('/'),
            "{what}: {id}"
        );
        let invocation = &run["invocations"][0];
        let successful = invocation["executionSuccessful"]
            .as_bool()
            .expect("executionSuccessful");
        let notifications = invocation["toolExecutionNotifications"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            successful,
            notifications.is_empty(),
            "{what}: executionSuccessful"
        );
        for notification in &notifications {
            assert_eq!(notification["level"], "error", "{what}");
            text_of(&notification["message"], &format!("{what}: notification"));
            let descriptor = &notification["descriptor"];
            let index = descriptor["index"].as_u64().expect("descriptor index") as usize;
            assert_eq!(
                notification_descriptors[index]["id"], descriptor["id"],
                "{what}"
            );
            if let Some(rule) = notification.get("associatedRule") {
                let index = rule["index"].as_u64().expect("associatedRule index") as usize;
                assert_eq!(rules[index]["id"], rule["id"], "{what}");
            }
        }
    }
}

fn assert_valid(doc: &Value, what: &str) {
    let errors = schema_errors(doc);
    assert!(errors.is_empty(), "{what}: schema errors: {errors:#?}");
    assert_github_ready(doc, what);
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().expect("results")
}

fn rule<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .and_then(|rules| rules.iter().find(|r| r["id"] == id))
        .unwrap_or_else(|| panic!("rule {id} not in driver.rules"))
}

// ---------------------------------------------------------------------------------------------
// SARIF content

#[test]
fn every_sarif_the_tool_produces_is_valid_and_github_ready() {
    let reports = all_reports();
    let from_fixtures = reports.len() - 4;
    if from_fixtures == 0 {
        println!("notice: no snapshot under fixtures/; only the in-code snapshots were checked");
    }
    let mut rules_seen = BTreeSet::new();
    for (what, report) in &reports {
        let doc = sarif_of(report);
        assert_valid(&doc, what);
        rules_seen.extend(
            results(&doc)
                .iter()
                .filter_map(|r| r["ruleId"].as_str())
                .map(str::to_owned),
        );
    }
    println!(
        "{} SARIF logs valid ({from_fixtures} from fixtures/), with results of {} rules",
        reports.len(),
        rules_seen.len()
    );
}

#[test]
fn the_schema_check_rejects_what_github_would() {
    // Negative control: the vendored schema and validator do catch a broken log.
    let mut doc = sarif_of(&report(&snapshot(&findings_snapshot_json())));
    doc["runs"][0]["results"][0]["level"] = json!("critical");
    doc["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    let errors = schema_errors(&doc);
    assert!(
        errors.iter().any(|e| e.contains("/runs/0/results/0/level")),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("startLine")),
        "{errors:#?}"
    );
}

#[test]
fn findings_carry_level_location_arn_and_fingerprint() {
    let report = report(&snapshot(&findings_snapshot_json()));
    let doc = sarif_of(&report);
    assert_eq!(results(&doc).len(), report.findings.len());
    assert!(
        report.findings.len() >= 10,
        "the sample should break many rules"
    );
    let severities: BTreeSet<Severity> = report.findings.iter().map(|f| f.severity).collect();
    assert!(
        severities.len() >= 3,
        "the sample should cover several severities"
    );

    for (finding, result) in report.findings.iter().zip(results(&doc)) {
        assert_eq!(result["ruleId"], finding.rule_id.as_str());
        let expected_level = match finding.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        };
        assert_eq!(result["level"], expected_level, "{}", finding.rule_id);
        assert!(
            result["message"]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with(&finding.message)),
            "{result:#}"
        );
        let uri = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        let expected_prefix = format!("aws/{ACCOUNT}/{REGION}/");
        assert!(
            uri.as_str()
                .is_some_and(|u| u.starts_with(&expected_prefix)),
            "{uri}"
        );
        assert_eq!(
            result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            finding.resource.arn.as_str()
        );
        assert_eq!(
            result["partialFingerprints"][FINGERPRINT_KEY],
            finding.fingerprint.as_str()
        );
        assert!(result.get("suppressions").is_none());
    }
    // Resource types become short, stable path segments; odd ids are encoded.
    let uris: BTreeSet<&str> = results(&doc)
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    for expected in [
        "aws/123456789012/us-east-1/rds-dbinstance/orders-db",
        "aws/123456789012/us-east-1/ec2-securitygroup/sg-admin",
        "aws/123456789012/us-east-1/rds-dbsubnetgroup/orders%20db%20group",
        "aws/123456789012/us-east-1/ec2-vpc/vpc-0a1",
        "aws/123456789012/us-east-1/lambda-function/billing-fn",
    ] {
        assert!(uris.contains(expected), "{expected} not in {uris:#?}");
    }

    // Every catalog rule, with GitHub's severity buckets.
    let expected_scores = [
        ("critical", "9.5"),
        ("high", "8.0"),
        ("medium", "5.5"),
        ("low", "3.0"),
        ("info", "1.0"),
    ];
    for catalog_rule in rules::all() {
        let rule = rule(&doc, &catalog_rule.meta.id);
        let score = expected_scores
            .iter()
            .find(|(s, _)| *s == catalog_rule.meta.severity.as_str())
            .map(|(_, score)| *score);
        assert_eq!(rule["properties"]["security-severity"].as_str(), score);
        assert_eq!(
            rule["shortDescription"]["text"],
            catalog_rule.meta.title.as_str()
        );
        assert_eq!(
            rule["fullDescription"]["text"],
            catalog_rule.doc.summary.as_str()
        );
        assert_eq!(rule["help"]["markdown"], catalog_rule.doc.markdown.as_str());
    }
    let run = &doc["runs"][0];
    assert_eq!(
        run["automationDetails"]["id"],
        "vpcaudit/123456789012/us-east-1/"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert!(
        run["invocations"][0]
            .get("toolExecutionNotifications")
            .is_none()
    );
}

#[test]
fn a_clean_scan_has_an_empty_results_array() {
    // An empty `results` (not a missing one) is how GitHub learns that earlier alerts are fixed.
    let doc = sarif_of(&report(&snapshot(&empty_snapshot_json())));
    assert_eq!(doc["runs"][0]["results"], json!([]));
    assert_eq!(
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
    assert_eq!(
        doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .map(Vec::len),
        Some(rules::all().len())
    );
}

#[test]
fn suppressed_findings_carry_an_external_accepted_suppression() {
    let report = suppressed_report();
    let doc = sarif_of(&report);
    let suppressed = &results(&doc)[0];
    assert_eq!(
        suppressed["suppressions"],
        json!([{
            "kind": "external",
            "status": "accepted",
            "justification": "Public by design: read replica for partners | ticket SEC-12",
            "properties": {"expires": "2027-01-31", "source": "vpcaudit.toml:12"}
        }])
    );
    // Still a result, still fingerprinted, so GitHub shows it as dismissed, not gone.
    assert_eq!(
        suppressed["partialFingerprints"][FINGERPRINT_KEY],
        report.findings[0].fingerprint.as_str()
    );
    assert!(
        results(&doc)[1..]
            .iter()
            .all(|r| r.get("suppressions").is_none())
    );
}

#[test]
fn coverage_errors_are_error_notifications_of_an_unsuccessful_run() {
    let report = report(&snapshot(&coverage_errors_snapshot_json()));
    assert!(!report.summary.complete);
    assert!(!report.coverage.not_evaluated.is_empty());
    let doc = sarif_of(&report);
    let invocation = &doc["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notes");
    assert_eq!(
        notifications.len(),
        report.coverage.errors.len() + report.coverage.not_evaluated.len()
    );
    let texts: Vec<&str> = notifications
        .iter()
        .filter_map(|n| n["message"]["text"].as_str())
        .collect();
    assert!(texts[0].contains("ec2:DescribeSecurityGroups failed in 123456789012/us-east-1"));
    assert!(texts[0].contains("UnauthorizedOperation"));
    assert!(texts[1].contains("sts:GetCallerIdentity failed"));
    assert_eq!(notifications[0]["descriptor"]["id"], "collection-error");
    assert_eq!(notifications[0]["properties"]["dataset"], "security_groups");
    // Every rule skipped is named, pointing at its descriptor.
    let skipped: BTreeSet<&str> = notifications
        .iter()
        .filter(|n| n["descriptor"]["id"] == "rule-not-evaluated")
        .filter_map(|n| n["associatedRule"]["id"].as_str())
        .collect();
    let expected: BTreeSet<&str> = report
        .coverage
        .not_evaluated
        .iter()
        .map(|n| n.rule_id.as_str())
        .collect();
    assert_eq!(skipped, expected);
    assert!(skipped.contains("SG001"));
}

#[test]
fn a_finding_of_a_rule_outside_the_catalog_still_points_at_a_rule() {
    // A report written by another vpcaudit version may name rules this build lacks.
    let mut report = report(&snapshot(&findings_snapshot_json()));
    report.findings[0].rule_id = "XYZ999".to_owned();
    let doc = sarif_of(&report);
    assert_valid(&doc, "unknown rule");
    let index = results(&doc)[0]["ruleIndex"].as_u64().expect("index") as usize;
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(index, rules::all().len(), "appended after the catalog");
    assert_eq!(rules[index]["id"], "XYZ999");
}

#[test]
fn the_category_can_be_chosen() {
    let report = report(&snapshot(&empty_snapshot_json()));
    let category = |c: &str| {
        sarif::automation_id(
            &report,
            &SarifOptions {
                category: Some(c.to_owned()),
            },
        )
    };
    assert_eq!(category("vpcaudit/prod"), "vpcaudit/prod/");
    assert_eq!(category("vpcaudit/prod/"), "vpcaudit/prod/");
    assert_eq!(category("  "), "vpcaudit/123456789012/us-east-1/");
}

// ---------------------------------------------------------------------------------------------
// Through the binary

fn vpcaudit(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("vpcaudit").expect("the vpcaudit binary is built");
    cmd.current_dir(dir)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION");
    cmd
}

fn write_snapshot(dir: &Path, name: &str, json: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(json).expect("json")).expect("write");
    path
}

fn scan_stdout(dir: &Path, args: &[&str], code: i32) -> String {
    let output = vpcaudit(dir)
        .arg("scan")
        .args(args)
        .output()
        .expect("run vpcaudit");
    assert_eq!(
        output.status.code(),
        Some(code),
        "vpcaudit scan {args:?}: stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// `(ruleId, uri, fingerprint)` of every result.
fn identities(doc: &Value) -> Vec<(String, String, String)> {
    results(doc)
        .iter()
        .map(|r| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                s(&r["ruleId"]),
                s(&r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]),
                s(&r["partialFingerprints"][FINGERPRINT_KEY]),
            )
        })
        .collect()
}

#[test]
fn two_scans_of_a_snapshot_give_identical_sarif_and_fingerprints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_snapshot(dir.path(), "snapshot.json", &findings_snapshot_json());
    let path = path.to_str().expect("utf-8 path");
    let args = ["--snapshot", path, "--format", "sarif", "--fail-on", "none"];
    let first = scan_stdout(dir.path(), &args, 0);
    let second = scan_stdout(dir.path(), &args, 0);
    let (a, b): (Value, Value) = (
        serde_json::from_str(&first).expect("json"),
        serde_json::from_str(&second).expect("json"),
    );
    assert_valid(&a, "binary, first scan");
    assert!(!identities(&a).is_empty());
    assert_eq!(identities(&a), identities(&b));
    assert_eq!(first, second, "the whole log is deterministic");

    // The same situation listed in another order keeps its fingerprints.
    let mut shuffled = findings_snapshot_json();
    if let Some(scope) = shuffled["scopes"][0].as_object_mut() {
        for value in scope.values_mut() {
            if let Some(list) = value.as_array_mut() {
                list.reverse();
            }
        }
    }
    let path = write_snapshot(dir.path(), "shuffled.json", &shuffled);
    let path = path.to_str().expect("utf-8 path");
    let third: Value = serde_json::from_str(&scan_stdout(
        dir.path(),
        &["--snapshot", path, "--format", "sarif", "--fail-on", "none"],
        0,
    ))
    .expect("json");
    let sorted = |doc: &Value| identities(doc).into_iter().collect::<BTreeSet<_>>();
    assert_eq!(sorted(&a), sorted(&third));
}

#[test]
fn one_scan_writes_every_requested_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_snapshot(dir.path(), "snapshot.json", &findings_snapshot_json());
    let path = path.to_str().expect("utf-8 path");
    let table = scan_stdout(
        dir.path(),
        &[
            "--snapshot",
            path,
            "--sarif",
            "out.sarif",
            "--json",
            "out.json",
            "--markdown",
            "out.md",
            "--sarif-category",
            "vpcaudit/prod",
            "--fail-on",
            "high",
        ],
        1,
    );
    assert!(
        table.contains("SG001") && table.contains("findings ("),
        "{table}"
    );

    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out.sarif")).expect("sarif"),
    )
    .expect("sarif is json");
    assert_valid(&sarif, "--sarif file");
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "vpcaudit/prod/"
    );

    let json_file = std::fs::read_to_string(dir.path().join("out.json")).expect("json file");
    let json_stdout = scan_stdout(
        dir.path(),
        &["--snapshot", path, "--format", "json", "--fail-on", "none"],
        0,
    );
    // Exactly the same report, but for the wall times each run measured.
    let without_timings = |text: &str| {
        let mut report: Value = serde_json::from_str(text).expect("report is json");
        for field in ["collection_seconds", "evaluation_seconds"] {
            let timing = report["summary"]
                .as_object_mut()
                .and_then(|summary| summary.remove(field));
            assert!(timing.is_some_and(|t| t.is_f64()), "summary.{field}");
        }
        report
    };
    assert_eq!(
        without_timings(&json_file),
        without_timings(&json_stdout),
        "--json FILE is exactly --format json"
    );

    let md = std::fs::read_to_string(dir.path().join("out.md")).expect("markdown file");
    assert!(md.starts_with("# vpcaudit: 123456789012"), "{md}");

    // The main output can be a file too, in any format.
    scan_stdout(
        dir.path(),
        &[
            "--snapshot",
            path,
            "--format",
            "markdown",
            "-o",
            "main.md",
            "--json",
            "b.json",
        ],
        1,
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.md")).expect("main.md"),
        md
    );
    assert!(dir.path().join("b.json").exists());
}

#[test]
fn an_incomplete_scan_exits_3_and_still_writes_its_sarif() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_snapshot(
        dir.path(),
        "snapshot.json",
        &coverage_errors_snapshot_json(),
    );
    let path = path.to_str().expect("utf-8 path");
    let stdout = scan_stdout(
        dir.path(),
        &[
            "--snapshot",
            path,
            "--format",
            "markdown",
            "--sarif",
            "out.sarif",
            "--fail-on",
            "high",
        ],
        3,
    );
    assert!(stdout.contains("Scan INCOMPLETE"), "{stdout}");
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out.sarif")).expect("sarif"),
    )
    .expect("json");
    assert_valid(&sarif, "incomplete scan through the binary");
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
}

#[test]
fn an_unwritable_output_is_a_usage_error_after_the_others_are_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_snapshot(dir.path(), "snapshot.json", &findings_snapshot_json());
    let path = path.to_str().expect("utf-8 path");
    let output = vpcaudit(dir.path())
        .args([
            "scan",
            "--snapshot",
            path,
            "--sarif",
            "missing-dir/out.sarif",
        ])
        .args(["--json", "out.json", "--fail-on", "none"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("missing-dir/out.sarif: cannot write"),
        "{stderr}"
    );
    assert!(dir.path().join("out.json").exists());
}

// ---------------------------------------------------------------------------------------------
// Microsoft SARIF multitool (GitHub rules), when installed

#[test]
fn sarif_multitool_finds_no_github_error() {
    let Some(multitool) = std::env::var_os("VPCAUDIT_SARIF_MULTITOOL").filter(|v| !v.is_empty())
    else {
        let notice = "set VPCAUDIT_SARIF_MULTITOOL to the sarif-multitool binary \
             (npm install --prefix DIR @microsoft/sarif-multitool; \
             DIR/node_modules/.bin/sarif-multitool) to check GitHub's rules";
        // In CI a missing tool is a failure: a skipped check must not pass as a passed one.
        assert!(
            !in_ci(),
            "CI=true and the SARIF multitool is missing: {notice}"
        );
        println!("notice: skipped: {notice}");
        return;
    };
    let multitool = PathBuf::from(multitool);
    assert!(
        multitool.exists(),
        "VPCAUDIT_SARIF_MULTITOOL={} does not exist",
        multitool.display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    // The tool is slow (about 0.2 s a log): of each per-rule fixture, only the case with the
    // most findings; the schema test above covers every case.
    let mut reports: Vec<(String, Report)> = Vec::new();
    for (what, report) in all_reports() {
        let file = what.split(": ").next().unwrap_or_default().to_owned();
        match reports
            .iter_mut()
            .find(|(w, _)| w.starts_with(&format!("{file}: ")))
        {
            Some(kept) if kept.1.findings.len() < report.findings.len() => *kept = (what, report),
            Some(_) => {}
            None => reports.push((what, report)),
        }
    }
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    for (i, (what, report)) in reports.iter().enumerate() {
        let name = format!("case{i:03}.sarif");
        std::fs::write(
            dir.path().join(&name),
            sarif::render(report, &SarifOptions::default()),
        )
        .expect("write");
        inputs.insert(name, what.clone());
    }
    // One run over every file: the tool starts slowly.
    let out = dir.path().join("validation.sarif");
    let output = StdCommand::new(&multitool)
        .current_dir(dir.path())
        .arg("validate")
        .args(inputs.keys())
        .args(["--rule-kind", "Gh", "--output"])
        .arg(&out)
        .args(["--log", "ForceOverwrite"])
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .expect("run sarif-multitool");
    // It exits 0 even when it finds errors: the verdict is in its own SARIF output.
    assert!(
        output.status.success() && out.exists(),
        "sarif-multitool failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let verdict: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    let runs = verdict["runs"].as_array().cloned().unwrap_or_default();
    assert!(
        !runs.is_empty(),
        "sarif-multitool wrote no run: {verdict:#}"
    );
    let errors: Vec<String> = runs
        .iter()
        .flat_map(|run| run["results"].as_array().cloned().unwrap_or_default())
        // SARIF's default level is warning.
        .filter(|r| r["level"].as_str().unwrap_or("warning") == "error")
        .map(|r| {
            let file = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .and_then(|uri| uri.rsplit('/').next())
                .unwrap_or_default();
            let case = inputs.get(file).map(String::as_str).unwrap_or(file);
            format!("{case}: {} {}", r["ruleId"], r["message"])
        })
        .collect();
    assert!(
        errors.is_empty(),
        "sarif-multitool GitHub errors: {errors:#?}"
    );
    println!(
        "sarif-multitool --rule-kind Gh: {} logs, no error",
        inputs.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Markdown

#[test]
fn markdown_has_status_summary_findings_and_fixes() {
    let report = report(&snapshot(&findings_snapshot_json()));
    let md = markdown::render(&report);
    assert!(
        md.starts_with("# vpcaudit: 123456789012 (us-east-1)\n"),
        "{md}"
    );
    assert!(md.contains("**Scan complete**"), "{md}");
    assert!(!md.contains("Incomplete coverage"));
    assert!(md.contains("| Severity | Findings |"));
    assert!(md.contains(&format!("| **Total** | **{}** |", report.findings.len())));
    for severity in Severity::descending() {
        let count = report
            .summary
            .by_severity
            .get(&severity)
            .copied()
            .unwrap_or(0);
        let title = {
            let s = severity.as_str();
            format!("{}{}", s[..1].to_uppercase(), &s[1..])
        };
        assert!(
            md.contains(&format!("| {title} | {count} |")),
            "{title}: {md}"
        );
        if count > 0 {
            assert!(md.contains(&format!("### {title} ({count})")), "{md}");
        }
    }
    assert!(md.contains("| Principle | Findings |"));
    assert!(
        md.contains("Databases are never public (`db-never-public`) | 3 |"),
        "{md}"
    );
    // Severity groups in order, most severe first.
    let critical = md.find("### Critical").expect("critical group");
    let medium = md.find("### Medium").expect("medium group");
    assert!(critical < medium);
    // Each finding: rule, resource, message and fix.
    for finding in &report.findings {
        assert!(md.contains(&format!("| `{}`<br>", finding.rule_id)));
        assert!(md.contains(&format!("`{}`", finding.resource.id)));
    }
    assert!(md.contains("aws rds modify-db-instance --db-instance-identifier orders-db"));
}

#[test]
fn markdown_cells_escape_pipes_and_markup() {
    let md = markdown::render(&report(&snapshot(&findings_snapshot_json())));
    // The VPC's Name tag is `prod | core *x*`, the instance's `bastion <b>`.
    assert!(md.contains("prod \\| core \\*x\\*"), "{md}");
    assert!(md.contains("bastion &lt;b&gt;"), "{md}");
    assert!(!md.contains("prod | core"));
    // Every table row has the number of cells of its header.
    let mut columns = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let cells = count_cells(line);
        match columns {
            None => columns = Some(cells),
            Some(n) => assert_eq!(cells, n, "row with a stray cell: {line}"),
        }
    }
}

/// Cells of a GFM table row: unescaped `|` separators, minus the outer ones.
fn count_cells(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => {
                escaped = true;
                continue;
            }
            '|' if !escaped => count += 1,
            _ => {}
        }
        escaped = false;
    }
    count - 1
}

#[test]
fn markdown_shows_suppressions_and_incomplete_coverage() {
    let suppressed = suppressed_report();
    let first = &suppressed.findings[0];
    let same_severity = suppressed
        .findings
        .iter()
        .filter(|f| f.severity == first.severity)
        .count();
    let title = match first.severity {
        Severity::Critical => "Critical",
        other => panic!("the sample's first finding should be critical, not {other}"),
    };
    let md = markdown::render(&suppressed);
    let shown = suppressed.findings.len() - 1;
    assert!(
        md.contains(&format!("{shown} findings (and 1 suppressed)")),
        "{md}"
    );
    // Suppressed findings are listed but not counted.
    assert!(md.contains(&format!("| **Total** | **{shown}** |")), "{md}");
    assert!(md.contains("| Suppressed (not counted) | 1 |"), "{md}");
    assert!(
        md.contains(&format!("| {title} | {} |", same_severity - 1)),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "### {title} ({}, and 1 suppressed)",
            same_severity - 1
        )),
        "{md}"
    );
    assert!(
        md.contains(
            "**Suppressed** until 2027-01-31: Public by design: read replica for partners \\| \
             ticket SEC-12 (vpcaudit.toml:12)"
        ),
        "{md}"
    );

    let report = report(&snapshot(&coverage_errors_snapshot_json()));
    let md = markdown::render(&report);
    assert!(
        md.contains("> [!WARNING]\n> **Scan INCOMPLETE**: 2 API calls failed and"),
        "{md}"
    );
    assert!(md.contains("## Incomplete coverage"));
    assert!(md.contains(
        "| `ec2:DescribeSecurityGroups` | 123456789012 | us-east-1 | `UnauthorizedOperation`: \
         You are not authorized to perform this operation \\| denied |"
    ));
    assert!(md.contains("| `sts:GetCallerIdentity` | all | all | connection reset by peer |"));
    assert!(md.contains("| `SG001` | 123456789012 | us-east-1 | `ec2:DescribeSecurityGroups` |"));
    let status = md.find("Scan INCOMPLETE").expect("status");
    assert!(
        status < md.find("## Summary").expect("summary"),
        "status comes first"
    );
}

#[test]
fn markdown_for_a_clean_scan_says_so() {
    let md = markdown::render(&report(&snapshot(&empty_snapshot_json())));
    assert!(md.contains("**Scan complete**"));
    assert!(md.contains("## Findings\n\nNo findings.\n"), "{md}");
    assert!(md.contains("| **Total** | **0** |"));
    assert!(!md.contains("| Principle |"));
}

#[test]
fn markdown_stays_within_its_size_budget() {
    let report = report(&snapshot(&findings_snapshot_json()));
    let md = markdown::render_with_budget(&report, 1500);
    assert!(md.len() < 1500 + 2000, "{} bytes", md.len());
    assert!(md.contains("more findings not shown"), "{md}");
    let full = markdown::render(&report);
    assert!(!full.contains("not shown"));
}

// ---------------------------------------------------------------------------------------------
// The example workflow

/// The inputs of the two actions the workflow configures (from their `action.yml`), to catch
/// misspelt inputs, which GitHub only warns about at run time.
const CONFIGURE_AWS_CREDENTIALS_INPUTS: &[&str] = &[
    "audience",
    "aws-region",
    "role-to-assume",
    "role-session-name",
    "role-duration-seconds",
    "role-external-id",
    "role-skip-session-tagging",
    "mask-aws-account-id",
];
const UPLOAD_SARIF_INPUTS: &[&str] = &[
    "sarif_file",
    "category",
    "checkout_path",
    "ref",
    "sha",
    "token",
    "wait-for-processing",
];

fn workflow() -> Value {
    let text = std::fs::read_to_string(manifest_dir().join(WORKFLOW)).expect("read workflow");
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{WORKFLOW} is not valid YAML: {e}"))
}

fn step_using<'a>(steps: &'a [Value], action: &str) -> (usize, &'a Value) {
    steps
        .iter()
        .enumerate()
        .find(|(_, s)| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .unwrap_or_else(|| panic!("no step uses {action}"))
}

fn with_keys(step: &Value) -> BTreeMap<String, String> {
    step["with"]
        .as_object()
        .map(|with| {
            with.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

fn action() -> Value {
    let text = std::fs::read_to_string(manifest_dir().join("action.yml")).expect("read action.yml");
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("action.yml is not valid YAML: {e}"))
}

/// The workflow's job and its vpcaudit step (`uses: vpcaudit/vpcaudit@…`).
fn vpcaudit_step(workflow: &Value) -> (Vec<Value>, usize) {
    let jobs = workflow["jobs"].as_object().expect("jobs");
    assert_eq!(jobs.len(), 1);
    let job = jobs.values().next().expect("a job");
    let steps = job["steps"].as_array().expect("steps").clone();
    let (at, _) = step_using(&steps, "vpcaudit/vpcaudit@");
    (steps, at)
}

#[test]
fn the_example_workflow_is_valid_and_uses_its_actions_correctly() {
    let workflow = workflow();
    assert!(
        workflow["on"].get("schedule").is_some()
            || workflow["on"].get("workflow_dispatch").is_some()
    );

    let permissions = &workflow["permissions"];
    assert_eq!(
        permissions["id-token"], "write",
        "OIDC needs id-token: write"
    );
    assert_eq!(
        permissions["security-events"], "write",
        "upload-sarif needs it"
    );
    assert_eq!(permissions["contents"], "read");

    let jobs = workflow["jobs"].as_object().expect("jobs");
    let job = jobs.values().next().expect("a job");
    assert!(job["runs-on"].is_string());
    let (steps, vpcaudit_at) = vpcaudit_step(&workflow);
    for step in &steps {
        assert!(
            step.get("uses").is_some() != step.get("run").is_some(),
            "a step has `uses` or `run`: {step}"
        );
    }

    // Credentials: OIDC with a role, never keys.
    let (creds_at, creds) = step_using(&steps, "aws-actions/configure-aws-credentials@v4");
    let with = with_keys(creds);
    for key in with.keys() {
        assert!(
            CONFIGURE_AWS_CREDENTIALS_INPUTS.contains(&key.as_str()),
            "unknown input {key}"
        );
    }
    assert!(with["role-to-assume"].contains("matrix.role"));
    assert!(with["aws-region"].contains("matrix.region"));

    // The vpcaudit action, after the credentials, with inputs it declares: the region, a
    // category per account and region, failing on high; the summary, the upload and the
    // failure left on.
    assert!(creds_at < vpcaudit_at);
    let step = &steps[vpcaudit_at];
    assert!(step.get("if").is_none(), "the scan always runs");
    let action = action();
    let inputs = action["inputs"].as_object().expect("action inputs");
    let with = with_keys(step);
    for key in with.keys() {
        assert!(inputs.contains_key(key), "the action has no input {key}");
    }
    assert_eq!(with["args"].trim(), "--region ${{ matrix.region }}");
    assert_eq!(with["fail-on"], "high");
    assert!(
        with["category"].contains("matrix.account") && with["category"].contains("matrix.region")
    );
    for input in ["upload-sarif", "summary", "fail"] {
        let value = with
            .get(input)
            .cloned()
            .or_else(|| inputs[input]["default"].as_str().map(str::to_owned));
        assert_eq!(value.as_deref(), Some("true"), "{input}");
    }

    // In the action: the scan keeps its exit code, the SARIF is uploaded whatever the scan
    // found, with the workflow's category, and only then does a step fail on the exit code.
    let steps = action["runs"]["steps"].as_array().expect("action steps");
    let (scan_at, scan) = steps
        .iter()
        .enumerate()
        .find(|(_, s)| s["run"].as_str().is_some_and(|r| r.contains("scan.sh")))
        .expect("a scan step");
    assert_eq!(scan["id"], "scan");
    let script =
        std::fs::read_to_string(manifest_dir().join("scripts/action/scan.sh")).expect("scan.sh");
    for needed in [
        "--sarif \"$sarif_file\"",
        "--markdown \"$markdown\"",
        "--fail-on \"$fail_on\"",
        "--sarif-category \"$category\"",
        ">>\"$GITHUB_STEP_SUMMARY\"",
        "set +e",
        "output exit-code \"$code\"",
    ] {
        assert!(script.contains(needed), "scan.sh lacks `{needed}`");
    }
    let (upload_at, upload) = step_using(steps, "github/codeql-action/upload-sarif@v3");
    let upload_with = with_keys(upload);
    for key in upload_with.keys() {
        assert!(
            UPLOAD_SARIF_INPUTS.contains(&key.as_str()),
            "unknown input {key}"
        );
    }
    assert_eq!(
        upload_with["sarif_file"],
        "${{ steps.scan.outputs.sarif-file }}"
    );
    assert_eq!(upload_with["category"], "${{ inputs.category }}");
    assert!(
        upload["if"]
            .as_str()
            .is_some_and(|c| c.contains("always()"))
    );
    let (fail_at, fail) = steps
        .iter()
        .enumerate()
        .find(|(_, s)| {
            s["if"]
                .as_str()
                .is_some_and(|c| c.contains("steps.scan.outputs.exit-code"))
        })
        .expect("a step failing on the scan's exit code");
    assert!(fail["run"].as_str().is_some_and(|r| r.contains("fail.sh")));
    assert!(scan_at < upload_at && upload_at < fail_at);

    // Every `${{ … }}` is closed.
    let text = std::fs::read_to_string(manifest_dir().join(WORKFLOW)).expect("read");
    assert_eq!(text.matches("${{").count(), text.matches("}}").count());
}

#[test]
fn the_example_workflows_scan_runs_through_the_action() {
    // The action's scan script with the workflow's inputs, --region swapped for a snapshot and
    // the matrix filled in: it parses, keeps the exit code for the last step, writes the job
    // summary and the SARIF with the workflow's category.
    let workflow = workflow();
    let (steps, at) = vpcaudit_step(&workflow);
    let fill = |v: &str| {
        v.replace("${{ matrix.account }}", ACCOUNT)
            .replace("${{ matrix.region }}", REGION)
    };
    let with = with_keys(&steps[at]);
    let dir = tempfile::tempdir().expect("tempdir");
    let snapshot = write_snapshot(dir.path(), "snapshot.json", &findings_snapshot_json());
    let mut args: Vec<String> = Vec::new();
    let filled = fill(&with["args"]);
    let mut words = filled.split_whitespace();
    while let Some(word) = words.next() {
        if word == "--region" {
            assert_eq!(words.next(), Some(REGION));
            args.extend(["--snapshot".to_owned(), snapshot.display().to_string()]);
        } else {
            args.push(word.to_owned());
        }
    }
    let outputs = dir.path().join("outputs");
    let summary = dir.path().join("summary.md");
    let output = StdCommand::new("bash")
        .arg(manifest_dir().join("scripts/action/scan.sh"))
        .current_dir(dir.path())
        .env("VPCAUDIT_BIN", env!("CARGO_BIN_EXE_vpcaudit"))
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("RUNNER_TEMP", dir.path())
        .env("INPUT_ARGS", args.join(" "))
        .env("INPUT_FAIL_ON", &with["fail-on"])
        .env("INPUT_CATEGORY", fill(&with["category"]))
        .env("INPUT_SUMMARY", "true")
        .env_remove("INPUT_SARIF_FILE")
        .env_remove("INPUT_JSON_FILE")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .output()
        .expect("run scan.sh");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let outputs = std::fs::read_to_string(&outputs).expect("GITHUB_OUTPUT");
    assert!(
        outputs.lines().any(|l| l == "exit-code=1"),
        "{outputs}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        outputs.lines().any(|l| l == "sarif-file=vpcaudit.sarif"),
        "{outputs}"
    );
    let md = std::fs::read_to_string(&summary).expect("the job summary");
    assert!(md.starts_with("# vpcaudit"), "{md}");
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("vpcaudit.sarif")).expect("the SARIF file"),
    )
    .expect("json");
    assert_valid(&sarif, "the workflow's scan");
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        format!("vpcaudit/{ACCOUNT}/{REGION}/")
    );
}

/// Whether this run is CI's (`CI=true`, as GitHub Actions and most CI systems set it), where
/// every optional tool must be present.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}
