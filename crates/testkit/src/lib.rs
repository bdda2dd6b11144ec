//! Test support shared by vpcaudit's crates: synthetic estates for benchmarks and property
//! tests, and the moto emulator for live tests. Never a dependency of shipped code.

pub mod contracts;
pub mod moto;
pub mod synthetic;
