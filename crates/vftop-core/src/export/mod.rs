//! The Prometheus exporter: each sample becomes `/metrics` in the Prometheus text format
//! (0.0.4) and OpenMetrics, encoded once per sample so a scrape never waits on the kernel;
//! for `vftop dump`, the same families of many samples become one timestamped [`Backfill`].
//!
//! Families (labels): sriov-network-metrics-exporter's `sriov_vf_{rx,tx}_{bytes,packets,
//! dropped}` and `sriov_vf_rx_{broadcast,multicast}` {pf, vf, pciAddr, numa_node} (its netlink
//! set), and `sriov_vf_tx_errors` (its sysfs set) where the VF's netdev or its PF driver's sysfs
//! files count them, with their exact names (untyped, as an OpenMetrics counter would have to be
//! renamed `_total`), and vftop's own under `vftop_`. Counters are compensated across VF resets
//! (a counter that goes down continues from its last value), so every series stays monotonic.
//! Rates are bytes per second, Prometheus's base unit (the kernel's VF limits are Mbit/s:
//! 1 Mbit/s = 125 000 B/s). Cardinality: 17 series per VF (one more with transmit errors, one
//! more with an owner, two for a pod's; two or three where limits are declared), 6 per PF, 2 per
//! devlink rate object, 3 in all; driver statistics only with `--ethtool-stats` (one series per
//! statistic per netdev).

pub mod http;
pub mod web_config;

use crate::families;
use crate::metrics::rate::FunctionRates;
use crate::metrics::reading::Reading;
use crate::model::episode::EpisodeKind;
use crate::model::owner::{Owner, OwnerKind};
use crate::model::{Counters, Mbps, Pf, RoleMap, Snapshot, Vf, VfKey};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// One sample, encoded in both formats.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exposition {
    /// `text/plain; version=0.0.4`.
    pub text: String,
    /// `application/openmetrics-text; version=1.0.0`.
    pub openmetrics: String,
}

/// Turns samples into expositions; keeps what it needs between them (the previous sample for
/// rates, per-VF offsets for counters that were reset).
pub struct Exporter {
    roles: RoleMap,
    ethtool_stats: bool,
    previous: Option<Snapshot>,
    counters: HashMap<VfKey, Compensated>,
    /// Counter resets seen per VF (`vftop_vf_resets_total`).
    resets: HashMap<VfKey, u64>,
    samples: u64,
    failures: u64,
    episodes: crate::metrics::episodes::EpisodeTracker,
    /// Episodes begun, by kind (`vftop_episodes_total`).
    episodes_begun: std::collections::BTreeMap<EpisodeKind, u64>,
    /// What the config declares (nothing: no declared series).
    intent: crate::model::declared::Intent,
}

/// The six counters of one VF as the kernel last gave them, and what to add after resets.
#[derive(Clone, Copy, Debug, Default)]
struct Compensated {
    last: [u64; COUNTED],
    offset: [u64; COUNTED],
}

impl Compensated {
    /// Monotonic values for `raw`: a counter that went down continues from where it was.
    fn update(&mut self, raw: [u64; COUNTED]) -> [u64; COUNTED] {
        let mut out = [0; COUNTED];
        for i in 0..COUNTED {
            if raw[i] < self.last[i] {
                self.offset[i] = self.offset[i].saturating_add(self.last[i]);
            }
            self.last[i] = raw[i];
            out[i] = raw[i].saturating_add(self.offset[i]);
        }
        out
    }
}

/// How many of a VF's counters are exported (the sriov exporter's netlink set, and its
/// sysfs set's transmit errors).
const COUNTED: usize = 9;
/// Where in [`raw_counters`] the transmit errors are, which only some VFs have.
const TX_ERRORS: usize = 8;

fn raw_counters(c: &Counters) -> [u64; COUNTED] {
    let traffic = c.traffic();
    std::array::from_fn(|i| traffic.get(i).copied().unwrap_or(c.tx_errors.unwrap_or(0)))
}

/// The sriov exporter's counter families, in the order of [`raw_counters`].
const SRIOV_COUNTERS: [(&str, &str); COUNTED] = [
    (families::SRIOV_RX_BYTES, "Bytes received by the VF."),
    (families::SRIOV_TX_BYTES, "Bytes sent by the VF."),
    (families::SRIOV_RX_PACKETS, "Packets received by the VF."),
    (families::SRIOV_TX_PACKETS, "Packets sent by the VF."),
    (families::SRIOV_RX_DROPPED, "Received packets the VF dropped."),
    (families::SRIOV_TX_DROPPED, "Packets to send that the VF dropped."),
    (families::SRIOV_RX_BROADCAST, "Broadcast packets the VF received."),
    (families::SRIOV_RX_MULTICAST, "Multicast packets the VF received."),
    (
        families::SRIOV_TX_ERRORS,
        "Packets the VF failed to send (its netdev's or its PF driver's sysfs count).",
    ),
];

impl Exporter {
    pub fn new(roles: RoleMap, ethtool_stats: bool) -> Exporter {
        Exporter {
            roles,
            ethtool_stats,
            previous: None,
            counters: HashMap::new(),
            resets: HashMap::new(),
            samples: 0,
            failures: 0,
            episodes: Default::default(),
            episodes_begun: Default::default(),
            intent: Default::default(),
        }
    }

    /// Exports each declared VF's declared limits and whether it has them.
    pub fn with_intent(self, intent: crate::model::declared::Intent) -> Exporter {
        Exporter { intent, ..self }
    }

    /// A sample could not be taken: counted, and the last exposition stays.
    pub fn sample_failed(&mut self) {
        self.failures += 1;
    }

    /// Takes in a sample and encodes it.
    pub fn update(&mut self, snapshot: Snapshot) -> Exposition {
        let frame = self.take_in(snapshot);
        let mut registry = Registry::default();
        registry.register_collector(Box::new(frame));
        let mut exposition = Exposition::default();
        // Writing into a String cannot fail; an encoder error would be a bug in a label.
        if let Err(e) = prometheus_client::encoding::prometheus_text::encode(&mut exposition.text, &registry)
        {
            tracing::error!("text exposition failed: {e}");
        }
        if let Err(e) = prometheus_client::encoding::text::encode(&mut exposition.openmetrics, &registry) {
            tracing::error!("OpenMetrics exposition failed: {e}");
        }
        exposition
    }

