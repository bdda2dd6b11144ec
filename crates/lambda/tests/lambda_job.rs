//! The scheduled Lambda job end to end against moto on 127.0.0.1: a scheduled event in, the
//! reports in moto's S3 at the right keys, new findings between runs, a near-deadline
//! invocation, S3 and configuration failures; and the real `vpcaudit-lambda` binary behind a
//! stub of the Lambda Runtime API.
//!
//! `cargo test -p vpcaudit-lambda` (part of `cargo test --workspace`, which scripts/test.sh
//! runs).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::primitives::ByteStream;
use common::{ACCOUNT, MotoServer, REGION};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use vpcaudit_lambda::{
    self, DEADLINE_EXCEEDED, JobConfig, JobError, JobEvent, JobStatus, JobSummary, SAFETY_MARGIN,
    invoke_at,
};
use vpcaudit_testkit::moto as common;

const BUCKET: &str = "vpcaudit-reports";
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:vpcaudit-audit";
/// The fake secret key every AWS client here uses: it must never be logged.
const SECRET_KEY: &str = "vpcaudit-fake-secret-key-never-logged";

/// The in-process handler reads credentials from the environment like the SDK does in Lambda:
/// fake ones, no AWS config file, no profile, no instance metadata, no proxy. Every test calls
/// this first, so the variables are set once before any test reads the environment.
fn hermetic() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let remove: Vec<_> = std::env::vars_os()
            .map(|(k, _)| k)
            .filter(|k| {
                let k = k.to_string_lossy();
                k.starts_with("AWS_")
                    || matches!(
                        k.to_ascii_lowercase().as_str(),
                        "http_proxy" | "https_proxy" | "all_proxy"
                    )
            })
            .collect();
        // SAFETY: runs once, before any test of this binary has read the environment or
        // started a thread of its own (each test's first statement is `hermetic()`, and
        // `call_once` makes the others wait until it returns).
        unsafe {
            for k in remove {
                std::env::remove_var(k);
            }
            for (k, v) in [
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
                ("AWS_REGION", REGION),
                ("AWS_DEFAULT_REGION", REGION),
                ("AWS_CONFIG_FILE", "/dev/null"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("NO_PROXY", "127.0.0.1,localhost"),
                ("no_proxy", "127.0.0.1,localhost"),
            ] {
                std::env::set_var(k, v);
            }
        }
    });
}

/// The job's settings as the function's environment would give them, pointed at moto.
fn job_config(moto: &MotoServer, vars: &[(&str, &str)]) -> JobConfig {
    let mut env: BTreeMap<&str, &str> = [("AWS_REGION", REGION), ("REPORT_BUCKET", BUCKET)]
        .into_iter()
        .collect();
    env.extend(vars.iter().copied());
    let mut config = JobConfig::from_lookup(|name| env.get(name).map(|v| v.to_string()))
        .expect("valid job settings");
    config.endpoint_url = Some(moto.endpoint());
    config
}

/// A scheduled event as EventBridge sends it, deserialized as the runtime does.
fn scheduled_event() -> JobEvent {
    let event: JobEvent = serde_json::from_value(json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-11-26T06:00:00Z",
        "region": REGION,
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/vpcaudit-Schedule"],
        "detail": {}
    }))
    .expect("a scheduled event deserializes");
    assert!(
        matches!(&event, JobEvent::EventBridge(e) if e.detail_type == "Scheduled Event"),
        "{event:?}"
    );
    event
}

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_millis(),
    )
    .expect("milliseconds fit u64")
}

const CONTEXT_REQUEST_ID: &str = "6bc28136-4ab1-4d84-9c4b-7b4e7a0c2f11";

/// An invocation context whose deadline is `remaining` from now.
fn context(remaining: Duration) -> Context {
    let mut context = Context::default();
    context.request_id = CONTEXT_REQUEST_ID.to_owned();
    context.invoked_function_arn = FUNCTION_ARN.to_owned();
    context.deadline = now_ms() + u64::try_from(remaining.as_millis()).expect("fits");
    context
}

async fn s3_client(moto: &MotoServer) -> aws_sdk_s3::Client {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto.endpoint())
        .region(aws_config::Region::new(REGION))
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    )
}

async fn create_bucket(s3: &aws_sdk_s3::Client) {
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("create the report bucket in moto");
}

async fn keys(s3: &aws_sdk_s3::Client) -> BTreeSet<String> {
    let listed = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list the report bucket");
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

/// The object's text, or None when there is no such key.
async fn get(s3: &aws_sdk_s3::Client, key: &str) -> Option<String> {
    match s3.get_object().bucket(BUCKET).key(key).send().await {
        Ok(object) => {
            let bytes = object
                .body
                .collect()
                .await
                .expect("read the object")
                .into_bytes();
            Some(String::from_utf8(bytes.to_vec()).expect("UTF-8 report"))
        }
        Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => None,
        Err(e) => panic!("GetObject {key}: {e:?}"),
    }
}

async fn put(s3: &aws_sdk_s3::Client, key: &str, text: &str) {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from(text.as_bytes().to_vec()))
        .send()
        .await
        .expect("put the object");
}

