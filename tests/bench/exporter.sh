#!/usr/bin/env bash
# Exporter bench (figures, not a test): `vftop serve` on the 1024-partition stress scenario
# (16 PFs × 64 VFs) sampling at 1 s. Reports the response size of a scrape (text and
# OpenMetrics), the time to first byte of a scrape on loopback (median of RUNS), and the
# exporter's CPU over SECONDS as % of one core.
# Usage: tests/bench/exporter.sh [SECONDS=60] [RUNS=50]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
runs=${2:-50}
cargo build --release --quiet --bin vftop --example scale
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
target/release/examples/scale --toml 16 > "$work/stress.toml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/release/vftop serve --scenario "$work/stress.toml" --listen "127.0.0.1:$port" --log /dev/null 2>/dev/null &
pid=$!
url="http://127.0.0.1:$port/metrics"
until curl -sf "$url" -o /dev/null; do sleep 0.2; done
sleep 2
text_size=$(curl -s "$url" | wc -c)
om_size=$(curl -s -H 'Accept: application/openmetrics-text; version=1.0.0' "$url" | wc -c)
series=$(curl -s "$url" | grep -vc '^#')
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ttfb=$(for _ in $(seq "$runs"); do curl -s -o /dev/null -w '%{time_starttransfer}\n' "$url"; done | median)
total=$(for _ in $(seq "$runs"); do curl -s -o /dev/null -w '%{time_total}\n' "$url"; done | median)
c0=$(awk '{print $14 + $15}' "/proc/$pid/stat"); t0=$(date +%s%N)
sleep "$secs"
c1=$(awk '{print $14 + $15}' "/proc/$pid/stat"); t1=$(date +%s%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
python3 - <<PY
hz = $(getconf CLK_TCK)
print(f"1024 VFs: {$series} series; scrape {$text_size / 1e6:.2f} MB text, {$om_size / 1e6:.2f} MB OpenMetrics")
print(f"scrape on loopback (median of $runs): first byte {$ttfb * 1e3:.2f} ms, whole response {$total * 1e3:.2f} ms")
print(f"exporter CPU at 1 s sampling over {$secs} s (no scrapes): {($c1 - $c0) / hz / (($t1 - $t0) / 1e9) * 100:.2f}% of a core; RSS {$rss / 1024:.1f} MB")
PY
