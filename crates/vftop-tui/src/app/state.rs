//! The application state: latest snapshot, derived rows and histories, view and editor state.

use super::action::{Action, ApplyRequest, Effect};
use super::control::{EditContext, Editor};
use super::flow::{ChangeFlow, StepTarget};
pub use super::toast::{Level, Toast, Toasts};
use crate::audit::Reason;
use crate::metrics::contention::{Contention, Guarantees};
use crate::metrics::history::{Direction, History, Percentiles, RatePoint};
use crate::metrics::rate::FunctionRates;
use crate::metrics::reading::{LimitChange, Reading, functions};
use crate::model::{
    BitsPerSec, Capabilities, DevlinkObject, DevlinkRef, Mbps, Pf, RateChange, RateLimit, RoleMap, Snapshot,
    Target, Vf, VfKey,
};
use crate::source::SourceKind;
use crate::units::RateUnit;
use std::collections::HashMap;
use std::time::Duration;

/// Which panel has keyboard focus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Table,
    Chart,
    Contention,
    /// The devlink rate tree (present only in switchdev mode).
    RateTree,
}

/// What is drawn over the screen and takes the keys (at most one).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Overlay {
    #[default]
    None,
    Help,
    /// The audit log's last lines (`a`).
    Audit(Vec<String>),
    /// The rate editor and its confirmation.
    Editor(Box<Editor>),
    /// A `/` filter being typed (the filter itself is `App::filter`).
    Filter,
    /// Replay: a time being typed (`g`).
    GoTo(String),
    /// Replay: the events panel (`E`), with this event selected.
    Events(usize),
    /// `q` with a change awaiting confirmation: keep it, revert it and quit, or stay.
    QuitPrompt,
}

/// The smallest terminal the layout is designed for: below it the screen says so, and no key
/// but quit acts (nothing may change behind a screen that shows none of it).
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// The screen the operator is on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    #[default]
    Main,
    Detail,
}

/// How the partitions table is sorted (`vf`, `name`, `tx`, `rx`, `cap`, `drops`, `worst` in a
/// config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    #[default]
    Vf,
    Name,
    Tx,
    Rx,
    #[serde(rename = "cap")]
    CapShare,
    Drops,
    /// Starved partitions first, then those at their cap with drops, then those on PFs whose
    /// guarantees are oversubscribed, then the rest by share of cap.
    #[serde(rename = "worst")]
    Worst,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Vf => "vf",
            SortKey::Name => "name",
            SortKey::Tx => "tx",
            SortKey::Rx => "rx",
            SortKey::CapShare => "% of cap",
            SortKey::Drops => "drops",
            SortKey::Worst => "worst first",
        }
    }

    fn next(self) -> SortKey {
        match self {
            SortKey::Vf => SortKey::Name,
            SortKey::Name => SortKey::Tx,
            SortKey::Tx => SortKey::Rx,
            SortKey::Rx => SortKey::CapShare,
            SortKey::CapShare => SortKey::Drops,
            SortKey::Drops => SortKey::Worst,
            SortKey::Worst => SortKey::Vf,
        }
    }
}

/// How the chart's y axis is scaled (`auto`, `link`, `cap` in a config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartScale {
    Link,
    Cap,
    /// Fits what is drawn (the link speed is drawn as a line when it is in range).
    #[default]
    Auto,
}

impl ChartScale {
    pub fn label(self) -> &'static str {
        match self {
            ChartScale::Link => "link",
            ChartScale::Cap => "cap",
            ChartScale::Auto => "auto",
        }
    }

    fn next(self) -> ChartScale {
        match self {
            ChartScale::Auto => ChartScale::Link,
            ChartScale::Link => ChartScale::Cap,
            ChartScale::Cap => ChartScale::Auto,
        }
    }
}

/// Chart windows that `+`/`-` step through.
pub const WINDOWS: [Duration; 6] = [
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(120),
    Duration::from_secs(300),
    Duration::from_secs(900),
    Duration::from_secs(3600),
];

/// Sampling intervals that `<`/`>` step through.
pub const INTERVALS: [Duration; 6] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
];

/// Everything the partitions table shows of one VF.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionRow {
    pub key: VfKey,
    pub name: String,
    pub color: Option<String>,
    pub vf: Vf,
    pub link: Option<Mbps>,
    /// Its PF's driver.
    pub driver: String,
    pub rates: FunctionRates,
    /// The host behind it stopped reporting: the numbers are its last.
    pub stale: bool,
    /// The rate group holding it back (at the group's `tx_max`), with that cap.
    pub limited_by: Option<(String, Mbps)>,
    /// Its limit at the start of the interval the rates are over, where it changed since: a
    /// cap lowered mid-interval still let the old rate through for part of it.
    pub limit_before: Option<RateLimit>,
    /// The processes sending and receiving on it, busiest first (a host-bound VF's sockets).
    pub talkers: Vec<crate::metrics::talkers::Talker>,
    /// What the config declares of it, where it does not have that.
    pub differs_from_declared: Option<crate::model::declared::VfIntent>,
}

impl PartitionRow {
    pub fn rate(&self, direction: Direction) -> BitsPerSec {
        match direction {
            Direction::Tx => self.rates.tx,
            Direction::Rx => self.rates.rx,
        }
    }

    /// Transmit rate as a fraction of the cap in force over the interval (max, else link speed;
    /// the looser of the old and new cap where it changed during the interval).
    pub fn cap_share(&self) -> Option<f64> {
        let link = self.link.filter(|_| self.rates.measured())?;
        let now = self.vf.rate.effective_cap(link);
        let cap = self.limit_before.map_or(now, |before| before.effective_cap(link).max(now));
        (cap.0 > 0).then(|| self.rates.tx.0 / cap.as_bits_per_sec().0)
    }
}

