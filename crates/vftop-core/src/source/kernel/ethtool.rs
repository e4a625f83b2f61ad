//! Driver facts over the `SIOCETHTOOL` ioctl: driver name, link speed, and `ethtool -S` stats.
//!
//! Every buffer the kernel writes into is sized from what the kernel will write, not from
//! what vftop asks for: `ETHTOOL_GSTRINGS` and `ETHTOOL_GSTATS` copy as many entries as the
//! driver reports *at the time of the call* (older kernels ignore the caller's count), so the
//! count is read right before each of them and the buffer gets headroom for a count that grows
//! in between. The pure halves (request layout, reply parsing) are apart from the ioctl so
//! they can be fuzzed.

use super::attr::{u32_at, u64_at};
use crate::model::{DriverStat, Mbps};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, socket};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

// ethtool ioctl sub-commands and sizes from <linux/ethtool.h> (not in linux-raw-sys 0.11).
const ETHTOOL_GDRVINFO: u32 = 0x0000_0003;
const ETHTOOL_GSTRINGS: u32 = 0x0000_001b;
const ETHTOOL_GSTATS: u32 = 0x0000_001d;
const ETHTOOL_GSSET_INFO: u32 = 0x0000_0037;
const ETHTOOL_GLINKSETTINGS: u32 = 0x0000_004c;
const ETH_SS_STATS: u32 = 1;
pub const ETH_GSTRING_LEN: usize = 32;
/// `struct ethtool_drvinfo` size; `driver` is at offset 4, 32 bytes.
const DRVINFO_LEN: usize = 196;
/// `struct ethtool_link_settings` without its trailing link-mode masks.
const LINK_SETTINGS_LEN: usize = 48;
/// `struct ethtool_sset_info` with the one `data` word for the one set vftop asks about.
const SSET_INFO_LEN: usize = 16 + 4;
/// `struct ethtool_gstrings` header: cmd, string_set, len.
pub const GSTRINGS_HEADER: usize = 12;
/// `struct ethtool_stats` header: cmd, n_stats.
pub const GSTATS_HEADER: usize = 8;
/// More driver statistics than this and vftop reads none (a sanity cap against a confused
/// driver; the largest real drivers report a few thousand).
pub const MAX_STATS: usize = 16_384;

/// Why driver statistics could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("the driver reports {0} statistics, more than vftop reads ({MAX_STATS})")]
    TooMany(usize),
    #[error("the driver's statistics count changed while being read ({expected} → {got})")]
    Changed { expected: usize, got: usize },
}

/// Entries to make room for when the driver reported `count` a moment ago: the count plus
/// headroom for one that grows before the next call (mlx5's can).
pub fn capacity_for(count: usize) -> usize {
    count + (count / 2).max(64)
}

/// An `ETHTOOL_GSTRINGS` (statistics names) request with room for `capacity` names.
pub fn strings_request(count: usize, capacity: usize) -> Vec<u8> {
    let mut buf = vec![0u8; GSTRINGS_HEADER + capacity * ETH_GSTRING_LEN];
    buf[..4].copy_from_slice(&ETHTOOL_GSTRINGS.to_ne_bytes());
    buf[4..8].copy_from_slice(&ETH_SS_STATS.to_ne_bytes());
    buf[8..12].copy_from_slice(&(count as u32).to_ne_bytes());
    buf
}

/// The names in an `ETHTOOL_GSTRINGS` reply; an error when the kernel says it wrote more
/// than the buffer holds or a count other than `expected`.
pub fn parse_strings(reply: &[u8], expected: usize) -> Result<Vec<String>, StatsError> {
    let got = u32_at(reply, 8).unwrap_or(0) as usize;
    let room = reply.len().saturating_sub(GSTRINGS_HEADER) / ETH_GSTRING_LEN;
    if got != expected || got > room {
        return Err(StatsError::Changed { expected, got });
    }
    let names = reply.get(GSTRINGS_HEADER..).unwrap_or_default();
    Ok(names.chunks_exact(ETH_GSTRING_LEN).take(got).map(c_string).collect())
}

