//! The console's real event loop in-process (`tui::start`, as bandwhich's `start(backend, …)`):
//! a `TestBackend`, key events and signals from the test, the simulated NIC on a sampler
//! thread, the audit log in a file.

use futures::channel::mpsc::{UnboundedSender, unbounded};
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vftop::app::App;
use vftop::audit::{Actor, AuditLog};
use vftop::protocol::SourceEvent;
use vftop::sampler::Sampler;
use vftop::source::sim::SimSource;
use vftop::source::sim::scenario::Scenario;
use vftop::source::{Source, SourceKind, SystemClock};
use vftop::tui::{Exit, Input, Runtime, start};
use vftop::ui::look::Look;

/// The demo console wired as `vftop --demo` wires it, with the audit log at `audit`.
fn console(
    audit: &std::path::Path,
) -> (App, Look, Sampler, tokio::sync::mpsc::UnboundedReceiver<SourceEvent>) {
    let clock = Arc::new(SystemClock::default());
    let sim = SimSource::new(Scenario::reference(), clock);
    let look = Look::built_in();
    let app = App::new(
        SourceKind::Demo,
        "t".into(),
        sim.roles(),
        look.themes.iter().map(|t| t.name.clone()).collect(),
    );
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let log = AuditLog::open(audit).unwrap();
    let actor = Actor { user: "tester".into(), sudo_user: None, host: "t".into() };
    let sampler = Sampler::with_audit(Box::new(sim), Duration::from_millis(100), tx, Some((log, actor)));
    (app, look, sampler, rx)
}

fn press(keys: &UnboundedSender<std::io::Result<Event>>, text: &str) {
    for c in text.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        keys.unbounded_send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))).unwrap();
    }
}

fn screen(terminal: &ratatui::Terminal<ratatui::backend::TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width as usize;
    buffer
        .content
        .chunks(width)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
        .collect()
}

/// A commit-confirmed change to Backup's max (select Backup, `e`, 300M, Enter, `t`, `y`).
fn armed_change(keys: &UnboundedSender<std::io::Result<Event>>) {
    press(keys, "je");
    keys.unbounded_send(Ok(Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)))).unwrap();
    press(keys, "300M\nty");
}

/// How a console run ended: the loop's result, the revert line, the last frame, the audit log.
struct Ran {
    result: anyhow::Result<Exit>,
    reverted: Option<String>,
    screen: String,
    audit: String,
}

type Keys = UnboundedSender<std::io::Result<Event>>;
type Stop = UnboundedSender<&'static str>;

/// Runs the demo console in-process while `script` presses keys and sends signals (the
/// senders stay open until the console has ended, so only the script ends it).
async fn run_console<T, F: std::future::Future<Output = T>>(
    tag: &str,
    script: impl FnOnce(Keys, Stop) -> F,
) -> (T, Ran) {
    run_console_at(tag, (180, 40), script).await
}

/// [`run_console`] on a terminal of `width`×`height`.
async fn run_console_at<T, F: std::future::Future<Output = T>>(
    tag: &str,
    size: (u16, u16),
    script: impl FnOnce(Keys, Stop) -> F,
) -> (T, Ran) {
    run_console_guarded(tag, size, None, script).await
}

