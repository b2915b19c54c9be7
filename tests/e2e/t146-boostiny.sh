#!/usr/bin/env bash
# Boostiny through the rest connector's built-in spec, end to end: a raw API
# key, performance per coupon code and day equal to the truth (each row given
# its day), campaigns and coupons as snapshots, late changes caught by a
# modified pass that fetches the last N days again, pacing that never
# triggers the lockout, and a lockout that happens anyway stopping the source
# at once with its days failed and a time to try again.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 12 --days 12 --boostiny mena:40
# The API key, from the environment as a user would keep it.
export BOOSTINY_KEY_MENA=sandbox-boostiny-mena

TODAY=$(local_day UTC 0)
FROM=$(local_day UTC -6)
FIRST=$(local_day UTC -12)

test_expect_success 'a Boostiny source is added with its key: the check lists a campaign' '
  add_boostiny mena >"$WORK/add.out" 2>&1 &&
  grep -q "connection ok" "$WORK/add.out" && grep -q "UTC" "$WORK/add.out" &&
  requests_since 0 | grep -q "publisher/campaigns"
'

test_expect_success 'a wrong key is refused with a sentence, and nothing is saved' '
  export WRONG_KEY=not-a-key
  ! ms source add boostiny wrong --api-key-env WRONG_KEY --api-base "$SANDBOX_URL/boostiny" \
    >"$WORK/wrong.out" 2>&1 &&
  grep -q "refused the credentials (HTTP 401: Unauthenticated.)" "$WORK/wrong.out" &&
  ! ms source list | grep -q "^wrong "
'

test_expect_success 'a week of performance equals the truth code by code and day by day' '
  ms sync mena --from "$FROM" --to "$TODAY" >"$WORK/week.out" 2>&1 &&
  grep -q "7 of 7 days completed" "$WORK/week.out" &&
  compare_affiliate boostiny mena performance --from "$FROM" --to "$TODAY" &&
  compare_affiliate boostiny mena campaigns && compare_affiliate boostiny mena coupons
'

test_expect_success 'each day is asked for alone (from = to), and rows keep their day' '
  requests_since 0 | grep "publisher/performance" | grep -q "from=$FROM&to=$FROM&page=1&limit=500" &&
  [ "$(sqlite3 "$DB" "select count(*) from performance where external_id not like \"%:\" || day")" -eq 0 ]
'

test_expect_success 'a normal sync never meets a 429, let alone the lockout' '
  ms sync mena --from "$FIRST" --to "$TODAY" >"$WORK/all.out" 2>&1 &&
  compare_affiliate boostiny mena performance &&
  [ "$(affiliate_stat boostiny mena throttled)" -eq 0 ] &&
  [ "$(affiliate_stat boostiny mena lockouts)" -eq 0 ]
'

test_expect_success 'late returns and orders are caught by a modified pass over the last days' '
  mutate "boostiny=mena&update=60&days=10" >/dev/null &&
  seq=$(request_seq) &&
  ms sync mena --mode modified >"$WORK/mod.out" 2>&1 &&
  n=$(count_requests "$seq" mena /publisher/performance) &&
  echo "performance requests: $n" && [ "$n" -eq 13 ] &&
  grep -q "records in .* pages: 0 new, [1-9][0-9]* updated" "$WORK/mod.out" &&
  compare_affiliate boostiny mena performance
'

test_expect_success '--refetch-days sets how many days a modified pass fetches again' '
  rm -f "$WORK/r.db"*
  DB="$WORK/r.db" add_boostiny mena --refetch-days 3 --no-check >/dev/null &&
  "$MS_BIN" --db "$WORK/r.db" sync mena --from "$FROM" --to "$TODAY" --stream performance >/dev/null 2>&1 &&
  seq=$(request_seq) &&
  "$MS_BIN" --db "$WORK/r.db" sync mena --mode modified --stream performance >"$WORK/r.out" 2>&1 &&
  [ "$(count_requests "$seq" mena /publisher/performance)" -eq 3 ]
