//! vpcaudit: audit live AWS accounts against a proven VPC network architecture.
//!
//! Data flows one way: [`collect`] reads the account into a [`snapshot::Snapshot`] of plain
//! [`model`] data; [`analysis`] derives facts from it; [`rules`] turn facts into
//! [`finding::Finding`]s; [`report`] renders them. Only `collect` touches the network.

pub mod analysis;
pub mod app;
pub mod baseline;
pub mod collect;
pub mod config;
pub mod finding;
#[cfg(feature = "lambda")]
pub mod lambda_job;
pub mod model;
pub mod progress;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod snapshot;
pub mod suppress;
pub mod synthetic;
