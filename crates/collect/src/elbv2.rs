//! Elastic Load Balancing v2: Application, Network and Gateway Load Balancers, their
//! listeners, target groups, targets and (NLB target groups) the preserve_client_ip attribute.
//!
//! Load balancers and target groups are listed (paginated). Listeners, target health and
//! target group attributes have no account-wide call, so they cost one call per load balancer,
//! per target group and per NLB target group respectively, within the service's bound.

use std::ops::Deref;

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types as sdk;

use super::{ApiError, Reader, Recorder};
use vpcaudit_core::model::{
    Listener, ListenerAction, LoadBalancer, LoadBalancerAddress, LoadBalancerZone, RegionInventory,
    Target, TargetGroup,
};
use vpcaudit_core::snapshot::Dataset;

type Read<T> = Result<Vec<T>, ApiError>;

/// Largest page elbv2's Describe calls accept.
const PAGE: i32 = 400;

/// The target group attribute that says whether targets see the client's address.
const PRESERVE_CLIENT_IP: &str = "preserve_client_ip.enabled";

pub(super) struct Balancers {
    load_balancers: Read<LoadBalancer>,
    listeners: Read<Listener>,
    target_groups: Read<TargetGroup>,
    targets: Read<Target>,
    /// (target group ARN, preserve_client_ip) for each NLB target group.
    client_ip: Read<(String, Option<bool>)>,
}

pub(super) async fn read(client: &impl Deref<Target = Client>, reader: &Reader<'_>) -> Balancers {
    let balancers = async {
        let load_balancers: Read<LoadBalancer> = reader
            .read(Dataset::LoadBalancers, || async {
                read_all!(
                    reader.region(),
                    client.describe_load_balancers().page_size(PAGE),
                    load_balancers,
                    next_marker => set_marker,
                    load_balancer
                )
            })
            .await;
        let arns = arns_of(&load_balancers, |_| true, |lb| &lb.arn);
        let listeners = reader
            .read_each(Dataset::Listeners, arns, |arn: String| async move {
                let listeners: Read<Listener> = read_all!(
                    reader.region(),
                    client
                        .describe_listeners()
                        .load_balancer_arn(arn)
                        .page_size(PAGE), listeners, next_marker => set_marker,
                    listener
                );
                listeners
            })
            .await;
        (load_balancers, listeners)
    };
    let groups = async {
        let target_groups: Read<TargetGroup> = reader
            .read(Dataset::TargetGroups, || async {
                read_all!(
                    reader.region(),
                    client.describe_target_groups().page_size(PAGE),
                    target_groups,
                    next_marker => set_marker,
                    target_group
                )
            })
            .await;
        let arns = arns_of(&target_groups, |_| true, |tg| &tg.arn);
        let network_arns = arns_of(&target_groups, TargetGroup::is_network, |tg| &tg.arn);
        let (targets, client_ip) = futures::join!(
            reader.read_each(Dataset::TargetHealth, arns, |arn: String| async move {
                let out = client
                    .describe_target_health()
                    .target_group_arn(&arn)
                    .customize()
                    .config_override(reader.region())
                    .send()
                    .await
                    .map_err(|e| ApiError::from_sdk(&e))?;
                Ok::<Vec<Target>, ApiError>(
                    out.target_health_descriptions()
                        .iter()
                        .filter_map(|d| target(&arn, d))
                        .collect(),
                )
            }),
            reader.read_each(
                Dataset::TargetGroupAttributes,
                network_arns,
                |arn: String| async move {
                    let out = client
                        .describe_target_group_attributes()
                        .target_group_arn(&arn)
                        .customize()
                        .config_override(reader.region())
                        .send()
                        .await
                        .map_err(|e| ApiError::from_sdk(&e))?;
                    let preserved = out
                        .attributes()
                        .iter()
                        .find(|a| a.key() == Some(PRESERVE_CLIENT_IP))
                        .and_then(|a| a.value())
                        .and_then(|v| v.parse::<bool>().ok());
                    Ok::<_, ApiError>(vec![(arn, preserved)])
                }
            ),
        );
        (target_groups, targets, client_ip)
    };
    let ((load_balancers, listeners), (target_groups, targets, client_ip)) =
        futures::join!(balancers, groups);
    Balancers {
        load_balancers,
        listeners,
        target_groups,
        targets,
        client_ip,
    }
}

impl Balancers {
    pub(super) fn store(self, inventory: &mut RegionInventory, recorder: &mut Recorder<'_>) {
        inventory.load_balancers = recorder.take(Dataset::LoadBalancers, self.load_balancers);
        inventory.listeners = recorder.take(Dataset::Listeners, self.listeners);
        let mut groups = recorder.take(Dataset::TargetGroups, self.target_groups);
        for (arn, preserved) in recorder.take(Dataset::TargetGroupAttributes, self.client_ip) {
            if let Some(group) = groups.iter_mut().find(|g| g.arn == arn) {
                group.preserve_client_ip = preserved;
            }
        }
        inventory.target_groups = groups;
        inventory.targets = recorder.take(Dataset::TargetHealth, self.targets);
        inventory.load_balancers.sort_by(|a, b| a.arn.cmp(&b.arn));
        inventory.listeners.sort_by(|a, b| a.arn.cmp(&b.arn));
        inventory.target_groups.sort_by(|a, b| a.arn.cmp(&b.arn));
        inventory.targets.sort_by(|a, b| {
            (&a.target_group_arn, &a.id, a.port).cmp(&(&b.target_group_arn, &b.id, b.port))
        });
    }
}

