//! The scheduled audit job that `vpcaudit-lambda` runs on every invocation (feature `lambda`;
//! deployment in `deploy/`).
//!
//! One invocation:
//! 1. reads its settings from the environment ([`JobConfig`]); a bad value fails the
//!    invocation with an error that names the variable;
//! 2. checks that the report bucket is reachable (`HeadBucket`), so a wrong bucket fails in
//!    milliseconds rather than after the scan;
//! 3. loads the optional `vpcaudit.toml` (`VPCAUDIT_CONFIG`: a path in the deployment package
//!    or an `s3://bucket/key` URL);
//! 4. scans with a deadline: the invocation's deadline minus [`SAFETY_MARGIN`], the time kept
//!    for writing the reports. Whatever is unread at the deadline becomes a `DeadlineExceeded`
//!    coverage error, so a slow scan produces an incomplete report, not a killed invocation;
//! 5. reads the previous `latest.json` to tell new findings (by fingerprint) from known ones;
//! 6. writes `report.json` and `report.sarif` under
//!    `<prefix>/<account>/<region|multi>/<timestamp>/`, then `latest.json` when the scan was
//!    complete (an incomplete report is never the baseline of the next run: what it could not
//!    read would come back as "new");
//! 7. returns a [`JobSummary`]. Findings do not fail the invocation (status `findings`); an
//!    incomplete scan does, after its reports are written, so the error alarm fires.
//!
//! Logs are JSON lines ([`init_logging`]); they name buckets, keys, counts and error codes,
//! never credentials or the event's payload.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_config::timeout::TimeoutConfig;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use chrono::{DateTime, Utc};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;
use tracing::{error, info, warn};

use crate::collect::{self, AwsOptions, CollectError};
use crate::config::{Config, ConfigError};
use crate::finding::Severity;
use crate::model::RegionInventory;
use crate::progress::Progress;
use crate::report::sarif::SarifOptions;
use crate::report::{self, Report};
use crate::rules;
use crate::snapshot::{
    CollectionError, Coverage, Dataset, SNAPSHOT_FORMAT_VERSION, Snapshot, ToolInfo,
};
use crate::suppress;

/// Environment variable: regions to scan, comma-separated (default: `AWS_REGION`).
pub const ENV_REGIONS: &str = "REGIONS";
/// Environment variable: the bucket the reports go to (required).
pub const ENV_REPORT_BUCKET: &str = "REPORT_BUCKET";
/// Environment variable: the key prefix of every report (default [`DEFAULT_PREFIX`]).
pub const ENV_REPORT_PREFIX: &str = "REPORT_PREFIX";
/// Environment variable: the severity from which findings make the status `findings`
/// (default `high`; `none`: never).
pub const ENV_FAIL_ON: &str = "FAIL_ON";
/// Environment variable: roles to assume, comma-separated, one account each.
pub const ENV_ROLE_ARNS: &str = "ROLE_ARNS";
/// Environment variable: the `vpcaudit.toml` to use, a path or `s3://bucket/key`.
pub const ENV_CONFIG: &str = "VPCAUDIT_CONFIG";

pub const DEFAULT_PREFIX: &str = "vpcaudit";
pub const DEFAULT_FAIL_ON: Severity = Severity::High;
/// Time kept between the end of the scan and the invocation's deadline, to write the reports.
pub const SAFETY_MARGIN: Duration = Duration::from_secs(20);
/// How long a scan that ignores its deadline is waited for before it is abandoned.
const COLLECT_GRACE: Duration = Duration::from_secs(2);
/// The S3 writes must be done this long before the invocation's deadline.
const WRITE_CUTOFF: Duration = Duration::from_secs(1);
/// How many failed API calls are logged one by one.
const COVERAGE_ERRORS_LOGGED: usize = 20;
/// How many new findings the summary lists (all are counted).
pub const NEW_FINDINGS_LISTED: usize = 20;
/// The coverage error code of data that was not read because time ran out.
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

/// What invokes the job: an EventBridge event (the schedule), or anything else (a manual test
/// event such as `{}`). The payload does not change what is scanned; it is only logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JobEvent {
    EventBridge(EventBridgeEvent<Value>),
    Other(Value),
}