/// Adds `tcp/22 from 0.0.0.0/0` to a security group, through the EC2 API.
async fn open_ssh_to_the_world(moto: &MotoServer, group_id: &str) {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto.endpoint())
        .region(aws_config::Region::new(REGION))
        .load()
        .await;
    aws_sdk_ec2::Client::new(&sdk)
        .authorize_security_group_ingress()
        .group_id(group_id)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("authorize tcp/22 from 0.0.0.0/0");
}

/// Waits a little, so two runs with the same request id start in different milliseconds.
async fn next_millisecond() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

/// `vpcaudit/123456789012/us-east-1/<YYYYMMDDTHHMMSS.mmmZ>-<request id>/<file>`
fn assert_report_key(key: &str, request_id: &str, file: &str) {
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(parts.len(), 5, "{key}");
    assert_eq!(parts[..3], ["vpcaudit", ACCOUNT, REGION], "{key}");
    let (stamp, id) = parts[3].split_once('-').expect("stamp-id");
    let stamp = stamp.as_bytes();
    assert!(
        stamp.len() == 20
            && stamp[8] == b'T'
            && stamp[15] == b'.'
            && stamp[19] == b'Z'
            && stamp[..8]
                .iter()
                .chain(&stamp[9..15])
                .chain(&stamp[16..19])
                .all(u8::is_ascii_digit),
        "timestamp of the run folder in {key}"
    );
    assert_eq!(id, request_id, "{key}");
    assert_eq!(parts[4], file, "{key}");
}

/// The JSON report parses back into the library's type and has the contract's header.
fn parse_report(text: &str) -> Value {
    let report: vpcaudit_core::report::Report =
        serde_json::from_str(text).expect("report.json parses as vpcaudit's Report");
    let value: Value = serde_json::from_str(text).expect("report.json is JSON");
    vpcaudit_testkit::contracts::assert_report_matches_schema(
        "the Lambda job's report.json",
        &value,
    );
    assert_eq!(report.findings.len(), common::findings(&value).len());
    value
}

/// The SARIF log is schema-valid and has one result per finding.
fn check_sarif(text: &str, report: &Value) -> Value {
    let sarif: Value = serde_json::from_str(text).expect("report.sarif is JSON");
    let schema: Value =
        serde_json::from_str(include_str!("../../../tests/data/sarif-schema-2.1.0.json"))
            .expect("the vendored schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.sarif breaks the schema: {errors:#?}"
    );
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(common::findings(report).len()),
        "one SARIF result per finding"
    );
    sarif
}

