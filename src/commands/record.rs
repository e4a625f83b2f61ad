//! `vftop record`: the headless flight recorder.

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use vftop::cli::{AuditArg, ConfigArg, SourceArgs};
use vftop::protocol::SourceEvent;
use vftop::record::store::Retention;
use vftop::record::{Recorder, default_dir};
use vftop::sampler::{Sampler, Sinks};
use vftop::source::SourceKind;

/// What `vftop record` was asked.
pub struct RecordRequest<'a> {
    pub dir: &'a Option<PathBuf>,
    pub retain: Option<Duration>,
    pub max_size: Option<u64>,
    pub source: &'a SourceArgs,
    pub config: &'a ConfigArg,
    pub audit: &'a AuditArg,
    pub interval: Duration,
}

/// `vftop record`: samples on the interval into the store until SIGTERM or SIGINT. A write
/// that fails (disk full) is logged and retried with every sample; sampling goes on.
pub fn run(req: RecordRequest) -> anyhow::Result<ExitCode> {
    let RecordRequest { dir, retain, max_size, source: source_args, config, audit, interval } = req;
    let settings = vftop::config::load(config.config.as_deref()).map_err(anyhow::Error::msg)?;
    let clock = std::sync::Arc::new(vftop::source::SystemClock::default());
    let mut source = super::open_source(source_args, &settings.owners, clock)?;
    super::check_interfaces(source_args, source.as_mut())?;
    let roles = super::roles(source.as_ref(), settings.roles);
    let demo = source_args.sim.is_demo();
    // SIGTERM/SIGINT are ours from here on: a stop during start-up still closes cleanly.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (mut term, mut int) = {
        use tokio::signal::unix::{SignalKind, signal};
        let _inside = runtime.enter();
        (signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?)
    };
    let dir = dir.clone().unwrap_or_else(|| default_dir(demo));
    let defaults = Retention::default();
    let retention = Retention {
        max_age: retain.unwrap_or(defaults.max_age),
        max_bytes: max_size.unwrap_or(defaults.max_bytes),
    };
    let mut recorder = Recorder::open(&dir, retention, roles, Some(audit.path(demo)))
        .with_context(|| format!("cannot record into {}", dir.display()))?;
    recorder.on_stderr = true;
    if demo {
        recorder.audit_from_another_simulator();
    }
    eprintln!(
        "vftop record: {} every {} into {} (keeping {}, at most {} MiB); SIGTERM stops",
        source.kind().label(),
        vftop::units::format_span(interval),
        dir.display(),
        vftop::units::format_span(retention.max_age),
        retention.max_bytes >> 20
    );
    let is_kernel = source.kind() == SourceKind::Kernel;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sampler = Sampler::with_sinks(source, interval, tx, Sinks { audit: None, recorder: Some(recorder) });
    if is_kernel {
        vftop::sampler::follow_link_changes(sampler.commander());
    }
    runtime.block_on(async {
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = int.recv() => break,
                event = rx.recv() => match event {
                    Some(SourceEvent::SampleFailed(e)) => tracing::warn!("sample failed: {e}"),
                    Some(_) => {}
                    None => break,
                },
            }
        }
    });
    drop(sampler); // stops the thread, which closes the store (synced)
    eprintln!("vftop record: stopped; {} closed", dir.display());
    Ok(ExitCode::SUCCESS)
}