/// Where the `vpcaudit.toml` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file in the deployment package or a layer (e.g. `/opt/vpcaudit.toml`).
    File(PathBuf),
    /// An object read at every invocation, so changing it needs no redeployment.
    S3 { bucket: String, key: String },
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// The job's settings, from the function's environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobConfig {
    pub regions: Vec<String>,
    pub bucket: String,
    /// Without leading or trailing `/`.
    pub prefix: String,
    /// None: findings never make the status `findings`.
    pub fail_on: Option<Severity>,
    pub role_arns: Vec<String>,
    pub config: Option<ConfigSource>,
    /// Sends every AWS call (scan and S3) to this endpoint, an emulator. Not read from the
    /// environment: in Lambda it is None, and the SDK's own `AWS_ENDPOINT_URL` still applies.
    pub endpoint_url: Option<String>,
}

impl JobConfig {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<JobConfig, JobError> {
        JobConfig::from_lookup(|name| {
            std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
        })
    }

    /// Reads the settings through `lookup` (a variable's value, None when unset). An empty
    /// value counts as unset, as SAM passes empty optional parameters.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<JobConfig, JobError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let regions = match get(ENV_REGIONS) {
            Some(list) => split_list(ENV_REGIONS, &list, check_region)?,
            None => match get("AWS_REGION") {
                Some(region) => vec![check_region(region.trim()).map_err(|message| {
                    env_error(
                        "AWS_REGION",
                        format!("{message} (and {ENV_REGIONS} is not set)"),
                    )
                })?],
                None => {
                    return Err(env_error(
                        ENV_REGIONS,
                        "not set, and neither is AWS_REGION: set it to the regions to scan, \
                         e.g. `eu-west-1,us-east-1`",
                    ));
                }
            },
        };
        let bucket = match get(ENV_REPORT_BUCKET) {
            Some(bucket) => {
                check_bucket(bucket.trim()).map_err(|m| env_error(ENV_REPORT_BUCKET, m))?
            }
            None => {
                return Err(env_error(
                    ENV_REPORT_BUCKET,
                    "not set: name the S3 bucket the reports are written to",
                ));
            }
        };
        let prefix = match get(ENV_REPORT_PREFIX) {
            Some(prefix) => check_prefix(&prefix).map_err(|m| env_error(ENV_REPORT_PREFIX, m))?,
            None => DEFAULT_PREFIX.to_owned(),
        };
        let fail_on = match get(ENV_FAIL_ON) {
            None => Some(DEFAULT_FAIL_ON),
            Some(value) if value.trim().eq_ignore_ascii_case("none") => None,
            Some(value) => Some(
                value
                    .trim()
                    .parse::<Severity>()
                    .map_err(|m| env_error(ENV_FAIL_ON, format!("{m}, or none")))?,
            ),
        };
        let role_arns = match get(ENV_ROLE_ARNS) {
            Some(list) => split_list(ENV_ROLE_ARNS, &list, check_role_arn)?,
            None => Vec::new(),
        };
        let config = get(ENV_CONFIG)
            .map(|value| parse_config_source(value.trim()).map_err(|m| env_error(ENV_CONFIG, m)))
            .transpose()?;
        Ok(JobConfig {
            regions,
            bucket,
            prefix,
            fail_on,
            role_arns,
            config,
            endpoint_url: None,
        })
    }
}

fn env_error(variable: &'static str, message: impl Into<String>) -> JobError {
    JobError::Env {
        variable,
        message: message.into(),
    }
}

/// Splits a comma-separated list, checking each item; duplicates are dropped.
fn split_list(
    variable: &'static str,
    list: &str,
    check: impl Fn(&str) -> Result<String, String>,
) -> Result<Vec<String>, JobError> {
    let mut items: Vec<String> = Vec::new();
    for (n, item) in list.split(',').map(str::trim).enumerate() {
        if item.is_empty() {
            return Err(env_error(
                variable,
                format!("item {} of `{list}` is empty", n + 1),
            ));
        }
        let item = check(item).map_err(|m| env_error(variable, m))?;
        if !items.contains(&item) {
            items.push(item);
        }
    }
    Ok(items)
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`…
fn check_region(region: &str) -> Result<String, String> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if ok {
        Ok(region.to_owned())
    } else {
        Err(format!(
            "`{region}` is not an AWS region name (like `eu-west-1`)"
        ))
    }
}

/// S3's naming rules, in short: 3 to 63 of `a-z 0-9 . -`, starting and ending with a letter
/// or digit.
fn check_bucket(bucket: &str) -> Result<String, String> {
    let bytes = bucket.as_bytes();
    let ok = (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric);
    if ok {
        Ok(bucket.to_owned())
    } else {
        Err(format!(
            "`{bucket}` is not an S3 bucket name (3-63 lower-case letters, digits, `.` and `-`)"
        ))
    }
}

/// A key prefix: `/`-separated segments of letters, digits and `!-_.*'()`, no `.` or `..`
/// segment.
fn check_prefix(prefix: &str) -> Result<String, String> {
    let trimmed = prefix.trim().trim_matches('/');
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!-_.*'()".contains(&b))
    };
    if !trimmed.is_empty() && trimmed.split('/').all(segment_ok) {
        Ok(trimmed.to_owned())
    } else {
        Err(format!(
            "`{prefix}` is not a usable key prefix (segments of letters, digits and `!-_.*'()`, \
             separated by `/`)"
        ))
    }
}

