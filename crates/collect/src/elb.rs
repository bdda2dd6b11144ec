//! Classic Load Balancers (elb): one paginated DescribeLoadBalancers, whose answer carries the
//! listeners, security groups, subnets and registered instances.

use std::ops::Deref;

use aws_sdk_elasticloadbalancing::Client;
use aws_sdk_elasticloadbalancing::types as sdk;

use super::{ApiError, Reader, Recorder};
use vpcaudit_core::model::{ClassicListener, ClassicLoadBalancer, RegionInventory};
use vpcaudit_core::snapshot::Dataset;

/// Largest page DescribeLoadBalancers accepts.
const PAGE: i32 = 400;

pub(super) struct ClassicBalancers {
    load_balancers: Result<Vec<ClassicLoadBalancer>, ApiError>,
}

pub(super) async fn read(
    client: &impl Deref<Target = Client>,
    reader: &Reader<'_>,
) -> ClassicBalancers {
    let load_balancers = reader
        .read(Dataset::ClassicLoadBalancers, || async {
            read_all!(
                reader.region(),
                client.describe_load_balancers().page_size(PAGE),
                load_balancer_descriptions,
                next_marker => set_marker,
                load_balancer
            )
        })
        .await;
    ClassicBalancers { load_balancers }
}

impl ClassicBalancers {
    pub(super) fn store(self, inventory: &mut RegionInventory, recorder: &mut Recorder<'_>) {
        inventory.classic_load_balancers =
            recorder.take(Dataset::ClassicLoadBalancers, self.load_balancers);
        inventory
            .classic_load_balancers
            .sort_by(|a, b| a.name.cmp(&b.name));
    }
}

fn port(value: i32) -> Option<u16> {
    u16::try_from(value).ok().filter(|p| *p > 0)
}

fn load_balancer(lb: &sdk::LoadBalancerDescription) -> ClassicLoadBalancer {
    ClassicLoadBalancer {
        name: lb.load_balancer_name().unwrap_or_default().to_owned(),
        dns_name: lb.dns_name().map(str::to_owned),
        scheme: lb.scheme().map(str::to_owned),
        vpc_id: lb.vpc_id().map(str::to_owned),
        subnet_ids: lb.subnets().to_vec(),
        availability_zones: lb.availability_zones().to_vec(),
        security_group_ids: lb.security_groups().to_vec(),
        listeners: lb
            .listener_descriptions()
            .iter()
            .filter_map(|d| d.listener())
            .map(|l| ClassicListener {
                protocol: l.protocol().to_owned(),
                port: port(l.load_balancer_port()),
                instance_protocol: l.instance_protocol().map(str::to_owned),
                instance_port: port(l.instance_port()),
            })
            .collect(),
        instance_ids: lb
            .instances()
            .iter()
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect(),
    }
}
