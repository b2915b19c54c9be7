/* The sync log (/api/runs), starting work (/api/sync, /api/trigger) and
 * following it live (/api/jobs/:id/progress, server-sent events). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/schedule.h"
#include "util/clock.h"
#include "web/routes.h"

#define PROGRESS_EVERY_MS 500    /* an update this often */
#define PROGRESS_MAX_SECS 3600   /* a stream ends after an hour; the client may reconnect */
#define QUICK_WAIT_MS 3000       /* a quick sync waits this long to answer with its run */
#define TRIGGER_STALE_SECS 86400 /* without force: sources not synced for a day */

/* ---- the log ------------------------------------------------------------------- */

static int time_param(struct api_ctx *c, const char *name, int64_t *out) {
  const char *v = api_param(c->rq, name);
  struct civil_date d;
  struct err err = {0};
  *out = 0;
  if (!v)
    return 0;
  if (time_parse(v, out) == MS_OK)
    return 0;
  if (date_parse(v, &d, &err) == MS_OK) {
    *out = date_to_days(d) * 86400;
    return 0;
  }
  reply_fail(c, 400, "invalid", name, "%s takes a date (YYYY-MM-DD) or an ISO 8601 time", name);
  return 1;
}

struct run_list {
  struct api_ctx *c;
  cJSON *items;
  int members_only; /* a member: keep runs whose every slice is theirs */
};

struct all_mine {
  struct api_ctx *c;
  int mine;
};

static int slice_is_mine(void *ctx, const struct run_slice_row *r) {
  struct all_mine *m = ctx;
  struct source_row row = {0};
  struct err err = {0};
  if (m->c->st->ops->source_get_id(m->c->st, r->source_id, &row, &err) || !caller_sees(m->c, &row))
    m->mine = 0;
  source_row_release(&row);
  return MS_OK;
}

/* A member sees a run only when all it worked on is theirs: a run over
 * every account would tell them of the others. */
static int run_is_mine(struct api_ctx *c, int64_t run_id) {
  struct all_mine m = {c, 1};
  struct err err = {0};
  if (c->who.admin)
    return 1;
  return c->st->ops->run_slices(c->st, run_id, slice_is_mine, &m, &err) == MS_OK && m.mine;
}

static int add_run(void *ctx, const struct run_row *r) {
  struct run_list *l = ctx;
  if (l->members_only && !run_is_mine(l->c, r->id))
    return MS_OK;
  cJSON_AddItemToArray(l->items, json_run(r));
  return MS_OK;
}

/* GET /api/runs?source=&status=&trigger=&schedule=&from=&to=&limit=&offset= */
static void runs_list(struct api_ctx *c) {
  struct run_filter f;
  struct run_list l = {c, NULL, !c->who.admin};
  struct err err = {0};
  int64_t limit, offset, schedule = 0, *ids = NULL;
  size_t nids = 0;
  int all, rc;
  const char *source = api_param(c->rq, "source");
  memset(&f, 0, sizeof(f));
  if (api_param_int(c->rq, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit,
                    &(struct api_error){0})) {
    reply_fail(c, 400, "invalid", "limit", "limit takes a whole number from 1 to %d", API_PAGE_MAX);
    return;
  }
  if (api_param_int(c->rq, "offset", 0, 1000000000, 0, &offset, &(struct api_error){0})) {
    reply_fail(c, 400, "invalid", "offset", "offset takes a whole number from 0");
    return;
  }
  if (time_param(c, "from", &f.from) || time_param(c, "to", &f.to))
    return;
  f.status = api_param(c->rq, "status");
  f.trigger = api_param(c->rq, "trigger");
  if (f.status && strlen(f.status) > 15) {
    reply_fail(c, 400, "invalid", "status", "status is a run status such as completed");
    return;
  }
  if (f.trigger && strlen(f.trigger) > 15) {
    reply_fail(c, 400, "invalid", "trigger", "trigger is cli, schedule, api or quick");
    return;
  }
  if (api_param(c->rq, "schedule")) {
    struct schedule_row s;
    rc = c->st->ops->schedule_get(c->st, api_param(c->rq, "schedule"), &s, &err);
    if (rc) {
      reply_code(c, rc, "schedule", &err);
      return;
    }
    schedule = s.id;
    schedule_row_release(&s);
  }
  f.schedule_id = schedule;
  f.limit = (int)limit;
  f.offset = (int)offset;
  if (source) {
    struct source_row row;
    if (visible_source(c, source, &row))
      return;
    f.source_id = row.id;
    source_row_release(&row);
  } else if (visible_source_ids(c, &ids, &nids, &all) == MS_OK && !all) {
    f.source_ids = ids;
    f.nsource_ids = nids;
    if (!nids) {
      free(ids);
      cJSON *o = cJSON_CreateObject();
      cJSON_AddItemToObject(o, "runs", cJSON_CreateArray());
      {
        reply(c, 200, o);
        return;
      }
    }
  }
  l.items = cJSON_CreateArray();
  rc = c->st->ops->run_find(c->st, &f, add_run, &l, &err);
  free(ids);
  if (rc) {
    cJSON_Delete(l.items);
    {
      reply_code(c, rc, NULL, &err);
      return;
    }
  }
  {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "runs", l.items);
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    reply(c, 200, o);
  }
}