/// `arn:<partition>:iam::<12 digits>:role/<path and name>`.
fn check_role_arn(arn: &str) -> Result<String, String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|n| !n.is_empty());
    if ok {
        Ok(arn.to_owned())
    } else {
        Err(format!(
            "`{arn}` is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
        ))
    }
}

fn parse_config_source(value: &str) -> Result<ConfigSource, String> {
    match value.strip_prefix("s3://") {
        Some(rest) => match rest.split_once('/') {
            Some((bucket, key)) if !key.is_empty() && !key.ends_with('/') => {
                let bucket = check_bucket(bucket)?;
                Ok(ConfigSource::S3 {
                    bucket,
                    key: key.to_owned(),
                })
            }
            _ => Err(format!(
                "`{value}` names no object; use s3://BUCKET/KEY (e.g. \
                 s3://my-reports/config/vpcaudit.toml) or a path"
            )),
        },
        None if value.contains("://") => Err(format!(
            "`{value}`: only s3:// URLs and paths are supported"
        )),
        None => Ok(ConfigSource::File(PathBuf::from(value))),
    }
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A bad or missing environment variable.
    #[error("{variable}: {message}")]
    Env {
        variable: &'static str,
        message: String,
    },
    /// The `vpcaudit.toml` could not be read or is invalid.
    #[error("{ENV_CONFIG}: {message}")]
    ConfigFile { message: String },
    #[error(transparent)]
    Collect(#[from] CollectError),
    /// An S3 call on the report bucket failed.
    #[error("s3:{operation} on s3://{bucket}/{key} failed: {message}")]
    S3 {
        operation: &'static str,
        bucket: String,
        key: String,
        message: String,
    },
    /// The reports were being read or written when the invocation's deadline came.
    #[error(
        "the reports were not stored {}s before the invocation's deadline; raise the function's \
         timeout or scan fewer regions",
        WRITE_CUTOFF.as_secs()
    )]
    WriteDeadline,
    /// The scan could not read everything. Its reports were written (see the summary).
    #[error("{}", incomplete_message(.0))]
    Incomplete(Box<JobSummary>),
}

fn incomplete_message(summary: &JobSummary) -> String {
    let codes: Vec<String> = summary
        .coverage_errors
        .by_code
        .iter()
        .map(|(code, n)| format!("{code} x{n}"))
        .collect();
    format!(
        "incomplete scan: {} API call(s) failed ({}) and {} rule evaluation(s) were skipped; \
         {} finding(s), {} new; reports at s3://{}/{} (coverage.errors lists the failures)",
        summary.coverage_errors.count,
        if codes.is_empty() {
            "none".to_owned()
        } else {
            codes.join(", ")
        },
        summary.not_evaluated,
        summary.findings.total,
        summary.new_findings.count,
        summary.reports.bucket,
        summary.reports.json
    )
}

impl JobError {
    /// The `errorType` Lambda reports: what kind of fix the failure needs.
    pub fn error_type(&self) -> &'static str {
        match self {
            JobError::Env { .. } | JobError::ConfigFile { .. } | JobError::Collect(_) => {
                "vpcaudit.Configuration"
            }
            JobError::S3 { .. } | JobError::WriteDeadline => "vpcaudit.ReportStorage",
            JobError::Incomplete(_) => "vpcaudit.IncompleteScan",
        }
    }
}

