//! Collectors: the only code that talks to AWS. They make read-only List/Describe calls and
//! turn the answers into the plain inventory of [`crate::model`]; no SDK type leaves here.

mod ec2;
mod lambda;
mod rds;

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig, timeout::TimeoutConfig};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::model::RegionInventory;
use crate::progress::Progress;
use crate::snapshot::{
    CollectedDataset, CollectionError, Coverage, Dataset, SNAPSHOT_FORMAT_VERSION, Snapshot,
    ToolInfo,
};

/// Where and how to read: the usual AWS settings, each also taken from the environment
/// (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`) and the shared config files by the SDK.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    /// Regions to read; empty means the profile's (or environment's) region.
    pub regions: Vec<String>,
    /// Read every region enabled in the account (DescribeRegions).
    pub all_regions: bool,
    pub endpoint_url: Option<String>,
    /// Roles to assume, one account each, besides (or instead of) the caller's account.
    pub role_arns: Vec<String>,
    /// Read every active account of the AWS Organization through this role name.
    pub organization_role: Option<String>,
    /// External id for the assumed roles.
    pub external_id: Option<String>,
    /// Calls in flight at once per service and region (0: the default).
    pub max_concurrency: usize,
    /// Stop collecting at this instant; what is unread is recorded as incomplete coverage.
    pub deadline: Option<tokio::time::Instant>,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(
        "no AWS region: pass --region, set AWS_REGION, or set `region` in the profile's config"
    )]
    NoRegion,
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

/// `outer: inner: innermost`, skipping causes whose text an outer one already shows.
fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// Loads the SDK configuration the way every AWS tool does, with vpcaudit's timeouts.
pub async fn load_sdk_config(options: &AwsOptions) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(30))
        .operation_attempt_timeout(Duration::from_secs(60))
        .operation_timeout(Duration::from_secs(180))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts);
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

/// Reads the inventory of the account the credentials belong to, in the requested regions.
pub async fn collect(options: &AwsOptions, progress: &Progress) -> Result<Snapshot, CollectError> {
    let collected_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let sdk = load_sdk_config(options).await;
    let regions = if options.regions.is_empty() {
        vec![sdk.region().ok_or(CollectError::NoRegion)?.to_string()]
    } else {
        options.regions.clone()
    };

    let mut coverage = Coverage::default();
    progress.info(format_args!(
        "reading caller identity (sts:GetCallerIdentity)"
    ));
    let sts = aws_sdk_sts::Client::new(&sdk);
    let account = match sts.get_caller_identity().send().await {
        Ok(identity) => identity.account().map(str::to_owned),
        Err(error) => {
            let error = ApiError::from_sdk(&error);
            progress.warn(format_args!(
                "sts:GetCallerIdentity failed: {}",
                error.message
            ));
            coverage.errors.push(CollectionError {
                service: "sts".to_owned(),
                operation: "GetCallerIdentity".to_owned(),
                account: None,
                region: regions.first().cloned(),
                code: error.code,
                error: error.message,
                dataset: None,
            });
            None
        }
    };
    let account_label = account.clone().unwrap_or_else(|| "unknown".to_owned());

    let scans = regions
        .iter()
        .map(|region| collect_region(&sdk, &account_label, region, progress));
    let mut scopes = Vec::with_capacity(regions.len());
    for (inventory, region_coverage) in futures::future::join_all(scans).await {
        scopes.push(inventory);
        coverage.collected.extend(region_coverage.collected);
        coverage.errors.extend(region_coverage.errors);
    }

    Ok(Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        tool: ToolInfo::current(),
        collected_at,
        account,
        regions,
        scopes,
        coverage,
    })
}

/// Records each dataset's outcome for one account and region.
pub(crate) struct Recorder<'a> {
    account: &'a str,
    region: &'a str,
    progress: &'a Progress,
    coverage: Coverage,
}

impl<'a> Recorder<'a> {
    fn new(account: &'a str, region: &'a str, progress: &'a Progress) -> Recorder<'a> {
        Recorder {
            account,
            region,
            progress,
            coverage: Coverage::default(),
        }
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
                });
                items
            }
            Err(error) => {
                self.progress.warn(format_args!(
                    "{}:{} in {} failed: {}",
                    service, operation, self.region, error.message
                ));
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

async fn collect_region(
    sdk: &SdkConfig,
    account: &str,
    region: &str,
    progress: &Progress,
) -> (RegionInventory, Coverage) {
    progress.info(format_args!("collecting {region}"));
    let region_config = sdk
        .to_builder()
        .region(Region::new(region.to_owned()))
        .build();
    let ec2_client = aws_sdk_ec2::Client::new(&region_config);
    let rds_client = aws_sdk_rds::Client::new(&region_config);
    let lambda_client = aws_sdk_lambda::Client::new(&region_config);

    let (network, databases, functions) = futures::join!(
        ec2::read(&ec2_client),
        rds::read(&rds_client),
        lambda::read(&lambda_client),
    );

    let mut recorder = Recorder::new(account, region, progress);
    let mut inventory = RegionInventory {
        account: account.to_owned(),
        region: region.to_owned(),
        ..RegionInventory::default()
    };
    network.store(&mut inventory, &mut recorder);
    databases.store(&mut inventory, &mut recorder);
    // Functions last: their environment values are turned into facts against the databases'
    // endpoints, then dropped.
    functions.store(&mut inventory, &mut recorder);
    sort_inventory(&mut inventory);
    progress.info(format_args!(
        "{region}: {} VPCs, {} subnets, {} security groups, {} interfaces, {} databases, {} functions",
        inventory.vpcs.len(),
        inventory.subnets.len(),
        inventory.security_groups.len(),
        inventory.network_interfaces.len(),
        inventory.db_instances.len() + inventory.db_clusters.len(),
        inventory.lambda_functions.len()
    ));
    (inventory, recorder.coverage)
}

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
}

/// Converts SDK tags (EC2, RDS) into the model's sorted map.
fn tags<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> crate::model::Tags {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_owned(), v.unwrap_or_default().to_owned())))
        .collect()
}
