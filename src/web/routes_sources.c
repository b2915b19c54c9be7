/* Sources (/api/sources) and the connectors they use (/api/connectors).
 * A source is added through engine/sources.h, as `source add` does it:
 * the body's settings are checked by the connector's table, secrets are
 * sealed with the master key, the connection is checked. Secrets never
 * come back: a source shows how each secret is kept, never its value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/keys.h"
#include "engine/session.h"
#include "engine/sources.h"
#include "net/url.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/tz.h"
#include "web/routes.h"

#define CALENDAR_STREAMS_MAX 16 /* streams one calendar answer covers */

/* ---- how a source is shown ---------------------------------------------------- */

/* How each secret is kept ("sealed", "env", "file"), never its value nor
 * the place it is read from. */
static cJSON *secret_forms(const char *credentials) {
  cJSON *creds = cJSON_Parse(credentials ? credentials : "{}"), *out = cJSON_CreateObject();
  const cJSON *c;
  cJSON_ArrayForEach(c, creds) {
    const char *us = c->string ? strrchr(c->string, '_') : NULL;
    char name[64];
    if (!us || us == c->string || (size_t)(us - c->string) >= sizeof(name))
      continue;
    snprintf(name, sizeof(name), "%.*s", (int)(us - c->string), c->string);
    if (!cJSON_GetObjectItemCaseSensitive(out, name))
      cJSON_AddStringToObject(out, name, us + 1);
  }
  cJSON_Delete(creds);
  return out;
}

cJSON *json_source(const struct source_row *row) {
  cJSON *o = cJSON_CreateObject();
  cJSON *settings = cJSON_Parse(row->settings ? row->settings : "{}");
  const cJSON *chosen = cJSON_GetObjectItemCaseSensitive(settings, "streams"), *s;
  char base[URL_MAX + 1];
  cJSON *streams;
  url_redact(jstr(settings, "api_base"), base, sizeof(base));
  cJSON_AddNumberToObject(o, "id", (double)row->id);
  cJSON_AddStringToObject(o, "name", row->name);
  cJSON_AddStringToObject(o, "connector", row->connector);
  if (row->account[0])
    cJSON_AddStringToObject(o, "account", row->account);
  else
    cJSON_AddNullToObject(o, "account");
  cJSON_AddStringToObject(o, "api_base", base);
  cJSON_AddStringToObject(o, "timezone",
                          jstr(settings, "timezone") ? jstr(settings, "timezone") : "");
  streams = cJSON_AddArrayToObject(o, "streams");
  cJSON_ArrayForEach(s, chosen) {
    if (cJSON_IsString(s))
      cJSON_AddItemToArray(streams, cJSON_CreateString(s->valuestring));
  }
  cJSON_AddItemToObject(o, "secrets", secret_forms(row->credentials));
  json_time(o, "created_at", row->created_at);
  json_time(o, "last_sync_at", row->last_sync_at);
  if (row->last_error)
    cJSON_AddStringToObject(o, "last_error", row->last_error);
  else
    cJSON_AddNullToObject(o, "last_error");
  cJSON_Delete(settings);
  return o;
}

struct source_list {
  struct api_ctx *c;
  cJSON *items;
  const char *account; /* MAY be NULL */
};

static int add_source(void *ctx, const struct source_row *row) {
  struct source_list *l = ctx;
  if (!caller_sees(l->c, row) || (l->account && strcmp(l->account, row->account) != 0))
    return MS_OK;
  if (cJSON_GetArraySize(l->items) < API_PAGE_MAX)
    cJSON_AddItemToArray(l->items, json_source(row));
  return MS_OK;
}

