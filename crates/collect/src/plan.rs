//! The collection plan, as a value: which accounts are read, with which credentials, and in
//! which regions. It is made from what the caller asked for and what the estate calls answered
//! (sts:GetCallerIdentity, organizations:ListAccounts), before anything is read in any account;
//! executing it (lib.rs) assumes the roles, discovers the regions where asked and reads every
//! dataset of each account/region, within the run's [`crate::limits::Limits`].

use crate::CollectError;
use crate::estate::{self, Caller, Target};

/// Which regions of each account are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Regions {
    /// Those given (`--region`), in every account.
    Listed(Vec<String>),
    /// Those enabled in each account (ec2:DescribeRegions, asked in the home region); the home
    /// region alone when the account's cannot be listed.
    Enabled,
}

/// What one collection reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Where the caller's own calls go and DescribeRegions is asked.
    pub home_region: String,
    /// The accounts, each once, with how to get its credentials.
    pub accounts: Vec<Target>,
    pub regions: Regions,
}

impl Plan {
    /// The plan for `caller`, given the `--role-arn` roles, the Organization's accounts and the
    /// role assumed in them (`--org --role-name`), and the regions asked for.
    pub(crate) fn new(
        caller: &Caller,
        role_arns: &[String],
        organization: Option<(&str, &[String])>,
        home_region: &str,
        listed_regions: &[String],
        all_regions: bool,
    ) -> Result<Plan, CollectError> {
        let regions = if all_regions {
            Regions::Enabled
        } else if listed_regions.is_empty() {
            Regions::Listed(vec![home_region.to_owned()])
        } else {
            let mut unique: Vec<String> = Vec::new();
            for region in listed_regions {
                if !unique.contains(region) {
                    unique.push(region.clone());
                }
            }
            Regions::Listed(unique)
        };
        Ok(Plan {
            home_region: home_region.to_owned(),
            accounts: estate::targets(caller, role_arns, organization)?,
            regions,
        })
    }

    /// The regions named before anything was read: those given, else none (the snapshot then
    /// lists those actually read).
    pub(crate) fn listed_regions(&self) -> Option<&[String]> {
        match &self.regions {
            Regions::Listed(regions) => Some(regions),
            Regions::Enabled => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_listed_once_or_discovered_per_account() {
        let caller = Caller {
            account: Some("111111111111".to_owned()),
            partition: Some("aws".to_owned()),
        };
        let plan = |listed: &[&str], all: bool| {
            let listed: Vec<String> = listed.iter().map(|r| (*r).to_owned()).collect();
            Plan::new(&caller, &[], None, "eu-west-1", &listed, all).map(|p| p.regions)
        };
        assert_eq!(
            plan(&[], false).ok(),
            Some(Regions::Listed(vec!["eu-west-1".to_owned()]))
        );
        assert_eq!(
            plan(&["us-east-1", "eu-west-1", "us-east-1"], false).ok(),
            Some(Regions::Listed(vec![
                "us-east-1".to_owned(),
                "eu-west-1".to_owned()
            ]))
        );
        assert_eq!(plan(&["us-east-1"], true).ok(), Some(Regions::Enabled));
    }
}
