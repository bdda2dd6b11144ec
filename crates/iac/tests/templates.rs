//! The rules on fixture templates: must-flag files and their must-stay-quiet twins, each finding
//! at its expected file:line; unknown values give "not evaluated", never a pass. cfn-lint
//! validates every fixture, so no test reasons about invalid CloudFormation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use vpcaudit_core::config::Settings;
use vpcaudit_core::report::Report;
use vpcaudit_core::report::locations::SourceMap;
use vpcaudit_core::report::sarif::{self, SarifOptions};
use vpcaudit_core::rules::{self, Evaluation};
use vpcaudit_iac::{Converted, Template, convert};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/templates")
}

fn scan(paths: &[&Path], parameters: &[(&str, &str)]) -> (Converted, Evaluation) {
    let templates: Vec<Template> = paths
        .iter()
        .map(|p| Template::load(p).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let parameters: BTreeMap<String, String> = parameters
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let converted = convert(&templates, &parameters);
    let evaluation = rules::evaluate(&converted.snapshot, &Settings::default());
    (converted, evaluation)
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// `(rule, line)` of every finding of `rules_of_interest`, located through the source table.
fn located(
    converted: &Converted,
    evaluation: &Evaluation,
    rules_of_interest: &[&str],
) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = evaluation
        .findings
        .iter()
        .filter(|f| rules_of_interest.contains(&f.rule_id.as_str()))
        .map(|f| {
            let location = converted
                .sources
                .locate(f)
                .unwrap_or_else(|| panic!("{} on {} has no source", f.rule_id, f.resource.id));
            (f.rule_id.clone(), location.line)
        })
        .collect();
    out.sort();
    out
}

/// `(rule, line)` for each line of a YAML fixture marked `# expect RULE`.
fn expected(path: &Path) -> Vec<(String, usize)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out: Vec<(String, usize)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let rule = line.split("# expect ").nth(1)?;
            Some((rule.trim().to_owned(), i + 1))
        })
        .collect();
    out.sort();
    out
}

/// The 1-based line of the first line of `path` containing `needle`.
fn line_of(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle} not in {}", path.display()))
}

const NETWORK_RULES: &[&str] = &["SG001", "SG004", "DB001", "DB002", "NAT003", "NAT004"];

#[test]
fn network_template_findings_land_on_their_lines() {
    let path = fixture("network-flag.yaml");
    let (converted, evaluation) = scan(&[&path], &[]);
    assert!(
        evaluation.not_evaluated.is_empty(),
        "{:?}",
        evaluation.not_evaluated
    );
    assert!(
        converted.snapshot.coverage.unknown.is_empty(),
        "{:?}",
        converted.snapshot.coverage.unknown
    );
    let want = expected(&path);
    assert_eq!(
        want.len(),
        5,
        "the fixture marks SG001, SG004, DB001, DB002, NAT004"
    );
    assert_eq!(located(&converted, &evaluation, NETWORK_RULES), want);
}

#[test]
fn network_twin_stays_quiet() {
    let (converted, evaluation) = scan(&[&fixture("network-quiet.yaml")], &[]);
    assert!(
        evaluation.not_evaluated.is_empty(),
        "{:?}",
        evaluation.not_evaluated
    );
    assert_eq!(located(&converted, &evaluation, NETWORK_RULES), vec![]);
}

#[test]
fn main_route_table_stays_local_because_cloudformation_cannot_route_it() {
    // The public route is on an explicit table: NAT003 must not fire, and the subnets left on
    // the main table are private.
    let (converted, evaluation) = scan(&[&fixture("network-flag.yaml")], &[]);
    assert!(!evaluation.findings.iter().any(|f| f.rule_id == "NAT003"));
    let scope = &converted.snapshot.scopes[0];
    let main = scope.route_tables.iter().find(|t| t.is_main()).unwrap();
    assert_eq!(main.id, "Vpc.MainRouteTable");
    assert_eq!(main.routes.len(), 1, "only the local route");
}

/// NAT004 reads a VPC's endpoints (a private tier served by endpoints is deliberate) and ECS
/// services (workloads), which templates do not give yet: a template declaring either leaves
/// NAT004 not evaluated, naming them, rather than reporting the endpoint-served tier as
/// having no way out or missing the subnet a service runs in.
#[test]
fn vpc_endpoints_and_ecs_services_leave_nat004_not_evaluated() {
    let (converted, evaluation) = scan(&[&fixture("private-tier-endpoints.yaml")], &[]);
    let mut unknown: Vec<&str> = converted
        .snapshot
        .coverage
        .unknown
        .iter()
        .map(|u| u.resource.as_str())
        .collect();
    unknown.sort();
    assert_eq!(unknown, ["SsmEndpoint", "Worker"]);
    let nat004 = evaluation
        .not_evaluated
        .iter()
        .find(|n| n.rule_id == "NAT004")
        .expect("NAT004 not evaluated");
    for resource in ["SsmEndpoint", "Worker"] {
        assert!(
            nat004.missing.iter().any(|m| m.starts_with(resource)),
            "{nat004:?}"
        );
    }
    assert!(!evaluation.findings.iter().any(|f| f.rule_id == "NAT004"));
    let report = Report::build(&converted.snapshot, evaluation);
    assert!(!report.summary.complete, "unknown values: incomplete");
}

