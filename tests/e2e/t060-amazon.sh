#!/usr/bin/env bash
# Amazon SP-API end to end: orders and items by Los Angeles day equal the
# truth; tokens are refreshed; 429s are absorbed; a killed sync resumes from
# its NextToken; invalidated NextTokens restart the day; the repair passes fix
# what they claim; bad credentials give a clear message.
. "$(dirname "$0")/lib.sh"

# Rates sped up 100x: getOrders 1.67/s (burst 20), getOrderItems 50/s (burst 30).
sandbox_start --seed 9 --days 12 --seller s1:25 --seller s2:40 --seller s3:250 --sp-speed 100 \
  --token-lifetime 4

# Each seller's refresh token, from the environment as a user would keep it.
export REFRESH_S1='Atzr|sandbox-s1' REFRESH_S2='Atzr|sandbox-s2' REFRESH_S3='Atzr|sandbox-s3'

FROM=$(local_day America/Los_Angeles -5)
TO=$(local_day America/Los_Angeles -1)
requests() {
  curl -s "$SANDBOX_URL/_sandbox/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"requests\"])"
}

test_expect_success 'a seller is added; source test exchanges the token and makes a call' '
  add_seller s1 >"$WORK/add.out" 2>&1 && grep -q "connection ok" "$WORK/add.out" &&
  grep -q "America/Los_Angeles" "$WORK/add.out" &&
  ms source test s1 | grep -q "^OK"
'

test_expect_success 'the plan shows both operations and stores nothing' '
  ms sync s1 --from "$FROM" --to "$TO" --plan >"$WORK/plan.out" &&
  grep -q "getOrders" "$WORK/plan.out" && grep -q "getOrderItems" "$WORK/plan.out" &&
  [ "$(sqlite3 "$DB" "select count(*) from slices")" -eq 0 ]
'

test_expect_success 'a five-day sync completes and equals the truth, orders and items' '
  ms sync s1 --from "$FROM" --to "$TO" >"$WORK/sync.out" 2>&1 &&
  grep -q "5 of 5 days completed" "$WORK/sync.out" &&
  compare_amazon s1 "$FROM" "$TO"
'

test_expect_success 'tokens living 4 seconds were refreshed during the sync without losing a page' '
  tokens=$(curl -s "$SANDBOX_URL/_sandbox/requests?shop=s1" | grep -c "auth/o2/token") &&
  echo "token requests: $tokens" && [ "$tokens" -ge 2 ]
'

test_expect_success 'a token that expires early (403) is refreshed and the page sent again' '
  rm -f "$WORK/x.db"*
  "$MS_BIN" --db "$WORK/x.db" source add amazon s1 --region na --marketplace ATVPDKIKX0DER \
    --client-id "$LWA_CLIENT" --client-secret-env LWA_SECRET --refresh-token-env REFRESH_S1 \
    --api-base "$SANDBOX_URL/sp-api" --token-url "$SANDBOX_URL/auth/o2/token" >/dev/null 2>&1
  "$MS_BIN" --db "$WORK/x.db" sync s1 --from "$FROM" --to "$TO" >"$WORK/x.out" 2>&1 &
  pid=$!
  for _ in 1 2 3; do
    sleep 0.3
    curl -s -X POST "$SANDBOX_URL/_sandbox/amazon/expire-access-tokens?seller=s1" >/dev/null
  done
  wait $pid &&
  grep -q "access token expired; refreshing it" "$WORK/x.out" &&
  grep -q "5 of 5 days completed" "$WORK/x.out" &&
  DB="$WORK/x.db" compare_amazon s1 "$FROM" "$TO"
'

test_expect_success 'the secrets never appear in output or in the database' '
  for f in "$WORK"/*.out; do
    [ "$f" = "$WORK/sandbox.out" ] && continue # the sandbox prints its own test credentials
    ! grep -q "sandbox-client-secret\|Atzr|sandbox" "$f" || { echo "secret in $f"; exit 1; }
  done &&
  ! sqlite3 "$DB" .dump | grep -q "sandbox-client-secret\|Atzr|sandbox"
'

test_expect_success 'two syncs sharing one seller meet 429s and absorb them' '
  add_seller s2 >/dev/null 2>&1
  "$MS_BIN" --db "$WORK/other.db" source add amazon s2 --region na --marketplace ATVPDKIKX0DER \
    --client-id "$LWA_CLIENT" --client-secret-env LWA_SECRET --refresh-token-env REFRESH_S2 \
    --api-base "$SANDBOX_URL/sp-api" --token-url "$SANDBOX_URL/auth/o2/token" >/dev/null 2>&1
  "$MS_BIN" sync s2 --from "$FROM" --to "$TO" >"$WORK/a.out" 2>&1 &
  a=$!
  "$MS_BIN" --db "$WORK/other.db" sync s2 --from "$FROM" --to "$TO" >"$WORK/b.out" 2>&1 &
  b=$!
  wait $a && wait $b &&
  limited=$(cat "$WORK/a.out" "$WORK/b.out" | sed -n "s/.* \([0-9]*\) rate-limited (429).*/\1/p" | awk "{s += \$1} END {print s}") &&
  echo "429s absorbed: $limited" && [ "$limited" -gt 0 ] &&
  compare_amazon s2 "$FROM" "$TO" && DB="$WORK/other.db" compare_amazon s2 "$FROM" "$TO"
