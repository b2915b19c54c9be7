#!/usr/bin/env bash
# make bench: ingest and pacing figures, written to bench/BENCHMARKS.md.
set -euo pipefail
BIN=${1:-build/marketsync}
cd "$(dirname "$0")/.."
python3 bench/bench.py --bin "$BIN" --out bench/BENCHMARKS.md "${@:2}"
