//! Faults survived, measured (issue 11): tests/moto/faults.py stands between vpcaudit and moto
//! and injects, in one region only, throttling storms, 5xx answers, connection resets,
//! truncated and malformed bodies, answers slower than the read timeout, and a missing
//! permission on each operation in turn.
//!
//! For every fault: no false "clean" (the dataset is named in `coverage.errors`, every rule that
//! needs it is not evaluated there, and the scan exits 3, or the retries absorb the fault and
//! the report is the fault-free one); no finding that the fault-free scan does not have; the
//! other region read in full with the same findings; and the run's time within a bound.
//!
//! The README's fault table (between `<!-- faults:start -->` and `<!-- faults:end -->`) is
//! this test's output: it fails when the table says something else (the time column is a
//! measurement and is not compared). `VPCAUDIT_BLESS=1` rewrites it.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vpcaudit_core::snapshot::{self, Dataset};
use vpcaudit_testkit::moto::{FaultProxy, MotoServer, Run, manifest_dir};

/// The region the faults are injected in, and the one that must not notice.
const FAULTY: &str = "us-east-1";
const OTHER: &str = "eu-west-1";
/// No run may take longer: 3 attempts of 1 s read timeouts with backoff, or a throttling storm
/// retried with backoff, end well within it.
const BOUND: Duration = Duration::from_secs(60);

/// One injected fault.
struct Case {
    fault: &'static str,
    /// What the README calls it.
    title: &'static str,
    /// (SDK service, operation) it hits, in [`FAULTY`].
    target: (&'static str, &'static str),
    /// Only the first N requests (the retries then get real answers).
    times: Option<u32>,
    /// The dataset that must be reported as not read; None: the retries absorb the fault.
    lost: Option<Dataset>,
    /// Text the coverage error must contain (the cause, named).
    cause: &'static str,
}

const CASES: &[Case] = &[
    Case {
        fault: "throttle",
        title: "throttling storm (EC2 `RequestLimitExceeded`, every attempt)",
        target: ("ec2", "DescribeSubnets"),
        times: None,
        lost: Some(Dataset::Subnets),
        cause: "RequestLimitExceeded",
    },
    Case {
        fault: "throttle",
        title: "throttling storm (JSON protocol `ThrottlingException`, every attempt)",
        target: ("ecs", "ListClusters"),
        times: None,
        lost: Some(Dataset::EcsServices),
        cause: "ThrottlingException",
    },
    Case {
        fault: "throttle",
        title: "throttling burst (RDS `Throttling`, first 2 attempts)",
        target: ("rds", "DescribeDBInstances"),
        times: Some(2),
        lost: None,
        cause: "",
    },
    Case {
        fault: "http500",
        title: "HTTP 500 `InternalError` (every attempt)",
        target: ("lambda", "ListFunctions"),
        times: None,
        lost: Some(Dataset::LambdaFunctions),
        cause: "InternalError",
    },
    Case {
        fault: "http503",
        title: "HTTP 503 `ServiceUnavailable` (first attempt)",
        target: ("ec2", "DescribeSecurityGroups"),
        times: Some(1),
        lost: None,
        cause: "",
    },
    Case {
        fault: "reset",
        title: "connection reset before the answer (every attempt)",
        target: ("elbv2", "DescribeLoadBalancers"),
        times: None,
        lost: Some(Dataset::LoadBalancers),
        cause: "Connection reset by peer",
    },
    Case {
        fault: "truncate",
        title: "body cut in half (every attempt)",
        target: ("ec2", "DescribeInstances"),
        times: None,
        lost: Some(Dataset::Instances),
        cause: "end of file before message length reached",
    },
    Case {
        fault: "malformed",
        title: "200 with a malformed body",
        target: ("rds", "DescribeDBSubnetGroups"),
        times: None,
        lost: Some(Dataset::DbSubnetGroups),
        cause: "error parsing XML",
    },
    Case {
        fault: "slow",
        title: "answer after 3 s, beyond `--read-timeout 1` (every attempt)",
        target: ("ec2", "DescribeNatGateways"),
        times: None,
        lost: Some(Dataset::NatGateways),
        cause: "read timeout",
    },
];

/// What one run showed.
struct Outcome {
    run: Run,
    report: Value,
    seconds: f64,
}

fn scan(endpoint: &str, workdir: &Path, extra: &[&str]) -> Outcome {
    let regions = format!("{FAULTY},{OTHER}");
    let mut args = vec![
        "scan",
        "--endpoint-url",
        endpoint,
        "--region",
        &regions,
        "--format",
        "json",
        "--quiet",
        "--read-timeout",
        "1",
    ];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let run = Run::vpcaudit(workdir, &args);
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        !run.stderr.contains("panicked"),
        "vpcaudit panicked: {}",
        run.describe()
    );
    let report = run.json();
    Outcome {
        run,
        report,
        seconds,
    }
}

