//! Parses `RTM_NEWLINK` messages (link dump with `RTEXT_FILTER_VF`) into plain data.
//! Pure and total: any byte string yields a result or an error, never a panic; unknown and
//! malformed attributes are skipped and counted.

use super::attr::{Attr, Attrs, RTA_HDR_LEN, u16_at, u32_at};
use crate::model::{CounterOrigin, Counters, MacAddr, Mbps, RateLimit, Vf, VfLinkState};
use linux_raw_sys::netlink as nl;

/// The most VFs a PF can have (the SR-IOV capability's TotalVFs is 16 bits).
const MAX_VFS: u32 = u16::MAX as u32;

/// `struct ifinfomsg` is 16 bytes.
const IFINFOMSG_LEN: usize = 16;

/// One link from the dump.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkMessage {
    pub ifindex: u32,
    /// `ifi_type` (`ARPHRD_*`): 1 Ethernet, 32 InfiniBand.
    pub kind: u16,
    pub flags: u32,
    pub name: String,
    pub parent_dev: Option<String>,
    /// `IFLA_PHYS_PORT_NAME` (`p0` for an uplink, `pf0vf3` for a VF's representor) and
    /// `IFLA_PHYS_SWITCH_ID` (shared by the ports of one eswitch).
    pub port_name: Option<String>,
    pub switch_id: Option<Vec<u8>>,
    pub num_vf: Option<u32>,
    /// The message has an `IFLA_VFINFO_LIST`. The kernel (`rtnl_fill_vf` in
    /// net/core/rtnetlink.c) puts `IFLA_NUM_VF` on every netdev whose parent device has VFs —
    /// a switchdev representor's too — but the list only where the netdev has
    /// `ndo_get_vf_config`: `IFLA_NUM_VF` without a list is a netdev that carries no VF info,
    /// not a truncated PF.
    pub vf_list: bool,
    /// `IFLA_OPERSTATE` (`IF_OPER_*`) and `IFLA_CARRIER`.
    pub oper: Option<u8>,
    pub carrier: Option<u8>,
    pub stats64: Option<Counters>,
    pub vfs: Vec<Vf>,
    /// The VF list ended early: malformed, or cut where its 16-bit length wrapped.
    pub vfs_truncated: bool,
    /// VF indices below `IFLA_NUM_VF` the list skipped: `rtnl_fill_vfinfo` leaves out a VF
    /// whose `ndo_get_vf_config` failed (i40e EAGAIN, ice VF in reset, mlx5 EPERM) and goes on.
    pub unreported: Vec<u32>,
    /// Malformed attributes skipped (bad lengths, short payloads, VF entries without an index).
    pub malformed: u64,
    /// Attributes of types newer than this build knows (beyond `__IFLA_MAX`/`__IFLA_VF_MAX`),
    /// skipped. Known types vftop does not use are not counted.
    pub unknown: u64,
}

/// Why a message could not be read as a link at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkParseError {
    #[error("link message shorter than struct ifinfomsg ({0} bytes)")]
    Short(usize),
}

const fn t(v: u32) -> u16 {
    v as u16
}

/// A VF representor's port name: `pf0vf3`, or `c1pf0vf3` on a SmartNIC's external controller
/// (`__devlink_port_phys_port_name_get`, net/devlink/port.c) → (PF number, VF number).
pub fn vf_port(name: &str) -> Option<(u32, u32)> {
    let name = match name.strip_prefix('c') {
        Some(rest) => rest.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => name,
    };
    let (pf, vf) = name.strip_prefix("pf")?.split_once("vf")?;
    Some((pf.parse().ok()?, vf.parse().ok()?))
}

