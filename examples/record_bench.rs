//! Recorder bench (not a test): stores built from the simulated NIC on a fake clock.
//!
//! `record_bench size PFS SECONDS DIR`: records `PFS × 64` partitions (the stress scenario, all
//! five demand profiles) every second for SECONDS; prints bytes per VF per sample, the ratio
//! to the plain fixed-width frame and to zstd alone on it, and the recorder's time per sample.
//! `record_bench reference SECONDS DIR`: the same for the reference demo (6 VFs).
//! `record_bench seek DAYS DIR`: a DAYS-long store of 64 VFs (built once, kept in DIR), then
//! opens it and draws the replay screen at 20 random times, and dumps one VF for one day.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vftop::app::App;
use vftop::record::Recorder;
use vftop::record::store::{Retention, Store};
use vftop::source::sim::SimSource;
use vftop::source::sim::scenario::{Scenario, stress_toml};
use vftop::source::{FakeClock, Source, SourceKind};

/// A fixed clock start (2026-11-18T00:00:00Z), so runs are comparable.
const START_MS: i64 = 1_795_046_400_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    match arg(0, "size").as_str() {
        "size" => {
            let pfs: usize = arg(1, "16").parse().unwrap();
            let scenario = Scenario::parse(&stress_toml(pfs), "stress").unwrap();
            size(scenario, arg(2, "3600").parse().unwrap(), &PathBuf::from(arg(3, "/tmp/vftop-bench-size")));
        }
        "reference" => size(
            Scenario::reference(),
            arg(1, "3600").parse().unwrap(),
            &PathBuf::from(arg(2, "/tmp/vftop-bench-ref")),
        ),
        "seek" => seek(arg(1, "7").parse().unwrap(), &PathBuf::from(arg(2, "/tmp/vftop-bench-7d"))),
        other => panic!("unknown mode {other}: size | reference | seek"),
    }
}

/// Bytes an uncompressed store would write per VF per sample: 8 counters of 8 bytes, min and
/// max (4 each), VLAN, QoS, link state (4).
const PLAIN_BYTES_PER_VF: usize = 8 * 8 + 8 + 4;

fn size(scenario: Scenario, seconds: u64, dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    let clock = FakeClock::default();
    let mut sim = SimSource::new(scenario, Arc::new(clock.clone()));
    let retention = Retention { max_age: Duration::from_secs(400 * 86400), max_bytes: u64::MAX };
    let mut recorder = Recorder::open(dir, retention, sim.roles(), None).unwrap();
    let (mut recording, mut vfs, mut plain_zstd) = (Duration::ZERO, 0usize, 0usize);
    // below's way: many samples per compressed chunk (here a minute of plain frames).
    let (mut chunk, mut chunked) = (Vec::new(), 0usize);
    for i in 0..seconds {
        clock.advance(Duration::from_secs(1));
        let snapshot = sim.sample().unwrap();
        vfs = snapshot.pfs.iter().map(|p| p.vfs.len()).sum();
        let plain = plain_frame(&snapshot);
        if i % 60 == 0 {
            plain_zstd += zstd::bulk::compress(&plain, 3).unwrap().len() * 60;
        }
        chunk.extend_from_slice(&plain);
        if i % 60 == 59 || i + 1 == seconds {
            chunked += zstd::bulk::compress(&chunk, 19).unwrap().len();
            chunk.clear();
        }
        let t = Instant::now();
        recorder.record(START_MS + i as i64 * 1000, &snapshot);
        recording += t.elapsed();
    }
    recorder.close().unwrap();
    let bytes: u64 = vftop::record::store::list_shards(dir).unwrap().iter().map(|s| s.bytes).sum();
    let samples = seconds as f64;
    let per_vf_sample = bytes as f64 / (vfs as f64 * samples);
    let per_day = per_vf_sample * vfs as f64 * 86_400.0;
    println!(
        "{vfs:>5} VFs × {seconds} s: {bytes} bytes = {per_vf_sample:.2} B/VF/sample; {:.0} MB per day at 1 s; \
         plain frame {PLAIN_BYTES_PER_VF} B → {:.1}× smaller; zstd alone on each plain frame {:.1}×, \
         zstd -19 on minute chunks of them (below's way, loses a minute on kill -9) {:.1}×; \
         recorder {:.0} us per sample = {:.3}% of a core at 1 s",
        per_day / 1e6,
        PLAIN_BYTES_PER_VF as f64 / per_vf_sample,
        (PLAIN_BYTES_PER_VF * vfs) as f64 * samples / plain_zstd as f64,
        (PLAIN_BYTES_PER_VF * vfs) as f64 * samples / chunked as f64,
        recording.as_secs_f64() * 1e6 / samples,
        recording.as_secs_f64() / samples * 100.0,
    );
}

