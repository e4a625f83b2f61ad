//! The fleet: every host a Prometheus server scrapes `vftop serve` on, read over Prometheus's
//! HTTP API as one snapshot whose PFs are named `HOST/PF`. Each refresh costs what the screen
//! shows, not what the fleet holds: the overview is the fleet's worst partitions with their
//! PFs' sums, all ranked and summed in the query engine; a host drilled into is that host's
//! VFs. Rates are the query engine's `rate()` over its own samples. Read-only: rates are
//! changed on the hosts themselves.

pub mod api;
mod demo;
pub mod promql;

pub use api::QUERY_TIMEOUT;
pub use demo::DemoFleet;

use super::{ApplyError, SampleError, Source, SourceKind};
use crate::model::owner::{Owner, OwnerKind, OwnerSource};
use crate::model::{
    BitsPerSec, CounterOrigin, Counters, FleetView, Mbps, Pf, PfTotals, QueriedRates, RateChange, RateLimit,
    Snapshot, Vf,
};
use api::{Api, Cost, InstantSeries, Labels};
use promql::{PART, Promql, Quantity};
use std::collections::BTreeMap;
use std::time::Duration;

/// Where the fleet is and how its hosts are told apart.
#[derive(Clone, Debug)]
pub struct FleetConfig {
    /// Prometheus's base URL, e.g. `http://prom:9090`.
    pub prometheus: String,
    /// A series selector naming the exporters' targets, e.g. `{job="vftop"}`.
    pub selector: String,
    /// The label that names a host (`instance` unless told otherwise).
    pub host_label: String,
    /// The overview's rows: the worst partitions of the whole fleet it shows.
    pub rows: usize,
    /// The window of the backend's samples rates are taken over (`rate(…[1m])`).
    pub rate_window: Duration,
    /// Read the mixin's recording rules where the backend has them.
    pub rules: bool,
}

/// A `--selector` that is not `{…}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--selector '{0}' is not a series selector like '{{job=\"vftop\"}}'")]
pub struct NotASelector(pub String);

impl FleetConfig {
    /// The selector's matchers without braces (`job="vftop"`); an error for one that is not
    /// `{…}`.
    pub fn matchers(&self) -> Result<String, NotASelector> {
        let s = self.selector.trim();
        let inner = s.strip_prefix('{').and_then(|r| r.strip_suffix('}'));
        inner.map(|m| m.trim().to_string()).ok_or_else(|| NotASelector(s.to_string()))
    }
}

/// The fleet as Prometheus sees it.
pub struct FleetSource {
    config: FleetConfig,
    api: Api,
    promql: Promql,
    /// The host drilled into, or the overview.
    host: Option<String>,
    /// Each host's PFs as last seen, shown (marked stale) while the host is down.
    last: BTreeMap<String, Vec<Pf>>,
    /// The VFs of the last sample (host, PF, VF), whose past the chart asks for.
    shown: Vec<(String, String, u32)>,
    /// The overview's pick of the worst VFs (host, PF, VF) and when the fleet was ranked.
    picks: Vec<(String, String, u32)>,
    ranked_at: Option<std::time::Instant>,
    /// What the backend refused, and what was done instead, for the header.
    notice: Option<String>,
    /// What the queries of the last sample cost.
    pub costs: Vec<Cost>,
}

/// How often the overview ranks the whole fleet when it has to from raw series (the ranking
/// then costs the backend work in proportion to the fleet; Prometheus's default scrape interval).
/// With the recording rules it ranks every refresh. In between, the picked VFs are re-ranked
/// among themselves every refresh.
pub const RAW_RANKING_EVERY: Duration = Duration::from_secs(15);

