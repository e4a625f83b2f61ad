//! devlink rate objects over generic netlink (neli): leaves (VF ports) and nodes (groups)
//! with `tx_share`/`tx_max`, and changing them. Only devices in switchdev mode have any.

use super::attr::{Attr, u16_at};
use super::genl::{Genl, attr, attrs_of as genl_attrs, text};
use super::rtnl::RtnlError;
use crate::model::{DevlinkObject, DevlinkRef, Mbps, RateLimit, RateObject, VfKey};
use std::collections::HashMap;

// From <linux/devlink.h> (uapi; not in linux-raw-sys 0.11).
const CMD_PORT_GET: u8 = 5;
const CMD_RATE_GET: u8 = 74;
const CMD_RATE_SET: u8 = 75;
const ATTR_BUS_NAME: u16 = 1;
const ATTR_DEV_NAME: u16 = 2;
const ATTR_PORT_INDEX: u16 = 3;
const ATTR_PORT_NETDEV_NAME: u16 = 7;
const ATTR_PORT_FLAVOUR: u16 = 77;
const ATTR_PORT_PCI_PF_NUMBER: u16 = 127;
const ATTR_PORT_PCI_VF_NUMBER: u16 = 128;
const ATTR_PORT_EXTERNAL: u16 = 149;
const ATTR_RATE_TYPE: u16 = 165;
const ATTR_RATE_TX_SHARE: u16 = 166;
const ATTR_RATE_TX_MAX: u16 = 167;
const ATTR_RATE_NODE_NAME: u16 = 168;
const ATTR_RATE_PARENT_NODE_NAME: u16 = 169;
/// `DEVLINK_ATTR_RATE_TX_PRIORITY` and `DEVLINK_ATTR_RATE_TX_WEIGHT` (u32; ice).
const ATTR_RATE_TX_PRIORITY: u16 = 177;
const ATTR_RATE_TX_WEIGHT: u16 = 178;
const RATE_TYPE_NODE: u16 = 1;
const FLAVOUR_PHYSICAL: u16 = 0;
const FLAVOUR_PCI_PF: u16 = 3;
const FLAVOUR_PCI_VF: u16 = 4;
/// devlink carries rates in bytes per second; vftop shows Mbit/s.
const BYTES_PER_SEC_PER_MBIT: u64 = 125_000;

/// One devlink port as the port dump describes it.
#[derive(Clone, Debug, Default, PartialEq)]
struct Port {
    device: String,
    index: u32,
    flavour: Option<u16>,
    vf_number: Option<u16>,
    pf_number: Option<u16>,
    /// A port of an external controller (a SmartNIC's host): not this host's PF's.
    external: bool,
    netdev: Option<String>,
}

/// One rate object as the rate dump describes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawRate {
    pub device: String,
    pub port: Option<u32>,
    pub node: Option<String>,
    pub is_node: bool,
    pub tx_share: u64,
    pub tx_max: u64,
    pub parent: Option<String>,
    pub tx_priority: Option<u32>,
    pub tx_weight: Option<u32>,
}

/// A generic netlink socket bound to the devlink family.
pub struct Devlink {
    genl: Genl,
}

fn device_of(attrs: &HashMap<u16, Attr>) -> Option<String> {
    Some(format!("{}/{}", attrs.get(&ATTR_BUS_NAME)?.string()?, attrs.get(&ATTR_DEV_NAME)?.string()?))
}

