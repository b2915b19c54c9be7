/* What the store tests share: small stream descriptions, a store per test,
 * and helpers that build pages and read records back through store.h.
 *
 * The store is opened at the location MS_TEST_STORE names, with "{test}"
 * replaced by the test's name (so each test can have a store of its own on
 * any backend), or by default at a SQLite file per test in a temporary
 * directory under MS_TEST_TMP. The tests expect their store empty when they
 * start.
 */
#ifndef MS_TESTS_TEST_STORE_STREAMS_H
#define MS_TESTS_TEST_STORE_STREAMS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "test_tmpdir.h"

#define TS_UNUSED __attribute__((unused))

/* ---- streams ------------------------------------------------------------- */

/* Orders with money, statuses and line items read from "line_items": the
 * shape of migration 0001's orders and order_items tables. */
static TS_UNUSED const struct column_def item_cols[] = {
    {.name = "sku", .type = COL_TEXT, .path = "sku", .flags = COL_INDEX},
    {.name = "title", .type = COL_TEXT, .path = "title"},
    {.name = "quantity", .type = COL_INT, .path = "quantity"},
    {.name = "price",
     .type = COL_MONEY,
     .path = "price",
     .currency = "^currency",
     .flags = COL_REQUIRED},
    {.name = "currency", .type = COL_TEXT, .path = "^currency"},
    {.name = "price_estimated", .type = COL_BOOL, .flags = COL_LOCAL},
    {0}};

static TS_UNUSED const struct stream_def items_def = {
    .name = "line_items",
    .table = "order_items",
    .parent = "orders",
    .parent_key = "order_external_id",
    .path = "line_items",
    .key = "id",
    .columns = item_cols,
    .flags = STREAM_REQUIRED,
};

static TS_UNUSED const struct column_def order_cols[] = {
    {.name = "name", .type = COL_TEXT, .path = "name"},
    {.name = "status", .type = COL_TEXT, .path = "status", .flags = COL_STATUS},
    {.name = "financial_status", .type = COL_TEXT, .path = "financial_status"},
    {.name = "fulfillment_status", .type = COL_TEXT, .path = "fulfillment_status"},
    {.name = "total_price",
     .type = COL_MONEY,
     .path = "total_price",
     .currency = "currency",
     .minor = "total_minor",
     .flags = COL_REQUIRED},
    {.name = "currency", .type = COL_TEXT, .path = "currency"},
    {0}};

static TS_UNUSED const struct stream_def *const order_kids[] = {&items_def, NULL};

static TS_UNUSED const struct stream_def orders_def = {
    .name = "orders",
    .table = "orders",
    .slicing = SLICING_BY_DAY,
    .key = "id",
    .created = "created_at",
    .updated = "updated_at",
    .columns = order_cols,
    .children = order_kids,
    .flags = STREAM_EVENTS | STREAM_MODIFIED | STREAM_REFETCH,
};

/* Orders whose items come by follow-up requests, one order at a time. */
static TS_UNUSED const struct column_def fitem_cols[] = {
    {.name = "sku", .type = COL_TEXT, .path = "SellerSKU"},
    {.name = "quantity", .type = COL_INT, .path = "QuantityOrdered"},
    {.name = "price",
     .type = COL_MONEY,
     .path = "ItemPrice.Amount",
     .currency = "ItemPrice.CurrencyCode",
     .flags = COL_REQUIRED},
    {.name = "currency", .type = COL_TEXT, .path = "ItemPrice.CurrencyCode"},
    {.name = "price_estimated", .type = COL_BOOL, .flags = COL_LOCAL},
    {0}};

static TS_UNUSED const struct stream_def fitems_def = {
    .name = "amazon_items",
    .table = "amazon_order_items",
    .parent = "amazon_orders",
    .parent_key = "amazon_order_id",
    .key = "OrderItemId",
    .columns = fitem_cols,
    .flags = STREAM_FOLLOW | STREAM_REQUIRED,
};