/// [`run_console_at`] with `guard_bin` started as the commit-confirmed guard.
async fn run_console_guarded<T, F: std::future::Future<Output = T>>(
    tag: &str,
    (width, height): (u16, u16),
    guard_bin: Option<std::path::PathBuf>,
    script: impl FnOnce(Keys, Stop) -> F,
) -> (T, Ran) {
    let audit = std::env::temp_dir().join(format!("vftop-loop-{tag}-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&audit);
    let (app, look, sampler, events) = console(&audit);
    let (keys, key_stream) = unbounded();
    let (stop, stop_stream) = unbounded::<&'static str>();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    let clock = SystemClock::default();
    let env = Runtime {
        clock: &clock,
        audit_path: Some(audit.clone()),
        guard_bin,
        mouse: false,
        keys: Default::default(),
    };
    let input = Input { keys: key_stream, stop: stop_stream };
    let (out, (result, reverted)) = tokio::join!(
        script(keys.clone(), stop.clone()),
        start(&mut terminal, input, app, &look, sampler, events, &env)
    );
    let ran =
        Ran { result, reverted, screen: screen(&terminal), audit: std::fs::read_to_string(&audit).unwrap() };
    let _ = std::fs::remove_file(&audit);
    (out, ran)
}

#[tokio::test(flavor = "current_thread")]
async fn q_with_an_unconfirmed_change_asks_and_a_hangup_reverts_it() {
    let (asked_at, ran) = run_console("hangup", |keys, stop| async move {
        tokio::time::sleep(Duration::from_millis(600)).await; // a few samples
        armed_change(&keys);
        tokio::time::sleep(Duration::from_millis(600)).await;
        press(&keys, "q"); // asks, does not quit
        tokio::time::sleep(Duration::from_millis(700)).await;
        let asked_at = Instant::now();
        stop.unbounded_send("SIGHUP").unwrap(); // the SSH session dropped
        asked_at
    })
    .await;
    assert_eq!(
        ran.result.unwrap(),
        Exit::Signal("SIGHUP"),
        "q with a change awaiting confirmation must not quit"
    );
    assert!(asked_at.elapsed() < Duration::from_secs(10));
    let shown = &ran.screen;
    assert!(shown.contains("Quit? A change is not confirmed"), "{shown}");
    assert!(shown.contains("q   revert it and quit"), "{shown}");
    let line = ran.reverted.expect("the unconfirmed change is reverted on the way out");
    assert!(
        line.starts_with("reverted the unconfirmed change to Backup") && line.contains("on SIGHUP"),
        "{line}"
    );
    let log = &ran.audit;
    let records: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 2, "{log}");
    assert_eq!(
        (records[0]["reason"].as_str(), records[0]["new"]["max_mbps"].as_u64()),
        (Some("operator"), Some(300))
    );
    assert_eq!(records[1]["reason"], "exit-revert");
    assert_eq!(records[1]["reverted_by"], "SIGHUP");
    assert_eq!(records[1]["new"]["max_mbps"], 2000);
}

#[tokio::test(flavor = "current_thread")]
async fn q_twice_quits_and_reverts_and_a_kept_change_stays() {
    let ((), ran) = run_console("keep", |keys, _stop| async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        armed_change(&keys);
        tokio::time::sleep(Duration::from_millis(600)).await;
        press(&keys, "c"); // kept
        tokio::time::sleep(Duration::from_millis(300)).await;
        press(&keys, "q");
    })
    .await;
    assert_eq!(ran.result.unwrap(), Exit::Quit);
    assert_eq!(ran.reverted, None, "a confirmed change stays");
    let log = &ran.audit;
    assert!(log.lines().last().is_some_and(|l| l.contains("\"reason\":\"confirmed\"")), "{log}");
}

#[tokio::test(flavor = "current_thread")]
async fn on_the_too_small_screen_no_key_changes_anything_and_q_quits() {
    let ((), ran) = run_console_at("small", (60, 20), |keys, _stop| async move {
        tokio::time::sleep(Duration::from_millis(600)).await; // a few samples
        // What applied Backup max 2G → 3G on a screen that showed none of it.
        press(&keys, "j]y");
        press(&keys, "e");
        press(&keys, "y");
        tokio::time::sleep(Duration::from_millis(500)).await;
        press(&keys, "q");
    })
    .await;
    assert_eq!(ran.result.unwrap(), Exit::Quit, "q quits from the too-small screen");
    assert!(ran.screen.contains("terminal too small: 60×20"), "{}", ran.screen);
    assert_eq!(ran.audit, "", "nothing was applied, nothing audited");
    assert_eq!(ran.reverted, None);
}

