//! Collectors: the only code that talks to AWS. They make read-only List/Describe calls and
//! turn the answers into the plain inventory of [`vpcaudit_core::model`]; no SDK type leaves here.

// Outside data (AWS answers, snapshot and config files) must never panic the audit: no
// unwrap/expect, no indexing or slicing that can go out of bounds or split a character.
// Exceptions are `#[allow]`ed where they are made, with the reason. Tests may panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(
    test,
    allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)
)]

/// Reads every page of a list call in `$region` (an [`clients::InRegion`]), converting each item
/// of `$items` with `$convert`, or returns the first error. `$token` names the answer's
/// next-page token and `$set_token` the request's (they differ by service: `next_token`,
/// `marker`/`next_marker`, `position`).
///
/// Written out rather than the SDK's paginator (`into_paginator().items()`): that one passes
/// each page, then each item, through a channel, about 30 KB per read in flight and a fifth of
/// an Organization scan's memory. Like it, reading stops at an absent or empty token, and at a
/// token equal to the last one, which an endpoint could otherwise repeat forever.
///
/// `@client_region` reads with the client's own region (the caller's Organizations client).
macro_rules! read_all {
    ($region:expr, $request:expr, $items:ident, $token:ident => $set_token:ident, $convert:expr) => {{
        let region: &$crate::clients::InRegion = $region;
        read_all!(@pages $request, |page| page.customize().config_override(region).send(),
            $items, $token => $set_token, $convert)
    }};
    (@client_region $request:expr, $items:ident, $token:ident => $set_token:ident, $convert:expr) => {
        read_all!(@pages $request, |page| page.send(), $items, $token => $set_token, $convert)
    };
    (@pages $request:expr, |$page:ident| $send:expr,
        $items:ident, $token:ident => $set_token:ident, $convert:expr) => {{
        let request = $request;
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let $page = request.clone().$set_token(token.clone());
            match $send.await {
                Err(error) => break Err(ApiError::from_sdk(&error)),
                Ok(page) => {
                    items.extend(page.$items().iter().map($convert));
                    match page.$token() {
                        Some(next) if !next.is_empty() && Some(next) != token.as_deref() => {
                            token = Some(next.to_owned());
                            // The last page's connection goes back to the pool first (as in
                            // Limits::run), so the next page reuses it.
                            $crate::limits::connection_returned().await;
                        }
                        _ => break Ok(items),
                    }
                }
            }
        }
    }};
}

mod apigateway;
mod clients;
mod ec2;
mod ecs;
mod elb;
mod elbv2;
mod estate;
pub mod events;
mod lambda;
pub mod limits;
mod per_resource;
mod plan;
mod rds;
mod shards;
mod vpc_gate;

use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig, timeout::TimeoutConfig};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use clients::{AccountClients, ClientCache, InRegion};
use ec2::Converted;
use estate::EstateError;
pub use estate::role_account;
use events::Scope;
pub use events::{Event, Observer, Silent};
use limits::{CallLog, Limits};
pub use limits::{
    DEADLINE_EXCEEDED, DEFAULT_MAX_CONCURRENCY, MAX_CONCURRENCY_BOUND, MAX_IN_FLIGHT_CAP,
    default_max_in_flight,
};
use plan::{Plan, Regions};
use vpc_gate::VpcAnswer;
use vpcaudit_core::error_text::cause_chain;
use vpcaudit_core::model::RegionInventory;
use vpcaudit_core::snapshot::{
    CollectedDataset, CollectionError, CollectionStats, Coverage, Dataset, NO_VPC,
    SNAPSHOT_FORMAT_VERSION, Snapshot, ToolInfo,
};

/// Where and how to read: the usual AWS settings, each also taken from the environment
/// (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`) and the shared config files by the SDK.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    /// Regions to read, in every account; empty means the profile's (or environment's) region.
    pub regions: Vec<String>,
    /// Read every region enabled in each account (ec2:DescribeRegions, per account, asked in
    /// the first region, else the profile's, else us-east-1). Takes precedence over `regions`.
    pub all_regions: bool,
    pub endpoint_url: Option<String>,
    /// Roles to assume, one account each. Given alone, only these accounts are read (not the
    /// caller's).
    pub role_arns: Vec<String>,
    /// Read every active account of the AWS Organization (organizations:ListAccounts) by
    /// assuming this role name in it; the caller's own account is read with its own
    /// credentials.
    pub organization_role: Option<String>,
    /// External id for the assumed roles.
    pub external_id: Option<String>,
    /// Calls in flight at once per account, region and service (0: [`DEFAULT_MAX_CONCURRENCY`]).
    pub max_concurrency: usize,
    /// Calls in flight at once over the whole run (0: [`default_max_in_flight`], sized from the
    /// open-files limit).
    pub max_in_flight: usize,
    /// Stop collecting at this instant: every dataset not read by then is recorded in coverage
    /// with the code [`DEADLINE_EXCEEDED`], so rules needing it are not evaluated.
    pub deadline: Option<tokio::time::Instant>,
    /// How long one attempt may wait for an answer to start before it is retried (None:
    /// [`DEFAULT_READ_TIMEOUT`]).
    pub read_timeout: Option<Duration>,
}