#[test]
fn sam_json_globals_put_the_function_in_public_subnets() {
    let path = fixture("sam-function-flag.json");
    let (converted, evaluation) = scan(&[&path], &[]);
    let function = &converted.snapshot.scopes[0].lambda_functions[0];
    assert_eq!(
        function.runtime.as_deref(),
        Some("python3.12"),
        "Globals merged"
    );
    let vpc = function.vpc.as_ref().expect("VpcConfig from Globals");
    assert_eq!(vpc.subnet_ids, ["PublicSubnetA", "PublicSubnetB"]);
    // The cause is in Globals: the finding lands on its VpcConfig line.
    assert_eq!(
        located(&converted, &evaluation, &["LAM001"]),
        vec![("LAM001".to_owned(), line_of(&path, "\"VpcConfig\""))]
    );
    let quiet = fixture("sam-function-quiet.json");
    let (converted, evaluation) = scan(&[&quiet], &[]);
    assert_eq!(
        located(&converted, &evaluation, &["LAM001", "LAM004"]),
        vec![]
    );
}

#[test]
fn a_cidr_from_a_parameter_without_default_is_not_evaluated_never_passing() {
    let path = fixture("sg-cidr-parameter.yaml");
    let (converted, evaluation) = scan(&[&path], &[]);
    let unknown = &converted.snapshot.coverage.unknown;
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(unknown[0].resource, "AdminSg");
    assert_eq!(unknown[0].property, "SecurityGroupIngress[0]");
    assert!(unknown[0].reason.contains("AdminCidr"));
    let sg001 = evaluation
        .not_evaluated
        .iter()
        .find(|n| n.rule_id == "SG001")
        .expect("SG001 not evaluated");
    assert!(
        sg001
            .missing
            .iter()
            .any(|m| m.contains("AdminSg.SecurityGroupIngress[0]")),
        "{sg001:?}"
    );
    assert!(!evaluation.findings.iter().any(|f| f.rule_id == "SG001"));
    let report = Report::build(&converted.snapshot, evaluation);
    assert!(
        !report.summary.complete,
        "unknown values make the scan incomplete"
    );

    // Given a value, the same template is evaluated: the world-open one is flagged.
    let (converted, evaluation) = scan(&[&path], &[("AdminCidr", "0.0.0.0/0")]);
    assert!(converted.snapshot.coverage.unknown.is_empty());
    assert_eq!(
        located(&converted, &evaluation, &["SG001"]),
        vec![("SG001".to_owned(), line_of(&path, "- IpProtocol: tcp"))]
    );
    let (_, evaluation) = scan(&[&path], &[("AdminCidr", "203.0.113.7/32")]);
    assert!(!evaluation.findings.iter().any(|f| f.rule_id == "SG001"));
}

#[test]
fn sarif_results_point_at_the_template_with_the_resource_as_logical_location() {
    let path = fixture("network-flag.yaml");
    let (converted, evaluation) = scan(&[&path], &[]);
    let report = Report::build(&converted.snapshot, evaluation);
    let text = sarif::render_located(&report, &SarifOptions::default(), &converted.sources);
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let db001 = results.iter().find(|r| r["ruleId"] == "DB001").unwrap();
    let location = &db001["locations"][0];
    let uri = location["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("tests/templates/network-flag.yaml"), "{uri}");
    assert_eq!(
        location["physicalLocation"]["region"]["startLine"],
        line_of(&path, "PubliclyAccessible: true")
    );
    assert_eq!(location["logicalLocations"][0]["name"], "Db");
    // Every result is located in the template (the template declares every resource).
    assert!(results.iter().all(|r| {
        !r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("aws/")
    }));
    let markdown = vpcaudit_core::report::markdown::render_located(&report, &converted.sources);
    assert!(markdown.contains(&format!(
        "network-flag.yaml#L{}",
        line_of(&path, "PubliclyAccessible: true")
    )));
}

#[test]
fn vpcaudits_own_sam_template_is_scanned() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/template.yaml");
    let (converted, evaluation) = scan(&[&path], &[]);
    let scope = &converted.snapshot.scopes[0];
    assert_eq!(scope.lambda_functions.len(), 1, "the audit function");
    let function = &scope.lambda_functions[0];
    assert!(
        function.vpc.is_none(),
        "the audit job calls AWS APIs only: no VPC"
    );
    // Nothing in it concerns the network rules, and nothing the rules read is unknown.
    assert!(
        evaluation.findings.is_empty(),
        "{:?}",
        evaluation
            .findings
            .iter()
            .map(|f| &f.message)
            .collect::<Vec<_>>()
    );
    let lambda_rules_skipped = evaluation
        .not_evaluated
        .iter()
        .any(|n| n.rule_id.starts_with("LAM"));
    assert!(!lambda_rules_skipped, "{:?}", evaluation.not_evaluated);
}

/// cfn-lint: `$CFN_LINT`, else next to `$VPCAUDIT_PYTHON`, else on PATH.
fn cfn_lint() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CFN_LINT") {
        return Some(PathBuf::from(path));
    }
    if let Some(python) = std::env::var_os("VPCAUDIT_PYTHON") {
        let candidate = Path::new(&python).with_file_name("cfn-lint");
        if candidate.exists() {
            return Some(candidate);
        }
    }
    Command::new("cfn-lint")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("cfn-lint"))
}

#[test]
fn cfn_lint_validates_every_fixture() {
    let Some(lint) = cfn_lint() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "cfn-lint is required under CI=true (set CFN_LINT or VPCAUDIT_PYTHON)"
        );
        eprintln!("cfn-lint not found: fixtures not validated (set CFN_LINT or VPCAUDIT_PYTHON)");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    let output = Command::new(&lint)
        .args(&files)
        .output()
        .expect("cfn-lint runs");
    assert!(
        output.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
