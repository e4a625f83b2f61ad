#!/usr/bin/env bash
# Writes fuzz seeds (kernel-shaped link messages from the fixture builder) to fuzz/corpus/parse_link.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --example fuzz_seeds -- fuzz/corpus/parse_link
