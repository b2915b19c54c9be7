#!/usr/bin/env bash
# Change capture: after orders across 30 completed days change, get refunds
# or are deleted, one `sync --mode modified` makes orders, items and refunds
# equal to the truth, deletions marked, at about changed/250 + 1 requests a
# stream; orders changed while a pass pages are caught by the next pass; a
# killed pass resumes where it stopped.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 41 --days 40 --shop m:UTC:120 --bucket-size 40 --leak-rate 40
FROM=$(local_day UTC -30)
TO=$(local_day UTC -1)

# count_paths SEQ: "orders.json N events.json M" for the requests after SEQ.
count_paths() {
  requests_since "$1" m | python3 -c "
import json, sys
n = {'orders.json': 0, 'events.json': 0}
for line in sys.stdin:
    p = json.loads(line)['path']
    for k in n:
        if p.endswith('/' + k):
            n[k] += 1
print(n['orders.json'], n['events.json'])"
}

test_expect_success '30 completed days are synced' '
  add_shop m --streams orders,deletions >/dev/null &&
  ms sync m --from "$FROM" --to "$TO" >"$WORK/days.out" 2>&1 &&
  grep -q "30 of 30 days completed" "$WORK/days.out" &&
  compare_truth m "$FROM" "$TO"
'

test_expect_success 'a tenth of the orders change, some get refunds, some are deleted' '
  total=$(ms export orders --source m | wc -l) &&
  echo "$total" >"$WORK/total" &&
  mutate "shop=m&resource=orders&update=$((total / 10))&from=$FROM&to=$TO" >"$WORK/m1.json" &&
  mutate "shop=m&resource=refunds&update=40&from=$FROM&to=$TO" >"$WORK/m2.json" &&
  mutate "shop=m&resource=orders&delete=15&from=$FROM&to=$TO" >"$WORK/m3.json" &&
  python3 -c "
import json
ids = set()
for f in (\"$WORK/m1.json\", \"$WORK/m2.json\"):
    ids |= set(json.load(open(f))[\"ids\"])
print(len(ids))" >"$WORK/changed"
'

# Update times have whole seconds and a pass asks for those at or after the
# second the last one started: changes in that very second come again. The
# tests wait a second where that would blur what they count.
test_expect_success 'one modified pass makes orders, items and refunds equal; deletions marked' '
  sleep 1.1 &&
  seq=$(request_seq) &&
  ms sync m --mode modified >"$WORK/mod.out" 2>&1 &&
  compare_truth m "$FROM" "$TO" &&
  python3 "$MS_SRC/tests/e2e/compare_streams.py" --bin "$MS_BIN" --db "$DB" --sandbox "$SANDBOX_URL" \
    --source m --stream orders --deleted --from "$FROM" --to "$TO" &&
  read orders events <<<"$(count_paths "$seq")" &&
  changed=$(cat "$WORK/changed") &&
  echo "changed $changed orders: $orders orders.json requests, $events events.json requests" &&
  [ "$orders" -le $((changed / 250 + 2)) ] && [ "$events" -le $((15 / 250 + 2)) ]
'

test_expect_success 'a pass that finds nothing new changes nothing; without overlap it costs a request a stream' '
  ms sync m --mode modified >"$WORK/idle.out" 2>&1 &&
  grep -q " 0 new, 0 updated" "$WORK/idle.out" &&
  seq=$(request_seq) &&
  ms sync m --mode modified --overlap 0 >"$WORK/idle0.out" 2>&1 &&
  grep -q " 0 new, 0 updated" "$WORK/idle0.out" &&
  read orders events <<<"$(count_paths "$seq")" &&
  echo "idle pass without overlap: $orders orders.json, $events events.json requests" &&
  [ "$orders" -eq 1 ] && [ "$events" -eq 1 ]
'

test_expect_success 'orders changed while a pass is paging are caught by the next pass' '
  mutate "shop=m&resource=orders&update=1200&from=$FROM&to=$TO" >/dev/null &&
  curl -s -X POST "$SANDBOX_URL/_sandbox/config?shop=m&bucket_size=2&leak_rate=2" >/dev/null &&
  { "$MS_BIN" sync m --mode modified --stream orders >"$WORK/race.out" 2>&1 & pid=$!; } &&
  for _ in $(seq 200); do
    n=$(sqlite3 "$DB" "select pages from slices where stream = \"orders\" and slice_key = \"modified\" and status = \"in_progress\"" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 1 ] && break
    sleep 0.05
  done &&
  mutate "shop=m&resource=orders&update=60&from=$FROM&to=$TO" >/dev/null &&
  wait $pid &&
  curl -s -X POST "$SANDBOX_URL/_sandbox/config?shop=m&bucket_size=40&leak_rate=40" >/dev/null &&
  ms sync m --mode modified --stream orders >"$WORK/race2.out" 2>&1 &&
  compare_truth m "$FROM" "$TO"
'

test_expect_success 'a killed modified pass resumes from where it stopped, not from the start' '
  sleep 1.1 &&
  mutate "shop=m&resource=orders&update=1500&from=$FROM&to=$TO" >/dev/null &&
  before=$(sqlite3 "$DB" "select watermark from slices where stream = \"orders\" and slice_key = \"modified\"") &&
  curl -s -X POST "$SANDBOX_URL/_sandbox/config?shop=m&bucket_size=2&leak_rate=2" >/dev/null &&
  seq=$(request_seq) &&
  { "$MS_BIN" sync m --mode modified --overlap 0 --stream orders >"$WORK/kill.out" 2>&1 & pid=$!; } &&
  for _ in $(seq 300); do
    n=$(sqlite3 "$DB" "select pages from slices where stream = \"orders\" and slice_key = \"modified\" and status = \"in_progress\"" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 2 ] && break
    sleep 0.05
  done &&
  kill -9 $pid && { wait $pid 2>/dev/null || true; } &&
  mid=$(sqlite3 "$DB" "select watermark from slices where stream = \"orders\" and slice_key = \"modified\"") &&
  echo "watermark before $before, after two pages $mid" && [ "$mid" -gt "$before" ] &&
  curl -s -X POST "$SANDBOX_URL/_sandbox/config?shop=m&bucket_size=40&leak_rate=40" >/dev/null &&
  ms sync m --mode modified --overlap 0 --stream orders >"$WORK/resume.out" 2>&1 &&
  compare_truth m "$FROM" "$TO" &&
  read orders events <<<"$(count_paths "$seq")" &&
  echo "orders.json requests over both runs: $orders" && [ "$orders" -le $((1500 / 250 + 3)) ]
'

test_done
