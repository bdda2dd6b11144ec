//! The report as GitHub-flavoured Markdown, for `$GITHUB_STEP_SUMMARY` and pull request
//! comments: the completeness status first, a summary by severity and principle, the findings
//! grouped by severity, then what could not be read.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Report;
use super::diagram::{VpcDiagram, mermaid, svg};
use super::locations::{NoSources, SourceMap};
use crate::finding::{Finding, Principle, Severity};

/// A path as a Markdown link target: spaces and parentheses would end it early.
fn link_target(uri: &str) -> String {
    uri.replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
}

/// GitHub refuses a step summary over 1 MiB; the finding and coverage lists stop well before,
/// saying how many rows they left out.
const LIST_BUDGET_BYTES: usize = 800 * 1024;

/// The report; every value from AWS goes through [`text`] or [`code`], and a last pass makes
/// any hazard that reached the output another way inert.
pub fn render(report: &Report) -> String {
    render_with_budget(report, LIST_BUDGET_BYTES)
}

/// [`render`] followed by the Mermaid diagram of every VPC with findings, each under a
/// collapsible `<details>` (GitHub renders Mermaid code blocks as pictures).
pub fn render_with_diagrams(report: &Report, diagrams: &[VpcDiagram]) -> String {
    render_document(report, diagrams, &NoSources)
}

/// [`render_with_diagrams`], with each finding whose resource `sources` knows linked to its
/// file and line.
pub fn render_document(
    report: &Report,
    diagrams: &[VpcDiagram],
    sources: &dyn SourceMap,
) -> String {
    let mut out = render_full(report, LIST_BUDGET_BYTES, sources);
    diagrams_section(&mut out, diagrams, LIST_BUDGET_BYTES);
    out
}

fn diagrams_section(out: &mut String, diagrams: &[VpcDiagram], budget: usize) {
    let flagged: Vec<&VpcDiagram> = diagrams.iter().filter(|d| d.has_findings()).collect();
    if flagged.is_empty() {
        return;
    }
    out.push_str("## Diagrams\n\n");
    let mut omitted = 0;
    for diagram in &flagged {
        for part in mermaid::render_within_limit(diagram) {
            if out.len() + part.text.len() > budget {
                omitted += 1;
                continue;
            }
            let _ = writeln!(
                out,
                "<details><summary>{}</summary>\n\n```mermaid\n{}```\n\n</details>\n",
                svg::escape(&part.title),
                part.text
            );
        }
    }
    if omitted > 0 {
        omitted_rows(out, omitted, "diagram", "diagrams");
    }
}

/// [`render`], with each finding whose resource `sources` knows linked to its file and line.
pub fn render_located(report: &Report, sources: &dyn SourceMap) -> String {
    render_full(report, LIST_BUDGET_BYTES, sources)
}

/// [`render`] with the size past which lists are cut short (tests use a small one).
pub fn render_with_budget(report: &Report, budget: usize) -> String {
    render_full(report, budget, &NoSources)
}

fn render_full(report: &Report, budget: usize, sources: &dyn SourceMap) -> String {
    let mut out = String::new();
    title(&mut out, report);
    status(&mut out, report);
    summary(&mut out, report);
    findings(&mut out, report, budget, sources);
    coverage(&mut out, report, budget);
    crate::inert::inert_lines(&out).into_owned()
}

fn title(out: &mut String, report: &Report) {
    let account = report.account.as_deref().unwrap_or("unknown account");
    let regions = if report.regions.is_empty() {
        String::new()
    } else {
        format!(" ({})", text(&report.regions.join(", ")))
    };
    let _ = writeln!(out, "# vpcaudit: {}{regions}\n", text(account));
}

fn status(out: &mut String, report: &Report) {
    let errors = report.coverage.errors.len();
    let skipped = not_evaluated_rule_count(report);
    if report.summary.complete {
        out.push_str(
            "**Scan complete**: every API call succeeded and every rule was evaluated.\n\n",
        );
    } else {
        let mut parts = Vec::new();
        if errors > 0 {
            parts.push(plural(errors, "API call failed", "API calls failed"));
        }
        if skipped > 0 {
            parts.push(plural(
                skipped,
                "rule was not evaluated",
                "rules were not evaluated",
            ));
        }
        if parts.is_empty() {
            parts.push("some data could not be read".to_owned());
        }
        let _ = writeln!(
            out,
            "> [!WARNING]\n> **Scan INCOMPLETE**: {}. What they cover is unknown, not clean: \
             see [Incomplete coverage](#incomplete-coverage).\n",
            parts.join(" and ")
        );
    }
    let counts = Counts::of(report);
    let suppressed = if counts.suppressed > 0 {
        format!(" (and {} suppressed)", counts.suppressed)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{}{suppressed} from {} · read {} · {} {}\n",
        plural(counts.total, "finding", "findings"),
        plural(report.summary.rules_run, "rule", "rules"),
        text(&report.collected_at),
        text(&report.tool.name),
        text(&report.tool.version),
    );
}