/* GET /api/sources?account= */
static void sources_list(struct api_ctx *c) {
  struct source_list l = {c, cJSON_CreateArray(), api_param(c->rq, "account")};
  struct err err = {0};
  cJSON *o;
  if (l.account && strlen(l.account) >= MS_NAME_MAX) {
    cJSON_Delete(l.items);
    reply_fail(c, 400, "invalid", "account", "account takes an account's name");
    return;
  }
  if (c->st->ops->source_list(c->st, add_source, &l, &err)) {
    cJSON_Delete(l.items);
    reply_code(c, MS_EDB, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "sources", l.items);
  reply(c, 200, o);
}

/* GET /api/sources/:name */
static void source_show(struct api_ctx *c) {
  struct source_row row;
  if (visible_source(c, c->arg[0], &row))
    return;
  reply(c, 200, json_source(&row));
  source_row_release(&row);
}

/* ---- adding ------------------------------------------------------------------- */

/* The account a new source goes to: the one named (the caller's), or a
 * member's only account. Answers and returns nonzero when there is none. */
static int source_account(struct api_ctx *c, const char **name, char buf[MS_NAME_MAX]) {
  struct api_error e;
  struct account_row a;
  struct err err = {0};
  if (api_body_string(c->rq, "account", MS_NAME_MAX - 1, 0, name, &e)) {
    reply_error(c, &e);
    return 1;
  }
  if (!*name && !c->who.admin) {
    if (c->who.naccounts != 1 ||
        c->st->ops->account_get_id(c->st, c->who.accounts[0], &a, &err) != MS_OK) {
      reply_fail(c, 400, "required", "account", "name the account the source belongs to");
      return 1;
    }
    snprintf(buf, MS_NAME_MAX, "%s", a.name);
    *name = buf;
    return 0;
  }
  if (!*name)
    return 0;
  if (c->st->ops->account_get(c->st, *name, &a, &err) != MS_OK || !caller_in_account(c, a.id)) {
    reply_fail(c, 400, "invalid", "account", "there is no account named '%s' of yours", *name);
    return 1;
  }
  return 0;
}

/* A JSON value of the settings object as the text the table's kinds read
 * (a list as "a,b"); NULL when it is not one. */
static const char *setting_text(const cJSON *v, char *buf, size_t n) {
  size_t used = 0;
  const cJSON *e;
  if (cJSON_IsString(v))
    return v->valuestring;
  if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble) {
    snprintf(buf, n, "%lld", (long long)v->valuedouble);
    return buf;
  }
  if (!cJSON_IsArray(v))
    return NULL;
  buf[0] = '\0';
  cJSON_ArrayForEach(e, v) {
    if (!cJSON_IsString(e) || strchr(e->valuestring, ',') || used >= n)
      return NULL;
    used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? "," : "", e->valuestring);
  }
  return used < n ? buf : NULL;
}

/* Reads "settings" into in->values (texts kept in bufs). */
static int body_settings(struct api_ctx *c, struct source_new *in,
                         char bufs[][SOURCE_TEXT_MAX + 1]) {
  const cJSON *settings = cJSON_GetObjectItemCaseSensitive(c->rq->body, "settings"), *v;
  if (!settings)
    return 0;
  if (!cJSON_IsObject(settings)) {
    reply_fail(c, 400, "invalid", "settings",
               "settings takes an object of the connector's settings");
    return 1;
  }
  cJSON_ArrayForEach(v, settings) {
    int k = source_setting_index(in->conn, v->string);
    if (k < 0 || in->conn->settings[k].kind == SETTING_SECRET) {
      reply_fail(c, 400, "invalid", v->string,
                 k < 0 ? "the %s connector has no such setting (GET /api/connectors lists them)"
                       : "%s is a secret: give it under \"secrets\"",
                 k < 0 ? in->conn->name : v->string);
      return 1;
    }
    in->values[k] = setting_text(v, bufs[k], SOURCE_TEXT_MAX + 1);
    if (!in->values[k]) {
      reply_fail(c, 400, "invalid", v->string, "%s takes text, a whole number or a list of texts",
                 v->string);
      return 1;
    }
  }
  return 0;
}

/* Reads "secrets" ({"token": "..."}: sealed when stored) into in. The
 * messages name the secret, never its value. */
