#include "web/api.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/auth.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/tz.h"
#include "web/routes.h"

#define SYNC_RATE_PER_MINUTE 30 /* requests that start work, per token */
#define SYNC_RATE_BURST 10
#define RATE_TOKENS_MAX 1024 /* tokens whose buckets are kept */

/* A token bucket per API token for the routes that start work. */
struct rate_slot {
  int64_t token_id;
  double level; /* requests left */
  double at;    /* monotonic time of level */
};

struct api {
  struct listener_config cfg;
  char db[1024];
  struct http_server *srv;
  pthread_key_t store_key; /* each server thread's store connection */
  pthread_mutex_t rate_lock;
  struct rate_slot rates[RATE_TOKENS_MAX];
};

static const struct route *const all_routes[] = {routes_sources, routes_schedules, routes_runs,
                                                 routes_jobs,    routes_events,    routes_system,
                                                 routes_admin,   routes_reports,   NULL};

struct service_state *api_state(struct api *a) {
  return a->cfg.state;
}

void api_wake_workers(struct api *a) {
  service_state_wake(a->cfg.state);
}

const char *api_db(struct api *a) {
  return a->db;
}

/* ---- answers ---------------------------------------------------------------- */

void reply(struct api_ctx *c, int status, cJSON *body) {
  char *text = body ? cJSON_PrintUnformatted(body) : NULL;
  c->res->status = status;
  c->res->content_type = "application/json; charset=utf-8";
  buf_release(&c->res->body);
  buf_init(&c->res->body, 0);
  if (text)
    buf_puts(&c->res->body, text);
  else
    buf_puts(&c->res->body, "{}");
  free(text);
  cJSON_Delete(body);
}

void reply_error(struct api_ctx *c, const struct api_error *e) {
  cJSON *o = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(o, "error");
  cJSON_AddNumberToObject(err, "status", e->status);
  cJSON_AddStringToObject(err, "code", e->code);
  if (e->field[0])
    cJSON_AddStringToObject(err, "field", e->field);
  cJSON_AddStringToObject(err, "message", e->message);
  reply(c, e->status, o);
}

void reply_fail(struct api_ctx *c, int status, const char *code, const char *field, const char *fmt,
                ...) {
  struct api_error e;
  va_list ap;
  memset(&e, 0, sizeof(e));
  e.status = status;
  snprintf(e.code, sizeof(e.code), "%s", code);
  snprintf(e.field, sizeof(e.field), "%s", field ? field : "");
  va_start(ap, fmt);
  vsnprintf(e.message, sizeof(e.message), fmt, ap);
  va_end(ap);
  reply_error(c, &e);
}

void reply_code(struct api_ctx *c, int rc, const char *field, const struct err *err) {
  const char *msg = err && err->msg[0] ? err->msg : "the request failed";
  switch (rc) {
  case MS_ENOTFOUND:
    reply_fail(c, 404, "not_found", field, "%s", msg);
    break;
  case MS_EEXIST:
    reply_fail(c, 409, "exists", field, "%s", msg);
    break;
  case MS_EBUSY:
    reply_fail(c, 409, "busy", field, "%s", msg);
    break;
  case MS_EINVAL:
  case MS_ETOOBIG:
    reply_fail(c, 400, "invalid", field, "%s", msg);
    break;
  case MS_EPERM:
    reply_fail(c, 403, "forbidden", field, "%s", msg);
    break;
  case MS_EDB:
    reply_fail(c, 503, "unavailable", NULL, "the database cannot be used now: %s", msg);
    break;
  default:
    reply_fail(c, 500, "internal", NULL, "%s", msg);
  }
}

const char *spec_field(const char *msg) {
  static const char *const names[][2] = {
      {"mode", "mode"},          {"date range", "range"},
      {"range", "range"},        {"every", "every"},
      {"cron", "cron"},          {"daily_at", "daily_at"},
      {"between", "between"},    {"max_runs", "max_runs_per_day"},
      {"sources", "sources"},    {"streams", "streams"},
      {"time zone", "timezone"}, {"timezone", "timezone"},
      {"from", "range"},         {"to", "range"}};
  const char *best = "body", *at = NULL;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    const char *p = strstr(msg, names[i][0]);
    if (p && (!at || p < at)) {
      at = p;
      best = names[i][1];
    }
  }
  return best;
}

/* ---- JSON helpers ------------------------------------------------------------- */

void json_time(cJSON *o, const char *name, int64_t t) {
  char text[TIME_STR_LEN];
  if (!t) {
    cJSON_AddNullToObject(o, name);
    return;
  }
  time_format(t, 0, 1, text);
  cJSON_AddStringToObject(o, name, text);
}

