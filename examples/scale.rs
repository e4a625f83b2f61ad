//! Scale bench (not a test): the demo NIC with `PFS × 64` partitions (all five demand profiles)
//! sampled on a fake clock for one simulated hour, each sample ingested by the console's state
//! and drawn once into a 120×40 buffer. Prints per-sample cost and the process's memory.
//! Usage: `scale PFS [INTERVAL_MS=1000] [SECONDS=3600]`, or `scale --toml PFS` for the scenario.
//! `tests/bench/scale.sh` runs it for 64, 256 and 1024 partitions, one process each.

use std::sync::Arc;
use std::time::{Duration, Instant};
use vftop::app::App;
use vftop::source::sim::SimSource;
use vftop::source::sim::scenario::Scenario;
use vftop::source::{FakeClock, Source, SourceKind};
use vftop::ui::look::Look;

/// Resident and peak resident memory of this process, in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--toml") {
        print!(
            "{}",
            vftop::source::sim::scenario::stress_toml(args.get(1).and_then(|a| a.parse().ok()).unwrap_or(16))
        );
        return;
    }
    let pfs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1);
    let interval = Duration::from_millis(args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000));
    let seconds: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3600);
    let scenario =
        Scenario::parse(&vftop::source::sim::scenario::stress_toml(pfs), "stress").expect("stress scenario");
    let clock = FakeClock::default();
    let mut sim = SimSource::new(scenario, Arc::new(clock.clone()));
    let look = Look::built_in();
    let names = look.themes.iter().map(|t| t.name.clone()).collect();
    let mut app = App::new(SourceKind::Demo, "bench".into(), sim.roles(), names);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    let samples = (seconds * 1000 / interval.as_millis() as u64).max(1);
    let (mut sampling, mut ingesting, mut drawing) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let rss_start = memory().0;
    for _ in 0..samples {
        clock.advance(interval);
        let t0 = Instant::now();
        let snapshot = sim.sample().expect("sample");
        let t1 = Instant::now();
        app.ingest(snapshot);
        let t2 = Instant::now();
        terminal
            .draw(|f| {
                vftop::ui::draw(f, &app, &look);
            })
            .unwrap();
        let t3 = Instant::now();
        sampling += t1 - t0;
        ingesting += t2 - t1;
        drawing += t3 - t2;
    }
    let (rss, peak) = memory();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / samples as f64;
    let total = per(sampling + ingesting + drawing);
    let cpu = total / interval.as_micros() as f64 * 100.0;
    println!(
        "{:>5} partitions  {:>6} samples @ {:>4} ms  sample {:>7.1} us  ingest {:>7.1} us  draw {:>7.1} us  = {:>5.2}% of a core  RSS {:>6.1} MB (start {:.1}, peak {:.1})",
        pfs * vftop::source::sim::scenario::STRESS_PER_PF,
        samples,
        interval.as_millis(),
        per(sampling),
        per(ingesting),
        per(drawing),
        cpu,
        rss as f64 / 1024.0,
        rss_start as f64 / 1024.0,
        peak as f64 / 1024.0,
    );
}