impl From<JobError> for Diagnostic {
    fn from(error: JobError) -> Diagnostic {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// What an invocation returns (and logs): a short account of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    /// `clean`, `findings` (some at or above `fail_on`) or `incomplete`.
    pub status: JobStatus,
    pub account: String,
    pub regions: Vec<String>,
    /// Something could not be read: the absence of a finding proves nothing there.
    pub incomplete: bool,
    pub fail_on: Option<Severity>,
    pub findings: FindingCounts,
    pub new_findings: NewFindings,
    pub coverage_errors: CoverageErrors,
    /// Rule evaluations skipped for lack of data.
    pub not_evaluated: usize,
    pub reports: ReportKeys,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Clean,
    Findings,
    Incomplete,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Clean => "clean",
            JobStatus::Findings => "findings",
            JobStatus::Incomplete => "incomplete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingCounts {
    /// Unsuppressed findings.
    pub total: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub at_or_above_fail_on: usize,
    pub suppressed: usize,
}

/// Findings whose fingerprint the previous `latest.json` does not have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewFindings {
    pub count: usize,
    /// The most severe first, at most [`NEW_FINDINGS_LISTED`].
    pub listed: Vec<NewFinding>,
    /// More are new than are listed.
    pub truncated: bool,
    /// The `latest.json` compared with; None on the first run (then every finding is new).
    pub baseline: Option<String>,
    /// Why a `latest.json` that exists could not be used (then every finding is new).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFinding {
    pub fingerprint: String,
    pub rule_id: String,
    pub severity: Severity,
    pub resource: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageErrors {
    pub count: usize,
    /// Count per AWS error code (`AccessDenied`, `DeadlineExceeded`, `unknown` without one).
    pub by_code: BTreeMap<String, usize>,
}

/// Where this run's reports are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportKeys {
    pub bucket: String,
    pub json: String,
    pub sarif: String,
    pub latest: String,
    /// Whether `latest` now holds this run's report (only complete scans replace it).
    pub latest_updated: bool,
}

/// Sets up JSON log lines on stdout, at `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else `info`.
pub fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_default();
    let filter = tracing_subscriber::EnvFilter::builder()
        .with_default_directive(tracing::level_filters::LevelFilter::INFO.into())
        .parse_lossy(level.to_ascii_lowercase());
    // Another subscriber (a test's) may already be set: keep it.
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .try_init();
}

/// The Lambda handler: settings from the environment, then [`invoke`].
pub async fn handler(event: LambdaEvent<JobEvent>) -> Result<JobSummary, JobError> {
    match JobConfig::from_env() {
        Ok(config) => invoke(&config, event).await,
        Err(error) => {
            log_failure(&error);
            Err(error)
        }
    }
}

/// Runs one invocation with these settings. Ok: the reports are written and the scan was
/// complete (status `clean` or `findings`). An incomplete scan is an error that carries the
/// summary, returned after its reports are written.
pub async fn invoke(
    config: &JobConfig,
    event: LambdaEvent<JobEvent>,
) -> Result<JobSummary, JobError> {
    let (payload, context) = event.into_parts();
    log_event(&payload, &context);
    let result = run(config, &context).await.and_then(|summary| {
        if summary.incomplete {
            Err(JobError::Incomplete(Box::new(summary)))
        } else {
            Ok(summary)
        }
    });
    match &result {
        Ok(summary) => info!(
            status = summary.status.as_str(),
            findings = summary.findings.total,
            at_or_above_fail_on = summary.findings.at_or_above_fail_on,
            new_findings = summary.new_findings.count,
            report = %summary.reports.json,
            summary = %serde_json::to_string(summary).unwrap_or_default(),
            "audit finished"
        ),
        Err(error) => log_failure(error),
    }
    result
}

fn log_event(payload: &JobEvent, context: &Context) {
    match payload {
        JobEvent::EventBridge(event) => info!(
            request_id = %context.request_id,
            source = %event.source,
            detail_type = %event.detail_type,
            event_id = event.id.as_deref().unwrap_or(""),
            event_time = %event.time.map(|t| t.to_rfc3339()).unwrap_or_default(),
            "audit invoked by EventBridge"
        ),
        // A manual event's payload is not logged: it could hold anything.
        JobEvent::Other(_) => info!(request_id = %context.request_id, "audit invoked manually"),
    }
}

fn log_failure(error: &JobError) {
    match error {
        JobError::Incomplete(summary) => error!(
            error_type = error.error_type(),
            error = %error,
            summary = %serde_json::to_string(summary).unwrap_or_default(),
            "audit incomplete"
        ),
        _ => error!(error_type = error.error_type(), error = %error, "audit failed"),
    }
}

/// The deadlines of one invocation.
#[derive(Debug, Clone, Copy)]
struct Deadlines {
    /// When collection stops.
    scan: Option<Instant>,
    /// When the S3 writes must be done.
    writes: Option<Instant>,
}

impl Deadlines {
    /// From the context's deadline (milliseconds since the epoch). A context without one (0,
    /// as in a local run) sets none.
    fn from_context(context: &Context) -> Deadlines {
        if context.deadline == 0 {
            return Deadlines {
                scan: None,
                writes: None,
            };
        }
        let remaining = context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        let now = Instant::now();
        Deadlines {
            scan: Some(now + remaining.saturating_sub(SAFETY_MARGIN)),
            writes: Some(now + remaining.saturating_sub(WRITE_CUTOFF)),
        }
    }
}

