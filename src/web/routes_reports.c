/* Reports (/api/reports/...): read-only views computed from the stored
 * records. GET /api/reports/skus answers the same rows as `marketsync
 * report skus`, through the same engine function, scoped to the sources
 * the caller may see. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/report.h"
#include "util/clock.h"
#include "util/tz.h"
#include "web/routes.h"

#define REPORT_NAMES_MAX 64 /* sources one report may name */
#define REPORT_ROWS_MAX 10000

/* The sources of a report: the ones named (each visible to the caller),
 * or every source the caller may see. */
struct report_names {
  struct api_ctx *c;
  char *text;                      /* the copy of ?source= the names point into */
  const char *v[REPORT_NAMES_MAX]; /* the names */
  char own[REPORT_NAMES_MAX][MS_NAME_MAX];
  size_t n;
  int more; /* the caller sees more sources than one report takes */
};

static int seen_source(void *ctx, const struct source_row *s) {
  struct report_names *rn = ctx;
  if (!caller_sees(rn->c, s))
    return MS_OK;
  if (rn->n >= REPORT_NAMES_MAX) {
    rn->more = 1;
    return MS_OK;
  }
  snprintf(rn->own[rn->n], MS_NAME_MAX, "%s", s->name);
  rn->v[rn->n] = rn->own[rn->n];
  rn->n++;
  return MS_OK;
}

