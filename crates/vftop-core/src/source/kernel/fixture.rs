//! Synthetic `RTM_NEWLINK` messages shaped like the kernel's, for parser edge cases, the
//! parser benchmark and fuzz seeds. Real-kernel behaviour is tested against the kernel itself.

use super::attr::{push_attr, push_nested};
use linux_raw_sys::netlink as nl;

/// The largest payload a netlink attribute length (u16) can describe.
const MAX_NEST: usize = u16::MAX as usize;

/// One synthetic VF.
#[derive(Clone, Debug)]
pub struct VfSpec {
    pub index: u32,
    pub vlan: u32,
    pub min: u32,
    pub max: u32,
    pub tx_bytes: u64,
    pub rx_bytes: u64,
}

impl VfSpec {
    /// A VF whose fields are derived from its index (so tests can check each one).
    pub fn numbered(index: u32) -> VfSpec {
        VfSpec {
            index,
            vlan: 100 + index,
            min: index * 10,
            max: 1000 + index,
            tx_bytes: u64::from(index) * 1_000_003,
            rx_bytes: u64::from(index) * 7,
        }
    }

    pub fn mac(&self) -> [u8; 6] {
        [0x02, 0, 0, 0, (self.index >> 8) as u8, self.index as u8]
    }
}

fn u32s(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

fn vf_info(vf: &VfSpec) -> Vec<u8> {
    let mut out = Vec::new();
    push_nested(&mut out, nl::IFLA_VF_INFO as u16, |b| {
        let mut mac = vf.index.to_ne_bytes().to_vec();
        mac.extend_from_slice(&vf.mac());
        mac.resize(4 + 32, 0);
        push_attr(b, nl::IFLA_VF_MAC as u16, &mac);
        push_attr(b, nl::IFLA_VF_VLAN as u16, &u32s(&[vf.index, vf.vlan, 0]));
        push_nested(b, nl::IFLA_VF_VLAN_LIST as u16, |l| {
            let mut info = u32s(&[vf.index, vf.vlan, 0]);
            info.extend_from_slice(&0x8100u16.to_be_bytes());
            push_attr(l, nl::IFLA_VF_VLAN_INFO as u16, &info);
        });
        push_attr(b, nl::IFLA_VF_BROADCAST as u16, &[0xff; 32]);
        push_attr(b, nl::IFLA_VF_TX_RATE as u16, &u32s(&[vf.index, vf.max]));
        push_attr(b, nl::IFLA_VF_RATE as u16, &u32s(&[vf.index, vf.min, vf.max]));
        push_attr(b, nl::IFLA_VF_SPOOFCHK as u16, &u32s(&[vf.index, 1]));
        push_attr(b, nl::IFLA_VF_LINK_STATE as u16, &u32s(&[vf.index, 0]));
        push_attr(b, nl::IFLA_VF_RSS_QUERY_EN as u16, &u32s(&[vf.index, 0]));
        push_attr(b, nl::IFLA_VF_TRUST as u16, &u32s(&[vf.index, 0]));
        push_nested(b, nl::IFLA_VF_STATS as u16, |s| {
            let stats = [
                (nl::IFLA_VF_STATS_RX_PACKETS, vf.rx_bytes / 100),
                (nl::IFLA_VF_STATS_TX_PACKETS, vf.tx_bytes / 1000),
                (nl::IFLA_VF_STATS_RX_BYTES, vf.rx_bytes),
                (nl::IFLA_VF_STATS_TX_BYTES, vf.tx_bytes),
                (nl::IFLA_VF_STATS_BROADCAST, 1),
                (nl::IFLA_VF_STATS_MULTICAST, 2),
                (nl::IFLA_VF_STATS_RX_DROPPED, 3),
                (nl::IFLA_VF_STATS_TX_DROPPED, 4),
            ];
            for (kind, value) in stats {
                push_attr(s, kind as u16, &value.to_ne_bytes());
            }
        });
    });
    out
}

/// What a PF's VF list does when its entries pass the 64 KiB a nest length can describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// The list stops before it would overflow (every entry inside the declared length).
    Stop,
    /// Every entry is written and the 16-bit length wraps, as the kernel does.
    Wrap,
    /// Like `Wrap`, but this VF is left out, as `rtnl_fill_vfinfo` leaves out a VF whose
    /// `ndo_get_vf_config` failed.
    WrapSkipping(u32),
}

