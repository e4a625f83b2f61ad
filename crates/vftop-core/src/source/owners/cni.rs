//! The SR-IOV CNI plugin's cache (`/var/lib/cni/sriov/CONTAINERID-IFNAME`): the network
//! configuration it saved when it moved a VF into a container — the VF's PCI address
//! (`deviceID`), its PF (`Master`), the rates it asked for — kept until the container's
//! network is torn down.

use crate::model::owner::{Owner, OwnerKind, OwnerSource};
use serde::Deserialize;
use std::path::Path;

/// The part of the saved configuration vftop reads (the plugin writes much more).
#[derive(Debug, Deserialize)]
struct Saved {
    #[serde(rename = "deviceID")]
    device_id: String,
    #[serde(rename = "Master", default)]
    master: Option<String>,
    #[serde(default)]
    min_tx_rate: Option<i64>,
    #[serde(default)]
    max_tx_rate: Option<i64>,
    /// The network's name in the CNI configuration.
    #[serde(default)]
    name: Option<String>,
}

/// Where the plugin keeps its cache.
pub const CACHE_DIR: &str = "/var/lib/cni/sriov";

/// The rates the plugin was asked for, as declarations of the VF at its PCI address (a rate
/// the network configuration does not give is not declared; 0 is "no limit", as for the
/// plugin). Files that are not the plugin's are skipped.
pub fn requested_rates(dir: &Path) -> Vec<crate::model::declared::Declared> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for path in entries.flatten().map(|e| e.path()).filter(|p| p.is_file()) {
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let Ok(saved) = serde_json::from_slice::<Saved>(&bytes) else { continue };
        let pci = saved.device_id.trim().to_lowercase();
        let mbps =
            |r: Option<i64>| r.map(|r| crate::model::Mbps(u32::try_from(r.max(0)).unwrap_or(u32::MAX)));
        let (min, max) = (mbps(saved.min_tx_rate), mbps(saved.max_tx_rate));
        if is_pci_address(&pci) && (min.is_some() || max.is_some()) {
            out.push(crate::model::declared::Declared {
                selector: crate::model::declared::Selector::Pci(pci),
                min,
                max,
                origin: path.display().to_string(),
            });
        }
    }
    out.sort_by(|a, b| a.origin.cmp(&b.origin));
    out
}

/// Every VF the cache holds, by PCI address, with its container.
pub fn read_dir(dir: &Path) -> Vec<(String, Owner)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else { continue };
        let Ok(bytes) = std::fs::read(&path) else { continue };
        match parse(file, &bytes) {
            Ok(found) => out.push(found),
            Err(e) => tracing::warn!("SR-IOV CNI cache {}: skipped: {e}", path.display()),
        }
    }
    out
}

/// Why a cache file is not the plugin's record of one VF (the file is skipped).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{0}")]
    Json(serde_json::Error),
    #[error("deviceID {0:?} is not a PCI address")]
    NotPci(String),
    /// The file's name, which is not the plugin's.
    #[error("{0:?} is not CONTAINERID-IFNAME")]
    NotNamed(String),
}

/// One cache file: its name (`CONTAINERID-IFNAME`) and its JSON.
pub fn parse(file: &str, bytes: &[u8]) -> Result<(String, Owner), CacheError> {
    let saved: Saved = serde_json::from_slice(bytes).map_err(CacheError::Json)?;
    let pci = saved.device_id.trim();
    if !is_pci_address(pci) {
        return Err(CacheError::NotPci(pci.to_string()));
    }
    // The plugin joins the container id (no dash in it) and the pod's interface name with `-`.
    let (container, ifname) = match file.split_once('-') {
        Some((id, ifname)) if !id.is_empty() && !ifname.is_empty() => (id, ifname),
        _ => return Err(CacheError::NotNamed(file.to_string())),
    };
    let short = &container[..container.len().min(12)];
    let mut asked = Vec::new();
    asked.push(ifname.to_string());
    if let Some(network) = saved.name.filter(|n| !n.is_empty()) {
        asked.push(format!("network {network}"));
    }
    if let Some(master) = saved.master.filter(|m| !m.is_empty()) {
        asked.push(format!("PF {master}"));
    }
    for (what, rate) in [("min", saved.min_tx_rate), ("max", saved.max_tx_rate)] {
        if let Some(rate) = rate.filter(|r| *r > 0) {
            asked.push(format!("asked {what} {rate} Mbit/s"));
        }
    }
    let owner = Owner {
        detail: Some(asked.join(", ")).filter(|d| !d.is_empty()),
        ..Owner::new(OwnerKind::Container, short, OwnerSource::SriovCni)
    };
    Ok((pci.to_lowercase(), owner))
}

