//! Hostile and odd input: nothing read from a file or from AWS may panic, and nothing
//! malformed may read as a clean, complete audit.

use proptest::prelude::*;
use vpcaudit_core::model::{PortRange, Protocol, SecurityGroupRule};

proptest! {
    /// Protocols and port ranges come from AWS or hand-written snapshots: any string, any
    /// numbers (AWS uses -1 for "all"; a file may hold anything).
    #[test]
    fn any_protocol_and_port_range_is_safe(
        protocol in "\\PC{0,12}",
        from in any::<i32>(),
        to in any::<i32>(),
        port in any::<u16>(),
    ) {
        let ports = PortRange { from, to };
        let _ = ports.contains(port);
        let _ = ports.is_every_port();
        let rule = SecurityGroupRule {
            id: None,
            protocol: Protocol(protocol),
            ports: Some(ports),
            peer: vpcaudit_core::model::SecurityGroupPeer::PrefixList("pl-1".into()),
            description: None,
        };
        let _ = rule.admits_tcp_port(port);
        let _ = rule.admits_everything();
        let _ = rule.describe_ports();
        let _ = rule.protocol.to_string();
    }

    /// A security group rule read from any JSON value parses or fails cleanly.
    #[test]
    fn any_json_rule_parses_or_errors(protocol in "\\PC{0,8}", from in any::<i64>(), to in any::<i64>(), cidr in "\\PC{0,20}") {
        let text = serde_json::json!({
            "protocol": protocol,
            "ports": {"from": from, "to": to},
            "peer": {"ipv4": cidr},
        })
        .to_string();
        if let Ok(rule) = serde_json::from_str::<SecurityGroupRule>(&text) {
            let _ = rule.describe_ports();
            let _ = rule.admits_tcp_port(22);
        }
    }
}

#[test]
fn port_range_contains_its_ends_only() {
    let r = PortRange { from: 20, to: 22 };
    assert!(r.contains(20) && r.contains(22) && !r.contains(23) && !r.contains(19));
    assert!(
        PortRange {
            from: -1,
            to: 65535
        }
        .is_every_port()
    );
    assert!(!PortRange { from: 1, to: 65535 }.is_every_port());
}

mod fail_closed {
    use std::path::Path;

    use serde_json::{Value, json};
    use vpcaudit_core::snapshot::{Dataset, Snapshot, SnapshotError, UNKNOWN_REFERENCE};

    fn snapshot(scope: Value) -> Value {
        json!({
            "format_version": 1,
            "tool": {"name": "vpcaudit", "version": "0"},
            "collected_at": "2026-12-01T00:00:00Z",
            "account": "111122223333",
            "regions": ["eu-west-1"],
            "scopes": [scope],
            "coverage": {"collected": [], "errors": []}
        })
    }

    fn scope() -> Value {
        json!({
            "account": "111122223333",
            "region": "eu-west-1",
            "vpcs": [{"id": "vpc-1", "cidr_blocks": ["10.0.0.0/16"]}],
            "subnets": [{"id": "subnet-1", "vpc_id": "vpc-1", "availability_zone": "eu-west-1a"}],
            "security_groups": [{"id": "sg-1", "name": "web", "vpc_id": "vpc-1", "ingress": [
                {"protocol": "-1", "peer": {"ipv4": "0.0.0.0/0"}}
            ]}]
        })
    }

    fn load(value: &Value) -> Result<Snapshot, SnapshotError> {
        let text = serde_json::to_string_pretty(value).expect("json");
        Snapshot::from_json(&text, Path::new("hostile.json"))
    }

