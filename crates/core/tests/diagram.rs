//! Diagrams: golden Mermaid and DOT text for the bundled example and a generated estate,
//! hostile names that must stay text, and a 100-environment estate that must stay within
//! Mermaid's size limit.
//!
//! Golden files live in `crates/core/tests/golden/`. After an intended change, rewrite them
//! with `VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test diagram` and review the diff.

use std::path::{Path, PathBuf};

mod inventories;

use inventories::{
    HOSTILE, crowded_inventory, diagrams_of, estate_with_replies, exposure_inventory,
    hostile_finding, hostile_inventory, snapshot_of,
};
use vpcaudit_core::config::Settings;
use vpcaudit_core::model::{Instance, NetworkInterface, NetworkInterfaceAttachment, Target};
use vpcaudit_core::report::diagram::{self, MERMAID_MAX_TEXT, dot, mermaid, svg};
use vpcaudit_core::rules;
use vpcaudit_core::snapshot::Snapshot;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("VPCAUDIT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test diagram",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name} differs from {}; if the change is intended, rerun with VPCAUDIT_BLESS=1 and \
         review the diff\n--- actual ---\n{actual}",
        path.display()
    );
}

fn all_text(
    diagrams: &[diagram::VpcDiagram],
    render: impl Fn(&diagram::VpcDiagram) -> String,
) -> String {
    diagrams.iter().map(render).collect::<Vec<_>>().join("\n")
}

#[test]
fn bundled_example_golden() {
    let snapshot = Snapshot::load(&repo_root().join("fixtures/acme-small.json")).unwrap();
    let diagrams = diagrams_of(&snapshot);
    assert_eq!(diagrams.len(), 3, "one diagram per VPC");
    assert!(diagrams.iter().any(|d| d.has_findings()));
    golden(
        "acme-small.mmd",
        &all_text(&diagrams, |d| mermaid::render(d, diagram::GROUP_ABOVE)),
    );
    golden("acme-small.dot", &all_text(&diagrams, dot::render));
    // Deterministic: a second build gives the same text.
    let again = diagrams_of(&snapshot);
    assert_eq!(diagrams, again);
}

#[test]
fn generated_estate_golden() {
    let snapshot = vpcaudit_testkit::synthetic::estate(
        2 * vpcaudit_testkit::synthetic::RESOURCES_PER_ENVIRONMENT,
    );
    let diagrams = diagrams_of(&snapshot);
    assert_eq!(diagrams.len(), 2);
    golden(
        "synthetic-2.mmd",
        &all_text(&diagrams, |d| mermaid::render(d, diagram::GROUP_ABOVE)),
    );
    golden("synthetic-2.dot", &all_text(&diagrams, dot::render));
}

#[test]
fn exposure_paths_golden() {
    let snapshot = snapshot_of(exposure_inventory("partner-nlb", "partner-api"));
    let diagrams = diagrams_of(&snapshot);
    assert_eq!(diagrams.len(), 1);
    let text = mermaid::render(&diagrams[0], diagram::GROUP_ABOVE);
    // SSH from the world straight into the bastion, through the internet gateway.
    assert!(
        text.contains("igw_vpc_1_igw_1 ==>|\"tcp/22 from the world\"| i_i_bastion_subnet_pub_a"),
        "{text}"
    );
    // The NLB without security groups: the world on 443, then on to its targets.
    assert!(
        text.contains(
            "igw_vpc_1_igw_1 ==>|\"tcp/443 from the world\"| nlb_partner_nlb_subnet_pub_a"
        ),
        "{text}"
    );
    assert!(
        text.contains("nlb_partner_nlb_subnet_pub_b ==>|\"tcp/443 #40;partner-api#41;\"| i_i_api_2_subnet_app_b"),
        "{text}"
    );
    assert!(text.contains("linkStyle ") && text.contains("stroke:#dc2626"));
    golden("exposure.mmd", &text);
    golden("exposure.dot", &dot::render(&diagrams[0]));
    assert!(svg::render(&diagrams[0]).contains("class=\"x-world\""));
}