/// The whole application state; the UI draws from this and nothing else.
pub struct App {
    pub source: SourceKind,
    pub host: String,
    pub wall_clock: String,
    pub now: Duration,
    pub snapshot: Option<Snapshot>,
    pub rows: Vec<PartitionRow>,
    pub histories: HashMap<VfKey, History>,
    pub contention: Vec<(String, Contention)>,
    pub roles: RoleMap,
    /// The limits the config declares (`[[declared]]`): rows that differ are marked.
    pub intent: crate::model::declared::Intent,
    pub selected: Option<VfKey>,
    pub focus: Focus,
    pub view: View,
    /// What is over the screen and takes the keys: one at a time, by construction.
    pub overlay: Overlay,
    pub paused: bool,
    pub interval: Duration,
    pub unit: RateUnit,
    pub direction: Direction,
    pub sort: SortKey,
    /// `S`: the sort runs the other way.
    pub sort_reversed: bool,
    /// `/`: rows shown only when they match (name, PF, MAC, VLAN, VF); empty: all.
    pub filter: String,
    pub window: Duration,
    pub scale: ChartScale,
    pub theme_names: Vec<String>,
    pub theme_index: usize,
    pub toasts: Toasts,
    /// Each VF's recent health: counter resets and its driver's kernel log lines, newest last.
    pub health: HashMap<VfKey, Vec<HealthNote>>,
    /// Episodes as they happen (the rules the recorder and `vftop report` use), and those
    /// that ended within the last hour.
    pub episodes: crate::metrics::episodes::EpisodeTracker,
    pub past_episodes: Vec<crate::model::episode::Episode>,
    /// Limits (of VFs and devlink rate objects) changed behind the console's back: when
    /// (wall clock) and from what to what.
    pub drift: HashMap<Target, Drift>,
    /// Each VF's limits over the last hour as steps: (sample time, limit from then on).
    pub limit_history: HashMap<VfKey, Vec<(Duration, RateLimit)>>,
    /// Work found while taking in a sample (audit records of drift), for the runtime.
    outbox: Vec<Effect>,
    /// The VF limits this console set since the last sample (its rows show them already):
    /// what the next sample's limits are compared with for drift.
    pub(super) own_changes: HashMap<VfKey, RateLimit>,
    /// Changes in flight, to undo, awaiting confirmation; read-only; step sizes. Set through
    /// [`App::set_flow_options`] and the actions, never from outside `app/`.
    pub(crate) flow: ChangeFlow,
    /// The selected devlink rate object, when the rate tree has focus.
    pub tree_selected: Option<DevlinkRef>,
    pub last_error: Option<String>,
    /// The terminal's size (columns, rows), as the runtime last said.
    screen: (u16, u16),
    /// How far the detail view or the help is scrolled, in lines.
    pub scroll: u16,
    /// How far it can scroll, as last drawn.
    scroll_limit: u16,
    /// The selection stays on the first row (at start, and after the sort changed) until the
    /// operator moves it: a "worst first" console shows the worst.
    pub(super) follow_top: bool,
    /// A replay console (`vftop replay`): the time cursor and its panels.
    pub replay: Option<super::timeline::Replay>,
    /// The rows are from a live sample, so the next one is compared with them for drift (not
    /// after samples from before the console started, nor in a replay).
    drift_baseline: bool,
}

impl App {
    pub fn new(source: SourceKind, host: String, roles: RoleMap, theme_names: Vec<String>) -> Self {
        App {
            source,
            host,
            wall_clock: String::new(),
            now: Duration::ZERO,
            snapshot: None,
            rows: Vec::new(),
            histories: HashMap::new(),
            contention: Vec::new(),
            roles,
            intent: Default::default(),
            selected: None,
            focus: Focus::Table,
            view: View::Main,
            overlay: Overlay::None,
            paused: false,
            interval: Duration::from_secs(1),
            unit: RateUnit::Bits,
            direction: Direction::Tx,
            sort: SortKey::Vf,
            sort_reversed: false,
            filter: String::new(),
            window: WINDOWS[1],
            scale: ChartScale::Auto,
            theme_names,
            theme_index: 0,
            toasts: Toasts::default(),
            health: HashMap::new(),
            episodes: Default::default(),
            past_episodes: Vec::new(),
            drift: HashMap::new(),
            limit_history: HashMap::new(),
            outbox: Vec::new(),
            own_changes: HashMap::new(),
            tree_selected: None,
            last_error: None,
            screen: (MIN_WIDTH, MIN_HEIGHT),
            scroll: 0,
            scroll_limit: u16::MAX,
            follow_top: true,
            replay: None,
            drift_baseline: false,
            flow: ChangeFlow::default(),
        }
    }

    /// This app with the options a console was started with (the view's and the change
    /// flow's, merged from the command line and the config).
    pub fn configured(mut self, options: super::options::AppOptions) -> App {
        let super::options::AppOptions { view, flow } = options;
        self.theme_index = view.theme_index;
        self.interval = view.interval.unwrap_or(self.interval);
        self.scale = view.scale.unwrap_or(self.scale);
        self.window = view.window.unwrap_or(self.window);
        self.sort = view.sort.unwrap_or(self.sort);
        self.sort_reversed = view.sort_reversed.unwrap_or(self.sort_reversed);
        self.unit = view.unit.unwrap_or(self.unit);
        self.direction = view.direction.unwrap_or(self.direction);
        self.set_flow_options(flow);
        self
    }

    /// How changes are made from now on: read-only or not, commit-confirmed by default, the
    /// step keys' size.
    pub fn set_flow_options(&mut self, options: super::options::FlowOptions) {
        let super::options::FlowOptions { read_only, confirm_within, step } = options;
        self.flow.read_only = read_only;
        self.flow.confirm_within = confirm_within;
        self.flow.step = step;
    }

    /// How many changes `u` can take back.
    pub fn undo_depth(&self) -> usize {
        self.flow.undo.len()
    }

    /// A replay console: read-only, with a time cursor.
    pub fn replaying(mut self) -> App {
        self.flow.read_only = Some("replaying a recording".into());
        self.replay = Some(Default::default());
        self
    }

    /// The wall clock's time of day, for the header.
    pub fn set_wall_clock(&mut self, time_of_day: String) {
        self.wall_clock = time_of_day;
    }

