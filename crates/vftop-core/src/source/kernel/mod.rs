//! The real kernel: rtnetlink link dumps, ethtool ioctls and sysfs, and VF rate changes.

pub mod attr;
pub mod caps;
pub mod devlink;
pub mod ethtool;
pub mod ethtool_nl;
pub mod fixture;
pub mod genl;
pub mod kmsg;
pub mod link;
pub mod links;
pub mod netns;
pub mod origin;
pub mod rtnl;
pub mod sockets;
pub mod sysfs;
pub mod users;

use super::{ApplyError, Clock, SampleError, Source, SourceKind};
use crate::driver::{Driver, PfFacts};
use crate::model::{
    Counters, DevlinkRef, OperState, Pf, PfLink, RateChange, RateLimit, Snapshot, Target, Vf, VfKey,
};
use ethtool::Ethtool;
use link::LinkMessage;
use rtnl::{KernelError, Rtnl, RtnlError};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use sysfs::Sysfs;
use sysfs::VfDevice;

/// How a rate change is retried while the device says busy (EBUSY/EAGAIN).
const BUSY_RETRIES: u32 = 4;
const BUSY_BACKOFF: Duration = Duration::from_millis(50);

/// Which links become PFs in snapshots.
#[derive(Clone, Debug, Default)]
pub struct LinkFilter {
    /// Only these names (empty: all).
    pub interfaces: Vec<String>,
    /// Also ordinary links without VFs (rates from `IFLA_STATS64`).
    pub all_links: bool,
}

impl LinkFilter {
    fn wants(&self, link: &LinkMessage) -> bool {
        let named = self.interfaces.is_empty() || self.interfaces.contains(&link.name);
        named && (has_vfs(link) || self.all_links || !self.interfaces.is_empty()) && link.name != "lo"
    }
}

/// A PF: a link that has (or lists) VFs.
/// A PF with VFs: its message carries a VF list (a representor's has `IFLA_NUM_VF` only).
fn has_vfs(link: &LinkMessage) -> bool {
    link.vf_list && (link.num_vf.unwrap_or(0) > 0 || !link.vfs.is_empty())
}

/// The kernel source: the link table (a full `RTM_GETLINK` dump when the topology changed,
/// else counters from `RTM_GETSTATS` and the PFs by ifindex), ethtool, sysfs and devlink.
pub struct KernelSource {
    rtnl: Rtnl,
    ethtool: Option<Ethtool>,
    sysfs: Sysfs,
    filter: LinkFilter,
    clock: Arc<dyn Clock>,
    facts: HashMap<(u32, String), NetdevFacts>,
    links_seen: usize,
    devlink: Option<devlink::Devlink>,
    table: links::LinkTable,
    /// VF netdevs in other network namespaces.
    namespaces: netns::Namespaces,
    /// Each VF's last stats, to hold a one-sample zero.
    holds: HashMap<VfKey, origin::Hold>,
    /// VF → its switchdev representor, re-read when the link table was dumped again.
    representors: HashMap<VfKey, String>,
    representors_at: Option<u64>,
    /// The kernel log, read around a refused change (where readable).
    kmsg: Option<kmsg::Kmsg>,
    /// Which interface VF changes go through.
    api: RateApiChoice,
    /// ethtool over netlink (pause frames, MAC counters), where the kernel has it.
    ethtool_nl: Option<ethtool_nl::EthtoolNl>,
    /// Kernel log lines read before a change, for the next sample's notes.
    pending_log: Vec<kmsg::KmsgLine>,
    /// Each VF's sockets and owner.
    users: users::VfUsers,
}

impl KernelSource {
    pub fn open(filter: LinkFilter, clock: Arc<dyn Clock>) -> Result<KernelSource, SampleError> {
        let table = links::LinkTable::new();
        let rtnl = Rtnl::open().map_err(|e| SampleError::Netlink(e.to_string()))?;
        let ethtool = Ethtool::open().ok();
        Ok(KernelSource {
            rtnl,
            ethtool,
            sysfs: Sysfs::default(),
            filter,
            clock,
            facts: HashMap::new(),
            devlink: devlink::Devlink::open().unwrap_or_else(|e| {
                tracing::warn!("devlink unavailable: {e}");
                None
            }),
            links_seen: 0,
            table,
            namespaces: netns::Namespaces::default(),
            holds: HashMap::new(),
            representors: HashMap::new(),
            representors_at: None,
            kmsg: kmsg::Kmsg::open(),
            api: RateApiChoice::Auto,
            pending_log: Vec::new(),
            ethtool_nl: ethtool_nl::EthtoolNl::open(),
            users: users::VfUsers::new(crate::source::owners::OwnerConfig::default()),
        })
    }

