//! The committed JSON Schemas (`schemas/`) as test assertions: every report and snapshot a
//! test produces, through any crate or the CLI, must match them (issue 9, executable
//! contracts). `crates/core/tests/contracts.rs` checks that the schemas are generated from the
//! types; this module only validates instances against the committed files.

use std::sync::OnceLock;

use serde_json::Value;

const REPORT_SCHEMA: &str = include_str!("../../../schemas/report.schema.json");
const SNAPSHOT_SCHEMA: &str = include_str!("../../../schemas/snapshot.schema.json");

fn validator(
    cell: &'static OnceLock<jsonschema::Validator>,
    text: &str,
) -> &'static jsonschema::Validator {
    cell.get_or_init(|| {
        let schema: Value = serde_json::from_str(text).expect("a committed schema is JSON");
        jsonschema::validator_for(&schema).expect("a committed schema compiles")
    })
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Fails, listing every violation, unless `report` (a JSON report) matches
/// `schemas/report.schema.json`. `what` names it in the message.
pub fn assert_report_matches_schema(what: &str, report: &Value) {
    static CELL: OnceLock<jsonschema::Validator> = OnceLock::new();
    let found = errors(validator(&CELL, REPORT_SCHEMA), report);
    assert!(
        found.is_empty(),
        "{what} does not match schemas/report.schema.json:\n{}",
        found.join("\n")
    );
}

/// Fails unless `snapshot` matches `schemas/snapshot.schema.json`.
pub fn assert_snapshot_matches_schema(what: &str, snapshot: &Value) {
    static CELL: OnceLock<jsonschema::Validator> = OnceLock::new();
    let found = errors(validator(&CELL, SNAPSHOT_SCHEMA), snapshot);
    assert!(
        found.is_empty(),
        "{what} does not match schemas/snapshot.schema.json:\n{}",
        found.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    #[should_panic(expected = "does not match schemas/report.schema.json")]
    fn a_report_without_findings_is_rejected() {
        super::assert_report_matches_schema("a broken report", &json!({"format_version": 1}));
    }
}
