#!/usr/bin/env bash
# The promise under fire: three Shopify shops and one Amazon seller, over 5%
# of requests faulted (5xx, resets, cut bodies, malformed JSON), the sync
# SIGKILLed at random moments MS_KILLS times (50 here, 1000 in `make soak`),
# then allowed to finish. Afterwards the database equals the truth, the sync
# log accounts for every run, and pages fetched twice are counted.
. "$(dirname "$0")/lib.sh"
KILLS=${MS_KILLS:-50}
export REFRESH_SELLER='Atzr|sandbox-seller'

# Paced slowly (1 page/s a shop, Amazon x10) so that the whole sync takes far
# longer than the kills together: most kills must land on a run at work.
sandbox_start --seed 77 --days 8 --shop ny:America/New_York:1500 --shop de:Europe/Berlin:1200 \
  --shop in:Asia/Kolkata:1000 --seller seller:25 --sp-speed 10 --bucket-size 2 --leak-rate 1 \
  --faults 500=0.015,503=0.01,reset=0.01,truncated=0.01,malformed=0.01 --fault-seed 5

FROM=$(local_day UTC -4)
TO=$(local_day UTC -2)

test_expect_success "$KILLS syncs SIGKILLed at random moments, under faults" '
  add_shop ny >/dev/null 2>&1 && add_shop de >/dev/null 2>&1 && add_shop in >/dev/null 2>&1 &&
  add_seller seller >/dev/null 2>&1 &&
  python3 - "$MS_BIN" "$KILLS" "$FROM" "$TO" "$WORK" <<PY
import os, random, signal, subprocess, sys, time
binary, kills, first, last, work = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
rnd = random.Random(12345)
log = open(os.path.join(work, "loop.out"), "w")
for i in range(kills):
    p = subprocess.Popen([binary, "sync", "--from", first, "--to", last, "--concurrency", "1",
                          "--max-retries", "20"], stdout=log, stderr=log)
    time.sleep(rnd.uniform(0.05, 0.7))
    p.send_signal(signal.SIGKILL)
    p.wait()
print("killed", kills, "syncs")
PY
'

test_expect_success 'then left alone, the sync finishes every day' '
  ms sync --from "$FROM" --to "$TO" --max-retries 50 >"$WORK/final.out" 2>&1 ||
    ms sync --pending --max-retries 50 >>"$WORK/final.out" 2>&1
  tail -n 4 "$WORK/final.out"
  ! ms status --json | grep -v "\"status\":\"completed\"" | grep -q "\"day\":\"$FROM\"\|\"day\":\"$TO\""
'

test_expect_success 'the database equals the truth: nothing missing, nothing duplicated, nothing stale' '
  # The faults were for the syncs; the comparison asks the API too (shop.json).
  curl -s -X POST "$SANDBOX_URL/_sandbox/faults?clear=1" >/dev/null &&
  # The sync took the same dates in the calendar of each source.
  compare_truth ny "$FROM" "$TO" &&
  compare_truth de "$FROM" "$TO" &&
  compare_truth in "$FROM" "$TO" &&
  compare_amazon seller "$FROM" "$TO"
'

test_expect_success 'no day is left with a cursor: every one completed with its data' '
  [ "$(sqlite3 "$DB" "select count(*) from slices where stream = \"orders\" and (status != \"completed\" or cursor is not null)")" -eq 0 ]
'

test_expect_success 'the sync log accounts for every run: none left running, the killed ones marked' '
  ms runs --limit 100000 >"$WORK/runs.out" &&
  running=$(grep -c " running " "$WORK/runs.out" || true) &&
  killed=$(grep -c " killed " "$WORK/runs.out" || true) &&
  echo "runs recorded: $(($(wc -l <"$WORK/runs.out") - 1)), killed: $killed, left running: $running" | tee -a "$WORK/figures" &&
  # A kill during start-up leaves no row; most must land on a run at work.
  [ "$running" -eq 0 ] && [ "$killed" -le "$KILLS" ] && [ $((killed * 2)) -ge "$KILLS" ]
'

test_expect_success 'pages fetched more than once are counted and explained' '
  curl -s "$SANDBOX_URL/_sandbox/requests" >"$WORK/requests.jsonl" &&
  python3 - "$WORK/requests.jsonl" "$KILLS" "$WORK/figures" <<PY
import collections, json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kills = int(sys.argv[2])
pages = [r for r in rows if r["path"].endswith(("/orders.json", "/orders/v0/orders", "/orderItems"))]
faulted = sum(1 for r in pages if r["status"] != 200)
ok = collections.Counter((r["shop"], r["path"], r["query"]) for r in pages if r["status"] == 200)
again = sum(n - 1 for n in ok.values() if n > 1)
line = (f"{len(pages)} page requests, {faulted} faulted and retried, "
        f"{again} pages fetched again after a successful fetch, over {kills} kills")
print(line)
open(sys.argv[3], "a").write(line + "\n")
# A kill loses at most the page in flight of each of the four sources
# (--concurrency 1); anything beyond that would be work thrown away.
assert again <= 4 * kills, again
PY
'

cat "$WORK/figures" 2>/dev/null
test_done
