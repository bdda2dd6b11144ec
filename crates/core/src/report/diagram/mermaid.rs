//! Mermaid `flowchart` text: subgraphs for the VPC, its tier rows and its subnets; plain
//! shapes only (GitHub renders no icon packs). Every label is a quoted string whose
//! characters outside a small safe set are written as Mermaid entity codes (`#35;`), so no
//! name can close a label, start a directive or inject HTML.

use std::fmt::Write;

use super::{
    EdgeKind, Exposure, Flags, GROUP_ABOVE, MAX_LINE, MERMAID_MAX_TEXT, Member, NodeKind, TierRow,
    VpcDiagram, clean_text,
};
use crate::finding::Severity;

/// One rendered diagram and what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub title: String,
    pub text: String,
}

/// The VPC as one Mermaid diagram when it fits Mermaid's text limit; otherwise one diagram
/// per tier, with every kind of resource counted when a tier alone is still too large.
pub fn render_within_limit(diagram: &VpcDiagram) -> Vec<Rendered> {
    let whole = render(diagram, GROUP_ABOVE);
    if whole.len() < MERMAID_MAX_TEXT {
        return vec![Rendered {
            title: diagram.title(),
            text: whole,
        }];
    }
    diagram
        .tiers()
        .into_iter()
        .map(|tier| {
            let part = diagram.tier_part(tier);
            let mut text = render(&part, GROUP_ABOVE);
            if text.len() >= MERMAID_MAX_TEXT {
                text = render(&part, 0);
            }
            Rendered {
                title: part.title(),
                text,
            }
        })
        .collect()
}

/// The diagram with more than `group_above` resources of a kind per subnet counted.
pub fn render(diagram: &VpcDiagram, group_above: usize) -> String {
    let mut out = String::from("flowchart TB\n");
    let mut flagged: Vec<(String, Severity)> = Vec::new();
    let mut note = |id: &str, flags: &Flags| {
        if let Some(severity) = flags.severity {
            flagged.push((id.to_owned(), severity));
        }
    };
    let vpc_title = with_flags(vec![diagram.title()], &diagram.flags);
    let mut title_lines = vpc_title.len();
    let _ = writeln!(out, "  subgraph {}[{}]", diagram.id, label(&vpc_title));
    note(&diagram.id, &diagram.flags);
    out.push_str("    direction TB\n");
    for tier in diagram.tiers() {
        let _ = writeln!(
            out,
            "    subgraph {}[{}]",
            diagram.tier_id(tier),
            label(&[format!("{} subnets", tier.title())])
        );
        out.push_str("      direction LR\n");
        for subnet in diagram.subnets.iter().filter(|s| s.tier == tier) {
            note(&subnet.id, &subnet.flags);
            let members = subnet.members(group_above);
            if members.is_empty() {
                // Mermaid draws an empty subgraph badly: an empty subnet is a plain box.
                let _ = writeln!(out, "      {}[{}]", subnet.id, label(&subnet.lines()));
                continue;
            }
            let subnet_title = subnet.lines();
            title_lines = title_lines.max(subnet_title.len());
            let _ = writeln!(
                out,
                "      subgraph {}[{}]",
                subnet.id,
                label(&subnet_title)
            );
            for member in &members {
                note(member.id(), member.flags());
                let _ = writeln!(
                    out,
                    "        {}{}",
                    member.id(),
                    shape(member, &member.lines())
                );
            }
            out.push_str("      end\n");
        }
        out.push_str("    end\n");
    }
    out.push_str("  end\n");
    for gateway in &diagram.gateways {
        note(&gateway.id, &gateway.flags);
        if gateway.kind == NodeKind::Internet {
            let _ = writeln!(out, "  {}(({}))", gateway.id, label(&gateway.lines()));
        } else {
            let _ = writeln!(out, "  {}([{}])", gateway.id, label(&gateway.lines()));
        }
    }
    // Links are numbered in the order they are written; exposure links are coloured by
    // their index (`linkStyle`).
    let mut exposed: Vec<(usize, Exposure)> = Vec::new();
    for (n, edge) in diagram.drawn_edges(group_above).iter().enumerate() {
        let arrow = match edge.kind {
            EdgeKind::Route => "-->",
            EdgeKind::SecurityGroup => "-.->",
            EdgeKind::Exposure(level) => {
                exposed.push((n, level));
                "==>"
            }
        };
        if edge.labels.is_empty() {
            let _ = writeln!(out, "  {} {arrow} {}", edge.from, edge.to);
        } else {
            let _ = writeln!(
                out,
                "  {} {arrow}|{}| {}",
                edge.from,
                label(&[edge.label()]),
                edge.to
            );
        }
    }
    write_classes(&mut out, &flagged);
    for level in [Exposure::World, Exposure::Large, Exposure::Some] {
        let links: Vec<String> = exposed
            .iter()
            .filter(|(_, l)| *l == level)
            .map(|(n, _)| n.to_string())
            .collect();
        if !links.is_empty() {
            let colour = level.colour();
            let _ = writeln!(
                out,
                "  linkStyle {} stroke:{colour},stroke-width:2px,color:{colour}",
                links.join(",")
            );
        }
    }
    front_matter(title_lines) + &out
}

