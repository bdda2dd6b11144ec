//! The job's settings: from the function's environment variables (set by the SAM template),
//! and the optional `vpcaudit.toml`, from the deployment package or S3.

use std::fmt;
use std::path::{Path, PathBuf};

use vpcaudit_core::config::{Config, ConfigError};
use vpcaudit_core::finding::Severity;

use tracing::info;

use crate::JobError;
use crate::store::{error_chain, s3_error};

/// Environment variable: regions to scan, comma-separated (default: `AWS_REGION`).
pub const ENV_REGIONS: &str = "REGIONS";
/// Environment variable: the bucket the reports go to (required).
pub const ENV_REPORT_BUCKET: &str = "REPORT_BUCKET";
/// Environment variable: the key prefix of every report (default [`DEFAULT_PREFIX`]).
pub const ENV_REPORT_PREFIX: &str = "REPORT_PREFIX";
/// Environment variable: the severity from which findings make the status `findings`
/// (default `high`; `none`: never).
pub const ENV_FAIL_ON: &str = "FAIL_ON";
/// Environment variable: roles to assume, comma-separated, one account each.
pub const ENV_ROLE_ARNS: &str = "ROLE_ARNS";
/// Environment variable: the `vpcaudit.toml` to use, a path or `s3://bucket/key`.
pub const ENV_CONFIG: &str = "VPCAUDIT_CONFIG";
/// Environment variable: `true` imports the findings into Security Hub of the function's
/// account in each scanned region after the reports are written (default `false`).
pub const ENV_SECURITY_HUB: &str = "VPCAUDIT_SECURITY_HUB";

pub const DEFAULT_PREFIX: &str = "vpcaudit";
pub const DEFAULT_FAIL_ON: Severity = Severity::High;

/// Where the `vpcaudit.toml` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file in the deployment package or a layer (e.g. `/opt/vpcaudit.toml`).
    File(PathBuf),
    /// An object read at every invocation, so changing it needs no redeployment.
    S3 { bucket: String, key: String },
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// The job's settings, from the function's environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobConfig {
    pub regions: Vec<String>,
    pub bucket: String,
    /// Without leading or trailing `/`.
    pub prefix: String,
    /// None: findings never make the status `findings`.
    pub fail_on: Option<Severity>,
    pub role_arns: Vec<String>,
    pub config: Option<ConfigSource>,
    /// Import the findings into Security Hub ([`ENV_SECURITY_HUB`]); not with `role_arns`.
    pub security_hub: bool,
    /// Sends every AWS call (scan and S3) to this endpoint, an emulator. Not read from the
    /// environment: in Lambda it is None, and the SDK's own `AWS_ENDPOINT_URL` still applies.
    pub endpoint_url: Option<String>,
}

impl JobConfig {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<JobConfig, JobError> {
        JobConfig::from_lookup(|name| {
            std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
        })
    }

    /// Reads the settings through `lookup` (a variable's value, None when unset). An empty
    /// value counts as unset, as SAM passes empty optional parameters.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<JobConfig, JobError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let regions = match get(ENV_REGIONS) {
            Some(list) => split_list(ENV_REGIONS, &list, check_region)?,
            None => match get("AWS_REGION") {
                Some(region) => vec![check_region(region.trim()).map_err(|message| {
                    env_error(
                        "AWS_REGION",
                        format!("{message} (and {ENV_REGIONS} is not set)"),
                    )
                })?],
                None => {
                    return Err(env_error(
                        ENV_REGIONS,
                        "not set, and neither is AWS_REGION: set it to the regions to scan, \
                         e.g. `eu-west-1,us-east-1`",
                    ));
                }
            },
        };
        let bucket = match get(ENV_REPORT_BUCKET) {
            Some(bucket) => {
                check_bucket(bucket.trim()).map_err(|m| env_error(ENV_REPORT_BUCKET, m))?
            }
            None => {
                return Err(env_error(
                    ENV_REPORT_BUCKET,
                    "not set: name the S3 bucket the reports are written to",
                ));
            }
        };
        let prefix = match get(ENV_REPORT_PREFIX) {
            Some(prefix) => check_prefix(&prefix).map_err(|m| env_error(ENV_REPORT_PREFIX, m))?,
            None => DEFAULT_PREFIX.to_owned(),
        };
        let fail_on = match get(ENV_FAIL_ON) {
            None => Some(DEFAULT_FAIL_ON),
            Some(value) if value.trim().eq_ignore_ascii_case("none") => None,
            Some(value) => Some(
                value
                    .trim()
                    .parse::<Severity>()
                    .map_err(|m| env_error(ENV_FAIL_ON, format!("{m}, or none")))?,
            ),
        };
        let role_arns = match get(ENV_ROLE_ARNS) {
            Some(list) => split_list(ENV_ROLE_ARNS, &list, check_role_arn)?,
            None => Vec::new(),
        };
        let config = get(ENV_CONFIG)
            .map(|value| parse_config_source(value.trim()).map_err(|m| env_error(ENV_CONFIG, m)))
            .transpose()?;
        let security_hub = match get(ENV_SECURITY_HUB) {
            None => false,
            Some(value) if value.trim().eq_ignore_ascii_case("false") => false,
            Some(value) if value.trim().eq_ignore_ascii_case("true") => true,
            Some(value) => {
                return Err(env_error(
                    ENV_SECURITY_HUB,
                    format!("`{}` is not true or false", value.trim()),
                ));
            }
        };
        if security_hub && !role_arns.is_empty() {
            return Err(env_error(
                ENV_SECURITY_HUB,
                format!(
                    "true with {ENV_ROLE_ARNS}: the findings of other accounts cannot be \
                     imported with the function's credentials; deploy the job in each account"
                ),
            ));
        }
        Ok(JobConfig {
            regions,
            bucket,
            prefix,
            fail_on,
            role_arns,
            config,
            security_hub,
            endpoint_url: None,
        })
    }
}

