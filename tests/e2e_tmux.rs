//! End-to-end: the built binary with --demo in tmux, driven by keys, read from the screen.

mod common;

use common::tmux::{Tmux, have_tmux, require};

const BIN: &str = env!("CARGO_BIN_EXE_vftop");

/// The TX column of the row whose partition is `name`.
fn tx_of(screen: &str, name: &str) -> String {
    let line =
        screen.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("no row {name}:\n{screen}"));
    line.split("  ").map(str::trim).find(|c| c.ends_with("b/s")).unwrap_or_default().to_string()
}

/// Checks the shell in the pane works and the terminal is back in cooked mode with echo.
fn assert_shell_usable(tmux: &Tmux) {
    tmux.type_text("echo \"modes: $(stty -a | tr ' ;' '\\n\\n' | grep -x -e '-\\?icanon' -e '-\\?echo' | tr '\\n' ' ')end-$((40+2))\"");
    tmux.send(&["Enter"]);
    let screen = tmux.wait_text("end-42");
    assert!(screen.contains("modes: icanon echo end-42"), "terminal not restored:\n{screen}");
}

/// Waits for the `exit=N` line the shell prints after vftop (not the typed `exit=$?`).
fn wait_exit_status(tmux: &Tmux) -> String {
    tmux.wait_for("the exit status", |s| s.lines().any(|l| l.starts_with("exit=") && !l.contains('$')))
}

/// A shell in tmux running `PREFIX vftop --demo --log /dev/null SUFFIX`, once the dashboard
/// shows; `None` (SKIPPED) without tmux.
fn start_demo(tag: &str, width: u16, height: u16, prefix: &str, suffix: &str) -> Option<Tmux> {
    if !require(have_tmux(), "tmux is not installed") {
        return None;
    }
    let tmux = Tmux::start(tag, width, height);
    tmux.type_text(&format!("{prefix}{BIN} --demo --log /dev/null{suffix}"));
    tmux.send(&["Enter"]);
    tmux.wait_text("Partitions");
    Some(tmux)
}

#[test]
fn demo_starts_moves_edits_and_quits_cleanly() {
    let Some(tmux) = start_demo("main", 120, 36, "", "") else { return };
    let first =
        tmux.wait_for("two samples", |s| s.contains("Partitions") && !tx_of(s, "NFS").starts_with("0.00"));
    let nfs_before = tx_of(&first, "NFS");
    let later = tmux.wait_for("numbers to move", |s| tx_of(s, "NFS") != nfs_before);
    assert!(later.contains("Contention"), "{later}");

    tmux.send(&["?"]);
    tmux.wait_text("Keys · ? or Esc closes");
    tmux.send(&["Escape"]);
    tmux.wait_for("help closed", |s| !s.contains("Keys · ?"));

    tmux.send(&["j", "e"]);
    tmux.wait_text("Rate limit · Backup");
    tmux.send(&["BSpace", "BSpace"]);
    tmux.type_text("500M");
    tmux.send(&["Enter"]);
    tmux.wait_text("ip link set dev ens1f0 vf 1 max_tx_rate 500 min_tx_rate 0");
    tmux.send(&["y"]);
    let applied = tmux.wait_for("new cap in the table", |s| {
        s.lines().any(|l| l.contains("Backup") && l.contains("-/500M"))
    });
    assert!(applied.contains("applied"), "{applied}");

    tmux.send(&["q"]);
    tmux.wait_for("vftop to exit", |s| !s.contains("Partitions"));
    assert_shell_usable(&tmux);
}

#[test]
fn bad_rate_text_is_explained_and_nothing_changes() {
    let Some(tmux) = start_demo("badrate", 100, 30, "", "") else { return };
    tmux.send(&["j", "e", "BSpace", "BSpace"]);
    tmux.type_text("fast");
    tmux.send(&["Enter"]);
    tmux.wait_text("'fast' is not a number");
    tmux.send(&["Escape"]);
    let screen = tmux.wait_for("editor closed", |s| !s.contains("Rate limit"));
    assert!(screen.lines().any(|l| l.contains("Backup") && l.contains("-/2G")), "{screen}");
    tmux.send(&["q"]);
    tmux.wait_for("vftop to exit", |s| !s.contains("Partitions"));
}

