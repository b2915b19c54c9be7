#!/usr/bin/env bash
# Schedules, the job queue, run-due and serve: schedules fire at the right
# local times (DST days included), --between and --max-runs-per-day hold,
# a pause makes one catch-up job, two run-due processes make each due run
# once, overlapping runs are skipped, and a serve killed in the middle of a
# job leaves nothing locked: the job is taken over and finishes.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 13 --days 4 --shop ny:America/New_York:40 --shop s1:UTC:20 --shop s2:UTC:20 \
  --shop s3:UTC:20 --shop s4:UTC:20 --shop slow:UTC:700 --bucket-size 40 --leak-rate 40

# at TIME CMD...: marketsync with its clock started at TIME.
at() { MARKETSYNC_NOW="$1" "$MS_BIN" "${@:2}"; }
# field NAME KEY: a value from `schedule list --json`.
field() {
  ms schedule list --json | python3 -c "
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o['name'] == '$1':
        print(o['$2'])"
}
utc() { date -u -d "@$1" +%FT%TZ; }
# jobs_of NAME: the due times (UTC) of the schedule's jobs, oldest first.
jobs_of() {
  id=$(sqlite3 "$DB" "select id from schedules where name = '$1'")
  ms jobs list --limit 1000 --json | python3 -c "
import json, sys, datetime
due = sorted(j['due'] for j in map(json.loads, sys.stdin) if j['schedule_id'] == $id)
print(' '.join(datetime.datetime.fromtimestamp(d, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ') for d in due))"
}

test_expect_success 'every schedule of the seeds can be written, and list shows the next run' '
  for s in ny s1 s2 s3 s4 slow; do add_shop $s >/dev/null; done &&
  ms schedule add new --every 2h --between 06:00-22:00 --mode new --timezone Europe/Berlin &&
  ms schedule add modified --daily-at 02:00 --mode modified --timezone Europe/Berlin &&
  ms schedule add care --daily-at 04:00 --mode modified --stream orders --timezone Europe/Berlin &&
  ms schedule add incomplete --every 4h --mode incomplete --timezone Europe/Berlin &&
  ms schedule add admitad-like --every 30m --max-runs-per-day 12 --source s1 &&
  ms schedule add client-ny --every 24h --source ny --range last-7-days &&
  ms schedule add cron-like --cron "0 1,9,17 * * *" --source s2 --timezone America/New_York &&
  ms schedule list >"$WORK/list.out" && cat "$WORK/list.out" &&
  [ "$(grep -c " yes " "$WORK/list.out")" -eq 7 ] &&
  grep -q "every 2h between 06:00-22:00" "$WORK/list.out" &&
  grep -q "every 30m, at most 12 a day" "$WORK/list.out" &&
  [ "$(grep -cE " 20[0-9-]+T[0-9:]+ \([A-Za-z_/]+\)$" "$WORK/list.out")" -eq 7 ]
'

test_expect_success 'bad schedules are refused with exit 2 and nothing is saved' '
  before=$(ms schedule list --json | wc -l) &&
  for args in "--every 7s" "--cron \"61 * * * *\"" "--every 1h --cron \"0 * * * *\"" \
              "--every 1h --source nosuch" "--every 6h --between 07:00-11:00" \
              "--daily-at 25:00" "--every 1h --timezone Mars/Olympus" "--every 1h --mode sideways" \
              "--every 1h --from 2026-02-01"; do
    set +e; eval "ms schedule add bad $args" >"$WORK/bad.out" 2>&1; rc=$?; set -e
    echo "$args -> $rc: $(head -n 1 "$WORK/bad.out")"
    [ "$rc" -eq 2 ] || exit 1
  done &&
  set +e; ms schedule add new --every 1h >/dev/null 2>&1; dup=$?; set -e &&
  [ "$dup" -eq 2 ] && [ "$(ms schedule list --json | wc -l)" -eq "$before" ]
'

test_expect_success 'a daily time the clocks skip (02:30 on 2026-03-08 in New York) runs when the gap ends' '
  for s in new modified care incomplete admitad-like client-ny cron-like; do ms schedule disable $s >/dev/null; done &&
  at 2026-03-07T12:00:00-05:00 schedule add dst --daily-at 02:30 --source ny --range today \
    --timezone America/New_York >/dev/null &&
  [ "$(utc "$(field dst next_due)")" = 2026-03-08T07:00:00Z ] &&
  at 2026-03-08T06:59:00Z --quiet run-due &&
  [ -z "$(jobs_of dst)" ] &&
  at 2026-03-08T07:00:30Z --quiet run-due &&
  [ "$(jobs_of dst)" = 2026-03-08T07:00:00Z ] &&
  [ "$(utc "$(field dst next_due)")" = 2026-03-09T06:30:00Z ] &&
  [ "$(field dst last_status)" = completed ]
'

test_expect_success 'in the repeated hour (2026-11-01, New York) a daily time runs once, an interval at its pace' '
  at 2026-10-31T12:00:00-04:00 schedule add once --daily-at 01:30 --source s1 --timezone America/New_York >/dev/null &&
  at 2026-10-31T12:00:00-04:00 schedule add hourly --every 1h --between 00:00-03:00 --source s2 \
    --timezone America/New_York >/dev/null &&
  for t in 2026-11-01T04:00:30Z 2026-11-01T05:00:30Z 2026-11-01T05:30:30Z 2026-11-01T06:00:30Z \
           2026-11-01T06:30:30Z 2026-11-01T07:00:30Z 2026-11-01T08:00:30Z 2026-11-01T09:00:30Z; do
    at $t --quiet run-due || exit 1
  done &&
  echo "once: $(jobs_of once)" && echo "hourly: $(jobs_of hourly)" &&
  [ "$(jobs_of once)" = 2026-11-01T05:30:00Z ] &&
  [ "$(jobs_of hourly)" = "2026-11-01T04:00:00Z 2026-11-01T05:00:00Z 2026-11-01T06:00:00Z 2026-11-01T07:00:00Z 2026-11-01T08:00:00Z" ]
'

test_expect_success '--between and --max-runs-per-day hold; a pause makes one job for the latest due time' '
  at 2026-06-01T00:00:00Z schedule add biz --every 1h --between 06:00-09:00 --max-runs-per-day 2 \
    --source s3 --timezone UTC >/dev/null &&
  for t in 2026-06-01T05:30:00Z 2026-06-01T06:00:30Z 2026-06-01T07:00:30Z 2026-06-01T08:00:30Z \
           2026-06-01T09:00:30Z 2026-06-01T23:00:00Z; do
    at $t --quiet run-due || exit 1
  done &&
  [ "$(jobs_of biz)" = "2026-06-01T06:00:00Z 2026-06-01T07:00:00Z" ] &&
  [ "$(utc "$(field biz next_due)")" = 2026-06-02T06:00:00Z ] &&
  at 2026-06-03T12:00:00Z --quiet run-due &&
  echo "after a pause: $(jobs_of biz)" &&
  [ "$(jobs_of biz)" = "2026-06-01T06:00:00Z 2026-06-01T07:00:00Z 2026-06-03T09:00:00Z" ] &&
  [ "$(utc "$(field biz next_due)")" = 2026-06-04T06:00:00Z ]
'

test_expect_success 'two run-due processes at once make each due run one job' '
  for s in $(ms schedule list --json | python3 -c "import json,sys; print(\" \".join(json.loads(l)[\"name\"] for l in sys.stdin))"); do
    ms schedule disable $s >/dev/null || exit 1
  done &&
  for s in s1 s2 s3 s4; do
    at 2026-07-01T00:10:00Z schedule add race-$s --every 1h --source $s --range today --timezone UTC >/dev/null || exit 1
  done &&
  { at 2026-07-01T01:00:30Z run-due >"$WORK/rd1.out" 2>&1 & p1=$!; } &&
  { at 2026-07-01T01:00:30Z run-due >"$WORK/rd2.out" 2>&1 & p2=$!; } &&
  wait $p1 && wait $p2 && cat "$WORK/rd1.out" "$WORK/rd2.out" | grep "run-due:" &&
  for s in s1 s2 s3 s4; do
    [ "$(jobs_of race-$s)" = 2026-07-01T01:00:00Z ] || { echo "race-$s: $(jobs_of race-$s)"; exit 1; }
  done &&
  ms jobs list --state completed --json | python3 -c "
import json, sys
ids = [j[\"id\"] for j in map(json.loads, sys.stdin) if j[\"due\"] == 1782867600]
assert len(ids) == 4, ids" &&
  for s in s1 s2 s3 s4; do ms schedule disable race-$s >/dev/null || exit 1; done
'

test_expect_success 'overlapping runs of one source, stream and mode: the second is skipped, never run twice' '
  curl -s -X POST "$SANDBOX_URL/_sandbox/config?shop=slow&bucket_size=2&leak_rate=2" >/dev/null &&
  ms schedule add slow-a --every 24h --source slow --range last-7-days >/dev/null &&
  ms schedule add slow-b --every 24h --source slow --range last-7-days >/dev/null &&
  ms schedule run slow-a >"$WORK/run-a.out" && cat "$WORK/run-a.out" &&
  set +e; ms schedule run slow-b >"$WORK/run-b.out" 2>&1; rc=$?; set -e &&
  cat "$WORK/run-b.out" && [ "$rc" -eq 1 ] && grep -q "overlap" "$WORK/run-b.out" &&
  [ "$(ms jobs list --state available --json | wc -l)" -eq 1 ]
'

test_expect_success 'serve killed with -9 in the middle of a job: the job is taken over after its lease and finishes' '
  job=$(sed -n "s/^job \([0-9]*\) queued.*/\1/p" "$WORK/run-a.out") && [ -n "$job" ] &&
  { "$MS_BIN" serve --workers 1 --lease-seconds 3 >"$WORK/serve1.out" 2>&1 & pid=$!; } &&
  for _ in $(seq 300); do
    n=$(sqlite3 "$DB" "select count(*) from slices s join sources o on o.id = s.source_id where o.name = \"slow\" and s.pages > 0" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 2 ] && break
    sleep 0.1
  done &&
  [ "$(sqlite3 "$DB" "select state from jobs where id = $job")" = running ] &&
  kill -9 $pid && { wait $pid 2>/dev/null || true; } &&
  echo "killed while the job ran: $(sqlite3 "$DB" "select state, attempts, lease_owner from jobs where id = $job")" &&
  curl -s -X POST "$SANDBOX_URL/_sandbox/config?shop=slow&bucket_size=40&leak_rate=40" >/dev/null &&
  { "$MS_BIN" serve --workers 1 --lease-seconds 3 >"$WORK/serve2.out" 2>&1 & pid=$!; } &&
  for _ in $(seq 600); do
    [ "$(sqlite3 "$DB" "select state from jobs where id = $job")" = completed ] && break
    sleep 0.1
  done &&
  kill -TERM $pid && wait $pid &&
  sqlite3 "$DB" "select id, state, attempts from jobs where id = $job" &&
  [ "$(sqlite3 "$DB" "select state || \" \" || attempts from jobs where id = $job")" = "completed 2" ] &&
  compare_truth slow "$(local_day UTC -6)" "$(local_day UTC)" &&
  ms runs | grep -q " killed "
'

test_expect_success 'serve stops on SIGTERM, handing a running job back to the queue' '
  curl -s -X POST "$SANDBOX_URL/_sandbox/config?shop=slow&bucket_size=2&leak_rate=1" >/dev/null &&
  ms schedule add slow-full --every 24h --source slow --mode full --range last-7-days >/dev/null &&
  job=$(ms schedule run slow-full | sed -n "s/^job \([0-9]*\) queued.*/\1/p") && [ -n "$job" ] &&
  { "$MS_BIN" serve --workers 1 >"$WORK/serve3.out" 2>&1 & pid=$!; } &&
  for _ in $(seq 300); do
    [ "$(sqlite3 "$DB" "select state from jobs where id = $job")" = running ] && break
    sleep 0.1
  done && sleep 1 &&
  kill -TERM $pid && wait $pid &&
  state=$(sqlite3 "$DB" "select state || \" \" || lease_owner from jobs where id = $job") &&
  echo "after SIGTERM: $state" && [ "$state" = "available " ] &&
  ms jobs cancel $job
'

test_done
