//! The monitoring mixin (contrib/mixin): promtool's checks and unit tests; the names its rules
//! read against what `vftop serve` exports; and end to end, a real Prometheus evaluating the
//! rules over `vftop serve --scenario tests/scenarios/starvation.toml` sends the starvation to a
//! real Alertmanager, which delivers it to a webhook receiver here. SKIPPED without prometheus,
//! promtool or prometheus-alertmanager (`tests/run-all.sh` installs them); a failure under
//! VFTOP_REQUIRE_ALL=1.

mod common;

use common::alertmanager::{Alertmanager, Webhook, have_alertmanager};
use common::prometheus::{Prometheus, have_prometheus, serve, wait_until};
use common::tmux::require;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_vftop");
const RULES: &str = "prometheus_rules.yaml";
const ALERTS: &str = "prometheus_alerts.yaml";
/// When the scenario's starvation begins (its `[[pf.event]] at_secs`).
const STARVED_AT: Duration = Duration::from_secs(15);
/// Every alert's `for:` in the end-to-end test, instead of minutes.
const FOR_IN_TEST: Duration = Duration::from_secs(5);

fn mixin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/mixin")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(mixin().join(name)).unwrap()
}

fn available() -> bool {
    require(have_prometheus(), "prometheus and promtool are not installed (apt install prometheus)")
}

/// Runs promtool in `dir`; its output, or a failure with it.
fn promtool(args: &[&str], dir: &Path) -> String {
    let out = std::process::Command::new("promtool").args(args).current_dir(dir).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {args:?}: {said}");
    said
}

#[test]
fn promtool_checks_the_rules_and_passes_every_unit_test() {
    if !available() {
        return;
    }
    for file in [RULES, ALERTS] {
        let said = promtool(&["check", "rules", file], &mixin());
        assert!(said.contains("SUCCESS"), "{file}: {said}");
    }
    let dir = mixin().join("tests");
    let mut tests: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".test.yml"))
        .collect();
    tests.sort();
    assert_eq!(tests, ["alerts.test.yml", "declared.test.yml", "rules.test.yml"], "the unit tests");
    for test in &tests {
        promtool(&["test", "rules", test], &dir);
    }
}

/// The names in `text`, comments left out, that look like a family (`vftop_…`, `sriov_…`) or
/// a recording rule (`level:metric:operations`).
fn names(text: &str) -> BTreeSet<String> {
    let code: String =
        text.lines().map(|l| l.split('#').next().unwrap_or_default().to_string() + "\n").collect();
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.starts_with("vftop_") || w.starts_with("sriov_") || w.matches(':').count() == 2)
        .map(str::to_string)
        .collect()
}

#[test]
fn the_mixin_reads_only_what_vftop_serve_exports_and_its_own_records() {
    let (_server, port) = serve(BIN, &["--demo"]);
    let exposition = ureq::get(&format!("http://127.0.0.1:{port}/metrics"))
        .header("Accept", "application/openmetrics-text;version=1.0.0")
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    // Every family the exporter describes (even one without samples now), as Prometheus
    // stores it: a counter's samples are `_total`.
    let mut exported = BTreeSet::new();
    for line in exposition.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let (name, kind) = line.split_once(' ').unwrap();
        exported.insert(if kind == "counter" { format!("{name}_total") } else { name.to_string() });
    }
    let (rules, alerts) = (read(RULES), read(ALERTS));
    let recorded: BTreeSet<String> = rules
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("record: "))
        .map(str::to_string)
        .collect();
    assert!(recorded.contains("instance_pf_vf:vftop_worst_first:score"), "{recorded:?}");
    for (file, text) in [(RULES, &rules), (ALERTS, &alerts)] {
        let unknown: Vec<_> =
            names(text).into_iter().filter(|n| !exported.contains(n) && !recorded.contains(n)).collect();
        assert!(unknown.is_empty(), "{file} reads what neither vftop serve nor the rules make: {unknown:?}");
    }
    assert!(
        alerts.contains(vftop::families::VF_LIMIT_CONFORMANT),
        "the declared-limits alert is in the mixin"
    );
}

#[test]
fn the_recording_rules_are_what_the_fleet_console_sends_without_them() {
    // `vftop fleet --print-rules` writes the file; the console's raw queries are the same
    // definitions, so a rule and the console cannot drift apart.
    let written = vftop::source::fleet::promql::Promql::recording_rules();
    assert_eq!(
        read("prometheus_rules.yaml"),
        written,
        "run: vftop fleet --print-rules > contrib/mixin/prometheus_rules.yaml"
    );
}

#[test]
fn every_alert_links_to_its_own_section_of_the_runbook() {
    let alerts = read(ALERTS);
    let runbook = read("runbook.md");
    let names: Vec<&str> = alerts.lines().filter_map(|l| l.trim().strip_prefix("- alert: ")).collect();
    let sections: Vec<&str> = runbook.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    assert_eq!(names, sections, "one runbook section per alert, in the same order");
    let links: Vec<&str> = alerts
        .lines()
        .filter_map(|l| {
            l.trim().strip_prefix(
                "runbook_url: \"https://github.com/vftop/vftop/blob/main/contrib/mixin/runbook.md#",
            )
        })
        .map(|l| l.trim_end_matches('"'))
        .collect();
    let anchors: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    assert_eq!(links, anchors, "each alert's runbook_url is its section's anchor");
}

