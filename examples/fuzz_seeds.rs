//! Writes kernel-shaped link messages as fuzz seeds into the directory given as argument.

use vftop::source::kernel::fixture::{dump, pf_payload};

fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus/parse_link".into());
    std::fs::create_dir_all(&dir)?;
    for vfs in [0, 1, 4, 64] {
        std::fs::write(format!("{dir}/pf-{vfs}-vfs"), pf_payload(3, "eth0", vfs))?;
    }
    std::fs::write(format!("{dir}/dump-2x4"), dump(2, 4, 9))?;
    Ok(())
}
