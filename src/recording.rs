//! The binary's flight-recorder commands: `record`, `replay`, `dump`, and the console's
//! preload of the last hour from a recorder's store.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use vftop::app::App;
use vftop::cli::Cli;
use vftop::model::RoleMap;
use vftop::record::dump::{self, Request};
use vftop::record::store::{Retention, Store};
use vftop::record::{Recorder, default_dir, format_ms, now_ms, parse_when};
use vftop::replay::demo::DemoRecording;
use vftop::sampler::{Sampler, Sinks, SourceEvent};
use vftop::source::{Source, SourceKind};

/// How much a `--demo` replay or dump simulates.
const DEMO_SPAN: Duration = Duration::from_secs(30 * 60);

/// `vftop record`: samples on the interval into the store until SIGTERM or SIGINT. A write
/// that fails (disk full) is logged and retried with every sample; sampling goes on.
pub fn record(
    cli: &Cli,
    source: Box<dyn Source>,
    roles: RoleMap,
    opts: (Option<PathBuf>, Duration, u64),
) -> anyhow::Result<ExitCode> {
    let (dir, retain, max_size) = opts;
    // SIGTERM/SIGINT are ours from here on: a stop during start-up still closes cleanly.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (mut term, mut int) = {
        use tokio::signal::unix::{SignalKind, signal};
        let _inside = runtime.enter();
        (signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?)
    };
    let dir = dir.unwrap_or_else(|| default_dir(cli.is_demo()));
    let retention = Retention { max_age: retain, max_bytes: max_size };
    let mut recorder = Recorder::open(&dir, retention, roles, Some(super::audit_path(cli)))
        .with_context(|| format!("cannot record into {}", dir.display()))?;
    recorder.on_stderr = true;
    eprintln!(
        "vftop record: {} every {} into {} (keeping {}, at most {} MiB); SIGTERM stops",
        source.kind().label(),
        humantime::format_duration(cli.interval),
        dir.display(),
        humantime::format_duration(retain),
        max_size >> 20
    );
    let is_kernel = source.kind() == SourceKind::Kernel;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sampler =
        Sampler::with_sinks(source, cli.interval, tx, Sinks { audit: None, recorder: Some(recorder) });
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

/// The store a replay or dump reads: the one named, a fresh demo recording, or the recorder's.
/// A demo recording lives in a temporary directory removed when this is dropped.
pub struct Opened {
    pub dir: PathBuf,
    temporary: bool,
}

impl Drop for Opened {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn open_store(cli: &Cli, dir: Option<&Path>) -> anyhow::Result<Opened> {
    if let Some(dir) = dir {
        return Ok(Opened { dir: dir.to_path_buf(), temporary: false });
    }
    if !cli.is_demo() {
        return Ok(Opened { dir: default_dir(false), temporary: false });
    }
    let dir = std::env::temp_dir().join(format!("vftop-demo-recording-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut demo = DemoRecording::reference(DEMO_SPAN);
    if let Some(path) = &cli.scenario {
        demo.scenario = vftop::source::sim::scenario::Scenario::load(path)?;
    }
    let opened = Opened { dir, temporary: true };
    demo.build(&opened.dir).context("building the demo recording")?;
    Ok(opened)
}

/// The replay console's app: read-only, with a time cursor.
pub fn replay_app(dir: &Path, theme_names: Vec<String>, roles: RoleMap) -> App {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    let mut app = App::new(SourceKind::Replay, name, roles, theme_names);
    app.flow.read_only = Some("replaying a recording".into());
    app.replay = Some(Default::default());
    app
}

/// `vftop dump`.
pub fn dump(
    cli: &Cli,
    dir: Option<&Path>,
    mut req: Request,
    times: (Option<&str>, Option<&str>),
) -> anyhow::Result<ExitCode> {
    let opened = open_store(cli, dir)?;
    let store = Store::open(&opened.dir)?;
    let now = now_ms();
    req.from_ms =
        times.0.map(|t| parse_when(t, now)).transpose().map_err(anyhow::Error::msg)?.unwrap_or(i64::MIN / 2);
    req.to_ms =
        times.1.map(|t| parse_when(t, now)).transpose().map_err(anyhow::Error::msg)?.unwrap_or(i64::MAX / 2);
    if req.from_ms > req.to_ms {
        anyhow::bail!("--from {} is after --to {}", format_ms(req.from_ms), format_ms(req.to_ms));
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let summary = match dump::dump(&store, &req, &mut out) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        other => other?,
    };
    if let Err(e) = std::io::Write::flush(&mut out)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    for w in &summary.warnings {
        eprintln!("vftop dump: warning: {w}");
    }
    if summary.rows == 0 && !req.events_only {
        let span = store.span().map(|(a, b)| dump::describe_range(a, b)).unwrap_or_default();
        eprintln!("vftop dump: no samples matched (the recording runs {span})");
    }
    Ok(ExitCode::SUCCESS)
}
