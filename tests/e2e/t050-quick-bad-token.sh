#!/usr/bin/env bash
# A bad token fails the day with a clear message; the token is never printed.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 2 --days 5 --shop shop:America/Chicago:20

export BAD_TOKEN=shpat_this_is_wrong_0123456789

test_expect_success 'adding with a wrong token fails the check, exits 1 and saves nothing' '
  set +e
  ms source add shopify shop --streams orders --shop shop --token-env BAD_TOKEN --api-base "$SANDBOX_URL/shops/shop" \
    --timezone America/Chicago >"$WORK/add.out" 2>&1; rc=$?
  set -e
  [ "$rc" -eq 1 ] && grep -q "connection check failed" "$WORK/add.out" &&
  grep -qi "refused the access token" "$WORK/add.out" && grep -q "Nothing was saved" "$WORK/add.out" &&
  ! ms source list | grep -q "^shop "
'

test_expect_success 'with --no-check it is saved as it is' '
  ms source add shopify shop --streams orders --shop shop --token-env BAD_TOKEN --api-base "$SANDBOX_URL/shops/shop" \
    --timezone America/Chicago --no-check >"$WORK/add2.out" 2>&1 &&
  grep -q "not checked" "$WORK/add2.out" && ms source list | grep -q "^shop "
'

test_expect_success 'source test says FAILED and exits 1' '
  set +e; ms source test shop >"$WORK/test.out" 2>&1; rc=$?; set -e
  [ "$rc" -eq 1 ] && grep -q "^FAILED" "$WORK/test.out"
'

test_expect_success 'sync fails the day with a clear message and exits 1' '
  set +e; ms sync shop --last-days 3 >"$WORK/sync.out" 2>&1; rc=$?; set -e
  cat "$WORK/sync.out"
  [ "$rc" -eq 1 ] && grep -q "refused the access token" "$WORK/sync.out" &&
  ms status shop --failed | grep -q "FAILED"
'

test_expect_success 'no output and no database row holds the token' '
  ! grep -rq "shpat_this_is_wrong" "$WORK"/*.out &&
  ! sqlite3 "$DB" .dump | grep -q "shpat_this_is_wrong"
'

test_expect_success 'with the right token in place, --pending completes the failed days' '
  BAD_TOKEN=$SHOP_TOKEN ms sync shop --pending >"$WORK/fixed.out" 2>&1 &&
  ms status shop | grep -q "3 days: 3 completed"
'

test_expect_success 'an unreachable API gives a clear message and exit 1, nothing stored' '
  ms source add shopify gone --streams orders --shop gone --token-env SHOP_TOKEN --api-base http://127.0.0.1:9 \
    --timezone UTC --no-check >/dev/null 2>&1 &&
  set +e; ms sync gone --today --max-retries 1 >"$WORK/gone.out" 2>&1; rc=$?; set -e
  cat "$WORK/gone.out"
  [ "$rc" -eq 1 ] && grep -qi "connect" "$WORK/gone.out" &&
  [ "$(ms export orders --source gone | wc -l)" -eq 0 ]
'

test_done
