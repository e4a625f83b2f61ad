//! Netlink wire format: message headers and attributes, read without panicking on any input.

/// `struct nlmsghdr` is 16 bytes; attributes and messages are 4-byte aligned.
pub const NLMSG_HDR_LEN: usize = 16;
pub const RTA_HDR_LEN: usize = 4;
const NLA_TYPE_MASK: u16 = 0x3fff;

pub fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Reads a native-endian integer at `offset`, if the bytes are there.
pub fn u16_at(b: &[u8], offset: usize) -> Option<u16> {
    b.get(offset..offset + 2).map(|s| u16::from_ne_bytes([s[0], s[1]]))
}

pub fn u32_at(b: &[u8], offset: usize) -> Option<u32> {
    b.get(offset..offset + 4).map(|s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

pub fn u64_at(b: &[u8], offset: usize) -> Option<u64> {
    let s = b.get(offset..offset + 8)?;
    Some(u64::from_ne_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
}

/// One netlink message: header fields and payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub payload: &'a [u8],
}

/// Iterates the messages in one datagram; stops at the first malformed header.
pub struct Messages<'a> {
    rest: &'a [u8],
    pub malformed: bool,
}

impl<'a> Messages<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Messages { rest: buf, malformed: false }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Message<'a>;

    fn next(&mut self) -> Option<Message<'a>> {
        if self.rest.len() < NLMSG_HDR_LEN {
            self.malformed |= !self.rest.is_empty();
            return None;
        }
        let len = u32_at(self.rest, 0)? as usize;
        if len < NLMSG_HDR_LEN || len > self.rest.len() {
            self.malformed = true;
            self.rest = &[];
            return None;
        }
        let message = Message {
            kind: u16_at(self.rest, 4)?,
            flags: u16_at(self.rest, 6)?,
            seq: u32_at(self.rest, 8)?,
            payload: &self.rest[NLMSG_HDR_LEN..len],
        };
        self.rest = self.rest.get(align4(len)..).unwrap_or(&[]);
        Some(message)
    }
}

/// One attribute: type (without the nested/byte-order flags) and payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'a> {
    pub kind: u16,
    pub payload: &'a [u8],
}

impl<'a> Attr<'a> {
    pub fn u32(&self) -> Option<u32> {
        (self.payload.len() >= 4).then(|| u32_at(self.payload, 0)).flatten()
    }

    pub fn u64(&self) -> Option<u64> {
        (self.payload.len() >= 8).then(|| u64_at(self.payload, 0)).flatten()
    }

    /// A NUL-terminated string attribute.
    pub fn string(&self) -> Option<String> {
        let end = self.payload.iter().position(|&b| b == 0).unwrap_or(self.payload.len());
        std::str::from_utf8(&self.payload[..end]).ok().map(str::to_string)
    }

    pub fn nested(&self) -> Attrs<'a> {
        Attrs::new(self.payload)
    }
}

/// Iterates attributes; a malformed one ends the walk and sets `malformed` (the walk stays
/// at the malformed attribute, so `offset` says where it is).
pub struct Attrs<'a> {
    buf: &'a [u8],
    rest: &'a [u8],
    pub malformed: bool,
}

impl<'a> Attrs<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Attrs { buf, rest: buf, malformed: false }
    }

    /// Bytes of the buffer walked so far: where the next attribute starts.
    pub fn offset(&self) -> usize {
        self.buf.len() - self.rest.len()
    }

    /// Continues the walk at `offset` (clamped to the buffer).
    pub fn seek(&mut self, offset: usize) {
        self.rest = self.buf.get(offset..).unwrap_or(&[]);
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        if self.rest.len() < RTA_HDR_LEN {
            // Trailing bytes shorter than a header (other than alignment padding) are malformed.
            self.malformed |= self.rest.iter().any(|&b| b != 0);
            return None;
        }
        let len = u16_at(self.rest, 0)? as usize;
        let kind = u16_at(self.rest, 2)? & NLA_TYPE_MASK;
        if len < RTA_HDR_LEN || len > self.rest.len() {
            self.malformed = true;
            return None;
        }
        let attr = Attr { kind, payload: &self.rest[RTA_HDR_LEN..len] };
        self.rest = self.rest.get(align4(len)..).unwrap_or(&[]);
        Some(attr)
    }
}

/// Appends one attribute (header, payload, padding) to `out`.
pub fn push_attr(out: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    let len = RTA_HDR_LEN + payload.len();
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(align4(out.len()), 0);
}

/// Appends a nested attribute whose body `fill` writes.
pub fn push_nested(out: &mut Vec<u8>, kind: u16, fill: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&(kind | 0x8000).to_ne_bytes());
    fill(out);
    let len = (out.len() - start) as u16;
    out[start..start + 2].copy_from_slice(&len.to_ne_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_attributes_and_nests() {
        let mut buf = Vec::new();
        push_attr(&mut buf, 3, b"eth0\0");
        push_nested(&mut buf, 22, |b| push_attr(b, 1, &7u32.to_ne_bytes()));
        let mut walk = Attrs::new(&buf);
        let attrs: Vec<_> = walk.by_ref().collect();
        assert_eq!(walk.offset(), buf.len());
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0].string().as_deref(), Some("eth0"));
        assert_eq!(attrs[1].kind, 22);
        assert_eq!(attrs[1].nested().next().unwrap().u32(), Some(7));
    }

    #[test]
    fn malformed_lengths_stop_without_panic() {
        for bytes in [&[0xff, 0xff, 1, 0, 9][..], &[2, 0, 1, 0], &[8, 0, 1, 0, 1], &[1]] {
            let mut it = Attrs::new(bytes);
            assert!(it.by_ref().count() <= 1);
            assert!(it.malformed, "{bytes:?}");
            assert!(it.next().is_none(), "a malformed walk stays ended");
        }
        let mut it = Attrs::new(&[8, 0, 1, 0, 1, 2, 3, 4, 0xff, 0xff, 1, 0]);
        assert_eq!(it.by_ref().count(), 1);
        assert_eq!(it.offset(), 8, "stops at the malformed attribute");
        let mut m = Messages::new(&[40, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(m.next().is_none());
        assert!(m.malformed);
    }

    #[test]
    fn short_integers_are_none() {
        let a = Attr { kind: 1, payload: &[1, 2] };
        assert_eq!(a.u32(), None);
        assert_eq!(a.u64(), None);
    }
}