/// An `ETHTOOL_GSTATS` request with room for `capacity` values.
pub fn stats_request(count: usize, capacity: usize) -> Vec<u8> {
    let mut buf = vec![0u8; GSTATS_HEADER + capacity * 8];
    buf[..4].copy_from_slice(&ETHTOOL_GSTATS.to_ne_bytes());
    buf[4..8].copy_from_slice(&(count as u32).to_ne_bytes());
    buf
}

/// The values in an `ETHTOOL_GSTATS` reply, checked like [`parse_strings`].
pub fn parse_stats(reply: &[u8], expected: usize) -> Result<Vec<u64>, StatsError> {
    let got = u32_at(reply, 4).unwrap_or(0) as usize;
    let room = reply.len().saturating_sub(GSTATS_HEADER) / 8;
    if got != expected || got > room {
        return Err(StatsError::Changed { expected, got });
    }
    Ok((0..got).map(|i| u64_at(reply, GSTATS_HEADER + i * 8).unwrap_or(0)).collect())
}

/// The `ETH_SS_STATS` count in an `ETHTOOL_GSSET_INFO` reply (0 when the set is unsupported).
pub fn parse_sset_count(reply: &[u8]) -> Result<usize, StatsError> {
    let mask = u64_at(reply, 8).unwrap_or(0);
    if mask & (1 << ETH_SS_STATS) == 0 {
        return Ok(0);
    }
    let count = u32_at(reply, 16).unwrap_or(0) as usize;
    if count > MAX_STATS {
        return Err(StatsError::TooMany(count));
    }
    Ok(count)
}

/// The link-mode mask size (`-nwords`) the kernel answers to a `ETHTOOL_GLINKSETTINGS`
/// handshake; `None` when the answer is not one.
pub fn parse_link_handshake(reply: &[u8]) -> Option<u8> {
    let answer = *reply.get(15)? as i8;
    answer.checked_neg().filter(|n| *n > 0).map(|n| n as u8)
}

/// The speed in a `struct ethtool_link_settings` reply; `None` for unknown (0 or -1).
pub fn parse_link_speed(reply: &[u8]) -> Option<Mbps> {
    let speed = u32_at(reply, 4)?;
    (speed != 0 && speed != u32::MAX).then_some(Mbps(speed))
}

/// An `AF_INET` datagram socket to issue ethtool ioctls on.
pub struct Ethtool {
    fd: OwnedFd,
}

/// `struct ifreq` as `SIOCETHTOOL` reads it: the interface name and a pointer to the command.
#[repr(C)]
pub struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    data: *mut libc::c_void,
    _pad: [u8; 16],
}

nix::ioctl_readwrite_bad!(siocethtool, libc::SIOCETHTOOL, IfReq);

impl Ethtool {
    pub fn open() -> io::Result<Ethtool> {
        let fd = socket(AddressFamily::Inet, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None)?;
        Ok(Ethtool { fd })
    }

