//! Analysis and rule evaluation over generated estates of 1k, 10k and 100k resources
//! (`vpcaudit_testkit::synthetic`: three-tier environments of ~41 resources, 50 per region).
//!
//! `cargo bench --bench evaluate` reports the time per evaluation and the throughput in
//! resources per second; equal throughput at every size means the growth is linear.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vpcaudit_core::config::Settings;
use vpcaudit_core::rules;
use vpcaudit_testkit::synthetic::{estate, resource_count};

fn evaluation(c: &mut Criterion) {
    let settings = Settings::default();
    let mut group = c.benchmark_group("evaluate");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for size in [1_000, 10_000, 100_000] {
        let snapshot = estate(size);
        let resources = resource_count(&snapshot);
        group.throughput(Throughput::Elements(resources as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{}k resources", size / 1_000)),
            &snapshot,
            |b, snapshot| b.iter(|| rules::evaluate(black_box(snapshot), &settings)),
        );
    }
    group.finish();
}

criterion_group!(benches, evaluation);
criterion_main!(benches);
