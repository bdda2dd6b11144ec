//! The estate: which accounts to read (the caller's, `--role-arn`, the Organization's), with
//! which credentials, and in which regions.

use aws_config::{Region, SdkConfig};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};

use super::limits::{CallLog, Limits};
use super::{ApiError, CollectError};
use crate::events::Observer;
use vpcaudit_core::snapshot::{
    ASSUME_ROLE, ApiCall, CollectionError, DESCRIBE_REGIONS, GET_CALLER_IDENTITY, LIST_ACCOUNTS,
};

/// The session name assumed roles show in CloudTrail.
const SESSION_NAME: &str = "vpcaudit";

/// Where DescribeRegions and the global services are called when no region is configured.
pub(super) const BOOTSTRAP_REGION: &str = "us-east-1";

/// Who the credentials belong to.
#[derive(Debug, Clone, Default)]
pub(super) struct Caller {
    pub account: Option<String>,
    /// The ARN partition (`aws`, `aws-cn`, `aws-us-gov`), from the caller's ARN.
    pub partition: Option<String>,
}

/// One account to read, and how to get credentials for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// The account id; None only for the caller's account when STS could not say.
    pub account: Option<String>,
    /// The role to assume in it; None reads it with the caller's credentials.
    pub role_arn: Option<String>,
}

/// A failed estate call, recorded in coverage by the caller.
#[derive(Debug, Clone)]
pub(super) struct EstateError {
    pub call: ApiCall,
    pub account: Option<String>,
    pub error: ApiError,
}

impl EstateError {
    pub fn warn(&self, observer: &dyn Observer) {
        observer.warn(format_args!(
            "{} failed{}: {}",
            self.call.iam_action(),
            self.account
                .as_deref()
                .map(|a| format!(" for account {a}"))
                .unwrap_or_default(),
            self.error.message
        ));
    }

    /// The coverage error; `region` is where the call was made.
    pub fn into_error(self, region: &str) -> CollectionError {
        CollectionError {
            service: self.call.service.to_owned(),
            operation: self.call.operation.to_owned(),
            account: self.account,
            region: Some(region.to_owned()),
            code: self.error.code,
            error: self.error.message,
            dataset: None,
        }
    }
}

/// The account id in a role ARN (`arn:PARTITION:iam::ACCOUNT:role/NAME`).
pub fn role_account(role_arn: &str) -> Result<String, CollectError> {
    let bad = || CollectError::RoleArn(role_arn.to_owned());
    let mut parts = role_arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    let well_formed = !partition.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource
            .strip_prefix("role/")
            .is_some_and(|n| !n.is_empty());
    if well_formed {
        Ok(account.to_owned())
    } else {
        Err(bad())
    }
}

/// The accounts to read, in order, one each: the `--role-arn` roles first, then the
/// Organization's active accounts (the caller's own read with its own credentials, the others
/// through `role_name`), and the caller's account when no role was given at all.
pub(super) fn targets(
    caller: &Caller,
    role_arns: &[String],
    organization: Option<(&str, &[String])>,
) -> Result<Vec<Target>, CollectError> {
    let mut targets: Vec<Target> = Vec::new();
    let mut push = |target: Target| {
        if !targets.iter().any(|t| t.account == target.account) {
            targets.push(target);
        }
    };
    for arn in role_arns {
        push(Target {
            account: Some(role_account(arn)?),
            role_arn: Some(arn.clone()),
        });
    }
    match organization {
        Some((role_name, accounts)) => {
            let partition = caller.partition.as_deref().unwrap_or("aws");
            for account in accounts {
                let own = caller.account.as_deref() == Some(account.as_str());
                push(Target {
                    account: Some(account.clone()),
                    role_arn: (!own)
                        .then(|| format!("arn:{partition}:iam::{account}:role/{role_name}")),
                });
            }
        }
        None if role_arns.is_empty() => push(Target {
            account: caller.account.clone(),
            role_arn: None,
        }),
        None => {}
    }
    Ok(targets)
}

/// The client of the caller's own STS calls (GetCallerIdentity, every AssumeRole).
pub(super) fn sts_client(sdk: &SdkConfig, calls: &std::sync::Arc<CallLog>) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .interceptor(calls.interceptor("sts"))
            .build(),
    )
}

