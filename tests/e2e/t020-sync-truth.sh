#!/usr/bin/env bash
# A multi-day sync of several shops equals the sandbox's truth; again, nothing changes.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 11 --days 40 --shop ny:America/New_York:300 \
  --shop berlin:Europe/Berlin:120 --shop kolkata:Asia/Kolkata:60 \
  --bucket-size 40 --leak-rate 40

test_expect_success 'three shops are added, each learning its time zone' '
  add_shop ny && add_shop berlin && add_shop kolkata &&
  ms source list | grep ny | grep -q America/New_York &&
  ms source list | grep kolkata | grep -q Asia/Kolkata
'

test_expect_success 'source test gives a clear verdict' '
  ms source test ny | grep -q "^OK"
'

test_expect_success 'a 30-day sync of three shops completes every day' '
  ms sync --last-days 30 >"$WORK/sync1.out" 2>"$WORK/sync1.err" &&
  grep -q "90 of 90 days completed" "$WORK/sync1.out" &&
  ! ms status --failed | grep -q FAILED
'

test_expect_success 'the database equals the truth for each shop, field for field' '
  compare_truth ny "$(local_day America/New_York -29)" "$(local_day America/New_York)" &&
  compare_truth berlin "$(local_day Europe/Berlin -29)" "$(local_day Europe/Berlin)" &&
  compare_truth kolkata "$(local_day Asia/Kolkata -29)" "$(local_day Asia/Kolkata)"
'

test_expect_success 'day boundaries hold: orders at local 00:00:00 and 23:59:59 land on their day' '
  ms export orders --source ny --format jsonl >"$WORK/ny.jsonl" &&
  python3 - "$WORK/ny.jsonl" <<PY
import json, sys, datetime as dt
from zoneinfo import ZoneInfo
z = ZoneInfo("America/New_York")
edge = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    t = dt.datetime.fromisoformat(o["raw"]["created_at"])
    if (t.hour, t.minute, t.second) in ((0, 0, 0), (23, 59, 59)):
        edge += 1
assert edge >= 40, edge
print("edge orders:", edge)
PY
'

test_expect_success 'running it again fetches nothing but the open day and changes nothing' '
  before=$(curl -s "$SANDBOX_URL/_sandbox/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"requests\"])")
  ms sync --last-days 30 >"$WORK/sync2.out" 2>&1 &&
  grep -q "87 already complete" "$WORK/sync2.out" &&
  grep -q " 0 new, 0 updated" "$WORK/sync2.out" &&
  after=$(curl -s "$SANDBOX_URL/_sandbox/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"requests\"])") &&
  echo "requests in the second run: $((after - before))" &&
  [ $((after - before)) -le 6 ]
'

test_expect_success 'the sync log has both runs' '
  [ "$(ms runs | grep -c completed)" -eq 2 ]
'

test_expect_success 'a CSV export has a header and one row per order' '
  ms export orders --source berlin --format csv >"$WORK/b.csv" &&
  head -1 "$WORK/b.csv" | grep -q "^id,source,created_at,updated_at,deleted_at,name,status" &&
  rows=$(python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1]))) - 1)" "$WORK/b.csv") &&
  json=$(ms export orders --source berlin | wc -l) &&
  [ "$rows" -eq "$json" ] && [ "$rows" -gt 0 ]
'

test_expect_success 'removing a source removes its days and orders' '
  ms source remove kolkata &&
  [ "$(ms export orders --source berlin | wc -l)" -gt 0 ] &&
  ! ms status kolkata 2>/dev/null
'

test_done
