//! The `vftop` binary: options → source → console (or a headless report).

use anyhow::{Context, bail};
use std::process::ExitCode;
use std::sync::Arc;
use vftop::app::App;
use vftop::app::control::{EditContext, validate_limit};
use vftop::app::report::{json_report, text_report};
use vftop::audit::{Actor, Attempt, AuditLog, Reason};
use vftop::cli::{Cli, Command};
use vftop::config;
use vftop::export::web_config::{Users, WebConfig};
use vftop::model::{BitsPerSec, Capabilities, Mbps, RateChange, RateLimit, VfKey};
use vftop::sampler::Sampler;
use vftop::source::fleet::{DemoFleet, FleetConfig, FleetSource};
use vftop::source::kernel::{KernelSource, LinkFilter};
use vftop::source::sim::SimSource;
use vftop::source::sim::scenario::Scenario;
use vftop::source::{Clock, Source, SystemClock};
use vftop::tui::{self, Exit};
use vftop::ui::look::{ColorDepth, Glyphs, Look};
use vftop::ui::theme::Theme;

mod recording;

fn main() -> ExitCode {
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    let cli = <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let given = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    match run(cli, &given) {
        Ok(code) => code,
        Err(e) => {
            tui::say(&format!("vftop: {e:#}"));
            ExitCode::from(2)
        }
    }
}