/// Representors found by port name and switch id alone (for drivers without devlink ports):
/// a `pfNvfM` netdev on the eswitch of exactly one PF with VFs — or, where several PFs share
/// it, of the one whose own port is `pN` — stands for that PF's VF M.
pub fn representors_by_port_name(links: &[LinkMessage]) -> Vec<(crate::model::VfKey, String)> {
    let pfs: Vec<&LinkMessage> = links.iter().filter(|l| l.vf_list && l.switch_id.is_some()).collect();
    links
        .iter()
        .filter_map(|rep| {
            let (pf_number, vf) = vf_port(rep.port_name.as_deref()?)?;
            let same_switch: Vec<&&LinkMessage> =
                pfs.iter().filter(|p| p.switch_id == rep.switch_id).collect();
            let pf = match same_switch.as_slice() {
                [only] => only,
                several => {
                    several.iter().find(|p| p.port_name.as_deref() == Some(&format!("p{pf_number}")))?
                }
            };
            Some((crate::model::VfKey { pf: pf.name.clone(), vf }, rep.name.clone()))
        })
        .collect()
}

/// `ARPHRD_INFINIBAND`.
pub const ARPHRD_INFINIBAND: u16 = 32;

impl LinkMessage {
    /// An InfiniBand PF: a single `RTM_GETLINK` of it fails with EMSGSIZE and a kernel WARN
    /// (its VF list does not fit the reply `rtnl_getlink` sizes), so it is read by dump only.
    pub fn dump_only(&self) -> bool {
        self.kind == ARPHRD_INFINIBAND
    }
}

/// Parses the payload of one `RTM_NEWLINK` message.
pub fn parse_link(payload: &[u8]) -> Result<LinkMessage, LinkParseError> {
    if payload.len() < IFINFOMSG_LEN {
        return Err(LinkParseError::Short(payload.len()));
    }
    let mut link = LinkMessage {
        ifindex: u32_at(payload, 4).unwrap_or(0),
        kind: u16_at(payload, 2).unwrap_or(0),
        flags: u32_at(payload, 8).unwrap_or(0),
        ..Default::default()
    };
    let body = &payload[IFINFOMSG_LEN..];
    let mut attrs = Attrs::new(body);
    loop {
        let at = attrs.offset();
        let Some(attr) = attrs.next() else { break };
        if attr.kind == t(nl::IFLA_VFINFO_LIST as u32) {
            link.vf_list = true;
            // A VF list longer than 64 KiB ends where its entries really end, not where its
            // (wrapped) length says.
            if let Some(end) = read_vf_list(&mut link, attr, &body[at..]) {
                attrs.seek(at + end);
            }
        } else {
            read_link_attr(&mut link, attr);
        }
    }
    link.malformed += u64::from(attrs.malformed);
    if let Some(n) = link.num_vf.filter(|_| link.vf_list && !link.vfs_truncated) {
        // A PF has at most 65535 VFs (SR-IOV's TotalVFs is 16 bits): a larger count is not
        // believed index by index.
        let listed: std::collections::HashSet<u32> = link.vfs.iter().map(|v| v.index).collect();
        link.unreported = (0..n.min(MAX_VFS)).filter(|i| !listed.contains(i)).collect();
    }
    Ok(link)
}

fn read_link_attr(link: &mut LinkMessage, attr: Attr) {
    match attr.kind {
        k if k == t(nl::IFLA_IFNAME as u32) => link.name = attr.string().unwrap_or_default(),
        k if k == t(nl::IFLA_NUM_VF as u32) => link.num_vf = attr.u32(),
        k if k == t(nl::IFLA_STATS64 as u32) => link.stats64 = stats64(attr.payload),
        k if k == t(nl::IFLA_PARENT_DEV_NAME as u32) => link.parent_dev = attr.string(),
        k if k == t(nl::IFLA_OPERSTATE as u32) => link.oper = attr.payload.first().copied(),
        k if k == t(nl::IFLA_PHYS_PORT_NAME as u32) => link.port_name = attr.string(),
        k if k == t(nl::IFLA_PHYS_SWITCH_ID as u32) => link.switch_id = Some(attr.payload.to_vec()),
        k if k == t(nl::IFLA_CARRIER as u32) => link.carrier = attr.payload.first().copied(),
        k => link.unknown += u64::from(k >= t(nl::__IFLA_MAX as u32)),
    }
}