/// The ARNs of the listed resources `keep` selects, or the listing's error.
fn arns_of<T>(
    listed: &Read<T>,
    keep: impl Fn(&T) -> bool,
    arn: impl Fn(&T) -> &String,
) -> Result<Vec<String>, ApiError> {
    match listed {
        Ok(items) => Ok(items
            .iter()
            .filter(|item| keep(item))
            .map(&arn)
            .filter(|arn| !arn.is_empty())
            .cloned()
            .collect()),
        Err(error) => Err(error.clone()),
    }
}

fn owned(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

fn port(value: Option<i32>) -> Option<u16> {
    value.and_then(|p| u16::try_from(p).ok())
}

fn load_balancer(lb: &sdk::LoadBalancer) -> LoadBalancer {
    LoadBalancer {
        arn: owned(lb.load_balancer_arn()),
        name: owned(lb.load_balancer_name()),
        kind: lb.r#type().map(|t| t.as_str().to_owned()),
        scheme: lb.scheme().map(|s| s.as_str().to_owned()),
        vpc_id: lb.vpc_id().map(str::to_owned),
        state: lb
            .state()
            .and_then(|s| s.code())
            .map(|c| c.as_str().to_owned()),
        dns_name: lb.dns_name().map(str::to_owned),
        ip_address_type: lb.ip_address_type().map(|t| t.as_str().to_owned()),
        security_group_ids: lb.security_groups().to_vec(),
        zones: lb
            .availability_zones()
            .iter()
            .map(|z| LoadBalancerZone {
                zone_name: z.zone_name().map(str::to_owned),
                subnet_id: z.subnet_id().map(str::to_owned),
                addresses: z
                    .load_balancer_addresses()
                    .iter()
                    .map(|a| LoadBalancerAddress {
                        ip_address: a.ip_address().map(str::to_owned),
                        allocation_id: a.allocation_id().map(str::to_owned),
                        private_ipv4_address: a.private_ipv4_address().map(str::to_owned),
                        ipv6_address: a.ipv6_address().map(str::to_owned),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn listener(l: &sdk::Listener) -> Listener {
    Listener {
        arn: owned(l.listener_arn()),
        load_balancer_arn: owned(l.load_balancer_arn()),
        port: port(l.port()),
        protocol: l.protocol().map(|p| p.as_str().to_owned()),
        default_actions: l.default_actions().iter().map(action).collect(),
    }
}

fn action(a: &sdk::Action) -> ListenerAction {
    let mut target_group_arns: Vec<String> = a
        .target_group_arn()
        .map(str::to_owned)
        .into_iter()
        .collect();
    for tuple in a
        .forward_config()
        .map(|f| f.target_groups())
        .unwrap_or_default()
    {
        if let Some(arn) = tuple.target_group_arn() {
            if !target_group_arns.iter().any(|known| known == arn) {
                target_group_arns.push(arn.to_owned());
            }
        }
    }
    ListenerAction {
        kind: a
            .r#type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        target_group_arns,
    }
}

fn target_group(tg: &sdk::TargetGroup) -> TargetGroup {
    TargetGroup {
        arn: owned(tg.target_group_arn()),
        name: owned(tg.target_group_name()),
        target_type: tg.target_type().map(|t| t.as_str().to_owned()),
        protocol: tg.protocol().map(|p| p.as_str().to_owned()),
        port: port(tg.port()),
        vpc_id: tg.vpc_id().map(str::to_owned),
        load_balancer_arns: tg.load_balancer_arns().to_vec(),
        health_check_port: tg.health_check_port().map(str::to_owned),
        health_check_protocol: tg.health_check_protocol().map(|p| p.as_str().to_owned()),
        ip_address_type: tg.ip_address_type().map(|t| t.as_str().to_owned()),
        // Filled from DescribeTargetGroupAttributes (NLB target groups).
        preserve_client_ip: None,
    }
}

fn target(group_arn: &str, d: &sdk::TargetHealthDescription) -> Option<Target> {
    let described = d.target()?;
    Some(Target {
        target_group_arn: group_arn.to_owned(),
        id: described.id()?.to_owned(),
        port: port(described.port()),
        availability_zone: described.availability_zone().map(str::to_owned),
        health: d
            .target_health()
            .and_then(|h| h.state())
            .map(|s| s.as_str().to_owned()),
        health_reason: d
            .target_health()
            .and_then(|h| h.reason())
            .map(|r| r.as_str().to_owned()),
    })
}
