//! Fuzzes the recording reader with arbitrary shard bytes: torn, bit-flipped or made-up files
//! must give frames and warnings, never a panic, and never more frames than records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vftop::record::store::{decode_shard, scan};

fuzz_target!(|data: &[u8]| {
    if let Ok(readout) = decode_shard(data) {
        assert!(readout.frames.len() <= scan(data).records.len());
    }
});