/// `struct rtnl_link_stats64`: rx_packets, tx_packets, rx_bytes, tx_bytes, rx_errors,
/// tx_errors, rx_dropped, tx_dropped, multicast, … (u64 each).
pub fn stats64(b: &[u8]) -> Option<Counters> {
    let at = |i: usize| super::attr::u64_at(b, i * 8);
    Some(Counters {
        rx_packets: at(0)?,
        tx_packets: at(1)?,
        rx_bytes: at(2)?,
        tx_bytes: at(3)?,
        rx_dropped: at(6)?,
        tx_dropped: at(7)?,
        multicast: at(8)?,
        tx_errors: Some(at(5)?),
        broadcast: 0,
        origin: CounterOrigin::Netdev,
        held: false,
    })
}

/// Reads the VF entries of `list`, whose header starts `from` (which runs to the end of the
/// message). Returns where the list really ends in `from` when its length wrapped past 64 KiB.
fn read_vf_list(link: &mut LinkMessage, list: Attr, from: &[u8]) -> Option<usize> {
    let mut entries = list.nested();
    for entry in entries.by_ref() {
        if entry.kind != t(nl::IFLA_VF_INFO as u32) {
            link.malformed += 1;
            continue;
        }
        match parse_vf(entry) {
            Some((vf, malformed, unknown)) => {
                link.malformed += malformed;
                link.unknown += unknown;
                link.vfs.push(vf);
            }
            None => link.malformed += 1,
        }
    }
    let short = link.num_vf.is_some_and(|n| (link.vfs.len() as u32) < n);
    let resume = RTA_HDR_LEN + entries.offset();
    if short && let Some(end) = recover_wrapped_list(link, from, resume) {
        return Some(end);
    }
    // A list that is short and full (no room for another entry under the 16-bit length), or
    // followed by a VF entry past its declared end, was cut (its length wrapped and could not
    // be recovered); otherwise the missing VFs were left out by the kernel, one by one.
    let declared = RTA_HDR_LEN + list.payload.len();
    let entry = declared / link.vfs.len().max(1);
    let full = declared + 2 * entry > usize::from(u16::MAX);
    let cut = short && (full || from.get(resume..).is_some_and(starts_with_vf_info));
    if entries.malformed {
        link.malformed += 1;
    }
    link.vfs_truncated |= entries.malformed || cut;
    None
}

/// The kernel writes every VF's `IFLA_VF_INFO`, but the list's 16-bit `nla_len` wraps past
/// 64 KiB (`ip` then says "Truncated VF list"). Continues at `resume` (where the declared list
/// stopped) while the entries are well-formed VF infos whose indices go up (a VF the kernel
/// skipped leaves a gap) below `IFLA_NUM_VF`, within the message. Keeps them only when the
/// real length is the declared one plus a multiple of 64 KiB; returns that length.
fn recover_wrapped_list(link: &mut LinkMessage, from: &[u8], resume: usize) -> Option<usize> {
    let wanted = link.num_vf?;
    let declared = usize::from(u16_at(from, 0)?);
    let mut walk = Attrs::new(from.get(resume..)?);
    let mut next_index = link.vfs.last().map_or(Some(0), |vf| vf.index.checked_add(1));
    let (mut found, mut unknown, mut end) = (Vec::new(), 0, resume);
    while next_index.is_some_and(|n| n < wanted) {
        let Some(entry) = walk.next().filter(|e| e.kind == t(nl::IFLA_VF_INFO as u32)) else { break };
        let follows = |vf: &Vf| next_index.is_some_and(|n| vf.index >= n && vf.index < wanted);
        let Some((vf, 0, entry_unknown)) = parse_vf(entry).filter(|(vf, ..)| follows(vf)) else {
            break;
        };
        next_index = vf.index.checked_add(1);
        unknown += entry_unknown;
        found.push(vf);
        end = resume + walk.offset();
    }
    let wrapped = end > usize::from(u16::MAX) && end % (1 << 16) == declared;
    // Gaps inside, but the list must reach the last VF: a missing tail does not add up.
    let complete = found.last().is_some_and(|vf| vf.index + 1 == wanted);
    if !wrapped || !complete {
        return None;
    }
    link.vfs.extend(found);
    link.unknown += unknown;
    Some(end)
}

