//! vpcaudit's core: everything that does not talk to AWS.
//!
//! Data flows one way: a [`snapshot::Snapshot`] of plain [`model`] data (read by the
//! `vpcaudit-collect` crate, or loaded from a file) goes through [`analysis`], which derives
//! facts; [`rules`] turn facts into [`finding::Finding`]s; [`pipeline::audit`] applies the
//! configuration, suppressions and baseline; [`report`] renders the result. This crate has no
//! AWS SDK and no async runtime, so a rule author builds and tests it in seconds.

// Outside data (AWS answers, snapshot and config files) must never panic the audit: no
// unwrap/expect, no indexing or slicing that can go out of bounds or split a character.
// Exceptions are `#[allow]`ed where they are made, with the reason. Tests may panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(
    test,
    allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)
)]

pub mod analysis;
pub mod baseline;
pub mod config;
pub mod error_text;
pub mod finding;
pub mod inert;
pub mod model;
pub mod net;
pub mod pipeline;
pub mod reach;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod shared_vpc;
pub mod snapshot;
pub mod suppress;
