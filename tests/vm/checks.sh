#!/usr/bin/env bash
# Checks run inside the vftop-vm guest against real VFs (igb) and netdevsim, with the real
# vftop binary. Prints "== group G" before a group's checks, "ok NAME" or "FAIL NAME: expected
# …, saw …" per check, and "== end G ok|FAILED" after; exits 1 if any check failed.
#   tests/vm/checks.sh VFTOP_BINARY GROUP...
# Groups share one boot: between two of them the guest is put back as vftop-vm left it (rates
# cleared, VF netdevs back home and up, consoles and servers stopped, netdevsim at its VFs).
# Waits are on conditions with generous limits (a TCG guest on a busy 2-core machine is slow):
# they cost time only when a check is failing.
set -uo pipefail
BIN=$1
shift
PF=$VFTOP_PF
read -ra VFN <<< "$VFTOP_VFS"
failed=0
ok() { echo "ok $1"; }
bad() { echo "FAIL $1: $2"; failed=1; }
AUDIT=/tmp/vftop-audit.log
# The binary with this run's log and audit log (each subcommand takes its options after its name).
vftop() {
    case ${1:-} in
        set) "$BIN" "$@" --log /dev/null --audit-log "$AUDIT" ;;
        dump | record | serve | replay | report | check) "$BIN" "$@" --log /dev/null ;;
        apply) "$BIN" "$@" --log /dev/null --audit-log "$AUDIT" ;;
        *) "$BIN" --log /dev/null --audit-log "$AUDIT" "$@" ;;
    esac
}
# Every tool a check uses, so that a missing one fails loudly instead of quietly doing nothing.
for tool in ip devlink tmux python3 pkill iperf3; do
    command -v "$tool" >/dev/null || { echo "FAIL tools: $tool is not installed (tests/run-all.sh installs it)"; exit 1; }
done
# json EXPR: evaluates EXPR over the JSON document on stdin (d; vf0 = first PF's VF 0 if any)
json() { python3 -c "import json,sys; d=json.load(sys.stdin); vf0=(d.get('pfs') or [{}])[0].get('vfs', [None])[0] if isinstance(d, dict) else None; print($1)"; }
# ip's view of one VF's rate: "min max"
ip_rate() { ip -j link show "$1" | json "' '.join(str(v['rate'][k]) for v in d[0]['vfinfo_list'] if v['vf'] == $2 for k in ('min_tx', 'max_tx'))"; }
expect() { # NAME COMMAND-OUTPUT-VAR PATTERN
    if grep -qF -- "$3" <<< "$2"; then ok "$1"; else bad "$1" "expected '$3', saw: $2"; fi
}
# until SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds (false after SECONDS).
until_true() {
    local end=$((SECONDS + $1)); shift
    while ! "$@"; do ((SECONDS < end)) || return 1; sleep 0.1; done
}

igb() {
    local doc out
    doc=$(vftop --once --json -i "$PF" --interval 300ms)
    [[ $(json "d['pfs'][0]['driver'], d['pfs'][0]['link_speed_mbps'], d['pfs'][0]['num_vfs'], d['pfs'][0]['vfs_truncated']" <<< "$doc") == "igb 1000 $VFTOP_NUMVFS False" ]] \
        && ok discovery || bad discovery "$(json "d['pfs'][0]" <<< "$doc" | head -c 300)"
    local macs want=""
    macs=$(json "' '.join(v['mac'] for v in d['pfs'][0]['vfs'])" <<< "$doc")
    for ((i = 0; i < VFTOP_NUMVFS; i++)); do want+="${want:+ }52:54:00:5a:10:0$i"; done
    [[ $macs == "$want" ]] && ok vf_macs || bad vf_macs "$macs"

    out=$(vftop set "$PF" 1 --max 300M 2>&1)
    expect max_applied "$out" "applied: $PF vf 1: max none -> 300M"
    [[ $(ip_rate "$PF" 1) == "0 300" ]] && ok max_read_back_by_ip || bad max_read_back_by_ip "$(ip_rate "$PF" 1)"
    doc=$(vftop --once --json -i "$PF" --interval 100ms)
    [[ $(json "d['pfs'][0]['vfs'][1]['max_tx_rate_mbps']" <<< "$doc") == 300 ]] && ok max_read_back_by_vftop || bad max_read_back_by_vftop "$doc"

    out=$(vftop set "$PF" 1 --min 100M 2>&1); rc=$?
    [[ $rc == 1 ]] && expect min_refused_before_sending "$out" "the igb driver has no minimum rate (min must be 0); nothing changed" \
        || bad min_refused_before_sending "rc $rc: $out"
    out=$(vftop set "$PF" 1 --min 100M --no-precheck 2>&1); rc=$?
    [[ $rc == 1 ]] && expect min_refused_by_kernel "$out" "the kernel rejected the rate (EINVAL): the igb driver has no minimum rate" \
        || bad min_refused_by_kernel "rc $rc: $out"
    [[ $(ip_rate "$PF" 1) == "0 300" ]] && ok min_refusal_changed_nothing || bad min_refusal_changed_nothing "$(ip_rate "$PF" 1)"

    out=$(vftop set "$PF" 2 --max 5G --no-precheck 2>&1); rc=$?
    [[ $rc == 1 ]] && expect above_link_refused_by_kernel "$out" "max 5G is above the link speed 1G" || bad above_link_refused_by_kernel "rc $rc: $out"
    out=$(vftop set "$PF" 2 --max 5G 2>&1)
    expect above_link_refused_before_sending "$out" "refused before sending: max 5G is above the link speed 1G"
    out=$(vftop set "$PF" 7 --max 100M 2>&1)
    expect missing_vf_explained "$out" "$PF has no vf 7"
}

# tx_grows NETDEV BYTES: the netdev's tx byte counter has grown by BYTES since the first call
# for it (call it repeatedly, e.g. under until_true).
declare -A TX_START
tx_bytes() { ip -j -s link show "$1" | json "d[0]['stats64']['tx']['bytes']"; }
tx_grows() {
    local now; now=$(tx_bytes "$1")
    [[ -n ${TX_START[$1]:-} ]] || TX_START[$1]=$now
    ((now - TX_START[$1] >= $2)) && unset "TX_START[$1]"
}
# VF1's netdev goes to namespace b, VF0 stays; VF0 sends UDP to VF1 until stop_sender (at most
# $1 seconds): the traffic lasts as long as the check that measures it, however slow the guest.
send_vf0_to_vf1() {
    ip netns add b
    ip link set "${VFN[1]}" netns b
    ip -n b link set "${VFN[1]}" up
    ip addr add fe80::a/64 dev "${VFN[0]}" nodad
    ip -n b addr add fe80::b/64 dev "${VFN[1]}" nodad
    python3 - "${VFN[0]}" "$1" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
scope = socket.if_nametoindex(sys.argv[1])
end = time.time() + float(sys.argv[2])
while time.time() < end:
    for _ in range(50):
        s.sendto(b"x" * 1200, ("fe80::b", 9, 0, scope))
    time.sleep(0.005)
PY
    SENDER=$!
}
stop_sender() { kill "$SENDER" 2>/dev/null; wait "$SENDER" 2>/dev/null; }

traffic() {
    # VF1's netdev goes to its own namespace; VF0 stays here. Traffic VF0 -> VF1 crosses the
    # NIC's internal switch; igb reports no per-VF stats, so VF0's counters must come from its
    # own netdev (origin vf-netdev).
    send_vf0_to_vf1 300
    until_true 30 tx_grows "${VFN[0]}" 100000 || bad traffic_started "VF0 (${VFN[0]}) sent nothing in 30 s"
    local doc
    doc=$(vftop --once --json -i "$PF" --interval 2s)
    stop_sender
    local got
    got=$(json "vf0['counters']['origin'], vf0['netdev'], vf0['rates']['tx_bps'] > 1e6" <<< "$doc")
    [[ $got == "vf-netdev ${VFN[0]} True" ]] && ok vf_netdev_fallback_under_traffic \
        || bad vf_netdev_fallback_under_traffic "expected 'vf-netdev ${VFN[0]} True' (origin, netdev, tx > 1 Mbit/s), saw '$got'"
    got=$(ip -n b -j -s link show "${VFN[1]}" | json "d[0]['stats64']['rx']['bytes'] > 1000000")
    [[ $got == True ]] && ok traffic_reached_other_vf || bad traffic_reached_other_vf "expected VF1 rx > 1 MB, saw $got"
}

