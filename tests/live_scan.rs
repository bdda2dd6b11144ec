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

/// The network around the ENIs (tests/moto/seed.py `network`): load balancers with their
/// listeners, target groups, targets and preserve_client_ip, a Classic ELB, Elastic IPs, VPC
/// endpoints, IPv6 and the source/dest check on an interface, an egress-only internet gateway,
/// an IGW edge association, subnet owners and a Fargate service land in the snapshot, each
/// dataset listed as collected. (An Elastic IP on a secondary address and load balancer
/// interfaces cannot be built in moto: fixtures/acme-small.json and the model's unit tests
/// cover them.)
#[test]
fn network_datasets_land_in_the_snapshot() {
    let moto = MotoServer::start();
    let seed = moto.seed(&["network"]);
    let work = tempfile::tempdir().expect("temp dir");
    let path = work.path().join("snapshot.json");
    Run::vpcaudit(
        work.path(),
        &[
            "collect",
            "--endpoint-url",
            &moto.endpoint(),
            "--region",
            REGION,
            "-o",
            path.to_str().expect("utf-8 path"),
        ],
    )
    .assert_code(0);
    let snapshot = vpcaudit_core::snapshot::Snapshot::load(&path).expect("a valid snapshot");
    assert!(
        snapshot.coverage.errors.is_empty(),
        "{:?}",
        snapshot.coverage.errors
    );
    for &dataset in vpcaudit_core::snapshot::Dataset::ALL {
        let (service, operation) = dataset.api_call();
        assert!(
            snapshot
                .coverage
                .collected
                .iter()
                .any(|c| c.service == service && c.operation == operation),
            "{dataset} is not listed as collected"
        );
    }
    let scope = &snapshot.scopes[0];
    let id = |logical: &str| seed.id(logical).to_owned();

    // Load balancers, as elbv2 describes them.
    let alb = scope
        .load_balancers
        .iter()
        .find(|lb| lb.arn == id("network.alb"))
        .expect("ALB");
    assert_eq!(alb.kind.as_deref(), Some("application"));
    assert_eq!(alb.scheme.as_deref(), Some("internet-facing"));
    assert_eq!(alb.security_group_ids, [id("network.alb-sg")]);
    let mut alb_subnets: Vec<String> = alb
        .zones
        .iter()
        .filter_map(|z| z.subnet_id.clone())
        .collect();
    alb_subnets.sort();
    let mut public = vec![id("network.public-a"), id("network.public-b")];
    public.sort();
    assert_eq!(alb_subnets, public);
    let nlb = scope
        .load_balancers
        .iter()
        .find(|lb| lb.arn == id("network.nlb"))
        .expect("NLB");
    assert_eq!(nlb.kind.as_deref(), Some("network"));
    assert!(nlb.security_group_ids.is_empty(), "an NLB without groups");

    // Listeners forward to their target groups; targets and their health.
    for (lb, tg) in [
        ("network.alb", "network.alb-tg"),
        ("network.nlb", "network.nlb-tg"),
    ] {
        let listener = scope
            .listeners
            .iter()
            .find(|l| l.load_balancer_arn == id(lb))
            .unwrap_or_else(|| panic!("a listener of {lb}"));
        assert_eq!(listener.port, Some(80));
        assert_eq!(listener.default_actions[0].kind, "forward");
        assert_eq!(listener.default_actions[0].target_group_arns, [id(tg)]);
        let group = scope
            .target_groups
            .iter()
            .find(|g| g.arn == id(tg))
            .expect("target group");
        assert_eq!(group.load_balancer_arns, [id(lb)]);
    }
    let alb_tg = scope
        .target_groups
        .iter()
        .find(|g| g.arn == id("network.alb-tg"))
        .expect("tg");
    assert_eq!(alb_tg.target_type.as_deref(), Some("instance"));
    assert_eq!(
        alb_tg.preserve_client_ip, None,
        "not read for ALB target groups"
    );
    let nlb_tg = scope
        .target_groups
        .iter()
        .find(|g| g.arn == id("network.nlb-tg"))
        .expect("tg");
    assert_eq!(
        nlb_tg.preserve_client_ip,
        Some(true),
        "seeded through ModifyTargetGroupAttributes"
    );
    let target = scope
        .targets
        .iter()
        .find(|t| t.target_group_arn == id("network.alb-tg"))
        .expect("the ALB's target");
    assert_eq!(
        (target.id.as_str(), target.port),
        (seed.id("network.app-instance"), Some(8080))
    );
    assert_eq!(target.health.as_deref(), Some("healthy"));
    assert!(
        scope
            .targets
            .iter()
            .any(|t| t.target_group_arn == id("network.nlb-tg"))
    );

    // Classic ELB: listeners and instances straight from DescribeLoadBalancers.
    let classic = scope
        .classic_load_balancers
        .iter()
        .find(|lb| lb.name == id("network.classic"))
        .expect("Classic ELB");
    assert_eq!(classic.instance_ids, [id("network.app-instance")]);
    assert_eq!(classic.listeners[0].port, Some(80));
    assert_eq!(classic.listeners[0].instance_port, Some(8080));
    assert_eq!(classic.security_group_ids, [id("network.alb-sg")]);

    // Elastic IPs: the idle one is associated with nothing; the other maps to the appliance.
    let eip = |logical: &str| {
        scope
            .elastic_ips
            .iter()
            .find(|e| e.allocation_id.as_deref() == Some(seed.id(logical)))
            .unwrap_or_else(|| panic!("{logical}"))
    };
    assert!(!eip("network.idle-eip").is_associated());
    assert_eq!(
        eip("network.idle-eip").instance_id,
        None,
        "moto's empty InstanceId is none"
    );
    let appliance_eip = eip("network.appliance-eip");
    assert_eq!(
        appliance_eip.network_interface_id.as_deref(),
        Some(seed.id("network.appliance-eni"))
    );

    // The appliance interface: two private addresses (the primary carries the Elastic IP),
    // an IPv6 address, no source/dest check, its owner.
    let appliance = scope
        .network_interfaces
        .iter()
        .find(|e| e.id == id("network.appliance-eni"))
        .expect("appliance ENI");
    assert_eq!(appliance.source_dest_check, Some(false));
    assert_eq!(appliance.ipv6_addresses.len(), 1);
    assert_eq!(appliance.private_ips.len(), 2);
    let primary = appliance
        .private_ips
        .iter()
        .find(|ip| ip.primary)
        .expect("primary");
    assert_eq!(
        primary.public_ip.as_deref(),
        Some(appliance_eip.public_ip.as_str())
    );
    assert_eq!(appliance.owner_id.as_deref(), Some(common::ACCOUNT));
    let instance_eni = scope
        .network_interfaces
        .iter()
        .find(|e| e.id == id("network.app-instance.eni"))
        .expect("instance ENI");
    assert_eq!(instance_eni.source_dest_check, Some(true));
    assert_eq!(
        instance_eni
            .attachment
            .as_ref()
            .and_then(|a| a.instance_id.as_deref()),
        Some(seed.id("network.app-instance"))
    );

    // Endpoints: the gateway one on the app route table, the interface one in its subnet.
    let endpoint = |logical: &str| {
        scope
            .vpc_endpoints
            .iter()
            .find(|e| e.id == id(logical))
            .unwrap_or_else(|| panic!("{logical}"))
    };
    assert_eq!(
        endpoint("network.s3-endpoint").endpoint_type.as_deref(),
        Some("Gateway")
    );
    assert_eq!(
        endpoint("network.s3-endpoint").route_table_ids,
        [id("network.app-rtb")]
    );
    let sqs = endpoint("network.sqs-endpoint");
    assert_eq!(sqs.endpoint_type.as_deref(), Some("Interface"));
    assert_eq!(sqs.subnet_ids, [id("network.app-a")]);
    assert_eq!(sqs.security_group_ids, [id("network.endpoint-sg")]);
    assert_eq!(sqs.network_interface_ids.len(), 1);

    // IPv6 egress, the IGW edge association, subnet owners.
    let eigw = scope
        .egress_only_internet_gateways
        .iter()
        .find(|g| g.id == id("network.eigw"))
        .expect("egress-only IGW");
    assert_eq!(eigw.attached_vpc_ids, [id("network.vpc")]);
    let edge = scope
        .route_tables
        .iter()
        .find(|t| t.id == id("network.edge-rtb"))
        .expect("edge route table");
    assert!(
        edge.associations
            .iter()
            .any(|a| a.gateway_id.as_deref() == Some(seed.id("network.igw")))
    );
    let app_a = scope
        .subnets
        .iter()
        .find(|s| s.id == id("network.app-a"))
        .expect("subnet");
    assert_eq!(app_a.owner_id.as_deref(), Some(common::ACCOUNT));
    assert_eq!(app_a.ipv6_cidr_blocks.len(), 1);

    // The Fargate service, placed and addressed though no task runs.
    let service = scope
        .ecs_services
        .iter()
        .find(|s| s.arn == id("network.service"))
        .expect("ECS service");
    assert_eq!(service.cluster_arn, id("network.cluster"));
    assert_eq!(service.launch_type.as_deref(), Some("FARGATE"));
    let network = service.network.as_ref().expect("awsvpc configuration");
    assert_eq!(network.assign_public_ip, Some(true));
    assert_eq!(network.security_group_ids, [id("network.app-sg")]);
    let mut service_subnets = network.subnet_ids.clone();
    service_subnets.sort();
    assert_eq!(service_subnets, public);
}
