//! What an invocation returns and logs: a short account of the run, with the findings that
//! are new since the last complete run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vpcaudit_core::finding::Severity;
use vpcaudit_core::pipeline::{self, ExitStatus};
use vpcaudit_core::report::Report;

use crate::JobConfig;
use crate::store::Previous;

/// How many new findings the summary lists (all are counted).
pub const NEW_FINDINGS_LISTED: usize = 20;

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

impl From<ExitStatus> for JobStatus {
    fn from(status: ExitStatus) -> JobStatus {
        match status {
            ExitStatus::Clean | ExitStatus::Usage => JobStatus::Clean,
            ExitStatus::Findings => JobStatus::Findings,
            ExitStatus::Incomplete => JobStatus::Incomplete,
        }
    }
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
    pub html: String,
    pub latest: String,
    /// Whether `latest` now holds this run's report. Only complete scans replace it, and
    /// only when it does not hold a run that started later.
    pub latest_updated: bool,
    /// The run whose report `latest` holds after a complete scan: this run's folder name, or
    /// the later run's that it was kept for. None after an incomplete scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_run: Option<String>,
}

pub(crate) fn summarize(
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
    let new = pipeline::new_findings(report, known);
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
        status: JobStatus::from(pipeline::status(report, config.fail_on)),
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