    /// Runs one ethtool command on `ifname` with `buf` as its command structure. Callers size
    /// `buf` for the most the kernel will write for that command.
    #[expect(
        unsafe_code,
        reason = "SIOCETHTOOL has no safe wrapper: the kernel writes through a raw pointer"
    )]
    fn ioctl(&self, ifname: &str, buf: &mut [u8]) -> io::Result<()> {
        if ifname.len() >= libc::IFNAMSIZ {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        let mut req = IfReq { name: [0; libc::IFNAMSIZ], data: buf.as_mut_ptr().cast(), _pad: [0; 16] };
        req.name[..ifname.len()].copy_from_slice(ifname.as_bytes());
        // SAFETY: `req` is a valid `struct ifreq` whose name is NUL-terminated (shorter than
        // IFNAMSIZ) and whose data pointer is `buf`, live and exclusively borrowed for the call.
        // Each caller sizes `buf` for the largest reply its command produces: fixed structures
        // (drvinfo, sset_info with one set, link settings sized from the kernel's own nwords)
        // or, for GSTRINGS/GSTATS, the count read just before plus headroom (`capacity_for`).
        unsafe { siocethtool(self.fd.as_raw_fd(), &mut req) }.map_err(io::Error::from)?;
        Ok(())
    }

    /// The netdev's driver name (`ethtool -i`).
    pub fn driver(&self, ifname: &str) -> io::Result<String> {
        let mut buf = vec![0u8; DRVINFO_LEN];
        buf[..4].copy_from_slice(&ETHTOOL_GDRVINFO.to_ne_bytes());
        self.ioctl(ifname, &mut buf)?;
        Ok(c_string(&buf[4..36]))
    }

    /// Link speed in Mbit/s; `None` when the driver does not know (link down, virtual).
    pub fn link_speed(&self, ifname: &str) -> io::Result<Option<Mbps>> {
        // Handshake: with nwords 0 the kernel writes only the fixed part, answering -nwords.
        let mut buf = vec![0u8; LINK_SETTINGS_LEN];
        buf[..4].copy_from_slice(&ETHTOOL_GLINKSETTINGS.to_ne_bytes());
        self.ioctl(ifname, &mut buf)?;
        let Some(nwords) = parse_link_handshake(&buf) else { return Ok(None) };
        // Then the fixed part and three masks (supported, advertising, peer) of nwords u32s.
        let mut buf = vec![0u8; LINK_SETTINGS_LEN + 3 * 4 * usize::from(nwords)];
        buf[..4].copy_from_slice(&ETHTOOL_GLINKSETTINGS.to_ne_bytes());
        buf[15] = nwords;
        self.ioctl(ifname, &mut buf)?;
        Ok(parse_link_speed(&buf))
    }

    /// Driver statistics (`ethtool -S`). The count is read right before each ioctl that
    /// writes entries; `names` caches the names between calls and they are re-read whenever
    /// the driver's count differs from the cache's. A count that changes between the calls is
    /// an error for this sample, and the cache is dropped.
    pub fn stats(&self, ifname: &str, names: &mut Vec<String>) -> Result<Vec<DriverStat>, StatsError> {
        let count = self.stats_count(ifname)?;
        if count != names.len() {
            names.clear();
            *names = self.stat_names(ifname, count)?;
            // Asked again right before ETHTOOL_GSTATS, as before ETHTOOL_GSTRINGS.
            let again = self.stats_count(ifname)?;
            if again != names.len() {
                let expected = std::mem::take(names).len();
                return Err(StatsError::Changed { expected, got: again });
            }
        }
        if count == 0 {
            return Ok(Vec::new());
        }
        let values = self.stat_values(ifname, count).inspect_err(|_| names.clear())?;
        Ok(names.iter().cloned().zip(values).map(|(name, value)| DriverStat { name, value }).collect())
    }

    /// The names of `count` driver statistics (`ETHTOOL_GSTRINGS`).
    fn stat_names(&self, ifname: &str, count: usize) -> Result<Vec<String>, StatsError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut buf = strings_request(count, capacity_for(count));
        self.ioctl(ifname, &mut buf)?;
        parse_strings(&buf, count)
    }

    /// The current values of `count` driver statistics (`ETHTOOL_GSTATS`).
    fn stat_values(&self, ifname: &str, count: usize) -> Result<Vec<u64>, StatsError> {
        let mut buf = stats_request(count, capacity_for(count));
        self.ioctl(ifname, &mut buf)?;
        parse_stats(&buf, count)
    }

    /// How many driver statistics the driver reports now (`ETHTOOL_GSSET_INFO`).
    fn stats_count(&self, ifname: &str) -> Result<usize, StatsError> {
        let mut buf = vec![0u8; SSET_INFO_LEN];
        buf[..4].copy_from_slice(&ETHTOOL_GSSET_INFO.to_ne_bytes());
        buf[8..16].copy_from_slice(&(1u64 << ETH_SS_STATS).to_ne_bytes());
        match self.ioctl(ifname, &mut buf) {
            Ok(()) => parse_sset_count(&buf),
            Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }
}

fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings_reply(names: &[&str], declared: usize, capacity: usize) -> Vec<u8> {
        let mut buf = strings_request(names.len(), capacity);
        buf[8..12].copy_from_slice(&(declared as u32).to_ne_bytes());
        for (i, name) in names.iter().enumerate() {
            let at = GSTRINGS_HEADER + i * ETH_GSTRING_LEN;
            buf[at..at + name.len()].copy_from_slice(name.as_bytes());
        }
        buf
    }

    #[test]
    fn headroom_grows_with_the_count_and_is_never_below_it() {
        assert_eq!(capacity_for(0), 64);
        assert_eq!(capacity_for(10), 74);
        assert_eq!(capacity_for(4000), 6000);
        assert!((0..=MAX_STATS).all(|n| capacity_for(n) > n));
    }

    #[test]
    fn strings_reply_is_read_up_to_the_declared_count() {
        let reply = strings_reply(&["rx_packets", "tx_packets"], 2, capacity_for(2));
        assert_eq!(parse_strings(&reply, 2).unwrap(), ["rx_packets", "tx_packets"]);
    }

    #[test]
    fn a_count_that_changed_or_overflows_is_an_error_not_a_short_read() {
        let grown = strings_reply(&["a", "b", "c"], 3, 70);
        assert!(matches!(parse_strings(&grown, 2), Err(StatsError::Changed { expected: 2, got: 3 })));
        let overflow = strings_reply(&["a"], 500, 4);
        assert!(matches!(parse_strings(&overflow, 500), Err(StatsError::Changed { got: 500, .. })));
        let mut stats = stats_request(2, 3);
        stats[4..8].copy_from_slice(&9u32.to_ne_bytes());
        assert!(matches!(parse_stats(&stats, 9), Err(StatsError::Changed { got: 9, .. })));
    }

    #[test]
    fn replies_shorter_than_their_header_are_empty_not_a_panic() {
        // Found by the fuzzer: an empty reply with an expected count of 0.
        for len in 0..GSTRINGS_HEADER {
            let reply = vec![0u8; len];
            assert_eq!(parse_strings(&reply, 0).unwrap(), Vec::<String>::new());
            assert_eq!(parse_stats(&reply, 0).unwrap(), Vec::<u64>::new());
            assert!(parse_strings(&reply, 1).is_err());
        }
    }

    #[test]
    fn stats_reply_values() {
        let mut reply = stats_request(2, capacity_for(2));
        reply[8..16].copy_from_slice(&7u64.to_ne_bytes());
        reply[16..24].copy_from_slice(&u64::MAX.to_ne_bytes());
        assert_eq!(parse_stats(&reply, 2).unwrap(), [7, u64::MAX]);
    }

    #[test]
    fn a_count_above_the_cap_means_no_statistics() {
        let mut reply = vec![0u8; SSET_INFO_LEN];
        reply[8..16].copy_from_slice(&(1u64 << ETH_SS_STATS).to_ne_bytes());
        reply[16..20].copy_from_slice(&((MAX_STATS + 1) as u32).to_ne_bytes());
        assert!(matches!(parse_sset_count(&reply), Err(StatsError::TooMany(n)) if n == MAX_STATS + 1));
        reply[16..20].copy_from_slice(&12u32.to_ne_bytes());
        assert_eq!(parse_sset_count(&reply).unwrap(), 12);
        reply[8..16].fill(0);
        assert_eq!(parse_sset_count(&reply).unwrap(), 0);
    }

    #[test]
    fn link_handshake_and_speed() {
        let mut reply = vec![0u8; LINK_SETTINGS_LEN];
        reply[15] = (-3i8) as u8;
        assert_eq!(parse_link_handshake(&reply), Some(3));
        reply[15] = 0x80; // -128 cannot be negated in i8
        assert_eq!(parse_link_handshake(&reply), None);
        reply[4..8].copy_from_slice(&10_000u32.to_ne_bytes());
        assert_eq!(parse_link_speed(&reply), Some(Mbps(10_000)));
        reply[4..8].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert_eq!(parse_link_speed(&reply), None);
    }
}
