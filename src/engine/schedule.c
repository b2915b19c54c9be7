#include "engine/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/json.h"
#include "util/log.h"

/* ---- the spec ------------------------------------------------------------- */

static int names_read(const cJSON *list, const char *what, char ***out, int *n, struct err *err) {
  const cJSON *e;
  *out = NULL;
  *n = 0;
  if (!list || cJSON_IsNull(list))
    return MS_OK;
  if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > SCHEDULE_NAMES_MAX)
    return err_set(err, MS_EINVAL, "\"%s\" must be a list of at most %d names", what,
                   SCHEDULE_NAMES_MAX);
  *out = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(**out));
  if (!*out)
    return err_set(err, MS_ENOMEM, "out of memory");
  cJSON_ArrayForEach(e, list) {
    if (!cJSON_IsString(e) || !*e->valuestring || strlen(e->valuestring) >= MS_NAME_MAX)
      return err_set(err, MS_EINVAL, "\"%s\" holds something that is not a name", what);
    (*out)[*n] = strdup(e->valuestring);
    if (!(*out)[(*n)++])
      return err_set(err, MS_ENOMEM, "out of memory");
  }
  return MS_OK;
}

static void names_free(char **v, int n) {
  for (int i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void schedule_spec_release(struct schedule_spec *s) {
  if (!s)
    return;
  names_free(s->sources, s->nsources);
  names_free(s->streams, s->nstreams);
  memset(s, 0, sizeof(*s));
}

static int timing_read(const cJSON *root, struct schedule_spec *s, struct err *err) {
  const cJSON *every = cJSON_GetObjectItemCaseSensitive(root, "every");
  const char *cron = jstr(root, "cron"), *daily = jstr(root, "daily_at");
  const char *between = jstr(root, "between");
  const cJSON *max = cJSON_GetObjectItemCaseSensitive(root, "max_runs_per_day");
  struct schedule_timing *t = &s->timing;
  int kinds = (every != NULL) + (cron != NULL) + (daily != NULL), rc = MS_OK;
  if (kinds != 1)
    return err_set(err, MS_EINVAL, "a schedule needs exactly one of every, cron and daily_at");
  if (every) {
    if (!cJSON_IsNumber(every) || every->valuedouble < SCHEDULE_EVERY_MIN ||
        every->valuedouble > SCHEDULE_EVERY_MAX || (int)every->valuedouble % 60)
      return err_set(err, MS_EINVAL, "every must be whole minutes from 1m to 24h");
    t->kind = SCHEDULE_EVERY;
    t->every = (int)every->valuedouble;
  } else if (cron) {
    t->kind = SCHEDULE_CRON;
    if (strlen(cron) > CRON_EXPR_MAX)
      return err_set(err, MS_EINVAL, "the cron expression is longer than %d bytes", CRON_EXPR_MAX);
    snprintf(s->cron_text, sizeof(s->cron_text), "%s", cron);
    rc = cron_parse(cron, &t->cron, err);
  } else {
    t->kind = SCHEDULE_DAILY_AT;
    rc = schedule_timing_parse_daily_at(daily, &t->daily_at, err);
  }
  if (!rc && between) {
    t->has_window = 1;
    rc = schedule_timing_parse_between(between, &t->window, err);
  }
  if (!rc && max && !cJSON_IsNull(max)) {
    if (!cJSON_IsNumber(max) || max->valuedouble < 1 || max->valuedouble > SCHEDULE_MAX_RUNS_LIMIT)
      return err_set(err, MS_EINVAL, "max_runs_per_day must be from 1 to %d",
                     SCHEDULE_MAX_RUNS_LIMIT);
    t->max_runs_per_day = (int)max->valuedouble;
  }
  s->has_timing = !rc;
  return rc;
}

static int range_read(const cJSON *range, struct schedule_spec *s, struct err *err) {
  if (!range || cJSON_IsNull(range))
    return MS_OK;
  s->has_range = 1;
  if (cJSON_IsString(range)) {
    int rc = range_preset_parse(range->valuestring, &s->range, err);
    if (!rc && s->range == RANGE_CUSTOM)
      return err_set(err, MS_EINVAL, "a custom range gives its days: {\"from\":..,\"to\":..}");
    return rc;
  }
  if (cJSON_IsObject(range) && jstr(range, "from") && jstr(range, "to")) {
    char text[2 * DATE_STR_LEN + 4];
    snprintf(text, sizeof(text), "%.10s..%.10s", jstr(range, "from"), jstr(range, "to"));
    s->range = RANGE_CUSTOM;
    return range_custom_parse(text, &s->from, &s->to, err);
  }
  return err_set(err, MS_EINVAL, "range is a preset name or {\"from\":..,\"to\":..}");
}

int schedule_spec_read(const char *json, int need_timing, struct schedule_spec *out,
                       struct err *err) {
  cJSON *root = cJSON_Parse(json ? json : "");
  const char *mode;
  int rc = MS_OK;
  memset(out, 0, sizeof(*out));
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return err_set(err, MS_EINVAL, "the schedule's spec is not a JSON object");
  }
  mode = jstr(root, "mode");
  if (mode && sync_mode_parse(mode, &out->mode))
    rc = err_set(err, MS_EINVAL, "'%s' is not a mode", mode);
  if (!rc)
    rc = names_read(cJSON_GetObjectItemCaseSensitive(root, "sources"), "sources", &out->sources,
                    &out->nsources, err);
  if (!rc)
    rc = names_read(cJSON_GetObjectItemCaseSensitive(root, "streams"), "streams", &out->streams,
                    &out->nstreams, err);
  if (!rc)
    rc = range_read(cJSON_GetObjectItemCaseSensitive(root, "range"), out, err);
  if (!rc && need_timing)
    rc = timing_read(root, out, err);
  cJSON_Delete(root);
  if (rc)
    schedule_spec_release(out);
  return rc;
}

static void minute_text(int minute, char out[8]) {
  snprintf(out, 8, "%02d:%02d", (minute / 60) % 24, minute % 60);
}

static void every_text(int seconds, char *out, size_t n) {
  if (seconds % 3600 == 0)
    snprintf(out, n, "%dh", seconds / 3600);
  else
    snprintf(out, n, "%dm", seconds / 60);
}

static cJSON *names_json(char **v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < n; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
  return a;
}

int schedule_spec_write(const struct schedule_spec *s, int with_timing, char **json) {
  cJSON *o = cJSON_CreateObject();
  char a[8], b[8], text[24];
  if (!o)
    return MS_ENOMEM;
  cJSON_AddItemToObject(o, "sources", names_json(s->sources, s->nsources));
  cJSON_AddItemToObject(o, "streams", names_json(s->streams, s->nstreams));
  cJSON_AddStringToObject(o, "mode", sync_mode_name(s->mode));
  if (with_timing && s->has_timing) {
    const struct schedule_timing *t = &s->timing;
    if (t->kind == SCHEDULE_EVERY)
      cJSON_AddNumberToObject(o, "every", t->every);
    else if (t->kind == SCHEDULE_CRON)
      cJSON_AddStringToObject(o, "cron", s->cron_text);
    else {
      minute_text(t->daily_at, a);
      cJSON_AddStringToObject(o, "daily_at", a);
    }
    if (t->has_window) {
      minute_text(t->window.start, a);
      minute_text(t->window.end, b);
      snprintf(text, sizeof(text), "%s-%s", a, b);
      cJSON_AddStringToObject(o, "between", text);
    }
    if (t->max_runs_per_day)
      cJSON_AddNumberToObject(o, "max_runs_per_day", t->max_runs_per_day);
  }
  if (s->has_range && s->range == RANGE_CUSTOM) {
    char from[DATE_STR_LEN], to[DATE_STR_LEN];
    cJSON *r = cJSON_AddObjectToObject(o, "range");
    date_format(s->from, from);
    date_format(s->to, to);
    cJSON_AddStringToObject(r, "from", from);
    cJSON_AddStringToObject(r, "to", to);
  } else if (s->has_range) {
    cJSON_AddStringToObject(o, "range", range_preset_name(s->range));
  }
  *json = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return *json ? MS_OK : MS_ENOMEM;
}

int schedule_spec_check(const struct schedule_spec *s, struct err *err) {
  struct cron compiled;
  if (!s->has_timing)
    return err_set(err, MS_EINVAL, "a schedule needs --every, --cron or --daily-at");
  return schedule_timing_compile(&s->timing, &compiled, err);
}

void schedule_timing_describe(const struct schedule_spec *s, char *out, size_t n) {
  const struct schedule_timing *t = &s->timing;
  char a[8], b[8], every[16];
  size_t used;
  if (!s->has_timing) {
    snprintf(out, n, "by hand");
    return;
  }
  if (t->kind == SCHEDULE_EVERY) {
    every_text(t->every, every, sizeof(every));
    used = (size_t)snprintf(out, n, "every %s", every);
  } else if (t->kind == SCHEDULE_CRON) {
    used = (size_t)snprintf(out, n, "cron %s", s->cron_text);
  } else {
    minute_text(t->daily_at, a);
    used = (size_t)snprintf(out, n, "daily at %s", a);
  }
  if (t->has_window && used < n) {
    minute_text(t->window.start, a);
    minute_text(t->window.end, b);
    used += (size_t)snprintf(out + used, n - used, " between %s-%s", a, b);
  }
  if (t->max_runs_per_day && used < n)
    snprintf(out + used, n - used, ", at most %d a day", t->max_runs_per_day);
}

void schedule_range_describe(const struct schedule_spec *s, char *out, size_t n) {
  char from[DATE_STR_LEN], to[DATE_STR_LEN];
  if (!s->has_range) {
    snprintf(out, n, "today and pending days");
  } else if (s->range == RANGE_CUSTOM) {
    date_format(s->from, from);
    date_format(s->to, to);
    snprintf(out, n, "%s..%s", from, to);
  } else {
    snprintf(out, n, "%s", range_preset_name(s->range));
  }
}

void schedule_spec_request(const struct schedule_spec *s, struct sync_request *rq) {
  rq->sources = s->sources;
  rq->nsources = s->nsources;
  rq->streams = s->streams;
  rq->nstreams = s->nstreams;
  rq->mode = s->mode;
  memset(&rq->days, 0, sizeof(rq->days));
  if (s->has_range) {
    rq->days.choice = DAYS_RANGE;
    rq->days.preset = s->range;
    rq->days.from = s->from;
    rq->days.to = s->to;
  }
}

int schedule_due_after(const struct schedule_spec *s, struct tz *zone, int64_t after,
                       int runs_in_day, int64_t *next, struct err *err) {
  if (!s->has_timing)
    return err_set(err, MS_EINVAL, "the schedule has no timing");
  return schedule_next(&s->timing, zone, after, runs_in_day, next, err);
}

/* ---- targets and jobs --------------------------------------------------------- */

/* Appends "source/stream/mode" for each stream the source syncs. */
static int source_targets(const struct source_row *row, const struct sync_request *rq, cJSON *out) {
  const struct connector *conn = NULL;
  const struct stream_def *const *offered;
  if (connector_for_row(row, &conn, NULL))
    conn = NULL; /* its spec cannot be read now: the job's run says so */
  offered = conn ? conn->streams : NULL;
  cJSON *settings = cJSON_Parse(row->settings ? row->settings : "{}");
  const cJSON *chosen = cJSON_GetObjectItemCaseSensitive(settings, "streams"), *e;
  const char *mode = sync_mode_name(rq->mode);
  char target[MS_NAME_MAX + MS_STREAM_MAX + 24];
  if (rq->nstreams) {
    for (int i = 0; i < rq->nstreams; i++) {
      snprintf(target, sizeof(target), "%s/%s/%s", row->name, rq->streams[i], mode);
      cJSON_AddItemToArray(out, cJSON_CreateString(target));
    }
  } else if (cJSON_GetArraySize(chosen) > 0) {
    cJSON_ArrayForEach(e, chosen) {
      if (!cJSON_IsString(e))
        continue;
      snprintf(target, sizeof(target), "%s/%s/%s", row->name, e->valuestring, mode);
      cJSON_AddItemToArray(out, cJSON_CreateString(target));
    }
  } else {
    for (size_t i = 0; offered && offered[i]; i++) {
      snprintf(target, sizeof(target), "%s/%s/%s", row->name, offered[i]->name, mode);
      cJSON_AddItemToArray(out, cJSON_CreateString(target));
    }
  }
  cJSON_Delete(settings);
  return MS_OK;
}

struct targets_ctx {
  const struct sync_request *rq;
  cJSON *list;
};

static int all_targets(void *ctx, const struct source_row *row) {
  struct targets_ctx *t = ctx;
  return source_targets(row, t->rq, t->list);
}

int job_targets(struct store *st, const struct sync_request *rq, char **json, struct err *err) {
  struct targets_ctx t = {rq, cJSON_CreateArray()};
  int rc = t.list ? MS_OK : err_set(err, MS_ENOMEM, "out of memory");
  *json = NULL;
  if (!rc && rq->nsources == 0)
    rc = st->ops->source_list(st, all_targets, &t, err);
  for (int i = 0; !rc && i < rq->nsources; i++) {
    struct source_row row = {0};
    rc = st->ops->source_get(st, rq->sources[i], &row, err);
    if (rc == MS_ENOTFOUND)
      rc = err_set(err, MS_ENOTFOUND, "there is no source named '%s'", rq->sources[i]);
    if (!rc)
      rc = source_targets(&row, rq, t.list);
    source_row_release(&row);
  }
  if (!rc && !(*json = cJSON_PrintUnformatted(t.list)))
    rc = err_set(err, MS_ENOMEM, "out of memory");
  cJSON_Delete(t.list);
  return rc;
}

/* A job for the request, not yet stored. */
static int job_prepare(struct store *st, const struct schedule_spec *request, const char *trigger,
                       int64_t schedule_id, int64_t now, struct job_row *job, struct err *err) {
  struct sync_request rq = {0};
  int rc;
  memset(job, 0, sizeof(*job));
  schedule_spec_request(request, &rq);
  rc = job_targets(st, &rq, &job->targets, err);
  if (!rc && schedule_spec_write(request, 0, &job->request))
    rc = err_set(err, MS_ENOMEM, "out of memory");
  if (rc) {
    job_row_release(job);
    return rc;
  }
  job->schedule_id = schedule_id;
  snprintf(job->state, sizeof(job->state), "available");
  snprintf(job->trigger, sizeof(job->trigger), "%s", trigger);
  job->max_attempts = JOB_ATTEMPTS_DEFAULT;
  job->created_at = now;
  job->run_after = now;
  return MS_OK;
}

int job_submit(struct store *st, const struct schedule_spec *request, const char *trigger,
               int64_t schedule_id, int64_t now, struct job_row *job, struct err *err) {
  int rc = job_prepare(st, request, trigger, schedule_id, now, job, err);
  return rc ? rc : st->ops->job_enqueue(st, job, err);
}

/* ---- making and changing schedules --------------------------------------------- */

int schedule_next_due(struct schedule_row *row, const struct schedule_spec *s, int64_t now,
                      struct err *err) {
  struct tz *zone = NULL;
  int runs = 0, rc = tz_open(row->timezone, &zone, err);
  if (!rc)
    rc = schedule_runs_on_day(zone, row->last_due ? row->last_due : SCHEDULE_NEVER,
                              (int)row->day_runs, now, &runs, err);
  if (!rc)
    rc = schedule_due_after(s, zone, now, runs, &row->next_due, err);
  tz_free(zone);
  return rc;
}

int schedule_prepare(struct store *st, struct schedule_row *row, const struct schedule_spec *s,
                     const char *zone, int64_t now, struct err *err) {
  struct sync_request rq = {0};
  struct tz *tz = NULL;
  char *json = NULL;
  int rc;
  if (zone) {
    if (strlen(zone) >= sizeof(row->timezone))
      return err_set(err, MS_EINVAL, "the time zone name is too long");
    rc = tz_open(zone, &tz, err);
    tz_free(tz);
    if (rc)
      return err_set(err, MS_EINVAL, "timezone: %s", err->msg);
    snprintf(row->timezone, sizeof(row->timezone), "%s", zone);
  }
  rc = schedule_spec_check(s, err);
  if (rc)
    return rc;
  /* The sources must exist now (a schedule of every source needs none). */
  schedule_spec_request(s, &rq);
  rc = job_targets(st, &rq, &json, err);
  free(json);
  if (rc)
    return rc;
  if (schedule_spec_write(s, 1, &json))
    return err_set(err, MS_ENOMEM, "out of memory");
  free(row->spec);
  row->spec = json;
  return schedule_next_due(row, s, now, err);
}

/* ---- the scheduler ------------------------------------------------------------ */

/* The latest due time at or before now, from the stored next due time on;
 * *runs the runs made on its local day before it. Bounded: a schedule due
 * every minute that was idle for a month walks 43,200 times at most. */
static int latest_due(const struct schedule_spec *sp, struct tz *zone,
                      const struct schedule_row *row, int64_t now, int64_t *due, int *runs,
                      struct err *err) {
  int64_t d = row->next_due, next;
  int rc = schedule_runs_on_day(zone, row->last_due ? row->last_due : SCHEDULE_NEVER,
                                (int)row->day_runs, d, runs, err);
  for (int i = 0; !rc && i < 100000; i++) {
    rc = schedule_due_after(sp, zone, d, *runs, &next, err);
    if (rc || next > now)
      break;
    /* The run due at d is skipped (a later one stands for it): the day
     * counts only runs actually made. */
    rc = schedule_runs_on_day(zone, row->last_due ? row->last_due : SCHEDULE_NEVER,
                              (int)row->day_runs, next, runs, err);
    d = next;
  }
  *due = d;
  return rc;
}

static int fire_one(struct store *st, const struct schedule_row *row, int64_t now,
                    struct tick_report *rep) {
  struct schedule_spec sp;
  struct tz *zone = NULL;
  struct job_row job = {0};
  struct err err = {0};
  char when[TIME_STR_LEN] = "";
  int64_t due = 0, next = 0;
  int runs = 0, rc = schedule_spec_read(row->spec, 1, &sp, &err);
  if (!rc)
    rc = tz_open(row->timezone, &zone, &err);
  if (!rc)
    rc = latest_due(&sp, zone, row, now, &due, &runs, &err);
  if (!rc)
    rc = schedule_due_after(&sp, zone, due, runs + 1, &next, &err);
  if (rc) {
    rep->failed++;
    log_error(rc, "schedule %s cannot be read: %s", row->name, err.msg);
    goto out;
  }
  time_format(due, 0, 1, when);
  rc = job_prepare(st, &sp, "schedule", row->id, now, &job, &err);
  if (rc) {
    /* Its sources went away, say: the run is skipped and said once, and
     * the schedule moves on to its next due time. */
    struct schedule_row moved = *row;
    struct err ignored = {0};
    rep->failed++;
    log_error(rc, "schedule %s: the run due %s is skipped: %s", row->name, when, err.msg);
    moved.next_due = next;
    st->ops->schedule_update(st, &moved, &ignored);
    goto out;
  }
  job.due = due;
  rc = st->ops->schedule_fire(st, row->id, row->last_due, due, runs + 1, next, &job, &err);
  if (rc == MS_OK) {
    rep->fired++;
    log_info("schedule %s: job %lld for the run due %s", row->name, (long long)job.id, when);
  } else if (rc == MS_EBUSY) {
    rep->overlaps++;
    log_warn("schedule %s: the run due %s is skipped, as it would overlap: %s", row->name, when,
             err.msg);
  } else if (rc == MS_EEXIST) {
    rep->taken++; /* another scheduler on this database made it */
  } else {
    rep->failed++;
    log_error(rc, "schedule %s: %s", row->name, err.msg);
  }
  if (next && (!rep->next || next < rep->next))
    rep->next = next;
out:
  job_row_release(&job);
  tz_free(zone);
  schedule_spec_release(&sp);
  return MS_OK; /* one schedule's trouble never stops the others */
}

struct due_list {
  struct schedule_row *v; /* copies of the due schedules */
  size_t n, cap;
  int64_t now;
  int64_t next; /* the earliest next due time of the others */
};

static int collect_due(void *ctx, const struct schedule_row *s) {
  struct due_list *d = ctx;
  if (!s->enabled || !s->next_due)
    return MS_OK;
  if (s->next_due > d->now) {
    if (!d->next || s->next_due < d->next)
      d->next = s->next_due;
    return MS_OK;
  }
  if (array_reserve((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v), 16))
    return MS_ENOMEM;
  d->v[d->n] = *s;
  d->v[d->n].spec = strdup(s->spec ? s->spec : "{}");
  return d->v[d->n++].spec ? MS_OK : MS_ENOMEM;
}

int schedule_tick(struct store *st, int64_t now, struct tick_report *rep, struct err *err) {
  struct due_list d = {NULL, 0, 0, now, 0};
  int rc;
  memset(rep, 0, sizeof(*rep));
  /* The list is read first and fired after: firing writes the table. */
  rc = st->ops->schedule_list(st, collect_due, &d, err);
  for (size_t i = 0; !rc && i < d.n; i++)
    rc = fire_one(st, &d.v[i], now, rep);
  for (size_t i = 0; i < d.n; i++)
    free(d.v[i].spec);
  free(d.v);
  if (d.next && (!rep->next || d.next < rep->next))
    rep->next = d.next;
  return rc;
}
