//! The link/VF parser on kernel-shaped messages: 1, 64, 128 and 256 (truncated) VFs, and
//! malformed input at every length.

use vftop::model::{CounterOrigin, MacAddr, Mbps, VfLinkState};
use vftop::source::kernel::attr::Messages;
use vftop::source::kernel::fixture::{VfSpec, dump, pf_payload};
use vftop::source::kernel::link::parse_link;

fn check_pf(num_vf: u32) -> vftop::source::kernel::link::LinkMessage {
    let link = parse_link(&pf_payload(7, "ens1f0", num_vf)).unwrap();
    assert_eq!((link.ifindex, link.name.as_str(), link.num_vf), (7, "ens1f0", Some(num_vf)));
    assert_eq!(link.parent_dev.as_deref(), Some("0000:3b:00.0"));
    assert_eq!((link.malformed, link.unknown), (0, 0));
    let stats = link.stats64.unwrap();
    assert_eq!((stats.rx_packets, stats.tx_packets, stats.rx_bytes, stats.tx_bytes), (7, 1007, 2007, 3007));
    for vf in &link.vfs {
        let want = VfSpec::numbered(vf.index);
        assert_eq!(vf.mac, MacAddr(want.mac()));
        assert_eq!(u32::from(vf.vlan), want.vlan);
        assert_eq!((vf.rate.min, vf.rate.max), (Mbps(want.min), Mbps(want.max)));
        assert_eq!(vf.legacy_tx_rate, Mbps(want.max));
        assert_eq!((vf.spoofchk, vf.trust, vf.link_state), (Some(true), Some(false), VfLinkState::Auto));
        assert_eq!((vf.counters.tx_bytes, vf.counters.rx_bytes), (want.tx_bytes, want.rx_bytes));
        assert_eq!((vf.counters.broadcast, vf.counters.multicast), (1, 2));
        assert_eq!((vf.counters.rx_dropped, vf.counters.tx_dropped), (3, 4));
        assert_eq!(vf.counters.origin, CounterOrigin::VfStats);
    }
    let indices: Vec<u32> = link.vfs.iter().map(|v| v.index).collect();
    assert_eq!(indices, (0..link.vfs.len() as u32).collect::<Vec<_>>());
    link
}

#[test]
fn one_vf() {
    let link = check_pf(1);
    assert_eq!(link.vfs.len(), 1);
    assert!(!link.vfs_truncated);
}

#[test]
fn sixty_four_vfs() {
    let link = check_pf(64);
    assert_eq!(link.vfs.len(), 64);
    assert!(!link.vfs_truncated);
}

#[test]
fn one_hundred_twenty_eight_vfs_exceed_32k() {
    let payload = pf_payload(7, "ens1f0", 128);
    assert!(payload.len() > 32 * 1024, "the message no longer fits neli's default buffer");
    let link = check_pf(128);
    assert_eq!(link.vfs.len(), 128);
    assert!(!link.vfs_truncated);
}

#[test]
fn two_hundred_fifty_six_vfs_are_truncated_and_flagged() {
    let link = check_pf(256);
    assert!(link.vfs.len() < 256 && link.vfs.len() > 150, "{}", link.vfs.len());
    assert!(link.vfs_truncated);
}

#[test]
fn dump_of_several_pfs_parses_in_order() {
    let bytes = dump(8, 64, 42);
    let messages: Vec<_> = Messages::new(&bytes).collect();
    assert_eq!(messages.len(), 9);
    let names: Vec<String> = messages[..8].iter().map(|m| parse_link(m.payload).unwrap().name).collect();
    assert_eq!(names, (0..8).map(|i| format!("ens{i}f0")).collect::<Vec<_>>());
    assert!(messages.iter().all(|m| m.seq == 42));
}

#[test]
fn every_truncation_of_a_message_parses_without_panic() {
    let payload = pf_payload(3, "eth0", 3);
    for len in 0..payload.len() {
        let cut = &payload[..len];
        match parse_link(cut) {
            Err(_) => assert!(len < 16),
            Ok(link) => {
                assert!(link.vfs.len() <= 3);
                if len < payload.len() - 4 && link.vfs.len() < 3 {
                    assert!(link.malformed > 0 || link.vfs_truncated || link.num_vf.is_none(), "len {len}");
                }
            }
        }
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let payload = pf_payload(3, "eth0", 4);
    let mut state = 0x2545_f491_u32;
    for _ in 0..2000 {
        let mut bytes = payload.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let at = state as usize % bytes.len();
            bytes[at] = (state >> 8) as u8;
        }
        let _ = parse_link(&bytes);
        let _ = Messages::new(&bytes).count();
    }
}

#[test]
fn unknown_attributes_are_skipped() {
    let mut payload = pf_payload(3, "eth0", 2);
    vftop::source::kernel::attr::push_attr(&mut payload, 0x3ffe, b"future attribute");
    let link = parse_link(&payload).unwrap();
    assert_eq!(link.vfs.len(), 2);
    assert_eq!((link.malformed, link.unknown), (0, 1), "skipped and counted as unknown");
}
