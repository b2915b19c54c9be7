#!/usr/bin/env bash
# Builds and runs bench/json_choice.c: jansson vs json-c vs cJSON on a
# generated 250-order Shopify page. Results are discussed in json_choice.md.
#   MIN_SECONDS=2 (default) is the minimum length of each of the 3 timed runs.
#   ROUNDS=1 (default): how many times each library's timings are repeated
#   (libraries take turns); the summary keeps the best of all rounds.
#   OUT=dir (default build/bench) receives the binaries, the generated page
#   and results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build/bench}
mkdir -p "$OUT"
PKG=$(pkg-config --cflags --libs jansson json-c libcjson)
CFLAGS="-std=c11 -Wall -Wextra -Wshadow"
# jansson.h and json-c/json.h clash, so the one source file is compiled once
# per library (-DPART_*) plus once for the driver, and linked together.
for part in JANSSON JSONC CJSON; do
  cc -O2 $CFLAGS -DPART_$part -c -o "$OUT/json_choice_$part.o" bench/json_choice.c \
    $(pkg-config --cflags jansson json-c libcjson)
done
PARTS="$OUT/json_choice_JANSSON.o $OUT/json_choice_JSONC.o $OUT/json_choice_CJSON.o"
# timing build: plain malloc
cc -O2 $CFLAGS -o "$OUT/json_choice" bench/json_choice.c $PARTS $PKG
# counting build: the driver interposes malloc to count calls and heap bytes
cc -O2 $CFLAGS -DCOUNT_ALLOCS -o "$OUT/json_choice_alloc" bench/json_choice.c $PARTS $PKG

echo "== machine"
echo "nproc: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); cc: $(cc --version | head -1)"
echo "jansson $(pkg-config --modversion jansson), json-c $(pkg-config --modversion json-c)," \
     "cJSON $(pkg-config --modversion libcjson)"
"$OUT/json_choice" page "$OUT/orders_page.json"
echo
echo "== page fidelity (re-serialized order vs canonical compact text)"
"$OUT/json_choice" fidelity
echo
echo "== allocations per page"
"$OUT/json_choice_alloc" allocs
echo
ROUNDS=${ROUNDS:-1}
echo "== timings (best of 3 runs of >= ${MIN_SECONDS:-2} s CPU each, $ROUNDS round(s); process CPU time; MB = 10^6 bytes)"
# one process per library (so getrusage's peak RSS is that library's own);
# with ROUNDS > 1 the libraries take turns, and the summary keeps each best
status=0
: > "$OUT/results.txt"
for round in $(seq "$ROUNDS"); do
  for lib in jansson json-c cJSON; do
    "$OUT/json_choice" bench "$lib" | tee -a "$OUT/results.txt" || status=1
  done
done
echo
echo "== summary: best MB/s and orders/s per library and step (one core)"
awk '$1 == "RESULT" {
       lib = $2; step = ""; i = 3
       while ($(i + 1) != "MB/s") { step = step (step == "" ? "" : " ") $i; i++ }
       mb = $i; ops = $(i + 2)
       key = lib SUBSEP step
       if (!(key in best) || mb > best[key]) { best[key] = mb; bops[key] = ops }
       if (!(step in seen)) { seen[step] = 1; steps[++ns] = step }
       if (!(lib in lseen)) { lseen[lib] = 1; libs[++nl] = lib }
     }
     END {
       for (s = 1; s <= ns; s++) {
         line = sprintf("%-30s", steps[s])
         for (l = 1; l <= nl; l++) {
           k = libs[l] SUBSEP steps[s]
           line = line sprintf("  %-8s %6.1f MB/s %7d/s", libs[l], best[k], bops[k])
         }
         print line
       }
     }' "$OUT/results.txt"
echo
echo "== correctness and limits"
"$OUT/json_choice" checks
exit $status
