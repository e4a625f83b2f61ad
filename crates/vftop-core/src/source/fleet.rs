//! The fleet: every host a Prometheus server scrapes `vftop serve` on, read over
//! Prometheus's HTTP API (instant queries each sample), as one snapshot whose PFs are named
//! `HOST/PF`. Read-only: rates are changed on the hosts themselves.

use super::{ApplyError, SampleError, Source, SourceKind};
use crate::families;
use crate::model::owner::{Owner, OwnerKind, OwnerSource};
use crate::model::{CounterOrigin, Counters, Mbps, Pf, RateChange, RateLimit, Snapshot, Vf};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The metric families the console needs, in one query: what the exporter writes, and `up`.
fn families() -> String {
    let mut names = families::FLEET_READS.to_vec();
    names.push("up");
    names.join("|")
}

/// How long one query may take before the sample counts as failed.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

/// Where the fleet is and how its hosts are told apart.
#[derive(Clone, Debug)]
pub struct FleetConfig {
    /// Prometheus's base URL, e.g. `http://prom:9090`.
    pub prometheus: String,
    /// A series selector naming the exporters' targets, e.g. `{job="vftop"}`.
    pub selector: String,
    /// The label that names a host (`instance` unless told otherwise).
    pub host_label: String,
}

impl FleetConfig {
    /// The selector's matchers without braces (`job="vftop"`); an error in words for one
    /// that is not `{…}`.
    pub fn matchers(&self) -> Result<String, String> {
        let s = self.selector.trim();
        let inner = s.strip_prefix('{').and_then(|r| r.strip_suffix('}'));
        inner
            .map(|m| m.trim().to_string())
            .ok_or_else(|| format!("--selector '{s}' is not a series selector like '{{job=\"vftop\"}}'"))
    }
}

/// The fleet as Prometheus sees it.
pub struct FleetSource {
    config: FleetConfig,
    matchers: String,
    agent: ureq::Agent,
    /// Each host's PFs as last seen, kept (marked stale) when the host stops reporting.
    last: BTreeMap<String, Vec<Pf>>,
}

impl FleetSource {
    /// Checks the selector and that Prometheus answers, and takes a first look at the fleet.
    pub fn open(config: FleetConfig) -> Result<FleetSource, SampleError> {
        let matchers = config.matchers().map_err(SampleError::Other)?;
        let agent: ureq::Agent =
            ureq::Agent::config_builder().timeout_global(Some(QUERY_TIMEOUT)).build().into();
        let mut source = FleetSource { config, matchers, agent, last: BTreeMap::new() };
        let first = source.sample()?;
        if first.pfs.is_empty() {
            return Err(SampleError::Other(format!(
                "Prometheus at {} has no vftop series for {}: is `vftop serve` scraped there?",
                source.config.prometheus, source.config.selector
            )));
        }
        Ok(source)
    }

    /// One instant query; the result vector's series.
    fn query(&self, promql: &str) -> Result<Vec<InstantSeries>, SampleError> {
        let url = format!("{}/api/v1/query", self.config.prometheus.trim_end_matches('/'));
        let unreachable =
            |e: String| SampleError::Other(format!("Prometheus {} unreachable: {e}", self.config.prometheus));
        let mut response =
            self.agent.get(&url).query("query", promql).call().map_err(|e| unreachable(e.to_string()))?;
        let doc: ApiResponse<InstantSeries> =
            response.body_mut().read_json().map_err(|e| unreachable(e.to_string()))?;
        doc.result("query")
    }

    /// A range query's result matrix.
    fn query_range(
        &self,
        promql: &str,
        span: Duration,
        step: Duration,
    ) -> Result<Vec<RangeSeries>, SampleError> {
        let url = format!("{}/api/v1/query_range", self.config.prometheus.trim_end_matches('/'));
        let end = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
        let unreachable =
            |e: String| SampleError::Other(format!("Prometheus {} unreachable: {e}", self.config.prometheus));
        let mut response = self
            .agent
            .get(&url)
            .query("query", promql)
            .query("start", format!("{:.3}", end - span.as_secs_f64()))
            .query("end", format!("{end:.3}"))
            .query("step", format!("{:.3}", step.as_secs_f64().max(1.0)))
            .call()
            .map_err(|e| unreachable(e.to_string()))?;
        let doc: ApiResponse<RangeSeries> =
            response.body_mut().read_json().map_err(|e| unreachable(e.to_string()))?;
        doc.result("range query")
    }

