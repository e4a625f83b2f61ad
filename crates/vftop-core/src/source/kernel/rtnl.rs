//! The rtnetlink socket (neli): link dumps sized to each datagram, and VF rate changes with
//! extended ACK.

use super::attr::{Messages, NLMSG_HDR_LEN, push_attr, push_nested, u32_at};
use super::link::{LinkMessage, parse_link};
use crate::model::Counters;
use linux_raw_sys::netlink as nl;
use neli::ToBytes;
use neli::consts::nl::NlmF;
use neli::consts::rtnl::{Arphrd, Iff, Ifla, RtAddrFamily, Rtm};
use neli::consts::socket::{Msg, NlFamily};
use neli::nl::{NlPayload, NlmsghdrBuilder};
use neli::rtnl::{IfinfomsgBuilder, RtattrBuilder};
use neli::socket::NlSocket;
use neli::types::{Buffer, RtBuffer};
use neli::utils::Groups;
use std::collections::HashMap;
use std::io::{self, Cursor};

/// How often a dump interrupted by a concurrent change (`NLM_F_DUMP_INTR`) is redone.
const DUMP_RETRIES: u32 = 5;

/// An error reported by the kernel in `NLMSG_ERROR`, with its extended-ACK message if any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", io::Error::from_raw_os_error(*errno), extack.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
pub struct KernelError {
    pub errno: i32,
    pub extack: Option<String>,
}

/// A failure talking to rtnetlink.
#[derive(Debug, thiserror::Error)]
pub enum RtnlError {
    #[error("netlink socket: {0}")]
    Io(#[from] io::Error),
    #[error("kernel: {0}")]
    Kernel(KernelError),
    #[error("building the request: {0}")]
    Build(String),
    #[error("the link dump was interrupted by changes {0} times in a row")]
    Interrupted(u32),
    #[error("a {0}-byte netlink message did not fit the receive buffer")]
    Truncated(usize),
}

/// One complete link dump.
#[derive(Debug, Default)]
pub struct LinkDump {
    pub links: Vec<LinkMessage>,
    /// Malformed attributes and messages skipped while parsing.
    pub malformed: u64,
    /// Attributes of types newer than this build knows, skipped.
    pub unknown: u64,
}

/// A netlink socket (neli) with a receive buffer that grows to fit, request sequence numbers,
/// and the dump/ACK handling every netlink family shares.
pub struct Channel {
    socket: NlSocket,
    seq: u32,
    buf: Vec<u8>,
}

impl Channel {
    pub fn open(family: NlFamily, groups: Groups, buffer: usize) -> Result<Channel, RtnlError> {
        let socket = NlSocket::connect(family, None, groups)?;
        socket.enable_ext_ack(true)?;
        Ok(Channel { socket, seq: 0, buf: vec![0; buffer.max(64)] })
    }

    pub fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Serializes a neli message and sends it.
    pub fn send<T, P>(&mut self, message: &neli::nl::Nlmsghdr<T, P>) -> Result<(), RtnlError>
    where
        T: neli::consts::nl::NlType,
        P: neli::Size + ToBytes,
    {
        let mut bytes = Cursor::new(Vec::new());
        message.to_bytes(&mut bytes).map_err(|e| RtnlError::Build(e.to_string()))?;
        self.socket.send(bytes.get_ref(), Msg::empty())?;
        Ok(())
    }

    /// Receives one datagram. MSG_TRUNC makes the kernel return its true size: when that is
    /// larger than the buffer (a PF with hundreds of VFs), the buffer grows to fit and the
    /// caller redoes the request — one syscall per datagram in the common case, and never a
    /// message silently cut at a fixed buffer size.
    fn recv_datagram(&mut self) -> Result<usize, RtnlError> {
        let (size, _) = self.socket.recv(&mut self.buf[..], Msg::TRUNC)?;
        if size > self.buf.len() {
            tracing::info!(
                size,
                buffer = self.buf.len(),
                "netlink datagram larger than buffer; growing and retrying"
            );
            self.buf.resize(size.next_power_of_two(), 0);
            return Err(RtnlError::Truncated(size));
        }
        Ok(size)
    }

