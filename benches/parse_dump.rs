//! Parser throughput: one link dump of 8 PFs × 64 VFs (kernel-shaped messages).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vftop::source::kernel::attr::Messages;
use vftop::source::kernel::fixture::dump;
use vftop::source::kernel::link::parse_link;

fn parse_all(bytes: &[u8]) -> usize {
    Messages::new(bytes).filter_map(|m| parse_link(m.payload).ok()).map(|l| l.vfs.len()).sum()
}

fn bench(c: &mut Criterion) {
    let bytes = dump(8, 64, 1);
    assert_eq!(parse_all(&bytes), 8 * 64);
    let mut group = c.benchmark_group("link_dump");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("parse 8 PFs x 64 VFs", |b| b.iter(|| parse_all(black_box(&bytes))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