fn fingerprint_of(report: &Value, rule: &str, resource: &str) -> String {
    common::findings(report)
        .iter()
        .find(|f| f["rule_id"] == rule && f["resource"]["id"] == resource)
        .and_then(|f| f["fingerprint"].as_str())
        .unwrap_or_else(|| panic!("no {rule} finding on {resource} in {report:#}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_runs_store_reports_and_tell_new_findings() {
    hermetic();
    let moto = MotoServer::start();
    let seed = moto.seed(&["good"]);
    let s3 = s3_client(&moto).await;
    create_bucket(&s3).await;
    let config = job_config(&moto, &[]);

    // First run: no latest.json yet, so every finding is new.
    let event = LambdaEvent::new(scheduled_event(), context(Duration::from_secs(300)));
    let first = vpcaudit_lambda::invoke(&config, event)
        .await
        .expect("the first run succeeds");
    assert_eq!(first.status, JobStatus::Clean, "{first:#?}");
    assert!(!first.incomplete, "{first:#?}");
    assert_eq!(first.account, ACCOUNT);
    assert_eq!(first.regions, [REGION]);
    assert_eq!(first.coverage_errors.count, 0, "{first:#?}");
    assert_report_key(&first.reports.json, CONTEXT_REQUEST_ID, "report.json");
    assert_report_key(&first.reports.sarif, CONTEXT_REQUEST_ID, "report.sarif");
    assert_report_key(&first.reports.html, CONTEXT_REQUEST_ID, "report.html");
    assert_eq!(
        first.reports.latest,
        format!("vpcaudit/{ACCOUNT}/{REGION}/latest.json")
    );
    assert!(first.reports.latest_updated);
    assert_eq!(
        keys(&s3).await,
        BTreeSet::from([
            first.reports.json.clone(),
            first.reports.sarif.clone(),
            first.reports.html.clone(),
            first.reports.latest.clone()
        ])
    );
    // The offline page: one document, nothing fetched from elsewhere.
    let html = get(&s3, &first.reports.html).await.expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html:.200}");
    assert!(
        !html.contains("src=\"http"),
        "report.html loads nothing from elsewhere"
    );
    let report_text = get(&s3, &first.reports.json).await.expect("report.json");
    let report = parse_report(&report_text);
    common::assert_report_header(&report);
    common::assert_complete(&report);
    common::assert_findings(&report, &seed);
    check_sarif(
        &get(&s3, &first.reports.sarif).await.expect("report.sarif"),
        &report,
    );
    assert_eq!(
        get(&s3, &first.reports.latest).await.as_deref(),
        Some(report_text.as_str()),
        "latest.json is this run's report"
    );
    assert_eq!(first.findings.total, seed.expected.len());
    assert_eq!(first.new_findings.count, first.findings.total);
    assert_eq!(first.new_findings.baseline, None);

    // A violation appears between runs (SSH opened to the world on the app servers' group):
    // the second run reports it, and only it, as new.
    let app_sg = seed.id("good.app-sg").to_owned();
    open_ssh_to_the_world(&moto, &app_sg).await;
    next_millisecond().await;
    let event = LambdaEvent::new(scheduled_event(), context(Duration::from_secs(300)));
    let second = vpcaudit_lambda::invoke(&config, event)
        .await
        .expect("the second run succeeds");
    let report_text = get(&s3, &second.reports.json).await.expect("report.json");
    let report = parse_report(&report_text);
    let mut expected = seed.expected.clone();
    expected.push(("SG001".to_owned(), app_sg.clone()));
    expected.sort();
    assert_eq!(common::finding_pairs(&report), expected);
    check_sarif(
        &get(&s3, &second.reports.sarif).await.expect("report.sarif"),
        &report,
    );
    // SG001 on a group that application servers carry is critical, at or above the default
    // FAIL_ON (high): status `findings`, and the invocation still succeeds.
    assert_eq!(second.status, JobStatus::Findings, "{second:#?}");
    assert_eq!(second.findings.at_or_above_fail_on, 1, "{second:#?}");
    assert_eq!(second.new_findings.count, 1, "{second:#?}");
    assert_eq!(
        second.new_findings.baseline.as_deref(),
        Some(first.reports.latest.as_str())
    );
    let new = &second.new_findings.listed[0];
    assert_eq!(
        (new.rule_id.as_str(), new.resource.as_str()),
        ("SG001", app_sg.as_str())
    );
    assert_eq!(new.fingerprint, fingerprint_of(&report, "SG001", &app_sg));
    assert_ne!(second.reports.json, first.reports.json);
    assert_eq!(
        keys(&s3).await.len(),
        7,
        "two runs of three reports, one latest"
    );
    assert_eq!(
        get(&s3, &second.reports.latest).await.as_deref(),
        Some(report_text.as_str())
    );

    // A third run with nothing changed has nothing new.
    next_millisecond().await;
    let event = LambdaEvent::new(
        JobEvent::Other(json!({})),
        context(Duration::from_secs(300)),
    );
    let third = vpcaudit_lambda::invoke(&config, event)
        .await
        .expect("a manual run succeeds");
    assert_eq!(third.new_findings.count, 0, "{third:#?}");
    assert_eq!(third.findings.total, second.findings.total);
}

/// The run folder of a report key: `…/<folder>/report.json` → `<folder>`.
fn folder_of(key: &str) -> &str {
    key.rsplit('/').nth(1).expect("a report key has a folder")
}

/// The run named in latest.json's metadata.
async fn latest_run(s3: &aws_sdk_s3::Client, key: &str) -> Option<String> {
    s3.head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .expect("latest.json exists")
        .metadata()
        .and_then(|m| m.get("vpcaudit-run").cloned())
}

/// A scheduled run and a manual one (or a retry) that start in the same millisecond: each
/// keeps its own reports, and latest.json ends as the later run's (same start: the greater
/// request id), whichever finishes last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_that_start_together_keep_their_reports_and_the_later_baseline() {
    hermetic();
    let moto = MotoServer::start();
    let seed = moto.seed(&["good"]);
    let s3 = s3_client(&moto).await;
    create_bucket(&s3).await;
    let config = job_config(&moto, &[]);
    let invocation = |request_id: &str| {
        let mut context = context(Duration::from_secs(300));
        context.request_id = request_id.to_owned();
        LambdaEvent::new(scheduled_event(), context)
    };
    const A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
    const B: &str = "bbbbbbbb-0000-4000-8000-000000000002";
    const C: &str = "cccccccc-0000-4000-8000-000000000003";
    const D: &str = "00000000-0000-4000-8000-000000000004";
    let latest = format!("vpcaudit/{ACCOUNT}/{REGION}/latest.json");

    // A and B at once, with the same start time: both read "no latest.json", both write
    // their reports, both try to create latest.json; the loser reads it again and decides.
    let started = chrono::Utc::now();
    // Spawned: each invocation's future is large, and two on the test's stack overflow it.
    let spawn = |request_id: &str| {
        let (config, event) = (config.clone(), invocation(request_id));
        tokio::spawn(async move { invoke_at(&config, event, started).await })
    };
    let (a, b) = (spawn(A), spawn(B));
    let (a, b) = (
        a.await.expect("run A joins").expect("run A"),
        b.await.expect("run B joins").expect("run B"),
    );
    assert_report_key(&a.reports.json, A, "report.json");
    assert_report_key(&b.reports.json, B, "report.json");
    assert_eq!(
        folder_of(&a.reports.json)[..20],
        folder_of(&b.reports.json)[..20]
    );
    assert_eq!(
        keys(&s3).await,
        BTreeSet::from([
            a.reports.json.clone(),
            a.reports.sarif.clone(),
            a.reports.html.clone(),
            b.reports.json.clone(),
            b.reports.sarif.clone(),
            b.reports.html.clone(),
            latest.clone(),
        ]),
        "both runs' reports, one latest"
    );
    let b_folder = folder_of(&b.reports.json).to_owned();
    assert!(b.reports.latest_updated, "{b:#?}");
    assert_eq!(b.reports.latest_run.as_deref(), Some(b_folder.as_str()));
    assert_eq!(
        latest_run(&s3, &latest).await.as_deref(),
        Some(b_folder.as_str())
    );
    let b_text = get(&s3, &b.reports.json).await.expect("B's report");
    assert_eq!(get(&s3, &latest).await.as_deref(), Some(b_text.as_str()));

    // SSH opened to the world, so the next reports differ from B's. A2 starts with A and B
    // but orders before B (request id `aaaa…` < `bbbb…`): finishing last, it must not replace
    // B's baseline.
    let app_sg = seed.id("good.app-sg").to_owned();
    open_ssh_to_the_world(&moto, &app_sg).await;
    const A2: &str = "aaaaaaaa-0000-4000-8000-000000000009";
    let a2 = invoke_at(&config, invocation(A2), started)
        .await
        .expect("run A2");
    assert!(!a2.incomplete);
    assert!(!a2.reports.latest_updated, "{a2:#?}");
    assert_eq!(a2.reports.latest_run.as_deref(), Some(b_folder.as_str()));
    assert_eq!(get(&s3, &latest).await.as_deref(), Some(b_text.as_str()));
    // It still compared with B's baseline: the open SSH is new.
    assert_eq!(a2.new_findings.count, 1, "{a2:#?}");
    assert!(get(&s3, &a2.reports.json).await.is_some());

    // The twin: C, same start, ordered after B, replaces it.
    let c = invoke_at(&config, invocation(C), started)
        .await
        .expect("run C");
    let c_folder = folder_of(&c.reports.json).to_owned();
    assert!(c.reports.latest_updated, "{c:#?}");
    assert_eq!(c.reports.latest_run.as_deref(), Some(c_folder.as_str()));
    let c_text = get(&s3, &c.reports.json).await.expect("C's report");
    assert_ne!(c_text, b_text);
    assert_eq!(get(&s3, &latest).await.as_deref(), Some(c_text.as_str()));
    assert_eq!(
        latest_run(&s3, &latest).await.as_deref(),
        Some(c_folder.as_str())
    );
    // Listing order is run order.
    let folders: Vec<String> = keys(&s3)
        .await
        .iter()
        .filter(|k| k.ends_with("/report.json"))
        .map(|k| folder_of(k).to_owned())
        .collect();
    assert_eq!(
        folders,
        [
            folder_of(&a.reports.json),
            folder_of(&a2.reports.json),
            &b_folder,
            &c_folder
        ]
    );

    // The same run again (same request id, same start): its folder is taken, and the
    // reports there are not overwritten.
    let error = invoke_at(&config, invocation(C), started)
        .await
        .expect_err("a taken run folder fails the invocation");
    let message = error.to_string();
    assert!(
        matches!(&error, JobError::ReportExists { key, .. } if folder_of(key) == c_folder),
        "{error:?}"
    );
    assert!(
        message.contains(&c_folder) && message.contains("already exists"),
        "{message}"
    );
    assert_eq!(Diagnostic::from(error).error_type, "vpcaudit.ReportStorage");
    assert_eq!(
        get(&s3, &c.reports.json).await.as_deref(),
        Some(c_text.as_str())
    );
    assert_eq!(get(&s3, &latest).await.as_deref(), Some(c_text.as_str()));

    // A later start time orders after every run of the earlier millisecond, whatever its id.
    let d = invoke_at(
        &config,
        invocation(D),
        started + chrono::Duration::milliseconds(1),
    )
    .await
    .expect("run D");
    assert!(d.reports.latest_updated, "{d:#?}");
    assert_eq!(
        latest_run(&s3, &latest).await.as_deref(),
        Some(folder_of(&d.reports.json))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_near_deadline_invocation_writes_an_incomplete_report() {
    hermetic();
    let moto = MotoServer::start();
    moto.seed(&["good"]);
    let s3 = s3_client(&moto).await;
    create_bucket(&s3).await;
    let config = job_config(&moto, &[]);

    // Less time left than the margin kept for writing: the scan gets none.
    let remaining = SAFETY_MARGIN - Duration::from_secs(5);
    let started = std::time::Instant::now();
    let event = LambdaEvent::new(scheduled_event(), context(remaining));
    let error = vpcaudit_lambda::invoke(&config, event)
        .await
        .expect_err("an incomplete scan fails the invocation");
    assert!(
        started.elapsed() < remaining,
        "the invocation must end before its deadline, took {:?}",
        started.elapsed()
    );
    let summary: JobSummary = match &error {
        JobError::Incomplete(summary) => (**summary).clone(),
        other => panic!("expected an incomplete scan, got {other:?}"),
    };
    assert_eq!(summary.status, JobStatus::Incomplete);
    assert!(summary.incomplete);
    assert!(
        summary
            .coverage_errors
            .by_code
            .get(DEADLINE_EXCEEDED)
            .is_some_and(|n| *n > 0),
        "{summary:#?}"
    );
    assert!(!summary.reports.latest_updated);
    let message = error.to_string();
    assert!(
        message.contains("incomplete scan") && message.contains(&summary.reports.json),
        "{message}"
    );
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "vpcaudit.IncompleteScan");

    // The reports are there, marked incomplete; latest.json is not replaced by them.
    assert_report_key(&summary.reports.json, CONTEXT_REQUEST_ID, "report.json");
    let report = parse_report(&get(&s3, &summary.reports.json).await.expect("report.json"));
    assert_eq!(report["summary"]["complete"], false, "{report:#}");
    let errors = report["coverage"]["errors"].as_array().expect("errors");
    assert!(!errors.is_empty());
    for e in errors {
        assert_eq!(e["code"], DEADLINE_EXCEEDED, "{e:#}");
    }
    let sarif = check_sarif(
        &get(&s3, &summary.reports.sarif)
            .await
            .expect("report.sarif"),
        &report,
    );
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    assert_eq!(get(&s3, &summary.reports.latest).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_fails_the_invocation_before_the_scan() {
    hermetic();
    let moto = MotoServer::start();
    let config = job_config(&moto, &[]);
    let started = std::time::Instant::now();
    let event = LambdaEvent::new(scheduled_event(), context(Duration::from_secs(300)));
    let error = vpcaudit_lambda::invoke(&config, event)
        .await
        .expect_err("no bucket, no audit");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    match &error {
        JobError::S3 {
            operation, bucket, ..
        } => {
            assert_eq!(*operation, "HeadBucket");
            assert_eq!(bucket, BUCKET);
        }
        other => panic!("expected an S3 error, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains(BUCKET) && message.contains("REPORT_BUCKET"),
        "{message}"
    );
    assert_eq!(Diagnostic::from(error).error_type, "vpcaudit.ReportStorage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_from_s3_applies_and_a_damaged_baseline_is_reported() {
    hermetic();
    let moto = MotoServer::start();
    moto.seed(&["sg001"]);
    let s3 = s3_client(&moto).await;
    create_bucket(&s3).await;
    put(
        &s3,
        "config/vpcaudit.toml",
        "[rules]\ndisable = [\"SG003\"]\n",
    )
    .await;
    put(
        &s3,
        "config/broken.toml",
        "[rules]\ndisable = [\"NOPE042\"]\n",
    )
    .await;
    // A latest.json that is not a report: the run goes on, every finding is new.
    put(
        &s3,
        &format!("vpcaudit/{ACCOUNT}/{REGION}/latest.json"),
        "{\"oops\": true}",
    )
    .await;

    let config = job_config(
        &moto,
        &[
            (
                "VPCAUDIT_CONFIG",
                "s3://vpcaudit-reports/config/vpcaudit.toml",
            ),
            ("FAIL_ON", "none"),
        ],
    );
    let event = LambdaEvent::new(
        JobEvent::Other(json!({})),
        context(Duration::from_secs(300)),
    );
    let summary = vpcaudit_lambda::invoke(&config, event)
        .await
        .expect("the run succeeds");
    let report = parse_report(&get(&s3, &summary.reports.json).await.expect("report.json"));
    let rules: BTreeSet<&str> = common::findings(&report)
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert_eq!(rules, BTreeSet::from(["SG001"]), "SG003 is disabled");
    // FAIL_ON=none: a critical finding does not make the status `findings`.
    assert_eq!(summary.status, JobStatus::Clean, "{summary:#?}");
    assert_eq!(summary.new_findings.count, 1);
    assert_eq!(summary.new_findings.baseline, None);
    assert!(
        summary
            .new_findings
            .baseline_error
            .as_deref()
            .is_some_and(|e| e.contains("latest.json")),
        "{summary:#?}"
    );
    assert!(summary.reports.latest_updated);

    let config = job_config(
        &moto,
        &[(
            "VPCAUDIT_CONFIG",
            "s3://vpcaudit-reports/config/broken.toml",
        )],
    );
    let event = LambdaEvent::new(
        JobEvent::Other(json!({})),
        context(Duration::from_secs(300)),
    );
    let error = vpcaudit_lambda::invoke(&config, event)
        .await
        .expect_err("a broken vpcaudit.toml fails the invocation");
    let message = error.to_string();
    assert!(
        message.starts_with("VPCAUDIT_CONFIG: ")
            && message.contains("s3://vpcaudit-reports/config/broken.toml:2:")
            && message.contains("NOPE042"),
        "{message}"
    );
    assert_eq!(Diagnostic::from(error).error_type, "vpcaudit.Configuration");
}

#[test]
fn bad_settings_name_their_variable() {
    hermetic();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("AWS_REGION", "us-east-1")], "REPORT_BUCKET: not set"),
        (&[("REPORT_BUCKET", "reports")], "REGIONS: not set"),
        (
            &[
                ("REPORT_BUCKET", "Reports_Bucket"),
                ("AWS_REGION", "us-east-1"),
            ],
            "REPORT_BUCKET: `Reports_Bucket` is not an S3 bucket name",
        ),
        (
            &[
                ("REPORT_BUCKET", "reports"),
                ("REGIONS", "eu-west-1,,us-east-1"),
            ],
            "REGIONS: item 2 of `eu-west-1,,us-east-1` is empty",
        ),
        (
            &[
                ("REPORT_BUCKET", "reports"),
                ("REGIONS", "eu-west-1, Frankfurt"),
            ],
            "REGIONS: `Frankfurt` is not an AWS region name",
        ),
        (
            &[
                ("REPORT_BUCKET", "reports"),
                ("AWS_REGION", "us-east-1"),
                ("FAIL_ON", "severe"),
            ],
            "FAIL_ON: unknown severity `severe`",
        ),
        (
            &[
                ("REPORT_BUCKET", "reports"),
                ("AWS_REGION", "us-east-1"),
                ("ROLE_ARNS", "arn:aws:iam::123456789012:user/alice"),
            ],
            "ROLE_ARNS: `arn:aws:iam::123456789012:user/alice` is not an IAM role ARN",
        ),
        (
            &[
                ("REPORT_BUCKET", "reports"),
                ("AWS_REGION", "us-east-1"),
                ("REPORT_PREFIX", "a/../b"),
            ],
            "REPORT_PREFIX: `a/../b` is not a usable key prefix",
        ),
        (
            &[
                ("REPORT_BUCKET", "reports"),
                ("AWS_REGION", "us-east-1"),
                ("VPCAUDIT_CONFIG", "s3://reports"),
            ],
            "VPCAUDIT_CONFIG: `s3://reports` names no object",
        ),
        (
            &[
                ("REPORT_BUCKET", "reports"),
                ("AWS_REGION", "us-east-1"),
                ("VPCAUDIT_CONFIG", "https://example.com/x.toml"),
            ],
            "VPCAUDIT_CONFIG: `https://example.com/x.toml`: only s3:// URLs and paths",
        ),
        (
            &[
                ("REPORT_BUCKET", "reports"),
                ("AWS_REGION", "us-east-1"),
                ("VPCAUDIT_SECURITY_HUB", "yes"),
            ],
            "VPCAUDIT_SECURITY_HUB: `yes` is not true or false",
        ),
        (
            &[
                ("REPORT_BUCKET", "reports"),
                ("AWS_REGION", "us-east-1"),
                ("VPCAUDIT_SECURITY_HUB", "true"),
                ("ROLE_ARNS", "arn:aws:iam::123456789012:role/audit"),
            ],
            "VPCAUDIT_SECURITY_HUB: true with ROLE_ARNS",
        ),
    ];
    for (vars, expected) in cases {
        let env: BTreeMap<&str, &str> = vars.iter().copied().collect();
        let error = JobConfig::from_lookup(|name| env.get(name).map(|v| v.to_string()))
            .expect_err(expected);
        let message = error.to_string();
        assert!(
            message.starts_with(expected),
            "{vars:?}: expected `{expected}…`, got `{message}`"
        );
        assert_eq!(Diagnostic::from(error).error_type, "vpcaudit.Configuration");
    }

    // Defaults, and SAM's empty optional parameters read as unset.
    let env = BTreeMap::from([
        ("REPORT_BUCKET", "reports"),
        ("AWS_REGION", "eu-west-1"),
        ("REGIONS", ""),
        ("ROLE_ARNS", ""),
        ("VPCAUDIT_CONFIG", " "),
    ]);
    let config =
        JobConfig::from_lookup(|name| env.get(name).map(|v| v.to_string())).expect("valid");
    assert_eq!(config.regions, ["eu-west-1"]);
    assert_eq!(config.prefix, "vpcaudit");
    assert_eq!(config.fail_on, Some(vpcaudit_core::finding::Severity::High));
    assert!(config.role_arns.is_empty() && config.config.is_none());
    assert!(!config.security_hub, "Security Hub is opt-in");

    let env = BTreeMap::from([
        ("REPORT_BUCKET", "reports"),
        ("REGIONS", "eu-west-1, us-east-1,eu-west-1"),
        ("REPORT_PREFIX", "/audits/vpc/"),
        ("FAIL_ON", "None"),
        (
            "ROLE_ARNS",
            "arn:aws:iam::111122223333:role/vpcaudit-read,arn:aws:iam::444455556666:role/vpcaudit-read",
        ),
        ("VPCAUDIT_CONFIG", "/opt/vpcaudit.toml"),
    ]);
    let config =
        JobConfig::from_lookup(|name| env.get(name).map(|v| v.to_string())).expect("valid");
    assert_eq!(config.regions, ["eu-west-1", "us-east-1"]);
    assert_eq!(config.prefix, "audits/vpc");
    assert_eq!(config.fail_on, None);
    assert_eq!(config.role_arns.len(), 2);
    assert_eq!(
        config.config,
        Some(vpcaudit_lambda::ConfigSource::File(
            "/opt/vpcaudit.toml".into()
        ))
    );

    // A manual test event is any JSON.
    let event: JobEvent = serde_json::from_str("{}").expect("{} is an event");
    assert_eq!(event, JobEvent::Other(json!({})));
}

// ---- the real binary behind a stub of the Lambda Runtime API --------------------------------

/// What the function posted back for one invocation.
#[derive(Debug)]
enum Outcome {
    Response(Value),
    Error(Value),
}

/// A Lambda Runtime API that hands out one event, with a deadline, and records the answer.
/// Later polls for the next event get no answer until the test ends.
struct RuntimeApi {
    port: u16,
    outcome: mpsc::Receiver<Outcome>,
}

impl RuntimeApi {
    fn start(event: Value, deadline_ms: u64) -> RuntimeApi {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the stub");
        let port = listener.local_addr().expect("stub address").port();
        let (tx, outcome) = mpsc::channel();
        let served = Arc::new(Mutex::new(false));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (tx, served, event) = (tx.clone(), Arc::clone(&served), event.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &event, deadline_ms, &served, &tx);
                });
            }
        });
        RuntimeApi { port, outcome }
    }
}

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

