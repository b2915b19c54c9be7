/* Schedules: what a schedule asks for, when it is due, and how each due
 * run becomes exactly one job.
 *
 * A schedule's spec is stored as JSON (store.h, struct schedule_row):
 *
 *   {"sources":["a","b"], "streams":["orders"], "mode":"new",
 *    "every":7200 | "cron":"0 2 * * *" | "daily_at":"02:00",
 *    "between":"06:00-22:00", "max_runs_per_day":4,
 *    "range":"last-7-days" | {"from":"2026-01-01","to":"2026-01-31"}}
 *
 * No sources means every source (those added later too); no streams means
 * each source's own choice. A job's request is the same JSON without the
 * timing, so a job can be read back into a sync request on any worker.
 *
 * The scheduler keeps, per schedule, the due time of the last run it made
 * (last_due), how many it made on that run's local day, and the next due
 * time. When it was not running for a while, it makes one run for the
 * latest due time that passed, not one per missed time: a sync catches up
 * with everything anyway. */
#ifndef MS_ENGINE_SCHEDULE_H
#define MS_ENGINE_SCHEDULE_H

#include "engine/run.h"
#include "store/store.h"
#include "util/schedule_time.h"

#define SCHEDULE_NAMES_MAX 1000 /* sources or streams a schedule names */
#define JOB_ATTEMPTS_DEFAULT 5  /* tries of a job before it fails for good */

struct schedule_spec {
  char **sources; /* owned; none: every source */
  int nsources;
  char **streams; /* owned; none: each source's own choice */
  int nstreams;
  enum sync_mode mode;
  int has_timing;                    /* a schedule's spec: 1; a job's request: 0 */
  struct schedule_timing timing;     /* when it is due */
  char cron_text[CRON_EXPR_MAX + 1]; /* SCHEDULE_CRON: the expression as written */
  int has_range;                     /* which days (day-sliced streams); else the default */
  enum range_preset range;           /* when has_range */
  struct civil_date from, to;        /* RANGE_CUSTOM */
};

/* Reads a spec (need_timing: a schedule's; else a job's request). MS_EINVAL
 * with a sentence naming what is wrong. */
int schedule_spec_read(const char *json, int need_timing, struct schedule_spec *out,
                       struct err *err);
/* The JSON of a spec (with_timing: the schedule's; else the request). */
int schedule_spec_write(const struct schedule_spec *s, int with_timing, char **json);
void schedule_spec_release(struct schedule_spec *s);
/* Checks the timing can ever be due (e.g. "every 6h between 07:00-11:00"
 * cannot). */
int schedule_spec_check(const struct schedule_spec *s, struct err *err);
/* "every 2h between 06:00-22:00, at most 4 a day" */
void schedule_timing_describe(const struct schedule_spec *s, char *out, size_t n);
/* "last-7-days", "2026-01-01..2026-01-31" or "pending days and today" */
void schedule_range_describe(const struct schedule_spec *s, char *out, size_t n);

/* The sync request a spec asks for; its names are borrowed from s. */
void schedule_spec_request(const struct schedule_spec *s, struct sync_request *rq);

/* The next due time strictly after `after`, given the runs already made on
 * after's local day in the schedule's zone. */
int schedule_due_after(const struct schedule_spec *s, struct tz *zone, int64_t after,
                       int runs_in_day, int64_t *next, struct err *err);

/* Makes a schedule row ready to save (add or edit): checks the zone (when
 * zone is given it becomes the row's), that the timing can ever be due and
 * that the sources named exist, writes the spec into the row and its next
 * due time after now (counting the runs already made today). MS_EINVAL or
 * MS_ENOTFOUND with a sentence. */
int schedule_prepare(struct store *st, struct schedule_row *row, const struct schedule_spec *s,
                     const char *zone, int64_t now, struct err *err);

/* The next due time after now for a row and its spec. */
int schedule_next_due(struct schedule_row *row, const struct schedule_spec *s, int64_t now,
                      struct err *err);

/* What one pass of the scheduler did. */
struct tick_report {
  int fired;    /* due runs that became jobs */
  int overlaps; /* due runs not enqueued: a job of the same targets was waiting or running */
  int taken;    /* due runs another scheduler made first */
  int failed;   /* schedules that could not be read or fired (logged) */
  int64_t next; /* the earliest next due time of an enabled schedule; 0: none */
};

/* Makes a job of every enabled schedule whose next due time has come
 * (one job for the latest due time that passed). Safe with several
 * schedulers on one database: each due run becomes one job. */
int schedule_tick(struct store *st, int64_t now, struct tick_report *rep, struct err *err);

/* The JSON list of "source/stream/mode" a request covers now (every source
 * when it names none; each source's streams when it names none): the
 * targets that two jobs waiting or running may not share. */
int job_targets(struct store *st, const struct sync_request *rq, char **json, struct err *err);

/* Enqueues a job for the request by hand (trigger "cli", "api", "quick")
 * or for a schedule run now (schedule_id). MS_EBUSY when it would overlap
 * a job waiting or running (err names it). job->id is set. */
int job_submit(struct store *st, const struct schedule_spec *request, const char *trigger,
               int64_t schedule_id, int64_t now, struct job_row *job, struct err *err);

#endif
