//! The rules on fixture templates: must-flag files and their must-stay-quiet twins, each finding
//! at its expected file:line; unknown values give "not evaluated", never a pass. cfn-lint
//! validates every fixture, so no test reasons about invalid CloudFormation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use vpcaudit_core::config::{Config, Edge, Settings, TemplateSources};
use vpcaudit_core::report::Report;
use vpcaudit_core::report::locations::SourceMap;
use vpcaudit_core::report::sarif::{self, SarifOptions};
use vpcaudit_core::rules::{self, Evaluation};
use vpcaudit_iac::live::{LOGICAL_ID_TAG, STACK_NAME_TAG, live_sources, load_stack_templates};
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

/// One rule's must-flag template and its must-stay-quiet twin. The flag template marks each
/// line a finding must land on with `# expect RULE` (YAML), or `lines` names a text on it and
/// how many lines below it the finding is (JSON, which has no comments).
struct Twin {
    rule: &'static str,
    flag: &'static str,
    quiet: &'static str,
    lines: &'static [(&'static str, usize)],
}

const fn twin(rule: &'static str, flag: &'static str, quiet: &'static str) -> Twin {
    Twin {
        rule,
        flag,
        quiet,
        lines: &[],
    }
}

const TWINS: &[Twin] = &[
    twin(
        "ENV001",
        "rules/ENV001-flag.yaml",
        "rules/ENV001-quiet.yaml",
    ),
    twin("AZ001", "rules/AZ001-flag.yaml", "rules/AZ001-quiet.yaml"),
    twin("AZ002", "rules/AZ002-flag.yaml", "rules/AZ002-quiet.yaml"),
    twin("AZ003", "rules/AZ003-flag.yaml", "rules/AZ003-quiet.yaml"),
    twin("AZ004", "rules/AZ004-flag.yaml", "rules/AZ004-quiet.yaml"),
    twin("AZ005", "rules/AZ005-flag.yaml", "rules/AZ005-quiet.yaml"),
    twin(
        "TIER001",
        "rules/TIER001-flag.yaml",
        "rules/TIER001-quiet.yaml",
    ),
    twin(
        "TIER002",
        "rules/TIER002-flag.yaml",
        "rules/TIER002-quiet.yaml",
    ),
    twin("DB001", "network-flag.yaml", "network-quiet.yaml"),
    twin("DB002", "network-flag.yaml", "network-quiet.yaml"),
    twin("DB003", "rules/DB003-flag.yaml", "rules/DB003-quiet.yaml"),
    twin(
        "NAT001",
        "rules/NAT001-flag.yaml",
        "rules/NAT001-quiet.yaml",
    ),
    twin(
        "NAT004",
        "rules/NAT004-flag.yaml",
        "rules/NAT004-quiet.yaml",
    ),
    twin("SG001", "network-flag.yaml", "network-quiet.yaml"),
    Twin {
        // The rule entry's `{`, the line below its list's key.
        lines: &[("\"SecurityGroupIngress\"", 1)],
        ..twin("SG002", "rules/SG002-flag.json", "rules/SG002-quiet.json")
    },
    twin("SG004", "network-flag.yaml", "network-quiet.yaml"),
    Twin {
        lines: &[("\"Db\": {", 0)],
        ..twin("SG005", "rules/SG005-flag.json", "rules/SG005-quiet.json")
    },
    twin(
        "NACL001",
        "rules/NACL001-flag.yaml",
        "rules/NACL001-quiet.yaml",
    ),
    Twin {
        lines: &[("\"VpcConfig\"", 0)],
        ..twin(
            "LAM001",
            "sam-function-flag.json",
            "sam-function-quiet.json",
        )
    },
    twin(
        "LAM002",
        "rules/LAM002-flag.yaml",
        "rules/LAM002-quiet.yaml",
    ),
    Twin {
        lines: &[("\"Environment\"", 0)],
        ..twin(
            "LAM003",
            "rules/LAM003-flag.json",
            "rules/LAM003-quiet.json",
        )
    },
    twin(
        "LAM004",
        "rules/LAM004-flag.yaml",
        "rules/LAM004-quiet.yaml",
    ),
    twin(
        "EDGE001",
        "rules/EDGE001-flag.yaml",
        "rules/EDGE001-quiet.yaml",
    ),
    twin(
        "OBS001",
        "rules/OBS001-flag.yaml",
        "rules/OBS001-quiet.yaml",
    ),
];