fn serve(
    stream: TcpStream,
    event: &Value,
    deadline_ms: u64,
    served: &Mutex<bool>,
    tx: &mpsc::Sender<Outcome>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let body = read_body(&mut reader, &headers)?;
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        if path.ends_with("/invocation/next") {
            let first = !std::mem::replace(&mut *served.lock().expect("lock"), true);
            if !first {
                // Hold the runtime here: the test kills the process.
                std::thread::sleep(Duration::from_secs(600));
                return Ok(());
            }
            let body = event.to_string();
            write!(
                writer,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                 Lambda-Runtime-Aws-Request-Id: {REQUEST_ID}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: {FUNCTION_ARN}\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            )?;
        } else {
            let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let outcome = if path.ends_with(&format!("/invocation/{REQUEST_ID}/response")) {
                Some(Outcome::Response(value))
            } else if path.ends_with(&format!("/invocation/{REQUEST_ID}/error"))
                || path.ends_with("/init/error")
            {
                Some(Outcome::Error(value))
            } else {
                None
            };
            write!(
                writer,
                "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{{}}"
            )?;
            if let Some(outcome) = outcome {
                let _ = tx.send(outcome);
            }
        }
        writer.flush()?;
    }
}

fn read_body(
    reader: &mut BufReader<TcpStream>,
    headers: &BTreeMap<String, String>,
) -> std::io::Result<Vec<u8>> {
    if let Some(length) = headers.get("content-length") {
        let mut body = vec![0; length.parse().unwrap_or(0)];
        reader.read_exact(&mut body)?;
        return Ok(body);
    }
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Ok(body)
}