static int body_secrets(struct api_ctx *c, struct source_new *in) {
  const cJSON *secrets = cJSON_GetObjectItemCaseSensitive(c->rq->body, "secrets"), *v;
  if (!secrets)
    return 0;
  if (!cJSON_IsObject(secrets)) {
    reply_fail(c, 400, "invalid", "secrets",
               "secrets takes an object such as {\"token\": \"...\"}");
    return 1;
  }
  cJSON_ArrayForEach(v, secrets) {
    int k = source_setting_index(in->conn, v->string);
    if (k < 0 || in->conn->settings[k].kind != SETTING_SECRET) {
      reply_fail(c, 400, "invalid", "secrets", "the %s connector has no secret of that name",
                 in->conn->name);
      return 1;
    }
    if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > SECRET_MAX) {
      reply_fail(c, 400, "invalid", v->string, "the secret %s takes text of 1 to %d bytes",
                 v->string, SECRET_MAX);
      return 1;
    }
    in->secrets[k].plain = v->valuestring;
  }
  return 0;
}

/* Reads "streams" (a list of names) as the engine's comma list. */
static int body_streams(struct api_ctx *c, struct source_new *in, char *buf, size_t n) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->rq->body, "streams");
  if (!list)
    return 0;
  in->streams = setting_text(list, buf, n);
  if (!cJSON_IsArray(list) || !in->streams || !*in->streams) {
    reply_fail(c, 400, "invalid", "streams", "streams takes a list of the connector's streams");
    return 1;
  }
  return 0;
}

static void created(struct api_ctx *c, const char *name, const struct source_made *made) {
  struct source_row row;
  struct err err = {0};
  cJSON *o;
  if (c->st->ops->source_get(c->st, name, &row, &err)) {
    reply_code(c, MS_EDB, NULL, &err);
    return;
  }
  o = json_source(&row);
  cJSON_AddBoolToObject(o, "checked", !made->check_failed && made->timezone[0]);
  source_row_release(&row);
  reply(c, 201, o);
}

static void create_failed(struct api_ctx *c, int rc, const struct source_made *made,
                          const struct err *err) {
  if (made->check_failed)
    reply_fail(c, 422, "check_failed", "connection",
               "the connection check failed, nothing was saved: %s (\"check\": false saves "
               "without it)",
               err->msg);
  else if (rc == MS_EKEY)
    reply_fail(c, 503, "no_key", made->field, "%s", err->msg);
  else if (rc == MS_ENOTFOUND)
    reply_fail(c, 400, "invalid", made->field[0] ? made->field : NULL, "%s", err->msg);
  else
    reply_code(c, rc, made->field[0] ? made->field : NULL, err);
}

/* POST /api/sources {name, connector, settings, secrets, streams, account, check} */
static void source_create_route(struct api_ctx *c) {
  /* One text per setting, for the values given as numbers or lists. */
  char(*texts)[SOURCE_TEXT_MAX + 1] = calloc(SOURCE_SETTINGS_MAX, sizeof(*texts));
  char streams[1024], account[MS_NAME_MAX];
  struct source_new in;
  struct source_made made;
  struct api_error e;
  struct err err = {0};
  const char *connector;
  int check = 1, rc;
  memset(&in, 0, sizeof(in));
  if (!texts) {
    reply_fail(c, 500, "internal", NULL, "out of memory");
    return;
  }
  if (api_body_string(c->rq, "name", MS_NAME_MAX - 1, 1, &in.name, &e) ||
      api_body_string(c->rq, "connector", MS_NAME_MAX - 1, 1, &connector, &e) ||
      api_body_bool(c->rq, "check", 1, &check, &e)) {
    reply_error(c, &e);
  } else if (!(in.conn = connector_find(connector))) {
    reply_fail(c, 400, "invalid", "connector", "there is no connector named '%s'", connector);
  } else if (!source_account(c, &in.account, account) && !body_settings(c, &in, texts) &&
             !body_secrets(c, &in) && !body_streams(c, &in, streams, sizeof(streams))) {
    in.no_check = !check;
    rc = source_create(c->st, secret_keyfile(), &in, &made, &err);
    if (rc)
      create_failed(c, rc, &made, &err);
    else
      created(c, in.name, &made);
  }
  free(texts);
}

/* ---- changing ----------------------------------------------------------------- */

