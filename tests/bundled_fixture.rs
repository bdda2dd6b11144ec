//! The bundled example account (`fixtures/acme-small.json`): the newcomer's first run. Its
//! findings are pinned, and its well-built production VPC must stay clean.

use assert_cmd::Command;
use serde_json::Value;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/acme-small.json");

fn scan_json() -> Value {
    let out = Command::cargo_bin("vpcaudit")
        .expect("binary")
        .args(["scan", "--snapshot", FIXTURE, "--format", "json", "--quiet"])
        .assert()
        .code(1);
    serde_json::from_slice(&out.get_output().stdout).expect("JSON report")
}

#[test]
fn acme_findings_are_exactly_the_planted_mistakes() {
    let report = scan_json();
    assert_eq!(report["summary"]["complete"], true);
    let mut pairs: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["rule_id"].as_str().unwrap_or_default(),
                f["severity"].as_str().unwrap_or_default(),
                f["resource"]["id"].as_str().unwrap_or_default()
            )
        })
        .collect();
    pairs.sort();
    let expected = [
        "AZ001 medium vpc-060a3c4d9bc373e2e",
        "AZ004 medium acme-staging-report",
        "AZ005 medium subnet-038c47f3bf8bc74fb",
        "DB001 critical acme-staging-mysql",
        "DB002 high acme-staging-mysql",
        "DB003 critical sg-03ad04e222a37a393",
        "ENV001 high vpc-060a3c4d9bc373e2e",
        "ENV002 high i-03d10b3141a00c104",
        "LAM001 high acme-staging-report",
        "LAM003 high acme-billing-sync",
        "NAT002 high rtb-00b61295dcc0d429b",
        "OBS001 medium vpc-03940c2414bc95070",
        "OBS001 medium vpc-060a3c4d9bc373e2e",
        "SG001 critical sg-0d57017cff937950d",
        "SG003 low sg-049cbb43f8f8f6f60",
        "SG003 low sg-0c2f25c333805d43d",
        "SG004 medium sg-09ecbdb9af8865748",
        "TIER001 high subnet-068f3bf765f91a78d",
        "TIER002 high i-03d10b3141a00c104",
        "TIER002 high i-071b520a97e653b1a",
    ];
    assert_eq!(pairs, expected, "acme-small.json findings changed");
}

#[test]
fn acme_production_vpc_is_clean() {
    let report = scan_json();
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("fixture")).expect("json");
    let scope = &snapshot["scopes"][0];
    let prod_vpc = scope["vpcs"]
        .as_array()
        .expect("vpcs")
        .iter()
        .find(|v| v["tags"]["Name"] == "acme-prod")
        .and_then(|v| v["id"].as_str())
        .expect("acme-prod VPC");
    // Every id that belongs to the production VPC.
    let mut prod_ids: Vec<&str> = vec![prod_vpc];
    for list in [
        "subnets",
        "route_tables",
        "security_groups",
        "nat_gateways",
        "instances",
    ] {
        for item in scope[list].as_array().into_iter().flatten() {
            if item["vpc_id"].as_str() == Some(prod_vpc) {
                prod_ids.extend(item["id"].as_str());
            }
        }
    }
    for item in scope["db_instances"].as_array().into_iter().flatten() {
        if item["vpc_id"].as_str() == Some(prod_vpc) {
            prod_ids.extend(item["id"].as_str());
        }
    }
    let prod_subnets: Vec<String> = scope["subnets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["vpc_id"].as_str() == Some(prod_vpc))
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    for function in scope["lambda_functions"].as_array().into_iter().flatten() {
        let in_prod = function["vpc"]["subnet_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| prod_subnets.iter().any(|p| Some(p.as_str()) == s.as_str()));
        if in_prod {
            prod_ids.extend(function["name"].as_str());
        }
    }
    assert!(
        prod_ids.len() > 10,
        "the fixture's production VPC holds resources"
    );
    let on_prod: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| prod_ids.contains(&f["resource"]["id"].as_str().unwrap_or_default()))
        .collect();
    assert!(
        on_prod.is_empty(),
        "findings on the well-built VPC: {on_prod:#?}"
    );
}

