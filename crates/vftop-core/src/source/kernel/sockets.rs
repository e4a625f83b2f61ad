//! The sockets on a host-bound VF, from sock_diag (`NETLINK_SOCK_DIAG`, `inet_diag_req_v2`
//! dumps of TCP and UDP over IPv4 and IPv6, with `INET_DIAG_INFO` for TCP's `tcp_info`) and
//! the addresses on each netdev (`RTM_GETADDR`): a socket is on the VF when it is bound to its
//! device or its local address is one of the VF's.

use super::attr::{Attrs, align4, u32_at, u64_at};
use super::rtnl::{Channel, RtnlError};
use crate::model::owner::Transport;
use neli::consts::socket::NlFamily;
use neli::utils::Groups;
use std::collections::HashMap;
use std::net::IpAddr;

/// `SOCK_DIAG_BY_FAMILY` (linux/sock_diag.h).
const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// `INET_DIAG_INFO` (linux/inet_diag.h): the `tcp_info` attribute.
const INET_DIAG_INFO: u16 = 2;
/// `struct inet_diag_msg` is 72 bytes: family, state, timer, retrans, the 48-byte socket id
/// (ports, addresses, interface, cookie), expires, queues, uid, inode.
const DIAG_MSG_LEN: usize = 72;
/// `struct tcp_info` (linux/tcp.h): `tcpi_bytes_acked` and `tcpi_bytes_received` follow the
/// 104 bytes of 8-bit and 32-bit fields and the two 64-bit pacing rates.
const TCPI_BYTES_ACKED: usize = 120;
const TCPI_BYTES_RECEIVED: usize = 128;
/// `TCP_LISTEN` (net/tcp_states.h).
const TCP_LISTEN: u8 = 10;
/// `TCP_TIME_WAIT`: no inode, no process, nothing to say.
const TCP_TIME_WAIT: u8 = 6;

/// One socket as sock_diag reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiagSocket {
    pub transport: Transport,
    pub state: u8,
    pub local: IpAddr,
    /// The device it is bound to (`SO_BINDTODEVICE`), 0 for none.
    pub bound_ifindex: u32,
    pub cookie: u64,
    pub inode: u64,
    pub bytes_acked: Option<u64>,
    pub bytes_received: Option<u64>,
}

impl DiagSocket {
    pub fn listening(&self) -> bool {
        self.transport == Transport::Tcp && self.state == TCP_LISTEN
    }
}

/// One `inet_diag_msg` and its attributes (`None` for a message too short to be one).
pub fn parse_inet_diag(payload: &[u8], transport: Transport) -> Option<DiagSocket> {
    if payload.len() < DIAG_MSG_LEN {
        return None;
    }
    let family = payload[0];
    let src = payload.get(8..24)?;
    let local = match i32::from(family) {
        libc::AF_INET => IpAddr::from([src[0], src[1], src[2], src[3]]),
        libc::AF_INET6 => IpAddr::from(<[u8; 16]>::try_from(src).ok()?),
        _ => return None,
    };
    let cookie = u64::from(u32_at(payload, 44)?) | (u64::from(u32_at(payload, 48)?) << 32);
    let mut socket = DiagSocket {
        transport,
        state: payload[1],
        local,
        bound_ifindex: u32_at(payload, 40)?,
        cookie,
        inode: u64::from(u32_at(payload, 68)?),
        bytes_acked: None,
        bytes_received: None,
    };
    for attr in Attrs::new(payload.get(align4(DIAG_MSG_LEN)..).unwrap_or_default()) {
        if attr.kind == INET_DIAG_INFO && transport == Transport::Tcp {
            socket.bytes_acked = u64_at(attr.payload, TCPI_BYTES_ACKED);
            socket.bytes_received = u64_at(attr.payload, TCPI_BYTES_RECEIVED);
        }
    }
    Some(socket)
}

/// A sock_diag socket (in the namespace it was opened in).
pub struct SockDiag {
    ch: Channel,
}

impl SockDiag {
    pub fn open() -> Result<SockDiag, RtnlError> {
        Ok(SockDiag { ch: Channel::open(NlFamily::SockOrInetDiag, Groups::empty(), 64 * 1024)? })
    }

    /// Every TCP (but TIME_WAIT) and UDP socket of the namespace, IPv4 and IPv6.
    pub fn dump(&mut self) -> Result<Vec<DiagSocket>, RtnlError> {
        self.dump_filtered(&[])
    }