    /// Where (and whether) VF owners are looked up.
    pub fn with_owners(mut self, config: crate::source::owners::OwnerConfig) -> KernelSource {
        self.users = users::VfUsers::new(config);
        self
    }

    /// VF changes through `ip link` only (`vftop set --api ip-link`), not the devlink leaf.
    pub fn with_api(mut self, api: RateApiChoice) -> KernelSource {
        self.api = api;
        self
    }

    /// How many samples were full link dumps, and how many cheap refreshes.
    pub fn sample_kinds(&self) -> (u64, u64) {
        (self.table.full_dumps, self.table.refreshes)
    }

    /// How many links the last dump held (for "no PF with VFs among N interfaces").
    pub fn links_seen(&self) -> usize {
        self.links_seen
    }

    fn driver_of(&mut self, name: &str) -> String {
        let ifindex = self.ifindex_of(name);
        self.facts(ifindex, name).driver.clone()
    }

    fn ifindex_of(&self, name: &str) -> u32 {
        self.facts.keys().find(|(_, n)| n == name).map(|(i, _)| *i).unwrap_or(0)
    }

    /// Static facts of a netdev, read once per (ifindex, name); the link speed is re-read
    /// every `SPEED_REFRESH`.
    fn facts(&mut self, ifindex: u32, name: &str) -> &NetdevFacts {
        let now = self.clock.now();
        let key = (ifindex, name.to_string());
        let stale = self.facts.get(&key).is_none_or(|f| now.saturating_sub(f.speed_read_at) >= SPEED_REFRESH);
        if stale {
            let ethtool = self.ethtool.as_ref();
            let speed = ethtool.and_then(|e| e.link_speed(name).ok().flatten());
            let sysfs = &self.sysfs;
            let facts = self.facts.entry(key.clone()).or_insert_with(|| NetdevFacts {
                driver: ethtool
                    .and_then(|e| e.driver(name).ok())
                    .filter(|d| !d.is_empty())
                    .or_else(|| sysfs.driver(name))
                    .unwrap_or_else(|| "unknown".into()),
                pci_device: sysfs.pci_device_id(name),
                numa_node: sysfs.numa_node(name),
                no_pause: false,
                no_mac: false,
                stat_names: Vec::new(),
                speed: None,
                speed_read_at: now,
            });
            facts.speed = speed;
            facts.speed_read_at = now;
        }
        &self.facts[&key]
    }

    /// A PF's pause-frame or MAC counters (PFs with VFs only: one request each a sample). A
    /// driver that gave none once (`no`: which flag says so) is not asked again for this netdev.
    fn port_read<T>(
        &mut self,
        link: &LinkMessage,
        no: fn(&mut NetdevFacts) -> &mut bool,
        read: fn(&mut ethtool_nl::EthtoolNl, &str) -> Result<Option<T>, RtnlError>,
    ) -> Option<T> {
        let key = (link.ifindex, link.name.clone());
        let (Some(ethtool), Some(facts)) = (self.ethtool_nl.as_mut(), self.facts.get_mut(&key)) else {
            return None;
        };
        if !has_vfs(link) || *no(facts) {
            return None;
        }
        let reading = read(ethtool, &link.name)
            .map_err(|e| tracing::debug!("{}: ethtool netlink: {e}", link.name))
            .ok()
            .flatten();
        *no(facts) = reading.is_none();
        reading
    }

    /// The netdev's `ethtool -S` statistics now (none when the driver has none, or they
    /// cannot be read this time; the names are re-read when the driver's count changes).
    fn driver_stats(&mut self, ifindex: u32, name: &str) -> Vec<crate::model::DriverStat> {
        self.facts(ifindex, name);
        let (Some(ethtool), Some(facts)) =
            (self.ethtool.as_ref(), self.facts.get_mut(&(ifindex, name.to_string())))
        else {
            return Vec::new();
        };
        ethtool.stats(name, &mut facts.stat_names).unwrap_or_else(|e| {
            tracing::debug!("{name}: driver statistics unavailable: {e}");
            Vec::new()
        })
    }

