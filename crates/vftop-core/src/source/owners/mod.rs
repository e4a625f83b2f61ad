//! Whose each VF is: looked up on its own cadence (the kubelet's socket and `/proc` cost more
//! than a sample), cached, and looked up again when the VFs or their namespaces change. Every
//! source is optional — no kubelet, no libvirt, no permission is silence, not an error — and
//! where several answer, the most specific wins: a pod (kubelet) over a container (SR-IOV CNI
//! cache) over its namespace; a VM (libvirt) over the QEMU process holding the VF's vfio
//! group; a host service (the processes with sockets on the VF) last.

pub mod cni;
pub mod kubelet;
pub mod libvirt;
pub mod procs;

use super::{ApplyError, SampleError, Source, SourceKind};
use crate::model::owner::{Owner, OwnerKind, OwnerSource, SocketUse};
use crate::model::{RateChange, RateLimit, RoleMap, Snapshot};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Whether owners are looked up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OwnersMode {
    /// Not looked up (nor the sockets of host-bound VFs read).
    None,
    /// Every source that is there.
    #[default]
    Auto,
}

/// Where owners are looked up.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnerConfig {
    pub mode: OwnersMode,
    /// Where `/proc` and `/sys` are (`/`; a test's directory); `None`: they are not this
    /// host's VFs (the simulator's), only the kubelet, CNI cache and libvirt are asked.
    pub root: Option<PathBuf>,
    /// The sources asked (`None`: not that one).
    pub kubelet_socket: Option<PathBuf>,
    pub cni_cache_dir: Option<PathBuf>,
    pub libvirt_run_dir: Option<PathBuf>,
    /// How often owners are looked up again while nothing changed.
    pub refresh: Duration,
}

impl Default for OwnerConfig {
    fn default() -> Self {
        OwnerConfig {
            mode: OwnersMode::Auto,
            root: Some(PathBuf::from("/")),
            kubelet_socket: Some(PathBuf::from(kubelet::SOCKET)),
            cni_cache_dir: Some(PathBuf::from(cni::CACHE_DIR)),
            libvirt_run_dir: Some(PathBuf::from("/run/libvirt/qemu")),
            refresh: Duration::from_secs(5),
        }
    }
}

/// What the finder is told of one VF.
#[derive(Clone, Copy, Debug)]
pub struct VfPlace<'a> {
    pub pci: &'a str,
    /// The namespace its netdev is in, where not vftop's own (`pod1`, `pid 4121 (sleep)`).
    pub netns: Option<&'a str>,
    /// The sockets on its netdev (read where it is on the host).
    pub sockets: &'a [SocketUse],
}

/// Owners by VF PCI address, looked up again when due.
pub struct OwnerFinder {
    config: OwnerConfig,
    last: Option<Duration>,
    placed: Vec<(String, Option<String>)>,
    found: HashMap<String, Owner>,
    /// How many lookups were made (for the log and tests).
    pub lookups: u64,
}

impl OwnerFinder {
    pub fn new(config: OwnerConfig) -> OwnerFinder {
        OwnerFinder { config, last: None, placed: Vec::new(), found: HashMap::new(), lookups: 0 }
    }

    pub fn mode(&self) -> OwnersMode {
        self.config.mode
    }

