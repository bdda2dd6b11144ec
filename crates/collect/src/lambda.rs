//! Lambda: functions with their VPC configuration and environment variable *names*.
//!
//! ListFunctions returns environment values too. They are turned into facts (an RDS endpoint,
//! a secret reference, a credential-like string) right here and then dropped: no value leaves
//! this module, so none can reach a snapshot, a report or a log.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::FunctionConfiguration;

use super::{ApiError, Reader, Recorder};
use vpcaudit_core::model::{EnvironmentVariable, LambdaFunction, LambdaVpcConfig, RegionInventory};
use vpcaudit_core::secrets::{KnownEndpoints, value_facts};
use vpcaudit_core::snapshot::Dataset;

pub(super) struct Functions {
    functions: Result<Vec<FunctionConfiguration>, ApiError>,
}

/// Largest page ListFunctions accepts.
const PAGE: i32 = 50;

pub(super) async fn read(client: &Client, reader: &Reader<'_>) -> Functions {
    let functions = reader
        .read(Dataset::LambdaFunctions, || async {
            read_all!(
                reader.region(),
                client.list_functions().max_items(PAGE),
                functions,
                next_marker => set_marker,
                Clone::clone
            )
        })
        .await;
    Functions { functions }
}

impl Functions {
    /// Converts the functions; call after the databases are stored, so environment values can
    /// be matched against their endpoints.
    pub(super) fn store(self, inventory: &mut RegionInventory, recorder: &mut Recorder<'_>) {
        let endpoints = KnownEndpoints::new(
            inventory
                .db_instances
                .iter()
                .filter_map(|d| Some((d.id.as_str(), d.endpoint.as_ref()?.address.as_str())))
                .chain(inventory.db_clusters.iter().flat_map(|c| {
                    let writer = c
                        .endpoint
                        .as_ref()
                        .map(|e| (c.id.as_str(), e.address.as_str()));
                    let reader = c.reader_endpoint.as_deref().map(|r| (c.id.as_str(), r));
                    writer.into_iter().chain(reader)
                })),
        );
        let functions = self.functions.map(|list| {
            list.iter()
                .map(|f| lambda_function(f, &endpoints))
                .collect::<Vec<_>>()
        });
        inventory.lambda_functions = recorder.take(Dataset::LambdaFunctions, functions);
    }
}

fn lambda_function(f: &FunctionConfiguration, endpoints: &KnownEndpoints<'_>) -> LambdaFunction {
    // AWS returns an empty VpcConfig for functions outside a VPC; moto returns a fake VpcId,
    // so only the subnets count.
    let vpc = f
        .vpc_config()
        .filter(|v| !v.subnet_ids().is_empty())
        .map(|v| LambdaVpcConfig {
            subnet_ids: v.subnet_ids().to_vec(),
            security_group_ids: v.security_group_ids().to_vec(),
        });
    let mut environment: Vec<EnvironmentVariable> = f
        .environment()
        .and_then(|e| e.variables())
        .into_iter()
        .flatten()
        .map(|(name, value)| EnvironmentVariable {
            name: name.clone(),
            value_facts: value_facts(value, endpoints),
        })
        .collect();
    environment.sort_by(|a, b| a.name.cmp(&b.name));
    LambdaFunction {
        name: f.function_name().unwrap_or_default().to_owned(),
        arn: f.function_arn().unwrap_or_default().to_owned(),
        runtime: f.runtime().map(|r| r.as_str().to_owned()),
        vpc,
        environment,
    }
}
