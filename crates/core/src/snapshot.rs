//! The snapshot file: an inventory plus where and when it was read, and what could not be read.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::RegionInventory;

/// The coverage error code of a reference to a resource the snapshot does not hold.
pub const UNKNOWN_REFERENCE: &str = "UnknownReference";

/// Bumped when a snapshot written by an older vpcaudit can no longer be read as-is.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// The error code of a dataset a snapshot does not hold (written before it was collected).
pub const NOT_COLLECTED: &str = "NotCollected";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub format_version: u32,
    pub tool: ToolInfo,
    /// RFC 3339 time at which collection started.
    pub collected_at: String,
    /// The account the credentials belong to (None when STS could not be read).
    pub account: Option<String>,
    /// Every account the scan covers: the caller's, those of `--role-arn`, the Organization's.
    /// Empty in snapshots written before whole-estate scans (then it is `account`).
    #[serde(default)]
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// One inventory per account and region.
    pub scopes: Vec<RegionInventory>,
    pub coverage: Coverage,
    /// What reading the inventory cost; absent from hand-written snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<CollectionStats>,
}

/// API requests made and time spent by one collection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CollectionStats {
    /// HTTP requests sent per service (as [`Dataset::api_call`] names it) and operation,
    /// retries included.
    pub api_calls: BTreeMap<String, BTreeMap<String, u64>>,
    /// How many of those requests were retries (throttling, server errors, timeouts).
    pub retries: u64,
    /// Wall time of the collection.
    pub seconds: f64,
    /// The most requests in flight at once (sent, response not yet read), over the whole
    /// collection: what the connections it opened are compared with.
    pub peak_in_flight: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl ToolInfo {
    pub fn current() -> ToolInfo {
        ToolInfo {
            // The product, not this crate: every vpcaudit crate shares the workspace version.
            name: "vpcaudit".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// What was read and what could not be. A dataset listed in `errors` is unknown, never empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Coverage {
    pub collected: Vec<CollectedDataset>,
    pub errors: Vec<CollectionError>,
    /// Values a template leaves to deploy time (a parameter without a default, an attribute
    /// known only once created): the rules that read their dataset are not evaluated there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<UnknownValue>,
}

/// A value of a resource that could not be known before deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnknownValue {
    pub account: String,
    pub region: String,
    /// The dataset the value belongs to.
    pub dataset: Dataset,
    /// The resource (its id in the inventory) and property, e.g. `WebSg` and
    /// `SecurityGroupIngress[0].CidrIp`.
    pub resource: String,
    pub property: String,
    /// Why it is unknown, e.g. "parameter `AdminCidr` has no default".
    pub reason: String,
}

impl UnknownValue {
    /// `WebSg.SecurityGroupIngress[0].CidrIp is unknown: …`, for reports.
    pub fn describe(&self) -> String {
        format!(
            "{}.{} is unknown before deploy: {}",
            self.resource, self.property, self.reason
        )
    }
}

impl Coverage {
    /// Whether `dataset` failed for this account and region.
    pub fn is_missing(&self, dataset: Dataset, account: &str, region: &str) -> bool {
        self.missing().is_missing(dataset, account, region)
    }

    /// The failed (or never read) datasets, indexed: for asking about every scope of an
    /// estate, where errors can number in the thousands (a deadline over hundreds of regions).
    pub fn missing(&self) -> MissingDatasets<'_> {
        MissingDatasets {
            failed: self
                .errors
                .iter()
                .filter_map(|e| Some((e.dataset?, e.account.as_deref(), e.region.as_deref())))
                .chain(
                    self.unknown
                        .iter()
                        .map(|u| (u.dataset, Some(u.account.as_str()), Some(u.region.as_str()))),
                )
                .collect(),
        }
    }

    /// The unknown values of `dataset` in this account and region, described.
    pub fn unknown_in(&self, dataset: Dataset, account: &str, region: &str) -> Vec<String> {
        self.unknown
            .iter()
            .filter(|u| u.dataset == dataset && u.account == account && u.region == region)
            .map(UnknownValue::describe)
            .collect()
    }
}

/// Datasets that could not be read, by account and region (None: every one).
#[derive(Debug, Default)]
pub struct MissingDatasets<'a> {
    failed: HashSet<(Dataset, Option<&'a str>, Option<&'a str>)>,
}

