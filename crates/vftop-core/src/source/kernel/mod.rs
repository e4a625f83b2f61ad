//! The real kernel: rtnetlink link dumps, ethtool ioctls and sysfs, and VF rate changes.

pub mod attr;
pub mod caps;
pub mod devlink;
pub mod ethtool;
pub mod fixture;
pub mod link;
pub mod links;
pub mod rtnl;
pub mod sysfs;

use super::{ApplyError, Clock, SampleError, Source, SourceKind};
use crate::model::{
    Capabilities, CounterOrigin, Counters, DevlinkRef, Pf, RateChange, RateLimit, Snapshot, Target, Vf, VfKey,
};
use ethtool::Ethtool;
use link::LinkMessage;
use rtnl::{KernelError, Rtnl, RtnlError};
use std::collections::HashMap;
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
        })
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
                stat_names: Vec::new(),
                speed: None,
                speed_read_at: now,
            });
            facts.speed = speed;
            facts.speed_read_at = now;
        }
        &self.facts[&key]
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

    fn build_pf(&mut self, link: &LinkMessage, by_name: &HashMap<&str, &LinkMessage>) -> Pf {
        let has_vfs = has_vfs(link);
        let devices = if has_vfs { self.sysfs.vf_devices(&link.name) } else { HashMap::new() };
        let vfs = link.vfs.iter().map(|vf| self.build_vf(vf, devices.get(&vf.index), by_name)).collect();
        let facts = self.facts(link.ifindex, &link.name);
        let (driver, link_speed) = (facts.driver.clone(), facts.speed);
        let pci =
            link.parent_dev.clone().or_else(|| has_vfs.then(|| self.sysfs.pci_address(&link.name)).flatten());
        Pf {
            name: link.name.clone(),
            ifindex: link.ifindex,
            driver,
            pci,
            link_speed,
            // The VFs of a netdev without a VF list (a representor) are not its own.
            num_vfs: link.num_vf.filter(|_| link.vf_list).unwrap_or(0),
            vfs_truncated: link.vfs_truncated,
            stale: false,
            vfs,
            counters: link.stats64.unwrap_or_default(),
            driver_stats: self.driver_stats(link.ifindex, &link.name),
        }
    }

    fn build_vf(&mut self, vf: &Vf, device: Option<&VfDevice>, by_name: &HashMap<&str, &LinkMessage>) -> Vf {
        let mut out = vf.clone();
        out.netdev = device.and_then(|d| d.netdev.clone());
        out.pci = device.and_then(|d| d.pci.clone());
        let Some(name) = device.and_then(|d| d.netdev.as_ref()) else { return out };
        let link = by_name.get(name.as_str());
        out.driver_stats = self.driver_stats(link.map(|l| l.ifindex).unwrap_or(0), name);
        if let Some(counters) = netdev_fallback(&vf.counters, link.and_then(|l| l.stats64)) {
            out.counters = counters;
        }
        out
    }

    /// The PF's ifindex, the VF as the kernel has it now (if it lists one) and the link speed.
    /// A PF that lists VFs but not this one means it vanished; a link that lists none (veth)
    /// still gets the request, so the kernel gives its own reason.
    fn current_vf(&mut self, key: &VfKey) -> Result<CurrentVf, ApplyError> {
        let what = || format!("{} vf {}", key.pf, key.vf);
        let dump = self.rtnl.dump_links().map_err(|e| ApplyError::Kernel { message: e.to_string() })?;
        let link = dump
            .links
            .iter()
            .find(|l| l.name == key.pf)
            .ok_or_else(|| ApplyError::Vanished { what: what() })?;
        let vf = link.vfs.iter().find(|v| v.index == key.vf).cloned();
        if vf.is_none() && link.num_vf.unwrap_or(0) > 0 {
            return Err(ApplyError::Vanished { what: what() });
        }
        let link_speed = self.ethtool.as_ref().and_then(|e| e.link_speed(&link.name).ok().flatten());
        Ok(CurrentVf { ifindex: link.ifindex, vf, link_speed })
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

/// How long a netdev's link speed is cached.
const SPEED_REFRESH: Duration = Duration::from_secs(5);

/// What is read of a netdev once (and its speed now and then), not on every sample.
struct NetdevFacts {
    driver: String,
    /// Names of the driver's statistics, kept while the driver's count stays the same.
    stat_names: Vec<String>,
    speed: Option<crate::model::Mbps>,
    speed_read_at: Duration,
}

impl KernelSource {
    fn apply_vf_rate(&mut self, key: &VfKey, new: RateLimit) -> Result<RateLimit, ApplyError> {
        let what = format!("{} vf {}", key.pf, key.vf);
        let before = self.current_vf(key)?;
        let driver = self.driver_of(&key.pf);
        self.set_with_retry(before.ifindex, key.vf, new)
            .map_err(|e| explain(e, &driver, new, before.link_speed, what))?;
        let after = self.current_vf(key)?;
        Ok(after.vf.map(|vf| vf.rate).unwrap_or(new))
    }

    fn apply_devlink_rate(&mut self, target: &DevlinkRef, new: RateLimit) -> Result<RateLimit, ApplyError> {
        let what = target.to_string();
        let Some(devlink) = self.devlink.as_mut() else {
            let extack = Some("no devlink in this kernel".into());
            return Err(ApplyError::NotSupported { driver: "devlink".into(), extack });
        };
        let read = |d: &mut devlink::Devlink| {
            let objects = d.rate_objects().map_err(|e| ApplyError::Kernel { message: e.to_string() })?;
            objects
                .into_iter()
                .find(|o| &o.target == target)
                .ok_or(ApplyError::Vanished { what: what.clone() })
        };
        read(devlink)?;
        devlink.set_rate(target, new).map_err(|e| explain(e, "devlink", new, None, what.clone()))?;
        Ok(read(devlink)?.limit)
    }
}

/// A VF as read just before or after a change.
struct CurrentVf {
    ifindex: u32,
    vf: Option<Vf>,
    link_speed: Option<crate::model::Mbps>,
}

/// Where the PF driver reports no per-VF traffic (igb: `IFLA_VF_STATS` always 0) but the VF's
/// own host netdev has counters, those are the VF's traffic.
pub fn netdev_fallback(vf_stats: &Counters, netdev: Option<Counters>) -> Option<Counters> {
    let netdev = netdev?;
    (vf_stats.is_all_zero() && !netdev.is_all_zero())
        .then_some(Counters { origin: CounterOrigin::VfNetdev, ..netdev })
}

/// Turns a kernel refusal into words, with the driver's known reasons where the kernel gives none.
pub fn explain(
    error: RtnlError,
    driver: &str,
    new: RateLimit,
    link: Option<crate::model::Mbps>,
    what: String,
) -> ApplyError {
    let RtnlError::Kernel(KernelError { errno, extack }) = error else {
        return ApplyError::Kernel { message: error.to_string() };
    };
    match errno {
        libc::EPERM | libc::EACCES => ApplyError::PermissionDenied,
        libc::EOPNOTSUPP => ApplyError::NotSupported { driver: driver.into(), extack },
        libc::ENODEV | libc::ENOENT => ApplyError::Vanished { what },
        libc::EBUSY | libc::EAGAIN => ApplyError::Busy {
            attempts: BUSY_RETRIES,
            errno: std::io::Error::from_raw_os_error(errno).to_string(),
        },
        libc::EINVAL => {
            ApplyError::KernelInvalid { reason: extack.unwrap_or_else(|| known_einval(driver, new, link)) }
        }
        _ => ApplyError::Kernel { message: KernelError { errno, extack }.to_string() },
    }
}

fn known_einval(driver: &str, new: RateLimit, link: Option<crate::model::Mbps>) -> String {
    let max_only = Capabilities::for_driver(driver).min_rate == crate::model::Support::No;
    if max_only && !new.min.is_unlimited() {
        return format!("the {driver} driver has no minimum rate (min must be 0)");
    }
    if let Some(link) = link
        && new.max > link
    {
        return format!("max {} is above the link speed {link}", new.max);
    }
    format!("the {driver} driver refused min {} max {} (no further reason given)", new.min, new.max)
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
        let by_name: HashMap<&str, &LinkMessage> = links.iter().map(|l| (l.name.as_str(), l)).collect();
        self.facts
            .retain(|(ifindex, name), _| by_name.get(name.as_str()).is_some_and(|l| l.ifindex == *ifindex));
        let wanted: Vec<&LinkMessage> = links.iter().filter(|l| self.filter.wants(l)).collect();
        let pfs = wanted.into_iter().map(|l| self.build_pf(l, &by_name)).collect();
        drop(by_name);
        self.table.restore(links);
        let rate_objects = self.devlink.as_mut().map_or_else(Vec::new, |d| {
            d.rate_objects().unwrap_or_else(|e| {
                tracing::warn!("devlink rate dump: {e}");
                Vec::new()
            })
        });
        Ok(Snapshot {
            taken_at,
            pfs,
            malformed_attributes: self.table.malformed,
            unknown_attributes: self.table.unknown,
            rate_objects,
            sample_duration: Duration::ZERO,
        })
    }

    fn apply(&mut self, change: &RateChange) -> Result<RateLimit, ApplyError> {
        let new = change.new;
        if !new.max.is_unlimited() && new.min > new.max {
            return Err(ApplyError::Invalid(format!("min {} is above max {}", new.min, new.max)));
        }
        match &change.target {
            Target::Vf(key) => self.apply_vf_rate(key, new),
            Target::Devlink(d) => self.apply_devlink_rate(d, new),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_only_when_vf_stats_are_empty() {
        let netdev = Counters { tx_bytes: 10, origin: CounterOrigin::Netdev, ..Default::default() };
        let zero = Counters { origin: CounterOrigin::VfStats, ..Default::default() };
        assert_eq!(netdev_fallback(&zero, Some(netdev)).unwrap().origin, CounterOrigin::VfNetdev);
        let real = Counters { tx_bytes: 5, ..zero };
        assert_eq!(netdev_fallback(&real, Some(netdev)), None);
        assert_eq!(netdev_fallback(&zero, Some(Counters::default())), None);
        assert_eq!(netdev_fallback(&zero, None), None);
    }

    #[test]
    fn refusals_are_explained_per_driver() {
        let einval = || RtnlError::Kernel(KernelError { errno: libc::EINVAL, extack: None });
        let what = || "eth0 vf 1".to_string();
        let link = Some(crate::model::Mbps(1000));
        let e = explain(einval(), "igb", RateLimit::new(10, 100), link, what());
        assert_eq!(
            e.to_string(),
            "the kernel rejected the rate (EINVAL): the igb driver has no minimum rate (min must be 0)"
        );
        let e = explain(einval(), "igb", RateLimit::new(0, 5000), link, what());
        assert!(e.to_string().contains("max 5G is above the link speed 1G"), "{e}");
        let with_extack =
            RtnlError::Kernel(KernelError { errno: libc::EINVAL, extack: Some("bad rate".into()) });
        assert!(
            explain(with_extack, "x", RateLimit::new(0, 1), link, what()).to_string().ends_with("bad rate")
        );
        let eperm = RtnlError::Kernel(KernelError { errno: libc::EPERM, extack: None });
        assert_eq!(explain(eperm, "igb", RateLimit::default(), link, what()), ApplyError::PermissionDenied);
        let eop = RtnlError::Kernel(KernelError { errno: libc::EOPNOTSUPP, extack: None });
        assert!(
            explain(eop, "veth", RateLimit::default(), link, what())
                .to_string()
                .contains("veth driver cannot rate-limit VFs")
        );
        let enodev = RtnlError::Kernel(KernelError { errno: libc::ENODEV, extack: None });
        assert!(matches!(
            explain(enodev, "igb", RateLimit::default(), link, what()),
            ApplyError::Vanished { .. }
        ));
    }
}