/// The payload (ifinfomsg + attributes) of one PF with `num_vf` VFs whose list stops where
/// its nest would overflow the 16-bit attribute length.
pub fn pf_payload(ifindex: u32, name: &str, num_vf: u32) -> Vec<u8> {
    pf_payload_with(ifindex, name, num_vf, Overflow::Stop)
}

/// Like [`pf_payload`], but like the kernel past ~222 VFs: all entries, a wrapped length.
pub fn pf_payload_wrapped(ifindex: u32, name: &str, num_vf: u32) -> Vec<u8> {
    pf_payload_with(ifindex, name, num_vf, Overflow::Wrap)
}

/// The payload of one PF; attributes after the VF list (as the kernel orders them) show
/// whether a parser finds its way past the list.
pub fn pf_payload_with(ifindex: u32, name: &str, num_vf: u32, overflow: Overflow) -> Vec<u8> {
    let mut out = link_head(ifindex, name, num_vf);
    push_attr(&mut out, nl::IFLA_STATS64 as u16, &stats(ifindex));
    push_nested(&mut out, nl::IFLA_VFINFO_LIST as u16, |list| {
        let start = list.len();
        for vf in (0..num_vf).map(VfSpec::numbered) {
            if overflow == Overflow::WrapSkipping(vf.index) {
                continue;
            }
            let entry = vf_info(&vf);
            if overflow == Overflow::Stop && list.len() - start + entry.len() + 4 > MAX_NEST {
                break;
            }
            list.extend_from_slice(&entry);
        }
    });
    push_attr(&mut out, nl::IFLA_PARENT_DEV_NAME as u16, b"0000:3b:00.0\0");
    out
}

/// The payload of a switchdev representor as the kernel writes it (`rtnl_fill_vf`): its parent
/// device has `num_vf` VFs, so `IFLA_NUM_VF`, but it has no `ndo_get_vf_config`, so no
/// `IFLA_VFINFO_LIST`; `IFLA_PHYS_PORT_NAME` is `pf0vfN`.
pub fn representor_payload(ifindex: u32, name: &str, num_vf: u32, port_name: &str) -> Vec<u8> {
    let mut out = link_head(ifindex, name, num_vf);
    let mut port = port_name.as_bytes().to_vec();
    port.push(0);
    push_attr(&mut out, nl::IFLA_PHYS_PORT_NAME as u16, &port);
    push_attr(&mut out, nl::IFLA_PHYS_SWITCH_ID as u16, &SWITCH_ID);
    push_attr(&mut out, nl::IFLA_STATS64 as u16, &stats(ifindex));
    out
}

/// The eswitch id a fixture's representors report.
pub const SWITCH_ID: [u8; 8] = [0x3b, 0, 0, 0xfe, 0xff, 0x12, 0x34, 0x56];

/// `struct ifinfomsg` for `ifindex`, then `IFLA_IFNAME` and `IFLA_NUM_VF`.
fn link_head(ifindex: u32, name: &str, num_vf: u32) -> Vec<u8> {
    let mut out = vec![0u8; 16];
    out[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    let mut name_z = name.as_bytes().to_vec();
    name_z.push(0);
    push_attr(&mut out, nl::IFLA_IFNAME as u16, &name_z);
    push_attr(&mut out, nl::IFLA_NUM_VF as u16, &num_vf.to_ne_bytes());
    out
}

/// A `struct rtnl_link_stats64` whose counters tell the link apart.
fn stats(ifindex: u32) -> Vec<u8> {
    (0..24u64).flat_map(|i| (i * 1000 + u64::from(ifindex)).to_ne_bytes()).collect()
}

/// Wraps a payload in an `RTM_NEWLINK` netlink header with `seq`.
pub fn message(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + payload.len());
    out.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(super::attr::align4(out.len()), 0);
    out
}

/// A dump datagram stream: `pfs` PFs of `vfs` VFs each, ending with `NLMSG_DONE`.
pub fn dump(pfs: u32, vfs: u32, seq: u32) -> Vec<u8> {
    let multi = nl::NLM_F_MULTI as u16;
    let mut out = Vec::new();
    for i in 0..pfs {
        out.extend(message(
            nl::RTM_NEWLINK as u16,
            multi,
            seq,
            &pf_payload(10 + i, &format!("ens{i}f0"), vfs),
        ));
    }
    out.extend(message(nl::NLMSG_DONE as u16, multi, seq, &0u32.to_ne_bytes()));
    out
}
