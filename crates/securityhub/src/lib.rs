//! vpcaudit's one write call: a scan's findings into Security Hub (`BatchImportFindings`) of
//! the audited account and region. Nothing here touches an audited resource; the records are
//! built by the core ([`vpcaudit_core::report::asff`]) and this crate only sends them.
//!
//! One [`import`] per account and region:
//! 1. `GetFindings` lists vpcaudit's earlier records there (the account's default product,
//!    generator `vpcaudit/…`), filtered again here: an emulator may ignore the filters.
//! 2. `BatchImportFindings`, at most 100 records a call, imports the scan's records. A record
//!    keeps its `Id` (`vpcaudit/<fingerprint>`) from scan to scan, so a re-import updates it;
//!    an existing record keeps its `CreatedAt` and `FirstObservedAt`.
//! 3. Earlier `ACTIVE` records the scan no longer reports are re-imported `ARCHIVED` (resolved),
//!    unless the scan could not evaluate their rule there ([`ArchiveScope`]).
//!
//! Failures are counted and described in the [`ImportSummary`], never dropped.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(
    test,
    allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)
)]

use std::collections::BTreeMap;

use aws_config::{Region, SdkConfig};
use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, Partition, Recommendation, RecordState,
    Remediation, Resource, Severity, SeverityLabel, StringFilter, StringFilterComparison, Workflow,
    WorkflowStatus,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use vpcaudit_core::report::Report;
use vpcaudit_core::report::asff::{self, ArchiveScope, AsffFinding};

/// `BatchImportFindings` takes at most 100 findings per call.
pub const BATCH_SIZE: usize = 100;
/// `GetFindings` returns at most 100 findings per page.
const PAGE_SIZE: i32 = 100;

/// The IAM actions [`import`] calls: the optional statement the README and
/// `vpcaudit iam-policy --security-hub` show, apart from the read-only catalog.
pub const ACTIONS: [&str; 2] = asff::IAM_ACTIONS;

/// What one import did in one account and region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Records Security Hub did not have.
    pub imported_new: usize,
    /// Records it had (same `Id`), updated.
    pub updated: usize,
    /// Earlier records the scan no longer reports, now `ARCHIVED`.
    pub archived: usize,
    /// Earlier records left active because their rule was not evaluated in this scope.
    pub kept_unevaluated: usize,
    /// Records Security Hub refused, or whose call failed.
    pub failed: usize,
    /// Why, one line each (at most a few; `failed` counts them all).
    pub errors: Vec<String>,
}

impl ImportSummary {
    /// "3 new, 5 updated, 2 archived" (and what failed).
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} new, {} updated, {} archived",
            self.imported_new, self.updated, self.archived
        );
        if self.kept_unevaluated > 0 {
            text.push_str(&format!(
                ", {} kept active (rule not evaluated)",
                self.kept_unevaluated
            ));
        }
        if self.failed > 0 {
            text.push_str(&format!(", {} FAILED", self.failed));
        }
        text
    }
}

/// Why nothing could be imported.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("securityhub:GetFindings failed in {account} {region}: {message}")]
    List {
        account: String,
        region: String,
        message: String,
    },
}

/// At most this many error lines are kept per import.
const MAX_ERRORS: usize = 10;

