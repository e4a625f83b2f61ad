//! The cost of finding VF netdevs in other network namespaces, with 100 namespaces (root;
//! not run in CI). Two figures: a search of every namespace (what a sample does while some VF's
//! netdev is missing, at most every 5 s), and the steady state once 100 namespaces each hold a
//! VF netdev (one `RTM_GETSTATS` dump through a socket inside each, every sample).
//! `cargo bench --bench netns`; the sample it adds to is `tests/bench/compare-ip.sh`'s.

use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use vftop::source::kernel::netns::{Namespaces, open_inside};

const NAMESPACES: usize = 100;

fn ip(args: &[&str]) {
    let ok = Command::new("ip").args(args).status().is_ok_and(|s| s.success());
    assert!(ok, "ip {}", args.join(" "));
}

fn bench(c: &mut Criterion) {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED: the netns bench needs root");
        return;
    }
    let names: Vec<String> = (0..NAMESPACES).map(|i| format!("vftop-bench-ns{i}")).collect();
    for name in &names {
        ip(&["netns", "add", name]);
        ip(&["-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    }
    let missing: HashSet<String> = ["0000:ff:1f.7".to_string()].into();
    let mut group = c.benchmark_group("netns");
    group.sample_size(20);
    let mut namespaces = Namespaces::default();
    group.bench_function("search 100 namespaces for a missing VF netdev", |b| {
        b.iter(|| namespaces.scan(&missing))
    });
    let mut sockets: Vec<_> =
        names.iter().filter_map(|n| open_inside(&Path::new("/run/netns").join(n))).collect();
    assert_eq!(sockets.len(), NAMESPACES);
    group.bench_function("counters from 100 namespaces (one GETSTATS dump each)", |b| {
        b.iter(|| sockets.iter_mut().map(|s| s.dump_stats64().map(|m| m.len()).unwrap_or(0)).sum::<usize>())
    });
    group.finish();
    drop(sockets);
    for name in &names {
        ip(&["netns", "del", name]);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