static TS_UNUSED const struct column_def forder_cols[] = {
    {.name = "status", .type = COL_TEXT, .path = "OrderStatus", .flags = COL_STATUS}, {0}};

static TS_UNUSED const struct stream_def *const forder_kids[] = {&fitems_def, NULL};

static TS_UNUSED const struct stream_def forders_def = {
    .name = "amazon_orders",
    .table = "amazon_orders",
    .slicing = SLICING_BY_DAY,
    .key = "AmazonOrderId",
    .created = "PurchaseDate",
    .updated = "LastUpdateDate",
    .columns = forder_cols,
    .children = forder_kids,
};

/* Stock levels, a snapshot keyed by item and location; products take the
 * levels of their variants' items with them when they go. */
static TS_UNUSED const struct column_def level_cols[] = {
    {.name = "inventory_item_id",
     .type = COL_TEXT,
     .path = "inventory_item_id",
     .flags = COL_INDEX},
    {.name = "location_id", .type = COL_TEXT, .path = "location_id"},
    {.name = "available", .type = COL_INT, .path = "available"},
    {0}};

static TS_UNUSED const struct stream_def levels_def = {
    .name = "inventory_levels",
    .table = "inventory_levels",
    .slicing = SLICING_SNAPSHOT,
    .key = "inventory_item_id,location_id",
    .columns = level_cols,
};

static TS_UNUSED const struct column_def media_cols[] = {
    {.name = "url", .type = COL_TEXT, .path = "src"}, {0}};

static TS_UNUSED const struct stream_def media_def = {
    .name = "variant_media",
    .table = "variant_media",
    .parent = "product_variants",
    .parent_key = "variant_id",
    .path = "media",
    .key = "id",
    .columns = media_cols,
};

static TS_UNUSED const struct column_def variant_cols[] = {
    {.name = "sku", .type = COL_TEXT, .path = "sku", .flags = COL_INDEX},
    {.name = "inventory_item_id",
     .type = COL_TEXT,
     .path = "inventory_item_id",
     .flags = COL_INDEX},
    {.name = "price", .type = COL_MONEY, .path = "price"},
    {0}};

static TS_UNUSED const struct stream_def *const variant_kids[] = {&media_def, NULL};

static TS_UNUSED const struct stream_def variants_def = {
    .name = "product_variants",
    .table = "product_variants",
    .parent = "products",
    .parent_key = "product_id",
    .path = "variants",
    .key = "id",
    .columns = variant_cols,
    .children = variant_kids,
};

static TS_UNUSED const struct column_def product_cols[] = {
    {.name = "title", .type = COL_TEXT, .path = "title"},
    {.name = "status", .type = COL_TEXT, .path = "status", .flags = COL_STATUS},
    {0}};

static TS_UNUSED const struct stream_def *const product_kids[] = {&variants_def, NULL};

static TS_UNUSED const struct cascade_def product_cascades[] = {
    {.via = &variants_def,
     .column = "inventory_item_id",
     .target = &levels_def,
     .target_column = "inventory_item_id"},
    {0}};

static TS_UNUSED const struct stream_def products_def = {
    .name = "products",
    .table = "products",
    .slicing = SLICING_SNAPSHOT,
    .key = "id",
    .updated = "updated_at",
    .columns = product_cols,
    .children = product_kids,
    .cascades = product_cascades,
};

/* Shopify's destroy events: records that say a product is gone. */
static TS_UNUSED const struct stream_def product_deletions_def = {
    .name = "product_deletions",
    .table = "product_deletions",
    .slicing = SLICING_BY_UPDATES,
    .key = "subject_id",
    .flags = STREAM_DELETIONS,
};

/* Customers, read by update-time windows. */
static TS_UNUSED const struct column_def customer_cols[] = {
    {.name = "email", .type = COL_TEXT, .path = "email"},
    {.name = "orders_count", .type = COL_INT, .path = "orders_count"},
    {.name = "tags", .type = COL_JSON, .path = "tags"},
    {.name = "vip", .type = COL_BOOL, .flags = COL_LOCAL},
    {0}};

