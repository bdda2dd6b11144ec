//! SVG drawn by vpcaudit itself, so a picture needs no Graphviz: a grid with availability
//! zones as columns and tier rows as rows, a subnet box per subnet listing its resources,
//! the gateways above, and the routes and security-group edges written out below. Every
//! box carries `id="n-<node id>"` so the HTML report can link a finding to it.

use std::fmt::Write;

use super::mermaid::severity_colours;
use super::{EdgeKind, Flags, GROUP_ABOVE, NodeKind, VpcDiagram, clean_text};

const COLUMN: usize = 300;
const LINE: usize = 15;
const PAD: usize = 10;
const TIER_LABEL: usize = 120;
const CHARS: usize = 44;

pub fn render(diagram: &VpcDiagram) -> String {
    let (body, width, height) = draw(diagram);
    document(&body, width, height)
}

/// Several diagrams stacked in one SVG document.
pub fn render_all(diagrams: &[VpcDiagram]) -> String {
    let mut body = String::new();
    let mut width = 0;
    let mut height = 0;
    for diagram in diagrams {
        let (inner, w, h) = draw(diagram);
        let _ = writeln!(
            body,
            r#"<svg x="0" y="{height}" width="{w}" height="{h}">{inner}</svg>"#
        );
        width = width.max(w);
        height += h + PAD * 2;
    }
    document(&body, width.max(1), height.max(1))
}

fn document(body: &str, width: usize, height: usize) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" font-family="Helvetica, Arial, sans-serif" font-size="11">
<style>.t{{font-size:14px;font-weight:bold}}.z{{font-weight:bold;fill:#374151}}.r{{font-weight:bold;fill:#6b7280}}.row{{fill:none;stroke:#d1d5db;stroke-dasharray:4 3}}.e{{fill:#374151}}.x-world{{fill:#dc2626;font-weight:bold}}.x-large{{fill:#ea580c;font-weight:bold}}.x-some{{fill:#475569}}.f{{fill:#b91c1c;font-weight:bold}}.m{{fill:#111827}}.s-critical,.s-high{{fill:#b91c1c;font-weight:bold}}.s-medium{{fill:#a16207;font-weight:bold}}.s-low{{fill:#1d4ed8}}.s-info{{fill:#4b5563}}</style>
<rect width="100%" height="100%" fill="#ffffff"/>
{body}</svg>
"##
    )
}