fn fingerprints(report: &Value, region: Option<&str>) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| region.is_none_or(|r| f["resource"]["region"] == r))
        .filter_map(|f| f["fingerprint"].as_str().map(str::to_owned))
        .collect()
}

fn errors(report: &Value) -> Vec<Value> {
    report["coverage"]["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The rules that need `dataset`, and those that also read it to follow the network further:
/// each must be listed as not evaluated (or partly evaluated) in [`FAULTY`] when it is lost.
fn rules_reading(dataset: Dataset) -> (Vec<String>, Vec<String>) {
    let ids = |also: bool| {
        vpcaudit_core::rules::all()
            .iter()
            .filter(|r| {
                if also {
                    r.also_reads.contains(&dataset) && !r.requires.contains(&dataset)
                } else {
                    r.requires.contains(&dataset)
                }
            })
            .map(|r| r.meta.id.clone())
            .collect()
    };
    (ids(false), ids(true))
}

fn rules(n: usize) -> String {
    if n == 1 {
        "1 rule".to_owned()
    } else {
        format!("{n} rules")
    }
}

/// The checks every faulted run must pass; returns what the README says vpcaudit reported.
fn check(
    what: &str,
    outcome: &Outcome,
    baseline: &Value,
    lost: Option<Dataset>,
    cause: &str,
) -> String {
    let report = &outcome.report;
    let describe = || format!("{what}:\n{}", outcome.run.describe());
    assert!(
        outcome.seconds < BOUND.as_secs_f64(),
        "{what} took {:.1} s (bound {} s)",
        outcome.seconds,
        BOUND.as_secs()
    );
    // Nothing invented from partial data.
    let invented: Vec<_> = fingerprints(report, None)
        .difference(&fingerprints(baseline, None))
        .cloned()
        .collect();
    assert!(
        invented.is_empty(),
        "findings the fault-free scan does not have: {invented:?}\n{}",
        describe()
    );
    // Nothing lost in the other region.
    assert_eq!(
        fingerprints(report, Some(OTHER)),
        fingerprints(baseline, Some(OTHER)),
        "{OTHER}'s findings changed\n{}",
        describe()
    );
    let errors = errors(report);
    assert!(
        errors.iter().all(|e| e["region"] == FAULTY),
        "an error outside {FAULTY}: {errors:#?}\n{}",
        describe()
    );
    let Some(lost) = lost else {
        outcome.run.assert_code(1);
        assert!(errors.is_empty(), "{errors:#?}\n{}", describe());
        assert_eq!(
            fingerprints(report, None),
            fingerprints(baseline, None),
            "the retries absorbed the fault: the report must be the fault-free one\n{}",
            describe()
        );
        assert!(
            report["summary"]["retries"].as_u64() > Some(0),
            "the fault was retried\n{}",
            describe()
        );
        return "retried: complete, the fault-free findings".to_owned();
    };
    // No false clean.
    outcome.run.assert_code(3);
    assert_eq!(report["summary"]["complete"], false, "{}", describe());
    let (service, operation) = lost.api_call();
    let error = errors
        .iter()
        .find(|e| e["service"] == service && e["operation"] == operation)
        .unwrap_or_else(|| {
            panic!(
                "coverage should name {service}:{operation}: {errors:#?}\n{}",
                describe()
            )
        });
    let message = error["error"].as_str().unwrap_or_default();
    assert!(
        message.contains(cause),
        "the cause should be named ({cause:?}): {message}\n{}",
        describe()
    );
    let action = lost.iam_action();
    let not_evaluated: BTreeSet<&str> = report["coverage"]["not_evaluated"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|n| {
                    n["region"] == FAULTY
                        && n["missing"].as_array().is_some_and(|m| {
                            // "ACTION" or "ACTION (partly evaluated without it)"
                            m.iter()
                                .filter_map(Value::as_str)
                                .any(|x| x.split(' ').next() == Some(action.as_str()))
                        })
                })
                .filter_map(|n| n["rule_id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let (needing, following) = rules_reading(lost);
    for rule in needing.iter().chain(&following) {
        assert!(
            not_evaluated.contains(rule.as_str()),
            "{rule} needs {action} but is not listed as not evaluated: {not_evaluated:?}\n{}",
            describe()
        );
    }
    let cause = error["code"].as_str().unwrap_or(cause);
    let partly = if following.is_empty() {
        String::new()
    } else {
        format!(", {} partly", rules(following.len()))
    };
    format!(
        "`{}` not read (`{cause}`); {} not evaluated{partly} in {FAULTY}; {OTHER} complete",
        lost.slug(),
        rules(needing.len()),
    )
}

struct Row {
    fault: String,
    target: String,
    reported: String,
    exit: String,
    seconds: f64,
}

#[test]
fn faults_never_read_as_clean_and_the_readme_table_says_so() {
    let moto = MotoServer::start();
    moto.seed_region(FAULTY, &["all", "network"]);
    moto.seed_region(OTHER, &["sg001", "db001", "lam001"]);
    let workdir = tempfile::tempdir().expect("workdir");

    let clean = FaultProxy::start(&moto.endpoint(), &json!([]));
    let baseline = scan(&clean.endpoint(), workdir.path(), &[]);
    baseline.run.assert_code(1);
    assert!(errors(&baseline.report).is_empty(), "fault-free baseline");
    assert!(!fingerprints(&baseline.report, Some(OTHER)).is_empty());
    drop(clean);

    let mut rows = Vec::new();
    for case in CASES {
        let mut rule = json!({
            "service": case.target.0,
            "operation": case.target.1,
            "region": FAULTY,
            "fault": case.fault,
            "delay": 3.0,
        });
        if let Some(times) = case.times {
            rule["times"] = json!(times);
        }
        let proxy = FaultProxy::start(&moto.endpoint(), &json!([rule]));
        let outcome = scan(&proxy.endpoint(), workdir.path(), &[]);
        let reported = check(
            case.title,
            &outcome,
            &baseline.report,
            case.lost,
            case.cause,
        );
        let injected = proxy
            .calls()
            .iter()
            .filter(|c| c["fault"].is_string())
            .count();
        assert!(injected > 0, "{}: the proxy injected nothing", case.title);
        rows.push(Row {
            fault: case.title.to_owned(),
            target: format!("`{}:{}`", case.target.0, case.target.1),
            reported,
            exit: outcome.run.code.map_or("?".into(), |c| c.to_string()),
            seconds: outcome.seconds,
        });
    }

    // A missing permission on each operation in turn.
    let mut slowest: f64 = 0.0;
    let mut operations = 0;
    for dataset in Dataset::ALL {
        for (service, operation) in dataset.api_calls() {
            let fault = json!([{
                "service": service, "operation": operation, "region": FAULTY, "fault": "deny",
            }]);
            let proxy = FaultProxy::start(&moto.endpoint(), &fault);
            let outcome = scan(&proxy.endpoint(), workdir.path(), &[]);
            // The dataset the call leads to is the one lost.
            let denied = if service == "ec2" {
                "UnauthorizedOperation"
            } else {
                "AccessDenied"
            };
            check(
                &format!("{service}:{operation} denied"),
                &outcome,
                &baseline.report,
                Some(*dataset),
                denied,
            );
            slowest = slowest.max(outcome.seconds);
            operations += 1;
        }
    }
    rows.push(Row {
        fault: format!(
            "`AccessDenied` / EC2 `UnauthorizedOperation` on each of the {operations} \
             operations in turn"
        ),
        target: "each".to_owned(),
        reported: "that dataset not read, with the code; the rules needing it not evaluated; \
                   the other region complete"
            .to_owned(),
        exit: "3".to_owned(),
        seconds: slowest,
    });

    readme_table(&rows);
}

/// Compares the README's fault table with `rows` (all but the time column), or rewrites it
/// with `VPCAUDIT_BLESS=1`.
fn readme_table(rows: &[Row]) {
    let mut table = vec![
        "| fault (in us-east-1 only) | injected on | what vpcaudit reports | exit | time |"
            .to_owned(),
        "| --- | --- | --- | --- | --- |".to_owned(),
    ];
    for row in rows {
        table.push(format!(
            "| {} | {} | {} | {} | {:.1} s |",
            row.fault, row.target, row.reported, row.exit, row.seconds
        ));
    }
    let path = manifest_dir().join("README.md");
    let readme = fs::read_to_string(&path).expect("README.md");
    let (start, end) = ("<!-- faults:start -->", "<!-- faults:end -->");
    let (Some(from), Some(to)) = (readme.find(start), readme.find(end)) else {
        panic!(
            "README.md has no {start} … {end} block; the table is:\n{}",
            table.join("\n")
        );
    };
    let from = from + start.len();
    if std::env::var_os("VPCAUDIT_BLESS").is_some() {
        let updated = format!(
            "{}\n{}\n{}",
            &readme[..from],
            table.join("\n"),
            &readme[to..]
        );
        fs::write(&path, updated).expect("write README.md");
        return;
    }
    let without_time = |line: &str| -> String {
        let cells: Vec<&str> = line.trim().trim_matches('|').split(" | ").collect();
        cells[..cells.len().saturating_sub(1)].join(" | ")
    };
    let shown: Vec<String> = readme[from..to]
        .trim()
        .lines()
        .skip(2)
        .map(without_time)
        .collect();
    let measured: Vec<String> = table.iter().skip(2).map(|l| without_time(l)).collect();
    assert_eq!(
        shown,
        measured,
        "README's fault table differs from what the faults did; rerun with VPCAUDIT_BLESS=1 \
         or replace it with:\n{}",
        table.join("\n")
    );
}

/// The dataset's slug as the report names it (`subnets`).
trait Slug {
    fn slug(&self) -> String;
}

impl Slug for Dataset {
    fn slug(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| snapshot::iam_action_of(self.api_call().0, self.api_call().1))
    }
}
