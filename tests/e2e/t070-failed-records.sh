#!/usr/bin/env bash
# A record that cannot be stored is kept aside, listed, and stored again by a retry.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 7 --days 5 --shop shop:Europe/Paris:20

test_expect_success 'a short sync stores orders and keeps nothing aside' '
  add_shop shop >/dev/null &&
  ms sync shop --last-days 2 >"$WORK/sync.out" 2>&1 &&
  ! grep -q "could not be stored" "$WORK/sync.out" &&
  [ "$(sqlite3 "$DB" "SELECT count(*) FROM orders")" -gt 0 ] &&
  ms failed list shop | grep -q "no records are waiting"
'

# Two records the sync could not store: a valid order under a new id, and a
# broken one, as the store would have kept them.
test_expect_success 'crafted failed records are listed, one row each' '
  sqlite3 "$DB" "SELECT raw FROM orders LIMIT 1" >"$WORK/order.json" &&
  python3 -c "
import json, sys
o = json.load(open(sys.argv[1]))
o[\"id\"] = 990000001
o[\"name\"] = \"#crafted\"
print(json.dumps(o), end=\"\")
" "$WORK/order.json" >"$WORK/good.json" &&
  printf "{\"id\": 990000002, \"created_at\": " >"$WORK/broken.json" &&
  sqlite3 "$DB" "INSERT INTO failed_records (source_id, stream, slice_key, external_id, raw, error,
      first_failed_at, last_failed_at, attempts) VALUES
      ((SELECT id FROM sources WHERE name = '"'"'shop'"'"'), '"'"'orders'"'"', '"'"'2025-01-02'"'"',
       '"'"'990000001'"'"', CAST(readfile('"'"'$WORK/good.json'"'"') AS TEXT),
       '"'"'crafted: refused once'"'"', 1, 1, 1),
      ((SELECT id FROM sources WHERE name = '"'"'shop'"'"'), '"'"'orders'"'"', '"'"'2025-01-02'"'"',
       '"'"'990000002'"'"', CAST(readfile('"'"'$WORK/broken.json'"'"') AS TEXT),
       '"'"'crafted: broken'"'"', 1, 1, 1)" &&
  ms failed list shop >"$WORK/list.out" && cat "$WORK/list.out" &&
  grep -q "990000001" "$WORK/list.out" && grep -q "990000002" "$WORK/list.out" &&
  grep -q "crafted: broken" "$WORK/list.out" &&
  [ "$(ms failed list --json | wc -l)" -eq 2 ] &&
  ms failed list --json | python3 -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert {r[\"external_id\"] for r in rows} == {\"990000001\", \"990000002\"}, rows
assert all(r[\"source\"] == \"shop\" and r[\"attempts\"] == 1 for r in rows), rows
"
'

test_expect_success 'retry --all stores the valid one, counts the broken one, exits 1' '
  set +e; ms failed retry --all >"$WORK/retry.out" 2>&1; rc=$?; set -e
  cat "$WORK/retry.out"
  [ "$rc" -eq 1 ] && grep -q "retried 2: 1 stored, 1 still failing" "$WORK/retry.out" &&
  [ "$(sqlite3 "$DB" "SELECT count(*) FROM orders WHERE external_id = '"'"'990000001'"'"'
        AND name = '"'"'#crafted'"'"'")" -eq 1 ] &&
  [ "$(sqlite3 "$DB" "SELECT resolved_at > 0 FROM failed_records
        WHERE external_id = '"'"'990000001'"'"'")" -eq 1 ] &&
  [ "$(sqlite3 "$DB" "SELECT attempts FROM failed_records
        WHERE external_id = '"'"'990000002'"'"' AND resolved_at IS NULL
        AND error LIKE '"'"'%cut JSON body%'"'"'")" -eq 2 ]
'

test_expect_success 'the list then holds only the record that still fails' '
  ms failed list >"$WORK/list2.out" &&
  ! grep -q "990000001" "$WORK/list2.out" && grep -q "990000002" "$WORK/list2.out"
'

test_expect_success 'retrying one id that still fails exits 1 and counts the attempt' '
  id=$(sqlite3 "$DB" "SELECT id FROM failed_records WHERE external_id = '"'"'990000002'"'"'") &&
  set +e; ms failed retry "$id" >"$WORK/one.out" 2>&1; rc=$?; set -e
  [ "$rc" -eq 1 ] && grep -q "retried 1: 0 stored, 1 still failing" "$WORK/one.out" &&
  [ "$(sqlite3 "$DB" "SELECT attempts FROM failed_records WHERE id = $id")" -eq 3 ]
'

test_expect_success 'unknown or already stored ids, and no argument, are usage errors (exit 2)' '
  done_id=$(sqlite3 "$DB" "SELECT id FROM failed_records WHERE external_id = '"'"'990000001'"'"'") &&
  set +e
  ms failed retry 424242 >"$WORK/u1.out" 2>&1; rc1=$?
  ms failed retry "$done_id" >"$WORK/u2.out" 2>&1; rc2=$?
  ms failed retry >"$WORK/u3.out" 2>&1; rc3=$?
  ms failed retry abc >"$WORK/u4.out" 2>&1; rc4=$?
  ms failed list nosuchsource >"$WORK/u5.out" 2>&1; rc5=$?
  set -e
  cat "$WORK"/u[1-5].out
  [ "$rc1" -eq 2 ] && [ "$rc2" -eq 2 ] && [ "$rc3" -eq 2 ] && [ "$rc4" -eq 2 ] &&
  [ "$rc5" -eq 2 ] && grep -q "424242" "$WORK/u1.out"
'

test_expect_success 'without the source secret, retry says so and exits 1' '
  set +e; env -u SHOP_TOKEN "$MS_BIN" failed retry --all >"$WORK/nosecret.out" 2>&1; rc=$?; set -e
  cat "$WORK/nosecret.out"
  [ "$rc" -eq 1 ] && grep -q "SHOP_TOKEN is not set" "$WORK/nosecret.out" &&
  grep -q "SHOP_TOKEN" "$WORK/nosecret.out"
'

test_done
