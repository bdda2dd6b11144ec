//! `vpcaudit-lambda`: the scheduled audit job's entry point on AWS Lambda (`provided.al2023`).
//! It only wires the runtime; the job is `vpcaudit::lambda_job`, documented in deploy/README.md.

use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    vpcaudit::lambda_job::init_logging();
    lambda_runtime::run(service_fn(vpcaudit::lambda_job::handler)).await
}
