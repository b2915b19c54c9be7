/* The SKU report of the store (report_skus, report_refresh) through store.h
 * only, over hand-made orders, lines, refunds, variants and stock levels in
 * a real store: every figure of a row checked exactly, with cancelled and
 * deleted orders left out, currencies apart, days bounded, sources apart,
 * and the same figures whether a day is read from the orders or from the
 * summary a refresh wrote. Like test_store.c it runs on every backend. */
#include <math.h>

#include "test_store_streams.h"

#define DAY 86400
#define D0 (20000 * (int64_t)DAY) /* 2024-10-04, a day's start in UTC */
#define HOUR 3600

/* ---- streams: orders with lines and refunds, as Shopify's are ---------------- */

static const struct column_def rline_cols[] = {
    {.name = "line_item_id", .type = COL_TEXT, .path = "line_item_id"},
    {.name = "quantity", .type = COL_INT, .path = "quantity"},
    {0}};

static const struct stream_def rlines_def = {
    .name = "refund_lines",
    .table = "refund_lines",
    .parent = "refunds",
    .parent_key = "refund_external_id",
    .path = "refund_line_items",
    .key = "id",
    .columns = rline_cols,
};

static const struct stream_def *const refund_kids[] = {&rlines_def, NULL};

static const struct column_def refund_cols[] = {{.name = "note", .type = COL_TEXT, .path = "note"},
                                                {0}};

static const struct stream_def refunds_def = {
    .name = "refunds",
    .table = "refunds",
    .parent = "orders",
    .parent_key = "order_external_id",
    .path = "refunds",
    .key = "id",
    .columns = refund_cols,
    .children = refund_kids,
};

static const struct column_def sorder_cols[] = {
    {.name = "status", .type = COL_TEXT, .path = "status", .flags = COL_STATUS},
    {.name = "currency", .type = COL_TEXT, .path = "currency"},
    {0}};

static const struct stream_def *const sorder_kids[] = {&items_def, &refunds_def, NULL};

static const struct stream_def sorders_def = {
    .name = "orders",
    .table = "orders",
    .slicing = SLICING_BY_DAY,
    .key = "id",
    .created = "created_at",
    .updated = "updated_at",
    .columns = sorder_cols,
    .children = sorder_kids,
};

static const struct stream_def order_deletions_def = {
    .name = "order_deletions",
    .table = "order_deletions",
    .slicing = SLICING_BY_UPDATES,
    .key = "id",
    .flags = STREAM_DELETIONS,
};

static struct store *sku_store(const char *name) {
  static const struct stream_def *const all[] = {&sorders_def, &products_def, &levels_def,
                                                 &order_deletions_def};
  char loc[700];
  struct err err = {0};
  struct store *st;
  ts_location(name, loc, sizeof(loc));
  st = ts_open(loc);
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
    if (st->ops->stream_prepare(st, all[i], &err))
      fail_msg("stream_prepare(%s): %s", all[i]->name, err.msg);
  return st;
}

/* ---- building records ------------------------------------------------------- */

/* An order in `currency` with a status; lines are added with line(). */
static struct record *order(struct page *pg, const char *id, int64_t created, const char *status,
                            const char *currency) {
  struct record *r = ts_rec(pg, id, created, created, "v1");
  ts_text(r, &sorders_def, "status", status);
  ts_text(r, &sorders_def, "currency", currency);
  assert_non_null(record_kids(r, &items_def));
  return r;
}

/* A line: qty units of sku at unit price `minor` (negative: no price yet);
 * its currency is the order's. */
static void line(struct record *o, const char *id, const char *sku, int64_t qty, int64_t minor) {
  struct record *k = ts_kid(o, &items_def, id, NULL);
  char amount[32];
  snprintf(amount, sizeof(amount), "%lld.%02lld", (long long)(minor / 100),
           (long long)(minor % 100));
  if (sku)
    ts_text(k, &items_def, "sku", sku);
  ts_int(k, &items_def, "quantity", qty);
  if (minor >= 0)
    ts_money(k, &items_def, "price", amount, minor);
}