async fn run(config: &JobConfig, context: &Context) -> Result<JobSummary, JobError> {
    let started = Utc::now();
    let deadlines = Deadlines::from_context(context);
    let s3 = s3_client(config).await;
    info!(
        bucket = %config.bucket,
        prefix = %config.prefix,
        regions = %config.regions.join(","),
        accounts_by_role = config.role_arns.len(),
        seconds_to_scan = deadlines
            .scan
            .map(|d| d.saturating_duration_since(Instant::now()).as_secs()),
        "audit starting"
    );

    // Fail fast, before a scan that could take minutes.
    s3.head_bucket()
        .bucket(&config.bucket)
        .send()
        .await
        .map_err(|e| s3_error("HeadBucket", &config.bucket, "", &e))?;
    let audit_config = match &config.config {
        Some(source) => load_audit_config(source, &s3).await?,
        None => Config::default(),
    };

    let snapshot = scan(config, deadlines.scan, context, started).await?;
    let report = build_report(&snapshot, &audit_config);
    log_coverage_errors(&report);
    let account = key_account(report.account.as_deref(), &context.invoked_function_arn);
    let scope = match report.regions.as_slice() {
        [region] => region.clone(),
        _ => "multi".to_owned(),
    };
    let base = format!("{}/{account}/{scope}", config.prefix);
    let stamp = started.format("%Y%m%dT%H%M%SZ");
    let keys = ReportKeys {
        bucket: config.bucket.clone(),
        json: format!("{base}/{stamp}/report.json"),
        sarif: format!("{base}/{stamp}/report.sarif"),
        latest: format!("{base}/latest.json"),
        latest_updated: false,
    };

    let json = report.to_json();
    let sarif = report::sarif::render(&report, &SarifOptions::default());
    let complete = report.summary.complete;
    // Everything left talks to S3, within the time kept for it.
    let store = async {
        // The previous latest.json is read before anything is written over it.
        let previous = read_previous(&s3, &config.bucket, &keys.latest).await?;
        let summary = summarize(&report, config, &account, previous, keys.clone());
        let (json_written, sarif_written) = futures::join!(
            put(
                &s3,
                &config.bucket,
                &keys.json,
                json.clone(),
                "application/json"
            ),
            put(
                &s3,
                &config.bucket,
                &keys.sarif,
                sarif,
                "application/sarif+json"
            ),
        );
        json_written?;
        sarif_written?;
        if complete {
            put(&s3, &config.bucket, &keys.latest, json, "application/json").await?;
        }
        Ok::<JobSummary, JobError>(summary)
    };
    let mut summary = match deadlines.writes {
        Some(at) => tokio::time::timeout_at(at, store)
            .await
            .map_err(|_| JobError::WriteDeadline)??,
        None => store.await?,
    };
    summary.reports.latest_updated = complete;
    Ok(summary)
}

/// The S3 client for the report bucket, in the function's own region. Path-style addressing
/// when an endpoint is configured (emulators need it); short timeouts, since the writes share
/// the safety margin.
async fn s3_client(config: &JobConfig) -> aws_sdk_s3::Client {
    let sdk = collect::load_sdk_config(&AwsOptions {
        endpoint_url: config.endpoint_url.clone(),
        ..AwsOptions::default()
    })
    .await;
    let custom_endpoint =
        sdk.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .read_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(6))
        .operation_timeout(Duration::from_secs(8))
        .build();
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(custom_endpoint)
            .timeout_config(timeouts)
            .build(),
    )
}

fn s3_error<E>(
    operation: &'static str,
    bucket: &str,
    key: &str,
    error: &SdkError<E, HttpResponse>,
) -> JobError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = match error {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            match (inner.code(), inner.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                // HeadBucket answers with no body: the HTTP status is all there is.
                _ => format!("HTTP {}", service.raw().status().as_u16()),
            }
        }
        other => error_chain(other),
    };
    JobError::S3 {
        operation,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        message: explain_s3(operation, message),
    }
}