numvfs() {
    local s
    tmux new-session -d -s v -x 120 -y 40 "$BIN --log /dev/null --audit-log $AUDIT -i $PF"
    SESSION=v
    wait_screen "$PF 1G $VFTOP_NUMVFS/$VFTOP_NUMVFS VFs" && ok tui_shows_vfs || bad tui_shows_vfs "$s"
    echo 0 > "/sys/class/net/$PF/device/sriov_numvfs"
    wait_screen "$PF 1G 0/0 VFs" && ok vfs_removed_live || bad vfs_removed_live "$s"
    echo 2 > "/sys/class/net/$PF/device/sriov_numvfs"
    wait_screen "$PF 1G 2/2 VFs" && ok vfs_added_live || bad vfs_added_live "$s"
    tmux send-keys -t v q
    until_true 30 session_gone v && ok tui_quit || bad tui_quit "expected the console to exit on q, it is still running"
}

# The screen of tmux session $SESSION ($s), polled until it shows $1 (60 s).
screen_has() { s=$(tmux capture-pane -p -t "$SESSION" 2>&1); grep -qF -- "$1" <<< "$s"; }
wait_screen() { until_true 60 screen_has "$1"; }
# Polls ip's view of a VF's rate until it is "$3" (60 s).
rate_is() { [[ $(ip_rate "$1" "$2") == "$3" ]]; }
wait_rate() { until_true 60 rate_is "$@"; }
keys() { tmux send-keys -t "$SESSION" "$@"; sleep 0.3; }
audit_has() { grep -F -- "$1" "$AUDIT" | grep -qF -- "$2"; }
# Polls the audit log for a record with both strings (30 s): the record is written just after
# the kernel takes the change, so `ip` can show it first.
wait_audit() { until_true 30 audit_has "$1" "$2"; }
session_gone() { ! tmux has-session -t "$1" 2>/dev/null; }
no_guard() { ! pgrep -f -- "$BIN guard" >/dev/null; }

tui_flow() {
    local s
    SESSION=f
    tmux new-session -d -s f -x 140 -y 40 "$BIN --log /dev/null --audit-log $AUDIT -i $PF"
    wait_screen "$PF 1G" || bad tui_started "$s"
    keys j; keys e
    wait_screen "Rate limit · vf 1" || bad tui_editor_opened "$s"
    keys BSpace BSpace BSpace; keys -l 300M; keys Enter
    wait_screen "ip link set dev $PF vf 1 max_tx_rate 300 min_tx_rate 0" || bad tui_preview "$s"
    keys y
    if wait_rate "$PF" 1 "0 300" && wait_screen "applied" && wait_audit '"max_mbps":300' '"outcome":"applied"'; then
        ok tui_max_applied_and_audited
    else
        bad tui_max_applied_and_audited "ip: $(ip_rate "$PF" 1); audit: $(cat "$AUDIT" 2>/dev/null); screen: $s"
    fi
    keys u
    wait_screen "Confirm rate change" && keys y
    wait_rate "$PF" 1 "0 0" && wait_audit '"reason":"undo"' '"outcome":"applied"' && ok tui_undo || bad tui_undo "$(ip_rate "$PF" 1) $s"
    keys e; keys Tab; keys BSpace BSpace; keys -l 100M; keys Enter
    wait_screen "the igb driver has no minimum rate" && [[ $(ip_rate "$PF" 1) == "0 0" ]] \
        && ok tui_min_refused_nothing_changed || bad tui_min_refused_nothing_changed "$(ip_rate "$PF" 1) $s"
    keys Escape; keys q
    until_true 30 session_gone f || bad tui_quit "expected the console to exit on q: $s"

    SESSION=g
    tmux new-session -d -s g -x 140 -y 40 "$BIN --log /dev/null --audit-log $AUDIT -i $PF --confirm-within 10s"
    wait_screen "$PF 1G" || bad tui_restarted "$s"
    keys j; keys e; keys BSpace BSpace BSpace; keys -l 400M; keys Enter
    wait_screen "reverts unless confirmed with c within 10s" || bad tui_commit_confirmed_armed "$s"
    keys y
    wait_rate "$PF" 1 "0 400" && wait_screen "reverts unless you press c" && ok tui_countdown_shown || bad tui_countdown_shown "$(ip_rate "$PF" 1) $s"
    if wait_rate "$PF" 1 "0 0" && wait_audit '"reason":"commit-confirmed-timeout"' '"reverted_by":"commit-confirmed timeout"'; then
        ok tui_commit_confirmed_reverted_and_logged
    else
        bad tui_commit_confirmed_reverted_and_logged "ip $(ip_rate "$PF" 1); audit: $(cat "$AUDIT")"
    fi
    keys q

    # The terminal goes away (the SSH session drops) with a change not yet confirmed.
    SESSION=h
    tmux new-session -d -s h -x 160 -y 40 "$BIN --log /dev/null --audit-log $AUDIT -i $PF --confirm-within 60s"
    wait_screen "$PF 1G" || bad tui_restarted "$s"
    keys j; keys e; keys BSpace BSpace BSpace; keys -l 250M; keys Enter
    wait_screen "reverts unless confirmed with c within 60s" && keys y
    wait_rate "$PF" 1 "0 250" || bad tui_hangup_applied "$(ip_rate "$PF" 1)"
    tmux kill-session -t h
    if wait_rate "$PF" 1 "0 0" && wait_audit '"reason":"exit-revert"' '"reverted_by":"SIGHUP"'; then
        ok tui_hangup_reverts_unconfirmed_change
    else
        bad tui_hangup_reverts_unconfirmed_change "ip $(ip_rate "$PF" 1); audit: $(tail -2 "$AUDIT")"
    fi

    # The console is killed outright (SIGKILL): its guard reverts at the deadline, not before.
    guarded_change k 350
    pkill -9 -f -- "--confirm-within 15s"
    sleep 3   # not a wait: the guard must still hold the change 3 s after its console died
    [[ $(ip_rate "$PF" 1) == "0 350" ]] || bad tui_guard_waits_for_the_deadline "expected '0 350' until the deadline, saw '$(ip_rate "$PF" 1)'"
    if wait_rate "$PF" 1 "0 0" && wait_audit '"reverted_by":"guard (console gone)"' '"outcome":"applied"'; then
        ok tui_kill9_guard_reverts_at_deadline
    else
        bad tui_kill9_guard_reverts_at_deadline "ip $(ip_rate "$PF" 1); audit: $(tail -2 "$AUDIT")"
    fi
    tmux kill-session -t k 2>/dev/null
    # Killed again, but someone sets another limit before the deadline: the guard leaves it.
    guarded_change m 380
    pkill -9 -f -- "--confirm-within 15s"
    ip link set "$PF" vf 1 max_tx_rate 450
    # The guard gives up at its deadline (15 s): wait for it to be gone, then look.
    until_true 120 no_guard || bad tui_guard_exited "expected the guard to exit after its deadline: $(pgrep -af ' guard ')"
    local guards
    guards=$(grep -c 'guard (console gone)' "$AUDIT")
    [[ $(ip_rate "$PF" 1) == "0 450" && $guards == 1 ]] && ok tui_guard_leaves_a_later_change_alone \
        || bad tui_guard_leaves_a_later_change_alone "expected ip '0 450' and 1 guard record, saw ip '$(ip_rate "$PF" 1)', $guards guard records"
    tmux kill-session -t m 2>/dev/null
    ip link set "$PF" vf 1 max_tx_rate 0
}

# A console in tmux session $1 applying VF 1 max $2 Mbit/s with a 15 s commit-confirmed window.
guarded_change() {
    SESSION=$1
    tmux new-session -d -s "$1" -x 160 -y 40 "$BIN --log /dev/null --audit-log $AUDIT -i $PF --confirm-within 15s"
    wait_screen "$PF 1G" || bad tui_restarted "$s"
    keys j; keys e; keys BSpace BSpace BSpace; keys -l "$2M"; keys Enter
    wait_screen "reverts unless confirmed with c within 15s" && keys y
    wait_rate "$PF" 1 "0 $2" || bad tui_guarded_change_applied "$(ip_rate "$PF" 1)"
}

