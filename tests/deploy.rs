//! The SAM deployment (deploy/template.yaml) and the crate that builds its function:
//! the function's IAM policy grants exactly the calls vpcaudit makes plus its report storage,
//! and cfn-lint accepts the template.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_norway::Value;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn template_path() -> PathBuf {
    manifest_dir().join("deploy/template.yaml")
}

fn template() -> Value {
    let text = std::fs::read_to_string(template_path()).expect("deploy/template.yaml");
    serde_norway::from_str(&text).expect("deploy/template.yaml is YAML")
}

/// A CloudFormation intrinsic (`!If`, `!Ref`…) keeps its tag; strip it to see the value.
fn untag(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untag(&tagged.value),
        other => other,
    }
}

fn strings(value: &Value) -> Vec<String> {
    match untag(value) {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        other => panic!("expected a string or a list of strings, got {other:?}"),
    }
}

/// Every statement of the function's inline policies, the branches of `!If` included.
fn function_statements(template: &Value) -> Vec<Value> {
    let policies = template["Resources"]["AuditFunction"]["Properties"]["Policies"]
        .as_sequence()
        .expect("AuditFunction has a Policies list");
    let mut statements = Vec::new();
    for policy in policies {
        let list = policy["Statement"]
            .as_sequence()
            .unwrap_or_else(|| panic!("only inline policies are expected, got {policy:?}"));
        for statement in list {
            match statement {
                // !If [Condition, statement, !Ref AWS::NoValue]
                Value::Tagged(tagged) if tagged.tag == "!If" => {
                    let branches = tagged.value.as_sequence().expect("!If takes a list");
                    statements.extend(
                        branches[1..]
                            .iter()
                            .filter(|b| b.as_mapping().is_some())
                            .cloned(),
                    );
                }
                other => statements.push(other.clone()),
            }
        }
    }
    statements
}

fn actions_of(statement: &Value) -> Vec<String> {
    strings(&statement["Action"])
}

#[test]
fn template_read_actions_are_the_calls_vpcaudit_makes() {
    let template = template();
    let statements = function_statements(&template);
    let read = statements
        .iter()
        .find(|s| s["Sid"].as_str() == Some("VpcauditReadOnly"))
        .expect("a statement with Sid VpcauditReadOnly");
    let mut actions = actions_of(read);
    actions.sort();
    assert_eq!(
        actions,
        vpcaudit_core::snapshot::required_iam_actions(),
        "deploy/template.yaml's VpcauditReadOnly actions differ from \
         vpcaudit_core::snapshot::required_iam_actions()"
    );
    assert_eq!(strings(&read["Resource"]), ["*"]);
}

#[test]
fn template_grants_nothing_else_but_report_storage_and_role_assumption() {
    let template = template();
    let mut granted = BTreeSet::new();
    for statement in function_statements(&template) {
        assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{statement:?}");
        let actions = actions_of(&statement);
        for action in &actions {
            assert!(
                !action.contains('*'),
                "wildcard action {action} in {statement:?}"
            );
        }
        if statement["Sid"].as_str() != Some("VpcauditReadOnly") {
            // Everything but the read-only calls is scoped to a resource.
            assert_ne!(
                strings(&statement["Resource"]),
                ["*"],
                "{statement:?} applies to every resource"
            );
        }
        granted.extend(actions);
    }
    let mut expected: BTreeSet<String> = vpcaudit_core::snapshot::required_iam_actions()
        .into_iter()
        .collect();
    expected.extend(
        ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
            .iter()
            .map(|s| s.to_string()),
    );
    // ROLE_ARNS: the job assumes the listed roles (it does not list the Organization).
    assert!(
        vpcaudit_core::snapshot::estate_iam_actions().contains(&"sts:AssumeRole".to_owned()),
        "sts:AssumeRole is how vpcaudit reaches other accounts"
    );
    expected.insert("sts:AssumeRole".to_owned());
    // SecurityHub=true: the one write call, in its own conditional statement (below).
    expected.extend(
        vpcaudit_core::report::asff::IAM_ACTIONS
            .iter()
            .map(|s| s.to_string()),
    );
    assert_eq!(granted, expected);
}

