#!/usr/bin/env bash
# Recorder bench (figures, not a test).
#  1. Store size and the recorder's own time per sample, on a fake clock: the 1024-partition
#     stress scenario (16 PFs × 64 VFs), 64 partitions, and the reference demo, one hour each.
#  2. Seeking: a 7-day store of 64 VFs (built once into $STORE_7D, ~450 MB, ~75 s), opened and
#     drawn at 20 random times; one VF dumped for one day.
#  3. The real process: `vftop record` at 1 s for $SECONDS_LIVE s on the reference demo and on the
#     stress scenario; CPU time (utime+stime from /proc) as a share of one core. This includes
#     sampling the simulated NIC, which a kernel source replaces with netlink.
# Usage: tests/bench/recorder.sh [SECONDS_LIVE=60]
set -euo pipefail
cd "$(dirname "$0")/../.."
live=${1:-60}
STORE_7D=${STORE_7D:-/tmp/vftop-bench-7d}
cargo build --release --quiet --example record_bench --example scale
cargo build --release --quiet
bench=target/release/examples/record_bench
echo "== size and recorder time (fake clock, 1 h at 1 s)"
"$bench" size 16 3600 /tmp/vftop-bench-size16
"$bench" size 1 3600 /tmp/vftop-bench-size1
"$bench" reference 3600 /tmp/vftop-bench-ref
echo "== seeking"
"$bench" seek 7 "$STORE_7D"
echo "== the real recorder process, ${live} s at 1 s"
scenario=$(mktemp --suffix=.toml)
target/release/examples/scale --toml 16 > "$scenario"
tick=$(getconf CLK_TCK)
for what in "--demo" "--scenario $scenario"; do
    dir=$(mktemp -d)
    # shellcheck disable=SC2086
    target/release/vftop record $what --dir "$dir" --interval 1s --log /dev/null 2>/dev/null &
    pid=$!
    sleep "$live"
    read -r -a stat < "/proc/$pid/stat"
    cpu=$(( stat[13] + stat[14] ))
    kill -TERM "$pid"; wait "$pid" || true
    bytes=$(du -sb "$dir" | cut -f1)
    awk -v c="$cpu" -v t="$tick" -v s="$live" -v b="$bytes" -v w="$what" \
        'BEGIN { printf "%-12s CPU %.2f s in %d s = %.2f%% of a core; store %d bytes\n", substr(w, 1, 12), c / t, s, 100 * c / t / s, b }'
    rm -rf "$dir"
done
rm -f "$scenario"