# devlink rate tree in switchdev mode: a group with a member, edited from the TUI.
devlink_rates() {
    local NS=$VFTOP_NSIM_PF s got
    local DEV=netdevsim/netdevsim1
    devlink dev eswitch set $DEV mode switchdev || { bad switchdev "cannot switch $DEV to switchdev"; return; }
    # Its VFs' representors have IFLA_NUM_VF but no VF list: they are not PFs, nothing is TRUNCATED.
    got=$(vftop --once --json --interval 100ms | json "sorted((p['name'], p['vfs_truncated']) for p in d['pfs'])")
    want=$(python3 -c "import sys; print(sorted([(n, False) for n in sys.argv[1:]]))" "$PF" "$NS")
    [[ $got == "$want" ]] && ok switchdev_representors_are_not_pfs \
        || bad switchdev_representors_are_not_pfs "expected the PFs $want, saw $got (representors: $(ls /sys/class/net | tr '\n' ' '))"
    devlink port function rate add $DEV/group1 tx_max 500mbit
    devlink port function rate set $DEV/129 tx_share 10mbit tx_max 100mbit parent group1
    got=$(vftop --once --json -i "$NS" --interval 100ms | json "[(o['id'], o['tx_share_mbps'], o['tx_max_mbps'], o['parent'], o['vf']) for o in d['rate_objects'] if o['id'] in ('$DEV/group1', '$DEV/129')]")
    [[ $got == "[('$DEV/group1', 0, 500, None, None), ('$DEV/129', 10, 100, 'group1', 1)]" ]] && ok devlink_tree_read || bad devlink_tree_read "$got"
    SESSION=d
    tmux new-session -d -s d -x 160 -y 45 "$BIN --log /dev/null --audit-log $AUDIT -i $NS"
    wait_screen "Rate groups of " || bad devlink_tree_shown "$s"
    wait_screen "▾ group1" && ok devlink_tree_shown || bad devlink_tree_shown "$s"
    keys Tab; keys Tab; keys Tab; keys j; keys e
    wait_screen "Rate limit · group1 ($DEV/group1)" || bad devlink_editor "$s"
    keys BSpace BSpace BSpace BSpace BSpace; keys -l 300M; keys Enter
    wait_screen "devlink port function rate set $DEV/group1 tx_share 0mbit tx_max 300mbit" || bad devlink_preview "$s"
    keys y
    group_tx_max() { got=$(devlink -j port function rate show $DEV/group1 | json "d['rate']['$DEV/group1'].get('tx_max')"); [[ $got == "$1" ]]; }
    until_true 60 group_tx_max 37500000 && wait_audit "\"target\":\"$DEV/group1\"" '"outcome":"applied"' \
        && ok devlink_group_tx_max_edited || bad devlink_group_tx_max_edited "expected tx_max 37500000 (300 Mbit/s) and an applied audit record, devlink says $got; audit: $(cat "$AUDIT" 2>/dev/null)"
    # Someone else's devlink change while the console runs: flagged in the tree and audited
    # (once the console's own change is what it shows).
    wait_screen "-/300M" || bad devlink_console_read_back "expected the tree to show -/300M: $s"
    devlink port function rate set $DEV/group1 tx_max 200mbit
    if wait_screen "changed outside vftop" && wait_screen "⚠-/200M" \
        && wait_audit '"outcome":"external"' "\"target\":\"$DEV/group1\""; then
        ok devlink_drift_flagged_and_audited
    else
        bad devlink_drift_flagged_and_audited "audit: $(tail -1 "$AUDIT" 2>/dev/null); screen: $s"
    fi
    keys q
}

netdevsim() {
    local NS=$VFTOP_NSIM_PF out doc
    [[ -n $NS ]] || { bad netdevsim_present "no netdevsim in this guest"; return; }
    out=$(vftop set "$NS" 0 --min 100M --max 500M 2>&1)
    expect nsim_min_max_applied "$out" "applied: $NS vf 0: max none -> 500M, min none -> 100M"
    [[ $(ip_rate "$NS" 0) == "100 500" ]] && ok nsim_read_back_by_ip || bad nsim_read_back_by_ip "$(ip_rate "$NS" 0)"
    doc=$(vftop --once --json -i "$NS" --interval 100ms)
    [[ $(json "vf0['min_tx_rate_mbps'], vf0['max_tx_rate_mbps']" <<< "$doc") == "100 500" ]] \
        && ok nsim_read_back_by_vftop || bad nsim_read_back_by_vftop "$doc"
    out=$(vftop set "$NS" 0 --min 600M --max 500M 2>&1)
    expect nsim_min_above_max_refused "$out" "min 600M is above max 500M"
    [[ $(ip_rate "$NS" 0) == "100 500" ]] && ok nsim_refusal_changed_nothing || bad nsim_refusal_changed_nothing "$(ip_rate "$NS" 0)"
}

# 250 VFs on netdevsim: the kernel's IFLA_VFINFO_LIST length wraps past 64 KiB, so `ip` stops
# at ~28 VFs ("Truncated VF list"); vftop must still show every VF with its MAC and rates.
many_vfs() {
    local NS=$VFTOP_NSIM_PF d=/sys/bus/netdevsim/devices/netdevsim1 doc got s
    [[ -n $NS ]] || { bad netdevsim_present "no netdevsim in this guest"; return; }
    mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
    echo 0 > $d/sriov_numvfs
    echo 256 > /sys/kernel/debug/netdevsim/netdevsim1/max_vfs || { bad many_vfs_created "max_vfs"; return; }
    echo 250 > $d/sriov_numvfs || { bad many_vfs_created "sriov_numvfs 250"; return; }
    got=$(ip -d link show "$NS" 2>&1)
    grep -q "Truncated VF list" <<< "$got" && ok ip_says_truncated || bad ip_says_truncated "$(grep -c ' vf ' <<< "$got") vf lines"
    # `max_tx_rate` makes ip look the VF up in the (cut) list first ("Cannot find VF 240");
    # the legacy `rate` sets the same maximum without that look-up.
    ip link set "$NS" vf 240 rate 700
    ip link set "$NS" vf 249 min_tx_rate 50 max_tx_rate 900
    ip link set "$NS" vf 245 mac 02:00:00:00:00:f5
    doc=$(vftop --once --json -i "$NS" --interval 100ms)
    got=$(json "d['pfs'][0]['num_vfs'], len(d['pfs'][0]['vfs']), d['pfs'][0]['vfs_truncated'], [v['vf'] for v in d['pfs'][0]['vfs']] == list(range(250))" <<< "$doc")
    [[ $got == "250 250 False True" ]] && ok all_250_vfs_in_json || bad all_250_vfs_in_json "$got"
    got=$(json "[(v['min_tx_rate_mbps'], v['max_tx_rate_mbps'], v['mac']) for v in d['pfs'][0]['vfs'] if v['vf'] in (240, 245, 249)]" <<< "$doc")
    [[ $got == "[(0, 700, '00:00:00:00:00:00'), (0, 0, '02:00:00:00:00:f5'), (50, 900, '00:00:00:00:00:00')]" ]] \
        && ok rates_and_macs_past_the_wrap || bad rates_and_macs_past_the_wrap "$got"
    got=$(vftop set "$NS" 230 --max 600M 2>&1)
    expect set_past_the_wrap "$got" "applied: $NS vf 230: max none -> 600M"
    doc=$(vftop --once --json -i "$NS" --interval 100ms)
    [[ $(json "d['pfs'][0]['vfs'][230]['max_tx_rate_mbps']" <<< "$doc") == 600 ]] && ok read_back_past_the_wrap || bad read_back_past_the_wrap "$doc"
    SESSION=m
    tmux new-session -d -s m -x 140 -y 40 "$BIN --log /dev/null --audit-log $AUDIT -i $NS"
    wait_screen "250/250 VFs" && ! grep -q TRUNCATED <<< "$s" && ok tui_shows_250_vfs || bad tui_shows_250_vfs "$s"
    keys q
}

