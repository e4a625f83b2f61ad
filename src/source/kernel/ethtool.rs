//! Driver facts over the `SIOCETHTOOL` ioctl: driver name, link speed, and `ethtool -S` stats.

use crate::model::{DriverStat, Mbps};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

// ethtool ioctl sub-commands and sizes from <linux/ethtool.h> (not in linux-raw-sys 0.11).
const ETHTOOL_GDRVINFO: u32 = 0x0000_0003;
const ETHTOOL_GSTRINGS: u32 = 0x0000_001b;
const ETHTOOL_GSTATS: u32 = 0x0000_001d;
const ETHTOOL_GSSET_INFO: u32 = 0x0000_0037;
const ETHTOOL_GLINKSETTINGS: u32 = 0x0000_004c;
const ETH_SS_STATS: u32 = 1;
const ETH_GSTRING_LEN: usize = 32;
/// `struct ethtool_drvinfo` size; `driver` is at offset 4, 32 bytes.
const DRVINFO_LEN: usize = 196;
/// `struct ethtool_link_settings` without its trailing link-mode masks.
const LINK_SETTINGS_LEN: usize = 48;
/// Upper bound on driver statistics read (a sanity cap against a confused driver).
const MAX_STATS: u32 = 16_384;

/// An `AF_INET` datagram socket to issue ethtool ioctls on.
pub struct Ethtool {
    fd: OwnedFd,
}

#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    data: *mut libc::c_void,
    _pad: [u8; 16],
}

impl Ethtool {
    pub fn open() -> io::Result<Ethtool> {
        // SAFETY: plain socket(2); the result is checked before use.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh, owned descriptor.
        Ok(Ethtool { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Runs one ethtool command on `ifname` with `buf` as its command structure.
    fn ioctl(&self, ifname: &str, buf: &mut [u8]) -> io::Result<()> {
        if ifname.len() >= libc::IFNAMSIZ {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        let mut req = IfReq { name: [0; libc::IFNAMSIZ], data: buf.as_mut_ptr().cast(), _pad: [0; 16] };
        req.name[..ifname.len()].copy_from_slice(ifname.as_bytes());
        // SAFETY: req points at a live buffer sized for the command; the kernel writes within it.
        let rc = unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::SIOCETHTOOL as _, &mut req) };
        if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
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
        let mut buf = vec![0u8; LINK_SETTINGS_LEN + 3 * 4 * 127];
        buf[..4].copy_from_slice(&ETHTOOL_GLINKSETTINGS.to_ne_bytes());
        self.ioctl(ifname, &mut buf)?; // handshake: the kernel answers -nwords
        // The kernel answers -nwords; a value that is not negative means no usable answer.
        let Some(nwords) = (buf[15] as i8).checked_neg().filter(|n| *n > 0) else {
            return Ok(None);
        };
        buf.fill(0);
        buf[..4].copy_from_slice(&ETHTOOL_GLINKSETTINGS.to_ne_bytes());
        buf[15] = nwords as u8;
        self.ioctl(ifname, &mut buf)?;
        let speed = u32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
        Ok((speed != 0 && speed != u32::MAX).then_some(Mbps(speed)))
    }

    /// Driver statistics (`ethtool -S`): names from `ETHTOOL_GSTRINGS`, values from `ETHTOOL_GSTATS`.
    pub fn stats(&self, ifname: &str) -> io::Result<Vec<DriverStat>> {
        let names = self.stat_names(ifname)?;
        let values = self.stat_values(ifname, names.len())?;
        Ok(names.into_iter().zip(values).map(|(name, value)| DriverStat { name, value }).collect())
    }

    /// The names of the driver's statistics (stable for a netdev: read once, then cached).
    pub fn stat_names(&self, ifname: &str) -> io::Result<Vec<String>> {
        let count = self.stats_count(ifname)?;
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut strings = vec![0u8; 12 + count as usize * ETH_GSTRING_LEN];
        strings[..4].copy_from_slice(&ETHTOOL_GSTRINGS.to_ne_bytes());
        strings[4..8].copy_from_slice(&ETH_SS_STATS.to_ne_bytes());
        strings[8..12].copy_from_slice(&count.to_ne_bytes());
        self.ioctl(ifname, &mut strings)?;
        Ok(strings[12..].chunks_exact(ETH_GSTRING_LEN).map(c_string).collect())
    }

    /// The current values of `count` driver statistics (one `ETHTOOL_GSTATS`).
    pub fn stat_values(&self, ifname: &str, count: usize) -> io::Result<Vec<u64>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut values = vec![0u8; 8 + count * 8];
        values[..4].copy_from_slice(&ETHTOOL_GSTATS.to_ne_bytes());
        values[4..8].copy_from_slice(&(count as u32).to_ne_bytes());
        self.ioctl(ifname, &mut values)?;
        let returned = (u32::from_ne_bytes([values[4], values[5], values[6], values[7]]) as usize).min(count);
        Ok((0..returned).map(|i| super::attr::u64_at(&values, 8 + i * 8).unwrap_or(0)).collect())
    }

    fn stats_count(&self, ifname: &str) -> io::Result<u32> {
        let mut buf = vec![0u8; 16 + 4];
        buf[..4].copy_from_slice(&ETHTOOL_GSSET_INFO.to_ne_bytes());
        buf[8..16].copy_from_slice(&(1u64 << ETH_SS_STATS).to_ne_bytes());
        match self.ioctl(ifname, &mut buf) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => return Ok(0),
            Err(e) => return Err(e),
        }
        let mask = u64::from_ne_bytes(buf[8..16].try_into().unwrap_or_default());
        if mask & (1 << ETH_SS_STATS) == 0 {
            return Ok(0);
        }
        Ok(u32::from_ne_bytes([buf[16], buf[17], buf[18], buf[19]]).min(MAX_STATS))
    }
}

fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}
