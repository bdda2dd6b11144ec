//! OCSF: the findings as Open Cybersecurity Schema Framework Detection Finding records
//! (class 2004), the shape Security Hub, Amazon Security Lake and Prowler exchange.
//!
//! One record per finding, suppressed ones included (status `Suppressed`), in a JSON array.
//! Every field written is one the OCSF model knows (checked against `py-ocsf-models` by
//! `crates/core/tests/ocsf.rs`); what OCSF has no place for (the principle, the suppression)
//! goes under `unmapped`. Like the JSON report, values keep AWS's exact bytes: JSON escapes
//! them, and consumers of OCSF are machines.

use serde::Serialize;
use serde_json::{Map, Value};

use super::Report;
use super::sarif::INFORMATION_URI;
use crate::finding::{Finding, Severity, Suppression};
use crate::rules;

/// The OCSF schema version the records follow: the one `py-ocsf-models` (pinned in
/// `tests/moto/requirements.txt`) models.
pub const OCSF_VERSION: &str = "1.5.0";
/// `class_uid` of Detection Finding.
pub const CLASS_UID: u32 = 2004;
/// `category_uid` of Findings.
pub const CATEGORY_UID: u32 = 2;
/// `activity_id` Create: each scan reports what it sees now; it tracks no earlier state.
pub const ACTIVITY_CREATE: u32 = 1;
/// `analytic.type_id` Rule.
const ANALYTIC_RULE: u32 = 1;
/// `cloud.account.type_id` AWS Account.
const ACCOUNT_AWS: u32 = 10;
/// Where a rule's documentation is published: `<base><ID>.md` (as in SARIF).
const RULE_DOC_BASE: &str = "https://github.com/vpcaudit/vpcaudit/blob/main/rules/";

