//! VF netdevs that live in other network namespaces (a pod's, a container's, an isolated
//! service's): found by their parent PCI device in every namespace — named ones under
//! `/run/netns` and the unnamed ones of running processes, one per namespace inode — and read
//! through a rtnetlink socket opened inside each.
//!
//! A socket pins its namespace: one is kept only for a namespace that holds a VF netdev, and
//! every rescan drops those no process or name refers to any more (so a pod's namespace, and
//! the VF in it, is freed at most one rescan after the pod is gone).

use super::rtnl::Rtnl;
use super::sockets::{DiagSocket, SockDiag, on_netdev};
use crate::model::Counters;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// While some VF's netdev is missing, namespaces are searched again this often.
const RESCAN: Duration = Duration::from_secs(5);

/// A namespace's identity: the device and inode of its nsfs file.
type NsId = (u64, u64);

/// A VF netdev found in another namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignNetdev {
    /// The namespace's name under `/run/netns`, or `pid N (comm)` of a process in it.
    pub netns: String,
    pub ifindex: u32,
    pub name: String,
}

/// A namespace holding VF netdevs, with a socket inside it.
struct Holding {
    id: NsId,
    label: String,
    path: PathBuf,
    rtnl: Rtnl,
    /// A sock_diag socket inside it, opened when its VFs' sockets are first read.
    diag: Option<SockDiag>,
    /// VF PCI address → its netdev there.
    netdevs: HashMap<String, (u32, String)>,
}

/// Where to look for namespaces (`/` normally; a test directory otherwise).
pub struct Namespaces {
    root: PathBuf,
    holding: Vec<Holding>,
    last_scan: Option<Duration>,
    /// What the last scan looked for; a different set is searched for at once.
    last_wanted: HashSet<String>,
    /// A held netdev disappeared: search again at the next sample.
    lost: bool,
    /// How many scans were made (for the log and tests).
    pub scans: u64,
}

impl Default for Namespaces {
    fn default() -> Self {
        Namespaces::new("/")
    }
}

impl Namespaces {
    pub fn new(root: impl Into<PathBuf>) -> Namespaces {
        Namespaces {
            root: root.into(),
            holding: Vec::new(),
            last_scan: None,
            last_wanted: HashSet::new(),
            lost: false,
            scans: 0,
        }
    }

    /// The netdevs and counters of the VFs (by PCI address) found in other namespaces, with a
    /// search first when `wanted` (VFs bound to a netdev driver whose netdev is not in vftop's
    /// namespace) holds one not found yet and a search is due.
    pub fn read(
        &mut self,
        wanted: &HashSet<String>,
        now: Duration,
    ) -> HashMap<String, (ForeignNetdev, Counters)> {
        let unfound = wanted.iter().any(|pci| !self.holding.iter().any(|h| h.netdevs.contains_key(pci)));
        let due = self.last_scan.is_none_or(|t| now.saturating_sub(t) >= RESCAN);
        let new_set = *wanted != self.last_wanted;
        if (unfound && (due || new_set)) || self.lost || (!self.holding.is_empty() && due) {
            self.scan(wanted);
            self.last_scan = Some(now);
            self.last_wanted = wanted.clone();
        }
        let mut out = HashMap::new();
        for held in &mut self.holding {
            let stats = match held.rtnl.dump_stats64() {
                Ok(stats) => stats,
                Err(e) => {
                    tracing::debug!("netns {}: {e}", held.label);
                    self.lost = true;
                    continue;
                }
            };
            for (pci, (ifindex, name)) in &held.netdevs {
                let Some(counters) = stats.get(ifindex) else {
                    self.lost = true;
                    continue;
                };
                let netdev =
                    ForeignNetdev { netns: held.label.clone(), ifindex: *ifindex, name: name.clone() };
                out.insert(pci.clone(), (netdev, *counters));
            }
        }
        out
    }

