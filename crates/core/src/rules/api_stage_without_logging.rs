//! OBS002: an API Gateway stage that records nothing about who called it.

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
        .filter(|stage| stage.access_log_destination.is_none())
        .map(|stage| {
            let execution = match stage.execution_logging.as_deref() {
                Some(level) if stage.is_rest() && level != "OFF" => {
                    format!("; execution logging is {level}, which records no caller")
                }
                _ => String::new(),
            };
            let (api, protocol) = (stage.display_name(), stage.protocol_label());
            Violation::new(
                facts.api_stage_resource(stage),
                format!(
                    "stage {}/{} of {protocol} API {api} has no access logging{execution}",
                    stage.api_id, stage.stage_name
                ),
            )
            .evidence(json!({
                "api_id": stage.api_id,
                "stage": stage.stage_name,
                "protocol": stage.protocol,
                "execution_logging": stage.execution_logging,
            }))
            .remediation(if stage.is_rest() {
                format!(
                    "aws apigateway update-stage --rest-api-id {} --stage-name {} \
                     --patch-operations op=replace,path=/accessLogSettings/destinationArn,value=<log group ARN>",
                    stage.api_id, stage.stage_name
                )
            } else {
                format!(
                    "aws apigatewayv2 update-stage --api-id {} --stage-name {} \
                     --access-log-settings DestinationArn=<log group ARN>,Format=<format>",
                    stage.api_id, stage.stage_name
                )
            })
        })
        .collect()
}
