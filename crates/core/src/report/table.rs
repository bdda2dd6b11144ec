//! The report for people: a table of findings, most severe first, and a summary.

use std::fmt::Write;

use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::Report;
use crate::finding::Severity;
use crate::inert::{inert, inert_lines};

/// Failed calls listed under the table; a deadline over a whole estate can fail thousands.
const ERRORS_LISTED: usize = 20;

/// The table, with AWS text made inert: each value from AWS on one line, and a last pass over
/// the whole text so that no escape sequence reaches the terminal, whatever field held it.
pub fn render(report: &Report) -> String {
    inert_lines(&render_raw(report)).into_owned()
}

fn render_raw(report: &Report) -> String {
    let mut out = String::new();
    let active: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .collect();
    // Several accounts or regions: each finding says where it is.
    let estate = report.accounts.len() > 1 || report.regions.len() > 1;
    if !active.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec!["Severity", "Rule", "Resource", "Finding"]);
        for finding in active {
            let id = inert(&finding.resource.id);
            let mut resource = match &finding.resource.name {
                Some(name) if name != &finding.resource.id => {
                    format!("{id}\n({})", inert(name))
                }
                _ => id.into_owned(),
            };
            if estate {
                let _ = write!(
                    resource,
                    "\n{} {}",
                    inert(&finding.resource.account),
                    inert(&finding.resource.region)
                );
            }
            table.add_row(vec![
                Cell::new(finding.severity.as_str()),
                Cell::new(format!(
                    "{}\n{}",
                    inert(&finding.rule_id),
                    finding.principle
                )),
                Cell::new(resource),
                Cell::new(format!(
                    "{}\nfix: {}",
                    inert(&finding.message),
                    inert(&finding.remediation)
                )),
            ]);
        }
        let _ = writeln!(out, "{table}");
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    for note in &report.suppressions.expired {
        let _ = writeln!(
            out,
            "Expired suppression ({}): {} for {} expired {}; {} finding(s) no longer suppressed",
            note.source,
            note.rule,
            note.resource.as_deref().unwrap_or("tagged resources"),
            note.expires.as_deref().unwrap_or("-"),
            note.matches
        );
    }
    for note in &report.suppressions.stale {
        let _ = writeln!(
            out,
            "Stale suppression ({}): {} for {} matches no finding; remove it",
            note.source,
            note.rule,
            note.resource.as_deref().unwrap_or("tagged resources")
        );
    }
    if !report.coverage.errors.is_empty() {
        let _ = writeln!(
            out,
            "INCOMPLETE: {} API call(s) failed; what they cover is unknown, not clean:",
            report.coverage.errors.len()
        );
        for error in report.coverage.errors.iter().take(ERRORS_LISTED) {
            let account = match (&error.account, estate) {
                (Some(account), true) => format!("{account} "),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  {}:{} in {account}{}: {}",
                error.service,
                error.operation,
                error.region.as_deref().unwrap_or("-"),
                inert(&error.error)
            );
        }
        if report.coverage.errors.len() > ERRORS_LISTED {
            let _ = writeln!(
                out,
                "  … and {} more (the JSON report lists them all)",
                report.coverage.errors.len() - ERRORS_LISTED
            );
        }
    }
    if !report.coverage.not_evaluated.is_empty() {
        let mut ids: Vec<&str> = report
            .coverage
            .not_evaluated
            .iter()
            .map(|n| n.rule_id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let _ = writeln!(
            out,
            "Rules not evaluated for lack of data: {}",
            ids.join(", ")
        );
    }
    out
}

fn summary_line(report: &Report) -> String {
    let counts: Vec<String> = Severity::descending()
        .map(|s| {
            format!(
                "{} {s}",
                report.summary.by_severity.get(&s).copied().unwrap_or(0)
            )
        })
        .collect();
    let mut extra = String::new();
    if report.summary.suppressed > 0 {
        extra.push_str(&format!(", {} suppressed", report.summary.suppressed));
    }
    if let Some(baseline) = &report.summary.baseline {
        extra.push_str(&format!(
            ", {} already in {}",
            baseline.known, baseline.path
        ));
    }
    let place = if report.accounts.len() > 1 {
        format!("{} accounts", report.accounts.len())
    } else {
        format!(
            "account {}",
            report
                .accounts
                .first()
                .or(report.account.as_ref())
                .map_or("unknown", String::as_str)
        )
    };
    let regions = if report.regions.len() > 5 {
        format!("{} regions", report.regions.len())
    } else {
        report.regions.join(", ")
    };
    format!(
        "{} finding{} ({}{extra}) in {place} [{regions}]; {} rules run",
        report.summary.total,
        if report.summary.total == 1 { "" } else { "s" },
        counts.join(", "),
        report.summary.rules_run
    )
}
