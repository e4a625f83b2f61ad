//! Fuzzes the ethtool reply parsers (ioctl and netlink) and the kernel log readers with
//! arbitrary bytes: they must never panic, and never return more entries than the reply has
//! room for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vftop::source::kernel::ethtool::{
    ETH_GSTRING_LEN, GSTATS_HEADER, GSTRINGS_HEADER, MAX_STATS, parse_link_handshake, parse_link_speed,
    parse_sset_count, parse_stats, parse_strings,
};

fuzz_target!(|data: &[u8]| {
    let expected = data.first().map_or(0, |b| usize::from(*b));
    if let Ok(names) = parse_strings(data, expected) {
        assert!(names.len() <= data.len().saturating_sub(GSTRINGS_HEADER) / ETH_GSTRING_LEN);
        assert_eq!(names.len(), expected);
    }
    if let Ok(values) = parse_stats(data, expected) {
        assert!(values.len() <= data.len().saturating_sub(GSTATS_HEADER) / 8);
    }
    if let Ok(count) = parse_sset_count(data) {
        assert!(count <= MAX_STATS);
    }
    let _ = parse_link_handshake(data);
    let _ = parse_link_speed(data);
    let _ = vftop::source::kernel::ethtool_nl::parse_pause(data);
    let _ = vftop::source::kernel::ethtool_nl::parse_eth_mac(data);
    if let Some(line) = vftop::source::kernel::kmsg::parse_record(data) {
        assert!(line.level <= 7);
        let _ = vftop::driver::health(&line.text);
    }
    let text = String::from_utf8_lossy(data);
    let _ = vftop::driver::health(&text);
    let _ = vftop::source::kernel::link::vf_port(&text);
});
