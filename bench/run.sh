#!/usr/bin/env bash
# make bench: ingest, pacing and change-capture figures, written to
# bench/BENCHMARKS.md. The version named by BENCH_BASELINE (a commit or tag;
# default: the last one before streams) is built beside it and measured in
# the same run, so the two stand side by side; BENCH_BASELINE=none skips it.
set -euo pipefail
BIN=${1:-build/marketsync}
cd "$(dirname "$0")/.."
BASELINE=${BENCH_BASELINE:-2047f1e}
args=()
if [ "$BASELINE" != none ] && git rev-parse --verify -q "$BASELINE^{commit}" >/dev/null; then
  dir=build/bench-baseline
  if [ ! -x "$dir/build/marketsync" ] || [ "$(cat "$dir/REF" 2>/dev/null)" != "$BASELINE" ]; then
    echo "building the baseline $BASELINE in $dir"
    rm -rf "$dir" && mkdir -p "$dir/src"
    git archive "$BASELINE" | tar -x -C "$dir/src"
    cmake -S "$dir/src" -B "$dir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$dir/build" -j"$(nproc)" --target marketsync >/dev/null
    echo "$BASELINE" >"$dir/REF"
  fi
  args=(--baseline-bin "$dir/build/marketsync" --baseline-name "$BASELINE")
elif [ "$BASELINE" != none ]; then
  echo "no commit $BASELINE here: measuring this version alone" >&2
fi
python3 bench/bench.py --bin "$BIN" --out bench/BENCHMARKS.md "${args[@]}" "${@:2}"