# vftop serve on igb: /metrics against ip's counters for the VF netdev and ip's max rates; a
# `vftop set` from another process shows in the gauge.
exporter() {
    local pid m ip1 ip2 got
    samples_after() { local v; v=$(metric vftop_samples_total); [[ -n $v ]] && ((${v%.*} > $1)); }
    metric() { python3 -c "import urllib.request,sys; print(urllib.request.urlopen('http://127.0.0.1:19808/metrics').read().decode())" | awk -v k="$1" 'index($0, k" ") == 1 {print $2}'; }
    "$BIN" serve -i "$PF" --listen 127.0.0.1:19808 --log /dev/null 2>/dev/null &
    pid=$!
    until_true 60 samples_after 0 || bad exporter_started "expected vftop_samples_total within 60 s"
    local set_out; set_out=$(vftop set "$PF" 1 --max 300M 2>&1)
    ip link set "$PF" vf 0 max_tx_rate 0
    vf1_max() { got=$(metric "vftop_vf_max_tx_rate_bytes_per_second{pf=\"$PF\",vf=\"1\"}"); [[ $got == 37500000* ]]; }
    until_true 60 vf1_max
    [[ $got == 37500000* && $(metric "vftop_vf_max_tx_rate_bytes_per_second{pf=\"$PF\",vf=\"0\"}") == 0* ]] \
        && ok exporter_max_rates_match_ip || bad exporter_max_rates_match_ip "expected vf 1 at 37500000 B/s (300M), saw '$got' (ip says '$(ip_rate "$PF" 1)'; vftop set said: $set_out)"
    # igb reports no per-VF stats: VF 0's counters come from its netdev; between two reads of
    # ip's counters around a fresh sample, the exported value must lie between them.
    # Traffic of our own (not stray IPv6 packets): 50 datagrams of 1 KB to all-nodes via VF0.
    python3 - "${VFN[0]}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(sys.argv[1]))
for _ in range(50):
    s.sendto(b"x" * 1000, ("ff02::1", 9))
PY
    ip1=$(tx_bytes "${VFN[0]}")
    # A sample taken wholly after ip1 was read: two more than now.
    local n; n=$(metric vftop_samples_total); n=${n%.*}
    until_true 60 samples_after $((n + 1)) || bad exporter_sampling "expected two more samples within 60 s"
    m=$(metric "sriov_vf_tx_bytes{pf=\"$PF\",vf=\"0\",pciAddr=\"$(basename "$(readlink "/sys/class/net/$PF/device/virtfn0")")\",numa_node=\"$(cat "/sys/class/net/$PF/device/numa_node")\"}")
    ip2=$(tx_bytes "${VFN[0]}")
    python3 -c "import sys; a, m, b = map(float, sys.argv[1:]); sys.exit(0 if a <= m <= b and a >= 50000 else 1)" "$ip1" "${m:-nan}" "$ip2" \
        && ok exporter_vf_counters_match_ip || bad exporter_vf_counters_match_ip "expected ip's tx bytes before <= exported <= after (and >= 50 KB sent), saw ip $ip1..$ip2, exported '$m'"
    # sriov_vf_tx_errors (the upstream exporter's sysfs set): igb's VF 0 has them from its netdev.
    local errors; errors=$(metric "sriov_vf_tx_errors{pf=\"$PF\",vf=\"0\",pciAddr=\"$(basename "$(readlink "/sys/class/net/$PF/device/virtfn0")")\",numa_node=\"$(cat "/sys/class/net/$PF/device/numa_node")\"}")
    local ip_errors; ip_errors=$(ip -j -s link show "${VFN[0]}" | json "d[0]['stats64']['tx']['errors']")
    [[ -n $errors && ${errors%.*} == "$ip_errors" ]] && ok exporter_vf_tx_errors_match_ip \
        || bad exporter_vf_tx_errors_match_ip "expected sriov_vf_tx_errors of VF 0 = ip's $ip_errors, saw '$errors'"
    got=$(metric "vftop_vf_origin_info{pf=\"$PF\",vf=\"0\",origin=\"vf-netdev\"}")
    [[ $got == 1 ]] && ok exporter_origin_vf_netdev || bad exporter_origin_vf_netdev "expected 1, saw '$got'"
    # The VF's settings as ip reports them (trust off, spoof checking on by default).
    ip link set "$PF" vf 2 trust on
    local pci2 mac2; pci2=$(basename "$(readlink "/sys/class/net/$PF/device/virtfn2")")
    mac2=$(ip -j link show "$PF" | json "[v['address'] for v in d[0]['vfinfo_list'] if v['vf'] == 2][0]")
    vf_info() { got=$(metric "vftop_vf_info{pf=\"$PF\",vf=\"2\",pciAddr=\"$pci2\",mac=\"$mac2\",vlan=\"0\",link_state=\"auto\",trust=\"on\",spoofchk=\"on\"}"); [[ $got == 1 ]]; }
    until_true 30 vf_info && ok exporter_vf_info_matches_ip || bad exporter_vf_info_matches_ip "$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:19808/metrics').read().decode())" | grep "vftop_vf_info{pf=\"$PF\",vf=\"2\"")"
    ip link set "$PF" vf 2 trust off
    got=$(metric "vftop_pf_operstate_info{pf=\"$PF\",operstate=\"up\"}")$(metric "vftop_pf_carrier{pf=\"$PF\"}")
    [[ $got == 11 ]] && ok exporter_pf_operstate_and_carrier || bad exporter_pf_operstate_and_carrier "expected 1 and 1, saw '$got'"
    kill "$pid"; wait "$pid" 2>/dev/null
}

# recorded DIR VF CONDITION: some sample of VF in the store DIR meets CONDITION (Python, over
# the dump's CSV row r).
recorded() {
    vftop dump "$1" --vf "$2" 2>/dev/null | python3 -c "import csv,sys; sys.exit(0 if any($3 for r in csv.DictReader(sys.stdin)) else 1)"
}

# The flight recorder on igb: a console recording (--record) while VF0 sends to VF1 and the
# operator caps VF 1 from it; the dump has the traffic and the change, and so does a replay.
recorder() {
    local s rec=/tmp/vftop-rec out
    rm -rf "$rec"
    send_vf0_to_vf1 300
    SESSION=r
    tmux new-session -d -s r -x 150 -y 40 "$BIN --log /dev/null --audit-log $AUDIT -i $PF --record $rec --interval 500ms"
    wait_screen "$PF 1G" || bad recorder_console_started "$s"
    # Recorded with the traffic on before the change (VF 0 above 1 Mbit/s in a sample).
    until_true 60 recorded "$rec" 0 'float(r["tx_bps"] or 0) > 1e6' \
        || bad recorder_traffic_recorded "expected a recorded sample of VF 0 above 1 Mbit/s within 60 s"
    keys j; keys e
    wait_screen "Rate limit · vf 1" || bad recorder_editor_opened "$s"
    keys BSpace BSpace BSpace; keys -l 300M; keys Enter
    wait_screen "max_tx_rate 300" && keys y
    wait_rate "$PF" 1 "0 300" && wait_audit '"max_mbps":300' '"outcome":"applied"' || bad recorder_change_applied "$(ip_rate "$PF" 1) $s"
    until_true 60 recorded "$rec" 1 'r["max_mbps"] == "300"' || bad recorder_change_recorded "expected a sample with VF 1 at max 300 within 60 s"
    keys q
    stop_sender
    out=$(vftop dump "$rec" --events 2>&1)
    expect recorder_change_event_in_dump "$out" "$PF,1,vf 1,rate-change,max none → 300M by"
    out=$(vftop dump "$rec" --vf 0 --fields tx_bps,origin 2>&1)
    # The first sample of a recording has no rate (an empty field, not 0); the traffic after it does.
    python3 -c 'import csv,sys; rows=list(csv.DictReader(sys.stdin)); sys.exit(0 if rows[0]["tx_bps"] == "" and max(float(r["tx_bps"] or 0) for r in rows) > 1e6 and rows[-1]["origin"] == "vf-netdev" else 1)' <<< "$out" \
        && ok recorder_traffic_in_dump || bad recorder_traffic_in_dump "expected an empty first rate, then above 1 Mbit/s, origin vf-netdev; saw $(head -5 <<< "$out")"
    out=$(vftop dump "$rec" --vf 1 --fields max_mbps 2>&1)
    [[ $(sed -n 2p <<< "$out") == 0 && $(tail -1 <<< "$out") == 300 ]] && ok recorder_limits_in_dump || bad recorder_limits_in_dump "$out"
    # The headless recorder on the same VFs: SIGTERM closes the store, the dump has every VF.
    rm -rf /tmp/vftop-rec2
    "$BIN" --log /dev/null record --dir /tmp/vftop-rec2 -i "$PF" --interval 300ms 2>/tmp/vftop-rec2.err &
    local pid=$!
    # Until it has written a dozen samples (start-up is slow under emulation), then stop it.
    dozen() { [[ $(vftop dump /tmp/vftop-rec2 --vf 0 --fields time 2>/dev/null | wc -l) -gt 12 ]]; }
    until_true 120 dozen || bad recorder_headless_started "expected 12 samples within 120 s: $(cat /tmp/vftop-rec2.err)"
    kill -TERM "$pid"; wait "$pid"; local rc=$?
    out=$(vftop dump /tmp/vftop-rec2 --fields pf,vf,max_mbps 2>&1)
    if [[ $rc == 0 ]] && grep -q closed /tmp/vftop-rec2.err && grep -q "^$PF,1,300$" <<< "$out" \
        && [[ $(grep -c "^$PF," <<< "$out") -ge $((VFTOP_NUMVFS * 5)) ]]; then
        ok recorder_headless_on_igb
    else
        bad recorder_headless_on_igb "rc $rc: $(cat /tmp/vftop-rec2.err) $(head -3 <<< "$out")"
    fi
    SESSION=p
    tmux new-session -d -s p -x 150 -y 40 "$BIN --log /dev/null replay $rec"
    wait_screen "REPLAY" || bad recorder_replay_started "$s"
    keys E
    if wait_screen "max none → 300M by"; then ok recorder_replay_event; else bad recorder_replay_event "$s"; fi
    keys Enter
    wait_screen "┊" && ok recorder_replay_marker || bad recorder_replay_marker "$s"
    keys q
}

