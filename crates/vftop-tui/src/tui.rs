//! The interactive console: terminal setup and restore, and the event loop that joins key
//! events, snapshots, signals and the render tick.

use crate::app::flow::Awaiting;
use crate::app::{App, Effect};
use crate::guard::{Guard, Watch};
use crate::model::Target;
use crate::protocol::{Command, SourceEvent};
use crate::sampler::Sampler;
use crate::source::Clock;
use crate::ui::keymap::{InputMode, mouse_action};
use crate::ui::{self, look::Look};
use futures::StreamExt;
use ratatui::crossterm::event::{Event, EventStream};
use std::time::Duration;
use tokio::signal::unix::SignalKind;
use tokio::sync::mpsc::UnboundedReceiver;

/// How often time-driven state (toasts, a commit-confirmed countdown) is looked at.
const RENDER_TICK: Duration = Duration::from_millis(250);

/// What the loop needs from outside the app: the clock and where the audit log is.
pub struct Runtime<'a> {
    pub clock: &'a dyn Clock,
    pub audit_path: Option<std::path::PathBuf>,
    /// The binary to start as the commit-confirmed guard (real VFs only; `None`: no guard).
    pub guard_bin: Option<std::path::PathBuf>,
    /// Clicks and the wheel (`--no-mouse` leaves the terminal's own selection alone).
    pub mouse: bool,
    /// The keys, with the config's `[keys]`.
    pub keys: crate::ui::keymap::KeyMap,
}

/// Lines of the audit log the `a` view shows.
const AUDIT_VIEW_LINES: usize = 200;

/// Why the loop ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Signal(&'static str),
}

/// Runs the console until the operator quits or a signal arrives. The terminal is restored on
/// every path: normal return, error, panic (ratatui's hook) and SIGTERM/SIGHUP/SIGINT.
pub async fn run(
    app: App,
    look: Look,
    sampler: Sampler,
    events: UnboundedReceiver<SourceEvent>,
    env: Runtime<'_>,
) -> anyhow::Result<Exit> {
    let stop = stop_signals()?;
    let mut terminal = ratatui::try_init()?;
    if env.mouse {
        capture_mouse()?;
    }
    let input = Input { keys: EventStream::new(), stop };
    let (result, reverted) = start(&mut terminal, input, app, &look, sampler, events, &env).await;
    if env.mouse {
        release_mouse();
    }
    // On a terminal that is gone (SIGHUP: the SSH session dropped) every write fails, and
    // ratatui reports those with `eprintln!`, which panics there; its panic hook then does the
    // same and aborts the process before anything is cleaned up. So: restore without its
    // report, show the cursor ourselves, and skip `Terminal`'s drop (which would report again).
    if let Err(e) = ratatui::try_restore() {
        tracing::warn!("restoring the terminal: {e}");
    }
    let _ = terminal.show_cursor();
    std::mem::forget(terminal);
    if let Some(line) = reverted {
        say(&format!("vftop: {line}"));
    }
    result
}

/// What the console reads besides samples: terminal events, and the signals that end it
/// (by name: SIGTERM, SIGHUP, SIGINT).
pub struct Input<K, S> {
    pub keys: K,
    pub stop: S,
}

/// Writes a line to stderr, which may be a terminal that is gone (SIGHUP): a failed write is
/// ignored, where `eprintln!` would panic and, inside the panic hook's own printing, abort
/// before anything is cleaned up.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// SIGTERM, SIGHUP and SIGINT as one stream of their names.
fn stop_signals() -> std::io::Result<impl futures::Stream<Item = &'static str> + Unpin> {
    use tokio_stream_signal::named;
    Ok(futures::stream::select(
        futures::stream::select(
            named(SignalKind::terminate(), "SIGTERM")?,
            named(SignalKind::hangup(), "SIGHUP")?,
        ),
        named(SignalKind::interrupt(), "SIGINT")?,
    ))
}

/// Unix signals as streams (tokio has no stream of its own for them without tokio-stream).
mod tokio_stream_signal {
    use tokio::signal::unix::SignalKind;

