#!/usr/bin/env bash
# report skus: two synced shops (orders with items and refunds, products,
# stock levels, deletions); the report's totals in table, CSV and JSON equal
# what SQL reads from the synced tables, with cancelled and deleted orders
# left out; the summary written by report refresh changes nothing; bad
# arguments exit 2.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 15 --days 12 --shop eu:Europe/Berlin:30 --shop us:America/New_York:20 \
  --bucket-size 40 --leak-rate 40

# What the report counts, straight from the tables: the lines of live,
# uncancelled orders; WHERE extra narrows the orders (o).
live_lines() {
  echo "FROM orders o JOIN order_items i ON i.source_id = o.source_id
    AND i.order_external_id = o.external_id
    WHERE o.deleted_at IS NULL AND i.deleted_at IS NULL
    AND lower(coalesce(o.status, '')) NOT IN ('cancelled', 'canceled') ${1:+AND $1}"
}

# sql_totals [WHERE]: per currency, units, revenue in minor units, orders.
sql_totals() {
  sqlite3 -separator ' ' "$DB" "SELECT coalesce(nullif(i.currency, ''), o.currency),
    sum(i.quantity), sum(i.price_minor * i.quantity), count(DISTINCT o.source_id || ':' || o.external_id)
    $(live_lines "${1:-}") GROUP BY 1 ORDER BY 1"
}

# csv_totals [report options]: the same from the report's CSV. Orders add
# up per SKU, so they are summed per currency only where every order has
# one SKU; the orders figure is checked per SKU below.
csv_totals() {
  ms report skus --format csv "$@" | python3 -c '
import csv, sys
t = {}
for r in csv.DictReader(sys.stdin):
    u = t.setdefault(r["currency"], [0, 0])
    u[0] += int(r["units"]); u[1] += int(r["revenue_minor"])
for c in sorted(t):
    print(c, t[c][0], t[c][1])'
}

test_expect_success 'two shops are synced with every stream' '
  add_shop_all eu >/dev/null && add_shop_all us >/dev/null &&
  ms sync eu --last-days 10 >"$WORK/s1.out" 2>&1 &&
  ms sync us --last-days 10 >"$WORK/s2.out" 2>&1 &&
  grep -q "10 of 10 days completed" "$WORK/s1.out" &&
  [ "$(sqlite3 "$DB" "select count(*) from inventory_levels where available is not null")" -gt 0 ]
'

test_expect_success 'some orders are deleted and refunded, and the changes synced' '
  mutate "shop=eu&resource=orders&delete=4" >/dev/null &&
  mutate "shop=eu&resource=refunds&update=10" >/dev/null &&
  sleep 1.1 &&
  ms sync eu --mode modified >"$WORK/s3.out" 2>&1 &&
  [ "$(sqlite3 "$DB" "select count(*) from orders where deleted_at is not null")" -gt 0 ] &&
  [ "$(sqlite3 "$DB" "select count(*) from orders where status = \"cancelled\"")" -gt 0 ]
'

test_expect_success 'units and revenue per currency equal the tables, deleted orders left out' '
  sql_totals | cut -d" " -f1-3 >"$WORK/want" &&
  csv_totals >"$WORK/got" &&
  cat "$WORK/want" &&
  [ -s "$WORK/want" ] && diff "$WORK/want" "$WORK/got"
'

test_expect_success 'one source and a range of days: the totals of those orders' '
  id=$(sqlite3 "$DB" "select id from sources where name = \"eu\"") &&
  from=$(local_day Europe/Berlin -6) && to=$(local_day Europe/Berlin -3) &&
  lo=$(TZ=Europe/Berlin date -d "$from 00:00" +%s) &&
  hi=$(TZ=Europe/Berlin date -d "$to 00:00 + 1 day" +%s) &&
  sql_totals "o.source_id = $id AND o.created_at >= $lo AND o.created_at < $hi" |
    cut -d" " -f1-3 >"$WORK/want" &&
  csv_totals --source eu --from "$from" --to "$to" >"$WORK/got" &&
  [ -s "$WORK/want" ] && diff "$WORK/want" "$WORK/got"
'

test_expect_success 'per SKU: orders, refunded units, last sold and stock equal the tables' '
  ms report skus --format json >"$WORK/r.json" &&
  python3 - "$DB" "$WORK/r.json" "$(live_lines)" <<"EOF"
