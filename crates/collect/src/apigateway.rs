//! API Gateway: the stages of REST APIs (v1) and of HTTP and WebSocket APIs (v2), with their
//! logging and throttling. Stages have no account-wide list, so this is one list call for the
//! APIs and one GetStages call per API (a few at a time).

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt};

use super::{ApiError, Reader, Recorder};
use crate::clients::InRegion;
use vpcaudit_core::model::{ApiStage, RegionInventory, Tags};
use vpcaudit_core::snapshot::Dataset;

type Read<T> = Result<Vec<T>, ApiError>;

/// GetStages calls in flight per API version.
const STAGE_READS_IN_FLIGHT: usize = 4;

pub(super) struct Stages {
    rest: Read<ApiStage>,
    http: Read<ApiStage>,
}

pub(super) async fn read(
    rest: &aws_sdk_apigateway::Client,
    http: &aws_sdk_apigatewayv2::Client,
    rest_reader: &Reader<'_>,
    http_reader: &Reader<'_>,
) -> Stages {
    let (rest, http) = futures::join!(
        rest_reader.read(Dataset::RestApiStages, || {
            rest_stages(rest, rest_reader.region())
        }),
        http_reader.read(Dataset::HttpApiStages, || {
            http_stages(http, http_reader.region())
        }),
    );
    Stages { rest, http }
}

impl Stages {
    pub(super) fn store(self, inventory: &mut RegionInventory, recorder: &mut Recorder<'_>) {
        inventory.api_stages = recorder.take(Dataset::RestApiStages, self.rest);
        let http = recorder.take(Dataset::HttpApiStages, self.http);
        inventory.api_stages.extend(http);
    }
}

fn tags(map: Option<&HashMap<String, String>>) -> Tags {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

async fn rest_stages(client: &aws_sdk_apigateway::Client, region: &InRegion) -> Read<ApiStage> {
    let apis: Result<Vec<aws_sdk_apigateway::types::RestApi>, ApiError> = read_all!(
        region,
        client.get_rest_apis().limit(500),
        items,
        position => set_position,
        Clone::clone
    );
    let apis = apis.map_err(|e| e.during("apigateway:GetRestApis"))?;
    let per_api = futures::stream::iter(apis.into_iter().filter_map(|api| {
        let id = api.id()?.to_owned();
        Some(async move {
            let out = client
                .get_stages()
                .rest_api_id(&id)
                .customize()
                .config_override(region)
                .send()
                .await
                .map_err(|e| ApiError::from_sdk(&e))?;
            Ok::<_, ApiError>(
                out.item()
                    .iter()
                    .map(|stage| rest_stage(&id, api.name(), stage))
                    .collect::<Vec<_>>(),
            )
        })
    }))
    .buffer_unordered(STAGE_READS_IN_FLIGHT)
    .try_collect::<Vec<_>>()
    .await?;
    Ok(per_api.into_iter().flatten().collect())
}

fn rest_stage(
    api_id: &str,
    api_name: Option<&str>,
    stage: &aws_sdk_apigateway::types::Stage,
) -> ApiStage {
    // `*/*` holds the settings that apply to every method of the stage.
    let all_methods = stage.method_settings().and_then(|m| m.get("*/*"));
    ApiStage {
        api_id: api_id.to_owned(),
        api_name: api_name.map(str::to_owned),
        protocol: "rest".to_owned(),
        stage_name: stage.stage_name().unwrap_or_default().to_owned(),
        access_log_destination: stage
            .access_log_settings()
            .and_then(|a| a.destination_arn())
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        execution_logging: all_methods
            .and_then(|m| m.logging_level())
            .map(str::to_owned),
        throttle_rate_limit: all_methods
            .map(|m| m.throttling_rate_limit())
            .filter(|r| *r > 0.0),
        throttle_burst_limit: all_methods
            .map(|m| m.throttling_burst_limit())
            .filter(|b| *b > 0),
        tags: tags(stage.tags()),
    }
}

async fn http_stages(client: &aws_sdk_apigatewayv2::Client, region: &InRegion) -> Read<ApiStage> {
    let mut apis = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_apis()
            .max_results("500")
            .set_next_token(token.take())
            .customize()
            .config_override(region)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk(&e).during("apigatewayv2:GetApis"))?;
        apis.extend(page.items().iter().cloned());
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    let per_api = futures::stream::iter(apis.into_iter().filter_map(|api| {
        let id = api.api_id()?.to_owned();
        Some(async move {
            let mut stages = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let page = client
                    .get_stages()
                    .api_id(&id)
                    .set_next_token(token.take())
                    .customize()
                    .config_override(region)
                    .send()
                    .await
                    .map_err(|e| ApiError::from_sdk(&e))?;
                stages.extend(page.items().iter().map(|s| http_stage(&id, &api, s)));
                match page.next_token() {
                    Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                    _ => break,
                }
            }
            Ok::<_, ApiError>(stages)
        })
    }))
    .buffer_unordered(STAGE_READS_IN_FLIGHT)
    .try_collect::<Vec<_>>()
    .await?;
    Ok(per_api.into_iter().flatten().collect())
}

fn http_stage(
    api_id: &str,
    api: &aws_sdk_apigatewayv2::types::Api,
    stage: &aws_sdk_apigatewayv2::types::Stage,
) -> ApiStage {
    let routes = stage.default_route_settings();
    let protocol = match api.protocol_type().map(|p| p.as_str()) {
        Some("WEBSOCKET") => "websocket",
        _ => "http",
    };
    ApiStage {
        api_id: api_id.to_owned(),
        api_name: api.name().map(str::to_owned),
        protocol: protocol.to_owned(),
        stage_name: stage.stage_name().unwrap_or_default().to_owned(),
        access_log_destination: stage
            .access_log_settings()
            .and_then(|a| a.destination_arn())
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        execution_logging: routes
            .and_then(|r| r.logging_level())
            .map(|l| l.as_str().to_owned()),
        throttle_rate_limit: routes
            .and_then(|r| r.throttling_rate_limit())
            .filter(|r| *r > 0.0),
        throttle_burst_limit: routes
            .and_then(|r| r.throttling_burst_limit())
            .filter(|b| *b > 0),
        tags: tags(stage.tags()),
    }
}
