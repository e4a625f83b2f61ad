//! Real-kernel tests in network namespaces: link dumps, counters and rates under traffic,
//! topology changes, and the rate-change error paths (EOPNOTSUPP on veth, EPERM).
//! They need root and iproute2; otherwise they print SKIPPED (and fail under VFTOP_REQUIRE_ALL=1).

mod common;

use common::netns::{Netns, drop_net_admin, netns_available, send_udp};
use common::tmux::require;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use vftop::model::{RateChange, RateLimit, VfKey};
use vftop::source::kernel::{KernelSource, LinkFilter};
use vftop::source::{ApplyError, Source, SystemClock};

const BIN: &str = env!("CARGO_BIN_EXE_vftop");

fn available() -> bool {
    let status = netns_available();
    require(status.is_ok(), status.err().as_deref().unwrap_or(""))
}

/// A VF rate change on the veth `va` (which has no VFs: the kernel answers for it).
fn va_change(min: u32, max: u32) -> RateChange {
    RateChange::vf(VfKey { pf: "va".into(), vf: 0 }, RateLimit::default(), RateLimit::new(min, max))
}

fn all_links() -> KernelSource {
    KernelSource::open(LinkFilter { interfaces: vec![], all_links: true }, Arc::new(SystemClock::default()))
        .unwrap()
}

/// A namespace with a veth pair va/vb (up, link-local addresses) and `macvlans` macvlans on va.
fn veth_ns(tag: &str, macvlans: usize) -> Netns {
    let ns = Netns::new(tag);
    ns.ip(&["link", "add", "name", "va", "type", "veth", "peer", "name", "vb"]);
    for i in 0..macvlans {
        ns.ip(&["link", "add", "link", "va", "name", &format!("mv{i}"), "type", "macvlan", "mode", "bridge"]);
    }
    for dev in ["va", "vb"] {
        ns.ip(&["link", "set", dev, "up"]);
    }
    ns.ip(&["addr", "add", "fe80::a/64", "dev", "va", "nodad"]);
    ns.ip(&["addr", "add", "fe80::b/64", "dev", "vb", "nodad"]);
    // Operstate changes are announced later (linkwatch); let them happen before a test
    // subscribes, so they cannot count as topology changes during it.
    for _ in 0..100 {
        let up =
            ["va", "vb"].iter().all(|d| ns.ip(&["-j", "link", "show", d]).contains("\"operstate\":\"UP\""));
        if up {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    ns
}

#[test]
fn dump_parses_every_link() {
    if !available() {
        return;
    }
    let ns = veth_ns("dump", 3);
    let text = ns.ip(&["-j", "link", "show"]);
    let expected: BTreeSet<(String, u64)> = serde_json::from_str::<serde_json::Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["ifname"].as_str().unwrap().to_string(), l["ifindex"].as_u64().unwrap()))
        .filter(|(n, _)| n != "lo")
        .collect();
    let snapshot = ns.run_in(|| all_links().sample().unwrap());
    let got: BTreeSet<(String, u64)> =
        snapshot.pfs.iter().map(|p| (p.name.clone(), u64::from(p.ifindex))).collect();
    assert_eq!(got, expected);
    assert_eq!(snapshot.malformed_attributes, 0, "the kernel's messages parse cleanly");
    let va = snapshot.pf("va").unwrap();
    assert_eq!(va.driver, "veth");
    assert_eq!(va.num_vfs, 0);
    assert!(!va.driver_stats.is_empty(), "veth reports ethtool stats");
    assert_eq!(snapshot.pf("mv0").unwrap().driver, "macvlan");
}