    /// Takes in a new snapshot: rates against the previous one, histories, contention, rows.
    pub fn ingest(&mut self, snapshot: Snapshot) {
        if self.paused {
            return;
        }
        self.last_error = None;
        let previous = self.snapshot.take();
        // The one reading of the sample (rates, contention), as the exporter and dump have it.
        let reading = Reading::new(previous.as_ref(), &snapshot);
        let mut rows = Vec::with_capacity(self.rows.len());
        for pf in &snapshot.pfs {
            for vf in functions(pf) {
                let vf = vf.as_ref();
                let key = VfKey { pf: pf.name.clone(), vf: vf.index };
                let rates = reading.rates(&pf.name, vf.index);
                // No rate (no earlier reading): a gap in the chart, not a drop to zero.
                if rates.measured() {
                    self.record(&key, snapshot.taken_at, &rates);
                }
                let mut row = self.row(pf, vf, key, rates);
                row.talkers = reading.talkers(&pf.name, vf.index).to_vec();
                rows.push(row);
            }
        }
        self.follow_episodes(&reading, &rows);
        let Reading { contention, limit_changes, .. } = reading;
        self.contention = contention;
        self.note_health(previous.as_ref(), &snapshot, &rows);
        // The limits as the previous sample read them (not as this console's changes since
        // updated its rows): what held at the start of the interval.
        for row in &mut rows {
            row.limit_before = LimitChange::of_vf(&limit_changes, &row.key).map(|c| c.old);
        }
        mark_group_limits(&mut rows, &self.contention);
        self.mark_declared(&mut rows, &snapshot);
        let own_changes = std::mem::take(&mut self.own_changes);
        // A recording's limit changes are its events, not drift of the console's own.
        if self.drift_baseline {
            let mut vf_changes = external_changes(&limit_changes, &own_changes, &rows);
            // Limits the driver itself cleared (igb/ixgbe after a link-speed change, said in the
            // kernel log this sample or the one before): not a person's change.
            let cleared = |pf: &str| {
                snapshot.driver_cleared_rates(pf)
                    || previous.as_ref().is_some_and(|p| p.driver_cleared_rates(pf))
            };
            vf_changes.retain(|(row, _)| !(cleared(&row.key.pf) && row.vf.rate == RateLimit::default()));
            for (row, old) in &vf_changes {
                let what = format!("{} ({} vf {})", row.name, row.key.pf, row.key.vf);
                self.note_drift(Target::Vf(row.key.clone()), what, row.name.clone(), (*old, row.vf.rate));
            }
            // A leaf that mirrors its VF's limit moved with it: said once, for the VF.
            let mirrored = |o: &crate::model::RateObject| {
                vf_changes.iter().any(|(r, _)| o.vf.as_ref() == Some(&r.key) && o.limit == r.vf.rate)
            };
            for (object, old) in external_object_changes(&limit_changes, &snapshot.rate_objects)
                .into_iter()
                .filter(|(o, _)| !mirrored(o))
            {
                let what = format!("devlink {} ({})", object.name, object.target);
                self.note_drift(
                    Target::Devlink(object.target.clone()),
                    what,
                    object.name.clone(),
                    (old, object.limit),
                );
            }
        }
        self.drift_baseline = self.replay.is_none();
        let present: std::collections::HashSet<&VfKey> = rows.iter().map(|r| &r.key).collect();
        self.histories.retain(|k, _| present.contains(k));
        self.limit_history.retain(|k, _| present.contains(k));
        for row in &rows {
            note_limit(
                self.limit_history.entry(row.key.clone()).or_default(),
                snapshot.taken_at,
                row.vf.rate,
            );
        }
        self.rows = rows;
        self.snapshot = Some(snapshot);
        self.sort_rows();
        self.keep_selection_valid();
        self.refresh_editor();
    }

    /// Episodes from this sample's reading: ended ones kept for an hour.
    fn follow_episodes(&mut self, reading: &Reading<'_>, rows: &[PartitionRow]) {
        let at_ms = reading.snapshot.taken_at.as_millis() as i64;
        let name = |key: &VfKey| rows.iter().find(|r| &r.key == key).map(|r| r.name.clone());
        for news in self.episodes.step(at_ms, reading, &name) {
            if let crate::metrics::episodes::EpisodeNews::Ended(e) = news {
                self.past_episodes.push(e);
            }
        }
        self.past_episodes.retain(|e| at_ms - e.end_ms.unwrap_or(at_ms) <= EPISODE_MEMORY_MS);
    }