    fn host_of(&self, labels: &Labels) -> Option<String> {
        labels.get(&self.config.host_label).or_else(|| labels.get("instance")).cloned()
    }
}

/// A series' labels, `__name__` among them.
type Labels = BTreeMap<String, String>;

/// Prometheus's HTTP API answer: `{"status", "data": {"result": [...]}, "error"}`.
#[derive(Deserialize)]
struct ApiResponse<T> {
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default = "no_data")]
    data: ApiData<T>,
}

#[derive(Deserialize)]
struct ApiData<T> {
    #[serde(default = "Vec::new")]
    result: Vec<T>,
}

fn no_data<T>() -> ApiData<T> {
    ApiData { result: Vec::new() }
}

impl<T> ApiResponse<T> {
    /// The result, or the refusal in Prometheus's words.
    fn result(self, what: &str) -> Result<Vec<T>, SampleError> {
        if self.status != "success" {
            let why = self.error.unwrap_or_else(|| format!("status {}", self.status));
            return Err(SampleError::Other(format!("Prometheus refused the {what}: {why}")));
        }
        Ok(self.data.result)
    }
}

/// One series of an instant vector: its labels and `[time, "value"]`.
#[derive(Deserialize)]
struct InstantSeries {
    metric: Labels,
    value: (f64, String),
}

/// One series of a range matrix: its labels and `[[time, "value"], …]`.
#[derive(Deserialize)]
struct RangeSeries {
    metric: Labels,
    values: Vec<(f64, String)>,
}

/// Wall-clock time since the Unix epoch: the fleet's readings are placed on Prometheus's own
/// time line (history from range queries and live samples alike).
fn unix_now() -> Duration {
    Duration::from_millis(u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0))
}

fn label<'a>(labels: &'a Labels, name: &str) -> &'a str {
    labels.get(name).map_or("", String::as_str)
}

/// Bytes per second (the exporter's unit) to the kernel's Mbit/s.
fn mbps(bytes_per_sec: f64) -> Mbps {
    Mbps((bytes_per_sec * 8.0 / 1e6).round() as u32)
}

/// What one host reports, assembled from its series.
#[derive(Default)]
struct HostView {
    up: bool,
    pfs: BTreeMap<String, Pf>,
    /// Where each VF is in its PF's list (PF → VF index → position): one lookup per series.
    slots: std::collections::HashMap<String, std::collections::HashMap<u32, usize>>,
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
        let known = self.slots.get(pf_name).and_then(|vfs| vfs.get(&index)).copied();
        let pf = self.pf(pf_name);
        let slot = match known {
            Some(slot) => slot,
            None => {
                pf.vfs.push(Vf {
                    index,
                    counters: Counters { origin: CounterOrigin::Prometheus, ..Counters::default() },
                    ..Vf::default()
                });
                let slot = pf.vfs.len() - 1;
                self.slots.entry(pf_name.to_string()).or_default().insert(index, slot);
                slot
            }
        };
        &mut self.pf(pf_name).vfs[slot]
    }

    /// Takes in one series of one of [`families`].
    fn add(&mut self, name: &str, labels: &Labels, value: f64) {
        let pf = label(labels, "pf");
        let vf: Option<u32> = label(labels, "vf").parse().ok();
        match (name, vf) {
            ("up", _) => self.up = value == 1.0,
            (families::LINK_SPEED, _) => self.pf(pf).link_speed = Some(mbps(value)),
            (families::PF_VFS, _) => self.pf(pf).num_vfs = value as u32,
            (families::PF_VFS_TRUNCATED, _) => self.pf(pf).vfs_truncated = value == 1.0,
            (_, Some(vf)) => self.add_vf(name, labels, pf, vf, value),
            _ => {}
        }
    }

    fn add_vf(&mut self, name: &str, labels: &Labels, pf: &str, index: u32, value: f64) {
        let vf = self.vf(pf, index);
        let c = &mut vf.counters;
        let count = value as u64;
        match name {
            families::SRIOV_RX_BYTES => c.rx_bytes = count,
            families::SRIOV_TX_BYTES => c.tx_bytes = count,
            families::SRIOV_RX_PACKETS => c.rx_packets = count,
            families::SRIOV_TX_PACKETS => c.tx_packets = count,
            families::SRIOV_RX_DROPPED => c.rx_dropped = count,
            families::SRIOV_TX_DROPPED => c.tx_dropped = count,
            families::VF_MIN_RATE => vf.rate.min = mbps(value),
            families::VF_MAX_RATE => vf.rate.max = mbps(value),
            families::PARTITION_INFO => {
                vf.vlan = label(labels, "vlan").parse().unwrap_or(0);
                vf.mac = label(labels, "mac").parse().unwrap_or_default();
                vf.partition = Some(label(labels, "partition").to_string()).filter(|p| !p.is_empty());
            }
            families::VF_OWNER_INFO => {
                vf.owner = OwnerKind::parse(label(labels, "kind")).map(|kind| Owner {
                    namespace: Some(label(labels, "namespace").to_string()).filter(|n| !n.is_empty()),
                    ..Owner::new(kind, label(labels, "name"), OwnerSource::Exporter)
                });
            }
            _ => {}
        }
    }
}

