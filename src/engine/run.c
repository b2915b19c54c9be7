#include "engine/run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/repair.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"

#define STREAMS_MAX 16 /* streams of one source in one run */

static const char *const mode_names[] = {"default",    "new",          "modified",     "full",
                                         "incomplete", "repair-items", "repair-prices"};

const char *sync_mode_name(enum sync_mode m) {
  return (unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "?";
}

int sync_mode_parse(const char *s, enum sync_mode *out) {
  for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
    if (strcmp(s, mode_names[i]) == 0) {
      *out = (enum sync_mode)i;
      return MS_OK;
    }
  return MS_EINVAL;
}

void sync_report_release(struct sync_report *rep) {
  if (!rep)
    return;
  run_row_release(&rep->run);
  free(rep->sources);
  memset(rep, 0, sizeof(*rep));
}

/* ---- dead runs ------------------------------------------------------------ */

struct dead_runs {
  struct run_row *rows; /* copies of the dead ones */
  size_t n;
};

static int find_dead(void *ctx, const struct run_row *r) {
  struct dead_runs *d = ctx;
  struct run_row *p;
  if (strcmp(r->status, "running") != 0 || r->pid <= 0 || r->pid == getpid())
    return MS_OK;
  if (kill((pid_t)r->pid, 0) == 0 || errno != ESRCH)
    return MS_OK; /* alive, or not ours to know */
  p = realloc(d->rows, (d->n + 1) * sizeof(*p));
  if (!p)
    return MS_ENOMEM;
  d->rows = p;
  d->rows[d->n] = *r;
  d->rows[d->n].scope = r->scope ? strdup(r->scope) : NULL;
  d->n++;
  return MS_OK;
}

void runs_close_dead(struct store *st) {
  struct dead_runs d = {NULL, 0};
  struct err err = {0};
  st->ops->run_list(st, 1000, find_dead, &d, &err);
  for (size_t i = 0; i < d.n; i++) {
    snprintf(d.rows[i].status, sizeof(d.rows[i].status), "killed");
    d.rows[i].finished_at = wall_now();
    st->ops->run_update(st, &d.rows[i], &err);
    run_row_release(&d.rows[i]);
  }
  free(d.rows);
}

/* ---- streams ----------------------------------------------------------------- */

/* Adds to out (bounded by max) every stream of all that answers to name,
 * once. */
static void add_answering(const struct stream_def *const *all, const char *name,
                          const struct stream_def **out, size_t max, size_t *n) {
  for (size_t i = 0; all && all[i]; i++) {
    int have = 0;
    if (!stream_answers_to(all[i], name))
      continue;
    for (size_t k = 0; k < *n && !have; k++)
      have = out[k] == all[i];
    if (!have && *n < max)
      out[(*n)++] = all[i];
  }
}

int session_default_streams(const struct session *s, const struct stream_def **out, size_t max,
                            size_t *n, struct err *err) {
  const struct stream_def *const *all = connector_streams(s->conn, s->cstate);
  cJSON *settings = cJSON_Parse(s->src.row.settings ? s->src.row.settings : "{}");
  const cJSON *chosen = cJSON_GetObjectItemCaseSensitive(settings, "streams"), *e;
  int rc = MS_OK;
  *n = 0;
  if (cJSON_IsArray(chosen) && cJSON_GetArraySize(chosen) > 0) {
    cJSON_ArrayForEach(e, chosen) {
      if (!cJSON_IsString(e) || !stream_offered(all, e->valuestring)) {
        rc = err_set(err, MS_EINVAL,
                     "source %s: its streams setting names '%s', which the %s "
                     "connector does not offer",
                     s->src.row.name, cJSON_IsString(e) ? e->valuestring : "?", s->conn->name);
        break;
      }
      add_answering(all, e->valuestring, out, max, n);
    }
  } else {
    for (size_t i = 0; all && all[i] && *n < max; i++)
      out[(*n)++] = all[i];
  }
  cJSON_Delete(settings);
  return rc;
}

int session_pick_streams(const struct session *s, char *const *names, int nnames,
                         const struct stream_def **out, size_t max, size_t *n, struct err *err) {
  const struct stream_def *const *all = connector_streams(s->conn, s->cstate);
  if (nnames == 0)
    return session_default_streams(s, out, max, n, err);
  *n = 0;
  for (int i = 0; i < nnames; i++)
    add_answering(all, names[i], out, max, n);
  return MS_OK;
}

/* ---- planning ----------------------------------------------------------------- */

/* A (source, stream) share of the run, in phase 1 (days, snapshots,
 * refetches) or phase 2 (windows, after the days they start from). */
struct item {
  struct session *sess;         /* borrowed */
  const struct stream_def *def; /* borrowed */
  struct key_list keys;         /* the slices */
  int64_t window_start;         /* see sync_target */
  int from_start;               /* see sync_target */
  int phase;                    /* 1 or 2 */
};

struct plan {
  struct item *items; /* owned */
  size_t n;
  size_t cap;
};

static struct item *plan_add(struct plan *p, struct session *s, const struct stream_def *def,
                             int phase) {
  if (array_reserve((void **)&p->items, &p->cap, p->n + 1, sizeof(*p->items), 16))
    return NULL;
  memset(&p->items[p->n], 0, sizeof(p->items[0]));
  p->items[p->n].sess = s;
  p->items[p->n].def = def;
  p->items[p->n].phase = phase;
  return &p->items[p->n++];
}

static void plan_release(struct plan *p) {
  for (size_t i = 0; i < p->n; i++)
    key_list_release(&p->items[i].keys);
  free(p->items);
  memset(p, 0, sizeof(*p));
}

/* A window or snapshot slice ready for a pass: made when missing, opened
 * again when its last pass completed (a window keeps its watermark); one
 * left midway goes on from its cursor. */
static int open_pass(struct store *st, struct session *s, const struct stream_def *def,
                     const char *key, struct slice *out, struct err *err) {
  int rc = st->ops->slice_ensure(st, s->src.row.id, def->name, key, err);
  if (!rc)
    rc = st->ops->slice_get(st, s->src.row.id, def->name, key, out, err);
  if (!rc && out->status == SLICE_COMPLETED) {
    rc = st->ops->slice_reset(st, s->src.row.id, def->name, key, err);
    out->status = SLICE_PENDING;
  }
  return rc;
}

struct first_pass {
  int64_t earliest; /* the API's time at the first page of the earliest completed day */
  int64_t legacy;   /* our time at the first claim of the earliest day without one */
};

/* Days completed before the store kept a pass's start (version 0.1) have
 * only our own clock: their window starts this much earlier, in case the
 * API's clock ran behind ours. */
#define CLOCK_SLACK_SECONDS 3600

static int earliest_day(void *ctx, const struct slice *sl) {
  struct first_pass *fp = ctx;
  if (sl->status != SLICE_COMPLETED)
    return MS_OK;
  if (sl->pass_start > 0 && (!fp->earliest || sl->pass_start < fp->earliest))
    fp->earliest = sl->pass_start;
  if (!sl->pass_start && sl->started_at > 0 && (!fp->legacy || sl->started_at < fp->legacy))
    fp->legacy = sl->started_at;
  return MS_OK;
}

/* The window of a stream. A day-sliced stream's first window starts when its
 * earliest completed day was fetched (by the API's clock): every change
 * since then is caught, and nothing older need be fetched again. Without
 * such a day there is nothing to catch yet. */
static int plan_window(struct store *st, struct plan *p, struct session *s,
                       const struct stream_def *def, int full, struct err *err) {
  char key[MS_KEY_MAX];
  struct civil_date none = {0, 0, 0};
  struct slice sl = {0};
  struct item *it;
  int rc;
  slice_key_make(SLICE_WINDOW, none, key);
  rc = open_pass(st, s, def, key, &sl, err);
  if (rc)
    return rc;
  it = plan_add(p, s, def, 2);
  if (!it) {
    slice_release(&sl);
    return err_set(err, MS_ENOMEM, "out of memory");
  }
  it->from_start = full;
  if (def->slicing == SLICING_BY_DAY && sl.watermark == 0 && !full) {
    struct slice_filter f = {0};
    struct first_pass fp = {0};
    f.source_id = s->src.row.id;
    f.stream = def->name;
    f.kind = SLICE_DAY;
    rc = st->ops->slice_list(st, &f, earliest_day, &fp, err);
    if (fp.legacy && (!fp.earliest || fp.legacy - CLOCK_SLACK_SECONDS < fp.earliest))
      fp.earliest = fp.legacy - CLOCK_SLACK_SECONDS;
    it->window_start = fp.earliest;
    if (!rc && !fp.earliest) {
      p->n--; /* no day fetched yet: nothing has changed since */
      slice_release(&sl);
      return MS_OK;
    }
  }
  slice_release(&sl);
  return rc ? rc : key_list_add(&it->keys, key);
}

static int plan_snapshot(struct store *st, struct plan *p, struct session *s,
                         const struct stream_def *def, struct err *err) {
  char key[MS_KEY_MAX];
  struct civil_date none = {0, 0, 0};
  struct slice sl = {0};
  struct item *it;
  int rc;
  slice_key_make(SLICE_SNAPSHOT, none, key);
  rc = open_pass(st, s, def, key, &sl, err);
  slice_release(&sl);
  if (rc)
    return rc;
  it = plan_add(p, s, def, 1);
  return !it ? err_set(err, MS_ENOMEM, "out of memory") : key_list_add(&it->keys, key);
}

int session_recent_days(const struct session *s, const struct stream_def *def) {
  cJSON *settings;
  int64_t n = def->recent_days;
  if (def->recent_days_setting) {
    settings = cJSON_Parse(s->src.row.settings ? s->src.row.settings : "{}");
    n = jint(settings, def->recent_days_setting, n);
    cJSON_Delete(settings);
  }
  return n < 0 ? 0 : n > PLAN_DAYS_MAX ? PLAN_DAYS_MAX : (int)n;
}

static int first_day(void *ctx, const struct slice *sl) {
  struct civil_date *first = ctx;
  if (sl->kind == SLICE_DAY && (first->y == 0 || date_cmp(sl->day, *first) < 0))
    *first = sl->day;
  return MS_OK;
}

/* The recent days of a stream whose days keep changing, fetched again
 * (added to `it`'s keys when not there yet): the last N days, but none
 * before the first day the stream ever had, since a source that was never
 * synced has nothing to catch up on. */
static int plan_recent(struct store *st, const struct sync_request *rq, struct item *it,
                       struct session *s, const struct stream_def *def, struct err *err) {
  struct slice_filter f = {0};
  struct civil_date first = {0, 0, 0}, today;
  struct day_range again = {0};
  struct key_list keys = {0};
  size_t skipped = 0;
  int n = session_recent_days(s, def), rc;
  if (n <= 0)
    return MS_OK;
  f.source_id = s->src.row.id;
  f.stream = def->name;
  f.kind = SLICE_DAY;
  rc = st->ops->slice_list(st, &f, first_day, &first, err);
  if (rc || first.y == 0)
    return rc;
  rc = tz_local_date(s->src.tz, wall_now(), &today);
  if (rc)
    return err_set(err, rc, "cannot compute today's date in %s", s->src.timezone);
  again.choice = DAYS_RANGE;
  again.preset = RANGE_CUSTOM;
  again.from = date_add(today, -(n - 1));
  if (date_cmp(again.from, first) < 0)
    again.from = first;
  again.to = today;
  again.resync = 1;
  again.dry = rq->days.dry;
  rc = plan_days(st, s, def, &again, &keys, &skipped, err);
  for (size_t i = 0; !rc && i < keys.n; i++) {
    int have = 0;
    for (size_t k = 0; k < it->keys.n && !have; k++)
      have = strcmp(it->keys.keys[k], keys.keys[i]) == 0;
    if (!have)
      rc = key_list_add(&it->keys, keys.keys[i]);
  }
  key_list_release(&keys);
  return rc == MS_ENOMEM ? err_set(err, rc, "out of memory") : rc;
}

/* Plans one stream of one source for the mode. */
static int plan_stream(struct store *st, const struct sync_request *rq, struct plan *p,
                       struct session *s, const struct stream_def *def, struct source_outcome *out,
                       struct sync_report *rep, struct err *err) {
  enum sync_mode m = rq->mode;
  struct item *it;
  int rc;
  if (m == SYNC_INCOMPLETE || m == SYNC_REPAIR_ITEMS || m == SYNC_REPAIR_PRICES) {
    if (def->slicing != SLICING_BY_DAY)
      return MS_OK; /* the repair passes are about orders and their lines */
    it = plan_add(p, s, def, 1);
    if (!it)
      return err_set(err, MS_ENOMEM, "out of memory");
    rc = repair_plan(st, s, def,
                     m == SYNC_REPAIR_PRICES  ? REPAIR_PRICES
                     : m == SYNC_REPAIR_ITEMS ? REPAIR_ITEMS
                                              : REPAIR_ALL,
                     &rq->days, &it->keys, &rep->repair, err);
    if (!rc && it->keys.n == 0)
      p->n--;
    return rc;
  }
  switch (def->slicing) {
  case SLICING_BY_DAY: {
    struct day_range days = rq->days;
    if (m == SYNC_FULL && days.choice == DAYS_RANGE)
      days.resync = 1;
    int recent = (m == SYNC_DEFAULT || m == SYNC_MODIFIED) && session_recent_days(s, def) > 0;
    if (m != SYNC_MODIFIED || recent) {
      it = plan_add(p, s, def, 1);
      if (!it)
        return err_set(err, MS_ENOMEM, "out of memory");
      rc = m == SYNC_MODIFIED
               ? MS_OK
               : plan_days(st, s, def, &days, &it->keys, &out->skipped_complete, err);
      /* Days whose records keep changing are fetched again. */
      if (!rc && recent)
        rc = plan_recent(st, rq, it, s, def, err);
      if (rc)
        return rc;
      if (it->keys.n == 0)
        p->n--;
    }
    if ((m == SYNC_DEFAULT || m == SYNC_MODIFIED) && (def->flags & STREAM_MODIFIED))
      return plan_window(st, p, s, def, 0, err);
    return MS_OK;
  }
  case SLICING_BY_UPDATES:
    return plan_window(st, p, s, def, m == SYNC_FULL, err);
  case SLICING_SNAPSHOT:
    return plan_snapshot(st, p, s, def, err);
  }
  return MS_OK;
}

/* ---- the run --------------------------------------------------------------- */

struct names {
  char **v; /* owned copies */
  int n;
};

static int collect_name(void *ctx, const struct source_row *s) {
  struct names *nm = ctx;
  char **p = realloc(nm->v, (size_t)(nm->n + 1) * sizeof(*p));
  if (!p)
    return MS_ENOMEM;
  nm->v = p;
  nm->v[nm->n] = strdup(s->name);
  return nm->v[nm->n++] ? MS_OK : MS_ENOMEM;
}

static void names_free(struct names *nm) {
  source_names_free(nm->v, nm->n);
}

int source_names(struct store *st, char ***names, int *n, struct err *err) {
  struct names nm = {NULL, 0};
  int rc = st->ops->source_list(st, collect_name, &nm, err);
  if (rc) {
    names_free(&nm);
    return rc;
  }
  *names = nm.v;
  *n = nm.n;
  return MS_OK;
}

void source_names_free(char **names, int n) {
  for (int i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* The streams of a session this run covers: those named (that it offers),
 * or its default ones. */
static int session_streams(const struct sync_request *rq, const struct session *s,
                           const struct stream_def **out, size_t *n, struct err *err) {
  return session_pick_streams(s, rq->streams, rq->nstreams, out, STREAMS_MAX, n, err);
}

/* Every stream named must be offered by one of the sources at least. */
static int check_streams(const struct sync_request *rq, struct session *sess, int n,
                         struct err *err) {
  for (int k = 0; k < rq->nstreams; k++) {
    int offered = 0;
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; i < n && !offered; i++) {
      const struct stream_def *const *all;
      if (!sess[i].conn)
        continue;
      all = connector_streams(sess[i].conn, sess[i].cstate);
      offered = stream_offered(all, rq->streams[k]);
      for (size_t j = 0; all && all[j] && used < sizeof(list); j++)
        if (!strstr(list, all[j]->name))
          used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
                                   all[j]->name);
    }
    if (!offered)
      return err_set(err, MS_ENOTFOUND, "no source asked for offers a stream '%s' (offered: %s)",
                     rq->streams[k], *list ? list : "none");
  }
  return MS_OK;
}

static int run_phase(struct store *st, const struct sync_request *rq, struct plan *p, int phase,
                     struct sync_report *rep, struct err *err) {
  struct sync_target *t = calloc(p->n ? p->n : 1, sizeof(*t));
  size_t n = 0;
  int rc;
  if (!t)
    return err_set(err, MS_ENOMEM, "out of memory");
  for (size_t i = 0; i < p->n; i++) {
    struct item *it = &p->items[i];
    if (it->phase != phase || it->keys.n == 0)
      continue;
    t[n].sess = it->sess;
    t[n].def = it->def;
    t[n].keys = it->keys.keys;
    t[n].nkeys = it->keys.n;
    t[n].window_start = it->window_start;
    t[n].from_start = it->from_start;
    n++;
  }
  rc = n ? sync_run(st, t, n, &rq->opts, &rep->run, &rep->stats, err) : MS_OK;
  free(t);
  return rc;
}

static void describe(const struct sync_request *rq, int nsources, char *out, size_t n) {
  snprintf(out, n, "%s: %d source%s%s%s", sync_mode_name(rq->mode), nsources,
           nsources == 1 ? "" : "s", rq->nstreams ? ", streams " : "",
           rq->nstreams ? rq->streams[0] : "");
}

/* A source that could not take part is kept in the run's slices too, with
 * why, so that the run is found by that source. */
static void note_failed_sources(struct store *st, const struct sync_report *rep,
                                const struct session *sess, int n) {
  for (int i = 0; i < n; i++) {
    struct slice sl;
    struct err ignored = {0};
    if (!rep->sources[i].failed || !sess[i].src.row.id)
      continue;
    memset(&sl, 0, sizeof(sl));
    sl.source_id = sess[i].src.row.id;
    snprintf(sl.stream, sizeof(sl.stream), "-");
    snprintf(sl.key, sizeof(sl.key), "source");
    sl.last_error = (char *)rep->sources[i].error;
    st->ops->run_slice_put(st, rep->run.id, &sl, "failed", wall_now(), &ignored);
  }
}

int engine_sync(struct store *st, const struct sync_request *rq, struct sync_report *rep,
                struct err *err) {
  struct names all = {NULL, 0};
  char **names = rq->sources;
  int n = rq->nsources, rc = MS_OK;
  struct session *sess = NULL;
  struct plan plan = {0};
  char scope[256];
  memset(rep, 0, sizeof(*rep));
  if (n == 0) {
    rc = st->ops->source_list(st, collect_name, &all, err);
    if (rc)
      return rc;
    names = all.v;
    n = all.n;
    if (n == 0) {
      names_free(&all);
      return err_set(err, MS_ENOTFOUND,
                     "there are no sources yet; add one with "
                     "'marketsync source add shopify NAME --shop ...'");
    }
  }
  sess = calloc((size_t)n, sizeof(*sess));
  rep->sources = calloc((size_t)n, sizeof(*rep->sources));
  if (!sess || !rep->sources) {
    rc = err_set(err, MS_ENOMEM, "out of memory");
    goto out;
  }
  rep->nsources = (size_t)n;
  runs_close_dead(st);
  for (int i = 0; i < n; i++) {
    struct source_outcome *o = &rep->sources[i];
    struct err why = {0};
    snprintf(o->name, sizeof(o->name), "%s", names[i]);
    rc = session_open(st, names[i], SESSION_ZONE, &sess[i], &why);
    if (rc == MS_ENOTFOUND) {
      err_set(err, rc, "%s", why.msg);
      goto out;
    }
    if (rc) {
      o->failed = 1;
      o->code = rc;
      snprintf(o->error, sizeof(o->error), "%s", why.msg);
      rep->failed_sources++;
      rc = MS_OK;
    }
  }
  rc = check_streams(rq, sess, n, err);
  for (int i = 0; i < n && !rc; i++) {
    const struct stream_def *defs[STREAMS_MAX];
    size_t nd = 0;
    struct err why = {0};
    int prc;
    if (rep->sources[i].failed)
      continue;
    prc = session_streams(rq, &sess[i], defs, &nd, &why);
    for (size_t k = 0; !prc && k < nd; k++) {
      prc = st->ops->stream_prepare(st, defs[k], &why);
      if (!prc)
        prc = plan_stream(st, rq, &plan, &sess[i], defs[k], &rep->sources[i], rep, &why);
    }
    if (prc == MS_EDB || prc == MS_EBUSY || prc == MS_ENOMEM) {
      rc = err_set(err, prc, "%s", why.msg);
      break;
    }
    if (prc) {
      /* This source cannot be planned; the others go on. */
      rep->sources[i].failed = 1;
      snprintf(rep->sources[i].error, sizeof(rep->sources[i].error), "%s", why.msg);
      rep->failed_sources++;
      continue;
    }
    rep->skipped_complete += rep->sources[i].skipped_complete;
  }
  if (rc)
    goto out;
  describe(rq, n, scope, sizeof(scope));
  snprintf(rep->run.trigger, sizeof(rep->run.trigger), "%s", rq->trigger ? rq->trigger : "cli");
  snprintf(rep->run.status, sizeof(rep->run.status), "running");
  rep->run.scope = strdup(scope);
  rep->run.started_at = wall_now();
  rep->run.pid = getpid();
  rep->run.schedule_id = rq->schedule_id;
  rep->run.job_id = rq->job_id;
  rc = st->ops->run_start(st, &rep->run, err);
  if (rc)
    goto out;
  note_failed_sources(st, rep, sess, n);
  rc = run_phase(st, rq, &plan, 1, rep, err);
  if (!rc)
    rc = run_phase(st, rq, &plan, 2, rep, err);
  if (!rc && (rq->mode == SYNC_INCOMPLETE || rq->mode == SYNC_REPAIR_PRICES ||
              rq->mode == SYNC_REPAIR_ITEMS)) {
    for (int i = 0; i < n && !rc; i++)
      if (!rep->sources[i].failed)
        rc = repair_finish(st, &sess[i],
                           rq->mode == SYNC_REPAIR_ITEMS    ? REPAIR_ITEMS
                           : rq->mode == SYNC_REPAIR_PRICES ? REPAIR_PRICES
                                                            : REPAIR_ALL,
                           &rq->days, &rep->repair, err);
  }
  rep->run.finished_at = wall_now();
  snprintf(rep->run.status, sizeof(rep->run.status), "%s",
           rc == MS_EINTR ? "interrupted"
           : rc           ? "failed"
           : rep->stats.days_failed || rep->stats.passes_failed || rep->failed_sources
               ? "partial"
               : "completed");
  if (rc && rc != MS_EINTR)
    rep->run.error = strdup(err->msg);
  else if (rep->failed_sources)
    rep->run.error = strdup("some sources could not take part: see the run's slices");
  {
    struct err uerr = {0};
    if (st->ops->run_update(st, &rep->run, &uerr))
      log_error(MS_EDB, "could not record the run: %s", uerr.msg);
    for (int i = 0; i < n; i++) {
      if (rep->sources[i].failed || !sess[i].conn)
        continue;
      sess[i].src.row.last_sync_at = rep->run.finished_at;
      st->ops->source_update(st, &sess[i].src.row, &uerr);
    }
  }
out:
  plan_release(&plan);
  for (int i = 0; sess && i < n; i++)
    session_close(&sess[i]);
  free(sess);
  names_free(&all);
  return rc;
}
