//! Times the parts of one kernel sample in the current namespace (dump alone vs whole sample).
//! Used by tests/bench/compare-ip.sh investigations; prints microseconds.

use std::sync::Arc;
use std::time::Instant;
use vftop::source::kernel::rtnl::Rtnl;
use vftop::source::kernel::{KernelSource, LinkFilter};
use vftop::source::{Source, SystemClock};

fn main() {
    let mut rtnl = Rtnl::open().expect("netlink");
    let mut source = KernelSource::open(
        LinkFilter { interfaces: vec![], all_links: true },
        Arc::new(SystemClock::default()),
    )
    .expect("kernel source");
    source.sample().expect("warm-up sample");
    for _ in 0..5 {
        let t = Instant::now();
        let dump = rtnl.dump_links().expect("dump");
        let dump_us = t.elapsed().as_micros();
        let t = Instant::now();
        source.sample().expect("sample");
        println!("links {} dump {dump_us} us, full sample {} us", dump.links.len(), t.elapsed().as_micros());
    }
}
