//! The diagrams and the HTML report in a real browser: headless Chromium (Debian's `chromium`)
//! driven by Playwright (npm `playwright-core`) through the scripts in `tests/browser/`.
//!
//! - Mermaid's own JS (npm `mermaid`) renders the Mermaid text of the bundled example, of the
//!   golden fixtures, of a crowded VPC split per tier, of a 100-environment estate and of
//!   inventories with hostile names: each must draw, within Mermaid's default 50,000-character
//!   limit, without its error picture, and a hostile name must draw exactly the elements a
//!   plain name draws.
//! - The HTML report opens from a file with no request but itself and no console error; the
//!   severity filter leaves exactly that severity's rows; each finding's link leads to an
//!   element of the diagram; hostile names run nothing and add no element.
//!
//! Tools: `node` on the PATH (or `VPCAUDIT_NODE`), `VPCAUDIT_CHROMIUM` (default
//! `/usr/bin/chromium`) and `VPCAUDIT_NODE_MODULES` (default `~/.cache/vpcaudit/npm/node_modules`)
//! holding `mermaid` and `playwright-core`; `scripts/test.sh` installs them. Without them the
//! tests say so and return, but fail under `CI=true` rather than pass silently.
//!
//! `VPCAUDIT_SCREENSHOTS=1 cargo test -p vpcaudit-core --test browser -- --ignored` redraws the
//! PNGs in `docs/`.

mod inventories;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use inventories::{
    HOSTILE, crowded_inventory, diagrams_of, estate_with_replies, exposure_inventory,
    hostile_finding, hostile_inventory, snapshot_of,
};
use serde_json::{Value, json};
use vpcaudit_core::config::Settings;
use vpcaudit_core::finding::Severity;
use vpcaudit_core::report::diagram::{self, MERMAID_MAX_TEXT, mermaid};
use vpcaudit_core::report::{Report, html};
use vpcaudit_core::rules;
use vpcaudit_core::snapshot::Snapshot;

/// Names that try to run code, close a label or a tag, start a Mermaid directive or a click
/// handler, or sneak in pre-escaped markup. Each is under Mermaid labels' 60-character cut, so
/// the whole of it reaches the renderers; `HOSTILE` (cut) adds control characters.
const HOSTILE_NAMES: &[&str] = &[
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=2</script>",
    "x\"]-->y[\"pwned\"] %%{init: {'securityLevel':'loose'}}%%",
    "]) end; click i_i_1_subnet_pub call alert(1)",
    "&lt;img src=x onerror=window.__pwned=3&gt;",
    "#60;img src=x onerror=window.__pwned=4#62; #quot;",
    "<svg onload=window.__pwned=5> `**md**` 'q' [[b]] {c} |p|",
    HOSTILE,
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Tools {
    node: PathBuf,
    chromium: PathBuf,
    node_modules: PathBuf,
}

/// The browser tools, or `None` (with a notice) when one is missing outside CI.
fn tools() -> Option<Tools> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let home = var("HOME").map(PathBuf::from).unwrap_or_default();
    let tools = Tools {
        node: var("VPCAUDIT_NODE").map_or_else(|| "node".into(), PathBuf::from),
        chromium: var("VPCAUDIT_CHROMIUM")
            .map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from),
        node_modules: var("VPCAUDIT_NODE_MODULES").map_or_else(
            || home.join(".cache/vpcaudit/npm/node_modules"),
            PathBuf::from,
        ),
    };
    let mut missing = Vec::new();
    if Command::new(&tools.node).arg("--version").output().is_err() {
        missing.push(format!("node ({})", tools.node.display()));
    }
    if !tools.chromium.is_file() {
        missing.push(format!(
            "Chromium ({}; apt-get install chromium, or set VPCAUDIT_CHROMIUM)",
            tools.chromium.display()
        ));
    }
    for package in [
        "mermaid/dist/mermaid.min.js",
        "playwright-core/package.json",
    ] {
        if !tools.node_modules.join(package).is_file() {
            missing.push(format!(
                "{} (scripts/test.sh installs the pinned mermaid and playwright-core into \
                 ~/.cache/vpcaudit/npm; or set VPCAUDIT_NODE_MODULES)",
                tools.node_modules.join(package).display()
            ));
        }
    }
    if missing.is_empty() {
        return Some(tools);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the browser tests need, under CI: {}",
        missing.join("; ")
    );
    eprintln!("skipped: missing {}", missing.join("; "));
    None
}

