//! The reachability model over generated estates of 1k, 10k and 100k resources: building the
//! per-subnet model for every region, then every ENI's inbound paths.
//!
//! `cargo bench -p vpcaudit-core --bench reach` reports the time per full pass.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vpcaudit_core::reach::Network;
use vpcaudit_testkit::synthetic::{estate, resource_count};

fn reach(c: &mut Criterion) {
    let mut group = c.benchmark_group("reach");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for size in [1_000, 10_000, 100_000] {
        let snapshot = estate(size);
        let resources = resource_count(&snapshot);
        group.throughput(Throughput::Elements(resources as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{}k resources", size / 1_000)),
            &snapshot,
            |b, snapshot| {
                b.iter(|| {
                    let mut paths = 0usize;
                    for region in &snapshot.scopes {
                        let network = Network::build(black_box(region));
                        for eni in &region.network_interfaces {
                            paths += network.inbound(eni).paths.len();
                        }
                    }
                    paths
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, reach);
criterion_main!(benches);
