//! The README's generated parts agree with the code: the rule table and the IAM policy.

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

fn block<'a>(text: &'a str, name: &str) -> &'a str {
    let start = format!("<!-- {name}:start -->");
    let end = format!("<!-- {name}:end -->");
    let from = text
        .find(&start)
        .unwrap_or_else(|| panic!("README has no {start}"))
        + start.len();
    let to = text
        .find(&end)
        .unwrap_or_else(|| panic!("README has no {end}"));
    text[from..to].trim()
}

#[test]
fn readme_rule_table_matches_the_registry() {
    let mut expected = vec![
        "| Rule | Severity | Principle | Title |".to_owned(),
        "| --- | --- | --- | --- |".to_owned(),
    ];
    for rule in vpcaudit::rules::all() {
        let m = &rule.meta;
        expected.push(format!(
            "| [{id}](rules/{id}.md) | {} | `{}` | {} |",
            m.severity,
            m.principle,
            m.title,
            id = m.id
        ));
    }
    let readme = readme();
    let actual: Vec<&str> = block(&readme, "rules").lines().collect();
    assert_eq!(
        actual,
        expected,
        "README rule table is out of date; replace it with:\n{}",
        expected.join("\n")
    );
}

#[test]
fn readme_iam_policy_lists_exactly_the_calls_vpcaudit_makes() {
    let readme = readme();
    let policy = block(&readme, "iam")
        .trim_start_matches("```json")
        .trim_end_matches("```");
    let policy: serde_json::Value =
        serde_json::from_str(policy).expect("README IAM policy is JSON");
    let actions: Vec<String> = policy["Statement"][0]["Action"]
        .as_array()
        .expect("Action list")
        .iter()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    assert_eq!(actions, vpcaudit::snapshot::required_iam_actions());
}