# Someone else's `ip link set` while the console runs: flagged on screen and in the audit log.
drift() {
    local s
    SESSION=x
    tmux new-session -d -s x -x 160 -y 40 "$BIN --log /dev/null --audit-log $AUDIT -i $PF"
    wait_screen "$PF 1G" && wait_screen "vf 2" || bad drift_console_started "$s"
    ip link set "$PF" vf 2 max_tx_rate 200
    if wait_screen "(${PF} vf 2) changed outside vftop: max none → 200M" && grep -q "⚠-/200M" <<< "$s" \
        && wait_audit '"outcome":"external"' '"max_mbps":200'; then
        ok drift_flagged_and_audited
    else
        bad drift_flagged_and_audited "audit: $(tail -1 "$AUDIT" 2>/dev/null); screen: $s"
    fi
    keys q
    ip link set "$PF" vf 2 max_tx_rate 0
}

# Two PFs on one host (igb and netdevsim): every row names its PF, `/` filters by PF, the chart
# and contention follow the selected row's PF, a mouse click selects a row and the wheel moves
# the selection, `b` switches every rate to bytes.
multi_pf() {
    local NS=$VFTOP_NSIM_PF s
    [[ -n $NS ]] || { bad netdevsim_present "no netdevsim in this guest"; return; }
    SESSION=p
    tmux new-session -d -s p -x 160 -y 40 "$BIN --log /dev/null --audit-log $AUDIT -i $PF -i $NS"
    wait_screen "$NS " && wait_screen "$PF 1G" || bad multi_pf_started "$s"
    # The table's rows: between its column header and its bottom border.
    table() { sed -n '/│PF /,/└/p' <<< "$s" | sed '1d;$d'; }
    if [[ $(table | grep -c "^│$PF ") == "$VFTOP_NUMVFS" && $(table | grep -c "^│$NS ") -ge 1 \
        && $(table | grep -vc -e "^│$PF " -e "^│$NS ") == 0 ]]; then
        ok multi_pf_every_row_names_its_pf
    else
        bad multi_pf_every_row_names_its_pf "$s"
    fi
    keys /; keys -l "$NS"; keys Enter
    if wait_screen "/$NS: " && wait_screen "tx · $NS" && [[ $(table | grep -c "^│$PF ") == 0 ]]; then
        ok multi_pf_filter_and_chart_follow_the_pf
    else
        bad multi_pf_filter_and_chart_follow_the_pf "$s"
    fi
    keys Escape
    filter_cleared() { screen_has "Partitions (" && ! grep -qF "/$NS: " <<< "$s"; }
    until_true 60 filter_cleared || bad multi_pf_filter_cleared "expected the filter gone from the title: $s"
    # A left click on the third row (SGR mouse: column 5, screen row 6), then the wheel down.
    keys -l $'\e[<0;5;6M\e[<0;5;6m'
    wait_screen "(3 of " && ok multi_pf_click_selects_a_row || bad multi_pf_click_selects_a_row "$s"
    keys -l $'\e[<65;5;6M'
    wait_screen "(4 of " && ok multi_pf_wheel_moves_the_selection || bad multi_pf_wheel_moves_the_selection "$s"
    keys b
    if wait_screen "B/s" && ! grep -q "b/s" <<< "$s"; then
        ok multi_pf_bytes_everywhere
    else
        bad multi_pf_bytes_everywhere "$s"
    fi
    keys q
}

# Field truth (issue 21) on the real kernel: a VF netdev moved into another namespace keeps
# counting; switchdev representors belong to their VFs and edits go through devlink; a
# driver's refusal shows its kernel log line; a PF going down and igb's MAC-override warning
# become recorded events.
field() {
    local NS=$VFTOP_NSIM_PF DEV=netdevsim/netdevsim1 out got rec=/tmp/vftop-field
    metric() { python3 -c "import urllib.request,sys; print(urllib.request.urlopen('http://127.0.0.1:19809/metrics').read().decode())" | awk -v k="$1" 'index($0, k" ") == 1 {print $2}'; }
    "$BIN" serve -i "$PF" --listen 127.0.0.1:19809 --interval 500ms --log /dev/null 2>/dev/null &
    served() { [[ -n $(metric "vftop_samples_total") ]]; }
    until_true 60 served || bad field_exporter_started "no /metrics on :19809 within 60 s"
    local vf1="{pf=\"$PF\",vf=\"1\""
    rx_before=$(metric "sriov_vf_rx_bytes$vf1,pciAddr=\"$(basename "$(readlink /sys/class/net/$PF/device/virtfn1)")\",numa_node=\"$(cat /sys/class/net/$PF/device/numa_node)\"}")
    # VF1's netdev moves to namespace b while VF0 sends to it: its counters go on there.
    send_vf0_to_vf1 300
    doc_has_netns() { got=$(vftop --once --json -i "$PF" --interval 1s | json "d['pfs'][0]['vfs'][1].get('netns'), d['pfs'][0]['vfs'][1]['counters']['origin'], d['pfs'][0]['vfs'][1]['rates']['rx_bps'] > 1e5"); [[ $got == "b vf-netdev True" ]]; }
    until_true 60 doc_has_netns && ok netns_vf_netdev_found \
        || bad netns_vf_netdev_found "expected VF 1 in netns b, origin vf-netdev, rx > 100 kbit/s; saw '$got'"
    resets() { metric "vftop_vf_resets_total$vf1}"; }
    grown() { got=$(metric "sriov_vf_rx_bytes$vf1,pciAddr=\"$(basename "$(readlink /sys/class/net/$PF/device/virtfn1)")\",numa_node=\"$(cat /sys/class/net/$PF/device/numa_node)\"}"); [[ -n $got && -n $rx_before ]] && python3 -c "import sys; sys.exit(0 if float('$got') > float('$rx_before') + 1e6 else 1)"; }
    until_true 60 grown && [[ $(resets) == 0 ]] && ok netns_move_keeps_counting \
        || bad netns_move_keeps_counting "expected VF 1's rx to go on past $rx_before + 1 MB with no reset; saw rx '$got', resets '$(resets)'"
    stop_sender
    # Switchdev: every netdevsim VF has its representor; an edit goes through its devlink leaf.
    # (devlink_rates may have left it in switchdev mode already; setting it again fails.)
    devlink dev eswitch show $DEV | grep -qw switchdev || devlink dev eswitch set $DEV mode switchdev \
        || { bad field_switchdev "cannot switch $DEV to switchdev: $(devlink dev eswitch show $DEV 2>&1)"; return; }
    got=$(vftop --once --json -i "$NS" --interval 100ms | json "all(v.get('representor') for v in d['pfs'][0]['vfs']) and len(d['pfs'][0]['vfs'])")
    [[ $got == "$VFTOP_NUMVFS" ]] && ok switchdev_vfs_have_representors || bad switchdev_vfs_have_representors "expected $VFTOP_NUMVFS VFs each with a representor, saw '$got'"
    out=$(vftop set "$NS" 1 --max 100M 2>&1)
    leaf_max() { devlink -j port function rate show $DEV/129 | json "d['rate']['$DEV/129'].get('tx_max')"; }
    [[ $(leaf_max) == 12500000 ]] && ok switchdev_edit_through_devlink \
        || bad switchdev_edit_through_devlink "expected $DEV/129 tx_max 12500000 (100M); devlink says '$(leaf_max)'; vftop set said: $out"
    # Forced through ip link, netdevsim refuses and says why in the kernel log.
    out=$(vftop set "$NS" 1 --max 200M --ip-link 2>&1)
    expect refusal_shows_kernel_log "$out" "kernel log: «Not supported in switchdev mode. Please use devlink API.»"
    # The PF going down: shown, recorded as an event.
    "$BIN" --log /dev/null record --dir $rec -i "$NS" -i "$PF" --interval 300ms 2>/tmp/vftop-field.err &
    sampled() { [[ $(vftop dump $rec --fields time 2>/dev/null | wc -l) -gt 3 ]]; }
    until_true 120 sampled || bad field_recorder_started "$(cat /tmp/vftop-field.err)"
    ip link set "$NS" down
    down_shown() { got=$(vftop --once --json -i "$NS" --interval 100ms | json "d['pfs'][0]['link']['oper']"); [[ $got == down ]]; }
    until_true 30 down_shown && ok pf_down_shown || bad pf_down_shown "expected oper down, saw '$got'"
    down_recorded() { vftop dump $rec --events 2>/dev/null | grep -q "PF link DOWN"; }
    until_true 60 down_recorded && ok pf_down_recorded || bad pf_down_recorded "$(vftop dump $rec --events 2>&1 | tail -5)"
    ip link set "$NS" up
    # Pause frames on the PF's port, over ethtool netlink (netdevsim reports rx 1, tx 2 when
    # its debugfs switches say so).
    mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
    for p in /sys/kernel/debug/netdevsim/netdevsim1/ports/*/ethtool/pause; do
        echo Y > "$p/report_stats_rx"; echo Y > "$p/report_stats_tx"
    done
    got=$(vftop --once --json -i "$NS" --interval 100ms | json "d['pfs'][0].get('pause')")
    [[ $got == "{'rx_frames': 1, 'tx_frames': 2}" ]] && ok pf_pause_frames_read \
        || bad pf_pause_frames_read "expected netdevsim's pause counters rx 1 tx 2, saw '$got' ($(ls /sys/kernel/debug/netdevsim/netdevsim1/ports/*/ethtool/pause 2>&1 | head -3))"
    # igb: a VF trying to override the MAC its PF set is a driver warning, and an event.
    ip link set "$PF" vf 0 mac 02:00:00:00:00:aa
    ip link set "${VFN[0]}" address 02:00:00:00:00:bb 2>/dev/null
    mac_event() { vftop dump $rec --events 2>/dev/null | grep -q "tried to override its administratively set MAC"; }
    until_true 60 mac_event && ok igb_mac_override_event \
        || bad igb_mac_override_event "no event; dmesg: $(dmesg | grep -i 'override' | tail -2); events: $(vftop dump $rec --events 2>&1 | tail -3)"
    ip link set "$PF" vf 0 mac 00:00:00:00:00:00 2>/dev/null
    kill %?record 2>/dev/null
}

