//! Plain data shared by every layer: PFs, VFs, counters, rate limits and their units.

use serde::{Deserialize, Serialize};
use std::fmt;

pub mod declared;
pub mod episode;
pub mod event;
pub mod owner;

pub use crate::units::{BitsPerSec, Mbps};

/// A VF transmit rate limit as the kernel holds it: a minimum guarantee and a maximum cap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RateLimit {
    pub min: Mbps,
    pub max: Mbps,
}

impl RateLimit {
    pub fn new(min: u32, max: u32) -> Self {
        Self { min: Mbps(min), max: Mbps(max) }
    }

    /// The cap that is in force: the max, or the link speed where the VF has none.
    pub fn effective_cap(&self, link: Mbps) -> Mbps {
        if self.max.is_unlimited() { link } else { self.max.min(link) }
    }
}

/// Where a counter value was read from; shown in the detail view and the JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CounterOrigin {
    /// `IFLA_VF_STATS` reported by the PF driver.
    VfStats,
    /// `IFLA_STATS64` of the VF's own host netdev (fallback, e.g. igb).
    VfNetdev,
    /// `IFLA_STATS64` of a netdev (PFs and ordinary links).
    Netdev,
    /// Driver statistics from `SIOCETHTOOL` / `ETHTOOL_GSTATS`.
    Ethtool,
    /// The simulated NIC.
    #[default]
    Sim,
    /// A Prometheus server's copy of a host's exporter (the fleet view).
    Prometheus,
    /// The VF's switchdev representor (oriented as the VF sees it: see [`crate::driver`]).
    Representor,
    /// The PF's own `ethtool -S` per-VF statistics (ixgbe's out-of-tree driver).
    PfEthtool,
    /// Nothing: the PF driver keeps no per-VF counters and no netdev or representor of the
    /// VF was found. The zeros are not traffic; the VF is unmeasured, not idle.
    Unmeasured,
}

impl CounterOrigin {
    pub fn label(self) -> &'static str {
        match self {
            CounterOrigin::VfStats => "vf-stats",
            CounterOrigin::VfNetdev => "vf-netdev",
            CounterOrigin::Netdev => "netdev",
            CounterOrigin::Ethtool => "ethtool",
            CounterOrigin::Sim => "sim",
            CounterOrigin::Prometheus => "prometheus",
            CounterOrigin::Representor => "representor",
            CounterOrigin::PfEthtool => "pf-ethtool",
            CounterOrigin::Unmeasured => "none",
        }
    }
}

/// Monotonic byte/packet counters of one function, as the kernel keeps them (u64).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
    pub broadcast: u64,
    pub multicast: u64,
    /// Packets the function failed to send, where something counts them: a netdev's
    /// `rtnl_link_stats64.tx_errors`, or the PF driver's sysfs `sriov/<vf>/stats/tx_errors`
    /// (Intel's out-of-tree i40e/ice). `IFLA_VF_STATS` has no such counter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_errors: Option<u64>,
    pub origin: CounterOrigin,
    /// The driver's counters could not be read this sample (all zero after non-zero: the
    /// kernel ignores a failing `ndo_get_vf_stats`); these are the last values read, held.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

impl Counters {
    /// The eight traffic counters: rx/tx bytes, rx/tx packets, rx/tx dropped, broadcast,
    /// multicast (the recorder's columns and the exporter's families, in that order).
    pub fn traffic(&self) -> [u64; 8] {
        [
            self.rx_bytes,
            self.tx_bytes,
            self.rx_packets,
            self.tx_packets,
            self.rx_dropped,
            self.tx_dropped,
            self.broadcast,
            self.multicast,
        ]
    }

    pub fn is_all_zero(&self) -> bool {
        self.rx_bytes == 0 && self.tx_bytes == 0 && self.rx_packets == 0 && self.tx_packets == 0
    }
}

/// Administrative link state of a VF (`IFLA_VF_LINK_STATE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VfLinkState {
    #[default]
    Auto,
    Enable,
    Disable,
}

