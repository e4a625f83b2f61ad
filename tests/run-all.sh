#!/usr/bin/env bash
# The one command that runs every vftop test on a fresh Debian machine (run as root, or with
# sudo available, so it can install what the tests need and create network namespaces).
#
# Installs (apt): tmux, iproute2, ethtool, procps, python3, iperf3 — the end-to-end, real-kernel
# and VM checks' tools — prometheus (the server and promtool), prometheus-alertmanager (the
# mixin's end-to-end test) and victoria-metrics (the fleet console on another backend), curl
# and openssl for the exporter's tests, protobuf-compiler with python3-grpcio for the stand-in
# kubelet, chromium to render `vftop report`'s HTML, and systemd (systemd-analyze) and
# python3-yaml for the deploy kit's checks; then prepares the QEMU guest (tests/vm/vftop-vm --prepare: QEMU, the kernel, netdevsim)
# before any test's clock starts.
# Runs: cargo fmt --check, cargo clippy -D warnings, cargo test (unit, snapshot, real-kernel,
# tmux end-to-end, the VM), and a short cargo fuzz run of the netlink parser (installs
# cargo-fuzz). Tests that cannot run print SKIPPED; with VFTOP_REQUIRE_ALL=1 they fail. A
# failed run ends with the name of every failed test and VM check.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for tool in tmux:tmux ip:iproute2 devlink:iproute2 ethtool:ethtool pkill:procps python3:python3 prometheus:prometheus promtool:prometheus prometheus-alertmanager:prometheus-alertmanager victoria-metrics:victoria-metrics curl:curl openssl:openssl flock:util-linux iperf3:iperf3 protoc:protobuf-compiler chromium:chromium systemd-analyze:systemd; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need_apt+=("${tool#*:}")
done
# The stand-in kubelet of tests/owners.rs serves gRPC with Debian's Python grpcio.
/usr/bin/python3 -c "import grpc, google.protobuf" 2>/dev/null || need_apt+=(python3-grpcio python3-protobuf)
# The deploy kit's PrometheusRule generator (contrib/kubernetes/prometheusrule.sh) uses PyYAML.
/usr/bin/python3 -c "import yaml" 2>/dev/null || need_apt+=(python3-yaml)
if [ ${#need_apt[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    echo "== installing ${need_apt[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The VM's first-run work (packages, backports, the kernel, netdevsim's build: minutes on a fresh
# machine), done once here with its own message, not inside a test.
if [ "$(id -u)" -eq 0 ] && [ "${VFTOP_SKIP_VM:-0}" != 1 ]; then
    echo "== preparing the SR-IOV VM (tests/vm/vftop-vm --prepare)"
    if ! ./tests/vm/vftop-vm --prepare; then
        echo "run-all: FAILED to prepare the QEMU guest (see above); the VM checks cannot run" >&2
        exit 1
    fi
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
log=$(mktemp /tmp/vftop-test.XXXXXX.log)
set +e
cargo test --workspace --all-targets --locked --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    echo
    echo "== FAILED (cargo test exit $status); full log: $log"
    grep -E '^test .* \.\.\. FAILED$' "$log" | sed 's/^test /  test /; s/ \.\.\. FAILED$//' || true
    grep -E '^FAIL [a-z0-9_]+:' "$log" | sort -u | cut -c1-300 | sed 's/^/  vm check /' || true
    grep -E '^error: (test failed|could not compile)' "$log" | sed 's/^/  /' || true
    exit "$status"
fi
rm -f "$log"

# A short fuzz run of every parser of kernel bytes (cargo fuzz needs nightly features;
# RUSTC_BOOTSTRAP enables them on the stable toolchain). VFTOP_FUZZ_SECONDS=0 skips it; the
# time is shared: half for the link parser, a sixth each for the ethtool replies, the
# recording reader (shards torn, flipped or made up) and the owner sources (libvirt XML, the
# CNI cache, the kubelet's answer, sock_diag).
fuzz_seconds=${VFTOP_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" -gt 0 ]; then
    echo "== cargo fuzz (${fuzz_seconds}s)"
    command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
    ./fuzz/seeds.sh
    link_seconds=$(( fuzz_seconds / 2 ))
    sixth=$(( (fuzz_seconds - link_seconds + 2) / 3 ))
    (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run parse_link corpus/parse_link -- -max_total_time="$link_seconds")
    (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run parse_ethtool corpus/parse_ethtool -- -max_total_time="$sixth")
    (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run read_recording corpus/read_recording -- -max_total_time="$sixth")
    (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run parse_owner_sources corpus/parse_owner_sources -- -max_total_time="$sixth")
fi