# VF1's netdev in namespace pod1 (10.77.0.1), VF2's in pod2 (10.77.0.2) with an iperf3 server.
two_pods() { # CHECK-PREFIX
    command -v iperf3 >/dev/null || { bad "$1_tools" "iperf3 is not installed (tests/run-all.sh installs it)"; return 1; }
    local n
    for n in 1 2; do
        ip netns add pod$n
        ip link set "${VFN[$n]}" netns pod$n
        ip -n pod$n link set lo up
        ip -n pod$n addr add 10.77.0.$n/24 dev "${VFN[$n]}"
        ip -n pod$n link set "${VFN[$n]}" up
    done
    ip netns exec pod2 iperf3 -s -D --logfile /tmp/iperf3-server.log
    ready() { ip netns exec pod2 ss -Htln 'sport = :5201' | grep -q 5201; }
    until_true 30 ready || { bad "$1_iperf3_server" "no iperf3 server in pod2: $(cat /tmp/iperf3-server.log)"; return 1; }
}
# An iperf3 client in pod1 sending to pod2 at RATE until killed ($CLIENT), once it flows.
pod1_sends() { # RATE
    ip netns exec pod1 iperf3 -c 10.77.0.2 -b "$1" -t 600 >/tmp/iperf3-client.log 2>&1 &
    CLIENT=$!
    flowing() { ip netns exec pod1 ss -Htin 'dport = :5201' | grep -q 'bytes_acked:[0-9]\{6,\}'; }
    until_true 60 flowing || { bad iperf3_flow "no TCP flow from pod1: $(cat /tmp/iperf3-client.log)"; return 1; }
}

# Owners (issue 17): VF1's netdev in namespace pod1 sends over TCP (iperf3) to VF2's in pod2:
# VF1's owner is netns pod1, its top talker the iperf3 client with its pid, at the VF's own rate
# and at the rate ss -tin's byte counters give over the same interval.
owners() {
    two_pods owners || return
    local client
    pod1_sends 8M || return
    client=$CLIENT
    # ss's acknowledged bytes of pod1's connections to the server, and when, every 100 ms while
    # vftop measures: the ss rate is then taken over vftop's own interval (its second sample
    # ends as vftop exits; its first began interval_secs before), not over vftop's start-up.
    acked() { echo "$(date +%s.%N) $(ip netns exec pod1 ss -Htin 'dport = :5201' | grep -o 'bytes_acked:[0-9]*' | awk -F: '{s += $2} END {print s + 0}')"; }
    ( while :; do acked; sleep 0.1; done ) >/tmp/owners-acked &
    local sampler=$! doc got end
    doc=$(vftop --once --json -i "$PF" --interval 6s)
    end=$(date +%s.%N)
    acked >>/tmp/owners-acked
    kill "$sampler"; wait "$sampler" 2>/dev/null
    got=$(json "(d['pfs'][0]['vfs'][1]['owner'] or {}).get('label')" <<< "$doc")
    [[ $got == "netns pod1" ]] && ok owner_is_the_netns || bad owner_is_the_netns "expected VF 1's owner 'netns pod1', saw '$got'"
    got=$(json "(d['pfs'][0]['vfs'][1]['talkers'] or [{}])[0]" <<< "$doc")
    local talker
    talker=$(json "(d['pfs'][0]['vfs'][1]['talkers'] or [{}])[0].get('process'), (d['pfs'][0]['vfs'][1]['talkers'] or [{}])[0].get('pid')" <<< "$doc")
    [[ $talker == "iperf3 $client" ]] && ok top_talker_is_iperf3 || bad top_talker_is_iperf3 "expected 'iperf3 $client', saw '$talker' ($got)"
    local ss_rate window
    window=$(json "d['interval_secs'], d['sample_duration_us'] / 1e6" <<< "$doc")
    ss_rate=$(python3 - "$end" "$window" /tmp/owners-acked <<'PY'
import sys
end, (interval, took) = float(sys.argv[1]), map(float, sys.argv[2].split())
points = [tuple(map(float, l.split())) for l in open(sys.argv[3]) if len(l.split()) == 2]
def at(t):  # acknowledged bytes at time t, linear between the two readings around it
    for (t0, b0), (t1, b1) in zip(points, points[1:]):
        if t0 <= t <= t1:
            return b0 + (b1 - b0) * (t - t0) / ((t1 - t0) or 1)
    sys.exit(f"no ss readings around {t} (from {points[0][0]} to {points[-1][0]})")
stop = end - took
print(8 * (at(stop) - at(stop - interval)) / interval)
PY
)
    got=$(json "(lambda v: (v['talkers'][0]['tx_bps'], v['rates']['tx_bps']))(d['pfs'][0]['vfs'][1])" <<< "$doc")
    python3 - "$got" "$ss_rate" <<'PY' && ok top_talker_rate_matches_vf_and_ss || bad top_talker_rate_matches_vf_and_ss "talker and VF tx (bit/s) $got, ss -tin $ss_rate over vftop's interval ($window s interval, sample): not within 15 %"
import sys
talker, vf = eval(sys.argv[1]); ss = float(sys.argv[2])
sys.exit(0 if talker and vf and ss and abs(talker - vf) <= 0.15 * vf and abs(talker - ss) <= 0.15 * ss else 1)
PY
    echo "owners: talker/VF/ss tx bit/s: $got $ss_rate" >&2
    kill "$client" 2>/dev/null; wait "$client" 2>/dev/null
    # A service on the host on VF 0's address: VF 0's owner is that process.
    ip addr add 10.77.0.3/24 dev "${VFN[0]}"
    iperf3 -s -B 10.77.0.3 -p 5202 >/dev/null 2>&1 &
    local server=$!
    ip netns exec pod1 iperf3 -c 10.77.0.3 -p 5202 -b 2M -t 300 >/dev/null 2>&1 &
    client=$!
    host_owner() { got=$(vftop --once --json -i "$PF" --interval 500ms | json "(d['pfs'][0]['vfs'][0]['owner'] or {}).get('label'), (d['pfs'][0]['vfs'][0]['owner'] or {}).get('detail')"); [[ $got == "host: iperf3 pid $server" ]]; }
    until_true 60 host_owner && ok host_service_owns_its_vf || bad host_service_owns_its_vf "expected 'host: iperf3 pid $server', saw '$got'"
    kill "$client" "$server" 2>/dev/null; wait "$client" "$server" 2>/dev/null
    pkill -x iperf3 2>/dev/null
}