static int id_arg(struct api_ctx *c, const char *what, int64_t *id) {
  char *end;
  long long v = strtoll(c->arg[0], &end, 10);
  if (*end || v < 1) {
    reply_fail(c, 404, "not_found", what, "'%s' is not the id of a %s", c->arg[0], what);
    return 1;
  }
  *id = v;
  return 0;
}

static int add_slice(void *ctx, const struct run_slice_row *r) {
  struct run_list *l = ctx;
  cJSON *o;
  if (!l->c->who.admin) {
    struct source_row row = {0};
    struct err err = {0};
    int mine = l->c->st->ops->source_get_id(l->c->st, r->source_id, &row, &err) == MS_OK &&
               caller_sees(l->c, &row);
    source_row_release(&row);
    if (!mine)
      return MS_OK;
  }
  o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "source", r->source);
  cJSON_AddStringToObject(o, "stream", r->stream);
  cJSON_AddStringToObject(o, "key", r->key);
  cJSON_AddStringToObject(o, "status", r->status);
  cJSON_AddNumberToObject(o, "pages", (double)r->pages);
  cJSON_AddNumberToObject(o, "records", (double)r->records);
  cJSON_AddNumberToObject(o, "inserted", (double)r->inserted);
  cJSON_AddNumberToObject(o, "updated", (double)r->updated);
  cJSON_AddNumberToObject(o, "retries", (double)r->retries);
  if (r->error)
    cJSON_AddStringToObject(o, "error", r->error);
  else
    cJSON_AddNullToObject(o, "error");
  json_time(o, "finished_at", r->finished_at);
  cJSON_AddItemToArray(l->items, o);
  return MS_OK;
}

/* GET /api/runs/:id: the run with its slices, requests, retries, 429s and
 * errors. */
static void run_show(struct api_ctx *c) {
  struct run_row r;
  struct run_list l = {c, NULL, 0};
  struct err err = {0};
  int64_t id;
  int rc;
  cJSON *o;
  if (id_arg(c, "run", &id))
    return;
  rc = c->st->ops->run_get(c->st, id, &r, &err);
  if (rc || !run_is_mine(c, id)) {
    if (!rc)
      run_row_release(&r);
    {
      reply_fail(c, 404, "not_found", "run", "there is no run %lld", (long long)id);
      return;
    }
  }
  o = json_run(&r);
  run_row_release(&r);
  l.items = cJSON_AddArrayToObject(o, "slices");
  rc = c->st->ops->run_slices(c->st, id, add_slice, &l, &err);
  if (rc) {
    cJSON_Delete(o);
    {
      reply_code(c, rc, NULL, &err);
      return;
    }
  }
  reply(c, 200, o);
}

/* ---- starting work ------------------------------------------------------------- */

/* The sources of a request body must all be the caller's; a member who
 * names none gets theirs. Returns nonzero after answering. */
static int scope_request(struct api_ctx *c, struct schedule_spec *s) {
  if (s->nsources == 0 && !c->who.admin) {
    int64_t *ids = NULL;
    size_t n = 0;
    int all;
    if (visible_source_ids(c, &ids, &n, &all) || n == 0) {
      free(ids);
      reply_fail(c, 400, "invalid", "sources", "there is no source of yours to sync");
      return 1;
    }
    s->sources = calloc(n, sizeof(char *));
    for (size_t i = 0; s->sources && i < n; i++) {
      struct source_row row = {0};
      struct err err = {0};
      if (c->st->ops->source_get_id(c->st, ids[i], &row, &err) == MS_OK)
        s->sources[s->nsources++] = strdup(row.name);
      source_row_release(&row);
    }
    free(ids);
    return 0;
  }
  return visible_sources(c, s->sources, s->nsources);
}

/* Waits a little for a worker to take the job, so the answer can carry
 * its run. */
