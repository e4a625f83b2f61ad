//! ethtool over generic netlink, for the PF's own port: pause frames (`ETHTOOL_MSG_PAUSE_GET`
//! with `ETHTOOL_FLAG_STATS`, net/ethtool/pause.c) and the IEEE 802.3 MAC counters of what
//! really crossed the wire (`ETHTOOL_MSG_STATS_GET`, group `eth-mac`, net/ethtool/stats.c).
//! Numbers from include/uapi/linux/ethtool_netlink.h.

use super::attr::{Attrs, push_attr, push_nested};
use super::genl::{Genl, attrs_of, nested};
use super::rtnl::RtnlError;
use crate::model::{PauseCounters, PortCounters};

const MSG_PAUSE_GET: u8 = 21;
const MSG_STATS_GET: u8 = 32;
const A_HEADER_DEV_NAME: u16 = 2;
const A_HEADER_FLAGS: u16 = 3;
const FLAG_STATS: u32 = 4;
const A_PAUSE_HEADER: u16 = 1;
const A_PAUSE_STATS: u16 = 5;
const A_PAUSE_STAT_TX_FRAMES: u16 = 2;
const A_PAUSE_STAT_RX_FRAMES: u16 = 3;
const A_STATS_HEADER: u16 = 2;
const A_STATS_GROUPS: u16 = 3;
const A_STATS_GRP: u16 = 4;
const A_STATS_GRP_ID: u16 = 2;
const A_STATS_GRP_STAT: u16 = 4;
const A_BITSET_NOMASK: u16 = 1;
const A_BITSET_BITS: u16 = 3;
const A_BITSET_BITS_BIT: u16 = 1;
const A_BITSET_BIT_INDEX: u16 = 1;
/// `ETHTOOL_STATS_ETH_MAC`, and its counters' ids (`ETHTOOL_A_STATS_ETH_MAC_*`).
const STATS_ETH_MAC: u32 = 1;
const MAC_TX_FRAMES: u16 = 0;
const MAC_RX_FRAMES: u16 = 3;
const MAC_TX_BYTES: u16 = 6;
const MAC_RX_BYTES: u16 = 12;
/// Nested attributes carry `NLA_F_NESTED` (ethtool's policies are strict).
const NESTED: u16 = 0x8000;

/// The ethtool family, where the kernel has it.
pub struct EthtoolNl {
    genl: Genl,
}

/// `ETHTOOL_A_*_HEADER`'s contents: the device by name, with `flags`.
fn header(dev: &str, flags: u32) -> Vec<u8> {
    let mut h = Vec::new();
    push_attr(&mut h, A_HEADER_DEV_NAME, &super::genl::text(dev));
    push_attr(&mut h, A_HEADER_FLAGS, &flags.to_ne_bytes());
    h
}

/// The pause-frame counters of a `PAUSE_GET` reply (`None`: the driver reports none).
pub fn parse_pause(payload: &[u8]) -> Option<PauseCounters> {
    let attrs = attrs_of(payload);
    let stats = attrs.get(&A_PAUSE_STATS)?;
    let mut out = PauseCounters::default();
    let mut any = false;
    for a in stats.nested() {
        match (a.kind & !NESTED, a.u64()) {
            (A_PAUSE_STAT_TX_FRAMES, Some(v)) => (out.tx_frames, any) = (v, true),
            (A_PAUSE_STAT_RX_FRAMES, Some(v)) => (out.rx_frames, any) = (v, true),
            _ => {}
        }
    }
    any.then_some(out)
}

/// The eth-mac counters of a `STATS_GET` reply (`None`: the driver fills none).
pub fn parse_eth_mac(payload: &[u8]) -> Option<PortCounters> {
    let body = payload.get(4..)?;
    let group = Attrs::new(body)
        .filter(|a| a.kind & !NESTED == A_STATS_GRP)
        .find(|g| g.nested().any(|a| a.kind == A_STATS_GRP_ID && a.u32() == Some(STATS_ETH_MAC)))?;
    let mut out = PortCounters::default();
    let mut any = false;
    for stat in group.nested().filter(|a| a.kind & !NESTED == A_STATS_GRP_STAT) {
        for a in stat.nested() {
            let Some(v) = a.u64() else { continue };
            any = true;
            match a.kind {
                MAC_TX_FRAMES => out.tx_frames = v,
                MAC_RX_FRAMES => out.rx_frames = v,
                MAC_TX_BYTES => out.tx_bytes = v,
                MAC_RX_BYTES => out.rx_bytes = v,
                _ => {}
            }
        }
    }
    any.then_some(out)
}

