/* The job queue (/api/jobs) and records that could not be stored
 * (/api/failed), with their retries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/failed.h"
#include "util/clock.h"
#include "web/routes.h"

#define FAILED_RETRY_IDS_MAX 1000 /* ids one retry request names */

/* Whether every source a job covers is the caller's ("source/stream/mode"
 * targets). */
int job_is_mine(struct api_ctx *c, const struct job_row *j) {
  cJSON *targets;
  const cJSON *t;
  int mine = 1;
  if (c->who.admin)
    return 1;
  targets = cJSON_Parse(j->targets ? j->targets : "[]");
  cJSON_ArrayForEach(t, targets) {
    char name[MS_NAME_MAX];
    const char *slash;
    struct source_row row = {0};
    struct err err = {0};
    if (!cJSON_IsString(t) || !(slash = strchr(t->valuestring, '/')) ||
        (size_t)(slash - t->valuestring) >= sizeof(name)) {
      mine = 0;
      break;
    }
    snprintf(name, sizeof(name), "%.*s", (int)(slash - t->valuestring), t->valuestring);
    if (c->st->ops->source_get(c->st, name, &row, &err) || !caller_sees(c, &row))
      mine = 0;
    source_row_release(&row);
    if (!mine)
      break;
  }
  cJSON_Delete(targets);
  return mine;
}

static int job_arg(struct api_ctx *c, struct job_row *out) {
  struct err err = {0};
  char *end;
  long long id = strtoll(c->arg[0], &end, 10);
  if (*end || id < 1 || c->st->ops->job_get(c->st, id, out, &err) || !job_is_mine(c, out)) {
    reply_fail(c, 404, "not_found", "job", "there is no job '%s'", c->arg[0]);
    return 1;
  }
  return 0;
}

struct job_list {
  struct api_ctx *c;
  cJSON *items;
  int want; /* rows to answer */
  int got;  /* rows answered */
};

/* A member's jobs are picked out of the whole queue, so the store is asked
 * for more rows than the page and the page is cut here. */
static int add_job(void *ctx, const struct job_row *j) {
  struct job_list *l = ctx;
  if (l->got < l->want && job_is_mine(l->c, j)) {
    cJSON_AddItemToArray(l->items, json_job(j));
    l->got++;
  }
  return MS_OK;
}