/// Runs `tests/browser/<script>` on `input` and returns what it reports.
fn drive(tools: &Tools, script: &str, dir: &Path, input: &Value) -> Value {
    let input_path = dir.join(format!("{script}.input.json"));
    let output_path = dir.join(format!("{script}.output.json"));
    std::fs::write(&input_path, serde_json::to_vec(input).unwrap()).unwrap();
    let started = Instant::now();
    let output = Command::new(&tools.node)
        .arg(repo_root().join("tests/browser").join(script))
        .arg(&input_path)
        .arg(&output_path)
        .env("VPCAUDIT_CHROMIUM", &tools.chromium)
        .env("VPCAUDIT_NODE_MODULES", &tools.node_modules)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{script}: {:.1} s", started.elapsed().as_secs_f64());
    serde_json::from_slice(&std::fs::read(&output_path).unwrap()).unwrap()
}

/// Every Mermaid diagram that `vpcaudit diagram` prints for `diagrams`, named `case/title`.
fn mermaid_texts(case: &str, diagrams: &[diagram::VpcDiagram]) -> Vec<(String, String)> {
    diagrams
        .iter()
        .flat_map(mermaid::render_within_limit)
        .map(|part| (format!("{case}/{}", part.title), part.text))
        .collect()
}

/// The hostile inventories' diagrams for one name: the account whose every name it is (with a
/// finding named after it), and the load balancer and target group named after it.
fn hostile_diagrams(name: &str) -> Vec<diagram::VpcDiagram> {
    let snapshot = snapshot_of(hostile_inventory(name));
    let mut diagrams = diagram::build(&snapshot, &Settings::default(), &[hostile_finding(name)]);
    diagrams.extend(diagrams_of(&snapshot_of(exposure_inventory(name, name))));
    diagrams
}

/// Problems in what a driver saw the page do besides drawing.
fn page_problems(what: &str, seen: &Value, allowed_request: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    for request in seen["requests"].as_array().into_iter().flatten() {
        let url = request.as_str().unwrap_or_default();
        if Some(url) != allowed_request && !url.starts_with("data:") {
            problems.push(format!("{what}: requested {url}"));
        }
    }
    for key in ["console_errors", "page_errors"] {
        for message in seen[key].as_array().into_iter().flatten() {
            problems.push(format!("{what}: {key}: {message}"));
        }
    }
    if !seen["pwned"].is_null() {
        problems.push(format!(
            "{what}: injected code ran (window.__pwned = {})",
            seen["pwned"]
        ));
    }
    problems
}