/// Imports the report's findings of `account` in `region` into that Security Hub, and archives
/// vpcaudit's earlier records there that the scan no longer reports (see the crate docs).
/// `config` holds credentials of `account`.
pub async fn import(
    config: &SdkConfig,
    report: &Report,
    account: &str,
    region: &str,
    now: DateTime<Utc>,
) -> Result<ImportSummary, Error> {
    let client = Client::from_conf(
        aws_sdk_securityhub::config::Builder::from(config)
            .region(Region::new(region.to_owned()))
            .build(),
    );
    let now = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let records = asff::build_scope(report, account, region, &now);
    let archive = ArchiveScope::of(report, account, region);
    let existing = Box::pin(existing_records(&client, account, region)).await?;
    let plan = plan(records, existing, &archive, &now);
    let mut summary = ImportSummary {
        kept_unevaluated: plan.kept_unevaluated,
        ..ImportSummary::default()
    };
    for batch in plan.findings.chunks(BATCH_SIZE) {
        // Boxed: an SDK call's future is tens of kilobytes, too much for a 2 MiB stack in
        // a debug build once nested in a caller's future.
        let sent = Box::pin(
            client
                .batch_import_findings()
                .set_findings(Some(batch.iter().map(|(f, _)| f.clone()).collect()))
                .send(),
        )
        .await;
        let refused: BTreeMap<String, String> = match sent {
            Ok(output) => output
                .failed_findings()
                .iter()
                .map(|e| {
                    (
                        e.id().unwrap_or_default().to_owned(),
                        format!(
                            "{}: {}",
                            e.error_code().unwrap_or("error"),
                            e.error_message().unwrap_or_default()
                        ),
                    )
                })
                .collect(),
            Err(error) => {
                let message = describe(&error);
                batch
                    .iter()
                    .map(|(f, _)| (f.id.clone().unwrap_or_default(), message.clone()))
                    .collect()
            }
        };
        for (finding, kind) in batch {
            let id = finding.id.as_deref().unwrap_or_default();
            match refused.get(id) {
                Some(why) => {
                    summary.failed += 1;
                    if summary.errors.len() < MAX_ERRORS {
                        summary.errors.push(format!(
                            "securityhub:BatchImportFindings {account} {region} {id}: {why}"
                        ));
                    }
                }
                None => match kind {
                    Kind::New => summary.imported_new += 1,
                    Kind::Updated => summary.updated += 1,
                    Kind::Archived => summary.archived += 1,
                },
            }
        }
        // A refusal of an Id not in the batch (it cannot be matched) still counts.
        let unmatched = refused
            .keys()
            .filter(|id| {
                !batch
                    .iter()
                    .any(|(f, _)| f.id.as_deref() == Some(id.as_str()))
            })
            .count();
        summary.failed += unmatched;
    }
    Ok(summary)
}

/// What a record in a batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    New,
    Updated,
    Archived,
}

/// The records to send, and how many earlier ones stay active unevaluated.
#[derive(Debug, Default)]
struct Plan {
    findings: Vec<(AwsSecurityFinding, Kind)>,
    kept_unevaluated: usize,
}

/// The scan's records (existing ones keep their `CreatedAt`), then the archivals.
fn plan(
    records: Vec<AsffFinding>,
    existing: Vec<AwsSecurityFinding>,
    archive: &ArchiveScope,
    now: &str,
) -> Plan {
    let mut existing: BTreeMap<String, AwsSecurityFinding> = existing
        .into_iter()
        .filter_map(|f| Some((f.id.clone()?, f)))
        .collect();
    let mut plan = Plan::default();
    for record in &records {
        let mut finding = to_sdk(record);
        let kind = match existing.remove(&record.id) {
            Some(earlier) => {
                // When it was first seen and first imported stay; the rest is this scan's.
                if earlier.created_at.is_some() {
                    finding.created_at = earlier.created_at;
                }
                if earlier.first_observed_at.is_some() {
                    finding.first_observed_at = earlier.first_observed_at;
                }
                Kind::Updated
            }
            None => Kind::New,
        };
        plan.findings.push((finding, kind));
    }
    for earlier in existing.into_values() {
        if earlier.record_state != Some(RecordState::Active) {
            continue;
        }
        if !archive.may_archive(earlier.generator_id.as_deref().unwrap_or_default()) {
            plan.kept_unevaluated += 1;
            continue;
        }
        plan.findings.push((archived(earlier, now), Kind::Archived));
    }
    plan
}

/// vpcaudit's records in the account's default product there, whatever their state.
async fn existing_records(
    client: &Client,
    account: &str,
    region: &str,
) -> Result<Vec<AwsSecurityFinding>, Error> {
    let product = asff::product_arn(account, region);
    let filter = |value: &str, comparison| {
        vec![
            StringFilter::builder()
                .value(value)
                .comparison(comparison)
                .build(),
        ]
    };
    let filters = AwsSecurityFindingFilters::builder()
        .set_product_arn(Some(filter(&product, StringFilterComparison::Equals)))
        .set_aws_account_id(Some(filter(account, StringFilterComparison::Equals)))
        .set_generator_id(Some(filter(
            asff::ID_PREFIX,
            StringFilterComparison::Prefix,
        )))
        .build();
    let mut found = Vec::new();
    let mut pages = client
        .get_findings()
        .filters(filters)
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    while let Some(page) = Box::pin(pages.next()).await {
        let page = page.map_err(|error| Error::List {
            account: account.to_owned(),
            region: region.to_owned(),
            message: describe(&error),
        })?;
        found.extend(page.findings().iter().cloned());
    }
    // moto (and perhaps other emulators) ignore Filters: apply them here too.
    found.retain(|f| {
        f.product_arn.as_deref() == Some(product.as_str())
            && f.aws_account_id.as_deref() == Some(account)
            && f.id
                .as_deref()
                .is_some_and(|id| id.starts_with(asff::ID_PREFIX))
            && f.generator_id
                .as_deref()
                .is_some_and(|id| id.starts_with(asff::ID_PREFIX))
    });
    Ok(found)
}