/* GET /api/jobs?state=&limit= */
static void jobs_list(struct api_ctx *c) {
  static const char *const states[] = {"available", "running",   "retryable", "completed",
                                       "failed",    "cancelled", NULL};
  struct job_filter f = {NULL, 0, API_PAGE_DEFAULT};
  struct job_list l = {c, cJSON_CreateArray(), 0, 0};
  struct api_error e;
  struct err err = {0};
  int64_t limit, counts[6];
  int rc;
  cJSON *o;
  f.state = api_param(c->rq, "state");
  if (f.state) {
    int ok = 0;
    for (int i = 0; states[i]; i++)
      ok |= strcmp(states[i], f.state) == 0;
    if (!ok) {
      cJSON_Delete(l.items);
      reply_fail(c, 400, "invalid", "state",
                 "state is available, running, retryable, completed, failed or cancelled");
      return;
    }
  }
  if (api_param_int(c->rq, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit, &e)) {
    cJSON_Delete(l.items);
    reply_error(c, &e);
    return;
  }
  l.want = (int)limit;
  f.limit = c->who.admin ? (int)limit : SERVICE_LIST_MAX;
  rc = c->st->ops->job_list(c->st, &f, add_job, &l, &err);
  if (!rc)
    rc = c->st->ops->job_counts(c->st, counts, &err);
  if (rc) {
    cJSON_Delete(l.items);
    reply_code(c, rc, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "jobs", l.items);
  if (c->who.admin) {
    cJSON *q = cJSON_AddObjectToObject(o, "counts");
    for (int i = 0; states[i]; i++)
      cJSON_AddNumberToObject(q, states[i], (double)counts[i]);
  }
  reply(c, 200, o);
}

/* GET /api/jobs/:id */
static void job_show(struct api_ctx *c) {
  struct job_row j = {0};
  if (job_arg(c, &j))
    return;
  reply(c, 200, json_job(&j));
  job_row_release(&j);
}

static void job_change(struct api_ctx *c, int retry) {
  struct job_row j = {0};
  struct err err = {0};
  int rc;
  if (job_arg(c, &j))
    return;
  rc = retry ? c->st->ops->job_retry(c->st, j.id, wall_now(), &err)
             : c->st->ops->job_cancel(c->st, j.id, wall_now(), &err);
  job_row_release(&j);
  if (rc) {
    reply_code(c, rc, "job", &err);
    return;
  }
  if (c->st->ops->job_get(c->st, j.id, &j, &err) == MS_OK) {
    if (retry)
      api_wake_workers(c->api);
    reply(c, 200, json_job(&j));
  } else {
    reply_code(c, MS_EDB, NULL, &err);
  }
  job_row_release(&j);
}

static void job_retry(struct api_ctx *c) {
  job_change(c, 1);
}

static void job_cancel(struct api_ctx *c) {
  job_change(c, 0);
}

struct failed_ids {
  struct api_ctx *c;
  int64_t v[FAILED_RETRY_IDS_MAX];
  size_t n;
};

static int take_failed_job(void *ctx, const struct job_row *j) {
  struct failed_ids *f = ctx;
  if (f->n < FAILED_RETRY_IDS_MAX && job_is_mine(f->c, j))
    f->v[f->n++] = j->id;
  return MS_OK;
}

/* POST /api/jobs/retry-failed: every failed job (of the caller's) again. */
static void jobs_retry_failed(struct api_ctx *c) {
  struct failed_ids *f = calloc(1, sizeof(*f));
  struct job_filter flt = {"failed", 0, FAILED_RETRY_IDS_MAX};
  struct err err = {0};
  cJSON *o, *retried, *refused;
  if (!f) {
    reply_fail(c, 500, "internal", NULL, "out of memory");
    return;
  }
  f->c = c;
  if (c->st->ops->job_list(c->st, &flt, take_failed_job, f, &err)) {
    free(f);
    reply_code(c, MS_EDB, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  retried = cJSON_AddArrayToObject(o, "retried");
  refused = cJSON_AddArrayToObject(o, "refused");
  for (size_t i = 0; i < f->n; i++) {
    struct err e = {0};
    if (c->st->ops->job_retry(c->st, f->v[i], wall_now(), &e) == MS_OK) {
      cJSON_AddItemToArray(retried, cJSON_CreateNumber((double)f->v[i]));
    } else {
      cJSON *r = cJSON_CreateObject();
      cJSON_AddNumberToObject(r, "job_id", (double)f->v[i]);
      cJSON_AddStringToObject(r, "reason", e.msg);
      cJSON_AddItemToArray(refused, r);
    }
  }
  free(f);
  if (cJSON_GetArraySize(retried))
    api_wake_workers(c->api);
  reply(c, 200, o);
}

/* ---- failed records ---------------------------------------------------------------- */

struct failed_list {
  struct api_ctx *c;
  cJSON *items;
  int64_t *visible; /* NULL: all */
  size_t nvisible;
};

static int visible_id(const struct failed_list *l, int64_t id) {
  if (!l->visible)
    return 1;
  for (size_t i = 0; i < l->nvisible; i++)
    if (l->visible[i] == id)
      return 1;
  return 0;
}

static int add_failed(void *ctx, const struct failed_row *f) {
  struct failed_list *l = ctx;
  cJSON *o;
  if (!visible_id(l, f->source_id) || cJSON_GetArraySize(l->items) >= API_PAGE_MAX)
    return MS_OK;
  o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "id", (double)f->id);
  cJSON_AddStringToObject(o, "source", f->source);
  cJSON_AddStringToObject(o, "stream", f->stream);
  cJSON_AddStringToObject(o, "key", f->key);
  if (f->external_id)
    cJSON_AddStringToObject(o, "external_id", f->external_id);
  else
    cJSON_AddNullToObject(o, "external_id");
  cJSON_AddStringToObject(o, "error", f->error ? f->error : "");
  cJSON_AddNumberToObject(o, "attempts", (double)f->attempts);
  json_time(o, "first_failed_at", f->first_failed_at);
  json_time(o, "last_failed_at", f->last_failed_at);
  cJSON_AddItemToArray(l->items, o);
  return MS_OK;
}

/* GET /api/failed?source= */
static void failed_list(struct api_ctx *c) {
  struct failed_list l = {c, NULL, NULL, 0};
  struct err err = {0};
  const char *source = api_param(c->rq, "source");
  int64_t source_id = 0;
  int all = 1, rc;
  cJSON *o;
  if (source) {
    struct source_row row;
    if (visible_source(c, source, &row))
      return;
    source_id = row.id;
    source_row_release(&row);
  } else if (visible_source_ids(c, &l.visible, &l.nvisible, &all)) {
    reply_fail(c, 503, "unavailable", NULL, "the sources cannot be read now");
    return;
  }
  l.items = cJSON_CreateArray();
  rc = c->st->ops->failed_list(c->st, source_id, add_failed, &l, &err);
  free(l.visible);
  if (rc) {
    cJSON_Delete(l.items);
    reply_code(c, rc, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "failed", l.items);
  reply(c, 200, o);
}

/* POST /api/failed/retry {"ids":[...]} or {"all":true} */
static void failed_retry_route(struct api_ctx *c) {
  const cJSON *list = c->rq->body ? cJSON_GetObjectItemCaseSensitive(c->rq->body, "ids") : NULL;
  const cJSON *e;
  struct failed_report rep;
  struct api_error ae;
  struct err err = {0};
  int64_t *ids = NULL;
  size_t n = 0;
  int all = 0, rc;
  cJSON *o;
  if (api_body_bool(c->rq, "all", 0, &all, &ae)) {
    reply_error(c, &ae);
    return;
  }
  if (all == (list != NULL)) {
    reply_fail(c, 400, "invalid", "ids", "give \"ids\": [...] or \"all\": true");
    return;
  }
  if (all && !c->who.admin) {
    reply_fail(c, 403, "forbidden", "all", "retrying every failed record is for administrators");
    return;
  }
  if (list) {
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 ||
        cJSON_GetArraySize(list) > FAILED_RETRY_IDS_MAX) {
      reply_fail(c, 400, "invalid", "ids", "ids takes 1 to %d record ids", FAILED_RETRY_IDS_MAX);
      return;
    }
    ids = calloc((size_t)cJSON_GetArraySize(list), sizeof(*ids));
    cJSON_ArrayForEach(e, list) {
      struct failed_row f;
      struct source_row row = {0};
      int mine;
      if (!ids || !cJSON_IsNumber(e) || e->valuedouble < 1) {
        free(ids);
        reply_fail(c, 400, "invalid", "ids", "ids holds something that is not a record id");
        return;
      }
      if (c->st->ops->failed_get(c->st, (int64_t)e->valuedouble, &f, &err)) {
        free(ids);
        reply_fail(c, 404, "not_found", "ids", "there is no failed record %lld",
                   (long long)e->valuedouble);
        return;
      }
      mine = c->st->ops->source_get_id(c->st, f.source_id, &row, &err) == MS_OK &&
             caller_sees(c, &row);
      source_row_release(&row);
      failed_row_release(&f);
      if (!mine) {
        free(ids);
        reply_fail(c, 404, "not_found", "ids", "there is no failed record %lld",
                   (long long)e->valuedouble);
        return;
      }
      ids[n++] = (int64_t)e->valuedouble;
    }
  }
  rc = failed_retry(c->st, ids, n, &rep, &err);
  free(ids);
  if (rc) {
    reply_code(c, rc, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "stored", (double)rep.stored);
  cJSON_AddNumberToObject(o, "failing", (double)rep.failing);
  cJSON_AddNumberToObject(o, "skipped", (double)rep.skipped);
  reply(c, 200, o);
}

const struct route routes_jobs[] = {
    {"GET", "/api/jobs", jobs_list, 0},
    {"POST", "/api/jobs/retry-failed", jobs_retry_failed, ROUTE_SYNC},
    {"GET", "/api/jobs/:id", job_show, 0},
    {"POST", "/api/jobs/:id/retry", job_retry, ROUTE_SYNC},
    {"POST", "/api/jobs/:id/cancel", job_cancel, 0},
    {"GET", "/api/failed", failed_list, 0},
    {"POST", "/api/failed/retry", failed_retry_route, ROUTE_SYNC},
    {NULL},
};