fn run(mut cli: Cli, given: &dyn Fn(&str) -> bool) -> anyhow::Result<ExitCode> {
    if cli.print_config_template {
        print!("{}", config::TEMPLATE);
        return Ok(ExitCode::SUCCESS);
    }
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "vftop", &mut std::io::stdout());
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Man) => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut std::io::stdout())?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    init_logging(&cli);
    if let Some(Command::Guard { pf, vf, applied, revert, deadline_unix_ms, partition }) = &cli.command {
        let watch = vftop::guard::Watch {
            key: VfKey { pf: pf.clone(), vf: *vf },
            partition: partition.clone(),
            applied: *applied,
            revert: *revert,
            deadline: std::time::UNIX_EPOCH + std::time::Duration::from_millis(*deadline_unix_ms),
        };
        return run_guard(&cli, watch);
    }
    let settings = config::load(cli.config.as_deref()).map_err(anyhow::Error::msg)?;
    cli.take_prefs(&settings.ui, given);
    let themes = Theme::load_all(config::config_dir().map(|d| d.join("themes")).as_deref())?;
    let theme_index = Theme::find(&themes, &theme_name(&cli))?;
    let roles = settings.roles;
    if let Some(Command::Dump { dir, from, to, pf, vf, format, fields, events }) = &cli.command {
        let fields =
            vftop::record::dump::Request::parse_fields(fields.as_deref()).map_err(anyhow::Error::msg)?;
        let request = vftop::record::dump::Request {
            from_ms: 0,
            to_ms: 0,
            pf: pf.clone(),
            vf: *vf,
            format: *format,
            fields,
            events_only: *events,
        };
        return recording::dump(&cli, dir.as_deref(), request, (from.as_deref(), to.as_deref()));
    }
    if let Some(Command::Replay { dir, at }) = &cli.command {
        let opened = recording::open_store(&cli, dir.as_deref())?;
        let mut app =
            recording::replay_app(&opened.dir, themes.iter().map(|t| t.name.clone()).collect(), roles);
        app.theme_index = theme_index;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let sampler = vftop::replay::start(opened.dir.clone(), at.clone(), app.window, tx)
            .map_err(anyhow::Error::msg)?;
        let clock = SystemClock::default();
        return console(
            &cli,
            themes,
            (app, sampler, rx),
            tui::Runtime {
                clock: &clock,
                audit_path: None,
                guard_bin: None,
                mouse: !cli.no_mouse,
                keys: settings.keys.clone(),
            },
        );
    }
    // Samples from a recorder's store go on the chart before the console's own: its clock
    // starts two hours in, so they have times of their own.
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::starting_at(std::time::Duration::from_secs(7200)));
    let mut source = open_source(&cli, clock.clone())?;
    if let Some(Command::Record { dir, retain, max_size }) = &cli.command {
        let mut roles_all = source.roles();
        roles_all.merge(roles);
        return recording::record(&cli, source, roles_all, (dir.clone(), *retain, *max_size));
    }
    if let Some(Command::Set { pf, vf, max, min, no_precheck }) = &cli.command {
        let audit = (AuditLog::open(&audit_path(&cli))?, Actor::current(&hostname()));
        let key = VfKey { pf: pf.clone(), vf: *vf };
        let request = SetRequest { key, max: *max, min: *min, no_precheck: *no_precheck };
        let code = set_rate(source, request, audit);
        if cli.demo || cli.scenario.is_some() {
            eprintln!(
                "vftop: (a simulator started for this command alone took the change; no NIC, and no \
                 other vftop --demo, saw it)"
            );
        }
        return code;
    }
    if let Some(Command::Serve { listen, ethtool_stats, web_config }) = &cli.command {
        let web = match web_config {
            Some(path) => WebConfig::load(path).map_err(anyhow::Error::msg)?,
            None => WebConfig::default(),
        };
        let mut roles_all = source.roles();
        roles_all.merge(roles);
        let exporter = vftop::export::Exporter::new(roles_all, *ethtool_stats);
        return serve(source, cli.interval, *listen, exporter, web);
    }
    if cli.once {
        return headless(source, &cli);
    }
    let read_only = read_only_reason(&cli, source.kind());
    let audit = match &read_only {
        Some(_) => None,
        None => Some((AuditLog::open(&audit_path(&cli))?, Actor::current(&hostname()))),
    };
    let mut app_roles = source.roles();
    app_roles.merge(roles);
    let mut app =
        App::new(source.kind(), hostname(), app_roles, themes.iter().map(|t| t.name.clone()).collect());
    app.theme_index = theme_index;
    app.interval = cli.interval;
    app.flow.read_only = read_only;
    app.flow.confirm_within = cli.confirm_within;
    app.flow.step = cli.step;
    apply_view_prefs(&mut app, &settings.ui);
    if source.kind() == vftop::source::SourceKind::Fleet {
        app.sort = vftop::app::state::SortKey::Worst;
    }
    for past in source.history(app.window, cli.interval) {
        app.ingest_past(past);
    }
    let store_dir = cli.record.clone().unwrap_or_else(|| vftop::record::default_dir(cli.is_demo()));
    if source.kind() != vftop::source::SourceKind::Fleet {
        let loaded = vftop::replay::preload(&mut app, &store_dir, clock.as_ref());
        tracing::info!("{loaded} samples of the last hour from {}", store_dir.display());
    }
    let recorder = match &cli.record {
        Some(dir) => {
            let retention = vftop::record::store::Retention {
                max_age: std::time::Duration::from_secs(7 * 86400),
                max_bytes: 2 << 30,
            };
            let mut roles_all = source.roles();
            roles_all.merge(app.roles.clone());
            Some(
                vftop::record::Recorder::open(dir, retention, roles_all, Some(audit_path(&cli)))
                    .with_context(|| format!("cannot record into {}", dir.display()))?,
            )
        }
        None => None,
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let is_kernel = source.kind() == vftop::source::SourceKind::Kernel;
    let audit_path = audit.as_ref().map(|(log, _)| log.path().to_path_buf());
    let guard_bin = is_kernel.then(vftop::guard::own_binary).flatten();
    let sampler = Sampler::with_sinks(source, cli.interval, tx, vftop::sampler::Sinks { audit, recorder });
    if is_kernel {
        vftop::sampler::follow_link_changes(sampler.commander());
    }
    console(
        &cli,
        themes,
        (app, sampler, rx),
        tui::Runtime {
            clock: clock.as_ref(),
            audit_path,
            guard_bin,
            mouse: !cli.no_mouse,
            keys: settings.keys.clone(),
        },
    )
}