cJSON *json_run(const struct run_row *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "id", (double)r->id);
  cJSON_AddStringToObject(o, "trigger", r->trigger);
  cJSON_AddStringToObject(o, "status", r->status);
  cJSON_AddStringToObject(o, "scope", r->scope ? r->scope : "");
  json_time(o, "started_at", r->started_at);
  json_time(o, "finished_at", r->finished_at);
  cJSON_AddNumberToObject(o, "seconds",
                          (double)((r->finished_at ? r->finished_at : wall_now()) - r->started_at));
  cJSON_AddNumberToObject(o, "schedule_id", (double)r->schedule_id);
  cJSON_AddNumberToObject(o, "job_id", (double)r->job_id);
  cJSON_AddNumberToObject(o, "slices_total", (double)r->slices_total);
  cJSON_AddNumberToObject(o, "slices_completed", (double)r->slices_completed);
  cJSON_AddNumberToObject(o, "slices_failed", (double)r->slices_failed);
  cJSON_AddNumberToObject(o, "pages", (double)r->pages);
  cJSON_AddNumberToObject(o, "records", (double)r->records);
  cJSON_AddNumberToObject(o, "inserted", (double)r->inserted);
  cJSON_AddNumberToObject(o, "updated", (double)r->updated);
  cJSON_AddNumberToObject(o, "unchanged", (double)r->unchanged);
  cJSON_AddNumberToObject(o, "failed_records", (double)r->failed);
  cJSON_AddNumberToObject(o, "requests", (double)r->requests);
  cJSON_AddNumberToObject(o, "retries", (double)r->retries);
  cJSON_AddNumberToObject(o, "rate_limited", (double)r->rate_limited);
  if (r->error)
    cJSON_AddStringToObject(o, "error", r->error);
  else
    cJSON_AddNullToObject(o, "error");
  return o;
}

cJSON *json_job(const struct job_row *j) {
  cJSON *o = cJSON_CreateObject();
  cJSON *req = cJSON_Parse(j->request ? j->request : "{}");
  cJSON *targets = cJSON_Parse(j->targets ? j->targets : "[]");
  cJSON_AddNumberToObject(o, "id", (double)j->id);
  cJSON_AddStringToObject(o, "state", j->state);
  cJSON_AddStringToObject(o, "trigger", j->trigger);
  cJSON_AddNumberToObject(o, "schedule_id", (double)j->schedule_id);
  json_time(o, "due", j->due);
  cJSON_AddItemToObject(o, "request", req ? req : cJSON_CreateObject());
  cJSON_AddItemToObject(o, "targets", targets ? targets : cJSON_CreateArray());
  cJSON_AddNumberToObject(o, "attempts", j->attempts);
  cJSON_AddNumberToObject(o, "max_attempts", j->max_attempts);
  json_time(o, "run_after", j->run_after);
  json_time(o, "created_at", j->created_at);
  json_time(o, "started_at", j->started_at);
  json_time(o, "finished_at", j->finished_at);
  cJSON_AddNumberToObject(o, "run_id", (double)j->run_id);
  if (j->last_error)
    cJSON_AddStringToObject(o, "error", j->last_error);
  else
    cJSON_AddNullToObject(o, "error");
  return o;
}

/* ---- who may see what ----------------------------------------------------------- */

int caller_in_account(const struct api_ctx *c, int64_t account_id) {
  if (c->who.admin)
    return 1;
  for (int i = 0; i < c->who.naccounts; i++)
    if (c->who.accounts[i] == account_id)
      return 1;
  return 0;
}

int caller_sees(const struct api_ctx *c, const struct source_row *row) {
  return c->who.admin || (row->account_id && caller_in_account(c, row->account_id));
}

int visible_source(struct api_ctx *c, const char *name, struct source_row *out) {
  struct err err = {0};
  int rc = c->st->ops->source_get(c->st, name, out, &err);
  if (rc == MS_OK && caller_sees(c, out))
    return 0;
  if (rc == MS_OK)
    source_row_release(out);
  if (rc == MS_OK || rc == MS_ENOTFOUND)
    reply_fail(c, 404, "not_found", "source", "there is no source named '%s'", name);
  else
    reply_code(c, rc, "source", &err);
  return 1;
}

int visible_sources(struct api_ctx *c, char *const *names, int n) {
  for (int i = 0; i < n; i++) {
    struct source_row row;
    if (visible_source(c, names[i], &row))
      return 1;
    source_row_release(&row);
  }
  return 0;
}

struct ids {
  const struct api_ctx *c;
  int64_t *v;
  size_t n, cap;
};

