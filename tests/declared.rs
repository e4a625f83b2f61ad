//! Declared limits end to end, on the simulator through the binary: `vftop check`'s exit codes,
//! text and JSON, `vftop apply`'s plan, `--dry-run`, the audit records, a declaration a
//! driver's rules refuse, and `apply --watch` putting right at start and stopping on SIGTERM.
//! (The real kernel's igb, netdevsim and VF re-creation: `tests/vm/checks.sh declared`.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/declared/igb.toml")
}

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("vftop-declared-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn config(&self, text: &str) -> PathBuf {
        let path = self.0.join("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn vftop(dir: &Dir, args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vftop"))
        .args(args)
        .arg("--scenario")
        .arg(scenario())
        .arg("--config")
        .arg(config)
        .env("XDG_STATE_HOME", &dir.0)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const DECLARED: &str =
    "[[declared]]\npf = \"enp1s0\"\nvf = 0\nmax = \"300M\"\n\n[[declared]]\npartition = \"NFS\"\nmax = 400\n";

#[test]
fn check_says_what_differs_and_exits_by_it() {
    let dir = Dir::new("check");
    let config = dir.config(DECLARED);
    let out = vftop(&dir, &["check"], &config);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("≠ enp1s0 vf 0 (Backup): declared max 300M, actual max 500M min none"), "{said}");
    assert!(
        said.contains("config.toml:1]") && said.contains("≠ enp1s0 vf 1 (NFS): declared max 400M"),
        "{said}"
    );
    let json = vftop(&dir, &["check", "--json"], &config);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["conforms"], false);
    assert_eq!(v["findings"][0]["fix"], "ip link set dev enp1s0 vf 0 max_tx_rate 300 min_tx_rate 0");
    assert_eq!(v["findings"][0]["actual"]["max"], 500);
    // What the host already has conforms; what is not there cannot be told.
    let same = dir.config("[[declared]]\npf = \"enp1s0\"\nvf = 0\nmax = \"500M\"\n");
    assert_eq!(vftop(&dir, &["check"], &same).status.code(), Some(0));
    let missing = dir.config("[[declared]]\npf = \"enp9s0\"\nvf = 0\nmax = \"500M\"\n");
    let out = vftop(&dir, &["check"], &missing);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("? pf enp9s0 vf 0: there is no PF enp9s0 here"), "{}", text(&out));
}

#[test]
fn a_minimum_on_igb_is_refused_with_the_driver_s_rule() {
    let dir = Dir::new("igb-min");
    let config = dir.config("\n[[declared]]\npf = \"enp1s0\"\nvf = 2\nmin = \"100M\"\n");
    for command in ["check", "apply"] {
        let out = vftop(&dir, &[command], &config);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(2), "{command}: {said}");
        assert!(said.contains("config.toml:2: min 100M declared for enp1s0 vf 2 (igb)"), "{said}");
        assert!(said.contains("igb"), "{said}");
    }
}

#[test]
fn apply_shows_the_plan_sends_it_and_audits_it_as_declared() {
    let dir = Dir::new("apply");
    let config = dir.config(DECLARED);
    let audit = dir.0.join("audit.log");
    let audit_arg = audit.to_str().unwrap();
    let dry = vftop(&dir, &["apply", "--dry-run", "--audit-log", audit_arg], &config);
    assert_eq!(dry.status.code(), Some(1), "{}", text(&dry));
    assert!(
        text(&dry).contains("enp1s0 vf 0 (Backup): max 500M min none → max 300M min none"),
        "{}",
        text(&dry)
    );
    assert!(text(&dry).contains("ip link set dev enp1s0 vf 1 max_tx_rate 400 min_tx_rate 0"));
    assert!(
        std::fs::read_to_string(&audit).unwrap_or_default().is_empty(),
        "--dry-run sends and audits nothing"
    );
    let out = vftop(&dir, &["apply", "--audit-log", audit_arg], &config);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("applied: enp1s0 vf 0: max 500M -> 300M"), "{}", text(&out));
    let records: Vec<serde_json::Value> =
        std::fs::read_to_string(&audit).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r["reason"] == "declared" && r["outcome"] == "applied"), "{records:?}");
    assert_eq!(records[0]["kept"]["max_mbps"], 300);
}

#[test]
fn the_watcher_puts_right_at_start_and_stops_on_sigterm() {
    let dir = Dir::new("watch");
    let config = dir.config(DECLARED);
    let audit = dir.0.join("audit.log");
    let child = Command::new(env!("CARGO_BIN_EXE_vftop"))
        .args(["apply", "--watch", "--interval", "200ms", "--audit-log", audit.to_str().unwrap()])
        .arg("--scenario")
        .arg(scenario())
        .arg("--config")
        .arg(&config)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Waits on the audit log (the watcher's first look), not on a clock.
    let mut lines = 0;
    for _ in 0..300 {
        lines = std::fs::read_to_string(&audit).map(|t| t.lines().count()).unwrap_or(0);
        if lines >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(lines, 2, "both declared VFs put right at start");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("first look: 0 as declared, 2 to put right"), "{said}");
    assert!(said.contains("enp1s0 vf 0: at start; putting it right"), "{said}");
    // Put right once: the second look finds it conforming.
    assert_eq!(said.matches("putting it right").count(), 2, "{said}");
}

#[test]
fn check_says_since_when_a_vf_differs_where_the_recorder_saw_the_change() {
    let dir = Dir::new("since");
    let config = dir.config(DECLARED);
    let store = dir.0.join("store");
    std::fs::create_dir_all(&store).unwrap();
    let at_ms = vftop::times::now_ms() - 3_600_000;
    let change = vftop::model::event::Event {
        at_ms,
        pf: "enp1s0".into(),
        vf: Some(0),
        partition: Some("Backup".into()),
        kind: vftop::model::event::EventKind::ExternalChange {
            old: vftop::model::RateLimit::new(0, 2000),
            new: vftop::model::RateLimit::new(0, 500),
        },
    };
    vftop::record::events::append(&store, &[change]).unwrap();
    let out = vftop(&dir, &["check", "--store", store.to_str().unwrap()], &config);
    let said = text(&out);
    let line = said.lines().find(|l| l.contains("enp1s0 vf 0")).unwrap_or_default();
    let when = vftop::times::format_ms(at_ms);
    assert!(line.contains(&format!("since {when}")) && line.contains("max 2G → 500M"), "{said}");
    let other = said.lines().find(|l| l.contains("enp1s0 vf 1")).unwrap_or_default();
    assert!(!other.contains(" — since"), "nothing recorded of vf 1: {said}");
}