/// A snapshot written before vpcaudit read load balancers, Elastic IPs, endpoints and ECS
/// (acme-small.json without those lists and their coverage entries, as it was committed then)
/// still loads and gives the same findings; the datasets it lacks are not collected, never
/// empty, so the scan is incomplete (exit 3), and the rules that read them are not evaluated.
#[test]
fn a_snapshot_from_before_the_network_datasets_keeps_its_findings() {
    use vpcaudit_core::snapshot::{Dataset, Snapshot};

    let mut old: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("fixture")).expect("json");
    let newer = [
        Dataset::ElasticIps,
        Dataset::VpcEndpoints,
        Dataset::EgressOnlyInternetGateways,
        Dataset::LoadBalancers,
        Dataset::Listeners,
        Dataset::TargetGroups,
        Dataset::TargetHealth,
        Dataset::TargetGroupAttributes,
        Dataset::ClassicLoadBalancers,
        Dataset::EcsServices,
    ];
    for key in [
        "elastic_ips",
        "vpc_endpoints",
        "egress_only_internet_gateways",
        "load_balancers",
        "listeners",
        "target_groups",
        "targets",
        "classic_load_balancers",
        "ecs_services",
    ] {
        old["scopes"][0]
            .as_object_mut()
            .expect("scope")
            .remove(key)
            .unwrap_or_else(|| panic!("acme-small.json has {key}"));
    }
    for eni in old["scopes"][0]["network_interfaces"]
        .as_array_mut()
        .expect("network_interfaces")
    {
        for key in [
            "private_ips",
            "ipv6_addresses",
            "source_dest_check",
            "owner_id",
            "attachment",
        ] {
            eni.as_object_mut().expect("eni").remove(key);
        }
    }
    old["coverage"]["collected"]
        .as_array_mut()
        .expect("collected")
        .retain(|c| {
            let dataset = Dataset::from_api_call(
                c["service"].as_str().unwrap_or_default(),
                c["operation"].as_str().unwrap_or_default(),
            );
            !dataset.is_some_and(|d| newer.contains(&d))
        });
    let work = tempfile::tempdir().expect("temp dir");
    let path = work.path().join("old.json");
    std::fs::write(&path, old.to_string()).expect("write");

    let snapshot = Snapshot::load(&path).expect("an old snapshot loads");
    let missing = snapshot.coverage.missing();
    let scope = &snapshot.scopes[0];
    for dataset in &newer {
        assert!(
            missing.is_missing(*dataset, &scope.account, &scope.region),
            "{dataset} was not read by the old collector: unknown, not empty"
        );
    }
    assert!(!missing.is_missing(Dataset::Vpcs, &scope.account, &scope.region));

    let out = Command::cargo_bin("vpcaudit")
        .expect("binary")
        .args([
            "scan",
            "--snapshot",
            path.to_str().expect("utf-8"),
            "--format",
            "json",
            "--quiet",
        ])
        .assert()
        .code(3);
    let report: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON report");
    let current = scan_json();
    assert_eq!(report["findings"], current["findings"], "the same findings");
    assert_eq!(
        current["coverage"]["not_evaluated"],
        serde_json::json!([]),
        "the current fixture has every dataset"
    );
    // The rules that need the newer datasets are not evaluated, each naming the calls it
    // lacks: NAT004 counts VPC endpoints and ECS services. The rules that read them only to
    // follow the network further (routes through inspection endpoints, Elastic IPs, paths
    // through load balancers) run on the rest and are listed as partly evaluated. None of
    // this changes a finding of the fixture, so the findings are the same.
    let not_evaluated: Vec<(String, Vec<String>)> = report["coverage"]["not_evaluated"]
        .as_array()
        .expect("not_evaluated")
        .iter()
        .map(|n| {
            let mut missing: Vec<String> = n["missing"]
                .as_array()
                .expect("missing")
                .iter()
                .map(|m| m.as_str().expect("a call").to_owned())
                .collect();
            missing.sort();
            (n["rule_id"].as_str().expect("rule_id").to_owned(), missing)
        })
        .collect();
    let calls = |datasets: &[Dataset]| {
        let mut calls: Vec<String> = datasets.iter().map(|d| d.iam_action()).collect();
        calls.sort();
        calls.dedup();
        calls
    };
    const PARTLY: &str = "(partly evaluated without it)";
    let (partly, skipped): (Vec<_>, Vec<_>) = not_evaluated
        .into_iter()
        .partition(|(_, missing)| missing.iter().all(|m| m.ends_with(PARTLY)));
    assert_eq!(
        skipped,
        [(
            "NAT004".to_owned(),
            calls(&[Dataset::VpcEndpoints, Dataset::EcsServices])
        )]
    );
    let partly: std::collections::BTreeSet<String> =
        partly.into_iter().map(|(rule, _)| rule).collect();
    let follow_further: std::collections::BTreeSet<String> = vpcaudit_core::rules::all()
        .iter()
        .filter(|r| !r.also_reads.is_empty())
        .map(|r| r.meta.id.clone())
        .collect();
    assert_eq!(partly, follow_further);
    // The scan says what it did not see: incomplete (exit 3), each lacking dataset a
    // NotCollected error.
    assert_eq!(report["summary"]["complete"], false);
    let not_collected = report["coverage"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["code"] == "NotCollected")
        .count();
    assert_eq!(not_collected, newer.len());
}
