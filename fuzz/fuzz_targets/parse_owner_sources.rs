//! Fuzzes the readers of owner sources — libvirt's domain XML, the SR-IOV CNI cache's JSON,
//! the kubelet's protobuf answer — and the sock_diag and address parsers, with arbitrary
//! bytes: a bad file is an error or nothing, never a panic, and never an owner of the wrong
//! kind or on something that is not a PCI address.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use vftop::model::owner::{OwnerKind, Transport};
use vftop::source::kernel::sockets::{parse_addr, parse_inet_diag};
use vftop::source::owners::cni::{self, is_pci_address};
use vftop::source::owners::{kubelet, libvirt};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    match which % 4 {
        0 => {
            if let Ok(found) = libvirt::parse(&String::from_utf8_lossy(rest)) {
                assert!(found.iter().all(|(pci, o)| is_pci_address(pci) && o.kind == OwnerKind::Vm));
            }
        }
        1 => {
            let name = "9a5c2b1f7d3e-net1";
            if let Ok((pci, owner)) = cni::parse(name, rest) {
                assert!(is_pci_address(&pci) && owner.kind == OwnerKind::Container);
            }
        }
        2 => {
            if let Ok(answer) = kubelet::ListPodResourcesResponse::decode(rest) {
                let found = kubelet::pod_owners(&answer);
                assert!(found.iter().all(|(pci, o)| is_pci_address(pci) && o.kind == OwnerKind::Pod));
            }
        }
        _ => {
            let _ = parse_inet_diag(rest, Transport::Tcp);
            let _ = parse_inet_diag(rest, Transport::Udp);
            let mut addresses = std::collections::HashMap::new();
            parse_addr(rest, &mut addresses);
        }
    }
});