impl VfLinkState {
    pub fn from_kernel(value: u32) -> Self {
        match value {
            1 => VfLinkState::Enable,
            2 => VfLinkState::Disable,
            _ => VfLinkState::Auto,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VfLinkState::Auto => "auto",
            VfLinkState::Enable => "up",
            VfLinkState::Disable => "down",
        }
    }
}

/// A MAC address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

/// A text that is not `aa:bb:cc:dd:ee:ff`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a MAC address")]
pub struct NotAMac(pub String);

impl std::str::FromStr for MacAddr {
    type Err = NotAMac;

    /// `aa:bb:cc:dd:ee:ff`.
    fn from_str(text: &str) -> Result<MacAddr, NotAMac> {
        let not_a_mac = || NotAMac(text.to_string());
        let mut out = [0u8; 6];
        let mut parts = text.split(':');
        for byte in &mut out {
            let part = parts.next().filter(|p| p.len() == 2).ok_or_else(not_a_mac)?;
            *byte = u8::from_str_radix(part, 16).map_err(|_| not_a_mac())?;
        }
        if parts.next().is_some() {
            return Err(not_a_mac());
        }
        Ok(MacAddr(out))
    }
}

impl Serialize for MacAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One named driver statistic (`ethtool -S`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DriverStat {
    pub name: String,
    pub value: u64,
}

/// One virtual function as read from its PF.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Vf {
    pub index: u32,
    pub mac: MacAddr,
    pub vlan: u16,
    pub qos: u8,
    pub rate: RateLimit,
    /// Legacy `IFLA_VF_TX_RATE` (max only), Mbit/s.
    pub legacy_tx_rate: Mbps,
    pub link_state: VfLinkState,
    pub trust: Option<bool>,
    pub spoofchk: Option<bool>,
    /// The VF's host netdev where it is bound to a host driver.
    pub netdev: Option<String>,
    /// The VF's own PCI address (sysfs `virtfnN`), where known.
    pub pci: Option<String>,
    /// The network namespace the VF's netdev lives in, where it is not vftop's own: its name
    /// under `/run/netns`, or `pid N` of a process in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub netns: Option<String>,
    /// The VF's switchdev representor netdev, where the PF is in switchdev mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub representor: Option<String>,
    /// The partition's name where the source itself knows it (the fleet, from each host's
    /// exporter); otherwise roles name partitions.
    #[serde(skip)]
    pub partition: Option<String>,
    pub counters: Counters,
    pub driver_stats: Vec<DriverStat>,
    /// Whose it is, where that could be found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<owner::Owner>,
    /// The sockets on its host netdev (for its top talkers), where it has one and they are read.
    #[serde(skip)]
    pub sockets: Vec<owner::SocketUse>,
    /// Rates a query engine worked out over its own samples (the fleet: Prometheus's
    /// `rate()`), given instead of counters to compare with the sample before.
    #[serde(skip)]
    pub queried: Option<QueriedRates>,
}

/// A function's rates as a query engine worked them out (bits and packets per second).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueriedRates {
    pub tx: BitsPerSec,
    pub rx: BitsPerSec,
    pub tx_pps: f64,
    pub rx_pps: f64,
    /// rx + tx drops per second.
    pub drops_per_sec: f64,
}

/// What a query engine summed over all of a PF's VFs, where only some of them are in the
/// sample (the fleet's overview shows the worst partitions, not every one).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PfTotals {
    /// The VFs' transmit summed.
    pub tx: BitsPerSec,
    /// Their minimum rates summed.
    pub guarantees: Mbps,
    /// VFs the PF has in all, and of them those at their cap, starved and dropping.
    pub vfs: u32,
    pub at_cap: u32,
    pub starved: u32,
    pub dropping: u32,
}

/// What a PF's driver can do with VF rates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub min_rate: Support,
    pub max_rate: Support,
    /// Rate step the driver rounds to, where known (i40e: 50 Mbit/s).
    pub granularity: Option<Mbps>,
}