static TS_UNUSED const struct stream_def customers_def = {
    .name = "customers",
    .table = "customers",
    .slicing = SLICING_BY_UPDATES,
    .key = "id",
    .created = "created_at",
    .updated = "updated_at",
    .columns = customer_cols,
};

/* The same, from an API that cannot list them in update order. */
static TS_UNUSED const struct stream_def ucustomers_def = {
    .name = "ucustomers",
    .table = "ucustomers",
    .slicing = SLICING_BY_UPDATES,
    .key = "id",
    .created = "created_at",
    .updated = "updated_at",
    .flags = STREAM_UNORDERED,
    .columns = customer_cols,
};

/* ---- a store per test ------------------------------------------------------ */

static TS_UNUSED int ts_make_tmpdir(void **state) {
  (void)state;
  return test_tmpdir_make("test_store");
}

static TS_UNUSED int ts_remove_tmpdir(void **state) {
  (void)state;
  test_tmpdir_remove();
  return 0;
}

/* A SQLite file of this name in the test's directory. */
static TS_UNUSED void ts_path(const char *name, char *out, size_t size) {
  test_tmpdir_path(name, out, size);
}

/* Where the test named `name` keeps its store. */
static TS_UNUSED void ts_location(const char *name, char *out, size_t size) {
  const char *loc = getenv("MS_TEST_STORE"), *at;
  if (!loc || !*loc) {
    char file[128];
    snprintf(file, sizeof(file), "%s.db", name);
    ts_path(file, out, size);
    return;
  }
  at = strstr(loc, "{test}");
  if (!at)
    snprintf(out, size, "%s", loc);
  else
    snprintf(out, size, "%.*s%s%s", (int)(at - loc), loc, name, at + 6);
}

static TS_UNUSED struct store *ts_open(const char *location) {
  struct store *st = NULL;
  struct err err = {0};
  int rc = store_open(location, &st, &err);
  if (rc)
    fail_msg("store_open(%s): %d %s", location, rc, err.msg);
  assert_non_null(st);
  return st;
}

