/* Schedules (/api/schedules): the same as `marketsync schedule`, as JSON.
 * A schedule's body is its spec (engine/schedule.h) with name, timezone
 * and enabled:
 *   {"name":"nightly","every":3600 | "cron":"0 2 * * *" | "daily_at":"02:00",
 *    "between":"06:00-22:00","max_runs_per_day":4,"timezone":"Europe/Berlin",
 *    "sources":["alpha"],"streams":["orders"],"mode":"new","range":"last-7-days",
 *    "enabled":true}
 * A member's schedules name their sources; one of every source is for
 * administrators. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/schedule.h"
#include "util/clock.h"
#include "web/routes.h"

static int valid_name(const char *s) {
  return s && *s && strlen(s) < MS_NAME_MAX &&
         strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

/* Whether the caller may see a schedule with this spec. */
static int schedule_is_mine(struct api_ctx *c, const struct schedule_spec *s) {
  if (c->who.admin)
    return 1;
  if (s->nsources == 0)
    return 0;
  for (int i = 0; i < s->nsources; i++) {
    struct source_row row = {0};
    struct err err = {0};
    int mine =
        c->st->ops->source_get(c->st, s->sources[i], &row, &err) == MS_OK && caller_sees(c, &row);
    source_row_release(&row);
    if (!mine)
      return 0;
  }
  return 1;
}

static cJSON *json_schedule(const struct schedule_row *row, const struct schedule_spec *s) {
  cJSON *o = cJSON_CreateObject(), *spec = cJSON_Parse(row->spec ? row->spec : "{}");
  char text[256];
  cJSON_AddNumberToObject(o, "id", (double)row->id);
  cJSON_AddStringToObject(o, "name", row->name);
  cJSON_AddBoolToObject(o, "enabled", row->enabled);
  cJSON_AddStringToObject(o, "timezone", row->timezone);
  schedule_timing_describe(s, text, sizeof(text));
  cJSON_AddStringToObject(o, "when", text);
  schedule_range_describe(s, text, sizeof(text));
  cJSON_AddStringToObject(o, "days", text);
  cJSON_AddItemToObject(o, "spec", spec ? spec : cJSON_CreateObject());
  json_time(o, "next_run", row->enabled ? row->next_due : 0);
  json_time(o, "last_run", row->last_due);
  cJSON_AddNumberToObject(o, "last_run_id", (double)row->last_run_id);
  cJSON_AddStringToObject(o, "last_status", row->last_status);
  json_time(o, "created_at", row->created_at);
  json_time(o, "updated_at", row->updated_at);
  return o;
}

struct sched_list {
  struct api_ctx *c;
  cJSON *items;
};

static int add_schedule(void *ctx, const struct schedule_row *row) {
  struct sched_list *l = ctx;
  struct schedule_spec s;
  struct err err = {0};
  if (schedule_spec_read(row->spec, 1, &s, &err))
    return MS_OK; /* unreadable: shown by the command line, which can fix it */
  if (schedule_is_mine(l->c, &s))
    cJSON_AddItemToArray(l->items, json_schedule(row, &s));
  schedule_spec_release(&s);
  return MS_OK;
}

