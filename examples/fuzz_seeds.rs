//! Writes fuzz seeds into the corpus directory given as argument (default `fuzz/corpus`):
//! kernel-shaped link messages for `parse_link` (plain, and VF lists whose 16-bit length
//! wrapped), ethtool replies for `parse_ethtool`, a recorder shard for `read_recording`, and
//! owner sources for `parse_owner_sources`.

use vftop::source::kernel::ethtool::{capacity_for, stats_request, strings_request};
use vftop::source::kernel::fixture::{dump, pf_payload, pf_payload_wrapped};

fn main() -> std::io::Result<()> {
    let root = std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into());
    let links = format!("{root}/parse_link");
    std::fs::create_dir_all(&links)?;
    for vfs in [0, 1, 4, 64] {
        std::fs::write(format!("{links}/pf-{vfs}-vfs"), pf_payload(3, "eth0", vfs))?;
    }
    std::fs::write(format!("{links}/dump-2x4"), dump(2, 4, 9))?;
    for vfs in [223, 250, 256, 512] {
        std::fs::write(format!("{links}/pf-{vfs}-vfs-wrapped"), pf_payload_wrapped(3, "eth0", vfs))?;
    }
    // The field's shapes: a representor (NUM_VF, no list, pfNvfM, a switch id), a VF left out
    // of a short and of a wrapped list.
    use vftop::source::kernel::fixture::{Overflow, pf_payload_with, representor_payload};
    std::fs::write(format!("{links}/representor"), representor_payload(12, "eni1np0v1", 4, "pf0vf1"))?;
    std::fs::write(
        format!("{links}/pf-8-vfs-gap"),
        pf_payload_with(3, "eth0", 8, Overflow::WrapSkipping(5)),
    )?;
    std::fs::write(
        format!("{links}/pf-240-vfs-wrapped-gap"),
        pf_payload_with(3, "eth0", 240, Overflow::WrapSkipping(200)),
    )?;
    let ethtool = format!("{root}/parse_ethtool");
    std::fs::create_dir_all(&ethtool)?;
    for count in [0usize, 3, 40] {
        let mut strings = strings_request(count, capacity_for(count));
        strings[0] = count as u8;
        std::fs::write(format!("{ethtool}/strings-{count}"), strings)?;
        let mut stats = stats_request(count, capacity_for(count));
        stats[0] = count as u8;
        std::fs::write(format!("{ethtool}/stats-{count}"), stats)?;
    }
    // Kernel log records and lines the drivers write about VFs.
    for (name, record) in [
        ("kmsg-igb", &b"4,812,94125011,-;igb 0000:00:03.0: VF 1 attempted to override administratively set MAC address\nReload the VF driver to resume operations\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:03.0\n"[..]),
        ("kmsg-ice", b"6,9,1,-;ice 0000:af:00.0: 3 Tx Malicious Driver Detection events detected on PF 0 VF 5 MAC 02:00:00:00:00:05.\n"),
        ("kmsg-i40e", b"6,10,2,-;i40e 0000:3b:00.0: Malicious Driver Detection event 0x02 on TX queue 7 PF number 0x00 VF number 0x0a\n"),
    ] {
        std::fs::write(format!("{ethtool}/{name}"), record)?;
    }
    owner_sources(&format!("{root}/parse_owner_sources"))?;
    recording(&format!("{root}/read_recording"))
}

/// A libvirt domain, a CNI cache file, a kubelet answer and a sock_diag message, each behind
/// the byte that picks its reader.
fn owner_sources(dir: &str) -> std::io::Result<()> {
    use prost::Message;
    use vftop::source::owners::kubelet::{
        ContainerDevices, ContainerResources, ListPodResourcesResponse, PodResources,
    };
    std::fs::create_dir_all(dir)?;
    let seed = |which: u8, body: &[u8]| [&[which][..], body].concat();
    let domain = "<domstatus state='running'><domain type='kvm'><name>web-03</name><devices>\
        <interface type='hostdev'><source><address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x1'/>\
        </source></interface></devices></domain></domstatus>";
    std::fs::write(format!("{dir}/libvirt"), seed(0, domain.as_bytes()))?;
    let cache = r#"{"Master":"ens1f0","VFID":1,"deviceID":"0000:3b:02.1","max_tx_rate":2000,"name":"n"}"#;
    std::fs::write(format!("{dir}/cni"), seed(1, cache.as_bytes()))?;
    let answer = ListPodResourcesResponse {
        pod_resources: vec![PodResources {
            name: "api".into(),
            namespace: "payments".into(),
            containers: vec![ContainerResources {
                name: "api".into(),
                devices: vec![ContainerDevices {
                    resource_name: "intel.com/sriov".into(),
                    device_ids: vec!["0000:3b:02.1".into()],
                }],
            }],
        }],
    };
    std::fs::write(format!("{dir}/kubelet"), seed(2, &answer.encode_to_vec()))?;
    let mut diag = vec![2u8, 1, 0, 0];
    diag.resize(72, 0);
    diag[8..12].copy_from_slice(&[10, 0, 0, 2]);
    std::fs::write(format!("{dir}/sock-diag"), seed(3, &diag))
}

/// A real shard of the reference demo (200 samples: keyframes, delta frames, an event).
fn recording(dir: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let store = std::env::temp_dir().join(format!("vftop-fuzz-seed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let demo = vftop::replay::demo::DemoRecording {
        scenario: vftop::source::sim::scenario::Scenario::reference(),
        end_ms: 1_795_575_600_000 + 30 * 60_000,
        samples: 200,
        interval: std::time::Duration::from_secs(1),
        change_at: Some(100),
    };
    demo.build(&store).map_err(std::io::Error::other)?;
    for shard in vftop::record::store::list_shards(&store).map_err(std::io::Error::other)? {
        let bytes = std::fs::read(&shard.path)?;
        std::fs::write(format!("{dir}/reference-200"), &bytes)?;
        std::fs::write(format!("{dir}/reference-20"), &bytes[..bytes.len().min(6000)])?;
    }
    std::fs::remove_dir_all(&store)
}
