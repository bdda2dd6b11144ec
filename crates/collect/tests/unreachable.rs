//! The collector against an unreachable endpoint, through the whole pipeline: a deadline
//! already past leaves every dataset unread and the scan incomplete (what the Lambda job relies
//! on), and bad input is refused before any call.

use std::time::Duration;

use vpcaudit_collect::{AwsOptions, CollectError, DEADLINE_EXCEEDED, Silent, collect};
use vpcaudit_core::config::Settings;
use vpcaudit_core::finding::Severity;
use vpcaudit_core::pipeline::{ExitStatus, status};
use vpcaudit_core::report::Report;
use vpcaudit_core::snapshot::Dataset;

/// What the Lambda job relies on: at the deadline nothing more is waited for, and every
/// dataset not read is an error with its dataset, so its rules are not evaluated and the
/// scan is incomplete.
#[tokio::test]
async fn a_deadline_already_past_leaves_every_dataset_unread_and_the_scan_incomplete() {
    let regions = ["us-east-1", "eu-west-1"];
    let options = AwsOptions {
        regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        // Nothing listens there, and nothing may be called anyway.
        endpoint_url: Some("http://127.0.0.1:9".to_owned()),
        deadline: Some(tokio::time::Instant::now()),
        ..AwsOptions::default()
    };
    let started = std::time::Instant::now();
    let snapshot = collect(&options, std::sync::Arc::new(Silent))
        .await
        .expect("a deadline is not an error");
    assert!(started.elapsed() < Duration::from_secs(5), "it waited");
    assert!(snapshot.coverage.collected.is_empty());
    assert_eq!(snapshot.scopes.len(), regions.len());
    let stats = snapshot.collection.as_ref().expect("stats");
    assert!(stats.api_calls.is_empty(), "no request was sent: {stats:?}");
    for region in regions {
        for &dataset in Dataset::ALL {
            let error = snapshot
                .coverage
                .errors
                .iter()
                .find(|e| e.dataset == Some(dataset) && e.region.as_deref() == Some(region))
                .unwrap_or_else(|| panic!("no error for {dataset} in {region}"));
            assert_eq!(error.code.as_deref(), Some(DEADLINE_EXCEEDED));
        }
    }
    // The identity lookup was cut short too.
    assert!(snapshot.coverage.errors.iter().any(|e| {
        e.operation == "GetCallerIdentity" && e.code.as_deref() == Some(DEADLINE_EXCEEDED)
    }));

    let evaluation = vpcaudit_core::rules::evaluate(&snapshot, &Settings::default());
    assert!(evaluation.findings.is_empty());
    assert_eq!(
        evaluation.not_evaluated.len(),
        vpcaudit_core::rules::all().len() * regions.len(),
        "every rule is not evaluated in every region"
    );
    let report = Report::build(&snapshot, evaluation);
    assert_eq!(status(&report, Some(Severity::Low)), ExitStatus::Incomplete);
}

#[tokio::test]
async fn a_malformed_role_arn_is_refused_before_any_call() {
    let options = AwsOptions {
        regions: vec!["us-east-1".to_owned()],
        endpoint_url: Some("http://127.0.0.1:9".to_owned()),
        role_arns: vec!["vpcaudit-read".to_owned()],
        ..AwsOptions::default()
    };
    let error = collect(&options, std::sync::Arc::new(Silent))
        .await
        .expect_err("not an ARN");
    assert!(matches!(error, CollectError::RoleArn(ref arn) if arn == "vpcaudit-read"));
}