/// The bytes start with a well-formed `IFLA_VF_INFO` (a VF entry past a list's end).
fn starts_with_vf_info(bytes: &[u8]) -> bool {
    Attrs::new(bytes).next().is_some_and(|a| a.kind == t(nl::IFLA_VF_INFO as u32) && parse_vf(a).is_some())
}

/// Parses one `IFLA_VF_INFO`; `None` when it has no VF index (no `IFLA_VF_MAC`).
fn parse_vf(entry: Attr) -> Option<(Vf, u64, u64)> {
    let mut vf = Vf { spoofchk: None, trust: None, ..Default::default() };
    let mut index = None;
    let mut malformed = 0;
    let mut unknown = 0;
    let mut attrs = entry.nested();
    for a in attrs.by_ref() {
        let p = a.payload;
        let ok = match a.kind {
            k if k == t(nl::IFLA_VF_MAC as u32) => {
                index = u32_at(p, 0);
                p.get(4..10).map(|m| vf.mac = MacAddr([m[0], m[1], m[2], m[3], m[4], m[5]])).is_some()
            }
            k if k == t(nl::IFLA_VF_VLAN as u32) => (|| {
                vf.vlan = u32_at(p, 4)? as u16;
                vf.qos = u32_at(p, 8)? as u8;
                Some(())
            })()
            .is_some(),
            k if k == t(nl::IFLA_VF_TX_RATE as u32) => {
                u32_at(p, 4).map(|r| vf.legacy_tx_rate = Mbps(r)).is_some()
            }
            k if k == t(nl::IFLA_VF_RATE as u32) => (|| {
                vf.rate = RateLimit { min: Mbps(u32_at(p, 4)?), max: Mbps(u32_at(p, 8)?) };
                Some(())
            })()
            .is_some(),
            k if k == t(nl::IFLA_VF_SPOOFCHK as u32) => {
                u32_at(p, 4).map(|v| vf.spoofchk = setting(v)).is_some()
            }
            k if k == t(nl::IFLA_VF_TRUST as u32) => u32_at(p, 4).map(|v| vf.trust = setting(v)).is_some(),
            k if k == t(nl::IFLA_VF_LINK_STATE as u32) => {
                u32_at(p, 4).map(|v| vf.link_state = VfLinkState::from_kernel(v)).is_some()
            }
            k if k == t(nl::IFLA_VF_STATS as u32) => read_vf_stats(&mut vf.counters, a),
            k => {
                unknown += u64::from(k >= t(nl::__IFLA_VF_MAX as u32));
                true
            }
        };
        malformed += u64::from(!ok);
    }
    malformed += u64::from(attrs.malformed);
    vf.index = index?;
    vf.counters.origin = CounterOrigin::VfStats;
    Some((vf, malformed, unknown))
}

/// Spoof check and trust are u32 settings; `u32::MAX` (-1) means the driver does not report it.
fn setting(v: u32) -> Option<bool> {
    (v != u32::MAX).then_some(v != 0)
}

fn read_vf_stats(c: &mut Counters, stats: Attr) -> bool {
    let mut attrs = stats.nested();
    for a in attrs.by_ref() {
        let Some(v) = a.u64() else { continue };
        match a.kind {
            k if k == t(nl::IFLA_VF_STATS_RX_PACKETS as u32) => c.rx_packets = v,
            k if k == t(nl::IFLA_VF_STATS_TX_PACKETS as u32) => c.tx_packets = v,
            k if k == t(nl::IFLA_VF_STATS_RX_BYTES as u32) => c.rx_bytes = v,
            k if k == t(nl::IFLA_VF_STATS_TX_BYTES as u32) => c.tx_bytes = v,
            k if k == t(nl::IFLA_VF_STATS_BROADCAST as u32) => c.broadcast = v,
            k if k == t(nl::IFLA_VF_STATS_MULTICAST as u32) => c.multicast = v,
            k if k == t(nl::IFLA_VF_STATS_RX_DROPPED as u32) => c.rx_dropped = v,
            k if k == t(nl::IFLA_VF_STATS_TX_DROPPED as u32) => c.tx_dropped = v,
            _ => {}
        }
    }
    !attrs.malformed
}