/// AWS answers list calls in well under a second; 30 s covers a slow region without letting
/// a stalled connection hold a scope for minutes (each attempt is also retried).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(
        "no AWS region: pass --region, set AWS_REGION, or set `region` in the profile's config"
    )]
    NoRegion,
    #[error("`{0}` is not an IAM role ARN (expected arn:aws:iam::123456789012:role/NAME)")]
    RoleArn(String),
}

/// An API failure, reduced to what a report needs.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub code: Option<String>,
    pub message: String,
}

impl ApiError {
    pub(crate) fn from_sdk<E>(error: &E) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error,
    {
        // A service error says it best in its own code and message; a transport error
        // (refused, timed out, DNS) in its chain of causes.
        let message = match (error.code(), error.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            _ => cause_chain(error),
        };
        ApiError {
            code: error.code().map(str::to_owned),
            message,
        }
    }
}

impl ApiError {
    /// Names the call that failed when it is not the dataset's own (a listing that leads to
    /// it, such as ecs:ListClusters before ecs:DescribeServices): coverage then names the
    /// permission or the call at fault.
    pub(crate) fn during(self, call: &str) -> ApiError {
        ApiError {
            code: self.code,
            message: format!("{call} failed: {}", self.message),
        }
    }
}

/// One HTTP client for every SDK client of a run's thread (the caller's, or a collection
/// thread's, see `shards.rs`): one connection pool, connections reused per endpoint across
/// accounts, regions and services. (Left to itself, each SDK client builds its
/// own: a pool, a TLS configuration and the trusted roots each, for every account, region and
/// service.) The same stack as the SDK's default: hyper 1, rustls with aws-lc, the proxy
/// from the environment.
pub fn shared_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig, tls};
    let client = Builder::new().build_with_connector_fn(|settings, runtime_components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    aws_smithy_runtime_api::client::http::SharedHttpClient::new(NoWarmUp(client))
}

/// The shared HTTP client without its warm-up. The SDK's hyper client, asked to validate each
/// new SDK client's configuration, builds a whole connector and throws it away (a rustls
/// configuration, parsing every trusted root certificate) so that a platform's native roots
/// load early. vpcaudit builds several SDK clients per account and collection thread,
/// hundreds or thousands per Organization scan: that warm-up was an eighth of the run's CPU
/// when they were built per account and region. The connectors that serve
/// requests are built and cached exactly as before, on the first request.
#[derive(Debug)]
struct NoWarmUp(aws_smithy_runtime_api::client::http::SharedHttpClient);

