//! The audit pipeline: one function from snapshot, configuration, baseline and date to report.
//! The CLI (`vpcaudit scan`) and the scheduled Lambda job both call [`audit`], so a finding,
//! a suppression or an exit status can never mean one thing in a terminal and another in the
//! job.

use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::baseline::Baseline;
use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::report::{BaselineSummary, Report};
use crate::rules;
use crate::snapshot::Snapshot;
use crate::suppress;

/// Process exit codes, a contract with CI (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    /// No finding at or above the threshold, and everything was read.
    Clean = 0,
    /// Findings at or above the threshold.
    Findings = 1,
    /// Bad usage or bad input.
    Usage = 2,
    /// Something could not be read: the result is incomplete.
    Incomplete = 3,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// The exit status a report earns: incomplete beats findings, because a partial scan cannot
/// vouch for what it did not read.
pub fn status(report: &Report, fail_on: Option<Severity>) -> ExitStatus {
    if !report.summary.complete {
        ExitStatus::Incomplete
    } else if fail_on.is_some_and(|t| report.count_at_or_above(t) > 0) {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}

/// Runs the rules the configuration selects over the snapshot, marks suppressed findings
/// (expiry judged on `today`), leaves out what the baseline already had, and builds the
/// report. The caller adds what only it knows (collection time, API calls).
pub fn audit(
    snapshot: &Snapshot,
    config: &Config,
    baseline: Option<&Baseline>,
    today: NaiveDate,
) -> Report {
    let started = Instant::now();
    let mut evaluation = rules::evaluate_selected(snapshot, &config.settings, &config.rules);
    let suppressions = suppress::apply(
        &mut evaluation.findings,
        &config.suppressions,
        snapshot,
        today,
    );
    let baseline_summary = baseline.map(|b| BaselineSummary {
        path: b.path.display().to_string(),
        known: b.filter(&mut evaluation.findings),
    });
    let mut report = Report::build_with(snapshot, evaluation, suppressions, baseline_summary);
    report.summary.evaluation_seconds = seconds(started.elapsed());
    report
}

/// What the user should hear about the configured suppressions, one sentence each: expired
/// ones (their findings are back) and stale ones (they match nothing).
pub fn suppression_warnings(report: &Report) -> Vec<String> {
    let expired = report.suppressions.expired.iter().map(|note| {
        format!(
            "suppression at {} expired on {}: its {} finding(s) are reported again",
            note.source,
            note.expires.as_deref().unwrap_or("-"),
            note.matches
        )
    });
    let stale = report.suppressions.stale.iter().map(|note| {
        format!(
            "suppression at {} matches no finding; remove it",
            note.source
        )
    });
    expired.chain(stale).collect()
}

/// The unsuppressed findings whose fingerprints `known` lacks, most severe first (then by
/// rule and resource): what is new since an earlier report.
pub fn new_findings<'a>(
    report: &'a Report,
    known: Option<&std::collections::HashSet<String>>,
) -> Vec<&'a Finding> {
    let mut new: Vec<&Finding> = report
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
    new
}

/// Seconds, to the millisecond: the precision reports carry.
pub fn seconds(elapsed: Duration) -> f64 {
    (elapsed.as_secs_f64() * 1000.0).round() / 1000.0
}