/// Runs the console on a sampler (live or replay) and says how it ended.
fn console(
    cli: &Cli,
    themes: Vec<Theme>,
    (app, sampler, rx): (App, Sampler, tokio::sync::mpsc::UnboundedReceiver<vftop::sampler::SourceEvent>),
    runtime_env: tui::Runtime<'_>,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let env = |name: &str| std::env::var(name).ok();
    let look = Look::new(themes, Glyphs::detect(cli.ascii, env), ColorDepth::detect(cli.low_color, env));
    let exit = runtime.block_on(tui::run(app, look, sampler, rx, runtime_env))?;
    Ok(match exit {
        Exit::Quit => ExitCode::SUCCESS,
        Exit::Signal(name) => {
            tui::say(&format!("vftop: stopped by {name}; terminal restored"));
            ExitCode::from(130)
        }
    })
}

/// `vftop guard` (started by the console): waits for "done" or the deadline, then reverts
/// the change if its console is gone and the VF still has the applied limit.
fn run_guard(cli: &Cli, watch: vftop::guard::Watch) -> anyhow::Result<ExitCode> {
    if vftop::guard::console_resolved(std::io::BufReader::new(std::io::stdin()), watch.deadline) {
        return Ok(ExitCode::SUCCESS);
    }
    let filter = LinkFilter { interfaces: vec![watch.key.pf.clone()], all_links: false };
    let mut source = KernelSource::open(filter, Arc::new(SystemClock::default()))?;
    let mut audit = cli.audit_log.as_deref().map(AuditLog::open).transpose()?;
    let outcome = vftop::guard::revert_if_still_applied(&mut source, &watch, audit.as_mut());
    tracing::warn!("guard for {} vf {}: {outcome:?}", watch.key.pf, watch.key.vf);
    Ok(ExitCode::SUCCESS)
}

/// `vftop serve`: samples on the interval into the exporter; axum serves the latest
/// exposition (over TLS and behind basic auth where the web config says) until SIGTERM or
/// SIGINT.
fn serve(
    source: Box<dyn Source>,
    interval: std::time::Duration,
    listen: std::net::SocketAddr,
    mut exporter: vftop::export::Exporter,
    web: WebConfig,
) -> anyhow::Result<ExitCode> {
    use vftop::export::http::{Published, router};
    use vftop::sampler::SourceEvent;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener =
            std::net::TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
        listener.set_nonblocking(true)?;
        let tls = match &web.tls_server_config {
            Some(t) => Some(
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&t.cert_file, &t.key_file)
                    .await
                    .with_context(|| {
                        format!("TLS certificate {} / key {}", t.cert_file.display(), t.key_file.display())
                    })?,
            ),
            None => None,
        };
        let is_kernel = source.kind() == vftop::source::SourceKind::Kernel;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sampler = Sampler::start(source, interval, tx);
        if is_kernel {
            vftop::sampler::follow_link_changes(sampler.commander());
        }
        let published = Published::default();
        let sink = published.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                match event {
                    SourceEvent::Snapshot(s) => sink.set(exporter.update(s)),
                    SourceEvent::SampleFailed(e) => {
                        tracing::warn!("sample failed: {e}");
                        exporter.sample_failed();
                    }
                    SourceEvent::Applied(..) | SourceEvent::Replay(..) | SourceEvent::Notice(_) => {}
                }
            }
        });
        let app = router(published, Users::new(web.basic_auth_users.clone()));
        let scheme = if tls.is_some() { "https" } else { "http" };
        eprintln!("vftop: serving metrics on {scheme}://{listen}/metrics");
        match tls {
            Some(config) => {
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    stop_signal().await;
                    stopper.graceful_shutdown(Some(std::time::Duration::from_secs(2)));
                });
                axum_server::from_tcp_rustls(listener, config)?
                    .handle(handle)
                    .serve(app.into_make_service())
                    .await?;
            }
            None => {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, app).with_graceful_shutdown(stop_signal()).await?;
            }
        }
        drop(sampler);
        Ok(ExitCode::SUCCESS)
    })
}

