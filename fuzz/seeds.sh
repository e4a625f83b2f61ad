#!/usr/bin/env bash
# Writes fuzz seeds (kernel-shaped link messages and ethtool replies) under fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --example fuzz_seeds -- fuzz/corpus