impl MissingDatasets<'_> {
    /// Whether `dataset` failed, or was never read, for this account and region.
    pub fn is_missing(&self, dataset: Dataset, account: &str, region: &str) -> bool {
        !self.failed.is_empty()
            && [
                (Some(account), Some(region)),
                (None, Some(region)),
                (Some(account), None),
                (None, None),
            ]
            .into_iter()
            .any(|(a, r)| self.failed.contains(&(dataset, a, r)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectedDataset {
    pub service: String,
    pub operation: String,
    pub account: String,
    pub region: String,
    /// How many resources the call returned.
    pub count: usize,
    /// Set when the dataset was not read because another answer settles it, saying which:
    /// [`NO_VPC`] for the datasets that live in a VPC ([`Dataset::lives_in_a_vpc`]) in an
    /// account/region where `ec2:DescribeVpcs` found none. `count` is then 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implied_by: Option<String>,
}

/// [`CollectedDataset::implied_by`] of a dataset not read because its account/region has no VPC.
pub const NO_VPC: &str = "ec2:DescribeVpcs found no VPC";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionError {
    pub service: String,
    pub operation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The AWS error code (`AccessDenied`, `Throttling`, …) when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub error: String,
    /// The inventory dataset this call fills, so rules that need it are not evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<Dataset>,
}

/// One kind of resource in the inventory, with the single read-only API call that lists it.
///
/// This list is the one source of truth for which AWS calls vpcaudit makes: collectors,
/// coverage, rule requirements and the IAM policy in the docs all come from it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    Vpcs,
    Subnets,
    RouteTables,
    InternetGateways,
    NatGateways,
    NetworkAcls,
    SecurityGroups,
    NetworkInterfaces,
    Instances,
    FlowLogs,
    DbInstances,
    DbClusters,
    DbSubnetGroups,
    LambdaFunctions,
    RestApiStages,
    HttpApiStages,
    ElasticIps,
    VpcEndpoints,
    EgressOnlyInternetGateways,
    LoadBalancers,
    Listeners,
    TargetGroups,
    TargetHealth,
    TargetGroupAttributes,
    ClassicLoadBalancers,
    EcsServices,
}

impl Dataset {
    /// Every dataset, in declaration order (from the type: a new variant cannot be missed).
    pub const ALL: &'static [Dataset] = <Dataset as strum::VariantArray>::VARIANTS;

    /// The service (the IAM prefix, except `apigatewayv2`, `elbv2` and `elb`, which name the SDK
    /// client: see [`Dataset::iam_action`]) and operation that lists this dataset.
    pub fn api_call(self) -> (&'static str, &'static str) {
        match self {
            Dataset::Vpcs => ("ec2", "DescribeVpcs"),
            Dataset::Subnets => ("ec2", "DescribeSubnets"),
            Dataset::RouteTables => ("ec2", "DescribeRouteTables"),
            Dataset::InternetGateways => ("ec2", "DescribeInternetGateways"),
            Dataset::NatGateways => ("ec2", "DescribeNatGateways"),
            Dataset::NetworkAcls => ("ec2", "DescribeNetworkAcls"),
            Dataset::SecurityGroups => ("ec2", "DescribeSecurityGroups"),
            Dataset::NetworkInterfaces => ("ec2", "DescribeNetworkInterfaces"),
            Dataset::Instances => ("ec2", "DescribeInstances"),
            Dataset::FlowLogs => ("ec2", "DescribeFlowLogs"),
            Dataset::DbInstances => ("rds", "DescribeDBInstances"),
            Dataset::DbClusters => ("rds", "DescribeDBClusters"),
            Dataset::DbSubnetGroups => ("rds", "DescribeDBSubnetGroups"),
            Dataset::LambdaFunctions => ("lambda", "ListFunctions"),
            // GetRestApis/GetApis, then GetStages per API: stages have no account-wide list.
            Dataset::RestApiStages => ("apigateway", "GetStages"),
            Dataset::HttpApiStages => ("apigatewayv2", "GetStages"),
            Dataset::ElasticIps => ("ec2", "DescribeAddresses"),
            Dataset::VpcEndpoints => ("ec2", "DescribeVpcEndpoints"),
            Dataset::EgressOnlyInternetGateways => ("ec2", "DescribeEgressOnlyInternetGateways"),
            // Load balancers v2 (ALB, NLB, GWLB) and Classic ones share the IAM prefix
            // `elasticloadbalancing` and the operation name DescribeLoadBalancers: the SDK
            // names tell them apart in coverage and call counts.
            Dataset::LoadBalancers => ("elbv2", "DescribeLoadBalancers"),
            // One call per load balancer: listeners have no account-wide list.
            Dataset::Listeners => ("elbv2", "DescribeListeners"),
            Dataset::TargetGroups => ("elbv2", "DescribeTargetGroups"),
            // One call per target group: AWS has no call for every group's targets.
            Dataset::TargetHealth => ("elbv2", "DescribeTargetHealth"),
            // One call per NLB target group (TCP, UDP, TLS, TCP_UDP), for preserve_client_ip.
            Dataset::TargetGroupAttributes => ("elbv2", "DescribeTargetGroupAttributes"),
            Dataset::ClassicLoadBalancers => ("elb", "DescribeLoadBalancers"),
            // ListClusters, then per cluster ListServices and DescribeServices (10 a call).
            Dataset::EcsServices => ("ecs", "DescribeServices"),
        }
    }

    /// Every call reading this dataset makes: [`Dataset::api_call`] and the list calls that
    /// lead to it.
    pub fn api_calls(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Dataset::RestApiStages => vec![("apigateway", "GetRestApis"), self.api_call()],
            Dataset::HttpApiStages => vec![("apigatewayv2", "GetApis"), self.api_call()],
            Dataset::EcsServices => vec![
                ("ecs", "ListClusters"),
                ("ecs", "ListServices"),
                self.api_call(),
            ],
            _ => vec![self.api_call()],
        }
    }

    /// Whether everything this dataset lists lives in a VPC, so that an account/region where
    /// `ec2:DescribeVpcs` answers with no VPC has none of it that any rule could use. The
    /// collectors then skip its calls and record it empty ([`NO_VPC`]): in an Organization,
    /// most account/regions are like that (AWS Control Tower's account factory deletes the
    /// default VPCs, and the CIS benchmarks ask for it), and these datasets are 18 of the 23
    /// calls of an empty one.
    ///
    /// Why each is bound to a VPC (EC2-Classic, the one network outside VPCs, was retired in
    /// August 2023):
    /// - subnets, route tables, network ACLs, security groups, NAT gateways, egress-only
    ///   internet gateways, VPC endpoints and network interfaces are created in a VPC or one of
    ///   its subnets; instances, DB instances and clusters (RDS, Aurora, Neptune, DocumentDB),
    ///   DB subnet groups, and load balancers (Application, Network, Gateway, Classic) too, and
    ///   with them their listeners, target groups, targets and target group attributes (a
    ///   target group no load balancer uses, a Lambda one included, carries no traffic);
    /// - an internet gateway can exist detached and an Elastic IP unassociated, but neither
    ///   carries traffic without a VPC (an Elastic IP associates only with an instance or a
    ///   network interface), and no rule reads one alone;
    /// - flow logs outside a VPC can only be a transit gateway's, which no rule reads;
    /// - an ECS service's tasks have their own interfaces in a VPC's subnets (`awsvpc`, which
    ///   Fargate requires) or share those of EC2 container instances (bridge, host), which are
    ///   in a VPC; the others run on ECS Anywhere's machines outside AWS, have no network
    ///   configuration, and no rule or query places them on a network;
    /// - a VPC-sharing participant sees the shared VPC in its own DescribeVpcs (with the
    ///   owner's account as `owner_id`), so its workloads in shared subnets are never skipped.
    ///
    /// Not bound: the VPCs themselves, Lambda functions and API Gateway stages (they run
    /// outside any VPC unless attached to one, and the rules on their settings apply there).
    pub fn lives_in_a_vpc(self) -> bool {
        match self {
            Dataset::Subnets
            | Dataset::RouteTables
            | Dataset::InternetGateways
            | Dataset::NatGateways
            | Dataset::NetworkAcls
            | Dataset::SecurityGroups
            | Dataset::NetworkInterfaces
            | Dataset::Instances
            | Dataset::FlowLogs
            | Dataset::DbInstances
            | Dataset::DbClusters
            | Dataset::DbSubnetGroups
            | Dataset::ElasticIps
            | Dataset::VpcEndpoints
            | Dataset::EgressOnlyInternetGateways
            | Dataset::LoadBalancers
            | Dataset::Listeners
            | Dataset::TargetGroups
            | Dataset::TargetHealth
            | Dataset::TargetGroupAttributes
            | Dataset::ClassicLoadBalancers
            | Dataset::EcsServices => true,
            Dataset::Vpcs
            | Dataset::LambdaFunctions
            | Dataset::RestApiStages
            | Dataset::HttpApiStages => false,
        }
    }

    /// The dataset a `coverage.collected` entry records, if any.
    pub fn from_api_call(service: &str, operation: &str) -> Option<Dataset> {
        Dataset::ALL
            .iter()
            .copied()
            .find(|d| d.api_call() == (service, operation))
    }

    /// `ec2:DescribeVpcs`: the IAM action the call needs.
    pub fn iam_action(self) -> String {
        let (service, operation) = self.api_call();
        iam_action_of(service, operation)
    }

    /// The IAM actions of every call in [`Dataset::api_calls`], deduplicated.
    pub fn iam_actions(self) -> Vec<String> {
        let mut actions: Vec<String> = self
            .api_calls()
            .into_iter()
            .map(|(service, operation)| iam_action_of(service, operation))
            .collect();
        actions.dedup();
        actions
    }
}

/// The IAM action of a call named by its SDK service and operation (as `coverage` names
/// calls): `elbv2`/`DescribeListeners` → `elasticloadbalancing:DescribeListeners`.
pub fn iam_action_of(service: &str, operation: &str) -> String {
    match service {
        // API Gateway authorises reads by HTTP method, for both API versions.
        "apigateway" | "apigatewayv2" => "apigateway:GET".to_owned(),
        // Both load balancer APIs authorise under one prefix.
        "elbv2" | "elb" => format!("elasticloadbalancing:{operation}"),
        _ => format!("{service}:{operation}"),
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iam_action())
    }
}