/// Counts of the findings shown, suppressed ones apart: computed here from the findings so
/// the tables always agree with the lists below them.
struct Counts<'a> {
    total: usize,
    suppressed: usize,
    by_severity: BTreeMap<Severity, usize>,
    by_principle: BTreeMap<&'a str, usize>,
}

impl<'a> Counts<'a> {
    fn of(report: &'a Report) -> Counts<'a> {
        let mut counts = Counts {
            total: 0,
            suppressed: 0,
            by_severity: BTreeMap::new(),
            by_principle: BTreeMap::new(),
        };
        for finding in &report.findings {
            if finding.suppression.is_some() {
                counts.suppressed += 1;
                continue;
            }
            counts.total += 1;
            *counts.by_severity.entry(finding.severity).or_default() += 1;
            *counts
                .by_principle
                .entry(finding.principle.slug())
                .or_default() += 1;
        }
        counts
    }
}

fn summary(out: &mut String, report: &Report) {
    let counts = Counts::of(report);
    out.push_str("## Summary\n\n| Severity | Findings |\n| :-- | --: |\n");
    for severity in Severity::descending() {
        let count = counts.by_severity.get(&severity).copied().unwrap_or(0);
        let _ = writeln!(out, "| {} | {count} |", severity_title(severity));
    }
    let _ = writeln!(out, "| **Total** | **{}** |", counts.total);
    if counts.suppressed > 0 {
        let _ = writeln!(out, "| Suppressed (not counted) | {} |", counts.suppressed);
    }
    out.push('\n');

    if counts.by_principle.is_empty() {
        return;
    }
    out.push_str("| Principle | Findings |\n| :-- | --: |\n");
    let mut principles: Vec<(&str, usize)> = counts.by_principle.into_iter().collect();
    // Most findings first; ties in the principles' own order.
    principles.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| principle_order(a.0).cmp(&principle_order(b.0)))
    });
    for (slug, count) in principles {
        let name = match slug.parse::<Principle>() {
            Ok(principle) => format!("{} (`{}`)", text(principle.title()), code(slug)),
            Err(_) => format!("`{}`", code(slug)),
        };
        let _ = writeln!(out, "| {name} | {count} |");
    }
    out.push('\n');
}

fn principle_order(slug: &str) -> usize {
    Principle::ALL
        .iter()
        .position(|p| p.slug() == slug)
        .unwrap_or(usize::MAX)
}

fn findings(out: &mut String, report: &Report, budget: usize, sources: &dyn SourceMap) {
    out.push_str("## Findings\n\n");
    if report.findings.is_empty() {
        out.push_str(if report.summary.complete {
            "No findings.\n\n"
        } else {
            "No findings in what could be read.\n\n"
        });
        return;
    }
    let mut omitted = 0;
    for severity in Severity::descending() {
        let group: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        if out.len() > budget {
            omitted += group.len();
            continue;
        }
        let suppressed = group.iter().filter(|f| f.suppression.is_some()).count();
        let count = if suppressed > 0 {
            format!("{}, and {suppressed} suppressed", group.len() - suppressed)
        } else {
            group.len().to_string()
        };
        let _ = writeln!(out, "### {} ({count})\n", severity_title(severity));
        out.push_str("| Rule | Resource | Finding | Fix |\n| :-- | :-- | :-- | :-- |\n");
        for (i, finding) in group.iter().enumerate() {
            if out.len() > budget {
                omitted += group.len() - i;
                break;
            }
            finding_row(out, finding, sources);
        }
        out.push('\n');
    }
    if omitted > 0 {
        let _ = writeln!(
            out,
            "_{} not shown to keep this summary within GitHub's size limit; the JSON and SARIF \
             reports list them all._\n",
            plural(omitted, "more finding", "more findings")
        );
    }
}