/// A drill-down into a fleet host: the sampler sends what the host did before it was shown,
/// after its first sample, and the app's chart starts from that past instead of empty.
#[test]
fn a_fleet_drill_down_starts_the_chart_from_the_hosts_past() {
    use vftop::protocol::Command;
    use vftop::source::{FakeClock, PastWanted};
    let clock = FakeClock::default();
    let mut fleet = vftop::source::fleet::DemoFleet::new(Arc::new(clock.clone()));
    // The fleet ran for half a minute before this console looked at it.
    for _ in 0..30 {
        clock.advance(Duration::from_secs(1));
        fleet.sample().unwrap();
    }
    let look = Look::built_in();
    let themes = look.themes.iter().map(|t| t.name.clone()).collect();
    let mut app = App::new(SourceKind::Fleet, "t".into(), fleet.roles(), themes);
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let sampler = Sampler::start(Box::new(fleet), Duration::from_secs(3600), tx);
    let past = PastWanted { span: Duration::from_secs(20), step: Duration::from_secs(2) };
    sampler.send(Command::ShowHost(Some("demo-b".into()), past));
    let mut shown = Vec::new();
    let past = loop {
        match events.blocking_recv().expect("the sampler runs") {
            SourceEvent::Snapshot(s) => {
                shown = s.pfs.iter().map(|pf| pf.name.clone()).collect();
                app.ingest(s);
            }
            SourceEvent::Past(past) => break past,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(shown, ["demo-b/ens1f0"], "the past follows the host's first sample");
    let before: Vec<usize> = app.histories.values().map(|h| h.len()).collect();
    app.restart_chart(past);
    let points: Vec<usize> = app.histories.values().map(|h| h.len()).collect();
    assert!(app.histories.keys().all(|k| k.pf == "demo-b/ens1f0"), "{:?}", app.histories.keys());
    assert_eq!(points.len(), 6, "each of the host's VFs");
    // 20 s back at 2 s: ten readings before the live one, the first without one before it to
    // rate against, so ten rates.
    assert!(points.iter().all(|n| *n == 10), "{points:?} (before the past: {before:?})");
}

/// A stand-in for `vftop guard`: notes how it was started and what the console said on its
/// stdin ("done" when disarmed; nothing when the console left it), in `notes`.
fn fake_guard(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("vftop-fake-guard-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (bin, notes) = (dir.join("guard"), dir.join("notes"));
    let script = format!(
        "#!/bin/sh\necho \"armed $*\" >> {0}\nread word\necho \"said $word\" >> {0}\n",
        notes.display()
    );
    std::fs::write(&bin, script).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, notes)
}

/// The demo console with a fake guard: a change applied under commit-confirmed, then `end`
/// (its keys and signals). The guard must have been armed once on the change, then disarmed.
async fn guard_armed_then_disarmed<F: std::future::Future<Output = ()>>(
    tag: &str,
    end: impl FnOnce(Keys, Stop) -> F,
) -> Ran {
    let (bin, notes) = fake_guard(tag);
    let ((), ran) = run_console_guarded(tag, (180, 40), Some(bin), |keys, stop| async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        armed_change(&keys);
        tokio::time::sleep(Duration::from_millis(600)).await;
        end(keys, stop).await;
    })
    .await;
    let said = std::fs::read_to_string(&notes).unwrap();
    let _ = std::fs::remove_dir_all(notes.parent().unwrap());
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 2, "armed once, then disarmed: {said}");
    assert!(lines[0].starts_with("armed guard ") && lines[0].contains("--applied=0:300"), "{said}");
    assert!(lines[0].contains("--revert=0:2000") && lines[0].contains("--partition=Backup"), "{said}");
    assert_eq!(lines[1], "said done", "{said}");
    ran
}

#[tokio::test(flavor = "current_thread")]
async fn the_loop_arms_the_guard_for_an_unconfirmed_change_and_disarms_it_when_kept() {
    let ran = guard_armed_then_disarmed("guard-keep", |keys, _stop| async move {
        press(&keys, "c"); // kept: the guard stands down
        tokio::time::sleep(Duration::from_millis(600)).await;
        press(&keys, "q");
    })
    .await;
    assert_eq!(ran.result.unwrap(), Exit::Quit);
    assert_eq!(ran.reverted, None);
}

#[tokio::test(flavor = "current_thread")]
async fn a_hangup_reverts_the_unconfirmed_change_and_then_disarms_the_guard() {
    let ran = guard_armed_then_disarmed("guard-hangup", |_keys, stop| async move {
        stop.unbounded_send("SIGHUP").unwrap();
    })
    .await;
    assert_eq!(ran.result.unwrap(), Exit::Signal("SIGHUP"));
    assert!(ran.reverted.is_some_and(|l| l.starts_with("reverted the unconfirmed change")));
}