import datetime, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = json.load(open(sys.argv[2]))
lines = sys.argv[3]
assert rows, "an empty report"
checked_stock = 0
for r in rows:
    key = (r["sku"], r["currency"])
    cur = "coalesce(nullif(i.currency, \x27\x27), o.currency)"
    where = f" AND coalesce(i.sku, \x27\x27) = ? AND {cur} = ?"
    orders, last = db.execute(f"SELECT count(DISTINCT o.source_id || \x27:\x27 || o.external_id), "
                              f"max(o.created_at) {lines} {where}", key).fetchone()
    assert r["orders"] == orders, (key, r["orders"], orders)
    (refunded,) = db.execute(
        "SELECT coalesce(sum(l.quantity), 0) FROM refund_lines l JOIN refunds f "
        "ON f.source_id = l.source_id AND f.external_id = l.refund_external_id "
        "JOIN order_items i ON i.source_id = l.source_id AND i.external_id = l.line_item_id "
        "AND i.order_external_id = f.order_external_id JOIN orders o ON o.source_id = f.source_id "
        "AND o.external_id = f.order_external_id WHERE l.deleted_at IS NULL AND f.deleted_at IS NULL "
        "AND o.deleted_at IS NULL AND i.deleted_at IS NULL "
        "AND lower(coalesce(o.status, \x27\x27)) NOT IN (\x27cancelled\x27, \x27canceled\x27)"
        + where, key).fetchone()
    assert r["refunded_units"] == refunded, (key, r["refunded_units"], refunded)
    want_last = datetime.datetime.fromtimestamp(last, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert r["last_sold"] == want_last, (key, r["last_sold"], want_last)
    (stock,) = db.execute(
        "SELECT sum(l.available) FROM (SELECT DISTINCT source_id, inventory_item_id FROM "
        "product_variants WHERE deleted_at IS NULL AND sku = ? AND sku <> \x27\x27) v JOIN inventory_levels l "
        "ON l.source_id = v.source_id AND l.inventory_item_id = v.inventory_item_id "
        "WHERE l.deleted_at IS NULL", (r["sku"],)).fetchone()
    assert r["stock"] == stock, (key, r["stock"], stock)
    if stock is not None:
        checked_stock += 1
        assert r["cover_days"] is not None and r["cover_days"] >= 0, r
    else:
        assert r["cover_days"] is None, r
assert checked_stock > 0, "no SKU had stock"
print(len(rows), "rows checked,", checked_stock, "with stock")
EOF
'

test_expect_success 'the table shows the same rows, with a header' '
  ms report skus >"$WORK/t.out" &&
  head -1 "$WORK/t.out" | grep -q "^SKU *CURRENCY *UNITS *REVENUE *ORDERS *REFUNDED *LAST SOLD *STOCK *COVER (DAYS)" &&
  [ "$(grep -vc "^SKU \|no price yet\|rows$" "$WORK/t.out")" -eq "$(python3 -c "import json; print(len(json.load(open(\"$WORK/r.json\"))))")" ]
'

test_expect_success 'the summary written by report refresh changes no figure' '
  ms report skus --format csv >"$WORK/before.csv" &&
  ms report refresh >"$WORK/refresh.out" &&
  grep -q "summary of 2 sources up to date" "$WORK/refresh.out" &&
  ms report skus --format csv >"$WORK/after.csv" &&
  diff "$WORK/before.csv" "$WORK/after.csv" &&
  mutate "shop=eu&resource=orders&delete=2" >/dev/null && sleep 1.1 &&
  ms sync eu --mode modified >/dev/null 2>&1 &&
  sql_totals | cut -d" " -f1-3 >"$WORK/want" &&
  csv_totals >"$WORK/got" && diff "$WORK/want" "$WORK/got"
'

test_expect_success 'a scheduled sync leaves the summary up to date, and the report right' '
  mutate "shop=eu&resource=orders&delete=2" >/dev/null &&
  mutate "shop=us&resource=orders&update=5" >/dev/null && sleep 1.1 &&
  ms schedule add changes --every 1h --mode modified >/dev/null &&
  ms schedule run changes >/dev/null 2>&1 && ms --quiet run-due >"$WORK/due.out" 2>&1 &&
  [ "$(sqlite3 "$DB" "select count(*) from sku_dirty")" -eq 0 ] &&
  [ "$(sqlite3 "$DB" "select count(*) from sku_refreshed")" -eq 2 ] &&
  sql_totals | cut -d" " -f1-3 >"$WORK/want" &&
  csv_totals >"$WORK/got" && diff "$WORK/want" "$WORK/got"
'

test_expect_success 'bad arguments exit 2 with a sentence' '
  for args in "--format xml" "--source nosuch" "--from 2026-02-30" "--from tomorrow" \
      "--from 2025-03-10 --to 2025-03-01" "--limit 0" "--sort price" "--currency EURO" \
      "--range last-7-days --from 2025-03-01" "stray"; do
    { ms report skus $args >"$WORK/bad.out" 2>"$WORK/bad.err"; rc=$?; } || true
    [ "$rc" -eq 2 ] || { echo "report skus $args: exit $rc"; exit 1; }
    [ -s "$WORK/bad.err" ] && [ ! -s "$WORK/bad.out" ] || { echo "report skus $args"; exit 1; }
  done &&
  { ms report nosuch 2>"$WORK/bad.err"; test $? -eq 2; } &&
  grep -q "not a report" "$WORK/bad.err" &&
  { ms report refresh --from 2025-03-01 2>/dev/null; test $? -eq 2; }
'

test_done
