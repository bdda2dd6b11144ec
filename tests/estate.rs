//! Whole estates against moto: several regions, several accounts (through moto's STS
//! AssumeRole and Organizations), one report; the number of API calls a scan makes; the
//! deadline. Each test starts its own moto server (tests/common) and builds what it needs
//! through the AWS API (tests/moto/estate.py and seed.py, boto3).

use vpcaudit_testkit::moto as common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use common::{ACCOUNT, MotoServer, REGION, Run, findings, manifest_dir, python};
use serde_json::Value;

const ROLE_NAME: &str = "OrganizationAccountAccessRole";
const OTHER_REGION: &str = "eu-west-1";

/// What tests/moto/estate.py built.
struct Estate {
    management: String,
    member: String,
    /// "ACCOUNT REGION" → the security group open to SSH from anywhere there.
    open_ssh: BTreeMap<String, String>,
    enabled_regions: Vec<String>,
    not_opted_in: Vec<String>,
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

fn build_estate(moto: &MotoServer) -> Estate {
    let script = manifest_dir().join("tests/moto/estate.py");
    let out = Command::new(python())
        .arg(&script)
        .args(["--endpoint", &moto.endpoint(), "--role-name", ROLE_NAME])
        .args(["--regions", &format!("{REGION},{OTHER_REGION}")])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "estate.py failed: {}\n{}\n--- moto:\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout),
        moto.log()
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("estate.py prints JSON");
    Estate {
        management: json["management"].as_str().expect("management").to_owned(),
        member: json["member"].as_str().expect("member").to_owned(),
        open_ssh: json["open_ssh"]
            .as_object()
            .expect("open_ssh")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("sg id").to_owned()))
            .collect(),
        // vpcaudit reads the regions of its credentials' partition: moto also lists the
        // aws-cn and aws-us-gov ones, which AWS never lists to an `aws` account.
        enabled_regions: strings(&json["enabled_regions"])
            .into_iter()
            .filter(|r| {
                !["cn-", "us-gov-", "us-iso"]
                    .iter()
                    .any(|p| r.starts_with(p))
            })
            .collect(),
        not_opted_in: strings(&json["not_opted_in"]),
    }
}

/// `scan --endpoint-url E --format json ARGS…` (the region comes from each test's ARGS).
fn scan(work: &std::path::Path, moto: &MotoServer, args: &[&str]) -> Run {
    let endpoint = moto.endpoint();
    let mut all = vec!["scan", "--endpoint-url", &endpoint, "--format", "json"];
    all.extend_from_slice(args);
    Run::vpcaudit(work, &all)
}

/// `scan` of the caller's account in REGION and OTHER_REGION, exiting 0 whatever it finds.
fn scan_both_regions(work: &std::path::Path, moto: &MotoServer) -> Run {
    let args = [
        "--region",
        REGION,
        "--region",
        OTHER_REGION,
        "--fail-on",
        "none",
    ];
    scan(work, moto, &args)
}