/// Rules whose data a template cannot express, and why. Each is shown below to be not evaluated
/// or quiet for that reason, never skipped in silence.
const NOT_EXPRESSIBLE: &[(&str, &str)] = &[
    (
        "ENV002",
        "a template cannot declare the default VPC: every VPC it declares is a new one",
    ),
    (
        "NAT002",
        "a route to a deleted target is state after deploy: a template's routes name what it declares",
    ),
    (
        "NAT003",
        "CloudFormation cannot add routes to a VPC's main route table",
    ),
    (
        "SG003",
        "a template does not declare the default security group; a rule added to it names it by \
         an attribute known only after deploy (not evaluated)",
    ),
    (
        "OBS002",
        "API Gateway stages are not read from templates yet (not evaluated)",
    ),
    (
        "OBS003",
        "API Gateway stages are not read from templates yet (not evaluated)",
    ),
];

/// The settings a rule needs to run at all (EDGE001: a declared edge).
fn settings_for(rule: &str) -> Settings {
    let mut settings = Settings::default();
    if rule == "EDGE001" {
        settings.edge = Some(Edge::Cloudflare);
    }
    settings
}

fn scan_with(path: &Path, settings: &Settings) -> (Converted, Evaluation) {
    let template = Template::load(path).unwrap_or_else(|e| panic!("{e}"));
    let converted = convert(&[template], &BTreeMap::new());
    let evaluation = rules::evaluate(&converted.snapshot, settings);
    (converted, evaluation)
}

fn assert_evaluated(rule: &str, path: &Path, evaluation: &Evaluation) {
    let skipped: Vec<_> = evaluation
        .not_evaluated
        .iter()
        .filter(|n| n.rule_id == rule)
        .collect();
    assert!(
        skipped.is_empty(),
        "{rule} not evaluated on {}: {skipped:?}",
        path.display()
    );
}

#[test]
fn every_rule_has_template_twins_or_a_reason_why_not() {
    let mut covered: Vec<&str> = TWINS.iter().map(|t| t.rule).collect();
    covered.extend(NOT_EXPRESSIBLE.iter().map(|(rule, _)| *rule));
    let mut sorted = covered.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), covered.len(), "a rule listed twice");
    let mut catalog: Vec<&str> = rules::all().iter().map(|r| r.meta.id.as_str()).collect();
    catalog.sort();
    assert_eq!(sorted, catalog);
}

#[test]
fn each_rule_flags_its_template_at_the_expected_lines_and_its_twin_stays_quiet() {
    for twin in TWINS {
        let settings = settings_for(twin.rule);
        let flag = fixture(twin.flag);
        let (converted, evaluation) = scan_with(&flag, &settings);
        assert_evaluated(twin.rule, &flag, &evaluation);
        let want: Vec<(String, usize)> = if twin.lines.is_empty() {
            expected(&flag)
                .into_iter()
                .filter(|(rule, _)| rule == twin.rule)
                .collect()
        } else {
            twin.lines
                .iter()
                .map(|(needle, below)| (twin.rule.to_owned(), line_of(&flag, needle) + below))
                .collect()
        };
        assert!(
            !want.is_empty(),
            "{} marks no {} line",
            twin.flag,
            twin.rule
        );
        assert_eq!(
            located(&converted, &evaluation, &[twin.rule]),
            want,
            "{} on {}",
            twin.rule,
            twin.flag
        );

        let quiet = fixture(twin.quiet);
        let (converted, evaluation) = scan_with(&quiet, &settings);
        assert_evaluated(twin.rule, &quiet, &evaluation);
        assert_eq!(
            located(&converted, &evaluation, &[twin.rule]),
            vec![],
            "{} on {}",
            twin.rule,
            twin.quiet
        );
    }
}

