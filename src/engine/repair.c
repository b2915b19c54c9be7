#include "engine/repair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/log.h"

/* The UTC bounds of the days asked for; all of history by default. */
static int bounds(struct session *s, const struct day_range *days, int64_t *from, int64_t *to,
                  struct err *err) {
  struct civil_date first, last;
  int64_t ignore;
  int rc;
  *from = 0;
  *to = INT64_MAX / 2;
  if (!days || days->choice != DAYS_RANGE)
    return MS_OK;
  rc = plan_range_days(s, days, &first, &last, err);
  if (!rc && (tz_day_bounds(s->src.tz, first, from, &ignore) ||
              tz_day_bounds(s->src.tz, last, &ignore, to)))
    rc = err_set(err, MS_EINVAL, "cannot compute the bounds of the days in %s", s->src.timezone);
  return rc;
}

/* What each pass repairs. */
static int wanted(enum repair_kind kind) {
  switch (kind) {
  case REPAIR_ITEMS:
    return INCOMPLETE_CHILDREN;
  case REPAIR_PRICES:
    return INCOMPLETE_CHILD_FIELDS;
  case REPAIR_ALL:
    break;
  }
  return INCOMPLETE_SELF | INCOMPLETE_CHILDREN | INCOMPLETE_CHILD_FIELDS;
}

/* The records to fetch again, grouped by the local day they were created. */
struct day_group {
  struct civil_date day; /* local day of creation */
  cJSON *self;           /* ids whose record is fetched again */
  cJSON *follow;         /* ids whose children are fetched again */
};

struct collect {
  struct session *s;            /* its zone */
  const struct stream_def *def; /* the stream */
  enum repair_kind kind;        /* what is repaired */
  struct day_group *days;       /* in day order (the store yields oldest first) */
  size_t n;
  int64_t count; /* records selected */
};

static int collect_record(void *ctx, const char *id, int64_t created_at, int what) {
  struct collect *c = ctx;
  const struct stream_def *follow = stream_follow_child(c->def);
  struct civil_date d;
  struct day_group *g;
  int again_self, again_children, kids;
  what &= wanted(c->kind);
  if (!what)
    return MS_OK;
  /* Children read with their record come back when the record is fetched
   * again; only follow-up children are fetched on their own. */
  kids = what & (INCOMPLETE_CHILDREN | INCOMPLETE_CHILD_FIELDS);
  again_children = kids && follow;
  again_self = ((what & INCOMPLETE_SELF) || (kids && !follow)) && (c->def->flags & STREAM_REFETCH);
  if (!again_self && !again_children)
    return MS_OK;
  if (tz_local_date(c->s->src.tz, created_at, &d))
    return MS_EINVAL;
  if (c->n == 0 || date_cmp(c->days[c->n - 1].day, d) != 0) {
    g = realloc(c->days, (c->n + 1) * sizeof(*g));
    if (!g)
      return MS_ENOMEM;
    c->days = g;
    g = &c->days[c->n++];
    g->day = d;
    g->self = cJSON_CreateArray();
    g->follow = cJSON_CreateArray();
    if (!g->self || !g->follow)
      return MS_ENOMEM;
  }
  g = &c->days[c->n - 1];
  if (again_self)
    cJSON_AddItemToArray(g->self, cJSON_CreateString(id));
  if (again_children)
    cJSON_AddItemToArray(g->follow, cJSON_CreateString(id));
  c->count++;
  return MS_OK;
}

static void collect_release(struct collect *c) {
  for (size_t i = 0; i < c->n; i++) {
    cJSON_Delete(c->days[i].self);
    cJSON_Delete(c->days[i].follow);
  }
  free(c->days);
}

static char *list_text(const cJSON *list) {
  return cJSON_GetArraySize(list) > 0 ? cJSON_PrintUnformatted(list) : NULL;
}

/* The child stream whose prices the estimate may fill: it has sku,
 * quantity, price and price_estimated columns. */
static const struct stream_def *priced_child(const struct stream_def *def) {
  for (size_t i = 0; def->children && def->children[i]; i++) {
    const struct stream_def *k = def->children[i];
    if (stream_column(k, "sku") && stream_column(k, "quantity") && stream_column(k, "price") &&
        stream_column(k, "price_estimated"))
      return k;
  }
  return NULL;
}

static int count_unpriced(void *ctx, const struct unpriced_child *c) {
  (void)c;
  (*(int64_t *)ctx)++;
  return MS_OK;
}

