//! The fleet console's reading of the fleet on the backends operators run beside a Prometheus
//! that scrapes every second: Debian's VictoriaMetrics (which hides its newest 30 s and answers
//! the same sample more than once), and Prometheus scraping every 15 s (its default) while the
//! console refreshes every second. Rates come from the query engine's `rate()`, so neither
//! reads a partition at 0 b/s nor above its cap. SKIPPED without the servers (`tests/run-all.sh`
//! installs them); a failure under VFTOP_REQUIRE_ALL=1.

mod common;

use common::prometheus::{Prometheus, TempDir, have_prometheus, have_victoria_metrics, serve, wait_until};
use common::tmux::require;
use std::time::Duration;
use vftop::model::Snapshot;
use vftop::source::Source;
use vftop::source::fleet::{FleetConfig, FleetSource};

const BIN: &str = env!("CARGO_BIN_EXE_vftop");
/// The reference scenario's partitions per host.
const VFS: usize = 6;

/// A running demo host: its name, its `vftop serve` and port.
type Host = (&'static str, (common::prometheus::Running, u16));

/// Two demo hosts (the reference design with their own seeds), their scenarios' directory and
/// their targets (name, port).
fn two_hosts(tag: &str) -> (TempDir, Vec<Host>, Vec<(&'static str, u16)>) {
    let dir = TempDir::new(tag);
    let hosts = serve_two(&dir);
    let targets = hosts.iter().map(|(h, (_, port))| (*h, *port)).collect();
    (dir, hosts, targets)
}

fn serve_two(dir: &TempDir) -> Vec<Host> {
    ["host-a", "host-b"]
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let text = include_str!("../crates/vftop-core/src/source/sim/reference.toml")
                .replace("seed = 7", &format!("seed = {}", 40 + i));
            let path = dir.0.join(format!("{host}.toml"));
            std::fs::write(&path, text).unwrap();
            (*host, serve(BIN, &["--scenario", &path.display().to_string()]))
        })
        .collect()
}

/// The fleet on `backend`, hosts told apart by `host_label` (`instance`: the recording rules
/// can answer; `host`, a target label: the raw series are read).
fn fleet(backend: &Prometheus, host_label: &str) -> FleetConfig {
    FleetConfig {
        prometheus: format!("http://127.0.0.1:{}", backend.port),
        selector: "{job=\"vftop\"}".into(),
        host_label: host_label.into(),
        rows: 40,
        rate_window: Duration::from_secs(60),
        rules: true,
    }
}

/// Every VF of the sample with the query engine's rate (host/PF, VF index, tx bit/s, cap bit/s).
fn rows(s: &Snapshot) -> Vec<(String, u32, f64, f64)> {
    s.pfs
        .iter()
        .flat_map(|pf| pf.vfs.iter().map(move |vf| (pf, vf)))
        .filter_map(|(pf, vf)| {
            let cap = vf.rate.max.as_bits_per_sec().0;
            Some((pf.name.clone(), vf.index, vf.queried?.tx.0, cap))
        })
        .collect()
}

/// Samples the fleet `times` times a second apart (the console's refresh), checking each:
/// every partition of both hosts has a rate, the always-busy NFS (VF 2) is never read at
/// zero, and no capped partition sends above its cap (by more than a scrape's jitter: an
/// exposition is up to one sampling interval older than its scrape's timestamp, a second or
/// two of a 60 s window on a busy machine; the bug this guards against read 118 %). Returns
/// the samples.
fn refresh_and_check(source: &mut FleetSource, times: usize) -> Vec<Snapshot> {
    let mut out = Vec::new();
    for _ in 0..times {
        let s = source.sample().unwrap();
        let rows = rows(&s);
        assert_eq!(rows.len(), 2 * VFS, "{rows:?}");
        for (pf, vf, tx, cap) in &rows {
            if *vf == 2 {
                assert!(*tx > 1e8, "{pf} NFS read at {tx} bit/s: {rows:?}");
            }
            if *cap > 0.0 {
                assert!(*tx <= 1.05 * cap, "{pf} vf {vf} above its cap: {tx} > {cap}: {rows:?}");
            }
        }
        out.push(s);
        std::thread::sleep(Duration::from_secs(1));
    }
    out
}

