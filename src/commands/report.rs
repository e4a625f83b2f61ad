//! `vftop report`: a window of a recording as the story of what happened in it.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use vftop::cli::{RecordingArgs, ReportFormat, SimArgs};
use vftop::record::store::Store;
use vftop::report;
use vftop::report::text::Style;
use vftop::times::{now_ms, parse_when};

/// A report's window when none is given: the last hour of the recording.
const DEFAULT_WINDOW: Duration = Duration::from_secs(3600);

/// What `vftop report` was asked.
pub struct ReportRequest<'a> {
    pub recording: &'a RecordingArgs,
    pub format: ReportFormat,
    pub out: Option<PathBuf>,
    pub compare: Option<Vec<String>>,
    pub window: Duration,
    pub sim: &'a SimArgs,
}

pub fn run(req: ReportRequest) -> anyhow::Result<ExitCode> {
    // --demo without a scenario: the reference half hour with an incident in it.
    let mut sim = req.sim.clone();
    if sim.demo && sim.scenario.is_none() {
        sim.scenario = Some(PathBuf::from("incident"));
    }
    let opened = super::replay::open_store(&sim, req.recording.dir.as_deref())?;
    let store = Store::open(&opened.dir)?;
    let Some(span) = store.span() else { anyhow::bail!("{} holds no samples", opened.dir.display()) };
    let request = super::window(req.recording, span.1, Some(DEFAULT_WINDOW))?;
    if let Some(times) = &req.compare {
        let now = now_ms();
        let when = |t: &str| parse_when(t, now).map_err(anyhow::Error::msg);
        let (t1, t2) = (when(&times[0])?, when(&times[1])?);
        let comparison = report::compare(&store, &request, t1, t2, req.window.as_millis() as i64);
        let text = match req.format {
            ReportFormat::Json => serde_json::to_string_pretty(&comparison)? + "\n",
            ReportFormat::Markdown => report::text::write_comparison(&comparison, Style::Markdown),
            _ => report::text::write_comparison(&comparison, Style::Text),
        };
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let built = report::build(&store, &opened.dir, &request);
    for w in &built.warnings {
        eprintln!("vftop report: warning: {w}");
    }
    if built.samples == 0 {
        let (a, b) = span;
        eprintln!(
            "vftop report: no samples in the window (the recording runs {})",
            vftop::record::dump::describe_range(a, b)
        );
    }
    match req.format {
        ReportFormat::Text => print!("{}", report::text::write(&built, Style::Text)),
        ReportFormat::Markdown => print!("{}", report::text::write(&built, Style::Markdown)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&built)?),
        ReportFormat::Html => {
            let page = report::html::page(&built);
            match &req.out {
                Some(dir) => write_files(dir, &[("report.html".into(), page)])?,
                None => print!("{page}"),
            }
        }
        ReportFormat::Svg => {
            let Some(dir) = &req.out else {
                anyhow::bail!(
                    "--format svg writes one file per episode (the worst {}): give --out DIR",
                    report::html::CHARTED
                )
            };
            write_files(dir, &report::html::svgs(&built))?;
            if built.episodes.len() > report::html::CHARTED {
                eprintln!(
                    "vftop report: {} more episodes not charted. {}",
                    built.episodes.len() - report::html::CHARTED,
                    report::html::uncharted_hint()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `files` into `dir` (made if missing) and says where.
fn write_files(dir: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("vftop report: wrote {}", path.display());
    }
    if files.is_empty() {
        eprintln!("vftop report: no episodes in the window: no charts written");
    }
    Ok(())
}
