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
sleep "${VFTOP_SHOT_WARMUP:-45}"     # let the chart fill
shot main
shot detail j Enter
shot editor Escape e BSpace BSpace 5 0 0 M
shot confirm Enter t
shot countdown y
shot audit a
shot help Escape '?'
tmux send-keys -t "$session" Escape q
rm -f "$audit"