    /// Searches every other namespace for netdevs whose parent device is one of `wanted`;
    /// keeps a socket in those that have one, drops the rest (what a sample does while a VF's
    /// netdev is missing, at most every 5 s; public for the bench).
    pub fn scan(&mut self, wanted: &HashSet<String>) {
        self.scans += 1;
        self.lost = false;
        let own = ns_id(&self.root.join("proc/self/ns/net"));
        let mut kept = Vec::new();
        for (id, (label, path)) in self.candidates() {
            if Some(id) == own {
                continue;
            }
            let reused = self.holding.iter().position(|h| h.id == id).map(|i| self.holding.swap_remove(i));
            let (rtnl, diag) = reused.map_or((None, None), |h| (Some(h.rtnl), h.diag));
            let Some(mut rtnl) = rtnl.or_else(|| open_inside(&path)) else { continue };
            let netdevs = match rtnl.dump_links() {
                Ok(dump) => dump
                    .links
                    .into_iter()
                    .filter_map(|l| {
                        l.parent_dev.filter(|p| wanted.contains(p)).map(|p| (p, (l.ifindex, l.name)))
                    })
                    .collect::<HashMap<_, _>>(),
                Err(e) => {
                    tracing::debug!("netns {label}: link dump failed: {e}");
                    continue;
                }
            };
            if !netdevs.is_empty() {
                kept.push(Holding { id, label, path, rtnl, diag, netdevs });
            }
        }
        self.holding = kept;
    }

    /// The sockets on each VF netdev held in another namespace (by the VF's PCI address), read
    /// with a sock_diag socket opened inside its namespace.
    pub fn sockets(&mut self) -> HashMap<String, Vec<DiagSocket>> {
        let mut out = HashMap::new();
        for held in &mut self.holding {
            if held.diag.is_none() {
                held.diag = inside(&held.path, || SockDiag::open().ok());
            }
            let Some(diag) = held.diag.as_mut() else { continue };
            let Ok(addresses) = held.rtnl.dump_addresses() else { continue };
            let ifindexes = held.netdevs.values().map(|(i, _)| *i);
            let Ok(all) = super::users::filtered_dump(diag, ifindexes, &addresses) else {
                tracing::debug!("netns {}: sockets unreadable", held.label);
                continue;
            };
            for (pci, (ifindex, _)) in &held.netdevs {
                let mine = addresses.get(ifindex).map_or(&[][..], Vec::as_slice);
                out.insert(pci.clone(), on_netdev(&all, *ifindex, mine).cloned().collect());
            }
        }
        out
    }

    /// Every namespace a name or a process refers to, by identity: its label and a path to it.
    /// Named ones win over processes; among processes, the lowest pid.
    fn candidates(&self) -> BTreeMap<NsId, (String, PathBuf)> {
        let mut found = BTreeMap::new();
        for dir in ["run/netns", "var/run/netns"] {
            let Ok(entries) = std::fs::read_dir(self.root.join(dir)) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                let (Some(id), Ok(name)) = (ns_id(&path), entry.file_name().into_string()) else { continue };
                found.entry(id).or_insert((name, path));
            }
        }
        let Ok(procs) = std::fs::read_dir(self.root.join("proc")) else { return found };
        let mut pids: Vec<u32> =
            procs.flatten().filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok())).collect();
        pids.sort_unstable();
        for pid in pids {
            let path = self.root.join(format!("proc/{pid}/ns/net"));
            let Some(id) = ns_id(&path) else { continue };
            found.entry(id).or_insert_with(|| (self.process_label(pid), path));
        }
        found
    }

    fn process_label(&self, pid: u32) -> String {
        let comm = std::fs::read_to_string(self.root.join(format!("proc/{pid}/comm"))).unwrap_or_default();
        match comm.trim() {
            "" => format!("pid {pid}"),
            comm => format!("pid {pid} ({comm})"),
        }
    }
}

fn ns_id(path: &Path) -> Option<NsId> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// A rtnetlink socket inside the namespace at `path`: a short-lived thread enters it
/// (`setns` changes only the calling thread's namespace) and opens the socket, which stays in
/// that namespace for its life. `None` without the privilege (CAP_SYS_ADMIN) or the file.
pub fn open_inside(path: &Path) -> Option<Rtnl> {
    inside(path, || Rtnl::open().ok())
}

/// What `open` makes inside the namespace at `path` (a socket stays in the namespace it was
/// made in), on a short-lived thread that enters it.
pub fn inside<T: Send>(path: &Path, open: impl FnOnce() -> Option<T> + Send) -> Option<T> {
    let file = std::fs::File::open(path).ok()?;
    std::thread::scope(|s| {
        s.spawn(|| {
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(|e| tracing::debug!("setns {}: {e}", path.display()))
                .ok()?;
            open()
        })
        .join()
        .ok()
        .flatten()
    })
}