    pub fn named(
        kind: SignalKind,
        name: &'static str,
    ) -> std::io::Result<impl futures::Stream<Item = &'static str> + Unpin> {
        let mut signal = tokio::signal::unix::signal(kind)?;
        Ok(Box::pin(futures::stream::poll_fn(move |cx| signal.poll_recv(cx).map(|s| s.map(|()| name)))))
    }
}

/// The console on any backend and input: the event loop, then the revert of a change still
/// awaiting confirmation (an unconfirmed change never outlives the console) and the guard's
/// release. `run` calls it on the real terminal; tests on a `TestBackend` with their own
/// events. Returns how it ended and what to tell the operator about a revert.
pub async fn start<B, K, S>(
    terminal: &mut ratatui::Terminal<B>,
    mut input: Input<K, S>,
    mut app: App,
    look: &Look,
    sampler: Sampler,
    mut events: UnboundedReceiver<SourceEvent>,
    env: &Runtime<'_>,
) -> (anyhow::Result<Exit>, Option<String>)
where
    B: ratatui::backend::Backend,
    K: futures::Stream<Item = std::io::Result<Event>> + Unpin,
    S: futures::Stream<Item = &'static str> + Unpin,
{
    let mut guard = None;
    let mut result =
        event_loop(terminal, &mut input, &mut app, look, &sampler, &mut events, env, &mut guard).await;
    // A terminal that vanished (the SSH session dropped) fails its next read or write a moment
    // before the hang-up is delivered: the hang-up is the cause, so say it.
    if result.is_err()
        && let Ok(Some(name)) = tokio::time::timeout(HANGUP_GRACE, input.stop.next()).await
    {
        tracing::warn!("the terminal failed ({:?}) as {name} arrived", result.as_ref().err());
        result = Ok(Exit::Signal(name));
    }
    let cause = match &result {
        Ok(Exit::Quit) => "exit",
        Ok(Exit::Signal(name)) => name,
        Err(_) => "error",
    };
    let reverted = revert_unconfirmed(&mut app, cause, &sampler, &mut events).await;
    // Reverted (or nothing to revert): the guard stands down. Otherwise it stays, and reverts
    // at the deadline once it sees this console gone.
    if reverted.as_ref().is_none_or(|(_, done)| *done)
        && let Some(g) = guard.take()
    {
        g.disarm();
    }
    drop(sampler);
    (result, reverted.map(|(line, _)| line))
}

/// Turns on mouse reporting, and makes a panic turn it off again before ratatui's own hook
/// restores the rest of the terminal.
fn capture_mouse() -> std::io::Result<()> {
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        release_mouse();
        restore(info);
    }));
    ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::event::EnableMouseCapture)
}

fn release_mouse() {
    let _ = ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::event::DisableMouseCapture);
}

/// The sampler's next answer to a change (samples in between are skipped).
async fn next_answer(events: &mut UnboundedReceiver<SourceEvent>) -> Option<Answer> {
    loop {
        match events.recv().await {
            Some(SourceEvent::Applied(request, result, audit)) => return Some((request, result, audit)),
            Some(_) => continue,
            None => return None,
        }
    }
}

/// A change as the sampler answered it: the request, what the source kept, the audit outcome.
type Answer = (
    crate::app::ApplyRequest,
    Result<crate::model::RateLimit, crate::source::ApplyError>,
    Result<(), crate::audit::AuditError>,
);

/// How long a console whose terminal failed waits for the signal that explains it.
const HANGUP_GRACE: Duration = Duration::from_millis(500);

/// How long the console waits for the revert of an unconfirmed change on its way out.
const EXIT_REVERT_TIMEOUT: Duration = Duration::from_secs(10);

