//! Owners from the sources a field host has, with the built binary: a stand-in kubelet serving
//! the pod-resources API over gRPC on a unix socket (no kubelet can run here: its messages are
//! protoc's from tests/kubelet/api.proto, served by Python's grpcio), libvirt's domain XML and
//! the SR-IOV CNI cache in directories given on the command line. The simulator's VFs have
//! stable PCI addresses, so the owners land on them in the console, the JSON and the exporter —
//! and a real Prometheus evaluating the SR-IOV operator's recording rules joins pods to VFs.

mod common;

use common::prometheus::{Prometheus, TempDir, have_prometheus, http_get, serve_checked, wait_until};
use common::tmux::{Tmux, have_tmux, require};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_vftop");
/// The simulated Backup partition's VF (ens1f0 vf 1).
const BACKUP_PCI: &str = "0000:3b:02.1";
/// The simulated VM guest's VF (ens1f0 vf 5).
const GUEST_PCI: &str = "0000:3b:02.5";
/// Debian's interpreter, where apt puts python3-grpcio (a pyenv python3 may not have it).
const PYTHON: &str = "/usr/bin/python3";

/// The stand-in kubelet, stopped on drop.
struct FakeKubelet {
    child: Child,
    socket: PathBuf,
    _dir: TempDir,
}

impl Drop for FakeKubelet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn have_grpc_tools() -> bool {
    let protoc = Command::new("protoc").arg("--version").output().is_ok_and(|o| o.status.success());
    let grpc = Command::new(PYTHON).args(["-c", "import grpc"]).output().is_ok_and(|o| o.status.success());
    protoc && grpc
}