/// Asks STS who the credentials belong to.
pub(super) async fn caller(
    sts: &aws_sdk_sts::Client,
    limits: &Limits,
) -> Result<Caller, EstateError> {
    let identity = limits
        .before_deadline(async {
            sts.get_caller_identity()
                .send()
                .await
                .map_err(|e| ApiError::from_sdk(&e))
        })
        .await
        .map_err(|error| EstateError {
            call: GET_CALLER_IDENTITY,
            account: None,
            error,
        })?;
    Ok(Caller {
        account: identity.account().map(str::to_owned),
        partition: identity
            .arn()
            .and_then(|arn| arn.split(':').nth(1))
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
    })
}

/// Whether an Organizations account is active: its `State` when AWS sends one, else the
/// older `Status`.
pub(super) fn is_active(state: Option<&str>, status: Option<&str>) -> bool {
    state.or(status) == Some("ACTIVE")
}

/// The Organization's active accounts, sorted (organizations:ListAccounts, every page).
pub(super) async fn organization_accounts(
    sdk: &SdkConfig,
    calls: &std::sync::Arc<CallLog>,
    limits: &Limits,
    caller_account: Option<&str>,
) -> Result<Vec<String>, EstateError> {
    let client = aws_sdk_organizations::Client::from_conf(
        aws_sdk_organizations::config::Builder::from(sdk)
            .interceptor(calls.interceptor("organizations"))
            .build(),
    );
    let gate = limits.service_gate();
    let accounts = limits
        .run(&gate, || async {
            let accounts: Result<Vec<_>, ApiError> = read_all!(
                @client_region client.list_accounts(),
                accounts,
                next_token => set_next_token,
                Clone::clone
            );
            accounts
        })
        .await
        .map_err(|error| EstateError {
            call: LIST_ACCOUNTS,
            account: caller_account.map(str::to_owned),
            error,
        })?;
    let mut ids: Vec<String> = accounts
        .iter()
        .filter(|a| {
            is_active(
                a.state().map(|s| s.as_str()),
                a.status().map(|s| s.as_str()),
            )
        })
        .filter_map(|a| a.id().map(str::to_owned))
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The configuration that reads `target`: the caller's, or one carrying the role's temporary
/// credentials.
///
/// The role is assumed here with an explicit sts:AssumeRole call rather than through
/// aws-config's `AssumeRoleProvider`, so the call is counted, bounded by the deadline, and a
/// refusal is recorded against the account with AWS's error code before any of its regions is
/// read. The returned configuration is built once per account and shared by all its regions
/// and services (with the run's HTTP client). The credentials are not refreshed: they last an hour (STS's default), far longer
/// than one account takes to read.
pub(super) async fn account_config(
    sdk: &SdkConfig,
    sts: &aws_sdk_sts::Client,
    target: &Target,
    external_id: Option<&str>,
    limits: &Limits,
) -> Result<SdkConfig, EstateError> {
    let Some(role_arn) = &target.role_arn else {
        return Ok(sdk.clone());
    };
    let assumed = limits
        .run(limits.sts_gate(), || async {
            sts.assume_role()
                .role_arn(role_arn)
                .role_session_name(SESSION_NAME)
                .set_external_id(external_id.map(str::to_owned))
                .send()
                .await
                .map_err(|e| ApiError::from_sdk(&e))
        })
        .await;
    let fail = |error| EstateError {
        call: ASSUME_ROLE,
        account: target.account.clone(),
        error,
    };
    let assumed = assumed.map_err(fail)?;
    let Some(credentials) = assumed.credentials() else {
        return Err(fail(ApiError {
            code: None,
            message: "sts:AssumeRole returned no credentials".to_owned(),
        }));
    };
    let expiry = std::time::SystemTime::try_from(*credentials.expiration()).ok();
    let credentials = Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        Some(credentials.session_token().to_owned()),
        expiry,
        "vpcaudit-assume-role",
    );
    Ok(sdk
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build())
}