impl aws_smithy_runtime_api::client::http::HttpClient for NoWarmUp {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_final_config(
        &self,
        components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// Loads the SDK configuration the way every AWS tool does, with vpcaudit's timeouts and one
/// HTTP client ([`shared_http_client`]) for every client made from it.
pub async fn load_sdk_config(options: &AwsOptions) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(options.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT))
        .operation_attempt_timeout(Duration::from_secs(60))
        .operation_timeout(Duration::from_secs(180))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .http_client(shared_http_client());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &options.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(region) = options.regions.first() {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
}

/// Reads the inventory of every account and region asked for: one snapshot for the estate.
///
/// First the plan (`plan.rs`): who the caller is, and the Organization's accounts when asked.
/// Then its execution: every account's role is assumed and its regions listed concurrently,
/// and each account/region is read as soon as its account's credentials exist, on threads of
/// vpcaudit's own, one per core (see `shards.rs`); this future only waits for them, so a timeout
/// around it still fires. Calls in flight are bounded per account, region and service by
/// `max_concurrency`, and over the run by `max_in_flight` (see [`limits`]). Whatever fails, or
/// is cut short by the deadline, is recorded in the snapshot's coverage, never left out
/// silently.
pub async fn collect(
    options: &AwsOptions,
    observer: Arc<dyn Observer>,
) -> Result<Snapshot, CollectError> {
    let started = std::time::Instant::now();
    let collected_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // Bad input is reported before anything slow happens.
    for arn in &options.role_arns {
        estate::role_account(arn)?;
    }
    let mut sdk = load_sdk_config(options).await;
    let home_region = match sdk.region() {
        Some(region) => region.to_string(),
        None if options.all_regions => {
            sdk = sdk
                .to_builder()
                .region(Region::new(estate::BOOTSTRAP_REGION))
                .build();
            estate::BOOTSTRAP_REGION.to_owned()
        }
        None => return Err(CollectError::NoRegion),
    };
    // The plan's calls go through the first collection thread's HTTP client, which then reuses
    // their connection.
    let http = shared_http_client();
    let sdk = sdk.to_builder().http_client(http.clone()).build();

    let calls = CallLog::new();
    let run = Run {
        sts: estate::sts_client(&sdk, &calls),
        http: Some(http),
        sdk: sdk.clone(),
        external_id: options.external_id.clone(),
        limits: Limits::new(
            options.max_concurrency,
            options.max_in_flight,
            options.deadline,
        ),
        calls,
        observer: Arc::clone(&observer),
        clients: ClientCache::default(),
    };
    let mut coverage = Coverage::default();
    let (plan, caller) = run.plan(options, &home_region, &mut coverage).await?;
    if plan.accounts.len() > 1 {
        observer.info(format_args!("reading {} accounts", plan.accounts.len()));
    }
    let plan = Arc::new(plan);
    let read = run.execute(&plan).await;
    coverage.collected.extend(read.coverage.collected);
    coverage.errors.extend(read.coverage.errors);
    let scopes = read.scopes;
    observer.on_event(Event::Finished);

    let mut accounts: Vec<String> = plan
        .accounts
        .iter()
        .map(|t| {
            t.account
                .clone()
                .unwrap_or_else(|| UNKNOWN_ACCOUNT.to_owned())
        })
        .collect();
    accounts.sort();
    accounts.dedup();
    let regions = match plan.listed_regions() {
        Some(listed) => listed.to_vec(),
        None => {
            let mut seen: Vec<String> = scopes.iter().map(|s| s.region.clone()).collect();
            if seen.is_empty() {
                seen.push(home_region.clone());
            }
            seen.sort();
            seen.dedup();
            seen
        }
    };
    let stats = collection_stats(&run.calls, started.elapsed());
    observer.info(format_args!(
        "read {} account/region(s) in {:.1} s with {} API requests ({} retries)",
        scopes.len(),
        stats.seconds,
        stats
            .api_calls
            .values()
            .flat_map(|ops| ops.values())
            .sum::<u64>(),
        stats.retries
    ));
    Ok(Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        tool: ToolInfo::current(),
        collected_at,
        account: caller.account,
        accounts,
        regions,
        scopes,
        coverage,
        collection: Some(stats),
    })
}

/// How scopes are labelled when STS could not name the caller's account.
const UNKNOWN_ACCOUNT: &str = "unknown";

