//! LAM002: a function outside any VPC is configured to talk to a private database.

use std::collections::HashMap;

use serde_json::json;

use super::{Cause, Violation};
use crate::analysis::ScopeFacts;
use crate::finding::Severity;
use crate::model::ValueFact;
use crate::snapshot::Dataset;

pub(super) const REQUIRES: &[Dataset] = &[
    Dataset::LambdaFunctions,
    Dataset::DbInstances,
    Dataset::DbClusters,
];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {
    let inv = facts.inventory;
    // Database id → PubliclyAccessible, instances before clusters of the same name.
    let mut accessibility: HashMap<&str, Option<bool>> = HashMap::new();
    for (id, public) in inv
        .db_instances
        .iter()
        .map(|d| (d.id.as_str(), d.publicly_accessible))
        .chain(
            inv.db_clusters
                .iter()
                .map(|c| (c.id.as_str(), c.publicly_accessible)),
        )
    {
        accessibility.entry(id).or_insert(public);
    }
    let publicly_accessible = |db_id: &str| accessibility.get(db_id).copied().flatten();
    let mut out = Vec::new();
    for function in inv
        .lambda_functions
        .iter()
        .filter(|f| f.vpc.as_ref().is_none_or(|v| v.subnet_ids.is_empty()))
    {
        for var in &function.environment {
            for fact in &var.value_facts {
                let (target, severity) = match fact {
                    ValueFact::RdsEndpoint { db_id, .. } => {
                        // A public database is reachable (and is DB001's problem).
                        if publicly_accessible(db_id) == Some(true) {
                            continue;
                        }
                        (format!("private database {db_id}"), None)
                    }
                    ValueFact::RdsHostname { address } => {
                        (format!("RDS host {address}"), Some(Severity::Medium))
                    }
                    _ => continue,
                };
                let mut violation = Violation::new(
                    facts.lambda_resource(function),
                    format!(
                        "Lambda function {} is not in a VPC but its variable {} points at {target}",
                        function.name, var.name
                    ),
                )
                .evidence(json!({ "variable": var.name, "value_fact": fact }))
                .remediation(format!(
                    "Attach {} to private subnets of the database's VPC (two AZs) with a security \
                     group the database admits.",
                    function.name
                ))
                .cause(Cause::variable(&var.name));
                if let Some(severity) = severity {
                    violation = violation.severity(severity);
                }
                out.push(violation);
            }
        }
    }
    out
}