/// Adds the usual cause to S3's terse answers.
fn explain_s3(operation: &str, message: String) -> String {
    let hint = if message.contains("404")
        || message.contains("NoSuchBucket")
        || message.contains("NotFound")
    {
        Some("the bucket does not exist: check REPORT_BUCKET")
    } else if message.contains("403")
        || message.contains("AccessDenied")
        || message.contains("Forbidden")
    {
        Some(match operation {
            "GetObject" => {
                "the function's role needs s3:GetObject on the prefix, and s3:ListBucket on \
                 the bucket so that a missing object reads as missing"
            }
            "PutObject" => "the function's role needs s3:PutObject on the prefix",
            _ => "the function's role needs s3:ListBucket on the bucket",
        })
    } else {
        None
    };
    match hint {
        Some(hint) => format!("{message} ({hint})"),
        None => message,
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    crate::collect::cause_chain(error)
}

async fn load_audit_config(
    source: &ConfigSource,
    s3: &aws_sdk_s3::Client,
) -> Result<Config, JobError> {
    let invalid = |e: ConfigError| JobError::ConfigFile {
        message: e.to_string(),
    };
    let config = match source {
        ConfigSource::File(path) => Config::load(path).map_err(invalid)?,
        ConfigSource::S3 { bucket, key } => {
            let object = s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| JobError::ConfigFile {
                    message: format!(
                        "cannot read {source}: {}",
                        match s3_error("GetObject", bucket, key, &e) {
                            JobError::S3 { message, .. } => message,
                            other => other.to_string(),
                        }
                    ),
                })?;
            let bytes = object
                .body
                .collect()
                .await
                .map_err(|e| JobError::ConfigFile {
                    message: format!("cannot read {source}: {}", error_chain(&e)),
                })?
                .into_bytes();
            let text = String::from_utf8(bytes.to_vec()).map_err(|_| JobError::ConfigFile {
                message: format!("{source}: not UTF-8 text"),
            })?;
            Config::parse(&text, Path::new(&source.to_string())).map_err(invalid)?
        }
    };
    info!(config = %source, "using configuration");
    Ok(config)
}

/// Collects with the deadline. A collection that overruns it by [`COLLECT_GRACE`] is
/// abandoned: the report then says every dataset is unread.
async fn scan(
    config: &JobConfig,
    deadline: Option<Instant>,
    context: &Context,
    started: DateTime<Utc>,
) -> Result<Snapshot, JobError> {
    let options = AwsOptions {
        regions: config.regions.clone(),
        endpoint_url: config.endpoint_url.clone(),
        role_arns: config.role_arns.clone(),
        deadline,
        ..AwsOptions::default()
    };
    // Progress lines are for terminals; collection warnings still reach the log, and every
    // failure is in the report's coverage.
    let progress = Progress::new(true);
    let collection = collect::collect(&options, &progress);
    let snapshot = match deadline {
        None => collection.await?,
        Some(deadline) => match tokio::time::timeout_at(deadline + COLLECT_GRACE, collection).await
        {
            Ok(snapshot) => snapshot?,
            Err(_) => {
                warn!(
                    grace_seconds = COLLECT_GRACE.as_secs(),
                    "collection did not stop at its deadline; abandoned"
                );
                abandoned(
                    &config.regions,
                    function_account(&context.invoked_function_arn),
                    started,
                )
            }
        },
    };
    Ok(snapshot)
}

/// The snapshot of a collection abandoned at the deadline: nothing read, every dataset of every
/// region a `DeadlineExceeded` error.
fn abandoned(regions: &[String], account: Option<String>, started: DateTime<Utc>) -> Snapshot {
    let label = account.clone().unwrap_or_else(|| "unknown".to_owned());
    let errors = regions
        .iter()
        .flat_map(|region| {
            Dataset::ALL.iter().map(|dataset| {
                let (service, operation) = dataset.api_call();
                CollectionError {
                    service: service.to_owned(),
                    operation: operation.to_owned(),
                    account: Some(label.clone()),
                    region: Some(region.clone()),
                    code: Some(DEADLINE_EXCEEDED.to_owned()),
                    error: format!(
                        "{DEADLINE_EXCEEDED}: collection was abandoned at the scan's time limit"
                    ),
                    dataset: Some(*dataset),
                }
            })
        })
        .collect();
    Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        tool: ToolInfo::current(),
        collected_at: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        account: account.clone(),
        accounts: account.into_iter().collect(),
        regions: regions.to_vec(),
        scopes: regions
            .iter()
            .map(|region| RegionInventory {
                account: label.clone(),
                region: region.clone(),
                ..RegionInventory::default()
            })
            .collect(),
        coverage: Coverage {
            collected: Vec::new(),
            errors,
        },
        collection: None,
    }
}