    fn build_pf(&mut self, link: &LinkMessage, found: &Found) -> Pf {
        let has_vfs = has_vfs(link);
        let no_devices = HashMap::new();
        let devices = found.devices.get(&link.name).unwrap_or(&no_devices);
        let driver = Driver::of(&self.facts(link.ifindex, &link.name).driver);
        let driver_stats = self.driver_stats(link.ifindex, &link.name);
        let in_ethtool = origin::pf_ethtool_vfs(&driver_stats);
        let vfs = link
            .vfs
            .iter()
            .map(|vf| {
                let pf_ethtool = in_ethtool.get(&vf.index).copied();
                self.build_vf(&link.name, driver, vf, devices.get(&vf.index), found, pf_ethtool)
            })
            .collect();
        let facts = self.facts(link.ifindex, &link.name);
        let (driver, link_speed, numa_node) = (facts.driver.clone(), facts.speed, facts.numa_node);
        let pci =
            link.parent_dev.clone().or_else(|| has_vfs.then(|| self.sysfs.pci_address(&link.name)).flatten());
        Pf {
            totals: None,
            numa_node,
            name: link.name.clone(),
            ifindex: link.ifindex,
            driver,
            pci,
            link_speed,
            // The VFs of a netdev without a VF list (a representor) are not its own.
            num_vfs: link.num_vf.filter(|_| link.vf_list).unwrap_or(0),
            vfs_truncated: link.vfs_truncated,
            unreported_vfs: link.unreported.clone(),
            link: PfLink {
                oper: OperState::from_kernel(link.oper.unwrap_or(0)),
                carrier: link.carrier.map(|c| c != 0),
            },
            // The port's own pause statistics, else the per-priority ones the driver names.
            pause: self
                .port_read(link, |f| &mut f.no_pause, ethtool_nl::EthtoolNl::pause)
                .or_else(|| crate::driver::pfc_from_ethtool(&driver_stats)),
            port: self
                .port_read(link, |f| &mut f.no_mac, ethtool_nl::EthtoolNl::port)
                .or_else(|| crate::driver::wire_from_ethtool(&driver_stats)),
            stale: false,
            vfs,
            counters: link.stats64.unwrap_or_default(),
            driver_stats,
        }
    }

    fn build_vf(
        &mut self,
        pf: &str,
        driver: Driver,
        vf: &Vf,
        device: Option<&VfDevice>,
        found: &Found,
        pf_ethtool: Option<Counters>,
    ) -> Vf {
        let key = VfKey { pf: pf.to_string(), vf: vf.index };
        let mut out = vf.clone();
        out.pci = device.and_then(|d| d.pci.clone());
        out.representor = self.representors.get(&key).cloned();
        let own = device.and_then(|d| d.netdev.as_ref()).and_then(|n| found.links.get(n.as_str()));
        let foreign = out.pci.as_ref().and_then(|pci| found.foreign.get(pci));
        let netdev = match (own, foreign) {
            (Some(&(ifindex, counters)), _) => {
                let name = device.and_then(|d| d.netdev.clone()).unwrap_or_default();
                out.driver_stats = self.driver_stats(ifindex, &name);
                out.netdev = Some(name);
                counters
            }
            (None, Some((netdev, counters))) => {
                out.netdev = Some(netdev.name.clone());
                out.netns = Some(netdev.netns.clone());
                Some(*counters)
            }
            (None, None) => None,
        };
        let representor =
            out.representor.as_ref().and_then(|r| found.links.get(r.as_str())).and_then(|l| l.1);
        let sysfs_tx_errors =
            found.vf_stats_dirs.get(pf).and_then(|d| sysfs::vf_stat(d, vf.index, "tx_errors"));
        let others = origin::Others { netdev, representor, pf_ethtool, sysfs_tx_errors };
        out.counters = origin::pick(driver, vf.counters, others, self.holds.entry(key).or_default());
        out
    }

