//! The cost of `vftop report` over one day of 64 VFs (86 400 one-second samples of the stress
//! scenario's first PF, recorded by the recorder itself into a temporary store): reading every
//! sample back through the Reading and the episode rules, and writing the text and the HTML.
//! `cargo bench --bench report` (the store takes a few minutes to build; not run in CI).

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;
use vftop::record::store::Store;
use vftop::report::{self, Request};

const DAY: u64 = 86_400;

/// The binary's allocator, so the figure is the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    // `cargo test --all-targets` runs benches once as tests: this one's setup is a bench's, not
    // a test's (CI stays out of it).
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("SKIPPED: run with cargo bench");
        return;
    }
    // VFTOP_BENCH_STORE=DIR keeps the day's store there and reuses it on the next run.
    let kept = std::env::var_os("VFTOP_BENCH_STORE").map(std::path::PathBuf::from);
    let dir = kept
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("vftop-bench-report-{}", std::process::id())));
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
    if kept.is_none() || Store::open(&dir).is_err() {
        let _ = std::fs::remove_dir_all(&dir);
        let built = std::time::Instant::now();
        demo.build(&dir).unwrap();
        eprintln!("one day of 64 VFs recorded in {:.1?}", built.elapsed());
    }
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
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