/* Seals each secret of the body into the stored source. */
static int patch_secrets(struct api_ctx *c, const struct source_row *row) {
  const cJSON *secrets = cJSON_GetObjectItemCaseSensitive(c->rq->body, "secrets"), *v;
  const struct connector *conn = connector_find(row->connector);
  struct keyring *kr = NULL;
  struct err err = {0};
  int created = 0, rc = MS_OK;
  if (!secrets)
    return 0;
  if (!conn || !cJSON_IsObject(secrets)) {
    reply_fail(c, 400, "invalid", "secrets",
               "secrets takes an object such as {\"token\": \"...\"}");
    return 1;
  }
  cJSON_ArrayForEach(v, secrets) {
    int k = source_setting_index(conn, v->string);
    if (k < 0 || conn->settings[k].kind != SETTING_SECRET || !cJSON_IsString(v) ||
        !*v->valuestring || strlen(v->valuestring) > SECRET_MAX) {
      reply_fail(c, 400, "invalid", "secrets",
                 "secrets names the connector's secrets, each as text of 1 to %d bytes",
                 SECRET_MAX);
      return 1;
    }
  }
  if (!secret_keyfile() || key_ready(c->st, secret_keyfile(), &kr, &created, &err)) {
    reply_fail(c, 503, "no_key", "secrets", "%s",
               secret_keyfile() ? err.msg : "the database is not a file: set MARKETSYNC_KEY_FILE");
    return 1;
  }
  cJSON_ArrayForEach(v, secrets) {
    if (!rc)
      rc = source_secret_store(c->st, kr, row->name, v->string, v->valuestring, &err);
  }
  keyring_free(kr);
  if (rc)
    reply_code(c, rc, "secrets", &err);
  return rc != MS_OK;
}

/* Moves the source to another account (administrators). */
static int patch_account(struct api_ctx *c, const struct source_row *row) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->rq->body, "account");
  struct account_row a = {0};
  struct err err = {0};
  int rc;
  if (!v)
    return 0;
  if (!c->who.admin) {
    reply_fail(c, 403, "forbidden", "account",
               "moving a source between accounts is for administrators");
    return 1;
  }
  if (!cJSON_IsNull(v) && (!cJSON_IsString(v) || strlen(v->valuestring) >= MS_NAME_MAX ||
                           c->st->ops->account_get(c->st, v->valuestring, &a, &err))) {
    reply_fail(c, 400, "invalid", "account", "account takes the name of an account, or null");
    return 1;
  }
  rc = c->st->ops->source_set_account(c->st, row->id, a.id, &err);
  if (rc)
    reply_code(c, rc, "account", &err);
  return rc != MS_OK;
}

/* PATCH /api/sources/:name {account, secrets} */
static void source_patch(struct api_ctx *c) {
  static const char *const known[] = {"account", "secrets", NULL};
  struct source_row row, now;
  struct err err = {0};
  const cJSON *item;
  if (!c->rq->body) {
    reply_fail(c, 400, "required", "body", "say what changes: account or secrets");
    return;
  }
  cJSON_ArrayForEach(item, c->rq->body) {
    int ok = 0;
    for (int i = 0; known[i]; i++)
      ok |= strcmp(known[i], item->string) == 0;
    if (!ok) {
      reply_fail(c, 400, "invalid", item->string,
                 "a source's account and secrets can change; for anything else add it again");
      return;
    }
  }
  if (visible_source(c, c->arg[0], &row))
    return;
  if (!patch_account(c, &row) && !patch_secrets(c, &row)) {
    if (c->st->ops->source_get(c->st, row.name, &now, &err) == MS_OK) {
      reply(c, 200, json_source(&now));
      source_row_release(&now);
    } else {
      reply_code(c, MS_EDB, NULL, &err);
    }
  }
  source_row_release(&row);
}

/* DELETE /api/sources/:name: the source with its days and records. */
static void source_delete(struct api_ctx *c) {
  struct source_row row;
  struct err err = {0};
  int rc;
  if (visible_source(c, c->arg[0], &row))
    return;
  rc = c->st->ops->source_remove(c->st, row.name, &err);
  source_row_release(&row);
  if (rc)
    reply_code(c, rc, "source", &err);
  else
    c->res->status = 204;
}