impl FleetSource {
    /// Checks the selector and that Prometheus answers, finds out whether it has the mixin's
    /// recording rules, and takes a first look at the fleet.
    pub fn open(config: FleetConfig) -> Result<FleetSource, SampleError> {
        let matchers = config.matchers().map_err(|e| SampleError::Other(e.to_string()))?;
        let promql = Promql::new(&matchers, &config.host_label, config.rate_window);
        let api = Api::new(&config.prometheus);
        let mut source = FleetSource {
            config,
            api,
            promql,
            host: None,
            last: BTreeMap::new(),
            shown: Vec::new(),
            picks: Vec::new(),
            ranked_at: None,
            notice: None,
            costs: Vec::new(),
        };
        source.promql.recorded = source.has_rules()?;
        let first = source.sample()?;
        // Targets but no rates yet (a Prometheus a scrape old) is a fleet to wait for.
        if first.fleet.is_none_or(|f| f.hosts == 0) {
            return Err(SampleError::Other(format!(
                "Prometheus at {} has no vftop series for {}: is `vftop serve` scraped there?",
                source.api.base(),
                source.config.selector
            )));
        }
        Ok(source)
    }

    /// Whether the backend records the mixin's rules for these series (and they can stand in).
    fn has_rules(&mut self) -> Result<bool, SampleError> {
        if !self.config.rules || !self.promql.can_use_rules(&self.config.host_label, self.config.rate_window)
        {
            return Ok(false);
        }
        let recorded = self.promql.with_rules(true);
        let answer = self.api.instant(&format!("count({})", recorded.expr(Quantity::Score)))?;
        Ok(!answer.series.is_empty())
    }

    /// One instant query, its cost noted.
    fn query(&mut self, what: &'static str, promql: String) -> Result<Vec<InstantSeries>, SampleError> {
        let answer = self.api.instant(&promql)?;
        let series = answer.series.len();
        self.costs.push(Cost { what, query: promql, series, bytes: answer.bytes, took: answer.took });
        Ok(answer.series)
    }

    fn host_of(&self, labels: &Labels) -> Option<String> {
        labels.get(&self.config.host_label).or_else(|| labels.get("instance")).cloned()
    }

    /// The VFs and PFs on screen: the host's, or the fleet's worst VFs and their PFs. The
    /// overview ranks the fleet's PFs by their worst VF, then reads only the series of the PFs
    /// it picked, where it ranks their VFs (so the answer and the work both scale with the rows,
    /// not the fleet).
    fn on_screen(&mut self) -> Result<(Vec<InstantSeries>, Vec<InstantSeries>), SampleError> {
        let label = self.config.host_label.clone();
        if let Some(host) = &self.host {
            let one = self.promql.narrowed(&format!("{label}=\"{}\"", host.replace('"', "\\\"")));
            return Ok((
                self.query("partitions", one.vf_rows(None))?,
                self.query("their PFs", one.pf_rows(None))?,
            ));
        }
        let rows = self.config.rows;
        let due = self.ranked_at.is_none_or(|at| self.promql.recorded || at.elapsed() >= RAW_RANKING_EVERY);
        if due || self.picks.is_empty() {
            self.rank(rows)?;
        }
        if self.picks.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let pfs: Vec<(String, String)> = self.picks.iter().map(|(h, p, _)| (h.clone(), p.clone())).collect();
        let indices: Vec<u32> = self.picks.iter().map(|p| p.2).collect();
        let picked = self.promql.narrowed(&promql::among(&label, &pfs, &indices));
        let vfs = self.query("partitions", picked.vf_rows(Some(&picked.worst(rows))))?;
        let of_pfs = self.promql.narrowed(&promql::among(&label, &pfs, &[]));
        Ok((vfs, self.query("their PFs", of_pfs.pf_rows(None))?))
    }

    /// Ranks the fleet: its PFs by their worst VF, then the VFs of those PFs (the worst `rows`
    /// VFs of the fleet are all on them); with the recording rules, as many scores as PFs and
    /// then as their VFs are read, never every VF's.
    fn rank(&mut self, rows: usize) -> Result<(), SampleError> {
        let label = self.config.host_label.clone();
        let worst = self.query("worst PFs", self.promql.worst_pfs(rows))?;
        let pfs: Vec<(String, String)> = worst
            .iter()
            .filter_map(|s| Some((self.host_of(&s.metric)?, label_of(&s.metric, "pf").to_string())))
            .collect();
        self.picks.clear();
        if !pfs.is_empty() {
            let on_them = self.promql.narrowed(&promql::among(&label, &pfs, &[]));
            let worst = self.query("worst VFs", on_them.worst(rows))?;
            self.picks = worst
                .iter()
                .filter_map(|s| {
                    let vf = label_of(&s.metric, "vf").parse().ok()?;
                    Some((self.host_of(&s.metric)?, label_of(&s.metric, "pf").to_string(), vf))
                })
                .collect();
        }
        self.ranked_at = Some(std::time::Instant::now());
        Ok(())
    }

