//! Report storage in S3: the client, the key layout, the previous `latest.json`, and writes.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::put_object::PutObjectError;
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
    vpcaudit_core::error_text::cause_chain(error)
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

/// How many times a run reads `latest.json` again after another run changed it under it,
/// before it gives up.
pub(crate) const LATEST_ATTEMPTS: usize = 5;
/// The user metadata on `latest.json` that names the run whose report it is
/// (`x-amz-meta-vpcaudit-run`).
pub(crate) const RUN_METADATA: &str = "vpcaudit-run";
/// The request id kept in a run's name, at most (Lambda's are 36-character UUIDs).
const RUN_ID_MAX: usize = 64;

/// A run's name, and its folder under `<prefix>/<account>/<scope>/`:
/// `YYYYMMDDTHHMMSS.mmmZ-<id>`, the UTC start time to the millisecond and the Lambda request
/// id. Two runs never share one (a Lambda request id is unique), and runs order by start time,
/// then id: the order of their folder names, so a listing of the folders is in time order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RunName {
    /// Truncated to the millisecond, as in the name.
    started: DateTime<Utc>,
    /// Letters, digits and `-`; empty only for a report known by its `collected_at` alone.
    id: String,
}

const STAMP_FORMAT: &str = "%Y%m%dT%H%M%S%.3fZ";

impl RunName {
    /// The run started at `started`, for this request id: kept to letters, digits and `-`
    /// (S3-key-safe, no `/`); a random id when nothing is left.
    pub(crate) fn new(started: DateTime<Utc>, request_id: &str) -> RunName {
        let id: String = request_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(RUN_ID_MAX)
            .collect();
        let id = if id.bytes().any(|b| b.is_ascii_alphanumeric()) {
            id
        } else {
            random_id()
        };
        RunName {
            started: started.trunc_subsecs(3),
            id,
        }
    }

    /// Reads a name written by [`RunName::folder`]; None when it is not one.
    pub(crate) fn parse(folder: &str) -> Option<RunName> {
        let (stamp, id) = folder.split_once('-')?;
        let started = NaiveDateTime::parse_from_str(stamp, STAMP_FORMAT)
            .ok()?
            .and_utc();
        let id_ok = !id.is_empty()
            && id.len() <= RUN_ID_MAX
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        id_ok.then(|| RunName {
            started: started.trunc_subsecs(3),
            id: id.to_owned(),
        })
    }

    /// The run of a report that carries no name (written by hand, or before runs had names):
    /// its `collected_at`. It orders before every named run of the same millisecond.
    pub(crate) fn from_collected_at(collected_at: &str) -> Option<RunName> {
        DateTime::parse_from_rfc3339(collected_at)
            .ok()
            .map(|t| RunName {
                started: t.with_timezone(&Utc).trunc_subsecs(3),
                id: String::new(),
            })
    }

    /// The run's folder: `YYYYMMDDTHHMMSS.mmmZ-<id>`.
    pub(crate) fn folder(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for RunName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.started.format(STAMP_FORMAT))?;
        if !self.id.is_empty() {
            write!(f, "-{}", self.id)?;
        }
        Ok(())
    }
}

/// 16 hex digits from the standard library's randomly seeded hasher: enough to keep apart
/// two runs of the same millisecond that had no request id.
fn random_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
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

/// The `latest.json` a run read: what it says, and the version a conditional write replaces.
pub(crate) struct Latest {
    pub(crate) previous: Previous,
    pub(crate) version: LatestVersion,
}

/// Which `latest.json` a run read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LatestVersion {
    /// Its ETag; None when there was none.
    pub(crate) etag: Option<String>,
    /// The run whose report it holds: from its metadata, else its `collected_at`. None when
    /// neither says (a damaged `latest.json`): any complete run replaces it.
    pub(crate) run: Option<RunName>,
}

