//! ASFF: the findings as AWS Security Finding Format records, what Security Hub's
//! `BatchImportFindings` takes (`vpcaudit scan --security-hub` and the Lambda job's
//! `SecurityHub` parameter; the call itself is in the `vpcaudit-securityhub` crate).
//!
//! One record per finding, suppressed ones included. The record's `Id` is derived from the
//! finding's fingerprint (`vpcaudit/<fingerprint>`), which is stable across scans of the same
//! situation: importing the next scan's records updates these instead of adding duplicates.
//! The product is the account's own "default" product (a custom integration), so the records
//! need no registered partner product.
//!
//! - `Severity.Label` maps vpcaudit's severities one to one (`info` is `INFORMATIONAL`).
//! - `Workflow.Status` is `NEW`, or `SUPPRESSED` for a finding a configured suppression
//!   accepts (its reason in `ProductFields`): Security Hub shows it as suppressed, as vpcaudit
//!   lists it. Security Hub keeps a workflow status the user has since set.
//! - `RecordState` is `ACTIVE`; a finding a later scan no longer reports is re-imported as
//!   `ARCHIVED` by the importer.
//! - Text that people read in the console (title, description, recommendation, the `Name` tag)
//!   is made inert (control and bidirectional characters escaped, see [`crate::inert`]) and
//!   cut to ASFF's limits at a character boundary, marked with `…`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Report;
use crate::analysis::partition_of;
use crate::finding::{Finding, Severity};
use crate::inert::inert;
use crate::rules;

/// The ASFF schema version of the records.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// Every record's `Id` and `GeneratorId` start with this: the importer finds vpcaudit's own
/// records by it, and touches no other.
pub const ID_PREFIX: &str = "vpcaudit/";
/// The finding type (ASFF's namespace/category taxonomy) of every record: vpcaudit checks
/// configurations against an architecture.
pub const FINDING_TYPE: &str = "Software and Configuration Checks/AWS Security Best Practices";
/// `Title`: at most 256 characters.
pub const TITLE_MAX: usize = 256;
/// `Description`: at most 1024 characters.
pub const DESCRIPTION_MAX: usize = 1024;
/// `Remediation.Recommendation.Text`: at most 512 characters.
pub const RECOMMENDATION_MAX: usize = 512;
/// A resource tag's value: at most 256 characters.
pub const TAG_VALUE_MAX: usize = 256;
/// Where a rule's documentation is published: `<base><ID>.md` (as in SARIF and OCSF).
const RULE_DOC_BASE: &str = "https://github.com/vpcaudit/vpcaudit/blob/main/rules/";

/// One `AwsSecurityFinding`, with ASFF's field names. `None` is left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    pub schema_version: &'static str,
    /// `vpcaudit/<fingerprint>`: the same finding keeps its record across scans.
    pub id: String,
    pub product_arn: String,
    pub product_name: &'static str,
    pub company_name: &'static str,
    /// `vpcaudit/<RULE>`.
    pub generator_id: String,
    pub aws_account_id: String,
    pub region: String,
    pub types: Vec<&'static str>,
    /// When the inventory was read (RFC 3339).
    pub first_observed_at: String,
    pub last_observed_at: String,
    /// When the record was first imported: the importer keeps an existing record's.
    pub created_at: String,
    pub updated_at: String,
    pub severity: AsffSeverity,
    pub title: String,
    pub description: String,
    pub remediation: AsffRemediation,
    /// `vpcaudit/rule`, `vpcaudit/principle`, `vpcaudit/fingerprint`, and for a suppressed
    /// finding `vpcaudit/suppression`.
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<AsffResource>,
    pub record_state: RecordState,
    pub workflow: AsffWorkflow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffSeverity {
    pub label: SeverityLabel,
    /// vpcaudit's own name of the severity.
    pub original: &'static str,
}

/// `Severity.Label`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SeverityLabel {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            SeverityLabel::Informational => "INFORMATIONAL",
            SeverityLabel::Low => "LOW",
            SeverityLabel::Medium => "MEDIUM",
            SeverityLabel::High => "HIGH",
            SeverityLabel::Critical => "CRITICAL",
        }
    }
}

