//! Network namespaces for real-kernel tests: made with iproute2, entered per thread with setns.
#![allow(dead_code)]

use std::process::Command;

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

pub fn have_ip() -> bool {
    Command::new("ip").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// Whether `program` is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether this machine can run the namespace tests; says why not otherwise.
pub fn netns_available() -> Result<(), String> {
    if !is_root() {
        return Err("needs root to create network namespaces".into());
    }
    if !have_ip() {
        return Err("iproute2 (ip) is not installed".into());
    }
    Ok(())
}

/// A named network namespace, deleted on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        let name = format!("vftop-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        run("ip", &["netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME ARGS…`, panicking with stderr on failure.
    pub fn ip(&self, args: &[&str]) -> String {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// `ip netns exec NAME PROGRAM ARGS…` and its output.
    pub fn exec(&self, program: &str, args: &[&str]) -> std::process::Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name, program])
            .args(args)
            .output()
            .expect("ip netns exec")
    }

    /// Runs `f` on a thread that has entered this namespace (netlink and ioctl sockets made
    /// there belong to it).
    pub fn run_in<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        self.spawn_in(f).join().expect("namespace thread panicked")
    }

    /// Like `run_in`, but returns at once: the test talks to the thread while it runs.
    pub fn spawn_in<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::thread::JoinHandle<T> {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let file = std::fs::File::open(&path).expect("open netns file");
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            f()
        })
    }

    /// `ip -j -s link show` parsed: name → (tx_bytes, rx_bytes, tx_packets, rx_packets).
    pub fn kernel_counters(&self) -> std::collections::HashMap<String, [u64; 4]> {
        let text = self.ip(&["-j", "-s", "link", "show"]);
        let links: serde_json::Value = serde_json::from_str(&text).expect("ip -j output");
        links
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let s = &l["stats64"];
                let n = |dir: &str, f: &str| s[dir][f].as_u64().unwrap_or(0);
                let name = l["ifname"].as_str().unwrap().to_string();
                (name, [n("tx", "bytes"), n("rx", "bytes"), n("tx", "packets"), n("rx", "packets")])
            })
            .collect()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
    }
}

pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Sends `count` UDP datagrams of `size` bytes from the current thread's namespace to
/// `dest` (an IPv6 link-local address with scope, e.g. `fe80::b%va`).
pub fn send_udp(dest_ip: &str, ifname: &str, count: usize, size: usize) {
    use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};
    let scope = nix_if_index(ifname);
    let addr: Ipv6Addr = dest_ip.parse().unwrap();
    let socket = UdpSocket::bind("[::]:0").expect("bind udp");
    let payload = vec![0x5a; size];
    for _ in 0..count {
        // A full socket buffer is fine to retry; anything else is a test failure.
        loop {
            match socket.send_to(&payload, SocketAddrV6::new(addr, 9, 0, scope)) {
                Ok(_) => break,
                Err(e)
                    if e.raw_os_error() == Some(libc::ENOBUFS)
                        || e.kind() == std::io::ErrorKind::WouldBlock =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(1))
                }
                Err(e) => panic!("send_to: {e}"),
            }
        }
    }
}

fn nix_if_index(name: &str) -> u32 {
    nix::net::if_::if_nametoindex(name)
        .unwrap_or_else(|e| panic!("no interface {name} in this namespace: {e}"))
}

/// Drops CAP_NET_ADMIN from this thread's effective capabilities.
pub fn drop_net_admin() {
    caps::drop(None, caps::CapSet::Effective, caps::Capability::CAP_NET_ADMIN).expect("capset");
}