fn collection_stats(calls: &CallLog, elapsed: Duration) -> CollectionStats {
    let mut stats = CollectionStats {
        seconds: (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        peak_in_flight: calls.peak_in_flight(),
        ..CollectionStats::default()
    };
    for ((service, operation), counted) in calls.snapshot() {
        stats
            .api_calls
            .entry(service)
            .or_default()
            .insert(operation, counted.attempts);
        stats.retries += counted.retries;
    }
    stats
}

/// What every call of one collection shares: the configuration, the caller's STS client, the
/// limits and the request count, and where progress goes. The run's collection threads each
/// have their own (see [`Run::for_thread`]), with their own HTTP client.
struct Run {
    sdk: SdkConfig,
    /// The HTTP client of this run's thread. The caller's run (the plan's calls) hands its own
    /// to the first collection thread.
    http: Option<aws_smithy_runtime_api::client::http::SharedHttpClient>,
    sts: aws_sdk_sts::Client,
    external_id: Option<String>,
    limits: Limits,
    calls: Arc<CallLog>,
    observer: Arc<dyn Observer>,
    /// The SDK clients of the accounts this thread is reading.
    clients: ClientCache,
}

/// What was read, and what could not be.
#[derive(Default)]
struct Read {
    scopes: Vec<RegionInventory>,
    coverage: Coverage,
}

/// One account/region to read, found by the thread that opened its account.
struct ScopeJob {
    account_index: usize,
    region_index: usize,
    account: String,
    region: String,
    /// The account's configuration (its credentials); the reading thread sets its own HTTP
    /// client on it.
    config: SdkConfig,
}

/// What one piece of work produced, with where it goes in the snapshot: the plan's account
/// order, each account's own failures before its regions, regions in the order listed.
enum Piece {
    Account {
        index: usize,
        errors: Vec<CollectionError>,
    },
    Scope {
        account_index: usize,
        region_index: usize,
        inventory: Box<RegionInventory>,
        coverage: Coverage,
    },
}

impl Piece {
    fn order(&self) -> (usize, usize) {
        match self {
            Piece::Account { index, .. } => (*index, 0),
            Piece::Scope {
                account_index,
                region_index,
                ..
            } => (*account_index, region_index.saturating_add(1)),
        }
    }
}

type Queue = shards::Queue<ScopeJob>;

impl Run {
    /// Makes the plan: asks who the caller is and, for an Organization scan, its accounts.
    /// Their failures are recorded in `coverage`; the plan then covers what is still known.
    async fn plan(
        &self,
        options: &AwsOptions,
        home_region: &str,
        coverage: &mut Coverage,
    ) -> Result<(Plan, estate::Caller), CollectError> {
        let record = |coverage: &mut Coverage, failure: EstateError| {
            failure.warn(&*self.observer);
            coverage.errors.push(failure.into_error(home_region));
        };
        self.observer.info(format_args!(
            "reading caller identity (sts:GetCallerIdentity)"
        ));
        let caller = match estate::caller(&self.sts, &self.limits).await {
            Ok(caller) => caller,
            Err(failure) => {
                record(coverage, failure);
                estate::Caller::default()
            }
        };
        let organization = match &options.organization_role {
            Some(role_name) => {
                self.observer.info(format_args!(
                    "listing the Organization's accounts (organizations:ListAccounts)"
                ));
                let listed = estate::organization_accounts(
                    &self.sdk,
                    &self.calls,
                    &self.limits,
                    caller.account.as_deref(),
                )
                .await;
                let mut accounts = listed.unwrap_or_else(|failure| {
                    record(coverage, failure);
                    Vec::new()
                });
                // The caller's own account is part of an Organization scan, even when the
                // listing failed or (a delegated administrator's) does not show it.
                if let Some(own) = &caller.account {
                    if !accounts.contains(own) {
                        accounts.push(own.clone());
                    }
                }
                Some((role_name.as_str(), accounts))
            }
            None => None,
        };
        let plan = Plan::new(
            &caller,
            &options.role_arns,
            organization
                .as_ref()
                .map(|(name, accounts)| (*name, accounts.as_slice())),
            home_region,
            &options.regions,
            options.all_regions,
        )?;
        Ok((plan, caller))
    }

    /// The run as collection thread `thread` of `threads` sees it: its own HTTP client (and
    /// connection pool) and STS client, its share of the run's bounds.
    fn for_thread(&self, thread: usize, threads: usize) -> Run {
        let http = match (&self.http, thread) {
            (Some(http), 0) => http.clone(),
            _ => shared_http_client(),
        };
        let sdk = self.sdk.to_builder().http_client(http.clone()).build();
        Run {
            sts: estate::sts_client(&sdk, &self.calls),
            sdk,
            http: Some(http),
            external_id: self.external_id.clone(),
            limits: self.limits.share(threads),
            calls: Arc::clone(&self.calls),
            observer: Arc::clone(&self.observer),
            clients: ClientCache::default(),
        }
    }

    /// Reads every account of the plan on the run's collection threads ([`shards`]) and puts
    /// what they read in the plan's order.
    async fn execute(&self, plan: &Arc<Plan>) -> Read {
        let threads = shards::thread_count();
        let queue: Arc<Queue> = Arc::new(shards::Queue::new(plan.accounts.len()));
        let work = (0..threads).map(|thread| {
            let accounts: Vec<usize> = (thread..plan.accounts.len()).step_by(threads).collect();
            self.on_thread(thread, threads, plan, &queue, accounts)
        });
        let mut pieces = Vec::new();
        let mut failures = Vec::new();
        for outcome in futures::future::join_all(work).await {
            match outcome {
                Ok(done) => pieces.extend(done),
                Err(failure) => failures.push(failure),
            }
        }
        pieces.sort_by_key(Piece::order);
        let mut read = Read::default();
        for piece in pieces {
            match piece {
                Piece::Account { errors, .. } => read.coverage.errors.extend(errors),
                Piece::Scope {
                    inventory,
                    coverage,
                    ..
                } => {
                    read.scopes.push(*inventory);
                    read.coverage.collected.extend(coverage.collected);
                    read.coverage.errors.extend(coverage.errors);
                }
            }
        }
        for failure in &failures {
            self.observer
                .warn(format_args!("a collection thread failed: {failure}"));
        }
        self.record_lost(plan, queue.lost(), &failures, &mut read);
        read
    }

    /// Runs one collection thread's share: on a thread of its own with a single-threaded
    /// runtime, or here, on the caller's runtime, when no thread or runtime can be had.
    /// Err says why a thread stopped before finishing (a panic).
    async fn on_thread(
        &self,
        thread: usize,
        threads: usize,
        plan: &Arc<Plan>,
        queue: &Arc<Queue>,
        accounts: Vec<usize>,
    ) -> Result<Vec<Piece>, String> {
        enum Outcome {
            Done(Vec<Piece>),
            Panicked(String),
            NoRuntime,
        }
        let (done, outcome) = tokio::sync::oneshot::channel();
        let run = self.for_thread(thread, threads);
        let (plan_there, queue_there, accounts_there) =
            (Arc::clone(plan), Arc::clone(queue), accounts.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("vpcaudit-collect-{thread}"))
            .stack_size(shards::THREAD_STACK)
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                let outcome = match runtime {
                    Ok(runtime) => {
                        let work = std::panic::AssertUnwindSafe(|| {
                            runtime.block_on(run.work(&plan_there, &queue_there, accounts_there))
                        });
                        match std::panic::catch_unwind(work) {
                            Ok(pieces) => Outcome::Done(pieces),
                            Err(panic) => Outcome::Panicked(panic_message(panic.as_ref())),
                        }
                    }
                    Err(_) => Outcome::NoRuntime,
                };
                // The caller may have given up on the run (a deadline around it): nobody left
                // to tell.
                let _ = done.send(outcome);
            });
        let outcome = match spawned {
            Ok(_) => outcome.await.unwrap_or(Outcome::NoRuntime),
            Err(_) => Outcome::NoRuntime,
        };
        match outcome {
            Outcome::Done(pieces) => Ok(pieces),
            Outcome::Panicked(why) => Err(why),
            Outcome::NoRuntime => Ok(self
                .for_thread(thread, threads)
                .work(plan, queue, accounts)
                .await),
        }
    }

    /// One thread's work: open its accounts, and meanwhile read account/regions from the queue
    /// until there are none left anywhere.
    async fn work(&self, plan: &Plan, queue: &Queue, accounts: Vec<usize>) -> Vec<Piece> {
        let opened = futures::future::join_all(
            accounts
                .into_iter()
                .map(|index| self.open_account(plan, index, queue)),
        );
        let (opened, mut pieces) = futures::join!(opened, self.read_scopes(queue));
        pieces.extend(opened.into_iter().flatten());
        pieces
    }

    /// Reads account/regions from the queue, up to this thread's share of the run's bound on
    /// account/regions read at once.
    async fn read_scopes(&self, queue: &Queue) -> Vec<Piece> {
        let slots = self.limits.scopes_at_once();
        let mut running = futures::stream::FuturesUnordered::new();
        let mut pieces = Vec::new();
        let mut open = true;
        loop {
            tokio::select! {
                next = queue.next(), if open && running.len() < slots => match next {
                    Some((job, held)) => running.push(async move {
                        let piece = self.read_scope(job).await;
                        held.finish();
                        piece
                    }),
                    None => open = false,
                },
                Some(piece) = futures::StreamExt::next(&mut running), if !running.is_empty() => {
                    pieces.push(piece);
                }
                else => break,
            }
        }
        pieces
    }

    async fn read_scope(&self, job: ScopeJob) -> Piece {
        let clients = self.clients.lease(job.account_index, || {
            AccountClients::new(&job.config, self.http.as_ref(), &self.calls)
        });
        let (inventory, coverage) = self.read_region(&clients, &job.account, &job.region).await;
        drop(clients);
        Piece::Scope {
            account_index: job.account_index,
            region_index: job.region_index,
            inventory: Box::new(inventory),
            coverage,
        }
    }

    /// Opens one account: its credentials (the role assumed, once) and its regions, each of
    /// which goes into the queue for any thread to read.
    async fn open_account(&self, plan: &Plan, index: usize, queue: &Queue) -> Option<Piece> {
        let target = plan.accounts.get(index)?;
        let account = target
            .account
            .clone()
            .unwrap_or_else(|| UNKNOWN_ACCOUNT.to_owned());
        let held = queue.hold(shards::Lost {
            account_index: index,
            account: account.clone(),
            region: None,
        });
        let mut errors = Vec::new();
        if let Some(role) = &target.role_arn {
            self.observer
                .info(format_args!("assuming {role} (sts:AssumeRole)"));
        }
        let config = match estate::account_config(
            &self.sdk,
            &self.sts,
            target,
            self.external_id.as_deref(),
            &self.limits,
        )
        .await
        {
            Ok(config) => config,
            Err(failure) => {
                failure.warn(&*self.observer);
                errors.push(failure.into_error(&plan.home_region));
                held.finish();
                return Some(Piece::Account { index, errors });
            }
        };
        let regions = match &plan.regions {
            Regions::Listed(regions) => regions.clone(),
            Regions::Enabled => match estate::account_regions(
                &config,
                &plan.home_region,
                target.account.as_deref(),
                &self.calls,
                &self.limits,
            )
            .await
            {
                Ok(regions) => {
                    self.observer.info(format_args!(
                        "{account}: {} enabled regions (ec2:DescribeRegions)",
                        regions.len()
                    ));
                    regions
                }
                Err(failure) => {
                    // The home region at least: better a partial read than none.
                    failure.warn(&*self.observer);
                    errors.push(failure.into_error(&plan.home_region));
                    vec![plan.home_region.clone()]
                }
            },
        };
        self.observer.on_event(Event::ScopesExpected {
            account: account.clone(),
            count: regions.len(),
        });
        for (region_index, region) in regions.into_iter().enumerate() {
            let lost = shards::Lost {
                account_index: index,
                account: account.clone(),
                region: Some(region.clone()),
            };
            let job = ScopeJob {
                account_index: index,
                region_index,
                account: account.clone(),
                region,
                config: config.clone(),
            };
            queue.push(job, lost);
        }
        held.finish();
        (!errors.is_empty()).then_some(Piece::Account { index, errors })
    }

    /// Records in coverage what a collection thread took and never finished: each dataset of
    /// a lost account/region, or the account itself, so no rule reads it as empty.
    fn record_lost(
        &self,
        plan: &Plan,
        lost: Vec<shards::Lost>,
        failures: &[String],
        read: &mut Read,
    ) {
        let why = if failures.is_empty() {
            "collection stopped before this was read".to_owned()
        } else {
            format!("a collection thread failed: {}", failures.join("; "))
        };
        for lost in lost {
            match &lost.region {
                Some(region) => {
                    for dataset in Dataset::ALL {
                        let (service, operation) = dataset.api_call();
                        read.coverage.errors.push(CollectionError {
                            service: service.to_owned(),
                            operation: operation.to_owned(),
                            account: Some(lost.account.clone()),
                            region: Some(region.clone()),
                            code: Some(COLLECTION_FAILED.to_owned()),
                            error: why.clone(),
                            dataset: Some(*dataset),
                        });
                    }
                }
                None => read.coverage.errors.push(CollectionError {
                    service: "sts".to_owned(),
                    operation: "AssumeRole".to_owned(),
                    account: Some(lost.account.clone()),
                    region: Some(plan.home_region.clone()),
                    code: Some(COLLECTION_FAILED.to_owned()),
                    error: why.clone(),
                    dataset: None,
                }),
            }
        }
    }

    /// One account/region: every dataset read concurrently with the account's clients (see
    /// `clients.rs`). A new service is a client there and a line in the `join!`.
    async fn read_region(
        &self,
        clients: &AccountClients,
        account: &str,
        region: &str,
    ) -> (RegionInventory, Coverage) {
        let scope = Scope::start(&*self.observer, account, region);
        let in_region = InRegion::new(region);
        let vpcs = VpcAnswer::new();
        let reader = || Reader {
            limits: &self.limits,
            gate: self.limits.service_gate(),
            scope: &scope,
            vpcs: &vpcs,
            region: &in_region,
        };
        let (ec2_reader, rds_reader, lambda_reader) = (reader(), reader(), reader());
        let (rest_reader, http_reader) = (reader(), reader());
        let (elbv2_reader, elb_reader, ecs_reader) = (reader(), reader(), reader());
        // Boxed: the SDK's request futures are large, and four of them side by side overflow a
        // 2 MiB thread stack (tokio workers, tests) in debug builds.
        let (network, databases, functions, stages, balancers, classic, services) = futures::join!(
            Box::pin(ec2::read(&clients.ec2, &ec2_reader)),
            Box::pin(rds::read(&clients.rds, &rds_reader)),
            Box::pin(lambda::read(&clients.lambda, &lambda_reader)),
            Box::pin(apigateway::read(
                &clients.apigateway,
                &clients.apigatewayv2,
                &rest_reader,
                &http_reader
            )),
            Box::pin(elbv2::read(&clients.elbv2, &elbv2_reader)),
            Box::pin(elb::read(&clients.elb, &elb_reader)),
            Box::pin(ecs::read(&clients.ecs, &ecs_reader)),
        );

        let mut recorder = Recorder::new(account, region, &*self.observer, &vpcs);
        let mut inventory = RegionInventory {
            account: account.to_owned(),
            region: region.to_owned(),
            ..RegionInventory::default()
        };
        network.store(&mut inventory, &mut recorder);
        databases.store(&mut inventory, &mut recorder);
        // Functions last: their environment values are turned into facts against the
        // databases' endpoints, then dropped.
        functions.store(&mut inventory, &mut recorder);
        stages.store(&mut inventory, &mut recorder);
        balancers.store(&mut inventory, &mut recorder);
        classic.store(&mut inventory, &mut recorder);
        services.store(&mut inventory, &mut recorder);
        sort_inventory(&mut inventory);
        scope.finish();
        (inventory, recorder.finish())
    }
}