    /// Takes in a sample taken at `at_ms` (ms since the epoch) and adds its families to
    /// `backfill`, each sample with that time.
    pub fn backfill(&mut self, snapshot: Snapshot, at_ms: i64, backfill: &mut Backfill) {
        let frame = self.take_in(snapshot);
        backfill.at_secs = at_ms as f64 / 1000.0;
        // Writing into a String cannot fail, as in `update`.
        if let Err(e) = frame.write(backfill) {
            tracing::error!("OpenMetrics backfill failed: {e}");
        }
    }

    /// Counts a sample and resolves it into the rows the families are written from.
    fn take_in(&mut self, snapshot: Snapshot) -> Frame {
        self.samples += 1;
        let frame = self.frame(&snapshot);
        self.previous = Some(snapshot);
        frame
    }

    /// What this sample shows, resolved into rows (rates against the previous sample,
    /// compensated counters, flags from the contention assessment).
    fn frame(&mut self, snapshot: &Snapshot) -> Frame {
        // The one reading of the sample (rates, contention), as the console has it.
        let reading = Reading::new(self.previous.as_ref(), snapshot);
        let mut frame = Frame { samples: self.samples, failures: self.failures, ..Frame::default() };
        let at_ms = snapshot.taken_at.as_millis() as i64;
        let roles = &self.roles;
        let name = |key: &VfKey| {
            let vf = snapshot.vf(key).map(|(_, v)| v);
            roles
                .resolve(key, vf.map_or(0, |v| v.vlan))
                .map(|r| r.name.clone())
                .or(vf.and_then(|v| v.partition.clone()))
        };
        for news in self.episodes.step(at_ms, &reading, &name) {
            if let crate::metrics::episodes::EpisodeNews::Started(e) = news {
                *self.episodes_begun.entry(e.kind).or_default() += 1;
            }
        }
        frame.episodes_begun =
            EpisodeKind::ALL.iter().map(|k| (*k, self.episodes_begun.get(k).copied().unwrap_or(0))).collect();
        frame.active_episodes = self.episodes.active().map(|e| (e.pf.clone(), e.vf, e.kind)).collect();
        let mut seen = HashSet::new();
        // An intent that names a VF twice is refused by `check`; here it exports nothing.
        let declared = self.intent.resolve(snapshot, &self.roles).unwrap_or_default();
        for pf in &snapshot.pfs {
            let contention = reading.contention_of(&pf.name);
            for vf in &pf.vfs {
                let key = VfKey { pf: pf.name.clone(), vf: vf.index };
                let rates = reading.rates(&pf.name, vf.index);
                let counters =
                    self.counters.entry(key.clone()).or_default().update(raw_counters(&vf.counters));
                let resets = self.resets.entry(key.clone()).or_default();
                *resets += u64::from(rates.reset);
                let resets = *resets;
                let mut row = self.vf_row(pf, vf, &key, counters, rates);
                row.resets = resets;
                row.at_cap = contention.is_some_and(|c| c.pinned.contains(&key));
                row.below_guarantee = contention.is_some_and(|c| c.starved.contains(&key));
                row.declared = declared.of(&key).map(|d| DeclaredRow {
                    min: d.min,
                    max: d.max,
                    conformant: d.wanted(vf.rate) == vf.rate,
                });
                frame.vfs.push(row);
                seen.insert(key);
            }
            frame.pfs.push(pf_row(pf));
            if self.ethtool_stats {
                push_driver_stats(&mut frame.driver_stats, &pf.name, pf);
            }
        }
        self.counters.retain(|k, _| seen.contains(k));
        self.resets.retain(|k, _| seen.contains(k));
        frame.rate_objects = snapshot
            .rate_objects
            .iter()
            .map(|o| RateObjectRow {
                id: o.target.to_string(),
                name: o.name.clone(),
                parent: o.parent.clone().unwrap_or_default(),
                tx_share: o.limit.min,
                tx_max: o.limit.max,
            })
            .collect();
        frame.sample_duration_secs = snapshot.sample_duration.as_secs_f64();
        frame
    }

    fn vf_row(&self, pf: &Pf, vf: &Vf, key: &VfKey, counters: [u64; COUNTED], rates: FunctionRates) -> VfRow {
        VfRow {
            pf: pf.name.clone(),
            vf: vf.index,
            pci: vf.pci.clone().unwrap_or_default(),
            numa_node: pf.numa_node,
            partition: self
                .roles
                .resolve(key, vf.vlan)
                .map(|r| r.name.clone())
                .or_else(|| vf.partition.clone())
                .unwrap_or_default(),
            vlan: vf.vlan,
            mac: vf.mac.to_string(),
            counters,
            origin: vf.counters.origin.label(),
            counted: vf.counters.origin != crate::model::CounterOrigin::Unmeasured,
            counts_tx_errors: vf.counters.tx_errors.is_some(),
            measured: rates.measured(),
            resets: 0,
            min: vf.rate.min,
            max: vf.rate.max,
            tx_bps: rates.tx.0,
            rx_bps: rates.rx.0,
            at_cap: false,
            below_guarantee: false,
            owner: vf.owner.clone(),
            declared: None,
            link_state: vf.link_state.label(),
            trust: flag(vf.trust),
            spoofchk: flag(vf.spoofchk),
        }
    }
}

fn pf_row(pf: &Pf) -> PfRow {
    PfRow {
        pf: pf.name.clone(),
        link_speed: pf.link_speed,
        num_vfs: pf.num_vfs,
        vfs_truncated: pf.vfs_truncated,
        link_up: pf.link.carrier.map(|_| pf.link.is_up()),
        carrier: pf.link.carrier,
        operstate: pf.link.oper.label(),
        pause: pf.pause,
        port: pf.port,
    }
}