static int64_t wait_for_run(struct api_ctx *c, int64_t job_id) {
  for (int waited = 0; waited < QUICK_WAIT_MS; waited += 100) {
    struct job_row j = {0};
    struct err err = {0};
    int64_t run = 0;
    if (c->st->ops->job_get(c->st, job_id, &j, &err) == MS_OK)
      run = j.run_id;
    job_row_release(&j);
    if (run)
      return run;
    usleep(100 * 1000);
  }
  return 0;
}

static cJSON *job_answer(struct api_ctx *c, int64_t job_id, int wait) {
  cJSON *o = cJSON_CreateObject();
  char path[64];
  int64_t run = wait ? wait_for_run(c, job_id) : 0;
  cJSON_AddNumberToObject(o, "job_id", (double)job_id);
  if (run)
    cJSON_AddNumberToObject(o, "run_id", (double)run);
  else
    cJSON_AddNullToObject(o, "run_id");
  snprintf(path, sizeof(path), "/api/jobs/%lld/progress", (long long)job_id);
  cJSON_AddStringToObject(o, "progress", path);
  return o;
}

/* POST /api/sync {sources, streams, mode, range}: a quick sync, queued
 * ahead of nothing but run by the next free worker. */
static void quick_sync(struct api_ctx *c) {
  struct schedule_spec s;
  struct job_row job = {0};
  struct err err = {0};
  char *text = c->rq->body ? cJSON_PrintUnformatted(c->rq->body) : strdup("{}");
  int rc = schedule_spec_read(text, 0, &s, &err);
  free(text);
  if (rc) {
    reply_fail(c, 400, "invalid", spec_field(err.msg), "%s", err.msg);
    return;
  }
  if (scope_request(c, &s)) {
    schedule_spec_release(&s);
    return;
  }
  rc = job_submit(c->st, &s, "quick", 0, wall_now(), &job, &err);
  schedule_spec_release(&s);
  if (rc) {
    job_row_release(&job);
    {
      reply_code(c, rc, rc == MS_ENOTFOUND ? "sources" : NULL, &err);
      return;
    }
  }
  api_wake_workers(c->api);
  reply(c, 202, job_answer(c, job.id, 1));
  job_row_release(&job);
}

struct trigger {
  struct api_ctx *c;
  const char *source, *connector;
  int force;
  cJSON *queued, *skipped;
};

static int trigger_one(void *ctx, const struct source_row *row) {
  struct trigger *t = ctx;
  struct schedule_spec s;
  struct job_row job = {0};
  struct err err = {0};
  cJSON *o;
  if (!caller_sees(t->c, row) || (t->source && strcmp(t->source, row->name) != 0) ||
      (t->connector && strcmp(t->connector, row->connector) != 0))
    return MS_OK;
  o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "source", row->name);
  if (!t->force && row->last_sync_at && wall_now() - row->last_sync_at < TRIGGER_STALE_SECS) {
    cJSON_AddStringToObject(o, "reason", "synced in the last 24 hours (force to sync anyway)");
    cJSON_AddItemToArray(t->skipped, o);
    return MS_OK;
  }
  memset(&s, 0, sizeof(s));
  s.sources = (char *[]){(char *)row->name};
  s.nsources = 1;
  if (job_submit(t->c->st, &s, "api", 0, wall_now(), &job, &err)) {
    cJSON_AddStringToObject(o, "reason", err.msg);
    cJSON_AddItemToArray(t->skipped, o);
  } else {
    cJSON_AddNumberToObject(o, "job_id", (double)job.id);
    cJSON_AddItemToArray(t->queued, o);
  }
  job_row_release(&job);
  return MS_OK;
}

/* POST /api/trigger {force, source, connector}: a sync of every source (or
 * those named) that was not synced in the last day, or of all with force. */
static void trigger(struct api_ctx *c) {
  struct trigger t = {c, NULL, NULL, 0, NULL, NULL};
  struct api_error e;
  struct err err = {0};
  cJSON *o;
  if (api_body_bool(c->rq, "force", 0, &t.force, &e) ||
      api_body_string(c->rq, "source", MS_NAME_MAX - 1, 0, &t.source, &e) ||
      api_body_string(c->rq, "connector", 31, 0, &t.connector, &e)) {
    reply_error(c, &e);
    return;
  }
  if (t.source) {
    struct source_row row;
    if (visible_source(c, t.source, &row))
      return;
    source_row_release(&row);
  }
  t.queued = cJSON_CreateArray();
  t.skipped = cJSON_CreateArray();
  if (c->st->ops->source_list(c->st, trigger_one, &t, &err)) {
    cJSON_Delete(t.queued);
    cJSON_Delete(t.skipped);
    {
      reply_code(c, MS_EDB, NULL, &err);
      return;
    }
  }
  if (cJSON_GetArraySize(t.queued))
    api_wake_workers(c->api);
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "queued", t.queued);
  cJSON_AddItemToObject(o, "skipped", t.skipped);
  reply(c, 202, o);
}