'

test_expect_success 'a killed sync resumes from its saved cursor and ends equal to the truth' '
  rm -f "$WORK/k.db"*
  "$MS_BIN" --db "$WORK/k.db" source add amazon s2 --region na --marketplace ATVPDKIKX0DER \
    --client-id "$LWA_CLIENT" --client-secret-env LWA_SECRET --refresh-token-env REFRESH_S2 \
    --api-base "$SANDBOX_URL/sp-api" --token-url "$SANDBOX_URL/auth/o2/token" >/dev/null 2>&1
  "$MS_BIN" --db "$WORK/k.db" sync s2 --from "$FROM" --to "$TO" --concurrency 1 >"$WORK/k1.out" 2>&1 &
  pid=$!
  for _ in $(seq 300); do
    n=$(sqlite3 "$WORK/k.db" "select count(*) from slices where status = \"in_progress\" and pages >= 3" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 1 ] && break
    sleep 0.05
  done
  kill -9 $pid; wait $pid 2>/dev/null
  day=$(sqlite3 "$WORK/k.db" "select day from slices where status = \"in_progress\"")
  [ -n "$day" ] &&
  sqlite3 "$WORK/k.db" "select coalesce(cursor, \"\") || coalesce(follow, \"\") from slices where day = \"$day\"" | grep -q . &&
  seq=$(requests) &&
  "$MS_BIN" --db "$WORK/k.db" sync s2 --from "$FROM" --to "$TO" >"$WORK/k2.out" 2>&1 &&
  curl -s "$SANDBOX_URL/_sandbox/requests?shop=s2&since=$seq" >"$WORK/after.jsonl" &&
  python3 - "$WORK/after.jsonl" "$day" <<PY
import json, sys, urllib.parse, datetime as dt
from zoneinfo import ZoneInfo
day = dt.date.fromisoformat(sys.argv[2])
start = dt.datetime.combine(day, dt.time(), ZoneInfo("America/Los_Angeles")).astimezone(dt.timezone.utc)
mark = start.strftime("%Y-%m-%dT%H:%M:%SZ")
firsts = [json.loads(l) for l in open(sys.argv[1]) if "CreatedAfter" in l]
again = [l for l in firsts if mark in urllib.parse.unquote(l["query"])]
assert not again, "the killed day was started over: %r" % again
print("first pages after the restart:", len(firsts), "- none for", day)
PY
  DB="$WORK/k.db" compare_amazon s2 "$FROM" "$TO"
'

test_expect_success 'invalidated NextTokens restart the day, and the end still equals the truth' '
  # About three pages of orders a day, so a NextToken is outstanding while
  # the items of each page are fetched.
  D1=$(local_day America/Los_Angeles -3); D2=$(local_day America/Los_Angeles -2)
  "$MS_BIN" --db "$WORK/n.db" source add amazon s3 --region na --marketplace ATVPDKIKX0DER \
    --client-id "$LWA_CLIENT" --client-secret-env LWA_SECRET --refresh-token-env REFRESH_S3 \
    --api-base "$SANDBOX_URL/sp-api" --token-url "$SANDBOX_URL/auth/o2/token" >/dev/null 2>&1
  "$MS_BIN" --db "$WORK/n.db" sync s3 --from "$D1" --to "$D2" >"$WORK/n.out" 2>&1 &
  pid=$!
  for _ in 1 2 3 4; do
    sleep 1.5
    curl -s -X POST "$SANDBOX_URL/_sandbox/amazon/invalidate-tokens?seller=s3" >/dev/null
  done
  wait $pid &&
  grep -q "rejected the NextToken" "$WORK/n.out" &&
  DB="$WORK/n.db" SELLER=s3 compare_amazon s3 "$D1" "$D2"