    /// The VFs' PCI devices, their netdevs wherever they are, and the representors, for one
    /// sample of `links`.
    fn find(&mut self, links: &[LinkMessage], taken_at: Duration) -> Found {
        let devices: HashMap<String, HashMap<u32, VfDevice>> = links
            .iter()
            .filter(|l| has_vfs(l) && self.filter.wants(l))
            .map(|l| (l.name.clone(), self.sysfs.vf_devices(&l.name)))
            .collect();
        let links_by_name: HashMap<String, (u32, Option<Counters>)> =
            links.iter().map(|l| (l.name.clone(), (l.ifindex, l.stats64))).collect();
        // VFs bound to a netdev driver whose netdev is not in this namespace: elsewhere.
        let elsewhere: HashSet<String> = devices
            .values()
            .flat_map(|d| d.values())
            .filter(|d| {
                d.has_netdev_driver() && d.netdev.as_ref().is_none_or(|n| !links_by_name.contains_key(n))
            })
            .filter_map(|d| d.pci.clone())
            .collect();
        let foreign = self.namespaces.read(&elsewhere, taken_at);
        if self.representors_at != Some(self.table.full_dumps) {
            self.representors_at = Some(self.table.full_dumps);
            // The devlink port dump first; port names and switch ids fill in the rest.
            let by_devlink = self
                .devlink
                .as_mut()
                .and_then(|d| d.representors().map_err(|e| tracing::debug!("devlink ports: {e}")).ok())
                .unwrap_or_default();
            let mut representors: HashMap<VfKey, String> =
                link::representors_by_port_name(links).into_iter().collect();
            representors.extend(by_devlink);
            self.representors = representors;
        }
        let vf_stats_dirs =
            devices.keys().filter_map(|pf| Some((pf.clone(), self.sysfs.vf_stats_dir(pf)?))).collect();
        Found { devices, links: links_by_name, foreign, vf_stats_dirs }
    }

    /// The PF's ifindex, the VF as the kernel has it now (if it lists one) and the link speed.
    /// A PF that lists VFs but not this one means it vanished; a link that lists none (veth)
    /// still gets the request, so the kernel gives its own reason.
    fn current_vf(&mut self, key: &VfKey) -> Result<CurrentVf, ApplyError> {
        let what = || format!("{} vf {}", key.pf, key.vf);
        let mut attempt = 0;
        let (link, vf) = loop {
            let dump = self.rtnl.dump_config().map_err(|e| ApplyError::Kernel { message: e.to_string() })?;
            let link = dump
                .links
                .into_iter()
                .find(|l| l.name == key.pf)
                .ok_or_else(|| ApplyError::Vanished { what: what() })?;
            let vf = link.vfs.iter().find(|v| v.index == key.vf).cloned();
            // A VF below IFLA_NUM_VF missing from the list is one whose config read failed this
            // time (a VF in reset, a busy PF): asked again before it is called vanished.
            let unreported = link.unreported.contains(&key.vf);
            if vf.is_some() || !unreported || attempt + 1 >= BUSY_RETRIES {
                break (link, vf);
            }
            attempt += 1;
            std::thread::sleep(BUSY_BACKOFF * 2u32.pow(attempt));
        };
        if vf.is_none() && link.num_vf.unwrap_or(0) > 0 {
            return Err(ApplyError::Vanished { what: what() });
        }
        let link_speed = self.ethtool.as_ref().and_then(|e| e.link_speed(&link.name).ok().flatten());
        let other_mins =
            crate::model::Mbps(link.vfs.iter().filter(|v| v.index != key.vf).map(|v| v.rate.min.0).sum());
        let link_up = link.carrier.map(|c| c != 0);
        Ok(CurrentVf { ifindex: link.ifindex, vf, link_speed, link_up, other_mins })
    }

    fn set_with_retry(&mut self, ifindex: u32, vf: u32, new: RateLimit) -> Result<(), RtnlError> {
        let mut attempt = 0;
        loop {
            match self.rtnl.set_vf_rate(ifindex, vf, new.min.0, new.max.0) {
                Err(RtnlError::Kernel(KernelError { errno, .. }))
                    if (errno == libc::EBUSY || errno == libc::EAGAIN) && attempt + 1 < BUSY_RETRIES =>
                {
                    attempt += 1;
                    std::thread::sleep(BUSY_BACKOFF * 2u32.pow(attempt));
                }
                other => return other,
            }
        }
    }
}

/// What one sample found around the PFs' own messages.
struct Found {
    /// Per PF, its VFs' PCI devices (sysfs).
    devices: HashMap<String, HashMap<u32, VfDevice>>,
    /// The links of vftop's namespace by name: ifindex and counters.
    links: HashMap<String, (u32, Option<Counters>)>,
    /// VF netdevs in other namespaces by the VF's PCI address.
    foreign: HashMap<String, (netns::ForeignNetdev, Counters)>,
    /// PFs whose driver keeps per-VF statistics as sysfs files, and where.
    vf_stats_dirs: HashMap<String, std::path::PathBuf>,
}