/// Whether a driver supports something: known yes, known no, or unknown (try and report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Support {
    Yes,
    No,
    Unknown,
}

impl Capabilities {
    pub const FULL: Capabilities =
        Capabilities { min_rate: Support::Yes, max_rate: Support::Yes, granularity: None };
    pub const UNKNOWN: Capabilities =
        Capabilities { min_rate: Support::Unknown, max_rate: Support::Unknown, granularity: None };

    /// Known VF rate capabilities per PF driver (the driver model's).
    pub fn for_driver(driver: &str) -> Capabilities {
        crate::driver::Driver::of(driver).capabilities()
    }
}

/// One physical function and its VFs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Pf {
    pub name: String,
    pub ifindex: u32,
    pub driver: String,
    pub pci: Option<String>,
    /// The NUMA node of the PF's device (sysfs `numa_node`, -1 without NUMA), where read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numa_node: Option<i32>,
    pub link_speed: Option<Mbps>,
    pub num_vfs: u32,
    /// The kernel sent fewer VF entries than `IFLA_NUM_VF` (message too big).
    pub vfs_truncated: bool,
    /// VFs below `IFLA_NUM_VF` missing from the list between others (the driver's
    /// `ndo_get_vf_config` failed for them this sample: a VF in reset, a busy PF).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreported_vfs: Vec<u32>,
    /// The PF's link: operational state and carrier (`IFLA_OPERSTATE`, `IFLA_CARRIER`).
    pub link: PfLink,
    /// Pause frames on the PF's port (ethtool's `PAUSE_GET` statistics), where the driver
    /// counts them: a peer that pauses the link starves partitions without a drop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause: Option<PauseCounters>,
    /// What crossed the PF's wire (ethtool's IEEE 802.3 MAC counters), where the driver has
    /// them: the PF's own traffic included, VF↔VF traffic turned in the NIC's switch not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortCounters>,
    /// The data is old: the host behind it stopped reporting (the fleet view).
    #[serde(skip)]
    pub stale: bool,
    /// Sums over all its VFs, where the sample holds only some of them (the fleet's overview).
    #[serde(skip)]
    pub totals: Option<PfTotals>,
    pub vfs: Vec<Vf>,
    pub counters: Counters,
    pub driver_stats: Vec<DriverStat>,
}

/// Pause frames a port sent and received (monotonic).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseCounters {
    pub rx_frames: u64,
    pub tx_frames: u64,
    /// Microseconds the port was held paused by its peer, where the driver counts it (mlx5's
    /// `rx_*_pause_duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rx_paused_us: Option<u64>,
}

/// A port's MAC counters: frames and octets transmitted and received OK (monotonic).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortCounters {
    pub tx_bytes: u64,
    pub rx_bytes: u64,
    pub tx_frames: u64,
    pub rx_frames: u64,
}

/// A PF's own link state, as rtnetlink reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PfLink {
    pub oper: OperState,
    /// `None` where the message has no `IFLA_CARRIER` (the simulator, old recordings).
    pub carrier: Option<bool>,
}

impl PfLink {
    /// Up, as far as anyone can tell: `false` only when the kernel says down or no carrier.
    pub fn is_up(&self) -> bool {
        self.carrier != Some(false) && !matches!(self.oper, OperState::Down | OperState::LowerLayerDown)
    }
}

/// RFC 2863 operational state (`IFLA_OPERSTATE`, `IF_OPER_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperState {
    #[default]
    Unknown,
    NotPresent,
    Down,
    LowerLayerDown,
    Testing,
    Dormant,
    Up,
}

impl OperState {
    pub fn from_kernel(value: u8) -> OperState {
        match value {
            1 => OperState::NotPresent,
            2 => OperState::Down,
            3 => OperState::LowerLayerDown,
            4 => OperState::Testing,
            5 => OperState::Dormant,
            6 => OperState::Up,
            _ => OperState::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OperState::Unknown => "unknown",
            OperState::NotPresent => "not-present",
            OperState::Down => "down",
            OperState::LowerLayerDown => "lower-layer-down",
            OperState::Testing => "testing",
            OperState::Dormant => "dormant",
            OperState::Up => "up",
        }
    }
}