/// Parses one `DEVLINK_CMD_RATE_GET` answer.
pub fn parse_rate(payload: &[u8]) -> Option<RawRate> {
    let attrs = genl_attrs(payload);
    let u64_of = |k| attrs.get(&k).and_then(|a| a.u64()).unwrap_or(0);
    Some(RawRate {
        device: device_of(&attrs)?,
        port: attrs.get(&ATTR_PORT_INDEX).and_then(|a| a.u32()),
        node: attrs.get(&ATTR_RATE_NODE_NAME).and_then(|a| a.string()),
        is_node: attrs.get(&ATTR_RATE_TYPE).and_then(|a| u16_at(a.payload, 0)) == Some(RATE_TYPE_NODE),
        tx_share: u64_of(ATTR_RATE_TX_SHARE),
        tx_max: u64_of(ATTR_RATE_TX_MAX),
        parent: attrs.get(&ATTR_RATE_PARENT_NODE_NAME).and_then(|a| a.string()),
        tx_priority: attrs.get(&ATTR_RATE_TX_PRIORITY).and_then(|a| a.u32()),
        tx_weight: attrs.get(&ATTR_RATE_TX_WEIGHT).and_then(|a| a.u32()),
    })
}

fn parse_port(payload: &[u8]) -> Option<Port> {
    let attrs = genl_attrs(payload);
    let u16_of = |k| attrs.get(&k).and_then(|a: &Attr| u16_at(a.payload, 0));
    Some(Port {
        device: device_of(&attrs)?,
        index: attrs.get(&ATTR_PORT_INDEX)?.u32()?,
        flavour: u16_of(ATTR_PORT_FLAVOUR),
        vf_number: u16_of(ATTR_PORT_PCI_VF_NUMBER),
        pf_number: u16_of(ATTR_PORT_PCI_PF_NUMBER),
        external: attrs.get(&ATTR_PORT_EXTERNAL).and_then(|a| a.payload.first()).is_some_and(|b| *b != 0),
        netdev: attrs.get(&ATTR_PORT_NETDEV_NAME).and_then(|a| a.string()),
    })
}

fn to_mbps(bytes_per_sec: u64) -> Mbps {
    Mbps(((bytes_per_sec + BYTES_PER_SEC_PER_MBIT / 2) / BYTES_PER_SEC_PER_MBIT).min(u64::from(u32::MAX))
        as u32)
}

impl Devlink {
    /// Opens devlink; `Ok(None)` when the kernel has no devlink family.
    pub fn open() -> Result<Option<Devlink>, RtnlError> {
        Ok(Genl::open("devlink")?.map(|genl| Devlink { genl }))
    }

    fn dump_cmd(&mut self, cmd: u8) -> Result<Vec<Vec<u8>>, RtnlError> {
        self.genl.dump(cmd)
    }

    /// Every rate object of every devlink device, leaves mapped to their PF and VF.
    pub fn rate_objects(&mut self) -> Result<Vec<RateObject>, RtnlError> {
        let rates: Vec<RawRate> = self.dump_cmd(CMD_RATE_GET)?.iter().filter_map(|p| parse_rate(p)).collect();
        if rates.is_empty() {
            return Ok(Vec::new());
        }
        let ports: Vec<Port> = self.dump_cmd(CMD_PORT_GET)?.iter().filter_map(|p| parse_port(p)).collect();
        Ok(rates.into_iter().filter_map(|r| rate_object(r, &ports)).collect())
    }

    /// Every VF port of every devlink device (switchdev mode): the VF it stands for and its
    /// representor netdev.
    pub fn representors(&mut self) -> Result<Vec<(VfKey, String)>, RtnlError> {
        let ports: Vec<Port> = self.dump_cmd(CMD_PORT_GET)?.iter().filter_map(|p| parse_port(p)).collect();
        Ok(representors(&ports))
    }