/// An earlier record, re-imported `ARCHIVED`: its own fields, the time of this import.
fn archived(earlier: AwsSecurityFinding, now: &str) -> AwsSecurityFinding {
    AwsSecurityFinding::builder()
        .set_schema_version(earlier.schema_version)
        .set_id(earlier.id)
        .set_product_arn(earlier.product_arn)
        .set_product_name(earlier.product_name)
        .set_company_name(earlier.company_name)
        .set_region(earlier.region)
        .set_generator_id(earlier.generator_id)
        .set_aws_account_id(earlier.aws_account_id)
        .set_types(earlier.types)
        .set_first_observed_at(earlier.first_observed_at)
        .set_last_observed_at(earlier.last_observed_at)
        .set_created_at(earlier.created_at)
        .updated_at(now)
        .set_severity(earlier.severity)
        .set_title(earlier.title)
        .set_description(earlier.description)
        .set_remediation(earlier.remediation)
        .set_product_fields(earlier.product_fields)
        .set_resources(earlier.resources)
        .set_workflow(earlier.workflow)
        .record_state(RecordState::Archived)
        .build()
}

/// The core's record as the SDK's type.
fn to_sdk(record: &AsffFinding) -> AwsSecurityFinding {
    let recommendation = &record.remediation.recommendation;
    AwsSecurityFinding::builder()
        .schema_version(record.schema_version)
        .id(&record.id)
        .product_arn(&record.product_arn)
        .product_name(record.product_name)
        .company_name(record.company_name)
        .region(&record.region)
        .generator_id(&record.generator_id)
        .aws_account_id(&record.aws_account_id)
        .set_types(Some(record.types.iter().map(|t| (*t).to_owned()).collect()))
        .first_observed_at(&record.first_observed_at)
        .last_observed_at(&record.last_observed_at)
        .created_at(&record.created_at)
        .updated_at(&record.updated_at)
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(record.severity.label.as_str()))
                .original(record.severity.original)
                .build(),
        )
        .title(&record.title)
        .description(&record.description)
        .remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(&recommendation.text)
                        .url(&recommendation.url)
                        .build(),
                )
                .build(),
        )
        .set_product_fields(Some(
            record
                .product_fields
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ))
        .set_resources(Some(
            record
                .resources
                .iter()
                .map(|r| {
                    Resource::builder()
                        .r#type(r.kind)
                        .id(&r.id)
                        .partition(Partition::from(r.partition))
                        .region(&r.region)
                        .set_tags(
                            (!r.tags.is_empty()).then(|| {
                                r.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
                            }),
                        )
                        .build()
                })
                .collect(),
        ))
        .record_state(RecordState::from(record.record_state.as_str()))
        .workflow(
            Workflow::builder()
                .status(WorkflowStatus::from(record.workflow.status.as_str()))
                .build(),
        )
        .build()
}

