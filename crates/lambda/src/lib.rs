//! The scheduled audit job that `vpcaudit-lambda` runs on every invocation (deployment in `deploy/`).
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
//! 6. writes `report.json`, `report.sarif` and `report.html` (the offline page, diagrams
//!    inline) under
//!    `<prefix>/<account>/<region|multi>/<YYYYMMDDTHHMMSS.mmmZ>-<request id>/`, never over an
//!    existing object (S3 conditional writes), then `latest.json` when the scan was complete
//!    (an incomplete report is never the baseline of the next run: what it could not read
//!    would come back as "new") and `latest.json` does not already hold a run that started
//!    later. That update is conditional on the version read, so concurrent runs cannot lose
//!    the newer baseline;
//! 7. with `VPCAUDIT_SECURITY_HUB=true`, imports the findings into Security Hub of the
//!    function's account in each scanned region (`vpcaudit-securityhub`: re-imports update,
//!    resolved findings are archived); a failed import fails the invocation after the reports
//!    are written;
//! 8. returns a [`JobSummary`]. Findings do not fail the invocation (status `findings`); an
//!    incomplete scan does, after its reports are written, so the error alarm fires.
//!
//! Logs are JSON lines ([`init_logging`]); they name buckets, keys, counts and error codes,
//! never credentials or the event's payload.

mod deadline;
mod settings;
mod store;
mod summary;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;
use tracing::{error, info, warn};
use vpcaudit_collect::{CollectError, Event, Observer};
use vpcaudit_core::config::Config;
use vpcaudit_core::pipeline;
use vpcaudit_core::report::sarif::SarifOptions;
use vpcaudit_core::report::{self, Report};

pub use deadline::SAFETY_MARGIN;
use deadline::{Deadlines, WRITE_CUTOFF, scan};
pub use settings::*;
use store::{
    LatestUpdate, RunName, key_account, put_new, read_latest, s3_client, s3_error, update_latest,
};
pub use summary::*;
/// The coverage error code of data that was not read because time ran out.
pub use vpcaudit_collect::DEADLINE_EXCEEDED;

/// How many failed API calls are logged one by one.
const COVERAGE_ERRORS_LOGGED: usize = 20;

/// What invokes the job: an EventBridge event (the schedule), or anything else (a manual test
/// event such as `{}`). The payload does not change what is scanned; it is only logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JobEvent {
    EventBridge(EventBridgeEvent<Value>),
    Other(Value),
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
    /// A report's key already held an object: another run used the same run folder.
    #[error(
        "s3://{bucket}/{key} already exists (S3 refused the write with If-None-Match: *): \
         another run used the same run folder; reports are never overwritten"
    )]
    ReportExists { bucket: String, key: String },
    /// `latest.json` kept changing between this run's reads and its conditional writes.
    #[error(
        "s3://{bucket}/{key} was changed by another writer each of the {attempts} times this \
         run tried to update it; it was left as it is (this run's reports are written)"
    )]
    LatestContention {
        bucket: String,
        key: String,
        attempts: usize,
    },
    /// The Security Hub import failed in some region. The reports were written.
    #[error("Security Hub import failed (the reports are written): {message}")]
    SecurityHub { message: String },
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
            JobError::S3 { .. }
            | JobError::WriteDeadline
            | JobError::ReportExists { .. }
            | JobError::LatestContention { .. } => "vpcaudit.ReportStorage",
            JobError::Incomplete(_) => "vpcaudit.IncompleteScan",
            JobError::SecurityHub { .. } => "vpcaudit.SecurityHub",
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

/// Runs one invocation with these settings, starting now. Ok: the reports are written and
/// the scan was complete (status `clean` or `findings`). An incomplete scan is an error that
/// carries the summary, returned after its reports are written.
pub async fn invoke(
    config: &JobConfig,
    event: LambdaEvent<JobEvent>,
) -> Result<JobSummary, JobError> {
    invoke_at(config, event, Utc::now()).await
}