    /// Sets `tx_share` (min) and `tx_max` (max) of one rate object, sending only what differs
    /// from `old`: `devlink_nl_rate_set` (net/devlink/rate.c) applies `tx_share` first and
    /// keeps it when `tx_max` then fails, and refuses both on a driver without `tx_share`.
    pub fn set_rate(
        &mut self,
        target: &DevlinkRef,
        old: RateLimit,
        limit: RateLimit,
    ) -> Result<(), RtnlError> {
        let (bus, dev) = target
            .device
            .split_once('/')
            .ok_or_else(|| RtnlError::Build(format!("bad device {}", target.device)))?;
        let mut attrs = vec![attr(ATTR_BUS_NAME, text(bus))?, attr(ATTR_DEV_NAME, text(dev))?];
        attrs.push(match &target.object {
            DevlinkObject::Leaf(port) => attr(ATTR_PORT_INDEX, port.to_ne_bytes().to_vec())?,
            DevlinkObject::Node(name) => attr(ATTR_RATE_NODE_NAME, text(name))?,
        });
        let bytes = |m: Mbps| (u64::from(m.0) * BYTES_PER_SEC_PER_MBIT).to_ne_bytes().to_vec();
        if limit.min != old.min {
            attrs.push(attr(ATTR_RATE_TX_SHARE, bytes(limit.min))?);
        }
        if limit.max != old.max || limit.min == old.min {
            attrs.push(attr(ATTR_RATE_TX_MAX, bytes(limit.max))?);
        }
        self.genl.act(CMD_RATE_SET, attrs)
    }
}

/// The PF netdev a VF port belongs to: on the same devlink device, the PCI PF port of the same
/// PF number (a device with several PFs), else its physical (uplink) port.
fn pf_netdev<'a>(ports: &'a [Port], vf_port: &Port) -> Option<&'a String> {
    let on_device = || ports.iter().filter(|p| p.device == vf_port.device && !p.external);
    let same_pf = on_device().find(|p| {
        p.flavour == Some(FLAVOUR_PCI_PF) && p.pf_number.is_some() && p.pf_number == vf_port.pf_number
    });
    same_pf
        .or_else(|| on_device().find(|p| matches!(p.flavour, Some(FLAVOUR_PHYSICAL | FLAVOUR_PCI_PF))))
        .and_then(|p| p.netdev.as_ref())
}

/// The VF behind a PCI VF port of this host (not an external controller's), by its PF and
/// VF numbers.
fn vf_of_port(ports: &[Port], port: &Port) -> Option<VfKey> {
    (port.flavour == Some(FLAVOUR_PCI_VF) && !port.external).then_some(())?;
    let pf = pf_netdev(ports, port)?;
    port.vf_number.map(|n| VfKey { pf: pf.clone(), vf: u32::from(n) })
}

fn representors(ports: &[Port]) -> Vec<(VfKey, String)> {
    ports.iter().filter_map(|p| Some((vf_of_port(ports, p)?, p.netdev.clone()?))).collect()
}

