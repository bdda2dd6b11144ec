//! Limits on a collection's execution: how many calls are in flight, how long collection may
//! wait, and what it spent. They wrap the execution of a plan (`plan.rs`), not its making.
//!
//! * Calls in flight are bounded per account, region and service (`--max-concurrency`), which is
//!   how AWS meters throttling: that bound is what keeps a scan from throttling production.
//! * Over the whole run, calls in flight are bounded only by what this process can hold
//!   ([`default_max_in_flight`]): accounts do not slow each other down at AWS, so a small global
//!   cap would only slow the client.
//! * The caller's STS calls (AssumeRole for every account) are all metered in the caller's own
//!   account and region: they go through one gate of [`STS_IN_FLIGHT`].
//! * A deadline turns every read still running into a `DeadlineExceeded` error for its dataset.
//! * An SDK interceptor counts every HTTP attempt per service and operation, retries included,
//!   and the most requests in flight at once over the run (what the connections opened are
//!   compared with).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::ApiError;

/// Calls in flight per account, region and service when `--max-concurrency` is not given.
pub const DEFAULT_MAX_CONCURRENCY: usize = 4;

/// The largest `--max-concurrency` accepted: AWS's per-API throttles are tens of calls per
/// second, so more in flight per service only buys throttling errors.
pub const MAX_CONCURRENCY_BOUND: usize = 64;

/// The most calls in flight over the whole run, whatever the file descriptor limit: each call
/// in flight holds a socket and a response buffer (up to a few MB for a large page), so this
/// keeps the worst case in the hundreds of MB. At 50 ms a call it allows 10,000 calls a second,
/// more than two cores can sign and parse.
pub const MAX_IN_FLIGHT_CAP: usize = 512;

/// Descriptors kept for everything but API sockets: files, the runtime, stdio, the snapshot.
const RESERVED_DESCRIPTORS: u64 = 64;

/// Calls in flight over the whole run when `--max-in-flight` is not given: half the
/// descriptors this process may open (the soft RLIMIT_NOFILE) beyond 64 (`RESERVED_DESCRIPTORS`),
/// since each call holds one socket and idle pooled connections hold more, at most
/// [`MAX_IN_FLIGHT_CAP`] and at least 16.
pub fn default_max_in_flight() -> usize {
    let descriptors = open_files_limit().unwrap_or(1024);
    let usable = descriptors.saturating_sub(RESERVED_DESCRIPTORS) / 2;
    usize::try_from(usable)
        .unwrap_or(MAX_IN_FLIGHT_CAP)
        .clamp(16, MAX_IN_FLIGHT_CAP)
}

/// The soft limit on open files, where the platform has one.
fn open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct it is given.
        let status = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        if status == 0 {
            #[allow(clippy::useless_conversion)] // rlim_t is u64 on most targets, not all
            return u64::try_from(limit.rlim_cur).ok();
        }
        None
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The caller's STS calls in flight at once (one AssumeRole per account). STS meters them in the
/// caller's account and region, 600 requests a second by default for AssumeRole: 16 in flight
/// stays under that unless a round trip takes less than 27 ms, and assumes 100 roles in about
/// 7 round trips.
pub const STS_IN_FLIGHT: usize = 16;

/// How many times a finished call yields before its turn goes to the next (see
/// [`Limits::run`]).
const CONNECTION_RETURN_YIELDS: usize = 16;

/// Lets hyper return the connection of the call just finished to its pool (see
/// [`Limits::run`]).
pub(crate) async fn connection_returned() {
    for _ in 0..CONNECTION_RETURN_YIELDS {
        tokio::task::yield_now().await;
    }
}

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
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
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

    /// The most requests that were in flight at once so far, over every thread of the run: from
    /// the moment a request is sent until its response has been read, or its attempt given up.
    pub fn peak_in_flight(&self) -> u64 {
        self.peak_in_flight.load(Ordering::Relaxed)
    }

    /// One request sent: in flight until the guard is dropped.
    fn sent(self: &Arc<Self>) -> InFlight {
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        InFlight(Arc::clone(self))
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
        // Kept in the operation's config bag, so the request leaves the gauge when its attempt
        // ends, and also when the whole operation is dropped (a deadline, a timeout).
        cfg.interceptor_state().store_put(self.log.sent());
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The response has been read (or the attempt failed): the request is no longer in
        // flight. Unsetting drops the guard.
        cfg.interceptor_state().unset::<InFlight>();
        Ok(())
    }
}

