//! OBS003: an API Gateway stage with no throttle of its own.

use serde_json::json;

use super::Violation;
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::RestApiStages, Dataset::HttpApiStages];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    facts
        .inventory
        .api_stages
        .iter()
        .filter(|stage| !stage.is_throttled())
        .map(|stage| {
            let (api, protocol) = (stage.display_name(), stage.protocol_label());
            Violation::new(
                facts.api_stage_resource(stage),
                format!(
                    "stage {}/{} of {protocol} API {api} sets no throttling: one client can use \
                     the whole account's request quota",
                    stage.api_id, stage.stage_name
                ),
            )
            .evidence(json!({
                "api_id": stage.api_id,
                "stage": stage.stage_name,
                "protocol": stage.protocol,
            }))
            .remediation(if stage.is_rest() {
                format!(
                    "aws apigateway update-stage --rest-api-id {} --stage-name {} \
                     --patch-operations op=replace,path=/*/*/throttling/rateLimit,value=<rps> \
                     op=replace,path=/*/*/throttling/burstLimit,value=<burst>",
                    stage.api_id, stage.stage_name
                )
            } else {
                format!(
                    "aws apigatewayv2 update-stage --api-id {} --stage-name {} \
                     --default-route-settings ThrottlingRateLimit=<rps>,ThrottlingBurstLimit=<burst>",
                    stage.api_id, stage.stage_name
                )
            })
        })
        .collect()
}
