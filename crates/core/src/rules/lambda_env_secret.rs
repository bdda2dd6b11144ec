//! LAM003: a secret stored as a plain Lambda environment variable.

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::ScopeFacts;
use crate::model::ValueFact;
use crate::secrets::is_secret_name;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[Dataset::LambdaFunctions];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for function in &facts.inventory.lambda_functions {
        for var in &function.environment {
            let has = |wanted: fn(&ValueFact) -> bool| var.value_facts.iter().any(wanted);
            let pattern = var.value_facts.iter().find_map(|f| match f {
                ValueFact::LooksLikeSecret { pattern } => Some(pattern.as_str()),
                _ => None,
            });
            let why = if let Some(pattern) = pattern {
                format!("holds a value that looks like {pattern}")
            } else if is_secret_name(&var.name)
                && has(|f| matches!(f, ValueFact::Literal))
                && !has(|f| matches!(f, ValueFact::SecretReference))
            {
                "is named like a secret and holds a literal value".to_owned()
            } else {
                continue;
            };
            out.push(
                Violation::new(
                    facts.lambda_resource(function),
                    format!(
                        "Lambda function {} variable {} {why}",
                        function.name, var.name
                    ),
                )
                .evidence(json!({ "variable": var.name, "value_facts": var.value_facts }))
                .remediation(format!(
                    "Store the value in Secrets Manager or SSM Parameter Store (SecureString), \
                     put its ARN in {} and read it at runtime; rotate the exposed secret.",
                    var.name
                ))
                .cause(Cause::variable(&var.name)),
            );
        }
    }
    out
}