pub(crate) async fn read_latest(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Latest, JobError> {
    let object = match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(object) => object,
        Err(SdkError::ServiceError(e)) if matches!(e.err(), GetObjectError::NoSuchKey(_)) => {
            info!(key, "no previous latest.json");
            return Ok(Latest {
                previous: Previous::None,
                version: LatestVersion {
                    etag: None,
                    run: None,
                },
            });
        }
        Err(e) => return Err(s3_error("GetObject", bucket, key, &e)),
    };
    let Some(etag) = object.e_tag().map(str::to_owned) else {
        // S3 always sends one; without it, no update could be made safely.
        return Err(JobError::S3 {
            operation: "GetObject",
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message: "the answer has no ETag, so latest.json cannot be updated safely".to_owned(),
        });
    };
    let named_run = object
        .metadata()
        .and_then(|m| m.get(RUN_METADATA))
        .and_then(|name| RunName::parse(name));
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
    let text = std::str::from_utf8(&bytes).map_err(|_| "not UTF-8 text".to_owned());
    let run = named_run.or_else(|| {
        #[derive(serde::Deserialize)]
        struct CollectedAt {
            collected_at: String,
        }
        let text = text.as_ref().ok()?;
        let report: CollectedAt = serde_json::from_str(text).ok()?;
        RunName::from_collected_at(&report.collected_at)
    });
    // A damaged latest.json must not stop the audit for good (only a complete run replaces
    // it): it is reported, and every finding counts as new.
    let fingerprints = text.and_then(|text| {
        Baseline::parse(text, Path::new(key))
            .map(|baseline| baseline.fingerprints)
            .map_err(|e| e.to_string())
    });
    let previous = match fingerprints {
        Ok(fingerprints) => Previous::Fingerprints(fingerprints),
        Err(why) => {
            warn!(key, reason = %why, "previous latest.json unusable: every finding is new");
            Previous::Unusable(why)
        }
    };
    Ok(Latest {
        previous,
        version: LatestVersion {
            etag: Some(etag),
            run,
        },
    })
}

/// Writes a report where none is: S3 refuses (412) when the key exists, so a report is never
/// overwritten.
pub(crate) async fn put_new(
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
        .if_none_match("*")
        .body(ByteStream::from(body.into_bytes()))
        .send()
        .await
        .map_err(|e| match condition_failed(&e) {
            // 409: another write to this key is under way.
            Some(_) => JobError::ReportExists {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            },
            None => s3_error("PutObject", bucket, key, &e),
        })?;
    info!(bucket, key, "report written");
    Ok(())
}

/// What became of `latest.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LatestUpdate {
    /// It now holds this run's report.
    Updated,
    /// It holds the report of this run, or of a run that started later: kept.
    KeptNewer(RunName),
}

/// Makes `latest.json` this run's report unless it holds a later run's, without losing a
/// concurrent update: the write is conditional on the version read (`If-Match` its ETag, or
/// `If-None-Match: *` when there was none). When another run changed it meanwhile, it is read
/// again and the decision made again, at most [`LATEST_ATTEMPTS`] times.
pub(crate) async fn update_latest(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    run: &RunName,
    body: String,
    mut read: LatestVersion,
) -> Result<LatestUpdate, JobError> {
    let body = body.into_bytes();
    for attempt in 1..=LATEST_ATTEMPTS {
        if let Some(theirs) = read.run.as_ref().filter(|theirs| *theirs >= run) {
            info!(
                key,
                run = %run,
                latest_run = %theirs,
                "latest.json holds a run that started later: kept"
            );
            return Ok(LatestUpdate::KeptNewer(theirs.clone()));
        }
        let request = s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .metadata(RUN_METADATA, run.folder())
            .body(ByteStream::from(body.clone()));
        let request = match &read.etag {
            Some(etag) => request.if_match(etag),
            None => request.if_none_match("*"),
        };
        match request.send().await {
            Ok(_) => {
                info!(bucket, key, run = %run, "latest.json updated");
                return Ok(LatestUpdate::Updated);
            }
            Err(e) => match condition_failed(&e) {
                Some(code) => {
                    info!(
                        key,
                        attempt, code, "latest.json changed since it was read: reading it again"
                    );
                    read = read_latest(s3, bucket, key).await?.version;
                }
                None => return Err(s3_error("PutObject", bucket, key, &e)),
            },
        }
    }
    Err(JobError::LatestContention {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        attempts: LATEST_ATTEMPTS,
    })
}