pub(crate) fn env_error(variable: &'static str, message: impl Into<String>) -> JobError {
    JobError::Env {
        variable,
        message: message.into(),
    }
}

/// Splits a comma-separated list, checking each item; duplicates are dropped.
pub(crate) fn split_list(
    variable: &'static str,
    list: &str,
    check: impl Fn(&str) -> Result<String, String>,
) -> Result<Vec<String>, JobError> {
    let mut items: Vec<String> = Vec::new();
    for (n, item) in list.split(',').map(str::trim).enumerate() {
        if item.is_empty() {
            return Err(env_error(
                variable,
                format!("item {} of `{list}` is empty", n + 1),
            ));
        }
        let item = check(item).map_err(|m| env_error(variable, m))?;
        if !items.contains(&item) {
            items.push(item);
        }
    }
    Ok(items)
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`…
pub(crate) fn check_region(region: &str) -> Result<String, String> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if ok {
        Ok(region.to_owned())
    } else {
        Err(format!(
            "`{region}` is not an AWS region name (like `eu-west-1`)"
        ))
    }
}

/// S3's naming rules, in short: 3 to 63 of `a-z 0-9 . -`, starting and ending with a letter
/// or digit.
pub(crate) fn check_bucket(bucket: &str) -> Result<String, String> {
    let bytes = bucket.as_bytes();
    let ok = (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric);
    if ok {
        Ok(bucket.to_owned())
    } else {
        Err(format!(
            "`{bucket}` is not an S3 bucket name (3-63 lower-case letters, digits, `.` and `-`)"
        ))
    }
}

/// A key prefix: `/`-separated segments of letters, digits and `!-_.*'()`, no `.` or `..`
/// segment.
pub(crate) fn check_prefix(prefix: &str) -> Result<String, String> {
    let trimmed = prefix.trim().trim_matches('/');
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!-_.*'()".contains(&b))
    };
    if !trimmed.is_empty() && trimmed.split('/').all(segment_ok) {
        Ok(trimmed.to_owned())
    } else {
        Err(format!(
            "`{prefix}` is not a usable key prefix (segments of letters, digits and `!-_.*'()`, \
             separated by `/`)"
        ))
    }
}

/// A role ARN, checked as `--role-arn` is: the collector's own validation.
pub(crate) fn check_role_arn(arn: &str) -> Result<String, String> {
    vpcaudit_collect::role_account(arn)
        .map(|_| arn.to_owned())
        .map_err(|e| e.to_string())
}

pub(crate) fn parse_config_source(value: &str) -> Result<ConfigSource, String> {
    match value.strip_prefix("s3://") {
        Some(rest) => match rest.split_once('/') {
            Some((bucket, key)) if !key.is_empty() && !key.ends_with('/') => {
                let bucket = check_bucket(bucket)?;
                Ok(ConfigSource::S3 {
                    bucket,
                    key: key.to_owned(),
                })
            }
            _ => Err(format!(
                "`{value}` names no object; use s3://BUCKET/KEY (e.g. \
                 s3://my-reports/config/vpcaudit.toml) or a path"
            )),
        },
        None if value.contains("://") => Err(format!(
            "`{value}`: only s3:// URLs and paths are supported"
        )),
        None => Ok(ConfigSource::File(PathBuf::from(value))),
    }
}

pub(crate) async fn load_audit_config(
    source: &ConfigSource,
    s3: &aws_sdk_s3::Client,
) -> Result<Config, JobError> {
    let invalid = |e: ConfigError| JobError::ConfigFile {
        message: e.to_string(),
    };
    let config = match source {
        ConfigSource::File(path) => Config::load(path).map_err(invalid)?,
        ConfigSource::S3 { bucket, key } => {
            let object = s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| JobError::ConfigFile {
                    message: format!(
                        "cannot read {source}: {}",
                        match s3_error("GetObject", bucket, key, &e) {
                            JobError::S3 { message, .. } => message,
                            other => other.to_string(),
                        }
                    ),
                })?;
            let bytes = object
                .body
                .collect()
                .await
                .map_err(|e| JobError::ConfigFile {
                    message: format!("cannot read {source}: {}", error_chain(&e)),
                })?
                .into_bytes();
            let text = String::from_utf8(bytes.to_vec()).map_err(|_| JobError::ConfigFile {
                message: format!("{source}: not UTF-8 text"),
            })?;
            Config::parse(&text, Path::new(&source.to_string())).map_err(invalid)?
        }
    };
    info!(config = %source, "using configuration");
    Ok(config)
}