/* A refund of qty units of the order's line `line_id`. */
static void refund(struct record *o, const char *id, const char *line_id, int64_t qty) {
  struct record *f = ts_kid(o, &refunds_def, id, NULL);
  char lid[64];
  snprintf(lid, sizeof(lid), "%s-l", id);
  struct record *l = ts_kid(f, &rlines_def, lid, NULL);
  ts_text(l, &rlines_def, "line_item_id", line_id);
  ts_int(l, &rlines_def, "quantity", qty);
}

static void commit_day(struct store *st, int64_t src, const char *day, struct page *pg,
                       int64_t now) {
  struct slice sl = ts_claim(st, src, "orders", day, "w", now, 60);
  ts_commit(st, &sl, pg, now, NULL);
  page_release(pg);
  slice_release(&sl);
}

/* Product P with two variants (SKU-A on item I1, SKU-B on item I2) and
 * stock levels: I1 30 + 10 at two locations, I2 0. */
static void stock(struct store *st, int64_t src, int64_t now) {
  static const struct {
    const char *item, *loc;
    int64_t available;
  } levels[] = {{"I1", "L1", 30}, {"I1", "L2", 10}, {"I2", "L1", 0}};
  struct page pg;
  struct slice sl = ts_claim(st, src, "products", "snapshot", "w", now, 60);
  page_init(&pg, &products_def);
  struct record *p = ts_rec(&pg, "P", 0, now, "p");
  struct record *v = ts_kid(p, &variants_def, "V1", NULL);
  ts_text(v, &variants_def, "sku", "SKU-A");
  ts_text(v, &variants_def, "inventory_item_id", "I1");
  v = ts_kid(p, &variants_def, "V2", NULL);
  ts_text(v, &variants_def, "sku", "SKU-B");
  ts_text(v, &variants_def, "inventory_item_id", "I2");
  ts_commit(st, &sl, &pg, now, NULL);
  page_release(&pg);
  slice_release(&sl);

  sl = ts_claim(st, src, "inventory_levels", "snapshot", "w", now, 60);
  page_init(&pg, &levels_def);
  for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
    char id[16];
    snprintf(id, sizeof(id), "%s:%s", levels[i].item, levels[i].loc);
    struct record *l = ts_rec(&pg, id, 0, now, "l");
    ts_text(l, &levels_def, "inventory_item_id", levels[i].item);
    ts_text(l, &levels_def, "location_id", levels[i].loc);
    ts_int(l, &levels_def, "available", levels[i].available);
  }
  ts_commit(st, &sl, &pg, now, NULL);
  page_release(&pg);
  slice_release(&sl);
}

/* Marks order `id` of the source deleted, as a deletion stream does. */
static void delete_order(struct store *st, int64_t src, const char *id, int64_t now) {
  struct page pg;
  struct slice sl = ts_claim(st, src, "order_deletions", "modified", "w", now, 60);
  page_init(&pg, &order_deletions_def);
  struct record *d = page_add(&pg);
  char eid[64];
  snprintf(eid, sizeof(eid), "gone-%s", id);
  d->external_id = strdup(eid);
  d->raw = strdup("{}");
  d->gone_from = &sorders_def;
  d->gone_id = strdup(id);
  d->gone_at = now;
  ts_commit(st, &sl, &pg, now, NULL);
  page_release(&pg);
  slice_release(&sl);
}

/* Shop A: the orders every test counts.
 *   o1 day 0 10:00 USD  l1 SKU-A 2 x 10.00, l2 SKU-B 1 x 5.00
 *   o2 day 1 12:00 USD  l3 SKU-A 3 x 10.00, refund of 1 unit of l3
 *   o3 day 2 09:00 EUR  l4 SKU-A 1 x 9.00
 *   o4 day 3 08:00 USD  cancelled: l5 SKU-A 5 x 10.00
 *   o5 day 3 09:00 USD  l6 SKU-A 7 x 10.00 (deleted by the tests that say so),
 *                       refund of 2 units of l6
 *   o6 day 9 11:00 USD  l7 SKU-B 4 x 5.00, l8 SKU-C 1 x 3.00, l9 no SKU 2 unpriced
 * Shop B: o1 day 1 15:00 USD l1 SKU-A 10 x 1.00; no stock synced. */