/// Resolves on SIGTERM or SIGINT.
async fn stop_signal() {
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

/// What the config's `[ui]` says of the view (scale, window, sort, units, direction); its
/// values were checked when it was read.
fn apply_view_prefs(app: &mut App, ui: &config::UiPrefs) {
    use vftop::app::state::{ChartScale, SortKey, WINDOWS};
    if let Some(scale) = ui.chart_scale.as_deref() {
        app.scale = match scale {
            "link" => ChartScale::Link,
            "cap" => ChartScale::Cap,
            _ => ChartScale::Auto,
        };
    }
    if let Some(i) = ui.chart_window.as_deref().and_then(|w| config::WINDOWS.iter().position(|x| *x == w)) {
        app.window = WINDOWS[i];
    }
    if let Some(sort) = ui.sort.as_deref() {
        let keys = [
            SortKey::Vf,
            SortKey::Name,
            SortKey::Tx,
            SortKey::Rx,
            SortKey::CapShare,
            SortKey::Drops,
            SortKey::Worst,
        ];
        app.sort = config::SORTS.iter().position(|s| *s == sort).map_or(app.sort, |i| keys[i]);
    }
    app.sort_reversed = ui.sort_reversed.unwrap_or(app.sort_reversed);
    if ui.units.as_deref() == Some("bytes") {
        app.unit = vftop::metrics::units::RateUnit::Bytes;
    }
    if ui.chart_direction.as_deref() == Some("rx") {
        app.direction = vftop::metrics::history::Direction::Rx;
    }
}

/// Why the console must not change anything, if it must not.
fn read_only_reason(cli: &Cli, kind: vftop::source::SourceKind) -> Option<String> {
    if cli.read_only {
        return Some("started with --read-only".into());
    }
    if kind == vftop::source::SourceKind::Fleet {
        return Some("fleet view".into());
    }
    let kernel = kind == vftop::source::SourceKind::Kernel;
    (kernel && vftop::source::kernel::caps::has_net_admin() == Some(false))
        .then(|| "this process lacks CAP_NET_ADMIN, which changing VF rates needs (run as root)".into())
}

pub(crate) fn audit_path(cli: &Cli) -> std::path::PathBuf {
    let name = if cli.is_demo() { "demo-audit.log" } else { "audit.log" };
    cli.audit_log
        .clone()
        .or_else(|| config::state_dir().map(|d| d.join(name)))
        .unwrap_or_else(|| std::path::PathBuf::from(name))
}

fn theme_name(cli: &Cli) -> String {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if no_color { "mono".into() } else { cli.theme.clone().unwrap_or_else(|| "dark".into()) }
}

fn open_source(cli: &Cli, clock: Arc<dyn Clock>) -> anyhow::Result<Box<dyn Source>> {
    if let Some(Command::Fleet { prometheus, selector, host_label }) = &cli.command {
        let Some(prometheus) = prometheus.clone().filter(|_| !cli.demo) else {
            return Ok(Box::new(DemoFleet::new(clock)));
        };
        let config = FleetConfig { prometheus, selector: selector.clone(), host_label: host_label.clone() };
        return Ok(Box::new(FleetSource::open(config)?));
    }
    if !cli.is_demo() {
        return open_kernel(cli, clock);
    }
    let mut scenario = match &cli.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::reference(),
    };
    if let Some(seed) = cli.seed {
        scenario.seed = seed;
    }
    Ok(Box::new(SimSource::new(scenario, clock)))
}

