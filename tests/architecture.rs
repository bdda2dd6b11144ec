//! The crate graph is the architecture (README, "How it is built"): these tests read it with
//! `cargo tree` and fail when a dependency points the wrong way or an SDK crate leaks into a
//! crate that must not compile one.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The packages `cargo tree` lists for `package` over these dependency edges.
fn dependency_names(package: &str, edges: &str) -> BTreeSet<String> {
    dependency_names_with(package, edges, &[])
}

/// [`dependency_names`] with these cargo arguments added (`--features …`).
fn dependency_names_with(package: &str, edges: &str, extra: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args([
            "tree",
            "--frozen",
            "--edges",
            edges,
            "--prefix",
            "none",
            "--format",
            "{p}",
            "--package",
            package,
        ])
        .args(extra)
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// What `cargo test -p vpcaudit-core` compiles (its normal and dev dependencies) has no AWS
/// SDK crate and no async runtime: a rule author never waits for them.
#[test]
fn the_core_and_its_tests_compile_no_aws_sdk_and_no_tokio() {
    let names = dependency_names("vpcaudit-core", "normal,dev,build");
    assert!(
        names.contains("serde"),
        "unexpected cargo tree output: {names:?}"
    );
    let leaked: Vec<&String> = names
        .iter()
        .filter(|n| {
            n.starts_with("aws-") || n.starts_with("aws_") || *n == "tokio" || *n == "hyper"
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "vpcaudit-core's tests compile {leaked:?}"
    );
    assert!(
        !names.contains("vpcaudit-collect"),
        "the core depends on the collectors"
    );
}

/// Dependencies only point down: core ← collect ← {vpcaudit, vpcaudit-lambda}; core ← iac ←
/// vpcaudit (templates need no AWS SDK); core ← securityhub (the one write call) ←
/// vpcaudit-lambda, and vpcaudit only with its `security-hub` feature.
#[test]
fn workspace_crates_depend_only_on_the_layers_below() {
    let own = |package: &str| -> BTreeSet<String> {
        dependency_names(package, "normal")
            .into_iter()
            .filter(|n| n.starts_with("vpcaudit") && n != package)
            .collect()
    };
    let set = |names: &[&str]| {
        names
            .iter()
            .map(|n| (*n).to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(own("vpcaudit-core"), set(&[]));
    assert_eq!(own("vpcaudit-collect"), set(&["vpcaudit-core"]));
    assert_eq!(
        own("vpcaudit"),
        set(&["vpcaudit-collect", "vpcaudit-core", "vpcaudit-iac"])
    );
    assert_eq!(own("vpcaudit-iac"), set(&["vpcaudit-core"]));
    assert_eq!(
        own("vpcaudit-lambda"),
        set(&["vpcaudit-collect", "vpcaudit-core", "vpcaudit-securityhub"])
    );
    assert_eq!(own("vpcaudit-securityhub"), set(&["vpcaudit-core"]));
    let with_security_hub: BTreeSet<String> =
        dependency_names_with("vpcaudit", "normal", &["--features", "security-hub"])
            .into_iter()
            .filter(|n| n.starts_with("vpcaudit") && n != "vpcaudit")
            .collect();
    assert_eq!(
        with_security_hub,
        set(&[
            "vpcaudit-collect",
            "vpcaudit-core",
            "vpcaudit-iac",
            "vpcaudit-securityhub"
        ])
    );
    assert_eq!(own("vpcaudit-testkit"), set(&["vpcaudit-core"]));
}

/// The CLI (what `cargo install` builds) compiles neither the Lambda runtime nor S3; the job's
/// crate has both. Nor, without its `security-hub` feature, the Security Hub SDK; and only
/// vpcaudit-securityhub (the one write call) depends on that SDK directly.
#[test]
fn the_cli_compiles_neither_the_lambda_runtime_nor_s3() {
    const LAMBDA_ONLY: [&str; 3] = ["lambda_runtime", "aws_lambda_events", "aws-sdk-s3"];
    let cli = dependency_names("vpcaudit", "normal");
    assert!(
        cli.contains("aws-sdk-ec2"),
        "cargo tree output is not what this test expects: {cli:?}"
    );
    let lambda = dependency_names("vpcaudit-lambda", "normal");
    for name in LAMBDA_ONLY {
        assert!(!cli.contains(name), "the CLI depends on {name}");
        assert!(
            lambda.contains(name),
            "vpcaudit-lambda does not bring {name}"
        );
    }
    assert!(
        !cli.contains("aws-sdk-securityhub"),
        "the default CLI build compiles the Security Hub SDK"
    );
    assert!(lambda.contains("aws-sdk-securityhub"));
    for package in ["vpcaudit-core", "vpcaudit-collect", "vpcaudit-iac"] {
        assert!(
            !dependency_names(package, "normal").contains("aws-sdk-securityhub"),
            "{package} depends on the Security Hub SDK: only vpcaudit-securityhub may"
        );
    }
}