static void shops(struct store *st, int64_t a, int64_t b) {
  struct page pg;
  page_init(&pg, &sorders_def);
  struct record *o = order(&pg, "o1", D0 + 10 * HOUR, "open", "USD");
  line(o, "l1", "SKU-A", 2, 1000);
  line(o, "l2", "SKU-B", 1, 500);
  o = order(&pg, "o2", D0 + DAY + 12 * HOUR, "open", "USD");
  line(o, "l3", "SKU-A", 3, 1000);
  refund(o, "r1", "l3", 1);
  o = order(&pg, "o3", D0 + 2 * DAY + 9 * HOUR, "open", "EUR");
  line(o, "l4", "SKU-A", 1, 900);
  o = order(&pg, "o4", D0 + 3 * DAY + 8 * HOUR, "cancelled", "USD");
  line(o, "l5", "SKU-A", 5, 1000);
  o = order(&pg, "o5", D0 + 3 * DAY + 9 * HOUR, "open", "USD");
  line(o, "l6", "SKU-A", 7, 1000);
  refund(o, "r5", "l6", 2);
  o = order(&pg, "o6", D0 + 9 * DAY + 11 * HOUR, "open", "USD");
  line(o, "l7", "SKU-B", 4, 500);
  line(o, "l8", "SKU-C", 1, 300);
  line(o, "l9", NULL, 2, -1);
  commit_day(st, a, "2024-10-04", &pg, D0 + 10 * DAY);

  page_init(&pg, &sorders_def);
  o = order(&pg, "o1", D0 + DAY + 15 * HOUR, "open", "USD");
  line(o, "l1", "SKU-A", 10, 100);
  commit_day(st, b, "2024-10-05", &pg, D0 + 10 * DAY);
  stock(st, a, D0 + 10 * DAY);
}

/* ---- reading the report -------------------------------------------------------- */

#define MAX_ROWS 16

/* Rows copied; their sku and currency are read from names (the struct is
 * returned by value, so the rows' own pointers are cleared). */
struct got {
  struct sku_row v[MAX_ROWS];
  char names[MAX_ROWS][2][32]; /* per row: sku, currency */
  int n;
};

static int keep(void *ctx, const struct sku_row *r) {
  struct got *g = ctx;
  assert_true(g->n < MAX_ROWS);
  g->v[g->n] = *r;
  snprintf(g->names[g->n][0], 32, "%s", r->sku);
  snprintf(g->names[g->n][1], 32, "%s", r->currency);
  g->v[g->n].sku = g->v[g->n].currency = NULL;
  g->n++;
  return MS_OK;
}

static struct got report(struct store *st, struct sku_filter f) {
  struct got g;
  struct err err = {0};
  memset(&g, 0, sizeof(g));
  if (!f.order)
    f.order = SKU_BY_SKU;
  if (st->ops->report_skus(st, &f, keep, &g, &err))
    fail_msg("report_skus: %s", err.msg);
  return g;
}

static const struct sku_row *row(const struct got *g, const char *sku, const char *currency) {
  for (int i = 0; i < g->n; i++)
    if (strcmp(g->names[i][0], sku) == 0 && strcmp(g->names[i][1], currency) == 0)
      return &g->v[i];
  fail_msg("no row for %s %s", sku, currency);
  return NULL;
}

/* units, revenue, orders, refunded, last_sold of a row. */
static void expect(const struct sku_row *r, int64_t units, int64_t revenue, int64_t orders,
                   int64_t refunded, int64_t last_sold) {
  assert_int_equal(r->units, units);
  assert_int_equal(r->revenue, revenue);
  assert_int_equal(r->orders, orders);
  assert_int_equal(r->refunded, refunded);
  assert_int_equal(r->last_sold, last_sold);
}