/// Runs `vpcaudit-lambda` against a stub Runtime API for one invocation; returns what it
/// posted back and its log lines.
fn run_binary(moto: &MotoServer, env: &[(&str, &str)]) -> (Outcome, Vec<String>) {
    let api = RuntimeApi::start(
        serde_json::to_value(scheduled_event()).expect("event JSON"),
        now_ms() + 300_000,
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vpcaudit-lambda"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_") || k.to_string_lossy().starts_with("RUST_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs([
        ("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{}", api.port)),
        ("AWS_LAMBDA_FUNCTION_NAME", "vpcaudit-audit".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        (
            "AWS_SESSION_TOKEN",
            "fake-session-token-never-logged".to_owned(),
        ),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint()),
        ("NO_PROXY", "127.0.0.1,localhost".to_owned()),
    ]);
    cmd.envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start vpcaudit-lambda");
    let outcome = api.outcome.recv_timeout(Duration::from_secs(120));
    let _ = child.kill();
    let out = child.wait_with_output().expect("vpcaudit-lambda output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let outcome = outcome.unwrap_or_else(|e| {
        panic!(
            "vpcaudit-lambda posted nothing ({e}):\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"
        )
    });
    for secret in [SECRET_KEY, "fake-session-token-never-logged"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "a credential was logged:\n{stdout}\n{stderr}"
        );
    }
    (outcome, stdout.lines().map(str::to_owned).collect())
}

