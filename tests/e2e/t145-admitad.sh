#!/usr/bin/env bash
# Admitad through the rest connector's built-in spec, end to end: OAuth2
# client credentials, actions by Moscow day equal to the truth, programmes
# and coupons as snapshots, status changes caught by one modified pass at
# about changed/500 + 1 requests, expired tokens refreshed (and a revoked
# refresh token replaced), the 503 of the rate limit absorbed, a killed sync
# resumed from its offset, and no secret anywhere.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 11 --days 14 --admitad pub:90
# The client secret, from the environment as a user would keep it.
export ADMITAD_SECRET_PUB=sandbox-admitad-secret-pub

TODAY=$(local_day Europe/Moscow 0)
FIRST=$(local_day Europe/Moscow -14)
FROM=$(local_day Europe/Moscow -6)

test_expect_success 'an Admitad source is added: the check gets a token and lists the ad spaces' '
  add_admitad pub >"$WORK/add.out" 2>&1 &&
  grep -q "connection ok" "$WORK/add.out" && grep -q "Europe/Moscow" "$WORK/add.out" &&
  ms source test pub | grep -q "^OK" &&
  [ "$(count_requests 0 pub /token/)" -ge 1 ]
'

test_expect_success 'a wrong client secret is refused with a sentence, and nothing is saved' '
  export BAD_SECRET=not-the-secret
  ! ms source add admitad wrong --client-id sandbox-admitad-pub --client-secret-env BAD_SECRET \
    --website "$(admitad_website pub)" --api-base "$SANDBOX_URL/admitad" >"$WORK/wrong.out" 2>&1 &&
  grep -q "refused the client credentials" "$WORK/wrong.out" &&
  grep -q "Nothing was saved" "$WORK/wrong.out" &&
  ! ms source list | grep -q "^wrong "
'

test_expect_success 'options the spec does not declare, or a missing ad space, are usage errors (exit 2)' '
  set +e
  ms source add admitad x --client-id a --client-secret-env ADMITAD_SECRET_PUB >"$WORK/u1.out" 2>&1
  r1=$?
  ms source add admitad x --client-id a --client-secret-env ADMITAD_SECRET_PUB --website 1 \
    --shop nope >"$WORK/u2.out" 2>&1
  r2=$?
  set -e
  [ "$r1" -eq 2 ] && grep -q -- "--website is required" "$WORK/u1.out" &&
  [ "$r2" -eq 2 ]
'

test_expect_success 'a week of actions equals the truth day by day, with programmes and coupons' '
  ms sync pub --from "$FROM" --to "$TODAY" >"$WORK/week.out" 2>&1 &&
  grep -q "7 of 7 days completed" "$WORK/week.out" &&
  compare_affiliate admitad pub actions --from "$FROM" --to "$TODAY" &&
  compare_affiliate admitad pub campaigns && compare_affiliate admitad pub coupons &&
  [ "$(sqlite3 "$DB" "select count(*) from action_positions")" -gt 0 ]
'

test_expect_success 'days are asked as dd.mm.yyyy of the Moscow day, 500 actions a page' '
  d=$(echo "$FROM" | awk -F- "{print \$3\".\"\$2\".\"\$1}") &&
  requests_since 0 | grep "statistics/actions" | grep -q "date_start=$d&date_end=$d&limit=500&offset=0"
'