static int take_id(void *ctx, const struct source_row *row) {
  struct ids *ids = ctx;
  if (!caller_sees(ids->c, row))
    return MS_OK;
  if (array_reserve((void **)&ids->v, &ids->cap, ids->n + 1, sizeof(*ids->v), 32))
    return MS_ENOMEM;
  ids->v[ids->n++] = row->id;
  return MS_OK;
}

int visible_source_ids(struct api_ctx *c, int64_t **out, size_t *n, int *all) {
  struct ids ids = {c, NULL, 0, 0};
  struct err err = {0};
  int rc;
  *out = NULL;
  *n = 0;
  *all = c->who.admin;
  if (*all)
    return MS_OK;
  rc = c->st->ops->source_list(c->st, take_id, &ids, &err);
  if (rc) {
    free(ids.v);
    return rc;
  }
  *out = ids.v;
  *n = ids.n;
  return MS_OK;
}

/* ---- dispatch ------------------------------------------------------------------- */

/* Whether the route's pattern matches the path; fills the parameters. */
static int matches(const char *pattern, const struct api_request *rq, const char **arg) {
  const char *p = pattern;
  int seg = 0, nargs = 0;
  while (*p) {
    size_t n;
    p++;
    n = strcspn(p, "/");
    if (seg >= rq->nsegments)
      return 0;
    if (p[0] == ':') {
      if (nargs < 3)
        arg[nargs++] = rq->segments[seg];
    } else if (strlen(rq->segments[seg]) != n || strncmp(p, rq->segments[seg], n) != 0) {
      return 0;
    }
    seg++;
    p += n;
  }
  return seg == rq->nsegments;
}

/* Takes one request from the token's bucket; the seconds to wait when it
 * is empty (0: go). */
static double rate_take(struct api *a, int64_t token_id) {
  struct rate_slot *slot = NULL, *oldest = &a->rates[0];
  double now = mono_now(), wait = 0;
  pthread_mutex_lock(&a->rate_lock);
  for (int i = 0; i < RATE_TOKENS_MAX && !slot; i++) {
    if (a->rates[i].token_id == token_id)
      slot = &a->rates[i];
    else if (a->rates[i].at < oldest->at)
      oldest = &a->rates[i];
  }
  if (!slot) {
    slot = oldest; /* the least recently used bucket is given up */
    slot->token_id = token_id;
    slot->level = SYNC_RATE_BURST;
    slot->at = now;
  }
  slot->level += (now - slot->at) * SYNC_RATE_PER_MINUTE / 60.0;
  if (slot->level > SYNC_RATE_BURST)
    slot->level = SYNC_RATE_BURST;
  slot->at = now;
  if (slot->level >= 1)
    slot->level -= 1;
  else
    wait = (1 - slot->level) * 60.0 / SYNC_RATE_PER_MINUTE;
  pthread_mutex_unlock(&a->rate_lock);
  return wait;
}

/* Fills c->who from the bearer token; answers 401 and returns nonzero
 * when there is no usable one. */
