//! The sampler: a thread that owns a source, samples it on an interval and applies changes,
//! reporting over a channel so the UI never waits on the kernel.

use crate::app::ApplyRequest;
use crate::audit::{Actor, Attempt, AuditError, AuditLog};
use crate::model::RateLimit;
use crate::protocol::{Command, SourceEvent};
use crate::source::{ApplyError, PastWanted, Source};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// Where samples and changes go besides the console: the audit log and the recorder.
#[derive(Default)]
pub struct Sinks {
    pub audit: Option<(AuditLog, Actor)>,
    pub recorder: Option<crate::record::Recorder>,
}

/// Handle to a running sampler thread.
pub struct Sampler {
    commands: mpsc::Sender<Command>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    pub fn start(
        source: Box<dyn Source>,
        interval: Duration,
        events: UnboundedSender<SourceEvent>,
    ) -> Sampler {
        Sampler::with_audit(source, interval, events, None)
    }

    /// A sampler that appends every attempted change to `audit` before reporting it.
    pub fn with_audit(
        source: Box<dyn Source>,
        interval: Duration,
        events: UnboundedSender<SourceEvent>,
        audit: Option<(AuditLog, Actor)>,
    ) -> Sampler {
        Sampler::with_sinks(source, interval, events, Sinks { audit, recorder: None })
    }

    /// A sampler that also hands every sample to the recorder (when there is one).
    #[expect(clippy::expect_used, reason = "a process that cannot start one thread cannot sample at all")]
    pub fn with_sinks(
        mut source: Box<dyn Source>,
        interval: Duration,
        events: UnboundedSender<SourceEvent>,
        mut sinks: Sinks,
    ) -> Sampler {
        let (commands, inbox) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("vftop-sampler".into())
            .spawn(move || {
                run(source.as_mut(), interval, &inbox, &events, &mut sinks);
                if let Some(Err(e)) = sinks.recorder.map(crate::record::Recorder::close) {
                    tracing::error!("recorder: closing: {e}");
                }
            })
            .expect("spawn sampler thread");
        Sampler { commands, thread: Some(thread) }
    }

    /// A handle on a thread that already answers these commands (the replayer).
    pub fn from_parts(commands: mpsc::Sender<Command>, thread: std::thread::JoinHandle<()>) -> Sampler {
        Sampler { commands, thread: Some(thread) }
    }

    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// A handle other threads can use to send commands (e.g. a link monitor).
    pub fn commander(&self) -> mpsc::Sender<Command> {
        self.commands.clone()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    source: &mut dyn Source,
    mut interval: Duration,
    inbox: &mpsc::Receiver<Command>,
    events: &UnboundedSender<SourceEvent>,
    sinks: &mut Sinks,
) {
    let audit = &mut sinks.audit;
    let mut next = Instant::now();
    // The chart's past to send after the next sample (which shows what it is the past of).
    let mut past_wanted: Option<PastWanted> = None;
    loop {
        let now = Instant::now();
        if now >= next {
            let event = match source.sample() {
                Ok(mut s) => {
                    s.sample_duration = now.elapsed();
                    if let Some(recorder) = sinks.recorder.as_mut() {
                        recorder.record(crate::times::now_ms(), &s);
                    }
                    SourceEvent::Snapshot(s)
                }
                Err(e) => SourceEvent::SampleFailed(e.to_string()),
            };
            let sampled = matches!(event, SourceEvent::Snapshot(_));
            if events.send(event).is_err() {
                return;
            }
            if let Some(PastWanted { span, step }) = past_wanted.take_if(|_| sampled) {
                let past = source.history(span, step);
                if !past.is_empty() && events.send(SourceEvent::Past(past)).is_err() {
                    return;
                }
            }
            next += interval;
            if next < now {
                next = now + interval;
            }
            continue;
        }
        match inbox.recv_timeout(next - now) {
            Ok(Command::SetInterval(d)) => {
                next = next - interval + d;
                interval = d;
            }
            Ok(Command::Apply(request)) => {
                let result = source.apply(&request.change);
                tracing::info!(change = ?request.change, ?result, "rate change");
                let audited =
                    audit.as_mut().map_or(Ok(()), |(log, actor)| write_audit(log, actor, &request, &result));
                if events.send(SourceEvent::Applied(request, result, audited)).is_err() {
                    return;
                }
            }
            Ok(Command::Audit(request)) => {
                if let Some((log, actor)) = audit.as_mut()
                    && let Err(e) = write_audit(log, actor, &request, &Ok(request.change.new))
                {
                    tracing::error!("audit record not written: {e}");
                }
            }
            Ok(Command::SampleNow) => next = Instant::now(),
            Ok(Command::ShowHost(host, past)) => {
                source.show_host(host.as_deref());
                past_wanted = Some(past);
                next = Instant::now();
            }
            Ok(Command::Seek(_)) => {
                let text = "a live console has no time cursor: ←/→ and g move a replay (vftop replay)";
                if events.send(SourceEvent::Notice(text.into())).is_err() {
                    return;
                }
            }
            Ok(Command::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Resamples as soon as the kernel announces a link change (`RTNLGRP_LINK`), so VFs and PFs
/// that appear or vanish show without waiting for the next interval. Runs on its own thread
/// until the sampler is gone.
pub fn follow_link_changes(sampler: mpsc::Sender<Command>) {
    let Ok(mut monitor) = crate::source::kernel::rtnl::Rtnl::link_monitor() else {
        tracing::warn!("no link notifications; topology changes show at the next sample");
        return;
    };
    let spawned = std::thread::Builder::new().name("vftop-links".into()).spawn(move || {
        while monitor.wait_for_link_events().is_ok() {
            std::thread::sleep(Duration::from_millis(100)); // let a burst settle
            if sampler.send(Command::SampleNow).is_err() {
                return;
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("link monitor thread: {e}");
    }
}

/// Appends the attempt to the audit log (fsynced) before the UI hears of the outcome.
fn write_audit(
    log: &mut AuditLog,
    actor: &Actor,
    request: &ApplyRequest,
    result: &Result<RateLimit, ApplyError>,
) -> Result<(), AuditError> {
    let attempt = Attempt {
        confirm_within_secs: request.confirm_within.map(|d| d.as_secs()),
        ..Attempt::new(&request.change, &request.partition, request.reason, result)
    };
    log.write(actor, &attempt)
}