/// Reads the datasets of one service in one account and region: within the service's bound on
/// calls in flight, before the deadline, reporting each dataset as it finishes.
pub(crate) struct Reader<'a> {
    limits: &'a Limits,
    gate: tokio::sync::Semaphore,
    scope: &'a Scope<'a>,
    /// The account/region's DescribeVpcs: datasets that live in a VPC wait for it, and are
    /// not read when it found none (see `vpc_gate.rs`).
    vpcs: &'a VpcAnswer,
    /// Where every call goes: the clients have no region of their own.
    region: &'a InRegion,
}

impl Reader<'_> {
    /// The account/region's region, for each call's `config_override`.
    pub(crate) fn region(&self) -> &InRegion {
        self.region
    }

    /// Runs one dataset's (paginated) read, unless the account/region's VPCs settle it
    /// ([`Reader::settled`]).
    /// `read` makes the read's future once the bounds admit it: a dataset waiting for its turn
    /// holds no memory for the SDK's (large) request futures.
    pub(crate) async fn read<T, F, Fut>(
        &self,
        dataset: Dataset,
        read: F,
    ) -> Result<Vec<T>, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, ApiError>>,
    {
        if self.settled(dataset).await {
            return Ok(Vec::new());
        }
        let result = self.limits.run(&self.gate, read).await;
        if dataset == Dataset::Vpcs {
            self.vpcs.tell(&result);
        }
        self.scope
            .dataset_done(dataset, result.as_ref().map(Vec::len).map_err(|_| ()));
        result
    }

    /// Whether `dataset` lives in a VPC and DescribeVpcs found none here: then it is reported
    /// done, empty, without a call. Waits for DescribeVpcs first if `dataset` lives in a VPC.
    pub(crate) async fn settled(&self, dataset: Dataset) -> bool {
        let settled = self.vpcs.settles(dataset).await;
        if settled {
            self.scope.dataset_done(dataset, Ok(0));
        }
        settled
    }
}

