/* Events (/api/events) and the webhooks that receive them (/api/webhooks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secret.h"
#include "core/source.h"
#include "engine/dispatch.h"
#include "net/url.h"
#include "util/clock.h"
#include "web/routes.h"

#define WHERE_MAX 1024 /* bytes of a variable name or a file path */

struct event_list {
  struct api_ctx *c;
  cJSON *items;
  int64_t *visible; /* NULL: all */
  size_t nvisible;
  int64_t last;
};

static int add_event(void *ctx, const struct event_row *e) {
  struct event_list *l = ctx;
  char *text;
  cJSON *o;
  l->last = e->id;
  if (l->visible) {
    int mine = 0;
    for (size_t i = 0; i < l->nvisible && !mine; i++)
      mine = e->source_id && l->visible[i] == e->source_id;
    if (!mine)
      return MS_OK;
  }
  text = event_json(e);
  o = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (o)
    cJSON_AddItemToArray(l->items, o);
  return MS_OK;
}

/* GET /api/events?after=&type=&source=&limit= (oldest first; "next" is the
 * after= of the following page). */
static void events_list(struct api_ctx *c) {
  struct event_filter f = {0, NULL, 0, API_PAGE_DEFAULT};
  struct event_list l = {c, NULL, NULL, 0, 0};
  struct api_error e;
  struct err err = {0};
  int64_t after, limit;
  const char *source = api_param(c->rq, "source");
  int all = 1, rc;
  cJSON *o;
  if (api_param_int(c->rq, "after", 0, INT64_MAX / 2, 0, &after, &e) ||
      api_param_int(c->rq, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit, &e)) {
    reply_error(c, &e);
    return;
  }
  f.after_id = after;
  f.limit = (int)limit;
  f.types = api_param(c->rq, "type");
  if (f.types && (strlen(f.types) > 256 ||
                  strspn(f.types, "abcdefghijklmnopqrstuvwxyz._,*") != strlen(f.types))) {
    reply_fail(c, 400, "invalid", "type",
               "type takes event types such as order.created or "
               "prefixes such as order., separated by commas");
    return;
  }
  if (source) {
    struct source_row row;
    if (visible_source(c, source, &row))
      return;
    f.source_id = row.id;
    source_row_release(&row);
  } else if (visible_source_ids(c, &l.visible, &l.nvisible, &all)) {
    reply_fail(c, 503, "unavailable", NULL, "the sources cannot be read now");
    return;
  }
  l.items = cJSON_CreateArray();
  l.last = after;
  rc = c->st->ops->event_list(c->st, &f, add_event, &l, &err);
  free(l.visible);
  if (rc) {
    cJSON_Delete(l.items);
    reply_code(c, rc, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "events", l.items);
  cJSON_AddNumberToObject(o, "next", (double)l.last);
  reply(c, 200, o);
}

static cJSON *json_webhook(const struct webhook_row *w) {
  cJSON *o = cJSON_CreateObject();
  char shown[URL_MAX + 8];
  url_no_query(w->url, shown, sizeof(shown));
  cJSON_AddNumberToObject(o, "id", (double)w->id);
  cJSON_AddStringToObject(o, "url", shown);
  cJSON_AddStringToObject(o, "events", w->events ? w->events : "*");
  cJSON_AddBoolToObject(o, "enabled", w->enabled);
  cJSON_AddNumberToObject(o, "delivered_id", (double)w->delivered_id);
  cJSON_AddNumberToObject(o, "failures", w->failures);
  json_time(o, "retry_at", w->failures ? w->retry_at : 0);
  if (w->last_error)
    cJSON_AddStringToObject(o, "last_error", w->last_error);
  else
    cJSON_AddNullToObject(o, "last_error");
  json_time(o, "created_at", w->created_at);
  return o;
}

static int add_webhook(void *ctx, const struct webhook_row *w) {
  cJSON_AddItemToArray(ctx, json_webhook(w));
  return MS_OK;
}

/* GET /api/webhooks */
static void webhooks_list(struct api_ctx *c) {
  cJSON *items = cJSON_CreateArray(), *o;
  struct err err = {0};
  if (c->st->ops->webhook_list(c->st, add_webhook, items, &err)) {
    cJSON_Delete(items);
    reply_code(c, MS_EDB, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "webhooks", items);
  reply(c, 200, o);
}

/* Where the signing secret is read from at each delivery, given as
 * "secret_env" or "secret_file" (as `webhook add` takes it): it must be
 * readable now. A secret in the body itself is refused: it would have to
 * be stored, and only source secrets are sealed (and rotated). */
static int webhook_secret_where(struct api_ctx *c, cJSON **where) {
  const char *env, *file;
  struct api_error e;
  struct err err = {0};
  char *probe = NULL;
  int rc;
  if (cJSON_GetObjectItemCaseSensitive(c->rq->body, "secret")) {
    reply_fail(c, 400, "invalid", "secret",
               "give where the signing secret is (secret_env or secret_file), not the secret");
    return 1;
  }
  if (api_body_string(c->rq, "secret_env", WHERE_MAX, 0, &env, &e) ||
      api_body_string(c->rq, "secret_file", WHERE_MAX, 0, &file, &e)) {
    reply_error(c, &e);
    return 1;
  }
  if (!env == !file) {
    reply_fail(c, 400, "required", "secret_env", "give one of secret_env and secret_file");
    return 1;
  }
  rc = env ? secret_from_env(env, &probe, &err) : secret_from_file(file, &probe, &err);
  secret_free(probe);
  if (rc) {
    reply_fail(c, 400, "invalid", env ? "secret_env" : "secret_file", "%s", err.msg);
    return 1;
  }
  *where = cJSON_CreateObject();
  cJSON_AddStringToObject(*where, env ? "secret_env" : "secret_file", env ? env : file);
  return 0;
}

static void webhook_answer(struct api_ctx *c, int64_t id) {
  struct webhook_row got = {0};
  struct err err = {0};
  if (c->st->ops->webhook_get(c->st, id, &got, &err) == MS_OK)
    reply(c, 201, json_webhook(&got));
  else
    reply_code(c, MS_EDB, NULL, &err);
  webhook_row_release(&got);
}

/* POST /api/webhooks {url, events, secret_env | secret_file} */
static void webhook_create(struct api_ctx *c) {
  const char *url, *events;
  struct api_error e;
  struct webhook_row w;
  struct err err = {0};
  cJSON *where = NULL;
  int rc;
  if (api_body_string(c->rq, "url", WEBHOOK_URL_MAX - 1, 1, &url, &e) ||
      api_body_string(c->rq, "events", 512, 0, &events, &e)) {
    reply_error(c, &e);
    return;
  }
  if (url_check_endpoint(url, "url", &err)) {
    reply_fail(c, 400, "invalid", "url", "%s", err.msg);
    return;
  }
  if (events && strspn(events, "abcdefghijklmnopqrstuvwxyz._,*") != strlen(events)) {
    reply_fail(c, 400, "invalid", "events",
               "events takes types such as order.created or prefixes such as order.");
    return;
  }
  if (webhook_secret_where(c, &where))
    return;
  memset(&w, 0, sizeof(w));
  w.url = (char *)url;
  w.events = (char *)(events ? events : "*");
  w.secret = cJSON_PrintUnformatted(where);
  cJSON_Delete(where);
  w.enabled = 1;
  w.created_at = wall_now();
  rc = c->st->ops->webhook_add(c->st, &w, &err);
  free(w.secret);
  if (rc)
    reply_code(c, rc, "url", &err);
  else
    webhook_answer(c, w.id);
}

/* DELETE /api/webhooks/:id */
static void webhook_delete(struct api_ctx *c) {
  struct err err = {0};
  char *end;
  long long id = strtoll(c->arg[0], &end, 10);
  int rc;
  if (*end || id < 1) {
    reply_fail(c, 404, "not_found", "webhook", "there is no webhook '%s'", c->arg[0]);
    return;
  }
  rc = c->st->ops->webhook_remove(c->st, id, &err);
  if (rc) {
    reply_code(c, rc, "webhook", &err);
    return;
  }
  c->res->status = 204;
}

const struct route routes_events[] = {
    {"GET", "/api/events", events_list, 0},
    {"GET", "/api/webhooks", webhooks_list, ROUTE_ADMIN},
    {"POST", "/api/webhooks", webhook_create, ROUTE_ADMIN},
    {"DELETE", "/api/webhooks/:id", webhook_delete, ROUTE_ADMIN},
    {NULL},
};
