//! Episodes and `vftop report`, on a recording of tests/scenarios/incident.toml (100 s: the
//! storage guarantees exceed the 10G link from 20 s to 80 s, Backup's cap is lowered at 50 s,
//! Web's demand flaps above its guarantee and to nothing every 3 s), made by the recorder itself, read back
//! with the built binary: `dump --events`, every report format, `--compare`, and the HTML page
//! in a real browser (headless Chromium).

mod common;

use common::prometheus::TempDir;
use common::tmux::require;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_vftop");
const SAMPLES: u64 = 100;
/// The recording's last sample (its first is 99 s before).
const END_MS: i64 = 1_795_575_600_000;
const START_MS: i64 = END_MS - (SAMPLES as i64 - 1) * 1000;

/// The recording of the incident scenario: sample i is simulated second i + 1.
fn incident(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    let scenario = vftop::source::sim::scenario::Scenario::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/incident.toml"
    )))
    .unwrap();
    let demo = vftop::replay::demo::DemoRecording {
        scenario,
        end_ms: END_MS,
        samples: SAMPLES,
        interval: Duration::from_secs(1),
        change_at: None,
    };
    assert_eq!(demo.build(&dir.0.join("store")).unwrap(), SAMPLES);
    dir
}

/// Simulated seconds of a recording time.
fn secs(at_ms: i64) -> f64 {
    (at_ms - START_MS) as f64 / 1000.0 + 1.0
}

fn vftop(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).args(["--log", "/dev/null"]).output().unwrap();
    assert!(out.status.success(), "vftop {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_recorder_journals_one_episode_per_starved_partition_with_its_context() {
    let dir = incident("episodes");
    let store = dir.0.join("store");
    let lines = vftop(&["dump", store.to_str().unwrap(), "--events", "--format", "json"]);
    let events: Vec<Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let starved: Vec<&Value> =
        events.iter().filter(|e| e["event"] == "episode" && e["episode"]["kind"] == "starved").collect();
    let mut who: Vec<&str> = starved.iter().map(|e| e["partition"].as_str().unwrap()).collect();
    who.sort();
    // Web flaps in and out of starvation every 3 s: one episode all the same.
    assert_eq!(who, ["NFS", "Web", "iSCSI"], "{lines}");
    for e in &starved {
        let episode = &e["episode"];
        let (start, end) =
            (secs(episode["start_ms"].as_i64().unwrap()), secs(episode["end_ms"].as_i64().unwrap()));
        // Web starves only while its demand is on: from its first 3 s burst after 20 s.
        assert!((20.0..=26.0).contains(&start), "{} starts at {start} s", e["partition"]);
        assert!((77.0..=81.0).contains(&end), "{} ends at {end} s", e["partition"]);
        let changes: Vec<&str> =
            episode["changes"].as_array().unwrap().iter().map(|c| c[1].as_str().unwrap()).collect();
        assert!(
            changes.iter().any(|c| c.starts_with("Backup (ens1f0 vf 0): max 4G → 1G")),
            "the cap lowered at 50 s is in its context: {changes:?}"
        );
        assert!(episode["worst"].as_f64().unwrap() > 0.0 && episode["samples"].as_u64().unwrap() >= 30);
    }
    let began =
        events.iter().filter(|e| e["event"] == "episode-started" && e["episode"] == "starved").count();
    assert_eq!(began, 3, "each began once");
}

#[test]
fn the_report_in_text_markdown_and_json_tells_the_story() {
    let dir = incident("report-text");
    let store = dir.0.join("store");
    let store = store.to_str().unwrap();
    let text = vftop(&["report", store]);
    for name in ["NFS (ens1f0 vf 1) starved", "iSCSI (ens1f0 vf 2) starved", "Web (ens1f0 vf 3) starved"] {
        assert!(text.contains(name), "{name} in:\n{text}");
    }
    let start = vftop::times::format_time_of_day(START_MS + 19_000);
    assert!(text.contains("Changes (5)"), "{text}");
    assert!(
        text.contains(&start) || text.contains(&vftop::times::format_time_of_day(START_MS + 20_000)),
        "{text}"
    );
    assert!(text.contains("Backup (ens1f0 vf 0): max 4G → 1G (outside vftop)"), "{text}");
    assert!(text.contains("ens1f0 (10G): peak"), "{text}");
    let markdown = vftop(&["report", store, "--format", "markdown"]);
    assert!(markdown.starts_with("# vftop report: ") && markdown.contains("\n## Episodes ("), "{markdown}");
    let json: Value = serde_json::from_str(&vftop(&["report", store, "--format", "json"])).unwrap();
    let episodes = json["episodes"].as_array().unwrap();
    assert_eq!(episodes[0]["kind"], "starved", "starvation first");
    assert_eq!(json["samples"], SAMPLES);
    assert!(json["pfs"][0]["saturated_ms"].as_i64().unwrap() > 60_000);
    // Only one VF: the others' episodes are left out.
    let one: Value =
        serde_json::from_str(&vftop(&["report", store, "--format", "json", "--vf", "1"])).unwrap();
    let episodes = one["episodes"].as_array().unwrap();
    assert!(episodes.iter().all(|e| e["vf"] == 1 || e["vf"].is_null()), "{one}");
    // NFS is starved because its neighbours fill the link: still so with only NFS asked for.
    assert!(episodes.iter().any(|e| e["vf"] == 1 && e["kind"] == "starved"), "{one}");
}