#[test]
fn counters_and_rates_match_the_kernel_under_traffic() {
    if !available() {
        return;
    }
    let ns = veth_ns("traffic", 0);
    let (count, size) = (3000usize, 1000usize);
    let (before, after, kinds) = ns.run_in(move || {
        let mut source = all_links();
        let before = source.sample().unwrap();
        send_udp("fe80::b", "va", count, size);
        std::thread::sleep(Duration::from_millis(200));
        let after = source.sample().unwrap();
        (before, after, source.sample_kinds())
    });
    assert_eq!(kinds, (1, 1), "the second sample is the cheap refresh (RTM_GETSTATS), not a dump");
    let delta = |name: &str| {
        let (a, b) = (&before.pf(name).unwrap().counters, &after.pf(name).unwrap().counters);
        (b.tx_bytes - a.tx_bytes, b.rx_bytes - a.rx_bytes, b.tx_packets - a.tx_packets)
    };
    let on_wire = (count * (size + 62)) as u64; // + Ethernet 14, IPv6 40, UDP 8
    let (va_tx, _, va_tx_packets) = delta("va");
    let (_, vb_rx, _) = delta("vb");
    assert!(va_tx >= on_wire && va_tx < on_wire + 20_000, "va tx {va_tx}, expected ≈ {on_wire}");
    assert!(va_tx_packets >= count as u64);
    assert!(vb_rx >= on_wire && vb_rx < on_wire + 20_000, "vb rx {vb_rx}, expected ≈ {on_wire}");
    let dt = after.taken_at - before.taken_at;
    let rates = vftop::metrics::rate::rates_between(
        &before.pf("va").unwrap().counters,
        &after.pf("va").unwrap().counters,
        dt,
    )
    .unwrap();
    let expected_bps = va_tx as f64 * 8.0 / dt.as_secs_f64();
    assert!((rates.tx.0 - expected_bps).abs() < 1.0, "{rates:?}");
    assert!(rates.tx.0 > 0.0 && !rates.reset);

    // Quiescent: what vftop reads equals what iproute2 reads.
    for _ in 0..5 {
        let ip_before = ns.kernel_counters();
        let ours = ns.run_in(|| all_links().sample().unwrap());
        let ip_after = ns.kernel_counters();
        if ip_before != ip_after {
            continue;
        }
        for pf in &ours.pfs {
            let c = &pf.counters;
            assert_eq!(
                [c.tx_bytes, c.rx_bytes, c.tx_packets, c.rx_packets],
                ip_after[&pf.name],
                "{}",
                pf.name
            );
        }
        return;
    }
    panic!("counters never settled to compare against ip -s link");
}