    /// `starved 3 times in the last hour, longest 4 m 10 s; now: pinned at its cap 45 s`, for
    /// a partition that had episodes.
    pub fn episode_summary(&self, key: &VfKey) -> Option<String> {
        let now = self.snapshot.as_ref()?.taken_at.as_millis() as i64;
        let mine = |e: &&crate::model::episode::Episode| e.key().as_ref() == Some(key);
        let mut parts = Vec::new();
        let past: Vec<_> = self.past_episodes.iter().filter(mine).collect();
        for kind in crate::model::episode::EpisodeKind::ALL {
            let of_kind: Vec<_> = past.iter().filter(|e| e.kind == kind).collect();
            let Some(longest) = of_kind.iter().map(|e| e.duration_ms(now)).max() else { continue };
            let times =
                if of_kind.len() == 1 { "once".to_string() } else { format!("{} times", of_kind.len()) };
            parts.push(format!(
                "{} {times} in the last hour, longest {}",
                kind.label(),
                crate::times::format_span_ms(longest)
            ));
        }
        let going: Vec<String> = self
            .episodes
            .active()
            .filter(mine)
            .map(|e| format!("{} {}", e.kind.label(), crate::times::format_span_ms(e.duration_ms(now))))
            .collect();
        if !going.is_empty() {
            parts.push(format!("now: {}", going.join(", ")));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// The open editor's figures follow the sample just taken in.
    fn refresh_editor(&mut self) {
        let Overlay::Editor(editor) = &self.overlay else { return };
        let target = editor.ctx.target.clone();
        let (Some(ctx), driver) = (self.edit_context(&target), self.driver_of(target.owner())) else {
            return;
        };
        if let Overlay::Editor(editor) = &mut self.overlay {
            editor.refresh(ctx, &driver);
        }
    }

    /// Takes in a sample from before the console started (a recorder's store, the fleet's
    /// Prometheus): rates and histories, but no drift warnings, and the next live sample is
    /// not compared with it for drift either.
    pub fn ingest_past(&mut self, snapshot: Snapshot) {
        self.drift_baseline = false;
        self.ingest(snapshot);
        self.drift_baseline = false;
    }

    /// The chart starts again from `past` (the source's readings before now of what it shows
    /// now: the fleet after a drill-down), then the live sample it has.
    pub fn restart_chart(&mut self, past: Vec<Snapshot>) {
        let live = self.snapshot.take();
        self.histories.clear();
        self.limit_history.clear();
        for snapshot in past.into_iter().chain(live) {
            self.ingest_past(snapshot);
        }
    }

    /// How much past the chart can show: its window, a point per column it has.
    pub fn past_wanted(&self) -> crate::source::PastWanted {
        let step = crate::source::fleet::chart_step(self.window, self.interval, self.screen.0);
        crate::source::PastWanted { span: self.window, step }
    }

    /// A VF's limit changed and this console did not change it: mark the row, say so, audit
    /// it, and stop counting down a change of ours that someone else has since replaced.
    fn note_drift(
        &mut self,
        target: Target,
        what: String,
        partition: String,
        (old, new): (RateLimit, RateLimit),
    ) {
        self.toast(
            Level::Warn,
            format!(
                "{what} changed outside vftop: max {} → {}, min {} → {}",
                old.max, new.max, old.min, new.min
            ),
        );
        if self.flow.replaced_from_outside(&target) {
            self.toast(Level::Warn, format!("{what}: replaced from outside, so vftop will not revert it"));
        }
        self.drift.insert(target.clone(), Drift { at: self.wall_clock.clone(), old, new });
        let change = RateChange { target, old, new };
        let request = ApplyRequest { change, partition, reason: Reason::External, confirm_within: None };
        self.outbox.push(Effect::Audit(request));
    }

    /// The rate editor, while it is open.
    pub fn editor(&self) -> Option<&Editor> {
        match &self.overlay {
            Overlay::Editor(e) => Some(e),
            _ => None,
        }
    }

    /// How a VF's limit drifted, if it did.
    pub fn vf_drift(&self, key: &VfKey) -> Option<&Drift> {
        self.drift.get(&Target::Vf(key.clone()))
    }

    /// Work found while taking in samples and answers (audit records of drift, the guard's
    /// arming and disarming), for the runtime to carry out.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        let mut effects = std::mem::take(&mut self.outbox);
        effects.extend(self.flow.take_guard_effects());
        effects
    }

    /// p50/p99/max of a partition's rate over the chart window ending at the latest sample.
    /// Computed when drawn (only for the rows on screen), not for every partition per sample.
    pub fn percentiles(&self, key: &VfKey, direction: Direction) -> Option<Percentiles> {
        let now = self.snapshot.as_ref()?.taken_at;
        self.histories.get(key)?.percentiles(self.window, now, direction)
    }

    fn record(&mut self, key: &VfKey, at: Duration, rates: &FunctionRates) {
        let point = RatePoint { at, tx: rates.tx, rx: rates.rx, drops_per_sec: rates.drops_per_sec };
        self.histories.entry(key.clone()).or_default().push(point);
    }

    fn row(&self, pf: &Pf, vf: &Vf, key: VfKey, rates: FunctionRates) -> PartitionRow {
        let role = self.roles.resolve(&key, vf.vlan);
        PartitionRow {
            name: match (role, &vf.partition) {
                (Some(r), _) => r.name.clone(),
                (None, Some(name)) => name.clone(),
                (None, None) if vf.index == WHOLE_LINK => pf.name.clone(),
                (None, None) => format!("vf {}", vf.index),
            },
            stale: pf.stale,
            limited_by: None,
            differs_from_declared: None,
            limit_before: None,
            color: role.and_then(|r| r.color.clone()),
            vf: vf.clone(),
            link: pf.link_speed,
            driver: pf.driver.clone(),
            rates,
            key,
            talkers: Vec::new(),
        }
    }

    fn sort_rows(&mut self) {
        let by = |a: f64, b: f64| b.partial_cmp(&a).unwrap_or(std::cmp::Ordering::Equal);
        match self.sort {
            SortKey::Vf => self.rows.sort_by(|a, b| a.key.cmp(&b.key)),
            SortKey::Name => self.rows.sort_by_cached_key(|r| (r.name.to_lowercase(), r.key.clone())),
            SortKey::Tx => self.rows.sort_by(|a, b| by(a.rates.tx.0, b.rates.tx.0)),
            SortKey::Rx => self.rows.sort_by(|a, b| by(a.rates.rx.0, b.rates.rx.0)),
            SortKey::CapShare => {
                self.rows.sort_by(|a, b| by(a.cap_share().unwrap_or(0.0), b.cap_share().unwrap_or(0.0)))
            }
            SortKey::Drops => self.rows.sort_by(|a, b| by(a.rates.drops_per_sec, b.rates.drops_per_sec)),
            SortKey::Worst => {
                let severity: HashMap<VfKey, (u8, f64, f64)> =
                    self.rows.iter().map(|r| (r.key.clone(), self.severity(r))).collect();
                let of = |r: &PartitionRow| severity.get(&r.key).copied().unwrap_or((0, 0.0, 0.0));
                self.rows.sort_by(|a, b| {
                    let (a, b) = (of(a), of(b));
                    b.0.cmp(&a.0).then(by(a.1, b.1)).then(by(a.2, b.2))
                })
            }
        }
        if self.sort_reversed {
            self.rows.reverse();
        }
    }

    /// A new sort shows its top: the selection goes to the first row and stays there until
    /// the operator moves it.
    fn resorted(&mut self) {
        self.sort_rows();
        self.follow_top = true;
        self.keep_selection_valid();
        self.toast(Level::Info, format!("sorted by {}", self.sort_label()));
    }

    /// The sort key and its direction, as the table title shows it (`name ↑`: ascending).
    /// Names and VFs sort up by default, rates and severities down; `S` reverses.
    pub fn sort_label(&self) -> String {
        let ascending = matches!(self.sort, SortKey::Vf | SortKey::Name) != self.sort_reversed;
        format!("{} {}", self.sort.label(), if ascending { "↑" } else { "↓" })
    }

    /// How badly a partition fares, for the "worst first" sort: a class (starved 4, at its
    /// cap with drops 3, dropping 2, on an oversubscribed PF 1), then within the class its drops
    /// per second, then its share of cap. A partition that drops always ranks above one that
    /// does not, whatever their shares.
    fn severity(&self, row: &PartitionRow) -> (u8, f64, f64) {
        let share = row.cap_share().unwrap_or(0.0);
        let drops = row.rates.drops_per_sec;
        let contention = self.contention_of(&row.key.pf);
        let class = match contention {
            Some(c) if c.starved.contains(&row.key) => 4,
            Some(c) if c.pinned.contains(&row.key) && drops > 0.0 => 3,
            _ if drops > 0.0 => 2,
            Some(c) if c.oversubscribed => 1,
            _ => 0,
        };
        (class, drops, share)
    }

    fn keep_selection_valid(&mut self) {
        let visible = self.visible_rows();
        let valid = self.selected.as_ref().is_some_and(|k| visible.iter().any(|r| &r.key == k));
        if !valid || self.follow_top {
            self.selected = visible.first().map(|r| r.key.clone());
        }
    }

    /// The rows the table shows: those matching the `/` filter (all without one).
    pub fn visible_rows(&self) -> Vec<&PartitionRow> {
        let needle = self.filter.to_lowercase();
        self.rows.iter().filter(|r| needle.is_empty() || row_matches(r, &needle)).collect()
    }

    /// The selection's position among the visible rows.
    pub fn selected_index(&self) -> Option<usize> {
        let key = self.selected.as_ref()?;
        self.visible_rows().iter().position(|r| &r.key == key)
    }

    pub fn selected_row(&self) -> Option<&PartitionRow> {
        let key = self.selected.as_ref()?;
        self.rows.iter().find(|r| &r.key == key)
    }

    /// `/`: typing a filter (Enter keeps it, Esc drops it). The row it selects is the
    /// operator's choice: it stays selected when the filter goes.
    fn handle_filter(&mut self, action: Action) {
        self.follow_top = false;
        match action {
            Action::Input(c) if !c.is_control() => self.filter.push(c),
            Action::Erase => {
                self.filter.pop();
            }
            Action::ClearField => self.filter.clear(),
            Action::Submit => self.overlay = Overlay::None,
            Action::Back => {
                self.filter.clear();
                self.overlay = Overlay::None;
            }
            _ => {}
        }
        self.keep_selection_valid();
    }

    /// What part of the fleet is on screen (`None`: not a fleet).
    pub fn fleet(&self) -> Option<&crate::model::FleetView> {
        self.snapshot.as_ref()?.fleet.as_ref()
    }

    /// The fleet's overview is on screen: Enter drills into the selected row's host.
    pub fn fleet_overview(&self) -> bool {
        self.fleet().is_some_and(|f| f.host.is_none())
    }

    /// The fleet host drilled into.
    pub fn fleet_host(&self) -> Option<&str> {
        self.fleet()?.host.as_deref()
    }

    /// Enter in the fleet's overview: the selected row's host, all its VFs.
    fn show_host(&mut self) -> Option<Effect> {
        let key = self.selected.clone()?;
        let host = crate::source::fleet::host_of_pf(&key.pf)?.to_string();
        self.toast(Level::Info, format!("{host}: every VF · Esc: back to the fleet"));
        Some(Effect::ShowHost(Some(host)))
    }

    pub fn selected_pf(&self) -> Option<&Pf> {
        let key = self.selected.as_ref()?;
        self.snapshot.as_ref()?.pf(&key.pf)
    }

    pub fn contention_of(&self, pf: &str) -> Option<&Contention> {
        self.contention.iter().find(|(name, _)| name == pf).map(|(_, c)| c)
    }

    pub fn theme_name(&self) -> &str {
        self.theme_names.get(self.theme_index).map(String::as_str).unwrap_or("dark")
    }

    /// Puts a message on the status line.
    /// The PF drivers' kernel log lines about VFs, and PF links going down or up: toasts.
    fn note_health(&mut self, previous: Option<&Snapshot>, snapshot: &Snapshot, rows: &[PartitionRow]) {
        for note in &snapshot.notes {
            let whom = note.vf.map_or(note.pf.clone(), |vf| format!("{} vf {vf}", note.pf));
            self.toast(Level::Warn, format!("{whom}: {} (kernel log: {})", note.what, note.line));
            if let Some(vf) = note.vf {
                self.remember_health(VfKey { pf: note.pf.clone(), vf }, format!("driver: {}", note.what));
            }
        }
        for row in rows.iter().filter(|r| r.rates.reset) {
            self.remember_health(row.key.clone(), "counters reset (VF reset or re-created)".into());
        }
        for pf in &snapshot.pfs {
            let was_up = previous.and_then(|p| p.pf(&pf.name)).map(|p| p.link.is_up());
            match (was_up, pf.link.is_up()) {
                (Some(true) | None, false) => {
                    self.toast(Level::Error, format!("{}: PF link DOWN ({})", pf.name, pf.link.oper.label()))
                }
                (Some(false), true) => self.toast(Level::Info, format!("{}: PF link up again", pf.name)),
                _ => {}
            }
        }
    }

    fn remember_health(&mut self, key: VfKey, what: String) {
        let notes = self.health.entry(key).or_default();
        notes.push(HealthNote { at: self.wall_clock.clone(), what });
        let extra = notes.len().saturating_sub(HEALTH_KEPT);
        notes.drain(..extra);
    }

    pub fn toast(&mut self, level: Level, text: impl Into<String>) {
        self.toasts.push(level, text, self.now);
    }

    /// The message to show now, if any.
    pub fn current_toast(&self) -> Option<&Toast> {
        self.toasts.current(self.now)
    }

    /// Moves time on: expires toasts, and reverts a commit-confirmed change whose time is up.
    /// What the screen shows that changes with time alone (toasts expiring, a countdown):
    /// the console redraws on its tick only when this differs from the last frame's.
    pub fn time_view(&self) -> (usize, Option<u64>) {
        (self.toasts.len(), self.commit_countdown().map(|(_, secs)| secs))
    }

    pub fn tick(&mut self, now: Duration) -> Option<Effect> {
        self.now = now;
        self.toasts.expire(now);
        let effect = self.expire_commit_confirmed();
        // The change the quit prompt asked about has been reverted meanwhile: nothing to ask.
        if self.overlay == Overlay::QuitPrompt && self.commit_countdown().is_none() {
            self.overlay = Overlay::None;
        }
        effect
    }

    /// The terminal is now `width`×`height`.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.screen = (width, height);
    }