/// Every log line is a JSON object; returns them.
fn json_logs(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| panic!("log line is not a JSON object: {l}"))
        })
        .collect()
}

#[test]
fn the_lambda_binary_answers_the_runtime_api_with_json_logs() {
    hermetic();
    let moto = MotoServer::start();
    moto.seed(&["sg001"]);
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    runtime.block_on(async {
        let s3 = s3_client(&moto).await;
        create_bucket(&s3).await;
    });

    let (outcome, lines) = run_binary(&moto, &[("REPORT_BUCKET", BUCKET)]);
    let summary = match outcome {
        Outcome::Response(summary) => summary,
        Outcome::Error(error) => panic!("the invocation failed: {error:#}\n{lines:#?}"),
    };
    assert_eq!(summary["status"], "findings", "{summary:#}");
    assert_eq!(summary["incomplete"], false);
    assert_eq!(
        summary["new_findings"]["count"], 2,
        "SG001 and SG003: {summary:#}"
    );
    let json_key = summary["reports"]["json"].as_str().expect("json key");
    assert_report_key(json_key, REQUEST_ID, "report.json");
    let logs = json_logs(&lines);
    assert!(
        logs.iter().any(|l| l["message"] == "audit finished"
            && l["level"] == "INFO"
            && l["span"]["requestId"] == REQUEST_ID),
        "{logs:#?}"
    );
    runtime.block_on(async {
        let s3 = s3_client(&moto).await;
        assert!(get(&s3, json_key).await.is_some());
    });

    // A bad setting: the invocation fails with an error naming it, logged as JSON.
    let (outcome, lines) = run_binary(
        &moto,
        &[("REPORT_BUCKET", BUCKET), ("FAIL_ON", "sometimes")],
    );
    let error = match outcome {
        Outcome::Error(error) => error,
        Outcome::Response(r) => panic!("expected an error, got {r:#}"),
    };
    assert_eq!(error["errorType"], "vpcaudit.Configuration", "{error:#}");
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.starts_with("FAIL_ON: ")),
        "{error:#}"
    );
    let logs = json_logs(&lines);
    assert!(
        logs.iter()
            .any(|l| l["level"] == "ERROR" && l["error_type"] == "vpcaudit.Configuration"),
        "{logs:#?}"
    );
}