/// Records each dataset's outcome for one account and region.
pub(crate) struct Recorder<'a> {
    account: &'a str,
    region: &'a str,
    observer: &'a dyn Observer,
    coverage: Coverage,
    /// Datasets the deadline cut short.
    past_deadline: usize,
    /// The account/region's DescribeVpcs, which says which datasets were not read.
    vpcs: &'a VpcAnswer,
}

impl<'a> Recorder<'a> {
    fn new(
        account: &'a str,
        region: &'a str,
        observer: &'a dyn Observer,
        vpcs: &'a VpcAnswer,
    ) -> Recorder<'a> {
        Recorder {
            account,
            region,
            observer,
            coverage: Coverage::default(),
            past_deadline: 0,
            vpcs,
        }
    }

    /// The coverage of the account and region, once every dataset was taken.
    fn finish(self) -> Coverage {
        if self.past_deadline > 0 {
            self.observer.warn(format_args!(
                "{} {}: {} of {} datasets not read before the time limit ({DEADLINE_EXCEEDED})",
                self.account,
                self.region,
                self.past_deadline,
                Dataset::ALL.len()
            ));
        }
        self.coverage
    }

    /// Keeps what was read, or notes the failure and returns nothing for the dataset.
    pub(crate) fn take<T>(&mut self, dataset: Dataset, result: Result<Vec<T>, ApiError>) -> Vec<T> {
        let (service, operation) = dataset.api_call();
        match result {
            Ok(items) => {
                self.coverage.collected.push(CollectedDataset {
                    service: service.to_owned(),
                    operation: operation.to_owned(),
                    account: self.account.to_owned(),
                    region: self.region.to_owned(),
                    count: items.len(),
                    implied_by: self.vpcs.settled(dataset).then(|| NO_VPC.to_owned()),
                });
                items
            }
            Err(error) => {
                if error.code.as_deref() == Some(DEADLINE_EXCEEDED) {
                    // Said once per account and region (`finish`), not once per dataset.
                    self.past_deadline += 1;
                } else {
                    self.observer.warn(format_args!(
                        "{}:{} in {} {} failed: {}",
                        service, operation, self.account, self.region, error.message
                    ));
                }
                self.coverage.errors.push(CollectionError {
                    service: service.to_owned(),
                    operation: operation.to_owned(),
                    account: Some(self.account.to_owned()),
                    region: Some(self.region.to_owned()),
                    code: error.code,
                    error: error.message,
                    dataset: Some(dataset),
                });
                Vec::new()
            }
        }
    }
}