#[test]
fn rules_templates_cannot_express_are_quiet_or_not_evaluated_for_their_reason() {
    let quiet_and_evaluated = |rule: &str, name: &str| {
        let path = fixture(name);
        let (_, evaluation) = scan_with(&path, &Settings::default());
        assert_evaluated(rule, &path, &evaluation);
        assert!(!evaluation.findings.iter().any(|f| f.rule_id == rule));
    };
    // ENV002: a production workload, in a VPC the template declares, which is never default.
    let (converted, _) = scan_with(&fixture("rules/ENV001-quiet.yaml"), &Settings::default());
    assert!(
        converted.snapshot.scopes[0]
            .vpcs
            .iter()
            .all(|v| !v.is_default)
    );
    quiet_and_evaluated("ENV002", "rules/ENV001-quiet.yaml");
    // NAT002: every route names a target the template declares.
    quiet_and_evaluated("NAT002", "rules/AZ005-flag.yaml");
    // NAT003: the public route is on an explicit table; the main one keeps its local route.
    quiet_and_evaluated("NAT003", "network-flag.yaml");

    let (converted, evaluation) = scan_with(
        &fixture("rules/SG003-not-evaluated.yaml"),
        &Settings::default(),
    );
    let sg003 = evaluation
        .not_evaluated
        .iter()
        .find(|n| n.rule_id == "SG003")
        .expect("SG003 not evaluated");
    assert!(
        sg003.missing.iter().any(|m| m.contains("DefaultSgHttps")),
        "{sg003:?}"
    );
    assert!(
        converted.snapshot.coverage.unknown[0]
            .reason
            .contains("DefaultSecurityGroup")
    );

    let (_, evaluation) = scan_with(
        &fixture("rules/OBS002-not-evaluated.yaml"),
        &Settings::default(),
    );
    for rule in ["OBS002", "OBS003"] {
        let skipped = evaluation
            .not_evaluated
            .iter()
            .find(|n| n.rule_id == rule)
            .unwrap_or_else(|| panic!("{rule} not evaluated"));
        assert!(
            skipped.missing.iter().any(|m| m.contains("Fn")),
            "{skipped:?}"
        );
    }
    for (rule, why) in NOT_EXPRESSIBLE {
        assert!(!why.is_empty(), "{rule}");
    }
}

