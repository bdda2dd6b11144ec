//! The report as one self-contained HTML file: inline CSS, inline SVG diagrams drawn by
//! vpcaudit, and a few lines of inline JavaScript to filter the findings. It loads nothing
//! (its Content-Security-Policy forbids any request), so it opens offline and from an
//! artifact store. Every value from the account or the report is HTML-escaped.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::Report;
use super::diagram::{GROUP_ABOVE, VpcDiagram, svg};
use crate::finding::{Finding, Principle, Severity};

const STYLE: &str = r#"
body{font-family:Helvetica,Arial,sans-serif;margin:2rem;color:#111827;max-width:1400px}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #e5e7eb}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #e5e7eb;padding:.3rem .5rem;text-align:left;vertical-align:top}
.sev{font-weight:bold;text-transform:uppercase;font-size:.8rem;padding:.1rem .4rem;border-radius:.3rem}
.sev-critical{background:#fecaca;color:#7f1d1d}.sev-high{background:#fed7aa;color:#7c2d12}.sev-medium{background:#fef08a;color:#713f12}.sev-low{background:#bfdbfe;color:#1e3a8a}.sev-info{background:#e5e7eb;color:#374151}
.status-ok{color:#166534}.status-incomplete{color:#b91c1c;font-weight:bold}
.diagram{overflow-x:auto;border:1px solid #e5e7eb;padding:.5rem;margin:.5rem 0}
.filters label{margin-right:1rem}pre{white-space:pre-wrap;background:#f9fafb;padding:.5rem;max-width:900px}
.suppressed{opacity:.6}:target{outline:3px solid #2563eb}
"#;

const SCRIPT: &str = r#"
(function(){
  var keys=['severity','rule','account','region'];
  function apply(){
    var wanted={};keys.forEach(function(k){wanted[k]=document.getElementById('filter-'+k).value;});
    var shown=0;
    document.querySelectorAll('tr.finding').forEach(function(row){
      var ok=keys.every(function(k){return wanted[k]===''||row.dataset[k]===wanted[k];});
      row.hidden=!ok;
      var detail=document.getElementById(row.id+'-detail');if(detail){detail.hidden=!ok;}
      if(ok){shown++;}
    });
    document.getElementById('shown').textContent=String(shown);
  }
  keys.forEach(function(k){document.getElementById('filter-'+k).addEventListener('change',apply);});
  apply();
})();
"#;

/// The CSP admits [`SCRIPT`] by its hash and nothing else: should a name ever slip past the
/// escaping, its `<script>` or `onerror=` still does not run. After editing the script, put its
/// new hash here: Chromium names it in the console error that `tests/browser.rs` then reports.
const SCRIPT_SHA256: &str = "sha256-IxM16BLdNKNeDZcx7OF6ICJOvwfUWDpy+wdbpobniKM=";

pub fn render(report: &Report, diagrams: &[VpcDiagram]) -> String {
    let mut out = String::new();
    let account = report.account.as_deref().unwrap_or("unknown account");
    let title = format!("vpcaudit: {account} ({})", report.regions.join(", "));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src '{SCRIPT_SHA256}'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    if report.summary.complete {
        out.push_str("<p class=\"status-ok\">Scan complete: every API call succeeded and every rule was evaluated.</p>\n");
    } else {
        let _ = writeln!(
            out,
            "<p class=\"status-incomplete\">Scan incomplete: {} API call(s) failed and {} rule(s) were not evaluated everywhere; the absence of a finding proves nothing there.</p>",
            report.coverage.errors.len(),
            report.coverage.not_evaluated.len()
        );
    }
    let _ = writeln!(
        out,
        "<p>Collected {}; {} rules run; {} findings ({} suppressed).</p>",
        escape(&report.collected_at),
        report.summary.rules_run,
        report.summary.total,
        report.summary.suppressed
    );
    summary(&mut out, report);
    diagrams_section(&mut out, diagrams);
    findings(&mut out, report, diagrams);
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

fn summary(out: &mut String, report: &Report) {
    out.push_str(
        "<h2 id=\"summary\">Summary</h2>\n<table><tr><th>Severity</th><th>Findings</th></tr>\n",
    );
    for severity in Severity::descending() {
        let count = report
            .summary
            .by_severity
            .get(&severity)
            .copied()
            .unwrap_or(0);
        let _ = writeln!(
            out,
            "<tr><td><span class=\"sev sev-{severity}\">{severity}</span></td><td>{count}</td></tr>"
        );
    }
    out.push_str("</table>\n<table><tr><th>Principle</th><th>Findings</th></tr>\n");
    for &principle in Principle::ALL {
        let Some(count) = report.summary.by_principle.get(principle.slug()) else {
            continue;
        };
        let _ = writeln!(
            out,
            "<tr><td>{} <code>{}</code></td><td>{count}</td></tr>",
            escape(principle.title()),
            principle.slug()
        );
    }
    out.push_str("</table>\n");
}

fn diagrams_section(out: &mut String, diagrams: &[VpcDiagram]) {
    if diagrams.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"diagrams\">Diagrams</h2>\n");
    for diagram in diagrams {
        // VPCs without findings start folded: the picture of a large estate stays usable.
        let open = if diagram.has_findings() { " open" } else { "" };
        let _ = writeln!(
            out,
            "<details id=\"{}\"{open}><summary>{}</summary>\n<div class=\"diagram\">\n{}</div>\n</details>",
            diagram.id,
            escape(&diagram.title()),
            svg::render(diagram)
        );
    }
}

fn findings(out: &mut String, report: &Report, diagrams: &[VpcDiagram]) {
    out.push_str("<h2 id=\"findings\">Findings</h2>\n<p class=\"filters\">\n");
    let distinct = |value: fn(&Finding) -> String| -> BTreeSet<String> {
        report.findings.iter().map(value).collect()
    };
    let severities: Vec<String> = Severity::descending().map(|s| s.to_string()).collect();
    let filters: [(&str, &str, Vec<String>); 4] = [
        ("severity", "Severity", severities),
        (
            "rule",
            "Rule",
            distinct(|f| f.rule_id.clone()).into_iter().collect(),
        ),
        (
            "account",
            "Account",
            distinct(|f| f.resource.account.clone())
                .into_iter()
                .collect(),
        ),
        (
            "region",
            "Region",
            distinct(|f| f.resource.region.clone())
                .into_iter()
                .collect(),
        ),
    ];
    for (key, title, values) in filters {
        let _ = write!(
            out,
            "<label>{title} <select id=\"filter-{key}\"><option value=\"\">all</option>"
        );
        for value in values {
            let _ = write!(out, "<option>{}</option>", escape(&value));
        }
        out.push_str("</select></label>\n");
    }
    let _ = writeln!(
        out,
        "</p>\n<p><span id=\"shown\">{}</span> of {} findings shown.</p>",
        report.findings.len(),
        report.findings.len()
    );
    out.push_str("<table id=\"findings-table\"><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>Account</th><th>Region</th><th>Finding</th><th>Diagram</th></tr>\n");
    for (n, finding) in report.findings.iter().enumerate() {
        let anchor = diagrams.iter().find_map(|d| {
            d.placements
                .get(&finding.fingerprint)
                .map(|node| d.anchor_of(node, GROUP_ABOVE))
        });
        let link = anchor.map_or_else(
            || "—".to_owned(),
            |a| format!("<a href=\"#n-{}\">show</a>", escape(&a)),
        );
        let resource = match &finding.resource.name {
            Some(name) => format!(
                "{}<br><code>{}</code> {}",
                escape(name),
                escape(&finding.resource.id),
                escape(&finding.resource.kind)
            ),
            None => format!(
                "<code>{}</code> {}",
                escape(&finding.resource.id),
                escape(&finding.resource.kind)
            ),
        };
        let suppressed = if finding.suppression.is_some() {
            " suppressed"
        } else {
            ""
        };
        let severity = finding.severity;
        let _ = writeln!(
            out,
            "<tr class=\"finding{suppressed}\" id=\"finding-{n}\" data-severity=\"{severity}\" data-rule=\"{}\" data-account=\"{}\" data-region=\"{}\">\
             <td><span class=\"sev sev-{severity}\">{severity}</span></td><td>{}</td><td>{resource}</td><td>{}</td><td>{}</td><td>{}</td><td>{link}</td></tr>",
            escape(&finding.rule_id),
            escape(&finding.resource.account),
            escape(&finding.resource.region),
            escape(&finding.rule_id),
            escape(&finding.resource.account),
            escape(&finding.resource.region),
            escape(&finding.message),
        );
        let evidence = serde_json::to_string_pretty(&finding.evidence).unwrap_or_default();
        let suppression = finding.suppression.as_ref().map_or_else(String::new, |s| {
            format!(
                "<p><strong>Suppressed</strong> ({}): {}</p>",
                escape(&s.source),
                escape(&s.reason)
            )
        });
        let _ = writeln!(
            out,
            "<tr id=\"finding-{n}-detail\"><td colspan=\"7\"><details><summary>Evidence and remediation</summary>\
             {suppression}<p><strong>Remediation:</strong> {}</p><pre>{}</pre></details></td></tr>",
            escape(&finding.remediation),
            escape(&evidence)
        );
    }
    out.push_str("</table>\n");
}

/// HTML text and attribute escaping (the same as SVG's: both are XML-ish here).
pub fn escape(value: &str) -> String {
    svg::escape(value)
}
