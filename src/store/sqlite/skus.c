/* The SKU report: sales per SKU and currency, counted from the orders or
 * read from the daily summary report_refresh keeps (migration 0009).
 *
 * One aggregation, written once (put_parts), serves both. The refresh groups
 * it by source and UTC day into sku_daily; the report runs it over what it
 * cannot read from there (a source never refreshed, the days changed since,
 * the parts of days at the edges of its bounds) and adds the summary of the
 * other days. Both walk the orders' (source_id, created_at) index, one range
 * per source and stretch of days, handed to SQL as a JSON array.
 *
 * The store knows one fact about a connector here: whose line price is the
 * line's total (Amazon's ItemPrice is price x quantity); every other one's is
 * per unit (Shopify's line_items.price).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"
#include "util/array.h"

#define DAY 86400
#define OPEN_END ((int64_t)1 << 62) /* past every created_at: a range without an end */
#define REFRESH_DAYS 31             /* days summarized per transaction of a refresh */
#define SKU_CURRENCY_MAX 16         /* bytes of the filter's currency */

/* Connectors whose line price is the line's total, not the unit's. */
static const char *const line_total_connectors[] = {"amazon", NULL};

/* The optional tables, as far as the report needs them. */
struct sku_tables {
  int refunds; /* refunds and refund_lines: refunded units */
  int stock;   /* product_variants and inventory_levels: stock on hand */
};

/* A source of the report. */
struct sku_src {
  int64_t id;     /* sources.id */
  int line_total; /* its lines' price is their total */
  int refreshed;  /* its days are in sku_daily, but those in sku_dirty */
  int64_t lo;     /* its bounds: created_at >= lo ... */
  int64_t hi;     /* ... and < hi (OPEN_END: none) */
};

struct sku_srcs {
  struct sku_src *v; /* in id order */
  size_t n;          /* used */
  size_t cap;        /* allocated */
};

static int is_line_total(const char *connector) {
  for (size_t i = 0; line_total_connectors[i]; i++)
    if (connector && strcmp(connector, line_total_connectors[i]) == 0)
      return 1;
  return 0;
}

static int64_t day_floor(int64_t t) {
  return t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
}

static int64_t day_ceil(int64_t t) {
  return -day_floor(-t);
}

/* ---- the tables there are ------------------------------------------------ */

/* The table has every column of the JSON array `cols`. */
static int has_columns(struct sqlite_store *s, const char *table, const char *cols, int *yes,
                       struct err *err) {
  int64_t have = 0, want = 0;
  int rc = q_int(s, "SELECT json_array_length(?1)", ARGS(A_TEXT(cols)), &want, NULL, err,
                 "reading the schema");
  if (!rc)
    rc = q_int(s,
               "SELECT count(*) FROM pragma_table_info(?1) WHERE name IN (SELECT value FROM "
               "json_each(?2))",
               ARGS(A_TEXT(table), A_TEXT(cols)), &have, NULL, err, "reading the schema");
  *yes = !rc && have == want;
  return rc;
}

static int tables_probe(struct sqlite_store *s, struct sku_tables *t, struct err *err) {
  int a = 0, b = 0, rc;
  rc = has_columns(s, "refunds",
                   "[\"source_id\",\"order_external_id\",\"external_id\",\"deleted_at\"]", &a, err);
  if (!rc)
    rc = has_columns(s, "refund_lines",
                     "[\"source_id\",\"refund_external_id\",\"line_item_id\",\"quantity\","
                     "\"deleted_at\"]",
                     &b, err);
  t->refunds = a && b;
  if (!rc)
    rc = has_columns(s, "product_variants",
                     "[\"source_id\",\"sku\",\"inventory_item_id\",\"deleted_at\"]", &a, err);
  if (!rc)
    rc = has_columns(s, "inventory_levels",
                     "[\"source_id\",\"inventory_item_id\",\"available\",\"deleted_at\"]", &b, err);
  t->stock = a && b;
  return rc;
}

/* ---- the aggregation ----------------------------------------------------- */

/* What a line and its order share in every part: the key and the live test. */
#define SKU_KEY "coalesce(i.sku, '')"
#define CURRENCY_KEY "coalesce(nullif(i.currency, ''), nullif(o.currency, ''), '')"
#define LIVE_LINES                                                                                 \
  "o.deleted_at IS NULL AND i.deleted_at IS NULL AND "                                             \
  "lower(coalesce(o.status, '')) NOT IN ('cancelled', 'canceled')"
/* CROSS JOIN fixes the order of the loops (SQLite's rule): from the ranges
 * along the orders' index, then by primary keys; without statistics the
 * planner would walk a source's every refund line for each order. */