/// Turns a raw rate into the model's object, finding the VF behind a leaf.
fn rate_object(raw: RawRate, ports: &[Port]) -> Option<RateObject> {
    let object = match (raw.is_node, &raw.node, raw.port) {
        (true, Some(name), _) => DevlinkObject::Node(name.clone()),
        (false, _, Some(port)) => DevlinkObject::Leaf(port),
        _ => return None,
    };
    let port = raw.port.and_then(|i| ports.iter().find(|p| p.device == raw.device && p.index == i));
    let vf = port.and_then(|p| vf_of_port(ports, p));
    let name = match (&object, &vf) {
        (DevlinkObject::Node(n), _) => n.clone(),
        (DevlinkObject::Leaf(port), Some(k)) => format!("vf {} (port {port})", k.vf),
        (DevlinkObject::Leaf(port), None) => format!("port {port}"),
    };
    Some(RateObject {
        target: DevlinkRef { device: raw.device, object },
        name,
        limit: RateLimit { min: to_mbps(raw.tx_share), max: to_mbps(raw.tx_max) },
        parent: raw.parent,
        vf,
        scheduling: crate::model::Scheduling { priority: raw.tx_priority, weight: raw.tx_weight },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::kernel::attr::push_attr;

    fn genl(attrs: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut p = vec![CMD_RATE_GET, 1, 0, 0];
        for (k, v) in attrs {
            push_attr(&mut p, *k, v);
        }
        p
    }

    #[test]
    fn leaves_and_nodes_parse_and_map_to_vfs() {
        let leaf = genl(&[
            (ATTR_BUS_NAME, text("netdevsim")),
            (ATTR_DEV_NAME, text("netdevsim1")),
            (ATTR_PORT_INDEX, 129u32.to_ne_bytes().to_vec()),
            (ATTR_RATE_TYPE, 0u16.to_ne_bytes().to_vec()),
            (ATTR_RATE_TX_SHARE, 1_250_000u64.to_ne_bytes().to_vec()),
            (ATTR_RATE_TX_MAX, 12_500_000u64.to_ne_bytes().to_vec()),
            (ATTR_RATE_PARENT_NODE_NAME, text("group1")),
            (ATTR_RATE_TX_PRIORITY, 2u32.to_ne_bytes().to_vec()),
            (ATTR_RATE_TX_WEIGHT, 50u32.to_ne_bytes().to_vec()),
        ]);
        let node = genl(&[
            (ATTR_BUS_NAME, text("netdevsim")),
            (ATTR_DEV_NAME, text("netdevsim1")),
            (ATTR_RATE_TYPE, 1u16.to_ne_bytes().to_vec()),
            (ATTR_RATE_NODE_NAME, text("group1")),
            (ATTR_RATE_TX_MAX, 62_500_000u64.to_ne_bytes().to_vec()),
        ]);
        let ports = vec![
            Port {
                device: "netdevsim/netdevsim1".into(),
                index: 0,
                flavour: Some(0),
                vf_number: None,
                pf_number: None,
                external: false,
                netdev: Some("eth5".into()),
            },
            Port {
                device: "netdevsim/netdevsim1".into(),
                index: 129,
                flavour: Some(4),
                vf_number: Some(1),
                pf_number: Some(0),
                external: false,
                netdev: Some("eth7".into()),
            },
        ];
        let leaf = rate_object(parse_rate(&leaf).unwrap(), &ports).unwrap();
        assert_eq!(leaf.target.to_string(), "netdevsim/netdevsim1/129");
        assert_eq!(leaf.limit, RateLimit::new(10, 100));
        assert_eq!(leaf.parent.as_deref(), Some("group1"));
        assert_eq!(leaf.vf, Some(VfKey { pf: "eth5".into(), vf: 1 }));
        assert_eq!(leaf.name, "vf 1 (port 129)");
        assert_eq!(leaf.scheduling, crate::model::Scheduling { priority: Some(2), weight: Some(50) });
        assert_eq!(representors(&ports), vec![(VfKey { pf: "eth5".into(), vf: 1 }, "eth7".to_string())]);
        let node = rate_object(parse_rate(&node).unwrap(), &ports).unwrap();
        assert_eq!(node.target.object, DevlinkObject::Node("group1".into()));
        assert_eq!(node.limit, RateLimit::new(0, 500));
        assert_eq!(node.vf, None);
    }

    #[test]
    fn vf_ports_map_by_pf_number_and_external_controllers_are_not_ours() {
        let port = |index, flavour, pf: Option<u16>, vf: Option<u16>, external, netdev: &str| Port {
            device: "pci/0000:08:00.0".into(),
            index,
            flavour: Some(flavour),
            vf_number: vf,
            pf_number: pf,
            external,
            netdev: Some(netdev.into()),
        };
        let ports = vec![
            port(1, FLAVOUR_PCI_PF, Some(0), None, false, "pf0hpf"),
            port(2, FLAVOUR_PCI_PF, Some(1), None, false, "pf1hpf"),
            port(3, FLAVOUR_PCI_VF, Some(1), Some(4), false, "pf1vf4"),
            port(4, FLAVOUR_PCI_VF, Some(0), Some(2), true, "c1pf0vf2"),
        ];
        assert_eq!(representors(&ports), vec![(VfKey { pf: "pf1hpf".into(), vf: 4 }, "pf1vf4".to_string())]);
    }

    #[test]
    fn messages_without_a_device_are_skipped() {
        assert_eq!(parse_rate(&genl(&[(ATTR_PORT_INDEX, 1u32.to_ne_bytes().to_vec())])), None);
        assert_eq!(parse_rate(&[1, 2]), None);
    }
}
