//! The report for people: a table of findings, most severe first, and a summary.

use std::fmt::Write;

use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::Report;
use crate::finding::Severity;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if !report.findings.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec!["Severity", "Rule", "Resource", "Finding"]);
        for finding in &report.findings {
            let resource = match &finding.resource.name {
                Some(name) if name != &finding.resource.id => {
                    format!("{}\n({name})", finding.resource.id)
                }
                _ => finding.resource.id.clone(),
            };
            table.add_row(vec![
                Cell::new(finding.severity.as_str()),
                Cell::new(format!("{}\n{}", finding.rule_id, finding.principle)),
                Cell::new(resource),
                Cell::new(format!("{}\nfix: {}", finding.message, finding.remediation)),
            ]);
        }
        let _ = writeln!(out, "{table}");
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    if !report.coverage.errors.is_empty() {
        let _ = writeln!(
            out,
            "INCOMPLETE: {} API call(s) failed; what they cover is unknown, not clean:",
            report.coverage.errors.len()
        );
        for error in &report.coverage.errors {
            let _ = writeln!(
                out,
                "  {}:{} in {}: {}",
                error.service,
                error.operation,
                error.region.as_deref().unwrap_or("-"),
                error.error
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
    let counts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| {
            format!(
                "{} {s}",
                report.summary.by_severity.get(s).copied().unwrap_or(0)
            )
        })
        .collect();
    format!(
        "{} finding{} ({}) in account {} [{}]; {} rules run",
        report.summary.total,
        if report.summary.total == 1 { "" } else { "s" },
        counts.join(", "),
        report.account.as_deref().unwrap_or("unknown"),
        report.regions.join(", "),
        report.summary.rules_run
    )
}
