//! `vpcaudit reach RESOURCE` on the bundled example (fixtures/acme-small.json): internet paths
//! with their hops, egress per subnet, the JSON shape, and resources that are unknown or
//! ambiguous. No network: snapshots only (tests/live_reach.rs runs it against moto).

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const ACME: &str = "fixtures/acme-small.json";
/// acme-staging-bastion: public IP, SSH open to the world, in a public subnet.
const BASTION: &str = "i-071b520a97e653b1a";
/// acme-dev-loadtest: no public address, behind no load balancer, egress through a NAT gateway.
const PRIVATE: &str = "i-01931b693f13b5c2e";

fn vpcaudit() -> Command {
    let mut cmd = Command::cargo_bin("vpcaudit").expect("the binary is built");
    // Nothing here may read the developer's AWS setup or reach the metadata service.
    cmd.env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn reach_json(resource: &str) -> Value {
    let out = vpcaudit()
        .args(["reach", "--snapshot", ACME, resource, "--format", "json"])
        .assert()
        .code(0);
    serde_json::from_slice(&out.get_output().stdout).expect("JSON on stdout")
}

fn hop_kinds(path: &Value) -> Vec<&str> {
    path["path"]
        .as_array()
        .expect("path is a list of hops")
        .iter()
        .map(|h| h["hop"].as_str().expect("every hop names its kind"))
        .collect()
}

/// The bundled example with `edit` applied, written to `dir`.
fn edited_acme(dir: &Path, edit: impl FnOnce(&mut Value)) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(ACME))
        .expect("read the example");
    let mut snapshot: Value = serde_json::from_str(&text).expect("json");
    edit(&mut snapshot);
    let path = dir.join("acme.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).expect("json")).expect("write");
    path.display().to_string()
}