/* POST /api/sources/:name/test: one cheap request with its credentials. */
static void source_test(struct api_ctx *c) {
  struct source_row row;
  struct session sess = {0};
  struct err err = {0};
  double t0;
  int rc;
  cJSON *o;
  if (visible_source(c, c->arg[0], &row))
    return;
  source_row_release(&row);
  t0 = mono_now();
  rc = session_open(c->st, c->arg[0], 0, &sess, &err);
  if (!rc)
    rc = session_probe(c->st, &sess, &err);
  o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "source", c->arg[0]);
  cJSON_AddBoolToObject(o, "ok", rc == MS_OK);
  cJSON_AddNumberToObject(o, "ms", (double)(long long)((mono_now() - t0) * 1000));
  if (rc)
    cJSON_AddStringToObject(o, "error", err.msg);
  else
    cJSON_AddStringToObject(o, "timezone", sess.src.timezone ? sess.src.timezone : "");
  session_close(&sess);
  reply(c, 200, o);
}

/* ---- streams and their days ------------------------------------------------------ */

static const char *slicing_name(enum slicing s) {
  return s == SLICING_BY_DAY ? "day" : s == SLICING_BY_UPDATES ? "updates" : "snapshot";
}

static int chosen(const cJSON *list, const char *name) {
  const cJSON *e;
  if (cJSON_GetArraySize(list) == 0)
    return 1;
  cJSON_ArrayForEach(e, list) {
    if (cJSON_IsString(e) && strcmp(e->valuestring, name) == 0)
      return 1;
  }
  return 0;
}

/* GET /api/sources/:name/streams: what the connector offers, and which a
 * plain sync fetches. */
static void source_streams(struct api_ctx *c) {
  struct source_row row;
  const struct connector *conn;
  cJSON *settings, *o, *list;
  if (visible_source(c, c->arg[0], &row))
    return;
  conn = connector_find(row.connector);
  settings = cJSON_Parse(row.settings ? row.settings : "{}");
  o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "source", row.name);
  list = cJSON_AddArrayToObject(o, "streams");
  for (size_t k = 0; conn && conn->streams && conn->streams[k]; k++) {
    const struct stream_def *d = conn->streams[k];
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "name", d->name);
    cJSON_AddStringToObject(s, "slicing", slicing_name(d->slicing));
    cJSON_AddBoolToObject(s, "chosen",
                          chosen(cJSON_GetObjectItemCaseSensitive(settings, "streams"), d->name));
    cJSON_AddItemToArray(list, s);
  }
  cJSON_Delete(settings);
  source_row_release(&row);
  reply(c, 200, o);
}

struct calendar {
  cJSON *streams; /* {"orders": {"2026-11-01": {...}}} */
};

static int add_day(void *ctx, const struct slice *sl) {
  struct calendar *cal = ctx;
  cJSON *days = cJSON_GetObjectItemCaseSensitive(cal->streams, sl->stream), *d;
  if (sl->kind != SLICE_DAY)
    return MS_OK;
  if (!days) {
    if (cJSON_GetArraySize(cal->streams) >= CALENDAR_STREAMS_MAX)
      return MS_OK;
    days = cJSON_AddObjectToObject(cal->streams, sl->stream);
  }
  d = cJSON_AddObjectToObject(days, sl->key);
  cJSON_AddStringToObject(d, "status", slice_status_name(sl->status));
  cJSON_AddNumberToObject(d, "records", (double)sl->records);
  cJSON_AddNumberToObject(d, "failed", (double)sl->failed);
  json_time(d, "completed_at", sl->completed_at);
  if (sl->last_error)
    cJSON_AddStringToObject(d, "error", sl->last_error);
  return MS_OK;
}

/* "YYYY-MM" into the first and last day of that month. */
static int month_range(const char *month, char from[DATE_STR_LEN], char to[DATE_STR_LEN]) {
  struct civil_date d, next;
  struct err err = {0};
  char first[16];
  if (!month || strlen(month) != 7)
    return MS_EINVAL;
  snprintf(first, sizeof(first), "%s-01", month);
  if (date_parse(first, &d, &err))
    return MS_EINVAL;
  next = d;
  next.m = d.m == 12 ? 1 : d.m + 1;
  next.y = d.m == 12 ? d.y + 1 : d.y;
  date_format(d, from);
  date_format(date_from_days(date_to_days(next) - 1), to);
  return MS_OK;
}