fn open_kernel(cli: &Cli, clock: Arc<dyn Clock>) -> anyhow::Result<Box<dyn Source>> {
    let filter = LinkFilter { interfaces: cli.interfaces.clone(), all_links: cli.all_links };
    let mut source = KernelSource::open(filter, clock)?;
    let first = source.sample()?;
    if let Some(missing) = cli.interfaces.iter().find(|i| first.pf(i).is_none()) {
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

/// What `vftop set PF VF --max X --min Y [--no-precheck]` asks for.
struct SetRequest {
    key: VfKey,
    max: Option<Mbps>,
    min: Option<Mbps>,
    no_precheck: bool,
}

/// `vftop set`: validate, apply, read back, audit, report in words (exit 1 when refused).
fn set_rate(
    mut source: Box<dyn Source>,
    req: SetRequest,
    audit: (AuditLog, Actor),
) -> anyhow::Result<ExitCode> {
    let snapshot = source.sample()?;
    let key = req.key;
    let (pf, vf) = snapshot.vf(&key).with_context(|| match snapshot.pf(&key.pf) {
        Some(p) => format!("{} has no vf {} (it lists {} VFs)", key.pf, key.vf, p.vfs.len()),
        None => {
            let pfs: Vec<&str> = snapshot.pfs.iter().map(|p| p.name.as_str()).collect();
            let listed = if pfs.is_empty() { "none".to_string() } else { pfs.join(", ") };
            format!("there is no PF {} (PFs with VFs here: {listed})", key.pf)
        }
    })?;
    let old = vf.rate;
    let new = RateLimit { min: req.min.unwrap_or(old.min), max: req.max.unwrap_or(old.max) };
    let capabilities =
        if req.no_precheck { Capabilities::UNKNOWN } else { Capabilities::for_driver(&pf.driver) };
    let ctx = EditContext {
        target: vftop::model::Target::Vf(key.clone()),
        name: format!("vf {}", key.vf),
        current: old,
        link: pf.link_speed,
        capabilities,
        guarantees: vftop::metrics::contention::Guarantees::on_pf(pf, &snapshot.rate_objects),
        tx: BitsPerSec(0.0),
    };
    if let Err(reason) = validate_limit(new, &ctx, &pf.driver) {
        eprintln!("vftop: refused before sending: {reason}; nothing changed");
        return Ok(ExitCode::from(1));
    }
    if new == old {
        println!("nothing to change: {} vf {} already has max {} min {}", key.pf, key.vf, old.max, old.min);
        return Ok(ExitCode::SUCCESS);
    }
    for warning in vftop::app::control::preview(&ctx, new, false).warnings {
        eprintln!("vftop: warning: {warning}");
    }
    let change = RateChange::vf(key, old, new);
    println!("{}", change.ip_command());
    let result = source.apply(&change);
    let (mut log, actor) = audit;
    log.write(&actor, &Attempt::new(&change, &ctx.name, Reason::Operator, &result))?;
    match result {
        Ok(kept) => {
            let note = if kept == new {
                String::new()
            } else {
                format!(" (driver kept min {} max {})", kept.min, kept.max)
            };
            let target = change.target.label();
            println!(
                "applied: {target}: max {} -> {}, min {} -> {}{note}",
                old.max, kept.max, old.min, kept.min
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("vftop: {}: {e}; nothing changed", change.target.label());
            Ok(ExitCode::from(1))
        }
    }
}

fn headless(mut source: Box<dyn Source>, cli: &Cli) -> anyhow::Result<ExitCode> {
    let before = source.sample().context("first sample")?;
    std::thread::sleep(cli.interval);
    let started = std::time::Instant::now();
    let after = source.sample().context("second sample")?;
    let sample_duration = started.elapsed();
    let mut report = json_report(&before, &after);
    report["sample_duration_us"] = serde_json::json!(sample_duration.as_micros() as u64);
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text_report(&before, &after));
    }
    Ok(ExitCode::SUCCESS)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Logs go to a file, never to the screen the TUI draws on.
fn init_logging(cli: &Cli) {
    let path = cli.log.clone().or_else(|| config::state_dir().map(|d| d.join("vftop.log")));
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
