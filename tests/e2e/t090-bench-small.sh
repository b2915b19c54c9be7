#!/usr/bin/env bash
# The small version of `make bench`: the ingest, pacing and Amazon benchmarks
# run end to end and report their figures. Speed is not asserted here (the
# figures are for bench/BENCHMARKS.md); that they run at all is.
. "$(dirname "$0")/lib.sh"

test_expect_success 'the small benchmarks run and print every figure' '
  python3 "$MS_SRC/bench/bench.py" --bin "$MS_BIN" --out "$WORK/BENCH.md" --small >"$WORK/bench.out" 2>&1 &&
  cat "$WORK/bench.out" &&
  grep -q "orders/s end to end" "$WORK/bench.out" &&
  grep -q "peak RSS" "$WORK/bench.out" &&
  grep -q "ratio (aim: <= 1.05)" "$WORK/bench.out" &&
  grep -q "getOrders / getOrderItems requests" "$WORK/bench.out"
'

test_done
