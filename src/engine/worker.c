#include "engine/worker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "engine/health.h"
#include "engine/schedule.h"
#include "util/clock.h"
#include "util/log.h"

int64_t job_backoff(int attempt, double u) {
  double wait = JOB_BACKOFF_FIRST * pow(2, attempt > 1 ? attempt - 1 : 0);
  if (wait > JOB_BACKOFF_MAX)
    wait = JOB_BACKOFF_MAX;
  return (int64_t)(wait * (0.8 + 0.4 * u));
}

/* The job being worked on, for the page loop's events. */
struct running {
  struct store *st;
  const struct worker_opts *o;
  struct job_row *job;
  int lease_secs;
  double last_beat;            /* monotonic */
  volatile sig_atomic_t stop;  /* the page loop's stop flag for this job */
  int lost;                    /* the lease was lost: another worker has the job now */
  struct source_health health; /* which sources took part, which failed */
};

/* Renews the lease every third of it; a lost lease stops the run at once:
 * another worker rescued the job, and two must never run it. */
static void beat(struct running *r) {
  struct err err = {0};
  int rc;
  if (mono_now() - r->last_beat < r->lease_secs / 3.0)
    return;
  r->last_beat = mono_now();
  rc = r->st->ops->job_heartbeat(r->st, r->job->id, r->job->lease_token, wall_now(), r->lease_secs,
                                 &err);
  if (rc == MS_ELEASE) {
    log_error(rc, "job %lld: its lease was lost (another worker took it over); stopping",
              (long long)r->job->id);
    r->lost = 1;
    r->stop = 1;
  } else if (rc) {
    log_warn("job %lld: the lease could not be renewed: %s", (long long)r->job->id, err.msg);
  }
}

static void on_event(void *ctx, const struct sync_event *ev) {
  struct running *r = ctx;
  if (r->o->stop && *r->o->stop)
    r->stop = 1;
  switch (ev->kind) {
  case SYNC_EV_DAY_FAILED:
  case SYNC_EV_SOURCE_DEAD:
  case SYNC_EV_STREAM_DEAD:
    health_note(&r->health, ev->source, 1, ev->message);
    break;
  case SYNC_EV_DAY_DONE:
  case SYNC_EV_PAGE:
    health_note(&r->health, ev->source, 0, NULL);
    break;
  default:
    break;
  }
  beat(r);
  if (r->o->sync.on_event)
    r->o->sync.on_event(r->o->sync.ctx, ev);
}

/* Whether the run left work undone that another try may do. */
static int run_fell_short(const struct sync_report *rep) {
  const struct sync_stats *s = &rep->stats;
  return s->days_failed || s->passes_failed || s->days_skipped || s->passes_skipped ||
         rep->failed_sources;
}

static void outcome_set(struct job_outcome *out, const char *state, const char *why) {
  snprintf(out->state, sizeof(out->state), "%s", state);
  snprintf(out->error, sizeof(out->error), "%s", why ? why : "");
}