    /// Reads the fleet's counts into a view of it.
    fn totals(&mut self) -> Result<(FleetView, Vec<String>), SampleError> {
        let series = self.query("totals", self.promql.totals())?;
        let mut view = FleetView {
            host: self.host.clone(),
            rate_window: self.config.rate_window,
            recorded: self.promql.recorded,
            notice: self.notice.clone(),
            ..FleetView::default()
        };
        let mut down = Vec::new();
        for s in &series {
            let value: f64 = s.value.1.parse().unwrap_or(0.0);
            match label_of(&s.metric, PART) {
                "hosts" => view.hosts = value as u32,
                "hosts_up" => view.hosts_up = value as u32,
                "pfs" => view.pfs = value as u32,
                "vfs" => view.vfs = value as u32,
                "age" if value.is_finite() => view.newest_age = Some(Duration::from_secs_f64(value.max(0.0))),
                "down" => down.extend(self.host_of(&s.metric)),
                _ => {}
            }
        }
        Ok((view, down))
    }
}

fn label_of<'a>(labels: &'a Labels, name: &str) -> &'a str {
    labels.get(name).map_or("", String::as_str)
}

/// Bytes per second (the exporter's unit) to the kernel's Mbit/s.
fn mbps(bytes_per_sec: f64) -> Mbps {
    Mbps((bytes_per_sec * 8.0 / 1e6).round() as u32)
}

/// What one host reports, assembled from its series.
#[derive(Default)]
struct HostView {
    pfs: BTreeMap<String, Pf>,
}

impl HostView {
    fn pf(&mut self, name: &str) -> &mut Pf {
        self.pfs.entry(name.to_string()).or_insert_with(|| Pf {
            name: name.to_string(),
            driver: "prometheus".into(),
            ..Pf::default()
        })
    }

    fn vf(&mut self, pf_name: &str, index: u32) -> &mut Vf {
        let pf = self.pf(pf_name);
        let at = match pf.vfs.iter().position(|v| v.index == index) {
            Some(at) => at,
            None => {
                pf.vfs.push(Vf {
                    index,
                    counters: Counters { origin: CounterOrigin::Prometheus, ..Counters::default() },
                    queried: Some(QueriedRates::default()),
                    ..Vf::default()
                });
                pf.vfs.len() - 1
            }
        };
        &mut pf.vfs[at]
    }

    /// Takes in one part of [`Promql::vf_rows`].
    fn add_vf(&mut self, labels: &Labels, value: f64) {
        let (pf, Ok(index)) = (label_of(labels, "pf"), label_of(labels, "vf").parse::<u32>()) else { return };
        let vf = self.vf(pf, index);
        let rates = vf.queried.get_or_insert_with(QueriedRates::default);
        match label_of(labels, PART) {
            "tx" => rates.tx = BitsPerSec(value * 8.0),
            "rx" => rates.rx = BitsPerSec(value * 8.0),
            "tx_pps" => rates.tx_pps = value,
            "rx_pps" => rates.rx_pps = value,
            "drops" => rates.drops_per_sec = value,
            "min" => vf.rate.min = mbps(value),
            "max" => vf.rate.max = mbps(value),
            "partition" => {
                vf.vlan = label_of(labels, "vlan").parse().unwrap_or(0);
                vf.mac = label_of(labels, "mac").parse().unwrap_or_default();
                vf.partition = Some(label_of(labels, "partition").to_string()).filter(|p| !p.is_empty());
            }
            "owner" => {
                vf.owner = OwnerKind::parse(label_of(labels, "kind")).map(|kind| Owner {
                    namespace: Some(label_of(labels, "namespace").to_string()).filter(|n| !n.is_empty()),
                    ..Owner::new(kind, label_of(labels, "name"), OwnerSource::Exporter)
                });
            }
            _ => {}
        }
    }