test_expect_success 'purchases names the actions; a preset picks the days (yesterday)' '
  rm -f "$WORK/p.db"*
  DB="$WORK/p.db" add_admitad pub --no-check >/dev/null &&
  "$MS_BIN" --db "$WORK/p.db" sync pub --stream purchases --yesterday >"$WORK/p.out" 2>&1 &&
  [ "$(sqlite3 "$WORK/p.db" "select group_concat(stream || \" \" || slice_key) from slices")" = \
    "actions $(local_day Europe/Moscow -1)" ]
'

test_expect_success 'the whole history is synced; its days complete' '
  ms sync pub --from "$FIRST" --to "$TODAY" >"$WORK/all.out" 2>&1 &&
  compare_affiliate admitad pub actions
'

test_expect_success 'status changes after their day completed: one modified pass at about changed/500 + 1 requests' '
  changed=$(mutate "admitad=pub&update=620" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"updated\"])") &&
  echo "changed: $changed" && [ "$changed" -ge 501 ] &&
  seq=$(request_seq) &&
  ms sync pub --mode modified >"$WORK/mod.out" 2>&1 &&
  n=$(count_requests "$seq" pub /statistics/actions/) &&
  echo "action requests: $n for $changed changes" &&
  [ "$n" -ge $((changed / 500 + 1)) ] && [ "$n" -le $((changed / 500 + 2)) ] &&
  requests_since "$seq" | grep "statistics/actions" | grep -q "status_updated_start=" &&
  compare_affiliate admitad pub actions
'

test_expect_success 'a second modified pass right after finds nothing new' '
  ms sync pub --mode modified --stream actions >"$WORK/mod2.out" 2>&1 &&
  grep -q " 0 new, 0 updated" "$WORK/mod2.out"
'

test_expect_success 'expired access tokens are refreshed mid-sync, and a revoked refresh token replaced' '
  rm -f "$WORK/x.db"*
  DB="$WORK/x.db" add_admitad pub --no-check >/dev/null
  seq=$(request_seq)
  "$MS_BIN" --db "$WORK/x.db" sync pub --from "$FIRST" --to "$TODAY" --delay 0.25 >"$WORK/x.out" 2>&1 &
  pid=$!
  sleep 1
  curl -s -X POST "$SANDBOX_URL/_sandbox/admitad/expire-tokens?admitad=pub" >/dev/null
  sleep 1.5
  curl -s -X POST "$SANDBOX_URL/_sandbox/admitad/expire-tokens?admitad=pub&refresh=1" >/dev/null
  wait $pid &&
  grep -q "access token expired; refreshing it" "$WORK/x.out" &&
  grep -q "refused the refresh token" "$WORK/x.out" &&
  [ "$(count_requests "$seq" pub /token/)" -ge 3 ] &&
  DB="$WORK/x.db" compare_affiliate admitad pub actions
'

test_expect_success 'a token that expires between two pages (a planned fault) is refreshed and the page sent again' '
  curl -s -X POST "$SANDBOX_URL/_sandbox/faults/plan?admitad=pub&kind=expired&match=statistics&nth=2&times=1" >/dev/null &&
  ms sync pub --from "$FROM" --to "$TODAY" --resync >"$WORK/f.out" 2>&1 &&
  grep -q "access token expired; refreshing it" "$WORK/f.out" &&
  compare_affiliate admitad pub actions --from "$FROM" --to "$TODAY"
'

test_expect_success 'a killed sync of a spec copy with small pages resumes from its saved offset' '
  ms spec show admitad | sed "s/\"limit\": 500/\"limit\": 20/g" >"$WORK/small.json" &&
  ms spec check "$WORK/small.json" >/dev/null &&
  rm -f "$WORK/k.db"*
  "$MS_BIN" --db "$WORK/k.db" source add rest small --spec "$WORK/small.json" \
    --client-id sandbox-admitad-pub --client-secret-env ADMITAD_SECRET_PUB \
    --website "$(admitad_website pub)" --api-base "$SANDBOX_URL/admitad" >/dev/null
  "$MS_BIN" --db "$WORK/k.db" sync small --from "$FROM" --to "$TODAY" --stream actions \
    --concurrency 1 --delay 0.2 >"$WORK/k1.out" 2>&1 &
  pid=$!
  for _ in $(seq 300); do
    n=$(sqlite3 "$WORK/k.db" "select count(*) from slices where status = \"in_progress\" and pages >= 2" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 1 ] && break
    sleep 0.05
  done
  kill -9 $pid; wait $pid 2>/dev/null
  day=$(sqlite3 "$WORK/k.db" "select slice_key from slices where status = \"in_progress\"") &&
  [ -n "$day" ] &&
  cursor=$(sqlite3 "$WORK/k.db" "select cursor from slices where slice_key = \"$day\"") &&
  echo "killed in $day at $cursor" && [ -n "$cursor" ] &&
  seq=$(request_seq) &&
  "$MS_BIN" --db "$WORK/k.db" sync small --from "$FROM" --to "$TODAY" --stream actions >"$WORK/k2.out" 2>&1 &&
  d=$(echo "$day" | awk -F- "{print \$3\".\"\$2\".\"\$1}") &&
  ! requests_since "$seq" | grep "date_start=$d" | grep -q "offset=0\"" &&
  DB="$WORK/k.db" compare_affiliate admitad small actions --account pub --from "$FROM" --to "$TODAY"
'

test_expect_success 'the secrets never appear in output or in the database' '
  for f in "$WORK"/*.out; do
    [ "$f" = "$WORK/sandbox.out" ] && continue # the sandbox prints its own test credentials
    ! grep -q "sandbox-admitad-secret" "$f" || { echo "secret in $f"; exit 1; }
  done &&
  for db in "$DB" "$WORK/x.db" "$WORK/k.db"; do
    ! sqlite3 "$db" .dump | grep -q "sandbox-admitad-secret" || { echo "secret in $db"; exit 1; }
  done
'

# The same world with a limit of 6 requests in a rolling window of 2 s.
sandbox_stop
sandbox_start --seed 11 --days 14 --admitad pub:90 --admitad-limit 6 --affiliate-speed 30

test_expect_success 'over the limit Admitad answers 503: the sync slows down and still equals the truth' '
  rm -f "$WORK/t.db"*
  DB="$WORK/t.db" add_admitad pub --no-check >/dev/null &&
  "$MS_BIN" --db "$WORK/t.db" sync pub --from "$FIRST" --to "$TODAY" >"$WORK/t.out" 2>&1 &&
  throttled=$(affiliate_stat admitad pub throttled) && echo "503s: $throttled" &&
  [ "$throttled" -gt 0 ] &&
  DB="$WORK/t.db" compare_affiliate admitad pub actions &&
  DB="$WORK/t.db" compare_affiliate admitad pub coupons
'

test_done
