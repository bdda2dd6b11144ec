//! The invocation's deadline: the scan stops in time to write its reports, and a collection
//! that overruns is abandoned with every dataset reported as unread.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use lambda_runtime::Context;
use tokio::time::Instant;
use tracing::warn;
use vpcaudit_collect::{self as collect, AwsOptions, DEADLINE_EXCEEDED};
use vpcaudit_core::model::RegionInventory;
use vpcaudit_core::snapshot::{
    CollectionError, Coverage, Dataset, SNAPSHOT_FORMAT_VERSION, Snapshot, ToolInfo,
};

use crate::store::function_account;
use crate::{JobConfig, JobError, LogEvents};

/// Time kept between the end of the scan and the invocation's deadline, to write the reports.
pub const SAFETY_MARGIN: Duration = Duration::from_secs(20);
/// How long a scan that ignores its deadline is waited for before it is abandoned.
pub(crate) const COLLECT_GRACE: Duration = Duration::from_secs(2);
/// The S3 writes must be done this long before the invocation's deadline.
pub(crate) const WRITE_CUTOFF: Duration = Duration::from_secs(1);

/// The deadlines of one invocation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    /// When collection stops.
    pub(crate) scan: Option<Instant>,
    /// When the S3 writes must be done.
    pub(crate) writes: Option<Instant>,
}

impl Deadlines {
    /// From the context's deadline (milliseconds since the epoch). A context without one (0,
    /// as in a local run) sets none.
    pub(crate) fn from_context(context: &Context) -> Deadlines {
        if context.deadline == 0 {
            return Deadlines {
                scan: None,
                writes: None,
            };
        }
        let remaining = context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        let now = Instant::now();
        Deadlines {
            scan: Some(now + remaining.saturating_sub(SAFETY_MARGIN)),
            writes: Some(now + remaining.saturating_sub(WRITE_CUTOFF)),
        }
    }
}

/// Collects with the deadline. A collection that overruns it by [`COLLECT_GRACE`] is
/// abandoned: the report then says every dataset is unread.
pub(crate) async fn scan(
    config: &JobConfig,
    deadline: Option<Instant>,
    context: &Context,
    started: DateTime<Utc>,
) -> Result<Snapshot, JobError> {
    let options = AwsOptions {
        regions: config.regions.clone(),
        endpoint_url: config.endpoint_url.clone(),
        role_arns: config.role_arns.clone(),
        deadline,
        ..AwsOptions::default()
    };
    // Progress lines are for terminals; collection warnings still reach the log, and every
    // failure is in the report's coverage.
    let collection = collect::collect(&options, std::sync::Arc::new(LogEvents));
    let snapshot = match deadline {
        None => collection.await?,
        Some(deadline) => match tokio::time::timeout_at(deadline + COLLECT_GRACE, collection).await
        {
            Ok(snapshot) => snapshot?,
            Err(_) => {
                warn!(
                    grace_seconds = COLLECT_GRACE.as_secs(),
                    "collection did not stop at its deadline; abandoned"
                );
                abandoned(
                    &config.regions,
                    function_account(&context.invoked_function_arn),
                    started,
                )
            }
        },
    };
    Ok(snapshot)
}

/// The snapshot of a collection abandoned at the deadline: nothing read, every dataset of every
/// region a `DeadlineExceeded` error.
pub(crate) fn abandoned(
    regions: &[String],
    account: Option<String>,
    started: DateTime<Utc>,
) -> Snapshot {
    let label = account.clone().unwrap_or_else(|| "unknown".to_owned());
    let errors = regions
        .iter()
        .flat_map(|region| {
            Dataset::ALL.iter().map(|dataset| {
                let (service, operation) = dataset.api_call();
                CollectionError {
                    service: service.to_owned(),
                    operation: operation.to_owned(),
                    account: Some(label.clone()),
                    region: Some(region.clone()),
                    code: Some(DEADLINE_EXCEEDED.to_owned()),
                    error: format!(
                        "{DEADLINE_EXCEEDED}: collection was abandoned at the scan's time limit"
                    ),
                    dataset: Some(*dataset),
                }
            })
        })
        .collect();
    Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        tool: ToolInfo::current(),
        collected_at: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        account: account.clone(),
        accounts: account.into_iter().collect(),
        regions: regions.to_vec(),
        scopes: regions
            .iter()
            .map(|region| RegionInventory {
                account: label.clone(),
                region: region.clone(),
                ..RegionInventory::default()
            })
            .collect(),
        coverage: Coverage {
            collected: Vec::new(),
            errors,
            unknown: Vec::new(),
        },
        collection: None,
    }
}