static void refresh(struct store *st, int64_t now) {
  struct err err = {0};
  struct sku_refresh_counts c = {0};
  if (st->ops->report_refresh(st, 0, now, &c, &err))
    fail_msg("report_refresh: %s", err.msg);
  assert_true(c.sources >= 1);
}

/* ---- the tests ------------------------------------------------------------------- */

/* Days 0 to 4 of shop A: every figure, exactly. */
static void test_figures_of_a_range(void **state) {
  (void)state;
  struct store *st = sku_store("sku_range");
  int64_t a = ts_source(st, "a"), b = ts_source(st, "b");
  shops(st, a, b);
  delete_order(st, a, "o5", D0 + 10 * DAY);

  struct got g = report(
      st,
      (struct sku_filter){.source_id = a, .from = D0, .to = D0 + 5 * DAY, .now = D0 + 10 * DAY});
  assert_int_equal(g.n, 3); /* SKU-A EUR, SKU-A USD, SKU-B USD: nothing of day 9 */
  assert_string_equal(g.names[0][0], "SKU-A");
  assert_string_equal(g.names[0][1], "EUR");
  expect(&g.v[0], 1, 900, 1, 0, D0 + 2 * DAY + 9 * HOUR);
  /* o4 cancelled and o5 deleted (with its refund) do not count. */
  expect(row(&g, "SKU-A", "USD"), 5, 5000, 2, 1, D0 + DAY + 12 * HOUR);
  expect(row(&g, "SKU-B", "USD"), 1, 500, 1, 0, D0 + 10 * HOUR);
  for (int i = 0; i < g.n; i++) {
    assert_int_equal(g.v[i].unpriced, 0);
    assert_int_equal(g.v[i].total, 3);
  }

  /* Stock: SKU-A 30 + 10; SKU-B 0. Cover over 5 days: SKU-A sold 6 units
   * in both currencies, 40 / (6 / 5); SKU-B has none left: 0. */
  const struct sku_row *r = row(&g, "SKU-A", "USD");
  assert_true(r->has_stock && r->stock == 40);
  assert_true(r->has_cover);
  assert_true(fabs(r->cover_days - 40.0 * 5 / 6) < 1e-9);
  assert_true(fabs(row(&g, "SKU-A", "EUR")->cover_days - 40.0 * 5 / 6) < 1e-9);
  r = row(&g, "SKU-B", "USD");
  assert_true(r->has_stock && r->stock == 0);
  assert_true(r->has_cover && r->cover_days == 0);
  store_close(st);
}

/* Every day: day 9's lines too; a SKU without a variant and lines without
 * a SKU have no stock, and the unpriced ones count in units only. */
static void test_every_day_and_what_has_no_stock(void **state) {
  (void)state;
  struct store *st = sku_store("sku_all");
  int64_t a = ts_source(st, "a"), b = ts_source(st, "b");
  shops(st, a, b);
  delete_order(st, a, "o5", D0 + 10 * DAY);

  struct got g = report(st, (struct sku_filter){.source_id = a, .now = D0 + 10 * DAY});
  assert_int_equal(g.n, 5);
  expect(row(&g, "SKU-B", "USD"), 5, 2500, 2, 0, D0 + 9 * DAY + 11 * HOUR);
  const struct sku_row *c = row(&g, "SKU-C", "USD");
  expect(c, 1, 300, 1, 0, D0 + 9 * DAY + 11 * HOUR);
  assert_false(c->has_stock);
  assert_false(c->has_cover);
  const struct sku_row *none = row(&g, "", "USD");
  expect(none, 2, 0, 1, 0, D0 + 9 * DAY + 11 * HOUR);
  assert_int_equal(none->unpriced, 2);
  assert_false(none->has_stock);
  /* The period: from the first order (day 0 10:00) to now (day 10). */
  double days = (10.0 * DAY - 10 * HOUR) / DAY;
  assert_true(fabs(row(&g, "SKU-A", "USD")->cover_days - 40.0 * days / 6) < 1e-9);
  assert_true(fabs(row(&g, "SKU-B", "USD")->cover_days) < 1e-9);
  store_close(st);
}

