//! Datasets AWS only lists per parent resource (listeners per load balancer, targets per target
//! group, ECS services per cluster): one call per parent, each admitted by the service's bound
//! on calls in flight (`--max-concurrency`) and the deadline, like the list calls.

use std::future::Future;

use super::{ApiError, Reader};
use vpcaudit_core::snapshot::Dataset;

impl Reader<'_> {
    /// Reads `dataset` with one `call` per parent. When the parents could not be listed, the
    /// dataset is not read either: it fails with their error. Any call failing fails the
    /// dataset (a half-read dataset must not pass for a whole one).
    pub(crate) async fn read_each<P, T, F, Fut>(
        &self,
        dataset: Dataset,
        parents: Result<Vec<P>, ApiError>,
        call: F,
    ) -> Result<Vec<T>, ApiError>
    where
        F: Fn(P) -> Fut,
        Fut: Future<Output = Result<Vec<T>, ApiError>>,
    {
        if self.settled(dataset).await {
            return Ok(Vec::new());
        }
        let result = match parents {
            Err(error) => Err(ApiError {
                code: error.code,
                message: format!(
                    "not read, as what it is read from failed: {}",
                    error.message
                ),
            }),
            Ok(parents) => {
                let calls = parents
                    .into_iter()
                    .map(|parent| self.limits.run(&self.gate, || call(parent)));
                futures::future::try_join_all(calls)
                    .await
                    .map(|each| each.into_iter().flatten().collect())
            }
        };
        self.scope
            .dataset_done(dataset, result.as_ref().map(Vec::len).map_err(|_| ()));
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::time::Duration;

    use super::*;
    use crate::clients::InRegion;
    use crate::events::{Scope, Silent};
    use crate::limits::Limits;
    use crate::vpc_gate::VpcAnswer;

    #[tokio::test]
    async fn per_parent_calls_stay_within_the_service_bound() {
        let limits = Limits::new(2, 0, None);
        let scope = Scope::start(&Silent, "111", "eu-west-1");
        let vpcs = VpcAnswer::new();
        vpcs.tell::<u8, ()>(&Ok(vec![1]));
        let reader = Reader {
            limits: &limits,
            gate: limits.service_gate(),
            scope: &scope,
            vpcs: &vpcs,
            region: &InRegion::new("eu-west-1"),
        };
        let (in_flight, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let listeners = reader
            .read_each(Dataset::Listeners, Ok((0..10).collect()), |lb: u32| {
                let (in_flight, peak) = (&in_flight, &peak);
                async move {
                    let now = in_flight.fetch_add(1, SeqCst) + 1;
                    peak.fetch_max(now, SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    in_flight.fetch_sub(1, SeqCst);
                    Ok::<_, ApiError>(vec![lb, lb])
                }
            })
            .await
            .expect("read");
        assert_eq!(listeners.len(), 20, "every parent's items, flattened");
        assert_eq!(peak.load(SeqCst), 2, "--max-concurrency bounds them");
    }

    #[tokio::test]
    async fn a_failed_parent_listing_fails_the_dataset_with_its_code() {
        let limits = Limits::new(0, 0, None);
        let scope = Scope::start(&Silent, "111", "eu-west-1");
        let vpcs = VpcAnswer::new();
        vpcs.tell::<u8, ()>(&Ok(vec![1]));
        let reader = Reader {
            limits: &limits,
            gate: limits.service_gate(),
            scope: &scope,
            vpcs: &vpcs,
            region: &InRegion::new("eu-west-1"),
        };
        let denied = ApiError {
            code: Some("AccessDenied".to_owned()),
            message: "AccessDenied: no".to_owned(),
        };
        let called = AtomicUsize::new(0);
        let result: Result<Vec<u32>, ApiError> = reader
            .read_each(Dataset::TargetHealth, Err::<Vec<u32>, _>(denied), |_| {
                called.fetch_add(1, SeqCst);
                async { Ok::<Vec<u32>, ApiError>(Vec::new()) }
            })
            .await;
        let error = result.expect_err("unknown, not empty");
        assert_eq!(error.code.as_deref(), Some("AccessDenied"));
        assert_eq!(called.load(SeqCst), 0);
    }
}
