//! `scripts/new-rule.py` writes a new rule's check, doc, fixture and registry lines. Run into
//! a scratch root holding a copy of the registry; `cargo check` of the result is left to the
//! rule author (too slow here).

use std::path::Path;
use std::process::Command;

#[test]
fn new_rule_script_writes_every_file_and_the_registry_lines() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = std::env::temp_dir().join(format!("vpcaudit-scaffold-{}", std::process::id()));
    let rules = root.join("crates/core/src/rules");
    std::fs::create_dir_all(&rules).expect("scratch dir");
    std::fs::copy(
        repo.join("crates/core/src/rules/mod.rs"),
        rules.join("mod.rs"),
    )
    .expect("copy the registry");
    let python = std::env::var("VPCAUDIT_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let status = Command::new(python)
        .arg(repo.join("scripts/new-rule.py"))
        .args(["SG099", "demo_open_thing", "A demo rule", "--root"])
        .arg(&root)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "new-rule.py failed");

    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap_or_default();
    let registry = read("crates/core/src/rules/mod.rs");
    assert!(registry.contains("\nmod demo_open_thing;\n"), "mod line");
    assert!(
        registry.contains("    rule!(\"SG099\", demo_open_thing),\n"),
        "registry line"
    );
    let check = read("crates/core/src/rules/demo_open_thing.rs");
    assert!(check.contains("pub(super) const REQUIRES") && check.contains("pub(super) fn check"));
    let doc = read("rules/SG099.md");
    let front = doc
        .strip_prefix("+++\n")
        .and_then(|rest| rest.split("\n+++\n").next())
        .expect("front matter");
    let meta: vpcaudit_core::rules::RuleMetadata = toml::from_str(front).expect("front matter");
    assert_eq!(
        (meta.id.as_str(), meta.name.as_str()),
        ("SG099", "demo-open-thing")
    );
    let fixture: serde_json::Value =
        serde_json::from_str(&read("fixtures/rules/SG099.json")).expect("fixture is JSON");
    assert_eq!(fixture["cases"].as_array().map(Vec::len), Some(2));
    let _ = std::fs::remove_dir_all(&root);
}