/// Whose permission a call needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerOf {
    /// The identity that reads each audited account: the caller's for its own account, the
    /// assumed role's in every other.
    AuditedAccount,
    /// Only the identity vpcaudit starts with, and only to reach other accounts
    /// (`--role-arn`, `--org`).
    Estate,
}

/// A call vpcaudit makes besides the datasets' list calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiCall {
    pub service: &'static str,
    pub operation: &'static str,
    pub caller: CallerOf,
    /// When it is made.
    pub purpose: &'static str,
}

impl ApiCall {
    pub fn iam_action(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
}

/// sts:GetCallerIdentity: who the credentials belong to.
pub const GET_CALLER_IDENTITY: ApiCall = ApiCall {
    service: "sts",
    operation: "GetCallerIdentity",
    caller: CallerOf::AuditedAccount,
    purpose: "once, to name the caller's account",
};
/// ec2:DescribeRegions: the regions enabled in an account.
pub const DESCRIBE_REGIONS: ApiCall = ApiCall {
    service: "ec2",
    operation: "DescribeRegions",
    caller: CallerOf::AuditedAccount,
    purpose: "with --all-regions, once per account",
};
/// sts:AssumeRole: credentials for another account.
pub const ASSUME_ROLE: ApiCall = ApiCall {
    service: "sts",
    operation: "AssumeRole",
    caller: CallerOf::Estate,
    purpose: "with --role-arn or --org, once per other account",
};
/// organizations:ListAccounts: the Organization's accounts.
pub const LIST_ACCOUNTS: ApiCall = ApiCall {
    service: "organizations",
    operation: "ListAccounts",
    caller: CallerOf::Estate,
    purpose: "with --org, once (paginated)",
};

/// The calls besides the datasets', in the order they are made.
pub const OTHER_CALLS: [ApiCall; 4] = [
    GET_CALLER_IDENTITY,
    LIST_ACCOUNTS,
    ASSUME_ROLE,
    DESCRIBE_REGIONS,
];

/// The IAM actions the identity that reads an audited account needs, sorted: the datasets,
/// the identity lookup and the region list. Everything vpcaudit needs for a one-account scan.
pub fn required_iam_actions() -> Vec<String> {
    let mut actions: Vec<String> = Dataset::ALL.iter().flat_map(|d| d.iam_actions()).collect();
    actions.extend(
        OTHER_CALLS
            .iter()
            .filter(|c| c.caller == CallerOf::AuditedAccount)
            .map(ApiCall::iam_action),
    );
    actions.sort();
    actions.dedup();
    actions
}

/// The IAM actions the caller also needs to reach other accounts (`--role-arn`, `--org`),
/// sorted.
pub fn estate_iam_actions() -> Vec<String> {
    let mut actions: Vec<String> = OTHER_CALLS
        .iter()
        .filter(|c| c.caller == CallerOf::Estate)
        .map(ApiCall::iam_action)
        .collect();
    actions.sort();
    actions
}

/// The IAM policy vpcaudit needs, as `vpcaudit iam-policy` prints it and the README shows it:
/// the statement `VpcauditReadOnly` ([`required_iam_actions`]) for the identity that reads an
/// audited account, and with `estate` the statement `VpcauditEstate` ([`estate_iam_actions`])
/// the caller needs to reach other accounts. One catalog: the README, the SAM template and this
/// document are checked against each other by tests.
pub fn iam_policy(estate: bool) -> String {
    // Structs, not `json!`: the keys keep the order IAM's own examples use.
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Policy {
        version: &'static str,
        statement: Vec<Statement>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Statement {
        sid: &'static str,
        effect: &'static str,
        action: Vec<String>,
        resource: &'static str,
    }
    let statement = |sid, action| Statement {
        sid,
        effect: "Allow",
        action,
        resource: "*",
    };
    let mut statements = vec![statement("VpcauditReadOnly", required_iam_actions())];
    if estate {
        statements.push(statement("VpcauditEstate", estate_iam_actions()));
    }
    let policy = Policy {
        version: "2012-10-17",
        statement: statements,
    };
    // A document of strings always serialises; the fallback keeps this total.
    serde_json::to_string_pretty(&policy).unwrap_or_default()
}

/// Why a snapshot file could not be used. Each names the file; parse errors name line and column.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: snapshot format_version {found} is not supported (this vpcaudit reads version {SNAPSHOT_FORMAT_VERSION})"
    )]
    Version { path: PathBuf, found: u64 },
    /// Parsed, but self-contradictory: it cannot be audited without guessing.
    #[error("{path}: {message}")]
    Inconsistent { path: PathBuf, message: String },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The top-level `format_version` of a JSON document when it is an unsigned integer, read