impl EthtoolNl {
    pub fn open() -> Option<EthtoolNl> {
        Genl::open("ethtool").ok().flatten().map(|genl| EthtoolNl { genl })
    }

    /// `dev`'s pause-frame counters; `Ok(None)` when its driver keeps none.
    pub fn pause(&mut self, dev: &str) -> Result<Option<PauseCounters>, RtnlError> {
        let request = vec![nested(A_PAUSE_HEADER, header(dev, FLAG_STATS))?];
        Ok(parse_pause(&self.genl.get(MSG_PAUSE_GET, request)?))
    }

    /// `dev`'s IEEE 802.3 MAC counters; `Ok(None)` when its driver has no `get_eth_mac_stats`.
    pub fn port(&mut self, dev: &str) -> Result<Option<PortCounters>, RtnlError> {
        let mut groups = Vec::new();
        push_attr(&mut groups, A_BITSET_NOMASK, &[]);
        push_nested(&mut groups, A_BITSET_BITS | NESTED, |bits| {
            push_nested(bits, A_BITSET_BITS_BIT | NESTED, |bit| {
                push_attr(bit, A_BITSET_BIT_INDEX, &STATS_ETH_MAC.to_ne_bytes());
            });
        });
        let request = vec![nested(A_STATS_HEADER, header(dev, 0))?, nested(A_STATS_GROUPS, groups)?];
        Ok(parse_eth_mac(&self.genl.get(MSG_STATS_GET, request)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn genl(fill: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut p = vec![22, 1, 0, 0];
        fill(&mut p);
        p
    }

    #[test]
    fn pause_replies_parse_with_and_without_stats() {
        let reply = genl(|p| {
            push_attr(p, 2, &[0]);
            push_nested(p, A_PAUSE_STATS | NESTED, |s| {
                push_attr(s, 1, &[]);
                push_attr(s, A_PAUSE_STAT_TX_FRAMES, &2u64.to_ne_bytes());
                push_attr(s, A_PAUSE_STAT_RX_FRAMES, &1u64.to_ne_bytes());
            });
        });
        assert_eq!(
            parse_pause(&reply),
            Some(PauseCounters { rx_frames: 1, tx_frames: 2, rx_paused_us: None })
        );
        // The nest is sent even when the driver has no get_pause_stats: empty, not zeros.
        let empty = genl(|p| push_nested(p, A_PAUSE_STATS | NESTED, |_| {}));
        assert_eq!(parse_pause(&empty), None);
        assert_eq!(parse_pause(&[1, 2]), None);
    }

    #[test]
    fn eth_mac_group_parses_its_counters() {
        let stat = |p: &mut Vec<u8>, id: u16, v: u64| {
            push_nested(p, A_STATS_GRP_STAT | NESTED, |s| push_attr(s, id, &v.to_ne_bytes()));
        };
        let reply = genl(|p| {
            push_nested(p, A_STATS_GRP | NESTED, |g| {
                push_attr(g, A_STATS_GRP_ID, &STATS_ETH_MAC.to_ne_bytes());
                push_attr(g, 3, &18u32.to_ne_bytes());
                stat(g, MAC_TX_FRAMES, 10);
                stat(g, MAC_RX_FRAMES, 20);
                stat(g, MAC_TX_BYTES, 1000);
                stat(g, MAC_RX_BYTES, 2000);
                stat(g, 7, 99);
            });
        });
        let port = parse_eth_mac(&reply).unwrap();
        assert_eq!((port.tx_frames, port.rx_frames, port.tx_bytes, port.rx_bytes), (10, 20, 1000, 2000));
        let no_stats = genl(|p| {
            push_nested(p, A_STATS_GRP | NESTED, |g| {
                push_attr(g, A_STATS_GRP_ID, &STATS_ETH_MAC.to_ne_bytes())
            })
        });
        assert_eq!(parse_eth_mac(&no_stats), None, "a group the driver did not fill");
    }
}