    /// Discards what is left of an abandoned dump.
    fn drain(&mut self) {
        let _ = self.socket.nonblock();
        while matches!(self.socket.recv(&mut self.buf[..], Msg::TRUNC), Ok((n, _)) if n > 0) {}
        let _ = self.socket.block();
    }

    /// Reads the answer to dump request `seq`, handing each message (type, payload) to `each`.
    /// Returns false when the kernel flagged the dump as interrupted (`NLM_F_DUMP_INTR`).
    pub fn collect_dump(&mut self, seq: u32, mut each: impl FnMut(u16, &[u8])) -> Result<bool, RtnlError> {
        let mut interrupted = false;
        loop {
            let n = self.recv_datagram()?;
            let mut messages = Messages::new(&self.buf[..n]);
            for m in messages.by_ref() {
                if m.seq != seq {
                    continue;
                }
                interrupted |= u32::from(m.flags) & nl::NLM_F_DUMP_INTR != 0;
                match u32::from(m.kind) {
                    nl::NLMSG_DONE => return Ok(!interrupted),
                    nl::NLMSG_ERROR => match kernel_error(m.payload, m.flags) {
                        Some(e) => return Err(RtnlError::Kernel(e)),
                        None => continue,
                    },
                    _ => each(m.kind, m.payload),
                }
            }
            if messages.malformed {
                each(0, &[]);
            }
        }
    }

    /// Reads the single answer to request `seq` (a GET without DUMP), up to its ACK or error.
    pub fn collect_reply(&mut self, seq: u32, mut each: impl FnMut(&[u8])) -> Result<(), RtnlError> {
        let n = self.recv_datagram()?;
        for m in Messages::new(&self.buf[..n]) {
            if m.seq != seq {
                continue;
            }
            if u32::from(m.kind) == nl::NLMSG_ERROR {
                return match kernel_error(m.payload, m.flags) {
                    Some(e) => Err(RtnlError::Kernel(e)),
                    None => Ok(()),
                };
            }
            each(m.payload);
        }
        Ok(())
    }

    /// Runs a dump until it completes uninterrupted and whole (grown buffer, redone).
    pub fn dump<T>(
        &mut self,
        mut attempt: impl FnMut(&mut Channel) -> Result<Option<T>, RtnlError>,
    ) -> Result<T, RtnlError> {
        for _ in 0..DUMP_RETRIES {
            match attempt(self) {
                Ok(Some(done)) => return Ok(done),
                Ok(None) => tracing::debug!("dump interrupted (NLM_F_DUMP_INTR), redoing"),
                Err(RtnlError::Truncated(_)) => self.drain(),
                Err(e) => return Err(e),
            }
        }
        Err(RtnlError::Interrupted(DUMP_RETRIES))
    }

    /// A dump of message type `kind` whose request is the fixed header `request` (no
    /// attributes): every answer handed to `each` with what it builds, redone as [`Self::dump`].
    pub fn dump_raw<T: Default>(
        &mut self,
        kind: u16,
        request: &[u8],
        mut each: impl FnMut(&mut T, u16, &[u8]),
    ) -> Result<T, RtnlError> {
        self.dump(|ch| {
            let seq = ch.next_seq();
            let message = NlmsghdrBuilder::default()
                .nl_type(kind)
                .nl_flags(NlmF::REQUEST | NlmF::DUMP)
                .nl_seq(seq)
                .nl_payload(NlPayload::Payload(Buffer::from(request.to_vec())))
                .build()
                .map_err(|e| RtnlError::Build(e.to_string()))?;
            ch.send(&message)?;
            let mut built = T::default();
            let complete = ch.collect_dump(seq, |kind, payload| each(&mut built, kind, payload))?;
            Ok(complete.then_some(built))
        })
    }

    /// Waits for the ACK (or error) of request `seq`.
    pub fn wait_ack(&mut self, seq: u32) -> Result<(), RtnlError> {
        loop {
            let n = self.recv_datagram()?;
            for m in Messages::new(&self.buf[..n]) {
                if m.seq == seq && u32::from(m.kind) == nl::NLMSG_ERROR {
                    return match kernel_error(m.payload, m.flags) {
                        Some(e) => Err(RtnlError::Kernel(e)),
                        None => Ok(()),
                    };
                }
            }
        }
    }

