#!/usr/bin/env bash
# Scripted comparison (figures, not a test): what vftop, btop and bottom cost a terminal link
# and the CPU. Each runs in tmux at 80x24 and 120x40 for SECONDS while UDP traffic flows over
# a veth pair in a fresh network namespace (the monitors run inside it, so they see it move);
# vftop runs both on the busy demo and on the namespace's links (--all-links). Measured: bytes
# written to the pane per second (tmux pipe-pane) and CPU (utime+stime of the process, all
# threads) as % of one core. All refresh once a second (btop's update_ms = 1000; bottom's
# default rate; vftop's default interval).
# Usage: tests/bench/tui-compare.sh [SECONDS=30]   (root; installs btop with apt and bottom
# with cargo when missing; builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-30}
cargo build --release --quiet
bin=$PWD/target/release/vftop
command -v tmux >/dev/null || apt-get install -y -qq tmux >/dev/null
command -v btop >/dev/null || apt-get install -y -qq btop >/dev/null
command -v btm >/dev/null || cargo install bottom --locked --quiet
btm=$(command -v btm)

work=$(mktemp -d)
ns="vftop-tui-$$"
cleanup() {
    tmux kill-server 2>/dev/null || true
    [[ -n ${traffic:-} ]] && kill "$traffic" 2>/dev/null
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add va type veth peer name vb
ip -n "$ns" link set va up
ip -n "$ns" link set vb up
ip -n "$ns" addr add 10.77.0.1/24 dev va
ip -n "$ns" addr add 10.77.0.2/24 dev vb
ip netns exec "$ns" python3 -c '
import socket, time, random
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    for _ in range(random.randint(20, 200)):
        s.sendto(b"x" * 1200, ("10.77.0.2", 9))
    time.sleep(0.01)
' &
traffic=$!
mkdir -p "$work/home/.config/btop"
echo "update_ms = 1000" > "$work/home/.config/btop/btop.conf"

# measure NAME COLS ROWS COMMAND: prints "NAME COLSxROWS BYTES NANOSECONDS CPU_TICKS TICKS_PER_S"
measure() {
    local name=$1 cols=$2 rows=$3 cmd=$4 session="bench$RANDOM" out="$work/pane.$RANDOM"
    tmux new-session -d -s "$session" -x "$cols" -y "$rows" \
        "exec env HOME=$work/home TERM=xterm-256color LANG=C.UTF-8 COLORTERM=truecolor $cmd"
    sleep 4
    local pid
    pid=$(tmux display -p -t "$session" '#{pane_pid}')
    tmux pipe-pane -t "$session" -o "cat > $out"
    local t0 c0 t1 c1
    t0=$(date +%s%N); c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    sleep "$secs"
    t1=$(date +%s%N); c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    tmux pipe-pane -t "$session"
    tmux kill-session -t "$session"
    echo "$name ${cols}x$rows $(stat -c %s "$out") $((t1 - t0)) $((c1 - c0)) $(getconf CLK_TCK)"
}

results="$work/results"
for size in "80 24" "120 40"; do
    set -- $size
    measure vftop-demo "$1" "$2" "$bin --demo --log /dev/null --audit-log $work/audit.log" >> "$results"
    measure vftop-links "$1" "$2" "ip netns exec $ns $bin --all-links --read-only --log /dev/null" >> "$results"
    measure btop "$1" "$2" "ip netns exec $ns btop" >> "$results"
    measure bottom "$1" "$2" "ip netns exec $ns $btm --rate 1000" >> "$results"
done
python3 - "$results" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for name, size, nbytes, ns, ticks, hz in rows:
    secs = int(ns) / 1e9
    by[(name, size)] = (int(nbytes) / secs, int(ticks) / int(hz) / secs * 100)
print(f"{'tool':<12} {'size':>7} {'bytes/s':>9} {'CPU %':>7}   {'bytes vs btop':>13} {'CPU vs bottom':>13}")
for name, size, *_ in rows:
    b, c = by[(name, size)]
    bb, _ = by[("btop", size)]
    _, bc = by[("bottom", size)]
    print(f"{name:<12} {size:>7} {b:>9.0f} {c:>7.2f}   {b / bb if bb else 0:>13.3f} {c / bc if bc else 0:>13.2f}")
PY