/// [`invoke`] with the run's start time given: it names the run's folder and orders the run
/// against the one in `latest.json`. Tests give two invocations the same one.
pub async fn invoke_at(
    config: &JobConfig,
    event: LambdaEvent<JobEvent>,
    started: DateTime<Utc>,
) -> Result<JobSummary, JobError> {
    let (payload, context) = event.into_parts();
    log_event(&payload, &context);
    let result = run(config, &context, started).await.and_then(|summary| {
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

async fn run(
    config: &JobConfig,
    context: &Context,
    started: DateTime<Utc>,
) -> Result<JobSummary, JobError> {
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
    let run_name = RunName::new(started, &context.request_id);
    let folder = run_name.folder();
    let keys = ReportKeys {
        bucket: config.bucket.clone(),
        json: format!("{base}/{folder}/report.json"),
        sarif: format!("{base}/{folder}/report.sarif"),
        html: format!("{base}/{folder}/report.html"),
        latest: format!("{base}/latest.json"),
        latest_updated: false,
        latest_run: None,
    };

    let json = report.to_json();
    let sarif = report::sarif::render(&report, &SarifOptions::default());
    // The self-contained page (diagrams inline), for people who open the bucket.
    let diagrams = report::diagram::build(&snapshot, &audit_config.settings, &report.findings);
    let html = report::html::render(&report, &diagrams);
    let complete = report.summary.complete;
    // Everything left talks to S3, within the time kept for it.
    let store = async {
        // The previous latest.json is read before anything is written over it; its version
        // is the condition of the update.
        let latest = read_latest(&s3, &config.bucket, &keys.latest).await?;
        let mut summary = summarize(&report, config, &account, latest.previous, keys.clone());
        // Boxed: an SDK call's future is tens of kilobytes, and three side by side inside the
        // invocation's future overflowed a 2 MiB thread stack in a debug build.
        let (json_written, sarif_written, html_written) = futures::join!(
            Box::pin(put_new(
                &s3,
                &config.bucket,
                &keys.json,
                json.clone(),
                "application/json"
            )),
            Box::pin(put_new(
                &s3,
                &config.bucket,
                &keys.sarif,
                sarif,
                "application/sarif+json"
            )),
            Box::pin(put_new(
                &s3,
                &config.bucket,
                &keys.html,
                html,
                "text/html; charset=utf-8"
            )),
        );
        json_written?;
        sarif_written?;
        html_written?;
        if complete {
            let update = update_latest(
                &s3,
                &config.bucket,
                &keys.latest,
                &run_name,
                json,
                latest.version,
            )
            .await?;
            summary.reports.latest_updated = update == LatestUpdate::Updated;
            summary.reports.latest_run = Some(match update {
                LatestUpdate::Updated => folder,
                LatestUpdate::KeptNewer(run) => run.folder(),
            });
        }
        Ok::<JobSummary, JobError>(summary)
    };
    let summary = match deadlines.writes {
        Some(at) => tokio::time::timeout_at(at, store)
            .await
            .map_err(|_| JobError::WriteDeadline)?,
        None => store.await,
    }?;
    if config.security_hub {
        // Boxed, as the S3 writes are: the import's futures are SDK calls too, and inlined in
        // the invocation's future they overflow a 2 MiB thread stack in a debug build.
        Box::pin(import_to_security_hub(config, &report)).await?;
    }
    Ok(summary)
}

/// Imports the findings into Security Hub of the function's account, one import per region
/// the scan read there; every region is tried, and any failure fails the invocation.
async fn import_to_security_hub(config: &JobConfig, report: &Report) -> Result<(), JobError> {
    let Some(account) = report.account.as_deref() else {
        return Err(JobError::SecurityHub {
            message: "the scan did not learn the function's account".to_owned(),
        });
    };
    let sdk = vpcaudit_collect::load_sdk_config(&vpcaudit_collect::AwsOptions {
        endpoint_url: config.endpoint_url.clone(),
        ..vpcaudit_collect::AwsOptions::default()
    })
    .await;
    let now = Utc::now();
    let mut failures = Vec::new();
    for (scope_account, region) in report::asff::scopes(report) {
        if scope_account != account {
            continue;
        }
        match Box::pin(vpcaudit_securityhub::import(
            &sdk, report, account, &region, now,
        ))
        .await
        {
            Ok(summary) => {
                info!(
                    account = %account,
                    region = %region,
                    new = summary.imported_new,
                    updated = summary.updated,
                    archived = summary.archived,
                    kept_unevaluated = summary.kept_unevaluated,
                    failed = summary.failed,
                    "Security Hub import"
                );
                for error in &summary.errors {
                    warn!(region = %region, error = %error, "Security Hub refused a finding");
                }
                if summary.failed > 0 {
                    failures.push(format!("{region}: {} finding(s) failed", summary.failed));
                }
            }
            Err(error) => failures.push(error.to_string()),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(JobError::SecurityHub {
            message: failures.join("; "),
        })
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

/// Collection events as JSON log records: steps at debug, warnings at warn. The report's
/// coverage has every failure; these are for the person reading the logs.
pub(crate) struct LogEvents;

impl Observer for LogEvents {
    fn on_event(&self, event: Event) {
        match event {
            Event::Info(message) => tracing::debug!(message = %message, "collection"),
            Event::Warning(message) => warn!(message = %message, "collection warning"),
            Event::DatasetRead {
                account,
                region,
                dataset,
                outcome,
            } => tracing::debug!(
                account = %account,
                region = %region,
                dataset = %dataset,
                resources = outcome.ok(),
                "dataset read"
            ),
            Event::ScopesExpected { .. }
            | Event::ScopeStarted { .. }
            | Event::ScopeFinished { .. }
            | Event::Finished => {}
        }
    }
}

/// Rules, then the configured suppressions: the pipeline `vpcaudit scan` runs.
fn build_report(snapshot: &vpcaudit_core::snapshot::Snapshot, config: &Config) -> Report {
    let report = pipeline::audit(snapshot, config, None, Utc::now().date_naive());
    for warning in pipeline::suppression_warnings(&report) {
        warn!(message = %warning, "suppression");
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::abandoned;
    use crate::store::{Previous, function_account};
    use vpcaudit_core::snapshot::Dataset;

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
                security_hub: false,
                endpoint_url: None,
            },
            "123456789012",
            Previous::None,
            ReportKeys {
                bucket: "reports".to_owned(),
                json: "j".to_owned(),
                sarif: "s".to_owned(),
                html: "h".to_owned(),
                latest: "l".to_owned(),
                latest_updated: false,
                latest_run: None,
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