/// How long a netdev's link speed is cached.
const SPEED_REFRESH: Duration = Duration::from_secs(5);

/// What is read of a netdev once (and its speed now and then), not on every sample.
struct NetdevFacts {
    driver: String,
    /// The PCI device id (igb's rules depend on the MAC).
    pci_device: Option<u16>,
    numa_node: Option<i32>,
    /// Its driver gave no pause-frame / MAC counters once: not asked again.
    no_pause: bool,
    no_mac: bool,
    /// Names of the driver's statistics, kept while the driver's count stays the same.
    stat_names: Vec<String>,
    speed: Option<crate::model::Mbps>,
    speed_read_at: Duration,
}

impl KernelSource {
    fn apply_vf_rate(
        &mut self,
        key: &VfKey,
        new: RateLimit,
        api: RateApiChoice,
    ) -> Result<RateLimit, ApplyError> {
        let what = format!("{} vf {}", key.pf, key.vf);
        let before = self.current_vf(key)?;
        let name = self.driver_of(&key.pf);
        let driver = Driver::of(&name);
        let switchdev = self.representors.keys().any(|k| k.pf == key.pf);
        if api == RateApiChoice::Auto
            && driver.rate_api(switchdev) == crate::driver::RateApi::Devlink
            && let Some(leaf) = self.leaf_of(key)
        {
            return self.apply_devlink_rate(&leaf, new);
        }
        let facts = self.pf_facts(key, &before, switchdev);
        self.before_call();
        let sent = self.set_with_retry(before.ifindex, key.vf, new);
        let log = self.logged_during_call();
        sent.map_err(|e| explain(e, driver, &name, new, &facts, what).with_log(log))?;
        let after = self.current_vf(key)?;
        Ok(after.vf.map(|vf| vf.rate).unwrap_or(new))
    }

    /// The devlink leaf that stands for a VF.
    fn leaf_of(&mut self, key: &VfKey) -> Option<DevlinkRef> {
        let objects = self.devlink.as_mut()?.rate_objects().ok()?;
        objects.into_iter().find(|o| o.vf.as_ref() == Some(key)).map(|o| o.target)
    }

    /// What the driver's rules need to know of the PF, for explaining a refusal.
    fn pf_facts(&mut self, key: &VfKey, before: &CurrentVf, switchdev: bool) -> PfFacts {
        let ifindex = self.ifindex_of(&key.pf);
        let pci_device = self.facts(ifindex, &key.pf).pci_device;
        PfFacts {
            link_speed: before.link_speed,
            link_up: before.link_up,
            pci_device,
            switchdev,
            other_mins: before.other_mins,
        }
    }

    /// Kernel log lines from before a call are the next sample's, not the call's.
    fn before_call(&mut self) {
        if let Some(k) = self.kmsg.as_mut() {
            self.pending_log.extend(k.read_new());
        }
    }

    /// The PF drivers' lines about their VFs since the last sample, each with its PF (by the
    /// device the line is about, or the PF's PCI address or name in its text).
    fn notes(&mut self, pfs: &[Pf]) -> Vec<crate::model::KernelNote> {
        let mut lines = std::mem::take(&mut self.pending_log);
        lines.extend(self.kmsg.as_mut().map(kmsg::Kmsg::read_new).unwrap_or_default());
        lines
            .into_iter()
            .filter_map(|line| {
                let health = crate::driver::health(&line.text)?;
                let pf = pfs.iter().find(|pf| {
                    let pci = pf.pci.as_deref();
                    (line.device.is_some() && line.device.as_deref() == pci)
                        || pci.is_some_and(|p| line.text.contains(p))
                        || line.text.contains(&format!("{}:", pf.name))
                })?;
                Some(crate::model::KernelNote {
                    pf: pf.name.clone(),
                    vf: health.vf,
                    what: health.what.to_string(),
                    line: line.text.trim_end().replace('\n', " "),
                })
            })
            .collect()
    }