impl Source for FleetSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Fleet
    }

    fn sample(&mut self) -> Result<Snapshot, SampleError> {
        let taken_at = unix_now();
        let series = self.query(&format!("{{__name__=~\"{}\",{}}}", families(), self.matchers))?;
        let mut hosts: BTreeMap<String, HostView> = BTreeMap::new();
        for s in &series {
            let labels = &s.metric;
            let (Some(host), name) = (self.host_of(labels), label(labels, "__name__")) else { continue };
            hosts.entry(host).or_default().add(name, labels, s.value.1.parse().unwrap_or(0.0));
        }
        for (host, view) in &hosts {
            if view.up && !view.pfs.is_empty() {
                self.last.insert(host.clone(), view.pfs.values().map(|pf| fleet_pf(host, pf)).collect());
            } else if let Some(pfs) = self.last.get_mut(host) {
                pfs.iter_mut().for_each(|pf| pf.stale = true);
            }
        }
        // A host Prometheus no longer reports at all is stale too.
        for (host, pfs) in &mut self.last {
            if !hosts.contains_key(host) {
                pfs.iter_mut().for_each(|pf| pf.stale = true);
            }
        }
        let pfs = self.last.values().flatten().cloned().collect();
        Ok(Snapshot { taken_at, pfs, ..Snapshot::default() })
    }

    fn apply(&mut self, change: &RateChange) -> Result<RateLimit, ApplyError> {
        Err(ApplyError::Invalid(format!("the fleet view is read-only: {}", ssh_command(change))))
    }

    /// The fleet over the last `span` from range queries: one snapshot per step, its time
    /// placed on this source's clock.
    fn history(&mut self, span: Duration, step: Duration) -> Vec<Snapshot> {
        let promql = format!("{{__name__=~\"{}\",{}}}", families(), self.matchers);
        let matrix = match self.query_range(&promql, span, step) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("no history for the chart: {e}");
                return Vec::new();
            }
        };
        let mut at: BTreeMap<i64, BTreeMap<String, HostView>> = BTreeMap::new();
        for series in &matrix {
            let labels = &series.metric;
            let (Some(host), name) = (self.host_of(labels), label(labels, "__name__")) else { continue };
            for (t, value) in &series.values {
                let Ok(v) = value.parse::<f64>() else { continue };
                let hosts = at.entry((t * 1000.0) as i64).or_default();
                hosts.entry(host.clone()).or_default().add(name, labels, v);
            }
        }
        // The live samples follow on from here: the last step is theirs.
        let until = unix_now().saturating_sub(step);
        at.into_iter()
            .filter_map(|(ms, hosts)| {
                let taken_at = Duration::from_millis(u64::try_from(ms).ok()?);
                if taken_at > until {
                    return None;
                }
                let pfs = hosts
                    .iter()
                    .filter(|(_, view)| view.up)
                    .flat_map(|(host, view)| view.pfs.values().map(|pf| fleet_pf(host, pf)))
                    .collect();
                Some(Snapshot { taken_at, pfs, ..Snapshot::default() })
            })
            .collect()
    }
}