/* Runs a claimed job; fills out. */
static void work(struct store *st, const struct worker_opts *o, struct job_row *job,
                 struct job_outcome *out) {
  struct schedule_spec request;
  struct sync_request rq = {0};
  struct sync_report rep;
  struct running r;
  struct err err = {0};
  char why[MS_ERR_MSG_MAX] = "";
  int rc;
  memset(&r, 0, sizeof(r));
  memset(&rep, 0, sizeof(rep));
  r.st = st;
  r.o = o;
  r.job = job;
  r.lease_secs = o->lease_secs ? o->lease_secs : JOB_LEASE_SECS;
  r.last_beat = mono_now();
  rc = schedule_spec_read(job->request, 0, &request, &err);
  if (rc) {
    outcome_set(out, "failed", err.msg);
    return;
  }
  schedule_spec_request(&request, &rq);
  rq.trigger = job->trigger[0] ? job->trigger : "schedule";
  rq.schedule_id = job->schedule_id;
  rq.job_id = job->id;
  rq.opts = o->sync;
  rq.opts.owner = o->owner;
  rq.opts.stop = &r.stop;
  rq.opts.on_event = on_event;
  rq.opts.ctx = &r;
  rc = engine_sync(st, &rq, &rep, &err);
  out->run_id = rep.run.id;
  out->stats = rep.stats;
  for (size_t i = 0; i < rep.nsources; i++) {
    health_note(&r.health, rep.sources[i].name, rep.sources[i].failed, rep.sources[i].error);
    if (rep.sources[i].failed)
      log_error(MS_EINVAL, "job %lld: %s is skipped: %s", (long long)job->id, rep.sources[i].name,
                rep.sources[i].error);
  }
  if (r.lost) {
    outcome_set(out, "lost", "another worker took the job over");
  } else if (rc == MS_EINTR) {
    outcome_set(out, "available", "released unfinished: the worker was asked to stop");
  } else if (rc == MS_ENOTFOUND || (rc == MS_EINVAL && !rep.run.id)) {
    outcome_set(out, "failed", err.msg); /* a source or stream that is gone: no retry helps */
  } else if (rc || run_fell_short(&rep)) {
    if (rc)
      snprintf(why, sizeof(why), "%s", err.msg);
    else
      snprintf(why, sizeof(why),
               "%lld days and %lld passes failed, %lld skipped, %d sources could not take part",
               (long long)rep.stats.days_failed, (long long)rep.stats.passes_failed,
               (long long)(rep.stats.days_skipped + rep.stats.passes_skipped), rep.failed_sources);
    outcome_set(out, job->attempts < job->max_attempts ? "retryable" : "failed", why);
  } else {
    outcome_set(out, "completed", NULL);
  }
  /* A run cut short by a stop says nothing of the sources' health. */
  if (!r.lost && rc != MS_EINTR)
    health_record(st, &r.health, rep.run.id, wall_now(), o->fail_streak_alert);
  health_release(&r.health);
  sync_report_release(&rep);
  schedule_spec_release(&request);
}

/* The SKU report reads a daily summary where it is up to date and counts
 * the other days from the orders (11 s against 2 s for a year of 1,000,000
 * orders, docs/reports.md). Refreshing it after every job that synced keeps
 * it current without a schedule of its own, and costs only the days the
 * job changed. A failure costs speed, never a wrong figure: the job's
 * outcome stands. */
static void refresh_summary(struct store *st, int64_t job_id) {
  struct err err = {0};
  if (st->ops->report_refresh && st->ops->report_refresh(st, 0, wall_now(), NULL, &err))
    log_warn("job %lld: the SKU report's summary was not refreshed: %s", (long long)job_id,
             err.msg);
}

int worker_run_one(struct store *st, const struct worker_opts *o, struct job_outcome *out,
                   struct err *err) {
  struct job_row job = {0};
  int lease = o->lease_secs ? o->lease_secs : JOB_LEASE_SECS;
  int64_t run_after = 0;
  int rc;
  memset(out, 0, sizeof(*out));
  rc = st->ops->job_claim(st, o->owner, wall_now(), lease, &job, err);
  if (rc)
    return rc;
  out->job_id = job.id;
  log_info("job %lld: try %d of %d (%s)", (long long)job.id, job.attempts, job.max_attempts,
           job.trigger);
  work(st, o, &job, out);
  if (strcmp(out->state, "lost") != 0) {
    struct err ferr = {0};
    if (strcmp(out->state, "retryable") == 0)
      run_after = wall_now() + job_backoff(job.attempts, randombytes_uniform(1000000) / 1e6);
    rc = st->ops->job_finish(st, job.id, job.lease_token, out->state, wall_now(), run_after,
                             out->run_id, out->error[0] ? out->error : NULL, &ferr);
    if (rc == MS_ELEASE)
      snprintf(out->state, sizeof(out->state), "lost");
    else if (rc)
      log_error(rc, "job %lld: its end could not be recorded: %s", (long long)job.id, ferr.msg);
    if (job.schedule_id && out->run_id)
      st->ops->schedule_ran(st, job.schedule_id, out->run_id, out->state, &ferr);
    if (out->run_id)
      refresh_summary(st, job.id);
  }
  log_info("job %lld: %s%s%s", (long long)job.id, out->state, out->error[0] ? ": " : "",
           out->error);
  job_row_release(&job);
  return MS_OK;
}
