//! `vftop replay`: the console on a recording, read-only, with a time cursor; and the store a
//! replay or a dump reads.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use vftop::app::App;
use vftop::cli::{ConfigArg, LookArgs, SimArgs};
use vftop::model::RoleMap;
use vftop::record::default_dir;
use vftop::replay::demo::DemoRecording;
use vftop::source::{SourceKind, SystemClock};

/// How much a `--demo` replay or dump simulates.
const DEMO_SPAN: Duration = Duration::from_secs(30 * 60);

/// What `vftop replay` was asked.
pub struct ReplayRequest<'a> {
    pub dir: Option<&'a Path>,
    pub at: Option<String>,
    pub sim: &'a SimArgs,
    pub look: &'a LookArgs,
    pub config: &'a ConfigArg,
}

pub fn run(req: ReplayRequest) -> anyhow::Result<ExitCode> {
    let settings = vftop::config::load(req.config.config.as_deref()).map_err(anyhow::Error::msg)?;
    let mut look = req.look.clone();
    look.take_prefs(&settings.ui);
    let (themes, theme_index) = super::themes(&look, &settings)?;
    let opened = open_store(req.sim, req.dir)?;
    let name = if opened.temporary { "demo recording".to_string() } else { store_name(&opened.dir) };
    let view = vftop::app::options::ViewOptions { theme_index, ..Default::default() };
    let options = vftop::app::options::AppOptions { view, ..Default::default() };
    let app = replay_app(name, themes.iter().map(|t| t.name.clone()).collect(), settings.roles, options);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let sampler =
        vftop::replay::start(opened.dir.clone(), req.at, app.window, tx).map_err(anyhow::Error::msg)?;
    let clock = SystemClock::default();
    let runtime = vftop::tui::Runtime {
        clock: &clock,
        audit_path: None,
        guard_bin: None,
        mouse: !look.no_mouse,
        keys: settings.keys.clone(),
    };
    super::run_console(&look, themes, (app, sampler, rx), runtime)
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

pub fn open_store(sim: &SimArgs, dir: Option<&Path>) -> anyhow::Result<Opened> {
    if let Some(dir) = dir {
        return Ok(Opened { dir: dir.to_path_buf(), temporary: false });
    }
    if !sim.is_demo() {
        return Ok(Opened { dir: default_dir(false), temporary: false });
    }
    let dir = std::env::temp_dir().join(format!("vftop-demo-recording-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut demo = DemoRecording::reference(DEMO_SPAN);
    if let Some(path) = &sim.scenario {
        demo.scenario = vftop::source::sim::scenario::Scenario::load(path)?;
    }
    let opened = Opened { dir, temporary: true };
    demo.build(&opened.dir).context("building the demo recording")?;
    Ok(opened)
}

/// The replay console's app: read-only, with a time cursor.
/// What the header calls a store: its directory's name.
fn store_name(dir: &Path) -> String {
    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| dir.display().to_string())
}

pub fn replay_app(
    name: String,
    theme_names: Vec<String>,
    roles: RoleMap,
    options: vftop::app::options::AppOptions,
) -> App {
    App::new(SourceKind::Replay, name, roles, theme_names).configured(options).replaying()
}