'

test_expect_success 'repair missing-items fetches the items of orders stored without them' '
  sqlite3 "$DB" "delete from order_items where order_external_id in (select external_id from orders where source_id = (select id from sources where name = \"s1\") limit 7)" &&
  ms repair missing-items s1 >"$WORK/rep.out" 2>&1 &&
  grep -q "7 orders had no items: 7 repaired, 0 still without items" "$WORK/rep.out" &&
  compare_amazon s1 "$FROM" "$TO"
'

test_expect_success 'repair zero-prices: prices the API now has are fixed, others estimated' '
  before=$(sqlite3 "$DB" "select count(*) from order_items where price_missing = 1")
  echo "items without price: $before"
  [ "$before" -gt 0 ] &&
  curl -s -X POST "$SANDBOX_URL/_sandbox/mutate?seller=s1&update=200" >/dev/null &&
  ms repair zero-prices s1 >"$WORK/zp.out" 2>&1 && cat "$WORK/zp.out" &&
  line=$(grep "items had no price" "$WORK/zp.out") &&
  fixed=$(echo "$line" | sed -n "s/.*: \([0-9]*\) fixed.*/\1/p") &&
  est=$(echo "$line" | sed -n "s/.*, \([0-9]*\) estimated.*/\1/p") &&
  [ "$fixed" -gt 0 ] &&
  [ "$est" -eq "$(sqlite3 "$DB" "select count(*) from order_items where price_estimated = 1")" ]
'

test_expect_success 'sync --mode incomplete fetches orders stored unpriced again (getOrder) with their items' '
  unpriced="select count(*) from orders where source_id = (select id from sources where name = \"s1\") and total_minor is null" &&
  before=$(sqlite3 "$DB" "$unpriced") &&
  echo "orders stored without a total: $before" && [ "$before" -gt 0 ] &&
  curl -s -X POST "$SANDBOX_URL/_sandbox/mutate?seller=s1&update=400" >/dev/null &&
  seq=$(request_seq) &&
  ms sync s1 --mode incomplete >"$WORK/inc.out" 2>&1 && tail -n 4 "$WORK/inc.out" &&
  got=$(requests_since "$seq" s1 | grep -c "\"path\":\"/orders/v0/orders/[0-9-]*\"") &&
  echo "getOrder requests: $got" && [ "$got" -gt 0 ] && [ "$got" -le "$before" ] &&
  after=$(sqlite3 "$DB" "$unpriced") &&
  echo "still without a total: $after" && [ "$after" -lt "$before" ] &&
  sqlite3 "$DB" "select count(*) from orders where source_id = (select id from sources where name = \"s1\") and total_minor is null and status not in (\"Pending\", \"PendingAvailability\", \"Canceled\")" | grep -qx 0
'

test_expect_success 'a wrong refresh token fails the check and saves nothing; unchecked, sync says why and exits 1' '
  export REFRESH_BAD="Atzr|not-a-real-token"
  set +e
  ms source add amazon bad --region na --marketplace ATVPDKIKX0DER --client-id "$LWA_CLIENT" \
    --client-secret-env LWA_SECRET --refresh-token-env REFRESH_BAD --api-base "$SANDBOX_URL/sp-api" \
    --token-url "$SANDBOX_URL/auth/o2/token" >"$WORK/bad-add.out" 2>&1; add_rc=$?
  ms source add amazon bad --region na --marketplace ATVPDKIKX0DER --client-id "$LWA_CLIENT" \
    --client-secret-env LWA_SECRET --refresh-token-env REFRESH_BAD --api-base "$SANDBOX_URL/sp-api" \
    --token-url "$SANDBOX_URL/auth/o2/token" --no-check >/dev/null 2>&1; unchecked_rc=$?
  ms sync bad --yesterday >"$WORK/bad.out" 2>&1; rc=$?
  set -e
  cat "$WORK/bad-add.out" "$WORK/bad.out"
  [ "$add_rc" -eq 1 ] && grep -q "connection check failed" "$WORK/bad-add.out" &&
  grep -q "invalid_grant" "$WORK/bad-add.out" && grep -q "Nothing was saved" "$WORK/bad-add.out" &&
  [ "$unchecked_rc" -eq 0 ] &&
  [ "$rc" -eq 1 ] && grep -q "invalid_grant" "$WORK/bad.out" &&
  ! grep -q "not-a-real-token" "$WORK/bad-add.out" "$WORK/bad.out"
'

test_done
