//! ECS services, so a Fargate service's placement (subnets, security groups, public IP) is
//! known even when no task runs. ECS lists services per cluster and describes them ten at a
//! time: one paginated ListClusters, then per cluster its ListServices pages and one
//! DescribeServices per ten services, within the service's bound. None of them in an
//! account/region where DescribeVpcs found no VPC (`vpc_gate.rs`).

use std::ops::Deref;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types as sdk;

use super::{ApiError, Reader, Recorder, tags};
use crate::clients::InRegion;
use vpcaudit_core::model::{EcsLoadBalancer, EcsNetwork, EcsService, RegionInventory};
use vpcaudit_core::snapshot::Dataset;

/// Largest page ListClusters and ListServices accept.
const PAGE: i32 = 100;
/// Most services one DescribeServices call takes.
const DESCRIBE_BATCH: usize = 10;

pub(super) struct Services {
    services: Result<Vec<EcsService>, ApiError>,
}

pub(super) async fn read(client: &impl Deref<Target = Client>, reader: &Reader<'_>) -> Services {
    // ListClusters only leads to the services: where DescribeVpcs settles them it is not asked
    // either, and `read_each` records the services as settled.
    let clusters: Result<Vec<String>, ApiError> = if reader.vpcs.settles(Dataset::EcsServices).await
    {
        Ok(Vec::new())
    } else {
        reader
            .limits
            .run(&reader.gate, || async {
                let listed: Result<Vec<String>, ApiError> = read_all!(
                    reader.region(),
                    client.list_clusters().max_results(PAGE),
                    cluster_arns,
                    next_token => set_next_token,
                    String::clone
                );
                listed.map_err(|e| e.during("ecs:ListClusters"))
            })
            .await
    };
    let region = reader.region();
    let services = reader
        .read_each(
            Dataset::EcsServices,
            clusters,
            |cluster: String| async move { cluster_services(client, region, &cluster).await },
        )
        .await;
    Services { services }
}

async fn cluster_services(
    client: &Client,
    region: &InRegion,
    cluster: &str,
) -> Result<Vec<EcsService>, ApiError> {
    let listed: Result<Vec<String>, ApiError> = read_all!(
        region,
        client.list_services().cluster(cluster).max_results(PAGE),
        service_arns,
        next_token => set_next_token,
        String::clone
    );
    let arns = listed.map_err(|e| e.during("ecs:ListServices"))?;
    let mut services = Vec::with_capacity(arns.len());
    for batch in arns.chunks(DESCRIBE_BATCH) {
        let out = client
            .describe_services()
            .cluster(cluster)
            .set_services(Some(batch.to_vec()))
            .include(sdk::ServiceField::Tags)
            .customize()
            .config_override(region)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk(&e))?;
        // MISSING: deleted between the listing and now; anything else is a failed read.
        if let Some(failure) = out
            .failures()
            .iter()
            .find(|f| f.reason() != Some("MISSING"))
        {
            return Err(ApiError {
                code: failure.reason().map(str::to_owned),
                message: format!(
                    "DescribeServices failed for {}: {}",
                    failure.arn().unwrap_or("a service"),
                    failure.reason().unwrap_or("no reason given")
                ),
            });
        }
        services.extend(out.services().iter().map(|s| service(cluster, s)));
    }
    Ok(services)
}

impl Services {
    pub(super) fn store(self, inventory: &mut RegionInventory, recorder: &mut Recorder<'_>) {
        inventory.ecs_services = recorder.take(Dataset::EcsServices, self.services);
        inventory.ecs_services.sort_by(|a, b| a.arn.cmp(&b.arn));
    }
}

fn service(cluster: &str, s: &sdk::Service) -> EcsService {
    EcsService {
        arn: s.service_arn().unwrap_or_default().to_owned(),
        name: s.service_name().unwrap_or_default().to_owned(),
        cluster_arn: s.cluster_arn().unwrap_or(cluster).to_owned(),
        launch_type: s.launch_type().map(|t| t.as_str().to_owned()),
        status: s.status().map(str::to_owned),
        desired_count: s.desired_count(),
        running_count: s.running_count(),
        task_definition: s.task_definition().map(str::to_owned),
        network: s
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration())
            .map(|v| EcsNetwork {
                subnet_ids: v.subnets().to_vec(),
                security_group_ids: v.security_groups().to_vec(),
                assign_public_ip: v.assign_public_ip().map(|a| a.as_str() == "ENABLED"),
            }),
        load_balancers: s
            .load_balancers()
            .iter()
            .map(|lb| EcsLoadBalancer {
                target_group_arn: lb.target_group_arn().map(str::to_owned),
                load_balancer_name: lb.load_balancer_name().map(str::to_owned),
                container_name: lb.container_name().map(str::to_owned),
                container_port: lb.container_port().and_then(|p| u16::try_from(p).ok()),
            })
            .collect(),
        tags: tags(s.tags().iter().map(|t| (t.key(), t.value()))),
    }
}
