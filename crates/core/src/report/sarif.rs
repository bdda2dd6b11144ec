//! SARIF 2.1.0, shaped for GitHub code scanning.
//!
//! Cloud resources are not files, so every result points at a stable pseudo-path
//! (`aws/<account>/<region>/<type>/<id>`, line 1) and carries the resource's ARN as a logical
//! location. GitHub tracks an alert across uploads by `partialFingerprints` (the finding's own
//! fingerprint) and keeps uploads apart by `runs[].automationDetails.id` (one per account and
//! regions). A scan that could not read everything says so in `invocations[0]`: the failures
//! are error notifications and `executionSuccessful` is false.
//!
//! GitHub reads `security-severity` from the rule only, so it is the rule's default severity;
//! a finding a check rated otherwise keeps its own severity in the result's `level` and
//! `properties.severity`.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, ReportingDescriptorReference, Result as SarifResult, ResultLevel, Run,
    RunAutomationDetails, SCHEMA_URL, Sarif, Suppression, Tool, ToolComponent, Version,
};

use super::Report;
use super::locations::{NoSources, SourceLocation, SourceMap};
use crate::finding::{Finding, Resource, Severity};
use crate::inert::inert;
use crate::rules::{self, NotEvaluated, Rule};
use crate::snapshot::CollectionError;

/// The project's home page: `tool.driver.informationUri`.
pub const INFORMATION_URI: &str = "https://github.com/vpcaudit/vpcaudit";
/// Where a rule's documentation is published: `<base><ID>.md`.
const RULE_HELP_BASE: &str = "https://github.com/vpcaudit/vpcaudit/blob/main/rules/";
/// The `partialFingerprints` key. Bump the version if the fingerprint's recipe ever changes, so
/// GitHub does not match new fingerprints against old ones.
pub const FINGERPRINT_KEY: &str = "vpcauditFinding/v1";
/// Id of the notification for an AWS API call that failed.
pub const COLLECTION_ERROR: &str = "collection-error";
/// Id of the notification for a rule skipped for lack of data.
pub const RULE_NOT_EVALUATED: &str = "rule-not-evaluated";
/// `tool.driver.notifications`, in order: (id, description).
const NOTIFICATIONS: [(&str, &str); 2] = [
    (
        COLLECTION_ERROR,
        "An AWS API call failed: what it would have read is unknown, not clean.",
    ),
    (
        RULE_NOT_EVALUATED,
        "A rule was not evaluated in an account and region because data it needs could not be \
         read.",
    ),
];

/// Choices the user can make about the SARIF output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SarifOptions {
    /// `runs[0].automationDetails.id`, i.e. GitHub's analysis category. None: the default
    /// `vpcaudit/<account>/<regions>/`.
    pub category: Option<String>,
}

/// The SARIF log as pretty JSON, ending with a newline.
pub fn render(report: &Report, options: &SarifOptions) -> String {
    render_located(report, options, &NoSources)
}

/// [`render`], with results located in the files `sources` knows.
pub fn render_located(report: &Report, options: &SarifOptions, sources: &dyn SourceMap) -> String {
    // Plain data with string keys: serialising it cannot fail.
    serde_json::to_string_pretty(&build_located(report, options, sources)).unwrap_or_default()
        + "\n"
}

/// The SARIF log for a report: one run.
pub fn build(report: &Report, options: &SarifOptions) -> Sarif {
    build_located(report, options, &NoSources)
}

/// [`build`], with each result whose resource `sources` knows located at its file and line
/// (the resource stays a logical location); the others keep their pseudo-path.
pub fn build_located(report: &Report, options: &SarifOptions, sources: &dyn SourceMap) -> Sarif {
    let catalog = Catalog::new(report);
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|finding| result(finding, &catalog, sources.locate(finding)))
        .collect();
    let run = Run::builder()
        .tool(Tool::from(driver(report, &catalog)))
        .automation_details(
            RunAutomationDetails::builder()
                .id(automation_id(report, options))
                .build(),
        )
        .invocations(vec![invocation(report, &catalog)])
        .results(results)
        .build();
    Sarif::builder()
        .schema(SCHEMA_URL)
        .version(Version::V2_1_0.to_string())
        .runs(vec![run])
        .build()
}

/// GitHub's analysis category: the user's, or `vpcaudit/<account>/<regions>/`, so uploads for
/// different accounts or regions do not replace each other. Ends with `/` as GitHub's own
/// upload action makes it, so the id GitHub shows is the one written here.
pub fn automation_id(report: &Report, options: &SarifOptions) -> String {
    let mut id = match options.category.as_deref().map(str::trim) {
        Some(category) if !category.is_empty() => category.to_owned(),
        _ => {
            let account = non_empty(report.account.as_deref().unwrap_or_default(), "unknown");
            let regions = report.regions.join(",");
            format!("vpcaudit/{account}/{}", non_empty(&regions, "unknown"))
        }
    };
    if !id.ends_with('/') {
        id.push('/');
    }
    id
}

