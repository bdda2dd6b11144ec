//! Diagrams: golden Mermaid and DOT text for the bundled example and a generated estate,
//! hostile names that must stay text, and a 100-environment estate that must stay within
//! Mermaid's size limit.
//!
//! Golden files live in `crates/core/tests/golden/`. After an intended change, rewrite them
//! with `VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test diagram` and review the diff.

use std::path::{Path, PathBuf};

use vpcaudit_core::config::Settings;
use vpcaudit_core::finding::{Finding, Principle, Resource, Severity};
use vpcaudit_core::model::{
    Instance, InternetGateway, RegionInventory, Route, RouteDestination, RouteState, RouteTable,
    RouteTableAssociation, RouteTarget, SecurityGroup, SecurityGroupPeer, SecurityGroupRule,
    Subnet, Vpc,
};
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

fn diagrams_of(snapshot: &Snapshot) -> Vec<diagram::VpcDiagram> {
    let settings = Settings::default();
    let evaluation = rules::evaluate(snapshot, &settings);
    diagram::build(snapshot, &settings, &evaluation.findings)
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
    let snapshot = vpcaudit_testkit::synthetic::estate(2 * 41);
    let diagrams = diagrams_of(&snapshot);
    assert_eq!(diagrams.len(), 2);
    golden(
        "synthetic-2.mmd",
        &all_text(&diagrams, |d| mermaid::render(d, diagram::GROUP_ABOVE)),
    );
    golden("synthetic-2.dot", &all_text(&diagrams, dot::render));
}