fn finding_row(out: &mut String, finding: &Finding, sources: &dyn SourceMap) {
    let resource = &finding.resource;
    let mut resource_cell = format!("`{}`", code(&resource.id));
    if let Some(name) = resource.name.as_deref().filter(|n| *n != resource.id) {
        let _ = write!(resource_cell, " {}", text(name));
    }
    let _ = write!(
        resource_cell,
        "<br>{} · {}",
        text(&resource.kind),
        text(&resource.region)
    );
    if let Some(source) = sources.locate(finding) {
        // A relative link: GitHub resolves it against the file showing the summary's repository.
        let _ = write!(
            resource_cell,
            "<br>[{}:{}]({}#L{})",
            text(&source.uri),
            source.line,
            link_target(&source.uri),
            source.line
        );
    }
    let mut message = text(&finding.message);
    if let Some(suppression) = &finding.suppression {
        let until = suppression
            .expires
            .as_deref()
            .map(|d| format!(" until {}", text(d)))
            .unwrap_or_default();
        let _ = write!(
            message,
            "<br>**Suppressed**{until}: {} ({})",
            text(&suppression.reason),
            text(&suppression.source)
        );
    }
    let _ = writeln!(
        out,
        "| `{}`<br>{} | {resource_cell} | {message} | {} |",
        code(&finding.rule_id),
        text(finding.principle.slug()),
        text(&finding.remediation)
    );
}

fn coverage(out: &mut String, report: &Report, budget: usize) {
    let coverage = &report.coverage;
    if coverage.errors.is_empty() && coverage.not_evaluated.is_empty() {
        return;
    }
    out.push_str("## Incomplete coverage\n\n");
    if !coverage.errors.is_empty() {
        out.push_str(
            "API calls that failed (grant the read-only permissions, or retry if throttled):\n\n\
             | Call | Account | Region | Error |\n| :-- | :-- | :-- | :-- |\n",
        );
        let mut shown = 0;
        for error in &coverage.errors {
            if out.len() > budget {
                break;
            }
            let code_part = error
                .code
                .as_deref()
                .map(|c| format!("`{}`: ", code(c)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{}:{}` | {} | {} | {code_part}{} |",
                code(&error.service),
                code(&error.operation),
                text(error.account.as_deref().unwrap_or("all")),
                text(error.region.as_deref().unwrap_or("all")),
                text(&error.error)
            );
            shown += 1;
        }
        omitted_rows(
            out,
            coverage.errors.len() - shown,
            "failed call",
            "failed calls",
        );
        out.push('\n');
    }
    if !coverage.not_evaluated.is_empty() {
        out.push_str(
            "Rules not evaluated, for lack of the data they need:\n\n\
             | Rule | Account | Region | Missing |\n| :-- | :-- | :-- | :-- |\n",
        );
        let mut shown = 0;
        for skipped in &coverage.not_evaluated {
            if out.len() > budget {
                break;
            }
            let missing: Vec<String> = skipped
                .missing
                .iter()
                .map(|m| format!("`{}`", code(m)))
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                code(&skipped.rule_id),
                text(&skipped.account),
                text(&skipped.region),
                missing.join(", ")
            );
            shown += 1;
        }
        omitted_rows(
            out,
            coverage.not_evaluated.len() - shown,
            "more rule not evaluated",
            "more rules not evaluated",
        );
        out.push('\n');
    }
}

fn omitted_rows(out: &mut String, omitted: usize, one: &str, many: &str) {
    if omitted > 0 {
        let _ = writeln!(
            out,
            "\n_{} not shown; the JSON report lists them all._",
            plural(omitted, one, many)
        );
    }
}

fn not_evaluated_rule_count(report: &Report) -> usize {
    let mut ids: Vec<&str> = report
        .coverage
        .not_evaluated
        .iter()
        .map(|n| n.rule_id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

fn severity_title(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Plain text made safe in Markdown and in a table cell: Markdown punctuation is escaped so a
/// resource name or message renders as written, `|` cannot end the cell, and line breaks
/// become `<br>`.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("<br>");
                }
            }
            '\n' => out.push_str("<br>"),
            c if crate::inert::is_hazard(c) => out.extend(c.escape_default()),
            _ => out.push(c),
        }
    }
    out
}

/// Text for inside a code span in a table cell: `|` is the only character GFM lets a code span
/// escape (the table parser removes the backslash); backticks and line breaks cannot be
/// represented, so they become `'` and spaces.
pub fn code(value: &str) -> String {
    crate::inert::inert(
        &value
            .replace('|', "\\|")
            .replace('`', "'")
            .replace(['\r', '\n'], " "),
    )
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_be_broken_out_of() {
        assert_eq!(text("a|b"), "a\\|b");
        assert_eq!(text("one\r\ntwo\nthree"), "one<br>two<br>three");
        assert_eq!(text("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(text("**bold** _x_"), "\\*\\*bold\\*\\* \\_x\\_");
        assert_eq!(code("a|b`c\nd"), "a\\|b'c d");
        assert_eq!(text("x\u{1b}]0;pwned\u{7}"), "x\\u{1b}\\]0;pwned\\u{7}");
        assert_eq!(code("x\u{1b}[2J"), "x\\u{1b}[2J");
    }
}
