//! Shared test fixtures: the demo NIC on a fake clock feeding an App.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;
use vftop::app::{Action, App, Effect};
use vftop::source::sim::SimSource;
use vftop::source::sim::scenario::Scenario;
use vftop::source::{FakeClock, Source, SourceKind};
use vftop::ui::look::Look;

pub struct Demo {
    pub app: App,
    pub look: Look,
    pub sim: SimSource,
    pub clock: FakeClock,
    /// Every change sent, in order.
    pub applied: Vec<vftop::app::ApplyRequest>,
}

impl Demo {
    /// The reference scenario, sampled every second for `seconds` seconds.
    pub fn new(seconds: u64) -> Demo {
        Demo::with_scenario(Scenario::reference(), seconds)
    }

    /// `scenario`, sampled every second for `seconds` seconds.
    pub fn with_scenario(scenario: Scenario, seconds: u64) -> Demo {
        let clock = FakeClock::default();
        let sim = SimSource::new(scenario, Arc::new(clock.clone()));
        let look = Look::built_in();
        let mut app = App::new(
            SourceKind::Demo,
            "demo-host".into(),
            sim.roles(),
            look.themes.iter().map(|t| t.name.clone()).collect(),
        );
        app.set_wall_clock("12:00:00".into());
        let mut demo = Demo { app, look, sim, clock, applied: Vec::new() };
        demo.run_for(seconds);
        demo
    }

    pub fn run_for(&mut self, seconds: u64) {
        self.run_for_as(seconds, |_| {});
    }

    /// Like [`Demo::run_for`], each sample changed by `shape` first (to show what the
    /// simulator has no way to make, e.g. a driver without per-VF counters).
    pub fn run_for_as(&mut self, seconds: u64, shape: impl Fn(&mut vftop::model::Snapshot)) {
        for _ in 0..seconds {
            self.clock.advance(Duration::from_secs(1));
            let mut snapshot = self.sim.sample().unwrap();
            shape(&mut snapshot);
            self.app.ingest(snapshot);
            let effect = self.app.tick(self.clock.now_for_tests());
            self.perform(effect);
        }
    }

    /// Selects Backup (vf 1), opens the editor, replaces its max ("2G") with `text` and submits:
    /// the confirmation is showing afterwards (or the inline error).
    pub fn preview_backup_max(&mut self, text: &str) {
        self.act(Action::SelectNext);
        self.act(Action::EditRate);
        self.act(Action::Erase);
        self.act(Action::Erase);
        text.chars().for_each(|c| self.act(Action::Input(c)));
        self.act(Action::Submit);
    }

    /// The first devlink rate object of the console's last sample that `wanted` picks.
    pub fn rate_object(
        &self,
        wanted: impl Fn(&vftop::model::RateObject) -> bool,
    ) -> vftop::model::RateObject {
        let objects = &self.app.snapshot.as_ref().expect("a sample").rate_objects;
        objects.iter().find(|o| wanted(o)).expect("such a rate object").clone()
    }

    /// One more reading of the simulator, a second later, without ingesting it.
    pub fn sim_snapshot(&mut self) -> vftop::model::Snapshot {
        self.clock.advance(Duration::from_secs(1));
        self.sim.sample().unwrap()
    }

    /// Applies an action; performs a rate change effect synchronously, as the sampler would.
    pub fn act(&mut self, action: Action) {
        let effect = self.app.handle(action);
        self.perform(effect);
    }

    /// Carries out an effect as the runtime would (rate changes on the simulator, audited).
    pub fn perform(&mut self, effect: Option<Effect>) {
        if let Some(Effect::Apply(request)) = effect {
            self.applied.push(request.clone());
            let result = self.sim.apply(&request.change);
            self.app.applied(request, result, Ok(()));
        }
    }

    pub fn render(&self, width: u16, height: u16) -> ratatui::Terminal<ratatui::backend::TestBackend> {
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|f| {
                vftop::ui::draw(f, &self.app, &self.look);
            })
            .unwrap();
        terminal
    }

    /// Draws a frame as the event loop does and tells the app what it drew (its size, how
    /// far the view on screen can scroll).
    pub fn draw_as_the_loop_does(&mut self, width: u16, height: u16) {
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        let mut limit = 0;
        terminal.draw(|f| limit = vftop::ui::draw(f, &self.app, &self.look).scroll_limit).unwrap();
        self.app.resize(width, height);
        self.app.limit_scroll(limit);
    }

    pub fn screen(&self, width: u16, height: u16) -> String {
        let terminal = self.render(width, height);
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| (0..width).map(|x| buffer[(x, y)].symbol().to_string()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

trait NowForTests {
    fn now_for_tests(&self) -> Duration;
}

impl NowForTests for FakeClock {
    fn now_for_tests(&self) -> Duration {
        use vftop::source::Clock;
        self.now()
    }
}

pub mod alertmanager;
pub mod netns;
pub mod prometheus;
pub mod tmux;