#[test]
fn exposure_edges_collapse_per_group_and_survive_a_split() {
    // Twenty more API instances in app-a: drawn as one counted group, reached by one edge.
    let mut inventory = exposure_inventory("partner-nlb", "partner-api");
    for n in 0..20 {
        let id = format!("i-more-{n:02}");
        inventory.instances.push(Instance {
            id: id.clone(),
            vpc_id: Some("vpc-1".into()),
            subnet_id: Some("subnet-app-a".into()),
            security_group_ids: vec!["sg-api".into()],
            ..Instance::default()
        });
        inventory.network_interfaces.push(NetworkInterface {
            id: format!("eni-more-{n:02}"),
            subnet_id: Some("subnet-app-a".into()),
            vpc_id: Some("vpc-1".into()),
            security_group_ids: vec!["sg-api".into()],
            private_ip: Some(format!("10.0.2.{}", 100 + n)),
            instance_id: Some(id.clone()),
            attachment: Some(NetworkInterfaceAttachment {
                instance_id: Some(id.clone()),
                device_index: Some(0),
                ..NetworkInterfaceAttachment::default()
            }),
            ..NetworkInterface::default()
        });
        let tg = inventory.target_groups[0].arn.clone();
        inventory.targets.push(Target {
            target_group_arn: tg,
            id,
            port: Some(443),
            ..Target::default()
        });
    }
    let snapshot = snapshot_of(inventory);
    let diagrams = diagrams_of(&snapshot);
    let text = mermaid::render(&diagrams[0], diagram::GROUP_ABOVE);
    assert!(text.contains("21 × EC2 instances"), "{text}");
    let into_group: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("==>") && l.ends_with(" subnet_subnet_app_a_i"))
        .collect();
    assert_eq!(into_group.len(), 1, "{text}");
    assert_eq!(text, mermaid::render(&diagrams[0], diagram::GROUP_ABOVE));
    // Split per tier, each part keeps the exposure edges of its own boxes.
    let public = diagrams[0].tier_part(diagram::TierRow::Public);
    let part = mermaid::render(&public, diagram::GROUP_ABOVE);
    assert!(part.contains("tcp/22 from the world"), "{part}");
    assert!(part.contains("tcp/443 from the world"), "{part}");
    assert!(
        part.contains("internet_vpc_vpc_1 ==> igw_vpc_1_igw_1"),
        "{part}"
    );
}

#[test]
fn hundred_environments_stay_within_mermaids_limit() {
    let snapshot = estate_with_replies(100);
    let diagrams = diagrams_of(&snapshot);
    assert_eq!(diagrams.len(), 100);
    for d in &diagrams {
        assert!(
            d.edges
                .iter()
                .any(|e| matches!(e.kind, diagram::EdgeKind::Exposure(_))),
            "{}: no exposure edge",
            d.vpc_id
        );
        for rendered in mermaid::render_within_limit(d) {
            assert!(
                rendered.text.len() < MERMAID_MAX_TEXT,
                "{}: {} characters",
                rendered.title,
                rendered.text.len()
            );
        }
    }
}

#[test]
fn a_crowded_vpc_is_split_per_tier_then_counted() {
    let snapshot = snapshot_of(crowded_inventory());
    let diagrams = diagram::build(&snapshot, &Settings::default(), &[]);
    let whole = mermaid::render(&diagrams[0], diagram::GROUP_ABOVE);
    assert!(
        whole.contains("401 × EC2 instances"),
        "instances are counted"
    );
    assert!(
        whole.len() >= MERMAID_MAX_TEXT,
        "the case must need a split"
    );
    let parts = mermaid::render_within_limit(&diagrams[0]);
    assert!(!parts.is_empty());
    assert!(parts.iter().all(|p| p.text.len() < MERMAID_MAX_TEXT));
}

