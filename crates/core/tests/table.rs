//! The table for people: the compact layout (pipes, CI logs) and severity colours, on the
//! bundled example and a many-account estate. Hostile names in either layout are tested in
//! `hostile_input.rs`.

use std::path::Path;

use chrono::NaiveDate;
use vpcaudit_core::config::Config;
use vpcaudit_core::finding::Severity;
use vpcaudit_core::pipeline;
use vpcaudit_core::report::Report;
use vpcaudit_core::report::table::{self, COMPACT_WIDTH, TableOptions};
use vpcaudit_core::snapshot::Snapshot;

fn example_report() -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/acme-small.json");
    let snapshot = Snapshot::load(&path).unwrap();
    pipeline::audit(
        &snapshot,
        &Config::default(),
        None,
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    )
}

fn compact(report: &Report, width: usize) -> String {
    table::render_with(
        report,
        &TableOptions {
            color: false,
            compact: Some(width),
        },
    )
}

#[test]
fn compact_lines_fit_the_width_and_start_with_severity_rule_and_resource() {
    let report = example_report();
    let text = compact(&report, COMPACT_WIDTH);
    let findings_text = text
        .split_once(&format!("{} finding", report.summary.total))
        .map_or(text.as_str(), |(before, _)| before);
    for line in findings_text.lines() {
        assert!(
            line.chars().count() <= COMPACT_WIDTH,
            "{} characters: {line}",
            line.chars().count()
        );
        assert!(!line.contains('│'), "no box in the compact layout: {line}");
    }
    let heads: Vec<&str> = findings_text
        .lines()
        .filter(|line| !line.starts_with(' '))
        .collect();
    let active: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .collect();
    assert_eq!(heads.len(), active.len(), "one head line per finding");
    for (head, finding) in heads.iter().zip(&active) {
        let expected = format!(
            "{:<8} {} {}",
            finding.severity.as_str().to_ascii_uppercase(),
            finding.rule_id,
            finding.resource.id
        );
        assert!(head.starts_with(&expected), "{head:?} ≠ {expected:?}…");
    }
}

#[test]
fn compact_keeps_every_character_of_message_and_fix() {
    let report = example_report();
    // Wrapping moves spaces and may cut a long word: compare without whitespace.
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let text = squeeze(&compact(&report, 60));
    for finding in report.findings.iter().filter(|f| f.suppression.is_none()) {
        assert!(
            text.contains(&squeeze(&finding.message)),
            "{}",
            finding.message
        );
        assert!(
            text.contains(&squeeze(&format!("fix: {}", finding.remediation))),
            "{}",
            finding.remediation
        );
    }
}

#[test]
fn a_word_longer_than_the_line_is_cut_at_characters_never_bytes() {
    let mut report = example_report();
    let long: String = "ü€🦀".repeat(80);
    let first = report
        .findings
        .iter_mut()
        .find(|f| f.suppression.is_none())
        .unwrap();
    first.message = format!("before {long} after");
    let text = compact(&report, 40);
    for line in text.lines().take_while(|l| !l.contains("finding")) {
        assert!(line.chars().count() <= 40, "{line}");
    }
    let rejoined: String = text
        .lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .concat();
    assert!(rejoined.contains(&long), "the long word survives, cut only");
}

#[test]
fn the_boxed_table_is_the_default_and_stays_uncoloured() {
    let report = example_report();
    let boxed = table::render(&report);
    assert_eq!(boxed, table::render_with(&report, &TableOptions::default()));
    assert!(boxed.contains('│'));
    assert!(!boxed.contains('\u{1b}'));
    assert!(!compact(&report, COMPACT_WIDTH).contains('\u{1b}'));
}

#[test]
fn colours_mark_each_finding_severity_in_both_layouts() {
    let report = example_report();
    for compact in [None, Some(COMPACT_WIDTH)] {
        let text = table::render_with(
            &report,
            &TableOptions {
                color: true,
                compact,
            },
        );
        for severity in Severity::descending() {
            let count = report
                .findings
                .iter()
                .filter(|f| f.suppression.is_none() && f.severity == severity)
                .count();
            let word = if compact.is_some() {
                severity.as_str().to_ascii_uppercase()
            } else {
                severity.as_str().to_owned()
            };
            let coloured = format!("{}{word}\u{1b}[0m", table::color_of(severity));
            assert_eq!(
                text.matches(&coloured).count(),
                count,
                "{compact:?} {severity}"
            );
        }
    }
}

#[test]
fn an_estate_names_account_and_region_on_the_head_line() {
    let mut report = example_report();
    report.accounts = vec!["111111111111".to_owned(), "222222222222".to_owned()];
    let text = compact(&report, COMPACT_WIDTH);
    let finding = report
        .findings
        .iter()
        .find(|f| f.suppression.is_none())
        .unwrap();
    let head = text.lines().next().unwrap();
    assert!(
        head.contains(&format!(
            "[{} {}]",
            finding.resource.account, finding.resource.region
        )) || text
            .lines()
            .take(3)
            .collect::<String>()
            .contains(&finding.resource.account),
        "{head}"
    );
}