/// On the way out (quit, SIGHUP, SIGTERM, SIGINT, an error): sends the revert of a change
/// still awaiting confirmation and waits for the answer (the sampler writes the audit record),
/// so an unconfirmed change never outlives the console. Returns what to tell the operator and
/// whether the revert was applied.
async fn revert_unconfirmed(
    app: &mut App,
    cause: &'static str,
    sampler: &Sampler,
    events: &mut UnboundedReceiver<SourceEvent>,
) -> Option<(String, bool)> {
    // A change still in flight may be one that needs confirming: let it land first.
    if app.flow.pending.is_some()
        && let Ok(Some((request, result, audit))) =
            tokio::time::timeout(EXIT_REVERT_TIMEOUT, next_answer(events)).await
    {
        app.applied(request, result, audit);
    }
    let request = app.revert_on_exit(cause)?;
    let what = format!("{} ({})", request.partition, request.change.target.label());
    sampler.send(Command::Apply(request));
    let answer = tokio::time::timeout(EXIT_REVERT_TIMEOUT, next_answer(events)).await;
    let done = matches!(answer, Ok(Some((_, Ok(_), _))));
    let line = match answer.map(|a| a.map(|(_, result, _)| result)) {
        Ok(Some(Ok(kept))) => {
            format!("reverted the unconfirmed change to {what} on {cause}: max {} min {}", kept.max, kept.min)
        }
        Ok(Some(Err(e))) => {
            format!("REVERT FAILED for the unconfirmed change to {what}: {e}; it is still in force")
        }
        Ok(None) | Err(_) => format!(
            "REVERT NOT CONFIRMED for {what}: no answer within {}s; check the limit",
            EXIT_REVERT_TIMEOUT.as_secs()
        ),
    };
    Some((line, done))
}

#[allow(clippy::too_many_arguments)]
async fn event_loop<B, K, S>(
    terminal: &mut ratatui::Terminal<B>,
    input: &mut Input<K, S>,
    app: &mut App,
    look: &Look,
    sampler: &Sampler,
    events: &mut UnboundedReceiver<SourceEvent>,
    env: &Runtime<'_>,
    guard: &mut Option<Guard>,
) -> anyhow::Result<Exit>
where
    B: ratatui::backend::Backend,
    K: futures::Stream<Item = std::io::Result<Event>> + Unpin,
    S: futures::Stream<Item = &'static str> + Unpin,
{
    let mut tick = tokio::time::interval(RENDER_TICK);
    let panic_at = test_panic_deadline();
    // A frame is drawn only when something on it may have changed: an event, or what the
    // screen shows of time alone (toasts, a countdown). An idle console writes nothing.
    let mut dirty = true;
    let mut drawn_time_view = None;
    let mut panels = ui::Panels::default();
    app.set_wall_clock(wall_clock());
    loop {
        if panic_at.is_some_and(|at| std::time::Instant::now() >= at) {
            panic!("test panic requested (VFTOP_TEST_PANIC_AFTER_MS)");
        }
        if let Some(effect) = app.tick(env.clock.now()) {
            dirty = true;
            if run_effect(effect, app, sampler, env, guard) {
                return Ok(Exit::Quit);
            }
        }
        for effect in app.take_effects() {
            run_effect(effect, app, sampler, env, guard);
        }
        let time_view = app.time_view();
        if dirty || drawn_time_view != Some(time_view) {
            panels = draw(terminal, app, look)?;
            (dirty, drawn_time_view) = (false, Some(time_view));
        }
        tokio::select! {
            _ = tick.tick() => continue,
            Some(name) = input.stop.next() => return Ok(Exit::Signal(name)),
            event = events.recv() => match event {
                Some(SourceEvent::Snapshot(s)) => {
                    app.set_wall_clock(wall_clock());
                    app.ingest(s);
                    for effect in app.take_effects() {
                        run_effect(effect, app, sampler, env, guard);
                    }
                }
                Some(SourceEvent::SampleFailed(e)) => app.sample_failed(e),
                Some(SourceEvent::Applied(request, result, audit)) => app.applied(request, result, audit),
                Some(SourceEvent::Replay(cursor, frames)) => app.show_recorded(cursor, frames),
                Some(SourceEvent::Notice(text)) => app.toast(crate::app::state::Level::Warn, text),
                Some(SourceEvent::Past(past)) => app.restart_chart(past),
                None => anyhow::bail!("the sampler stopped"),
            },
            key = input.keys.next() => match key {
                Some(Ok(Event::Key(key))) => {
                    if let Some(action) = env.keys.action(key, InputMode::of(app))
                        && let Some(effect) = app.handle(action)
                        && run_effect(effect, app, sampler, env, guard)
                    {
                        return Ok(Exit::Quit);
                    }
                }
                Some(Ok(Event::Mouse(mouse))) => {
                    if let Some(action) = mouse_action(mouse, &panels, InputMode::of(app)) {
                        app.handle(action);
                    } else {
                        continue;
                    }
                }
                Some(Ok(Event::Resize(..))) => terminal.autoresize().map_err(|e| anyhow::anyhow!("resize: {e}"))?,
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(Exit::Signal("end of input")),
            },
        }
        dirty = true;
    }
}

