//! The cost of `vftop report` over one day of 64 VFs (86 400 one-second samples of the stress
//! scenario's first PF, recorded by the recorder itself into a temporary store): reading every
//! sample back through the Reading and the episode rules, and writing the text and the HTML.
//! `cargo bench --bench report` (the store takes a few minutes to build; not run in CI).

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;
use vftop::record::store::Store;
use vftop::report::{self, Request};

const DAY: u64 = 86_400;

fn bench(c: &mut Criterion) {
    // `cargo test --all-targets` runs benches once as tests: this one's setup is a bench's, not
    // a test's (CI stays out of it).
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("SKIPPED: run with cargo bench");
        return;
    }
    let dir = std::env::temp_dir().join(format!("vftop-bench-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut scenario = vftop::source::sim::scenario::Scenario::parse(
        &vftop::source::sim::scenario::stress_toml(1),
        "<stress, 1 PF>",
    )
    .unwrap();
    scenario.seed = 3;
    let end_ms = 1_795_575_600_000;
    let demo = vftop::replay::demo::DemoRecording {
        scenario,
        end_ms,
        samples: DAY,
        interval: Duration::from_secs(1),
        change_at: Some(DAY / 2),
    };
    let built = std::time::Instant::now();
    demo.build(&dir).unwrap();
    eprintln!("one day of 64 VFs recorded in {:.1?}", built.elapsed());
    let store = Store::open(&dir).unwrap();
    let req = Request { from_ms: end_ms - DAY as i64 * 1000, to_ms: end_ms, pf: None, vf: None };
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.bench_function("one day of 64 VFs: episodes, changes, links", |b| {
        b.iter(|| report::build(&store, &dir, &req))
    });
    let built = report::build(&store, &dir, &req);
    eprintln!("{} episodes", built.episodes.len());
    group.bench_function("the HTML page of that day", |b| b.iter(|| report::html::page(&built)));
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
