//! `vftop dump`: a recording as CSV, JSON Lines, events or OpenMetrics.

use std::path::Path;
use std::process::ExitCode;
use vftop::cli::SimArgs;
use vftop::record::dump::{self, Request};
use vftop::record::store::Store;
use vftop::times::{format_ms, now_ms, parse_when};

/// `vftop dump`.
pub fn run(
    dir: Option<&Path>,
    mut req: Request,
    times: (Option<&str>, Option<&str>),
) -> anyhow::Result<ExitCode> {
    let opened = super::replay::open_store(&SimArgs::default(), dir)?;
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