/// GitHub's `security-severity` (a score from 0.0 to 10.0, as a string): above 9.0 shows as
/// critical, 7.0 to 8.9 high, 4.0 to 6.9 medium, below as low.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// The SARIF result level: what GitHub uses for alerts without a security severity, and what
/// other SARIF viewers sort by.
pub fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

/// The stable relative URI standing for a resource: `aws/<account>/<region>/<type>/<id>`,
/// e.g. `aws/123456789012/us-east-1/ec2-subnet/subnet-0abc`. Each segment is percent-encoded.
pub fn artifact_uri(resource: &Resource) -> String {
    [
        "aws",
        &encode_segment(non_empty(&resource.account, "unknown")),
        &encode_segment(non_empty(&resource.region, "global")),
        &encode_segment(&resource_type_slug(&resource.kind)),
        &encode_segment(non_empty(&resource.id, "unknown")),
    ]
    .join("/")
}

/// `AWS::EC2::Subnet` → `ec2-subnet`, `AWS::RDS::DBInstance` → `rds-dbinstance`.
pub fn resource_type_slug(kind: &str) -> String {
    let kind = kind.strip_prefix("AWS::").unwrap_or(kind);
    let slug: String = kind
        .split("::")
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .to_ascii_lowercase();
    non_empty(&slug, "resource").to_owned()
}

fn non_empty<'a>(value: &'a str, fallback: &'a str) -> &'a str {
    if value.is_empty() { fallback } else { value }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a segment can never add
/// a `/`, a query or a fragment to the URI.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The rules of the run, in `tool.driver.rules` order: the catalog, then any rule a finding
/// names that the catalog lacks (a report from another vpcaudit version), so every result's
/// `ruleIndex` points at its rule.
struct Catalog {
    rules: Vec<ReportingDescriptor>,
    index: BTreeMap<String, usize>,
}

impl Catalog {
    fn new(report: &Report) -> Catalog {
        let mut catalog = Catalog {
            rules: Vec::new(),
            index: BTreeMap::new(),
        };
        for rule in rules::all() {
            catalog.add(&rule.meta.id, || descriptor(rule));
        }
        for finding in &report.findings {
            catalog.add(&finding.rule_id, || unknown_rule_descriptor(finding));
        }
        for skipped in &report.coverage.not_evaluated {
            catalog.add(&skipped.rule_id, || {
                minimal_descriptor(&skipped.rule_id, Severity::Info, None)
            });
        }
        catalog
    }

    fn add(&mut self, id: &str, make: impl FnOnce() -> ReportingDescriptor) {
        if !self.index.contains_key(id) {
            self.index.insert(id.to_owned(), self.rules.len());
            self.rules.push(make());
        }
    }

    fn reference(&self, id: &str) -> ReportingDescriptorReference {
        let mut reference = ReportingDescriptorReference::builder().id(id).build();
        reference.index = self.index.get(id).copied().map(index_i64);
        reference
    }
}

fn index_i64(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

fn driver(report: &Report, catalog: &Catalog) -> ToolComponent {
    ToolComponent::builder()
        .name(report.tool.name.clone())
        .semantic_version(report.tool.version.clone())
        .version(report.tool.version.clone())
        .information_uri(INFORMATION_URI)
        .rules(catalog.rules.clone())
        .notifications(
            NOTIFICATIONS
                .iter()
                .map(|(id, description)| notification_descriptor(id, description))
                .collect::<Vec<_>>(),
        )
        .build()
}

fn notification_descriptor(id: &str, description: &str) -> ReportingDescriptor {
    let description = description.to_owned();
    // GitHub wants every descriptor, rule or notification, fully described.
    let help = format!(
        "{description} The notification names the API call or the rule, the account and the \
         region; grant the read-only permissions listed in the README (or retry a throttled \
         call) and scan again."
    );
    ReportingDescriptor::builder()
        .id(id)
        .short_description(&description)
        .full_description(&description)
        .help(&help)
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!("error"))
                .build(),
        )
        .build()
}

fn properties(tags: Vec<String>, additional: BTreeMap<String, Value>) -> PropertyBag {
    let builder = PropertyBag::builder().additional_properties(additional);
    if tags.is_empty() {
        builder.build()
    } else {
        builder.tags(tags).build()
    }
}

