/* The SKU report: sources by name, local days made UTC bounds, then the
 * store's count. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/report.h"
#include "util/array.h"
#include "util/tz.h"

void report_scope_release(struct report_scope *scope) {
  free(scope->v);
  memset(scope, 0, sizeof(*scope));
}

/* The UTC bounds of the days in the source's zone (UTC when it has none
 * yet); 0 for an end left open. */
static int bounds_of(const struct source_row *row, const struct report_days *d, int64_t now,
                     struct report_scope *scope, int64_t *from, int64_t *to, struct err *err) {
  struct tz *zone = NULL;
  struct civil_date first = d->from, last = d->to;
  int64_t start, end;
  int has_from = d->has_from, has_to = d->has_to;
  int rc = source_row_zone(row, &zone, err);
  if (rc == MS_ENOTFOUND) {
    if (!scope->utc++)
      snprintf(scope->utc_name, sizeof(scope->utc_name), "%s", row->name);
    rc = tz_open("UTC", &zone, err);
  }
  if (!rc && d->preset) {
    struct civil_date none = {0, 0, 0};
    rc = range_preset_days(d->preset, zone, now, none, none, &first, &last, err);
    has_from = has_to = 1;
  }
  *from = *to = 0;
  if (!rc && has_from) {
    tz_day_bounds(zone, first, &start, &end);
    *from = start;
  }
  if (!rc && has_to) {
    tz_day_bounds(zone, last, &start, &end);
    *to = end;
  }
  tz_free(zone);
  if (rc)
    err_prefix(err, "source %s", row->name);
  return rc;
}

/* Collects the sources of source_list. */
struct rows {
  struct source_row *v;
  size_t n, cap;
  int bad; /* MS_ENOMEM */
};

static int keep_row(void *ctx, const struct source_row *s) {
  struct rows *r = ctx;
  struct source_row *o;
  if (array_reserve((void **)&r->v, &r->cap, r->n + 1, sizeof(*o), 16))
    return r->bad = MS_ENOMEM;
  o = &r->v[r->n];
  *o = *s;
  o->settings = s->settings ? strdup(s->settings) : NULL;
  o->credentials = NULL;
  o->last_error = NULL;
  if (s->settings && !o->settings)
    return r->bad = MS_ENOMEM;
  r->n++;
  return MS_OK;
}

static int scope_add(struct report_scope *scope, const struct source_row *row,
                     const struct report_days *d, int64_t now, struct err *err) {
  struct sku_scope *v;
  int64_t from, to;
  int rc = bounds_of(row, d, now, scope, &from, &to, err);
  if (rc)
    return rc;
  if (array_reserve((void **)&scope->v, &scope->cap, scope->n + 1, sizeof(*v), 8))
    return err_set(err, MS_ENOMEM, "out of memory");
  v = &scope->v[scope->n++];
  v->source_id = row->id;
  v->from = from;
  v->to = to;
  return MS_OK;
}

int report_scope_make(struct store *st, const char *const *names, size_t n,
                      const struct report_days *days, int64_t now, struct report_scope *scope,
                      struct err *err) {
  struct rows all = {0};
  int rc = MS_OK;
  memset(scope, 0, sizeof(*scope));
  if (days->preset == RANGE_CUSTOM)
    return err_set(err, MS_EINVAL, "the custom range takes its days from --from and --to");
  if (!days->preset && days->has_from && days->has_to && date_cmp(days->from, days->to) > 0)
    return err_set(err, MS_EINVAL, "the first day comes after the last one");
  for (size_t i = 0; !rc && i < n; i++) {
    struct source_row row = {0};
    rc = st->ops->source_get(st, names[i], &row, err);
    for (size_t k = 0; !rc && k < scope->n; k++)
      if (scope->v[k].source_id == row.id)
        rc = err_set(err, MS_EINVAL, "source %s is named twice", row.name);
    if (!rc)
      rc = scope_add(scope, &row, days, now, err);
    source_row_release(&row);
  }
  if (!rc && n == 0) {
    rc = st->ops->source_list(st, keep_row, &all, err);
    if (all.bad)
      rc = err_set(err, MS_ENOMEM, "out of memory listing the sources");
    for (size_t i = 0; !rc && i < all.n; i++)
      rc = scope_add(scope, &all.v[i], days, now, err);
    for (size_t i = 0; i < all.n; i++)
      source_row_release(&all.v[i]);
    free(all.v);
  }
  if (rc)
    report_scope_release(scope);
  return rc;
}

int report_skus(struct store *st, const struct report_request *req, sku_cb cb, void *ctx,
                struct report_note *note, struct err *err) {
  struct report_scope scope;
  struct sku_filter f = {0};
  int rc = report_scope_make(st, req->sources, req->nsources, &req->days, req->now, &scope, err);
  if (rc)
    return rc;
  if (note) {
    note->utc = scope.utc;
    snprintf(note->utc_name, sizeof(note->utc_name), "%s", scope.utc_name);
  }
  f.sources = scope.v;
  f.nsources = scope.n;
  f.currency = req->currency;
  f.order = req->order;
  /* Revenue is compared only within a currency: a limit there is a top per
   * currency, so a small currency is not crowded out by a large one. */
  if (req->order == SKU_BY_REVENUE)
    f.top = req->limit;
  else
    f.limit = req->limit;
  f.now = req->now;
  rc = st->ops->report_skus(st, &f, cb, ctx, err);
  report_scope_release(&scope);
  return rc;
}

int report_order_parse(const char *word, enum sku_order *out) {
  if (strcmp(word, "revenue") == 0)
    *out = SKU_BY_REVENUE;
  else if (strcmp(word, "units") == 0)
    *out = SKU_BY_UNITS;
  else if (strcmp(word, "sku") == 0)
    *out = SKU_BY_SKU;
  else
    return MS_EINVAL;
  return MS_OK;
}

int report_currency_parse(const char *code, char out[4]) {
  if (strlen(code) != 3)
    return MS_EINVAL;
  for (int i = 0; i < 3; i++) {
    if (!isalpha((unsigned char)code[i]))
      return MS_EINVAL;
    out[i] = (char)toupper((unsigned char)code[i]);
  }
  out[3] = '\0';
  return MS_OK;
}
