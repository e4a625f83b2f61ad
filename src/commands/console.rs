//! The console (no subcommand): the live host, or the simulator; `--once` prints two samples.

use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;
use vftop::app::App;
use vftop::app::options::{AppOptions, FlowOptions, ViewOptions};
use vftop::audit::{Actor, AuditLog};
use vftop::cli::{ConsoleArgs, LookArgs};
use vftop::config::{self, Config as Settings};
use vftop::record::store::Retention;
use vftop::sampler::Sampler;
use vftop::source::{Clock, Source, SourceKind, SystemClock};
use vftop::tui;

/// The console's options, with the config's `[ui]` taken where the command line said nothing
/// (`given`: whether an option was on the command line).
pub fn run(mut args: ConsoleArgs, given: &dyn Fn(&str) -> bool) -> anyhow::Result<ExitCode> {
    if args.print_config_template {
        print!("{}", config::TEMPLATE);
        return Ok(ExitCode::SUCCESS);
    }
    let settings = config::load(args.config.config.as_deref()).map_err(anyhow::Error::msg)?;
    args.take_prefs(&settings.ui, given);
    // Samples from a recorder's store go on the chart before the console's own: its clock
    // starts two hours in, so they have times of their own.
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::starting_at(std::time::Duration::from_secs(7200)));
    let mut source = super::open_source(&args.source, &settings.owners, clock.clone())?;
    super::check_interfaces(&args.source, source.as_mut())?;
    let roles = super::roles(source.as_ref(), settings.roles.clone());
    if args.once {
        return once(source, &args, &roles);
    }
    let demo = args.source.sim.is_demo();
    let read_only = read_only_reason(args.read_only, source.kind());
    let audit = match &read_only {
        Some(_) => None,
        None => Some((AuditLog::open(&args.audit.path(demo))?, Actor::current(&super::hostname()))),
    };
    let live = Live {
        read_only,
        confirm_within: args.confirm_within,
        step: args.step,
        interval: args.interval.interval,
    };
    let (themes, mut app) = live_app(source.as_ref(), roles, &args.look, &settings, live)?;
    let store_dir = args.record.clone().unwrap_or_else(|| vftop::record::default_dir(demo));
    let loaded = vftop::replay::preload(&mut app, &store_dir, clock.as_ref());
    tracing::info!("{loaded} samples of the last hour from {}", store_dir.display());
    let recorder = match &args.record {
        Some(dir) => {
            let retention = Retention::default();
            Some(
                vftop::record::Recorder::open(dir, retention, app.roles.clone(), Some(args.audit.path(demo)))
                    .with_context(|| format!("cannot record into {}", dir.display()))?,
            )
        }
        None => None,
    };
    let is_kernel = source.kind() == SourceKind::Kernel;
    let audit_path = audit.as_ref().map(|(log, _)| log.path().to_path_buf());
    let guard_bin = is_kernel.then(vftop::guard::own_binary).flatten();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let sinks = vftop::sampler::Sinks { audit, recorder };
    let sampler = Sampler::with_sinks(source, args.interval.interval, tx, sinks);
    if is_kernel {
        vftop::sampler::follow_link_changes(sampler.commander());
    }
    let runtime = tui::Runtime {
        clock: clock.as_ref(),
        audit_path,
        guard_bin,
        mouse: !args.look.no_mouse,
        keys: settings.keys.clone(),
    };
    super::run_console(&args.look, themes, (app, sampler, rx), runtime)
}

/// What a live console (the host, the simulator, the fleet) starts with besides its source.
pub struct Live {
    pub read_only: Option<String>,
    pub confirm_within: Option<std::time::Duration>,
    pub step: vftop::app::flow::Step,
    pub interval: std::time::Duration,
}

/// The console's app on `source`, with its themes, the config's view preferences and the
/// source's own history (the fleet's range query) on the chart.
pub fn live_app(
    source: &dyn Source,
    roles: vftop::model::RoleMap,
    look: &LookArgs,
    settings: &Settings,
    live: Live,
) -> anyhow::Result<(Vec<vftop::ui::theme::Theme>, App)> {
    let (themes, theme_index) = super::themes(look, settings)?;
    let names = themes.iter().map(|t| t.name.clone()).collect();
    let options = options(source.kind(), theme_index, &settings.ui, live);
    let mut app = App::new(source.kind(), super::hostname(), roles, names).configured(options);
    app.intent = vftop::intent::with_cni(settings.intent.clone(), &settings.intent_prefs);
    Ok((themes, app))
}

/// The console's options, merged once: the command line's (`live`, already over the config's
/// interval, step and commit-confirmed) and the config's view (scale, window, sort, units,
/// direction; checked when it was read). The fleet opens worst first.
fn options(kind: SourceKind, theme_index: usize, ui: &config::UiPrefs, live: Live) -> AppOptions {
    let sort = if kind == SourceKind::Fleet { Some(vftop::app::state::SortKey::Worst) } else { ui.sort };
    AppOptions {
        view: ViewOptions {
            theme_index,
            interval: Some(live.interval),
            scale: ui.chart_scale,
            window: ui.chart_window.as_deref().and_then(config::chart_window),
            sort,
            sort_reversed: ui.sort_reversed,
            unit: ui.units,
            direction: ui.chart_direction,
        },
        flow: FlowOptions { read_only: live.read_only, confirm_within: live.confirm_within, step: live.step },
    }
}

/// Why the console must not change anything, if it must not.
pub fn read_only_reason(asked: bool, kind: SourceKind) -> Option<String> {
    if asked {
        return Some("started with --read-only".into());
    }
    if kind == SourceKind::Fleet {
        return Some("fleet view".into());
    }
    let kernel = kind == SourceKind::Kernel;
    (kernel && vftop::source::kernel::caps::has_net_admin() == Some(false))
        .then(|| "this process lacks CAP_NET_ADMIN, which changing VF rates needs (run as root)".into())
}

/// `--once`: two samples an interval apart, as a table or one JSON document.
fn once(
    mut source: Box<dyn Source>,
    args: &ConsoleArgs,
    roles: &vftop::model::RoleMap,
) -> anyhow::Result<ExitCode> {
    let before = source.sample().context("first sample")?;
    std::thread::sleep(args.interval.interval);
    let started = std::time::Instant::now();
    let after = source.sample().context("second sample")?;
    let sample_duration = started.elapsed();
    let mut report = vftop::app::report::json_report(&before, &after, roles);
    report["sample_duration_us"] = serde_json::json!(sample_duration.as_micros() as u64);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", vftop::app::report::text_report(&before, &after, roles));
    }
    Ok(ExitCode::SUCCESS)
}