fn push_driver_stats(out: &mut Vec<(String, String, u64)>, netdev: &str, pf: &Pf) {
    out.extend(pf.driver_stats.iter().map(|s| (netdev.to_string(), s.name.clone(), s.value)));
    for vf in &pf.vfs {
        if let Some(name) = &vf.netdev {
            out.extend(vf.driver_stats.iter().map(|s| (name.clone(), s.name.clone(), s.value)));
        }
    }
}

/// One sample as rows, ready to encode.
#[derive(Clone, Debug, Default)]
struct Frame {
    vfs: Vec<VfRow>,
    pfs: Vec<PfRow>,
    rate_objects: Vec<RateObjectRow>,
    driver_stats: Vec<(String, String, u64)>,
    sample_duration_secs: f64,
    samples: u64,
    failures: u64,
    episodes_begun: Vec<(EpisodeKind, u64)>,
    active_episodes: Vec<(String, Option<u32>, EpisodeKind)>,
}

#[derive(Clone, Debug)]
struct VfRow {
    pf: String,
    vf: u32,
    pci: String,
    /// The PF's NUMA node, a label of the upstream exporter's counters.
    numa_node: Option<i32>,
    partition: String,
    vlan: u16,
    mac: String,
    counters: [u64; COUNTED],
    origin: &'static str,
    /// Something counts its traffic (not a driver without per-VF counters and no netdev).
    counted: bool,
    /// Something counts its transmit errors (its netdev, or its PF driver's sysfs files).
    counts_tx_errors: bool,
    /// Its rates are rates this interval.
    measured: bool,
    resets: u64,
    min: Mbps,
    max: Mbps,
    tx_bps: f64,
    rx_bps: f64,
    at_cap: bool,
    below_guarantee: bool,
    owner: Option<Owner>,
    declared: Option<DeclaredRow>,
    link_state: &'static str,
    /// `on`, `off`, or empty where the kernel did not say.
    trust: &'static str,
    spoofchk: &'static str,
}

fn flag(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "on",
        Some(false) => "off",
        None => "",
    }
}

/// A declared VF's declared limits (`None`: not declared) and whether it has them.
#[derive(Clone, Copy, Debug)]
struct DeclaredRow {
    min: Option<Mbps>,
    max: Option<Mbps>,
    conformant: bool,
}

#[derive(Clone, Debug)]
struct PfRow {
    pf: String,
    link_speed: Option<Mbps>,
    num_vfs: u32,
    vfs_truncated: bool,
    link_up: Option<bool>,
    carrier: Option<bool>,
    operstate: &'static str,
    pause: Option<crate::model::PauseCounters>,
    port: Option<crate::model::PortCounters>,
}

#[derive(Clone, Debug)]
struct RateObjectRow {
    id: String,
    name: String,
    parent: String,
    tx_share: Mbps,
    tx_max: Mbps,
}

/// Mbit/s in bytes per second (Prometheus's base unit).
fn bytes(m: Mbps) -> f64 {
    f64::from(m.0) * 1e6 / 8.0
}

