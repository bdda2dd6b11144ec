//! Manners: how many calls are in flight, how long collection may wait, and what it spent.
//!
//! * Calls in flight are bounded per account, region and service (`--max-concurrency`), which is
//!   how AWS meters throttling, and by [`GLOBAL_IN_FLIGHT`] over the whole estate, which keeps
//!   sockets and memory bounded when dozens of accounts and regions are read at once.
//! * A deadline turns every read still running into a `DeadlineExceeded` error for its dataset.
//! * An SDK interceptor counts every HTTP attempt per service and operation, retries included.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::ApiError;

/// Calls in flight per account, region and service when `--max-concurrency` is not given.
pub const DEFAULT_MAX_CONCURRENCY: usize = 4;

/// Calls in flight over the whole estate, whatever the number of accounts and regions.
pub const GLOBAL_IN_FLIGHT: usize = 64;

/// Account/regions being read at once: enough to keep [`GLOBAL_IN_FLIGHT`] calls busy, few
/// enough that an Organization's thousands of account/regions do not all hold their clients
/// and half-read inventories in memory together.
pub const SCOPES_IN_FLIGHT: usize = 16;

/// The AWS error code recorded for a read the deadline cut short.
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

/// HTTP requests made, per service and operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationCalls {
    /// Requests sent, first attempts and retries alike.
    pub attempts: u64,
    /// Requests that repeated an earlier attempt (throttling, 5xx, timeouts, resets).
    pub retries: u64,
}

/// Every request made during a collection, shared by all clients.
#[derive(Debug, Default)]
pub struct CallLog {
    calls: Mutex<BTreeMap<(String, String), OperationCalls>>,
}

impl CallLog {
    pub fn new() -> Arc<CallLog> {
        Arc::new(CallLog::default())
    }

    /// Counts one request. `service` is the IAM prefix (`ec2`), `operation` the API name.
    pub fn record(&self, service: &str, operation: &str, retry: bool) {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = calls
            .entry((service.to_owned(), operation.to_owned()))
            .or_default();
        entry.attempts += 1;
        if retry {
            entry.retries += 1;
        }
    }

    /// What was counted so far, by (service, operation).
    pub fn snapshot(&self) -> BTreeMap<(String, String), OperationCalls> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The interceptor that counts the requests of one service's clients.
    pub fn interceptor(self: &Arc<Self>, service: &'static str) -> CountRequests {
        CountRequests {
            service,
            log: Arc::clone(self),
        }
    }
}

/// Counts each request right before it is sent, so a retry counts as a request and a call that
/// never left (no credentials, deadline) does not.
#[derive(Debug, Clone)]
pub struct CountRequests {
    service: &'static str,
    log: Arc<CallLog>,
}

impl Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "vpcaudit::CountRequests"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map_or("unknown", |m| m.name())
            .to_owned();
        let retry = cfg
            .load::<RequestAttempts>()
            .is_some_and(|a| a.attempts() > 1);
        self.log.record(self.service, &operation, retry);
        Ok(())
    }
}

/// The limits shared by one whole collection.
#[derive(Debug)]
pub struct Manners {
    deadline: Option<Instant>,
    per_service: usize,
    global: Semaphore,
    scopes: Semaphore,
}

impl Manners {
    /// `max_concurrency` 0 means [`DEFAULT_MAX_CONCURRENCY`].
    pub fn new(max_concurrency: usize, deadline: Option<Instant>) -> Manners {
        Manners {
            deadline,
            per_service: if max_concurrency == 0 {
                DEFAULT_MAX_CONCURRENCY
            } else {
                max_concurrency
            },
            global: Semaphore::new(GLOBAL_IN_FLIGHT),
            scopes: Semaphore::new(SCOPES_IN_FLIGHT),
        }
    }