#[test]
fn hostile_names_stay_text_in_mermaid() {
    let snapshot = snapshot_of(hostile_inventory(HOSTILE));
    let diagrams = diagram::build(&snapshot, &Settings::default(), &[hostile_finding(HOSTILE)]);
    let text = mermaid::render(&diagrams[0], diagram::GROUP_ABOVE);
    assert_mermaid_text(&text);
    // The escaped name is still there, readable once Mermaid decodes the entities.
    assert!(text.contains("#60;script#62;"));
    // Flagged with the finding's severity.
    assert!(text.contains("class ") && text.contains(" high"));
}

/// A hostile load balancer name (its box) and target-group name (the label of the path from
/// the load balancer to its targets) stay text too.
#[test]
fn hostile_load_balancer_and_path_labels_stay_text() {
    let snapshot = snapshot_of(exposure_inventory(HOSTILE, HOSTILE));
    let diagrams = diagrams_of(&snapshot);
    let text = mermaid::render(&diagrams[0], diagram::GROUP_ABOVE);
    assert_mermaid_text(&text);
    let lb_box = text
        .lines()
        .find(|l| l.contains("network load balancer"))
        .expect("the load balancer is drawn");
    assert!(lb_box.contains("#60;script#62;"), "{lb_box}");
    let path = text
        .lines()
        .find(|l| l.contains("==>|\"tcp/443 #40;x#34;#93; end#59;"))
        .expect("the path to the targets is labelled with the escaped target group");
    assert!(path.ends_with("| i_i_api_1_subnet_app_a"), "{path}");
    assert_dot_text(&dot::render(&diagrams[0]));
    let picture = svg::render(&diagrams[0]);
    assert!(!picture.contains("<script"));
    assert!(picture.contains("&lt;script&gt;"));
    assert!(picture.chars().all(|c| c == '\n' || !c.is_control()));
}

fn assert_mermaid_text(text: &str) {
    for line in text.lines() {
        // Every label is one quoted string: quotes appear only as its delimiters, and no
        // character that Mermaid or HTML would read as syntax survives inside it.
        for quoted in line.split('"').skip(1).step_by(2) {
            let without_breaks = quoted.replace("<br/>", "");
            assert!(
                !without_breaks
                    .contains(['<', '>', '[', ']', '{', '}', '|', '%', '`', '\\', '\''].as_slice()),
                "unescaped syntax in label: {quoted}"
            );
        }
        assert!(!line.contains("<script"), "{line}");
        assert!(!line.contains("%%{"), "{line}");
        assert!(
            line.chars().all(|c| !c.is_control()),
            "control character in {line:?}"
        );
        assert_eq!(
            line.matches('"').count() % 2,
            0,
            "unbalanced quotes: {line}"
        );
    }
}

#[test]
fn hostile_names_stay_text_in_dot_and_svg() {
    let snapshot = snapshot_of(hostile_inventory(HOSTILE));
    let diagrams = diagram::build(&snapshot, &Settings::default(), &[hostile_finding(HOSTILE)]);
    assert_dot_text(&dot::render(&diagrams[0]));
    let picture = svg::render(&diagrams[0]);
    assert!(!picture.contains("<script"));
    assert!(picture.contains("&lt;script&gt;"));
    assert!(picture.chars().all(|c| c == '\n' || !c.is_control()));
}

fn assert_dot_text(text: &str) {
    for line in text.lines() {
        assert!(
            line.chars().all(|c| !c.is_control()),
            "control character in {line:?}"
        );
        // Outside quoted strings, only ids and DOT syntax: count unescaped quotes.
        let mut unescaped = 0;
        let mut previous_backslashes = 0;
        for c in line.chars() {
            if c == '"' && previous_backslashes % 2 == 0 {
                unescaped += 1;
            }
            previous_backslashes = if c == '\\' {
                previous_backslashes + 1
            } else {
                0
            };
        }
        assert_eq!(unescaped % 2, 0, "unbalanced quotes: {line}");
    }
    // A backslash is always escaped (`\\`), escapes a quote, or is our own line break.
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let next = chars.next();
            assert!(
                matches!(next, Some('\\' | '"' | 'n')),
                "raw escape \\{next:?}"
            );
        }
    }
}