/* GET /api/schedules */
static void schedules_list(struct api_ctx *c) {
  struct sched_list l = {c, cJSON_CreateArray()};
  struct err err = {0};
  cJSON *o;
  if (c->st->ops->schedule_list(c->st, add_schedule, &l, &err)) {
    cJSON_Delete(l.items);
    reply_code(c, MS_EDB, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "schedules", l.items);
  reply(c, 200, o);
}

/* The named schedule and its spec, if the caller may see it; else 404. */
static int load(struct api_ctx *c, struct schedule_row *row, struct schedule_spec *s) {
  struct err err = {0};
  int rc = c->st->ops->schedule_get(c->st, c->arg[0], row, &err);
  if (rc == MS_OK && schedule_spec_read(row->spec, 1, s, &err) == MS_OK) {
    if (schedule_is_mine(c, s))
      return 0;
    schedule_spec_release(s);
  }
  if (rc == MS_OK)
    schedule_row_release(row);
  if (rc && rc != MS_ENOTFOUND)
    reply_code(c, rc, "schedule", &err);
  else
    reply_fail(c, 404, "not_found", "schedule", "there is no schedule named '%s'", c->arg[0]);
  return 1;
}

/* The body as a spec: the stored spec's fields overlaid with the body's
 * (PATCH), or the body alone (POST). */
static int spec_from_body(struct api_ctx *c, const char *stored, struct schedule_spec *out) {
  static const char *const own[] = {"name", "timezone", "enabled", NULL};
  static const char *const timing[] = {"every", "cron", "daily_at", NULL};
  cJSON *merged = cJSON_Parse(stored ? stored : "{}"), *item;
  struct err err = {0};
  char *text;
  int rc, new_timing = 0;
  for (int i = 0; timing[i]; i++)
    new_timing |= cJSON_GetObjectItemCaseSensitive(c->rq->body, timing[i]) != NULL;
  for (int i = 0; new_timing && timing[i]; i++)
    cJSON_DeleteItemFromObjectCaseSensitive(merged, timing[i]);
  cJSON_ArrayForEach(item, c->rq->body) {
    int skip = 0;
    for (int i = 0; own[i]; i++)
      skip |= strcmp(item->string, own[i]) == 0;
    if (skip)
      continue;
    cJSON_DeleteItemFromObjectCaseSensitive(merged, item->string);
    if (!cJSON_IsNull(item))
      cJSON_AddItemToObject(merged, item->string, cJSON_Duplicate(item, 1));
  }
  text = cJSON_PrintUnformatted(merged);
  cJSON_Delete(merged);
  rc = schedule_spec_read(text, 1, out, &err);
  free(text);
  if (rc) {
    reply_fail(c, 400, "invalid", spec_field(err.msg), "%s", err.msg);
    return 1;
  }
  return 0;
}

static int check_sources(struct api_ctx *c, struct schedule_spec *s) {
  if (!c->who.admin && s->nsources == 0) {
    reply_fail(c, 403, "forbidden", "sources",
               "a schedule of every source is for administrators: name your sources");
    return 1;
  }
  return visible_sources(c, s->sources, s->nsources);
}

static void save_and_answer(struct api_ctx *c, struct schedule_row *row, struct schedule_spec *s,
                            const char *zone, int create) {
  struct err err = {0};
  int rc = schedule_prepare(c->st, row, s, zone, wall_now(), &err);
  if (rc) {
    reply_code(c, rc == MS_ENOTFOUND ? MS_EINVAL : rc,
               rc == MS_ENOTFOUND ? "sources" : spec_field(err.msg), &err);
    return;
  }
  row->updated_at = wall_now();
  rc = create ? c->st->ops->schedule_add(c->st, row, &err)
              : c->st->ops->schedule_update(c->st, row, &err);
  if (rc) {
    reply_code(c, rc, "name", &err);
    return;
  }
  reply(c, create ? 201 : 200, json_schedule(row, s));
}

/* POST /api/schedules */
static void schedule_create(struct api_ctx *c) {
  struct schedule_row row;
  struct schedule_spec s;
  struct api_error e;
  const char *name, *zone;
  int enabled;
  if (api_body_string(c->rq, "name", MS_NAME_MAX - 1, 1, &name, &e) ||
      api_body_string(c->rq, "timezone", 63, 0, &zone, &e) ||
      api_body_bool(c->rq, "enabled", 1, &enabled, &e)) {
    reply_error(c, &e);
    return;
  }
  if (!valid_name(name)) {
    reply_fail(c, 400, "invalid", "name",
               "a schedule name is lowercase letters, digits, - and _ (at most 63)");
    return;
  }
  if (spec_from_body(c, NULL, &s))
    return;
  if (!check_sources(c, &s)) {
    memset(&row, 0, sizeof(row));
    snprintf(row.name, sizeof(row.name), "%s", name);
    row.enabled = enabled;
    row.created_at = wall_now();
    save_and_answer(c, &row, &s, zone ? zone : "UTC", 1);
    schedule_row_release(&row);
  }
  schedule_spec_release(&s);
}

/* GET /api/schedules/:name */
static void schedule_show(struct api_ctx *c) {
  struct schedule_row row;
  struct schedule_spec s;
  if (load(c, &row, &s))
    return;
  reply(c, 200, json_schedule(&row, &s));
  schedule_spec_release(&s);
  schedule_row_release(&row);
}

/* PATCH /api/schedules/:name: the fields given change, the others stay. */
static void schedule_patch(struct api_ctx *c) {
  struct schedule_row row;
  struct schedule_spec s, changed;
  struct api_error e;
  const char *zone;
  int enabled;
  if (load(c, &row, &s))
    return;
  schedule_spec_release(&s);
  if (api_body_string(c->rq, "timezone", 63, 0, &zone, &e) ||
      api_body_bool(c->rq, "enabled", row.enabled, &enabled, &e)) {
    reply_error(c, &e);
  } else if (cJSON_GetObjectItemCaseSensitive(c->rq->body, "name")) {
    reply_fail(c, 400, "invalid", "name", "a schedule keeps its name");
  } else if (!spec_from_body(c, row.spec, &changed)) {
    if (!check_sources(c, &changed)) {
      row.enabled = enabled;
      save_and_answer(c, &row, &changed, zone, 0);
    }
    schedule_spec_release(&changed);
  }
  schedule_row_release(&row);
}

/* DELETE /api/schedules/:name */
static void schedule_delete(struct api_ctx *c) {
  struct schedule_row row;
  struct schedule_spec s;
  struct err err = {0};
  int rc;
  if (load(c, &row, &s))
    return;
  rc = c->st->ops->schedule_remove(c->st, row.name, &err);
  schedule_spec_release(&s);
  schedule_row_release(&row);
  if (rc)
    reply_code(c, rc, "schedule", &err);
  else
    c->res->status = 204;
}

/* POST /api/schedules/:name/toggle {"enabled": bool}: on or off (without a
 * body: the other way round). Back on, it is due from now on. */
static void schedule_toggle(struct api_ctx *c) {
  struct schedule_row row;
  struct schedule_spec s;
  struct api_error e;
  struct err err = {0};
  int enabled;
  if (load(c, &row, &s))
    return;
  if (api_body_bool(c->rq, "enabled", !row.enabled, &enabled, &e)) {
    reply_error(c, &e);
  } else {
    row.enabled = enabled;
    row.updated_at = wall_now();
    if ((enabled && schedule_next_due(&row, &s, wall_now(), &err)) ||
        c->st->ops->schedule_update(c->st, &row, &err))
      reply_code(c, MS_EDB, NULL, &err);
    else
      reply(c, 200, json_schedule(&row, &s));
  }
  schedule_spec_release(&s);
  schedule_row_release(&row);
}

/* POST /api/schedules/:name/run: a job now, by hand. */
static void schedule_run(struct api_ctx *c) {
  struct schedule_row row;
  struct schedule_spec s;
  struct job_row job = {0};
  struct err err = {0};
  int rc;
  if (load(c, &row, &s))
    return;
  rc = job_submit(c->st, &s, "api", row.id, wall_now(), &job, &err);
  if (rc) {
    reply_code(c, rc, "schedule", &err);
  } else {
    cJSON *o = cJSON_CreateObject();
    char path[64];
    api_wake_workers(c->api);
    cJSON_AddNumberToObject(o, "job_id", (double)job.id);
    snprintf(path, sizeof(path), "/api/jobs/%lld/progress", (long long)job.id);
    cJSON_AddStringToObject(o, "progress", path);
    reply(c, 202, o);
  }
  job_row_release(&job);
  schedule_spec_release(&s);
  schedule_row_release(&row);
}

const struct route routes_schedules[] = {
    {"GET", "/api/schedules", schedules_list, 0},
    {"POST", "/api/schedules", schedule_create, 0},
    {"GET", "/api/schedules/:name", schedule_show, 0},
    {"PATCH", "/api/schedules/:name", schedule_patch, 0},
    {"DELETE", "/api/schedules/:name", schedule_delete, 0},
    {"POST", "/api/schedules/:name/toggle", schedule_toggle, 0},
    {"POST", "/api/schedules/:name/run", schedule_run, ROUTE_SYNC},
    {NULL},
};
