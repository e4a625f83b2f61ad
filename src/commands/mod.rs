//! The binary's subcommands, one file each, and what they share: opening a source, the host
//! name, the log, the console's terminal run.

pub mod console;
pub mod declared;
pub mod declared_watch;
pub mod dump;
pub mod fleet;
pub mod guard;
pub mod man;
pub mod record;
pub mod replay;
pub mod report;
pub mod serve;
pub mod set;

use anyhow::bail;
use std::process::ExitCode;
use std::sync::Arc;
use vftop::app::App;
use vftop::cli::{LookArgs, SimArgs, SourceArgs};
use vftop::config;
use vftop::config::OwnerPrefs;
use vftop::model::RoleMap;
use vftop::protocol::SourceEvent;
use vftop::sampler::Sampler;
use vftop::source::kernel::{KernelSource, LinkFilter};
use vftop::source::owners::OwnerConfig;
use vftop::source::sim::SimSource;
use vftop::source::sim::scenario::Scenario;
use vftop::source::{Clock, Source};
use vftop::tui::{self, Exit};
use vftop::ui::look::{ColorDepth, Glyphs, Look};
use vftop::ui::theme::Theme;

/// The source `args` name: the simulator (`--demo`, `--scenario`), else the kernel's PFs.
pub fn open_source(
    args: &SourceArgs,
    owners: &OwnerPrefs,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Box<dyn Source>> {
    if args.sim.is_demo() {
        let sim = simulator(&args.sim, clock)?;
        // Simulated VFs are nobody's here: only owner sources named on the command line.
        let named =
            args.kubelet_socket.is_some() || args.libvirt_run_dir.is_some() || args.cni_cache_dir.is_some();
        return Ok(if named {
            let config = OwnerConfig {
                kubelet_socket: args.kubelet_socket.clone(),
                libvirt_run_dir: args.libvirt_run_dir.clone(),
                cni_cache_dir: args.cni_cache_dir.clone(),
                ..owner_config(args, owners)
            };
            Box::new(vftop::source::owners::WithOwners::new(sim, config))
        } else {
            Box::new(sim)
        });
    }
    let filter = LinkFilter { interfaces: args.interfaces.clone(), all_links: args.all_links };
    let mut source = KernelSource::open(filter, clock)?.with_owners(owner_config(args, owners));
    let first = source.sample()?;
    if let Some(missing) = args.interfaces.iter().find(|i| first.pf(i).is_none()) {
        bail!("no interface named {missing} among the {} links the kernel listed", source.links_seen());
    }
    if first.pfs.is_empty() {
        bail!(
            "no PF with SR-IOV VFs found among the {} network interfaces in this namespace.\n\
             Try `vftop --demo` for the simulated NIC, or `vftop --all-links` to watch ordinary interfaces.",
            source.links_seen()
        );
    }
    Ok(Box::new(source))
}

/// Where owners are looked up: the command line, else the config's `[owners]`, else the
/// standard places.
pub fn owner_config(args: &SourceArgs, prefs: &OwnerPrefs) -> OwnerConfig {
    let default = OwnerConfig::default();
    type Place = Option<std::path::PathBuf>;
    let pick = |cli: &Place, file: &Place, or: Place| cli.clone().or_else(|| file.clone()).or(or);
    OwnerConfig {
        mode: args.owners.or(prefs.mode).unwrap_or(default.mode),
        kubelet_socket: pick(&args.kubelet_socket, &prefs.kubelet_socket, default.kubelet_socket),
        libvirt_run_dir: pick(&args.libvirt_run_dir, &prefs.libvirt_run_dir, default.libvirt_run_dir),
        cni_cache_dir: pick(&args.cni_cache_dir, &prefs.cni_cache_dir, default.cni_cache_dir),
        refresh: prefs
            .refresh
            .as_deref()
            .and_then(|r| vftop::units::parse_span(r).ok())
            .unwrap_or(default.refresh),
        root: default.root,
    }
}

/// The window `--from`/`--to`, `--pf`/`--vf` name: `--to` else `default_to`; `--from` else
/// `span` before the end (`None`: from the start).
pub fn window(
    recording: &vftop::cli::RecordingArgs,
    default_to: i64,
    span: Option<std::time::Duration>,
) -> anyhow::Result<vftop::record::Window> {
    use vftop::times::{format_ms, now_ms, parse_when};
    let now = now_ms();
    let when =
        |t: &Option<String>| t.as_deref().map(|t| parse_when(t, now)).transpose().map_err(anyhow::Error::msg);
    let to_ms = when(&recording.to)?.unwrap_or(default_to);
    let from_ms =
        when(&recording.from)?.unwrap_or_else(|| span.map_or(i64::MIN / 2, |s| to_ms - s.as_millis() as i64));
    if from_ms > to_ms {
        anyhow::bail!("--from {} is after --to {}", format_ms(from_ms), format_ms(to_ms));
    }
    Ok(vftop::record::Window { from_ms, to_ms, pf: recording.pf.clone(), vf: recording.vf })
}

/// The simulated NIC of `--scenario` (the reference design without one), seeded by `--seed`.
pub fn simulator(sim: &SimArgs, clock: Arc<dyn Clock>) -> anyhow::Result<SimSource> {
    let mut scenario = match &sim.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::reference(),
    };
    if let Some(seed) = sim.seed {
        scenario.seed = seed;
    }
    Ok(SimSource::new(scenario, clock))
}

