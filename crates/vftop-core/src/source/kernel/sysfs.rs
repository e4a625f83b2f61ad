//! sysfs facts: which host netdev a VF is bound to, a PF's PCI address and driver.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A VF's PCI device as sysfs shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VfDevice {
    pub pci: Option<String>,
    pub netdev: Option<String>,
    /// The driver bound to the VF (`igbvf`, `iavf`, `vfio-pci`…), if any.
    pub driver: Option<String>,
}

impl VfDevice {
    /// Bound to a driver that makes a netdev (not vfio-pci or pci-stub, which hand the VF to a
    /// VM): its netdev is somewhere, in vftop's namespace or another.
    pub fn has_netdev_driver(&self) -> bool {
        self.driver.as_deref().is_some_and(|d| !matches!(d, "vfio-pci" | "pci-stub" | "pci_stub"))
    }
}

/// Reads from a sysfs root (`/sys`, or a test directory).
#[derive(Clone, Debug)]
pub struct Sysfs {
    root: PathBuf,
}

impl Default for Sysfs {
    fn default() -> Self {
        Sysfs { root: PathBuf::from("/sys") }
    }
}

impl Sysfs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Sysfs { root: root.into() }
    }

    fn device(&self, pf: &str) -> PathBuf {
        self.root.join("class/net").join(pf).join("device")
    }

    /// VF index → its PCI device (`/sys/class/net/PF/device/virtfnN`): the PCI address (the
    /// link's target) and the host netdev bound to it (`virtfnN/net/*`), if any.
    pub fn vf_devices(&self, pf: &str) -> HashMap<u32, VfDevice> {
        let Ok(entries) = std::fs::read_dir(self.device(pf)) else {
            return HashMap::new();
        };
        entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let index: u32 = name.strip_prefix("virtfn")?.parse().ok()?;
                let device = VfDevice {
                    pci: link_name(&e.path()),
                    netdev: first_entry(&e.path().join("net")),
                    driver: link_name(&e.path().join("driver")),
                };
                Some((index, device))
            })
            .collect()
    }

    /// The PF's PCI address (the `device` link's target name).
    pub fn pci_address(&self, pf: &str) -> Option<String> {
        link_name(&self.device(pf))
    }

    /// The PF's PCI device id (`device/device`, e.g. `0x10c9`).
    pub fn pci_device_id(&self, pf: &str) -> Option<u16> {
        let text = std::fs::read_to_string(self.device(pf).join("device")).ok()?;
        u16::from_str_radix(text.trim().trim_start_matches("0x"), 16).ok()
    }

    /// The NUMA node the PF's device is attached to (`device/numa_node`; -1 where the machine
    /// has no NUMA), as the upstream exporter labels its counters.
    pub fn numa_node(&self, pf: &str) -> Option<i32> {
        std::fs::read_to_string(self.device(pf).join("numa_node")).ok()?.trim().parse().ok()
    }

    /// Where the PF driver keeps per-VF statistics as files, `device/sriov/<vf>/stats/<name>`
    /// (Intel's out-of-tree i40e and ice; the upstream sriov-network-metrics-exporter's
    /// sysfs reader, `collectors/sriovdev_readers.go`, reads every file there), if it does.
    pub fn vf_stats_dir(&self, pf: &str) -> Option<PathBuf> {
        Some(self.device(pf).join("sriov")).filter(|d| d.is_dir())
    }

    /// The PF's driver (the `device/driver` link's target name).
    pub fn driver(&self, pf: &str) -> Option<String> {
        link_name(&self.device(pf).join("driver"))
    }
}

/// One VF statistic under a PF's [`Sysfs::vf_stats_dir`], where it is a number.
pub fn vf_stat(dir: &Path, vf: u32, name: &str) -> Option<u64> {
    std::fs::read_to_string(dir.join(vf.to_string()).join("stats").join(name)).ok()?.trim().parse().ok()
}

fn first_entry(dir: &Path) -> Option<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).ok()?.flatten().filter_map(|e| e.file_name().into_string().ok()).collect();
    names.sort();
    names.into_iter().next()
}

fn link_name(path: &Path) -> Option<String> {
    std::fs::read_link(path).ok()?.file_name()?.to_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_vf_devices_pci_and_driver() {
        let root = std::env::temp_dir().join(format!("vftop-sysfs-{}", std::process::id()));
        let devices = root.join("devices/pci0000:00");
        let pci = devices.join("0000:01:00.0");
        let drv = root.join("bus/pci/drivers/igb");
        // As in sysfs: virtfnN links to the VF's own PCI device, which has net/NAME when bound.
        for (n, netdev) in [(0, Some("eth1")), (1, Some("eth2")), (2, None)] {
            let vf = devices.join(format!("0000:01:10.{n}"));
            std::fs::create_dir_all(vf.join("net")).unwrap();
            if let Some(name) = netdev {
                std::fs::create_dir_all(vf.join("net").join(name)).unwrap();
            }
            std::fs::create_dir_all(&pci).unwrap();
            std::os::unix::fs::symlink(&vf, pci.join(format!("virtfn{n}"))).unwrap();
        }
        std::fs::create_dir_all(&drv).unwrap();
        std::os::unix::fs::symlink(&drv, pci.join("driver")).unwrap();
        std::fs::create_dir_all(root.join("class/net/eth0")).unwrap();
        std::os::unix::fs::symlink(&pci, root.join("class/net/eth0/device")).unwrap();
        let sys = Sysfs::new(&root);
        let map = sys.vf_devices("eth0");
        let pci_address = sys.pci_address("eth0");
        let driver = sys.driver("eth0");
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(map.len(), 3);
        let device = |pci: &str, netdev: Option<&str>| VfDevice {
            pci: Some(pci.into()),
            netdev: netdev.map(Into::into),
            driver: None,
        };
        assert_eq!(map[&0], device("0000:01:10.0", Some("eth1")));
        assert_eq!(map[&1], device("0000:01:10.1", Some("eth2")));
        assert_eq!(map[&2], device("0000:01:10.2", None));
        assert_eq!(pci_address.as_deref(), Some("0000:01:00.0"));
        assert_eq!(driver.as_deref(), Some("igb"));
        assert!(sys.vf_devices("nope").is_empty());
    }

    #[test]
    fn reads_a_vf_statistic_where_the_driver_keeps_them_as_files() {
        let root = std::env::temp_dir().join(format!("vftop-sysfs-stats-{}", std::process::id()));
        let stats = root.join("class/net/ens1f0/device/sriov/3/stats");
        std::fs::create_dir_all(&stats).unwrap();
        std::fs::create_dir_all(root.join("class/net/eth0/device")).unwrap();
        std::fs::write(stats.join("tx_errors"), "17\n").unwrap();
        std::fs::write(stats.join("rx_errors"), "not a number\n").unwrap();
        let sys = Sysfs::new(&root);
        let dir = sys.vf_stats_dir("ens1f0");
        let (errors, garbled, other_vf) = dir.as_deref().map_or((None, None, None), |d| {
            (vf_stat(d, 3, "tx_errors"), vf_stat(d, 3, "rx_errors"), vf_stat(d, 2, "tx_errors"))
        });
        let without = sys.vf_stats_dir("eth0");
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(errors, Some(17));
        assert_eq!((garbled, other_vf), (None, None), "a garbled or missing file is no value");
        assert_eq!(without, None, "a PF without device/sriov keeps no such files");
    }
}
