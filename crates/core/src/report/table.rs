//! The report for people: the findings, most severe first, and a summary.
//!
//! Two layouts: a boxed table for a terminal, and a compact one for everything else (a pipe,
//! a CI log, a file), where nothing knows the width and a boxed table grows as wide as its
//! longest message. Severities can be coloured. Whether to colour and which layout is the
//! caller's decision ([`TableOptions`]); this module only obeys it.

use std::fmt::Write;

use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::Report;
use crate::finding::{Finding, Severity};
use crate::inert::{inert, inert_lines};

/// Failed calls listed under the table; a deadline over a whole estate can fail thousands.
const ERRORS_LISTED: usize = 20;
/// Width of the compact layout when the caller has no better idea.
pub const COMPACT_WIDTH: usize = 100;
/// The compact layout's continuation indent: past the severity column.
const INDENT: &str = "         ";
/// Select Graphic Rendition reset.
const RESET: &str = "\u{1b}[0m";

/// How to lay the report out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableOptions {
    /// Severities in ANSI colours.
    pub color: bool,
    /// One paragraph per finding, wrapped to this many characters; `None`: the boxed table.
    pub compact: Option<usize>,
}

/// The boxed table without colours.
pub fn render(report: &Report) -> String {
    render_with(report, &TableOptions::default())
}

/// The report laid out as `options` says, with AWS text made inert: each value from AWS on one
/// line, and a last pass over the whole text so that no escape sequence reaches the terminal,
/// whatever field held it. Colours are added after that pass, by vpcaudit, at the one place
/// only vpcaudit writes (a finding's first column), so AWS text can never start or end one.
pub fn render_with(report: &Report, options: &TableOptions) -> String {
    let raw = match options.compact {
        Some(width) => render_raw(report, |out, active, estate| {
            compact(out, active, estate, width);
        }),
        None => render_raw(report, boxed),
    };
    let text = inert_lines(&raw);
    if options.color {
        colorize(&text)
    } else {
        text.into_owned()
    }
}

/// The SGR sequence that colours a severity.
pub fn color_of(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "\u{1b}[1;31m",
        Severity::High => "\u{1b}[31m",
        Severity::Medium => "\u{1b}[33m",
        Severity::Low => "\u{1b}[36m",
        Severity::Info => "\u{1b}[2m",
    }
}

/// Colours the severity that starts a finding: `│ high ` (boxed) or `HIGH ` (compact). Only
/// a line's first column is looked at, and there only vpcaudit writes: the table's other lines
/// start with a border and a blank severity cell, the compact layout's with an indent, and the
/// lines under the findings with vpcaudit's own words.
fn colorize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.split_inclusive('\n') {
        let (border, rest) = match line.strip_prefix("│ ") {
            Some(rest) => ("│ ", rest),
            None => ("", line),
        };
        let found = Severity::descending().find_map(|severity| {
            let word = if border.is_empty() {
                severity.as_str().to_ascii_uppercase()
            } else {
                severity.as_str().to_owned()
            };
            let after = rest.strip_prefix(word.as_str())?;
            after.starts_with(' ').then_some((severity, word, after))
        });
        match found {
            Some((severity, word, after)) => {
                let _ = write!(out, "{border}{}{word}{RESET}{after}", color_of(severity));
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The findings and what follows them; `findings` writes the unsuppressed findings (told
/// whether the report spans several accounts or regions).
fn render_raw(report: &Report, findings: impl Fn(&mut String, &[&Finding], bool)) -> String {
    let mut out = String::new();
    let active: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .collect();
    // Several accounts or regions: each finding says where it is.
    let estate = report.accounts.len() > 1 || report.regions.len() > 1;
    if !active.is_empty() {
        findings(&mut out, &active, estate);
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

/// The boxed table, as wide as the terminal.
fn boxed(out: &mut String, active: &[&Finding], estate: bool) {
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

/// One paragraph per finding, at most `width` characters a line: `SEVERITY RULE resource
/// (name): message`, then the fix, continuation lines indented past the severity. The first
/// line holds the severity, rule and resource, so `grep` finds a finding by them.
fn compact(out: &mut String, active: &[&Finding], estate: bool, width: usize) {
    for finding in active {
        // The severity column is laid out here, not wrapped: wrapping collapses its padding.
        let severity = format!("{:<8} ", finding.severity.as_str().to_ascii_uppercase());
        let mut head = format!(
            "{} {}",
            inert(&finding.rule_id),
            inert(&finding.resource.id)
        );
        if let Some(name) = finding
            .resource
            .name
            .as_deref()
            .filter(|name| *name != finding.resource.id)
        {
            let _ = write!(head, " ({})", inert(name));
        }
        if estate {
            let _ = write!(
                head,
                " [{} {}]",
                inert(&finding.resource.account),
                inert(&finding.resource.region)
            );
        }
        let _ = write!(head, ": {}", inert(&finding.message));
        wrap(out, &head, &severity, width);
        wrap(
            out,
            &format!("fix: {}", inert(&finding.remediation)),
            INDENT,
            width,
        );
    }
}

/// Appends `text` wrapped at spaces to `width` characters (counted in characters, and a
/// character is never split), the first line after `first_indent`, the others after
/// [`INDENT`]. A word longer than a line is cut where the line ends.
fn wrap(out: &mut String, text: &str, first_indent: &str, width: usize) {
    // Narrower than the indent and a few words, nothing reads; keep lines usable.
    let width = width.max(INDENT.len() + 20);
    let mut line = String::from(first_indent);
    let mut used = first_indent.chars().count();
    let mut empty = true;
    for mut word in text.split(' ').filter(|w| !w.is_empty()) {
        loop {
            let len = word.chars().count();
            let gap = usize::from(!empty);
            if used + gap + len <= width {
                if !empty {
                    line.push(' ');
                }
                line.push_str(word);
                used += gap + len;
                empty = false;
                break;
            }
            if !empty {
                // The word starts the next line, where it may fit whole.
                out.push_str(&line);
                out.push('\n');
                line = String::from(INDENT);
                used = INDENT.len();
                empty = true;
                continue;
            }
            // Longer than a whole line: cut it at the line's end, on a character boundary.
            let cut = word
                .char_indices()
                .nth(width.saturating_sub(used))
                .map_or(word.len(), |(index, _)| index);
            let (part, remainder) = word.split_at_checked(cut).unwrap_or((word, ""));
            line.push_str(part);
            out.push_str(&line);
            out.push('\n');
            line = String::from(INDENT);
            used = INDENT.len();
            word = remainder;
            if word.is_empty() {
                break;
            }
        }
    }
    if !empty {
        out.push_str(&line);
        out.push('\n');
    }
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
