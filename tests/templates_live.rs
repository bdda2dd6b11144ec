//! Findings in the code that made them, against moto's CloudFormation (issue 12): a stack is
//! created from a template with planted violations, then the account is scanned live with
//! `--templates` and the template is scanned before deploy with `--template`. The violations
//! found both ways are the same, and the live ones land on the template's lines.
//!
//! moto 5.2.5 tags what its CloudFormation creates only on EC2 resources (VPCs, subnets,
//! security groups, instances…), so live RDS findings keep their `aws/…` pseudo-path; it does
//! not apply a separate `AWS::EC2::SecurityGroupIngress` resource (its physical id is empty), so
//! the SG004 planted that way is found only in the template.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use serde_json::Value;
use vpcaudit_testkit::moto::{MotoServer, REGION, Run, manifest_dir};

/// (rule id, artifact URI, start line) of every SARIF result.
fn located(sarif: &Value) -> BTreeSet<(String, String, u64)> {
    sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let physical = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().expect("ruleId").to_owned(),
                physical["artifactLocation"]["uri"]
                    .as_str()
                    .expect("uri")
                    .to_owned(),
                physical["region"]["startLine"].as_u64().expect("startLine"),
            )
        })
        .collect()
}

fn rules(results: &BTreeSet<(String, String, u64)>) -> BTreeSet<&str> {
    results.iter().map(|(rule, _, _)| rule.as_str()).collect()
}

#[test]
fn a_stack_and_its_template_give_the_same_findings_at_the_same_lines() {
    const TEMPLATE: &str = "infra/network.yaml";
    let work = tempfile::tempdir().expect("temp dir");
    fs::create_dir_all(work.path().join("infra")).expect("mkdir");
    fs::copy(
        manifest_dir().join("crates/iac/tests/templates/network-flag.yaml"),
        work.path().join(TEMPLATE),
    )
    .expect("copy the template");

    let moto = MotoServer::start();
    let resources: BTreeMap<String, String> =
        moto.create_stack("network", &work.path().join(TEMPLATE));
    assert!(
        resources
            .get("BastionSg")
            .is_some_and(|id| id.starts_with("sg-")),
        "the stack created the bastion's security group: {resources:?}"
    );

    let endpoint = moto.endpoint();
    Run::vpcaudit(
        work.path(),
        &[
            "scan",
            "--endpoint-url",
            &endpoint,
            "--region",
            REGION,
            "--templates",
            TEMPLATE,
            "--format",
            "sarif",
            "-o",
            "live.sarif",
            "--fail-on",
            "none",
        ],
    )
    .assert_code(0);
    Run::vpcaudit(
        work.path(),
        &[
            "scan",
            "--template",
            TEMPLATE,
            "--format",
            "sarif",
            "-o",
            "template.sarif",
            "--fail-on",
            "none",
        ],
    )
    .assert_code(0);
    let read = |name: &str| -> Value {
        serde_json::from_str(&fs::read_to_string(work.path().join(name)).expect(name))
            .expect("SARIF is JSON")
    };
    let live = located(&read("live.sarif"));
    let template = located(&read("template.sarif"));

    // Four planted violations, found both ways: the public database, the VPC without flow
    // logs, SSH open to the world on the bastion, the app instance's subnet without a way out.
    for rule in ["DB001", "OBS001", "SG001", "NAT004"] {
        assert!(
            rules(&live).contains(rule),
            "live scan misses {rule}: {live:?}"
        );
        assert!(
            rules(&template).contains(rule),
            "template scan misses {rule}: {template:?}"
        );
    }
    // Live findings on what the stack tagged land where the template declares it.
    for rule in ["OBS001", "SG001", "NAT004"] {
        let at = |results: &BTreeSet<(String, String, u64)>| -> Vec<(String, u64)> {
            results
                .iter()
                .filter(|(r, _, _)| r == rule)
                .map(|(_, uri, line)| (uri.clone(), *line))
                .collect()
        };
        assert_eq!(at(&live), at(&template), "{rule}: live vs template lines");
        assert!(
            at(&live)
                .iter()
                .all(|(uri, line)| uri == TEMPLATE && *line > 1)
        );
    }
    // Resources the stack did not create (the default VPC's security groups) stay at their
    // pseudo-paths: nothing is placed on a line that did not declare it.
    for (rule, uri, _) in &live {
        if uri == TEMPLATE {
            assert!(
                ["OBS001", "SG001", "NAT004"].contains(&rule.as_str()),
                "{rule} at {uri}"
            );
        } else {
            assert!(uri.starts_with("aws/"), "{rule}: {uri}");
        }
    }
}

/// A `--templates` file that cannot be read is an error (exit 2), not a silently unlocated
/// report.
#[test]
fn a_missing_templates_file_is_a_usage_error() {
    let work = tempfile::tempdir().expect("temp dir");
    let run = Run::vpcaudit(
        work.path(),
        &[
            "scan",
            "--snapshot",
            manifest_dir()
                .join("fixtures/acme-small.json")
                .to_str()
                .expect("utf-8"),
            "--templates",
            "nowhere.yaml",
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(run.stderr.contains("nowhere.yaml"), "{}", run.describe());
}
