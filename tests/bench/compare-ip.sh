#!/usr/bin/env bash
# Scripted comparison (not a test): one sample of N macvlan links in a fresh namespace.
# vftop's in-process sample against the whole `ip -s -d link show` process. The sample timed is
# the second of `--once --json` ("sample_duration_us"): the steady state, where the topology is
# known and unchanged, so counters come from one RTM_GETSTATS dump (a topology change, or every
# 30 s, costs a full RTM_GETLINK dump instead).
# Usage: tests/bench/compare-ip.sh [N=1000] [RUNS=7]   (root; builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000}
runs=${2:-7}
cargo build --release --quiet
bin=$PWD/target/release/vftop
ns="vftop-bench-$$"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
ip -n "$ns" link add name base type veth peer name basepeer
batch=$(mktemp)
for i in $(seq 1 "$n"); do echo "link add link base name mv$i type macvlan mode bridge"; done > "$batch"
ip -n "$ns" -batch "$batch"
rm -f "$batch"
echo "links in namespace: $(ip -n "$ns" -o link show | wc -l)"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ip_us=$(for _ in $(seq "$runs"); do
    s=$(date +%s%N); ip -n "$ns" -s -d link show >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000))
done | median)
vftop_us=$(for _ in $(seq "$runs"); do
    ip netns exec "$ns" "$bin" --once --json --all-links --interval 100ms --log /dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["sample_duration_us"])'
done | median)
vftop_proc_us=$(for _ in $(seq "$runs"); do
    s=$(date +%s%N); ip netns exec "$ns" "$bin" --once --json --all-links --interval 50ms --log /dev/null >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000))
done | median)
echo "ip -s -d link show (process):          ${ip_us} us (median of $runs)"
echo "vftop one sample (in process):         ${vftop_us} us (median of $runs)"
echo "vftop --once --json (process, 2 samples + 50 ms interval): ${vftop_proc_us} us"
python3 -c "print(f'ratio vftop sample / ip process: {$vftop_us / $ip_us:.2f} (target <= 0.5)')"