/// Identifies a VF across snapshots.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VfKey {
    pub pf: String,
    pub vf: u32,
}

/// One timestamped reading of every PF and VF a source sees.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Snapshot {
    /// Monotonic time of the reading, from the source's clock.
    #[serde(skip)]
    pub taken_at: std::time::Duration,
    pub pfs: Vec<Pf>,
    /// Malformed attributes the parser skipped.
    #[serde(skip)]
    pub malformed_attributes: u64,
    /// Attributes of types newer than this build knows, skipped.
    #[serde(skip)]
    pub unknown_attributes: u64,
    /// devlink rate objects (leaves and groups) of devices in switchdev mode.
    pub rate_objects: Vec<RateObject>,
    /// How long taking this sample took (set by the sampler).
    #[serde(skip)]
    pub sample_duration: std::time::Duration,
    /// What the PF drivers wrote to the kernel log about their VFs since the last sample.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<KernelNote>,
    /// What part of a fleet this sample is, where it is one (`vftop fleet`).
    #[serde(skip)]
    pub fleet: Option<FleetView>,
}

/// Which part of the fleet a fleet sample holds, and how fresh it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetView {
    /// `None`: the overview (the worst partitions of every host); `Some`: one host, whole.
    pub host: Option<String>,
    /// Hosts (targets) Prometheus scrapes, and of them those up.
    pub hosts: u32,
    pub hosts_up: u32,
    /// PFs and VFs in the whole fleet (the overview shows the worst of them).
    pub pfs: u32,
    pub vfs: u32,
    /// How old the newest sample behind this reading is (Prometheus scrapes on its own time).
    pub newest_age: Option<std::time::Duration>,
    /// Rates are over this window of the backend's samples (`rate(…[1m])`).
    pub rate_window: std::time::Duration,
    /// The backend's recording rules answered (else raw series were queried).
    pub recorded: bool,
    /// Something the backend refused and what was done instead (a coarser chart).
    pub notice: Option<String>,
}

/// A PF driver's kernel log line about one of its VFs (or itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KernelNote {
    pub pf: String,
    pub vf: Option<u32>,
    /// What it means ([`crate::driver::health`]).
    pub what: String,
    pub line: String,
}

impl Snapshot {
    pub fn pf(&self, name: &str) -> Option<&Pf> {
        self.pfs.iter().find(|p| p.name == name)
    }

    /// The PF's driver said this sample that it cleared every VF's rate (a link-speed change).
    pub fn driver_cleared_rates(&self, pf: &str) -> bool {
        self.notes.iter().any(|n| n.pf == pf && n.what == crate::driver::RATES_CLEARED)
    }

    pub fn vf(&self, key: &VfKey) -> Option<(&Pf, &Vf)> {
        let pf = self.pf(&key.pf)?;
        pf.vfs.iter().find(|v| v.index == key.vf).map(|v| (pf, v))
    }
}

/// A devlink rate object: a leaf (one VF's port) or a node (a group), on a devlink device.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DevlinkRef {
    /// `bus/device`, e.g. `netdevsim/netdevsim1` or `pci/0000:3b:00.0`.
    pub device: String,
    pub object: DevlinkObject,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DevlinkObject {
    /// A leaf, named by its port index.
    Leaf(u32),
    /// A node (group), named by the operator.
    Node(String),
}

impl std::fmt::Display for DevlinkRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.object {
            DevlinkObject::Leaf(port) => write!(f, "{}/{port}", self.device),
            DevlinkObject::Node(name) => write!(f, "{}/{name}", self.device),
        }
    }
}

/// What a rate change applies to: a VF's `IFLA_VF_RATE`, or a devlink rate object, whose
/// `tx_share`/`tx_max` play the parts of min/max.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Vf(VfKey),
    Devlink(DevlinkRef),
}

