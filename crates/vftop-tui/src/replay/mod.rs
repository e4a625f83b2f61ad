//! Replay: the replay console's sampler. A thread that owns a recording and answers each seek
//! with the samples of the chart window that ends at the cursor.

pub mod demo;

use crate::app::Seek;
use crate::app::timeline::ReplayCursor;
use crate::model::Snapshot;
use crate::protocol::{Command, SourceEvent};
use crate::record::frame::keep_all;
use crate::record::store::{Store, StoreError};
use crate::sampler::Sampler;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// At most this many samples go to the console per view (evenly thinned beyond): the chart
/// has fewer columns, and a window of an hour at 1 s would be 3 600.
const MAX_FRAMES: usize = 600;

/// What the replay thread keeps.
struct Replayer {
    dir: PathBuf,
    store: Store,
    cursor_ms: i64,
    window: Duration,
    /// First and last sample times, as of the last look at the store.
    span: (i64, i64),
    /// Sample times around the cursor, read once per seek (each read scans up to 3 shards).
    near: Vec<i64>,
}

/// Why a replay cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{0}")]
    Store(StoreError),
    /// `--at` is not a time.
    #[error("{0}")]
    At(crate::times::WhenError),
    /// `--at` more than a minute before or after the recording (`span`: its first and last
    /// sample).
    #[error(
        "{} is outside the recording, which runs {}",
        crate::times::format_ms(*at_ms),
        crate::record::dump::describe_range(span.0, span.1)
    )]
    Outside { at_ms: i64, span: (i64, i64) },
    /// The replay thread could not be started.
    #[error("{0}")]
    Thread(std::io::Error),
}

/// Opens the recording in `dir` and starts the thread; the first view (at `at_ms`, or the
/// newest sample) is sent at once.
pub fn start(
    dir: PathBuf,
    at: Option<String>,
    window: Duration,
    events: UnboundedSender<SourceEvent>,
) -> Result<Sampler, ReplayError> {
    let store = Store::open(&dir).map_err(ReplayError::Store)?;
    let (first, last) = store.span().ok_or_else(|| ReplayError::Store(StoreError::Empty(dir.clone())))?;
    let cursor_ms = match &at {
        Some(text) => crate::times::parse_when(text, crate::times::now_ms()).map_err(ReplayError::At)?,
        None => last,
    };
    if at.is_some() && !(first - 60_000..=last + 60_000).contains(&cursor_ms) {
        return Err(ReplayError::Outside { at_ms: cursor_ms, span: (first, last) });
    }
    let mut replayer = Replayer { dir, store, cursor_ms, window, span: (first, last), near: Vec::new() };
    replayer.snap(cursor_ms);
    let (commands, inbox) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("vftop-replay".into())
        .spawn(move || replayer.run(&inbox, &events))
        .map_err(ReplayError::Thread)?;
    Ok(Sampler::from_parts(commands, thread))
}

impl Replayer {
    fn run(&mut self, inbox: &mpsc::Receiver<Command>, events: &UnboundedSender<SourceEvent>) {
        if events.send(self.view()).is_err() {
            return;
        }
        while let Ok(command) = inbox.recv() {
            let reply = match command {
                Command::Seek(seek) => match self.seek(seek) {
                    Ok(None) => self.view(),
                    // Outside the recording: the nearest end is shown, and said.
                    Ok(Some(clamped)) => {
                        if events.send(self.view()).is_err() {
                            return;
                        }
                        SourceEvent::Notice(clamped)
                    }
                    Err(e) => SourceEvent::Notice(e.to_string()),
                },
                Command::Apply(request) => {
                    let refusal = crate::source::ApplyError::Invalid("a recording is read-only".into());
                    SourceEvent::Applied(request, Err(refusal), Ok(()))
                }
                // A recording plays at the interval it was recorded at.
                Command::SetInterval(_) => SourceEvent::Notice(
                    "a recording keeps its own interval: ←/→ step a sample, S-←/→ a minute".into(),
                ),
                // Nothing is decided in a replay, so there is nothing to audit.
                Command::Audit(_) | Command::ShowHost(..) => continue,
                // The store may have grown (a recorder still writing): look again.
                Command::SampleNow => match self.seek(Seek::Samples(0)) {
                    Ok(_) => self.view(),
                    Err(e) => SourceEvent::Notice(e.to_string()),
                },
                Command::Stop => return,
            };
            if events.send(reply).is_err() {
                return;
            }
        }
    }