/* Sources apart and together, and one currency alone. */
static void test_sources_and_currencies(void **state) {
  (void)state;
  struct store *st = sku_store("sku_sources");
  int64_t a = ts_source(st, "a"), b = ts_source(st, "b");
  shops(st, a, b);
  delete_order(st, a, "o5", D0 + 10 * DAY);

  struct got g = report(st, (struct sku_filter){.source_id = b, .now = D0 + 10 * DAY});
  assert_int_equal(g.n, 1);
  expect(&g.v[0], 10, 1000, 1, 0, D0 + DAY + 15 * HOUR);
  assert_false(g.v[0].has_stock); /* B synced no stock; A's is not B's */

  g = report(st, (struct sku_filter){.from = D0, .to = D0 + 5 * DAY, .now = D0 + 10 * DAY});
  expect(row(&g, "SKU-A", "USD"), 15, 6000, 3, 1, D0 + DAY + 15 * HOUR);
  assert_int_equal(row(&g, "SKU-A", "USD")->stock, 40);

  g = report(
      st,
      (struct sku_filter){
          .source_id = a, .from = D0, .to = D0 + 5 * DAY, .currency = "EUR", .now = D0 + 10 * DAY});
  assert_int_equal(g.n, 1);
  assert_string_equal(g.names[0][1], "EUR");
  /* Cover counts the SKU's units in every currency, whichever is shown. */
  assert_true(fabs(g.v[0].cover_days - 40.0 * 5 / 6) < 1e-9);

  /* Per-source bounds: A's days 0-1, B's none of its days. */
  struct sku_scope scope[2] = {{a, D0, D0 + 2 * DAY}, {b, D0 + 5 * DAY, D0 + 6 * DAY}};
  g = report(st, (struct sku_filter){.sources = scope, .nsources = 2, .now = D0 + 10 * DAY});
  expect(row(&g, "SKU-A", "USD"), 5, 5000, 2, 1, D0 + DAY + 12 * HOUR);
  g = report(st, (struct sku_filter){.sources = scope, .nsources = 0});
  assert_int_equal(g.n, 0);
  store_close(st);
}

/* The summary changes nothing: the same rows before and after a refresh,
 * and an order deleted or added after it counts at once. */
static void test_summary_gives_the_same_figures(void **state) {
  (void)state;
  struct store *st = sku_store("sku_summary");
  int64_t a = ts_source(st, "a"), b = ts_source(st, "b");
  struct sku_filter f = {.source_id = a, .from = D0, .to = D0 + 5 * DAY, .now = D0 + 10 * DAY};
  shops(st, a, b);

  struct got live = report(st, f);
  expect(row(&live, "SKU-A", "USD"), 12, 12000, 3, 3, D0 + 3 * DAY + 9 * HOUR);
  refresh(st, D0 + 10 * DAY);
  struct got summed = report(st, f);
  assert_int_equal(summed.n, live.n);
  for (int i = 0; i < live.n; i++) {
    assert_string_equal(summed.names[i][0], live.names[i][0]);
    assert_string_equal(summed.names[i][1], live.names[i][1]);
    expect(&summed.v[i], live.v[i].units, live.v[i].revenue, live.v[i].orders, live.v[i].refunded,
           live.v[i].last_sold);
    assert_int_equal(summed.v[i].stock, live.v[i].stock);
    assert_true(fabs(summed.v[i].cover_days - live.v[i].cover_days) < 1e-9);
  }

  /* Deleted after the refresh: its day is counted from the orders again. */
  delete_order(st, a, "o5", D0 + 11 * DAY);
  struct got g = report(st, f);
  expect(row(&g, "SKU-A", "USD"), 5, 5000, 2, 1, D0 + DAY + 12 * HOUR);

  /* A new order on a summarized day. */
  struct page pg;
  page_init(&pg, &sorders_def);
  struct record *o = order(&pg, "o7", D0 + 14 * HOUR, "open", "USD");
  line(o, "l10", "SKU-A", 1, 1000);
  commit_day(st, a, "2024-10-04", &pg, D0 + 11 * DAY);
  g = report(st, f);
  expect(row(&g, "SKU-A", "USD"), 6, 6000, 3, 1, D0 + DAY + 12 * HOUR);

  refresh(st, D0 + 11 * DAY);
  g = report(st, f);
  expect(row(&g, "SKU-A", "USD"), 6, 6000, 3, 1, D0 + DAY + 12 * HOUR);
  store_close(st);
}

