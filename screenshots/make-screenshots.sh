#!/usr/bin/env bash
# Produces screenshots/*.png from real renders: the release binary runs the demo in tmux,
# tmux captures the screen with its colours, and ansi2png.py draws the capture.
# Needs: tmux, python3 with Pillow (pip install pillow), fonts-dejavu-core.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="$PWD/target/release/vftop"
out="$PWD/screenshots"
session="vftop-shots-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT

shot() { # name, keys...
    local name=$1; shift
    for k in "$@"; do tmux send-keys -t "$session" "$k"; sleep 0.4; done
    tmux capture-pane -e -p -t "$session" > "$out/$name.ansi"
    python3 "$out/ansi2png.py" "$out/$name.ansi" "$out/$name.png"
    rm "$out/$name.ansi"
    echo "screenshots/$name.png"
}

audit=$(mktemp)
tmux new-session -d -s "$session" -x 140 -y 40 "TERM=xterm-256color $bin --demo --log /dev/null --audit-log $audit"
sleep "${VFTOP_SHOT_WARMUP:-62}"     # the chart fills; Backup (25 s on in every 60) is pinned at its cap
shot main
shot detail j Enter
shot editor Escape e BSpace BSpace 5 0 0 M
shot confirm Enter t
shot countdown y
shot audit a
shot help Escape '?'
# Backup kept at 500M: its rate follows the cap down; the dotted max steps down with it.
# Escape and c apart: sent together a terminal reads them as Alt-c.
tmux send-keys -t "$session" Escape; sleep 0.5; tmux send-keys -t "$session" c
sleep 12    # Backup still in its burst: it runs at the new cap
shot throttled
tmux send-keys -t "$session" q
sleep 1

# A host with two PFs: every row names its PF, the chart and contention follow the selection.
tmux kill-session -t "$session" 2>/dev/null || true
tmux new-session -d -s "$session" -x 160 -y 42 "TERM=xterm-256color $bin --scenario two-pfs --log /dev/null --audit-log $audit"
sleep 30
shot two-pfs j j j j j j
tmux send-keys -t "$session" q
sleep 1

# A replay of a simulated half hour: REPLAY in the header, the operator's change as a marker.
tmux kill-session -t "$session" 2>/dev/null || true
tmux new-session -d -s "$session" -x 140 -y 40 "TERM=xterm-256color $bin replay --demo --log /dev/null"
sleep 3
shot replay j + + E Enter
tmux send-keys -t "$session" q
rm -f "$audit"
