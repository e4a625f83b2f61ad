//! sysfs facts: which host netdev a VF is bound to, a PF's PCI address and driver.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

    /// VF index → host netdev name, from `/sys/class/net/PF/device/virtfnN/net/*`.
    pub fn vf_netdevs(&self, pf: &str) -> HashMap<u32, String> {
        let Ok(entries) = std::fs::read_dir(self.device(pf)) else {
            return HashMap::new();
        };
        entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let index: u32 = name.strip_prefix("virtfn")?.parse().ok()?;
                let netdev = first_entry(&e.path().join("net"))?;
                Some((index, netdev))
            })
            .collect()
    }

    /// The PF's PCI address (the `device` link's target name).
    pub fn pci_address(&self, pf: &str) -> Option<String> {
        link_name(&self.device(pf))
    }

    /// The PF's driver (the `device/driver` link's target name).
    pub fn driver(&self, pf: &str) -> Option<String> {
        link_name(&self.device(pf).join("driver"))
    }
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
    fn finds_vf_netdevs_pci_and_driver() {
        let root = std::env::temp_dir().join(format!("vftop-sysfs-{}", std::process::id()));
        let pci = root.join("devices/pci0000:00/0000:01:00.0");
        let drv = root.join("bus/pci/drivers/igb");
        std::fs::create_dir_all(pci.join("virtfn0/net/eth1")).unwrap();
        std::fs::create_dir_all(pci.join("virtfn1/net/eth2")).unwrap();
        std::fs::create_dir_all(pci.join("virtfn2/net")).unwrap();
        std::fs::create_dir_all(&drv).unwrap();
        std::os::unix::fs::symlink(&drv, pci.join("driver")).unwrap();
        std::fs::create_dir_all(root.join("class/net/eth0")).unwrap();
        std::os::unix::fs::symlink(&pci, root.join("class/net/eth0/device")).unwrap();
        let sys = Sysfs::new(&root);
        let map = sys.vf_netdevs("eth0");
        let pci_address = sys.pci_address("eth0");
        let driver = sys.driver("eth0");
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map[&0], "eth1");
        assert_eq!(map[&1], "eth2");
        assert_eq!(pci_address.as_deref(), Some("0000:01:00.0"));
        assert_eq!(driver.as_deref(), Some("igb"));
        assert!(sys.vf_netdevs("nope").is_empty());
    }
}