/// One sample as plain fixed-width bytes.
fn plain_frame(snapshot: &vftop::model::Snapshot) -> Vec<u8> {
    let mut plain = Vec::new();
    for vf in snapshot.pfs.iter().flat_map(|p| &p.vfs) {
        for c in vftop::record::frame::pack(&vf.counters) {
            plain.extend_from_slice(&c.to_le_bytes());
        }
        plain.extend_from_slice(&vf.rate.min.0.to_le_bytes());
        plain.extend_from_slice(&vf.rate.max.0.to_le_bytes());
        plain.extend_from_slice(&[vf.vlan as u8, (vf.vlan >> 8) as u8, vf.qos, vf.link_state as u8]);
    }
    plain
}

fn seek(days: u64, dir: &Path) {
    let seconds = days * 86_400;
    if Store::open(dir).ok().and_then(|s| s.span()).is_none_or(|(a, b)| (b - a) / 1000 + 1 < seconds as i64) {
        let t = Instant::now();
        let scenario = Scenario::parse(&stress_toml(1), "stress").unwrap();
        let demo = vftop::replay::demo::DemoRecording {
            scenario,
            end_ms: START_MS + (seconds as i64 - 1) * 1000,
            samples: seconds,
            interval: Duration::from_secs(1),
            change_at: Some(seconds / 2),
        };
        let _ = std::fs::remove_dir_all(dir);
        demo.build(dir).unwrap();
        println!("built {days} days of 64 VFs in {:.0} s", t.elapsed().as_secs_f64());
    }
    let bytes: u64 = vftop::record::store::list_shards(dir).unwrap().iter().map(|s| s.bytes).sum();
    println!("store: {bytes} bytes ({:.2} B/VF/sample)", bytes as f64 / (64.0 * seconds as f64));
    let mut times = Vec::new();
    let mut seed = 42u64;
    for _ in 0..20 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let at = START_MS + ((seed >> 20) % seconds) as i64 * 1000;
        let t = Instant::now();
        draw_replay_at(dir, at);
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "open + draw at a random time: min {:.1} ms, median {:.1} ms, max {:.1} ms (20 times)",
        ms(times[0]),
        ms(times[10]),
        ms(times[19])
    );
    let day_from = START_MS + (seconds as i64 / 2) * 1000;
    let req = vftop::record::dump::Request {
        window: vftop::record::Window {
            from_ms: day_from,
            to_ms: day_from + 86_400_000 - 1,
            pf: None,
            vf: Some(3),
        },
        format: vftop::record::dump::Format::Csv,
        fields: vftop::record::dump::Request::parse_fields(None).unwrap(),
        events_only: false,
    };
    let t = Instant::now();
    let mut out = CountingSink(0);
    let summary = vftop::record::dump::dump(&Store::open(dir).unwrap(), &req, &mut out).unwrap();
    println!(
        "dump one VF for one day (CSV): {} rows, {} bytes in {:.0} ms",
        summary.rows,
        out.0,
        ms(t.elapsed())
    );
}

/// What `vftop replay --at` does before its first frame: open the store, find the sample,
/// read the chart window (60 s) ending there, take it in, draw it.
fn draw_replay_at(dir: &Path, at: i64) {
    let store = Store::open(dir).unwrap();
    let (first, last) = store.span().unwrap();
    let at = at.clamp(first, last);
    let readout = store.read(at - 60_000, at);
    let look = vftop::ui::look::Look::built_in();
    let names = look.themes.iter().map(|t| t.name.clone()).collect();
    let mut app = App::new(SourceKind::Replay, "bench".into(), Default::default(), names);
    app.replay = Some(Default::default());
    let (events, _) = vftop::record::events::read(dir, i64::MIN, i64::MAX);
    let cursor = vftop::app::timeline::ReplayCursor {
        at_ms: at,
        first_ms: first,
        last_ms: last,
        interval: Duration::from_secs(1),
        events,
        warnings: readout.warnings,
    };
    app.show_recorded(cursor, readout.frames.into_iter().map(|f| f.snapshot).collect());
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    terminal
        .draw(|f| {
            vftop::ui::draw(f, &app, &look);
        })
        .unwrap();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct CountingSink(usize);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