    /// Blocks for the next datagram; returns how many messages it held.
    pub fn wait_messages(&mut self) -> Result<usize, RtnlError> {
        match self.recv_datagram() {
            Ok(n) => Ok(Messages::new(&self.buf[..n]).count()),
            Err(RtnlError::Truncated(_)) => Ok(1),
            Err(e) => Err(e),
        }
    }

    /// The receive buffer's current size.
    pub fn buffer_len(&self) -> usize {
        self.buf.len()
    }
}

/// A route netlink socket: link dumps and VF rates.
pub struct Rtnl {
    ch: Channel,
}

impl Rtnl {
    pub fn open() -> Result<Rtnl, RtnlError> {
        Rtnl::with_buffer(64 * 1024)
    }

    /// A socket whose receive buffer starts at `size` bytes (it grows as messages need).
    pub fn with_buffer(size: usize) -> Result<Rtnl, RtnlError> {
        Ok(Rtnl { ch: Channel::open(NlFamily::Route, Groups::empty(), size)? })
    }

    /// A socket subscribed to link notifications (`RTNLGRP_LINK`).
    pub fn link_monitor() -> Result<Rtnl, RtnlError> {
        let group = nl::rtnetlink_groups::RTNLGRP_LINK as u32;
        Ok(Rtnl { ch: Channel::open(NlFamily::Route, Groups::new_groups(&[group]), 64 * 1024)? })
    }

    /// Makes the socket non-blocking (for `pending_events`).
    pub fn nonblocking(&self) -> Result<(), RtnlError> {
        Ok(self.ch.socket.nonblock()?)
    }