/// Logs the failed API calls (the first [`COVERAGE_ERRORS_LOGGED`]; the report has them all).
fn log_coverage_errors(report: &Report) {
    let errors = &report.coverage.errors;
    for e in errors.iter().take(COVERAGE_ERRORS_LOGGED) {
        warn!(
            service = %e.service,
            operation = %e.operation,
            account = e.account.as_deref().unwrap_or(""),
            region = e.region.as_deref().unwrap_or(""),
            code = e.code.as_deref().unwrap_or(""),
            error = %e.error,
            "API call failed: its data is unknown"
        );
    }
    if errors.len() > COVERAGE_ERRORS_LOGGED {
        warn!(
            more = errors.len() - COVERAGE_ERRORS_LOGGED,
            "more API calls failed; coverage.errors in report.json lists them all"
        );
    }
}

/// Rules, then the configured suppressions: the same report `vpcaudit scan` writes.
fn build_report(snapshot: &Snapshot, config: &Config) -> Report {
    let mut evaluation = rules::evaluate_selected(snapshot, &config.settings, &config.rules);
    let today = Utc::now().date_naive();
    let suppressions = suppress::apply(
        &mut evaluation.findings,
        &config.suppressions,
        snapshot,
        today,
    );
    for note in &suppressions.expired {
        warn!(
            source = %note.source,
            expires = note.expires.as_deref().unwrap_or(""),
            findings = note.matches,
            "suppression expired: its findings are reported again"
        );
    }
    for note in &suppressions.stale {
        warn!(source = %note.source, "suppression matches no finding");
    }
    Report::build_with(snapshot, evaluation, suppressions, None)
}

