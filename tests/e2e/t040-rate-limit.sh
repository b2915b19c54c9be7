#!/usr/bin/env bash
# 429s are absorbed. Two paced syncs sharing one shop's small bucket stay
# under the limit (each reads the other's use from the call-limit header);
# an unpaced neighbour app that keeps the bucket full forces real 429s, which
# the sync waits out (Retry-After) and still ends complete and correct.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 3 --days 12 --shop tight:Europe/London:600 --bucket-size 6 --leak-rate 6

FROM=$(local_day Europe/London -7)
TO=$(local_day Europe/London -1)
throttled() {
  curl -s "$SANDBOX_URL/_sandbox/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"throttled\"])"
}
limited_in() { sed -n "s/.* \([0-9]*\) rate-limited (429).*/\1/p" "$1"; }

test_expect_success 'two paced syncs share one small bucket and both complete' '
  add_shop tight >/dev/null
  "$MS_BIN" --db "$WORK/other.db" source add shopify tight --streams orders --shop tight --token-env SHOP_TOKEN \
    --api-base "$SANDBOX_URL/shops/tight" >/dev/null
  "$MS_BIN" sync tight --from "$FROM" --to "$TO" >"$WORK/a.out" 2>&1 &
  a=$!
  "$MS_BIN" --db "$WORK/other.db" sync tight --from "$FROM" --to "$TO" >"$WORK/b.out" 2>&1 &
  b=$!
  wait $a && wait $b &&
  echo "429s: $(limited_in "$WORK/a.out") and $(limited_in "$WORK/b.out"), sandbox $(throttled)"
'

test_expect_success 'both databases equal the truth' '
  compare_truth tight "$FROM" "$TO" &&
  DB="$WORK/other.db" compare_truth tight "$FROM" "$TO"
'

test_expect_success 'an unpaced neighbour keeps the bucket full: the sync absorbs the 429s' '
  before=$(throttled)
  rm -f "$WORK/n.db"*
  "$MS_BIN" --db "$WORK/n.db" source add shopify tight --streams orders --shop tight --token-env SHOP_TOKEN \
    --api-base "$SANDBOX_URL/shops/tight" >/dev/null
  # One process on one kept-alive connection: steady even on a loaded machine.
  python3 - "$SANDBOX_URL" "$SHOP_TOKEN" <<PY &
import http.client, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
for _ in range(600):
    c.request("GET", "/shops/tight/admin/api/2024-01/shop.json",
              headers={"X-Shopify-Access-Token": sys.argv[2]})
    c.getresponse().read()
    time.sleep(0.03)
PY
  neighbour=$!
  sleep 0.5
  "$MS_BIN" --db "$WORK/n.db" sync tight --from "$FROM" --to "$TO" >"$WORK/n.out" 2>&1
  rc=$?
  kill $neighbour 2>/dev/null; wait $neighbour 2>/dev/null
  cat "$WORK/n.out" | tail -n 4
  [ "$rc" -eq 0 ] && [ "$(limited_in "$WORK/n.out")" -gt 0 ] && [ "$(throttled)" -gt "$before" ] &&
  grep -q "7 of 7 days completed" "$WORK/n.out"
'

test_expect_success 'and its database equals the truth too' '
  DB="$WORK/n.db" compare_truth tight "$FROM" "$TO"
'

test_expect_success 'alone, the paced sync stays under the limit: no 429 at all' '
  rm -f "$WORK/solo.db"*
  "$MS_BIN" --db "$WORK/solo.db" source add shopify tight --streams orders --shop tight --token-env SHOP_TOKEN \
    --api-base "$SANDBOX_URL/shops/tight" >/dev/null
  sleep 1.5 # the neighbour is gone: let its bucket (6 at 6/s) drain first
  before=$(throttled)
  "$MS_BIN" --db "$WORK/solo.db" sync tight --from "$FROM" --to "$TO" >"$WORK/solo.out" 2>&1 &&
  [ "$(limited_in "$WORK/solo.out")" -eq 0 ] && [ "$(throttled)" -eq "$before" ]
'

test_done