/* The test's store, every stream of these tests prepared. */
static TS_UNUSED struct store *ts_store(const char *name) {
  static const struct stream_def *const all[] = {
      &orders_def,    &forders_def,           &products_def,  &levels_def,
      &customers_def, &product_deletions_def, &ucustomers_def};
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

static TS_UNUSED int64_t ts_source(struct store *st, const char *name) {
  struct source_row s = {0};
  struct err err = {0};
  snprintf(s.name, sizeof(s.name), "%s", name);
  snprintf(s.connector, sizeof(s.connector), "shopify");
  s.settings = "{\"shop\":\"x\"}";
  s.credentials = "{\"token_env\":\"T\"}";
  if (st->ops->source_add(st, &s, &err))
    fail_msg("source_add(%s): %s", name, err.msg);
  assert_true(s.id > 0);
  return s.id;
}

/* ---- slices ---------------------------------------------------------------- */

static TS_UNUSED struct slice ts_claim(struct store *st, int64_t src, const char *stream,
                                       const char *key, const char *owner, int64_t now, int lease) {
  struct slice sl;
  struct err err = {0};
  int rc = st->ops->slice_claim(st, src, stream, key, owner, now, lease, &sl, &err);
  if (rc)
    fail_msg("claim %s %s: %d %s", stream, key, rc, err.msg);
  return sl;
}

static TS_UNUSED void ts_commit(struct store *st, struct slice *sl, const struct page *pg,
                                int64_t now, struct page_counts *c) {
  struct err err = {0};
  int rc = st->ops->commit_page(st, sl, pg, now, c, &err);
  if (rc)
    fail_msg("commit_page: %d %s", rc, err.msg);
}

static TS_UNUSED struct slice ts_get(struct store *st, int64_t src, const char *stream,
                                     const char *key) {
  struct slice sl;
  struct err err = {0};
  int rc = st->ops->slice_get(st, src, stream, key, &sl, &err);
  if (rc)
    fail_msg("slice_get %s %s: %d %s", stream, key, rc, err.msg);
  return sl;
}

static TS_UNUSED void ts_cursor(struct page *pg, const char *next) {
  free(pg->next_cursor);
  pg->next_cursor = next ? strdup(next) : NULL;
}

/* ---- records ----------------------------------------------------------------- */

static TS_UNUSED char *ts_dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static TS_UNUSED char *ts_dupf(const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  char *s = strdup(buf);
  assert_non_null(s);
  return s;
}

static TS_UNUSED size_t ts_ncols(const struct stream_def *d) {
  size_t n = 0;
  for (const struct column_def *c = d->columns; c && c->name; c++)
    n++;
  return n;
}

/* Gives r a value slot per column of d. */
static TS_UNUSED void ts_vals(struct record *r, const struct stream_def *d) {
  r->nvals = ts_ncols(d);
  r->vals = r->nvals ? calloc(r->nvals, sizeof(*r->vals)) : NULL;
  assert_true(!r->nvals || r->vals);
}

static TS_UNUSED struct value *ts_val(struct record *r, const struct stream_def *d,
                                      const char *col) {
  size_t i = 0;
  for (const struct column_def *c = d->columns; c && c->name; c++, i++)
    if (strcmp(c->name, col) == 0) {
      assert_true(i < r->nvals);
      return &r->vals[i];
    }
  fail_msg("stream %s has no column %s", d->name, col);
  return NULL;
}

static TS_UNUSED void ts_text(struct record *r, const struct stream_def *d, const char *col,
                              const char *text) {
  struct value *v = ts_val(r, d, col);
  free(v->text);
  v->text = text ? strdup(text) : NULL;
  v->set = text != NULL;
}

static TS_UNUSED void ts_int(struct record *r, const struct stream_def *d, const char *col,
                             int64_t i) {
  struct value *v = ts_val(r, d, col);
  v->i = i;
  v->set = 1;
}

static TS_UNUSED void ts_money(struct record *r, const struct stream_def *d, const char *col,
                               const char *amount, int64_t minor) {
  ts_text(r, d, col, amount);
  ts_val(r, d, col)->i = minor;
}

/* A record of the page's stream; `tag` marks this copy's raw JSON. */
static TS_UNUSED struct record *ts_rec(struct page *pg, const char *id, int64_t created,
                                       int64_t updated, const char *tag) {
  struct record *r = page_add(pg);
  assert_non_null(r);
  r->external_id = strdup(id);
  r->created_at = created;
  r->updated_at = updated;
  r->raw = ts_dupf("{\"id\":\"%s\",\"tag\":\"%s\"}", id, tag);
  r->raw_len = strlen(r->raw);
  ts_vals(r, pg->def);
  return r;
}

/* A child of r in stream d, with raw JSON of its own when tag is given. */
static TS_UNUSED struct record *ts_kid(struct record *r, const struct stream_def *d, const char *id,
                                       const char *tag) {
  struct record_set *set = record_kids(r, d);
  struct record *k;
  assert_non_null(set);
  k = record_set_add(set);
  assert_non_null(k);
  k->external_id = strdup(id);
  if (tag) {
    k->raw = ts_dupf("{\"line\":\"%s\",\"tag\":\"%s\"}", id, tag);
    k->raw_len = strlen(k->raw);
  }
  ts_vals(k, d);
  return k;
}

/* A page of the follow-up child d: the children of parent_id. */
static TS_UNUSED struct record *ts_follow_kid(struct page *pg, const char *id) {
  struct record *k = page_add(pg);
  assert_non_null(k);
  k->external_id = strdup(id);
  k->raw = ts_dupf("{\"OrderItemId\":\"%s\"}", id);
  k->raw_len = strlen(k->raw);
  ts_vals(k, pg->def);
  return k;
}

/* Order `id` with `nitems` lines (the set is there even when empty: a
 * newer copy replaces the stored lines with it). */
static TS_UNUSED struct record *ts_order(struct page *pg, const char *id, int64_t created,
                                         int64_t updated, const char *tag, size_t nitems) {
  struct record *r = ts_rec(pg, id, created, updated, tag);
  char name[64];
  snprintf(name, sizeof(name), "#%s", id);
  ts_text(r, &orders_def, "name", name);
  ts_text(r, &orders_def, "status", "open");
  ts_text(r, &orders_def, "financial_status", "paid");
  ts_money(r, &orders_def, "total_price", "19.99", 1999);
  ts_text(r, &orders_def, "currency", "USD");
  assert_non_null(record_kids(r, &items_def));
  for (size_t j = 0; j < nitems; j++) {
    char kid[64], sku[32];
    snprintf(kid, sizeof(kid), "%s-%zu", id, j);
    snprintf(sku, sizeof(sku), "SKU%zu", j);
    struct record *k = ts_kid(r, &items_def, kid, tag);
    ts_text(k, &items_def, "sku", sku);
    ts_int(k, &items_def, "quantity", 1);
    ts_money(k, &items_def, "price", "5.00", 500);
    ts_text(k, &items_def, "currency", "USD");
  }
  return r;
}

/* ---- reading records back ----------------------------------------------------- */

#define TS_ROWS 32
#define TS_VALS 8

/* One stored record as records_each showed it. */
struct ts_row {
  char source[MS_NAME_MAX]; /* its source */
  char id[64];              /* external id */
  char raw[256];            /* its raw JSON, cut */
  int64_t created_at;       /* times */
  int64_t updated_at;       /* " */
  int64_t deleted_at;       /* " */
  int64_t first_seen_at;    /* " */
  int64_t last_synced_at;   /* " */
  int set[TS_VALS];         /* per column: a value */
  int64_t i[TS_VALS];       /* per column: its integer */
  char text[TS_VALS][64];   /* per column: its text, cut */
  int64_t nkids[4];         /* children per child stream */
};

struct ts_rows {
  struct ts_row v[TS_ROWS];     /* in the order they came */
  int n;                        /* how many */
  const struct stream_def *def; /* their stream */
};

static TS_UNUSED int ts_row_cb(void *ctx, const struct record_view *r) {
  struct ts_rows *rows = ctx;
  struct ts_row *o;
  assert_true(rows->n < TS_ROWS);
  o = &rows->v[rows->n++];
  memset(o, 0, sizeof(*o));
  snprintf(o->source, sizeof(o->source), "%s", r->source);
  snprintf(o->id, sizeof(o->id), "%s", r->external_id);
  snprintf(o->raw, sizeof(o->raw), "%s", r->raw ? r->raw : "");
  o->created_at = r->created_at;
  o->updated_at = r->updated_at;
  o->deleted_at = r->deleted_at;
  o->first_seen_at = r->first_seen_at;
  o->last_synced_at = r->last_synced_at;
  for (size_t i = 0; i < r->nvals && i < TS_VALS; i++) {
    o->set[i] = r->vals[i].set;
    o->i[i] = r->vals[i].i;
    if (r->vals[i].text)
      snprintf(o->text[i], sizeof(o->text[i]), "%s", r->vals[i].text);
  }
  for (size_t i = 0; i < 4 && rows->def->children && rows->def->children[i]; i++)
    o->nkids[i] = r->nchildren[i];
  return MS_OK;
}

/* Every record of d in the source (0: all), deleted ones too when asked. */
static TS_UNUSED void ts_rows(struct store *st, const struct stream_def *d, int64_t src,
                              int with_deleted, struct ts_rows *rows) {
  struct record_filter f = {.def = d, .source_id = src, .with_deleted = with_deleted};
  struct err err = {0};
  memset(rows, 0, sizeof(*rows));
  rows->def = d;
  if (st->ops->records_each(st, &f, ts_row_cb, rows, &err))
    fail_msg("records_each(%s): %s", d->name, err.msg);
}

/* The record of that id, or NULL. */
static TS_UNUSED const struct ts_row *ts_find(const struct ts_rows *rows, const char *id) {
  for (int i = 0; i < rows->n; i++)
    if (strcmp(rows->v[i].id, id) == 0)
      return &rows->v[i];
  return NULL;
}

/* The one record of that id in the source, deleted or not; it MUST exist. */
static TS_UNUSED struct ts_row ts_one(struct store *st, const struct stream_def *d, int64_t src,
                                      const char *id) {
  static struct ts_rows rows;
  const struct ts_row *r;
  ts_rows(st, d, src, 1, &rows);
  r = ts_find(&rows, id);
  if (!r)
    fail_msg("no %s %s stored", d->name, id);
  return *r;
}

/* The index of a column in d. */
static TS_UNUSED size_t ts_col(const struct stream_def *d, const char *col) {
  size_t i = 0;
  for (const struct column_def *c = d->columns; c && c->name; c++, i++)
    if (strcmp(c->name, col) == 0)
      return i;
  fail_msg("stream %s has no column %s", d->name, col);
  return 0;
}

/* The children of a record as JSON (caller frees). */
static TS_UNUSED char *ts_kids_json(struct store *st, int64_t src, const struct stream_def *d,
                                    const char *parent) {
  struct err err = {0};
  char *json = NULL;
  if (st->ops->children_json(st, src, d, parent, &json, &err))
    fail_msg("children_json: %s", err.msg);
  assert_non_null(json);
  return json;
}

/* How many times `needle` occurs in the children's JSON of a record. */
static TS_UNUSED int ts_kids_count(struct store *st, int64_t src, const struct stream_def *d,
                                   const char *parent, const char *needle) {
  char *json = ts_kids_json(st, src, d, parent);
  int n = 0;
  for (const char *p = json; (p = strstr(p, needle)) != NULL; p += strlen(needle))
    n++;
  free(json);
  return n;
}

/* ---- failed records ------------------------------------------------------------- */

struct ts_failed {
  struct failed_row v[16]; /* copies, strings owned */
  int n;                   /* how many */
};

static TS_UNUSED int ts_failed_cb(void *ctx, const struct failed_row *f) {
  struct ts_failed *all = ctx;
  struct failed_row *o;
  assert_true(all->n < 16);
  o = &all->v[all->n++];
  *o = *f;
  o->external_id = f->external_id ? strdup(f->external_id) : NULL;
  o->raw = f->raw ? strdup(f->raw) : NULL;
  o->error = f->error ? strdup(f->error) : NULL;
  return MS_OK;
}

static TS_UNUSED void ts_failed_release(struct ts_failed *all) {
  for (int i = 0; i < all->n; i++)
    failed_row_release(&all->v[i]);
  all->n = 0;
}

/* The open failed records of a source (0: all). */
static TS_UNUSED void ts_failed_list(struct store *st, int64_t src, struct ts_failed *all) {
  struct err err = {0};
  memset(all, 0, sizeof(*all));
  if (st->ops->failed_list(st, src, ts_failed_cb, all, &err))
    fail_msg("failed_list: %s", err.msg);
}

/* The open failed record of that id (NULL: the one without an id). */
static TS_UNUSED const struct failed_row *ts_failed_find(const struct ts_failed *all,
                                                         const char *id) {
  for (int i = 0; i < all->n; i++) {
    const char *have = all->v[i].external_id;
    if ((!id && !have) || (id && have && strcmp(have, id) == 0))
      return &all->v[i];
  }
  return NULL;
}

#endif
