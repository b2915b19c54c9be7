/* /healthz, /metrics and /api/system: is it alive, and how is it doing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "web/routes.h"

/* The scheduler is alive when it made a pass in the last minute. */
#define SCHEDULER_ALIVE_SECS 60

/* The service's state as read at one moment (without its lock). */
struct state_copy {
  int known;
  int64_t started_at, scheduler_tick_at, jobs_run, jobs_completed;
  int workers;
};

static void copy_state(struct api_ctx *c, struct state_copy *out) {
  struct service_state *s = api_state(c->api);
  memset(out, 0, sizeof(*out));
  if (!s)
    return;
  pthread_mutex_lock(&s->lock);
  out->started_at = s->started_at;
  out->scheduler_tick_at = s->scheduler_tick_at;
  out->jobs_run = s->jobs_run;
  out->jobs_completed = s->jobs_completed;
  out->workers = s->workers;
  pthread_mutex_unlock(&s->lock);
  out->known = 1;
}

static int scheduler_alive(const struct state_copy *s) {
  return s->known && s->scheduler_tick_at &&
         wall_now() - s->scheduler_tick_at < SCHEDULER_ALIVE_SECS;
}

/* GET /healthz: 200 when the database answers, 503 otherwise. Public. */
static void healthz(struct api_ctx *c) {
  int64_t counts[6];
  struct err err = {0};
  int rc = c->st->ops->job_counts(c->st, counts, &err);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "status", rc ? "database unavailable" : "ok");
  reply(c, rc ? 503 : 200, o);
}

/* GET /api/system */
static void system_status(struct api_ctx *c) {
  static const char *const names[] = {"available", "running", "retryable",
                                      "completed", "failed",  "cancelled"};
  struct state_copy s;
  int64_t counts[6] = {0};
  struct err err = {0};
  int version = 0, rc;
  cJSON *o = cJSON_CreateObject(), *q, *sched, *w;
  copy_state(c, &s);
  rc = c->st->ops->job_counts(c->st, counts, &err);
  c->st->ops->schema_version(c->st, &version);
  cJSON_AddStringToObject(o, "version", MS_VERSION);
  {
    cJSON *db = cJSON_AddObjectToObject(o, "database");
    cJSON_AddStringToObject(db, "backend", c->st->ops->name);
    cJSON_AddNumberToObject(db, "schema_version", version);
    cJSON_AddStringToObject(db, "status", rc ? "unavailable" : "ok");
  }
  sched = cJSON_AddObjectToObject(o, "scheduler");
  cJSON_AddBoolToObject(sched, "alive", scheduler_alive(&s));
  json_time(sched, "last_pass_at", s.scheduler_tick_at);
  w = cJSON_AddObjectToObject(o, "workers");
  cJSON_AddNumberToObject(w, "threads", s.workers);
  /* The queue holds every account's jobs: its counts are for admins
   * (a member's own jobs are at /api/jobs). */
  if (c->who.admin) {
    cJSON_AddNumberToObject(w, "busy", (double)counts[1]);
    cJSON_AddNumberToObject(w, "jobs_run", (double)s.jobs_run);
    cJSON_AddNumberToObject(w, "jobs_completed", (double)s.jobs_completed);
    q = cJSON_AddObjectToObject(o, "queue");
    for (int i = 0; i < 6; i++)
      cJSON_AddNumberToObject(q, names[i], (double)counts[i]);
    cJSON_AddNumberToObject(q, "depth", (double)(counts[0] + counts[2]));
  }
  json_time(o, "started_at", s.started_at);
  json_time(o, "now", wall_now());
  reply(c, 200, o);
}

/* Prometheus text: one line per sample, with HELP and TYPE. */
static void metric(struct buf *b, const char *name, const char *type, const char *help,
                   double value) {
  buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, value);
}

struct source_counts {
  int64_t sources;
  int64_t failing; /* last error set */
};

static int count_source(void *ctx, const struct source_row *row) {
  struct source_counts *sc = ctx;
  sc->sources++;
  if (row->last_error && *row->last_error)
    sc->failing++;
  return MS_OK;
}

/* GET /metrics (administrators: it describes every account). */
static void metrics(struct api_ctx *c) {
  static const char *const names[] = {"available", "running", "retryable",
                                      "completed", "failed",  "cancelled"};
  struct state_copy s;
  struct source_counts sc = {0, 0};
  int64_t counts[6] = {0};
  struct err err = {0};
  struct buf *b = &c->res->body;
  int rc = c->st->ops->job_counts(c->st, counts, &err);
  copy_state(c, &s);
  if (!rc)
    rc = c->st->ops->source_list(c->st, count_source, &sc, &err);
  if (rc) {
    reply_code(c, MS_EDB, NULL, &err);
    return;
  }
  c->res->status = 200;
  c->res->content_type = "text/plain; version=0.0.4; charset=utf-8";
  buf_puts(b, "# HELP marketsync_jobs Jobs in the queue by state.\n# TYPE marketsync_jobs gauge\n");
  for (int i = 0; i < 6; i++)
    buf_printf(b, "marketsync_jobs{state=\"%s\"} %lld\n", names[i], (long long)counts[i]);
  metric(b, "marketsync_sources", "gauge", "Sources configured.", (double)sc.sources);
  metric(b, "marketsync_up", "gauge", "1 while the scheduler made a pass in the last minute.",
         scheduler_alive(&s));
  metric(b, "marketsync_workers", "gauge", "Worker threads.", s.workers);
  metric(b, "marketsync_jobs_running", "gauge", "Jobs running now (any process).",
         (double)counts[1]);
  metric(b, "marketsync_jobs_run_total", "counter", "Jobs run since start.", (double)s.jobs_run);
  metric(b, "marketsync_jobs_completed_total", "counter", "Jobs completed since start.",
         (double)s.jobs_completed);
  metric(b, "marketsync_start_time_seconds", "gauge", "When the service started (Unix time).",
         (double)s.started_at);
}

const struct route routes_system[] =
    {
        {"GET", "/healthz", healthz, ROUTE_PUBLIC},
        {"GET", "/health", healthz, ROUTE_PUBLIC}, /* what --listen answered before the API */
        {"GET", "/api/system", system_status, 0},
        {"GET", "/metrics", metrics, ROUTE_ADMIN},
        {NULL},
};