/// A kubelet answering List with pod payments/api-7f9c holding the Backup VF (and a GPU).
fn fake_kubelet() -> Option<FakeKubelet> {
    if !require(
        have_grpc_tools(),
        "protoc and python3-grpcio are not installed (tests/run-all.sh installs them)",
    ) {
        return None;
    }
    let dir = TempDir::new("kubelet");
    let root = env!("CARGO_MANIFEST_DIR");
    let protoc = Command::new("protoc")
        .arg(format!("--python_out={}", dir.0.display()))
        .arg(format!("-I{root}/tests/kubelet"))
        .arg(format!("{root}/tests/kubelet/api.proto"))
        .status()
        .unwrap();
    assert!(protoc.success(), "protoc failed");
    let pods = serde_json::json!([{
        "name": "api-7f9c", "namespace": "payments",
        "containers": [{"name": "api", "devices": [
            {"resource_name": "intel.com/sriov_netdevice", "device_ids": [BACKUP_PCI]},
            {"resource_name": "nvidia.com/gpu", "device_ids": ["GPU-8f3e2a"]},
        ]}],
    }]);
    let socket = dir.0.join("kubelet.sock");
    let child = Command::new(PYTHON)
        .arg(format!("{root}/tests/kubelet/fake_kubelet.py"))
        .args([socket.to_str().unwrap(), dir.0.to_str().unwrap(), &pods.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let kubelet = FakeKubelet { child, socket, _dir: dir };
    wait_until("the stand-in kubelet's socket", Duration::from_secs(30), || kubelet.socket.exists());
    Some(kubelet)
}

/// `vftop --demo --once --json` with these options: each VF's owner by PCI address.
fn owners_in_json(args: &[&str]) -> Vec<(String, Value)> {
    let out = Command::new(BIN)
        .args(["--demo", "--once", "--json", "--interval", "200ms", "--log", "/dev/null"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["pfs"][0]["vfs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["pci"].as_str().unwrap().to_string(), v["owner"].clone()))
        .collect()
}

fn owner_of<'a>(owners: &'a [(String, Value)], pci: &str) -> &'a Value {
    &owners.iter().find(|(p, _)| p == pci).unwrap().1
}

#[test]
fn kubelet_pods_own_vfs_in_the_json_and_the_console() {
    let Some(kubelet) = fake_kubelet() else { return };
    let socket = kubelet.socket.to_str().unwrap();
    let owners = owners_in_json(&["--kubelet-socket", socket]);
    let backup = owner_of(&owners, BACKUP_PCI);
    assert_eq!(backup["label"], "pod payments/api-7f9c", "{owners:?}");
    assert_eq!((backup["source"].as_str(), backup["container"].as_str()), (Some("kubelet"), Some("api")));
    assert_eq!(backup["detail"], "intel.com/sriov_netdevice");
    // The scenario's own owners stay where the kubelet names no VF.
    assert_eq!(owner_of(&owners, GUEST_PCI)["label"], "vm web-03");
    let calls = std::fs::read_to_string(format!("{socket}.calls")).unwrap();
    assert!(calls.trim().parse::<u32>().unwrap() >= 1);

    if !require(have_tmux(), "tmux is not installed") {
        return;
    }
    let tmux = Tmux::start("owners", 170, 40);
    tmux.type_text(&format!("{BIN} --demo --log /dev/null --kubelet-socket {socket}"));
    tmux.send(&["Enter"]);
    let screen = tmux.wait_text("pod payments/api-7f9c");
    let row = screen.lines().find(|l| l.contains("Backup")).unwrap();
    assert!(row.contains("pod payments/api-7f9c"), "the Owner column of Backup's row: {row}");
    // The `/` filter finds the partition by its owner.
    tmux.send(&["/"]);
    tmux.type_text("payments");
    tmux.send(&["Enter"]);
    let filtered = tmux.wait_text("1 of 6 match");
    assert!(
        filtered.lines().any(|l| l.contains("Backup") && l.contains("pod payments/api-7f9c")),
        "{filtered}"
    );
    // The confirmation of a lower cap says whose traffic it throttles.
    tmux.send(&["e"]);
    tmux.wait_text("Rate limit · Backup");
    tmux.send(&["BSpace", "BSpace"]);
    tmux.type_text("500M");
    tmux.send(&["Enter"]);
    let confirm = tmux.wait_text("Confirm rate change");
    assert!(confirm.contains("throttles pod payments/api-7f9c"), "{confirm}");
    tmux.send(&["Escape", "Escape", "Escape"]);
    tmux.wait_for("the confirmation closed", |s| !s.contains("Confirm rate change"));
    tmux.send(&["q"]);
    tmux.wait_for("vftop to exit", |s| !s.contains("Partitions"));
}

#[test]
fn prometheus_joins_pods_to_vfs_with_the_sriov_operators_recording_rules() {
    if !require(have_prometheus(), "prometheus is not installed") {
        return;
    }
    let Some(kubelet) = fake_kubelet() else { return };
    let socket = kubelet.socket.to_str().unwrap().to_string();
    let args = ["--demo", "--interval", "500ms", "--kubelet-socket", &socket];
    let has_pods =
        |url: &str| http_get(&format!("{url}/metrics")).is_ok_and(|b| b.contains("sriov_kubepoddevice{"));
    let (_serve, port) = serve_checked(BIN, &args, has_pods, "http");
    let body = http_get(&format!("http://127.0.0.1:{port}/metrics")).unwrap();
    let pod_line = format!(
        r#"sriov_kubepoddevice{{pciAddr="{BACKUP_PCI}",dev_type="intel.com/sriov_netdevice",pod="api-7f9c",namespace="payments",container="api"}} 1"#
    );
    assert!(body.lines().any(|l| l == pod_line), "no '{pod_line}' in:\n{body}");
    let rules = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/prometheus/sriov-operator-rules.yml"
    ))
    .unwrap();
    let prometheus = Prometheus::start_full(&[("worker-1", port)], "", &[("sriov.yml", &rules)], "node");
    // The rules' group runs every 30 s, as the operator ships it.
    let query = r#"network:sriov_vf_tx_bytes{pod="api-7f9c",namespace="payments"}"#;
    wait_until("network:sriov_vf_tx_bytes for the pod", Duration::from_secs(120), || {
        !prometheus.query(query).is_empty()
    });
    let joined = prometheus.query(query);
    assert_eq!(joined.len(), 1, "{joined:?}");
    let labels = &joined[0].0;
    assert_eq!(
        (labels["pciAddr"].as_str(), labels["pf"].as_str(), labels["vf"].as_str()),
        (Some(BACKUP_PCI), Some("ens1f0"), Some("1"))
    );
    assert_eq!(
        (labels["node"].as_str(), labels["dev_type"].as_str()),
        (Some("worker-1"), Some("intel.com/sriov_netdevice"))
    );
    assert!(joined[0].1 > 0.0, "the Backup VF has sent bytes");
    for family in
        ["rx_bytes", "tx_packets", "rx_packets", "tx_dropped", "rx_dropped", "rx_broadcast", "rx_multicast"]
    {
        let q = format!(r#"network:sriov_vf_{family}{{pod="api-7f9c"}}"#);
        assert_eq!(prometheus.query(&q).len(), 1, "{q}");
    }
    // Only VFs pods hold are joined: this one and the scenario's Web pod, no other partition.
    let mut pods: Vec<String> = prometheus
        .query("network:sriov_vf_tx_bytes")
        .iter()
        .map(|(labels, _)| labels["pod"].as_str().unwrap_or_default().to_string())
        .collect();
    pods.sort();
    assert_eq!(pods, ["api-7f9c", "web-7f9c"]);
}

/// Status XML as libvirtd writes it under /run/libvirt/qemu for a running nova instance.
fn libvirt_domain(pci: &str) -> String {
    let [bus, slot_function] = [&pci[5..7], &pci[8..]];
    let (slot, function) = slot_function.split_once('.').unwrap();
    format!(
        r#"<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
  virsh edit instance-0000002a
or other application using the libvirt API.
-->

<domstatus state='running' reason='booted' pid='5120'>
  <taint flag='high-privileges'/>
  <monitor path='/var/lib/libvirt/qemu/domain-4-instance-0000002a/monitor.sock' type='unix'/>
  <domain type='kvm' id='4'>
    <name>instance-0000002a</name>
    <uuid>5d2c0a3e-9a57-4f0e-8f0e-2b6c8f0f1a2a</uuid>
    <metadata>
      <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
        <nova:package version="27.1.0"/>
        <nova:name>payments-db-1</nova:name>
        <nova:creationTime>2026-11-30 21:04:12</nova:creationTime>
        <nova:owner>
          <nova:user uuid="a3f1c2">alice</nova:user>
          <nova:project uuid="9c2e7b">payments</nova:project>
        </nova:owner>
      </nova:instance>
    </metadata>
    <devices>
      <interface type='hostdev' managed='yes'>
        <mac address='fa:16:3e:11:22:33'/>
        <driver name='vfio'/>
        <source>
          <address type='pci' domain='0x0000' bus='0x{bus}' slot='0x{slot}' function='0x{function}'/>
        </source>
        <alias name='hostdev0'/>
        <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
      </interface>
    </devices>
  </domain>
</domstatus>
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn libvirt_domains_and_the_cni_cache_name_vms_and_containers_and_bad_files_change_nothing() {
    let libvirt = TempDir::new("libvirt");
    write(&libvirt.0, "instance-0000002a.xml", &libvirt_domain(GUEST_PCI));
    write(&libvirt.0, "broken.xml", "<domstatus><domain><name>x</name>");
    write(&libvirt.0, "instance-0000002a.pid", "5120");
    let cni = TempDir::new("cni");
    let id = "9a5c2b1f7d3e4c6a8b0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3";
    write(
        &cni.0,
        &format!("{id}-net1"),
        &format!(
            r#"{{"Master":"ens1f0","VFID":1,"cniVersion":"1.0.0","deviceID":"{BACKUP_PCI}","max_tx_rate":2000,"name":"sriov-backup","type":"sriov"}}"#
        ),
    );
    write(&cni.0, &format!("{id}-net2"), r#"{"deviceID": "0000:3b:02.3", "#);
    std::fs::create_dir_all(cni.0.join("pci")).unwrap();
    write(&cni.0.join("pci"), BACKUP_PCI, "/var/run/netns/cni-1234");
    let owners = owners_in_json(&[
        "--libvirt-run-dir",
        libvirt.0.to_str().unwrap(),
        "--cni-cache-dir",
        cni.0.to_str().unwrap(),
    ]);
    let guest = owner_of(&owners, GUEST_PCI);
    assert_eq!(
        (guest["label"].as_str(), guest["source"].as_str()),
        (Some("vm payments-db-1"), Some("libvirt"))
    );
    assert_eq!(guest["namespace"], "payments");
    let backup = owner_of(&owners, BACKUP_PCI);
    assert_eq!(
        (backup["label"].as_str(), backup["source"].as_str()),
        (Some("container 9a5c2b1f7d3e"), Some("sriov-cni"))
    );
    assert!(backup["detail"].as_str().unwrap().contains("asked max 2000 Mbit/s"));
    // The half-written cache file named no owner: iSCSI (vf 3) keeps none.
    assert_eq!(owner_of(&owners, "0000:3b:02.3"), &Value::Null);
}

#[test]
fn owners_none_looks_nothing_up() {
    let libvirt = TempDir::new("libvirt-none");
    write(&libvirt.0, "vm.xml", &libvirt_domain(GUEST_PCI));
    let owners = owners_in_json(&["--libvirt-run-dir", libvirt.0.to_str().unwrap(), "--owners", "none"]);
    // The scenario's own owner, not libvirt's.
    assert_eq!(owner_of(&owners, GUEST_PCI)["label"], "vm web-03");
}