/// The Security Hub import is opt-in: parameter `SecurityHub` (default false) sets
/// `VPCAUDIT_SECURITY_HUB`, and only then the statement `VpcauditSecurityHub` exists, with
/// exactly the import's two calls on this account's hub and default product.
#[test]
fn template_grants_security_hub_only_when_asked() {
    let template = template();
    let parameter = &template["Parameters"]["SecurityHub"];
    assert_eq!(untag(&parameter["Default"]).as_str(), Some("false"));
    assert_eq!(strings(&parameter["AllowedValues"]), ["true", "false"]);
    let variables =
        &template["Resources"]["AuditFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        strings(&variables["VPCAUDIT_SECURITY_HUB"]),
        ["SecurityHub"],
        "VPCAUDIT_SECURITY_HUB is !Ref SecurityHub"
    );
    let policies = template["Resources"]["AuditFunction"]["Properties"]["Policies"]
        .as_sequence()
        .expect("Policies");
    let conditional: Vec<&Value> = policies
        .iter()
        .flat_map(|p| p["Statement"].as_sequence().into_iter().flatten())
        .filter_map(|statement| match statement {
            Value::Tagged(tagged) if tagged.tag == "!If" => {
                let branches = tagged.value.as_sequence()?;
                (branches.first()?.as_str() == Some("ImportsToSecurityHub")).then(|| &branches[1])
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        conditional.len(),
        1,
        "one statement under ImportsToSecurityHub"
    );
    let statement = conditional[0];
    assert_eq!(statement["Sid"].as_str(), Some("VpcauditSecurityHub"));
    assert_eq!(
        actions_of(statement),
        vpcaudit_core::report::asff::IAM_ACTIONS
    );
    let resources = strings(&statement["Resource"]);
    assert_eq!(resources.len(), 2);
    assert!(
        resources.iter().all(|r| r.contains("${AWS::AccountId}")),
        "{resources:?}"
    );
    // No other statement grants a securityhub action.
    for other in function_statements(&template) {
        if other["Sid"].as_str() != Some("VpcauditSecurityHub") {
            assert!(
                !actions_of(&other)
                    .iter()
                    .any(|a| a.starts_with("securityhub:")),
                "{other:?}"
            );
        }
    }
}

#[test]
fn template_builds_the_lambda_binary_for_arm64_with_its_feature() {
    let template = template();
    let function = &template["Resources"]["AuditFunction"];
    assert_eq!(
        function["Metadata"]["BuildMethod"].as_str(),
        Some("rust-cargolambda")
    );
    assert_eq!(
        function["Metadata"]["BuildProperties"]["Binary"].as_str(),
        Some("vpcaudit-lambda")
    );
    let props = &function["Properties"];
    assert_eq!(props["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(strings(&props["Architectures"]), ["arm64"]);
    let code = template_path()
        .parent()
        .expect("deploy/")
        .join(props["CodeUri"].as_str().expect("CodeUri"));
    assert!(
        code.join("Cargo.toml").is_file(),
        "CodeUri must point at the crate"
    );
    // cargo lambda (which sam build runs) builds the crate at CodeUri: the job's own.
    let manifest: toml::Table = std::fs::read_to_string(code.join("Cargo.toml"))
        .expect("Cargo.toml")
        .parse()
        .expect("Cargo.toml is TOML");
    assert_eq!(
        manifest["package"]["name"].as_str(),
        Some("vpcaudit-lambda")
    );
    let bins = manifest["bin"].as_array().expect("[[bin]]");
    assert!(
        bins.iter()
            .any(|b| b["name"].as_str() == Some("vpcaudit-lambda")),
        "[[bin]] vpcaudit-lambda"
    );
}

/// The test venv's interpreter (scripts/test.sh installs cfn-lint into it).
fn python() -> PathBuf {
    std::env::var_os("VPCAUDIT_PYTHON")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join(".venv/bin/python"))
}

#[test]
fn cfn_lint_accepts_the_template() {
    let python = python();
    let probe = Command::new(&python)
        .args(["-c", "import cfnlint"])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        _ => {
            // scripts/test.sh installs cfn-lint (deploy/requirements-dev.txt): only a bare
            // `cargo test` without the venv gets here, and never CI's run.
            assert!(
                !std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1"),
                "CI=true and {} has no cfn-lint: the template check cannot be skipped in CI",
                python.display()
            );
            eprintln!(
                "NOTICE: cfn_lint_accepts_the_template skipped: {} has no cfn-lint; run \
                 scripts/test.sh or `pip install -r deploy/requirements-dev.txt`",
                python.display()
            );
            return;
        }
    }
    // What the `cfn-lint` console script runs (the package has no `__main__`).
    let out = Command::new(&python)
        .args([
            "-c",
            "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())",
            "--",
        ])
        .arg(template_path())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("run cfn-lint");
    // cfn-lint exit codes: 0 clean, 2 errors, 4 warnings, 8 informational (or'ed).
    assert!(
        out.status.success(),
        "cfn-lint deploy/template.yaml: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