/// (account, region, resource id) of every finding of `rule`.
fn placed(report: &Value, rule: &str) -> BTreeSet<(String, String, String)> {
    findings(report)
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .map(|f| {
            let r = &f["resource"];
            (
                r["account"].as_str().unwrap_or("").to_owned(),
                r["region"].as_str().unwrap_or("").to_owned(),
                r["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn api_calls(report: &Value, service: &str, operation: &str) -> u64 {
    report["summary"]["api_calls"][service][operation]
        .as_u64()
        .unwrap_or(0)
}

fn assert_complete(run: &Run, report: &Value) {
    assert_eq!(
        report["coverage"]["errors"],
        serde_json::json!([]),
        "{}",
        run.describe()
    );
    assert_eq!(report["summary"]["complete"], true, "{}", run.describe());
}

/// `--org --role-name`: both accounts of the Organization, both regions, one report; each
/// finding names the account and region of its resource.
#[test]
fn an_organization_in_two_regions_is_one_report() {
    let moto = MotoServer::start();
    let estate = build_estate(&moto);
    let work = tempfile::tempdir().expect("temp dir");
    let run = scan(
        work.path(),
        &moto,
        &[
            "--org",
            "--role-name",
            ROLE_NAME,
            "--region",
            REGION,
            "--region",
            OTHER_REGION,
        ],
    );
    run.assert_code(1);
    let report = run.json();
    assert_complete(&run, &report);

    assert_eq!(report["account"], ACCOUNT, "the caller's account");
    assert_eq!(estate.management, ACCOUNT);
    let mut accounts = vec![estate.management.clone(), estate.member.clone()];
    accounts.sort();
    assert_eq!(strings(&report["accounts"]), accounts);
    assert_eq!(strings(&report["regions"]), [REGION, OTHER_REGION]);

    // Exactly the seeded SSH groups, each in its own account and region.
    let expected: BTreeSet<(String, String, String)> = estate
        .open_ssh
        .iter()
        .map(|(scope, sg)| {
            let (account, region) = scope.split_once(' ').expect("ACCOUNT REGION");
            (account.to_owned(), region.to_owned(), sg.clone())
        })
        .collect();
    assert_eq!(expected.len(), 4);
    assert_eq!(placed(&report, "SG001"), expected, "{}", run.describe());
    // Every finding's ARN agrees with its account and region.
    for f in findings(&report) {
        let r = &f["resource"];
        let arn = r["arn"].as_str().unwrap_or("");
        if r["type"] == "AWS::EC2::SecurityGroup" {
            let account = r["account"].as_str().unwrap_or("?");
            let region = r["region"].as_str().unwrap_or("?");
            assert!(
                arn.contains(&format!(":{region}:{account}:")),
                "{arn} is not in {account}/{region}"
            );
        }
    }
    // Every dataset was read in each of the four account/regions.
    let scopes: BTreeSet<(String, String)> = report["coverage"]["collected"]
        .as_array()
        .expect("collected")
        .iter()
        .map(|c| {
            (
                c["account"].as_str().unwrap_or("").to_owned(),
                c["region"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(scopes.len(), 4, "{scopes:?}");

    // The estate calls: one listing, one role assumed (the caller's own account is read with
    // its own credentials).
    assert_eq!(api_calls(&report, "organizations", "ListAccounts"), 1);
    assert_eq!(api_calls(&report, "sts", "AssumeRole"), 1);
    assert_eq!(api_calls(&report, "sts", "GetCallerIdentity"), 1);
    // The progress names each account and region as it is read.
    for scope in estate.open_ssh.keys() {
        assert!(run.stderr.contains(scope.as_str()), "{}", run.describe());
    }
}

/// `--role-arn` alone reads that account only, not the caller's.
#[test]
fn a_role_arn_alone_reads_only_its_account() {
    let moto = MotoServer::start();
    let estate = build_estate(&moto);
    let work = tempfile::tempdir().expect("temp dir");
    let role = format!("arn:aws:iam::{}:role/{ROLE_NAME}", estate.member);
    let run = scan(
        work.path(),
        &moto,
        &["--role-arn", &role, "--region", OTHER_REGION],
    );
    run.assert_code(1);
    let report = run.json();
    assert_complete(&run, &report);
    assert_eq!(report["account"], ACCOUNT, "the caller is still named");
    assert_eq!(strings(&report["accounts"]), vec![estate.member.clone()]);
    let sg = &estate.open_ssh[&format!("{} {OTHER_REGION}", estate.member)];
    assert_eq!(
        placed(&report, "SG001"),
        BTreeSet::from([(estate.member.clone(), OTHER_REGION.to_owned(), sg.clone())])
    );
    assert!(
        findings(&report)
            .iter()
            .all(|f| f["resource"]["account"] == estate.member.as_str()),
        "nothing of the caller's account: {}",
        run.describe()
    );
    assert_eq!(api_calls(&report, "sts", "AssumeRole"), 1);
    assert_eq!(api_calls(&report, "organizations", "ListAccounts"), 0);
}

/// `--all-regions` reads the regions DescribeRegions says are enabled, and only those.
#[test]
fn all_regions_reads_every_enabled_region_and_no_other() {
    let moto = MotoServer::start();
    let estate = build_estate(&moto);
    assert!(
        !estate.not_opted_in.is_empty(),
        "moto lists opt-in regions as not-opted-in; the test needs some"
    );
    let work = tempfile::tempdir().expect("temp dir");
    let run = scan(work.path(), &moto, &["--all-regions", "--quiet"]);
    run.assert_code(1);
    let report = run.json();
    assert_complete(&run, &report);
    assert_eq!(strings(&report["regions"]), estate.enabled_regions);
    assert_eq!(api_calls(&report, "ec2", "DescribeRegions"), 1);
    assert_eq!(
        api_calls(&report, "ec2", "DescribeVpcs"),
        estate.enabled_regions.len() as u64,
        "one DescribeVpcs per enabled region"
    );
    // The caller's SSH groups in both seeded regions are among the findings.
    let ssh: BTreeSet<String> = placed(&report, "SG001")
        .into_iter()
        .map(|(_, _, id)| id)
        .collect();
    for region in [REGION, OTHER_REGION] {
        assert!(ssh.contains(&estate.open_ssh[&format!("{ACCOUNT} {region}")]));
    }
    // --quiet: no progress lines, only data on stdout.
    assert!(
        !run.stderr.contains("ec2:"),
        "progress printed with --quiet: {}",
        run.describe()
    );
}

/// Collection makes O(pages) calls, not O(resources): every dataset of the seeded topology fits
/// in one page, so each dataset is read with exactly one call per region and page, however many
/// resources there are, plus the calls AWS offers no list for: DescribeListeners per load
/// balancer, DescribeTargetHealth per target group, DescribeTargetGroupAttributes per NLB
/// target group, ListServices and DescribeServices (ten services a call) per ECS cluster, and
/// GetStages per API Gateway API. Every service is compared; nothing else is called.
#[test]
fn each_dataset_is_one_call_per_region_when_it_fits_in_a_page() {
    // What tests/moto/seed.py `all` builds in REGION that is read per resource.
    const LOAD_BALANCERS: u64 = 2; // network: the ALB and the NLB
    const TARGET_GROUPS: u64 = 2; // network: one per load balancer
    const NLB_TARGET_GROUPS: u64 = 1; // network: the TCP one
    const ECS_CLUSTERS: u64 = 1; // network: one cluster, one service
    const REST_APIS: u64 = 2; // obs002
    const HTTP_APIS: u64 = 3; // obs002, obs003
    const REGIONS: u64 = 2;

    let moto = MotoServer::start();
    moto.seed(&["all"]);
    let work = tempfile::tempdir().expect("temp dir");
    let run = scan_both_regions(work.path(), &moto);
    run.assert_code(0);
    let report = run.json();
    assert_complete(&run, &report);

    // The per-resource counts above are what was read, not just what seed.py meant to build.
    let read_in = |operation: &str, service: &str| -> u64 {
        report["coverage"]["collected"]
            .as_array()
            .expect("collected")
            .iter()
            .filter(|c| {
                c["service"] == service && c["operation"] == operation && c["region"] == REGION
            })
            .map(|c| c["count"].as_u64().unwrap_or(0))
            .sum()
    };
    assert_eq!(read_in("DescribeLoadBalancers", "elbv2"), LOAD_BALANCERS);
    assert_eq!(read_in("DescribeTargetGroups", "elbv2"), TARGET_GROUPS);
    assert_eq!(
        read_in("DescribeTargetGroupAttributes", "elbv2"),
        NLB_TARGET_GROUPS
    );

    let mut expected: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for &dataset in vpcaudit_core::snapshot::Dataset::ALL {
        for (service, operation) in dataset.api_calls() {
            let calls = match operation {
                "DescribeListeners" => LOAD_BALANCERS,
                "DescribeTargetHealth" => TARGET_GROUPS,
                "DescribeTargetGroupAttributes" => NLB_TARGET_GROUPS,
                "ListServices" | "DescribeServices" => ECS_CLUSTERS,
                "GetStages" if service == "apigateway" => REST_APIS,
                "GetStages" => HTTP_APIS,
                _ => REGIONS,
            };
            expected
                .entry(service.to_owned())
                .or_default()
                .insert(operation.to_owned(), calls);
        }
    }
    expected
        .entry("sts".to_owned())
        .or_default()
        .insert("GetCallerIdentity".to_owned(), 1);
    let actual: BTreeMap<String, BTreeMap<String, u64>> =
        serde_json::from_value(report["summary"]["api_calls"].clone()).expect("api_calls");
    assert_eq!(actual, expected);
    assert_eq!(report["summary"]["retries"], 0);

    // Not vacuous: far more resources than calls.
    let resources: u64 = report["coverage"]["collected"]
        .as_array()
        .expect("collected")
        .iter()
        .map(|c| c["count"].as_u64().unwrap_or(0))
        .sum();
    let calls: u64 = actual.values().flat_map(|ops| ops.values()).sum();
    let peak = report["summary"]["peak_in_flight"]
        .as_u64()
        .expect("peak_in_flight");
    assert!(
        (1..=calls).contains(&peak),
        "at most {peak} of {calls} requests in flight at once"
    );
    assert!(
        resources > 3 * calls,
        "{resources} resources from {calls} calls"
    );
    for field in ["collection_seconds", "evaluation_seconds"] {
        assert!(
            report["summary"][field].as_f64().is_some_and(|s| s >= 0.0),
            "summary.{field}: {}",
            report["summary"]
        );
    }
}

/// A region where DescribeVpcs finds no VPC (its default VPC deleted, as AWS Control Tower
/// leaves new accounts): the datasets that live in a VPC are not read there, and coverage says
/// why, so the scan is still complete; what lives outside VPCs (a Lambda function with a
/// literal secret: LAM003) is still read and judged. Its twin, REGION with its default VPC,
/// is read whole.
#[test]
fn a_region_without_a_vpc_skips_only_what_lives_in_one() {
    use vpcaudit_core::snapshot::{Dataset, NO_VPC};

    let moto = MotoServer::start();
    let bare = moto.seed_region(OTHER_REGION, &["no_vpc", "lam003"]);
    let work = tempfile::tempdir().expect("temp dir");
    let run = scan_both_regions(work.path(), &moto);
    run.assert_code(0);
    let report = run.json();
    assert_complete(&run, &report);

    // Calls per listing: both regions for what lives outside VPCs, only REGION for the rest.
    // (The per-parent calls have no parent in either region: nothing to compare.)
    for &dataset in Dataset::ALL {
        let (service, operation) = dataset.api_calls()[0];
        if matches!(
            dataset,
            Dataset::Listeners | Dataset::TargetHealth | Dataset::TargetGroupAttributes
        ) {
            continue;
        }
        let expected = if dataset.lives_in_a_vpc() { 1 } else { 2 };
        assert_eq!(
            api_calls(&report, service, operation),
            expected,
            "{service}:{operation} ({dataset})"
        );
    }

    // Coverage: every dataset is collected in both regions; in OTHER_REGION those that live in
    // a VPC are empty and say why, and nothing in REGION does.
    let collected = report["coverage"]["collected"]
        .as_array()
        .expect("collected");
    for &dataset in Dataset::ALL {
        let (service, operation) = dataset.api_call();
        for region in [REGION, OTHER_REGION] {
            let entry = collected
                .iter()
                .find(|c| {
                    c["service"] == service && c["operation"] == operation && c["region"] == region
                })
                .unwrap_or_else(|| {
                    panic!("{dataset} in {region} not collected: {}", run.describe())
                });
            let implied = entry.get("implied_by").and_then(Value::as_str);
            if region == OTHER_REGION && dataset.lives_in_a_vpc() {
                assert_eq!(implied, Some(NO_VPC), "{dataset}: {entry}");
                assert_eq!(entry["count"], 0, "{dataset}: {entry}");
            } else {
                assert_eq!(implied, None, "{dataset} in {region}: {entry}");
            }
        }
    }

    // The function outside any VPC is judged in the region without one, and it is all there is
    // to find there.
    let there: BTreeSet<(String, String)> = findings(&report)
        .iter()
        .filter(|f| f["resource"]["region"] == OTHER_REGION)
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_owned(),
                f["resource"]["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = bare
        .expected
        .iter()
        .map(|(rule, id)| (rule.clone(), id.clone()))
        .collect();
    assert!(!expected.is_empty(), "lam003 expects findings");
    assert_eq!(there, expected, "{}", run.describe());
}

/// A time limit already spent: nothing is waited for, every dataset of every region is
/// recorded as DeadlineExceeded, every rule is not evaluated, and the scan exits 3.
#[test]
fn a_spent_time_limit_is_an_incomplete_scan() {
    let port = common::free_port(); // nothing listens there; nothing may be called anyway
    let endpoint = format!("http://127.0.0.1:{port}");
    let work = tempfile::tempdir().expect("temp dir");
    let run = Run::vpcaudit(
        work.path(),
        &[
            "scan",
            "--endpoint-url",
            &endpoint,
            "--region",
            REGION,
            "--region",
            OTHER_REGION,
            "--time-limit",
            "0",
            "--format",
            "json",
        ],
    );
    run.assert_code(3);
    let report = run.json();
    let errors = report["coverage"]["errors"].as_array().expect("errors");
    for region in [REGION, OTHER_REGION] {
        for &dataset in vpcaudit_core::snapshot::Dataset::ALL {
            let (_, operation) = dataset.api_call();
            assert!(
                errors.iter().any(|e| e["operation"] == operation
                    && e["region"] == region
                    && e["code"] == "DeadlineExceeded"
                    && e["dataset"].is_string()),
                "no DeadlineExceeded for {operation} in {region}: {}",
                run.describe()
            );
        }
    }
    let rules = vpcaudit_core::rules::all().len();
    assert_eq!(
        report["coverage"]["not_evaluated"].as_array().map(Vec::len),
        Some(rules * 2)
    );
    assert_eq!(report["summary"]["api_calls"], serde_json::json!({}));
    assert!(run.stderr.contains("time limit"), "{}", run.describe());
}

/// A role that cannot be assumed (here: STS unreachable) is recorded against its account with
/// the call that failed; the account's regions are not read and the scan exits 3, no panic.
#[test]
fn a_role_that_cannot_be_assumed_is_an_incomplete_scan() {
    let port = common::free_port(); // nothing listens there
    let endpoint = format!("http://127.0.0.1:{port}");
    let work = tempfile::tempdir().expect("temp dir");
    let account = "222222222222";
    let role = format!("arn:aws:iam::{account}:role/{ROLE_NAME}");
    let run = Run::vpcaudit(
        work.path(),
        &[
            "scan",
            "--endpoint-url",
            &endpoint,
            "--region",
            REGION,
            "--role-arn",
            &role,
            "--format",
            "json",
        ],
    );
    run.assert_code(3);
    let report = run.json();
    assert_eq!(strings(&report["accounts"]), vec![account.to_owned()]);
    let errors = report["coverage"]["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["service"] == "sts"
            && e["operation"] == "AssumeRole"
            && e["account"] == account),
        "{}",
        run.describe()
    );
    assert_eq!(report["coverage"]["collected"], serde_json::json!([]));
    assert!(
        run.stderr
            .contains(&format!("sts:AssumeRole failed for account {account}")),
        "{}",
        run.describe()
    );
}