    /// What the kernel logged during a call (warnings and errors, a few at most).
    fn logged_during_call(&mut self) -> Vec<String> {
        let lines = self.kmsg.as_mut().map(kmsg::Kmsg::read_new).unwrap_or_default();
        lines.into_iter().filter(|l| l.level <= 4).map(|l| l.text.trim_end().to_string()).take(4).collect()
    }

    fn apply_devlink_rate(&mut self, target: &DevlinkRef, new: RateLimit) -> Result<RateLimit, ApplyError> {
        let what = target.to_string();
        let name = self.devlink_driver(target);
        let Some(devlink) = self.devlink.as_mut() else {
            let extack = Some("no devlink in this kernel".into());
            return Err(ApplyError::NotSupported { driver: name, extack });
        };
        let read = |d: &mut devlink::Devlink| {
            let objects = d.rate_objects().map_err(|e| ApplyError::Kernel { message: e.to_string() })?;
            objects
                .into_iter()
                .find(|o| &o.target == target)
                .ok_or(ApplyError::Vanished { what: what.clone() })
        };
        let current = read(devlink)?.limit;
        // The leaf's own values decide what is sent (a VF's `ip link` limit is not mirrored).
        let facts = PfFacts { switchdev: true, ..PfFacts::default() };
        devlink
            .set_rate(target, current, new)
            .map_err(|e| explain(e, Driver::of(&name), &name, new, &facts, what.clone()))?;
        Ok(read(devlink)?.limit)
    }

    /// The driver behind a devlink device, for messages ("netdevsim", not "devlink"): its
    /// PF netdev's, else the bus's name where it is not PCI.
    fn devlink_driver(&mut self, target: &DevlinkRef) -> String {
        let pfs: Vec<String> = self.representors.keys().map(|k| k.pf.clone()).collect();
        let pf = pfs.into_iter().find(|pf| {
            let pci = self.sysfs.pci_address(pf);
            let bus_device = target.device.split_once('/').map(|(_, d)| d.to_string());
            pci.is_some_and(|p| bus_device.as_deref() == Some(p.as_str()))
                || target.device.starts_with("netdevsim/")
        });
        let by_bus = target.device.split('/').next().filter(|bus| *bus != "pci").map(str::to_string);
        pf.map(|pf| self.driver_of(&pf)).or(by_bus).unwrap_or_else(|| "devlink".into())
    }
}

/// A VF as read just before or after a change.
struct CurrentVf {
    ifindex: u32,
    vf: Option<Vf>,
    link_speed: Option<crate::model::Mbps>,
    link_up: Option<bool>,
    /// Σ min of the PF's other VFs.
    other_mins: crate::model::Mbps,
}

/// Which interface a VF change goes through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RateApiChoice {
    /// The one the driver takes (its devlink leaf where it refuses `ip link`'s).
    #[default]
    Auto,
    /// `ndo_set_vf_rate` whatever the driver says.
    IpLink,
}

/// Turns a kernel refusal into words, with the driver's own rule where the kernel gives none.
pub fn explain(
    error: RtnlError,
    driver: Driver,
    name: &str,
    new: RateLimit,
    pf: &PfFacts,
    what: String,
) -> ApplyError {
    let RtnlError::Kernel(KernelError { errno, extack }) = error else {
        return ApplyError::Kernel { message: error.to_string() };
    };
    let reason = extack.clone().unwrap_or_else(|| driver.explain(errno, new, pf));
    match errno {
        libc::EPERM if driver == Driver::Mlx5 => ApplyError::Kernel { message: reason },
        libc::EPERM | libc::EACCES => ApplyError::PermissionDenied,
        libc::EOPNOTSUPP => {
            let specific = extack.is_some() || driver.explains(errno, new, pf);
            ApplyError::NotSupported { driver: name.into(), extack: specific.then_some(reason) }
        }
        libc::ENODEV | libc::ENOENT => ApplyError::Vanished { what },
        // ice's devlink EBUSY (ADQ or DCB active) lasts: said, not retried.
        libc::EBUSY if driver == Driver::Ice => ApplyError::Kernel { message: reason },
        libc::EBUSY | libc::EAGAIN => ApplyError::Busy {
            attempts: BUSY_RETRIES,
            errno: std::io::Error::from_raw_os_error(errno).to_string(),
        },
        libc::EINVAL => ApplyError::KernelInvalid { reason },
        _ => ApplyError::Kernel { message: KernelError { errno, extack }.to_string() },
    }
}