    /// The scrolling view on screen can go `limit` lines down, as drawn.
    pub fn limit_scroll(&mut self, limit: u16) {
        self.scroll_limit = limit;
        self.scroll = self.scroll.min(limit);
    }

    /// Scrolls the detail view or the help by `delta` lines, within what was drawn.
    fn scroll_by(&mut self, delta: i32) {
        let to = (i32::from(self.scroll) + delta).clamp(0, i32::from(self.scroll_limit));
        self.scroll = u16::try_from(to).unwrap_or(0);
    }

    /// The keys that scroll a view: ↓/↑ a line, PgDn/PgUp a page, Home/End the ends.
    fn scroll_action(&mut self, action: &Action) -> bool {
        let delta = match action {
            Action::SelectNext => 1,
            Action::SelectPrev => -1,
            Action::PageDown => i32::from(PAGE as u16),
            Action::PageUp => -i32::from(PAGE as u16),
            Action::SelectFirst => i32::MIN / 2,
            Action::SelectLast => i32::MAX / 2,
            _ => return false,
        };
        self.scroll_by(delta);
        true
    }

    /// The terminal is too small for the layout: the screen says so and shows nothing else.
    pub fn too_small(&self) -> bool {
        self.screen.0 < MIN_WIDTH || self.screen.1 < MIN_HEIGHT
    }