#[test]
fn svg_of_the_bundled_example_anchors_every_placed_finding() {
    let snapshot = Snapshot::load(&repo_root().join("fixtures/acme-small.json")).unwrap();
    for d in diagrams_of(&snapshot) {
        let picture = svg::render(&d);
        for node in d.placements.values() {
            let anchor = d.anchor_of(node, diagram::GROUP_ABOVE);
            assert!(
                picture.contains(&format!("id=\"n-{anchor}\"")),
                "{node} has no anchor"
            );
        }
    }
}

/// Graphviz must accept the generated DOT. Needs `dot` (Debian: `apt-get install graphviz`);
/// without it the test says so, and fails under CI=true rather than pass silently.
#[test]
fn graphviz_renders_the_bundled_example() {
    let available = std::process::Command::new("dot").arg("-V").output().is_ok();
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "`dot` (Graphviz) is required for this test under CI: apt-get install graphviz"
        );
        eprintln!("skipped: `dot` (Graphviz) is not installed");
        return;
    }
    let snapshot = Snapshot::load(&repo_root().join("fixtures/acme-small.json")).unwrap();
    for d in diagrams_of(&snapshot) {
        let mut child = std::process::Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot::render(&d).as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{}: dot failed: {stderr}",
            d.vpc_id
        );
        assert!(!stderr.contains("Error"), "{}: {stderr}", d.vpc_id);
        assert!(String::from_utf8_lossy(&output.stdout).contains("<svg"));
    }
}

#[test]
fn markdown_embeds_the_diagrams_of_vpcs_with_findings() {
    let snapshot = Snapshot::load(&repo_root().join("fixtures/acme-small.json")).unwrap();
    let settings = Settings::default();
    let report =
        vpcaudit_core::report::Report::build(&snapshot, rules::evaluate(&snapshot, &settings));
    let diagrams = diagram::build(&snapshot, &settings, &report.findings);
    let markdown = vpcaudit_core::report::markdown::render_with_diagrams(&report, &diagrams);
    let flagged = diagrams.iter().filter(|d| d.has_findings()).count();
    assert!(flagged > 0);
    assert_eq!(
        markdown.matches("```mermaid\n---\nconfig:").count(),
        flagged
    );
    assert_eq!(markdown.matches("<details><summary>").count(), flagged);
}

#[test]
fn html_report_is_self_contained_and_escaped() {
    let snapshot = snapshot_of(hostile_inventory(HOSTILE));
    let settings = Settings::default();
    let mut report =
        vpcaudit_core::report::Report::build(&snapshot, rules::evaluate(&snapshot, &settings));
    report.findings.push(hostile_finding(HOSTILE));
    let diagrams = diagram::build(&snapshot, &settings, &report.findings);
    let html = vpcaudit_core::report::html::render(&report, &diagrams);
    // Exactly the one inline script: nothing from the account became markup.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("&lt;script&gt;alert("));
    // Nothing to fetch: no URL but the SVG namespace.
    let urls = html.matches("http://").count() + html.matches("https://").count();
    assert_eq!(urls, html.matches("http://www.w3.org/2000/svg").count());
    // The finding links to its box in the diagram.
    assert!(html.contains("href=\"#n-i_i_1_subnet_pub\""), "{html}");
    assert!(html.contains("id=\"n-i_i_1_subnet_pub\""));
    for key in ["severity", "rule", "account", "region"] {
        assert!(html.contains(&format!("id=\"filter-{key}\"")));
    }
}
