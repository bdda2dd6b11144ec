//! `vpcaudit reach` for people (a table) and for machines (JSON).
//!
//! Hops are rendered from their JSON form (`hop` kind, then each other field as `key=value`),
//! so a hop kind the model adds renders without a change here.

use std::fmt::Write;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::inert::{inert, inert_lines};
use crate::net::Protocol;
use crate::reach::{FamilyEgress, InterfaceReach, ReachReport};

/// The report as pretty JSON (exact bytes: JSON escapes what needs escaping).
pub fn render_json(report: &ReachReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

/// The report as tables, with inventory text made inert.
pub fn render_table(report: &ReachReport) -> String {
    inert_lines(&render_raw(report)).into_owned()
}

/// One hop on one line: `security_group group_id=sg-1 rule="tcp 22 from 0.0.0.0/0" …`.
pub fn hop_text(hop: &impl Serialize) -> String {
    let value = serde_json::to_value(hop).unwrap_or_default();
    let serde_json::Value::Object(fields) = value else {
        return inert(&value.to_string()).into_owned();
    };
    let mut out = fields
        .get("hop")
        .and_then(serde_json::Value::as_str)
        .map_or_else(|| "hop".to_owned(), |kind| inert(kind).into_owned());
    for (key, value) in fields.iter().filter(|(k, _)| k.as_str() != "hop") {
        let text = match value {
            serde_json::Value::String(s) if s.is_empty() || s.contains(' ') => {
                format!("\"{}\"", inert(s))
            }
            serde_json::Value::String(s) => inert(s).into_owned(),
            serde_json::Value::Null => continue,
            other => inert(&other.to_string()).into_owned(),
        };
        let _ = write!(out, " {}={text}", inert(key));
    }
    out
}

fn traffic(path: &crate::reach::InboundPath) -> String {
    match path.protocol {
        Protocol::Icmp | Protocol::Icmpv6 => path.protocol.to_string(),
        _ => format!("{} {}", path.protocol, path.ports),
    }
}

fn interface_cell(eni: &InterfaceReach) -> String {
    let mut cell = inert(&eni.reach.eni_id).into_owned();
    for address in [&eni.public_ip, &eni.private_ip].into_iter().flatten() {
        let _ = write!(cell, "\n{}", inert(address));
    }
    if let Some(subnet) = &eni.subnet_id {
        let _ = write!(cell, "\n{}", inert(subnet));
    }
    cell
}

fn egress_cell(family: &FamilyEgress) -> String {
    let mut cell = family.egress.name().to_owned();
    if let Some(route) = &family.route {
        let _ = write!(
            cell,
            "\n{} → {}",
            inert(&route.destination),
            inert(&route.target)
        );
    }
    if let Some(note) = &family.note {
        let _ = write!(cell, "\n({})", inert(note));
    }
    cell
}

fn render_raw(report: &ReachReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", inert(&report.resource.describe()));
    let paths: usize = report.inbound.iter().map(|i| i.reach.paths.len()).sum();
    let caveats: usize = report.not_evaluated.len()
        + report
            .inbound
            .iter()
            .map(|i| i.reach.not_evaluated.len())
            .sum::<usize>();

    out.push_str("\nInbound from the internet\n");
    if report.inbound.is_empty() {
        out.push_str("  no network interface to evaluate (see \"Not evaluated\" below)\n");
    } else {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec!["Into", "Traffic", "From", "Path"]);
        for eni in &report.inbound {
            if eni.reach.paths.is_empty() {
                let verdict =
                    if eni.reach.not_evaluated.is_empty() && report.not_evaluated.is_empty() {
                        "no internet path"
                    } else {
                        "no internet path found in what was evaluated (see \"Not evaluated\")"
                    };
                table.add_row(vec![
                    interface_cell(eni),
                    "-".into(),
                    "-".into(),
                    verdict.into(),
                ]);
            }
            for path in &eni.reach.paths {
                let hops: Vec<String> = path.path.iter().map(hop_text).collect();
                table.add_row(vec![
                    interface_cell(eni),
                    traffic(path),
                    inert(&path.exposure.describe()).into_owned(),
                    hops.join("\n"),
                ]);
            }
        }
        let _ = writeln!(out, "{table}");
    }

    out.push_str("\nEgress to the internet\n");
    if report.egress.is_empty() {
        out.push_str("  no subnet known for this resource\n");
    } else {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec!["Subnet", "Route table", "IPv4", "IPv6"]);
        for subnet in &report.egress {
            let mut name = inert(&subnet.subnet_id).into_owned();
            if let Some(vpc) = &subnet.vpc_id {
                let _ = write!(name, "\n{}", inert(vpc));
            }
            let table_cell = match (&subnet.route_table_id, subnet.association) {
                (Some(id), Some(how)) => format!("{}\n({how})", inert(id)),
                (Some(id), None) => inert(id).into_owned(),
                _ => "-".to_owned(),
            };
            table.add_row(vec![
                name,
                table_cell,
                egress_cell(&subnet.ipv4),
                egress_cell(&subnet.ipv6),
            ]);
        }
        let _ = writeln!(out, "{table}");
        for subnet in &report.egress {
            if !subnet.unresolved_prefix_lists.is_empty() {
                let _ = writeln!(
                    out,
                    "  {}: routes to prefix lists {} are not evaluated (their entries are not in \
                     the inventory)",
                    inert(&subnet.subnet_id),
                    subnet
                        .unresolved_prefix_lists
                        .iter()
                        .map(|p| inert(p).into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }

    if caveats > 0 {
        out.push_str("\nNot evaluated\n");
        for note in &report.not_evaluated {
            let _ = writeln!(out, "  - {}", inert(note));
        }
        for eni in &report.inbound {
            for note in &eni.reach.not_evaluated {
                let _ = writeln!(out, "  - {}: {}", inert(&eni.reach.eni_id), inert(note));
            }
        }
    }

    out.push('\n');
    let interfaces = report.inbound.len();
    if paths > 0 {
        let _ = write!(
            out,
            "{paths} internet path{} into {} of {interfaces} interface{}",
            if paths == 1 { "" } else { "s" },
            report
                .inbound
                .iter()
                .filter(|i| !i.reach.paths.is_empty())
                .count(),
            if interfaces == 1 { "" } else { "s" },
        );
    } else if interfaces > 0 {
        let _ = write!(
            out,
            "No internet path into {interfaces} interface{}",
            if interfaces == 1 { "" } else { "s" }
        );
    } else {
        out.push_str("Inbound not evaluated: no interface");
    }
    if caveats > 0 {
        let _ = write!(
            out,
            "; {caveats} input{} not evaluated (listed above): {}",
            if caveats == 1 { "" } else { "s" },
            if paths > 0 {
                "there may be more"
            } else {
                "not proof that none exists"
            }
        );
    }
    if !report.complete {
        out.push_str("; INCOMPLETE: API calls failed in this account and region");
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reach::PathHop;

    #[test]
    fn hops_render_from_their_json_form() {
        let hop = PathHop::SecurityGroup {
            group_id: "sg-1".into(),
            rule_index: 0,
            rule: "tcp 22 from 0.0.0.0/0".into(),
        };
        let text = hop_text(&hop);
        assert!(text.starts_with("security_group "), "{text}");
        assert!(text.contains("group_id=sg-1"), "{text}");
        assert!(text.contains("rule=\"tcp 22 from 0.0.0.0/0\""), "{text}");
        assert!(text.contains("rule_index=0"), "{text}");
    }

    #[test]
    fn inventory_text_is_inert() {
        let hop = PathHop::Interface {
            id: "eni-\u{1b}[2J".into(),
            address: "10.0.0.1".into(),
        };
        assert!(!hop_text(&hop).contains('\u{1b}'));
    }
}