    /// Moves the cursor; the store is looked at again first (a recorder may still be writing).
    /// A time typed outside the recording goes to its nearest end, with a sentence saying so.
    fn seek(&mut self, seek: Seek) -> Result<Option<String>, crate::times::WhenError> {
        if let Ok(store) = Store::open(&self.dir) {
            self.span = store.span().unwrap_or(self.span);
            self.store = store;
        }
        let target = match seek {
            Seek::Samples(n) => {
                self.near = self.store.times_near(self.cursor_ms);
                let here = self.near.partition_point(|t| *t < self.cursor_ms) as i64;
                let i = (here + n).clamp(0, self.near.len() as i64 - 1);
                self.near.get(i as usize).copied().unwrap_or(self.cursor_ms)
            }
            Seek::Millis(ms) => self.cursor_ms + ms,
            Seek::To(at) => at,
            Seek::Text(text) => {
                let at = crate::times::parse_when(&text, crate::times::now_ms())?;
                self.snap(at);
                let (first, last) = self.span;
                let when = crate::times::format_ms;
                return Ok(if at < first {
                    Some(format!(
                        "{text}: before the recording; at its first sample, {}",
                        when(self.cursor_ms)
                    ))
                } else if at > last {
                    Some(format!(
                        "{text}: after the recording; at its newest sample, {}",
                        when(self.cursor_ms)
                    ))
                } else {
                    None
                });
            }
            Seek::Newest => i64::MAX,
            Seek::Window(window) => {
                self.window = window;
                self.cursor_ms
            }
        };
        self.snap(target);
        Ok(None)
    }

    /// Puts the cursor on the sample at or before `at` (the first one when `at` is before the
    /// recording), keeping the times around it for the view; a step within them reads none again.
    fn snap(&mut self, at: i64) {
        let at = at.clamp(self.span.0, self.span.1);
        let known = self.near.first().zip(self.near.last()).is_some_and(|(a, b)| (*a..=*b).contains(&at));
        if !known {
            self.near = self.store.times_near(at);
        }
        let i = self.near.partition_point(|t| *t <= at);
        self.cursor_ms = self.near.get(i.saturating_sub(1)).copied().unwrap_or(at);
    }

    /// The samples of the window ending at the cursor, thinned to [`MAX_FRAMES`].
    fn view(&self) -> SourceEvent {
        let from = self.cursor_ms - self.window.as_millis() as i64;
        let times: Vec<i64> =
            self.near.iter().copied().filter(|t| (from..=self.cursor_ms).contains(t)).collect();
        let every = times.len().div_ceil(MAX_FRAMES).max(1);
        let wanted: std::collections::HashSet<i64> = times.iter().rev().step_by(every).copied().collect();
        let mut frames: Vec<Snapshot> = Vec::with_capacity(wanted.len());
        let warnings = self.store.visit((from, self.cursor_ms), &keep_all, &mut |f| {
            if wanted.contains(&f.at_ms) {
                frames.push(f.snapshot);
            }
        });
        let (first_ms, last_ms) = self.span;
        let (events, _) = crate::record::events::read(&self.dir, i64::MIN, i64::MAX);
        let cursor = ReplayCursor {
            at_ms: self.cursor_ms,
            first_ms,
            last_ms,
            interval: typical_step(&times).unwrap_or(Duration::from_secs(1)),
            events,
            warnings,
        };
        SourceEvent::Replay(cursor, frames)
    }
}

/// The live console starts with the last hour of a recorder's store on its chart, where one
/// exists: samples mapped onto the console's clock, at most one per 5 s.
pub fn preload(app: &mut crate::app::App, dir: &std::path::Path, clock: &dyn crate::source::Clock) -> usize {
    let Ok(store) = Store::open(dir) else { return 0 };
    let now = crate::times::now_ms();
    let span = Duration::from_secs(3600).min(clock.now().saturating_sub(Duration::from_secs(1)));
    let from = now - span.as_millis() as i64;
    let mut loaded = 0;
    let mut last_kept = i64::MIN;
    let warnings = store.visit((from, now), &keep_all, &mut |mut frame| {
        if frame.at_ms.saturating_sub(last_kept) < 5_000 {
            return;
        }
        let Some(at) = clock.now().checked_sub(Duration::from_millis((now - frame.at_ms).max(0) as u64))
        else {
            return;
        };
        last_kept = frame.at_ms;
        frame.snapshot.taken_at = at;
        app.ingest_past(frame.snapshot);
        loaded += 1;
    });
    for w in warnings {
        tracing::warn!("preload from {}: {w}", dir.display());
    }
    loaded
}

/// The usual time between samples (the median step).
fn typical_step(times: &[i64]) -> Option<Duration> {
    let mut steps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0).collect();
    steps.sort_unstable();
    steps.get(steps.len() / 2).map(|ms| Duration::from_millis(*ms as u64))
}