fn rule_tags(principle: &str) -> Vec<String> {
    ["security", principle, "aws", "vpc"]
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let meta = &rule.meta;
    let doc = &rule.doc;
    let help_text = format!(
        "{}\n\nHow to fix: {}\n\nFull documentation: `vpcaudit rules explain {}`.",
        doc.summary, doc.fix_summary, meta.id
    );
    let help = MultiformatMessageString::builder()
        .text(help_text)
        .markdown(doc.markdown.clone())
        .build();
    let mut additional = BTreeMap::new();
    additional.insert(
        "security-severity".to_owned(),
        json!(security_severity(meta.severity)),
    );
    additional.insert("severity".to_owned(), json!(meta.severity));
    additional.insert("principle".to_owned(), json!(meta.principle.slug()));
    ReportingDescriptor::builder()
        .id(meta.id.clone())
        .name(meta.name.clone())
        .short_description(&meta.title)
        .full_description(&doc.summary)
        .help(help)
        .help_uri(format!("{RULE_HELP_BASE}{}.md", meta.id))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level(meta.severity)))
                .build(),
        )
        .properties(properties(rule_tags(meta.principle.slug()), additional))
        .build()
}

/// A rule a finding names but this build's catalog does not: described from the finding.
fn unknown_rule_descriptor(finding: &Finding) -> ReportingDescriptor {
    minimal_descriptor(
        &finding.rule_id,
        finding.severity,
        Some(finding.principle.slug()),
    )
}

fn minimal_descriptor(
    id: &str,
    severity: Severity,
    principle: Option<&str>,
) -> ReportingDescriptor {
    let text = format!("vpcaudit rule {id} (not in this version's catalog)");
    let mut additional = BTreeMap::new();
    additional.insert(
        "security-severity".to_owned(),
        json!(security_severity(severity)),
    );
    let tags = match principle {
        Some(principle) => rule_tags(principle),
        None => vec!["security".to_owned(), "aws".to_owned(), "vpc".to_owned()],
    };
    ReportingDescriptor::builder()
        .id(id)
        .short_description(&text)
        .full_description(&text)
        .help(
            MultiformatMessageString::builder()
                .text(text.clone())
                .build(),
        )
        .properties(properties(tags, additional))
        .build()
}

fn result(finding: &Finding, catalog: &Catalog, source: Option<SourceLocation>) -> SarifResult {
    let resource = &finding.resource;
    let label = match &resource.name {
        Some(name) if name != &resource.id => format!("{} ({name})", resource.id),
        _ => resource.id.clone(),
    };
    let mut logical = LogicalLocation::builder()
        .name(resource.id.clone())
        .kind("resource")
        .build();
    if !resource.arn.is_empty() {
        logical.fully_qualified_name = Some(resource.arn.clone());
    }
    let physical = match &source {
        Some(source) => {
            let line = i64::try_from(source.line).unwrap_or(1).max(1);
            let region = match source.column.and_then(|c| i64::try_from(c).ok()) {
                Some(column) => Region::builder()
                    .start_line(line)
                    .start_column(column.max(1))
                    .build(),
                None => Region::builder().start_line(line).build(),
            };
            PhysicalLocation::builder()
                .artifact_location(ArtifactLocation::builder().uri(source.uri.clone()).build())
                .region(region)
                .build()
        }
        None => PhysicalLocation::builder()
            .artifact_location(
                ArtifactLocation::builder()
                    .uri(artifact_uri(resource))
                    .build(),
            )
            .region(Region::builder().start_line(1).build())
            .build(),
    };
    let label = match &source {
        Some(source) => format!("{label}: {}", source.label),
        None => label,
    };
    let location = Location::builder()
        .physical_location(physical)
        .logical_locations(vec![logical])
        .message(Message::from(inert(&label).as_ref()))
        .build();

    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_owned(), finding.fingerprint.clone());

    let mut additional = BTreeMap::new();
    additional.insert("severity".to_owned(), json!(finding.severity));
    additional.insert("principle".to_owned(), json!(finding.principle.slug()));
    additional.insert("resourceType".to_owned(), json!(resource.kind));
    additional.insert("account".to_owned(), json!(resource.account));
    additional.insert("region".to_owned(), json!(resource.region));
    additional.insert("remediation".to_owned(), json!(finding.remediation));
    if !finding.evidence.is_null() {
        additional.insert("evidence".to_owned(), finding.evidence.clone());
    }

    // Message text is shown to people (code scanning, terminals via `jq -r`): inert, one
    // line per part. The data fields keep AWS's exact bytes.
    let text = format!(
        "{}\nFix: {}",
        inert(&finding.message),
        inert(&finding.remediation)
    );
    let mut result = SarifResult::builder()
        .rule_id(finding.rule_id.clone())
        .level(level(finding.severity))
        .message(Message::from(text.as_str()))
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(properties(Vec::new(), additional))
        .build();
    // The catalog holds every finding's rule, so the index is always there.
    result.rule_index = catalog.index.get(&finding.rule_id).copied().map(index_i64);
    result.suppressions = finding.suppression.as_ref().map(|suppression| {
        let mut additional = BTreeMap::new();
        additional.insert("source".to_owned(), json!(suppression.source));
        if let Some(expires) = &suppression.expires {
            additional.insert("expires".to_owned(), json!(expires));
        }
        vec![
            Suppression::builder()
                .kind(json!("external"))
                .status(json!("accepted"))
                .justification(suppression.reason.clone())
                .properties(properties(Vec::new(), additional))
                .build(),
        ]
    });
    result
}