/// `RecordState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordState {
    Active,
    Archived,
}

impl RecordState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Active => "ACTIVE",
            RecordState::Archived => "ARCHIVED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffRemediation {
    pub recommendation: AsffRecommendation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffRecommendation {
    pub text: String,
    /// The rule's documentation.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffResource {
    /// The ASFF resource type (`AwsEc2SecurityGroup`…), `Other` when ASFF has none.
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// The ARN, else the id.
    pub id: String,
    pub partition: &'static str,
    pub region: String,
    /// The `Name` tag, when there is one.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffWorkflow {
    pub status: WorkflowStatus,
}

/// `Workflow.Status` as vpcaudit sets it on a new record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowStatus {
    New,
    Suppressed,
}

impl WorkflowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowStatus::New => "NEW",
            WorkflowStatus::Suppressed => "SUPPRESSED",
        }
    }
}

/// The IAM actions of the import, and only these: vpcaudit's one write call and the read of
/// its own earlier records. Not part of the read-only catalog
/// ([`crate::snapshot::required_iam_actions`]); granted only to use `--security-hub`.
pub const IAM_ACTIONS: [&str; 2] = ["securityhub:BatchImportFindings", "securityhub:GetFindings"];

/// The optional IAM policy of `--security-hub`, as `vpcaudit iam-policy --security-hub` prints
/// it and the README shows it: statement `VpcauditSecurityHub`, limited to the account's hubs
/// (`GetFindings`) and default products (`BatchImportFindings`), in any region and account.
pub fn iam_policy() -> String {
    // Structs, not `json!`: the keys keep the order IAM's own examples use.
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Policy {
        version: &'static str,
        statement: [Statement; 1],
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Statement {
        sid: &'static str,
        effect: &'static str,
        action: [&'static str; 2],
        resource: [&'static str; 2],
    }
    let policy = Policy {
        version: "2012-10-17",
        statement: [Statement {
            sid: "VpcauditSecurityHub",
            effect: "Allow",
            action: IAM_ACTIONS,
            resource: [
                "arn:aws:securityhub:*:*:hub/default",
                "arn:aws:securityhub:*:*:product/*/default",
            ],
        }],
    };
    // A document of strings always serialises; the fallback keeps this total.
    serde_json::to_string_pretty(&policy).unwrap_or_default()
}

/// The product ARN of an account's own findings in a region: its "default" product, which
/// every account with Security Hub enabled may import into.
pub fn product_arn(account: &str, region: &str) -> String {
    format!(
        "arn:{}:securityhub:{region}:{account}:product/{account}/default",
        partition_of(region)
    )
}

/// The record `Id` of a finding fingerprint.
pub fn record_id(fingerprint: &str) -> String {
    format!("{ID_PREFIX}{fingerprint}")
}

/// The records of the report's findings in one account and region, in the report's order:
/// what one `BatchImportFindings` scope takes. `now` (RFC 3339) is the import's time.
pub fn build_scope(report: &Report, account: &str, region: &str, now: &str) -> Vec<AsffFinding> {
    report
        .findings
        .iter()
        .filter(|f| f.resource.account == account && f.resource.region == region)
        .map(|f| record(f, &report.collected_at, now))
        .collect()
}

/// The (account, region) scopes the report has findings in or read, sorted: each is one
/// Security Hub.
pub fn scopes(report: &Report) -> Vec<(String, String)> {
    let mut scopes: Vec<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.resource.account.clone(), f.resource.region.clone()))
        .chain(
            report
                .coverage
                .collected
                .iter()
                .map(|c| (c.account.clone(), c.region.clone())),
        )
        .filter(|(account, region)| !account.is_empty() && !region.is_empty())
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// One finding's record. `collected_at` (RFC 3339, else `now`) is when it was observed.
pub fn record(finding: &Finding, collected_at: &str, now: &str) -> AsffFinding {
    let rule = rules::find(&finding.rule_id);
    let account = &finding.resource.account;
    let region = &finding.resource.region;
    let observed = chrono::DateTime::parse_from_rfc3339(collected_at)
        .map(|at| {
            at.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        })
        .unwrap_or_else(|_| now.to_owned());
    let title = match rule {
        Some(rule) => format!("{} {}", finding.rule_id, rule.meta.title),
        None => finding.rule_id.clone(),
    };
    let mut product_fields = BTreeMap::from([
        ("vpcaudit/rule".to_owned(), limited(&finding.rule_id, 2048)),
        (
            "vpcaudit/principle".to_owned(),
            finding.principle.slug().to_owned(),
        ),
        (
            "vpcaudit/fingerprint".to_owned(),
            finding.fingerprint.clone(),
        ),
    ]);
    if let Some(suppression) = &finding.suppression {
        product_fields.insert(
            "vpcaudit/suppression".to_owned(),
            limited(
                &format!("{} ({})", suppression.reason, suppression.source),
                2048,
            ),
        );
    }
    let resource = &finding.resource;
    AsffFinding {
        schema_version: SCHEMA_VERSION,
        id: record_id(&finding.fingerprint),
        product_arn: product_arn(account, region),
        product_name: "vpcaudit",
        company_name: "vpcaudit",
        generator_id: format!("{ID_PREFIX}{}", finding.rule_id),
        aws_account_id: account.clone(),
        region: region.clone(),
        types: vec![FINDING_TYPE],
        first_observed_at: observed.clone(),
        last_observed_at: observed,
        created_at: now.to_owned(),
        updated_at: now.to_owned(),
        severity: AsffSeverity {
            label: severity_label(finding.severity),
            original: finding.severity.as_str(),
        },
        title: limited(&title, TITLE_MAX),
        description: limited(&finding.message, DESCRIPTION_MAX),
        remediation: AsffRemediation {
            recommendation: AsffRecommendation {
                text: limited(&finding.remediation, RECOMMENDATION_MAX),
                url: format!("{RULE_DOC_BASE}{}.md", finding.rule_id),
            },
        },
        product_fields,
        resources: vec![AsffResource {
            kind: resource_type(&resource.kind),
            id: if resource.arn.is_empty() {
                resource.id.clone()
            } else {
                resource.arn.clone()
            },
            partition: partition_of(region),
            region: region.clone(),
            tags: resource
                .name
                .iter()
                .map(|name| ("Name".to_owned(), limited(name, TAG_VALUE_MAX)))
                .collect(),
        }],
        record_state: RecordState::Active,
        workflow: AsffWorkflow {
            status: match finding.suppression {
                None => WorkflowStatus::New,
                Some(_) => WorkflowStatus::Suppressed,
            },
        },
    }
}

/// Which of vpcaudit's earlier records in one account and region a scan may archive: a record
/// the scan no longer reports is resolved only if its rule was evaluated there. A rule skipped
/// for want of data (`coverage.not_evaluated`), or any failed call in the scope that no
/// dataset accounts for, keeps the records active: a false "resolved" is worse than a stale
/// finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveScope {
    /// False when something in the scope failed that cannot be tied to rules.
    whole_scope_read: bool,
    not_evaluated: std::collections::BTreeSet<String>,
}

impl ArchiveScope {
    pub fn of(report: &Report, account: &str, region: &str) -> ArchiveScope {
        let here = |a: Option<&str>, r: Option<&str>| {
            a.is_none_or(|a| a == account) && r.is_none_or(|r| r == region)
        };
        let whole_scope_read =
            report.summary.baseline.is_none()
                && !report.coverage.errors.iter().any(|e| {
                    e.dataset.is_none() && here(e.account.as_deref(), e.region.as_deref())
                });
        ArchiveScope {
            whole_scope_read,
            not_evaluated: report
                .coverage
                .not_evaluated
                .iter()
                .filter(|n| here(Some(&n.account), Some(&n.region)))
                .map(|n| n.rule_id.clone())
                .collect(),
        }
    }

    /// Whether a record of this generator (`vpcaudit/<RULE>`) that the scan did not report
    /// may be archived.
    pub fn may_archive(&self, generator_id: &str) -> bool {
        match generator_id.strip_prefix(ID_PREFIX) {
            Some(rule) if !rule.is_empty() => {
                self.whole_scope_read && !self.not_evaluated.contains(rule)
            }
            _ => false,
        }
    }
}

/// `Severity.Label` of a vpcaudit severity.
pub fn severity_label(severity: Severity) -> SeverityLabel {
    match severity {
        Severity::Info => SeverityLabel::Informational,
        Severity::Low => SeverityLabel::Low,
        Severity::Medium => SeverityLabel::Medium,
        Severity::High => SeverityLabel::High,
        Severity::Critical => SeverityLabel::Critical,
    }
}

/// The ASFF resource type of a CloudFormation type name; `Other` when ASFF has none.
pub fn resource_type(cloudformation: &str) -> &'static str {
    match cloudformation {
        "AWS::EC2::Instance" => "AwsEc2Instance",
        "AWS::EC2::NetworkAcl" => "AwsEc2NetworkAcl",
        "AWS::EC2::NetworkInterface" => "AwsEc2NetworkInterface",
        "AWS::EC2::RouteTable" => "AwsEc2RouteTable",
        "AWS::EC2::SecurityGroup" => "AwsEc2SecurityGroup",
        "AWS::EC2::Subnet" => "AwsEc2Subnet",
        "AWS::EC2::VPC" => "AwsEc2Vpc",
        "AWS::ElasticLoadBalancing::LoadBalancer" => "AwsElbLoadBalancer",
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => "AwsElbv2LoadBalancer",
        "AWS::Lambda::Function" => "AwsLambdaFunction",
        "AWS::RDS::DBCluster" => "AwsRdsDbCluster",
        "AWS::RDS::DBInstance" => "AwsRdsDbInstance",
        "AWS::ApiGateway::Stage" => "AwsApiGatewayStage",
        "AWS::ApiGatewayV2::Stage" => "AwsApiGatewayV2Stage",
        "AWS::ECS::Service" => "AwsEcsService",
        _ => "Other",
    }
}

