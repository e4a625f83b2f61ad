//! The kernel log (`/dev/kmsg`): what a driver wrote while it refused a change
//! (`ndo_set_vf_rate` has no extended ACK, so its reason goes there), and its lines about VFs.

use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;

/// One record is at most `PRINTK_MESSAGE_MAX` (2048 bytes, kernel/printk/internal.h since
/// 6.2; `CONSOLE_EXT_LOG_MAX`, 8 KiB, before): `devkmsg_read` (kernel/printk/printk.c) formats
/// a record into a buffer of that size and refuses a read smaller than the record with EINVAL.
/// The older, larger bound serves both.
const RECORD_MAX: usize = 8 * 1024;

/// One kernel log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsgLine {
    /// Syslog level, 0 (emerg) to 7 (debug).
    pub level: u8,
    pub seq: u64,
    pub text: String,
    /// The device it is about (`DEVICE=+pci:0000:3b:00.0` → `0000:3b:00.0`), where said.
    pub device: Option<String>,
}

/// Parses one `/dev/kmsg` record: `prefix,seq,micros,flags[,…];text\n` then ` KEY=value` lines.
pub fn parse_record(record: &[u8]) -> Option<KmsgLine> {
    let text = String::from_utf8_lossy(record);
    let (head, rest) = text.split_once(';')?;
    let mut fields = head.split(',');
    let prefix: u32 = fields.next()?.parse().ok()?;
    let seq = fields.next()?.parse().ok()?;
    let mut lines = rest.split('\n');
    let message = lines.next()?.to_string();
    let device = lines
        .filter_map(|l| l.strip_prefix(" DEVICE="))
        .next()
        .map(|d| d.trim_start_matches('+').split_once(':').map_or(d, |(_, id)| id).to_string());
    Some(KmsgLine { level: (prefix & 7) as u8, seq, text: unescape(&message), device })
}

/// Non-printable bytes are written `\xNN`.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\\x") {
        out.push_str(&rest[..at]);
        let hex = rest.get(at + 2..at + 4).and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) if b.is_ascii() => {
                out.push(char::from(b));
                rest = &rest[at + 4..];
            }
            _ => {
                out.push_str("\\x");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A reader positioned at the end of the log: it sees only what is written from now on.
pub struct Kmsg {
    file: std::fs::File,
    buf: Vec<u8>,
}

impl Kmsg {
    /// `None` where `/dev/kmsg` cannot be read (no permission: `kernel.dmesg_restrict`, or a
    /// container without it).
    pub fn open() -> Option<Kmsg> {
        let mut file =
            std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open("/dev/kmsg").ok()?;
        file.seek(SeekFrom::End(0)).ok()?;
        Some(Kmsg { file, buf: vec![0; RECORD_MAX] })
    }

    /// Forgets everything written so far.
    pub fn skip_to_end(&mut self) {
        let _ = self.file.seek(SeekFrom::End(0));
    }

    /// The lines written since the last read.
    pub fn read_new(&mut self) -> Vec<KmsgLine> {
        let mut lines = Vec::new();
        loop {
            match self.file.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => lines.extend(parse_record(&self.buf[..n])),
                // EPIPE: records were overwritten before they were read; go on with the next.
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    tracing::debug!("/dev/kmsg: {e}");
                    break;
                }
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_with_level_text_and_device() {
        let r = b"3,1234,5678901,-;igb 0000:00:03.0: VF 1 attempted to override administratively set MAC address\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:03.0\n";
        let line = parse_record(r).unwrap();
        assert_eq!(line.level, 3);
        assert_eq!(line.seq, 1234);
        assert!(line.text.ends_with("administratively set MAC address"));
        assert_eq!(line.device.as_deref(), Some("0000:00:03.0"));
        let plain = parse_record(b"11,7,1,-;netdevsim: Not supported in switchdev mode.\\x0a\n").unwrap();
        assert_eq!((plain.level, plain.device), (3, None));
        assert_eq!(plain.text, "netdevsim: Not supported in switchdev mode.\n");
    }

    #[test]
    fn garbage_is_no_line() {
        assert_eq!(parse_record(b""), None);
        assert_eq!(parse_record(b"no header"), None);
        assert_eq!(parse_record(b"x,1,2,-;text"), None);
        assert!(parse_record(b"6,1,2,-;bad \\xZZ escape").unwrap().text.contains("\\xZZ"));
    }
}