#[test]
fn a_public_instance_shows_its_internet_path_hop_by_hop() {
    // By Name tag, as a table.
    vpcaudit()
        .args(["reach", "--snapshot", ACME, "acme-staging-bastion"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(BASTION))
        .stdout(predicate::str::contains("tcp 22"))
        .stdout(predicate::str::contains("the whole internet"))
        .stdout(predicate::str::contains(
            "internet_gateway id=igw-0ca6045f2c02f87f6",
        ))
        .stdout(predicate::str::contains(
            "security_group group_id=sg-0d57017cff937950d",
        ))
        .stdout(predicate::str::contains(
            "1 internet path into 1 of 1 interface",
        ))
        .stderr(predicate::str::is_empty());
}

#[test]
fn the_json_answer_lists_paths_of_hops_and_the_egress() {
    let report = reach_json(BASTION);
    assert_eq!(report["resource"]["kind"], "instance");
    assert_eq!(report["resource"]["id"], BASTION);
    assert_eq!(report["resource"]["name"], "acme-staging-bastion");
    assert_eq!(report["resource"]["account"], "210987654321");
    assert_eq!(report["resource"]["region"], "eu-west-1");
    assert_eq!(report["complete"], true);
    let inbound = report["inbound"].as_array().expect("inbound");
    assert_eq!(inbound.len(), 1);
    assert_eq!(inbound[0]["eni_id"], "eni-02c9cb90f4c0e838c");
    assert_eq!(inbound[0]["public_ip"], "192.0.2.10");
    let paths = inbound[0]["paths"].as_array().expect("paths");
    let ssh = paths
        .iter()
        .find(|p| p["protocol"] == "tcp" && p["ports"] == serde_json::json!([[22, 22]]))
        .unwrap_or_else(|| panic!("an SSH path: {paths:#?}"));
    let kinds = hop_kinds(ssh);
    assert_eq!(kinds.first(), Some(&"internet_gateway"), "{kinds:?}");
    for kind in ["route", "nacl_inbound", "security_group"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert_eq!(kinds.last(), Some(&"interface"), "{kinds:?}");
    let group = ssh["path"]
        .as_array()
        .expect("hops")
        .iter()
        .find(|h| h["hop"] == "security_group")
        .expect("a security group hop");
    assert_eq!(group["group_id"], "sg-0d57017cff937950d");
    assert!(inbound[0]["not_evaluated"].is_array());
    let egress = report["egress"].as_array().expect("egress");
    assert_eq!(egress.len(), 1);
    assert_eq!(egress[0]["subnet_id"], "subnet-02ab74c7c1c7e1e5e");
    assert_eq!(egress[0]["ipv4"]["egress"], "igw");
    assert_eq!(egress[0]["ipv4"]["route"]["destination"], "0.0.0.0/0");
    assert_eq!(
        egress[0]["ipv4"]["route"]["target"],
        "igw-0ca6045f2c02f87f6"
    );
}

#[test]
fn a_private_instance_has_no_path_and_leaves_through_its_nat() {
    let report = reach_json(PRIVATE);
    let inbound = report["inbound"].as_array().expect("inbound");
    assert_eq!(inbound.len(), 1);
    assert_eq!(inbound[0]["paths"], serde_json::json!([]));
    let egress = &report["egress"][0];
    assert_eq!(egress["subnet_id"], "subnet-038c47f3bf8bc74fb");
    assert_eq!(egress["route_table_id"], "rtb-0162d11faff5461b1");
    assert_eq!(egress["association"], "explicit");
    assert_eq!(egress["ipv4"]["egress"], "nat");
    assert_eq!(egress["ipv4"]["route"]["destination"], "0.0.0.0/0");
    assert_eq!(egress["ipv4"]["route"]["target"], "nat-074e744942eed2f4a");
    vpcaudit()
        .args(["reach", "--snapshot", ACME, "acme-dev-loadtest"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no internet path"))
        .stdout(predicate::str::contains(
            "0.0.0.0/0 → nat-074e744942eed2f4a",
        ));

    // With inputs missing, "no path" carries its caveat: never a bare "not reachable".
    let dir = tempfile::tempdir().expect("tempdir");
    let path = edited_acme(dir.path(), |s| {
        s["coverage"]["errors"] = serde_json::json!([{
            "service": "ec2", "operation": "DescribeSecurityGroups",
            "account": "210987654321", "region": "eu-west-1",
            "code": "Throttling", "error": "rate exceeded"
        }]);
    });
    vpcaudit()
        .args(["reach", "--snapshot", &path, PRIVATE])
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "no internet path found in what was evaluated",
        ))
        .stdout(predicate::str::contains(
            "ec2:DescribeSecurityGroups failed",
        ))
        .stdout(predicate::str::contains("not proof that none exists"))
        .stdout(predicate::str::contains("INCOMPLETE"));
}

#[test]
fn managed_resources_map_to_their_interfaces() {
    // An ALB by name: its two interfaces (`ELB app/acme-prod-web/…`) in the public subnets.
    let alb = reach_json("acme-prod-web");
    assert_eq!(alb["resource"]["kind"], "load_balancer");
    assert_eq!(
        alb["resource"]["id"],
        "arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/acme-prod-web/50dc6c495c0c9188"
    );
    let mut interfaces: Vec<&str> = alb["inbound"]
        .as_array()
        .expect("inbound")
        .iter()
        .filter_map(|i| i["eni_id"].as_str())
        .filter(|id| id.starts_with("eni-"))
        .collect();
    interfaces.sort_unstable();
    assert_eq!(
        interfaces,
        ["eni-07b32420c746c3d53", "eni-08a0d72ecf4ba44b2"]
    );
    // A database: its RDS interface, no internet path, isolated subnets.
    let db = reach_json("acme-prod-db");
    assert_eq!(db["resource"]["kind"], "db_instance");
    assert_eq!(db["inbound"][0]["eni_id"], "eni-064a1945d45dadbb3");
    assert_eq!(db["inbound"][0]["paths"], serde_json::json!([]));
    assert!(
        db["egress"]
            .as_array()
            .expect("egress")
            .iter()
            .all(|s| s["ipv4"]["egress"] == "none")
    );
    // A subnet: egress only.
    let subnet = reach_json("subnet-0885209605fa2fb72");
    assert_eq!(subnet["inbound"], serde_json::json!([]));
    assert_eq!(subnet["egress"][0]["ipv4"]["egress"], "nat");
    // A function outside any VPC: no interface, and said so.
    let function = reach_json("acme-billing-sync");
    assert_eq!(function["inbound"], serde_json::json!([]));
    assert!(
        function["not_evaluated"]
            .to_string()
            .contains("not attached to a VPC")
    );
}

#[test]
fn an_unknown_resource_is_a_usage_error() {
    vpcaudit()
        .args(["reach", "--snapshot", ACME, "i-does-not-exist"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "vpcaudit: error: no resource `i-does-not-exist` in the inventory",
        ));
}

#[test]
fn an_ambiguous_name_lists_the_candidates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = edited_acme(dir.path(), |s| {
        let instances = s["scopes"][0]["instances"]
            .as_array_mut()
            .expect("instances");
        let twin = instances
            .iter()
            .find(|i| i["id"] == PRIVATE)
            .expect("acme-dev-loadtest")
            .clone();
        let mut twin = twin;
        twin["id"] = "i-0twin".into();
        instances.push(twin);
    });
    vpcaudit()
        .args(["reach", "--snapshot", &path, "acme-dev-loadtest"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "`acme-dev-loadtest` names 2 resources",
        ))
        .stderr(predicate::str::contains(PRIVATE))
        .stderr(predicate::str::contains("i-0twin"))
        .stderr(predicate::str::contains("pass an id or ARN"));
    // The id still answers.
    vpcaudit()
        .args(["reach", "--snapshot", &path, "i-0twin"])
        .assert()
        .code(0);
}

#[test]
fn inventory_text_cannot_drive_the_terminal_and_output_goes_to_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = edited_acme(dir.path(), |s| {
        let instances = s["scopes"][0]["instances"]
            .as_array_mut()
            .expect("instances");
        let bastion = instances
            .iter_mut()
            .find(|i| i["id"] == BASTION)
            .expect("bastion");
        bastion["tags"]["Name"] = "\u{1b}[2Jevil\u{202e}".into();
    });
    let out = vpcaudit()
        .args(["reach", "--snapshot", &path, BASTION])
        .assert()
        .code(0);
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{202e}'),
        "{table}"
    );
    assert!(table.contains("evil"));

    let file = dir.path().join("reach.json");
    vpcaudit()
        .args([
            "reach",
            "--snapshot",
            &path,
            BASTION,
            "--format",
            "json",
            "-o",
        ])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("written")).expect("json");
    assert_eq!(
        report["resource"]["name"], "\u{1b}[2Jevil\u{202e}",
        "JSON keeps exact bytes"
    );
}

#[test]
fn a_snapshot_excludes_live_options_and_failed_calls_exit_3() {
    vpcaudit()
        .args(["reach", "--snapshot", ACME, BASTION, "--profile", "prod"])
        .assert()
        .code(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = edited_acme(dir.path(), |s| {
        s["coverage"]["errors"] = serde_json::json!([{
            "service": "ec2", "operation": "DescribeNetworkAcls",
            "account": "210987654321", "region": "eu-west-1",
            "code": "AccessDenied", "error": "not authorized"
        }]);
    });
    let out = vpcaudit()
        .args(["reach", "--snapshot", &path, BASTION, "--format", "json"])
        .assert()
        .code(3);
    let report: Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    assert_eq!(report["complete"], false);
    assert!(
        report["not_evaluated"]
            .to_string()
            .contains("ec2:DescribeNetworkAcls failed")
    );
}
