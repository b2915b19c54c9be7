#!/usr/bin/env bash
# NextTokens that expire before a page's items are fetched: every restart of
# the day makes progress (orders stored unchanged with their items are not
# fetched again), so the day finishes, equal to the truth, with each order's
# items asked for once.
. "$(dirname "$0")/lib.sh"

# getOrders 1.67/s (burst 20), getOrderItems 50/s after a burst of 30: the
# items of one page of 100 orders take about 1.4 s, and NextTokens live 1 s.
sandbox_start --seed 21 --days 6 --seller big:260 --sp-speed 100 --next-token-lifetime 1
export REFRESH_BIG='Atzr|sandbox-big'
DAY=$(local_day America/Los_Angeles -2)

test_expect_success 'a day of three pages finishes although every NextToken expires on the way' '
  add_seller big >/dev/null 2>&1 &&
  ms sync big --from "$DAY" --to "$DAY" >"$WORK/sync.out" 2>&1 &&
  grep -q "1 of 1 days completed" "$WORK/sync.out" &&
  restarts=$(grep -c "rejected the NextToken" "$WORK/sync.out") &&
  echo "restarts: $restarts" && [ "$restarts" -ge 1 ] &&
  SELLER=big compare_amazon big "$DAY" "$DAY"
'

test_expect_success 'no order had its items asked for twice' '
  curl -s "$SANDBOX_URL/_sandbox/requests?shop=big" >"$WORK/requests.jsonl" &&
  python3 - "$WORK/requests.jsonl" <<PY
import collections, json, sys
first = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"].endswith("/orderItems") and "NextToken" not in r["query"]:
        first[r["path"]] += 1
twice = {p: n for p, n in first.items() if n > 1}
assert first, "no items were fetched"
assert not twice, "items fetched again: %r" % list(twice.items())[:3]
print("orders whose items were fetched:", len(first))
PY
'

# NextTokens that die at once: the second page can never be reached.
sandbox_stop
sandbox_start --seed 21 --days 6 --seller big:260 --sp-speed 100 --next-token-lifetime 0.001
export MARKETSYNC_DB="$WORK/stuck.db"

test_expect_success 'a day that cannot make progress stops restarting with a clear reason' '
  add_seller big >/dev/null 2>&1 &&
  { ms sync big --from "$DAY" --to "$DAY" >"$WORK/stuck.out" 2>&1; test $? -eq 1; } &&
  grep -q "1 FAILED" "$WORK/stuck.out" &&
  grep -q "started over 3 times in a row without getting further" "$WORK/stuck.out" &&
  ms status big --failed | grep -q "started over"
'

test_done