#[test]
fn compare_puts_two_windows_side_by_side() {
    let dir = incident("report-compare");
    let store = dir.0.join("store");
    // Backup sends its 2G fair share before 20 s, and at its cap, lowered to 1G at 50 s, after 80 s.
    let before = vftop::times::rfc3339_ms(START_MS + 5_000);
    let after = vftop::times::rfc3339_ms(START_MS + 85_000);
    let json = vftop(&[
        "report",
        store.to_str().unwrap(),
        "--compare",
        &before,
        &after,
        "--window",
        "10s",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let backup = doc["rows"].as_array().unwrap().iter().find(|r| r["name"] == "Backup").unwrap();
    let (first, second) = (backup["tx_bps"][0].as_f64().unwrap(), backup["tx_bps"][1].as_f64().unwrap());
    // The same windows' rows from `dump`, averaged here.
    let mean = |from: &str, to_ms: i64| {
        let to = vftop::times::rfc3339_ms(to_ms);
        let csv = vftop(&[
            "dump",
            store.to_str().unwrap(),
            "--vf",
            "0",
            "--from",
            from,
            "--to",
            &to,
            "--fields",
            "tx_bps",
        ]);
        let rates: Vec<f64> = csv.lines().skip(1).filter_map(|l| l.parse().ok()).collect();
        rates.iter().sum::<f64>() / rates.len() as f64
    };
    let (want_first, want_second) = (mean(&before, START_MS + 15_000), mean(&after, START_MS + 95_000));
    assert!(
        (first - want_first).abs() < 1e6 && (second - want_second).abs() < 1e6,
        "{first} {second} against dump's {want_first} {want_second}"
    );
    assert!(
        (second - 1e9).abs() < 0.02e9 && first > 1.3e9,
        "Backup {first} then at its lowered 1G cap: {second}"
    );
    let text = vftop(&["report", store.to_str().unwrap(), "--compare", &before, &after, "--window", "10s"]);
    let row = text.lines().find(|l| l.starts_with("Backup")).unwrap();
    let change = format!("{:+.0}%", (second - first) / first * 100.0);
    assert!(row.contains(&change), "{change} in {row}");
}

fn have_chromium() -> bool {
    Command::new("chromium").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Pixels of `rgb` (±8 per channel) in a PNG.
fn pixels_of(png: &Path, rgb: [u8; 3]) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 8))
        .count()
}

#[test]
fn the_html_page_draws_in_a_real_browser_and_svg_files_are_written() {
    let dir = incident("report-html");
    let store = dir.0.join("store");
    let out = dir.0.join("out");
    vftop(&["report", store.to_str().unwrap(), "--format", "html", "--out", out.to_str().unwrap()]);
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    let outside = page.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !outside.contains("http") && !outside.contains("<script") && !outside.contains("<link"),
        "self-contained"
    );
    vftop(&["report", store.to_str().unwrap(), "--format", "svg", "--out", out.to_str().unwrap()]);
    let svgs: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    assert!(svgs.iter().any(|n| n.starts_with("episode-01-starved-")), "{svgs:?}");

    if !require(have_chromium(), "chromium is not installed (tests/run-all.sh installs it)") {
        return;
    }
    let shot = dir.0.join("shot.png");
    let profile = dir.0.join("chromium-profile");
    let url = format!("file://{}", out.join("report.html").display());
    let chromium = |extra: &[&str]| {
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1000,900",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    let dom = chromium(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("vftop report: ") && dom.contains("1. ") && dom.contains("starved"), "{dom}");
    let rendered = chromium(&[&format!("--screenshot={}", shot.display())]);
    assert!(shot.exists(), "no screenshot: {}", String::from_utf8_lossy(&rendered.stderr));
    // The first chart, in the first screen: its span shaded, its first partition's line drawn.
    let span = pixels_of(&shot, [0xfd, 0xe0, 0xdc]);
    let line = pixels_of(&shot, [0xd6, 0x27, 0x28]);
    assert!(span > 10_000, "the episode's span drew ({span} pixels)");
    assert!(line > 300, "the starved partition's rate line drew ({line} pixels)");
}