    /// Takes in one part of [`Promql::pf_rows`]; `summed`: the sums stand for VFs not shown.
    fn add_pf(&mut self, labels: &Labels, value: f64, summed: bool) {
        let pf = self.pf(label_of(labels, "pf"));
        let count = value as u32;
        let totals = pf.totals.get_or_insert_with(PfTotals::default);
        match label_of(labels, PART) {
            "link" => pf.link_speed = Some(mbps(value)),
            "vfs" => {
                pf.num_vfs = count;
                totals.vfs = count;
            }
            "truncated" => pf.vfs_truncated = value == 1.0,
            "tx" => totals.tx = BitsPerSec(value * 8.0),
            "guarantees" => totals.guarantees = mbps(value),
            "at_cap" => totals.at_cap = count,
            "starved" => totals.starved = count,
            "dropping" => totals.dropping = count,
            _ => {}
        }
        if !summed {
            pf.totals = None;
        }
    }
}

impl Source for FleetSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Fleet
    }

    fn sample(&mut self) -> Result<Snapshot, SampleError> {
        let taken_at = unix_now();
        self.costs.clear();
        let (vfs, pfs) = self.on_screen()?;
        let (mut view, down) = self.totals()?;
        let summed = self.host.is_none();
        let mut hosts: BTreeMap<String, HostView> = BTreeMap::new();
        for s in &vfs {
            let Some(host) = self.host_of(&s.metric) else { continue };
            hosts.entry(host).or_default().add_vf(&s.metric, s.value.1.parse().unwrap_or(0.0));
        }
        for s in &pfs {
            let Some(host) = self.host_of(&s.metric) else { continue };
            let value = s.value.1.parse().unwrap_or(0.0);
            hosts.entry(host).or_default().add_pf(&s.metric, value, summed);
        }
        // PFs without a VF on screen are the overview's sums only: left out.
        let fresh: BTreeMap<String, Vec<Pf>> = hosts
            .iter()
            .map(|(host, v)| {
                (
                    host.clone(),
                    v.pfs.values().filter(|p| !p.vfs.is_empty()).map(|p| fleet_pf(host, p)).collect(),
                )
            })
            .filter(|(_, pfs): &(String, Vec<Pf>)| !pfs.is_empty())
            .collect();
        self.shown = fresh
            .iter()
            .flat_map(|(host, pfs)| {
                pfs.iter().flat_map(move |pf| pf.vfs.iter().map(move |vf| (host, pf, vf)))
            })
            .map(|(host, pf, vf)| (host.clone(), pf_name(host, &pf.name).to_string(), vf.index))
            .collect();
        // A host that went down stays on screen, stale, with what it last said.
        let mut stale: Vec<Pf> = Vec::new();
        for host in down.iter().chain(self.host.iter()).filter(|h| !fresh.contains_key(*h)) {
            if let Some(pfs) = self.last.get(host) {
                stale.extend(pfs.iter().cloned().map(|pf| Pf { stale: true, ..pf }));
            }
        }
        self.last.retain(|host, _| down.contains(host) || self.host.as_ref() == Some(host));
        self.last.extend(fresh.clone());
        view.host = self.host.clone();
        let pfs = fresh.into_values().flatten().chain(stale).collect();
        Ok(Snapshot { taken_at, pfs, fleet: Some(view), ..Snapshot::default() })
    }

    fn apply(&mut self, change: &RateChange) -> Result<RateLimit, ApplyError> {
        Err(ApplyError::Invalid(format!("the fleet view is read-only: {}", ssh_command(change))))
    }

    fn show_host(&mut self, host: Option<&str>) {
        self.host = host.map(str::to_string);
        // Back in the overview, the fleet is ranked afresh.
        self.ranked_at = None;
    }

    /// The past of the VFs on screen over the last `span` from one range query, a point every
    /// `step` (coarser when the backend refuses the query's size): one snapshot per point,
    /// its time placed on Prometheus's time line.
    fn history(&mut self, span: Duration, step: Duration) -> Vec<Snapshot> {
        if self.shown.is_empty() {
            return Vec::new();
        }
        let promql = self.promql.chart(&self.config.host_label, &self.shown);
        let mut step = step;
        let asked = step;
        let answer = loop {
            match self.api.range(&promql, span, step) {
                Ok(answer) => break answer,
                Err(e) if api::too_big(&e) && step < span => {
                    tracing::warn!(
                        "the chart's range query at a {step:?} step was refused ({e}); trying a coarser one"
                    );
                    step *= 4;
                    self.notice = Some(format!(
                        "chart history at {}s steps: {}s ones refused as too big",
                        step.as_secs(),
                        asked.as_secs()
                    ));
                }
                Err(e) => {
                    tracing::warn!("no history for the chart: {e}");
                    return Vec::new();
                }
            }
        };
        let series = answer.series.len();
        self.costs.push(Cost {
            what: "chart",
            query: promql,
            series,
            bytes: answer.bytes,
            took: answer.took,
        });
        let mut at: BTreeMap<i64, BTreeMap<String, HostView>> = BTreeMap::new();
        for s in &answer.series {
            let Some(host) = self.host_of(&s.metric) else { continue };
            for (t, value) in &s.values {
                let Ok(v) = value.parse::<f64>() else { continue };
                at.entry((t * 1000.0) as i64)
                    .or_default()
                    .entry(host.clone())
                    .or_default()
                    .add_vf(&s.metric, v);
            }
        }
        // The live samples follow on from here: the last step is theirs.
        let until = unix_now().saturating_sub(step);
        at.into_iter()
            .filter_map(|(ms, hosts)| {
                let taken_at = Duration::from_millis(u64::try_from(ms).ok()?);
                let pfs =
                    hosts.iter().flat_map(|(host, view)| view.pfs.values().map(|pf| fleet_pf(host, pf)));
                (taken_at <= until).then(|| Snapshot { taken_at, pfs: pfs.collect(), ..Snapshot::default() })
            })
            .collect()
    }
}