/// Draws a frame and tells the app what was drawn: what the keys may act on is what is on
/// screen (nothing, on a too-small one), and how far the view there can scroll.
fn draw<B: ratatui::backend::Backend>(
    terminal: &mut ratatui::Terminal<B>,
    app: &mut App,
    look: &Look,
) -> anyhow::Result<ui::Panels> {
    let mut drawn = (ratatui::layout::Rect::default(), ui::Panels::default());
    terminal
        .draw(|f| drawn = (f.area(), ui::draw(f, app, look)))
        .map_err(|e| anyhow::anyhow!("draw: {e}"))?;
    let (area, panels) = drawn;
    app.resize(area.width, area.height);
    app.limit_scroll(panels.scroll_limit);
    Ok(panels)
}

/// Starts the guard on the change awaiting confirmation (real VFs only: a console without a
/// guard binary or an audit log starts none), standing down the one before it.
fn arm_guard(guard: &mut Option<Guard>, awaiting: Awaiting, env: &Runtime<'_>) {
    let (Some(bin), Some(audit)) = (env.guard_bin.as_deref(), env.audit_path.as_deref()) else { return };
    let Target::Vf(key) = awaiting.change.target else { return };
    let left = awaiting.deadline.saturating_sub(env.clock.now());
    let watch = Watch {
        key,
        partition: awaiting.partition,
        applied: awaiting.change.new,
        revert: awaiting.change.old,
        deadline: std::time::SystemTime::now() + left,
    };
    disarm_guard(guard);
    *guard = Guard::arm(bin, watch, audit)
        .inspect_err(|e| tracing::error!("commit-confirmed guard not started: {e}"))
        .ok();
}

/// Stands the guard down: the change it watched is settled.
fn disarm_guard(guard: &mut Option<Guard>) {
    if let Some(g) = guard.take() {
        g.disarm();
    }
}

/// Carries out one effect; true when the app asked to quit.
fn run_effect(
    effect: Effect,
    app: &mut App,
    sampler: &Sampler,
    env: &Runtime<'_>,
    guard: &mut Option<Guard>,
) -> bool {
    match effect {
        Effect::Quit => return true,
        Effect::ArmGuard(awaiting) => arm_guard(guard, awaiting, env),
        Effect::DisarmGuard => disarm_guard(guard),
        Effect::Apply(request) => sampler.send(Command::Apply(request)),
        Effect::Audit(request) => sampler.send(Command::Audit(request)),
        Effect::SetInterval(d) => sampler.send(Command::SetInterval(d)),
        Effect::Seek(seek) => sampler.send(Command::Seek(seek)),
        Effect::ShowHost(host) => sampler.send(Command::ShowHost(host, app.past_wanted())),
        Effect::ShowAudit => {
            let lines = match &env.audit_path {
                Some(path) => crate::audit::AuditLog::tail(path, AUDIT_VIEW_LINES)
                    .map_err(|error| crate::audit::TailError::Unreadable { path: path.clone(), error }),
                None => Err(crate::audit::TailError::NotConfigured),
            };
            app.show_audit(lines);
        }
    }
    false
}

/// For the end-to-end test of terminal restoration on panic: `VFTOP_TEST_PANIC_AFTER_MS=N`.
fn test_panic_deadline() -> Option<std::time::Instant> {
    let ms: u64 = std::env::var("VFTOP_TEST_PANIC_AFTER_MS").ok()?.parse().ok()?;
    Some(std::time::Instant::now() + Duration::from_millis(ms))
}

/// Local time of day, `HH:MM:SS`.
pub fn wall_clock() -> String {
    jiff::ZonedDateTime::now().strftime("%H:%M:%S").to_string()
}
