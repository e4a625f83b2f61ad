//! A real Prometheus server (Debian's `prometheus`) for tests: config in a temp dir, started
//! on a free loopback port, queried over its HTTP API, stopped on drop.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether `prometheus` and `promtool` are installed (`tests/run-all.sh` installs them).
pub fn have_prometheus() -> bool {
    ["prometheus", "promtool"]
        .iter()
        .all(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()))
}

/// A running child process, killed on drop.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `vftop serve` on a free port with `args` (e.g. `--demo`); waits until /healthz answers.
pub fn serve(bin: &str, args: &[&str]) -> (Running, u16) {
    serve_checked(bin, args, |url| http_get(&format!("{url}/healthz")).is_ok(), "http")
}

/// `vftop serve` with `args`, waiting until `ready(base URL)` holds.
pub fn serve_checked(bin: &str, args: &[&str], ready: impl Fn(&str) -> bool, scheme: &str) -> (Running, u16) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(bin)
        .args(["serve", "--listen", &listen, "--log", "/dev/null"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vftop serve");
    let running = Running(child);
    wait_until(&format!("vftop serve on {listen}"), Duration::from_secs(20), || {
        ready(&format!("{scheme}://{listen}"))
    });
    (running, port)
}

/// GET `url` and its body (errors on non-2xx).
pub fn http_get(url: &str) -> Result<String, String> {
    ureq::get(url).call().map_err(|e| e.to_string())?.body_mut().read_to_string().map_err(|e| e.to_string())
}

/// Polls `ok` every 200 ms until it holds; panics naming `what` after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub struct Prometheus {
    pub port: u16,
    _dir: TempDir,
    _process: Running,
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("vftop-{tag}-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `scrape_configs` of job `vftop`: each `(host, port)` on loopback, its name in `label`.
fn scrape_configs(targets: &[(&str, u16)], job_extra: &str, label: &str) -> String {
    let mut config = String::from("scrape_configs:\n  - job_name: vftop\n");
    config += job_extra;
    config += "    static_configs:\n";
    for (host, port) in targets {
        config += &format!("      - targets: ['127.0.0.1:{port}']\n        labels: {{{label}: '{host}'}}\n");
    }
    config
}

/// Whether Debian's `victoria-metrics` is installed (`tests/run-all.sh` installs it).
pub fn have_victoria_metrics() -> bool {
    Command::new("victoria-metrics").arg("-version").output().is_ok_and(|o| o.status.success())
}

/// Every query of the shipped Grafana dashboard (panel title, PromQL with its variables filled
/// in for all hosts and PFs, `$__rate_interval` as Grafana makes it: four scrapes or more).
pub fn dashboard_queries(rate_interval: &str) -> Vec<(String, String)> {
    let dashboard: serde_json::Value =
        serde_json::from_str(include_str!("../../contrib/grafana/vftop.json")).expect("dashboard JSON");
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            let promql = expr
                .replace("$instance", ".*")
                .replace("$pf", ".*")
                .replace("$__rate_interval", rate_interval);
            out.push((panel["title"].to_string(), promql));
        }
    }
    out
}

impl Prometheus {
    /// Scrapes each `(host, port)` every second as job `vftop`, the target labelled `host`.
    pub fn start(targets: &[(&str, u16)]) -> Prometheus {
        Prometheus::start_with(targets, "")
    }

    /// Like `start`, with more of the job's scrape config (`scheme`, `tls_config`,
    /// `basic_auth`), indented for the job.
    pub fn start_with(targets: &[(&str, u16)], job_extra: &str) -> Prometheus {
        Prometheus::start_full(targets, job_extra, &[], "host")
    }

    /// Like `start_with`, with rule files (name, YAML) and the label the target's name goes
    /// in (`node`, as the SR-IOV operator's ServiceMonitor relabels it).
    pub fn start_full(
        targets: &[(&str, u16)],
        job_extra: &str,
        rules: &[(&str, &str)],
        label: &str,
    ) -> Prometheus {
        Prometheus::launch(targets, job_extra, rules, label, None, "1s")
    }