fn signal_restores_terminal(signal: &str) {
    let seed = 4000 + signal.len() as u64 * 7 + std::process::id() as u64 % 1000;
    let suffix = format!(" --seed {seed}; echo exit=$?");
    let Some(tmux) = start_demo(&signal.to_lowercase(), 100, 30, "", &suffix) else { return };
    let status = std::process::Command::new("pkill")
        .args([&format!("-{signal}"), "-f", "--", &format!("--log /dev/null --seed {seed}")])
        .status()
        .expect("pkill");
    assert!(status.success(), "pkill found no vftop");
    let screen = wait_exit_status(&tmux);
    assert!(screen.contains(&format!("stopped by SIG{signal}")), "{screen}");
    assert_shell_usable(&tmux);
}

#[test]
fn sigterm_restores_terminal() {
    signal_restores_terminal("TERM");
}

#[test]
fn sighup_restores_terminal() {
    signal_restores_terminal("HUP");
}

#[test]
fn panic_restores_terminal_and_prints_message() {
    let Some(tmux) = start_demo("panic", 100, 30, "VFTOP_TEST_PANIC_AFTER_MS=1500 ", "; echo exit=$?") else {
        return;
    };
    let screen = wait_exit_status(&tmux);
    assert!(screen.contains("test panic requested"), "{screen}");
    assert_shell_usable(&tmux);
}