#define ORDERS_IN_RANGE                                                                            \
  "live r CROSS JOIN orders o ON o.source_id = r.source_id AND o.created_at >= r.lo AND "          \
  "o.created_at < r.hi"
#define ITEMS_OF_ORDER                                                                             \
  "order_items i ON i.source_id = o.source_id AND i.order_external_id = o.external_id"

/* The rows (source_id, day, sku, currency, units, revenue, orders, refunded,
 * unpriced, last_sold) of the orders in the CTE live(source_id, lo, hi,
 * line), one per source, SKU and currency and, by_day, UTC day (else day
 * is 0). Sold lines and refunded ones are separate rows of the same key. */
static int put_parts(struct buf *b, const struct sku_tables *t, int by_day) {
  const char *day = by_day ? "o.created_at / 86400" : "0";
  int rc = buf_printf(
      b,
      "SELECT o.source_id AS source_id, %s AS day, " SKU_KEY " AS sku, " CURRENCY_KEY
      " AS currency, sum(i.quantity) AS units, sum(CASE WHEN i.price_minor IS NULL THEN 0 "
      "WHEN r.line OR coalesce(i.price_estimated, 0) = 1 THEN i.price_minor ELSE i.price_minor * "
      "i.quantity END) AS revenue, count(DISTINCT o.external_id) AS orders, 0 AS refunded, "
      "sum(CASE WHEN i.price_minor IS NULL THEN i.quantity ELSE 0 END) AS unpriced, "
      "max(o.created_at) AS last_sold FROM " ORDERS_IN_RANGE " JOIN " ITEMS_OF_ORDER
      " WHERE " LIVE_LINES " GROUP BY 1, 2, 3, 4",
      day);
  /* Refunds are few: from them to their orders, not from every order to
   * its refunds (which reads every order's row a second time). */
  if (!rc && t->refunds)
    rc = buf_printf(b,
                    " UNION ALL SELECT o.source_id, %s, " SKU_KEY ", " CURRENCY_KEY
                    ", 0, 0, 0, sum(l.quantity), 0, NULL FROM (SELECT DISTINCT source_id FROM "
                    "live) r CROSS JOIN refunds f ON f.source_id = r.source_id CROSS JOIN orders "
                    "o ON o.source_id = f.source_id AND o.external_id = f.order_external_id "
                    "CROSS JOIN refund_lines l ON l.source_id = f.source_id AND "
                    "l.refund_external_id = f.external_id CROSS JOIN " ITEMS_OF_ORDER
                    " AND i.external_id = l.line_item_id WHERE " LIVE_LINES
                    " AND f.deleted_at IS NULL AND l.deleted_at IS NULL AND EXISTS (SELECT 1 "
                    "FROM live x WHERE x.source_id = o.source_id AND o.created_at >= x.lo AND "
                    "o.created_at < x.hi) GROUP BY 1, 2, 3, 4",
                    day);
  return rc;
}

#define LIVE_CTE                                                                                   \
  "live(source_id, lo, hi, line) AS (SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 "   \
  "FROM json_each(?1))"

/* ---- the sources --------------------------------------------------------- */

struct src_read {
  struct sku_srcs *all; /* where they go */
  int bad;              /* MS_ENOMEM */
};

static int src_row(void *ctx, sqlite3_stmt *q) {
  struct src_read *r = ctx;
  struct sku_src *v;
  if (array_reserve((void **)&r->all->v, &r->all->cap, r->all->n + 1, sizeof(*v), 16))
    return r->bad = MS_ENOMEM;
  v = &r->all->v[r->all->n++];
  memset(v, 0, sizeof(*v));
  v->id = sqlite3_column_int64(q, 0);
  v->line_total = is_line_total(col_text(q, 1));
  v->refreshed = sqlite3_column_int(q, 2);
  return MS_OK;
}