/// One Detection Finding. Fields in the order of the OCSF class; `None` is left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectionFinding {
    pub activity_id: u32,
    pub activity_name: &'static str,
    pub category_uid: u32,
    pub category_name: &'static str,
    pub class_uid: u32,
    pub class_name: &'static str,
    pub type_uid: u32,
    pub type_name: &'static str,
    pub severity_id: u32,
    pub severity: &'static str,
    pub status_id: u32,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    /// Milliseconds since the epoch (OCSF `timestamp_t`): when the inventory was read.
    pub time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_dt: Option<String>,
    pub message: String,
    pub metadata: Metadata,
    pub finding_info: FindingInfo,
    pub resources: Vec<ResourceDetails>,
    pub cloud: Cloud,
    pub remediation: Remediation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidences: Vec<Evidence>,
    pub unmapped: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    /// The OCSF schema version.
    pub version: &'static str,
    pub product: Product,
    /// The rule id, as Prowler puts its check id here.
    pub event_code: String,
    pub profiles: [&'static str; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    pub name: &'static str,
    pub uid: &'static str,
    pub vendor_name: &'static str,
    pub version: String,
    pub url_string: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingInfo {
    /// The finding's fingerprint: stable across scans, so consumers can deduplicate.
    pub uid: String,
    pub title: String,
    pub desc: String,
    pub types: Vec<String>,
    pub analytic: Analytic,
    pub src_url: String,
    pub created_time: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analytic {
    pub uid: String,
    pub name: String,
    pub type_id: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The architecture principle the rule enforces.
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceDetails {
    /// The ARN, else the id.
    pub uid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The CloudFormation type name, e.g. `AWS::EC2::SecurityGroup`.
    #[serde(rename = "type")]
    pub kind: String,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_partition: Option<String>,
    /// The resource's id, which the ARN does not always spell out.
    pub data: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cloud {
    pub provider: &'static str,
    pub account: Account,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub uid: String,
    /// OCSF requires a name; vpcaudit knows only the id.
    pub name: String,
    pub type_id: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remediation {
    pub desc: String,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The finding's `evidence` (route, table, security group rule…).
    pub data: Map<String, Value>,
}

/// The records as a pretty JSON array, ending with a newline.
pub fn render(report: &Report) -> String {
    // Plain data with string keys: serialising it cannot fail.
    serde_json::to_string_pretty(&build(report)).unwrap_or_default() + "\n"
}

/// One record per finding of the report, in the report's order.
pub fn build(report: &Report) -> Vec<DetectionFinding> {
    let time = Time::parse(&report.collected_at);
    report
        .findings
        .iter()
        .map(|finding| record(finding, &report.tool.version, &time))
        .collect()
}

/// `collected_at` as OCSF wants it twice: epoch milliseconds and RFC 3339. A time that does not
/// parse (a hand-edited snapshot) becomes 0, and `time_dt` is left out rather than invented.
struct Time {
    millis: i64,
    rfc3339: Option<String>,
}

impl Time {
    fn parse(value: &str) -> Time {
        match chrono::DateTime::parse_from_rfc3339(value) {
            Ok(at) => Time {
                millis: at.timestamp_millis(),
                rfc3339: Some(
                    at.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                ),
            },
            Err(_) => Time {
                millis: 0,
                rfc3339: None,
            },
        }
    }
}

fn record(finding: &Finding, version: &str, time: &Time) -> DetectionFinding {
    let rule = rules::find(&finding.rule_id);
    let doc_url = format!("{RULE_DOC_BASE}{}.md", finding.rule_id);
    let (status_id, status) = match &finding.suppression {
        None => (1, "New"),
        Some(_) => (3, "Suppressed"),
    };
    let resource = &finding.resource;
    let mut unmapped = Map::new();
    unmapped.insert(
        "principle".to_owned(),
        Value::from(finding.principle.slug()),
    );
    if let Some(suppression) = &finding.suppression {
        // Serialising plain data cannot fail; Null would only lose the note.
        unmapped.insert(
            "suppression".to_owned(),
            serde_json::to_value(suppression).unwrap_or_default(),
        );
    }
    let evidences = match &finding.evidence {
        Value::Null => Vec::new(),
        Value::Object(data) => vec![Evidence {
            data: sorted(data.clone()),
        }],
        // OCSF evidence data is an object: anything else is kept under a name.
        other => vec![Evidence {
            data: sorted(Map::from_iter([("value".to_owned(), other.clone())])),
        }],
    };
    let unmapped = sorted(unmapped);
    DetectionFinding {
        activity_id: ACTIVITY_CREATE,
        activity_name: "Create",
        category_uid: CATEGORY_UID,
        category_name: "Findings",
        class_uid: CLASS_UID,
        class_name: "Detection Finding",
        type_uid: CLASS_UID * 100 + ACTIVITY_CREATE,
        type_name: "Detection Finding: Create",
        severity_id: severity_id(finding.severity),
        severity: severity_name(finding.severity),
        status_id,
        status,
        status_detail: finding.suppression.as_ref().map(suppression_detail),
        time: time.millis,
        time_dt: time.rfc3339.clone(),
        message: finding.message.clone(),
        metadata: Metadata {
            version: OCSF_VERSION,
            product: Product {
                name: "vpcaudit",
                uid: "vpcaudit",
                vendor_name: "vpcaudit",
                version: version.to_owned(),
                url_string: INFORMATION_URI,
            },
            event_code: finding.rule_id.clone(),
            profiles: ["cloud", "datetime"],
        },
        finding_info: FindingInfo {
            uid: finding.fingerprint.clone(),
            title: rule.map_or_else(|| finding.rule_id.clone(), |r| r.meta.title.clone()),
            desc: finding.message.clone(),
            types: vec![finding.rule_id.clone()],
            analytic: Analytic {
                uid: finding.rule_id.clone(),
                name: rule.map_or_else(|| finding.rule_id.clone(), |r| r.meta.name.clone()),
                type_id: ANALYTIC_RULE,
                kind: "Rule",
                category: finding.principle.slug().to_owned(),
            },
            src_url: doc_url.clone(),
            created_time: time.millis,
        },
        resources: vec![ResourceDetails {
            uid: if resource.arn.is_empty() {
                resource.id.clone()
            } else {
                resource.arn.clone()
            },
            name: resource.name.clone(),
            kind: resource.kind.clone(),
            region: resource.region.clone(),
            cloud_partition: partition(&resource.arn),
            data: Map::from_iter([("id".to_owned(), Value::from(resource.id.clone()))]),
        }],
        cloud: Cloud {
            provider: "AWS",
            account: Account {
                uid: resource.account.clone(),
                name: resource.account.clone(),
                type_id: ACCOUNT_AWS,
                kind: "AWS Account",
            },
            region: resource.region.clone(),
        },
        remediation: Remediation {
            desc: finding.remediation.clone(),
            references: vec![doc_url],
        },
        evidences,
        unmapped,
    }
}

/// OCSF `severity_id`: Informational 1, Low 2, Medium 3, High 4, Critical 5.
pub fn severity_id(severity: Severity) -> u32 {
    match severity {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

/// The caption of [`severity_id`].
pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "Informational",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

/// Keys in order at every depth. serde_json keeps insertion order when another crate of the
/// build enables its `preserve_order` feature, and sorts them otherwise: the records must read
/// the same either way.
fn sorted(map: Map<String, Value>) -> Map<String, Value> {
    let mut value = Value::Object(map);
    value.sort_all_objects();
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn suppression_detail(suppression: &Suppression) -> String {
    match &suppression.expires {
        Some(expires) => format!(
            "{} ({}, until {expires})",
            suppression.reason, suppression.source
        ),
        None => format!("{} ({})", suppression.reason, suppression.source),
    }
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`), when it is one.
fn partition(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(3, ':');
    match (parts.next(), parts.next()) {
        (Some("arn"), Some(partition)) if !partition.is_empty() => Some(partition.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_to_ocsf_ids_in_order() {
        let ids: Vec<u32> = Severity::descending().rev().map(severity_id).collect();
        assert_eq!(ids, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn partitions_come_from_arns_only() {
        assert_eq!(
            partition("arn:aws-cn:ec2:cn-north-1:1:vpc/vpc-1").as_deref(),
            Some("aws-cn")
        );
        assert_eq!(partition("vpc-1"), None);
        assert_eq!(partition(""), None);
        assert_eq!(partition("arn::x"), None);
    }

    #[test]
    fn times_are_epoch_milliseconds() {
        let time = Time::parse("2026-11-20T09:00:00Z");
        assert_eq!(time.millis, 1_795_165_200_000);
        assert_eq!(time.rfc3339.as_deref(), Some("2026-11-20T09:00:00Z"));
        let time = Time::parse("2026-11-20T10:00:00.5+01:00");
        assert_eq!(time.millis, 1_795_165_200_500);
        assert_eq!(time.rfc3339.as_deref(), Some("2026-11-20T09:00:00.500Z"));
        assert_eq!(Time::parse("yesterday").millis, 0);
    }
}