    /// The owners of `vfs` (by PCI address), looked up again when the refresh is due or the
    /// VFs or their namespaces changed since the last lookup.
    pub fn owners(&mut self, vfs: &[VfPlace<'_>], now: Duration) -> &HashMap<String, Owner> {
        if self.config.mode == OwnersMode::None {
            return &self.found;
        }
        let placed: Vec<(String, Option<String>)> =
            vfs.iter().map(|v| (v.pci.to_string(), v.netns.map(str::to_string))).collect();
        let due = self.last.is_none_or(|t| now.saturating_sub(t) >= self.config.refresh);
        if due || placed != self.placed {
            self.found = self.lookup(vfs);
            self.placed = placed;
            self.last = Some(now);
            self.lookups += 1;
        }
        &self.found
    }

    /// Every source, least specific first: a later answer replaces an earlier one.
    fn lookup(&self, vfs: &[VfPlace<'_>]) -> HashMap<String, Owner> {
        let mut found: HashMap<String, Owner> = HashMap::new();
        if let Some(root) = &self.config.root {
            for vf in vfs {
                let owner = match vf.netns {
                    Some(netns) => Some(namespace_owner(root, netns)),
                    None => host_owner(vf.sockets),
                };
                found.extend(owner.map(|o| (vf.pci.to_string(), o)));
            }
            found.extend(vfio_owners(root, vfs));
        }
        let config = &self.config;
        found.extend(config.libvirt_run_dir.as_deref().map(libvirt::read_dir).unwrap_or_default());
        found.extend(config.cni_cache_dir.as_deref().map(cni::read_dir).unwrap_or_default());
        found.extend(config.kubelet_socket.as_deref().map(kubelet::owners).unwrap_or_default());
        found.retain(|pci, _| vfs.iter().any(|v| v.pci == pci));
        found
    }
}

/// A source whose VFs get owners from the kubelet, the CNI cache and libvirt on top of its
/// own (the simulator's scenario owners): where those name a VF, they win.
pub struct WithOwners<S> {
    inner: S,
    finder: OwnerFinder,
}

impl<S: Source> WithOwners<S> {
    pub fn new(inner: S, config: OwnerConfig) -> WithOwners<S> {
        WithOwners { inner, finder: OwnerFinder::new(OwnerConfig { root: None, ..config }) }
    }
}

impl<S: Source> Source for WithOwners<S> {
    fn kind(&self) -> SourceKind {
        self.inner.kind()
    }

    fn sample(&mut self) -> Result<Snapshot, SampleError> {
        let mut snapshot = self.inner.sample()?;
        let places: Vec<VfPlace<'_>> = snapshot
            .pfs
            .iter()
            .flat_map(|p| &p.vfs)
            .filter_map(|v| Some(VfPlace { pci: v.pci.as_deref()?, netns: None, sockets: &[] }))
            .collect();
        let owners = self.finder.owners(&places, snapshot.taken_at).clone();
        for vf in snapshot.pfs.iter_mut().flat_map(|p| p.vfs.iter_mut()) {
            if let Some(owner) = vf.pci.as_ref().and_then(|pci| owners.get(pci)) {
                vf.owner = Some(owner.clone());
            }
        }
        Ok(snapshot)
    }

    fn apply(&mut self, change: &RateChange) -> Result<RateLimit, ApplyError> {
        self.inner.apply(change)
    }

    fn roles(&self) -> RoleMap {
        self.inner.roles()
    }

    fn history(&mut self, span: Duration, step: Duration) -> Vec<Snapshot> {
        self.inner.history(span, step)
    }
}

/// A VF netdev's namespace: its name (`/run/netns`), or the container of the process in it.
fn namespace_owner(root: &Path, netns: &str) -> Owner {
    // An unnamed namespace is labelled after the process found in it: `pid N (comm)`.
    let pid = netns.strip_prefix("pid ").and_then(|rest| rest.split(' ').next()).and_then(|p| p.parse().ok());
    match pid.and_then(|pid| procs::container_id(root, pid)) {
        Some(id) => Owner {
            detail: Some(netns.to_string()),
            ..Owner::new(OwnerKind::Container, id, OwnerSource::Netns)
        },
        None => Owner::new(OwnerKind::Netns, netns, OwnerSource::Netns),
    }
}

/// The host service using a VF: of the processes with sockets on it, the one that moved the
/// most bytes (then the most sockets).
fn host_owner(sockets: &[SocketUse]) -> Option<Owner> {
    let mut by_process: BTreeMap<(u32, &str), (u64, usize)> = BTreeMap::new();
    for s in sockets {
        let (Some(pid), Some(name)) = (s.pid, s.process.as_deref()) else { continue };
        let e = by_process.entry((pid, name)).or_default();
        e.0 += s.bytes_sent.unwrap_or(0) + s.bytes_received.unwrap_or(0);
        e.1 += 1;
    }
    let ((pid, name), _) = by_process.into_iter().max_by_key(|(k, v)| (*v, std::cmp::Reverse(k.0)))?;
    Some(Owner {
        detail: Some(format!("pid {pid}")),
        ..Owner::new(OwnerKind::Host, name, OwnerSource::Sockets)
    })
}

/// VFs bound to vfio-pci and the processes holding their vfio device: a QEMU names its VM
/// (`-name guest=vm7`); another holder (a DPDK application) is a host service.
fn vfio_owners(root: &Path, vfs: &[VfPlace<'_>]) -> Vec<(String, Owner)> {
    let device = |pci: &str| root.join("sys/bus/pci/devices").join(pci);
    let bound: Vec<&VfPlace<'_>> = vfs
        .iter()
        .filter(|v| std::fs::read_link(device(v.pci).join("driver")).is_ok_and(|d| d.ends_with("vfio-pci")))
        .collect();
    if bound.is_empty() {
        return Vec::new();
    }
    let table = procs::FdTable::read(root);
    let mut out = Vec::new();
    for vf in bound {
        let mut files = Vec::new();
        if let Some(group) = std::fs::read_link(device(vf.pci).join("iommu_group"))
            .ok()
            .and_then(|g| g.file_name().map(|n| n.to_string_lossy().into_owned()))
        {
            files.push(PathBuf::from(format!("/dev/vfio/{group}")));
            files.push(PathBuf::from(format!("/dev/vfio/noiommu-{group}")));
        }
        if let Ok(cdevs) = std::fs::read_dir(device(vf.pci).join("vfio-dev")) {
            files.extend(cdevs.flatten().map(|c| Path::new("/dev/vfio/devices").join(c.file_name())));
        }
        let Some(holder) = files.iter().find_map(|f| table.vfio.get(f)).and_then(|h| h.first()) else {
            continue;
        };
        let cmdline = std::fs::read(root.join(format!("proc/{}/cmdline", holder.pid))).unwrap_or_default();
        let owner = match procs::qemu_guest_name(&cmdline) {
            Some(vm) => Owner {
                detail: Some(format!("pid {}", holder.pid)),
                ..Owner::new(OwnerKind::Vm, vm, OwnerSource::Qemu)
            },
            None => Owner {
                detail: Some(format!("pid {}, holds its vfio device", holder.pid)),
                ..Owner::new(OwnerKind::Host, &holder.comm, OwnerSource::Qemu)
            },
        };
        out.push((vf.pci.to_string(), owner));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::owner::Transport;

    fn socket(pid: u32, name: &str, bytes: u64) -> SocketUse {
        SocketUse {
            cookie: u64::from(pid) * 1000 + bytes,
            transport: Transport::Tcp,
            pid: Some(pid),
            process: Some(name.into()),
            bytes_sent: Some(bytes),
            bytes_received: Some(0),
            listening: false,
        }
    }

    #[test]
    fn the_host_service_is_the_process_that_moved_the_most() {
        let sockets = [socket(10, "sshd", 5_000), socket(20, "rsync", 9_000_000), socket(10, "sshd", 1)];
        assert_eq!(host_owner(&sockets).unwrap().label(), "host: rsync");
        assert_eq!(host_owner(&[]), None);
    }

    #[test]
    fn a_named_namespace_is_its_owner_and_lookups_follow_changes_and_the_cadence() {
        let config = OwnerConfig {
            root: Some(std::env::temp_dir().join("vftop-no-such-root")),
            kubelet_socket: None,
            cni_cache_dir: None,
            libvirt_run_dir: None,
            ..OwnerConfig::default()
        };
        let mut finder = OwnerFinder::new(config);
        let at = |s| Duration::from_secs(s);
        let place = |netns| [VfPlace { pci: "0000:01:10.1", netns, sockets: &[] }];
        let owners = finder.owners(&place(Some("pod1")), at(0));
        assert_eq!(owners.get("0000:01:10.1").map(Owner::label).as_deref(), Some("netns pod1"));
        finder.owners(&place(Some("pod1")), at(1));
        assert_eq!(finder.lookups, 1, "nothing changed and the refresh is not due");
        let owners = finder.owners(&place(Some("pod2")), at(2));
        assert_eq!(owners.get("0000:01:10.1").map(Owner::label).as_deref(), Some("netns pod2"));
        finder.owners(&place(Some("pod2")), at(8));
        assert_eq!(finder.lookups, 3);
    }

    #[test]
    fn owners_none_looks_nothing_up() {
        let mut finder = OwnerFinder::new(OwnerConfig { mode: OwnersMode::None, ..OwnerConfig::default() });
        let vfs = [VfPlace { pci: "0000:01:10.1", netns: Some("pod1"), sockets: &[] }];
        assert!(finder.owners(&vfs, Duration::ZERO).is_empty());
        assert_eq!(finder.lookups, 0);
    }
}