/// One request in flight, counted in its [`CallLog`] until dropped.
#[derive(Debug)]
struct InFlight(Arc<CallLog>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Storable for InFlight {
    type Storer = StoreReplace<Self>;
}

/// The limits shared by one whole collection.
#[derive(Debug)]
pub struct Limits {
    deadline: Option<Instant>,
    per_service: usize,
    in_flight: Semaphore,
    /// The caller's STS calls (see [`STS_IN_FLIGHT`]), one gate for the whole run.
    sts: Arc<Semaphore>,
    /// The bound of `in_flight`, from which [`Limits::share`] and
    /// [`Limits::scopes_at_once`] are derived.
    in_flight_total: usize,
}

impl Limits {
    /// `max_concurrency` 0 means [`DEFAULT_MAX_CONCURRENCY`]; `max_in_flight` 0 means
    /// [`default_max_in_flight`].
    ///
    /// Account/regions are admitted a quarter as many as calls in flight: an empty
    /// account/region keeps about four calls in flight on average over its read (16 datasets,
    /// four at a time per service), so the call bound, not this one, is the one that binds;
    /// and an Organization's thousands of account/regions do not all hold their accounts' SDK
    /// clients and their half-read inventories in memory together.
    pub fn new(max_concurrency: usize, max_in_flight: usize, deadline: Option<Instant>) -> Limits {
        let in_flight = if max_in_flight == 0 {
            default_max_in_flight()
        } else {
            max_in_flight
        };
        Limits {
            deadline,
            per_service: if max_concurrency == 0 {
                DEFAULT_MAX_CONCURRENCY
            } else {
                max_concurrency
            },
            in_flight: Semaphore::new(in_flight),
            sts: Arc::new(Semaphore::new(STS_IN_FLIGHT)),
            in_flight_total: in_flight,
        }
    }

    /// One of `threads` equal shares of these limits, for one collection thread: its part of
    /// the calls in flight and of the account/regions read at once (rounded up), with the same
    /// per-service bound, deadline and STS gate. Each thread's connections serve only its own
    /// calls, so connections opened stay within the calls in flight.
    pub fn share(&self, threads: usize) -> Limits {
        let in_flight = self.in_flight_total.div_ceil(threads.max(1));
        Limits {
            deadline: self.deadline,
            per_service: self.per_service,
            in_flight: Semaphore::new(in_flight),
            sts: Arc::clone(&self.sts),
            in_flight_total: in_flight,
        }
    }

    /// How many account/regions may be read at once: a quarter of the calls in flight (see
    /// [`Limits::new`]).
    pub fn scopes_at_once(&self) -> usize {
        (self.in_flight_total / 4).max(4)
    }

    /// A fresh bound for one service in one account and region.
    pub fn service_gate(&self) -> Semaphore {
        Semaphore::new(self.per_service)
    }

    /// The gate of the caller's STS calls.
    pub fn sts_gate(&self) -> &Semaphore {
        &self.sts
    }

    /// Runs one read (one paginated call) once `gate` and the run's bound admit it, and gives
    /// up on it at the deadline.
    ///
    /// `read` makes the read's future once both admit it, and that future lives on the heap:
    /// the SDK's request futures are tens of kilobytes, and an account/region has a dozen
    /// reads waiting for their turn, which then hold nothing.
    pub(crate) async fn run<T, F, Fut>(&self, gate: &Semaphore, read: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        self.before_deadline(async {
            // The local gate first: a task waiting for its service must not hold one of the
            // run's permits meanwhile. The semaphores are never closed, so acquiring only
            // fails if they were; then the read simply goes unbounded.
            let _service = gate.acquire().await.ok();
            let _run = self.in_flight.acquire().await.ok();
            let result = Box::pin(read()).await;
            // hyper puts a connection back in its pool from a task of its own, woken through
            // the connection's task once the answer is read. The next call admitted by this
            // permit runs on this thread: if it looked for an idle connection before those
            // tasks ran, it would find none and open one more (hyper connects whenever a
            // checkout finds nothing idle). Yielding lets them run first; each yield lets the
            // runtime run a tick of ready tasks. Measured (bench-org.sh): with 1 yield, 553-597
            // connections for 512 calls in flight; with 4, 513-547; with 16, as many as calls.
            connection_returned().await;
            result
        })
        .await
    }

    /// Runs `work`, or returns `DeadlineExceeded` once the deadline is reached (at once, without
    /// starting it, when it already has).
    pub(crate) async fn before_deadline<T>(
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

    #[test]
    fn the_peak_is_the_most_requests_in_flight_at_once() {
        let log = CallLog::new();
        let first = log.sent();
        let second = log.sent();
        drop(first);
        let third = log.sent();
        assert_eq!(log.peak_in_flight(), 2);
        drop((second, third));
        let _fourth = log.sent();
        assert_eq!(log.peak_in_flight(), 2, "a peak, not a count");
        assert_eq!(log.in_flight.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_past_deadline_fails_without_starting_the_read() {
        let limits = Limits::new(0, 0, Some(Instant::now()));
        let gate = limits.service_gate();
        let started = std::sync::atomic::AtomicBool::new(false);
        let result: Result<(), ApiError> = limits
            .run(&gate, || async {
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
        let limits = Limits::new(0, 0, Some(Instant::now() + Duration::from_millis(50)));
        let gate = limits.service_gate();
        let started = std::time::Instant::now();
        let result: Result<(), ApiError> = limits
            .run(&gate, || async {
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
        let quick = Limits::new(0, 0, Some(Instant::now() + Duration::from_secs(30)));
        assert_eq!(
            quick
                .run(&gate, || async { Ok::<_, ApiError>(7) })
                .await
                .ok(),
            Some(7)
        );
    }

    #[tokio::test]
    async fn calls_in_flight_never_exceed_the_bound() {
        let limits = Arc::new(Limits::new(2, 0, None));
        let gate = Arc::new(limits.service_gate());
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let reads = (0..10).map(|_| {
            let (limits, gate, in_flight, peak) = (
                Arc::clone(&limits),
                Arc::clone(&gate),
                Arc::clone(&in_flight),
                Arc::clone(&peak),
            );
            async move {
                limits
                    .run(&gate, || async {
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