/* ---- live progress (server-sent events) ------------------------------------------ */

struct progress_stream {
  char db[1024];
  struct store *st;
  int64_t job_id;
  double started;
  int64_t last_pages; /* -1: nothing sent yet */
  char last_state[16];
  int done;
};

static void progress_free(void *ctx) {
  struct progress_stream *p = ctx;
  store_close(p->st);
  free(p);
}

/* One server-sent event into out (at most max bytes); 0 when nothing. */
static ssize_t event_out(char *out, size_t max, const char *name, cJSON *data) {
  char *text = cJSON_PrintUnformatted(data);
  int n = text ? snprintf(out, max, "event: %s\ndata: %s\n\n", name, text) : 0;
  free(text);
  cJSON_Delete(data);
  return n > 0 && (size_t)n < max ? n : 0;
}

static ssize_t progress_read(void *ctx, char *out, size_t max) {
  struct progress_stream *p = ctx;
  for (;;) {
    struct job_row j = {0};
    struct err err = {0};
    cJSON *data;
    int finished;
    if (p->done)
      return 0;
    if (mono_now() - p->started > PROGRESS_MAX_SECS)
      return 0;
    if (p->st->ops->job_get(p->st, p->job_id, &j, &err)) {
      job_row_release(&j);
      p->done = 1;
      return event_out(out, max, "error", cJSON_CreateString(err.msg));
    }
    finished = strcmp(j.state, "completed") == 0 || strcmp(j.state, "failed") == 0 ||
               strcmp(j.state, "cancelled") == 0 || strcmp(j.state, "retryable") == 0;
    if (j.run_id) {
      struct run_row r;
      if (p->st->ops->run_get(p->st, j.run_id, &r, &err) == MS_OK) {
        int changed = r.pages != p->last_pages || strcmp(j.state, p->last_state) != 0;
        if (changed || finished) {
          p->last_pages = r.pages;
          snprintf(p->last_state, sizeof(p->last_state), "%s", j.state);
          data = json_run(&r);
          cJSON_AddStringToObject(data, "job_state", j.state);
          run_row_release(&r);
          if (finished)
            p->done = 1;
          job_row_release(&j);
          return event_out(out, max, finished ? "end" : "progress", data);
        }
        run_row_release(&r);
      }
    } else if (finished || strcmp(j.state, p->last_state) != 0) {
      snprintf(p->last_state, sizeof(p->last_state), "%s", j.state);
      p->done = finished;
      data = json_job(&j);
      job_row_release(&j);
      return event_out(out, max, finished ? "end" : "job", data);
    }
    job_row_release(&j);
    usleep(PROGRESS_EVERY_MS * 1000);
  }
}

/* GET /api/jobs/:id/progress: text/event-stream of "job", "progress" (the
 * run's counters) and a last "end". */
static void progress(struct api_ctx *c) {
  struct progress_stream *p;
  struct job_row j = {0};
  struct err err = {0};
  int64_t id;
  int rc;
  if (id_arg(c, "job", &id))
    return;
  rc = c->st->ops->job_get(c->st, id, &j, &err);
  if (rc == MS_OK && !job_is_mine(c, &j))
    rc = MS_ENOTFOUND;
  job_row_release(&j);
  if (rc) {
    reply_fail(c, rc == MS_ENOTFOUND ? 404 : 503, rc == MS_ENOTFOUND ? "not_found" : "unavailable",
               "job", "there is no job %lld", (long long)id);
    return;
  }
  p = calloc(1, sizeof(*p));
  if (!p) {
    reply_fail(c, 500, "internal", NULL, "out of memory");
    return;
  }
  snprintf(p->db, sizeof(p->db), "%s", api_db(c->api));
  if (store_open(p->db, &p->st, &err)) {
    free(p);
    {
      reply_code(c, MS_EDB, NULL, &err);
      return;
    }
  }
  p->job_id = id;
  p->started = mono_now();
  p->last_pages = -1;
  c->res->status = 200;
  c->res->content_type = "text/event-stream";
  c->res->stream = progress_read;
  c->res->stream_ctx = p;
  c->res->stream_free = progress_free;
}

const struct route routes_runs[] = {
    {"GET", "/api/runs", runs_list, 0},
    {"GET", "/api/runs/:id", run_show, 0},
    {"POST", "/api/sync", quick_sync, ROUTE_SYNC},
    {"POST", "/api/trigger", trigger, ROUTE_SYNC | ROUTE_ADMIN},
    {"GET", "/api/jobs/:id/progress", progress, 0},
    {NULL},
};