impl Recorder<'_> {
    /// Like [`Recorder::take`], for resources parts of which may not convert: each part that
    /// did not is recorded in coverage (dataset, resource, why) with the code
    /// [`UNCONVERTIBLE`], so the dataset counts as not fully read and the scan is incomplete.
    pub(crate) fn take_converted<T>(
        &mut self,
        dataset: Dataset,
        result: Result<Vec<ec2::Converted<T>>, ApiError>,
    ) -> Vec<T> {
        let converted = self.take(dataset, result);
        let (service, operation) = dataset.api_call();
        let mut items = Vec::with_capacity(converted.len());
        for Converted {
            item,
            unconvertible,
        } in converted
        {
            for why in unconvertible {
                self.observer.warn(format_args!(
                    "{service}:{operation} in {} {}: cannot convert {why}",
                    self.account, self.region
                ));
                self.coverage.errors.push(CollectionError {
                    service: service.to_owned(),
                    operation: operation.to_owned(),
                    account: Some(self.account.to_owned()),
                    region: Some(self.region.to_owned()),
                    code: Some(UNCONVERTIBLE.to_owned()),
                    error: format!("cannot convert {why}"),
                    dataset: Some(dataset),
                });
            }
            items.push(item);
        }
        items
    }
}

/// The coverage error code of an account or account/region that a collection thread took and
/// never finished reading (it panicked): a vpcaudit bug, recorded so the scan is incomplete
/// rather than wrong.
pub const COLLECTION_FAILED: &str = "CollectionFailed";

