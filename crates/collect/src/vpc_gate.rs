//! An account/region with no VPC has none of the datasets that live in one
//! ([`Dataset::lives_in_a_vpc`]): they are read only once `ec2:DescribeVpcs` has answered, and
//! not at all when it found no VPC. A failed DescribeVpcs settles nothing: everything is read.

use tokio::sync::watch;
use vpcaudit_core::snapshot::Dataset;

/// What one account/region's DescribeVpcs answered, for its other reads to wait on.
pub(crate) struct VpcAnswer {
    /// None until DescribeVpcs has answered; then whether it found no VPC.
    found_none: watch::Sender<Option<bool>>,
}

impl VpcAnswer {
    pub(crate) fn new() -> VpcAnswer {
        VpcAnswer {
            found_none: watch::Sender::new(None),
        }
    }

    /// Records DescribeVpcs's outcome: `Ok` with the VPCs it listed, or its error.
    pub(crate) fn tell<T, E>(&self, vpcs: &Result<Vec<T>, E>) {
        let found_none = matches!(vpcs, Ok(vpcs) if vpcs.is_empty());
        self.found_none.send_replace(Some(found_none));
    }

    /// Whether `dataset` need not be read: it lives in a VPC and DescribeVpcs found none.
    /// Waits for DescribeVpcs to answer first when `dataset` lives in a VPC.
    pub(crate) async fn settles(&self, dataset: Dataset) -> bool {
        if !dataset.lives_in_a_vpc() {
            return false;
        }
        let mut answer = self.found_none.subscribe();
        // The sender lives as long as `self`: waiting cannot fail while we borrow it.
        let _ = answer.wait_for(Option::is_some).await;
        self.settled(dataset)
    }

    /// Whether `dataset` was not read, as [`VpcAnswer::settles`] decided: it lives in a VPC and
    /// DescribeVpcs has answered with none.
    pub(crate) fn settled(&self, dataset: Dataset) -> bool {
        dataset.lives_in_a_vpc() && *self.found_none.borrow() == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_an_empty_answer_settles_the_datasets_that_live_in_a_vpc() {
        let none = VpcAnswer::new();
        none.tell::<u8, ()>(&Ok(vec![]));
        assert!(none.settles(Dataset::Subnets).await);
        assert!(none.settled(Dataset::Subnets));
        assert!(none.settles(Dataset::TargetHealth).await);
        // ECS services run in a VPC's subnets or on its instances (ECS Anywhere's, off AWS,
        // are on no network vpcaudit judges).
        assert!(none.settles(Dataset::EcsServices).await);
        // Read wherever they are: functions and stages outside VPCs.
        assert!(!none.settles(Dataset::LambdaFunctions).await);
        assert!(!none.settles(Dataset::RestApiStages).await);
        assert!(!none.settles(Dataset::HttpApiStages).await);
        assert!(!none.settles(Dataset::Vpcs).await);

        let some = VpcAnswer::new();
        some.tell::<u8, ()>(&Ok(vec![1]));
        assert!(!some.settles(Dataset::Subnets).await);
        assert!(!some.settled(Dataset::Subnets));
        assert!(!some.settles(Dataset::EcsServices).await);

        // A failed DescribeVpcs (denied, throttled, timed out) settles nothing.
        let failed = VpcAnswer::new();
        failed.tell::<u8, &str>(&Err("AccessDenied"));
        assert!(!failed.settles(Dataset::Subnets).await);
        assert!(!failed.settled(Dataset::Subnets));
    }

    #[tokio::test]
    async fn reads_that_live_in_a_vpc_wait_for_the_answer() {
        let answer = VpcAnswer::new();
        let waiting = answer.settles(Dataset::SecurityGroups);
        let told = async {
            tokio::task::yield_now().await;
            answer.tell::<u8, ()>(&Ok(vec![]));
        };
        let (settled, ()) = futures::join!(waiting, told);
        assert!(settled);
    }
}