/// The alerts with every `for:` shortened to [`FOR_IN_TEST`] (minutes in the mixin).
fn alerts_with_short_for() -> String {
    let text = read(ALERTS);
    let shortened: Vec<String> = text
        .lines()
        .map(|line| match line.trim_start().strip_prefix("for: ") {
            Some(_) => {
                format!("{}for: {}s", &line[..line.len() - line.trim_start().len()], FOR_IN_TEST.as_secs())
            }
            None => line.to_string(),
        })
        .collect();
    assert!(shortened.iter().zip(text.lines()).any(|(a, b)| a != b), "no for: to shorten");
    shortened.join("\n") + "\n"
}

#[test]
fn a_scheduled_starvation_reaches_a_webhook_through_prometheus_and_alertmanager() {
    if !available()
        || !require(
            have_alertmanager(),
            "prometheus-alertmanager is not installed (apt install prometheus-alertmanager)",
        )
    {
        return;
    }
    let webhook = Webhook::start();
    let alertmanager = Alertmanager::start(&webhook.url());
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/starvation.toml");
    let started = Instant::now();
    let (server, port) = serve(BIN, &["--scenario", &scenario.display().to_string()]);
    // Prometheus gets copies of the rule files in its temp dir, the alerts' `for:` shortened
    // from minutes to 5 s (evaluation and scrape every second) so the test takes seconds.
    let rules = read(RULES);
    let alerts = alerts_with_short_for();
    let prom = Prometheus::start_alerting(
        &[("host-a", port)],
        &[(RULES, &rules), (ALERTS, &alerts)],
        alertmanager.port,
    );
    let instance = format!("127.0.0.1:{port}");
    let vfs = |name: &str| -> BTreeSet<(String, String)> {
        let of = |a: &serde_json::Value, l: &str| a["labels"][l].as_str().unwrap_or_default().to_string();
        webhook.firing(name).iter().map(|(_, a)| (of(a, "pf"), of(a, "vf"))).collect()
    };
    let pair = |pf: &str, vf: &str| (pf.to_string(), vf.to_string());

    // Storage (vf 1) and Bulk (vf 2) of ens1f0 starve from 15 s on: each alert comes after its
    // `for`, through Alertmanager, firing, with its host's labels and a runbook.
    wait_until("both starved VFs at the webhook", Duration::from_secs(120), || {
        vfs("VftopPartitionStarved").len() == 2
    });
    assert_eq!(vfs("VftopPartitionStarved"), BTreeSet::from([pair("ens1f0", "1"), pair("ens1f0", "2")]));
    for (at, alert) in webhook.firing("VftopPartitionStarved") {
        assert!(at - started >= STARVED_AT + FOR_IN_TEST, "{:?} after the start: {alert}", at - started);
        assert_eq!(alert["labels"]["instance"], instance.as_str(), "{alert}");
        assert_eq!(alert["labels"]["severity"], "critical", "{alert}");
        let runbook = alert["annotations"]["runbook_url"].as_str().unwrap_or_default();
        assert!(runbook.ends_with("contrib/mixin/runbook.md#vftoppartitionstarved"), "{alert}");
    }
    // So do the episode's other faces: the guarantees above the link, Storage's changed min.
    wait_until("the oversubscription and the changed limit", Duration::from_secs(60), || {
        vfs("VftopGuaranteesOversubscribed") == BTreeSet::from([pair("ens1f0", "")])
            && vfs("VftopVfLimitChanged") == BTreeSet::from([pair("ens1f0", "1")])
    });
    // The idle link's partition below its guarantee (ens2f0) fires nothing, not even pending;
    // nor does anything about the exporter's health while it is up.
    assert!(prom.query("ALERTS{pf=\"ens2f0\"}").is_empty(), "{:?}", prom.query("ALERTS{pf=\"ens2f0\"}"));
    assert!(webhook.alerts().iter().all(|(_, a)| a["labels"]["pf"] != "ens2f0"));
    let healthy = ["VftopVfListTruncated", "VftopVfResetting", "VftopExporterDown", "VftopSamplingFailing"];
    assert!(healthy.iter().all(|name| vfs(name).is_empty()), "{:?}", webhook.alerts());

    // The exporter goes away: `up{job=~".*vftop.*"}` (the test's job is `vftop`) says so.
    drop(server);
    wait_until("the exporter down at the webhook", Duration::from_secs(60), || {
        !webhook.firing("VftopExporterDown").is_empty()
    });
    let down = &webhook.firing("VftopExporterDown")[0].1;
    assert_eq!(
        (down["labels"]["instance"].as_str(), down["labels"]["job"].as_str()),
        (Some(&*instance), Some("vftop"))
    );
}