/* GET /api/sources/:name/calendar?month=YYYY-MM&stream=: each day's sync
 * status by stream, for a calendar. */
static void source_calendar(struct api_ctx *c) {
  struct source_row row;
  struct slice_filter f;
  struct calendar cal;
  struct err err = {0};
  char from[DATE_STR_LEN], to[DATE_STR_LEN], month[8];
  const char *m = api_param(c->rq, "month"), *stream = api_param(c->rq, "stream");
  cJSON *o;
  int rc;
  if (!m) {
    date_format(date_from_days(wall_now() / 86400), from);
    snprintf(month, sizeof(month), "%.7s", from);
    m = month;
  }
  if (month_range(m, from, to)) {
    reply_fail(c, 400, "invalid", "month", "month takes YYYY-MM");
    return;
  }
  if (stream && (strlen(stream) >= MS_STREAM_MAX || !*stream)) {
    reply_fail(c, 400, "invalid", "stream", "stream takes a stream's name");
    return;
  }
  if (visible_source(c, c->arg[0], &row))
    return;
  memset(&f, 0, sizeof(f));
  f.source_id = row.id;
  f.stream = stream;
  f.kind = SLICE_DAY;
  f.from = from;
  f.to = to;
  o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "source", row.name);
  cJSON_AddStringToObject(o, "month", m);
  cal.streams = cJSON_AddObjectToObject(o, "streams");
  rc = c->st->ops->slice_list(c->st, &f, add_day, &cal, &err);
  source_row_release(&row);
  if (rc) {
    cJSON_Delete(o);
    reply_code(c, rc, NULL, &err);
    return;
  }
  reply(c, 200, o);
}

/* ---- connectors ------------------------------------------------------------------ */

static const char *kind_name(enum setting_kind k) {
  switch (k) {
  case SETTING_URL:
    return "url";
  case SETTING_ZONE:
    return "timezone";
  case SETTING_LIST:
    return "list";
  case SETTING_CHOICE:
    return "choice";
  case SETTING_INT:
    return "integer";
  case SETTING_SECRET:
    return "secret";
  default:
    return "text";
  }
}

static cJSON *json_connector(const struct connector *conn) {
  cJSON *o = cJSON_CreateObject(), *settings, *streams;
  cJSON_AddStringToObject(o, "name", conn->name);
  cJSON_AddStringToObject(o, "title", conn->title ? conn->title : "");
  settings = cJSON_AddArrayToObject(o, "settings");
  for (const struct setting_def *d = conn->settings; d && d->key; d++) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "key", d->key);
    cJSON_AddStringToObject(s, "kind", kind_name(d->kind));
    cJSON_AddBoolToObject(s, "required", (d->flags & SETTING_REQUIRED) != 0);
    if (d->choices)
      cJSON_AddStringToObject(s, "choices", d->choices);
    cJSON_AddStringToObject(s, "help", d->help ? d->help : "");
    cJSON_AddItemToArray(settings, s);
  }
  streams = cJSON_AddArrayToObject(o, "streams");
  for (size_t k = 0; conn->streams && conn->streams[k]; k++)
    cJSON_AddItemToArray(streams, cJSON_CreateString(conn->streams[k]->name));
  return o;
}

/* GET /api/connectors: what a source form needs. */
static void connectors_list(struct api_ctx *c) {
  cJSON *o = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(o, "connectors");
  for (const struct connector *const *conn = connector_all(); *conn; conn++)
    cJSON_AddItemToArray(list, json_connector(*conn));
  reply(c, 200, o);
}

const struct route routes_sources[] = {
    {"GET", "/api/connectors", connectors_list, 0},
    {"GET", "/api/sources", sources_list, 0},
    {"POST", "/api/sources", source_create_route, 0},
    {"GET", "/api/sources/:name", source_show, 0},
    {"PATCH", "/api/sources/:name", source_patch, 0},
    {"DELETE", "/api/sources/:name", source_delete, 0},
    {"POST", "/api/sources/:name/test", source_test, 0},
    {"GET", "/api/sources/:name/streams", source_streams, 0},
    {"GET", "/api/sources/:name/calendar", source_calendar, 0},
    {NULL},
};