static struct sku_src *src_find(struct sku_srcs *all, int64_t id) {
  size_t lo = 0, hi = all->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (all->v[mid].id == id)
      return &all->v[mid];
    if (all->v[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static int src_cmp(const void *a, const void *b) {
  const struct sku_src *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void src_bounds(struct sku_src *v, int64_t from, int64_t to) {
  v->lo = from > 0 ? from : 0;
  v->hi = to > 0 ? to : OPEN_END;
}

/* The sources the filter names, with their bounds, in id order. */
static int sources_pick(struct sqlite_store *s, const struct sku_filter *f, struct sku_srcs *out,
                        struct err *err) {
  struct sku_srcs all = {0};
  struct src_read r = {&all, 0};
  int rc = q_each(s,
                  "SELECT s.id, s.connector, r.source_id IS NOT NULL FROM sources s LEFT JOIN "
                  "sku_refreshed r ON r.source_id = s.id ORDER BY s.id",
                  NO_ARGS, src_row, &r, err, "reading the sources");
  memset(out, 0, sizeof(*out));
  if (r.bad)
    rc = err_set(err, MS_ENOMEM, "out of memory reading the sources");
  if (rc) {
    free(all.v);
    return rc;
  }
  if (!f->sources) {
    for (size_t i = 0; i < all.n; i++)
      src_bounds(&all.v[i], f->from, f->to);
    if (f->source_id) {
      struct sku_src *one = src_find(&all, f->source_id);
      all.n = 0;
      if (one)
        all.v[all.n++] = *one;
    }
    *out = all;
    return MS_OK;
  }
  for (size_t i = 0; !rc && i < f->nsources; i++) {
    const struct sku_scope *sc = &f->sources[i];
    struct sku_src *v = src_find(&all, sc->source_id);
    if (!v)
      continue;
    if (v->hi) /* bounded already */
      rc = err_set(err, MS_EINVAL, "source %lld is listed twice in the report's sources",
                   (long long)sc->source_id);
    else if (array_reserve((void **)&out->v, &out->cap, out->n + 1, sizeof(*v), 16))
      rc = err_set(err, MS_ENOMEM, "out of memory reading the sources");
    if (rc)
      break;
    src_bounds(v, sc->from ? sc->from : f->from, sc->to ? sc->to : f->to);
    out->v[out->n++] = *v;
  }
  free(all.v);
  if (rc) {
    free(out->v);
    memset(out, 0, sizeof(*out));
    return rc;
  }
  qsort(out->v, out->n, sizeof(*out->v), src_cmp);
  return MS_OK;
}

/* ---- which days come from where ------------------------------------------ */

/* Days [d0, d1) of a source as ranges: the summary's where they are clean,
 * the orders' where they are dirty. */
struct plan {
  struct buf live;    /* JSON array of [source_id, lo, hi, line_total] */
  struct buf summary; /* JSON array of [source_id, first day, end day] */
  size_t nlive;       /* entries of live */
  size_t nsummary;    /* entries of summary */
};

static int plan_live(struct plan *p, const struct sku_src *v, int64_t lo, int64_t hi) {
  if (lo >= hi)
    return MS_OK;
  return buf_printf(&p->live, "%s[%lld,%lld,%lld,%d]", p->nlive++ ? "," : "", (long long)v->id,
                    (long long)lo, (long long)hi, v->line_total);
}

static int plan_summary(struct plan *p, const struct sku_src *v, int64_t d0, int64_t d1) {
  if (d0 >= d1)
    return MS_OK;
  return buf_printf(&p->summary, "%s[%lld,%lld,%lld]", p->nsummary++ ? "," : "", (long long)v->id,
                    (long long)d0, (long long)d1);
}

/* Walks the dirty days of a source in [d0, d1), in order. */
struct dirty_walk {
  struct plan *p;          /* what it adds to */
  const struct sku_src *v; /* the source */
  int64_t next;            /* the first day not planned yet */
  int64_t run0, run1;      /* the current run of dirty days [run0, run1), run0 == run1: none */
  int rc;                  /* a failed append */
};

static int dirty_flush(struct dirty_walk *w) {
  int rc = MS_OK;
  if (w->run0 < w->run1) {
    rc = plan_summary(w->p, w->v, w->next, w->run0);
    if (!rc)
      rc = plan_live(w->p, w->v, w->run0 * DAY, w->run1 * DAY);
    w->next = w->run1;
  }
  w->run0 = w->run1 = 0;
  return rc;
}

static int dirty_row(void *ctx, sqlite3_stmt *q) {
  struct dirty_walk *w = ctx;
  int64_t day = sqlite3_column_int64(q, 0);
  if (w->run0 < w->run1 && day == w->run1) {
    w->run1++;
    return MS_OK;
  }
  if ((w->rc = dirty_flush(w)) != MS_OK)
    return w->rc;
  w->run0 = day;
  w->run1 = day + 1;
  return MS_OK;
}

static int plan_source(struct sqlite_store *s, struct plan *p, const struct sku_src *v,
                       struct err *err) {
  int64_t d0 = day_ceil(v->lo), d1 = v->hi >= OPEN_END ? OPEN_END / DAY : day_floor(v->hi);
  struct dirty_walk w = {p, v, d0, 0, 0, MS_OK};
  int rc;
  if (v->lo >= v->hi)
    return MS_OK;
  if (!v->refreshed || d0 >= d1)
    return plan_live(p, v, v->lo, v->hi);
  rc = plan_live(p, v, v->lo, d0 * DAY);
  if (!rc)
    rc = q_each(s,
                "SELECT day FROM sku_dirty WHERE source_id = ?1 AND day >= ?2 AND day < ?3 "
                "ORDER BY day",
                ARGS(A_INT(v->id), A_INT(d0), A_INT(d1)), dirty_row, &w, err,
                "reading the days changed");
  if (!rc)
    rc = dirty_flush(&w);
  if (!rc)
    rc = plan_summary(p, v, w.next, d1);
  if (!rc && v->hi < OPEN_END)
    rc = plan_live(p, v, d1 * DAY, v->hi);
  if (rc == MS_ENOMEM)
    err_set(err, rc, "out of memory planning the report");
  return rc ? rc : w.rc;
}

static int plan_make(struct sqlite_store *s, const struct sku_srcs *srcs, struct plan *p,
                     struct err *err) {
  int rc = buf_putc(&p->live, '[');
  if (!rc)
    rc = buf_putc(&p->summary, '[');
  for (size_t i = 0; !rc && i < srcs->n; i++)
    rc = plan_source(s, p, &srcs->v[i], err);
  if (!rc)
    rc = buf_putc(&p->live, ']');
  if (!rc)
    rc = buf_putc(&p->summary, ']');
  if (rc == MS_ENOMEM)
    err_set(err, rc, "out of memory planning the report");
  return rc;
}

/* ---- the period, for days of cover ----------------------------------------- */

/* The period's length in days, at least 1: the longest of the sources'
 * (its start, or its earliest order, to its end, now or its newest order,
 * whichever comes first). */
static int period_days(struct sqlite_store *s, const struct sku_srcs *srcs, int64_t now,
                       double *days, struct err *err) {
  int64_t longest = 0;
  int rc = MS_OK;
  for (size_t i = 0; !rc && i < srcs->n; i++) {
    const struct sku_src *v = &srcs->v[i];
    int64_t start = v->lo, end = v->hi, first = 0, last = 0;
    int found = 0;
    if (!start)
      rc = q_int(s, "SELECT min(created_at) FROM orders WHERE source_id = ?1", ARGS(A_INT(v->id)),
                 &first, &found, err, "reading the first order");
    if (rc || (!start && (!found || !first)))
      continue;
    if (!start)
      start = first;
    if (now > 0 && now < end)
      end = now;
    if (end >= OPEN_END) {
      rc = q_int(s, "SELECT max(created_at) FROM orders WHERE source_id = ?1", ARGS(A_INT(v->id)),
                 &last, &found, err, "reading the newest order");
      end = last + 1;
    }
    if (!rc && end - start > longest)
      longest = end - start;
  }
  *days = (double)longest / DAY;
  if (*days < 1)
    *days = 1;
  return rc;
}

/* ---- the report ------------------------------------------------------------ */

/* A row held until the callbacks run. */
struct sku_held {
  char *sku;      /* owned, with currency in the same block */
  char *currency; /* into sku's block */
  int64_t v[8];   /* units, revenue, orders, refunded, unpriced, last_sold, sku_units, total */
  int64_t stock;  /* when has_stock */
  int has_stock;  /* stock is not NULL */
};

static int held_read(sqlite3_stmt *q, void *out) {
  struct sku_held *h = out;
  const char *sku = col_text(q, 0), *cur = col_text(q, 1);
  size_t a = strlen(sku ? sku : "") + 1, b = strlen(cur ? cur : "") + 1;
  memset(h, 0, sizeof(*h));
  h->sku = malloc(a + b);
  if (!h->sku)
    return MS_ENOMEM;
  memcpy(h->sku, sku ? sku : "", a);
  h->currency = h->sku + a;
  memcpy(h->currency, cur ? cur : "", b);
  for (int i = 0; i < 7; i++)
    h->v[i] = sqlite3_column_int64(q, 2 + i);
  h->has_stock = sqlite3_column_type(q, 9) != SQLITE_NULL;
  h->stock = sqlite3_column_int64(q, 9);
  h->v[7] = sqlite3_column_int64(q, 10);
  return MS_OK;
}

static void held_release(void *row) {
  free(((struct sku_held *)row)->sku);
}

static const char *order_by(enum sku_order o) {
  switch (o) {
  case SKU_BY_UNITS:
    return "units DESC, sku, currency";
  case SKU_BY_SKU:
    return "sku, currency";
  default:
    return "currency, revenue DESC, sku";
  }
}

/* ?1 the live ranges, ?2 the summary's, ?3 the sources' ids, ?4 the
 * currency (NULL: all), ?5 top, ?6 limit (-1: all), ?7 offset. */
static int report_sql(struct buf *b, const struct sku_tables *t, enum sku_order order) {
  int rc = buf_puts(b, "WITH " LIVE_CTE ", summary(source_id, d0, d1) AS (SELECT value ->> 0, "
                       "value ->> 1, value ->> 2 FROM json_each(?2)), parts AS (");
  if (!rc)
    rc = put_parts(b, t, 0);
  if (!rc)
    rc = buf_puts(b, " UNION ALL SELECT d.source_id, 0, d.sku, d.currency, d.units, d.revenue, "
                     "d.orders, d.refunded, d.unpriced, d.last_sold FROM summary m JOIN "
                     "sku_daily d ON d.source_id = m.source_id AND d.day >= m.d0 AND d.day < "
                     "m.d1), skus AS (SELECT sku, currency, sum(units) AS units, sum(revenue) "
                     "AS revenue, sum(orders) AS orders, sum(refunded) AS refunded, "
                     "sum(unpriced) AS unpriced, max(last_sold) AS last_sold FROM parts "
                     "GROUP BY sku, currency)");
  if (!rc && t->stock)
    rc = buf_puts(b, ", stock(sku, stock) AS (SELECT v.sku, sum(l.available) FROM (SELECT "
                     "DISTINCT v.source_id, v.inventory_item_id, v.sku FROM json_each(?3) j "
                     "JOIN product_variants v ON v.source_id = j.value WHERE v.deleted_at IS "
                     "NULL AND v.sku <> '' AND v.inventory_item_id IS NOT NULL) v JOIN "
                     "inventory_levels l ON l.source_id = v.source_id AND l.inventory_item_id = "
                     "v.inventory_item_id AND l.deleted_at IS NULL GROUP BY v.sku)");
  else if (!rc)
    rc = buf_puts(b, ", stock(sku, stock) AS (SELECT NULL, NULL WHERE 0)");
  if (!rc)
    rc = buf_puts(b, ", every AS (SELECT s.*, sum(s.units) OVER (PARTITION BY s.sku) AS "
                     "sku_units, CASE WHEN s.sku <> '' THEN k.stock END AS stock FROM skus s "
                     "LEFT JOIN stock k ON k.sku = s.sku), picked AS (SELECT *, row_number() "
                     "OVER (PARTITION BY currency ORDER BY revenue DESC, sku) AS rank FROM "
                     "every WHERE ?4 IS NULL OR currency = ?4) SELECT sku, currency, units, "
                     "revenue, orders, refunded, unpriced, last_sold, sku_units, stock, "
                     "count(*) OVER () FROM picked WHERE ?5 <= 0 OR rank <= ?5 ORDER BY ");
  if (!rc)
    rc = buf_printf(b, "%s LIMIT ?6 OFFSET ?7", order_by(order));
  return rc;
}

static int filter_check(const struct sku_filter *f, struct err *err) {
  if (f->from < 0 || f->to < 0)
    return err_set(err, MS_EINVAL, "the report's bounds are UTC seconds, 0 or above");
  if (f->sources && f->nsources > SKU_SOURCES_MAX)
    return err_set(err, MS_EINVAL, "the report names %zu sources; at most %d may be given",
                   f->nsources, SKU_SOURCES_MAX);
  for (size_t i = 0; f->sources && i < f->nsources; i++)
    if (f->sources[i].from < 0 || f->sources[i].to < 0)
      return err_set(err, MS_EINVAL, "the bounds of source %lld are UTC seconds, 0 or above",
                     (long long)f->sources[i].source_id);
  if (f->currency && strlen(f->currency) >= SKU_CURRENCY_MAX)
    return err_set(err, MS_EINVAL, "currency \"%.20s...\" is too long", f->currency);
  if (f->order != SKU_BY_REVENUE && f->order != SKU_BY_UNITS && f->order != SKU_BY_SKU)
    return err_set(err, MS_EINVAL, "the report's order is revenue, units or sku");
  if (f->top < 0 || f->limit < 0 || f->offset < 0)
    return err_set(err, MS_EINVAL, "top, limit and offset of a report are 0 or above");
  return MS_OK;
}

/* A JSON array of the sources' ids. */
static int ids_json(const struct sku_srcs *srcs, struct buf *b) {
  int rc = buf_putc(b, '[');
  for (size_t i = 0; !rc && i < srcs->n; i++)
    rc = buf_printf(b, "%s%lld", i ? "," : "", (long long)srcs->v[i].id);
  return rc ? rc : buf_putc(b, ']');
}

/* Everything the report reads, from one snapshot: a read transaction unless
 * the caller holds one already. */
static int report_read(struct sqlite_store *s, const struct sku_filter *f, struct sku_held **rows,
                       size_t *n, double *days, struct err *err) {
  struct sku_tables t = {0};
  struct sku_srcs srcs = {0};
  struct plan p;
  struct buf sql, ids;
  void *out = NULL;
  int own = sqlite3_get_autocommit(s->db), rc;
  buf_init(&p.live, 0);
  buf_init(&p.summary, 0);
  p.nlive = p.nsummary = 0;
  buf_init(&sql, 0);
  buf_init(&ids, 0);
  rc = own ? q_each(s, "BEGIN", NO_ARGS, NULL, NULL, err, "starting to read the report") : MS_OK;
  if (!rc)
    rc = tables_probe(s, &t, err);
  if (!rc)
    rc = sources_pick(s, f, &srcs, err);
  if (!rc)
    rc = plan_make(s, &srcs, &p, err);
  if (!rc)
    rc = period_days(s, &srcs, f->now, days, err);
  if (!rc && (report_sql(&sql, &t, f->order) || ids_json(&srcs, &ids)))
    rc = err_set(err, MS_ENOMEM, "out of memory writing SQL");
  if (!rc)
    rc = q_collect(s, sql.data,
                   ARGS(A_TEXT(p.live.data), A_TEXT(p.summary.data), A_TEXT(ids.data),
                        A_TEXT(f->currency), A_INT(f->top), A_INT(f->limit ? f->limit : -1),
                        A_INT(f->offset)),
                   sizeof(struct sku_held), held_read, held_release, SKU_ROWS_MAX, &out, n, err,
                   "reading the SKU report");
  if (own && !sqlite3_get_autocommit(s->db))
    (void)q_each(s, "COMMIT", NO_ARGS, NULL, NULL, NULL, "ending the report's read");
  buf_release(&p.live);
  buf_release(&p.summary);
  buf_release(&sql);
  buf_release(&ids);
  free(srcs.v);
  *rows = out;
  return rc;
}

int sqlite_report_skus(struct store *st, const struct sku_filter *f, sku_cb cb, void *ctx,
                       struct err *err) {
  struct sqlite_store *s = backend(st);
  struct sku_held *rows = NULL;
  size_t n = 0;
  double days = 1;
  int rc = filter_check(f, err);
  if (rc)
    return rc;
  if (f->sources && f->nsources == 0)
    return MS_OK;
  rc = report_read(s, f, &rows, &n, &days, err);
  for (size_t i = 0; !rc && i < n; i++) {
    const struct sku_held *h = &rows[i];
    struct sku_row r = {h->sku,  h->currency,  h->v[0],  h->v[1], h->v[2], h->v[3], h->v[4],
                        h->v[5], h->has_stock, h->stock, 0,       0,       h->v[7]};
    if (h->has_stock && h->v[6] > 0) {
      r.has_cover = 1;
      r.cover_days = h->stock > 0 ? (double)h->stock * days / (double)h->v[6] : 0;
    }
    rc = cb(ctx, &r);
  }
  for (size_t i = 0; i < n; i++)
    held_release(&rows[i]);
  free(rows);
  return rc;
}

/* ---- the refresh ------------------------------------------------------------ */

/* Summarizes the days of the JSON array `days` of one source anew, in the
 * caller's transaction; *rows gets the rows written. */
static int summarize(struct sqlite_store *s, const struct sku_tables *t, const struct sku_src *v,
                     const char *days, const char *ranges, int64_t *rows, struct err *err) {
  struct buf sql;
  int rc = q_each(s,
                  "DELETE FROM sku_daily WHERE source_id = ?1 AND day IN (SELECT value FROM "
                  "json_each(?2))",
                  ARGS(A_INT(v->id), A_TEXT(days)), NULL, NULL, err, "refreshing the summary");
  if (!rc)
    rc = q_each(s,
                "DELETE FROM sku_dirty WHERE source_id = ?1 AND day IN (SELECT value FROM "
                "json_each(?2))",
                ARGS(A_INT(v->id), A_TEXT(days)), NULL, NULL, err, "refreshing the summary");
  if (rc)
    return rc;
  buf_init(&sql, 0);
  rc = buf_puts(&sql, "INSERT INTO sku_daily (source_id, day, sku, currency, units, revenue, "
                      "orders, refunded, unpriced, last_sold) WITH " LIVE_CTE
                      " SELECT source_id, day, sku, currency, sum(units), sum(revenue), "
                      "sum(orders), sum(refunded), sum(unpriced), coalesce(max(last_sold), 0) "
                      "FROM (");
  if (!rc)
    rc = put_parts(&sql, t, 1);
  if (!rc)
    rc = buf_puts(&sql, ") GROUP BY source_id, day, sku, currency");
  if (rc)
    rc = err_set(err, MS_ENOMEM, "out of memory writing SQL");
  else
    rc = q_each(s, sql.data, ARGS(A_TEXT(ranges)), NULL, NULL, err, "refreshing the summary");
  buf_release(&sql);
  if (!rc)
    *rows += q_changes(s);
  return rc;
}

/* A batch of days of one source: their list and their ranges as JSON. */
struct batch {
  struct buf days;   /* [day, ...] */
  struct buf ranges; /* [[source_id, lo, hi, line_total], ...] */
  int64_t n;         /* days in it */
  int64_t run0;      /* the current run of days [run0, run1) */
  int64_t run1;
};

static void batch_reset(struct batch *b) {
  buf_reset(&b->days);
  buf_reset(&b->ranges);
  b->n = b->run0 = b->run1 = 0;
}

static int batch_close_run(struct batch *b, const struct sku_src *v) {
  if (b->run0 >= b->run1)
    return MS_OK;
  return buf_printf(&b->ranges, "%s[%lld,%lld,%lld,%d]", b->ranges.len > 1 ? "," : "",
                    (long long)v->id, (long long)(b->run0 * DAY), (long long)(b->run1 * DAY),
                    v->line_total);
}

static int batch_add(struct batch *b, const struct sku_src *v, int64_t day) {
  int rc = MS_OK;
  if (!b->n) {
    rc = buf_putc(&b->days, '[');
    if (!rc)
      rc = buf_putc(&b->ranges, '[');
  }
  if (!rc && b->n && day == b->run1) {
    b->run1++;
  } else if (!rc) {
    rc = batch_close_run(b, v);
    b->run0 = day;
    b->run1 = day + 1;
  }
  if (!rc)
    rc = buf_printf(&b->days, "%s%lld", b->n ? "," : "", (long long)day);
  b->n++;
  return rc;
}

/* Writes the batch in one transaction; the last one of a source's first
 * refresh also marks it refreshed. */
static int batch_commit(struct sqlite_store *s, const struct sku_tables *t, struct batch *b,
                        const struct sku_src *v, int mark, int64_t now,
                        struct sku_refresh_counts *c, struct err *err) {
  int rc = MS_OK;
  if (b->n) {
    rc = batch_close_run(b, v);
    if (!rc)
      rc = buf_putc(&b->days, ']');
    if (!rc)
      rc = buf_putc(&b->ranges, ']');
    if (rc)
      return err_set(err, MS_ENOMEM, "out of memory refreshing the summary");
  }
  rc = tx_begin(s, err);
  if (!rc && b->n)
    rc = summarize(s, t, v, b->days.data, b->ranges.data, &c->rows, err);
  if (!rc && mark)
    rc = q_each(s,
                "INSERT INTO sku_refreshed (source_id, refreshed_at) SELECT id, ?2 FROM sources "
                "WHERE id = ?1 ON CONFLICT (source_id) DO UPDATE SET refreshed_at = "
                "excluded.refreshed_at",
                ARGS(A_INT(v->id), A_INT(now)), NULL, NULL, err, "refreshing the summary");
  if (!rc)
    rc = tx_commit(s, err);
  if (rc)
    tx_rollback(s);
  else
    c->days += b->n;
  batch_reset(b);
  return rc;
}

struct day_list {
  int64_t *v; /* days, ascending */
  size_t n;
  size_t cap;
  int bad; /* MS_ENOMEM */
};

static int day_row(void *ctx, sqlite3_stmt *q) {
  struct day_list *l = ctx;
  if (array_reserve((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v), 64))
    return l->bad = MS_ENOMEM;
  l->v[l->n++] = sqlite3_column_int64(q, 0);
  return MS_OK;
}

/* The days to summarize: every day from the first order's to the newest's
 * at a first refresh, else the days marked changed. */
static int days_due(struct sqlite_store *s, const struct sku_src *v, struct day_list *l,
                    struct err *err) {
  int rc;
  if (v->refreshed)
    rc = q_each(s, "SELECT day FROM sku_dirty WHERE source_id = ?1 ORDER BY day",
                ARGS(A_INT(v->id)), day_row, l, err, "reading the days changed");
  else
    rc = q_each(s,
                "WITH RECURSIVE d(day, last) AS (SELECT min(created_at) / 86400, max(created_at) "
                "/ 86400 FROM orders WHERE source_id = ?1 UNION ALL SELECT day + 1, last FROM d "
                "WHERE day < last) SELECT day FROM d WHERE day IS NOT NULL",
                ARGS(A_INT(v->id)), day_row, l, err, "reading the days of the orders");
  if (l->bad)
    rc = err_set(err, MS_ENOMEM, "out of memory reading the days to summarize");
  return rc;
}

static int refresh_source(struct sqlite_store *s, const struct sku_tables *t,
                          const struct sku_src *v, int64_t now, struct sku_refresh_counts *c,
                          struct err *err) {
  struct day_list days = {0};
  struct batch b;
  int rc = days_due(s, v, &days, err);
  buf_init(&b.days, 0);
  buf_init(&b.ranges, 0);
  batch_reset(&b);
  for (size_t i = 0; !rc && i < days.n; i++) {
    rc = batch_add(&b, v, days.v[i]);
    if (rc)
      rc = err_set(err, MS_ENOMEM, "out of memory refreshing the summary");
    else if (b.n >= REFRESH_DAYS && i + 1 < days.n)
      rc = batch_commit(s, t, &b, v, 0, now, c, err);
  }
  if (!rc)
    rc = batch_commit(s, t, &b, v, 1, now, c, err);
  buf_release(&b.days);
  buf_release(&b.ranges);
  free(days.v);
  if (!rc)
    c->sources++;
  return rc;
}

int sqlite_report_refresh(struct store *st, int64_t source_id, int64_t now,
                          struct sku_refresh_counts *out, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct sku_refresh_counts c = {0};
  struct sku_filter all = {.source_id = source_id};
  struct sku_tables t = {0};
  struct sku_srcs srcs = {0};
  int rc = check_time("the refresh's time", now, err);
  if (!rc)
    rc = tables_probe(s, &t, err);
  if (!rc)
    rc = sources_pick(s, &all, &srcs, err);
  if (!rc && source_id && !srcs.n)
    rc = err_set(err, MS_ENOTFOUND, "no source has id %lld", (long long)source_id);
  /* Marks of removed sources: their orders' deletion left them. */
  if (!rc && !source_id)
    rc = q_each(s, "DELETE FROM sku_dirty WHERE source_id NOT IN (SELECT id FROM sources)", NO_ARGS,
                NULL, NULL, err, "refreshing the summary");
  for (size_t i = 0; !rc && i < srcs.n; i++)
    rc = refresh_source(s, &t, &srcs.v[i], now, &c, err);
  free(srcs.v);
  if (out)
    *out = c;
  return rc;
}

/* ---- the days a page changed ---------------------------------------------- */

void sku_days_add(struct sku_days *d, int64_t created_at) {
  int64_t day = created_at >= 0 ? created_at / 86400 : (created_at - 86399) / 86400;
  if (d->n == 0 && !d->spill)
    d->lo = d->hi = day;
  d->lo = day < d->lo ? day : d->lo;
  d->hi = day > d->hi ? day : d->hi;
  if (d->spill)
    return;
  for (size_t i = 0; i < d->n; i++)
    if (d->day[i] == day)
      return;
  if (d->n < SKU_DAYS_MAX)
    d->day[d->n++] = day;
  else
    d->spill = 1;
}

int sku_days_flush(struct sqlite_store *s, int64_t source_id, const struct sku_days *d,
                   struct err *err) {
  struct buf ids;
  int rc = MS_OK;
  if (!d || (d->n == 0 && !d->spill))
    return MS_OK;
  if (d->spill) /* every day of the span: a few more to count again, none missed */
    return q_each(s,
                  "WITH RECURSIVE span(day) AS (SELECT ?2 UNION ALL SELECT day + 1 FROM span "
                  "WHERE day < ?3) INSERT OR IGNORE INTO sku_dirty (source_id, day) "
                  "SELECT ?1, day FROM span",
                  ARGS(A_INT(source_id), A_INT(d->lo), A_INT(d->hi)), NULL, NULL, err,
                  "marking days for the SKU summary");
  buf_init(&ids, 0);
  rc = buf_putc(&ids, '[');
  for (size_t i = 0; !rc && i < d->n; i++)
    rc = buf_printf(&ids, "%s%lld", i ? "," : "", (long long)d->day[i]);
  if (!rc)
    rc = buf_putc(&ids, ']');
  if (rc)
    rc = err_set(err, MS_ENOMEM, "out of memory marking days for the SKU summary");
  else
    rc = q_each(s,
                "INSERT OR IGNORE INTO sku_dirty (source_id, day) SELECT ?1, value FROM "
                "json_each(?2)",
                ARGS(A_INT(source_id), A_TEXT(ids.data)), NULL, NULL, err,
                "marking days for the SKU summary");
  buf_release(&ids);
  return rc;
}

static int created_row(void *ctx, sqlite3_stmt *q) {
  sku_days_add(ctx, sqlite3_column_int64(q, 0));
  return MS_OK;
}

int sku_days_of_stored(struct sqlite_store *s, const struct stable *t, int64_t source_id,
                       const char *id, struct sku_days *d, struct err *err) {
  return q_eachf(s, ARGS(A_INT(source_id), A_TEXT(id)), created_row, d, err,
                 "reading a record's day",
                 "SELECT created_at FROM \"%s\" WHERE source_id = ?1 AND external_id = ?2 AND "
                 "deleted_at IS NULL",
                 t->def->table);
}
