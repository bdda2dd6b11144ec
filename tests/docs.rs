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
    for rule in vpcaudit_core::rules::all() {
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

/// The policy's statements: the read-only one every audited account's identity needs, then the
/// one the caller needs to reach other accounts. Together: every call vpcaudit can make.
/// The README shows exactly what `vpcaudit iam-policy` prints (both come from one catalog).
#[test]
fn readme_iam_policy_is_what_the_iam_policy_command_prints() {
    let readme = readme();
    let shown = block(&readme, "iam")
        .trim_start_matches("```json")
        .trim_end_matches("```")
        .trim();
    let printed = assert_cmd::Command::cargo_bin("vpcaudit")
        .expect("the vpcaudit binary")
        .arg("iam-policy")
        .output()
        .expect("run vpcaudit iam-policy");
    assert!(printed.status.success(), "{printed:?}");
    let printed = String::from_utf8(printed.stdout).expect("UTF-8");
    assert_eq!(
        shown,
        printed.trim(),
        "README's policy differs from `vpcaudit iam-policy`; replace it with its output"
    );
    assert_eq!(printed.trim(), vpcaudit_core::snapshot::iam_policy(true));
    let read_only = assert_cmd::Command::cargo_bin("vpcaudit")
        .expect("the vpcaudit binary")
        .args(["iam-policy", "--read-only"])
        .output()
        .expect("run vpcaudit iam-policy --read-only");
    let read_only: serde_json::Value =
        serde_json::from_slice(&read_only.stdout).expect("iam-policy --read-only prints JSON");
    assert_eq!(
        read_only["Statement"].as_array().map(Vec::len),
        Some(1),
        "--read-only prints only VpcauditReadOnly"
    );
}

/// The README's separate Security Hub statement is what `vpcaudit iam-policy --security-hub`
/// prints, and none of its calls is in the read-only policy.
#[test]
fn readme_security_hub_statement_is_what_the_command_prints_and_apart() {
    let readme = readme();
    let shown = block(&readme, "iam-security-hub")
        .trim_start_matches("```json")
        .trim_end_matches("```")
        .trim();
    let printed = assert_cmd::Command::cargo_bin("vpcaudit")
        .expect("the vpcaudit binary")
        .args(["iam-policy", "--security-hub"])
        .output()
        .expect("run vpcaudit iam-policy --security-hub");
    assert!(printed.status.success(), "{printed:?}");
    let printed = String::from_utf8(printed.stdout).expect("UTF-8");
    assert_eq!(
        shown,
        printed.trim(),
        "README's Security Hub statement differs from `vpcaudit iam-policy --security-hub`"
    );
    let read_only = block(&readme, "iam");
    for action in vpcaudit_core::report::asff::IAM_ACTIONS {
        assert!(shown.contains(action));
        assert!(
            !read_only.contains(action),
            "{action} in the read-only policy"
        );
    }
}

#[test]
fn readme_iam_policy_lists_exactly_the_calls_vpcaudit_makes() {
    let readme = readme();
    let policy = block(&readme, "iam")
        .trim_start_matches("```json")
        .trim_end_matches("```");
    let policy: serde_json::Value =
        serde_json::from_str(policy).expect("README IAM policy is JSON");
    let statements = policy["Statement"].as_array().expect("Statement list");
    assert_eq!(statements.len(), 2, "a read-only and an estate statement");
    let actions = |i: usize| -> Vec<String> {
        statements[i]["Action"]
            .as_array()
            .expect("Action list")
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(actions(0), vpcaudit_core::snapshot::required_iam_actions());
    assert_eq!(actions(1), vpcaudit_core::snapshot::estate_iam_actions());

    let mut every_call: Vec<String> = vpcaudit_core::snapshot::Dataset::ALL
        .iter()
        .flat_map(|d| d.iam_actions())
        .chain(
            vpcaudit_core::snapshot::OTHER_CALLS
                .iter()
                .map(|c| c.iam_action()),
        )
        .collect();
    every_call.sort();
    // Several calls can share one IAM action (API Gateway authorises reads as GET).
    every_call.dedup();
    let mut listed = [actions(0), actions(1)].concat();
    listed.sort();
    assert_eq!(listed, every_call, "each call in exactly one statement");
}