int repair_plan(struct store *st, struct session *s, const struct stream_def *def,
                enum repair_kind kind, const struct day_range *days, struct key_list *keys,
                struct repair_counts *counts, struct err *err) {
  struct collect c = {s, def, kind, NULL, 0, 0};
  const struct stream_def *child = priced_child(def);
  int64_t from, to;
  int rc = bounds(s, days, &from, &to, err);
  if (!rc)
    rc = st->ops->records_incomplete(st, s->src.row.id, def, from, to, collect_record, &c, err);
  if (!rc && child && kind != REPAIR_ITEMS)
    rc = st->ops->children_unpriced(st, s->src.row.id, child, from, to, count_unpriced,
                                    &counts->unpriced_before, err);
  for (size_t i = 0; !rc && i < c.n; i++) {
    char key[MS_KEY_MAX];
    char *cursor = list_text(c.days[i].self), *follow = list_text(c.days[i].follow);
    slice_key_make(SLICE_REFETCH, c.days[i].day, key);
    rc = st->ops->slice_seed(st, s->src.row.id, def->name, key, cursor, follow, err);
    if (!rc)
      rc = key_list_add(keys, key);
    free(cursor);
    free(follow);
  }
  counts->incomplete_before += c.count;
  collect_release(&c);
  return rc;
}

/* One child still without a price, kept to be estimated after the listing
 * (the store's cursor is closed before anything is written). */
struct unpriced {
  char *parent_id;
  char *child_id;
  char *sku;
  char *currency;
  int64_t quantity;
};

struct unpriced_list {
  struct unpriced *v; /* owned */
  size_t n;
};

static int keep_unpriced(void *ctx, const struct unpriced_child *c) {
  struct unpriced_list *l = ctx;
  struct unpriced *p = realloc(l->v, (l->n + 1) * sizeof(*p));
  if (!p)
    return MS_ENOMEM;
  l->v = p;
  p = &l->v[l->n++];
  p->parent_id = strdup(c->parent_id);
  p->child_id = strdup(c->child_id);
  p->sku = c->sku ? strdup(c->sku) : NULL;
  p->currency = c->currency ? strdup(c->currency) : NULL;
  p->quantity = c->quantity;
  return p->parent_id && p->child_id ? MS_OK : MS_ENOMEM;
}

static void unpriced_release(struct unpriced_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].parent_id);
    free(l->v[i].child_id);
    free(l->v[i].sku);
    free(l->v[i].currency);
  }
  free(l->v);
}

/* The estimate: the latest real unit price of the SKU (its price over its
 * quantity, rounded half up to the currency's minor unit) times the
 * quantity, in the currency's own decimals (JPY 0, BHD 3). */
static int estimate_one(struct store *st, struct session *s, const struct stream_def *child,
                        const struct unpriced *u, int *done, struct err *err) {
  int64_t minor, qty, unit;
  char amount[48];
  int rc;
  *done = 0;
  if (!u->sku || u->quantity <= 0)
    return MS_OK;
  rc = st->ops->child_price_known(st, s->src.row.id, child, u->sku, u->currency, &minor, &qty, err);
  if (rc == MS_ENOTFOUND || (!rc && qty <= 0))
    return MS_OK;
  if (rc)
    return rc;
  unit = (minor + qty / 2) / qty;
  money_format(unit * u->quantity, u->currency, amount, sizeof(amount));
  rc = st->ops->child_estimate(st, s->src.row.id, child, u->parent_id, u->child_id, amount,
                               unit * u->quantity, err);
  *done = rc == MS_OK;
  return rc;
}

static int count_incomplete(void *ctx, const char *id, int64_t created_at, int what) {
  struct collect *c = ctx;
  (void)id;
  (void)created_at;
  c->count += (what & wanted(c->kind)) != 0;
  return MS_OK;
}

int repair_finish(struct store *st, struct session *s, enum repair_kind kind,
                  const struct day_range *days, struct repair_counts *counts, struct err *err) {
  int prices = kind != REPAIR_ITEMS;
  const struct stream_def *const *all = connector_streams(s->conn, s->cstate);
  int64_t from, to;
  int rc = bounds(s, days, &from, &to, err);
  for (size_t i = 0; !rc && all && all[i]; i++) {
    const struct stream_def *def = all[i], *child = priced_child(def);
    struct collect c = {s, def, kind, NULL, 0, 0};
    struct unpriced_list l = {NULL, 0};
    if (def->slicing != SLICING_BY_DAY)
      continue;
    rc = st->ops->records_incomplete(st, s->src.row.id, def, from, to, count_incomplete, &c, err);
    counts->incomplete_after += c.count;
    if (rc || !child || !prices)
      continue;
    rc = st->ops->children_unpriced(st, s->src.row.id, child, from, to, keep_unpriced, &l, err);
    counts->unpriced_after += (int64_t)l.n;
    for (size_t k = 0; !rc && k < l.n; k++) {
      int done = 0;
      rc = estimate_one(st, s, child, &l.v[k], &done, err);
      counts->estimated += done;
    }
    unpriced_release(&l);
  }
  return rc;
}