impl Source for KernelSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Kernel
    }

    fn sample(&mut self) -> Result<Snapshot, SampleError> {
        let taken_at = self.clock.now();
        let filter = self.filter.clone();
        let on_screen = |l: &LinkMessage| has_vfs(l) && filter.wants(l);
        self.table
            .update(&mut self.rtnl, taken_at, on_screen)
            .map_err(|e| SampleError::Netlink(e.to_string()))?;
        let links = self.table.take();
        self.links_seen = links.len();
        let found = self.find(&links, taken_at);
        self.facts.retain(|(ifindex, name), _| found.links.get(name).is_some_and(|l| l.0 == *ifindex));
        let wanted: Vec<&LinkMessage> = links.iter().filter(|l| self.filter.wants(l)).collect();
        let mut pfs: Vec<Pf> = wanted.into_iter().map(|l| self.build_pf(l, &found)).collect();
        let ifindexes: HashMap<String, u32> = found.links.iter().map(|(n, l)| (n.clone(), l.0)).collect();
        self.users.attach(&mut pfs, &ifindexes, &mut self.namespaces, &mut self.rtnl, taken_at);
        self.holds.retain(|k, _| pfs.iter().any(|p| p.name == k.pf && p.vfs.iter().any(|v| v.index == k.vf)));
        self.table.restore(links);
        let notes = self.notes(&pfs);
        let rate_objects = self.devlink.as_mut().map_or_else(Vec::new, |d| {
            d.rate_objects().unwrap_or_else(|e| {
                tracing::warn!("devlink rate dump: {e}");
                Vec::new()
            })
        });
        Ok(Snapshot {
            fleet: None,
            taken_at,
            pfs,
            malformed_attributes: self.table.malformed,
            unknown_attributes: self.table.unknown,
            rate_objects,
            sample_duration: Duration::ZERO,
            notes,
        })
    }

    fn apply(&mut self, change: &RateChange) -> Result<RateLimit, ApplyError> {
        let new = change.new;
        if !new.max.is_unlimited() && new.min > new.max {
            return Err(ApplyError::Invalid(format!("min {} is above max {}", new.min, new.max)));
        }
        match &change.target {
            Target::Vf(key) => self.apply_vf_rate(key, new, self.api),
            Target::Devlink(d) => self.apply_devlink_rate(d, new),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_explained_per_driver() {
        let err = |errno| RtnlError::Kernel(KernelError { errno, extack: None });
        let what = || "eth0 vf 1".to_string();
        let pf =
            PfFacts { link_speed: Some(crate::model::Mbps(1000)), link_up: Some(true), ..PfFacts::default() };
        let igb = |e, new| explain(err(e), Driver::Igb, "igb", new, &pf, what());
        assert_eq!(
            igb(libc::EINVAL, RateLimit::new(10, 100)).to_string(),
            "the kernel rejected the rate (EINVAL): the igb driver has no minimum rate (min must be 0)"
        );
        let e = igb(libc::EINVAL, RateLimit::new(0, 5000));
        assert!(e.to_string().contains("max 5G is above the link speed 1G"), "{e}");
        let with_extack =
            RtnlError::Kernel(KernelError { errno: libc::EINVAL, extack: Some("bad rate".into()) });
        let e = explain(with_extack, Driver::Other, "x", RateLimit::new(0, 1), &pf, what());
        assert!(e.to_string().ends_with("bad rate"));
        assert_eq!(igb(libc::EPERM, RateLimit::default()), ApplyError::PermissionDenied);
        let mlx5 = explain(err(libc::EPERM), Driver::Mlx5, "mlx5_core", RateLimit::new(0, 1), &pf, what());
        assert!(
            mlx5.to_string().contains("not the eswitch manager"),
            "EPERM on mlx5 is not a missing capability: {mlx5}"
        );
        let eop =
            explain(err(libc::EOPNOTSUPP), Driver::of("veth"), "veth", RateLimit::default(), &pf, what());
        assert_eq!(eop.to_string(), "the veth driver cannot rate-limit VFs this way (EOPNOTSUPP)");
        assert!(matches!(igb(libc::ENODEV, RateLimit::default()), ApplyError::Vanished { .. }));
        let logged = igb(libc::EINVAL, RateLimit::new(0, 100)).with_log(vec!["igb: said why".into()]);
        assert!(logged.to_string().ends_with("kernel log: «igb: said why»"), "{logged}");
    }
}
