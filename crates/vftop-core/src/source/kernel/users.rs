//! Who uses each VF: the sockets on its host netdev (in vftop's namespace or another one),
//! with the processes holding them, and its owner (pod, VM, container, namespace, service).

use super::netns::Namespaces;
use super::rtnl::Rtnl;
use super::sockets::{DiagSocket, SockDiag, on_netdev};
use crate::model::Pf;
use crate::model::owner::SocketUse;
use crate::source::owners::procs::FdTable;
use crate::source::owners::{OwnerConfig, OwnerFinder, OwnersMode, VfPlace};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// `/proc/*/fd` is read again for a socket no process was found for at most this often.
const FD_RESCAN: Duration = Duration::from_secs(2);

pub struct VfUsers {
    finder: OwnerFinder,
    root: PathBuf,
    /// sock_diag in vftop's own namespace, opened at the first host-bound VF.
    diag: Option<SockDiag>,
    fds: FdTable,
    fds_at: Option<Duration>,
}

impl VfUsers {
    pub fn new(config: OwnerConfig) -> VfUsers {
        let root = config.root.clone().unwrap_or_else(|| PathBuf::from("/"));
        VfUsers { finder: OwnerFinder::new(config), root, diag: None, fds: FdTable::default(), fds_at: None }
    }

    /// Fills in every VF's sockets and owner (nothing with `--owners none`). `links`: vftop's
    /// namespace's netdevs by name → ifindex.
    pub fn attach(
        &mut self,
        pfs: &mut [Pf],
        links: &HashMap<String, u32>,
        namespaces: &mut Namespaces,
        rtnl: &mut Rtnl,
        now: Duration,
    ) {
        if self.finder.mode() == OwnersMode::None {
            return;
        }
        let mut found = self.host_sockets(pfs, links, rtnl);
        if pfs.iter().flat_map(|p| &p.vfs).any(|v| v.netns.is_some()) {
            found.extend(namespaces.sockets());
        }
        self.know_processes(found.values().flatten(), now);
        for vf in pfs.iter_mut().flat_map(|p| p.vfs.iter_mut()) {
            let Some(sockets) = vf.pci.as_ref().and_then(|pci| found.get(pci)) else { continue };
            vf.sockets = sockets.iter().map(|s| self.socket_use(s)).collect();
        }
        let places: Vec<VfPlace<'_>> = pfs
            .iter()
            .flat_map(|p| &p.vfs)
            .filter_map(|v| {
                let pci = v.pci.as_deref()?;
                Some(VfPlace { pci, netns: v.netns.as_deref(), sockets: &v.sockets })
            })
            .collect();
        let owners = self.finder.owners(&places, now).clone();
        for vf in pfs.iter_mut().flat_map(|p| p.vfs.iter_mut()) {
            vf.owner = vf.pci.as_ref().and_then(|pci| owners.get(pci)).cloned();
        }
    }

    /// The sockets on the VF netdevs in vftop's own namespace, by the VF's PCI address.
    fn host_sockets(
        &mut self,
        pfs: &[Pf],
        links: &HashMap<String, u32>,
        rtnl: &mut Rtnl,
    ) -> HashMap<String, Vec<DiagSocket>> {
        let on_host: Vec<(&str, u32)> = pfs
            .iter()
            .flat_map(|p| &p.vfs)
            .filter(|v| v.netns.is_none())
            .filter_map(|v| Some((v.pci.as_deref()?, *links.get(v.netdev.as_deref()?)?)))
            .collect();
        if on_host.is_empty() {
            return HashMap::new();
        }
        if self.diag.is_none() {
            self.diag = SockDiag::open().map_err(|e| tracing::debug!("sock_diag: {e}")).ok();
        }
        let Some(diag) = self.diag.as_mut() else { return HashMap::new() };
        let addresses = match rtnl.dump_addresses() {
            Ok(addresses) => addresses,
            Err(e) => {
                tracing::debug!("addresses: {e}");
                return HashMap::new();
            }
        };
        let all = match filtered_dump(diag, on_host.iter().map(|(_, i)| *i), &addresses) {
            Ok(all) => all,
            Err(e) => {
                tracing::debug!("sockets: {e}");
                return HashMap::new();
            }
        };
        on_host
            .into_iter()
            .map(|(pci, ifindex)| {
                let mine = addresses.get(&ifindex).map_or(&[][..], Vec::as_slice);
                (pci.to_string(), on_netdev(&all, ifindex, mine).cloned().collect())
            })
            .collect()
    }

    /// Reads `/proc/*/fd` again when a socket's process is unknown and it was not read lately.
    fn know_processes<'a>(&mut self, sockets: impl Iterator<Item = &'a DiagSocket>, now: Duration) {
        let unknown = sockets.into_iter().any(|s| !self.fds.sockets.contains_key(&s.inode));
        let due = self.fds_at.is_none_or(|t| now.saturating_sub(t) >= FD_RESCAN);
        if unknown && due {
            self.fds = FdTable::read(&self.root);
            self.fds_at = Some(now);
        }
    }

    fn socket_use(&self, s: &DiagSocket) -> SocketUse {
        let process = self.fds.sockets.get(&s.inode);
        SocketUse {
            cookie: s.cookie,
            transport: s.transport,
            pid: process.map(|p| p.pid),
            process: process.map(|p| p.comm.clone()),
            bytes_sent: s.bytes_acked,
            bytes_received: s.bytes_received,
            listening: s.listening(),
        }
    }
}

/// The sockets on any of these netdevs (by ifindex, with the addresses each has), filtered
/// by the kernel.
pub fn filtered_dump(
    diag: &mut SockDiag,
    ifindexes: impl Iterator<Item = u32>,
    addresses: &HashMap<u32, Vec<std::net::IpAddr>>,
) -> Result<Vec<DiagSocket>, super::rtnl::RtnlError> {
    let ifindexes: Vec<u32> = ifindexes.collect();
    let ips: Vec<std::net::IpAddr> =
        ifindexes.iter().flat_map(|i| addresses.get(i).into_iter().flatten().copied()).collect();
    diag.dump_on(&ifindexes, &ips)
}