#[test]
fn headless_json_from_the_binary_in_a_namespace() {
    if !available() {
        return;
    }
    let ns = veth_ns("json", 2);
    let out = ns.exec(BIN, &["--once", "--json", "--all-links", "--interval", "200ms", "--log", "/dev/null"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: BTreeSet<&str> =
        doc["pfs"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, BTreeSet::from(["va", "vb", "mv0", "mv1"]));
    let va = doc["pfs"].as_array().unwrap().iter().find(|p| p["name"] == "va").unwrap();
    for field in
        ["ifindex", "driver", "link_speed_mbps", "num_vfs", "vfs_truncated", "vfs", "counters", "rates"]
    {
        assert!(va.get(field).is_some(), "missing {field}: {va}");
    }
    assert_eq!(va["counters"]["origin"], "netdev");
}

#[test]
fn no_pf_with_vfs_is_explained_and_fails() {
    if !available() {
        return;
    }
    let ns = veth_ns("novf", 1);
    let out = ns.exec(BIN, &["--once", "--log", "/dev/null"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no PF with SR-IOV VFs found among the 4 network interfaces"), "{err}");
    assert!(err.contains("vftop --demo"), "{err}");
}

#[test]
fn vf_rate_on_veth_is_not_supported_in_words() {
    if !available() {
        return;
    }
    let ns = veth_ns("eopnotsupp", 0);
    let (result, after) = ns.run_in(|| {
        let mut source = all_links();
        let result = source.apply(&va_change(0, 100));
        (result, source.sample().unwrap())
    });
    let err = result.unwrap_err();
    assert!(matches!(err, ApplyError::NotSupported { ref driver, .. } if driver == "veth"), "{err:?}");
    assert!(
        err.to_string().starts_with("the veth driver cannot rate-limit VFs this way (EOPNOTSUPP)"),
        "{err}"
    );
    assert!(after.pf("va").unwrap().vfs.is_empty(), "nothing changed");
}

#[test]
fn without_cap_net_admin_the_change_is_refused_in_words() {
    if !available() {
        return;
    }
    let ns = veth_ns("eperm", 0);
    let result = ns.run_in(|| {
        drop_net_admin();
        let mut source = all_links();
        source.apply(&va_change(0, 100))
    });
    let err = result.unwrap_err();
    assert_eq!(err, ApplyError::PermissionDenied);
    assert!(err.to_string().contains("needs CAP_NET_ADMIN"));
}

#[test]
fn min_above_max_is_refused_before_sending() {
    if !available() {
        return;
    }
    let ns = veth_ns("minmax", 0);
    let result = ns.run_in(|| all_links().apply(&va_change(500, 100)));
    assert!(
        matches!(result, Err(ApplyError::Invalid(ref m)) if m.contains("min 500M is above max 100M")),
        "{result:?}"
    );
}

#[test]
fn links_that_appear_vanish_or_reset_are_followed() {
    if !available() {
        return;
    }
    let ns = veth_ns("topology", 0);
    let ns_name = ns.name.clone();
    let ip = move |args: &[&str]| {
        let mut all = vec!["-n", ns_name.as_str()];
        all.extend_from_slice(args);
        common::netns::run("ip", &all);
    };
    let (first, with_new, after_reset) = ns.run_in(move || {
        let mut source = all_links();
        send_udp("fe80::b", "va", 500, 1000);
        let first = source.sample().unwrap();
        ip(&["link", "add", "name", "vc", "type", "veth", "peer", "name", "vd"]);
        let with_new = source.sample().unwrap();
        ip(&["link", "del", "va"]); // removes vb too
        ip(&["link", "add", "name", "va", "type", "veth", "peer", "name", "vb"]);
        let after_reset = source.sample().unwrap();
        assert_eq!(source.sample_kinds(), (3, 0), "each topology change brought a full dump");
        (first, with_new, after_reset)
    });
    assert!(first.pf("vc").is_none());
    assert!(with_new.pf("vc").is_some() && with_new.pf("vd").is_some());
    let (old, new) = (&first.pf("va").unwrap().counters, &after_reset.pf("va").unwrap().counters);
    assert!(new.tx_bytes < old.tx_bytes, "re-created link starts from zero");
    let mut app = vftop::app::App::new(
        vftop::source::SourceKind::Kernel,
        "h".into(),
        Default::default(),
        vec!["dark".into()],
    );
    app.ingest(first);
    app.ingest(after_reset);
    let row = app.rows.iter().find(|r| r.key.pf == "va").unwrap();
    assert!(row.rates.reset, "a counter that went down is a reset");
    assert!(row.rates.tx.0 < 1e6, "never a huge spike: {:?}", row.rates);
}

#[test]
fn messages_larger_than_the_buffer_grow_it_and_the_dump_is_redone() {
    if !available() {
        return;
    }
    let ns = veth_ns("bigmsg", 20);
    let (links, grown) = ns.run_in(|| {
        let mut rtnl = vftop::source::kernel::rtnl::Rtnl::with_buffer(256).unwrap();
        let dump = rtnl.dump_links().unwrap();
        (dump.links.iter().map(|l| l.name.clone()).collect::<BTreeSet<_>>(), rtnl.buffer_len())
    });
    assert_eq!(links.len(), 23, "{links:?}"); // lo, va, vb, mv0..mv19
    assert!(grown > 256, "buffer grew to fit: {grown}");
}

#[test]
fn link_notifications_trigger_a_sample_before_the_interval() {
    if !available() {
        return;
    }
    let ns = veth_ns("monitor", 0);
    let ns_name = ns.name.clone();
    let seen = ns.run_in(move || {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sampler = vftop::sampler::Sampler::start(Box::new(all_links()), Duration::from_secs(30), tx);
        vftop::sampler::follow_link_changes(sampler.commander());
        let first = rx.blocking_recv().unwrap();
        assert!(matches!(first, vftop::protocol::SourceEvent::Snapshot(ref s) if s.pf("vc").is_none()));
        common::netns::run(
            "ip",
            &["-n", &ns_name, "link", "add", "name", "vc", "type", "veth", "peer", "name", "vd"],
        );
        let started = std::time::Instant::now();
        // The interval is 30 s: a snapshot with vc before then came from the notification.
        loop {
            match rx.blocking_recv() {
                Some(vftop::protocol::SourceEvent::Snapshot(s)) if s.pf("vc").is_some() => {
                    break started.elapsed();
                }
                Some(_) => {}
                None => panic!("sampler stopped"),
            }
        }
    });
    assert!(seen < Duration::from_secs(30), "new link seen only after {seen:?}");
}

#[test]
fn without_cap_net_admin_the_console_is_read_only_and_says_why() {
    use common::tmux::{Tmux, have_tmux};
    let setpriv =
        std::process::Command::new("setpriv").arg("--version").output().is_ok_and(|o| o.status.success());
    if !available() || !require(have_tmux() && setpriv, "tmux and setpriv (util-linux) are needed") {
        return;
    }
    let ns = veth_ns("readonly", 0);
    let tmux = Tmux::start("readonly", 140, 30);
    let audit = std::env::temp_dir().join(format!("vftop-ro-audit-{}.log", std::process::id()));
    tmux.type_text(&format!(
        "ip netns exec {} setpriv --bounding-set=-net_admin {BIN} --all-links --log /dev/null --audit-log {}",
        ns.name,
        audit.display()
    ));
    tmux.send(&["Enter"]);
    let screen = tmux.wait_text("READ-ONLY: this process lacks CAP_NET_ADMIN");
    assert!(screen.contains("va"), "{screen}");
    tmux.send(&["e"]);
    tmux.wait_text("read-only");
    tmux.send(&["q"]);
    tmux.wait_for("vftop to exit", |s| !s.contains("READ-ONLY"));
}

/// `ethtool -S DEV` in the namespace: name → value, in the driver's order.
fn ethtool_stats(ns: &Netns, dev: &str) -> Vec<(String, u64)> {
    let out = ns.exec("ethtool", &["-S", dev]);
    assert!(out.status.success(), "ethtool -S {dev}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| l.trim().split_once(": "))
        .map(|(name, value)| (name.to_string(), value.trim().parse().unwrap()))
        .collect()
}

#[test]
fn driver_statistics_follow_a_count_that_changes() {
    if !available() || !require(common::netns::have("ethtool"), "needs ethtool") {
        return;
    }
    let ns = Netns::new("ethtool");
    let queues = ["numrxqueues", "4", "numtxqueues", "4"];
    let mut args = vec!["link", "add", "va"];
    args.extend(queues);
    args.extend(["type", "veth", "peer", "vb"]);
    args.extend(queues);
    ns.ip(&args);
    let names = |stats: &[vftop::model::DriverStat]| stats.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    let expected_names = |ns: &Netns| ethtool_stats(ns, "va").into_iter().map(|(n, _)| n).collect::<Vec<_>>();
    let four = expected_names(&ns);
    // One source across the change: the names it cached for 4 queues must be re-read for 2.
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let handle = ns.spawn_in(move || {
        let mut source = all_links();
        let first = source.sample().unwrap().pf("va").unwrap().driver_stats.clone();
        done_tx.send(first).unwrap();
        rx.recv().unwrap();
        source.sample().unwrap().pf("va").unwrap().driver_stats.clone()
    });
    let first = done_rx.recv().unwrap();
    assert_eq!(names(&first), four);
    let peer = first.iter().find(|s| s.name == "peer_ifindex").map(|s| s.value);
    let vb_index: u64 = serde_json::from_str::<serde_json::Value>(&ns.ip(&["-j", "link", "show", "vb"]))
        .unwrap()[0]["ifindex"]
        .as_u64()
        .unwrap();
    assert_eq!(peer, Some(vb_index), "values are read, not just names");
    let out = ns.exec("ethtool", &["-L", "va", "rx", "2", "tx", "2"]);
    assert!(out.status.success(), "ethtool -L: {}", String::from_utf8_lossy(&out.stderr));
    let two = expected_names(&ns);
    assert!(two.len() < four.len(), "fewer queues, fewer statistics: {} vs {}", two.len(), four.len());
    tx.send(()).unwrap();
    let second = handle.join().unwrap();
    assert_eq!(names(&second), two);
}
