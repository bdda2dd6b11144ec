//! Parsing of a rule's doc file: `+++` front matter with the metadata, then Markdown sections.

use serde::Serialize;

use crate::finding::{Principle, Severity};

/// The sections every rule doc has, in order.
pub const SECTIONS: [&str; 5] = [
    "What it does",
    "Why it matters",
    "Example",
    "How to fix",
    "References",
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleMetadata {
    /// Stable code, never reused or renamed (`SG001`).
    pub id: String,
    /// Kebab-case name of what it detects (`admin-port-open-to-world`).
    pub name: String,
    pub title: String,
    pub severity: Severity,
    pub principle: Principle,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleDoc {
    /// The Markdown body after the front matter.
    pub markdown: String,
    /// The first paragraph of "What it does".
    pub summary: String,
    /// The first paragraph of "How to fix", used as a finding's default remediation.
    pub fix_summary: String,
    /// `(heading, body)` pairs in file order.
    pub sections: Vec<(String, String)>,
}

impl RuleDoc {
    pub fn section(&self, heading: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|(h, _)| h == heading)
            .map(|(_, body)| body.as_str())
    }
}

/// Parses a rule doc. Errors say which key or line is wrong.
pub fn parse(text: &str) -> Result<(RuleMetadata, RuleDoc), String> {
    let rest = text
        .strip_prefix("+++\n")
        .ok_or("the file must start with a `+++` front matter line")?;
    let end = rest
        .find("\n+++\n")
        .ok_or("the front matter is not closed by a `+++` line")?;
    let (front, body) = (&rest[..end], &rest[end + 5..]);

    let (mut id, mut name, mut title, mut severity, mut principle) = (None, None, None, None, None);
    for (n, line) in front.lines().enumerate() {
        let line_no = n + 2;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {line_no}: expected `key = \"value\"`"))?;
        let value = value
            .trim()
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| format!("line {line_no}: the value must be a quoted string"))?
            .to_owned();
        match key.trim() {
            "id" => id = Some(value),
            "name" => name = Some(value),
            "title" => title = Some(value),
            "severity" => {
                severity = Some(value.parse().map_err(|e| format!("line {line_no}: {e}"))?);
            }
            "principle" => {
                principle = Some(value.parse().map_err(|e| format!("line {line_no}: {e}"))?);
            }
            other => return Err(format!("line {line_no}: unknown key `{other}`")),
        }
    }
    let meta = RuleMetadata {
        id: id.ok_or("missing key `id`")?,
        name: name.ok_or("missing key `name`")?,
        title: title.ok_or("missing key `title`")?,
        severity: severity.ok_or("missing key `severity`")?,
        principle: principle.ok_or("missing key `principle`")?,
    };

    let sections = split_sections(body);
    let headings: Vec<&str> = sections.iter().map(|(h, _)| h.as_str()).collect();
    if headings != SECTIONS {
        return Err(format!(
            "sections must be {SECTIONS:?} in this order, found {headings:?}"
        ));
    }
    let first_paragraph = |heading: &str| {
        sections
            .iter()
            .find(|(h, _)| h == heading)
            .map(|(_, b)| {
                b.split("\n\n")
                    .next()
                    .unwrap_or_default()
                    .replace('\n', " ")
            })
            .unwrap_or_default()
    };
    let doc = RuleDoc {
        markdown: body.trim().to_owned(),
        summary: first_paragraph("What it does"),
        fix_summary: first_paragraph("How to fix"),
        sections: sections.clone(),
    };
    Ok((meta, doc))
}

fn split_sections(body: &str) -> Vec<(String, String)> {
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            sections.push((heading.trim().to_owned(), String::new()));
        } else if let Some((_, text)) = sections.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    for (_, text) in &mut sections {
        *text = text.trim().to_owned();
    }
    sections
}
