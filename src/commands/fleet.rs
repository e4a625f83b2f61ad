//! `vftop fleet`: the console on every host a Prometheus server scrapes `vftop serve` on.

use super::console::{Live, live_app, read_only_reason};
use std::process::ExitCode;
use std::sync::Arc;
use vftop::cli::FleetArgs;
use vftop::sampler::Sampler;
use vftop::source::fleet::{DemoFleet, FleetConfig, FleetSource};
use vftop::source::{Clock, Source, SystemClock};

pub fn run(req: FleetArgs) -> anyhow::Result<ExitCode> {
    let settings = vftop::config::load(None).map_err(anyhow::Error::msg)?;
    let mut look = req.look;
    look.take_prefs(&settings.ui);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::starting_at(std::time::Duration::from_secs(7200)));
    let interval = req.interval.interval;
    let (columns, lines) = crossterm::terminal::size().unwrap_or((120, 40));
    let step = |window| vftop::source::fleet::chart_step(window, interval, columns);
    let window = settings
        .ui
        .chart_window
        .as_deref()
        .and_then(vftop::config::chart_window)
        .unwrap_or(vftop::app::state::WINDOWS[1]);
    let mut source: Box<dyn Source> = match req.prometheus.filter(|_| !req.demo) {
        Some(prometheus) => {
            let config = FleetConfig {
                prometheus,
                selector: req.selector,
                host_label: req.host_label,
                rows: req.rows.unwrap_or(usize::from(lines)).max(1),
                rate_window: req.rate_window,
                rules: !req.no_rules,
            };
            let source = FleetSource::open(config)?;
            if req.explain {
                return explain(source, window, step(window));
            }
            Box::new(source)
        }
        None => Box::new(DemoFleet::new(clock.clone())),
    };
    let live = Live {
        read_only: read_only_reason(false, source.kind()),
        confirm_within: None,
        step: Default::default(),
        interval,
    };
    let (themes, mut app) = live_app(source.as_ref(), source.roles(), &look, &settings, live)?;
    for past in source.history(app.window, step(app.window)) {
        app.ingest_past(past);
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let sampler = Sampler::with_sinks(source, interval, tx, Default::default());
    let runtime = vftop::tui::Runtime {
        clock: clock.as_ref(),
        audit_path: None,
        guard_bin: None,
        mouse: !look.no_mouse,
        keys: settings.keys.clone(),
    };
    super::run_console(&look, themes, (app, sampler, rx), runtime)
}

/// `--explain`: the first look (which ranks the whole fleet), one refresh and the chart's
/// preload, each query with what it cost.
fn explain(
    mut source: FleetSource,
    window: std::time::Duration,
    step: std::time::Duration,
) -> anyhow::Result<ExitCode> {
    let first = std::mem::take(&mut source.costs);
    source.sample()?;
    let refresh = std::mem::take(&mut source.costs);
    let past = source.history(window, step);
    let chart = std::mem::take(&mut source.costs);
    let span = vftop::units::format_span(window);
    let groups = [
        ("first look", first),
        ("refresh", refresh),
        (&*format!("chart ({span}, {} points)", past.len()), chart),
    ];
    for (name, costs) in &groups {
        println!("# {name}");
        for c in costs {
            let ms = c.took.as_secs_f64() * 1e3;
            println!(
                "{:<12} {:>6} series {:>9} bytes {:>8.1} ms\n    {}",
                c.what, c.series, c.bytes, ms, c.query
            );
        }
    }
    for (name, costs) in &groups {
        println!(
            "{name}: {} queries, {} series, {} bytes, {:.1} ms",
            costs.len(),
            costs.iter().map(|c| c.series).sum::<usize>(),
            costs.iter().map(|c| c.bytes).sum::<usize>(),
            costs.iter().map(|c| c.took.as_secs_f64() * 1e3).sum::<f64>()
        );
    }
    Ok(ExitCode::SUCCESS)
}
