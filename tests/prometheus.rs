//! The exporter against a real Prometheus (Debian's package): three `vftop serve` demo
//! instances scraped every second, checked through Prometheus's HTTP API; and the
//! exposition checked by `promtool check metrics`. SKIPPED without prometheus/promtool
//! (`tests/run-all.sh` installs them); a failure under VFTOP_REQUIRE_ALL=1.

mod common;

use common::prometheus::{Prometheus, TempDir, have_prometheus, http_get, serve, wait_until};
use common::tmux::require;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_vftop");
/// The reference scenario's partitions (VFs 0..6) and their caps in bytes/s.
const VFS: usize = 6;
const BACKUP_MAX: f64 = 2e9 / 8.0;
const VM_GUEST_MAX: f64 = 1e9 / 8.0;

fn available() -> bool {
    require(have_prometheus(), "prometheus and promtool are not installed (apt install prometheus)")
}

/// The reference scenario with another seed and, for one host, Web capped at 1G after 12 s.
fn scenario(dir: &TempDir, host: &str, seed: u32, web_capped_at: Option<u32>) -> String {
    let mut text = include_str!("../crates/vftop-core/src/source/sim/reference.toml")
        .replace("seed = 7", &format!("seed = {seed}"));
    if let Some(at) = web_capped_at {
        text += &format!("\n[[pf.event]]\nat_secs = {at}\npartition = \"Web\"\nmax = \"1G\"\n");
    }
    let path = dir.0.join(format!("{host}.toml"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn prometheus_scrapes_three_demo_hosts() {
    if !available() {
        return;
    }
    let dir = TempDir::new("scenarios");
    let hosts = [("host-a", 1, None), ("host-b", 2, Some(12)), ("host-c", 3, None)];
    let servers: Vec<_> = hosts
        .iter()
        .map(|(host, seed, event)| {
            let path = scenario(&dir, host, *seed, *event);
            (*host, serve(BIN, &["--scenario", &path]))
        })
        .collect();
    let targets: Vec<(&str, u16)> = servers.iter().map(|(h, (_, port))| (*h, *port)).collect();
    let prom = Prometheus::start(&targets);

    // Every VF of every host, as the sriov exporter's family.
    wait_until("6 sriov_vf_tx_bytes series per host", Duration::from_secs(60), || {
        let counts = prom.query("count by (host) (sriov_vf_tx_bytes)");
        counts.len() == 3 && counts.iter().all(|(_, n)| *n == VFS as f64)
    });
    // Prometheus negotiated OpenMetrics with the exporter and stored the exact family names.
    assert_eq!(prom.scalar("count(vftop_partition_info{partition=\"Backup\",vlan=\"300\"})"), Some(3.0));

    // rate() over the counters agrees with the rates the demo reports (per host, all VFs),
    // once every series is older than the window (rate() does not extrapolate to before a
    // series starts, so a younger one would read low).
    wait_until("30 s of samples", Duration::from_secs(90), || {
        prom.scalar("min(count_over_time(vftop_vf_tx_bytes_per_second[30s]))").is_some_and(|n| n >= 27.0)
    });
    for (host, _) in &targets {
        let from_counters =
            prom.scalar(&format!("sum(rate(sriov_vf_tx_bytes{{host=\"{host}\"}}[20s]))")).unwrap();
        let reported = prom
            .scalar(&format!("sum(avg_over_time(vftop_vf_tx_bytes_per_second{{host=\"{host}\"}}[20s]))"))
            .unwrap();
        let ratio = from_counters / reported;
        assert!(
            (0.9..1.1).contains(&ratio),
            "{host}: rate() {from_counters:.0} B/s vs reported {reported:.0} B/s"
        );
        assert!(reported > 1e8, "{host}: the demo moves gigabits ({reported} B/s)");
    }

    // The caps are the scenario's.
    for (vf, cap) in [(1, BACKUP_MAX), (5, VM_GUEST_MAX)] {
        let caps = prom.query(&format!("vftop_vf_max_tx_rate_bytes_per_second{{vf=\"{vf}\"}}"));
        assert_eq!(caps.len(), 3);
        assert!(caps.iter().all(|(_, v)| *v == cap), "vf {vf}: {caps:?}");
    }
    // On host-b an outside change caps Web at 1G; the others stay uncapped.
    let web = |host: &str| {
        prom.scalar(&format!("vftop_vf_max_tx_rate_bytes_per_second{{host=\"{host}\",vf=\"4\"}}"))
    };
    wait_until("host-b's Web capped", Duration::from_secs(60), || web("host-b") == Some(1e9 / 8.0));
    assert_eq!((web("host-a"), web("host-c")), (Some(0.0), Some(0.0)));

    // The fleet source reads the hosts back, and their recent past from range queries.
    let config = fleet_config(&prom);
    let mut fleet = vftop::source::fleet::FleetSource::open(config).unwrap();
    use vftop::source::Source;
    let now = fleet.sample().unwrap();
    let names: Vec<&str> = now.pfs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["host-a/ens1f0", "host-b/ens1f0", "host-c/ens1f0"]);
    assert!(now.pfs.iter().all(|p| p.vfs.len() == VFS && p.link_speed == Some(vftop::model::Mbps(10_000))));
    let past = fleet.history(Duration::from_secs(20), Duration::from_secs(1));
    assert!(past.len() >= 15, "{} snapshots from the range query", past.len());
    assert!(past.windows(2).all(|w| w[0].taken_at < w[1].taken_at && w[1].taken_at <= now.taken_at));
    // The rates are Prometheus's rate() over its own samples, live and in the past alike.
    let nfs = |s: &vftop::model::Snapshot| {
        let vf = s.pfs.iter().find(|p| p.name == "host-a/ens1f0")?.vfs.iter().find(|v| v.index == 2)?;
        Some(vf.queried?.tx.0)
    };
    let live = nfs(&now).expect("NFS on host-a, with a rate");
    assert!(live > 1e9, "NFS sends gigabits: {live} bit/s");
    let pasts: Vec<f64> = past.iter().filter_map(nfs).collect();
    assert!(pasts.len() >= 10 && pasts.iter().all(|r| *r > 1e8), "{pasts:?}");
    let view = now.fleet.as_ref().unwrap();
    assert_eq!((view.hosts, view.hosts_up, view.pfs, view.vfs), (3, 3, 3, 18));
    assert!(!view.recorded, "no recording rules in this Prometheus");
    // The overview asks for the worst rows only: two rows, both capped partitions dropping
    // (Backup's 2G everywhere, and Web's 1G on host-b once capped; a rate over a window that
    // spans Backup's bursts reads below the cap the exporter saw it at), none starved.
    let config = vftop::source::fleet::FleetConfig { rows: 2, ..fleet_config(&prom) };
    let mut two = vftop::source::fleet::FleetSource::open(config).unwrap();
    let worst = two.sample().unwrap();
    let rows: Vec<(&str, &vftop::model::Vf)> =
        worst.pfs.iter().flat_map(|p| p.vfs.iter().map(move |v| (p.name.as_str(), v))).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (pf, vf) in &rows {
        let rates = vf.queried.unwrap();
        let cap = vf.rate.max.as_bits_per_sec().0;
        assert!(cap > 0.0 && rates.tx.0 > 0.1 * cap && rates.drops_per_sec > 0.0, "{pf} {vf:?}");
    }
    let totals = worst.pfs[0].totals.expect("the PF's sums over all its VFs");
    assert_eq!(totals.vfs, 6);
    assert!(totals.tx.0 > 5e9, "the link's use is all six VFs' ({:?})", totals.tx);

    // Every query of the shipped Grafana dashboard is valid PromQL and finds data.
    for (title, promql) in common::prometheus::dashboard_queries("10s") {
        assert!(!prom.query(&promql).is_empty(), "panel {title}: no data for {promql}");
    }
}

/// The fleet source on this Prometheus, hosts told apart by the `host` target label.
fn fleet_config(prom: &Prometheus) -> vftop::source::fleet::FleetConfig {
    vftop::source::fleet::FleetConfig {
        prometheus: format!("http://127.0.0.1:{}", prom.port),
        selector: "{job=\"vftop\"}".into(),
        host_label: "host".into(),
        rows: 40,
        rate_window: Duration::from_secs(10),
        rules: true,
    }
}

#[test]
fn promtool_accepts_the_text_exposition() {
    if !available() {
        return;
    }
    let (_server, port) = serve(BIN, &["--demo"]);
    wait_until("two samples", Duration::from_secs(20), || {
        http_get(&format!("http://127.0.0.1:{port}/metrics"))
            .is_ok_and(|b| b.contains("vftop_samples_total 2"))
    });
    let body = http_get(&format!("http://127.0.0.1:{port}/metrics")).unwrap();
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    promtool.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    // The one lint left is deliberate: the sriov exporter's camelCase `pciAddr` label, kept
    // so its dashboards and the SR-IOV operator's recording rules (which join on it) work
    // unchanged. Anything else (a parse error, a unit, a name) fails.
    let problems: Vec<&str> = said.lines().filter(|l| !l.contains("'snake_case' not 'camelCase'")).collect();
    assert!(problems.is_empty(), "promtool: {problems:?}");
    assert!(
        said.lines()
            .all(|l| ["sriov_", "vftop_vf_owner_info", "vftop_vf_info"].iter().any(|p| l.starts_with(p))),
        "only the sriov families, the owner join and the VF's settings carry pciAddr: {said}"
    );
}

#[test]
fn content_negotiation_health_and_index() {
    let (_server, port) = serve(BIN, &["--demo"]);
    let url = format!("http://127.0.0.1:{port}/metrics");
    let openmetrics = ureq::get(&url)
        .header("Accept", "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3")
        .call()
        .unwrap();
    let content_type = openmetrics.headers().get("content-type").unwrap().to_str().unwrap().to_string();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let text = ureq::get(&url).call().unwrap();
    let content_type = text.headers().get("content-type").unwrap().to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    assert!(http_get(&format!("http://127.0.0.1:{port}/healthz")).unwrap().starts_with("ok"));
    assert!(http_get(&format!("http://127.0.0.1:{port}/")).unwrap().contains("href=\"/metrics\""));
    // Read-only: nothing but GET on these paths.
    let post = ureq::post(&url).send_empty();
    assert!(post.is_err(), "POST /metrics must be refused");
}

#[test]
fn a_port_in_use_or_a_bad_address_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = std::process::Command::new(BIN)
        .args(["serve", "--demo", "--listen", &addr, "--log", "/dev/null"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("cannot listen on {addr}")) && stderr.contains("in use"), "{stderr}");
    let out = std::process::Command::new(BIN)
        .args(["serve", "--demo", "--listen", "localhost:99999"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--listen"), "{stderr}");
}

#[test]
fn fleet_console_shows_every_host_and_marks_a_silent_one_stale() {
    if !available() || !require(common::tmux::have_tmux(), "tmux is not installed") {
        return;
    }
    let dir = TempDir::new("fleet");
    let mut servers: Vec<_> = ["host-a", "host-b", "host-c"]
        .iter()
        .enumerate()
        .map(|(i, host)| (*host, serve(BIN, &["--scenario", &scenario(&dir, host, 10 + i as u32, None)])))
        .collect();
    let targets: Vec<(&str, u16)> = servers.iter().map(|(h, (_, port))| (*h, *port)).collect();
    let prom = Prometheus::start(&targets);
    wait_until("all three hosts up", Duration::from_secs(60), || {
        prom.query("up{job=\"vftop\"} == 1").len() == 3 && prom.query("vftop_partition_info").len() == 18
    });
    let tmux = common::tmux::Tmux::start("fleet", 170, 36);
    tmux.type_text(&format!(
        "{BIN} fleet --prometheus http://127.0.0.1:{} --host-label host --log /dev/null",
        prom.port
    ));
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("three hosts", |s| {
        ["host-a/ens1f0", "host-b/ens1f0", "host-c/ens1f0"].iter().all(|h| s.contains(h))
            && s.contains("Backup")
    });
    assert!(screen.contains("fleet") && screen.contains("READ-ONLY"), "{screen}");
    assert!(screen.contains("sort: worst first ↓"), "{screen}");
    // A throttling key explains where to make the change instead.
    tmux.send(&["e"]);
    tmux.wait_text("change it on its host: ssh host-");
    tmux.send(&["Escape"]);
    assert!(tmux.wait_text("3/3 hosts up · worst 18 of 18 VFs").contains("newest "));
    // Enter drills into the selected row's host (its VFs only), Esc backs out to the fleet.
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("one host", |s| s.contains("(Esc: the fleet)") && s.contains("(1 of 6)"));
    let host = ["host-a", "host-b", "host-c"]
        .into_iter()
        .find(|h| screen.contains(&format!("host {h} (Esc")))
        .unwrap();
    assert_eq!(
        screen.matches("/ens1f0").count(),
        screen.matches(&format!("{host}/ens1f0")).count(),
        "{screen}"
    );
    tmux.send(&["Escape"]);
    tmux.wait_for("the fleet again", |s| s.contains("(1 of 18)") && !s.contains("(Esc: the fleet)"));
    // host-b's exporter stops: Prometheus marks it down, the console marks it stale.
    let (_, (server, _)) = servers.remove(1);
    drop(server);
    let screen =
        tmux.wait_for("host-b stale", |s| s.contains("2/3 hosts up (1 DOWN)") && s.contains("1 STALE"));
    assert!(screen.contains("host-b/ens1f0"), "its rows stay, from its last sample: {screen}");
    // Prometheus itself goes away: the header says so and the last data stays on screen.
    drop(prom);
    let screen = tmux.wait_text("SAMPLING FAILED");
    assert!(screen.contains("host-a/ens1f0") && screen.contains("Backup"), "{screen}");
    tmux.send(&["q"]);
}

#[test]
fn fleet_without_prometheus_is_a_clear_error() {
    let port = common::prometheus::free_port();
    let out = std::process::Command::new(BIN)
        .args(["fleet", "--prometheus", &format!("http://127.0.0.1:{port}"), "--log", "/dev/null"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("Prometheus http://127.0.0.1:{port} unreachable")), "{stderr}");
    let out = std::process::Command::new(BIN)
        .args([
            "fleet",
            "--prometheus",
            "http://127.0.0.1:1",
            "--selector",
            "job=vftop",
            "--log",
            "/dev/null",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a series selector"), "{stderr}");
}

/// `curl -sk` a URL with optional basic-auth credentials: (HTTP status, body).
fn curl(url: &str, user: Option<&str>) -> (u16, String) {
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sk", "-o", "-", "-w", "\n%{http_code}", url]);
    if let Some(u) = user {
        cmd.args(["-u", u]);
    }
    let out = String::from_utf8_lossy(&cmd.output().expect("curl").stdout).to_string();
    let (body, code) = out.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

#[test]
fn tls_and_basic_auth_from_a_web_config() {
    if !available()
        || !require(common::netns::have("openssl") && common::netns::have("curl"), "needs openssl and curl")
    {
        return;
    }
    let dir = TempDir::new("webcfg");
    let status = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "server.key", "-out", "server.crt"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    let config = format!(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prom: '{hash}'\n"
    );
    std::fs::write(dir.0.join("web.yml"), config).unwrap();
    let web = dir.0.join("web.yml").display().to_string();
    let ready = |url: &str| curl(&format!("{url}/healthz"), Some("prom:s3cret")).0 == 200;
    let (_server, port) =
        common::prometheus::serve_checked(BIN, &["--demo", "--web-config", &web], ready, "https");
    let url = format!("https://127.0.0.1:{port}/metrics");
    assert_eq!(curl(&url, None).0, 401, "no credentials");
    assert_eq!(curl(&url, Some("prom:wrong")).0, 401, "wrong password");
    let (code, body) = curl(&url, Some("prom:s3cret"));
    assert!(code == 200 && body.contains("sriov_vf_tx_bytes"), "{code}: {body}");
    assert_eq!(
        curl(&format!("http://127.0.0.1:{port}/metrics"), Some("prom:s3cret")).0,
        0,
        "no plain HTTP on a TLS port"
    );
    // Prometheus scrapes it with the same credentials.
    let job = "    scheme: https\n    tls_config:\n      insecure_skip_verify: true\n    basic_auth:\n      username: prom\n      password: s3cret\n";
    let prom = Prometheus::start_with(&[("tls-host", port)], job);
    wait_until("the TLS target up", Duration::from_secs(30), || {
        prom.scalar("up{host=\"tls-host\"}") == Some(1.0) && prom.query("sriov_vf_tx_bytes").len() == VFS
    });
}
