#!/usr/bin/env bash
# Every Shopify stream lands in its own table equal to the truth; their own
# changes (prices, stock, customers, deletions) are caught by the next sync;
# a missing scope fails only its stream, with a sentence naming the scope.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 31 --days 20 --shop full:Europe/Berlin:40 --shop noscope:UTC:20 \
  --shop-scopes noscope:read_orders,read_products,read_inventory,read_locations \
  --bucket-size 40 --leak-rate 40
FROM=$(local_day Europe/Berlin -9)
TO=$(local_day Europe/Berlin)

test_expect_success 'a shop with every stream is added' '
  add_shop_all full >/dev/null &&
  ms source add shopify --help | grep -q "inventory_levels"
'

test_expect_success 'one sync fills every stream' '
  ms sync full --last-days 10 >"$WORK/sync1.out" 2>&1 &&
  grep -q "10 of 10 days completed" "$WORK/sync1.out" &&
  grep -q "passes by update time or whole" "$WORK/sync1.out"
'

test_expect_success 'orders (with items and refunds) equal the truth' '
  compare_truth full "$FROM" "$TO"
'

for stream in products customers locations inventory_levels; do
  test_expect_success "$stream equal the truth, byte for byte" "
    compare_stream full $stream
  "
done

test_expect_success 'each stream has its own typed table' '
  [ "$(sqlite3 "$DB" "select count(*) from product_variants")" -gt 0 ] &&
  [ "$(sqlite3 "$DB" "select count(*) from inventory_levels where available is not null")" -gt 0 ] &&
  [ "$(sqlite3 "$DB" "select count(*) from refunds")" -gt 0 ] &&
  [ "$(sqlite3 "$DB" "select count(*) from refund_lines")" -gt 0 ] &&
  [ "$(sqlite3 "$DB" "select count(*) from customers where email like \"%@%\"")" -gt 0 ] &&
  [ "$(sqlite3 "$DB" "select count(*) from locations")" -ge 2 ]
'

test_expect_success 'changes of prices, stock, customers and deletions are caught by the next sync' '
  mutate "shop=full&resource=products&update=5&create=2&delete=2" >/dev/null &&
  mutate "shop=full&resource=customers&update=5&create=2&delete=1" >/dev/null &&
  mutate "shop=full&resource=inventory&update=12" >/dev/null &&
  ms sync full --mode modified >"$WORK/sync2.out" 2>&1 &&
  grep -q "marked deleted" "$WORK/sync2.out" &&
  compare_stream full products --deleted &&
  compare_stream full customers --deleted &&
  compare_stream full inventory_levels
'

test_expect_success 'a deleted product takes its variants and their stock levels with it' '
  [ "$(sqlite3 "$DB" "select count(*) from products where deleted_at is not null")" -eq 2 ] &&
  [ "$(sqlite3 "$DB" "select count(*) from product_variants v join products p
        on p.external_id = v.product_external_id where p.deleted_at is not null
        and v.deleted_at is null")" -eq 0 ] &&
  [ "$(sqlite3 "$DB" "select count(*) from inventory_levels where deleted_at is not null")" -gt 0 ]
'

test_expect_success 'status --stream shows where the changes were caught up to' '
  ms status full --stream products | grep -q "changes caught up to"
'

test_expect_success 'export of a stream in CSV has its typed columns' '
  ms export products --source full --format csv | head -1 | grep -q "^id,source,created_at,updated_at,deleted_at,title,vendor"
'

test_expect_success 'a missing scope fails only its stream, naming the scope; the others complete' '
  add_shop_all noscope >/dev/null &&
  { ms sync noscope --last-days 2 >"$WORK/scope.out" 2>&1; test $? -eq 1; } &&
  grep -q "lacks the read_customers scope" "$WORK/scope.out" &&
  grep -q "2 of 2 days completed" "$WORK/scope.out" &&
  [ "$(sqlite3 "$DB" "select count(*) from products p join sources s on s.id = p.source_id where s.name = \"noscope\"")" -gt 0 ]
'

test_expect_success 'sync --stream takes only the streams named; an unknown one is refused' '
  ms sync full --stream locations >"$WORK/loc.out" 2>&1 &&
  grep -q "0 of 0 days completed; 1 of 1 passes" "$WORK/loc.out" &&
  { ms sync full --stream nosuch 2>"$WORK/nosuch.err"; test $? -eq 2; } &&
  grep -q "offers a stream .nosuch." "$WORK/nosuch.err"
'

test_done
