//! `vpcaudit reach` against a real AWS emulator: tests/moto/seed.py `network` (an internet-facing
//! ALB and NLB forwarding to a private app instance) plus `reach` (a web instance with a public
//! IP in the public subnet, registered with the ALB's target group, 443 open to the world).
//!
//! Needs the venv from tests/moto/requirements.txt (scripts/test.sh makes it), found through
//! VPCAUDIT_PYTHON or <crate>/.venv/bin/python.

use std::collections::BTreeSet;

use serde_json::Value;
use vpcaudit_testkit::moto::{MotoServer, REGION, Run};

fn reach(work: &std::path::Path, endpoint: &str, resource: &str) -> Value {
    let run = Run::vpcaudit(
        work,
        &[
            "reach",
            "--endpoint-url",
            endpoint,
            "--region",
            REGION,
            "--format",
            "json",
            "--quiet",
            resource,
        ],
    );
    run.assert_code(0);
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", run.describe()))
}

fn hop_kinds(path: &Value) -> Vec<&str> {
    path["path"]
        .as_array()
        .expect("hops")
        .iter()
        .filter_map(|h| h["hop"].as_str())
        .collect()
}

#[test]
fn an_alb_target_with_a_public_ip_shows_its_direct_path_and_its_path_through_the_alb() {
    let moto = MotoServer::start();
    let seed = moto.seed(&["network", "reach"]);
    let work = tempfile::tempdir().expect("temp dir");
    let web = seed.id("reach.web");
    let web_sg = seed.id("reach.web-sg");

    // By its Name tag, as people ask.
    let report = reach(work.path(), &moto.endpoint(), "reach-web");
    assert_eq!(report["resource"]["kind"], "instance");
    assert_eq!(report["resource"]["id"], web);
    assert_eq!(report["complete"], true);
    let inbound = report["inbound"].as_array().expect("inbound");
    assert_eq!(inbound.len(), 1, "{report:#}");
    let eni = &inbound[0];
    assert_eq!(eni["eni_id"], seed.id("reach.web.eni"));
    assert!(eni["public_ip"].is_string(), "a public IP: {eni:#}");
    let paths = eni["paths"].as_array().expect("paths");

    // A direct path, not through a load balancer (which says so: `via_load_balancer`, a
    // `load_balancer` hop).
    let direct = |p: &&Value| {
        p.get("via_load_balancer").is_none_or(Value::is_null)
            && !hop_kinds(p).contains(&"load_balancer")
    };

    // The direct path: IGW, the public route, the NACL both ways, the 443 rule, the interface.
    let https = paths
        .iter()
        .filter(direct)
        .find(|p| p["protocol"] == "tcp" && p["ports"] == serde_json::json!([[443, 443]]))
        .unwrap_or_else(|| panic!("a direct path on tcp/443: {paths:#?}"));
    let kinds = hop_kinds(https);
    assert_eq!(kinds.first(), Some(&"internet_gateway"), "{kinds:?}");
    assert!(
        kinds.contains(&"route") && kinds.contains(&"nacl_inbound"),
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"interface"), "{kinds:?}");
    let group = https["path"]
        .as_array()
        .expect("hops")
        .iter()
        .find(|h| h["hop"] == "security_group")
        .expect("a security group hop");
    assert_eq!(group["group_id"], web_sg);
    assert_eq!(
        https["exposure"], "world",
        "0.0.0.0/0 is the world: {https:#}"
    );
    // 8080 is admitted from the ALB's group only: no direct path from the internet.
    assert!(
        !paths
            .iter()
            .filter(direct)
            .any(|p| p["ports"] == serde_json::json!([[8080, 8080]])),
        "no direct path on 8080: {paths:#?}"
    );
    // Through the ALB: listener 80 → target group → this instance's 8080-from-alb-sg rule.
    let through_alb = paths
        .iter()
        .find(|p| p["via_load_balancer"] == seed.id("network.alb"))
        .unwrap_or_else(|| panic!("a path through the ALB: {paths:#?}"));
    assert_eq!(
        hop_kinds(through_alb),
        [
            "internet_gateway",
            "route",
            "nacl_inbound",
            "nacl_outbound_reply",
            "security_group",
            "load_balancer",
            "listener",
            "target_group",
            "nacl_inbound",
            "nacl_outbound_reply",
            "security_group",
            "interface"
        ],
        "{through_alb:#}"
    );
    assert_eq!(through_alb["ports"], serde_json::json!([[8080, 8080]]));
    let hops = through_alb["path"].as_array().expect("hops");
    let listener = hops
        .iter()
        .find(|h| h["hop"] == "listener")
        .expect("listener");
    assert_eq!(listener["port"], 80);
    let target_group = hops
        .iter()
        .find(|h| h["hop"] == "target_group")
        .expect("tg");
    assert_eq!(target_group["arn"], seed.id("network.alb-tg"));
    assert_eq!(
        hops.last().expect("interface")["id"],
        seed.id("reach.web.eni")
    );
    assert_eq!(
        hops.iter()
            .rev()
            .find(|h| h["hop"] == "security_group")
            .expect("sg")["group_id"],
        web_sg
    );

    let egress = report["egress"].as_array().expect("egress");
    assert_eq!(egress.len(), 1);
    assert_eq!(egress[0]["subnet_id"], seed.id("network.public-a"));
    assert_eq!(egress[0]["ipv4"]["egress"], "igw");

    // The ALB itself resolves by name; moto creates no load balancer interfaces, which the
    // answer says; its listener paths come from the model (its subnets and security group).
    let alb = reach(work.path(), &moto.endpoint(), "network-alb");
    assert_eq!(alb["resource"]["kind"], "load_balancer");
    assert_eq!(alb["resource"]["id"], seed.id("network.alb"));
    assert_eq!(alb["egress"].as_array().expect("egress").len(), 2);
    assert!(
        alb["not_evaluated"]
            .to_string()
            .contains("no network interface of this load balancer"),
        "{alb:#}"
    );
    let listener_paths: Vec<&Value> = alb["inbound"]
        .as_array()
        .expect("inbound")
        .iter()
        .flat_map(|i| i["paths"].as_array().into_iter().flatten())
        .collect();
    assert!(
        listener_paths
            .iter()
            .any(|p| p["ports"] == serde_json::json!([[80, 80]])
                && hop_kinds(p).contains(&"listener")),
        "the ALB's listener on 80: {alb:#}"
    );

    // The private app instance behind the load balancers: no direct path, paths through the
    // ALB and the Classic ELB (both admitted by app-sg's rule for alb-sg); none through the NLB,
    // which has no security group and preserves client addresses that app-sg does not admit.
    // Egress: IPv6 only, through the egress-only IGW.
    let app = reach(
        work.path(),
        &moto.endpoint(),
        seed.id("network.app-instance"),
    );
    assert!(
        app["inbound"]
            .as_array()
            .expect("inbound")
            .iter()
            .all(|i| i["paths"]
                .as_array()
                .expect("paths")
                .iter()
                .all(|p| !direct(&p))),
        "{app:#}"
    );
    let via: BTreeSet<String> = app["inbound"]
        .as_array()
        .expect("inbound")
        .iter()
        .flat_map(|i| i["paths"].as_array().into_iter().flatten())
        .filter_map(|p| p["via_load_balancer"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        via,
        BTreeSet::from([
            seed.id("network.alb").to_owned(),
            "network-classic".to_owned()
        ]),
        "{app:#}"
    );
    assert_eq!(app["egress"][0]["ipv6"]["egress"], "egress-only-igw");
}