'

test_expect_success 'purchases names the performance stream' '
  rm -f "$WORK/p.db"*
  DB="$WORK/p.db" add_boostiny mena --no-check >/dev/null &&
  "$MS_BIN" --db "$WORK/p.db" sync mena --stream purchases --yesterday >/dev/null 2>&1 &&
  [ "$(sqlite3 "$WORK/p.db" "select group_concat(stream || \" \" || slice_key) from slices")" = \
    "performance $(local_day UTC -1)" ]
'

test_expect_success 'the key never appears in output or in the database' '
  for f in "$WORK"/*.out; do
    [ "$f" = "$WORK/sandbox.out" ] && continue # the sandbox prints its own test key
    ! grep -q "sandbox-boostiny-mena" "$f" || { echo "key in $f"; exit 1; }
  done &&
  ! sqlite3 "$DB" .dump | grep -q "sandbox-boostiny-mena"
'

# The same world where three requests a minute are allowed and the first 429
# locks the key out: a lockout a normal sync may still meet.
# Both worlds start at the same instant, so they hold the same data.
WORLD_NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sandbox_stop
sandbox_start --seed 12 --days 12 --boostiny mena:40 --boostiny-limit 3 \
  --boostiny-lockout-after 0 --boostiny-lockout-minutes 10 --now "$WORLD_NOW"
LOCKED_PORT=${SANDBOX_URL##*:}

test_expect_success 'a lockout stops the source at once: its days fail with when to retry, nothing more is sent' '
  rm -f "$WORK/l.db"*
  DB="$WORK/l.db" add_boostiny mena --no-check >/dev/null
  set +e
  "$MS_BIN" --db "$WORK/l.db" sync mena --from "$FIRST" --to "$TODAY" >"$WORK/l.out" 2>&1
  rc=$?
  set -e
  [ "$rc" -eq 1 ] &&
  grep -q "locked the credentials out" "$WORK/l.out" &&
  grep -q "sync it again after" "$WORK/l.out" &&
  [ "$(affiliate_stat boostiny mena lockouts)" -eq 1 ] &&
  sent=$(affiliate_stat boostiny mena requests) && echo "requests in all: $sent" &&
  [ "$sent" -le 6 ] &&
  failed=$(sqlite3 "$WORK/l.db" "select count(*) from slices where status like \"fail%\" and last_error like \"%sync it again after%\"") &&
  total=$(sqlite3 "$WORK/l.db" "select count(*) from slices where status <> \"completed\"") &&
  echo "failed with a time: $failed of $total" && [ "$failed" -ge 10 ] && [ "$failed" -eq "$total" ]
'

test_expect_success 'a sync during the lockout sends at most what is in flight, and stops again' '
  before=$(affiliate_stat boostiny mena requests)
  ! "$MS_BIN" --db "$WORK/l.db" sync mena --pending >"$WORK/l2.out" 2>&1 &&
  after=$(affiliate_stat boostiny mena requests) && echo "sent during the lockout: $((after - before))" &&
  [ $((after - before)) -le 2 ] && grep -q "sync it again after" "$WORK/l2.out"
'

# The lockout is over (and the limits back to normal), on the same port.
sandbox_stop
sandbox_start --seed 12 --days 12 --boostiny mena:40 --port "$LOCKED_PORT" --now "$WORLD_NOW"

test_expect_success 'once the lockout is over, the failed days complete and equal the truth' '
  "$MS_BIN" --db "$WORK/l.db" sync mena --pending >"$WORK/l3.out" 2>&1 &&
  [ "$(sqlite3 "$WORK/l.db" "select count(*) from slices where status <> \"completed\"")" -eq 0 ] &&
  DB="$WORK/l.db" compare_affiliate boostiny mena performance
'

test_done
