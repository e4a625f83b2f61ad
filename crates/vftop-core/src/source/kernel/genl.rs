//! Generic netlink plumbing shared by the devlink and ethtool families (neli): resolving a
//! family by name, requests, dumps, acknowledged commands, and reading a reply's attributes.

use super::attr::{Attr, Attrs, u16_at};
use super::rtnl::{Channel, RtnlError};
use neli::consts::nl::NlmF;
use neli::consts::socket::NlFamily;
use neli::genl::{AttrTypeBuilder, Genlmsghdr, GenlmsghdrBuilder, Nlattr, NlattrBuilder};
use neli::nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder};
use neli::types::{Buffer, GenlBuffer};
use neli::utils::Groups;
use std::collections::HashMap;

/// A generic netlink socket bound to one family.
pub struct Genl {
    ch: Channel,
    family: u16,
}

/// The attributes of a generic netlink message (after its 4-byte header), last one wins.
pub fn attrs_of(payload: &[u8]) -> HashMap<u16, Attr<'_>> {
    Attrs::new(payload.get(4..).unwrap_or(&[])).map(|a| (a.kind, a)).collect()
}

/// One attribute (`nested`: its payload is attributes, flagged `NLA_F_NESTED` as strict
/// families require).
fn build(kind: u16, payload: Vec<u8>, nested: bool) -> Result<Nlattr<u16, Buffer>, RtnlError> {
    let err = |e: &dyn std::fmt::Display| RtnlError::Build(e.to_string());
    NlattrBuilder::default()
        .nla_type(AttrTypeBuilder::default().nla_type(kind).nla_nested(nested).build().map_err(|e| err(&e))?)
        .nla_payload(Buffer::from(payload))
        .build()
        .map_err(|e| err(&e))
}

pub fn attr(kind: u16, payload: Vec<u8>) -> Result<Nlattr<u16, Buffer>, RtnlError> {
    build(kind, payload, false)
}

pub fn nested(kind: u16, payload: Vec<u8>) -> Result<Nlattr<u16, Buffer>, RtnlError> {
    build(kind, payload, true)
}

/// A NUL-terminated string attribute's payload.
pub fn text(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn request(
    family: u16,
    cmd: u8,
    flags: NlmF,
    attrs: Vec<Nlattr<u16, Buffer>>,
    seq: u32,
) -> Result<Nlmsghdr<u16, Genlmsghdr<u8, u16>>, RtnlError> {
    let err = |e: &dyn std::fmt::Display| RtnlError::Build(e.to_string());
    let genl = GenlmsghdrBuilder::default()
        .cmd(cmd)
        .version(1)
        .attrs(attrs.into_iter().collect::<GenlBuffer<_, _>>())
        .build()
        .map_err(|e| err(&e))?;
    NlmsghdrBuilder::default()
        .nl_type(family)
        .nl_flags(flags)
        .nl_seq(seq)
        .nl_payload(NlPayload::Payload(genl))
        .build()
        .map_err(|e| err(&e))
}

impl Genl {
    /// A socket for the family `name`; `Ok(None)` when the kernel has no such family.
    pub fn open(name: &str) -> Result<Option<Genl>, RtnlError> {
        let mut ch = Channel::open(NlFamily::Generic, Groups::empty(), 64 * 1024)?;
        let seq = ch.next_seq();
        let name = attr(libc::CTRL_ATTR_FAMILY_NAME as u16, text(name))?;
        let ctrl = libc::GENL_ID_CTRL as u16;
        ch.send(&request(ctrl, libc::CTRL_CMD_GETFAMILY as u8, NlmF::REQUEST, vec![name], seq)?)?;
        let mut family = None;
        let answer = ch.collect_reply(seq, |payload| {
            let attrs = attrs_of(payload);
            family = attrs.get(&(libc::CTRL_ATTR_FAMILY_ID as u16)).and_then(|a| u16_at(a.payload, 0));
        });
        match answer {
            Ok(()) => Ok(family.map(|family| Genl { ch, family })),
            Err(RtnlError::Kernel(e)) if e.errno == libc::ENOENT => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every answer of a dump of `cmd` (redone when the kernel says it was interrupted).
    pub fn dump(&mut self, cmd: u8) -> Result<Vec<Vec<u8>>, RtnlError> {
        let family = self.family;
        self.ch.dump(|ch| {
            let seq = ch.next_seq();
            ch.send(&request(family, cmd, NlmF::REQUEST | NlmF::DUMP, vec![], seq)?)?;
            let mut payloads = Vec::new();
            let complete = ch.collect_dump(seq, |kind, payload| {
                if kind == family {
                    payloads.push(payload.to_vec());
                }
            })?;
            Ok(complete.then_some(payloads))
        })
    }

    /// The one answer to `cmd`.
    pub fn get(&mut self, cmd: u8, attrs: Vec<Nlattr<u16, Buffer>>) -> Result<Vec<u8>, RtnlError> {
        let seq = self.ch.next_seq();
        self.ch.send(&request(self.family, cmd, NlmF::REQUEST, attrs, seq)?)?;
        let mut answer = Vec::new();
        self.ch.collect_reply(seq, |payload| answer = payload.to_vec())?;
        Ok(answer)
    }

    /// Sends `cmd` and waits for the kernel's acknowledgement.
    pub fn act(&mut self, cmd: u8, attrs: Vec<Nlattr<u16, Buffer>>) -> Result<(), RtnlError> {
        let seq = self.ch.next_seq();
        self.ch.send(&request(self.family, cmd, NlmF::REQUEST | NlmF::ACK, attrs, seq)?)?;
        self.ch.wait_ack(seq)
    }
}