    /// On a non-blocking monitor: how many notifications are queued (drained). A receive
    /// error other than "nothing queued" (e.g. ENOBUFS: notifications were lost) counts as one.
    pub fn pending_events(&mut self) -> usize {
        let mut count = 0;
        loop {
            match self.ch.recv_datagram() {
                Ok(n) => count += Messages::new(&self.ch.buf[..n]).count().max(1),
                Err(RtnlError::Truncated(_)) => count += 1,
                Err(RtnlError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => return count,
                Err(_) => return count + 1,
            }
        }
    }

    /// Blocks until link notifications arrive; returns how many messages came.
    pub fn wait_for_link_events(&mut self) -> Result<usize, RtnlError> {
        self.ch.wait_messages()
    }

    /// The receive buffer's current size.
    pub fn buffer_len(&self) -> usize {
        self.ch.buffer_len()
    }

    /// Dumps every link with its VF list; redone if the kernel flags it as interrupted.
    pub fn dump_links(&mut self) -> Result<LinkDump, RtnlError> {
        self.dump_links_masked(nl::RTEXT_FILTER_VF)
    }

    /// Every link's configuration, VF lists included, without per-VF counters
    /// (`RTEXT_FILTER_SKIP_STATS` drops `IFLA_VF_STATS`, so the drivers' `ndo_get_vf_stats` is
    /// not called and a VF list wraps its 16-bit length later; `IFLA_STATS64` is always sent):
    /// for the reads just before and after a change.
    pub fn dump_config(&mut self) -> Result<LinkDump, RtnlError> {
        self.dump_links_masked(nl::RTEXT_FILTER_VF | nl::RTEXT_FILTER_SKIP_STATS)
    }

    fn dump_links_masked(&mut self, mask: u32) -> Result<LinkDump, RtnlError> {
        self.ch.dump(|ch| {
            let seq = ch.next_seq();
            let ext_mask = build_attr(Ifla::ExtMask, mask.to_ne_bytes().to_vec())?;
            ch.send(&link_request(Rtm::Getlink, NlmF::REQUEST | NlmF::DUMP, 0, vec![ext_mask], seq)?)?;
            let mut dump = LinkDump::default();
            let complete = ch.collect_dump(seq, |kind, payload| {
                if u32::from(kind) != nl::RTM_NEWLINK as u32 {
                    dump.malformed += u64::from(kind == 0);
                    return;
                }
                match parse_link(payload) {
                    Ok(link) => {
                        dump.malformed += link.malformed;
                        dump.unknown += link.unknown;
                        dump.links.push(link);
                    }
                    Err(_) => dump.malformed += 1,
                }
            })?;
            Ok(complete.then_some(dump))
        })
    }

    /// One link by ifindex (with its VF list), without dumping every link.
    pub fn get_link(&mut self, ifindex: u32) -> Result<LinkMessage, RtnlError> {
        let seq = self.ch.next_seq();
        let ext_mask = build_attr(Ifla::ExtMask, nl::RTEXT_FILTER_VF.to_ne_bytes().to_vec())?;
        self.ch.send(&link_request(Rtm::Getlink, NlmF::REQUEST, ifindex as i32, vec![ext_mask], seq)?)?;
        let mut link = None;
        self.ch.collect_reply(seq, |payload| link = parse_link(payload).ok())?;
        link.ok_or(RtnlError::Build(format!("no link message for ifindex {ifindex}")))
    }

    /// The 64-bit counters of every link (`RTM_GETSTATS`, `IFLA_STATS_LINK_64` only): far less
    /// for the kernel to fill than a link dump.
    pub fn dump_stats64(&mut self) -> Result<HashMap<u32, Counters>, RtnlError> {
        // struct if_stats_msg: family, pad1, pad2, ifindex, filter_mask
        let mut request = [0u8; 12];
        let filter = 1u32 << (nl::IFLA_STATS_LINK_64 as u32 - 1);
        request[8..12].copy_from_slice(&filter.to_ne_bytes());
        self.ch.dump_raw(
            nl::RTM_GETSTATS as u16,
            &request,
            |stats: &mut HashMap<u32, Counters>, kind, payload| {
                if u32::from(kind) == nl::RTM_NEWSTATS as u32
                    && let Some(entry) = parse_stats(payload)
                {
                    stats.insert(entry.0, entry.1);
                }
            },
        )
    }

    /// Every netdev's IPv4 and IPv6 addresses, by ifindex (`RTM_GETADDR`).
    pub fn dump_addresses(&mut self) -> Result<HashMap<u32, Vec<std::net::IpAddr>>, RtnlError> {
        // struct ifaddrmsg: family (AF_UNSPEC: both), prefixlen, flags, scope, index.
        self.ch.dump_raw(nl::RTM_GETADDR as u16, &[0u8; 8], |addresses, kind, payload| {
            if u32::from(kind) == nl::RTM_NEWADDR as u32 {
                super::sockets::parse_addr(payload, addresses);
            }
        })
    }

    /// Sets one VF's min and max transmit rate (Mbit/s) and waits for the kernel's answer.
    pub fn set_vf_rate(&mut self, ifindex: u32, vf: u32, min: u32, max: u32) -> Result<(), RtnlError> {
        let mut vf_info = Vec::new();
        push_nested(&mut vf_info, nl::IFLA_VF_INFO as u16, |b| {
            let rate: Vec<u8> = [vf, min, max].iter().flat_map(|v| v.to_ne_bytes()).collect();
            push_attr(b, nl::IFLA_VF_RATE as u16, &rate);
        });
        let list = build_attr(Ifla::VfinfoList, vf_info)?;
        let seq = self.ch.next_seq();
        self.ch.send(&link_request(
            Rtm::Setlink,
            NlmF::REQUEST | NlmF::ACK,
            ifindex as i32,
            vec![list],
            seq,
        )?)?;
        self.ch.wait_ack(seq)
    }
}

/// Parses one `RTM_NEWSTATS`: (ifindex, counters) from `IFLA_STATS_LINK_64`.
pub fn parse_stats(payload: &[u8]) -> Option<(u32, Counters)> {
    let ifindex = u32_at(payload, 4)?;
    let attr =
        super::attr::Attrs::new(payload.get(12..)?).find(|a| a.kind == nl::IFLA_STATS_LINK_64 as u16)?;
    Some((ifindex, super::link::stats64(attr.payload)?))
}

/// An `ifinfomsg` request built with neli.
fn link_request(
    kind: Rtm,
    flags: NlmF,
    ifindex: i32,
    attrs: Vec<neli::rtnl::Rtattr<Ifla, Buffer>>,
    seq: u32,
) -> Result<neli::nl::Nlmsghdr<Rtm, neli::rtnl::Ifinfomsg>, RtnlError> {
    let ifinfo = IfinfomsgBuilder::default()
        .ifi_family(RtAddrFamily::Unspecified)
        .ifi_type(Arphrd::from(0))
        .ifi_index(ifindex)
        .ifi_flags(Iff::empty())
        .ifi_change(Iff::empty())
        .rtattrs(attrs.into_iter().collect::<RtBuffer<_, _>>())
        .build()
        .map_err(|e| RtnlError::Build(e.to_string()))?;
    NlmsghdrBuilder::default()
        .nl_type(kind)
        .nl_flags(flags)
        .nl_seq(seq)
        .nl_payload(NlPayload::Payload(ifinfo))
        .build()
        .map_err(|e| RtnlError::Build(e.to_string()))
}

fn build_attr(kind: Ifla, payload: Vec<u8>) -> Result<neli::rtnl::Rtattr<Ifla, Buffer>, RtnlError> {
    RtattrBuilder::default()
        .rta_type(kind)
        .rta_payload(Buffer::from(payload))
        .build()
        .map_err(|e| RtnlError::Build(e.to_string()))
}

/// Reads `NLMSG_ERROR`: `None` for an ACK (error 0), else the errno and extack message.
pub fn kernel_error(payload: &[u8], flags: u16) -> Option<KernelError> {
    let code = u32_at(payload, 0)? as i32;
    if code == 0 {
        return None;
    }
    let flags = u32::from(flags);
    let echoed = if flags & nl::NLM_F_CAPPED != 0 {
        NLMSG_HDR_LEN
    } else {
        u32_at(payload, 4).map(|l| l as usize).unwrap_or(NLMSG_HDR_LEN)
    };
    let extack = (flags & nl::NLM_F_ACK_TLVS != 0)
        .then(|| payload.get(4 + super::attr::align4(echoed)..))
        .flatten()
        .and_then(|tlvs| {
            super::attr::Attrs::new(tlvs)
                .find(|a| a.kind == nl::nlmsgerr_attrs::NLMSGERR_ATTR_MSG as u16)
                .and_then(|a| a.string())
        })
        .filter(|m| !m.is_empty());
    Some(KernelError { errno: code.saturating_neg(), extack })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_payload(code: i32, extack: Option<&str>) -> (Vec<u8>, u16) {
        let mut p = code.to_ne_bytes().to_vec();
        p.extend_from_slice(&[16, 0, 0, 0, 19, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0]); // echoed header
        let mut flags = nl::NLM_F_CAPPED;
        if let Some(m) = extack {
            let mut text = m.as_bytes().to_vec();
            text.push(0);
            super::super::attr::push_attr(&mut p, nl::nlmsgerr_attrs::NLMSGERR_ATTR_MSG as u16, &text);
            flags |= nl::NLM_F_ACK_TLVS;
        }
        (p, flags as u16)
    }

    #[test]
    fn ack_error_and_extack() {
        let (p, f) = error_payload(0, None);
        assert_eq!(kernel_error(&p, f), None);
        let (p, f) = error_payload(-libc::EINVAL, Some("VF rate out of range"));
        let e = kernel_error(&p, f).unwrap();
        assert_eq!((e.errno, e.extack.as_deref()), (libc::EINVAL, Some("VF rate out of range")));
        assert!(e.to_string().ends_with(": VF rate out of range"), "{e}");
    }

    #[test]
    fn hostile_error_codes_do_not_panic() {
        // Found by the fuzzer: i32::MIN cannot be negated.
        let (p, f) = error_payload(i32::MIN, None);
        assert_eq!(kernel_error(&p, f).unwrap().errno, i32::MAX);
        assert_eq!(kernel_error(&[1, 2], 0), None);
    }
}