/// Waits until the backend has a minute's rate for every partition of both hosts.
fn open_when_rated(backend: &Prometheus, host_label: &str) -> FleetSource {
    let mut source = None;
    wait_until("every partition rated", Duration::from_secs(150), || {
        let Ok(mut s) = FleetSource::open(fleet(backend, host_label)) else { return false };
        let full = s.sample().is_ok_and(|snapshot| rows(&snapshot).len() == 2 * VFS);
        source = Some(s);
        full
    });
    source.unwrap()
}

#[test]
fn fleet_on_victoria_metrics_reads_the_query_engines_rates() {
    if !require(have_victoria_metrics(), "victoria-metrics is not installed (apt install victoria-metrics)") {
        return;
    }
    let (_dir, _hosts, targets) = two_hosts("victoria-hosts");
    let vm = Prometheus::victoria_metrics(&targets, "2s");
    let mut source = open_when_rated(&vm, "host");
    let samples = refresh_and_check(&mut source, 5);
    // The console says how old what it shows is: a few 2 s scrapes at most, never the epoch.
    let age = samples.last().and_then(|s| s.fleet.as_ref()?.newest_age).expect("the newest sample's age");
    assert!(age <= Duration::from_secs(60), "{age:?}");
    // The shipped dashboard's queries find data there too.
    for (title, promql) in common::prometheus::dashboard_queries("10s") {
        assert!(!vm.query(&promql).is_empty(), "panel {title}: no data on VictoriaMetrics for {promql}");
    }
}

#[test]
fn fleet_on_a_15s_scrape_refreshed_every_second_reads_steady_rates() {
    if !require(have_prometheus(), "prometheus is not installed (apt install prometheus)") {
        return;
    }
    let (_dir, _hosts, targets) = two_hosts("slow-scrape-hosts");
    let rules = vftop::source::fleet::promql::Promql::recording_rules();
    let prom = Prometheus::start_every(&targets, &[("vftop.rules.yml", &rules)], "15s");
    wait_until("the recording rules' scores", Duration::from_secs(150), || {
        prom.scalar("count(instance_pf_vf:vftop_worst_first:score)") == Some((2 * VFS) as f64)
    });
    // Raw series (hosts by a target label): rate() is the query engine's at each refresh.
    let mut raw = open_when_rated(&prom, "host");
    let nfs = |s: &Snapshot| rows(s).into_iter().find(|r| r.1 == 2).map(|r| r.2);
    let reads: Vec<f64> = refresh_and_check(&mut raw, 4).iter().filter_map(nfs).collect();
    assert!(reads.windows(2).all(|w| (w[0] / w[1] - 1.0).abs() < 0.25), "no sawtooth: {reads:?}");
    assert!(!raw.sample().unwrap().fleet.unwrap().recorded);
    // Hosts by `instance`: the recording rules answer, the same between two evaluations.
    let mut recorded = open_when_rated(&prom, "instance");
    let samples = refresh_and_check(&mut recorded, 4);
    let reads: Vec<f64> = samples.iter().filter_map(nfs).collect();
    assert!(reads.windows(2).any(|w| w[0] == w[1]), "{reads:?}");
    let view = samples[0].fleet.as_ref().unwrap();
    assert!(view.recorded, "the mixin's recording rules answer the console");
    // A few 15 s scrapes at most (a busy machine scrapes late), never the epoch.
    assert!(view.newest_age.is_some_and(|a| a <= Duration::from_secs(60)), "{view:?}");
    // The dashboard's PF panels read the recorded series where the rules are loaded.
    let mut recorded_panels = Vec::new();
    for (title, promql) in common::prometheus::dashboard_queries("1m") {
        let series = prom.query(&promql);
        assert!(!series.is_empty(), "panel {title}: no data for {promql}");
        let name = |s: &(serde_json::Value, f64)| s.0["__name__"].as_str().unwrap_or("").to_string();
        if series.iter().all(|s| name(s).starts_with("instance_pf:")) {
            recorded_panels.push(promql);
        }
    }
    assert_eq!(
        recorded_panels.len(),
        4,
        "link use, guarantees, at cap, below guarantee: {recorded_panels:#?}"
    );
}