/// Whether a conditional PutObject failed because the object is not what the condition
/// expected: 412 `PreconditionFailed`; 409 `ConditionalRequestConflict` (another write to
/// the key was under way); 404 `NoSuchKey` (an `If-Match` on an object deleted since it was
/// read). Its code, for the log.
fn condition_failed(error: &SdkError<PutObjectError, HttpResponse>) -> Option<&'static str> {
    let SdkError::ServiceError(service) = error else {
        return None;
    };
    let code = service.err().code();
    match service.raw().status().as_u16() {
        412 => Some("PreconditionFailed"),
        409 if code == Some("ConditionalRequestConflict") => Some("ConditionalRequestConflict"),
        404 if code == Some("NoSuchKey") => Some("NoSuchKey"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    use chrono::TimeZone;
    use vpcaudit_testkit::moto::{MotoServer, REGION};

    const BUCKET: &str = "reports";
    const LATEST: &str = "vpcaudit/123456789012/us-east-1/latest.json";

    fn at(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_796_000_000_000 + ms)
            .single()
            .expect("a valid instant")
    }

    #[test]
    fn run_names_sort_in_time_order_and_read_back() {
        let a = RunName::new(at(0), "6bc28136-4ab1-4d84-9c4b-7b4e7a0c2f11");
        assert_eq!(
            a.folder(),
            "20261130T005320.000Z-6bc28136-4ab1-4d84-9c4b-7b4e7a0c2f11"
        );
        assert_eq!(RunName::parse(&a.folder()), Some(a.clone()));
        // Sub-millisecond digits are dropped, in the name and in the order.
        let same_ms = RunName::new(
            at(0) + chrono::Duration::microseconds(400),
            "6bc28136-4ab1-4d84-9c4b-7b4e7a0c2f11",
        );
        assert_eq!(same_ms, a);

        let names = [
            RunName::new(at(0), "ffff"),
            RunName::new(at(1), "0000"),
            RunName::new(at(999), "aaaa"),
            RunName::new(at(1000), "aaaa"),
            RunName::new(at(1000), "aaab"),
            RunName::new(at(86_400_000), "a"),
        ];
        for pair in names.windows(2) {
            assert!(pair[0] < pair[1], "{} < {}", pair[0], pair[1]);
            assert!(pair[0].folder() < pair[1].folder(), "{pair:?}");
        }
        // A report known only by its collected_at orders before the named runs of its
        // millisecond, and after the earlier ones.
        let collected = RunName::from_collected_at("2026-11-30T00:53:21Z").expect("RFC 3339");
        assert!(names[2] < collected && collected < names[3]);
        assert_eq!(RunName::from_collected_at("yesterday"), None);
    }

    #[test]
    fn request_ids_are_made_key_safe() {
        let name = RunName::new(at(0), "a/b c..d\u{e9}-1");
        assert_eq!(name.folder(), "20261130T005320.000Z-abcd-1");
        let long = "x".repeat(100);
        assert_eq!(RunName::new(at(0), &long).id.len(), RUN_ID_MAX);
        // Nothing usable: a random id, different each time.
        let (a, b) = (RunName::new(at(0), ""), RunName::new(at(0), "/ -"));
        assert_eq!(a.id.len(), 16);
        assert_ne!(a.id, b.id);
        assert_eq!(RunName::parse(&a.folder()), Some(a));
        for bad in [
            "20261130T023320Z",
            "20261130T005320.000Z-",
            "20261130T005320.000Z-a/b",
            "latest.json",
            "2026-11-30-x",
        ] {
            assert_eq!(RunName::parse(bad), None, "{bad}");
        }
    }

    async fn moto_s3(moto: &MotoServer) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .region(Region::new(REGION))
            .endpoint_url(moto.endpoint())
            .force_path_style(true)
            .build();
        let s3 = aws_sdk_s3::Client::from_conf(config);
        s3.create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .expect("create the bucket in moto");
        s3
    }

    fn report(run: &str) -> String {
        format!(
            "{{\"collected_at\": \"2026-11-30T00:53:20Z\", \"findings\": [], \"run\": \"{run}\"}}"
        )
    }

    async fn latest_text(s3: &aws_sdk_s3::Client) -> String {
        let object = s3
            .get_object()
            .bucket(BUCKET)
            .key(LATEST)
            .send()
            .await
            .expect("latest.json exists");
        let bytes = object.body.collect().await.expect("read").into_bytes();
        String::from_utf8(bytes.to_vec()).expect("UTF-8")
    }

    async fn version(s3: &aws_sdk_s3::Client) -> LatestVersion {
        read_latest(s3, BUCKET, LATEST)
            .await
            .expect("read latest.json")
            .version
    }

    /// Run `name` makes latest.json its report, from what it reads now.
    async fn complete_run(s3: &aws_sdk_s3::Client, name: &RunName) -> LatestUpdate {
        let read = version(s3).await;
        update_latest(s3, BUCKET, LATEST, name, report(&name.folder()), read)
            .await
            .expect("update latest.json")
    }

    /// A report without a run name, collected at this time, put over latest.json.
    async fn put_unconditionally(s3: &aws_sdk_s3::Client, collected_at: &str) -> String {
        let text = format!("{{\"collected_at\": \"{collected_at}\", \"findings\": []}}");
        s3.put_object()
            .bucket(BUCKET)
            .key(LATEST)
            .body(ByteStream::from(text.clone().into_bytes()))
            .send()
            .await
            .expect("unconditional put");
        text
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_that_loses_the_race_for_latest_keeps_the_newer_baseline() {
        let moto = MotoServer::start();
        let s3 = moto_s3(&moto).await;
        let (old, mid, new) = (
            RunName::new(at(0), "old"),
            RunName::new(at(5), "mid"),
            RunName::new(at(9), "new"),
        );
        assert_eq!(complete_run(&s3, &old).await, LatestUpdate::Updated);

        // Run `mid` reads latest.json (old's); behind its back the later run `new` replaces
        // it. mid's conditional write fails, it reads again, and keeps new's report.
        let read_by_mid = version(&s3).await;
        assert_eq!(read_by_mid.run, Some(old.clone()));
        assert_eq!(complete_run(&s3, &new).await, LatestUpdate::Updated);
        let outcome = update_latest(&s3, BUCKET, LATEST, &mid, report("mid"), read_by_mid)
            .await
            .expect("a lost race is not an error");
        assert_eq!(outcome, LatestUpdate::KeptNewer(new.clone()));
        assert_eq!(latest_text(&s3).await, report(&new.folder()));

        // The twin: latest.json holds an older report when mid reads it, and another older
        // one is written behind mid's back (hand uploads without a run name). mid's write
        // fails, it reads again, and replaces the older report.
        put_unconditionally(&s3, "2019-01-01T00:00:00Z").await;
        let read_by_mid = version(&s3).await;
        put_unconditionally(&s3, "2020-01-01T00:00:00Z").await;
        let outcome = update_latest(&s3, BUCKET, LATEST, &mid, report("mid"), read_by_mid)
            .await
            .expect("update after a re-read");
        assert_eq!(outcome, LatestUpdate::Updated);
        assert_eq!(latest_text(&s3).await, report("mid"));
        assert_eq!(version(&s3).await.run, Some(mid.clone()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_latest_created_or_deleted_behind_a_runs_back_is_read_again() {
        let moto = MotoServer::start();
        let s3 = moto_s3(&moto).await;
        let (early, late) = (RunName::new(at(0), "early"), RunName::new(at(1), "late"));

        // No latest.json when `early` reads; `late` creates it meanwhile. early's
        // If-None-Match fails, and it keeps late's.
        let read_by_early = version(&s3).await;
        assert_eq!(read_by_early.etag, None);
        assert_eq!(complete_run(&s3, &late).await, LatestUpdate::Updated);
        let outcome = update_latest(&s3, BUCKET, LATEST, &early, report("early"), read_by_early)
            .await
            .expect("a lost race is not an error");
        assert_eq!(outcome, LatestUpdate::KeptNewer(late.clone()));
        assert_eq!(latest_text(&s3).await, report(&late.folder()));

        // latest.json deleted after a later run read it: If-Match answers 404 NoSuchKey;
        // the run reads again (nothing) and creates it.
        let later = RunName::new(at(2), "later");
        let read_by_later = version(&s3).await;
        s3.delete_object()
            .bucket(BUCKET)
            .key(LATEST)
            .send()
            .await
            .expect("delete latest.json");
        let outcome = update_latest(&s3, BUCKET, LATEST, &later, report("later"), read_by_later)
            .await
            .expect("update after a re-read");
        assert_eq!(outcome, LatestUpdate::Updated);
        assert_eq!(latest_text(&s3).await, report("later"));

        // A legacy latest.json (no run name) from after this run started is kept.
        let future = put_unconditionally(&s3, "2030-01-01T00:00:00Z").await;
        let outcome = complete_run(&s3, &RunName::new(at(3), "x")).await;
        assert!(
            matches!(&outcome, LatestUpdate::KeptNewer(run) if run.folder() == "20300101T000000.000Z"),
            "{outcome:?}"
        );
        assert_eq!(latest_text(&s3).await, future);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_report_is_never_overwritten() {
        let moto = MotoServer::start();
        let s3 = moto_s3(&moto).await;
        let key = "vpcaudit/123456789012/us-east-1/20261130T005320.000Z-a/report.json";
        put_new(&s3, BUCKET, key, "first".to_owned(), "application/json")
            .await
            .expect("a new key is written");
        let error = put_new(&s3, BUCKET, key, "second".to_owned(), "application/json")
            .await
            .expect_err("an existing key is not overwritten");
        assert!(
            matches!(&error, JobError::ReportExists { key: k, .. } if k == key),
            "{error:?}"
        );
        assert!(error.to_string().contains(key), "{error}");
        let object = s3
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .expect("the report");
        let bytes = object.body.collect().await.expect("read").into_bytes();
        assert_eq!(&bytes[..], b"first");
    }
}