    /// Applies one operator action; returns work for the runtime, if any.
    pub fn handle(&mut self, action: Action) -> Option<Effect> {
        if self.overlay == Overlay::QuitPrompt {
            return self.handle_quit_prompt(action);
        }
        if action == Action::Quit {
            // With a change awaiting confirmation, q asks first (the prompt is drawn on every
            // screen, the too-small one included).
            if self.commit_countdown().is_some() {
                self.overlay = Overlay::QuitPrompt;
                return None;
            }
            return Some(Effect::Quit);
        }
        // A screen too small to show anything: no key may act behind it, no overlay open.
        if self.too_small() {
            return None;
        }
        match &self.overlay {
            Overlay::Editor(_) => self.handle_editor(action),
            Overlay::Filter => {
                self.handle_filter(action);
                None
            }
            Overlay::Help | Overlay::Audit(_) => {
                if matches!(action, Action::ToggleHelp | Action::Back) {
                    self.overlay = Overlay::None;
                    self.scroll = 0;
                } else if self.overlay == Overlay::Help {
                    self.scroll_action(&action);
                }
                None
            }
            Overlay::GoTo(_) | Overlay::Events(_) => self.handle_replay(&action).flatten(),
            Overlay::None => self.handle_main(action),
            Overlay::QuitPrompt => None,
        }
    }