/// `DDDD:BB:SS.F` in hex.
pub fn is_pci_address(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 12
        && b[4] == b':'
        && b[7] == b':'
        && b[10] == b'.'
        && [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_hexdigit())
        && (b'0'..=b'7').contains(&b[11])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_rates_are_declarations_of_the_vf_at_its_address() {
        let dir = std::env::temp_dir().join(format!("vftop-cni-rates-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pci")).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        write("aaa-net1", r#"{"deviceID":"0000:3B:02.2","max_tx_rate":300,"min_tx_rate":0}"#);
        write("bbb-net1", r#"{"deviceID":"0000:3b:02.3"}"#);
        write("ccc-net1", "not json");
        let found = requested_rates(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(found.len(), 1, "no rates asked, or not the plugin's: not declared");
        let d = &found[0];
        assert_eq!(d.selector, crate::model::declared::Selector::Pci("0000:3b:02.2".into()));
        assert_eq!((d.min, d.max), (Some(crate::model::Mbps(0)), Some(crate::model::Mbps(300))));
        assert!(d.origin.ends_with("aaa-net1"));
    }

    const ID: &str = "9a5c2b1f7d3e4c6a8b0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3";

    #[test]
    fn a_saved_configuration_names_the_container_and_what_it_asked_for() {
        // Keys sorted, as the plugin's MarshalJSON writes them (through a Go map).
        let json = br#"{"MAC":"","MTU":1500,"Master":"ens1f0","OrigVfState":{"AdminMAC":"00:00:00:00:00:00",
            "EffectiveMAC":"7a:3b:1c:2d:4e:5f","HostIFName":"ens1f0v2","LinkState":0,"MTU":1500,"MaxTxRate":0,
            "MinTxRate":0,"SpoofChk":true,"Trust":false,"Vlan":0,"VlanProto":33024,"VlanQoS":0},"VFID":2,
            "cniVersion":"1.0.0","deviceID":"0000:3B:02.2","ipam":{"type":"host-local"},"max_tx_rate":2000,
            "min_tx_rate":100,"name":"sriov-net-a","runtimeConfig":{},"type":"sriov","vlan":300,
            "vlanProto":null,"vlanQoS":null}"#;
        let (pci, owner) = parse(&format!("{ID}-net1"), json).unwrap();
        assert_eq!(pci, "0000:3b:02.2");
        assert_eq!(owner.label(), "container 9a5c2b1f7d3e");
        assert_eq!(
            owner.detail.as_deref(),
            Some("net1, network sriov-net-a, PF ens1f0, asked min 100 Mbit/s, asked max 2000 Mbit/s")
        );
    }

    #[test]
    fn bad_files_are_errors_not_owners() {
        assert!(parse(&format!("{ID}-net1"), b"{").is_err());
        assert!(parse(&format!("{ID}-net1"), br#"{"deviceID":"ens1f0v2"}"#).is_err());
        assert!(parse(&format!("{ID}-net1"), br#"{"deviceID":7}"#).is_err());
        assert!(parse("notes.txt", br#"{"deviceID":"0000:3b:02.2"}"#).is_err());
        assert!(parse("9a5c-", br#"{"deviceID":"0000:3b:02.2"}"#).is_err());
        assert!(parse(&format!("{ID}-net1"), &[0xff, 0xfe, 0x00]).is_err());
    }

    #[test]
    fn pci_addresses() {
        assert!(is_pci_address("0000:3b:02.1"));
        assert!(!is_pci_address("0000:3b:02.8"));
        assert!(!is_pci_address("0000:3b:02"));
        assert!(!is_pci_address("0000-3b:02.1"));
    }
}
