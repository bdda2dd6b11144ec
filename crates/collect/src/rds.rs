//! RDS: DB instances, DB clusters and DB subnet groups.

use std::ops::Deref;

use aws_sdk_rds::Client;
use aws_sdk_rds::types as sdk;

use super::{ApiError, Reader, Recorder, tags};
use vpcaudit_core::model::{
    DbCluster, DbInstance, DbSubnetGroup, DbSubnetGroupMember, Endpoint, RegionInventory,
};
use vpcaudit_core::snapshot::Dataset;

type Read<T> = Result<Vec<T>, ApiError>;

pub(super) struct Databases {
    instances: Read<DbInstance>,
    clusters: Read<DbCluster>,
    subnet_groups: Read<DbSubnetGroup>,
}

/// Largest page RDS accepts.
const PAGE: i32 = 100;

pub(super) async fn read(client: &impl Deref<Target = Client>, reader: &Reader<'_>) -> Databases {
    let (instances, clusters, subnet_groups) = futures::join!(
        reader.read(Dataset::DbInstances, || async {
            read_all!(
                reader.region(),
                client.describe_db_instances().max_records(PAGE),
                db_instances,
                marker => set_marker,
                db_instance
            )
        }),
        reader.read(Dataset::DbClusters, || async {
            read_all!(
                reader.region(),
                client.describe_db_clusters().max_records(PAGE),
                db_clusters,
                marker => set_marker,
                db_cluster
            )
        }),
        reader.read(Dataset::DbSubnetGroups, || async {
            read_all!(
                reader.region(),
                client.describe_db_subnet_groups().max_records(PAGE),
                db_subnet_groups,
                marker => set_marker,
                db_subnet_group
            )
        }),
    );
    Databases {
        instances,
        clusters,
        subnet_groups,
    }
}

impl Databases {
    pub(super) fn store(self, inventory: &mut RegionInventory, recorder: &mut Recorder<'_>) {
        inventory.db_instances = recorder.take(Dataset::DbInstances, self.instances);
        inventory.db_clusters = recorder.take(Dataset::DbClusters, self.clusters);
        inventory.db_subnet_groups = recorder.take(Dataset::DbSubnetGroups, self.subnet_groups);
    }
}

fn rds_tags(list: &[sdk::Tag]) -> vpcaudit_core::model::Tags {
    tags(list.iter().map(|t| (t.key(), t.value())))
}

fn port(value: Option<i32>) -> Option<u16> {
    value.and_then(|p| u16::try_from(p).ok())
}

fn security_groups(list: &[sdk::VpcSecurityGroupMembership]) -> Vec<String> {
    list.iter()
        .filter_map(|m| m.vpc_security_group_id().map(str::to_owned))
        .collect()
}

fn db_instance(d: &sdk::DbInstance) -> DbInstance {
    let group = d.db_subnet_group();
    DbInstance {
        id: d.db_instance_identifier().unwrap_or_default().to_owned(),
        arn: d.db_instance_arn().map(str::to_owned),
        engine: d.engine().map(str::to_owned),
        publicly_accessible: d.publicly_accessible(),
        multi_az: d.multi_az(),
        availability_zone: d.availability_zone().map(str::to_owned),
        cluster_id: d.db_cluster_identifier().map(str::to_owned),
        replica_of: d
            .read_replica_source_db_instance_identifier()
            .map(str::to_owned),
        db_subnet_group: group
            .and_then(|g| g.db_subnet_group_name())
            .map(str::to_owned),
        vpc_id: group.and_then(|g| g.vpc_id()).map(str::to_owned),
        security_group_ids: security_groups(d.vpc_security_groups()),
        endpoint: d.endpoint().and_then(|e| {
            Some(Endpoint {
                address: e.address()?.to_owned(),
                port: port(e.port()),
            })
        }),
        status: d.db_instance_status().map(str::to_owned),
        tags: rds_tags(d.tag_list()),
    }
}

fn db_cluster(c: &sdk::DbCluster) -> DbCluster {
    DbCluster {
        id: c.db_cluster_identifier().unwrap_or_default().to_owned(),
        arn: c.db_cluster_arn().map(str::to_owned),
        engine: c.engine().map(str::to_owned),
        publicly_accessible: c.publicly_accessible(),
        multi_az: c.multi_az(),
        availability_zones: c.availability_zones().to_vec(),
        db_subnet_group: c.db_subnet_group().map(str::to_owned),
        security_group_ids: security_groups(c.vpc_security_groups()),
        endpoint: c.endpoint().map(|address| Endpoint {
            address: address.to_owned(),
            port: port(c.port()),
        }),
        reader_endpoint: c.reader_endpoint().map(str::to_owned),
        member_ids: c
            .db_cluster_members()
            .iter()
            .filter_map(|m| m.db_instance_identifier().map(str::to_owned))
            .collect(),
        status: c.status().map(str::to_owned),
        tags: rds_tags(c.tag_list()),
    }
}

fn db_subnet_group(g: &sdk::DbSubnetGroup) -> DbSubnetGroup {
    DbSubnetGroup {
        name: g.db_subnet_group_name().unwrap_or_default().to_owned(),
        arn: g.db_subnet_group_arn().map(str::to_owned),
        vpc_id: g.vpc_id().unwrap_or_default().to_owned(),
        subnets: g
            .subnets()
            .iter()
            .filter_map(|s| {
                Some(DbSubnetGroupMember {
                    subnet_id: s.subnet_identifier()?.to_owned(),
                    availability_zone: s
                        .subnet_availability_zone()
                        .and_then(|z| z.name())
                        .map(str::to_owned),
                })
            })
            .collect(),
    }
}
