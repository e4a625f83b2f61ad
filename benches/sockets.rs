//! The cost of a VF's top talkers with 10 000 sockets (5 000 loopback TCP connections held by
//! this process; not run in CI): one sock_diag pass over all of them (TCP and UDP, IPv4 and
//! IPv6, with `tcp_info`), the pass a sample makes — filtered in the kernel to the VF's
//! address, whose 21 sockets are among the 10 000 —, the `/proc/*/fd` pass that maps sockets to processes (done only when a socket's
//! process is unknown, at most every 2 s), and — what an operator would run instead —
//! `ss -tinp` over the same sockets. `cargo bench --bench sockets`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use vftop::source::kernel::sockets::SockDiag;
use vftop::source::owners::procs::FdTable;

const CONNECTIONS: usize = 5_000;

fn bench(c: &mut Criterion) {
    // `cargo test --all-targets` runs benches once as tests: this one's setup is a bench's, not
    // a test's (CI stays out of it).
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("SKIPPED: run with cargo bench");
        return;
    }
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    let want = (2 * CONNECTIONS as u64 + 256).min(hard);
    setrlimit(Resource::RLIMIT_NOFILE, want, hard).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let pairs: Vec<(TcpStream, TcpStream)> = (0..CONNECTIONS)
        .map(|_| {
            let client = TcpStream::connect(addr).unwrap();
            let (server, _) = listener.accept().unwrap();
            (client, server)
        })
        .collect();
    // A VF's own: 10 connections on another address, among the 10 000.
    let vf_listener = TcpListener::bind("127.0.0.2:0").unwrap();
    let vf_pairs: Vec<(TcpStream, TcpStream)> = (0..10)
        .map(|_| {
            let client = TcpStream::connect(vf_listener.local_addr().unwrap()).unwrap();
            (client, vf_listener.accept().unwrap().0)
        })
        .collect();
    let vf_address: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let mut diag = SockDiag::open().unwrap();
    let seen = diag.dump().unwrap().len();
    assert!(seen >= 2 * CONNECTIONS, "sock_diag saw {seen} sockets");
    let mut group = c.benchmark_group("sockets");
    group.sample_size(20);
    group.bench_function("sock_diag: every TCP and UDP socket with tcp_info (10 000)", |b| {
        b.iter(|| diag.dump().unwrap())
    });
    group.bench_function("sock_diag filtered to a VF's address: its 21 sockets among 10 000", |b| {
        b.iter(|| diag.dump_on(&[], &[vf_address]).unwrap())
    });
    group.bench_function("/proc/*/fd: sockets to processes (10 000 fds)", |b| {
        b.iter(|| FdTable::read(Path::new("/")))
    });
    group.bench_function("ss -tin (the same sockets, no processes)", |b| {
        b.iter(|| {
            let out = Command::new("ss").args(["-tin"]).output().unwrap();
            assert!(out.status.success());
        })
    });
    group.bench_function("ss -tinp (the same sockets)", |b| {
        b.iter(|| {
            let out = Command::new("ss").args(["-tinp"]).output().unwrap();
            assert!(out.status.success());
        })
    });
    group.finish();
    drop((pairs, vf_pairs));
}

criterion_group!(benches, bench);
criterion_main!(benches);