/// Why a thread panicked, as far as its payload says.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

/// The coverage error code of data AWS returned that vpcaudit could not convert.
pub const UNCONVERTIBLE: &str = "Unconvertible";

/// AWS returns resources in no promised order; sorting makes snapshots diffable.
fn sort_inventory(inv: &mut RegionInventory) {
    inv.vpcs.sort_by(|a, b| a.id.cmp(&b.id));
    inv.subnets.sort_by(|a, b| a.id.cmp(&b.id));
    inv.route_tables.sort_by(|a, b| a.id.cmp(&b.id));
    inv.internet_gateways.sort_by(|a, b| a.id.cmp(&b.id));
    inv.nat_gateways.sort_by(|a, b| a.id.cmp(&b.id));
    inv.network_acls.sort_by(|a, b| a.id.cmp(&b.id));
    inv.security_groups.sort_by(|a, b| a.id.cmp(&b.id));
    inv.network_interfaces.sort_by(|a, b| a.id.cmp(&b.id));
    inv.instances.sort_by(|a, b| a.id.cmp(&b.id));
    inv.flow_logs.sort_by(|a, b| a.id.cmp(&b.id));
    inv.db_instances.sort_by(|a, b| a.id.cmp(&b.id));
    inv.db_clusters.sort_by(|a, b| a.id.cmp(&b.id));
    inv.db_subnet_groups.sort_by(|a, b| a.name.cmp(&b.name));
    inv.lambda_functions.sort_by(|a, b| a.name.cmp(&b.name));
    inv.api_stages
        .sort_by(|a, b| (&a.api_id, &a.stage_name).cmp(&(&b.api_id, &b.stage_name)));
}

/// Converts SDK tags (EC2, RDS) into the model's sorted map.
fn tags<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> vpcaudit_core::model::Tags {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_owned(), v.unwrap_or_default().to_owned())))
        .collect()
}