/// The account in the report keys: the scanned caller's, else the function's own (from its
/// ARN), else `unknown`.
fn key_account(report_account: Option<&str>, function_arn: &str) -> String {
    report_account
        .map(str::to_owned)
        .or_else(|| function_account(function_arn))
        .filter(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME` → ACCOUNT.
fn function_account(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
}

/// What the previous `latest.json` says.
enum Previous {
    /// There is none yet.
    None,
    /// The fingerprints of its findings.
    Fingerprints(HashSet<String>),
    /// It exists but is not a report: why.
    Unusable(String),
}

async fn read_previous(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Previous, JobError> {
    let object = match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(object) => object,
        Err(SdkError::ServiceError(e)) if matches!(e.err(), GetObjectError::NoSuchKey(_)) => {
            info!(key, "no previous latest.json: every finding is new");
            return Ok(Previous::None);
        }
        Err(e) => return Err(s3_error("GetObject", bucket, key, &e)),
    };
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| JobError::S3 {
            operation: "GetObject",
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message: error_chain(&e),
        })?
        .into_bytes();
    // A damaged latest.json must not stop the audit for good (only a complete run replaces
    // it): it is reported, and every finding counts as new.
    let fingerprints = serde_json::from_slice::<Value>(&bytes)
        .map_err(|e| format!("not JSON: {e}"))
        .and_then(|report| {
            report
                .get("findings")
                .and_then(Value::as_array)
                .map(|findings| {
                    findings
                        .iter()
                        .filter_map(|f| f.get("fingerprint").and_then(Value::as_str))
                        .map(str::to_owned)
                        .collect::<HashSet<String>>()
                })
                .ok_or_else(|| "not a vpcaudit JSON report (no `findings` list)".to_owned())
        });
    Ok(match fingerprints {
        Ok(fingerprints) => Previous::Fingerprints(fingerprints),
        Err(why) => {
            warn!(key, reason = %why, "previous latest.json unusable: every finding is new");
            Previous::Unusable(why)
        }
    })
}

fn summarize(
    report: &Report,
    config: &JobConfig,
    account: &str,
    previous: Previous,
    reports: ReportKeys,
) -> JobSummary {
    let known = match &previous {
        Previous::Fingerprints(fingerprints) => Some(fingerprints),
        Previous::None | Previous::Unusable(_) => None,
    };
    let mut new: Vec<&crate::finding::Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .filter(|f| known.is_none_or(|k| !k.contains(&f.fingerprint)))
        .collect();
    new.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.resource.id.cmp(&b.resource.id))
    });
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    for e in &report.coverage.errors {
        *by_code
            .entry(e.code.clone().unwrap_or_else(|| "unknown".to_owned()))
            .or_default() += 1;
    }
    let incomplete = !report.summary.complete;
    let at_or_above = config
        .fail_on
        .map_or(0, |threshold| report.count_at_or_above(threshold));
    JobSummary {
        status: if incomplete {
            JobStatus::Incomplete
        } else if at_or_above > 0 {
            JobStatus::Findings
        } else {
            JobStatus::Clean
        },
        account: account.to_owned(),
        regions: report.regions.clone(),
        incomplete,
        fail_on: config.fail_on,
        findings: FindingCounts {
            total: report.summary.total,
            by_severity: report.summary.by_severity.clone(),
            at_or_above_fail_on: at_or_above,
            suppressed: report.summary.suppressed,
        },
        new_findings: NewFindings {
            count: new.len(),
            truncated: new.len() > NEW_FINDINGS_LISTED,
            listed: new
                .iter()
                .take(NEW_FINDINGS_LISTED)
                .map(|f| NewFinding {
                    fingerprint: f.fingerprint.clone(),
                    rule_id: f.rule_id.clone(),
                    severity: f.severity,
                    resource: f.resource.id.clone(),
                    region: f.resource.region.clone(),
                })
                .collect(),
            baseline: matches!(previous, Previous::Fingerprints(_)).then(|| reports.latest.clone()),
            baseline_error: match previous {
                Previous::Unusable(why) => Some(format!("{}: {why}", reports.latest)),
                _ => None,
            },
        },
        coverage_errors: CoverageErrors {
            count: report.coverage.errors.len(),
            by_code,
        },
        not_evaluated: report.coverage.not_evaluated.len(),
        reports,
    }
}

async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: String,
    content_type: &str,
) -> Result<(), JobError> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body.into_bytes()))
        .send()
        .await
        .map_err(|e| s3_error("PutObject", bucket, key, &e))?;
    info!(bucket, key, "report written");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_account_comes_from_the_arn() {
        assert_eq!(
            function_account("arn:aws:lambda:eu-west-1:123456789012:function:vpcaudit"),
            Some("123456789012".to_owned())
        );
        assert_eq!(function_account(""), None);
        assert_eq!(key_account(None, ""), "unknown");
        assert_eq!(key_account(Some("111122223333"), ""), "111122223333");
    }

    #[test]
    fn an_abandoned_collection_reports_every_dataset_as_unread() {
        let regions = ["eu-west-1".to_owned(), "us-east-1".to_owned()];
        let snapshot = abandoned(&regions, Some("123456789012".to_owned()), Utc::now());
        let report = build_report(&snapshot, &Config::default());
        assert!(!report.summary.complete);
        assert!(report.findings.is_empty());
        assert_eq!(
            report.coverage.errors.len(),
            regions.len() * Dataset::ALL.len()
        );
        assert!(
            report
                .coverage
                .errors
                .iter()
                .all(|e| e.code.as_deref() == Some(DEADLINE_EXCEEDED))
        );
        // Every rule is listed as not evaluated rather than passing.
        assert!(!report.coverage.not_evaluated.is_empty());
        let summary = summarize(
            &report,
            &JobConfig {
                regions: regions.to_vec(),
                bucket: "reports".to_owned(),
                prefix: DEFAULT_PREFIX.to_owned(),
                fail_on: Some(DEFAULT_FAIL_ON),
                role_arns: Vec::new(),
                config: None,
                endpoint_url: None,
            },
            "123456789012",
            Previous::None,
            ReportKeys {
                bucket: "reports".to_owned(),
                json: "j".to_owned(),
                sarif: "s".to_owned(),
                latest: "l".to_owned(),
                latest_updated: false,
            },
        );
        assert_eq!(summary.status, JobStatus::Incomplete);
        assert_eq!(
            summary.coverage_errors.by_code.get(DEADLINE_EXCEEDED),
            Some(&(regions.len() * Dataset::ALL.len()))
        );
        let unread = regions.len() * Dataset::ALL.len();
        assert!(
            JobError::Incomplete(Box::new(summary))
                .to_string()
                .starts_with(&format!(
                    "incomplete scan: {unread} API call(s) failed (DeadlineExceeded x{unread})"
                ))
        );
    }

    #[test]
    fn regions_prefixes_and_arns_are_checked() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "eu-central-2",
            "ap-southeast-4",
        ] {
            assert!(check_region(ok).is_ok(), "{ok}");
        }
        for bad in ["us-east", "US-EAST-1", "useast1", "us-east-1a", "-1"] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
        assert_eq!(check_prefix("/audits/vpc/").as_deref(), Ok("audits/vpc"));
        assert!(check_prefix("a//b").is_err());
        assert!(check_prefix("a/../b").is_err());
        assert!(check_role_arn("arn:aws:iam::123456789012:role/vpcaudit-read").is_ok());
        assert!(check_role_arn("arn:aws:iam::123456789012:user/x").is_err());
    }
}
