//! Baselines: report only what is new since an earlier JSON report, matched by fingerprint
//! (rule, account, region, resource and cause), never by message text.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::finding::Finding;

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: cannot read the baseline: {source}", path = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}", path = path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The fingerprints of an earlier report's findings.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub path: PathBuf,
    pub fingerprints: HashSet<String>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: path.to_owned(),
            source,
        })?;
        Baseline::parse(&text, path)
    }

    /// Reads the fingerprints of a JSON report's findings; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        let invalid = |line, column, message: String| BaselineError::Invalid {
            path: path.to_owned(),
            line,
            column,
            message,
        };
        let report: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            let message = message
                .rfind(" at line ")
                .and_then(|i| message.get(..i))
                .unwrap_or(message.as_str())
                .to_owned();
            invalid(e.line(), e.column(), message)
        })?;
        let findings = report
            .get("findings")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| {
                invalid(
                    1,
                    1,
                    "not a vpcaudit JSON report (no `findings` list); write one with \
                     `vpcaudit scan --format json`"
                        .to_owned(),
                )
            })?;
        let fingerprints = findings
            .iter()
            .filter_map(|f| f.get("fingerprint").and_then(serde_json::Value::as_str))
            .map(str::to_owned)
            .collect();
        Ok(Baseline {
            path: path.to_owned(),
            fingerprints,
        })
    }

    /// Drops the findings the baseline already had; returns how many were dropped.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> usize {
        let before = findings.len();
        findings.retain(|f| !self.fingerprints.contains(&f.fingerprint));
        before - findings.len()
    }
}