fn invocation(report: &Report, catalog: &Catalog) -> Invocation {
    let notifications: Vec<Notification> = report
        .coverage
        .errors
        .iter()
        .map(collection_error_notification)
        .chain(
            report
                .coverage
                .not_evaluated
                .iter()
                .map(|skipped| not_evaluated_notification(skipped, catalog)),
        )
        .collect();
    let mut invocation = Invocation::builder()
        .execution_successful(report.summary.complete)
        .build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    invocation
}

fn notification_ref(id: &str) -> ReportingDescriptorReference {
    let mut reference = ReportingDescriptorReference::builder().id(id).build();
    reference.index = NOTIFICATIONS
        .iter()
        .position(|(known, _)| *known == id)
        .map(index_i64);
    reference
}

fn collection_error_notification(error: &CollectionError) -> Notification {
    let scope = format!(
        "{}/{}",
        error.account.as_deref().unwrap_or("*"),
        error.region.as_deref().unwrap_or("*")
    );
    let code = error
        .code
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let text = format!(
        "{}:{} failed in {scope}{code}: {}. What it would have read is unknown, not clean.",
        error.service,
        error.operation,
        inert(&error.error)
    );
    let text = inert(&text).into_owned();
    let mut additional = BTreeMap::new();
    additional.insert("service".to_owned(), json!(error.service));
    additional.insert("operation".to_owned(), json!(error.operation));
    for (key, value) in [
        ("account", &error.account),
        ("region", &error.region),
        ("code", &error.code),
    ] {
        if let Some(value) = value {
            additional.insert(key.to_owned(), json!(value));
        }
    }
    if let Some(dataset) = error.dataset {
        additional.insert("dataset".to_owned(), json!(dataset));
    }
    Notification::builder()
        .level(json!("error"))
        .message(Message::from(text.as_str()))
        .descriptor(notification_ref(COLLECTION_ERROR))
        .properties(properties(Vec::new(), additional))
        .build()
}

fn not_evaluated_notification(skipped: &NotEvaluated, catalog: &Catalog) -> Notification {
    let text = format!(
        "{} was not evaluated in {}/{}: missing {}.",
        skipped.rule_id,
        skipped.account,
        skipped.region,
        skipped.missing.join(", ")
    );
    let mut additional = BTreeMap::new();
    additional.insert("account".to_owned(), json!(skipped.account));
    additional.insert("region".to_owned(), json!(skipped.region));
    additional.insert("missing".to_owned(), json!(skipped.missing));
    Notification::builder()
        .level(json!("error"))
        .message(Message::from(text.as_str()))
        .descriptor(notification_ref(RULE_NOT_EVALUATED))
        .associated_rule(catalog.reference(&skipped.rule_id))
        .properties(properties(Vec::new(), additional))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(kind: &str, id: &str) -> Resource {
        Resource {
            kind: kind.to_owned(),
            id: id.to_owned(),
            arn: String::new(),
            name: None,
            region: "us-east-1".to_owned(),
            account: "123456789012".to_owned(),
        }
    }

    #[test]
    fn uris_are_relative_stable_and_encoded() {
        assert_eq!(
            artifact_uri(&resource("AWS::EC2::Subnet", "subnet-0abc")),
            "aws/123456789012/us-east-1/ec2-subnet/subnet-0abc"
        );
        assert_eq!(
            artifact_uri(&resource("AWS::RDS::DBSubnetGroup", "my group/x?#")),
            "aws/123456789012/us-east-1/rds-dbsubnetgroup/my%20group%2Fx%3F%23"
        );
        assert_eq!(
            resource_type_slug("AWS::Lambda::Function"),
            "lambda-function"
        );
        assert_eq!(resource_type_slug(""), "resource");
    }

    #[test]
    fn severities_map_to_github_buckets() {
        // GitHub: > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, < 4.0 low.
        let score = |s| security_severity(s).parse::<f64>().unwrap_or(-1.0);
        assert!(score(Severity::Critical) > 9.0);
        assert!((7.0..9.0).contains(&score(Severity::High)));
        assert!((4.0..7.0).contains(&score(Severity::Medium)));
        assert!(score(Severity::Low) < 4.0 && score(Severity::Info) < score(Severity::Low));
        assert_eq!(level(Severity::High), ResultLevel::Error);
        assert_eq!(level(Severity::Medium), ResultLevel::Warning);
        assert_eq!(level(Severity::Info), ResultLevel::Note);
    }
}