type Labels = Vec<(&'static str, String)>;

/// A per-VF gauge: name, help, value.
/// A PF counter family: name, help, and its value for a PF (none: not counted there).
type PfCounter = (&'static str, &'static str, fn(&PfRow) -> Option<u64>);
type VfGauge = (&'static str, &'static str, fn(&VfRow) -> f64);

/// A family's name, help and type.
type Descriptor<'d> = (&'d str, &'d str, MetricType);

/// Where the families are written: prometheus-client's encoder (a scrape's exposition) or a
/// [`Backfill`] (every sample with its time, for `vftop dump`).
trait FamilyWriter {
    /// One family: its descriptor, then its samples.
    fn family<V: SampleValue>(
        &mut self,
        descriptor: Descriptor<'_>,
        samples: impl Iterator<Item = (Labels, V)>,
    ) -> Result<(), std::fmt::Error>;
}

/// A sample's value, as prometheus-client writes it (integers as they are, floats by dtoa).
trait SampleValue: EncodeGaugeValue + EncodeCounterValue {
    fn write_to(&self, out: &mut String);
}

impl SampleValue for u64 {
    fn write_to(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl SampleValue for f64 {
    fn write_to(&self, out: &mut String) {
        out.push_str(dtoa::Buffer::new().format(*self));
    }
}

impl FamilyWriter for DescriptorEncoder<'_> {
    fn family<V: SampleValue>(
        &mut self,
        (name, help, kind): Descriptor<'_>,
        samples: impl Iterator<Item = (Labels, V)>,
    ) -> Result<(), std::fmt::Error> {
        let mut metric = self.encode_descriptor(name, help, None, kind)?;
        for (labels, value) in samples {
            let mut point = metric.encode_family(&labels)?;
            match kind {
                MetricType::Counter => point.encode_counter::<NoLabelSet, _, u64>(&value, None)?,
                _ => point.encode_gauge(&value)?,
            }
        }
        Ok(())
    }
}

/// Many samples' families in OpenMetrics, each family once with the samples of all, each
/// sample with its time in seconds: what `promtool tsdb create-blocks-from openmetrics`
/// reads. The families that describe the exporter's process, not the NIC, are left out.
#[derive(Clone, Debug, Default)]
pub struct Backfill {
    /// Each family's name, descriptor lines and sample lines, in the order first written.
    families: Vec<(String, String, String)>,
    /// The time of the sample being written.
    at_secs: f64,
}

impl Backfill {
    /// Every family that has samples, then `# EOF`.
    pub fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        for (_, descriptor, samples) in self.families.iter().filter(|f| !f.2.is_empty()) {
            out.write_all(descriptor.as_bytes())?;
            out.write_all(samples.as_bytes())?;
        }
        writeln!(out, "# EOF")
    }

    /// The lines of family `name`, started with its descriptor the first time.
    fn lines_of(&mut self, (name, help, kind): Descriptor<'_>) -> &mut String {
        let at = match self.families.iter().position(|f| f.0 == name) {
            Some(at) => at,
            None => {
                let descriptor = format!("# HELP {name} {help}\n# TYPE {name} {}\n", kind.as_str());
                self.families.push((name.to_string(), descriptor, String::new()));
                self.families.len() - 1
            }
        };
        &mut self.families[at].2
    }
}

impl FamilyWriter for Backfill {
    fn family<V: SampleValue>(
        &mut self,
        descriptor: Descriptor<'_>,
        samples: impl Iterator<Item = (Labels, V)>,
    ) -> Result<(), std::fmt::Error> {
        let (name, _, kind) = descriptor;
        if families::PROCESS.contains(&name) {
            return Ok(());
        }
        let at_secs = self.at_secs;
        let lines = self.lines_of(descriptor);
        let suffix = if kind == MetricType::Counter { "_total" } else { "" };
        for (labels, value) in samples {
            lines.push_str(name);
            lines.push_str(suffix);
            write_labels(lines, &labels);
            lines.push(' ');
            value.write_to(lines);
            writeln!(lines, " {at_secs:.3}")?;
        }
        Ok(())
    }
}

/// `{pf="ens1f0",vf="3"}` (nothing for no labels), values escaped as OpenMetrics wants.
fn write_labels(out: &mut String, labels: &Labels) {
    for (i, (key, value)) in labels.iter().enumerate() {
        out.push_str(if i == 0 { "{" } else { "," });
        out.push_str(key);
        out.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    if !labels.is_empty() {
        out.push('}');
    }
}

/// Writes one family: its descriptor, then one sample per row.
fn family<'r, R: 'r, V: SampleValue>(
    writer: &mut impl FamilyWriter,
    descriptor: Descriptor<'_>,
    rows: impl IntoIterator<Item = &'r R>,
    sample: impl Fn(&R) -> Option<(Labels, V)>,
) -> Result<(), std::fmt::Error> {
    writer.family(descriptor, rows.into_iter().filter_map(sample))
}

/// A declared-limit family: name, help, and the limit of a row.
type DeclaredLimit = (&'static str, &'static str, fn(&DeclaredRow) -> Option<Mbps>);

/// The declared VFs' conformance and declared limits.
fn encode_declared(e: &mut impl FamilyWriter, vfs: &[VfRow]) -> Result<(), std::fmt::Error> {
    family(
        e,
        (
            families::VF_LIMIT_CONFORMANT,
            "1 when a declared VF ([[declared]]) has its declared limits, 0 when it differs (`vftop check`).",
            MetricType::Gauge,
        ),
        vfs,
        |r| r.declared.map(|d| (vf_labels(r), u64::from(d.conformant))),
    )?;
    let limits: [DeclaredLimit; 2] = [
        (families::VF_DECLARED_MIN_RATE, "The VF's declared minimum transmit rate; 0 = none.", |d| d.min),
        (families::VF_DECLARED_MAX_RATE, "The VF's declared maximum transmit rate; 0 = none.", |d| d.max),
    ];
    for (name, help, limit) in limits {
        family(e, (name, help, MetricType::Gauge), vfs, |r| {
            r.declared.and_then(|d| limit(&d)).map(|m| (vf_labels(r), bytes(m)))
        })?;
    }
    Ok(())
}

fn vf_labels(r: &VfRow) -> Labels {
    vec![("pf", r.pf.clone()), ("vf", r.vf.to_string())]
}

impl Collector for Frame {
    fn encode(&self, mut e: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        self.write(&mut e)
    }
}

impl Frame {
    /// Every family of the sample, in the exposition's order.
    fn write(&self, e: &mut impl FamilyWriter) -> Result<(), std::fmt::Error> {
        use MetricType::{Counter, Gauge, Unknown};
        for (i, (name, help)) in SRIOV_COUNTERS.iter().enumerate() {
            // A VF nothing counts has no counters: left out, not exported as zeros.
            let counts = |r: &&VfRow| r.counted && (i != TX_ERRORS || r.counts_tx_errors);
            family(e, (name, help, Unknown), self.vfs.iter().filter(counts), |r| {
                let mut labels =
                    vec![("pf", r.pf.clone()), ("vf", r.vf.to_string()), ("pciAddr", r.pci.clone())];
                labels.extend(r.numa_node.map(|n| ("numa_node", n.to_string())));
                Some((labels, r.counters[i]))
            })?;
        }
        let vf_gauges: [VfGauge; 6] = [
            (families::VF_MIN_RATE, "The VF's minimum (guaranteed) transmit rate; 0 = none.", |r| {
                bytes(r.min)
            }),
            (families::VF_MAX_RATE, "The VF's maximum transmit rate (cap); 0 = none.", |r| bytes(r.max)),
            (families::VF_TX_RATE, "Transmit rate over the last sampling interval.", |r| r.tx_bps / 8.0),
            (families::VF_RX_RATE, "Receive rate over the last sampling interval.", |r| r.rx_bps / 8.0),
            (families::VF_AT_CAP, "1 when the VF sends at (95% of) its maximum rate.", |r| {
                f64::from(u8::from(r.at_cap))
            }),
            (
                families::VF_BELOW_GUARANTEE,
                "1 when the VF gets less than its guarantee, drops packets and the link is saturated.",
                |r| f64::from(u8::from(r.below_guarantee)),
            ),
        ];
        for (name, help, value) in vf_gauges {
            // Rates only where they are rates (no series for an unmeasured or unreadable VF).
            let is_rate = name == families::VF_TX_RATE || name == families::VF_RX_RATE;
            let rows = self.vfs.iter().filter(|r| !is_rate || r.measured);
            family(e, (name, help, Gauge), rows, |r| Some((vf_labels(r), value(r))))?;
        }
        family(
            e,
            (families::VF_RESETS, "Counter resets seen (the VF was reset or re-created).", Counter),
            &self.vfs,
            |r| Some((vf_labels(r), r.resets)),
        )?;
        family(
            e,
            (families::PARTITION_INFO, "The partition a VF carries (always 1).", Gauge),
            &self.vfs,
            |r| {
                let mut labels = vf_labels(r);
                labels.extend([
                    ("partition", r.partition.clone()),
                    ("vlan", r.vlan.to_string()),
                    ("mac", r.mac.clone()),
                ]);
                Some((labels, 1u64))
            },
        )?;
        family(
            e,
            (
                families::VF_ORIGIN_INFO,
                "Where the VF's counters come from: vf-stats (the PF driver), vf-netdev (the VF's netdev, in any namespace), representor, or none (the driver has no per-VF counters; always 1).",
                Gauge,
            ),
            &self.vfs,
            |r| {
                let mut labels = vf_labels(r);
                labels.push(("origin", r.origin.to_string()));
                Some((labels, 1u64))
            },
        )?;
        encode_owners(e, &self.vfs)?;
        family(
            e,
            (
                families::VF_INFO,
                "A VF's settings: PCI address, MAC, VLAN, link state (auto/enable/disable), trust and spoof check (always 1).",
                Gauge,
            ),
            &self.vfs,
            |r| {
                let mut labels = vf_labels(r);
                labels.extend([
                    ("pciAddr", r.pci.clone()),
                    ("mac", r.mac.clone()),
                    ("vlan", r.vlan.to_string()),
                    ("link_state", r.link_state.to_string()),
                    ("trust", r.trust.to_string()),
                    ("spoofchk", r.spoofchk.to_string()),
                ]);
                Some((labels, 1u64))
            },
        )?;
        encode_declared(e, &self.vfs)?;
        family(
            e,
            (
                families::EPISODES,
                "Episodes begun since the exporter started, by kind (starved, pinned, saturated, oversubscribed, vf-down, pf-down).",
                Counter,
            ),
            &self.episodes_begun,
            |(kind, n)| Some((vec![("kind", kind.name().to_string())], *n)),
        )?;
        family(
            e,
            (families::EPISODE_ACTIVE, "1 while an episode goes on (vf empty for a PF's).", Gauge),
            &self.active_episodes,
            |(pf, vf, kind)| {
                let vf = vf.map(|v| v.to_string()).unwrap_or_default();
                Some((vec![("pf", pf.clone()), ("vf", vf), ("kind", kind.name().to_string())], 1u64))
            },
        )?;
        let pf_labels = |p: &PfRow| vec![("pf", p.pf.clone())];
        family(
            e,
            (families::LINK_SPEED, "The PF's link speed (absent when unknown).", Gauge),
            &self.pfs,
            |p| p.link_speed.map(|s| (pf_labels(p), bytes(s))),
        )?;
        family(
            e,
            (families::PF_LINK_UP, "1 when the PF's link is up (carrier and operational state).", Gauge),
            &self.pfs,
            |p| p.link_up.map(|up| (pf_labels(p), u64::from(up))),
        )?;
        family(
            e,
            (families::PF_CARRIER, "1 when the PF has carrier (IFLA_CARRIER; absent where unknown).", Gauge),
            &self.pfs,
            |p| p.carrier.map(|c| (pf_labels(p), u64::from(c))),
        )?;
        family(
            e,
            (
                families::PF_OPERSTATE,
                "The PF's operational state (IFLA_OPERSTATE, RFC 2863) as a label (always 1).",
                Gauge,
            ),
            &self.pfs,
            |p| {
                let mut labels = pf_labels(p);
                labels.push(("operstate", p.operstate.to_string()));
                Some((labels, 1u64))
            },
        )?;
        let port_counters: [PfCounter; 4] = [
            (families::PF_PAUSE_RX, "Pause frames the PF's port received (the peer paused it).", |p| {
                p.pause.map(|c| c.rx_frames)
            }),
            (families::PF_PAUSE_TX, "Pause frames the PF's port sent.", |p| p.pause.map(|c| c.tx_frames)),
            (families::PF_WIRE_TX, "Octets the PF's port transmitted on the wire (IEEE 802.3 MAC).", |p| {
                p.port.map(|c| c.tx_bytes)
            }),
            (families::PF_WIRE_RX, "Octets the PF's port received from the wire (IEEE 802.3 MAC).", |p| {
                p.port.map(|c| c.rx_bytes)
            }),
        ];
        for (name, help, value) in port_counters {
            family(e, (name, help, Counter), &self.pfs, |p| value(p).map(|v| (pf_labels(p), v)))?;
        }
        family(e, (families::PF_VFS, "VFs the PF has (IFLA_NUM_VF).", Gauge), &self.pfs, |p| {
            Some((pf_labels(p), u64::from(p.num_vfs)))
        })?;
        family(
            e,
            (
                families::PF_VFS_TRUNCATED,
                "1 when the kernel's VF list was cut short and could not be recovered.",
                Gauge,
            ),
            &self.pfs,
            |p| Some((pf_labels(p), u64::from(p.vfs_truncated))),
        )?;
        let object = |o: &RateObjectRow| {
            vec![("id", o.id.clone()), ("name", o.name.clone()), ("parent", o.parent.clone())]
        };
        family(
            e,
            (families::RATE_OBJECT_TX_SHARE, "devlink rate object tx_share (guarantee); 0 = none.", Gauge),
            &self.rate_objects,
            |o| Some((object(o), bytes(o.tx_share))),
        )?;
        family(
            e,
            (families::RATE_OBJECT_TX_MAX, "devlink rate object tx_max (cap); 0 = none.", Gauge),
            &self.rate_objects,
            |o| Some((object(o), bytes(o.tx_max))),
        )?;
        let once = [()];
        family(e, (families::SAMPLE_DURATION, "How long the last sample took.", Gauge), &once, |_| {
            Some((vec![], self.sample_duration_secs))
        })?;
        let counts = [
            (families::SAMPLES, "Samples taken.", self.samples),
            (families::SAMPLE_FAILURES, "Samples that failed (the last exposition stays).", self.failures),
        ];
        for (name, help, count) in counts {
            family(e, (name, help, Counter), &once, |_| Some((vec![], count)))?;
        }
        if !self.driver_stats.is_empty() {
            family(
                e,
                (families::ETHTOOL_STAT, "Driver statistics (ethtool -S), with --ethtool-stats.", Unknown),
                &self.driver_stats,
                |(netdev, stat, value)| {
                    Some((vec![("netdev", netdev.clone()), ("stat", stat.clone())], *value))
                },
            )?;
        }
        Ok(())
    }
}

/// `sriov_kubepoddevice` for VFs a pod holds (the upstream exporter's labels, so the SR-IOV
/// network operator's recording rules join on it unchanged), and `vftop_vf_owner_info` for
/// every VF with an owner.
fn encode_owners(e: &mut impl FamilyWriter, vfs: &[VfRow]) -> Result<(), std::fmt::Error> {
    let pods = vfs.iter().filter(|r| r.owner.as_ref().is_some_and(|o| o.kind == OwnerKind::Pod));
    family(
        e,
        (
            families::KUBE_POD_DEVICE,
            "SR-IOV device allocated to a pod's container (always 1).",
            MetricType::Gauge,
        ),
        pods,
        |r| {
            let o = r.owner.as_ref()?;
            let labels = vec![
                ("pciAddr", r.pci.clone()),
                // The device plugin's resource name, as the upstream exporter writes it.
                ("dev_type", o.detail.clone().unwrap_or_default()),
                ("pod", o.name.clone()),
                ("namespace", o.namespace.clone().unwrap_or_default()),
                ("container", o.container.clone().unwrap_or_default()),
            ];
            Some((labels, 1u64))
        },
    )?;
    family(
        e,
        (
            families::VF_OWNER_INFO,
            "Whose the VF is: kind pod, vm, container, netns or host, its name (and Kubernetes namespace), and where that was read (always 1).",
            MetricType::Gauge,
        ),
        vfs,
        |r| {
            let o = r.owner.as_ref()?;
            let mut labels = vf_labels(r);
            labels.extend([
                ("pciAddr", r.pci.clone()),
                ("kind", o.kind.label().to_string()),
                ("name", o.name.clone()),
                ("namespace", o.namespace.clone().unwrap_or_default()),
                ("source", o.source.label().to_string()),
            ]);
            Some((labels, 1u64))
        },
    )
}

/// Whether an `Accept` header asks for OpenMetrics.
pub fn wants_openmetrics(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let mut params = part.split(';').map(str::trim);
        let is_om = params.next().is_some_and(|t| t.eq_ignore_ascii_case("application/openmetrics-text"));
        let refused = params.any(|p| p.replace(' ', "") == "q=0");
        is_om && !refused
    })
}

