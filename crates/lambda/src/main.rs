//! `vpcaudit-lambda`: the scheduled audit job's entry point on AWS Lambda (`provided.al2023`).
//! It only wires the runtime; the job is the `vpcaudit_lambda` library, documented in deploy/README.md.

use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    vpcaudit_lambda::init_logging();
    lambda_runtime::run(service_fn(vpcaudit_lambda::handler)).await
}