    fn parse_error(value: &Value) -> String {
        match load(value) {
            Err(e @ SnapshotError::Parse { .. }) => e.to_string(),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn the_well_formed_twin_loads_clean_and_complete() {
        let snapshot = load(&snapshot(scope())).expect("loads");
        assert!(
            snapshot.coverage.errors.is_empty(),
            "{:?}",
            snapshot.coverage
        );
    }

    #[test]
    fn a_misspelled_key_below_the_top_level_is_an_error_naming_file_line_and_key() {
        let mut value = snapshot(scope());
        let group = &mut value["scopes"][0]["security_groups"][0];
        let rules = group["ingress"].take();
        group.as_object_mut().expect("object").remove("ingress");
        group["ingres"] = rules;
        let message = parse_error(&value);
        assert!(message.starts_with("hostile.json:"), "{message}");
        assert!(message.contains("ingres"), "{message}");
        assert!(
            message.contains("scopes[0].security_groups[0]"),
            "{message}"
        );
        let position: Vec<&str> = message.splitn(4, ':').collect();
        assert!(
            position[1].parse::<usize>().is_ok() && position[2].parse::<usize>().is_ok(),
            "{message}"
        );
    }

    #[test]
    fn unknown_keys_are_errors_at_every_depth_and_in_every_enum_kind() {
        type Spoil = fn(&mut Value);
        let cases: [(&str, Spoil); 7] = [
            ("rule", |v| {
                v["scopes"][0]["security_groups"][0]["ingress"][0]["port"] = json!(22)
            }),
            ("sg peer", |v| {
                v["scopes"][0]["security_groups"][0]["ingress"][0]["peer"] =
                    json!({"security_group": {"group_id": "sg-2", "vpc": "vpc-1"}})
            }),
            ("route target", |v| {
                v["scopes"][0]["route_tables"] = json!([{"id": "rtb-1", "vpc_id": "vpc-1", "routes": [
                    {"destination": {"ipv4": "0.0.0.0/0"}, "target": {"kind": "internet_gateway", "id": "igw-1", "extra": 1}}
                ]}])
            }),
            ("value fact", |v| {
                v["scopes"][0]["lambda_functions"] = json!([{"name": "f", "arn": "a", "environment": [
                    {"name": "DB", "value_facts": [{"kind": "rds_hostname", "address": "x", "value": "leak"}]}
                ]}])
            }),
            ("coverage", |v| v["coverage"]["erors"] = json!([])),
            (
                "coverage error",
                |v| v["coverage"]["errors"] = json!([{"service": "ec2", "operation": "DescribeVpcs", "error": "x", "dataset": "vpcs", "regin": "eu-west-1"}]),
            ),
            ("tool", |v| v["tool"]["verison"] = json!("1")),
        ];
        for (name, spoil) in cases {
            let mut value = snapshot(scope());
            spoil(&mut value);
            let message = parse_error(&value);
            // Adjacently tagged enums say which keys they expected instead.
            assert!(
                message.contains("unknown field") || message.contains(r#"expected "kind" or "id""#),
                "{name}: {message}"
            );
        }
    }

    #[test]
    fn a_listed_region_without_inventory_is_an_error() {
        let mut value = snapshot(scope());
        value["regions"] = json!(["eu-west-1", "us-east-1"]);
        let message = load(&value).expect_err("inconsistent").to_string();
        assert!(
            message.contains("us-east-1") && message.contains("no inventory"),
            "{message}"
        );
        // Explained by a coverage error, it loads (and the scan will be incomplete).
        value["coverage"]["errors"] = json!([{"service": "ec2", "operation": "DescribeVpcs",
            "region": "us-east-1", "error": "AccessDenied", "dataset": "vpcs"}]);
        assert!(load(&value).is_ok());
    }

    #[test]
    fn a_scope_outside_the_listed_accounts_or_regions_is_an_error() {
        let mut value = snapshot(scope());
        value["scopes"][0]["region"] = json!("eu-west-2");
        let message = load(&value).expect_err("inconsistent").to_string();
        assert!(
            message.contains("scopes[0].region") && message.contains("eu-west-2"),
            "{message}"
        );
        let mut value = snapshot(scope());
        value["scopes"][0]["account"] = json!("999999999999");
        let message = load(&value).expect_err("inconsistent").to_string();
        assert!(message.contains("scopes[0].account"), "{message}");
    }

    #[test]
    fn a_reference_to_a_missing_resource_is_recorded_in_coverage() {
        let mut value = snapshot(scope());
        value["scopes"][0]["subnets"][0]["vpc_id"] = json!("vpc-gone");
        let snapshot = load(&value).expect("loads");
        let error = snapshot
            .coverage
            .errors
            .first()
            .expect("one coverage error");
        assert_eq!(error.code.as_deref(), Some(UNKNOWN_REFERENCE));
        assert_eq!(error.dataset, Some(Dataset::Subnets));
        assert!(error.error.contains("vpc-gone"), "{}", error.error);
        assert!(
            snapshot
                .coverage
                .is_missing(Dataset::Subnets, "111122223333", "eu-west-1")
        );
    }
}

mod no_injection {
    use std::path::Path;

    use serde_json::Value;
    use vpcaudit_core::config::Config;
    use vpcaudit_core::inert::is_hazard;
    use vpcaudit_core::report::{markdown, sarif, table};
    use vpcaudit_core::snapshot::Snapshot;

    /// Clears the screen, homes the cursor, prints a fake verdict in green, sets the window
    /// title, reverses the text direction, and tries Markdown and HTML.
    const HOSTILE: &str = "web\u{1b}[2J\u{1b}[H\u{1b}[32mNo findings. All clear\u{1b}[0m\u{9b}2J\u{1b}]0;pwned\u{7}\u{202e}gnp.exe\r\n<img src=x onerror=alert(1)>**[click](https://evil.example)**|x";

    fn report_with_hostile_names() -> vpcaudit_core::report::Report {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/acme-small.json");
        let text = std::fs::read_to_string(&path).expect("fixture");
        let mut value: Value = serde_json::from_str(&text).expect("json");
        fn spoil(value: &mut Value) {
            match value {
                Value::Object(map) => {
                    for (key, inner) in map.iter_mut() {
                        if key == "Name" && inner.is_string() {
                            *inner = Value::String(HOSTILE.to_owned());
                        } else {
                            spoil(inner);
                        }
                    }
                }
                Value::Array(items) => items.iter_mut().for_each(spoil),
                _ => {}
            }
        }
        spoil(&mut value);
        let snapshot =
            Snapshot::from_json(&value.to_string(), Path::new("hostile.json")).expect("loads");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let report = vpcaudit_core::pipeline::audit(&snapshot, &Config::default(), None, today);
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.resource.name.as_deref() == Some(HOSTILE)),
            "the fixture must put the hostile name in a finding"
        );
        report
    }

    fn assert_inert(format: &str, output: &str) {
        let hazard = output.chars().find(|&c| is_hazard(c) && c != '\n');
        assert_eq!(
            hazard, None,
            "{format} output carries a raw control character"
        );
        assert!(
            !output.contains("\nNo findings. All clear"),
            "{format}: injected line"
        );
    }

    #[test]
    fn a_hostile_name_tag_is_inert_in_the_table() {
        let output = table::render(&report_with_hostile_names());
        assert_inert("table", &output);
        assert!(
            output.contains("\\u{1b}[2J"),
            "the escape is shown, not obeyed"
        );
    }

    /// With colours, the only escape sequences are vpcaudit's own severity colours and resets,
    /// in either layout: AWS text still cannot clear the screen or paint a fake verdict.
    #[test]
    fn a_hostile_name_tag_is_inert_in_the_coloured_and_compact_tables() {
        let report = report_with_hostile_names();
        let ours: Vec<&str> = vpcaudit_core::finding::Severity::descending()
            .map(table::color_of)
            .chain(["\u{1b}[0m"])
            .collect();
        for compact in [None, Some(table::COMPACT_WIDTH)] {
            let options = table::TableOptions {
                color: true,
                compact,
            };
            let output = table::render_with(&report, &options);
            assert!(output.contains("\u{1b}["), "{compact:?}: no colour at all");
            let mut stripped = output.clone();
            for sequence in &ours {
                stripped = stripped.replace(sequence, "");
            }
            assert_inert(&format!("coloured table {compact:?}"), &stripped);
            assert!(stripped.contains("\\u{1b}[2J"), "the escape is shown");
            let plain = table::render_with(
                &report,
                &table::TableOptions {
                    color: false,
                    compact,
                },
            );
            assert_eq!(stripped, plain, "colours add nothing but colour");
        }
    }

    #[test]
    fn a_hostile_name_tag_is_inert_and_escaped_in_markdown() {
        let output = markdown::render(&report_with_hostile_names());
        assert_inert("markdown", &output);
        assert!(!output.contains("<img"), "raw HTML passed through");
        assert!(!output.contains("**[click]"), "raw Markdown passed through");
        assert!(output.contains("&lt;img"), "{output}");
    }

    #[test]
    fn a_hostile_name_tag_is_inert_in_sarif_messages() {
        let output = sarif::render(&report_with_hostile_names(), &Default::default());
        let log: Value = serde_json::from_str(&output).expect("sarif json");
        let mut texts = Vec::new();
        fn messages<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(text)) =
                        map.get("message").and_then(|m| m.get("text"))
                    {
                        out.push(text);
                    }
                    map.values().for_each(|v| messages(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| messages(v, out)),
                _ => {}
            }
        }
        messages(&log, &mut texts);
        assert!(
            texts.iter().any(|t| t.contains("pwned")),
            "the name is quoted"
        );
        for text in texts {
            assert_inert("sarif message", text);
        }
    }
}
