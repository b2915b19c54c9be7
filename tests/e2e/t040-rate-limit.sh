#!/usr/bin/env bash
# 429s are absorbed: two syncs share one shop's small bucket, neither model
# knows of the other, the sandbox throttles, and both still finish complete.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 3 --days 12 --shop tight:Europe/London:600 --bucket-size 6 --leak-rate 6

FROM=$(local_day Europe/London -7)
TO=$(local_day Europe/London -1)

test_expect_success 'two concurrent syncs against one small bucket both complete' '
  add_shop tight &&
  "$MS_BIN" --db "$WORK/other.db" source add shopify tight --shop tight --token-env SHOP_TOKEN \
    --api-base "$SANDBOX_URL/shops/tight" >/dev/null &&
  ms sync tight --from "$FROM" --to "$TO" >"$WORK/a.out" 2>&1 &
  a=$!
  "$MS_BIN" --db "$WORK/other.db" sync tight --from "$FROM" --to "$TO" >"$WORK/b.out" 2>&1 &
  b=$!
  wait $a && wait $b
'

test_expect_success 'the sandbox did throttle, and the runs counted the 429s' '
  throttled=$(curl -s "$SANDBOX_URL/_sandbox/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"throttled\"])") &&
  echo "throttled: $throttled" && [ "$throttled" -gt 0 ] &&
  cat "$WORK/a.out" "$WORK/b.out" | grep -E "rate-limited \(429\)" &&
  total=$(cat "$WORK/a.out" "$WORK/b.out" | sed -n "s/.* \([0-9]*\) rate-limited (429).*/\1/p" | awk "{s += \$1} END {print s}") &&
  [ "$total" -gt 0 ]
'

test_expect_success 'both databases equal the truth despite the 429s' '
  compare_truth tight "$FROM" "$TO" &&
  DB="$WORK/other.db" compare_truth tight "$FROM" "$TO"
'

test_expect_success 'alone, the paced sync stays under the limit: no 429 at all' '
  rm -f "$WORK/solo.db"* &&
  "$MS_BIN" --db "$WORK/solo.db" source add shopify tight --shop tight --token-env SHOP_TOKEN \
    --api-base "$SANDBOX_URL/shops/tight" >/dev/null &&
  "$MS_BIN" --db "$WORK/solo.db" sync tight --from "$FROM" --to "$TO" >"$WORK/solo.out" 2>&1 &&
  grep -E " 0 rate-limited \(429\)" "$WORK/solo.out"
'

test_done
