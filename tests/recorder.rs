//! The flight recorder end to end: the built binary recording the simulated NIC into real
//! files, killed with SIGKILL, stopped with SIGTERM, short of disk; then read back with
//! `vftop dump`, `promtool` and `vftop replay` in tmux.

mod common;

use common::tmux::{Tmux, have_tmux, require};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_vftop");

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("vftop-rec-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `vftop record --demo` into `store` every `interval_ms`, its stderr into `log`.
fn start_record(store: &Path, interval_ms: u64, log: &Path, extra: &[&str]) -> Child {
    let stderr = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(BIN)
        .args(["record", "--demo", "--log", "/dev/null", "--interval"])
        .arg(format!("{interval_ms}ms"))
        .arg("--dir")
        .arg(store)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start vftop record")
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM)
        .unwrap();
    child.wait().unwrap()
}

/// `vftop dump STORE ARGS…`: stdout, and stderr.
fn dump(store: &Path, args: &[&str]) -> (String, String) {
    let out =
        Command::new(BIN).arg("dump").arg(store).args(args).arg("--log").arg("/dev/null").output().unwrap();
    assert!(out.status.success(), "dump failed: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// The sample times (ms) of one VF in the dump.
fn sample_times(store: &Path) -> Vec<i64> {
    let (csv, _) = dump(store, &["--vf", "0", "--fields", "time"]);
    csv.lines()
        .skip(1)
        .map(|t| t.parse::<jiff::Timestamp>().unwrap_or_else(|e| panic!("{t}: {e}")).as_millisecond())
        .collect()
}

fn wait_until(what: &str, timeout: Duration, pred: impl Fn() -> bool) {
    let start = Instant::now();
    while !pred() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigkill_at_any_moment_loses_only_the_samples_around_it() {
    let dir = TempDir::new("kill");
    let store = dir.0.join("store");
    let log = dir.0.join("stderr.log");
    let interval = 100;
    let mut runs = Vec::new();
    let mut seed = u64::from(std::process::id());
    for _ in 0..5 {
        let mut child = start_record(&store, interval, &log, &[]);
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let alive = Duration::from_millis(600 + (seed >> 33) % 900);
        let started = Instant::now();
        std::thread::sleep(alive);
        child.kill().unwrap(); // SIGKILL, mid-write or not
        child.wait().unwrap();
        runs.push(started.elapsed());
    }
    let mut child = start_record(&store, interval, &log, &[]);
    std::thread::sleep(Duration::from_millis(1500));
    let status = terminate(&mut child);
    assert!(status.success(), "SIGTERM should stop the recorder cleanly: {status:?}");
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(stderr.contains("closed"), "{stderr}");

    let times = sample_times(&store);
    assert!(times.windows(2).all(|w| w[1] > w[0]), "duplicates or disorder: {times:?}");
    let gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 3 * interval as i64).collect();
    assert!(gaps.len() <= 5, "a gap for each of the 5 kills at most, found {gaps:?}");
    let expected: u128 = runs.iter().map(|r| r.as_millis()).sum::<u128>() / u128::from(interval) + 15;
    assert!(
        times.len() as u128 >= expected * 6 / 10,
        "{} samples kept of about {expected} taken",
        times.len()
    );
    let (_, warnings) = dump(&store, &["--fields", "time"]);
    assert!(!warnings.contains("torn"), "a restart cuts a torn end: {warnings}");
}

#[test]
fn dump_formats_filters_and_times() {
    let dir = TempDir::new("dump");
    let store = dir.0.join("store");
    let log = dir.0.join("stderr.log");
    let mut child = start_record(&store, 200, &log, &[]);
    wait_until("a few samples", Duration::from_secs(20), || {
        std::fs::read_dir(&store).is_ok_and(|d| d.count() > 1) && sample_count(&store) >= 12
    });
    assert!(terminate(&mut child).success());

    let (csv, _) = dump(&store, &[]);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(&header[..4], ["time", "pf", "vf", "partition"]);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    let times = sample_times(&store);
    assert_eq!(rows.len(), times.len() * 6, "one row per VF per sample (6 VFs)");
    assert!(rows.iter().any(|r| r.contains(",NFS,")), "partition names are recorded");

    let (one, _) = dump(&store, &["--pf", "ens1f0", "--vf", "3", "--fields", "vf,partition,tx_bps,max_mbps"]);
    assert!(one.lines().skip(1).all(|l| l.starts_with("3,iSCSI,")), "{one}");
    // A sample in the middle: --from/--to in RFC 3339 take exactly it.
    let middle = times[times.len() / 2];
    let at = jiff::Timestamp::from_millisecond(middle).unwrap().to_string();
    let (exact, _) = dump(&store, &["--from", &at, "--to", &at, "--vf", "1", "--fields", "time"]);
    assert_eq!(exact.lines().count(), 2, "{exact}");
    let (recent, _) = dump(&store, &["--from", "1h ago", "--vf", "1", "--fields", "time"]);
    assert_eq!(recent.lines().count(), times.len() + 1);
    let (future, stderr) = dump(&store, &["--from", "1m ago", "--to", "30s ago", "--vf", "1"]);
    assert!(future.lines().count() <= times.len(), "{future}");
    let _ = stderr;

    let (json, _) = dump(&store, &["--format", "json", "--vf", "2", "--fields", "time,vf,tx_bps,partition"]);
    let first: serde_json::Value = serde_json::from_str(json.lines().nth(2).unwrap()).unwrap();
    assert_eq!(first["vf"], 2);
    assert_eq!(first["partition"], "NFS");
    assert!(first["tx_bps"].as_f64().is_some_and(|r| r > 0.0), "{first}");

    let bad = Command::new(BIN).arg("dump").arg(&store).args(["--fields", "time,colour"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown field 'colour'"));
    let bad = Command::new(BIN).arg("dump").arg(&store).args(["--from", "teatime"]).output().unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a time"), "{bad:?}");
}

fn sample_count(store: &Path) -> usize {
    Command::new(BIN)
        .arg("dump")
        .arg(store)
        .args(["--vf", "0", "--fields", "time", "--log", "/dev/null"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn openmetrics_dump_backfills_with_promtool() {
    let dir = TempDir::new("promtool");
    let available = Command::new("promtool").arg("--version").output().is_ok_and(|o| o.status.success());
    if !require(available, "promtool is not installed (apt install prometheus)") {
        return;
    }
    let store = dir.0.join("store");
    let mut child = start_record(&store, 250, &dir.0.join("stderr.log"), &[]);
    wait_until("samples", Duration::from_secs(20), || sample_count(&store) >= 8);
    assert!(terminate(&mut child).success());
    let (text, _) = dump(&store, &["--format", "openmetrics"]);
    assert!(text.ends_with("# EOF\n"));
    assert!(text.contains("# TYPE vftop_vf_tx_bytes_per_second gauge"), "the exporter's names");
    assert_eq!(text.matches("# TYPE vftop_vf_tx_bytes_per_second ").count(), 1, "each family once");
    let file = dir.0.join("backfill.om");
    std::fs::write(&file, &text).unwrap();
    let blocks = dir.0.join("blocks");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&file)
        .arg(&blocks)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::create_dir_all(blocks.join("wal")).unwrap(); // `tsdb dump` opens the head too
    let series = |matcher: &str| {
        let out = Command::new("promtool")
            .args(["tsdb", "dump", "--match", matcher])
            .arg(&blocks)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let info = series(r#"{__name__="vftop_partition_info",vf="2"}"#);
    assert!(info.contains(r#"partition="NFS""#), "{info}");
    let tx = series(r#"{__name__="vftop_vf_tx_bytes_per_second",vf="2"}"#);
    // The first sample has no earlier one to rate against: no point (a gap, not a zero).
    let rated = sample_times(&store).len() - 1;
    assert_eq!(tx.lines().count(), rated, "one point per recorded sample after the first:\n{tx}");
}

#[test]
fn an_unwritable_or_full_directory_is_a_clear_error_and_space_coming_back_resumes_writing() {
    let root = nix::unistd::geteuid().is_root();
    if !require(root, "mounting a small tmpfs needs root") {
        return;
    }
    let dir = TempDir::new("full");
    // Unwritable: a path under a regular file.
    let file = dir.0.join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let out = Command::new(BIN)
        .args(["record", "--demo", "--log", "/dev/null", "--dir"])
        .arg(file.join("store"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot record into"), "{out:?}");

    let mnt = dir.0.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"]).arg(&mnt).status();
    if !require(mounted.is_ok_and(|s| s.success()), "mount -t tmpfs failed") {
        return;
    }
    let out = Command::new(BIN)
        .args(["record", "--demo", "--log", "/dev/null", "--dir"])
        .arg(mnt.join("store"))
        .output()
        .unwrap();
    let _ = Command::new("umount").arg(&mnt).status();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bytes free"), "{out:?}");

    // Full during a run: the recorder says so, keeps sampling, and writes again once space is back.
    assert!(
        Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
            .arg(&mnt)
            .status()
            .unwrap()
            .success()
    );
    let store = mnt.join("store");
    let log = dir.0.join("stderr.log");
    let mut child = start_record(&store, 50, &log, &[]);
    wait_until("the first samples", Duration::from_secs(20), || sample_count(&store) >= 3);
    let filler = mnt.join("filler");
    let _ = Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}", filler.display()))
        .args(["bs=64k", "status=none"])
        .status();
    wait_until("the write failure", Duration::from_secs(20), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("cannot write"))
    });
    std::thread::sleep(Duration::from_millis(600)); // a dozen samples with nowhere to go
    let during = sample_count(&store);
    std::fs::remove_file(&filler).unwrap();
    wait_until("writing again", Duration::from_secs(20), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("writing again"))
    });
    wait_until("new samples", Duration::from_secs(20), || sample_count(&store) >= during + 5);
    assert!(terminate(&mut child).success());
    let times = sample_times(&store);
    let _ = Command::new("umount").arg(&mnt).status();
    assert!(times.windows(2).all(|w| w[1] > w[0]));
    assert!(times.windows(2).any(|w| w[1] - w[0] > 400), "the samples taken while full are missing");
}

#[test]
fn replay_shows_what_was_recorded_then_and_moves_with_the_arrows() {
    if !require(have_tmux(), "tmux is not installed") {
        return;
    }
    let dir = TempDir::new("replay");
    let scenario = dir.0.join("web-capped.toml");
    let text = include_str!("../crates/vftop-core/src/source/sim/reference.toml").to_string()
        + "\n[[pf.event]]\nat_secs = 1\npartition = \"Web\"\nmax = \"1G\"\n";
    std::fs::write(&scenario, text).unwrap();
    let store = dir.0.join("store");
    let log = dir.0.join("stderr.log");
    let scenario_arg = scenario.display().to_string();
    let mut child = start_record(&store, 250, &log, &["--scenario", &scenario_arg]);
    wait_until("samples", Duration::from_secs(30), || sample_count(&store) >= 16);
    assert!(terminate(&mut child).success());

    let (csv, _) = dump(&store, &["--fields", "time,partition,tx_bps"]);
    let times = sample_times(&store);
    let at = times[times.len() * 3 / 4];
    let previous = times[times.len() * 3 / 4 - 1];
    let stamp = vftop::times::rfc3339_ms(at);
    let tx_then = |name: &str| {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{stamp},{name},")))
            .unwrap_or_else(|| panic!("{stamp} {name}"));
        let bps: f64 = line.rsplit(',').next().unwrap().parse().unwrap();
        vftop::ui::text::rate(vftop::model::BitsPerSec(bps), vftop::units::RateUnit::Bits)
    };
    let tmux = Tmux::start("replay", 150, 40);
    tmux.type_text(&format!("{BIN} replay {} --at {stamp} --log /dev/null", store.display()));
    tmux.send(&["Enter"]);
    let clock = vftop::times::format_time_of_day(at);
    let screen = tmux.wait_text(&format!("REPLAY {clock}"));
    for name in ["NFS", "iSCSI", "Backup"] {
        let want = tx_then(name);
        let line = screen
            .lines()
            .find(|l| l.contains(name) && l.contains("auto"))
            .unwrap_or_else(|| panic!("{screen}"));
        assert!(line.contains(&want), "{name} should show {want} as recorded at {stamp}:\n{screen}");
    }
    // The outside change to Web at 1 s is an event: a marker with its label on the chart.
    assert!(screen.contains("┊") && screen.contains("(outside vftop)"), "{screen}");
    tmux.send(&["Left"]);
    tmux.wait_text(&format!("REPLAY {}", vftop::times::format_time_of_day(previous)));
    tmux.send(&["E"]);
    let events = tmux.wait_text("Events · ");
    assert!(events.contains("Web (ens1f0 vf 4)") && events.contains("max none → 1G"), "{events}");
    tmux.send(&["Escape"]);
    tmux.send(&["L"]);
    tmux.wait_text(&format!("REPLAY {}", vftop::times::format_time_of_day(*times.last().unwrap())));
    tmux.send(&["e"]);
    tmux.wait_text("read-only");
    tmux.send(&["q"]);
}

#[test]
fn the_live_console_starts_with_the_last_hour_of_a_store() {
    use vftop::source::{Clock, FakeClock, Source};
    let dir = TempDir::new("preload");
    let store = dir.0.join("store");
    let now = vftop::times::now_ms();
    let scenario = vftop::source::sim::scenario::Scenario::reference();
    let recording = vftop::replay::demo::DemoRecording {
        scenario: scenario.clone(),
        end_ms: now - 2000,
        samples: 900,
        interval: Duration::from_secs(1),
        change_at: None,
    };
    recording.build(&store).unwrap();
    let clock = FakeClock::default();
    clock.advance(Duration::from_secs(7200));
    let mut sim = vftop::source::sim::SimSource::new(scenario, std::sync::Arc::new(clock.clone()));
    let mut app =
        vftop::app::App::new(vftop::source::SourceKind::Demo, "t".into(), sim.roles(), vec!["dark".into()]);
    let loaded = vftop::replay::preload(&mut app, &store, &clock);
    assert!((170..=181).contains(&loaded), "one sample per 5 s of the last 15 minutes: {loaded}");
    app.window = Duration::from_secs(900);
    let nfs = app.rows.iter().find(|r| r.name == "NFS").expect("NFS row").key.clone();
    let p = app
        .percentiles(&nfs, vftop::metrics::history::Direction::Tx)
        .expect("history before the first live sample");
    assert!(p.p50.as_mbps_f64() > 500.0, "{p:?}");
    // The console's own samples follow on; the preloaded limits are no drift.
    clock.advance(Duration::from_secs(1));
    app.ingest(sim.sample().unwrap());
    clock.advance(Duration::from_secs(1));
    app.ingest(sim.sample().unwrap());
    assert!(app.take_effects().is_empty() && app.toasts.is_empty(), "{:?}", app.toasts);
    assert!(
        app.snapshot.as_ref().unwrap().taken_at > Duration::from_secs(7200) && clock.now() > Duration::ZERO
    );
}

#[test]
fn the_first_sample_of_each_recorder_run_has_no_rate_and_a_started_event() {
    let dir = TempDir::new("restart");
    let store = dir.0.join("store");
    let log = dir.0.join("stderr");
    // Two runs of the recorder on the same store, a gap between them.
    for run in 1..=2 {
        let mut recorder = start_record(&store, 100, &log, &[]);
        let recorded = || {
            let out =
                Command::new(BIN).arg("dump").arg(&store).args(["--vf", "0", "--fields", "time"]).output();
            out.map_or(0, |o| o.stdout.iter().filter(|b| **b == b'\n').count().saturating_sub(1))
        };
        wait_until("samples of this run", Duration::from_secs(60), || recorded() >= run * 5);
        assert!(terminate(&mut recorder).success());
        std::thread::sleep(Duration::from_millis(300)); // the gap a restart leaves
    }
    let (csv, _) = dump(&store, &["--vf", "1", "--fields", "time,tx_bps,events"]);
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let empty: Vec<usize> =
        rows.iter().enumerate().filter(|(_, r)| r[1].is_empty()).map(|(i, _)| i).collect();
    // The first sample, and the first after the restart: no rate (an empty field, not 0).
    assert_eq!(empty.len(), 2, "{csv}");
    assert_eq!(empty[0], 0, "{csv}");
    assert!(
        rows[empty[1] - 1][1].parse::<f64>().unwrap() > 0.0,
        "the sample before the gap has its rate\n{csv}"
    );
    assert!(rows.iter().filter(|r| !r[1].is_empty()).all(|r| r[1].parse::<f64>().unwrap() > 0.0), "{csv}");
    let (json, _) = dump(&store, &["--vf", "1", "--format", "json", "--fields", "tx_bps"]);
    assert_eq!(json.lines().next(), Some(r#"{"tx_bps":null}"#), "{json}");
    let (events, _) = dump(&store, &["--events"]);
    assert_eq!(events.matches("recorder-started").count(), 2, "{events}");
}