#[test]
fn mermaid_renders_every_diagram_in_chromium() {
    let Some(tools) = tools() else { return };
    let acme = Snapshot::load(&repo_root().join("fixtures/acme-small.json")).unwrap();
    let mut cases = mermaid_texts("acme-small", &diagrams_of(&acme));
    let synthetic = vpcaudit_testkit::synthetic::estate(
        2 * vpcaudit_testkit::synthetic::RESOURCES_PER_ENVIRONMENT,
    );
    cases.extend(mermaid_texts("synthetic-2", &diagrams_of(&synthetic)));
    cases.extend(mermaid_texts(
        "exposure",
        &diagrams_of(&snapshot_of(exposure_inventory(
            "partner-nlb",
            "partner-api",
        ))),
    ));
    let crowded = diagram::build(&snapshot_of(crowded_inventory()), &Settings::default(), &[]);
    // Too large whole: drawn per tier, counted further.
    let whole = mermaid::render(&crowded[0], diagram::GROUP_ABOVE);
    let crowded = mermaid_texts("crowded", &crowded);
    assert!(crowded.iter().all(|(_, text)| *text != whole));
    cases.extend(crowded);
    cases.extend(mermaid_texts(
        "estate-100",
        &diagrams_of(&estate_with_replies(100)),
    ));
    // Each hostile name, and the same inventories with a plain name to compare against.
    let plain_start = cases.len();
    cases.extend(mermaid_texts("plain", &hostile_diagrams("plain")));
    let plain_range = plain_start..cases.len();
    for (n, name) in HOSTILE_NAMES.iter().enumerate() {
        cases.extend(mermaid_texts(
            &format!("hostile-{n}"),
            &hostile_diagrams(name),
        ));
    }

    let mut problems = Vec::new();
    for (name, text) in &cases {
        // Mermaid would draw "Maximum text size in diagram exceeded" instead; never raise it.
        if text.len() >= MERMAID_MAX_TEXT {
            problems.push(format!("{name}: {} characters", text.len()));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let input = json!({
        "diagrams": cases.iter().map(|(name, text)| json!({ "name": name, "text": text })).collect::<Vec<_>>(),
    });
    let report = drive(&tools, "mermaid.mjs", dir.path(), &input);
    eprintln!(
        "mermaid {}: {} diagrams",
        report["version"].as_str().unwrap_or("?"),
        cases.len()
    );
    problems.extend(page_problems("mermaid page", &report, None));
    let drawn = report["diagrams"].as_array().unwrap();
    assert_eq!(drawn.len(), cases.len());
    for facts in drawn {
        let name = facts["name"].as_str().unwrap();
        if !facts["error"].is_null() {
            problems.push(format!("{name}: {}", facts["error"]));
            continue;
        }
        if facts["error_picture"] != json!(false) {
            problems.push(format!("{name}: Mermaid drew its error picture"));
        }
        if facts["width"].as_f64().unwrap_or(0.0) < 1.0
            || facts["height"].as_f64().unwrap_or(0.0) < 1.0
        {
            problems.push(format!("{name}: drawn empty"));
        }
        for danger in facts["dangers"].as_array().into_iter().flatten() {
            problems.push(format!("{name}: {danger} in the drawing"));
        }
        for hidden in facts["hidden_titles"].as_array().into_iter().flatten() {
            problems.push(format!("{name}: title {hidden}"));
        }
    }
    // A hostile name is text: the drawing has exactly the elements of the plain one, and the
    // name can be read in it.
    let plain_drawn = &drawn[plain_range];
    for (n, name) in HOSTILE_NAMES.iter().enumerate() {
        let prefix = format!("hostile-{n}/");
        let hostile: Vec<&Value> = drawn
            .iter()
            .filter(|d| d["name"].as_str().unwrap().starts_with(&prefix))
            .collect();
        assert_eq!(hostile.len(), plain_drawn.len(), "{prefix}");
        for (hostile, plain) in hostile.iter().zip(plain_drawn) {
            if hostile["elements"] != plain["elements"] {
                problems.push(format!(
                    "{}: elements {} differ from the plain name's {}",
                    hostile["name"], hostile["elements"], plain["elements"]
                ));
            }
        }
        let readable: String = diagram::clean_text(name, diagram::MAX_LINE)
            .chars()
            .take(24)
            .collect();
        if !hostile
            .iter()
            .any(|d| d["text"].as_str().unwrap_or_default().contains(&readable))
        {
            problems.push(format!(
                "{prefix}: the name {readable:?} is not drawn as text"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// An HTML report to open, and what its findings are.
struct Page {
    name: String,
    file: PathBuf,
    report: Report,
    /// Text that must be readable on the page.
    expect_text: Option<String>,
}

/// The HTML report of `snapshot`, plus a finding whose every text is `finding_text`.
fn write_report(dir: &Path, name: &str, snapshot: &Snapshot, finding_text: Option<&str>) -> Page {
    let settings = Settings::default();
    let mut report = Report::build(snapshot, rules::evaluate(snapshot, &settings));
    if let Some(text) = finding_text {
        report.findings.push(hostile_finding(text));
    }
    let diagrams = diagram::build(snapshot, &settings, &report.findings);
    let file = dir.join(format!("{name}.html"));
    std::fs::write(&file, html::render(&report, &diagrams)).unwrap();
    Page {
        name: name.to_owned(),
        file,
        report,
        expect_text: finding_text.map(|t| diagram::clean_text(t, usize::MAX)),
    }
}

#[test]
fn html_report_works_offline_in_chromium() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let acme = Snapshot::load(&repo_root().join("fixtures/acme-small.json")).unwrap();
    let mut pages = vec![write_report(dir.path(), "acme-small", &acme, None)];
    // Each hostile name as every name of an account and as a finding's every text, beside
    // the same account with a plain name.
    for (n, name) in HOSTILE_NAMES.iter().enumerate() {
        let plain = format!("plain{n}");
        let hostile = snapshot_of(hostile_inventory(name));
        pages.push(write_report(
            dir.path(),
            &format!("hostile-{n}"),
            &hostile,
            Some(name),
        ));
        let twin = snapshot_of(hostile_inventory(&plain));
        pages.push(write_report(dir.path(), &plain, &twin, Some(&plain)));
    }
    let input = json!({
        "pages": pages.iter().map(|p| json!({
            "name": p.name,
            "file": p.file,
            "expect_text": p.expect_text,
        })).collect::<Vec<_>>(),
    });
    let output = drive(&tools, "html_report.mjs", dir.path(), &input);
    let opened = output["pages"].as_array().unwrap();
    assert_eq!(opened.len(), pages.len());
    let mut problems = Vec::new();
    let by_name: BTreeMap<&str, &Value> = opened
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p))
        .collect();
    for (page, facts) in pages.iter().zip(opened) {
        let what = &page.name;
        problems.extend(page_problems(what, facts, facts["url"].as_str()));
        if facts["scripts"] != json!(1) {
            problems.push(format!(
                "{what}: {} scripts, not the report's one",
                facts["scripts"]
            ));
        }
        for danger in facts["dangers"].as_array().into_iter().flatten() {
            problems.push(format!("{what}: {danger}"));
        }
        let findings = page.report.findings.len();
        if facts["rows"] != json!(findings) || facts["visible_unfiltered"] != json!(findings) {
            problems.push(format!(
                "{what}: {} rows, {} visible, for {findings} findings",
                facts["rows"], facts["visible_unfiltered"]
            ));
        }
        // Each severity chosen in the filter leaves exactly that severity's findings.
        for filter in facts["filters"].as_array().unwrap() {
            let severity = filter["severity"].as_str().unwrap();
            let expected = page
                .report
                .findings
                .iter()
                .filter(|f| f.severity.to_string() == severity)
                .count();
            let visible = filter["visible"].as_array().unwrap();
            if visible.len() != expected
                || visible.iter().any(|s| s != severity)
                || filter["shown"] != json!(expected.to_string())
            {
                problems.push(format!(
                    "{what}: filtered to {severity}, rows {} and {} shown, expected {expected}",
                    filter["visible"], filter["shown"]
                ));
            }
        }
        let offered = facts["filters"].as_array().unwrap().len();
        assert_eq!(offered, Severity::descending().count(), "{what}");
        // Every "show" link leads to an element of a diagram, and following one marks it.
        let links = facts["links"].as_array().unwrap();
        for link in links {
            if link["target"].is_null() || !link["href"].as_str().unwrap().starts_with("#n-") {
                problems.push(format!("{what}: the link {} leads nowhere", link["href"]));
            }
        }
        if let Some(first) = links.first() {
            let followed = &facts["followed"];
            if followed["hash"] != first["href"]
                || Some(followed["target"].as_str().unwrap_or_default())
                    != first["href"].as_str().map(|h| &h[1..])
            {
                problems.push(format!(
                    "{what}: following {} gave {followed}",
                    first["href"]
                ));
            }
        }
        if let Some(text) = &page.expect_text
            && facts["found_text"] != json!(true)
        {
            problems.push(format!("{what}: {text:?} is not on the page as text"));
        }
    }
    // The bundled example: findings of several severities, and links into its diagrams.
    let acme = by_name["acme-small"];
    let severities_with_rows = acme["filters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["visible"].as_array().unwrap().is_empty())
        .count();
    assert!(severities_with_rows >= 2, "{acme}");
    assert!(
        !acme["links"].as_array().unwrap().is_empty(),
        "no links in {acme}"
    );
    // A hostile name adds no element: the page is built exactly as the plain twin's.
    for n in 0..HOSTILE_NAMES.len() {
        let hostile = by_name[format!("hostile-{n}").as_str()];
        let plain = by_name[format!("plain{n}").as_str()];
        if hostile["elements"] != plain["elements"] {
            problems.push(format!(
                "hostile-{n}: elements {} differ from the plain name's {}",
                hostile["elements"], plain["elements"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Redraws the README's pictures of Mermaid diagrams in `docs/` (or `VPCAUDIT_SCREENSHOTS_DIR`):
/// the bundled example's staging VPC as Mermaid draws it, and a contact sheet of the 20 VPCs of
/// a generated 20-environment estate.
/// `cargo test -p vpcaudit-core --test browser -- --ignored screenshots`.
#[test]
#[ignore = "writes PNGs into docs/; run on demand"]
fn screenshots_for_the_readme() {
    let Some(tools) = tools() else { return };
    let out = std::env::var_os("VPCAUDIT_SCREENSHOTS_DIR")
        .map_or_else(|| repo_root().join("docs"), PathBuf::from);
    let acme = Snapshot::load(&repo_root().join("fixtures/acme-small.json")).unwrap();
    let (_, staging) = mermaid_texts("acme", &diagrams_of(&acme))
        .into_iter()
        .find(|(name, _)| name.starts_with("acme/acme-staging "))
        .expect("the bundled example has acme-staging");
    let snapshot = estate_with_replies(20);
    let findings = rules::evaluate(&snapshot, &Settings::default()).findings;
    let estate = diagram::build(&snapshot, &Settings::default(), &findings);
    // Each VPC's name, findings and worst severity, readable at the sheet's scale.
    let captions: Vec<String> = estate
        .iter()
        .map(|d| {
            let drawn: Vec<Severity> = findings
                .iter()
                .filter(|f| d.placements.contains_key(&f.fingerprint))
                .map(|f| f.severity)
                .collect();
            let worst = drawn
                .iter()
                .max()
                .map_or(String::new(), |s| format!(", worst {s}"));
            let count = match drawn.len() {
                1 => "1 finding".to_owned(),
                n => format!("{n} findings"),
            };
            format!("{}: {count}{worst}", d.name.as_deref().unwrap_or(&d.vpc_id))
        })
        .collect();
    let estate: Vec<String> = mermaid_texts("estate", &estate)
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    assert_eq!(estate.len(), 20);
    let shots = json!({ "diagrams": [
        {
            "name": "acme-staging",
            "text": staging,
            "max_width": 1800,
            "png": out.join("diagram-acme-staging-mermaid.png"),
        },
        {
            "name": "estate-20",
            "texts": estate,
            "captions": captions,
            "columns": 4,
            "cell": 380,
            "png": out.join("diagram-estate-20-mermaid.png"),
        },
    ]});
    let dir = tempfile::tempdir().unwrap();
    let report = drive(&tools, "mermaid.mjs", dir.path(), &shots);
    for facts in report["diagrams"].as_array().unwrap() {
        assert!(facts["error"].is_null(), "{facts}");
    }
}