/// `VPCAUDIT_SECURITY_HUB=true` (template parameter `SecurityHub`): after writing its reports
/// the job imports one Security Hub record per finding of the function's account, and the next
/// run updates the same records instead of adding more.
///
/// On a thread with the 8 MiB stack of a process's main thread, where the Lambda runtime polls
/// the handler: in a debug build the import (Security Hub's finding type, with hundreds of
/// nested optional resource details, and the SDK code around it) needs more than a test
/// thread's 2 MiB.
#[test]
fn the_job_imports_its_findings_into_security_hub() {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(import_into_security_hub_twice())
        })
        .expect("a thread")
        .join()
        .expect("the test thread");
}

async fn import_into_security_hub_twice() {
    hermetic();
    let moto = MotoServer::start();
    moto.seed(&["sg001"]);
    moto.securityhub(&["enable"]);
    let s3 = s3_client(&moto).await;
    create_bucket(&s3).await;
    let config = job_config(
        &moto,
        &[("VPCAUDIT_SECURITY_HUB", "true"), ("FAIL_ON", "none")],
    );
    assert!(config.security_hub);

    let mut created = BTreeMap::new();
    for run in 0..2 {
        let event = LambdaEvent::new(scheduled_event(), context(Duration::from_secs(300)));
        let summary = vpcaudit_lambda::invoke(&config, event)
            .await
            .expect("the run succeeds");
        let report = parse_report(&get(&s3, &summary.reports.json).await.expect("report.json"));
        let fingerprints: BTreeSet<String> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "vpcaudit/{}",
                    f["fingerprint"].as_str().expect("fingerprint")
                )
            })
            .collect();
        assert!(!fingerprints.is_empty());
        let records = moto.securityhub(&["findings"]);
        let records = records.as_array().expect("records");
        let ids: BTreeSet<String> = records
            .iter()
            .map(|r| r["Id"].as_str().expect("Id").to_owned())
            .collect();
        assert_eq!(ids.len(), records.len(), "run {run}: duplicate records");
        assert_eq!(ids, fingerprints, "run {run}: one record per finding");
        for record in records {
            assert_eq!(record["RecordState"], "ACTIVE");
            assert_eq!(record["AwsAccountId"], ACCOUNT);
            let id = record["Id"].as_str().expect("Id").to_owned();
            let at = record["CreatedAt"].clone();
            assert_eq!(created.entry(id).or_insert_with(|| at.clone()), &at);
        }
        next_millisecond().await;
    }
}