    /// The sockets bound to one of `ifindexes` or with a local address among `addresses`: the
    /// kernel tests each socket against a filter (`INET_DIAG_REQ_BYTECODE`) before it fills
    /// in `tcp_info`, so unrelated sockets cost little. Nothing to match: no dump.
    pub fn dump_on(&mut self, ifindexes: &[u32], addresses: &[IpAddr]) -> Result<Vec<DiagSocket>, RtnlError> {
        if ifindexes.is_empty() && addresses.is_empty() {
            return Ok(Vec::new());
        }
        self.dump_filtered(&bytecode(ifindexes, addresses))
    }

    fn dump_filtered(&mut self, filter: &[u8]) -> Result<Vec<DiagSocket>, RtnlError> {
        let mut out = Vec::new();
        for transport in [Transport::Tcp, Transport::Udp] {
            for family in [libc::AF_INET, libc::AF_INET6] {
                out.extend(self.dump_one(family as u8, transport, filter)?);
            }
        }
        Ok(out)
    }

    fn dump_one(
        &mut self,
        family: u8,
        transport: Transport,
        filter: &[u8],
    ) -> Result<Vec<DiagSocket>, RtnlError> {
        let protocol = match transport {
            Transport::Tcp => libc::IPPROTO_TCP,
            Transport::Udp => libc::IPPROTO_UDP,
        } as u8;
        // struct inet_diag_req_v2: family, protocol, ext, pad, states, then a zero socket id.
        let mut request = vec![0u8; 56];
        request[0] = family;
        request[1] = protocol;
        request[2] = 1 << (INET_DIAG_INFO - 1);
        let states: u32 = 0xfff & !(1 << TCP_TIME_WAIT);
        request[4..8].copy_from_slice(&states.to_ne_bytes());
        if !filter.is_empty() {
            super::attr::push_attr(&mut request, INET_DIAG_REQ_BYTECODE, filter);
        }
        self.ch.dump_raw(SOCK_DIAG_BY_FAMILY, &request, |sockets: &mut Vec<DiagSocket>, kind, payload| {
            if kind == SOCK_DIAG_BY_FAMILY {
                sockets.extend(parse_inet_diag(payload, transport));
            }
        })
    }
}

/// `INET_DIAG_REQ_BYTECODE` and the filter ops (linux/inet_diag.h).
const INET_DIAG_REQ_BYTECODE: u16 = 1;
const BC_JMP: u8 = 1;
const BC_S_COND: u8 = 7;
const BC_DEV_COND: u8 = 9;

/// One filter op: `struct inet_diag_bc_op` (code, yes, no) and what follows it.
fn op(code: u8, yes: u8, no: u16, body: &[u8]) -> Vec<u8> {
    let mut out = vec![code, yes];
    out.extend_from_slice(&no.to_ne_bytes());
    out.extend_from_slice(body);
    out
}

/// A filter accepting a socket bound to one of `ifindexes` or with a local address among
/// `addresses` (IPv4 ones match IPv4-mapped IPv6 sockets too). The kernel runs it op by op:
/// a condition that holds goes `yes` bytes on, else `no`; a socket is kept when that lands
/// exactly on the end. Each condition is followed by a jump to the end (taken when it held);
/// a failed one skips its jump to the next; after the last, a jump past the end rejects. (The
/// kernel checks every jump lands on an op along the `yes` path, which this layout keeps.)
fn bytecode(ifindexes: &[u32], addresses: &[IpAddr]) -> Vec<u8> {
    let mut conditions: Vec<Vec<u8>> =
        ifindexes.iter().map(|i| cond(BC_DEV_COND, &i.to_ne_bytes())).collect();
    for ip in addresses {
        // struct inet_diag_hostcond: family, prefix_len, pad, port (-1: any), then the address.
        let (family, bytes): (u8, Vec<u8>) = match ip {
            IpAddr::V4(v4) => (libc::AF_INET as u8, v4.octets().to_vec()),
            IpAddr::V6(v6) => (libc::AF_INET6 as u8, v6.octets().to_vec()),
        };
        let mut body = vec![family, (bytes.len() * 8) as u8, 0, 0];
        body.extend_from_slice(&(-1i32).to_ne_bytes());
        body.extend_from_slice(&bytes);
        conditions.push(cond(BC_S_COND, &body));
    }
    let total: usize = conditions.iter().map(|c| c.len() + 4).sum::<usize>() + 4;
    let mut out = Vec::with_capacity(total);
    for c in conditions {
        let size = c.len();
        let mut c = c;
        c[1] = size as u8; // held: on to the jump after it
        c[2..4].copy_from_slice(&((size + 4) as u16).to_ne_bytes()); // not: past that jump
        out.extend_from_slice(&c);
        let to_end = (total - out.len()) as u16;
        out.extend(op(BC_JMP, 4, to_end, &[]));
    }
    out.extend(op(BC_JMP, 4, 8, &[])); // nothing held: past the end
    out
}