/// Mermaid leaves room for one line of a subgraph's title, and draws the boxes inside over the
/// others (a subnet's id, zone and CIDR, and its rule ids). The YAML front matter, which GitHub
/// reads too, sets a bottom margin of the extra lines: 24 px each at Mermaid's 16 px font.
fn front_matter(title_lines: usize) -> String {
    if title_lines <= 1 {
        return String::new();
    }
    let bottom = (title_lines - 1) * 24 + 6;
    format!(
        "---\nconfig:\n  flowchart:\n    subGraphTitleMargin:\n      top: 0\n      bottom: {bottom}\n---\n"
    )
}

fn with_flags(mut lines: Vec<String>, flags: &Flags) -> Vec<String> {
    lines.extend(flags.label());
    lines
}

fn shape(member: &Member<'_>, lines: &[String]) -> String {
    let kind = match member {
        Member::One(node) => node.kind,
        Member::Group { kind, .. } => *kind,
    };
    match kind {
        NodeKind::Database => format!("[({})]", label(lines)),
        NodeKind::Function => format!("[/{}/]", label(lines)),
        kind if kind.is_load_balancer() => format!("{{{{{}}}}}", label(lines)),
        _ => format!("[{}]", label(lines)),
    }
}

/// Fill and stroke per severity (Tailwind-like tints that read in light and dark themes).
pub fn severity_colours(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Critical => ("#fecaca", "#b91c1c"),
        Severity::High => ("#fed7aa", "#c2410c"),
        Severity::Medium => ("#fef08a", "#a16207"),
        Severity::Low => ("#bfdbfe", "#1d4ed8"),
        Severity::Info => ("#e5e7eb", "#4b5563"),
    }
}

fn write_classes(out: &mut String, flagged: &[(String, Severity)]) {
    for severity in Severity::descending() {
        let ids: Vec<&str> = flagged
            .iter()
            .filter(|(_, s)| *s == severity)
            .map(|(id, _)| id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let (fill, stroke) = severity_colours(severity);
        let _ = writeln!(
            out,
            "  classDef {severity} fill:{fill},stroke:{stroke},stroke-width:2px,color:#111"
        );
        let _ = writeln!(out, "  class {} {severity}", ids.join(","));
    }
}

/// A quoted Mermaid label of several lines.
pub fn label(lines: &[String]) -> String {
    let body: Vec<String> = lines
        .iter()
        .map(|l| escape(&clean_text(l, MAX_LINE)))
        .collect();
    format!("\"{}\"", body.join("<br/>"))
}

/// Writes every character outside a conservative safe set as a Mermaid entity code
/// (`#60;` for `<`): Mermaid decodes them to text after parsing, so quotes, brackets,
/// pipes, semicolons, `%%`, backticks and HTML cannot act as syntax or markup.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '.' | ',' | ':' | '/' | '-' | '_' | '+' | '@' | '=' | '·' | '→' | '×' | '…'
            )
        {
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

/// The tier rows drawn, for callers that want to say what a split diagram covers.
pub fn tier_titles(diagram: &VpcDiagram) -> Vec<&'static str> {
    diagram.tiers().into_iter().map(TierRow::title).collect()
}