/// Keeps the regions an account can use: those that need no opt-in and those opted into.
/// DescribeRegions lists opt-in regions the account has not enabled as `not-opted-in`.
pub(super) fn enabled_regions<'a>(
    regions: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Vec<String> {
    let mut names: Vec<String> = regions
        .into_iter()
        .filter(|(_, opt_in)| opt_in.is_none_or(|s| s != "not-opted-in"))
        .map(|(name, _)| name.to_owned())
        .filter(|name| !name.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The regions enabled in the account `sdk` reads (ec2:DescribeRegions, asked in `region`).
pub(super) async fn account_regions(
    sdk: &SdkConfig,
    region: &str,
    account: Option<&str>,
    calls: &std::sync::Arc<CallLog>,
    limits: &Limits,
) -> Result<Vec<String>, EstateError> {
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(sdk)
            .region(Region::new(region.to_owned()))
            .interceptor(calls.interceptor("ec2"))
            .build(),
    );
    let gate = limits.service_gate();
    let answer = limits
        .run(&gate, || async {
            ec2.describe_regions()
                .all_regions(false)
                .send()
                .await
                .map_err(|e| ApiError::from_sdk(&e))
        })
        .await
        .map_err(|error| EstateError {
            call: DESCRIBE_REGIONS,
            account: account.map(str::to_owned),
            error,
        })?;
    let mut regions = enabled_regions(
        answer
            .regions()
            .iter()
            .filter_map(|r| Some((r.region_name()?, r.opt_in_status()))),
    );
    // Credentials belong to one partition: AWS lists only its regions, but an emulator or a
    // proxy may list others (moto lists cn-* and us-gov-*), which no call could read.
    regions.retain(|name| partition_of(name) == partition_of(region));
    Ok(regions)
}

/// The AWS partition of a region name (`aws`, `aws-cn`, `aws-us-gov`, the ISO partitions).
pub(super) fn partition_of(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 6] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_of_other_partitions_are_told_apart() {
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("us-isob-east-1"), "aws-iso-b");
        assert_eq!(partition_of("us-iso-east-1"), "aws-iso");
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of(""), "aws");
    }

    #[test]
    fn only_regions_the_account_can_use_are_kept() {
        let regions = enabled_regions([
            ("us-east-1", Some("opt-in-not-required")),
            ("af-south-1", Some("not-opted-in")),
            ("eu-south-1", Some("opted-in")),
            ("eu-west-1", Some("opt-in-not-required")),
            ("ap-east-1", Some("not-opted-in")),
            ("eu-west-1", Some("opt-in-not-required")),
            ("us-west-2", None),
        ]);
        assert_eq!(
            regions,
            ["eu-south-1", "eu-west-1", "us-east-1", "us-west-2"]
        );
    }

    #[test]
    fn role_arns_name_their_account() {
        assert_eq!(
            role_account("arn:aws:iam::111122223333:role/vpcaudit-read").ok(),
            Some("111122223333".to_owned())
        );
        assert_eq!(
            role_account("arn:aws-cn:iam::111122223333:role/path/to/reader").ok(),
            Some("111122223333".to_owned())
        );
        for bad in [
            "vpcaudit-read",
            "arn:aws:iam::1111:role/x",
            "arn:aws:iam::111122223333:user/x",
            "arn:aws:sts::111122223333:role/x",
            "arn:aws:iam::111122223333:role/",
        ] {
            assert!(
                matches!(role_account(bad), Err(CollectError::RoleArn(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_active_organization_accounts_are_read() {
        assert!(is_active(Some("ACTIVE"), None));
        assert!(is_active(None, Some("ACTIVE")));
        assert!(!is_active(Some("SUSPENDED"), Some("ACTIVE")));
        assert!(!is_active(None, Some("PENDING_CLOSURE")));
        assert!(!is_active(None, None));
    }

    #[test]
    fn who_is_read_with_which_credentials() {
        let caller = Caller {
            account: Some("111111111111".to_owned()),
            partition: Some("aws".to_owned()),
        };
        let plain = |a: &str| Target {
            account: Some(a.to_owned()),
            role_arn: None,
        };
        let role = |a: &str, arn: &str| Target {
            account: Some(a.to_owned()),
            role_arn: Some(arn.to_owned()),
        };
        // Nothing given: the caller's account.
        assert_eq!(
            targets(&caller, &[], None).ok(),
            Some(vec![plain("111111111111")])
        );
        // Roles only: exactly those accounts, not the caller's.
        let arn = "arn:aws:iam::222222222222:role/reader".to_owned();
        assert_eq!(
            targets(&caller, std::slice::from_ref(&arn), None).ok(),
            Some(vec![role("222222222222", &arn)])
        );
        // The Organization: every account, the caller's own with its own credentials, and an
        // explicit role wins over the Organization role for its account.
        let org = [
            "111111111111".to_owned(),
            "222222222222".to_owned(),
            "333333333333".to_owned(),
        ];
        assert_eq!(
            targets(&caller, std::slice::from_ref(&arn), Some(("OrgRead", &org))).ok(),
            Some(vec![
                role("222222222222", &arn),
                plain("111111111111"),
                role("333333333333", "arn:aws:iam::333333333333:role/OrgRead"),
            ])
        );
        assert!(matches!(
            targets(&caller, &["nope".to_owned()], None),
            Err(CollectError::RoleArn(_))
        ));
    }
}