/// The simulator names partitions itself; `-i` names PFs it does not have: said, not ignored.
pub fn check_interfaces(args: &SourceArgs, source: &mut dyn Source) -> anyhow::Result<()> {
    if args.interfaces.is_empty() || !args.sim.is_demo() {
        return Ok(());
    }
    let first = source.sample()?;
    if let Some(missing) = args.interfaces.iter().find(|i| first.pf(i).is_none()) {
        let pfs: Vec<&str> = first.pfs.iter().map(|p| p.name.as_str()).collect();
        bail!("the simulated NIC has no PF named {missing} (it has {})", pfs.join(", "));
    }
    Ok(())
}

/// The config's roles over the names the source gives its partitions itself (a scenario's):
/// a roles file names the partitions of a demo too.
pub fn roles(source: &dyn Source, config: RoleMap) -> RoleMap {
    config.over(source.roles())
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// The themes, and which one `look` (or `NO_COLOR`) asks for; a name the config gave that is
/// no theme is an error naming the config file.
pub fn themes(look: &LookArgs, settings: &config::Config) -> anyhow::Result<(Vec<Theme>, usize)> {
    let themes = Theme::load_all(vftop::paths::config_dir().map(|d| d.join("themes")).as_deref())?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let name = if no_color { "mono".into() } else { look.theme.clone().unwrap_or_else(|| "dark".into()) };
    let index = Theme::find(&themes, &name).map_err(|e| match &settings.ui.theme {
        Some(from_config) if *from_config == name => {
            anyhow::anyhow!("{}: [ui] theme = \"{name}\": {e}", settings.source)
        }
        _ => e.into(),
    })?;
    Ok((themes, index))
}

/// Runs the console on a sampler (live, replay or fleet) and says how it ended.
pub fn run_console(
    look: &LookArgs,
    themes: Vec<Theme>,
    (app, sampler, rx): (App, Sampler, tokio::sync::mpsc::UnboundedReceiver<SourceEvent>),
    runtime_env: tui::Runtime<'_>,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let env = |name: &str| std::env::var(name).ok();
    let look = Look::new(themes, Glyphs::detect(look.ascii, env), ColorDepth::detect(look.low_color, env));
    let exit = runtime.block_on(tui::run(app, look, sampler, rx, runtime_env))?;
    Ok(match exit {
        Exit::Quit => ExitCode::SUCCESS,
        Exit::Signal(name) => {
            tui::say(&format!("vftop: stopped by {name}; terminal restored"));
            ExitCode::from(130)
        }
    })
}

/// Logs go to a file, never to the screen the TUI draws on.
pub fn init_logging(path: Option<&std::path::Path>) {
    let path = path
        .map(std::path::Path::to_path_buf)
        .or_else(|| vftop::paths::state_dir().map(|d| d.join("vftop.log")));
    let Some(path) = path else { return };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(&path) else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("VFTOP_LOG").unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}

/// Resolves on SIGTERM or SIGINT.
pub async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