/// Wall-clock time since the Unix epoch: the fleet's readings are placed on Prometheus's own
/// time line (history from range queries and live samples alike).
fn unix_now() -> Duration {
    Duration::from_millis(u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0))
}

/// The PF as the console shows it: named `HOST/PF`, its VFs in order, never stale when fresh.
fn fleet_pf(host: &str, pf: &Pf) -> Pf {
    let mut out = pf.clone();
    out.name = format!("{host}/{}", pf.name);
    out.vfs.sort_by_key(|v| v.index);
    out.stale = false;
    out
}

/// The PF's own name within `HOST/PF`.
fn pf_name<'a>(host: &str, name: &'a str) -> &'a str {
    name.strip_prefix(host).and_then(|n| n.strip_prefix('/')).unwrap_or(name)
}

/// The step of the chart's history over `window`: never more points than the chart has
/// columns (about two thirds of a terminal `columns` wide), never finer than the sampling.
pub fn chart_step(window: Duration, interval: Duration, columns: u16) -> Duration {
    interval.max(window / (u32::from(columns) * 2 / 3).max(1))
}

/// The host (as its label says, port and all) of a fleet PF named `HOST/PF`.
pub fn host_of_pf(name: &str) -> Option<&str> {
    name.rsplit_once('/').map(|(host, _)| host)
}

/// `HOST/PF` split back into the host to reach (a `:port` dropped) and the PF.
pub fn split_fleet_pf(name: &str) -> Option<(&str, &str)> {
    let (host, pf) = name.rsplit_once('/')?;
    let host = match host.rsplit_once(':') {
        Some((h, port))
            if port.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(']') || h.starts_with('[') =>
        {
            h.trim_start_matches('[').trim_end_matches(']')
        }
        _ => host,
    };
    Some((host, pf))
}

