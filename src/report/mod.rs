//! Reports: the machine-readable report (the JSON contract) and its renderers.

pub mod table;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};
use crate::rules::{Evaluation, NotEvaluated};
use crate::snapshot::{CollectedDataset, CollectionError, Snapshot, ToolInfo};

/// Bumped only for changes that break readers of the JSON report; additions keep it.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// The JSON report. Field names and meanings are a contract documented in the README.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format_version: u32,
    pub tool: ToolInfo,
    pub account: Option<String>,
    pub regions: Vec<String>,
    /// When the inventory was read (RFC 3339).
    pub collected_at: String,
    pub findings: Vec<Finding>,
    pub coverage: ReportCoverage,
    pub summary: Summary,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportCoverage {
    pub collected: Vec<CollectedDataset>,
    pub errors: Vec<CollectionError>,
    /// Rules skipped somewhere because data they need could not be read.
    pub not_evaluated: Vec<NotEvaluated>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    /// Count per severity, every severity present (zero included).
    pub by_severity: BTreeMap<Severity, usize>,
    /// Count per principle slug, for principles with findings.
    pub by_principle: BTreeMap<String, usize>,
    pub rules_run: usize,
    /// False when anything could not be read: then the absence of findings proves nothing.
    pub complete: bool,
}

impl Report {
    pub fn build(snapshot: &Snapshot, evaluation: Evaluation) -> Report {
        let mut by_severity: BTreeMap<Severity, usize> =
            Severity::ALL.iter().map(|s| (*s, 0)).collect();
        let mut by_principle: BTreeMap<String, usize> = BTreeMap::new();
        for finding in &evaluation.findings {
            *by_severity.entry(finding.severity).or_default() += 1;
            *by_principle
                .entry(finding.principle.slug().to_owned())
                .or_default() += 1;
        }
        let complete = snapshot.coverage.errors.is_empty() && evaluation.not_evaluated.is_empty();
        Report {
            format_version: REPORT_FORMAT_VERSION,
            tool: ToolInfo::current(),
            account: snapshot.account.clone(),
            regions: snapshot.regions.clone(),
            collected_at: snapshot.collected_at.clone(),
            summary: Summary {
                total: evaluation.findings.len(),
                by_severity,
                by_principle,
                rules_run: evaluation.rules_run,
                complete,
            },
            findings: evaluation.findings,
            coverage: ReportCoverage {
                collected: snapshot.coverage.collected.clone(),
                errors: snapshot.coverage.errors.clone(),
                not_evaluated: evaluation.not_evaluated,
            },
        }
    }

    /// Findings at or above `threshold`.
    pub fn count_at_or_above(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= threshold)
            .count()
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}
