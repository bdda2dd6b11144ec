//! Report storage in S3: the client, the key layout, the previous `latest.json`, and writes.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use tracing::{info, warn};
use vpcaudit_collect::{self as collect, AwsOptions};
use vpcaudit_core::baseline::Baseline;

use crate::{JobConfig, JobError};

/// The S3 client for the report bucket, in the function's own region. Path-style addressing
/// when an endpoint is configured (emulators need it); short timeouts, since the writes share
/// the safety margin.
pub(crate) async fn s3_client(config: &JobConfig) -> aws_sdk_s3::Client {
    let sdk = collect::load_sdk_config(&AwsOptions {
        endpoint_url: config.endpoint_url.clone(),
        ..AwsOptions::default()
    })
    .await;
    let custom_endpoint =
        sdk.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .read_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(6))
        .operation_timeout(Duration::from_secs(8))
        .build();
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(custom_endpoint)
            .timeout_config(timeouts)
            .build(),
    )
}

pub(crate) fn s3_error<E>(
    operation: &'static str,
    bucket: &str,
    key: &str,
    error: &SdkError<E, HttpResponse>,
) -> JobError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = match error {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            match (inner.code(), inner.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                // HeadBucket answers with no body: the HTTP status is all there is.
                _ => format!("HTTP {}", service.raw().status().as_u16()),
            }
        }
        other => error_chain(other),
    };
    JobError::S3 {
        operation,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        message: explain_s3(operation, message),
    }
}

/// Adds the usual cause to S3's terse answers.
pub(crate) fn explain_s3(operation: &str, message: String) -> String {
    let hint = if message.contains("404")
        || message.contains("NoSuchBucket")
        || message.contains("NotFound")
    {
        Some("the bucket does not exist: check REPORT_BUCKET")
    } else if message.contains("403")
        || message.contains("AccessDenied")
        || message.contains("Forbidden")
    {
        Some(match operation {
            "GetObject" => {
                "the function's role needs s3:GetObject on the prefix, and s3:ListBucket on \
                 the bucket so that a missing object reads as missing"
            }
            "PutObject" => "the function's role needs s3:PutObject on the prefix",
            _ => "the function's role needs s3:ListBucket on the bucket",
        })
    } else {
        None
    };
    match hint {
        Some(hint) => format!("{message} ({hint})"),
        None => message,
    }
}

pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    vpcaudit_collect::cause_chain(error)
}

/// The account in the report keys: the scanned caller's, else the function's own (from its
/// ARN), else `unknown`.
pub(crate) fn key_account(report_account: Option<&str>, function_arn: &str) -> String {
    report_account
        .map(str::to_owned)
        .or_else(|| function_account(function_arn))
        .filter(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME` → ACCOUNT.
pub(crate) fn function_account(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
}

/// What the previous `latest.json` says.
pub(crate) enum Previous {
    /// There is none yet.
    None,
    /// The fingerprints of its findings.
    Fingerprints(HashSet<String>),
    /// It exists but is not a report: why.
    Unusable(String),
}

pub(crate) async fn read_previous(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Previous, JobError> {
    let object = match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(object) => object,
        Err(SdkError::ServiceError(e)) if matches!(e.err(), GetObjectError::NoSuchKey(_)) => {
            info!(key, "no previous latest.json: every finding is new");
            return Ok(Previous::None);
        }
        Err(e) => return Err(s3_error("GetObject", bucket, key, &e)),
    };
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| JobError::S3 {
            operation: "GetObject",
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message: error_chain(&e),
        })?
        .into_bytes();
    // A damaged latest.json must not stop the audit for good (only a complete run replaces
    // it): it is reported, and every finding counts as new.
    let fingerprints = std::str::from_utf8(&bytes)
        .map_err(|_| "not UTF-8 text".to_owned())
        .and_then(|text| {
            Baseline::parse(text, Path::new(key))
                .map(|baseline| baseline.fingerprints)
                .map_err(|e| e.to_string())
        });
    Ok(match fingerprints {
        Ok(fingerprints) => Previous::Fingerprints(fingerprints),
        Err(why) => {
            warn!(key, reason = %why, "previous latest.json unusable: every finding is new");
            Previous::Unusable(why)
        }
    })
}

pub(crate) async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: String,
    content_type: &str,
) -> Result<(), JobError> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body.into_bytes()))
        .send()
        .await
        .map_err(|e| s3_error("PutObject", bucket, key, &e))?;
    info!(bucket, key, "report written");
    Ok(())
}
