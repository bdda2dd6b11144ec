//! Least privilege, proven (issue 11): moto with IAM enforcement on (tests/moto/iam_server.py,
//! which corrects two places where moto judges differently from AWS), scanning as identities
//! that hold exactly `vpcaudit iam-policy`.
//!
//! - With the policy, the scan is complete, and every request (logged by tests/moto/faults.py
//!   in front of moto) is a call of vpcaudit's catalog whose IAM action the policy grants. The
//!   runs between them make every call of the catalog, so every service is covered.
//! - Without any one action, the scan is incomplete (exit 3) and `coverage` names that action.

use std::collections::BTreeSet;
use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use vpcaudit_core::snapshot::{self, Dataset, OTHER_CALLS};
use vpcaudit_testkit::moto::{ACCOUNT, FaultProxy, MotoServer, REGION, Run, assert_complete};

const ROLE: &str = "vpcaudit-reader";

/// A seeded moto with IAM enforcement, and the identities made in it.
struct Lab {
    moto: MotoServer,
    dir: tempfile::TempDir,
    made: AtomicUsize,
}

/// An identity's access key.
struct Keys {
    key: String,
    secret: String,
    arn: String,
}

impl Lab {
    fn new() -> Lab {
        let moto = MotoServer::start_with_iam();
        // Every service vpcaudit reads has something in it: functions, API stages, load
        // balancers with target groups, ECS services, databases.
        moto.seed(&["all", "network"]);
        moto.iam(&["organization"]);
        Lab {
            moto,
            dir: tempfile::tempdir().expect("temp dir"),
            made: AtomicUsize::new(0),
        }
    }

    fn write_policy(&self, policy: &Value) -> String {
        let n = self.made.fetch_add(1, Ordering::SeqCst) + 1;
        let path = self.dir.path().join(format!("policy-{n}.json"));
        fs::write(&path, policy.to_string()).expect("write policy");
        path.to_string_lossy().into_owned()
    }

    /// A user holding `policy` and nothing else. Enforcement is off while it is made.
    fn user(&self, policy: &Value) -> Keys {
        let path = self.write_policy(policy);
        let name = format!("reader-{}", self.made.load(Ordering::SeqCst));
        let user = self.moto.iam(&["--enforced", "user", &name, &path]);
        let text = |k: &str| user[k].as_str().expect("iam.py user answer").to_owned();
        Keys {
            key: text("key"),
            secret: text("secret"),
            arn: text("arn"),
        }
    }

    /// One user per policy, made in one go; enforcement is on after.
    fn users(&self, policies: &[Value]) -> Vec<Keys> {
        let first = self.made.fetch_add(policies.len(), Ordering::SeqCst);
        let spec: Vec<Value> = policies
            .iter()
            .enumerate()
            .map(|(i, policy)| json!({"name": format!("reader-{}", first + i + 1), "policy": policy}))
            .collect();
        let path = self.dir.path().join(format!("users-{first}.json"));
        fs::write(&path, Value::from(spec).to_string()).expect("write users spec");
        let made = self
            .moto
            .iam(&["--enforced", "users", &path.to_string_lossy()]);
        made.as_array()
            .expect("iam.py users answer")
            .iter()
            .map(|user| {
                let text = |k: &str| user[k].as_str().expect("iam.py users answer").to_owned();
                Keys {
                    key: text("key"),
                    secret: text("secret"),
                    arn: text("arn"),
                }
            })
            .collect()
    }

    /// The role `--role-arn` and `--org --role-name` assume, holding `policy`, trusting `who`.
    fn role(&self, policy: &Value, who: &Keys) {
        let path = self.write_policy(policy);
        self.moto
            .iam(&["--enforced", "role", ROLE, &path, &who.arn]);
    }

    fn scan(&self, endpoint: &str, keys: &Keys, args: &[&str]) -> Run {
        let mut all = vec![
            "scan",
            "--endpoint-url",
            endpoint,
            "--format",
            "json",
            "--quiet",
        ];
        all.extend_from_slice(args);
        Run::vpcaudit_with_env(
            self.dir.path(),
            &all,
            &[
                ("AWS_ACCESS_KEY_ID", keys.key.as_str()),
                ("AWS_SECRET_ACCESS_KEY", keys.secret.as_str()),
            ],
        )
    }
}

fn role_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{ROLE}")
}

/// `vpcaudit iam-policy`'s document (both statements), or only the statement `sid`.
fn policy(sid: Option<&str>) -> Value {
    let mut policy: Value =
        serde_json::from_str(&snapshot::iam_policy(true)).expect("iam_policy is JSON");
    if let Some(sid) = sid {
        let statements = policy["Statement"].as_array_mut().expect("Statement");
        statements.retain(|s| s["Sid"] == sid);
        assert_eq!(statements.len(), 1, "a statement {sid}");
    }
    policy
}

fn actions(policy: &Value) -> Vec<String> {
    policy["Statement"]
        .as_array()
        .expect("Statement")
        .iter()
        .flat_map(|s| s["Action"].as_array().expect("Action").clone())
        .map(|a| a.as_str().expect("an action").to_owned())
        .collect()
}

fn without(policy: &Value, action: &str) -> Value {
    let mut policy = policy.clone();
    for statement in policy["Statement"].as_array_mut().expect("Statement") {
        statement["Action"]
            .as_array_mut()
            .expect("Action")
            .retain(|a| a != action);
    }
    policy
}

/// Every call of vpcaudit's catalog, as (SDK service, operation).
fn catalog() -> BTreeSet<(String, String)> {
    Dataset::ALL
        .iter()
        .flat_map(|d| d.api_calls())
        .chain(OTHER_CALLS.iter().map(|c| (c.service, c.operation)))
        .map(|(s, o)| (s.to_owned(), o.to_owned()))
        .collect()
}

