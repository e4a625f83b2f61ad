#!/usr/bin/env bash
# Scale bench (figures, not a test): RSS after one simulated hour and the per-sample cost
# (simulated NIC sample + the console's ingest + one draw) for 64, 256 and 1024 partitions,
# at 1 s and at 250 ms, one process per row so memory is each run's own.
# Usage: tests/bench/scale.sh [SECONDS=3600]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-3600}
cargo build --release --quiet --example scale
bin=target/release/examples/scale
for interval in 1000 250; do
    for pfs in 1 4 16; do
        "$bin" "$pfs" "$interval" "$seconds"
    done
done