static int authenticate(struct api_ctx *c) {
  struct auth_user u;
  struct err err = {0};
  int rc;
  if (!c->rq->token[0]) {
    srv_response_header(c->res, "WWW-Authenticate", "Bearer");
    reply_fail(c, 401, "unauthorized", "Authorization",
               "this route needs an API token: Authorization: Bearer TOKEN "
               "(marketsync token create)");
    return 1;
  }
  rc = auth_token_check(c->st, c->rq->token, wall_now(), &u, &err);
  if (rc) {
    srv_response_header(c->res, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
    if (rc == MS_EDB)
      reply_code(c, rc, NULL, &err);
    else
      reply_fail(c, 401, "unauthorized", "Authorization", "the token is unknown or revoked");
    return 1;
  }
  c->who.user_id = u.id;
  c->who.token_id = u.token_id;
  c->who.admin = u.admin;
  snprintf(c->who.name, sizeof(c->who.name), "%s", u.name);
  for (size_t i = 0; i < u.naccounts && c->who.naccounts < CALLER_ACCOUNTS_MAX; i++)
    c->who.accounts[c->who.naccounts++] = u.accounts[i];
  auth_user_release(&u);
  return 0;
}

static struct store *thread_store(struct api *a, struct err *err) {
  struct store *st = pthread_getspecific(a->store_key);
  if (st)
    return st;
  if (store_open(a->db, &st, err))
    return NULL;
  pthread_setspecific(a->store_key, st);
  return st;
}

static void close_thread_store(void *p) {
  store_close(p);
}

static void handle(void *ctx, const struct srv_request *raw, struct srv_response *res) {
  struct api *a = ctx;
  struct api_request rq;
  struct api_error e;
  struct api_ctx c;
  struct err err = {0};
  const struct route *found = NULL;
  int path_known = 0;
  memset(&c, 0, sizeof(c));
  c.api = a;
  c.raw = raw;
  c.res = res;
  c.rq = &rq;
  srv_response_header(res, "Cache-Control", "no-store");
  srv_response_header(res, "X-Content-Type-Options", "nosniff");
  if (raw->uri_too_long) {
    api_error_set(&e, 414, "too_long", "path", "the request target is too long");
    reply_error(&c, &e);
    return;
  }
  if (raw->body_too_big || raw->body_truncated) {
    api_error_set(&e, 413, "too_large", "body", "the body is larger than %d bytes", API_BODY_MAX);
    reply_error(&c, &e);
    return;
  }
  if (api_request_parse(raw->method, raw->path, raw->query,
                        srv_request_header(raw, "Authorization"), raw->body, raw->body_len,
                        raw->body_truncated, &rq, &e)) {
    reply_error(&c, &e);
    api_request_release(&rq);
    return;
  }
  for (int i = 0; all_routes[i] && !found; i++)
    for (const struct route *r = all_routes[i]; r->method && !found; r++) {
      const char *arg[3] = {NULL, NULL, NULL};
      if (!matches(r->pattern, &rq, arg))
        continue;
      path_known = 1;
      if (strcmp(r->method, rq.method) == 0 ||
          (strcmp(r->method, "GET") == 0 && strcmp(rq.method, "HEAD") == 0)) {
        found = r;
        memcpy(c.arg, arg, sizeof(arg));
      }
    }
  if (!found) {
    if (path_known)
      reply_fail(&c, 405, "method_not_allowed", "method", "%s is not served on this path",
                 rq.method);
    else
      reply_fail(&c, 404, "not_found", "path", "no route here; see docs/http-api.md");
    api_request_release(&rq);
    return;
  }
  c.st = thread_store(a, &err);
  if (!c.st) {
    reply_code(&c, MS_EDB, NULL, &err);
    api_request_release(&rq);
    return;
  }
  if (!(found->flags & ROUTE_PUBLIC) && authenticate(&c)) {
    api_request_release(&rq);
    return;
  }
  if ((found->flags & ROUTE_ADMIN) && !c.who.admin) {
    reply_fail(&c, 403, "forbidden", NULL, "this route is for administrators");
    api_request_release(&rq);
    return;
  }
  if (found->flags & ROUTE_SYNC) {
    double wait = rate_take(a, c.who.token_id);
    if (wait > 0) {
      char after[16];
      snprintf(after, sizeof(after), "%d", (int)ceil(wait));
      srv_response_header(res, "Retry-After", after);
      reply_fail(&c, 429, "rate_limited", NULL,
                 "too many requests that start work: at most %d a minute per token; try again "
                 "in %s s",
                 SYNC_RATE_PER_MINUTE, after);
      api_request_release(&rq);
      return;
    }
  }
  found->fn(&c);
  api_request_release(&rq);
}

int api_start(const struct listener_config *cfg, struct api **out, struct err *err) {
  struct api *a = calloc(1, sizeof(*a));
  struct srv_config sc = {0};
  int rc;
  if (!a)
    return err_set(err, MS_ENOMEM, "out of memory");
  a->cfg = *cfg;
  snprintf(a->db, sizeof(a->db), "%s", cfg->db);
  pthread_mutex_init(&a->rate_lock, NULL);
  pthread_key_create(&a->store_key, close_thread_store);
  sc.host = cfg->host;
  sc.port = cfg->port;
  sc.threads = cfg->threads > 0 ? cfg->threads : 4;
  sc.body_keep = API_BODY_MAX;
  sc.body_max = API_BODY_MAX;
  sc.uri_max = API_PATH_MAX + 4096;
  sc.timeout_s = 60;
  sc.handler = handle;
  sc.ctx = a;
  rc = srv_start(&sc, &a->srv, err);
  if (rc) {
    pthread_key_delete(a->store_key);
    pthread_mutex_destroy(&a->rate_lock);
    free(a);
    return rc;
  }
  *out = a;
  return MS_OK;
}

const char *api_base_url(const struct api *a) {
  return srv_base_url(a->srv);
}

void api_stop(struct api *a) {
  if (!a)
    return;
  srv_stop(a->srv); /* its threads end, closing their stores */
  pthread_key_delete(a->store_key);
  pthread_mutex_destroy(&a->rate_lock);
  free(a);
}

static int listener_start(const struct listener_config *cfg, void **out, struct err *err) {
  struct api *a = NULL;
  int rc = api_start(cfg, &a, err);
  *out = a;
  return rc;
}

static const char *listener_url(void *l) {
  return api_base_url(l);
}

static void listener_stop(void *l) {
  api_stop(l);
}

const struct listener_ops api_listener = {listener_start, listener_url, listener_stop};
