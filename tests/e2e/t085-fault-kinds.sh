#!/usr/bin/env bash
# Every fault the sandbox can inject, one at a time, in the middle of a day:
# the sync retries (or refreshes its token), completes the day, stores
# nothing of the bad answer, and ends equal to the truth.
. "$(dirname "$0")/lib.sh"
export REFRESH_FS='Atzr|sandbox-fs'

sandbox_start --seed 13 --days 5 --shop fk:UTC:900 --seller fs:20 --sp-speed 200 --no-rate-limit \
  --fault-hang-ms 8000 --fault-huge-bytes 70000000
DAY=$(local_day UTC -1)
LADAY=$(local_day America/Los_Angeles -1)
plan() { curl -s -X POST "$SANDBOX_URL/_sandbox/faults/plan?$1" >/dev/null; }

test_expect_success 'sources are added' '
  add_shop fk >/dev/null 2>&1 && add_seller fs >/dev/null 2>&1
'

for kind in 500 502 503 429 429-date 429-bare hang reset truncated malformed shape huge deep utf8 html; do
  test_expect_success "Shopify: a day with a '$kind' answer in its middle still completes" "
    plan 'shop=fk&kind=$kind&match=orders.json&nth=2&times=1' &&
    ms sync fk --from $DAY --to $DAY --resync --request-timeout 3 >\"\$WORK/$kind.out\" 2>&1 &&
    grep -q '1 of 1 days completed' \"\$WORK/$kind.out\"
  "
done

for kind in expired reset utf8 shape 503 html; do
  test_expect_success "Amazon: a day with a '$kind' answer among its items still completes" "
    plan 'seller=fs&kind=$kind&match=orderItems&nth=3&times=1' &&
    ms sync fs --from $LADAY --to $LADAY --resync --request-timeout 3 >\"\$WORK/a-$kind.out\" 2>&1 &&
    grep -q '1 of 1 days completed' \"\$WORK/a-$kind.out\"
  "
done

test_expect_success 'every planned fault was served' '
  curl -s "$SANDBOX_URL/_sandbox/stats" | python3 -c "
import json, sys
f = json.load(sys.stdin)[\"faults\"]
kinds = \"500 502 503 429 429-date 429-bare hang reset truncated malformed shape huge deep utf8 expired html\".split()
missing = [k for k in kinds if f.get(k, 0) < 1]
assert not missing, missing
print(\"faults served:\", {k: f[k] for k in kinds})"
'

test_expect_success 'after all of them, the database equals the truth' '
  compare_truth fk "$DAY" "$DAY" && compare_amazon fs "$LADAY" "$LADAY"
'

test_done