    /// The quit prompt: `c` keeps the change (and stays), `q` reverts it and quits, `Esc`
    /// stays with the change still counting down.
    fn handle_quit_prompt(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::Quit => Some(Effect::Quit),
            Action::ConfirmChange => {
                self.overlay = Overlay::None;
                self.confirm_awaiting()
            }
            Action::Back => {
                self.overlay = Overlay::None;
                None
            }
            _ => None,
        }
    }

    /// What the quit prompt says, while it is open (and the change still counts down).
    pub fn quit_prompt(&self) -> Option<String> {
        if self.overlay != Overlay::QuitPrompt {
            return None;
        }
        let (a, secs) = self.commit_countdown()?;
        let c = &a.change;
        let mut what = Vec::new();
        if c.old.max != c.new.max {
            what.push(format!("max {} → {}", c.old.max, c.new.max));
        }
        if c.old.min != c.new.min || what.is_empty() {
            what.push(format!("min {} → {}", c.old.min, c.new.min));
        }
        let (partition, target) = (&a.partition, c.target.label());
        Some(format!("{partition} ({target}): {} is not confirmed and reverts in {secs}s.", what.join(", ")))
    }

    fn handle_main(&mut self, action: Action) -> Option<Effect> {
        // The detail view scrolls with the keys that move the selection on the main screen.
        if self.view == View::Detail && self.scroll_action(&action) {
            return None;
        }
        if let Some(effect) = self.handle_replay(&action) {
            return effect;
        }
        match action {
            Action::SelectNext if self.focus == Focus::RateTree => self.move_tree_selection(1),
            Action::SelectPrev if self.focus == Focus::RateTree => self.move_tree_selection(-1),
            Action::SelectNext if self.focus == Focus::Contention => self.move_pf(1),
            Action::SelectPrev if self.focus == Focus::Contention => self.move_pf(-1),
            Action::SelectNext => self.move_selection(1),
            Action::SelectPrev => self.move_selection(-1),
            Action::FocusNext => self.focus = next_focus(self.focus, self.has_rate_tree()),
            Action::FocusPrev => self.focus = prev_focus(self.focus, self.has_rate_tree()),
            Action::StartFilter => self.overlay = Overlay::Filter,
            Action::ClickRow(n) => {
                self.focus = Focus::Table;
                if let Some(key) = self.visible_rows().get(n).map(|r| r.key.clone()) {
                    self.selected = Some(key);
                    self.follow_top = false;
                }
            }
            Action::FocusPanel(focus) => self.focus = focus,
            Action::Back if !self.filter.is_empty() && self.view == View::Main => {
                self.filter.clear();
                self.keep_selection_valid();
            }
            Action::PageDown => self.move_selection_clamped(PAGE),
            Action::PageUp => self.move_selection_clamped(-PAGE),
            Action::SelectFirst => self.move_selection_clamped(isize::MIN / 2),
            Action::SelectLast => self.move_selection_clamped(isize::MAX / 2),
            Action::OpenDetail if self.view == View::Main && self.fleet_overview() => {
                return self.show_host();
            }
            Action::Back if self.view == View::Main && self.fleet_host().is_some() => {
                self.toast(Level::Info, "the fleet: its worst partitions");
                return Some(Effect::ShowHost(None));
            }
            Action::OpenDetail => (self.view, self.scroll) = (View::Detail, 0),
            Action::Back => (self.view, self.scroll) = (View::Main, 0),
            Action::TogglePause => {
                self.paused = !self.paused;
                self.toast(Level::Info, if self.paused { "paused: p resumes" } else { "resumed" });
            }
            Action::SlowerSampling => return self.step_interval(1),
            Action::FasterSampling => return self.step_interval(-1),
            Action::NextTheme => {
                self.theme_index = (self.theme_index + 1) % self.theme_names.len().max(1);
                let name = self.theme_name().to_string();
                self.toast(Level::Info, format!("theme: {name}"));
            }
            Action::ToggleUnits => {
                self.unit = if self.unit == RateUnit::Bits { RateUnit::Bytes } else { RateUnit::Bits };
            }
            Action::ToggleDirection => {
                self.direction = if self.direction == Direction::Tx { Direction::Rx } else { Direction::Tx };
            }
            Action::CycleSort => {
                self.sort = self.sort.next();
                self.sort_reversed = false;
                self.resorted();
            }
            Action::ReverseSort => {
                self.sort_reversed = !self.sort_reversed;
                self.resorted();
            }
            Action::ZoomIn => self.step_window(-1),
            Action::ZoomOut => self.step_window(1),
            Action::CycleScale => {
                self.scale = self.scale.next();
                self.toast(Level::Info, format!("chart scale: {}", self.scale.label()));
            }
            Action::ToggleHelp => (self.overlay, self.scroll) = (Overlay::Help, 0),
            Action::EditRate if self.focus == Focus::RateTree => self.open_devlink_editor(),
            Action::EditRate => self.open_editor(None),
            Action::RaiseMax => self.step_limit(StepTarget::Max, true),
            Action::LowerMax => self.step_limit(StepTarget::Max, false),
            Action::RaiseMin => self.step_limit(StepTarget::Min, true),
            Action::LowerMin => self.step_limit(StepTarget::Min, false),
            Action::Undo => return self.undo_last(),
            Action::ConfirmChange => return self.confirm_awaiting(),
            Action::ShowAudit => return Some(Effect::ShowAudit),
            _ => {}
        }
        None
    }

    /// Facts the editor validates against, for a VF or a devlink rate object.
    pub fn edit_context(&self, target: &Target) -> Option<EditContext> {
        match target {
            Target::Vf(key) => self.vf_edit_context(key),
            Target::Devlink(d) => self.devlink_edit_context(d),
        }
    }

    fn vf_edit_context(&self, key: &VfKey) -> Option<EditContext> {
        let row = self.rows.iter().find(|r| &r.key == key)?;
        let pf = self.snapshot.as_ref()?.pf(&key.pf)?;
        let guarantees = Guarantees::on_pf(pf, &self.snapshot.as_ref()?.rate_objects);
        let capabilities = Capabilities::for_driver(&pf.driver);
        Some(EditContext {
            target: Target::Vf(key.clone()),
            name: row.name.clone(),
            current: row.vf.rate,
            link: pf.link_speed,
            capabilities,
            guarantees,
            tx: row.rates.tx,
            owner: row.vf.owner.as_ref().map(|o| o.label()),
        })
    }

    /// A devlink leaf or group: its tx_share/tx_max as min/max; the driver is asked as is.
    fn devlink_edit_context(&self, d: &DevlinkRef) -> Option<EditContext> {
        let objects = &self.snapshot.as_ref()?.rate_objects;
        let object = objects.iter().find(|o| &o.target == d)?;
        Some(EditContext {
            target: Target::Devlink(d.clone()),
            name: object.name.clone(),
            current: object.limit,
            link: None,
            capabilities: Capabilities::UNKNOWN,
            guarantees: Guarantees::default(),
            tx: self.rate_object_tx(object),
            owner: object
                .vf
                .as_ref()
                .and_then(|key| self.rows.iter().find(|r| &r.key == key))
                .and_then(|r| r.vf.owner.as_ref().map(|o| o.label())),
        })
    }

    /// What a devlink object's VFs send now: its leaf's VF, or a group's leaves summed.
    pub fn rate_object_tx(&self, object: &crate::model::RateObject) -> BitsPerSec {
        let tx_of = |key: &VfKey| self.rows.iter().find(|r| &r.key == key).map_or(0.0, |r| r.rates.tx.0);
        let objects = self.snapshot.iter().flat_map(|s| &s.rate_objects);
        let total = match &object.target.object {
            DevlinkObject::Leaf(_) => object.vf.as_ref().map_or(0.0, tx_of),
            DevlinkObject::Node(name) => objects
                .filter(|o| o.parent.as_deref() == Some(name) && o.target.device == object.target.device)
                .map(|o| self.rate_object_tx(o).0)
                .sum(),
        };
        BitsPerSec(total)
    }

    /// The cap a devlink object's use is against: its `tx_max`; none for a leaf that mirrors
    /// its VF's limit where that changed during the interval (no share of either cap is true
    /// then), as the table says `cap changed`.
    pub fn rate_object_cap(&self, object: &crate::model::RateObject) -> Option<Mbps> {
        let row = object.vf.as_ref().and_then(|key| self.rows.iter().find(|r| &r.key == key));
        let changed = row.is_some_and(|r| r.vf.rate == object.limit && r.limit_before.is_some());
        (!changed && !object.limit.max.is_unlimited()).then_some(object.limit.max)
    }

    pub fn has_rate_tree(&self) -> bool {
        self.snapshot.as_ref().is_some_and(|s| !s.rate_objects.is_empty())
    }

    fn move_tree_selection(&mut self, delta: isize) {
        let objects = self.snapshot.as_ref().map(|s| s.rate_objects.as_slice()).unwrap_or_default();
        self.tree_selected = super::tree::step(objects, self.tree_selected.as_ref(), delta);
    }

    /// With the contention panel focused, j/k move between PFs: the selection goes to the first
    /// visible row of the next (or previous) PF, so the chart and contention follow.
    fn move_pf(&mut self, delta: isize) {
        let visible = self.visible_rows();
        let mut pfs: Vec<&str> = visible.iter().map(|r| r.key.pf.as_str()).collect();
        pfs.dedup();
        pfs.sort_unstable();
        pfs.dedup();
        let Some(current) = self.selected.as_ref().map(|k| k.pf.as_str()) else { return };
        let at = pfs.iter().position(|p| *p == current).unwrap_or(0) as isize;
        let Some(next) = pfs.get((at + delta).rem_euclid(pfs.len().max(1) as isize) as usize) else { return };
        self.selected = visible.iter().find(|r| r.key.pf == *next).map(|r| r.key.clone());
        self.follow_top = false;
    }

    /// Moves by `delta` rows, stopping at the first and last (pages, Home, End).
    fn move_selection_clamped(&mut self, delta: isize) {
        self.move_selection_by(delta, false);
    }

    /// ↑/↓: round from the last row to the first.
    fn move_selection(&mut self, delta: isize) {
        self.move_selection_by(delta, true);
    }

    /// Moves by `delta` visible rows, round the ends (`wrap`) or stopping at them; the
    /// operator has moved it, so it no longer follows the top.
    fn move_selection_by(&mut self, delta: isize, wrap: bool) {
        let visible = self.visible_rows();
        if visible.is_empty() {
            return;
        }
        let (current, len) = (self.selected_index().unwrap_or(0) as isize, visible.len() as isize);
        let next = if wrap {
            (current + delta).rem_euclid(len)
        } else {
            current.saturating_add(delta).clamp(0, len - 1)
        };
        self.selected = Some(visible[next as usize].key.clone());
        self.follow_top = false;
    }

    fn step_interval(&mut self, delta: isize) -> Option<Effect> {
        let i = INTERVALS.iter().position(|d| *d >= self.interval).unwrap_or(2) as isize;
        let next = INTERVALS[(i + delta).clamp(0, INTERVALS.len() as isize - 1) as usize];
        if next == self.interval {
            return None;
        }
        self.interval = next;
        self.toast(Level::Info, format!("sampling every {}", crate::app::state::format_interval(next)));
        Some(Effect::SetInterval(next))
    }

    fn step_window(&mut self, delta: isize) {
        let i = WINDOWS.iter().position(|d| *d == self.window).unwrap_or(1) as isize;
        self.window = WINDOWS[(i + delta).clamp(0, WINDOWS.len() as isize - 1) as usize];
    }

    /// A sampling error from the source, shown until the next good sample.
    pub fn sample_failed(&mut self, message: String) {
        if self.last_error.as_ref() != Some(&message) {
            self.toast(Level::Error, format!("sampling failed: {message}"));
        }
        self.last_error = Some(message);
    }
}

/// Something about a VF's health, at a wall-clock time.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthNote {
    pub at: String,
    pub what: String,
}

/// How many health notes the detail view keeps per VF.
const HEALTH_KEPT: usize = 5;

/// A limit changed behind the console's back.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    /// Wall-clock time of the sample that showed it.
    pub at: String,
    pub old: RateLimit,
    pub new: RateLimit,
}

