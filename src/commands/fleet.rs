//! `vftop fleet`: the console on every host a Prometheus server scrapes `vftop serve` on.

use super::console::{Live, live_app, read_only_reason};
use std::process::ExitCode;
use std::sync::Arc;
use vftop::cli::{IntervalArg, LookArgs};
use vftop::sampler::Sampler;
use vftop::source::fleet::{DemoFleet, FleetConfig, FleetSource};
use vftop::source::{Clock, Source, SystemClock};

/// What `vftop fleet` was asked.
pub struct FleetRequest<'a> {
    pub prometheus: Option<String>,
    pub selector: String,
    pub host_label: String,
    pub demo: bool,
    pub look: &'a LookArgs,
    pub interval: &'a IntervalArg,
}

pub fn run(req: FleetRequest) -> anyhow::Result<ExitCode> {
    let settings = vftop::config::load(None).map_err(anyhow::Error::msg)?;
    let mut look = req.look.clone();
    look.take_prefs(&settings.ui);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::starting_at(std::time::Duration::from_secs(7200)));
    let mut source: Box<dyn Source> = match req.prometheus.filter(|_| !req.demo) {
        Some(prometheus) => {
            let config = FleetConfig { prometheus, selector: req.selector, host_label: req.host_label };
            Box::new(FleetSource::open(config)?)
        }
        None => Box::new(DemoFleet::new(clock.clone())),
    };
    let interval = req.interval.interval;
    let live = Live {
        read_only: read_only_reason(false, source.kind()),
        confirm_within: None,
        step: Default::default(),
        interval,
    };
    let (themes, mut app) = live_app(source.as_ref(), source.roles(), &look, &settings, live)?;
    for past in source.history(app.window, interval) {
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