/// An SDK error in one line: the service's code and message, else the chain of causes.
fn describe<E>(error: &E) -> String
where
    E: ProvideErrorMetadata + std::error::Error,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => vpcaudit_core::error_text::cause_chain(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpcaudit_core::finding::{Finding, Principle, Resource as CoreResource};

    const NOW: &str = "2026-12-02T10:00:00Z";

    fn finding(rule: &str, fingerprint: &str) -> Finding {
        Finding {
            rule_id: rule.to_owned(),
            severity: vpcaudit_core::finding::Severity::High,
            principle: Principle::SgOverIp,
            resource: CoreResource {
                kind: "AWS::EC2::SecurityGroup".to_owned(),
                id: "sg-1".to_owned(),
                arn: "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-1".to_owned(),
                name: None,
                region: "eu-west-1".to_owned(),
                account: "111111111111".to_owned(),
            },
            message: "open".to_owned(),
            evidence: serde_json::Value::Null,
            remediation: "close".to_owned(),
            fingerprint: fingerprint.to_owned(),
            suppression: None,
        }
    }

    fn earlier(rule: &str, fingerprint: &str, state: RecordState) -> AwsSecurityFinding {
        let mut f = to_sdk(&asff::record(
            &finding(rule, fingerprint),
            "2026-11-01T00:00:00Z",
            "2026-11-01T00:00:00Z",
        ));
        f.record_state = Some(state);
        f
    }

    /// A report of account 111111111111 in eu-west-1 without findings.
    fn empty_report(complete: bool) -> Report {
        serde_json::from_value(serde_json::json!({
            "format_version": 1,
            "tool": {"name": "vpcaudit", "version": "0"},
            "account": "111111111111",
            "regions": ["eu-west-1"],
            "collected_at": NOW,
            "findings": [],
            "coverage": {"collected": [], "errors": [], "not_evaluated": []},
            "summary": {"total": 0, "by_severity": {}, "by_principle": {}, "rules_run": 1,
                        "complete": complete}
        }))
        .unwrap()
    }

    fn everything() -> ArchiveScope {
        ArchiveScope::of(&empty_report(true), "111111111111", "eu-west-1")
    }

    #[test]
    fn existing_records_are_updated_with_their_creation_time_and_gone_ones_archived() {
        let records = vec![
            asff::record(&finding("SG001", "aa"), NOW, NOW),
            asff::record(&finding("SG001", "bb"), NOW, NOW),
        ];
        let existing = vec![
            earlier("SG001", "aa", RecordState::Active),
            earlier("NET001", "cc", RecordState::Active),
            earlier("NET001", "dd", RecordState::Archived),
        ];
        let plan = plan(records, existing, &everything(), NOW);
        let kinds: Vec<(Option<&str>, Kind)> = plan
            .findings
            .iter()
            .map(|(f, k)| (f.id.as_deref(), *k))
            .collect();
        assert_eq!(
            kinds,
            [
                (Some("vpcaudit/aa"), Kind::Updated),
                (Some("vpcaudit/bb"), Kind::New),
                (Some("vpcaudit/cc"), Kind::Archived),
            ]
        );
        let (updated, _) = &plan.findings[0];
        assert_eq!(updated.created_at.as_deref(), Some("2026-11-01T00:00:00Z"));
        assert_eq!(
            updated.first_observed_at.as_deref(),
            Some("2026-11-01T00:00:00Z")
        );
        assert_eq!(updated.last_observed_at.as_deref(), Some(NOW));
        assert_eq!(updated.updated_at.as_deref(), Some(NOW));
        let (gone, _) = &plan.findings[2];
        assert_eq!(gone.record_state, Some(RecordState::Archived));
        assert_eq!(gone.updated_at.as_deref(), Some(NOW));
        assert_eq!(gone.created_at.as_deref(), Some("2026-11-01T00:00:00Z"));
        assert!(gone.title.is_some() && gone.resources.is_some());
    }

    #[test]
    fn records_of_rules_not_evaluated_stay_active() {
        let mut report = empty_report(false);
        report
            .coverage
            .not_evaluated
            .push(vpcaudit_core::rules::NotEvaluated {
                rule_id: "NET001".to_owned(),
                account: "111111111111".to_owned(),
                region: "eu-west-1".to_owned(),
                missing: vec![],
            });
        let scope = ArchiveScope::of(&report, "111111111111", "eu-west-1");
        let plan = plan(
            vec![],
            vec![
                earlier("NET001", "cc", RecordState::Active),
                earlier("SG001", "dd", RecordState::Active),
            ],
            &scope,
            NOW,
        );
        assert_eq!(plan.kept_unevaluated, 1);
        assert_eq!(plan.findings.len(), 1);
        assert_eq!(plan.findings[0].0.id.as_deref(), Some("vpcaudit/dd"));
    }

    #[test]
    fn summaries_read_as_a_sentence() {
        let summary = ImportSummary {
            imported_new: 3,
            updated: 5,
            archived: 2,
            ..ImportSummary::default()
        };
        assert_eq!(summary.describe(), "3 new, 5 updated, 2 archived");
    }
}