/// The command that makes `change` on its host.
pub fn ssh_command(change: &RateChange) -> String {
    let crate::model::Target::Vf(key) = &change.target else {
        return "change devlink rates on the host itself".into();
    };
    let Some((host, pf)) = split_fleet_pf(&key.pf) else {
        return format!("sudo vftop set {} {}", key.pf, key.vf);
    };
    format!("ssh {host} sudo vftop set {pf} {} --max {} --min {}", key.vf, change.new.max, change.new.min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VfKey;

    #[test]
    fn selectors_and_hosts() {
        let config = |s: &str| FleetConfig {
            prometheus: "http://p".into(),
            selector: s.into(),
            host_label: "instance".into(),
            rows: 40,
            rate_window: promql::RECORDED_WINDOW,
            rules: true,
        };
        assert_eq!(config("{job=\"vftop\"}").matchers().unwrap(), "job=\"vftop\"");
        assert!(
            config("job=\"vftop\"").matchers().unwrap_err().to_string().contains("not a series selector")
        );
        assert_eq!(split_fleet_pf("node7:9808/ens1f0"), Some(("node7", "ens1f0")));
        assert_eq!(split_fleet_pf("node7/ens1f0"), Some(("node7", "ens1f0")));
        assert_eq!(split_fleet_pf("[::1]:9808/ens1f0"), Some(("::1", "ens1f0")));
        assert_eq!(split_fleet_pf("ens1f0"), None);
    }

    #[test]
    fn the_demo_fleet_has_three_hosts_named_and_read_only() {
        let clock = crate::source::FakeClock::default();
        let mut fleet = DemoFleet::new(std::sync::Arc::new(clock.clone()));
        clock.advance(Duration::from_secs(1));
        let snapshot = fleet.sample().unwrap();
        let names: Vec<&str> = snapshot.pfs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["demo-a/ens1f0", "demo-b/ens1f0", "demo-c/ens1f0"]);
        let key = VfKey { pf: "demo-b/ens1f0".into(), vf: 1 };
        assert_eq!(fleet.roles().by_vf[&key].name, "Backup");
        let change = RateChange::vf(key, RateLimit::new(0, 2000), RateLimit::new(0, 1000));
        let refusal = fleet.apply(&change).unwrap_err().to_string();
        assert!(refusal.contains("ssh demo-b sudo vftop set ens1f0 1 --max 1G"), "{refusal}");
    }

    #[test]
    fn the_command_for_a_host() {
        let key = VfKey { pf: "node7:9808/ens1f0".into(), vf: 3 };
        let change = RateChange::vf(key, RateLimit::new(0, 2000), RateLimit::new(0, 500));
        assert_eq!(ssh_command(&change), "ssh node7 sudo vftop set ens1f0 3 --max 500M --min none");
    }

    #[test]
    fn tagged_parts_become_pfs_and_vfs_with_the_query_engines_rates() {
        let mut view = HostView::default();
        let labels = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Labels>()
        };
        let vf = |part: &str| labels(&[("pf", "ens1f0"), ("vf", "1"), (PART, part)]);
        view.add_pf(&labels(&[("pf", "ens1f0"), (PART, "link")]), 1.25e9, true);
        view.add_pf(&labels(&[("pf", "ens1f0"), (PART, "tx")]), 5e8, true);
        view.add_pf(&labels(&[("pf", "ens1f0"), (PART, "vfs")]), 64.0, true);
        view.add_vf(&vf("tx"), 2.5e8);
        view.add_vf(&vf("drops"), 12.5);
        view.add_vf(&vf("max"), 2.5e8);
        let info = labels(&[
            ("pf", "ens1f0"),
            ("vf", "1"),
            (PART, "partition"),
            ("partition", "Backup"),
            ("vlan", "300"),
            ("mac", "02:00:5e:10:00:01"),
        ]);
        view.add_vf(&info, 1.0);
        let owner = labels(&[
            ("pf", "ens1f0"),
            ("vf", "1"),
            (PART, "owner"),
            ("kind", "pod"),
            ("name", "api-7f9c"),
            ("namespace", "payments"),
        ]);
        view.add_vf(&owner, 1.0);
        let pf = fleet_pf("host-a", &view.pfs["ens1f0"]);
        assert_eq!((pf.name.as_str(), pf.link_speed, pf.num_vfs), ("host-a/ens1f0", Some(Mbps(10_000)), 64));
        let totals = pf.totals.unwrap();
        assert_eq!((totals.tx, totals.vfs), (BitsPerSec(4e9), 64));
        let vf = &pf.vfs[0];
        assert_eq!((vf.index, vf.rate.max, vf.vlan), (1, Mbps(2000), 300));
        let rates = vf.queried.unwrap();
        assert_eq!((rates.tx, rates.drops_per_sec), (BitsPerSec(2e9), 12.5));
        assert_eq!(vf.mac.to_string(), "02:00:5e:10:00:01");
        assert_eq!(vf.partition.as_deref(), Some("Backup"));
        assert_eq!(vf.owner.as_ref().map(|o| o.label()).as_deref(), Some("pod payments/api-7f9c"));
        // The reading takes the query engine's rates as they are, with no sample before.
        let snapshot = Snapshot { pfs: vec![pf], ..Snapshot::default() };
        let reading = crate::metrics::reading::Reading::new(None, &snapshot);
        let r = reading.rates("host-a/ens1f0", 1);
        assert!(r.measured() && r.tx == BitsPerSec(2e9), "{r:?}");
        // The link's use is the PF's sum over all 64 VFs, not the one on screen.
        let c = reading.contention_of("host-a/ens1f0").unwrap();
        assert_eq!(c.used, BitsPerSec(4e9));
        assert!(c.pinned.iter().any(|k| k.vf == 1), "{c:?}");
    }

    #[test]
    fn the_demo_fleet_drills_into_one_host_and_back() {
        let clock = crate::source::FakeClock::default();
        let mut fleet = DemoFleet::new(std::sync::Arc::new(clock.clone()));
        clock.advance(Duration::from_secs(1));
        fleet.show_host(Some("demo-b"));
        let one = fleet.sample().unwrap();
        let names: Vec<&str> = one.pfs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["demo-b/ens1f0"]);
        let view = one.fleet.unwrap();
        assert_eq!((view.host.as_deref(), view.hosts, view.vfs), (Some("demo-b"), 3, 18));
        fleet.show_host(None);
        assert_eq!(fleet.sample().unwrap().pfs.len(), 3);
        assert_eq!(host_of_pf("node7:9808/ens1f0"), Some("node7:9808"));
    }

    #[test]
    fn the_demo_fleet_has_the_past_of_a_host_drilled_into() {
        let clock = crate::source::FakeClock::default();
        let mut fleet = DemoFleet::new(std::sync::Arc::new(clock.clone()));
        for _ in 0..10 {
            clock.advance(Duration::from_secs(1));
            fleet.sample().unwrap();
        }
        fleet.show_host(Some("demo-c"));
        let now = fleet.sample().unwrap().taken_at;
        let past = fleet.history(Duration::from_secs(6), Duration::from_secs(2));
        let ages: Vec<u64> = past.iter().map(|s| (now - s.taken_at).as_secs()).collect();
        assert_eq!(ages, [6, 4, 2], "the last 6 s before the live sample, 2 s apart");
        let hosts: std::collections::BTreeSet<_> =
            past.iter().flat_map(|s| s.pfs.iter().filter_map(|pf| host_of_pf(&pf.name))).collect();
        assert_eq!(hosts.into_iter().collect::<Vec<_>>(), ["demo-c"], "sampled while the overview was shown");
        assert!(past.iter().all(|s| s.pfs[0].vfs.iter().any(|v| v.counters.tx_bytes > 0)));
    }

    #[test]
    fn the_chart_step_gives_no_more_points_than_columns() {
        let (hour, second) = (Duration::from_secs(3600), Duration::from_secs(1));
        assert_eq!(chart_step(hour, second, 120), Duration::from_secs(45), "80 columns of chart");
        assert_eq!(chart_step(Duration::from_secs(30), second, 120), second, "never finer than sampling");
        assert_eq!(chart_step(hour, second, 1), hour, "no columns: one point");
    }
}
