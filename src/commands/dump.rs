//! `vftop dump`: a recording as CSV, JSON Lines, events or OpenMetrics.

use std::process::ExitCode;
use vftop::cli::{RecordingArgs, SimArgs};
use vftop::record::dump::{self, Format, Request};
use vftop::record::store::Store;

/// `vftop dump`.
pub fn run(
    recording: &RecordingArgs,
    format: Format,
    fields: Vec<String>,
    events_only: bool,
) -> anyhow::Result<ExitCode> {
    let opened = super::replay::open_store(&SimArgs::default(), recording.dir.as_deref())?;
    let store = Store::open(&opened.dir)?;
    let window = super::window(recording, i64::MAX / 2, None)?;
    let req = Request { window, format, fields, events_only };
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
