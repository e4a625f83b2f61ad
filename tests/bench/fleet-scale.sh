#!/usr/bin/env bash
# Fleet bench (figures, not a test): a real Prometheus (Debian's) scraping N simulated hosts of
# 64 VFs each — one `vftop serve` scraped as N targets, each with its own `instance` label —
# with the mixin's recording rules loaded. For each N it prints what one refresh of the fleet
# console and its chart preload cost: the queries the console sent before (every raw series,
# rates worked out in the console) beside today's (`vftop fleet --explain`, raw series and
# recording rules), in series, bytes and query time, and the time to the first screen.
# Usage: tests/bench/fleet-scale.sh [N...]   (default: 20 100 300; SCRAPE=15s ROWS=40)
# VFTOP_BIN=path uses a built binary instead of building the release one; KEEP=dir keeps each
# `--explain` (every query and its cost) there.
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("${@:-20 100 300}")
read -r -a sizes <<<"${sizes[*]}"
scrape=${SCRAPE:-15s}
rows=${ROWS:-40}
command -v prometheus >/dev/null || { echo "fleet-scale: needs prometheus (apt install prometheus)" >&2; exit 1; }
if [ -z "${VFTOP_BIN:-}" ]; then
    cargo build --release --quiet --bin vftop --example scale
    VFTOP_BIN=target/release/vftop
fi
scale=$(dirname "$VFTOP_BIN")/examples/scale
[ -x "$scale" ] || cargo build --quiet --example scale
[ -x "$scale" ] || scale=target/debug/examples/scale
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

"$scale" --toml 1 > "$work/host.toml"
exporter=$(free_port)
"$VFTOP_BIN" serve --scenario "$work/host.toml" --listen "127.0.0.1:$exporter" --log /dev/null 2>/dev/null &
pids+=($!)
until curl -sf "http://127.0.0.1:$exporter/healthz" -o /dev/null; do sleep 0.2; done
"$VFTOP_BIN" fleet --print-rules > "$work/rules.yml"

families='sriov_vf_rx_bytes|sriov_vf_tx_bytes|sriov_vf_rx_packets|sriov_vf_tx_packets|sriov_vf_rx_dropped|sriov_vf_tx_dropped|vftop_vf_min_tx_rate_bytes_per_second|vftop_vf_max_tx_rate_bytes_per_second|vftop_link_speed_bytes_per_second|vftop_partition_info|vftop_pf_vfs|vftop_pf_vfs_truncated|vftop_vf_owner_info|up'
old_query="{__name__=~\"$families\",job=\"vftop\"}"

# One query's cost: series, bytes, seconds (curl's total), with its answer thrown away.
cost() { # endpoint, then --data-urlencode pairs
    local endpoint=$1
    shift
    curl -s -o "$work/answer.json" -w '%{size_download} %{time_total}' "$prom/api/v1/$endpoint" "$@" >"$work/cost"
    python3 - "$work/answer.json" "$work/cost" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
size, secs = open(sys.argv[2]).read().split()
series = len(doc.get("data", {}).get("result", [])) if doc.get("status") == "success" else f"refused: {doc.get('error')}"
print(f"{series} series, {int(size) / 1e3:.1f} kB, {float(secs) * 1e3:.0f} ms")
PY
}

for n in "${sizes[@]}"; do
    port=$(free_port)
    dir="$work/prom-$n"
    mkdir -p "$dir"
    {
        echo "global: {scrape_interval: $scrape, evaluation_interval: $scrape}"
        echo "rule_files: [$work/rules.yml]"
        echo "scrape_configs:"
        echo "  - job_name: vftop"
        echo "    static_configs:"
        for i in $(seq 1 "$n"); do
            echo "      - targets: ['127.0.0.1:$exporter']"
            echo "        labels: {instance: 'host-$i'}"
        done
    } > "$dir/prometheus.yml"
    prometheus --config.file "$dir/prometheus.yml" --storage.tsdb.path "$dir/data" \
        --web.listen-address "127.0.0.1:$port" --log.level=error 2>/dev/null &
    ppid=$!
    pids+=("$ppid")
    prom="http://127.0.0.1:$port"
    echo "== $n hosts × 64 VFs (scrape every $scrape)"
    until [ "$(curl -sf "$prom/api/v1/query" --data-urlencode 'query=count(up == 1)' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' 2>/dev/null)" = "$n" ]; do sleep 1; done
    # The rules' rates need two scrapes in their minute, and the chart some minutes of history.
    until [ "$(curl -sf "$prom/api/v1/query" --data-urlencode 'query=count(instance_pf_vf:vftop_worst_first:score)' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' 2>/dev/null)" = "$((n * 64))" ]; do sleep 1; done
    heads=$(curl -s "$prom/api/v1/status/tsdb" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["headStats"]["numSeries"])')
    now=$(date +%s)
    echo "head series: $heads"
    echo "before, a refresh (every raw series):      $(cost query --data-urlencode "query=$old_query")"
    echo "before, the chart (10 min at 1 s):         $(cost query_range --data-urlencode "query=$old_query" --data-urlencode "start=$((now - 600))" --data-urlencode "end=$now" --data-urlencode step=1)"
    for mode in raw rules; do
        flag=()
        [ "$mode" = raw ] && flag=(--no-rules)
        start=$(date +%s%N)
        "$VFTOP_BIN" fleet --prometheus "$prom" --rows "$rows" --explain "${flag[@]}" --log /dev/null > "$work/explain-$mode"
        end=$(date +%s%N)
        [ -n "${KEEP:-}" ] && cp "$work/explain-$mode" "$KEEP/explain-$n-$mode"
        for part in "first look" refresh chart; do
            echo "now ($mode), $rows rows, $(grep "^$part" "$work/explain-$mode" | tail -1)"
        done
        echo "now ($mode): first look + refresh + chart, end to end $(( (end - start) / 1000000 )) ms"
    done
    kill "$ppid"
    wait "$ppid" 2>/dev/null || true
done