#[test]
fn unknown_theme_lists_available_ones() {
    let out = std::process::Command::new(BIN).args(["--demo", "--theme", "nope"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown theme 'nope'; available: dark, light, high-contrast, mono"), "{err}");
}

#[test]
fn bad_scenario_names_file_line_and_column() {
    let path = std::env::temp_dir().join(format!("vftop-bad-{}.toml", std::process::id()));
    std::fs::write(&path, "[[pf]]\nname = \"p\"\nlink_speed = \"10G\"\nbogus = 1\n").unwrap();
    let out = std::process::Command::new(BIN).arg("--scenario").arg(&path).output().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:4:1:", path.display())) && err.contains("bogus"), "{err}");
}

#[test]
fn unwritable_audit_log_is_an_error_at_start() {
    let out = std::process::Command::new(BIN)
        .args(["--demo", "--log", "/dev/null", "--audit-log", "/proc/vftop-no-such-dir/audit.log"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("audit log /proc/vftop-no-such-dir/audit.log"), "{err}");
}

#[test]
fn a_non_utf8_locale_gets_a_plain_ascii_screen() {
    let Some(tmux) = start_demo("ascii", 100, 30, "LANG=C ", "") else { return };
    let screen = tmux.wait_for("a sample drawn", |s| s.contains("Partitions") && s.contains("NFS"));
    assert!(screen.is_ascii(), "non-ASCII on screen:\n{screen}");
    assert!(screen.contains("+-") && screen.contains('|'), "ASCII borders:\n{screen}");
    tmux.send(&["q"]);
    let Some(unicode) = start_demo("unicode", 100, 30, "", "") else { return };
    let screen = unicode.wait_for("a sample drawn", |s| s.contains("Partitions") && s.contains("NFS"));
    assert!(!screen.is_ascii() && screen.contains('─'), "UTF-8 locale keeps box drawing:\n{screen}");
    unicode.send(&["q"]);
}

#[test]
fn fleet_demo_shows_three_hosts_read_only() {
    if !require(have_tmux(), "tmux is not installed") {
        return;
    }
    let tmux = Tmux::start("fleetdemo", 150, 40);
    tmux.type_text(&format!("{BIN} fleet --demo --log /dev/null"));
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("three demo hosts", |s| {
        ["demo-a/ens1f0", "demo-b/ens1f0", "demo-c/ens1f0"].iter().all(|h| s.contains(h))
            && s.contains("Backup")
    });
    assert!(screen.contains("READ-ONLY: fleet view") && screen.contains("sort: worst first ↓"), "{screen}");
    tmux.send(&["]"]);
    tmux.wait_text("change it on its host: ssh demo-");
    // Enter: the selected row's host alone; Esc: the fleet again.
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("one demo host", |s| s.contains("(Esc: the fleet)") && s.contains("(1 of 6)"));
    assert!(screen.contains("every VF · Esc: back to the fleet"), "{screen}");
    tmux.send(&["Escape"]);
    tmux.wait_for("the demo fleet again", |s| s.contains("3/3 hosts up · worst 18 of 18 VFs"));
    tmux.send(&["q"]);
}

/// Applies Backup max 500M with commit-confirmed armed by `--confirm-within 60s`; returns the
/// session and its audit log.
fn unconfirmed_change(tag: &str) -> Option<(Tmux, std::path::PathBuf)> {
    let audit = std::env::temp_dir().join(format!("vftop-{tag}-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&audit);
    let suffix = format!(" --confirm-within 60s --audit-log {}; echo exit=$?", audit.display());
    let tmux = start_demo(tag, 160, 36, "", &suffix)?;
    tmux.send(&["j", "e", "BSpace", "BSpace"]);
    tmux.type_text("500M");
    tmux.send(&["Enter"]);
    tmux.wait_text("reverts unless confirmed with c within 60s");
    tmux.send(&["y"]);
    tmux.wait_text("reverts unless you press c");
    Some((tmux, audit))
}

/// Polls the audit log (10 s) for a record with all of `parts`.
fn wait_audit(path: &std::path::Path, parts: &[&str]) -> String {
    for _ in 0..100 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().any(|l| parts.iter().all(|p| l.contains(p))) {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!(
        "no audit record with {parts:?} in {}:\n{}",
        path.display(),
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

#[test]
fn closing_the_terminal_reverts_an_unconfirmed_change() {
    let Some((tmux, audit)) = unconfirmed_change("hangup") else { return };
    drop(tmux); // kills the tmux session: the terminal hangs up (SIGHUP), as when SSH drops
    wait_audit(
        &audit,
        &[
            "\"reason\":\"exit-revert\"",
            "\"reverted_by\":\"SIGHUP\"",
            "\"max_mbps\":2000",
            "\"outcome\":\"applied\"",
        ],
    );
    let _ = std::fs::remove_file(&audit);
}

#[test]
fn quit_asks_then_reverts_an_unconfirmed_change() {
    let Some((tmux, audit)) = unconfirmed_change("quitasks") else { return };
    tmux.send(&["q"]);
    tmux.wait_text("revert it and quit");
    tmux.send(&["q"]);
    let screen = wait_exit_status(&tmux);
    assert!(screen.contains("reverted the unconfirmed change to Backup"), "{screen}");
    wait_audit(&audit, &["\"reverted_by\":\"exit\"", "\"outcome\":\"applied\""]);
    assert_shell_usable(&tmux);
    let _ = std::fs::remove_file(&audit);
}

#[test]
fn a_scheduled_outside_change_is_flagged_and_logged() {
    let dir = std::env::temp_dir().join(format!("vftop-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("drift.toml");
    let text = include_str!("../crates/vftop-core/src/source/sim/reference.toml").to_string()
        + "\n[[pf.event]]\nat_secs = 3\npartition = \"Web\"\nmax = \"1G\"\n";
    std::fs::write(&scenario, text).unwrap();
    let audit = dir.join("audit.log");
    let suffix = format!(" --scenario {} --audit-log {}", scenario.display(), audit.display());
    let Some(tmux) = start_demo("drift", 160, 36, "", &suffix) else { return };
    let screen = tmux.wait_for("the outside change flagged", |s| {
        s.contains("Web (ens1f0 vf 4) changed outside vftop")
            && s.lines().any(|l| l.contains("Web") && l.contains("⚠-/1G"))
    });
    assert!(!screen.lines().any(|l| l.contains("Backup") && l.contains('⚠')), "{screen}");
    wait_audit(&audit, &["\"outcome\":\"external\"", "\"partition\":\"Web\"", "\"max_mbps\":1000"]);
    tmux.send(&["q"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn slash_filters_the_table() {
    let Some(tmux) = start_demo("filter", 120, 36, "", "") else { return };
    tmux.send(&["/"]);
    tmux.type_text("isc");
    tmux.send(&["Enter"]);
    let screen =
        tmux.wait_for("one row", |s| s.contains("Partitions (1 of 1) · /isc: 1 of 6 match (Esc clears)"));
    assert!(
        screen.lines().any(|l| l.contains("iSCSI")) && !screen.lines().any(|l| l.contains("│1   Backup")),
        "{screen}"
    );
    tmux.send(&["Escape"]);
    tmux.wait_for("all rows, iSCSI still selected", |s| s.contains("Partitions (4 of 6)"));
    tmux.send(&["q"]);
}

#[test]
fn completions_and_man_page_come_from_the_cli() {
    let out = std::process::Command::new(BIN).args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success());
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(script.contains("serve") && script.contains("fleet") && script.contains("--confirm-within"));
    let check = std::process::Command::new("bash").args(["-n", "-c", &script]).status().unwrap();
    assert!(check.success(), "the bash completion script parses");
    let man = std::process::Command::new(BIN).arg("man").output().unwrap();
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(
        page.contains(".TH vftop 1") && page.contains("fleet") && page.contains("\\-\\-interval"),
        "{page}"
    );
}

#[test]
fn a_mouse_click_selects_a_row_and_the_wheel_moves_the_selection() {
    let Some(tmux) = start_demo("mouse", 120, 40, "", "") else { return };
    // What a terminal sends for a left click at column 5, row 6 (SGR mouse, 1-based): the
    // third partition's row (border, header, then rows).
    tmux.type_text("\x1b[<0;5;6M\x1b[<0;5;6m");
    let screen = tmux.wait_text("(3 of 6)");
    assert!(screen.contains("dotted: NFS min/max"), "the chart follows the click:\n{screen}");
    tmux.type_text("\x1b[<65;5;6M"); // wheel down
    tmux.wait_text("(4 of 6)");
    tmux.send(&["q"]);
}

#[test]
fn two_pfs_each_row_names_its_pf_and_contention_is_per_pf() {
    // The built-in two-PF scenario: the reference design and a 25G ens2f0.
    let suffix = " --scenario two-pfs";
    let Some(tmux) = start_demo("two-pfs", 170, 44, "", suffix) else { return };
    // The second sample: the first has no rates yet ("no rate").
    let screen = tmux.wait_for("rates on both PFs", |s| {
        s.lines().any(|l| l.starts_with("│ens2f0") && l.contains("Replica") && l.contains("b/s"))
    });
    assert!(
        screen.contains("ens1f0 10G 6/6 VFs, ens2f0 25G 2/2 VFs"),
        "the header lists both PFs:\n{screen}"
    );
    for (name, pf) in
        [("Management", "ens1f0"), ("Web", "ens1f0"), ("Replica", "ens2f0"), ("Tenant A", "ens2f0")]
    {
        let row = screen
            .lines()
            .find(|l| l.starts_with('│') && l.contains(name) && l.contains("b/s"))
            .unwrap_or_else(|| panic!("{screen}"));
        assert!(row.contains(pf), "the {name} row names its PF {pf}: {row}");
    }
    // Select a row on the second PF: the chart and the contention panel follow its PF.
    tmux.send(&["/"]);
    tmux.type_text("Replica");
    tmux.send(&["Enter"]);
    let screen = tmux.wait_text("tx · ens2f0");
    assert!(screen.contains("ens2f0") && screen.contains("of 25G"), "contention of ens2f0:\n{screen}");
    tmux.send(&["q"]);
}

#[test]
fn ui_preferences_come_from_the_config_and_the_command_line_wins() {
    let dir = std::env::temp_dir().join(format!("vftop-prefs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let text = "[ui]\nchart_window = \"5m\"\nsort = \"name\"\nunits = \"bytes\"\ninterval = \"2s\"\n\n[keys]\nhelp = \"H\"\n";
    std::fs::write(&config, text).unwrap();
    let suffix = format!(" --config {} --interval 500ms", config.display());
    let Some(tmux) = start_demo("prefs", 140, 36, "", &suffix) else { return };
    let screen = tmux.wait_text("window 5m");
    assert!(screen.contains("every 500ms"), "--interval wins over the config's 2s:\n{screen}");
    assert!(
        screen.contains("sort: name ↑") && screen.contains("MB/s") && screen.contains("last 5m"),
        "{screen}"
    );
    tmux.send(&["q"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_replay_whose_terminal_vanishes_exits_cleanly_and_removes_its_demo_recording() {
    if !require(have_tmux(), "tmux is not installed") {
        return;
    }
    let demo_dirs = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("vftop-demo-recording-"))
            })
            .collect()
    };
    let before = demo_dirs();
    let tmux = Tmux::start("vanish", 120, 36);
    tmux.type_text(&format!("{BIN} replay --demo --log /dev/null"));
    tmux.send(&["Enter"]);
    tmux.wait_text("REPLAY");
    let ours: Vec<_> = demo_dirs().into_iter().filter(|d| !before.contains(d)).collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    drop(tmux); // the SSH session drops: SIGHUP, and every write to the terminal fails
    let start = std::time::Instant::now();
    while ours[0].exists() {
        assert!(start.elapsed() < std::time::Duration::from_secs(15), "{} left behind", ours[0].display());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
