//! The link/VF parser on kernel-shaped messages: 1, 64, 128 and 256 (truncated) VFs, VF lists
//! whose 16-bit length wrapped (223, 250, 256, 512 VFs) and malformed input at every length.

use vftop::model::{CounterOrigin, MacAddr, Mbps, VfLinkState};
use vftop::source::kernel::attr::Messages;
use vftop::source::kernel::fixture::{VfSpec, dump, pf_payload, pf_payload_wrapped};
use vftop::source::kernel::link::parse_link;

fn check_pf(num_vf: u32) -> vftop::source::kernel::link::LinkMessage {
    check_payload(&pf_payload(7, "ens1f0", num_vf), num_vf)
}

/// Checks every field of every VF the parser returned, and the attribute after the list.
fn check_payload(payload: &[u8], num_vf: u32) -> vftop::source::kernel::link::LinkMessage {
    let link = parse_link(payload).unwrap();
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
                    // Cut before its VF list, a message says what a representor's does: no VF
                    // info (IFLA_NUM_VF without IFLA_VFINFO_LIST), not a short list.
                    let flagged = link.malformed > 0 || link.vfs_truncated || !link.vf_list;
                    assert!(flagged || link.num_vf.is_none(), "len {len}");
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

/// The declared length of the payload's `IFLA_VFINFO_LIST` and the list's real size.
fn list_lengths(payload: &[u8]) -> (usize, usize) {
    let mut attrs = vftop::source::kernel::attr::Attrs::new(&payload[16..]);
    loop {
        let at = attrs.offset();
        let attr = attrs.next().expect("a VF list");
        if attr.kind == linux_raw_sys::netlink::IFLA_VFINFO_LIST as u16 {
            let declared = u16::from_ne_bytes([payload[16 + at], payload[17 + at]]);
            // The parent device name (20 bytes) is the only attribute after the list.
            return (usize::from(declared), payload.len() - 16 - at - 20);
        }
    }
}

#[test]
fn wrapped_vf_lists_are_read_whole() {
    for num_vf in [223, 250, 256, 512] {
        let payload = pf_payload_wrapped(7, "ens1f0", num_vf);
        let (declared, real) = list_lengths(&payload);
        assert!(real > usize::from(u16::MAX) && real % 65_536 == declared, "{num_vf} VFs: the fixture wraps");
        let link = check_payload(&payload, num_vf);
        assert_eq!(link.vfs.len() as u32, num_vf, "{num_vf} VFs");
        assert!(!link.vfs_truncated, "{num_vf} VFs");
    }
}

#[test]
fn a_wrapped_list_that_does_not_add_up_is_flagged_not_guessed() {
    let good = pf_payload_wrapped(7, "ens1f0", 250);
    let (declared, real) = list_lengths(&good);
    let entry_len = (real - 4) / 250;
    let inside = (declared - 4) / entry_len;
    assert_eq!(parse_link(&good).unwrap().vfs.len(), 250);
    // A VF index that does not follow on, past the declared end: recovery stops there, and as
    // the count falls short of IFLA_NUM_VF, only the entries inside the declared list are kept.
    let mut skipped = good.clone();
    let index_of_vf_240 = find_vf_index(&skipped, 240);
    skipped[index_of_vf_240..index_of_vf_240 + 4].copy_from_slice(&241u32.to_ne_bytes());
    // The same list with IFLA_NUM_VF raised: more VFs announced than the message holds.
    let mut announced = good.clone();
    let num_vf_at = find_u32_attr(&announced, linux_raw_sys::netlink::IFLA_NUM_VF as u16);
    announced[num_vf_at..num_vf_at + 4].copy_from_slice(&251u32.to_ne_bytes());
    // A declared length that no number of 64 KiB wraps explains.
    let mut length = good.clone();
    let list_at = 16 + (good.len() - 16 - 20 - list_lengths(&good).1);
    length[list_at..list_at + 2].copy_from_slice(&((declared as u16) - 4).to_ne_bytes());
    // The last VF inside the declared list with the largest index (found by the fuzzer: the
    // next index overflowed).
    let mut last = good.clone();
    let last_inside = find_vf_index(&last, inside as u32 - 1);
    last[last_inside..last_inside + 4].copy_from_slice(&u32::MAX.to_ne_bytes());
    for (what, bytes) in
        [("skipped index", skipped), ("count", announced), ("length", length), ("u32::MAX", last)]
    {
        let link = parse_link(&bytes).unwrap();
        assert!(link.vfs_truncated, "{what}");
        assert_eq!(link.vfs.len(), inside, "{what}: only the entries inside the declared length");
    }
}

#[test]
fn a_vf_the_kernel_left_out_is_unreported_not_truncation_in_short_and_wrapped_lists() {
    use vftop::source::kernel::fixture::{Overflow, pf_payload_with};
    for (num_vf, skipped) in [(8, 5), (240, 200), (240, 0)] {
        let link = parse_link(&pf_payload_with(3, "eth0", num_vf, Overflow::WrapSkipping(skipped))).unwrap();
        assert!(!link.vfs_truncated, "{num_vf} VFs without VF {skipped}: a gap is not a cut");
        assert_eq!(link.vfs.len() as u32, num_vf - 1);
        assert_eq!(link.unreported, vec![skipped], "VF {skipped} not reported this sample");
        assert_eq!(link.malformed, 0);
    }
}

#[test]
fn every_truncation_of_a_wrapped_message_parses_without_panic() {
    let payload = pf_payload_wrapped(3, "eth0", 240);
    for len in (16..payload.len()).step_by(97).chain([payload.len() - 1]) {
        let link = parse_link(&payload[..len]).unwrap();
        assert!(link.vfs.len() < 240 || len >= payload.len() - 20, "len {len}");
        assert!(
            link.vfs_truncated || link.vfs.len() == 240 || !link.vf_list || link.num_vf.is_none(),
            "len {len}"
        );
    }
}

/// Offset of the VF index in VF `vf`'s `IFLA_VF_MAC` (the first attribute of its entry).
fn find_vf_index(payload: &[u8], vf: u32) -> usize {
    let mac = VfSpec::numbered(vf).mac();
    let at = payload.windows(6).position(|w| w == mac).expect("the VF's MAC");
    at - 4
}

/// Offset of the payload of the first top-level u32 attribute `kind`.
fn find_u32_attr(payload: &[u8], kind: u16) -> usize {
    let mut attrs = vftop::source::kernel::attr::Attrs::new(&payload[16..]);
    loop {
        let at = attrs.offset();
        if attrs.next().expect("the attribute").kind == kind {
            return 16 + at + 4;
        }
    }
}

#[test]
fn a_representor_with_num_vf_and_no_vf_list_is_no_truncated_pf() {
    use vftop::source::kernel::fixture::representor_payload;
    let rep =
        vftop::source::kernel::link::parse_link(&representor_payload(12, "eni1np0v1", 4, "pf0vf1")).unwrap();
    assert_eq!(rep.num_vf, Some(4), "the kernel puts IFLA_NUM_VF on it");
    assert!(!rep.vf_list, "but no VF list");
    assert!(!rep.vfs_truncated, "so it is not a truncated PF");
    assert!(rep.vfs.is_empty());
    // A real PF with the same NUM_VF and a list cut short still is.
    let pf = vftop::source::kernel::link::parse_link(&pf_payload(3, "eni1np0", 4)).unwrap();
    assert!(pf.vf_list && !pf.vfs_truncated && pf.vfs.len() == 4);
}

#[test]
fn an_infiniband_pf_is_read_by_dump_only() {
    let mut payload = pf_payload(7, "ib0", 4);
    assert!(!parse_link(&payload).unwrap().dump_only(), "Ethernet (ifi_type 0/1) by ifindex");
    payload[2..4].copy_from_slice(&32u16.to_ne_bytes());
    let link = parse_link(&payload).unwrap();
    assert_eq!(link.kind, vftop::source::kernel::link::ARPHRD_INFINIBAND);
    assert!(link.dump_only());
}

#[test]
fn representors_without_devlink_ports_are_found_by_port_name_and_switch_id() {
    use vftop::source::kernel::fixture::{SWITCH_ID, representor_payload};
    use vftop::source::kernel::link::{representors_by_port_name, vf_port};
    assert_eq!(vf_port("pf0vf3"), Some((0, 3)));
    assert_eq!(vf_port("c1pf2vf17"), Some((2, 17)));
    assert_eq!((vf_port("p0"), vf_port("pf0sf1"), vf_port("pfxvf1")), (None, None, None));
    let mut pf = parse_link(&pf_payload(7, "ens1f0", 4)).unwrap();
    pf.switch_id = Some(SWITCH_ID.to_vec());
    let rep = parse_link(&representor_payload(12, "eni1np0v1", 4, "pf0vf1")).unwrap();
    assert_eq!(rep.port_name.as_deref(), Some("pf0vf1"));
    assert_eq!(rep.switch_id.as_deref(), Some(&SWITCH_ID[..]));
    let mut other = rep.clone();
    other.switch_id = Some(vec![9; 8]);
    other.name = "elsewhere".into();
    let found = representors_by_port_name(&[pf.clone(), rep.clone(), other]);
    assert_eq!(found, vec![(vftop::model::VfKey { pf: "ens1f0".into(), vf: 1 }, "eni1np0v1".to_string())]);
    // Two PFs on one eswitch: the representor's PF number picks the one whose port is pN.
    let mut second = pf.clone();
    second.name = "ens1f1".into();
    second.port_name = Some("p1".into());
    pf.port_name = Some("p0".into());
    let mut on_pf1 = rep.clone();
    on_pf1.port_name = Some("pf1vf2".into());
    let found = representors_by_port_name(&[pf, second, on_pf1]);
    assert_eq!(found, vec![(vftop::model::VfKey { pf: "ens1f1".into(), vf: 2 }, "eni1np0v1".to_string())]);
}