/// The drawing of one diagram, with its width and height.
fn draw(diagram: &VpcDiagram) -> (String, usize, usize) {
    let columns = diagram.zones.len().max(1);
    let width = TIER_LABEL + columns * COLUMN + PAD * 2;
    let mut body = String::new();
    let mut y = PAD;
    // Title.
    let _ = writeln!(
        body,
        r#"<text x="{PAD}" y="{}" class="t">{}</text>"#,
        y + 14,
        escape(&clean_text(&diagram.title(), 120))
    );
    y += 24;
    if let Some(flag) = diagram.flags.label() {
        let _ = writeln!(
            body,
            r#"<text x="{PAD}" y="{}" class="f" id="n-{}">{}</text>"#,
            y + 12,
            diagram.id,
            escape(&flag)
        );
        y += 18;
    }
    // Gateways, in a row above the grid.
    if !diagram.gateways.is_empty() {
        let mut x = PAD;
        let mut row_height = 0;
        for gateway in &diagram.gateways {
            let lines = gateway.lines();
            let height = lines.len() * LINE + PAD;
            if x + COLUMN > width {
                x = PAD;
                y += row_height + PAD;
                row_height = 0;
            }
            boxed(
                &mut body,
                &gateway.id,
                x,
                y,
                COLUMN - PAD,
                height,
                &lines,
                &gateway.flags,
                20,
            );
            x += COLUMN;
            row_height = row_height.max(height);
        }
        y += row_height + PAD * 2;
    }
    // Zone headers.
    for (n, zone) in diagram.zones.iter().enumerate() {
        let _ = writeln!(
            body,
            r#"<text x="{}" y="{}" class="z">{}</text>"#,
            TIER_LABEL + PAD + n * COLUMN,
            y + 12,
            escape(&clean_text(zone, CHARS))
        );
    }
    y += 20;
    for tier in diagram.tiers() {
        let row_top = y;
        let mut row_bottom = y;
        for (column, zone) in diagram.zones.iter().enumerate() {
            let mut cell_y = y;
            for subnet in diagram
                .subnets
                .iter()
                .filter(|s| s.tier == tier && &s.zone == zone)
            {
                let mut lines = subnet.lines();
                let header = lines.len();
                let members = subnet.members(GROUP_ABOVE);
                for member in &members {
                    lines.push(format!("• {}", member.lines().join(" · ")));
                }
                let height = lines.len() * LINE + PAD;
                let x = TIER_LABEL + PAD + column * COLUMN;
                boxed(
                    &mut body,
                    &subnet.id,
                    x,
                    cell_y,
                    COLUMN - PAD,
                    height,
                    lines.get(..header).unwrap_or(&lines),
                    &subnet.flags,
                    4,
                );
                // Members, each its own anchored line, coloured by its findings.
                for (n, member) in members.iter().enumerate() {
                    let line_y = cell_y + (header + n + 1) * LINE;
                    let class = member
                        .flags()
                        .severity
                        .map_or("m".to_owned(), |s| format!("m s-{s}"));
                    let _ = writeln!(
                        body,
                        r#"<text x="{}" y="{line_y}" class="{class}" id="n-{}">{}</text>"#,
                        x + 8,
                        member.id(),
                        escape(&clean_text(
                            &format!("• {}", member.lines().join(" · ")),
                            CHARS
                        ))
                    );
                }
                cell_y += height + PAD;
            }
            row_bottom = row_bottom.max(cell_y);
        }
        let _ = writeln!(
            body,
            r#"<rect x="{PAD}" y="{row_top}" width="{}" height="{}" class="row"/><text x="{}" y="{}" class="r">{}</text>"#,
            width - PAD * 2,
            row_bottom - row_top,
            PAD + 6,
            row_top + 16,
            escape(tier.title())
        );
        y = row_bottom + PAD;
    }
    // Edges, written out: a grid has no room for lines that read well.
    let tier_title = |id: &str| -> String {
        diagram
            .tiers()
            .into_iter()
            .find(|t| diagram.tier_id(*t) == id)
            .map(|t| format!("{} tier", t.title()))
            .or_else(|| {
                diagram
                    .gateways
                    .iter()
                    .chain(diagram.subnets.iter().flat_map(|s| s.nodes.iter()))
                    .find(|n| n.id == id)
                    .map(|n| match n.kind {
                        NodeKind::Internet => n.kind.title(1).to_owned(),
                        kind => format!("{} {}", kind.title(1), n.resource_id),
                    })
            })
            .or_else(|| {
                // A counted group.
                diagram.subnets.iter().find_map(|s| {
                    s.members(GROUP_ABOVE)
                        .into_iter()
                        .find(|m| m.id() == id)
                        .map(|m| format!("{} in {}", m.lines().join(" "), s.subnet_id))
                })
            })
            .or_else(|| {
                diagram
                    .subnets
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| format!("subnet {}", s.subnet_id))
            })
            .unwrap_or_else(|| id.to_owned())
    };
    for edge in diagram.drawn_edges(GROUP_ABOVE) {
        let (arrow, class) = match edge.kind {
            EdgeKind::Route => ("routes", "e".to_owned()),
            EdgeKind::SecurityGroup => ("security groups", "e".to_owned()),
            EdgeKind::Exposure(level) => ("internet", format!("x-{}", level.name())),
        };
        let text = if edge.labels.is_empty() {
            format!(
                "{} → {} ({arrow})",
                tier_title(&edge.from),
                tier_title(&edge.to)
            )
        } else {
            format!(
                "{} → {} ({arrow}: {})",
                tier_title(&edge.from),
                tier_title(&edge.to),
                edge.label()
            )
        };
        let _ = writeln!(
            body,
            r#"<text x="{PAD}" y="{}" class="{class}">{}</text>"#,
            y + 12,
            escape(&clean_text(&text, 150))
        );
        y += LINE + 2;
    }
    (body, width, y + PAD)
}

#[allow(clippy::too_many_arguments)]
fn boxed(
    out: &mut String,
    id: &str,
    x: usize,
    y: usize,
    width: usize,
    height: usize,
    lines: &[String],
    flags: &Flags,
    radius: usize,
) {
    let (fill, stroke) = flags
        .severity
        .map_or(("#ffffff", "#9ca3af"), severity_colours);
    let _ = writeln!(
        out,
        r#"<g id="n-{id}"><rect x="{x}" y="{y}" width="{width}" height="{height}" rx="{radius}" fill="{fill}" stroke="{stroke}" stroke-width="{}"/>"#,
        if flags.severity.is_some() { 2 } else { 1 }
    );
    for (n, line) in lines.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}">{}</text>"#,
            x + 8,
            y + (n + 1) * LINE,
            escape(&clean_text(line, CHARS))
        );
    }
    out.push_str("</g>\n");
}

/// XML text and attribute escaping.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