impl Target {
    pub fn vf(&self) -> Option<&VfKey> {
        match self {
            Target::Vf(k) => Some(k),
            Target::Devlink(_) => None,
        }
    }

    /// `ens1f0 vf 1` or `netdevsim/netdevsim1/129`.
    pub fn label(&self) -> String {
        match self {
            Target::Vf(k) => format!("{} vf {}", k.pf, k.vf),
            Target::Devlink(d) => d.to_string(),
        }
    }

    /// The PF (or devlink device) the target belongs to.
    pub fn owner(&self) -> &str {
        match self {
            Target::Vf(k) => &k.pf,
            Target::Devlink(d) => &d.device,
        }
    }
}

/// A request to change one rate limit; both values are always sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateChange {
    pub target: Target,
    pub old: RateLimit,
    pub new: RateLimit,
}

impl RateChange {
    pub fn vf(key: VfKey, old: RateLimit, new: RateLimit) -> RateChange {
        RateChange { target: Target::Vf(key), old, new }
    }

    /// The equivalent iproute2 command.
    pub fn ip_command(&self) -> String {
        match &self.target {
            Target::Vf(k) => format!(
                "ip link set dev {} vf {} max_tx_rate {} min_tx_rate {}",
                k.pf, k.vf, self.new.max.0, self.new.min.0
            ),
            Target::Devlink(d) => format!(
                "devlink port function rate set {d} tx_share {}mbit tx_max {}mbit",
                self.new.min.0, self.new.max.0
            ),
        }
    }
}

/// One devlink rate object as read (switchdev mode): its limits and place in the tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RateObject {
    #[serde(skip)]
    pub target: DevlinkRef,
    pub name: String,
    /// `tx_share` as min, `tx_max` as max, in Mbit/s (netlink carries bytes/s).
    pub limit: RateLimit,
    pub parent: Option<String>,
    /// The VF behind a leaf, where the port says which PF and VF it is.
    #[serde(skip)]
    pub vf: Option<VfKey>,
    /// Strict priority and weight among siblings (`tx_priority`, `tx_weight`: ice), where the
    /// driver reports them.
    #[serde(skip_serializing_if = "Scheduling::is_unset")]
    pub scheduling: Scheduling,
}

/// A devlink rate object's `tx_priority` and `tx_weight`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Scheduling {
    pub priority: Option<u32>,
    pub weight: Option<u32>,
}

impl Scheduling {
    pub fn is_unset(&self) -> bool {
        self.priority.is_none() && self.weight.is_none()
    }
}

/// A partition's role: the traffic class a VF carries (e.g. "NFS" on VLAN 400).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
}

/// Maps VFs to roles, by `PF/vf N` first, then by VLAN, then by what the source itself calls
/// them (a scenario's partitions).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoleMap {
    pub by_vf: std::collections::HashMap<VfKey, Role>,
    pub by_vlan: std::collections::HashMap<u16, Role>,
    /// The source's own names, where the entries above name nothing.
    pub from_source: std::collections::HashMap<VfKey, Role>,
}

impl RoleMap {
    pub fn resolve(&self, key: &VfKey, vlan: u16) -> Option<&Role> {
        self.by_vf
            .get(key)
            .or_else(|| (vlan != 0).then(|| self.by_vlan.get(&vlan)).flatten())
            .or_else(|| self.from_source.get(key))
    }

    /// These roles (a config's) over the names a source gives (`source`'s by-VF entries): a
    /// config's VLAN role wins over a scenario's own name for that partition.
    pub fn over(mut self, source: RoleMap) -> RoleMap {
        self.from_source.extend(source.from_source);
        self.from_source.extend(source.by_vf);
        self
    }

    /// Entries of `other` win over ours.
    pub fn merge(&mut self, other: RoleMap) {
        self.by_vf.extend(other.by_vf);
        self.by_vlan.extend(other.by_vlan);
    }
}
