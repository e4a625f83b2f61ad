//! Fuzzes the netlink message walker and the link/VF parser with arbitrary bytes: they must
//! never panic, and every VF they return must be one the input listed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vftop::source::kernel::attr::Messages;
use vftop::source::kernel::link::parse_link;
use vftop::source::kernel::rtnl::kernel_error;

fuzz_target!(|data: &[u8]| {
    if let Ok(link) = parse_link(data) {
        assert!(link.vfs.len() <= data.len() / 8);
    }
    for message in Messages::new(data) {
        let _ = parse_link(message.payload);
        let _ = kernel_error(message.payload, message.flags);
    }
});
