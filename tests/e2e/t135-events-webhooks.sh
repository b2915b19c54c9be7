#!/usr/bin/env bash
# Events and webhooks: order events written with the orders, delivered to
# a webhook in order with signatures that verify; a receiver that fails for
# a while gets everything afterwards; a re-sync that changes nothing and the
# repair modes send nothing; a source failing runs in a row raises
# sync.failed, then sync.recovered.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 21 --days 5 --shop w:UTC:60 --bucket-size 40 --leak-rate 40
FROM=$(local_day UTC -3)
TO=$(local_day UTC -1)
export HOOK_SECRET=hook-secret-for-tests
python3 "$MS_SRC/tests/e2e/webhook_receiver.py" --secret "$HOOK_SECRET" --log "$WORK/hook.log" \
  --fail-flag "$WORK/fail" >"$WORK/receiver.out" 2>&1 &
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do [ -s "$WORK/receiver.out" ] && break; sleep 0.05; done
HOOK_URL="$(head -n 1 "$WORK/receiver.out")/hook?token=abc"

# delivered TYPE: how many deliveries of that type the receiver accepted.
delivered() { python3 -c "
import json, sys
n = 0
for l in open('$WORK/hook.log') if __import__('os').path.exists('$WORK/hook.log') else []:
    n += json.loads(l)['type'].startswith('$1')
print(n)"; }
# events_count TYPE: events of that type stored.
events_count() { ms events list --type "$1" --limit 10000 --json | wc -l; }

test_expect_success 'a webhook is added; a bad URL or a missing secret is refused' '
  add_shop w >/dev/null &&
  set +e
  ms webhook add "ftp://example.com/x" --secret-env HOOK_SECRET >/dev/null 2>&1; r1=$?
  ms webhook add "$HOOK_URL" --secret-env NO_SUCH_VAR >/dev/null 2>&1; r2=$?
  ms webhook add "http://user:pw@127.0.0.1:1/x" --secret-env HOOK_SECRET >"$WORK/pw.out" 2>&1; r3=$?
  set -e
  [ "$r1" -eq 2 ] && [ "$r2" -eq 2 ] && [ "$r3" -eq 2 ] && ! grep -q "pw@" "$WORK/pw.out" &&
  ms webhook add "$HOOK_URL" --events order. --secret-env HOOK_SECRET &&
  ms webhook list >"$WORK/hooks.out" && cat "$WORK/hooks.out" &&
  ! grep -q "token=abc" "$WORK/hooks.out" && ! grep -q "$HOOK_SECRET" "$WORK/hooks.out" &&
  ! sqlite3 "$DB" .dump | grep -q "$HOOK_SECRET"
'

test_expect_success 'a sync writes order.created for every new order, delivered in order, signed' '
  ms sync w --from "$FROM" --to "$TO" >/dev/null 2>&1 &&
  orders=$(ms export orders --source w | wc -l) &&
  [ "$(events_count order.created)" -eq "$orders" ] &&
  ms --quiet run-due &&
  python3 - "$WORK/hook.log" "$orders" <<PY
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ids = [r["id"] for r in rows]
assert ids == sorted(ids), "out of order"
assert len(set(ids)) == len(ids) == int(sys.argv[2]), (len(ids), sys.argv[2])
assert all(r["signature_ok"] for r in rows), "a signature does not verify"
assert all(str(r["id"]) == r["header_id"] and r["type"] == r["header_type"] for r in rows)
assert all(r["event"]["source"] == "w" and r["event"]["record_id"] for r in rows)
print(len(rows), "deliveries, in order, signatures verified")
PY
'

test_expect_success 'a re-sync that changes nothing writes and sends nothing' '
  ms sync w --mode modified >/dev/null 2>&1 &&
  ms --quiet run-due &&
  before=$(ms events list --limit 10000 --json | wc -l) &&
  ms sync w --from "$FROM" --to "$TO" --resync >/dev/null 2>&1 &&
  ms sync w --mode modified >/dev/null 2>&1 &&
  [ "$(ms events list --limit 10000 --json | wc -l)" -eq "$before" ] &&
  lines=$(wc -l <"$WORK/hook.log") && ms --quiet run-due && [ "$(wc -l <"$WORK/hook.log")" -eq "$lines" ]
'

test_expect_success 'status changes and refunds are events; a failing receiver gets them all afterwards' '
  touch "$WORK/fail" &&
  sleep 1.1 &&
  mutate "shop=w&resource=orders&update=20&from=$FROM&to=$TO" >/dev/null &&
  mutate "shop=w&resource=refunds&update=5&from=$FROM&to=$TO" >/dev/null &&
  ms sync w --mode modified >/dev/null 2>&1 &&
  changed=$(events_count order.status_changed) && refunded=$(events_count order.refunded) &&
  echo "status changes: $changed, refunds: $refunded" && [ "$changed" -gt 0 ] && [ "$refunded" -ge 5 ] &&
  ms events list --type order.status_changed --json | head -n 1 | python3 -c "
import json, sys
d = json.loads(sys.stdin.read())[\"data\"]
assert d[\"field\"] and d[\"old\"] != d[\"new\"], d" &&
  ms --quiet run-due &&
  [ -s "$WORK/hook.log.refused" ] &&
  ms webhook list | grep -q "HTTP 500" &&
  rm "$WORK/fail" &&
  ms --quiet run-due &&
  MARKETSYNC_NOW=$(date -u -d "+2 hours" +%FT%TZ) "$MS_BIN" --quiet run-due &&
  python3 - "$WORK/hook.log" <<PY
import json, subprocess, sys, os
rows = [json.loads(l) for l in open(sys.argv[1])]
ids = [r["id"] for r in rows]
assert ids == sorted(ids), "out of order"
want = [json.loads(l)["id"] for l in subprocess.run([os.environ["MS_BIN"], "events", "list", "--type", "order.", "--limit", "10000", "--json"], capture_output=True, text=True, check=True).stdout.splitlines()]
assert sorted(set(ids)) == want, (len(set(ids)), len(want))
print(len(want), "order events, every one delivered, in order")
PY
'

test_expect_success 'the incomplete mode writes no order events' '
  before=$(ms events list --limit 10000 --json | wc -l) &&
  sqlite3 "$DB" "delete from order_items where order_external_id in (select external_id from orders limit 5)" &&
  ms sync w --mode incomplete >"$WORK/inc.out" 2>&1 && tail -n 3 "$WORK/inc.out" &&
  [ "$(sqlite3 "$DB" "select count(*) from orders o where not exists (select 1 from order_items i where i.order_external_id = o.external_id)")" -eq 0 ] &&
  [ "$(ms events list --limit 10000 --json | wc -l)" -eq "$before" ]
'

test_expect_success 'a source failing three runs in a row raises sync.failed once, then sync.recovered' '
  ms schedule add w-hourly --every 1h --source w --range today >/dev/null &&
  export SHOP_TOKEN=shpat_canary_bad_7f3 &&
  ms schedule run w-hourly >/dev/null &&
  for h in 0 1 2 3; do
    MARKETSYNC_NOW=$(date -u -d "+$h hours" +%FT%TZ) "$MS_BIN" --quiet run-due 2>/dev/null || true
  done &&
  ms jobs list &&
  [ "$(events_count sync.failed)" -eq 1 ] && [ "$(events_count sync.recovered)" -eq 0 ] &&
  ! ms events list --type sync. --json | grep -q "canary_bad" &&
  export SHOP_TOKEN=shpat_sandbox_token &&
  for j in $(ms jobs list --state retryable --json | python3 -c "import json,sys; print(\" \".join(str(json.loads(l)[\"id\"]) for l in sys.stdin))"); do
    ms jobs cancel $j >/dev/null; done &&
  ms schedule run w-hourly >/dev/null && ms --quiet run-due &&
  [ "$(events_count sync.recovered)" -eq 1 ] &&
  ms events list --type sync.
'

test_expect_success 'events tail streams JSON lines of new events' '
  { "$MS_BIN" events tail --type order. >"$WORK/tail.out" & tpid=$!; } &&
  sleep 1 &&
  mutate "shop=w&resource=orders&create=3" >/dev/null &&
  ms sync w --today >/dev/null 2>&1 &&
  for _ in $(seq 50); do [ "$(wc -l <"$WORK/tail.out")" -ge 3 ] && break; sleep 0.1; done &&
  kill -INT $tpid && { wait $tpid || true; } &&
  python3 -c "
import json
rows = [json.loads(l) for l in open(\"$WORK/tail.out\")]
assert len(rows) >= 3 and all(r[\"type\"] == \"order.created\" for r in rows), rows"
'

test_done
