//! Shared by the tests that run the per-rule fixtures (`fixtures/rules/<ID>.json`): loading
//! them and auditing one case. The format is described in `rule_cases.rs`.

#![allow(dead_code)] // each test crate uses a different part

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use vpcaudit_core::config::{CLOUDFLARE_RANGES, Settings, parse_ranges};
use vpcaudit_core::finding::{Finding, Severity};
use vpcaudit_core::model::RegionInventory;
use vpcaudit_core::rules::Evaluation;
use vpcaudit_core::snapshot::{Coverage, SNAPSHOT_FORMAT_VERSION, Snapshot, ToolInfo};

pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "eu-west-1";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub rule: String,
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub known_bug: Option<String>,
    pub expected: Vec<(String, String)>,
    #[serde(default)]
    pub severities: BTreeMap<String, Severity>,
    #[serde(default)]
    pub settings: Settings,
    /// Kept as JSON so unknown keys can be found before it is turned into the model.
    pub inventory: Value,
}

impl Case {
    pub fn expects(&self, rule_id: &str) -> bool {
        self.expected.iter().any(|(rule, _)| rule == rule_id)
    }
}

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules")
}

pub fn fixture_path(rule_id: &str) -> PathBuf {
    fixture_dir().join(format!("{rule_id}.json"))
}

pub fn load_fixture(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Paths (`subnets[0].tags_`) of keys in `given` that are absent from `parsed`, the
/// re-serialised model: keys serde ignored, which in a fixture are typos.
pub fn unknown_keys(given: &Value, parsed: &Value, path: &str, out: &mut Vec<String>) {
    match (given, parsed) {
        (Value::Object(given), Value::Object(parsed)) => {
            for (key, value) in given {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match parsed.get(key) {
                    Some(parsed_value) => unknown_keys(value, parsed_value, &here, out),
                    // An explicit null for an omitted optional field is not a typo.
                    None if value.is_null() => {}
                    None => out.push(here),
                }
            }
        }
        (Value::Array(given), Value::Array(parsed)) => {
            for (i, (g, p)) in given.iter().zip(parsed).enumerate() {
                unknown_keys(g, p, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

pub fn parse_inventory(case: &Case) -> Result<RegionInventory, String> {
    let mut inventory: RegionInventory = serde_json::from_value(case.inventory.clone())
        .map_err(|e| format!("inventory does not parse: {e}"))?;
    let reserialized = serde_json::to_value(&inventory).expect("inventory serialises");
    let mut unknown = Vec::new();
    unknown_keys(&case.inventory, &reserialized, "inventory", &mut unknown);
    if !unknown.is_empty() {
        return Err(format!("unknown keys (typos?): {}", unknown.join(", ")));
    }
    if inventory.account.is_empty() {
        inventory.account = ACCOUNT.to_owned();
    }
    if inventory.region.is_empty() {
        inventory.region = REGION.to_owned();
    }
    Ok(inventory)
}

pub fn audit(inventory: RegionInventory, settings: &Settings) -> Vec<Finding> {
    let (_, evaluation) = audit_evaluation(inventory, settings, Coverage::default());
    assert!(
        evaluation.not_evaluated.is_empty(),
        "rules not evaluated with full coverage: {:?}",
        evaluation.not_evaluated
    );
    evaluation.findings
}

/// Audits one account and region with the given coverage: the snapshot and the evaluation.
pub fn audit_evaluation(
    inventory: RegionInventory,
    settings: &Settings,
    coverage: Coverage,
) -> (Snapshot, Evaluation) {
    let snapshot = Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        tool: ToolInfo::current(),
        collected_at: "2025-01-01T00:00:00Z".to_owned(),
        account: Some(ACCOUNT.to_owned()),
        accounts: vec![ACCOUNT.to_owned()],
        regions: vec![REGION.to_owned()],
        scopes: vec![inventory],
        coverage,
        collection: None,
    };
    let mut settings = settings.clone();
    if settings.edge.is_some() && settings.edge_ranges.is_empty() {
        settings.edge_ranges = parse_ranges(CLOUDFLARE_RANGES).expect("bundled ranges parse");
    }
    let evaluation = vpcaudit_core::rules::evaluate(&snapshot, &settings);
    (snapshot, evaluation)
}
