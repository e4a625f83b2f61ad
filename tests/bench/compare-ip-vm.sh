#!/usr/bin/env bash
# Scripted comparison on real VFs (figures, not a test): in the project's QEMU guest, 4
# netdevsim devices × 64 VFs; one steady-state vftop sample ("sample_duration_us" of the
# second sample of --once --json: counters from one RTM_GETSTATS dump, the PFs' VF lists by
# ifindex) against the whole `ip -s -d link show` process on the same links, median of RUNS.
# Usage: tests/bench/compare-ip-vm.sh [RUNS=9]   (root; builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-9}
if [[ ${1:-} != --in-guest ]]; then
    cargo build --release --quiet
    exec tests/vm/vftop-vm --vfs 2 --share "$PWD" --share "$PWD/target/release" -- "$PWD/tests/bench/compare-ip-vm.sh" --in-guest "$PWD/target/release/vftop" "$runs"
fi
bin=$2 runs=$3
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
pfs=()
for id in 11 12 13 14; do
    echo "$id 1" > /sys/bus/netdevsim/new_device
    d=/sys/bus/netdevsim/devices/netdevsim$id
    for _ in $(seq 50); do [[ -n $(ls $d/net 2>/dev/null) ]] && break; sleep 0.1; done
    pf=$(ls $d/net | head -1)
    echo 64 > /sys/kernel/debug/netdevsim/netdevsim$id/max_vfs 2>/dev/null || true
    echo 64 > $d/sriov_numvfs
    ip link set "$pf" up
    pfs+=("$pf")
done
args=(); for pf in "${pfs[@]}"; do args+=(-i "$pf"); done
echo "PFs: ${pfs[*]} ($(ip -o link show | wc -l) links; $(( ${#pfs[@]} * 64 )) VFs)"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ip_us=$(for _ in $(seq "$runs"); do
    s=$(date +%s%N); for pf in "${pfs[@]}"; do ip -s -d link show "$pf" >/dev/null; done; e=$(date +%s%N); echo $(((e - s) / 1000))
done | median)
ip_all_us=$(for _ in $(seq "$runs"); do
    s=$(date +%s%N); ip -s -d link show >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000))
done | median)
vftop_us=$(for _ in $(seq "$runs"); do
    "$bin" --once --json "${args[@]}" --interval 100ms --log /dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["sample_duration_us"])'
done | median)
vfs=$("$bin" --once --json "${args[@]}" --interval 100ms --log /dev/null | python3 -c 'import json,sys; print(sum(len(p["vfs"]) for p in json.load(sys.stdin)["pfs"]))')
echo "VFs seen by vftop: $vfs"
echo "ip -s -d link show PF (4 processes, one per PF): ${ip_us} us (median of $runs)"
echo "ip -s -d link show (1 process, all links):       ${ip_all_us} us"
echo "vftop steady-state sample (in process):          ${vftop_us} us"
python3 -c "print(f'ratio vftop / ip per PF: {$vftop_us / $ip_us:.2f}; vftop / ip all links: {$vftop_us / $ip_all_us:.2f}')"
