//! What `/proc` says about processes: which process holds each socket (its `fd` links, as `ss
//! -p` finds them), which holds a VF's vfio group (a QEMU with `-name guest=…`), and a
//! process's container (its cgroup path).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A process: its pid and its command name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub comm: String,
}

/// One pass over `ROOT/proc/*/fd`: socket inodes and vfio device files to the processes that
/// hold them (the lowest pid where several share one).
#[derive(Debug, Default)]
pub struct FdTable {
    pub sockets: HashMap<u64, Process>,
    /// `/dev/vfio/…` path → the processes holding it.
    pub vfio: HashMap<PathBuf, Vec<Process>>,
}

/// `ROOT/proc`'s numeric entries, sorted.
pub fn pids(root: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(root.join("proc")) else { return Vec::new() };
    let mut pids: Vec<u32> =
        entries.flatten().filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok())).collect();
    pids.sort_unstable();
    pids
}

pub fn comm(root: &Path, pid: u32) -> String {
    std::fs::read_to_string(root.join(format!("proc/{pid}/comm"))).unwrap_or_default().trim().to_string()
}

impl FdTable {
    /// Reads every process's open files (those it may read: all of them as root).
    pub fn read(root: &Path) -> FdTable {
        let mut table = FdTable::default();
        for pid in pids(root) {
            let Ok(fds) = std::fs::read_dir(root.join(format!("proc/{pid}/fd"))) else { continue };
            let mut name = None;
            let mut process = || Process { pid, comm: name.get_or_insert_with(|| comm(root, pid)).clone() };
            for fd in fds.flatten() {
                let Ok(target) = std::fs::read_link(fd.path()) else { continue };
                let text = target.to_string_lossy();
                if let Some(inode) = text.strip_prefix("socket:[").and_then(|t| t.strip_suffix(']')) {
                    if let Ok(inode) = inode.parse() {
                        table.sockets.entry(inode).or_insert_with(&mut process);
                    }
                } else if text.starts_with("/dev/vfio/") {
                    let holders = table.vfio.entry(target).or_default();
                    if holders.last().is_none_or(|p| p.pid != pid) {
                        holders.push(process());
                    }
                }
            }
        }
        table
    }
}

/// The VM name a QEMU command line gives (`-name guest=vm7,debug-threads=on`, `-name vm7`).
pub fn qemu_guest_name(cmdline: &[u8]) -> Option<String> {
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let value = args.windows(2).find(|w| w[0] == b"-name" || w[0] == b"--name").map(|w| w[1])?;
    let value = String::from_utf8_lossy(value);
    let first = value.split(',').next()?;
    let name = first.strip_prefix("guest=").unwrap_or(first);
    (!name.is_empty() && (first.starts_with("guest=") || !first.contains('='))).then(|| name.to_string())
}

/// The container a process runs in, from its cgroup path: the 64-hex-digit id that runtimes
/// put there (`docker-ID.scope`, `cri-containerd-ID.scope`, `crio-ID.scope`, `libpod-ID.scope`,
/// `/docker/ID`), shortened to 12 as `docker ps` shows it.
pub fn container_id(root: &Path, pid: u32) -> Option<String> {
    let cgroup = std::fs::read_to_string(root.join(format!("proc/{pid}/cgroup"))).ok()?;
    cgroup.lines().find_map(|line| {
        let path = line.splitn(3, ':').nth(2)?;
        path.rsplit('/').find_map(|part| {
            let part = part.strip_suffix(".scope").unwrap_or(part);
            let id = part.rsplit(['-', ':']).next()?;
            (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id[..12].to_string())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_names_in_the_forms_libvirt_and_people_write_them() {
        let line = |args: &[&str]| args.join("\0").into_bytes();
        let libvirt = line(&["/usr/bin/qemu-system-x86_64", "-name", "guest=vm7,debug-threads=on", "-S"]);
        assert_eq!(qemu_guest_name(&libvirt).as_deref(), Some("vm7"));
        assert_eq!(qemu_guest_name(&line(&["qemu", "-name", "web-03"])).as_deref(), Some("web-03"));
        assert_eq!(qemu_guest_name(&line(&["qemu", "-name", "process=x"])), None);
        assert_eq!(qemu_guest_name(&line(&["qemu", "-m", "64"])), None);
        assert_eq!(qemu_guest_name(&line(&["qemu", "-name"])), None);
    }

    #[test]
    fn container_ids_from_the_runtimes_cgroup_paths() {
        let dir = std::env::temp_dir().join(format!("vftop-cgroup-{}", std::process::id()));
        let id = "3f2a1b9c0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
        for (pid, line) in [
            (1, format!("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-{id}.scope")),
            (2, format!("0::/system.slice/docker-{id}.scope")),
            (3, format!("12:pids:/docker/{id}")),
            (4, "0::/user.slice/user-0.slice/session-3.scope".to_string()),
        ] {
            std::fs::create_dir_all(dir.join(format!("proc/{pid}"))).unwrap();
            std::fs::write(dir.join(format!("proc/{pid}/cgroup")), line + "\n").unwrap();
        }
        let found: Vec<Option<String>> = (1..=5).map(|pid| container_id(&dir, pid)).collect();
        std::fs::remove_dir_all(&dir).unwrap();
        let short = Some(id[..12].to_string());
        assert_eq!(found, [short.clone(), short.clone(), short, None, None]);
    }

    #[test]
    fn this_process_sockets_are_found_by_inode() {
        use std::os::unix::fs::MetadataExt;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let table = FdTable::read(Path::new("/"));
        let fd = std::os::fd::AsRawFd::as_raw_fd(&listener);
        let inode = std::fs::metadata(format!("/proc/self/fd/{fd}")).unwrap().ino();
        assert_eq!(table.sockets.get(&inode).map(|p| p.pid), Some(std::process::id()));
    }
}
