//! Writes fuzz seeds into the corpus directory given as argument (default `fuzz/corpus`):
//! kernel-shaped link messages for `parse_link` (plain, and VF lists whose 16-bit length
//! wrapped), ethtool replies for `parse_ethtool`, and a recorder shard for `read_recording`.

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
    recording(&format!("{root}/read_recording"))
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
