//! Reports: the machine-readable report (the JSON contract) and its renderers.

pub mod asff;
pub mod diagram;
pub mod html;
pub mod locations;
pub mod markdown;
pub mod ocsf;
pub mod reach;
pub mod sarif;
pub mod table;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};
use crate::rules::{Evaluation, NotEvaluated};
use crate::snapshot::{CollectedDataset, CollectionError, Snapshot, ToolInfo};
use crate::suppress::SuppressionReport;

/// Bumped only for changes that break readers of the JSON report; additions keep it.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// The JSON report. Field names and meanings are a contract documented in the README.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    pub format_version: u32,
    pub tool: ToolInfo,
    /// The caller's account.
    pub account: Option<String>,
    /// Every account the scan covers (findings name theirs in `resource.account`).
    #[serde(default)]
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// When the inventory was read (RFC 3339).
    pub collected_at: String,
    /// Every finding, suppressed ones included (marked with `suppression`).
    pub findings: Vec<Finding>,
    pub coverage: ReportCoverage,
    /// Suppressions that expired or matched nothing.
    #[serde(default)]
    pub suppressions: SuppressionReport,
    pub summary: Summary,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportCoverage {
    pub collected: Vec<CollectedDataset>,
    pub errors: Vec<CollectionError>,
    /// Rules skipped somewhere because data they need could not be read.
    pub not_evaluated: Vec<NotEvaluated>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    /// Findings that are not suppressed: what fails a run.
    pub total: usize,
    /// Findings accepted by a suppression (listed, not counted in `total`).
    #[serde(default)]
    pub suppressed: usize,
    /// Count per severity of unsuppressed findings, every severity present (zero included).
    pub by_severity: BTreeMap<Severity, usize>,
    /// Count per principle slug, for principles with findings.
    pub by_principle: BTreeMap<String, usize>,
    pub rules_run: usize,
    /// False when anything could not be read: then the absence of findings proves nothing.
    pub complete: bool,
    /// Set with `--baseline`: findings already in that report were left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
    /// HTTP requests this run sent, per service and operation, retries included (empty when
    /// auditing a snapshot).
    #[serde(default)]
    pub api_calls: BTreeMap<String, BTreeMap<String, u64>>,
    /// How many of those requests were retries.
    #[serde(default)]
    pub retries: u64,
    /// The most of those requests in flight at once (sent, answer not yet read).
    #[serde(default)]
    pub peak_in_flight: u64,
    /// Wall time spent reading the inventory (from AWS, or the `--snapshot` file).
    #[serde(default)]
    pub collection_seconds: f64,
    /// Wall time spent deriving facts and running the rules.
    #[serde(default)]
    pub evaluation_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineSummary {
    /// The earlier report.
    pub path: String,
    /// Findings left out because the baseline already had them.
    pub known: usize,
}

impl Report {
    pub fn build(snapshot: &Snapshot, evaluation: Evaluation) -> Report {
        Report::build_with(snapshot, evaluation, SuppressionReport::default(), None)
    }

    /// Builds the report of findings that suppressions were applied to (and a baseline
    /// filtered, when `baseline` is set).
    pub fn build_with(
        snapshot: &Snapshot,
        evaluation: Evaluation,
        suppressions: SuppressionReport,
        baseline: Option<BaselineSummary>,
    ) -> Report {
        let mut by_severity: BTreeMap<Severity, usize> =
            Severity::descending().map(|s| (s, 0)).collect();
        let mut by_principle: BTreeMap<String, usize> = BTreeMap::new();
        let suppressed = evaluation
            .findings
            .iter()
            .filter(|f| f.suppression.is_some())
            .count();
        for finding in evaluation
            .findings
            .iter()
            .filter(|f| f.suppression.is_none())
        {
            *by_severity.entry(finding.severity).or_default() += 1;
            *by_principle
                .entry(finding.principle.slug().to_owned())
                .or_default() += 1;
        }
        let complete = snapshot.coverage.errors.is_empty()
            && snapshot.coverage.unknown.is_empty()
            && evaluation.not_evaluated.is_empty();
        Report {
            format_version: REPORT_FORMAT_VERSION,
            tool: ToolInfo::current(),
            account: snapshot.account.clone(),
            accounts: if snapshot.accounts.is_empty() {
                snapshot.account.iter().cloned().collect()
            } else {
                snapshot.accounts.clone()
            },
            regions: snapshot.regions.clone(),
            collected_at: snapshot.collected_at.clone(),
            summary: Summary {
                total: evaluation.findings.len() - suppressed,
                suppressed,
                by_severity,
                by_principle,
                rules_run: evaluation.rules_run,
                complete,
                baseline,
                api_calls: BTreeMap::new(),
                retries: 0,
                peak_in_flight: 0,
                collection_seconds: 0.0,
                evaluation_seconds: 0.0,
            },
            findings: evaluation.findings,
            coverage: ReportCoverage {
                collected: snapshot.coverage.collected.clone(),
                errors: snapshot.coverage.errors.clone(),
                not_evaluated: evaluation.not_evaluated,
            },
            suppressions,
        }
    }

    /// Unsuppressed findings at or above `threshold`: what fails a run.
    pub fn count_at_or_above(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.suppression.is_none() && f.severity >= threshold)
            .count()
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}