/// ECS services and VPC endpoints are read: a private tier's endpoint makes it deliberate
/// (NAT004 quiet above), and a service's subnets host workloads.
#[test]
fn ecs_services_and_endpoints_are_read_from_templates() {
    let (converted, _) = scan_with(&fixture("rules/NAT004-quiet.yaml"), &Settings::default());
    let scope = &converted.snapshot.scopes[0];
    let service = &scope.ecs_services[0];
    assert_eq!(service.arn, "Worker");
    let network = service.network.as_ref().expect("awsvpc");
    assert_eq!(network.subnet_ids, ["AppSubnetB"]);
    assert_eq!(network.assign_public_ip, Some(false));
    let endpoint = &scope.vpc_endpoints[0];
    assert_eq!(endpoint.endpoint_type.as_deref(), Some("Interface"));
    assert_eq!(endpoint.subnet_ids, ["AppSubnetA", "AppSubnetB"]);
    assert!(converted.snapshot.coverage.unknown.is_empty());
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

#[test]
fn load_balancers_addresses_and_gateways_convert_with_aws_defaults() {
    let path = fixture("load-balancing.yaml");
    let (converted, evaluation) = scan_with(&path, &Settings::default());
    assert!(
        converted.snapshot.coverage.unknown.is_empty(),
        "{:?}",
        converted.snapshot.coverage.unknown
    );
    // Every load-balancing dataset is read, so no rule is left partly evaluated for it.
    assert!(
        evaluation.not_evaluated.is_empty(),
        "{:?}",
        evaluation.not_evaluated
    );
    let scope = &converted.snapshot.scopes[0];
    let nlb = scope
        .load_balancers
        .iter()
        .find(|l| l.arn == "Nlb")
        .unwrap();
    assert_eq!(nlb.kind.as_deref(), Some("network"));
    assert_eq!(
        nlb.scheme.as_deref(),
        Some("internet-facing"),
        "AWS's default"
    );
    assert_eq!(nlb.ip_address_type.as_deref(), Some("ipv4"));
    assert!(nlb.security_group_ids.is_empty(), "an NLB without groups");
    assert_eq!(nlb.vpc_id.as_deref(), Some("Vpc"));
    let zone = &nlb.zones[0];
    assert_eq!(zone.subnet_id.as_deref(), Some("PublicSubnetA"));
    assert_eq!(zone.addresses[0].allocation_id.as_deref(), Some("NlbEip"));
    let alb = scope
        .load_balancers
        .iter()
        .find(|l| l.arn == "Alb")
        .unwrap();
    assert_eq!(alb.name, "web");
    assert_eq!(alb.kind.as_deref(), Some("application"), "AWS's default");
    assert_eq!(alb.scheme.as_deref(), Some("internal"));
    assert_eq!(alb.zones.len(), 2);

    let listener = scope
        .listeners
        .iter()
        .find(|l| l.arn == "NlbListener")
        .unwrap();
    assert_eq!(listener.load_balancer_arn, "Nlb");
    assert_eq!(
        (listener.port, listener.protocol.as_deref()),
        (Some(443), Some("TCP"))
    );
    assert_eq!(listener.default_actions[0].target_group_arns, ["IpTargets"]);
    let ip = scope
        .target_groups
        .iter()
        .find(|g| g.arn == "IpTargets")
        .unwrap();
    assert_eq!(ip.preserve_client_ip, Some(false), "the attribute as set");
    assert_eq!(ip.load_balancer_arns, ["Nlb"]);
    // The listener rule's weighted groups serve the ALB; a group without the attribute
    // falls back on AWS's default through the model.
    for arn in ["BlueTargets", "GreenTargets"] {
        let group = scope.target_groups.iter().find(|g| g.arn == arn).unwrap();
        assert_eq!(group.load_balancer_arns, ["Alb"], "{arn}");
        assert_eq!(
            group.target_type.as_deref(),
            Some("instance"),
            "AWS's default"
        );
        assert_eq!(group.preserve_client_ip, None);
        assert_eq!(group.client_ip_preserved(), Some(false));
    }
    let blue: Vec<_> = scope
        .targets
        .iter()
        .filter(|t| t.target_group_arn == "BlueTargets")
        .map(|t| (t.id.as_str(), t.port))
        .collect();
    assert_eq!(blue, [("Web", Some(8080))]);

    let classic = &scope.classic_load_balancers[0];
    assert_eq!(classic.name, "Classic");
    assert_eq!(
        classic.scheme.as_deref(),
        Some("internet-facing"),
        "AWS's default"
    );
    assert_eq!(classic.instance_ids, ["Web"]);
    assert_eq!(classic.listeners[0].port, Some(80));
    assert_eq!(classic.listeners[0].instance_port, Some(8080));
    assert_eq!(classic.vpc_id.as_deref(), Some("Vpc"));

    // The Elastic IP gives the instance its public address.
    let web = scope.instances.iter().find(|i| i.id == "Web").unwrap();
    assert_eq!(web.public_ip.as_deref(), Some("Elastic IP WebEip"));
    let eip = scope
        .elastic_ips
        .iter()
        .find(|e| e.allocation_id.as_deref() == Some("WebEip"))
        .unwrap();
    assert!(eip.is_associated());
    assert_eq!(eip.instance_id.as_deref(), Some("Web"));
    assert_eq!(
        scope.egress_only_internet_gateways[0].attached_vpc_ids,
        ["Vpc"]
    );
    // Every converted dataset is counted as collected in the template's scope.
    let collected = |operation: &str| {
        converted
            .snapshot
            .coverage
            .collected
            .iter()
            .find(|c| c.operation == operation)
            .map(|c| c.count)
    };
    assert_eq!(collected("DescribeLoadBalancers"), Some(2));
    assert_eq!(collected("DescribeListeners"), Some(2));

    // The web instance in a public subnet with an Elastic IP is TIER002, at its line.
    assert_eq!(
        located(&converted, &evaluation, &["TIER002"]),
        vec![("TIER002".to_owned(), line_of(&path, "  Web:"))]
    );
}

/// An instance's primary interface is part of the template's inventory (AWS creates it), so
/// paths from the internet through a load balancer reach the instance behind it.
#[test]
fn paths_through_a_template_load_balancer_reach_its_instance_targets() {
    let (converted, _) = scan_with(&fixture("rules/EDGE001-flag.yaml"), &Settings::default());
    let scope = &converted.snapshot.scopes[0];
    let network = vpcaudit_core::reach::Network::build(scope);
    let paths = network
        .through_load_balancers
        .get("App.PrimaryInterface")
        .expect("the ALB's target is reached");
    let hops = serde_json::to_value(&paths[0].path).unwrap();
    for hop in [
        "load_balancer",
        "listener",
        "target_group",
        "security_group",
    ] {
        assert!(
            hops.as_array().unwrap().iter().any(|h| h["hop"] == hop),
            "{hop}: {hops}"
        );
    }
    // The internal twin is no entry point.
    let (converted, _) = scan_with(&fixture("rules/EDGE001-quiet.yaml"), &Settings::default());
    let network = vpcaudit_core::reach::Network::build(&converted.snapshot.scopes[0]);
    assert!(network.through_load_balancers.is_empty());
}

#[test]
fn load_balancing_values_known_only_at_deploy_are_unknown_never_defaulted() {
    let text = "Parameters:
  Scheme:
    Type: String
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
  Subnet:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.0.0/24
      AvailabilityZone: eu-west-1a
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: !Ref Scheme
      Subnets: [!Ref Subnet]
  Targets:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      VpcId: !Ref Vpc
      Protocol: HTTP
      Port: 80
      TargetType: ip
  Service:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: task
      LoadBalancers:
        - TargetGroupArn: !Ref Targets
          ContainerName: app
          ContainerPort: 80
";
    let template = Template::parse("lb.yaml", text).unwrap();
    let converted = convert(&[template], &BTreeMap::new());
    let mut unknown: Vec<(&str, &str, String)> = converted
        .snapshot
        .coverage
        .unknown
        .iter()
        .map(|u| {
            (
                u.resource.as_str(),
                u.property.as_str(),
                format!("{:?}", u.dataset),
            )
        })
        .collect();
    unknown.sort();
    assert_eq!(
        unknown,
        [
            ("Lb", "Scheme", "LoadBalancers".to_owned()),
            // An ALB without groups gets the VPC's default group, which is not declared.
            ("Lb", "SecurityGroups", "LoadBalancers".to_owned()),
            // The tasks join the group at runtime: its targets are not in the template.
            ("Service", "LoadBalancers[0]", "TargetHealth".to_owned()),
        ]
    );
    let lb = &converted.snapshot.scopes[0].load_balancers[0];
    assert_eq!(lb.scheme, None, "unknown, not internet-facing");
    let evaluation = rules::evaluate(&converted.snapshot, &Settings::default());
    let sg001 = evaluation
        .not_evaluated
        .iter()
        .find(|n| n.rule_id == "SG001")
        .expect("paths through load balancers not evaluated");
    assert!(
        sg001.missing.iter().any(|m| m.contains("Lb.Scheme")),
        "{sg001:?}"
    );
    let report = Report::build(&converted.snapshot, evaluation);
    assert!(!report.summary.complete);
}

/// A live-like snapshot of `network-flag.yaml` deployed as stack `stack`: its resources carry
/// CloudFormation's tags.
fn deployed(stack: &str) -> vpcaudit_core::snapshot::Snapshot {
    let template = Template::load(&fixture("network-flag.yaml")).unwrap();
    let mut snapshot = convert(&[template], &BTreeMap::new()).snapshot;
    for scope in &mut snapshot.scopes {
        scope.account = "123456789012".to_owned();
        scope.region = "eu-west-1".to_owned();
        for group in &mut scope.security_groups {
            group
                .tags
                .insert(STACK_NAME_TAG.to_owned(), stack.to_owned());
            group
                .tags
                .insert(LOGICAL_ID_TAG.to_owned(), group.id.clone());
        }
    }
    snapshot
}

#[test]
fn a_stack_maps_to_its_template_through_vpcaudit_toml_and_the_command_line_wins() {
    let config = Config::parse(
        "[templates]\nstacks = { \"prod-network\" = \"network-flag.yaml\" }\n",
        &fixtures().join("vpcaudit.toml"),
    )
    .expect("config");
    let snapshot = deployed("prod-network");
    let evaluation = rules::evaluate(&snapshot, &Settings::default());
    let sg001 = evaluation
        .findings
        .iter()
        .find(|f| f.rule_id == "SG001")
        .expect("SG001");
    let where_is = |sources: &TemplateSources| {
        let loaded = load_stack_templates(sources).unwrap_or_else(|e| panic!("{e}"));
        live_sources(&snapshot, &loaded.templates, &loaded.stacks)
            .locate(sg001)
            .map(|l| (l.uri, l.line))
    };

    // The stack's name is no file's name: the configuration's mapping places it.
    let flag = fixture("network-flag.yaml");
    assert_eq!(
        where_is(&config.templates),
        Some((
            flag.to_string_lossy().replace('\\', "/"),
            line_of(&flag, "# expect SG001")
        ))
    );
    // Without it the template is read but the stack matches none.
    let unmapped = TemplateSources {
        paths: vec![flag.clone()],
        ..TemplateSources::default()
    };
    assert_eq!(where_is(&unmapped), None);
    // `--stack` replaces the configuration's entry for that stack.
    let quiet = fixture("network-quiet.yaml");
    let cli = BTreeMap::from([("prod-network".to_owned(), quiet.clone())]);
    let (uri, _) = where_is(&config.templates.overridden(&[], &cli)).expect("mapped");
    assert!(uri.ends_with("network-quiet.yaml"), "{uri}");
    // `--templates` replaces the configuration's paths; its mappings still apply.
    let (uri, _) = where_is(
        &config
            .templates
            .overridden(std::slice::from_ref(&quiet), &BTreeMap::new()),
    )
    .expect("mapped");
    assert!(uri.ends_with("network-flag.yaml"), "{uri}");

    // A mapped file that is not a template is an error, not a silent miss.
    let broken = Config::parse(
        "[templates]\nstacks = { \"prod-network\" = \"missing.yaml\" }\n",
        &fixtures().join("vpcaudit.toml"),
    )
    .expect("config");
    let err = load_stack_templates(&broken.templates).unwrap_err();
    assert!(err.to_string().contains("missing.yaml"), "{err}");
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
    let mut files: Vec<PathBuf> = [fixtures(), fixtures().join("rules")]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
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
