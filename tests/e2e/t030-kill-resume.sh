#!/usr/bin/env bash
# A sync killed with SIGKILL in the middle of a day resumes from the saved
# cursor: no earlier page of that day is fetched again, and the end result
# equals the truth.
. "$(dirname "$0")/lib.sh"

# Big days (about 12 pages each) and a slow bucket, so the kill lands mid-day.
sandbox_start --seed 5 --days 10 --shop big:America/Los_Angeles:3000 \
  --bucket-size 4 --leak-rate 4

FROM=$(local_day America/Los_Angeles -4)
TO=$(local_day America/Los_Angeles -2)

test_expect_success 'a sync is killed with SIGKILL in the middle of a day' '
  add_shop big
  "$MS_BIN" sync big --from "$FROM" --to "$TO" --concurrency 1 >"$WORK/run1.out" 2>&1 &
  pid=$!
  for _ in $(seq 300); do
    pages=$(ms status big --json | python3 -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
print(max([r[\"pages\"] for r in rows if r[\"status\"] == \"in_progress\"] or [0]))")
    [ "$pages" -ge 3 ] && break
    sleep 0.1
  done
  kill -9 $pid
  wait $pid 2>/dev/null || true
  [ "$pages" -ge 3 ]
'

test_expect_success 'the killed day is left in progress with its cursor saved' '
  ms status big --json >"$WORK/st.json" &&
  grep "\"status\":\"in_progress\"" "$WORK/st.json" | grep -q "\"cursor\":\"saved\""
'

test_expect_success 'the next run resumes from the saved cursor, not from the first page' '
  day=$(grep "\"status\":\"in_progress\"" "$WORK/st.json" | python3 -c "import json,sys; print(json.loads(sys.stdin.readline())[\"day\"])")
  cursor=$(sqlite3 "$DB" "select cursor from slices where day = \"$day\"") &&
  page_info=${cursor##*page_info=} && page_info=${page_info%%&*} &&
  seq=$(curl -s "$SANDBOX_URL/_sandbox/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"requests\"])") &&
  ms sync big --from "$FROM" --to "$TO" >"$WORK/run2.out" 2>&1 &&
  curl -s "$SANDBOX_URL/_sandbox/requests?shop=big&since=$seq" >"$WORK/after.jsonl" &&
  python3 - "$WORK/after.jsonl" "$page_info" "$day" <<PY
import json, sys, urllib.parse
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
orders = [l for l in lines if l["path"].endswith("/orders.json")]
assert orders, "no order requests after the restart"
first_pages = [l for l in orders if "page_info" not in l["query"]]
resumed = [l for l in orders if urllib.parse.unquote(sys.argv[2]) in urllib.parse.unquote(l["query"])]
assert resumed, "the saved cursor was never used"
# The killed day must not be started over: the day is identified by its local
# date in created_at_min of first-page requests.
restarted = [l for l in first_pages if sys.argv[3] in urllib.parse.unquote(l["query"])]
assert not restarted, "the killed day was fetched again from its first page: %r" % restarted
print("resumed with the saved page_info; first pages fetched after restart:", len(first_pages))
PY
'

test_expect_success 'after the restart the database equals the truth' '
  grep -q "3 of 3 days completed\|already complete" "$WORK/run2.out" &&
  compare_truth big "$FROM" "$TO"
'

test_expect_success 'the sync log accounts for both runs: the killed one marked killed' '
  ms runs >"$WORK/runs" && cat "$WORK/runs" &&
  grep -q killed "$WORK/runs" && grep -q completed "$WORK/runs" && ! grep -q running "$WORK/runs"
'

test_done