    /// Waits for a turn to read one account and region; the turn ends when the permit drops.
    /// (The semaphore is never closed; if it were, reading would go on unbounded.)
    pub async fn scope_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.scopes.acquire().await.ok()
    }

    /// A fresh bound for one service in one account and region.
    pub fn service_gate(&self) -> Semaphore {
        Semaphore::new(self.per_service)
    }

    /// Runs one read (one paginated call) once `gate` and the global bound admit it, and gives
    /// up on it at the deadline.
    pub async fn run<T>(
        &self,
        gate: &Semaphore,
        read: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        self.before_deadline(async {
            // The local gate first: a task waiting for its service must not hold one of the
            // estate's permits meanwhile. The semaphores are never closed, so acquiring only
            // fails if they were; then the read simply goes unbounded.
            let _service = gate.acquire().await.ok();
            let _estate = self.global.acquire().await.ok();
            read.await
        })
        .await
    }

    /// Runs `work`, or returns `DeadlineExceeded` once the deadline is reached (at once, without
    /// starting it, when it already has).
    pub async fn before_deadline<T>(
        &self,
        work: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        match self.deadline {
            None => work.await,
            Some(deadline) if Instant::now() >= deadline => Err(ApiError::deadline()),
            Some(deadline) => tokio::time::timeout_at(deadline, work)
                .await
                .unwrap_or_else(|_| Err(ApiError::deadline())),
        }
    }
}

impl ApiError {
    /// A read cut short by the deadline.
    pub(crate) fn deadline() -> ApiError {
        ApiError {
            code: Some(DEADLINE_EXCEEDED.to_owned()),
            message: format!(
                "{DEADLINE_EXCEEDED}: the scan's time limit was reached before this call finished"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_past_deadline_fails_without_starting_the_read() {
        let manners = Manners::new(0, Some(Instant::now()));
        let gate = manners.service_gate();
        let started = std::sync::atomic::AtomicBool::new(false);
        let result: Result<(), ApiError> = manners
            .run(&gate, async {
                started.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })
            .await;
        let error = result.expect_err("past the deadline");
        assert_eq!(error.code.as_deref(), Some(DEADLINE_EXCEEDED));
        assert!(!started.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_read_still_running_at_the_deadline_is_abandoned() {
        let manners = Manners::new(0, Some(Instant::now() + Duration::from_millis(50)));
        let gate = manners.service_gate();
        let started = std::time::Instant::now();
        let result: Result<(), ApiError> = manners
            .run(&gate, async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(())
            })
            .await;
        assert_eq!(
            result.expect_err("cut short").code.as_deref(),
            Some(DEADLINE_EXCEEDED)
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        // Reads that finish in time are untouched.
        let quick = Manners::new(0, Some(Instant::now() + Duration::from_secs(30)));
        assert_eq!(
            quick.run(&gate, async { Ok::<_, ApiError>(7) }).await.ok(),
            Some(7)
        );
    }

    #[tokio::test]
    async fn calls_in_flight_never_exceed_the_bound() {
        let manners = Arc::new(Manners::new(2, None));
        let gate = Arc::new(manners.service_gate());
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let reads = (0..10).map(|_| {
            let (manners, gate, in_flight, peak) = (
                Arc::clone(&manners),
                Arc::clone(&gate),
                Arc::clone(&in_flight),
                Arc::clone(&peak),
            );
            async move {
                manners
                    .run(&gate, async {
                        use std::sync::atomic::Ordering::SeqCst;
                        let now = in_flight.fetch_add(1, SeqCst) + 1;
                        peak.fetch_max(now, SeqCst);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        in_flight.fetch_sub(1, SeqCst);
                        Ok::<_, ApiError>(())
                    })
                    .await
            }
        });
        futures::future::join_all(reads).await;
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn the_log_counts_attempts_and_retries_per_operation() {
        let log = CallLog::new();
        log.record("ec2", "DescribeVpcs", false);
        log.record("ec2", "DescribeVpcs", true);
        log.record("rds", "DescribeDBInstances", false);
        let calls = log.snapshot();
        assert_eq!(
            calls[&("ec2".to_owned(), "DescribeVpcs".to_owned())],
            OperationCalls {
                attempts: 2,
                retries: 1
            }
        );
        assert_eq!(calls.len(), 2);
    }
}