/// The calls the proxy saw, as (botocore model = SDK service, operation).
fn logged(proxy: &FaultProxy) -> BTreeSet<(String, String)> {
    proxy
        .calls()
        .iter()
        .map(|c| {
            (
                c["model"].as_str().unwrap_or("?").to_owned(),
                c["operation"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect()
}

/// The IAM actions a coverage error names: the call it records, and any call its message
/// names (`ecs:ListClusters failed: …` for the listing that leads to ecs:DescribeServices).
fn actions_named(error: &Value) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    if let (Some(service), Some(operation)) =
        (error["service"].as_str(), error["operation"].as_str())
    {
        named.insert(snapshot::iam_action_of(service, operation));
    }
    let message = error["error"].as_str().unwrap_or_default();
    for (service, operation) in catalog() {
        if message.contains(&format!("{service}:{operation}")) {
            named.insert(snapshot::iam_action_of(&service, &operation));
        }
    }
    named
}

#[test]
fn the_policy_suffices_and_every_call_is_in_it() {
    let lab = Lab::new();
    let proxy = FaultProxy::start(&lab.moto.endpoint(), &json!([]));
    let granted: BTreeSet<String> = actions(&policy(None)).into_iter().collect();

    // The caller of an Organization scan, reading its own account with its own credentials,
    // in every region.
    let caller = lab.user(&policy(None));
    let org = lab.scan(
        &proxy.endpoint(),
        &caller,
        &["--org", "--role-name", ROLE, "--all-regions"],
    );
    org.assert_code(1);
    assert_complete(&org.json());

    // A caller that may only assume the role, and the role that reads.
    let assumer = lab.user(&policy(Some("VpcauditEstate")));
    lab.role(&policy(Some("VpcauditReadOnly")), &assumer);
    let assumed = lab.scan(
        &proxy.endpoint(),
        &assumer,
        &["--role-arn", &role_arn(), "--region", REGION],
    );
    assumed.assert_code(1);
    assert_complete(&assumed.json());

    let calls = logged(&proxy);
    let catalog = catalog();
    let unknown: Vec<_> = calls.difference(&catalog).collect();
    assert!(
        unknown.is_empty(),
        "calls outside vpcaudit's catalog: {unknown:?}"
    );
    let ungranted: Vec<String> = calls
        .iter()
        .map(|(s, o)| snapshot::iam_action_of(s, o))
        .filter(|a| !granted.contains(a))
        .collect();
    assert!(
        ungranted.is_empty(),
        "calls the policy does not grant: {ungranted:?}"
    );
    let unmade: Vec<_> = catalog.difference(&calls).collect();
    assert!(
        unmade.is_empty(),
        "the runs should make every call of the catalog, so the proof covers every service; \
         not made: {unmade:?}"
    );
}

#[test]
fn without_any_one_action_the_scan_is_incomplete_and_names_it() {
    let lab = Lab::new();
    let endpoint = lab.moto.endpoint();
    let full = policy(None);
    let estate = policy(Some("VpcauditEstate"));
    let all_actions = actions(&full);
    // Every identity first (enforcement is off while they are made), then the scans, four at
    // a time: moto's enforcement is one switch for the whole server.
    let policies: Vec<Value> = all_actions
        .iter()
        .map(|action| match action.as_str() {
            // Only --role-arn and --org assume roles: a caller that may only assume.
            "sts:AssumeRole" => without(&estate, action),
            _ => without(&full, action),
        })
        .collect();
    let keys = lab.users(&policies);
    let assume_less = all_actions
        .iter()
        .position(|a| a == "sts:AssumeRole")
        .expect("sts:AssumeRole is in the policy");
    lab.role(&policy(Some("VpcauditReadOnly")), &keys[assume_less]);
    let role = role_arn();
    let args = |action: &str| -> Vec<&str> {
        match action {
            // Only --all-regions lists the regions.
            "ec2:DescribeRegions" => vec!["--all-regions"],
            // Only --org lists the Organization.
            "organizations:ListAccounts" => vec!["--org", "--role-name", ROLE, "--region", REGION],
            "sts:AssumeRole" => vec!["--role-arn", &role, "--region", REGION],
            _ => vec!["--region", REGION],
        }
    };
    let cases: Vec<(&String, &Keys)> = all_actions.iter().zip(&keys).collect();
    let runs: Vec<(String, Run)> = cases
        .chunks(4)
        .flat_map(|chunk| {
            std::thread::scope(|scope| {
                let handles: Vec<_> = chunk
                    .iter()
                    .map(|(action, keys)| {
                        let args = args(action);
                        let lab = &lab;
                        let endpoint = &endpoint;
                        scope.spawn(move || ((*action).clone(), lab.scan(endpoint, keys, &args)))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a scan thread"))
                    .collect::<Vec<_>>()
            })
        })
        .collect();

    for (action, run) in &runs {
        // AWS answers GetCallerIdentity whatever the policy says ("No permissions are required
        // to perform this operation"), and so does moto: nothing to remove.
        if action == "sts:GetCallerIdentity" {
            run.assert_code(1);
            assert_complete(&run.json());
            continue;
        }
        run.assert_code(3);
        let report = run.json();
        let errors = report["coverage"]["errors"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            errors.iter().any(|e| actions_named(e).contains(action)),
            "without {action}, coverage should name it; coverage.errors = {errors:#?}\n{}",
            run.describe()
        );
    }
    assert!(runs.len() >= 25, "every action was removed in turn");
}
