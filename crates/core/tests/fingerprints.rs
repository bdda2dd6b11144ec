//! Fingerprints are a contract (README, "Fingerprints"): GitHub code-scanning alerts,
//! `--baseline` files and the Lambda job's "new findings" are keyed on them. This test pins the
//! fingerprint of every finding of the bundled example (`fixtures/acme-small.json`) and of
//! every per-rule fixture case in `fixtures/fingerprints.json`, so changing one is a
//! deliberate, visible edit.
//!
//! After a deliberate change (say so in the commit message: users' alerts and baselines
//! re-key), regenerate the file with:
//!
//! ```sh
//! VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test fingerprints
//! ```

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use vpcaudit_core::config::Settings;
use vpcaudit_core::finding::Finding;
use vpcaudit_core::snapshot::Snapshot;

use common::{audit, fixture_dir, load_fixture, parse_inventory};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pinned {
    /// The input file, and the case for per-rule fixtures: `fixtures/rules/SG001.json#name`.
    source: String,
    rule: String,
    resource: String,
    fingerprint: String,
}

fn golden_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fingerprints.json")
}

fn pin(source: &str, findings: &[Finding], out: &mut Vec<Pinned>) {
    let before = out.len();
    for f in findings {
        out.push(Pinned {
            source: source.to_owned(),
            rule: f.rule_id.clone(),
            resource: f.resource.id.clone(),
            fingerprint: f.fingerprint.clone(),
        });
    }
    let distinct: BTreeSet<&str> = out[before..]
        .iter()
        .map(|p| p.fingerprint.as_str())
        .collect();
    assert_eq!(
        distinct.len(),
        out.len() - before,
        "{source}: two findings share a fingerprint: their causes must tell them apart"
    );
}

/// Every finding of every input, sorted.
fn current() -> Vec<Pinned> {
    let mut out = Vec::new();
    let acme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/acme-small.json");
    let snapshot = Snapshot::load(&acme).unwrap_or_else(|e| panic!("{e}"));
    let evaluation = vpcaudit_core::rules::evaluate(&snapshot, &Settings::default());
    pin("fixtures/acme-small.json", &evaluation.findings, &mut out);

    let mut paths: Vec<_> = std::fs::read_dir(fixture_dir())
        .expect("fixtures/rules is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let fixture = load_fixture(&path);
        for case in &fixture.cases {
            let inventory = parse_inventory(case).unwrap_or_else(|e| panic!("{e}"));
            let source = format!("fixtures/rules/{}.json#{}", fixture.rule, case.name);
            pin(&source, &audit(inventory, &case.settings), &mut out);
        }
    }
    out.sort();
    out
}

fn render(pinned: &[Pinned]) -> String {
    let lines: Vec<String> = pinned
        .iter()
        .map(|p| format!("  {}", serde_json::to_string(p).expect("serialises")))
        .collect();
    format!("[\n{}\n]\n", lines.join(",\n"))
}

#[test]
fn fingerprints_match_the_pinned_values() {
    let current = current();
    let path = golden_path();
    if std::env::var_os("VPCAUDIT_BLESS").is_some() {
        std::fs::write(&path, render(&current)).expect("write fixtures/fingerprints.json");
        return;
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; create it with VPCAUDIT_BLESS=1", path.display()));
    let pinned: Vec<Pinned> = serde_json::from_str(&text).expect("fixtures/fingerprints.json");
    let pinned: BTreeSet<Pinned> = pinned.into_iter().collect();
    let now: BTreeSet<Pinned> = current.into_iter().collect();
    let mut diff: Vec<String> = Vec::new();
    for p in pinned.difference(&now) {
        diff.push(format!(
            "- {} {} {} {}",
            p.source, p.rule, p.resource, p.fingerprint
        ));
    }
    for p in now.difference(&pinned) {
        diff.push(format!(
            "+ {} {} {} {}",
            p.source, p.rule, p.resource, p.fingerprint
        ));
    }
    assert!(
        diff.is_empty(),
        "fingerprints changed (- pinned, + now). A changed fingerprint re-keys users' GitHub \
         alerts and baselines: if that is deliberate, say so in the commit message and run\n  \
         VPCAUDIT_BLESS=1 cargo test -p vpcaudit-core --test fingerprints\n{}",
        diff.join("\n")
    );
}