    /// Like `start` (targets labelled `host`), evaluating rule files (name, YAML) every second
    /// and sending its alerts to the Alertmanager on `alertmanager` (a loopback port).
    pub fn start_alerting(targets: &[(&str, u16)], rules: &[(&str, &str)], alertmanager: u16) -> Prometheus {
        Prometheus::launch(targets, "", rules, "host", Some(alertmanager), "1s")
    }

    /// Like `start`, scraping (and evaluating `rules`) every `scrape` (`15s`: Prometheus's default).
    pub fn start_every(targets: &[(&str, u16)], rules: &[(&str, &str)], scrape: &str) -> Prometheus {
        Prometheus::launch(targets, "", rules, "host", None, scrape)
    }

    /// Debian's VictoriaMetrics (single node, its default search latency offset of 30 s)
    /// scraping the targets every `scrape`, labelled `host`: it answers Prometheus's query API.
    pub fn victoria_metrics(targets: &[(&str, u16)], scrape: &str) -> Prometheus {
        let dir = TempDir::new("victoria");
        let config = format!("global:\n  scrape_interval: {scrape}\n{}", scrape_configs(targets, "", "host"));
        std::fs::write(dir.0.join("scrape.yml"), config).unwrap();
        let port = free_port();
        let args = [
            format!("-promscrape.config={}", dir.0.join("scrape.yml").display()),
            format!("-storageDataPath={}", dir.0.join("data").display()),
            format!("-httpListenAddr=127.0.0.1:{port}"),
        ];
        Prometheus::spawn("victoria-metrics", &args, port, "/health", dir)
    }

    /// Runs a query server on `port` until `ready` (a path) answers.
    fn spawn(program: &str, args: &[String], port: u16, ready: &str, dir: TempDir) -> Prometheus {
        let child = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"));
        let process = Running(child);
        wait_until(&format!("{program} ready"), Duration::from_secs(60), || {
            http_get(&format!("http://127.0.0.1:{port}{ready}")).is_ok()
        });
        Prometheus { port, _dir: dir, _process: process }
    }

    fn launch(
        targets: &[(&str, u16)],
        job_extra: &str,
        rules: &[(&str, &str)],
        label: &str,
        alertmanager: Option<u16>,
        scrape: &str,
    ) -> Prometheus {
        let dir = TempDir::new("prometheus");
        let mut config = format!("global:\n  scrape_interval: {scrape}\n  evaluation_interval: {scrape}\n");
        if let Some(port) = alertmanager {
            config += &format!(
                "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{port}']\n"
            );
        }
        if !rules.is_empty() {
            config += "rule_files:\n";
        }
        for (name, text) in rules {
            std::fs::write(dir.0.join(name), text).unwrap();
            config += &format!("  - {}\n", dir.0.join(name).display());
        }
        config += &scrape_configs(targets, job_extra, label);
        std::fs::write(dir.0.join("prometheus.yml"), config).unwrap();
        let port = free_port();
        let args = [
            format!("--config.file={}", dir.0.join("prometheus.yml").display()),
            format!("--storage.tsdb.path={}", dir.0.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ];
        Prometheus::spawn("prometheus", &args, port, "/-/ready", dir)
    }

    /// An instant query's result vector: (labels, value) per series.
    pub fn query(&self, promql: &str) -> Vec<(serde_json::Value, f64)> {
        let url = format!("http://127.0.0.1:{}/api/v1/query", self.port);
        let Ok(mut response) = ureq::get(&url).query("query", promql).call() else { return Vec::new() };
        let Ok(doc) = response.body_mut().read_json::<serde_json::Value>() else { return Vec::new() };
        doc["data"]["result"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|s| Some((s["metric"].clone(), s["value"][1].as_str()?.parse().ok()?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The value of a query that returns one series, if it does.
    pub fn scalar(&self, promql: &str) -> Option<f64> {
        let result = self.query(promql);
        (result.len() == 1).then(|| result[0].1)
    }
}
