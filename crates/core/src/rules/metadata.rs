//! Parsing of a rule's doc file: `+++` front matter with the metadata, then Markdown sections.

use serde::{Deserialize, Serialize};

use crate::finding::{Principle, Severity};

/// The sections every rule doc has, in order.
pub const SECTIONS: [&str; 5] = [
    "What it does",
    "Why it matters",
    "Example",
    "How to fix",
    "References",
];

/// The front matter, TOML: `id`, `name`, `title`, `severity`, `principle`, nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

    let meta: RuleMetadata =
        toml::from_str(front).map_err(|e| format!("front matter: {}", e.message().trim()))?;

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

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "## What it does\na\n## Why it matters\nb\n## Example\nc\n## How to fix\nd\n## References\ne\n";

    fn doc(front: &str) -> String {
        format!("+++\n{front}\n+++\n{BODY}")
    }

    #[test]
    fn front_matter_is_toml_and_checked() {
        let ok = doc(
            "id = \"SG001\"\nname = \"x\"\ntitle = \"X\"\nseverity = \"high\"\nprinciple = \"sg-over-ip\"",
        );
        let (meta, _) = parse(&ok).expect("parses");
        assert_eq!(meta.severity, Severity::High);
        let typo = doc(
            "id = \"SG001\"\nname = \"x\"\ntitle = \"X\"\nseverty = \"high\"\nprinciple = \"sg-over-ip\"",
        );
        assert!(parse(&typo).is_err_and(|e| e.contains("severty")));
        let bad = doc(
            "id = \"SG001\"\nname = \"x\"\ntitle = \"X\"\nseverity = \"dire\"\nprinciple = \"sg-over-ip\"",
        );
        assert!(parse(&bad).is_err());
    }
}
