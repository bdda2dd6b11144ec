//! Graphviz DOT text: clusters for the VPC, its tier rows and its subnets. Edges from and to
//! a tier row start at an invisible anchor node inside it and are clipped to the cluster
//! (`compound=true`). Labels are quoted strings with `\` and `"` escaped, so `\N`, `\G` or
//! a quote in a name stays text.

use std::fmt::Write;

use super::mermaid::severity_colours;
use super::{EdgeKind, Flags, GROUP_ABOVE, MAX_LINE, Member, NodeKind, VpcDiagram, clean_text};

pub fn render(diagram: &VpcDiagram) -> String {
    render_grouped(diagram, GROUP_ABOVE)
}

pub fn render_grouped(diagram: &VpcDiagram, group_above: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", diagram.id);
    out.push_str("  compound=true;\n  rankdir=TB;\n");
    out.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    let _ = writeln!(out, "  subgraph cluster_{} {{", diagram.id);
    let _ = writeln!(
        out,
        "    label={};{}",
        quote(
            &[diagram.title()]
                .into_iter()
                .chain(diagram.flags.label())
                .collect::<Vec<_>>()
        ),
        cluster_style(&diagram.flags)
    );
    for tier in diagram.tiers() {
        let tier_id = diagram.tier_id(tier);
        let _ = writeln!(out, "    subgraph cluster_{tier_id} {{");
        let _ = writeln!(
            out,
            "      label={}; style=dashed;",
            quote(&[format!("{} subnets", tier.title())])
        );
        let _ = writeln!(out, "      {tier_id} [shape=point, style=invis, width=0];");
        for subnet in diagram.subnets.iter().filter(|s| s.tier == tier) {
            let members = subnet.members(group_above);
            if members.is_empty() {
                let _ = writeln!(
                    out,
                    "      {} [label={}, shape=box{}];",
                    subnet.id,
                    quote(&subnet.lines()),
                    node_style(&subnet.flags)
                );
                continue;
            }
            let _ = writeln!(out, "      subgraph cluster_{} {{", subnet.id);
            let _ = writeln!(
                out,
                "        label={};{}",
                quote(&subnet.lines()),
                cluster_style(&subnet.flags)
            );
            for member in &members {
                let _ = writeln!(
                    out,
                    "        {} [label={}{}{}];",
                    member.id(),
                    quote(&member.lines()),
                    shape(member),
                    node_style(member.flags())
                );
            }
            out.push_str("      }\n");
        }
        out.push_str("    }\n");
    }
    out.push_str("  }\n");
    for gateway in &diagram.gateways {
        let shape = if gateway.kind == NodeKind::Internet {
            "doublecircle"
        } else {
            "ellipse"
        };
        let _ = writeln!(
            out,
            "  {} [label={}, shape={shape}{}];",
            gateway.id,
            quote(&gateway.lines()),
            node_style(&gateway.flags)
        );
    }
    let tier_ids: Vec<String> = diagram
        .tiers()
        .into_iter()
        .map(|t| diagram.tier_id(t))
        .collect();
    // Invisible edges between the tier anchors stack the tiers as rows.
    for (upper, lower) in tier_ids.iter().zip(tier_ids.iter().skip(1)) {
        let _ = writeln!(out, "  {upper} -> {lower} [style=invis];");
    }
    for edge in diagram.drawn_edges(group_above) {
        let mut attributes = Vec::new();
        if !edge.labels.is_empty() {
            attributes.push(format!("label={}", quote(&[edge.label()])));
        }
        if tier_ids.contains(&edge.from) {
            attributes.push(format!("ltail=cluster_{}", edge.from));
        }
        if tier_ids.contains(&edge.to) {
            attributes.push(format!("lhead=cluster_{}", edge.to));
        }
        if edge.kind == EdgeKind::SecurityGroup {
            attributes.push("style=dashed".to_owned());
            attributes.push("color=\"#6b7280\"".to_owned());
            // Rows come from the route edges and tier order; a group edge pointing up a
            // row must not fight them (Graphviz loses such edges).
            attributes.push("constraint=false".to_owned());
        }
        if let EdgeKind::Exposure(level) = edge.kind {
            let colour = level.colour();
            attributes.push(format!("color=\"{colour}\""));
            attributes.push(format!("fontcolor=\"{colour}\""));
            attributes.push("penwidth=2".to_owned());
        }
        let _ = writeln!(
            out,
            "  {} -> {} [{}];",
            edge.from,
            edge.to,
            attributes.join(", ")
        );
    }
    out.push_str("}\n");
    out
}

fn shape(member: &Member<'_>) -> &'static str {
    let kind = match member {
        Member::One(node) => node.kind,
        Member::Group { kind, .. } => *kind,
    };
    match kind {
        NodeKind::Database => ", shape=cylinder",
        NodeKind::Function => ", shape=parallelogram",
        kind if kind.is_load_balancer() => ", shape=hexagon",
        _ => "",
    }
}

fn node_style(flags: &Flags) -> String {
    match flags.severity {
        Some(severity) => {
            let (fill, stroke) = severity_colours(severity);
            format!(", fillcolor=\"{fill}\", color=\"{stroke}\", penwidth=2")
        }
        None => String::new(),
    }
}

fn cluster_style(flags: &Flags) -> String {
    match flags.severity {
        // The colour goes on the border only: a filled VPC would drown its contents.
        Some(severity) => {
            let (_, stroke) = severity_colours(severity);
            format!(" style=rounded; pencolor=\"{stroke}\"; penwidth=3;")
        }
        None => " style=rounded;".to_owned(),
    }
}

/// A quoted DOT string of several centred lines.
pub fn quote(lines: &[String]) -> String {
    let body: Vec<String> = lines
        .iter()
        .map(|l| escape(&clean_text(l, MAX_LINE)))
        .collect();
    format!("\"{}\"", body.join("\\n"))
}

/// Escapes `\` (so `\N`, `\G`, `\l` stay text) and `"`; control characters are already gone.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