/// Checks an exposition line by line for what a scraper would reject: every sample line has a
/// name, optional labels and a number. Used by tests; `promtool check metrics` is the real judge.
pub fn sample_lines(body: &str) -> impl Iterator<Item = &str> {
    body.lines().filter(|l| !l.starts_with('#') && !l.is_empty())
}

/// The value of the sample `name{labels}` in an exposition, where `labels` is the exact label
/// text (e.g. `pf="ens1f0",vf="3"`), for tests and tools.
pub fn sample_value(body: &str, name: &str, labels: &str) -> Option<f64> {
    let mut key = String::from(name);
    if !labels.is_empty() {
        let _ = write!(key, "{{{labels}}}");
    }
    sample_lines(body).find_map(|l| l.strip_prefix(&key)?.strip_prefix(' ')?.split(' ').next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::sim::SimSource;
    use crate::source::sim::scenario::Scenario;
    use crate::source::{FakeClock, Source};
    use std::sync::Arc;
    use std::time::Duration;

    fn demo() -> (SimSource, FakeClock) {
        let clock = FakeClock::default();
        (SimSource::new(Scenario::reference(), Arc::new(clock.clone())), clock)
    }

    #[test]
    fn episodes_are_counted_and_the_active_ones_flagged() {
        let clock = FakeClock::default();
        let scenario = Scenario::load(std::path::Path::new("incident")).unwrap();
        let mut sim = SimSource::new(scenario, Arc::new(clock.clone()));
        let mut exporter = Exporter::new(RoleMap::default(), false);
        let mut body = String::new();
        // The incident's storage guarantees exceed the link from 1140 s to 1320 s.
        for _ in 0..1200 {
            clock.advance(std::time::Duration::from_secs(1));
            body = exporter.update(sim.sample().unwrap()).text;
        }
        let active = |vf: &str, kind: &str| {
            sample_value(&body, "vftop_episode_active", &format!(r#"pf="ens1f0",vf="{vf}",kind="{kind}""#))
        };
        assert_eq!(active("2", "starved"), Some(1.0), "{body}");
        assert_eq!(active("", "oversubscribed"), Some(1.0));
        assert_eq!(active("1", "starved"), None, "Backup has no guarantee to be short of");
        assert!(sample_value(&body, "vftop_episodes_total", r#"kind="starved""#).unwrap() >= 2.0);
        assert_eq!(sample_value(&body, "vftop_episodes_total", r#"kind="pf-down""#), Some(0.0));
    }

    /// What `vftop dump --format openmetrics` wrote before the exporter could write a
    /// backfill itself: each exposition's lines regrouped by family, with the sample's time.
    fn regrouped(expositions: &[(i64, String)]) -> String {
        let mut families: Vec<(String, String, String)> = Vec::new();
        for (at_ms, text) in expositions {
            let at = *at_ms as f64 / 1000.0;
            let mut current = None;
            for line in text.lines().take_while(|l| *l != "# EOF") {
                if let Some(rest) = line.strip_prefix("# ") {
                    let name = rest.split_whitespace().nth(1).unwrap().to_string();
                    current = None;
                    if families::PROCESS.contains(&name.as_str()) {
                        continue;
                    }
                    let i = families.iter().position(|f| f.0 == name).unwrap_or_else(|| {
                        families.push((name, String::new(), String::new()));
                        families.len() - 1
                    });
                    if families[i].2.is_empty() && !families[i].1.contains(line) {
                        families[i].1.push_str(&format!("{line}\n"));
                    }
                    current = Some(i);
                } else if let Some(i) = current {
                    families[i].2.push_str(&format!("{line} {at:.3}\n"));
                }
            }
        }
        let mut out: String =
            families.iter().filter(|f| !f.2.is_empty()).map(|f| f.1.clone() + &f.2).collect();
        out.push_str("# EOF\n");
        out
    }

    #[test]
    fn a_backfill_is_the_expositions_regrouped_with_each_samples_time() {
        let clock = FakeClock::default();
        let scenario = Scenario::load(std::path::Path::new("incident")).unwrap();
        let mut sim = SimSource::new(scenario, Arc::new(clock.clone()));
        let (mut scraped, mut backfilled) =
            (Exporter::new(RoleMap::default(), true), Exporter::new(RoleMap::default(), true));
        let (mut expositions, mut backfill) = (Vec::new(), Backfill::default());
        for second in 0..1150 {
            clock.advance(Duration::from_secs(1));
            let mut snapshot = sim.sample().unwrap();
            // Label values that must be escaped.
            snapshot.pfs[0].vfs[0].partition = Some("a \"quoted\" \\ name\non two lines".into());
            let at_ms = 1_764_000_000_000 + second * 1000 + 7;
            if second % 50 == 0 || second > 1130 {
                expositions.push((at_ms, scraped.update(snapshot.clone()).openmetrics));
                backfilled.backfill(snapshot, at_ms, &mut backfill);
            } else {
                scraped.update(snapshot.clone());
                backfilled.update(snapshot);
            }
        }
        let mut written = Vec::new();
        backfill.write_to(&mut written).unwrap();
        let written = String::from_utf8(written).unwrap();
        assert!(written.contains(r#"name\non two lines"#) && written.contains("vftop_episodes_total{"));
        assert!(!written.contains(families::SAMPLES), "the process's own families are left out");
        assert_eq!(written, regrouped(&expositions));
    }

    #[test]
    fn counters_continue_across_a_reset() {
        let mut c = Compensated::default();
        assert_eq!(c.update([10, 20, 0, 0, 0, 0, 0, 0, 0])[..2], [10, 20]);
        assert_eq!(c.update([15, 25, 0, 0, 0, 0, 0, 0, 0])[..2], [15, 25]);
        // The VF was re-created: the kernel's counters start again from 0.
        assert_eq!(c.update([3, 1, 0, 0, 0, 0, 0, 0, 0])[..2], [18, 26]);
        assert_eq!(c.update([4, 9, 0, 0, 0, 0, 0, 0, 0])[..2], [19, 34]);
    }

    #[test]
    fn openmetrics_only_when_asked_for() {
        assert!(wants_openmetrics("application/openmetrics-text; version=1.0.0; charset=utf-8"));
        let prometheus = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        assert!(wants_openmetrics(prometheus));
        assert!(!wants_openmetrics("text/plain"));
        assert!(!wants_openmetrics("*/*"));
        assert!(!wants_openmetrics(""));
        assert!(!wants_openmetrics("application/openmetrics-text; q=0"));
    }

    #[test]
    fn every_vf_is_exposed_with_its_counters_limits_and_partition() {
        let (mut sim, clock) = demo();
        let mut exporter = Exporter::new(sim.roles(), false);
        clock.advance(Duration::from_secs(1));
        exporter.update(sim.sample().unwrap());
        clock.advance(Duration::from_secs(1));
        let snapshot = sim.sample().unwrap();
        let pf = snapshot.pfs[0].clone();
        let out = exporter.update(snapshot);
        for body in [&out.text, &out.openmetrics] {
            for vf in &pf.vfs {
                let labels = format!("pf=\"{}\",vf=\"{}\"", pf.name, vf.index);
                let value = |name: &str, labels: &str| sample_value(body, name, labels);
                let sriov = format!("{labels},pciAddr=\"{}\",numa_node=\"0\"", vf.pci.as_deref().unwrap());
                assert_eq!(value("sriov_vf_tx_bytes", &sriov), Some(vf.counters.tx_bytes as f64), "{labels}");
                assert_eq!(
                    value("sriov_vf_rx_packets", &sriov),
                    Some(vf.counters.rx_packets as f64),
                    "{labels}"
                );
                let max = value("vftop_vf_max_tx_rate_bytes_per_second", &labels);
                assert_eq!(max, Some(f64::from(vf.rate.max.0) * 125_000.0), "{labels}");
                assert!(value("vftop_vf_tx_bytes_per_second", &labels).is_some_and(|r| r > 0.0), "{labels}");
            }
            assert!(body.contains(r#"vftop_partition_info{pf="ens1f0",vf="1",partition="Backup",vlan="300",mac="02:00:5e:10:00:01"} 1"#), "{body}");
            assert_eq!(
                sample_value(body, "vftop_link_speed_bytes_per_second", r#"pf="ens1f0""#),
                Some(1.25e9)
            );
            assert!(body.contains("vftop_rate_object_tx_max_bytes_per_second{"), "the demo's storage group");
        }
        assert!(out.openmetrics.ends_with("# EOF\n") && !out.text.contains("# EOF"));
        assert!(
            out.text.contains("# TYPE sriov_vf_tx_bytes untyped")
                && out.openmetrics.contains("# TYPE sriov_vf_tx_bytes unknown")
        );
        assert!(
            out.text.contains("vftop_samples_total 2") && out.openmetrics.contains("vftop_samples_total 2")
        );
    }

    #[test]
    fn owners_are_exported_and_pods_as_the_upstream_exporter_joins_them() {
        let (mut sim, _clock) = demo();
        let mut exporter = Exporter::new(RoleMap::default(), false);
        let snapshot = sim.sample().unwrap();
        let web = snapshot.pfs[0].vfs.iter().find(|v| v.vlan == 600).unwrap();
        let pci = web.pci.clone().unwrap();
        let body = exporter.update(snapshot).text;
        let pod = format!(r#"pciAddr="{pci}",dev_type="",pod="web-7f9c",namespace="shop",container="nginx""#);
        assert_eq!(sample_value(&body, "sriov_kubepoddevice", &pod), Some(1.0), "{body}");
        assert_eq!(sample_lines(&body).filter(|l| l.starts_with("sriov_kubepoddevice")).count(), 1);
        let vm = r#"kind="vm",name="web-03",namespace="",source="scenario""#;
        assert!(
            sample_lines(&body).any(|l| l.starts_with("vftop_vf_owner_info{") && l.contains(vm)),
            "{body}"
        );
        let host = r#"kind="host",name="rsync""#;
        assert!(sample_lines(&body).any(|l| l.starts_with("vftop_vf_owner_info{") && l.contains(host)));
    }

    #[test]
    fn transmit_errors_only_where_something_counts_them() {
        let (mut sim, _clock) = demo();
        let mut snapshot = sim.sample().unwrap();
        snapshot.pfs[0].vfs[0].counters.tx_errors = Some(42);
        snapshot.pfs[0].vfs[1].counters.tx_errors = None; // a VF in a VM: no netdev, no sysfs file
        let pcis: Vec<String> = snapshot.pfs[0].vfs.iter().map(|v| v.pci.clone().unwrap()).collect();
        let body = Exporter::new(RoleMap::default(), false).update(snapshot).text;
        let labels = |vf: usize| format!(r#"pf="ens1f0",vf="{vf}",pciAddr="{}",numa_node="0""#, pcis[vf]);
        assert_eq!(sample_value(&body, families::SRIOV_TX_ERRORS, &labels(0)), Some(42.0), "{body}");
        assert_eq!(sample_value(&body, families::SRIOV_TX_ERRORS, &labels(1)), None, "not a made-up 0");
        assert_eq!(sample_value(&body, families::SRIOV_TX_ERRORS, &labels(2)), Some(0.0), "the sim's");
        assert_eq!(sample_value(&body, families::SRIOV_TX_BYTES, &labels(1)).map(|_| ()), Some(()));
    }

    #[test]
    fn each_vf_s_settings_and_the_pf_s_state_are_exported() {
        let (mut sim, _clock) = demo();
        let mut snapshot = sim.sample().unwrap();
        snapshot.pfs[0].vfs[1].trust = Some(true);
        snapshot.pfs[0].vfs[1].spoofchk = Some(false);
        snapshot.pfs[0].link.carrier = Some(true);
        snapshot.pfs[0].link.oper = crate::model::OperState::Up;
        let pci = snapshot.pfs[0].vfs[1].pci.clone().unwrap();
        let mac = snapshot.pfs[0].vfs[1].mac.to_string();
        let body = Exporter::new(RoleMap::default(), false).update(snapshot).text;
        let info = format!(
            r#"pf="ens1f0",vf="1",pciAddr="{pci}",mac="{mac}",vlan="300",link_state="auto",trust="on",spoofchk="off""#
        );
        assert_eq!(sample_value(&body, families::VF_INFO, &info), Some(1.0), "{body}");
        assert_eq!(sample_value(&body, families::PF_CARRIER, r#"pf="ens1f0""#), Some(1.0));
        assert_eq!(sample_value(&body, families::PF_OPERSTATE, r#"pf="ens1f0",operstate="up""#), Some(1.0));
    }

    #[test]
    fn declared_vfs_say_whether_they_have_their_declared_limits() {
        use crate::model::declared::{Declared, Intent, Selector};
        let (mut sim, _clock) = demo();
        let declare = |vf: u32, max: u32| Declared {
            selector: Selector::Vf { pf: "ens1f0".into(), vf },
            min: None,
            max: Some(Mbps(max)),
            origin: "c.toml:1".into(),
        };
        // Backup (vf 1) has max 2G in the scenario: declared 2G conforms, vf 5's 500M does not.
        let intent = Intent { vfs: vec![declare(1, 2000), declare(5, 500)], groups: Vec::new() };
        let mut exporter = Exporter::new(RoleMap::default(), false).with_intent(intent);
        let body = exporter.update(sim.sample().unwrap()).text;
        let of = |name: &str, vf: &str| sample_value(&body, name, &format!(r#"pf="ens1f0",vf="{vf}""#));
        assert_eq!(
            (of(families::VF_LIMIT_CONFORMANT, "1"), of(families::VF_LIMIT_CONFORMANT, "5")),
            (Some(1.0), Some(0.0))
        );
        assert_eq!(of(families::VF_DECLARED_MAX_RATE, "5"), Some(500e6 / 8.0));
        assert_eq!(of(families::VF_DECLARED_MIN_RATE, "5"), None, "min is not declared");
        assert_eq!(of(families::VF_LIMIT_CONFORMANT, "2"), None, "nothing declared of vf 2");
    }

    #[test]
    fn the_capped_backup_partition_is_flagged_at_cap() {
        let (mut sim, clock) = demo();
        let mut exporter = Exporter::new(sim.roles(), false);
        let mut out = Exposition::default();
        for _ in 0..5 {
            clock.advance(Duration::from_secs(1));
            out = exporter.update(sim.sample().unwrap());
        }
        // Backup (vf 1) wants 6G in its on phase, capped at 2G.
        assert_eq!(sample_value(&out.text, "vftop_vf_at_cap", r#"pf="ens1f0",vf="1""#), Some(1.0));
        assert_eq!(sample_value(&out.text, "vftop_vf_at_cap", r#"pf="ens1f0",vf="0""#), Some(0.0));
    }

    #[test]
    fn driver_statistics_only_when_asked_for() {
        for wanted in [false, true] {
            let (mut sim, clock) = demo();
            let mut exporter = Exporter::new(sim.roles(), wanted);
            clock.advance(Duration::from_secs(1));
            let out = exporter.update(sim.sample().unwrap());
            assert_eq!(out.text.contains("vftop_ethtool_stat"), wanted);
        }
    }
}