/// Rows whose VF limit differs from what this console last showed: the sample's limit
/// changes, where the console set none of its own since, and the limits it set (`own`) that
/// the sample does not show. With the limit it showed.
fn external_changes<'a>(
    changes: &[LimitChange],
    own: &HashMap<VfKey, RateLimit>,
    rows: &'a [PartitionRow],
) -> Vec<(&'a PartitionRow, RateLimit)> {
    rows.iter()
        .filter(|r| r.vf.index != WHOLE_LINK)
        .filter_map(|r| {
            let shown = match own.get(&r.key) {
                Some(limit) => *limit,
                None => LimitChange::of_vf(changes, &r.key)?.old,
            };
            (shown != r.vf.rate).then_some((r, shown))
        })
        .collect()
}

/// The sample's devlink rate objects whose `tx_share`/`tx_max` changed (against the sample
/// before as the console's own changes left it), with the old limit.
fn external_object_changes<'a>(
    changes: &[LimitChange],
    objects: &'a [crate::model::RateObject],
) -> Vec<(&'a crate::model::RateObject, RateLimit)> {
    let changed = |c: &LimitChange| match &c.target {
        Target::Devlink(d) => Some((objects.iter().find(|o| &o.target == d)?, c.old)),
        Target::Vf(_) => None,
    };
    changes.iter().filter_map(changed).collect()
}

/// Whether a row matches a `/` filter (lower case): a substring of its name or PF, a part of
/// its MAC with a `:` in it, or exactly its VLAN or VF number.
fn row_matches(r: &PartitionRow, needle: &str) -> bool {
    r.name.to_lowercase().contains(needle)
        || r.key.pf.to_lowercase().contains(needle)
        || (needle.contains(':') && r.vf.mac.to_string().contains(needle))
        || r.vf.vlan.to_string() == needle
        || r.key.vf.to_string() == needle
        || r.vf.owner.as_ref().is_some_and(|o| o.label().to_lowercase().contains(needle))
}

/// Ended episodes stay in the detail view's summary this long (ms).
const EPISODE_MEMORY_MS: i64 = 3_600_000;

/// Rows PgUp/PgDn move by.
const PAGE: isize = 10;

pub use crate::metrics::reading::WHOLE_LINK;

fn prev_focus(focus: Focus, has_tree: bool) -> Focus {
    match focus {
        Focus::Table if has_tree => Focus::RateTree,
        Focus::Table => Focus::Contention,
        Focus::Chart => Focus::Table,
        Focus::Contention => Focus::Chart,
        Focus::RateTree => Focus::Contention,
    }
}

fn next_focus(focus: Focus, has_tree: bool) -> Focus {
    match focus {
        Focus::Table => Focus::Chart,
        Focus::Chart => Focus::Contention,
        Focus::Contention if has_tree => Focus::RateTree,
        Focus::Contention | Focus::RateTree => Focus::Table,
    }
}

/// How far back limit steps are kept (the longest chart window).
const LIMIT_HISTORY: Duration = Duration::from_secs(3600);

/// Adds a step when the limit differs from the last one, and forgets steps that ended before
/// the longest window (the one in force at its start stays).
fn note_limit(steps: &mut Vec<(Duration, RateLimit)>, at: Duration, limit: RateLimit) {
    if steps.last().is_none_or(|(_, last)| *last != limit) {
        steps.push((at, limit));
    }
    let cutoff = at.saturating_sub(LIMIT_HISTORY);
    let ended = steps.iter().take_while(|(t, _)| *t <= cutoff).count();
    if ended > 1 {
        steps.drain(..ended - 1);
    }
}

/// A partition held by its rate group (the group at its `tx_max`, the partition below its own
/// cap) says so: "limited by group storage 5G".
impl App {
    /// Marks the rows whose limits differ from what the config declares (an intent that names
    /// a VF twice marks nothing: `vftop check` says why).
    fn mark_declared(&self, rows: &mut [PartitionRow], snapshot: &Snapshot) {
        if self.intent.is_empty() {
            return;
        }
        let Ok(resolved) = self.intent.resolve(snapshot, &self.roles) else { return };
        for row in rows.iter_mut() {
            row.differs_from_declared =
                resolved.of(&row.key).filter(|d| d.wanted(row.vf.rate) != row.vf.rate).cloned();
        }
    }
}

fn mark_group_limits(rows: &mut [PartitionRow], contention: &[(String, Contention)]) {
    for row in rows.iter_mut() {
        let own_cap = contention.iter().any(|(_, c)| c.pinned.contains(&row.key));
        row.limited_by = contention
            .iter()
            .filter(|(pf, _)| *pf == row.key.pf && !own_cap)
            .flat_map(|(_, c)| &c.groups_at_cap)
            .find(|g| g.members.contains(&row.key))
            .map(|g| (g.name.clone(), g.limit.max));
    }
}

/// `250ms`, `1s`, `2s`.
/// A chart window: `30s`, `1m`, `15m`, `1h`.
pub fn format_window(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        _ => format_interval(d),
    }
}

pub fn format_interval(d: Duration) -> String {
    if d.subsec_millis() != 0 { format!("{}ms", d.as_millis()) } else { format!("{}s", d.as_secs()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::declared::{Declared, Intent, Selector};
    use crate::source::Source;
    use crate::source::sim::SimSource;
    use crate::source::sim::scenario::Scenario;

    #[test]
    fn rows_that_differ_from_what_is_declared_are_marked() {
        let clock = crate::source::FakeClock::default();
        let mut sim = SimSource::new(Scenario::reference(), std::sync::Arc::new(clock.clone()));
        let mut app = App::new(sim.kind(), "h".into(), sim.roles(), vec!["default".into()]);
        let declare = |vf: u32, max: u32, line: u32| Declared {
            selector: Selector::Vf { pf: "ens1f0".into(), vf },
            min: None,
            max: Some(Mbps(max)),
            origin: format!("c.toml:{line}"),
        };
        // Backup (vf 1) has max 2G: declared so, it conforms; VM guest (vf 5, max 1G) does not.
        app.intent = Intent { vfs: vec![declare(1, 2000, 1), declare(5, 300, 5)], groups: Vec::new() };
        app.ingest(sim.sample().unwrap());
        let mark = |vf: u32| {
            let row = app.rows.iter().find(|r| r.key.vf == vf).unwrap();
            row.differs_from_declared
                .as_ref()
                .map(|d| (crate::ui::text::declared(d, RateUnit::Bits), d.origin.clone()))
        };
        assert_eq!(mark(1), None);
        assert_eq!(mark(5), Some(("max 300M".to_string(), "c.toml:5".to_string())));
        assert_eq!(mark(2), None, "nothing declared of it");
    }
}