/// without building anything else; None for a document that is not an object.
struct FormatVersion(Option<u64>);

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

        struct Top;
        impl<'de> Visitor<'de> for Top {
            type Value = FormatVersion;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON document")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FormatVersion, A::Error> {
                // The last occurrence wins, as in serde_json's own maps.
                let mut version = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "format_version" {
                        version = map.next_value::<serde_json::Value>()?.as_u64();
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(FormatVersion(version))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FormatVersion, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FormatVersion(None))
            }

            fn visit_bool<E>(self, _: bool) -> Result<FormatVersion, E> {
                Ok(FormatVersion(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<FormatVersion, E> {
                Ok(FormatVersion(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<FormatVersion, E> {
                Ok(FormatVersion(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<FormatVersion, E> {
                Ok(FormatVersion(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<FormatVersion, E> {
                Ok(FormatVersion(None))
            }
            fn visit_unit<E>(self) -> Result<FormatVersion, E> {
                Ok(FormatVersion(None))
            }
        }
        deserializer.deserialize_any(Top)
    }
}

impl Snapshot {
    /// Reads and checks a snapshot file.
    pub fn load(path: &Path) -> Result<Snapshot, SnapshotError> {
        let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Read {
            path: path.to_owned(),
            source,
        })?;
        Snapshot::from_json(&text, path)
    }

    /// Parses snapshot text; `path` is only used to name the input in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Snapshot, SnapshotError> {
        let parse_error = |e: serde_json::Error| SnapshotError::Parse {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        };
        // Check the version first so an old or future file gets the message that explains it,
        // not a confusing complaint about some field.
        // Only that field is kept: a whole `serde_json::Value` of the file would cost several
        // times the file's size in memory, before the real parse.
        let FormatVersion(version) = serde_json::from_str(text).map_err(parse_error)?;
        match version {
            Some(v) if v == u64::from(SNAPSHOT_FORMAT_VERSION) => {}
            Some(found) => {
                return Err(SnapshotError::Version {
                    path: path.to_owned(),
                    found,
                });
            }
            None => {
                return Err(SnapshotError::Parse {
                    path: path.to_owned(),
                    line: 1,
                    column: 1,
                    message: "missing field `format_version`: is this a vpcaudit snapshot?"
                        .to_owned(),
                });
            }
        }
        // Parse the text again (not the Value) so errors carry the line and column, and
        // track the path so they name the key too.
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let mut snapshot: Snapshot =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let key = e.path().to_string();
                let inner = e.into_inner();
                SnapshotError::Parse {
                    path: path.to_owned(),
                    line: inner.line(),
                    column: inner.column(),
                    message: if key.is_empty() || key == "." {
                        strip_position(&inner.to_string())
                    } else {
                        format!("{key}: {}", strip_position(&inner.to_string()))
                    },
                }
            })?;
        snapshot
            .check_scopes()
            .map_err(|message| SnapshotError::Inconsistent {
                path: path.to_owned(),
                message,
            })?;
        snapshot.record_unknown_references();
        snapshot.note_datasets_not_collected();
        Ok(snapshot)
    }

    /// The accounts the snapshot says it covers (`accounts`, else `account`).
    fn listed_accounts(&self) -> Vec<&str> {
        if self.accounts.is_empty() {
            self.account.iter().map(String::as_str).collect()
        } else {
            self.accounts.iter().map(String::as_str).collect()
        }
    }

    /// Every scope belongs to a listed account and region, and every listed account and
    /// region has a scope or a coverage error that says why not: a region with no inventory
    /// and no explanation would otherwise read as an empty, clean region.
    fn check_scopes(&self) -> Result<(), String> {
        let accounts = self.listed_accounts();
        for (i, scope) in self.scopes.iter().enumerate() {
            if !accounts.is_empty() && !accounts.contains(&scope.account.as_str()) {
                return Err(format!(
                    "scopes[{i}].account: `{}` is not among the snapshot's accounts ({})",
                    scope.account,
                    accounts.join(", ")
                ));
            }
            if !self.regions.contains(&scope.region) {
                return Err(format!(
                    "scopes[{i}].region: `{}` is not among the snapshot's regions ({})",
                    scope.region,
                    self.regions.join(", ")
                ));
            }
        }
        for account in &accounts {
            for region in &self.regions {
                let has_scope = self
                    .scopes
                    .iter()
                    .any(|s| s.account == *account && s.region == *region);
                // An error against the account (a role that could not be assumed) or against
                // the region explains the missing inventory.
                let explained = self.coverage.errors.iter().any(|e| {
                    e.account.as_deref() == Some(*account)
                        || (e.account.is_none() && e.region.as_deref().is_none_or(|r| r == region))
                });
                if !has_scope && !explained {
                    return Err(format!(
                        "regions: account {account} region {region} has no inventory in `scopes` \
                         and no coverage error saying why"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Records, as coverage errors, every reference to a resource the scope does not hold
    /// (a subnet's VPC, a route table's subnet, …), unless the referenced dataset is already
    /// missing. The referencing dataset then counts as unread, so rules that need it are not
    /// evaluated and the scan is incomplete, instead of judging half a network.
    pub fn record_unknown_references(&mut self) {
        let mut errors = Vec::new();
        {
            let missing = self.coverage.missing();
            for scope in &self.scopes {
                let is_missing =
                    |dataset: Dataset| missing.is_missing(dataset, &scope.account, &scope.region);
                let mut references = References::default();
                references.check(
                    scope,
                    is_missing(Dataset::Vpcs),
                    is_missing(Dataset::Subnets),
                );
                for (dataset, what) in references.unknown {
                    if is_missing(dataset) {
                        continue;
                    }
                    let (service, operation) = dataset.api_call();
                    errors.push(CollectionError {
                        service: service.to_owned(),
                        operation: operation.to_owned(),
                        account: Some(scope.account.clone()),
                        region: Some(scope.region.clone()),
                        code: Some(UNKNOWN_REFERENCE.to_owned()),
                        error: what,
                        dataset: Some(dataset),
                    });
                }
            }
        }
        self.coverage.errors.extend(errors);
    }

    /// A collector records every dataset of every scope as collected or failed. A dataset it
    /// records neither way was not read at all (an older vpcaudit did not know it): its empty
    /// list means "unknown", so it is marked failed and the rules that need it are not
    /// evaluated. Snapshots without any collection record (written by hand) are taken as
    /// they are.
    pub fn note_datasets_not_collected(&mut self) {
        if self.coverage.collected.is_empty() {
            return;
        }
        let recorded: HashSet<(&str, &str, &str, &str)> = self
            .coverage
            .collected
            .iter()
            .map(|c| {
                (
                    c.service.as_str(),
                    c.operation.as_str(),
                    c.account.as_str(),
                    c.region.as_str(),
                )
            })
            .collect();
        let missing = self.coverage.missing();
        let mut not_collected = Vec::new();
        for scope in &self.scopes {
            for &dataset in Dataset::ALL {
                let (service, operation) = dataset.api_call();
                if recorded.contains(&(service, operation, &scope.account, &scope.region))
                    || missing.is_missing(dataset, &scope.account, &scope.region)
                {
                    continue;
                }
                not_collected.push(CollectionError {
                    service: service.to_owned(),
                    operation: operation.to_owned(),
                    account: Some(scope.account.clone()),
                    region: Some(scope.region.clone()),
                    code: Some(NOT_COLLECTED.to_owned()),
                    error: format!(
                        "not in this snapshot: vpcaudit {} did not collect this dataset",
                        self.tool.version
                    ),
                    dataset: Some(dataset),
                });
            }
        }
        drop(missing);
        self.coverage.errors.extend(not_collected);
    }

    /// Writes the snapshot as pretty JSON, straight to the file: an Organization's snapshot is
    /// tens of megabytes of text.
    pub fn save(&self, path: &Path) -> Result<(), SnapshotError> {
        use std::io::Write;
        std::fs::File::create(path)
            .and_then(|file| {
                let mut out = std::io::BufWriter::new(file);
                serde_json::to_writer_pretty(&mut out, self)?;
                out.write_all(b"\n")?;
                out.flush()
            })
            .map_err(|source| SnapshotError::Write {
                path: path.to_owned(),
                source,
            })
    }
}

/// References from one scope's resources to VPCs and subnets it does not hold.
#[derive(Default)]
struct References {
    unknown: Vec<(Dataset, String)>,
}

impl References {
    fn check(&mut self, scope: &RegionInventory, vpcs_missing: bool, subnets_missing: bool) {
        let vpcs: HashSet<&str> = scope.vpcs.iter().map(|v| v.id.as_str()).collect();
        let subnets: HashSet<&str> = scope.subnets.iter().map(|s| s.id.as_str()).collect();
        let unknown_vpc = |id: &str| !vpcs_missing && !vpcs.contains(id);
        let unknown_subnet = |id: &str| !subnets_missing && !subnets.contains(id);
        let mut note = |dataset: Dataset, what: String| {
            self.unknown
                .push((dataset, format!("{what}, which is not in the snapshot")));
        };
        for subnet in scope.subnets.iter().filter(|s| unknown_vpc(&s.vpc_id)) {
            note(
                Dataset::Subnets,
                format!("subnet {} names VPC {}", subnet.id, subnet.vpc_id),
            );
        }
        for table in &scope.route_tables {
            if unknown_vpc(&table.vpc_id) {
                note(
                    Dataset::RouteTables,
                    format!("route table {} names VPC {}", table.id, table.vpc_id),
                );
            }
            let associated = table
                .associations
                .iter()
                .filter_map(|a| a.subnet_id.as_deref());
            for subnet_id in associated.filter(|id| unknown_subnet(id)) {
                note(
                    Dataset::RouteTables,
                    format!(
                        "route table {} is associated with subnet {subnet_id}",
                        table.id
                    ),
                );
            }
        }
        for acl in &scope.network_acls {
            if unknown_vpc(&acl.vpc_id) {
                note(
                    Dataset::NetworkAcls,
                    format!("network ACL {} names VPC {}", acl.id, acl.vpc_id),
                );
            }
            for subnet_id in acl.subnet_ids.iter().filter(|id| unknown_subnet(id)) {
                note(
                    Dataset::NetworkAcls,
                    format!(
                        "network ACL {} is associated with subnet {subnet_id}",
                        acl.id
                    ),
                );
            }
        }
        for gateway in scope.nat_gateways.iter().filter(|g| g.is_live()) {
            if unknown_subnet(&gateway.subnet_id) {
                note(
                    Dataset::NatGateways,
                    format!(
                        "NAT gateway {} is in subnet {}",
                        gateway.id, gateway.subnet_id
                    ),
                );
            }
        }
        for group in &scope.security_groups {
            if let Some(vpc_id) = group.vpc_id.as_deref().filter(|id| unknown_vpc(id)) {
                note(
                    Dataset::SecurityGroups,
                    format!("security group {} names VPC {vpc_id}", group.id),
                );
            }
        }
        for eni in &scope.network_interfaces {
            if let Some(subnet_id) = eni.subnet_id.as_deref().filter(|id| unknown_subnet(id)) {
                note(
                    Dataset::NetworkInterfaces,
                    format!("network interface {} is in subnet {subnet_id}", eni.id),
                );
            }
        }
        for instance in scope.instances.iter().filter(|i| i.is_live()) {
            if let Some(subnet_id) = instance
                .subnet_id
                .as_deref()
                .filter(|id| unknown_subnet(id))
            {
                note(
                    Dataset::Instances,
                    format!("instance {} is in subnet {subnet_id}", instance.id),
                );
            }
        }
        for group in &scope.db_subnet_groups {
            for member in group
                .subnets
                .iter()
                .filter(|m| unknown_subnet(&m.subnet_id))
            {
                note(
                    Dataset::DbSubnetGroups,
                    format!(
                        "DB subnet group {} holds subnet {}",
                        group.name, member.subnet_id
                    ),
                );
            }
        }
        for function in &scope.lambda_functions {
            let attached = function.vpc.iter().flat_map(|v| v.subnet_ids.iter());
            for subnet_id in attached.filter(|id| unknown_subnet(id)) {
                note(
                    Dataset::LambdaFunctions,
                    format!(
                        "Lambda function {} is attached to subnet {subnet_id}",
                        function.name
                    ),
                );
            }
        }
    }
}

/// serde_json appends " at line L column C"; we print the position in front instead.
fn strip_position(message: &str) -> String {
    message
        .rfind(" at line ")
        .and_then(|i| message.get(..i))
        .unwrap_or(message)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_checked_before_the_rest_whatever_the_document() {
        let path = Path::new("s.json");
        let version = |text: &str| match Snapshot::from_json(text, path) {
            Err(SnapshotError::Version { found, .. }) => Some(found),
            _ => None,
        };
        // Found wherever it is, the last one winning; other keys are not looked at first.
        assert_eq!(
            version(r#"{"x": [1, {"y": 2}], "format_version": 99}"#),
            Some(99)
        );
        assert_eq!(
            version(r#"{"format_version": 1, "format_version": 7}"#),
            Some(7)
        );
        // Not an object, or no unsigned version: the file is not a snapshot.
        for text in [
            "[]",
            "[1]",
            "7",
            r#""text""#,
            "null",
            r#"{"format_version": "1"}"#,
            r#"{"format_version": -1}"#,
            "{}",
        ] {
            let error = Snapshot::from_json(text, path).expect_err(text);
            assert!(
                error.to_string().contains("missing field `format_version`"),
                "{text}: {error}"
            );
        }
        // Broken JSON is a parse error with its position.
        assert!(matches!(
            Snapshot::from_json("{\n  \"format_version\": ", path),
            Err(SnapshotError::Parse { line: 2, .. })
        ));
    }

    fn collected(dataset: Dataset, account: &str, region: &str) -> CollectedDataset {
        let (service, operation) = dataset.api_call();
        CollectedDataset {
            service: service.to_owned(),
            operation: operation.to_owned(),
            account: account.to_owned(),
            region: region.to_owned(),
            count: 0,
            implied_by: None,
        }
    }

    #[test]
    fn a_failed_newer_dataset_is_missing_even_when_listed() {
        let coverage = Coverage {
            collected: vec![collected(Dataset::TargetHealth, "111", "eu-west-1")],
            errors: vec![CollectionError {
                service: "elbv2".to_owned(),
                operation: "DescribeTargetHealth".to_owned(),
                account: Some("111".to_owned()),
                region: Some("eu-west-1".to_owned()),
                code: Some("AccessDenied".to_owned()),
                error: "AccessDenied".to_owned(),
                dataset: Some(Dataset::TargetHealth),
            }],
            unknown: Vec::new(),
        };
        assert!(coverage.is_missing(Dataset::TargetHealth, "111", "eu-west-1"));
    }

    #[test]
    fn every_dataset_is_named_by_its_call_and_load_balancers_share_one_iam_prefix() {
        for &dataset in Dataset::ALL {
            let (service, operation) = dataset.api_call();
            assert_eq!(Dataset::from_api_call(service, operation), Some(dataset));
            assert!(dataset.api_calls().contains(&dataset.api_call()));
        }
        assert_eq!(
            Dataset::ClassicLoadBalancers.iam_action(),
            "elasticloadbalancing:DescribeLoadBalancers"
        );
        assert_eq!(
            Dataset::LoadBalancers.iam_action(),
            Dataset::ClassicLoadBalancers.iam_action()
        );
        assert_eq!(
            Dataset::EcsServices.iam_actions(),
            [
                "ecs:ListClusters",
                "ecs:ListServices",
                "ecs:DescribeServices"
            ]
        );
        let actions = required_iam_actions();
        assert!(actions.contains(&"elasticloadbalancing:DescribeTargetGroupAttributes".to_owned()));
        assert!(actions.contains(&"ec2:DescribeAddresses".to_owned()));
    }
}