#[test]
fn hundred_environments_stay_within_mermaids_limit() {
    let snapshot = vpcaudit_testkit::synthetic::estate(100 * 41);
    let diagrams = diagrams_of(&snapshot);
    assert_eq!(diagrams.len(), 100);
    for d in &diagrams {
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
    // 400 instances in one subnet, and 199 more subnets (the default quota is 200 per VPC)
    // with three named instances each: too much for one diagram.
    let mut inventory = hostile_inventory("plain");
    for n in 0..199 {
        let subnet = format!("subnet-{n:04}");
        inventory.subnets.push(Subnet {
            id: subnet.clone(),
            vpc_id: "vpc-1".into(),
            availability_zone: format!("us-east-1{}", ["a", "b", "c"][n % 3]),
            tags: [(
                "Name".to_owned(),
                format!("a rather long subnet name number {n}"),
            )]
            .into(),
            ..Subnet::default()
        });
        for m in 0..3 {
            inventory.instances.push(Instance {
                id: format!("i-{n:04}{m}"),
                vpc_id: Some("vpc-1".into()),
                subnet_id: Some(subnet.clone()),
                tags: [("Name".to_owned(), format!("worker {m} of subnet {n}"))].into(),
                ..Instance::default()
            });
        }
    }
    for n in 0..400 {
        inventory.instances.push(Instance {
            id: format!("i-{n:05}"),
            vpc_id: Some("vpc-1".into()),
            subnet_id: Some("subnet-pub".into()),
            ..Instance::default()
        });
    }
    let snapshot = snapshot_of(inventory);
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

const HOSTILE: &str = "x\"] end; click a call alert(1) %%{init: {}}%% <script>alert('x')</script> `md` |pipe| #35; [[b]] {c} (d) \\N\\G\nnewline\r\u{7}\u{1b}[31m \u{202e}rtl";

fn hostile_inventory(name: &str) -> RegionInventory {
    let tags = |n: &str| [("Name".to_owned(), n.to_owned())].into_iter().collect();
    RegionInventory {
        account: "111122223333".into(),
        region: "us-east-1".into(),
        vpcs: vec![Vpc {
            id: "vpc-1".into(),
            tags: tags(name),
            ..Vpc::default()
        }],
        subnets: vec![Subnet {
            id: "subnet-pub".into(),
            vpc_id: "vpc-1".into(),
            availability_zone: "us-east-1a".into(),
            tags: tags(name),
            ..Subnet::default()
        }],
        route_tables: vec![RouteTable {
            id: "rtb-1".into(),
            vpc_id: "vpc-1".into(),
            routes: vec![Route {
                destination: RouteDestination::Ipv4("0.0.0.0/0".parse().unwrap()),
                target: RouteTarget::InternetGateway("igw-1".into()),
                state: RouteState::Active,
                origin: None,
            }],
            associations: vec![RouteTableAssociation {
                main: true,
                ..RouteTableAssociation::default()
            }],
            tags: tags(name),
        }],
        internet_gateways: vec![InternetGateway {
            id: "igw-1".into(),
            attached_vpc_ids: vec!["vpc-1".into()],
            tags: tags(name),
        }],
        instances: vec![Instance {
            id: "i-1".into(),
            vpc_id: Some("vpc-1".into()),
            subnet_id: Some("subnet-pub".into()),
            security_group_ids: vec!["sg-app".into()],
            tags: tags(name),
            ..Instance::default()
        }],
        security_groups: vec![SecurityGroup {
            id: "sg-app".into(),
            name: name.into(),
            vpc_id: Some("vpc-1".into()),
            ingress: vec![SecurityGroupRule {
                id: None,
                protocol: vpcaudit_core::model::Protocol("tcp".into()),
                ports: None,
                peer: SecurityGroupPeer::SecurityGroup {
                    group_id: "sg-app".into(),
                    user_id: None,
                    vpc_id: None,
                    peering_status: None,
                },
                description: Some(name.into()),
            }],
            ..SecurityGroup::default()
        }],
        ..RegionInventory::default()
    }
}

fn snapshot_of(inventory: RegionInventory) -> Snapshot {
    let mut snapshot = vpcaudit_testkit::synthetic::estate(1);
    snapshot.account = Some(inventory.account.clone());
    snapshot.accounts = vec![inventory.account.clone()];
    snapshot.regions = vec![inventory.region.clone()];
    snapshot.scopes = vec![inventory];
    snapshot
}

fn hostile_finding() -> Finding {
    Finding {
        rule_id: HOSTILE.into(),
        severity: Severity::High,
        principle: Principle::TieredSubnets,
        resource: Resource {
            kind: "AWS::EC2::Instance".into(),
            id: "i-1".into(),
            arn: "arn:aws:ec2:us-east-1:111122223333:instance/i-1".into(),
            name: Some(HOSTILE.into()),
            region: "us-east-1".into(),
            account: "111122223333".into(),
        },
        message: HOSTILE.into(),
        evidence: serde_json::json!({ "name": HOSTILE }),
        remediation: HOSTILE.into(),
        fingerprint: "f1".into(),
        suppression: None,
    }
}

#[test]
fn hostile_names_stay_text_in_mermaid() {
    let snapshot = snapshot_of(hostile_inventory(HOSTILE));
    let diagrams = diagram::build(&snapshot, &Settings::default(), &[hostile_finding()]);
    let text = mermaid::render(&diagrams[0], diagram::GROUP_ABOVE);
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
    // The escaped name is still there, readable once Mermaid decodes the entities.
    assert!(text.contains("#60;script#62;"));
    // Flagged with the finding's severity.
    assert!(text.contains("class ") && text.contains(" high"));
}

#[test]
fn hostile_names_stay_text_in_dot_and_svg() {
    let snapshot = snapshot_of(hostile_inventory(HOSTILE));
    let diagrams = diagram::build(&snapshot, &Settings::default(), &[hostile_finding()]);
    let text = dot::render(&diagrams[0]);
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
    let picture = svg::render(&diagrams[0]);
    assert!(!picture.contains("<script"));
    assert!(picture.contains("&lt;script&gt;"));
    assert!(picture.chars().all(|c| c == '\n' || !c.is_control()));
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
        markdown.matches("```mermaid\nflowchart TB").count(),
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
    report.findings.push(hostile_finding());
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