/// `text` made inert and cut to at most `max` characters (not bytes), the last one `…` when
/// cut.
pub fn limited(text: &str, max: usize) -> String {
    let inert = inert(text);
    if max == 0 {
        return String::new();
    }
    if inert.chars().count() <= max {
        return inert.into_owned();
    }
    let mut cut: String = inert.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_to_labels_in_order() {
        let labels: Vec<&str> = Severity::descending()
            .rev()
            .map(|s| severity_label(s).as_str())
            .collect();
        assert_eq!(
            labels,
            ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
        );
    }

    #[test]
    fn product_arns_follow_the_partition() {
        assert_eq!(
            product_arn("123456789012", "eu-west-1"),
            "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default"
        );
        assert_eq!(
            product_arn("1", "cn-north-1"),
            "arn:aws-cn:securityhub:cn-north-1:1:product/1/default"
        );
        assert_eq!(
            product_arn("1", "us-gov-west-1"),
            "arn:aws-us-gov:securityhub:us-gov-west-1:1:product/1/default"
        );
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        assert_eq!(limited("short", 10), "short");
        let long = "é".repeat(300);
        let cut = limited(&long, TITLE_MAX);
        assert_eq!(cut.chars().count(), TITLE_MAX);
        assert!(cut.ends_with('…'));
        assert_eq!(limited("", 0), "");
        assert_eq!(limited("ab", 0), "");
        assert_eq!(limited("ab", 1), "…");
    }

    #[test]
    fn control_characters_are_made_inert() {
        let text = limited("a\u{1b}[2Jb\u{202e}c\nd", 100);
        assert!(!text.chars().any(crate::inert::is_hazard), "{text:?}");
        assert!(text.starts_with('a') && text.ends_with('d'));
    }

    #[test]
    fn unknown_types_are_other() {
        assert_eq!(
            resource_type("AWS::EC2::SecurityGroup"),
            "AwsEc2SecurityGroup"
        );
        assert_eq!(resource_type("AWS::EC2::NatGateway"), "Other");
        assert_eq!(resource_type(""), "Other");
    }
}