# A VF handed to a VM: VF 3 bound to vfio-pci (the guest has an emulated IOMMU: vftop-vm
# --iommu) and held by a real, paused QEMU started as libvirt starts one (-name guest=vm7):
# its owner is vm vm7, read from the process holding the VF's vfio group.
vfio() {
    local dev vf group qemu got
    dev=$(readlink -f /sys/class/net/$PF/device/virtfn3); vf=$(basename "$dev")
    [[ -e $dev/iommu_group ]] || { bad vfio_iommu "VF 3 ($vf) has no IOMMU group: the guest was booted without --iommu"; return; }
    group=$(basename "$(readlink "$dev/iommu_group")")
    modprobe vfio-pci
    echo "$vf" > "$dev/driver/unbind"
    echo vfio-pci > "$dev/driver_override"
    echo "$vf" > /sys/bus/pci/drivers_probe
    [[ $(basename "$(readlink "$dev/driver")") == vfio-pci ]] || { bad vfio_bound "VF 3 is not bound to vfio-pci: $(readlink "$dev/driver")"; return; }
    qemu-system-x86_64 -name guest=vm7,debug-threads=on -S -machine q35,accel=tcg -m 64 -nodefaults \
        -display none -monitor none -serial none -device vfio-pci,host="$vf" >/tmp/vm7.log 2>&1 &
    qemu=$!
    holds() { ls -l /proc/$qemu/fd 2>/dev/null | grep -q "/dev/vfio/$group\$"; }
    until_true 60 holds || { bad vfio_qemu "QEMU did not open /dev/vfio/$group: $(cat /tmp/vm7.log)"; return; }
    local doc; doc=$(vftop --once --json -i "$PF" --interval 100ms)
    got=$(json "(lambda o: o and (o['label'], o['source'], o['detail']))(d['pfs'][0]['vfs'][3]['owner'])" <<< "$doc")
    [[ $got == "('vm vm7', 'qemu', 'pid $qemu')" ]] && ok vfio_owner_is_the_qemu_vm \
        || bad vfio_owner_is_the_qemu_vm "expected ('vm vm7', 'qemu', 'pid $qemu'), saw $got"
    # Transmit errors: IFLA_VF_STATS has none and igb keeps no sysfs files, so VF 0's are its
    # netdev's (what ip says) and VF 3's, with no netdev on this host, are unknown, not 0.
    got=$(json "[d['pfs'][0]['vfs'][i]['counters'].get('tx_errors') for i in (0, 3)]" <<< "$doc")
    local ip_errors; ip_errors=$(ip -j -s link show "${VFN[0]}" | json "d[0]['stats64']['tx']['errors']")
    [[ $got == "[$ip_errors, None]" ]] && ok vf_tx_errors_from_netdev_or_unknown \
        || bad vf_tx_errors_from_netdev_or_unknown "expected VF 0's tx errors as ip's ($ip_errors) and VF 3's (vfio-pci) None, saw $got"
    kill "$qemu"; wait "$qemu" 2>/dev/null
    echo > "$dev/driver_override"
    echo "$vf" > "$dev/driver/unbind"
    echo "$vf" > /sys/bus/pci/drivers_probe
}

# The story of an incident (issue 20): VF 1 sends to VF 2 over TCP while the recorder runs; the
# operator lowers VF 1's cap in the console. QEMU's igb enforces no VF rate (the testbed's
# README), so the throughput step is iperf3's own, made at the same moment; the report must show
# the change, who made it, and the step in VF 1's rate between the windows either side.
incident() {
    local rec=/tmp/vftop-incident before change got
    two_pods incident || return
    "$BIN" --log /dev/null record --dir $rec -i "$PF" --interval 500ms --audit-log "$AUDIT" 2>/tmp/vftop-incident.err &
    pod1_sends 20M || return
    echo "  (incident: flowing at $((SECONDS - started)) s)"
    samples_since() { vftop dump $rec --from "$1" --fields time 2>/dev/null | tail -n +2 | wc -l; }
    before=$(date -u +%FT%TZ)
    enough() { (($(samples_since "$before") >= 14)); }
    until_true 120 enough || { bad incident_recorded "the recorder wrote under 14 samples in 2 min: $(cat /tmp/vftop-incident.err)"; return; }
    echo "  (incident: 14 samples recorded at $((SECONDS - started)) s)"
    SESSION=r
    tmux new-session -d -s r -x 140 -y 40 "$BIN --log /dev/null --audit-log $AUDIT -i $PF"
    wait_screen "$PF 1G" || bad incident_console "$s"
    keys j; keys e
    wait_screen "Rate limit · vf 1" || bad incident_editor "$s"
    keys BSpace BSpace BSpace; keys -l 5M; keys Enter
    wait_screen "max_tx_rate 5 min_tx_rate 0" || bad incident_preview "$s"
    keys y
    wait_rate "$PF" 1 "0 5" || bad incident_cap_applied "$(ip_rate "$PF" 1)"
    change=$(date -u +%FT%TZ)
    echo "  (incident: capped at $((SECONDS - started)) s)"
    kill "$CLIENT"; wait "$CLIENT" 2>/dev/null
    pod1_sends 3M || return
    after=$(date -u -d "@$(( $(date +%s) + 2 ))" +%FT%TZ)
    enough() { (($(samples_since "$after") >= 14)); }
    until_true 120 enough || { bad incident_recorded_after "under 14 samples after the change"; return; }
    echo "  (incident: 14 samples after at $((SECONDS - started)) s)"
    keys q
    # The recorder ends, and so does the sender (a bare `wait` would wait out its -t 600).
    kill "$CLIENT" 2>/dev/null; wait "$CLIENT" 2>/dev/null
    kill %?"record --dir $rec" 2>/dev/null; pkill -f "record --dir $rec"
    recorder_gone() { ! pgrep -f "record --dir $rec" >/dev/null; }
    until_true 30 recorder_gone || bad incident_recorder_stopped "the recorder did not stop"
    got=$(vftop report $rec --format json | json "[(c['event'], c['new']['max'], c['reason'], c['outcome']) for c in d['changes'] if c['vf'] == 1]")
    [[ $got == "[('rate-change', 5, 'operator', 'applied')]" ]] && ok report_shows_the_console_change \
        || bad report_shows_the_console_change "expected VF 1's one change, to max 5 by the operator, in the report's changes; saw $got"
    local first
    first=$(date -u -d "@$(( $(date -d "$change" +%s) - 7 ))" +%FT%TZ)
    got=$(vftop report $rec --compare "$first" "$after" --window 5s --format json | json "[(r['tx_bps'][0], r['tx_bps'][1]) for r in d['rows'] if r['vf'] == 1][0]")
    python3 -c "a, b = $got; import sys; sys.exit(0 if a > 12e6 and b < 5e6 and b > 1e6 else 1)" && ok report_shows_the_throughput_step \
        || bad report_shows_the_throughput_step "expected VF 1 at ~20 Mbit/s before and ~3 after, saw $got (bit/s)"
    echo "  (incident: reports read at $((SECONDS - started)) s)"
    got=$(vftop report $rec)
    expect report_text_names_the_change "$got" "($PF vf 1): max none → 5M by"
    pkill -x iperf3 2>/dev/null
}