/* Where a line's price is its total already (an Amazon source's ItemPrice,
 * an estimated price), revenue is that price, not price x quantity. */
static void test_line_totals(void **state) {
  (void)state;
  struct store *st = sku_store("sku_totals");
  struct source_row amz = {0};
  struct err err = {0};
  int64_t shop = ts_source(st, "shop");
  snprintf(amz.name, sizeof(amz.name), "seller");
  snprintf(amz.connector, sizeof(amz.connector), "amazon");
  amz.settings = "{}";
  amz.credentials = "{}";
  if (st->ops->source_add(st, &amz, &err))
    fail_msg("source_add: %s", err.msg);

  struct page pg;
  page_init(&pg, &sorders_def);
  line(order(&pg, "a1", D0 + HOUR, "Shipped", "USD"), "a1-1", "SKU-A", 3, 3000);
  line(order(&pg, "a2", D0 + 2 * HOUR, "Canceled", "USD"), "a2-1", "SKU-A", 9, 9000);
  commit_day(st, amz.id, "2024-10-04", &pg, D0 + DAY);
  page_init(&pg, &sorders_def);
  line(order(&pg, "s1", D0 + HOUR, "open", "USD"), "s1-1", "SKU-A", 4, -1);
  commit_day(st, shop, "2024-10-04", &pg, D0 + DAY);

  struct got g = report(st, (struct sku_filter){.source_id = amz.id});
  assert_int_equal(g.n, 1);
  expect(&g.v[0], 3, 3000, 1, 0, D0 + HOUR); /* Amazon's Canceled is left out too */

  g = report(st, (struct sku_filter){.source_id = shop});
  expect(&g.v[0], 4, 0, 1, 0, D0 + HOUR);
  assert_int_equal(g.v[0].unpriced, 4);
  /* An estimate is the line's total: 4 units for 20.00. */
  assert_int_equal(st->ops->child_estimate(st, shop, &items_def, "s1", "s1-1", "20.00", 2000, &err),
                   MS_OK);
  g = report(st, (struct sku_filter){.source_id = shop});
  expect(&g.v[0], 4, 2000, 1, 0, D0 + HOUR);
  assert_int_equal(g.v[0].unpriced, 0);
  store_close(st);
}

/* Bounds and limits out of range are refused. */
static void test_bad_filters(void **state) {
  (void)state;
  struct store *st = sku_store("sku_bad");
  struct err err = {0};
  struct got g = {0};
  struct sku_filter f = {.from = -1};
  assert_int_equal(st->ops->report_skus(st, &f, keep, &g, &err), MS_EINVAL);
  f = (struct sku_filter){.limit = -1};
  assert_int_equal(st->ops->report_skus(st, &f, keep, &g, &err), MS_EINVAL);
  f = (struct sku_filter){.order = (enum sku_order)9};
  assert_int_equal(st->ops->report_skus(st, &f, keep, &g, &err), MS_EINVAL);
  /* An empty store: no rows. */
  f = (struct sku_filter){0};
  assert_int_equal(st->ops->report_skus(st, &f, keep, &g, &err), MS_OK);
  assert_int_equal(g.n, 0);
  store_close(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_figures_of_a_range),
      cmocka_unit_test(test_every_day_and_what_has_no_stock),
      cmocka_unit_test(test_sources_and_currencies),
      cmocka_unit_test(test_summary_gives_the_same_figures),
      cmocka_unit_test(test_line_totals),
      cmocka_unit_test(test_bad_filters),
  };
  return cmocka_run_group_tests(tests, ts_make_tmpdir, ts_remove_tmpdir);
}