/* Fills rn; answers and returns nonzero when it cannot. */
static int names_of(struct api_ctx *c, struct report_names *rn) {
  const char *given = api_param(c->rq, "source");
  struct err err = {0};
  int rc;
  if (!given) {
    if (c->who.admin)
      return 0; /* every source: the engine's default */
    rc = c->st->ops->source_list(c->st, seen_source, rn, &err);
    if (rc) {
      reply_code(c, rc, "source", &err);
      return 1;
    }
    if (rn->more) {
      reply_fail(c, 400, "invalid", "source", "name at most %d sources with source=A,B",
                 REPORT_NAMES_MAX);
      return 1;
    }
    return 0;
  }
  rn->text = strdup(given);
  if (!rn->text) {
    reply_fail(c, 503, "unavailable", "source", "out of memory");
    return 1;
  }
  for (char *save = NULL, *p = strtok_r(rn->text, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
    struct source_row row;
    if (rn->n >= REPORT_NAMES_MAX) {
      reply_fail(c, 400, "invalid", "source", "name at most %d sources", REPORT_NAMES_MAX);
      return 1;
    }
    if (visible_source(c, p, &row))
      return 1;
    source_row_release(&row);
    rn->v[rn->n++] = p;
  }
  if (rn->n == 0) {
    reply_fail(c, 400, "invalid", "source", "source names sources, separated by commas");
    return 1;
  }
  return 0;
}

/* ?from, ?to and ?range into days; answers and returns nonzero when bad. */
static int days_of(struct api_ctx *c, struct report_days *d) {
  const char *from = api_param(c->rq, "from"), *to = api_param(c->rq, "to");
  const char *range = api_param(c->rq, "range");
  struct err err = {0};
  memset(d, 0, sizeof(*d));
  if (range && (from || to)) {
    reply_fail(c, 400, "invalid", "range", "give range or from/to, not both");
    return 1;
  }
  if (range && (range_preset_parse(range, &d->preset, &err) || d->preset == RANGE_CUSTOM)) {
    reply_fail(c, 400, "invalid", "range",
               "range is today, yesterday, last-7-days, last-30-days, current-month or "
               "previous-month");
    return 1;
  }
  if (from && date_parse(from, &d->from, &err)) {
    reply_fail(c, 400, "invalid", "from", "from is a day, YYYY-MM-DD");
    return 1;
  }
  if (to && date_parse(to, &d->to, &err)) {
    reply_fail(c, 400, "invalid", "to", "to is a day, YYYY-MM-DD");
    return 1;
  }
  d->has_from = from != NULL;
  d->has_to = to != NULL;
  return 0;
}

/* ?sort and ?currency; answers and returns nonzero when bad. */
static int order_of(struct api_ctx *c, struct report_request *rq, char currency[4]) {
  const char *sort = api_param(c->rq, "sort"), *cur = api_param(c->rq, "currency");
  rq->order = SKU_BY_REVENUE;
  if (sort && report_order_parse(sort, &rq->order)) {
    reply_fail(c, 400, "invalid", "sort", "sort is revenue, units or sku");
    return 1;
  }
  if (cur && report_currency_parse(cur, currency)) {
    reply_fail(c, 400, "invalid", "currency", "currency is a three-letter code such as USD");
    return 1;
  }
  rq->currency = cur ? currency : NULL;
  return 0;
}

static int sku_json(void *ctx, const struct sku_row *r) {
  cJSON *rows = ctx, *o = cJSON_CreateObject();
  if (!o)
    return MS_ENOMEM;
  cJSON_AddStringToObject(o, "sku", r->sku);
  cJSON_AddStringToObject(o, "currency", r->currency);
  cJSON_AddNumberToObject(o, "units", (double)r->units);
  cJSON_AddNumberToObject(o, "revenue_minor", (double)r->revenue);
  cJSON_AddNumberToObject(o, "orders", (double)r->orders);
  cJSON_AddNumberToObject(o, "refunded_units", (double)r->refunded);
  cJSON_AddNumberToObject(o, "unpriced_units", (double)r->unpriced);
  json_time(o, "last_sold", r->last_sold);
  if (r->has_stock)
    cJSON_AddNumberToObject(o, "stock", (double)r->stock);
  else
    cJSON_AddNullToObject(o, "stock");
  if (r->has_cover)
    cJSON_AddNumberToObject(o, "days_of_cover", r->cover_days);
  else
    cJSON_AddNullToObject(o, "days_of_cover");
  return cJSON_AddItemToArray(rows, o) ? MS_OK : MS_ENOMEM;
}

static void report_skus_route(struct api_ctx *c) {
  struct report_names rn = {.c = c};
  struct report_request rq = {0};
  struct report_note note = {0};
  struct err err = {0};
  char currency[4] = "";
  int64_t limit;
  cJSON *body = NULL, *rows = NULL;
  int rc;
  if (api_param_int(c->rq, "limit", 1, REPORT_ROWS_MAX, 100, &limit, &(struct api_error){0})) {
    reply_fail(c, 400, "invalid", "limit", "limit takes a whole number from 1 to %d",
               REPORT_ROWS_MAX);
    return;
  }
  if (days_of(c, &rq.days) || order_of(c, &rq, currency) || names_of(c, &rn))
    goto out;
  rq.sources = rn.n ? rn.v : NULL; /* none: every source, for an admin */
  rq.nsources = rn.n;
  rq.limit = limit;
  rq.now = wall_now();
  body = cJSON_CreateObject();
  rows = cJSON_AddArrayToObject(body, "rows");
  if (!rows) {
    reply_fail(c, 503, "unavailable", NULL, "out of memory");
    goto out;
  }
  if (!c->who.admin && rn.n == 0) { /* a member without sources: an empty report */
    reply(c, 200, body);
    body = NULL;
    goto out;
  }
  rc = report_skus(c->st, &rq, sku_json, rows, &note, &err);
  if (rc) {
    reply_code(c, rc, rc == MS_ENOTFOUND ? "source" : "query", &err);
    goto out;
  }
  if (note.utc)
    cJSON_AddNumberToObject(body, "sources_in_utc_days", (double)note.utc);
  reply(c, 200, body);
  body = NULL;
out:
  cJSON_Delete(body);
  free(rn.text);
}

const struct route routes_reports[] = {
    {"GET", "/api/reports/skus", report_skus_route, 0},
    {NULL},
};