# Declared limits on the real drivers: igb (max only), netdevsim (min and max, a devlink rate
# group), and the watcher across `sriov_numvfs` 0 → N. Changes the igb VFs' topology: run late.
declared() {
    local NS=$VFTOP_NSIM_PF DEV=netdevsim/netdevsim1 C=/tmp/vftop-declared.toml out rc W got
    printf '[[declared]]\npf = "%s"\nvf = 1\nmax = "300M"\n' "$PF" > $C
    ip link set "$PF" vf 1 max_tx_rate 500
    out=$(vftop check --config $C 2>&1); rc=$?
    [[ $rc == 1 ]] && expect check_names_the_drift "$out" "≠ $PF vf 1: declared max 300M, actual max 500M min none" \
        || bad check_names_the_drift "rc $rc: $out"
    out=$(vftop check --config $C --json 2>&1)
    [[ $(json "d['conforms'], d['findings'][0]['actual']['max']" <<< "$out") == "False 500" ]] && ok check_json || bad check_json "$out"
    out=$(vftop apply --config $C --dry-run 2>&1); rc=$?
    [[ $rc == 1 && $(ip_rate "$PF" 1) == "0 500" ]] && expect dry_run_changes_nothing "$out" "ip link set dev $PF vf 1 max_tx_rate 300 min_tx_rate 0" \
        || bad dry_run_changes_nothing "rc $rc, rate $(ip_rate "$PF" 1): $out"
    out=$(vftop apply --config $C 2>&1); rc=$?
    [[ $rc == 0 && $(ip_rate "$PF" 1) == "0 300" ]] && audit_has '"reason":"declared"' "\"target\":\"$PF vf 1\"" \
        && ok apply_sets_and_audits || bad apply_sets_and_audits "rc $rc, rate $(ip_rate "$PF" 1): $out; audit: $(cat "$AUDIT" 2>/dev/null)"
    out=$(vftop check --config $C 2>&1); rc=$?
    [[ $rc == 0 ]] && ok check_conforms_after_apply || bad check_conforms_after_apply "rc $rc: $out"
    # Commit-confirmed: not confirmed, the guard reverts at the deadline; confirmed, it stays.
    ip link set "$PF" vf 1 max_tx_rate 500
    out=$(vftop apply --config $C --confirm-within 3s 2>&1)
    if rate_is "$PF" 1 "0 300" && until_true 30 rate_is "$PF" 1 "0 500" \
        && wait_audit '"reverted_by":"guard (console gone)"' "\"target\":\"$PF vf 1\""; then
        ok apply_unconfirmed_reverted
    else
        bad apply_unconfirmed_reverted "rate $(ip_rate "$PF" 1): $out; audit: $(tail -2 "$AUDIT")"
    fi
    out=$(vftop apply --config $C --confirm-within 60s 2>&1)
    out=$(vftop apply --confirm 2>&1); rc=$?
    if [[ $rc == 0 ]] && grep -qF "kept 1 change(s)" <<< "$out" && until_true 10 no_guard && rate_is "$PF" 1 "0 300" \
        && audit_has '"reason":"confirmed"' "\"target\":\"$PF vf 1\""; then
        ok apply_confirmed_kept
    else
        bad apply_confirmed_kept "rc $rc, rate $(ip_rate "$PF" 1): $out"
    fi
    printf '\n[[declared]]\npf = "%s"\nvf = 2\nmin = "100M"\n' "$PF" > /tmp/vftop-igb-min.toml
    out=$(vftop check --config /tmp/vftop-igb-min.toml 2>&1); rc=$?
    [[ $rc == 2 ]] && expect igb_min_declared_refused "$out" "vftop-igb-min.toml:2: min 100M declared for $PF vf 2 (igb): the igb driver has no minimum rate" \
        || bad igb_min_declared_refused "rc $rc: $out"
    # The watcher: VFs re-created under it come back to what is declared; a person's change
    # is reported and left alone.
    W=/tmp/vftop-watch.out
    # (the binary itself in the background, not the wrapper's subshell: SIGTERM goes to it)
    "$BIN" apply --config $C --watch --interval 500ms --log /dev/null --audit-log "$AUDIT" > $W 2>&1 &
    local watcher=$!
    until_true 30 grep -q "keeping 1 declaration" $W || bad watcher_started "$(cat $W)"
    until_true 30 grep -q "first look: 1 as declared, 0 to put right" $W || bad watcher_first_look "$(cat $W)"
    ip link set "$PF" vf 1 max_tx_rate 700
    if until_true 30 grep -q "$PF vf 1: drift: max 700M" $W && sleep 1.5 && rate_is "$PF" 1 "0 700"; then
        ok watcher_leaves_a_person_s_change_alone
    else
        bad watcher_leaves_a_person_s_change_alone "rate $(ip_rate "$PF" 1): $(cat $W)"
    fi
    # Back to what is declared, so the re-creation is the only cause left.
    ip link set "$PF" vf 1 max_tx_rate 300
    echo 0 > "/sys/class/net/$PF/device/sriov_numvfs"
    echo "$VFTOP_NUMVFS" > "/sys/class/net/$PF/device/sriov_numvfs"
    local start=$SECONDS
    if until_true 30 rate_is "$PF" 1 "0 300" && wait_audit '"reason":"declared"' '"old":{"min_mbps":0,"max_mbps":0}'; then
        ok watcher_restores_recreated_vf; echo "  (back at 300M $((SECONDS - start)) s after sriov_numvfs)"
    else
        bad watcher_restores_recreated_vf "rate $(ip_rate "$PF" 1): $(cat $W)"
    fi
    kill -TERM $watcher; wait $watcher; rc=$?
    [[ $rc == 0 ]] && ok watcher_stops_on_sigterm || bad watcher_stops_on_sigterm "rc $rc: $(cat $W)"
    [[ -n $NS ]] || { bad netdevsim_present "no netdevsim in this guest"; return; }
    # netdevsim: a min and a max, in legacy mode (its VF rates are ip link's there).
    devlink dev eswitch set $DEV mode legacy 2>/dev/null
    printf '[[declared]]\npf = "%s"\nvf = 2\nmin = "100M"\nmax = "500M"\n' "$NS" > $C
    out=$(vftop apply --config $C 2>&1); rc=$?
    [[ $rc == 0 && $(ip_rate "$NS" 2) == "100 500" ]] && ok nsim_min_max_applied || bad nsim_min_max_applied "rc $rc, rate $(ip_rate "$NS" 2): $out"
    out=$(vftop check --config $C 2>&1); rc=$?
    [[ $rc == 0 ]] && ok nsim_min_max_checked || bad nsim_min_max_checked "rc $rc: $out"
    # A devlink rate group (switchdev): its tx_share and tx_max, and its member.
    devlink dev eswitch set $DEV mode switchdev || { bad nsim_switchdev "cannot switch $DEV to switchdev"; return; }
    devlink port function rate add $DEV/declgrp tx_max 100mbit
    devlink port function rate set $DEV/130 parent declgrp
    printf '[[declared]]\npf = "%s"\ngroup = "declgrp"\ntx_share = "50M"\ntx_max = "400M"\nmembers = [2]\n' "$NS" > $C
    out=$(vftop check --config $C 2>&1); rc=$?
    [[ $rc == 1 ]] && expect group_drift_checked "$out" "≠ $NS group declgrp: declared max 400M min 50M, actual max 100M min none" \
        || bad group_drift_checked "rc $rc: $out"
    out=$(vftop apply --config $C 2>&1); rc=$?
    got=$(devlink -j port function rate show $DEV/declgrp | json "d['rate']['$DEV/declgrp'].get('tx_share'), d['rate']['$DEV/declgrp'].get('tx_max')")
    [[ $rc == 0 && $got == "6250000 50000000" ]] && ok group_applied || bad group_applied "rc $rc, devlink $got: $out"
    out=$(vftop check --config $C 2>&1); rc=$?
    [[ $rc == 0 ]] && ok group_checked_after_apply || bad group_checked_after_apply "rc $rc: $out"
    devlink port function rate set $DEV/130 noparent
    devlink port function rate del $DEV/declgrp
}

# Puts the guest back as vftop-vm left it, for the next group.
reset_guest() {
    tmux kill-server 2>/dev/null
    pkill -9 -x vftop 2>/dev/null   # consoles, servers, guards (by name: this script has $BIN in its own arguments)
    kill $(jobs -p) 2>/dev/null; wait 2>/dev/null
    if ip netns list | grep -qw b; then
        ip -n b link set "${VFN[1]}" netns 1
        ip netns del b
    fi
    pkill -x iperf3 2>/dev/null
    for n in 1 2; do
        ip netns list | grep -qw pod$n || continue
        ip -n pod$n link set "${VFN[$n]}" netns 1
        ip netns del pod$n
    done
    ip addr del 10.77.0.3/24 dev "${VFN[0]}" 2>/dev/null   # (a move between namespaces drops the others')
    ip addr del fe80::a/64 dev "${VFN[0]}" 2>/dev/null
    for n in "${VFN[@]}"; do ip link set "$n" up 2>/dev/null; done
    local d=/sys/bus/netdevsim/devices/netdevsim1
    if [[ -n ${VFTOP_NSIM_PF:-} && $(cat $d/sriov_numvfs) != "$VFTOP_NUMVFS" ]]; then
        echo 0 > $d/sriov_numvfs; echo "$VFTOP_NUMVFS" > $d/sriov_numvfs
    fi
    for ((v = 0; v < VFTOP_NUMVFS; v++)); do
        ip link set "$PF" vf $v max_tx_rate 0 2>/dev/null
        [[ -n ${VFTOP_NSIM_PF:-} ]] && ip link set "$VFTOP_NSIM_PF" vf $v min_tx_rate 0 max_tx_rate 0 2>/dev/null
    done
    # Rate nodes left behind refuse every eswitch mode change ("Rate node(s) exists."): their
    # members leave them, then they go.
    devlink -j port function rate show 2>/dev/null | python3 -c '
import json, sys
rates = json.load(sys.stdin).get("rate", {})
for name, r in rates.items():
    if r.get("parent"):
        print("set", name, "noparent")
for name, r in rates.items():
    if r.get("type") == "node":
        print("del", name)' | while read -r verb args; do devlink port function rate $verb $args; done
    rm -f "$AUDIT"
    rm -rf /tmp/vftop-field /tmp/vftop-incident
}

any_failed=0
for group in "$@"; do
    echo "== group $group"
    failed=0 started=$SECONDS
    "$group"
    ((failed)) && { any_failed=1; echo "== end $group FAILED ($((SECONDS - started)) s)"; } \
        || echo "== end $group ok ($((SECONDS - started)) s)"
    reset_guest
done
exit $any_failed