/// A condition op with its body (its jumps filled in by [`bytecode`]).
fn cond(code: u8, body: &[u8]) -> Vec<u8> {
    op(code, 0, 0, body)
}

/// The sockets of `all` on a netdev: bound to `ifindex`, or with a local address among
/// `addresses` (a wildcard listener belongs to no one VF).
pub fn on_netdev<'a>(
    all: &'a [DiagSocket],
    ifindex: u32,
    addresses: &'a [IpAddr],
) -> impl Iterator<Item = &'a DiagSocket> {
    all.iter().filter(move |s| {
        s.inode != 0
            && ((s.bound_ifindex != 0 && s.bound_ifindex == ifindex)
                || (!s.local.is_unspecified() && addresses.contains(&canonical(s.local))))
    })
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Addresses by ifindex, from an `RTM_NEWADDR` payload (`ifaddrmsg` + attributes).
pub fn parse_addr(payload: &[u8], into: &mut HashMap<u32, Vec<IpAddr>>) {
    let (Some(&family), Some(ifindex)) = (payload.first(), u32_at(payload, 4)) else { return };
    let local = Attrs::new(payload.get(8..).unwrap_or_default())
        .filter(|a| a.kind == libc::IFA_LOCAL || a.kind == libc::IFA_ADDRESS)
        .filter_map(|a| match (i32::from(family), a.payload.len()) {
            (libc::AF_INET, 4) => Some(IpAddr::from(<[u8; 4]>::try_from(a.payload).ok()?)),
            (libc::AF_INET6, 16) => Some(IpAddr::from(<[u8; 16]>::try_from(a.payload).ok()?)),
            _ => None,
        });
    let list = into.entry(ifindex).or_default();
    for ip in local {
        if !list.contains(&ip) {
            list.push(ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag_msg(family: u8, state: u8, local: &[u8], ifindex: u32, cookie: u64, inode: u32) -> Vec<u8> {
        let mut m = vec![0u8; DIAG_MSG_LEN];
        m[0] = family;
        m[1] = state;
        m[8..8 + local.len()].copy_from_slice(local);
        m[40..44].copy_from_slice(&ifindex.to_ne_bytes());
        m[44..48].copy_from_slice(&(cookie as u32).to_ne_bytes());
        m[48..52].copy_from_slice(&((cookie >> 32) as u32).to_ne_bytes());
        m[68..72].copy_from_slice(&inode.to_ne_bytes());
        m
    }

    #[test]
    fn a_tcp_socket_with_its_byte_counters() {
        let mut m = diag_msg(libc::AF_INET as u8, 1, &[10, 0, 0, 2], 0, 0x1_0000_0007, 4242);
        let mut info = vec![0u8; 232];
        info[TCPI_BYTES_ACKED..TCPI_BYTES_ACKED + 8].copy_from_slice(&123_456u64.to_ne_bytes());
        info[TCPI_BYTES_RECEIVED..TCPI_BYTES_RECEIVED + 8].copy_from_slice(&789u64.to_ne_bytes());
        super::super::attr::push_attr(&mut m, INET_DIAG_INFO, &info);
        let s = parse_inet_diag(&m, Transport::Tcp).unwrap();
        assert_eq!(s.local, IpAddr::from([10, 0, 0, 2]));
        assert_eq!((s.cookie, s.inode), (0x1_0000_0007, 4242));
        assert_eq!((s.bytes_acked, s.bytes_received), (Some(123_456), Some(789)));
    }

    #[test]
    fn short_or_foreign_messages_and_a_short_tcp_info_do_not_panic() {
        assert_eq!(parse_inet_diag(&[0u8; 71], Transport::Tcp), None);
        assert_eq!(parse_inet_diag(&diag_msg(99, 1, &[], 0, 0, 1), Transport::Tcp), None);
        let mut m = diag_msg(libc::AF_INET6 as u8, 1, &[0; 16], 0, 1, 1);
        super::super::attr::push_attr(&mut m, INET_DIAG_INFO, &[0u8; 100]);
        assert_eq!(parse_inet_diag(&m, Transport::Tcp).unwrap().bytes_acked, None);
    }

    #[test]
    fn sockets_belong_to_a_netdev_by_address_or_bound_device_not_wildcard() {
        let mk = |local: IpAddr, ifindex: u32, inode: u32| DiagSocket {
            transport: Transport::Tcp,
            state: 1,
            local,
            bound_ifindex: ifindex,
            cookie: u64::from(inode),
            inode: u64::from(inode),
            bytes_acked: None,
            bytes_received: None,
        };
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        let all = [
            mk("10.0.0.2".parse().unwrap(), 0, 1),
            mk(mapped, 0, 2),
            mk("0.0.0.0".parse().unwrap(), 0, 3),
            mk("0.0.0.0".parse().unwrap(), 7, 4),
            mk("10.0.0.9".parse().unwrap(), 0, 5),
            mk("10.0.0.2".parse().unwrap(), 0, 0),
        ];
        let addresses = ["10.0.0.2".parse().unwrap()];
        let found: Vec<u64> = on_netdev(&all, 7, &addresses).map(|s| s.inode).collect();
        assert_eq!(found, [1, 2, 4]);
    }

    /// The real kernel's `tcp_info` at the offsets read: a loopback connection's bytes, on
    /// both ends (sock_diag needs no privilege for this namespace's sockets).
    #[test]
    fn the_kernel_reports_a_loopback_connections_bytes_at_these_offsets() {
        use std::io::{Read, Write};
        use std::os::unix::fs::MetadataExt;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        const SENT: u64 = 300_000;
        let writer = std::thread::spawn(move || {
            client.write_all(&vec![7u8; SENT as usize]).unwrap();
            client
        });
        let mut got = vec![0u8; SENT as usize];
        server.read_exact(&mut got).unwrap();
        let client = writer.join().unwrap();
        let inode = |fd: &dyn std::os::fd::AsRawFd| {
            std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap().ino()
        };
        let (client_inode, server_inode) = (inode(&client), inode(&server));
        let mut diag = SockDiag::open().unwrap();
        // The last ACK may still be on its way: asked again until it is counted (or 10 s).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let (sent, received) = loop {
            let all = diag.dump().unwrap();
            let find = |ino| all.iter().find(|s| s.inode == ino).cloned();
            let (c, s) = (find(client_inode).unwrap(), find(server_inode).unwrap());
            if c.bytes_acked > Some(SENT) || std::time::Instant::now() > deadline {
                break (c.bytes_acked, s.bytes_received);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        // tcpi_bytes_acked is snd_una − ISN: the SYN counts as one byte acknowledged.
        assert_eq!((sent, received), (Some(SENT + 1), Some(SENT)));
    }

    /// The filter, checked by the real kernel: it accepts the bytecode (it audits every jump)
    /// and keeps exactly the sockets on the address asked for, however many conditions.
    #[test]
    fn the_kernel_filters_sockets_by_local_address() {
        let listener = |ip: &str| std::net::TcpListener::bind((ip, 0)).unwrap();
        let (near, far) = (listener("127.0.0.2"), listener("127.0.0.1"));
        let pairs: Vec<_> = [&near, &far]
            .iter()
            .map(|l| {
                let client = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
                (client, l.accept().unwrap().0)
            })
            .collect();
        let port = |s: &DiagSocket| s.local;
        let mut diag = SockDiag::open().unwrap();
        let many: Vec<IpAddr> = (1..40u16)
            .map(|i| IpAddr::from([0xfd00, 0, 0, 0, 0, 0, 0, i]))
            .chain(["127.0.0.2".parse().unwrap()])
            .collect();
        for addresses in [vec!["127.0.0.2".parse().unwrap()], many] {
            let kept = diag.dump_on(&[999_999], &addresses).unwrap();
            let near_port = near.local_addr().unwrap().port();
            assert!(kept.iter().all(|s| port(s) == IpAddr::from([127, 0, 0, 2])), "{kept:?}");
            // At least the listener and the connection it accepted are on 127.0.0.2.
            assert!(kept.len() >= 2, "{kept:?} (listener on port {near_port})");
        }
        assert!(diag.dump_on(&[], &[]).unwrap().is_empty());
        drop(pairs);
    }

    #[test]
    fn addresses_from_rtm_newaddr() {
        let mut m = vec![libc::AF_INET as u8, 24, 0, 0];
        m.extend_from_slice(&5u32.to_ne_bytes());
        super::super::attr::push_attr(&mut m, libc::IFA_ADDRESS, &[10, 0, 0, 2]);
        super::super::attr::push_attr(&mut m, libc::IFA_LOCAL, &[10, 0, 0, 2]);
        let mut into = HashMap::new();
        parse_addr(&m, &mut into);
        parse_addr(&[1, 2], &mut into);
        assert_eq!(into.get(&5).unwrap(), &vec![IpAddr::from([10, 0, 0, 2])]);
    }
}