/// The PF as the console shows it: named `HOST/PF`, its VFs in order, never stale when fresh.
fn fleet_pf(host: &str, pf: &Pf) -> Pf {
    let mut out = pf.clone();
    out.name = format!("{host}/{}", pf.name);
    out.vfs.sort_by_key(|v| v.index);
    out.stale = false;
    out
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

/// `vftop fleet --demo`: three simulated hosts (the reference design, each with its own
/// seed), read in-process as if through Prometheus: PFs named `HOST/PF`, read-only.
pub struct DemoFleet {
    hosts: Vec<(String, super::sim::SimSource)>,
}

impl DemoFleet {
    pub fn new(clock: std::sync::Arc<dyn super::Clock>) -> DemoFleet {
        let hosts = ["demo-a", "demo-b", "demo-c"]
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let mut scenario = super::sim::scenario::Scenario::reference();
                scenario.seed += i as u64 * 101;
                (host.to_string(), super::sim::SimSource::new(scenario, clock.clone()))
            })
            .collect();
        DemoFleet { hosts }
    }
}

impl Source for DemoFleet {
    fn kind(&self) -> SourceKind {
        SourceKind::Fleet
    }

    fn sample(&mut self) -> Result<Snapshot, SampleError> {
        let mut out = Snapshot::default();
        for (host, sim) in &mut self.hosts {
            let snapshot = sim.sample()?;
            out.taken_at = snapshot.taken_at;
            out.pfs.extend(snapshot.pfs.iter().map(|pf| fleet_pf(host, pf)));
        }
        Ok(out)
    }

    fn apply(&mut self, change: &RateChange) -> Result<RateLimit, ApplyError> {
        Err(ApplyError::Invalid(format!("the fleet view is read-only: {}", ssh_command(change))))
    }

    fn roles(&self) -> crate::model::RoleMap {
        let mut roles = crate::model::RoleMap::default();
        for (host, sim) in &self.hosts {
            for (key, role) in sim.roles().by_vf {
                let key = crate::model::VfKey { pf: format!("{host}/{}", key.pf), vf: key.vf };
                roles.by_vf.insert(key, role);
            }
        }
        roles
    }
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
        };
        assert_eq!(config("{job=\"vftop\"}").matchers().unwrap(), "job=\"vftop\"");
        assert!(config("job=\"vftop\"").matchers().unwrap_err().contains("not a series selector"));
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
    fn series_become_pfs_and_vfs() {
        let mut view = HostView::default();
        let labels = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<super::Labels>()
        };
        view.add("up", &labels(&[]), 1.0);
        view.add("vftop_link_speed_bytes_per_second", &labels(&[("pf", "ens1f0")]), 1.25e9);
        view.add("sriov_vf_tx_bytes", &labels(&[("pf", "ens1f0"), ("vf", "1")]), 4096.0);
        view.add("vftop_vf_max_tx_rate_bytes_per_second", &labels(&[("pf", "ens1f0"), ("vf", "1")]), 2.5e8);
        let info = labels(&[
            ("pf", "ens1f0"),
            ("vf", "1"),
            ("partition", "Backup"),
            ("vlan", "300"),
            ("mac", "02:00:5e:10:00:01"),
        ]);
        view.add("vftop_partition_info", &info, 1.0);
        let owner = labels(&[
            ("pf", "ens1f0"),
            ("vf", "1"),
            ("kind", "pod"),
            ("name", "api-7f9c"),
            ("namespace", "payments"),
            ("source", "kubelet pod-resources"),
        ]);
        view.add("vftop_vf_owner_info", &owner, 1.0);
        assert!(view.up);
        let pf = fleet_pf("host-a", &view.pfs["ens1f0"]);
        assert_eq!((pf.name.as_str(), pf.link_speed), ("host-a/ens1f0", Some(Mbps(10_000))));
        let vf = &pf.vfs[0];
        assert_eq!((vf.index, vf.counters.tx_bytes, vf.rate.max, vf.vlan), (1, 4096, Mbps(2000), 300));
        assert_eq!(vf.mac.to_string(), "02:00:5e:10:00:01");
        assert_eq!(vf.partition.as_deref(), Some("Backup"));
        assert_eq!(vf.owner.as_ref().map(|o| o.label()).as_deref(), Some("pod payments/api-7f9c"));
    }
}
