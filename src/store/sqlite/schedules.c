/* Schedules: when runs are made, and of what.
 *
 * The store keeps a schedule's spec as the user wrote it (the engine reads
 * it) and the state of its firing: the last due time that became a job,
 * the runs made that day and the next due time. A due time becomes a job
 * by moving last_due from the value the scheduler read to the new one in
 * the job's own transaction (compare and set), so of several schedulers
 * sharing a database exactly one makes each run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"
#include "util/tz.h"

#define SCHEDULE_COLS                                                                              \
  "id, name, spec, timezone, enabled, created_at, updated_at, last_due, day_runs, next_due, "      \
  "last_run_id, last_status"

#define STATUS_MAX sizeof(((struct schedule_row *)0)->last_status)

static int is_unique_violation(int rc) {
  return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

/* What add and update write; created_at is add's own. */
static int schedule_check(const struct schedule_row *r, struct err *err) {
  int rc = check_name("the schedule name", r->name, sizeof(r->name), err);
  if (!rc)
    rc = check_json_object("the schedule's spec", r->spec, SCHEDULE_SPEC_MAX, err);
  if (!rc)
    rc = check_name("the schedule's time zone", r->timezone, sizeof(r->timezone), err);
  if (!rc)
    rc = check_time("the schedule's change time", r->updated_at, err);
  if (!rc && r->next_due < 0)
    rc = err_set(err, MS_EINVAL, "the schedule's next due time cannot be negative");
  return rc;
}

static int name_taken(const char *name, struct err *err) {
  return err_set(err, MS_EEXIST,
                 "a schedule named \"%s\" already exists; pick another name or change that one",
                 name);
}

/* Fills out from a row in SCHEDULE_COLS order; on failure nothing is held. */
static int schedule_read(sqlite3_stmt *q, void *out) {
  struct schedule_row *r = out;
  int rc;
  memset(r, 0, sizeof(*r));
  r->id = sqlite3_column_int64(q, 0);
  col_copy(q, 1, r->name, sizeof(r->name));
  rc = col_dup(q, 2, &r->spec);
  col_copy(q, 3, r->timezone, sizeof(r->timezone));
  r->enabled = sqlite3_column_int(q, 4);
  r->created_at = sqlite3_column_int64(q, 5);
  r->updated_at = sqlite3_column_int64(q, 6);
  r->last_due = sqlite3_column_int64(q, 7);
  r->day_runs = sqlite3_column_int64(q, 8);
  r->next_due = sqlite3_column_int64(q, 9);
  r->last_run_id = sqlite3_column_int64(q, 10);
  col_copy(q, 11, r->last_status, sizeof(r->last_status));
  if (rc)
    schedule_row_release(r);
  return rc;
}

static void schedule_forget(void *row) {
  schedule_row_release(row);
}

/* The one schedule a lookup finds, or MS_ENOTFOUND saying `missing`. */
static int schedule_fetch(struct sqlite_store *s, const char *sql, struct args a,
                          struct schedule_row *out, const char *missing, struct err *err) {
  struct schedule_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(s, sql, a, sizeof(*v), schedule_read, schedule_forget, 1, (void **)&v, &n, err,
                     "reading a schedule");
  memset(out, 0, sizeof(*out));
  if (!rc && n == 0)
    rc = err_set(err, MS_ENOTFOUND, "%s", missing);
  if (!rc)
    *out = v[0];
  free(v);
  return rc;
}

static int id_row(void *ctx, sqlite3_stmt *q) {
  *(int64_t *)ctx = sqlite3_column_int64(q, 0);
  return MS_OK;
}

int sqlite_schedule_add(struct store *st, struct schedule_row *r, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_time("the schedule's creation time", r->created_at, err);
  if (!rc && !r->updated_at)
    r->updated_at = r->created_at;
  if (!rc)
    rc = schedule_check(r, err);
  if (rc)
    return rc;
  rc = q_each(s,
              "INSERT INTO schedules (name, spec, timezone, enabled, created_at, updated_at, "
              "last_due, day_runs, next_due, last_run_id, last_status) VALUES (?1, ?2, ?3, ?4, "
              "?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
              ARGS(A_TEXT(r->name), A_TEXT(r->spec), A_TEXT(r->timezone), A_INT(r->enabled != 0),
                   A_INT(r->created_at), A_INT(r->updated_at), A_INT(r->last_due),
                   A_INT(r->day_runs), A_INT(r->next_due), A_INT(r->last_run_id),
                   A_TEXT(r->last_status)),
              id_row, &r->id, err, "adding the schedule");
  if (rc && is_unique_violation(s->last_rc))
    return name_taken(r->name, err);
  return rc;
}

int sqlite_schedule_get(struct store *st, const char *name, struct schedule_row *out,
                        struct err *err) {
  char missing[MS_ERR_MSG_MAX];
  snprintf(missing, sizeof(missing),
           "no schedule named \"%s\"; `marketsync schedule list` shows the configured ones",
           name ? name : "");
  return schedule_fetch(backend(st), "SELECT " SCHEDULE_COLS " FROM schedules WHERE name = ?1",
                        ARGS(A_TEXT(name ? name : "")), out, missing, err);
}

int sqlite_schedule_get_id(struct store *st, int64_t id, struct schedule_row *out,
                           struct err *err) {
  char missing[80];
  snprintf(missing, sizeof(missing), "there is no schedule with id %lld (was it removed?)",
           (long long)id);
  return schedule_fetch(backend(st), "SELECT " SCHEDULE_COLS " FROM schedules WHERE id = ?1",
                        ARGS(A_INT(id)), out, missing, err);
}

#define SCHEDULES_MAX 100000 /* a list holds no more; far more than anyone configures */

int sqlite_schedule_list(struct store *st, schedule_cb cb, void *ctx, struct err *err) {
  struct schedule_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(backend(st), "SELECT " SCHEDULE_COLS " FROM schedules ORDER BY name", NO_ARGS,
                     sizeof(*v), schedule_read, schedule_forget, SCHEDULES_MAX, (void **)&v, &n,
                     err, "listing schedules");
  for (size_t i = 0; i < n && !rc; i++)
    rc = cb(ctx, &v[i]);
  for (size_t i = 0; i < n; i++)
    schedule_row_release(&v[i]);
  free(v);
  return rc;
}

int sqlite_schedule_update(struct store *st, const struct schedule_row *r, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = schedule_check(r, err);
  if (rc)
    return rc;
  rc = q_each(s,
              "UPDATE schedules SET name = ?2, spec = ?3, timezone = ?4, enabled = ?5, "
              "next_due = ?6, updated_at = ?7 WHERE id = ?1",
              ARGS(A_INT(r->id), A_TEXT(r->name), A_TEXT(r->spec), A_TEXT(r->timezone),
                   A_INT(r->enabled != 0), A_INT(r->next_due), A_INT(r->updated_at)),
              NULL, NULL, err, "changing the schedule");
  if (rc && is_unique_violation(s->last_rc))
    return name_taken(r->name, err);
  if (!rc && q_changes(s) == 0)
    return err_set(err, MS_ENOTFOUND, "there is no schedule with id %lld (was it removed?)",
                   (long long)r->id);
  return rc;
}

/* Its jobs stay, as history: schedule_id becomes NULL (ON DELETE SET NULL). */
int sqlite_schedule_remove(struct store *st, const char *name, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = q_each(s, "DELETE FROM schedules WHERE name = ?1", ARGS(A_TEXT(name ? name : "")), NULL,
                  NULL, err, "removing the schedule");
  if (!rc && q_changes(s) == 0)
    return err_set(err, MS_ENOTFOUND,
                   "no schedule named \"%s\"; `marketsync schedule list` shows the configured ones",
                   name ? name : "");
  return rc;
}

/* ---- firing ------------------------------------------------------------------ */

/* Inside the transaction, after the compare and set matched nothing: why. */
static int fire_refused(struct sqlite_store *s, int64_t id, int64_t due, struct err *err) {
  char at[TIME_STR_LEN], last[TIME_STR_LEN];
  struct schedule_row r;
  int rc = sqlite_schedule_get_id(&s->base, id, &r, err);
  if (rc)
    return rc;
  time_format(due, 0, 1, at);
  time_format(r.last_due, 0, 1, last);
  if (!r.enabled)
    rc = err_set(err, MS_EINVAL, "schedule %s is disabled; it makes no runs until enabled", r.name);
  else
    rc = err_set(err, MS_EEXIST,
                 "schedule %s: the run due at %s was made already (by another scheduler): its "
                 "last due time is %s",
                 r.name, at, last);
  schedule_row_release(&r);
  return rc;
}

/* Names the schedule in an overlap's message. */
static void fire_overlap(struct sqlite_store *s, int64_t id, int64_t due, struct err *err) {
  char at[TIME_STR_LEN];
  struct schedule_row r;
  time_format(due, 0, 1, at);
  if (sqlite_schedule_get_id(&s->base, id, &r, NULL) == MS_OK) {
    err_prefix(err, "schedule %s, run due at %s (counted as made)", r.name, at);
    schedule_row_release(&r);
  }
}

static int fire_check(int64_t expect_last_due, int64_t due, int64_t day_runs, int64_t next_due,
                      const struct job_row *job, struct err *err) {
  if (!job)
    return err_set(err, MS_EINVAL, "a schedule fires with the job it makes");
  if (due <= 0 || due <= expect_last_due)
    return err_set(err, MS_EINVAL,
                   "a schedule's due time moves forward: %lld does not come after %lld",
                   (long long)due, (long long)expect_last_due);
  if (day_runs < 0 || next_due < 0)
    return err_set(err, MS_EINVAL,
                   "a schedule's runs of the day and next due time cannot be "
                   "negative");
  return MS_OK;
}

/* Inside the transaction: the due run counted (compare and set), then its
 * job; an overlap leaves the count and says so. */
static int fire_in(struct sqlite_store *s, int64_t id, int64_t expect_last_due, int64_t due,
                   int64_t day_runs, int64_t next_due, struct job_row *job, int *overlap,
                   struct err *err) {
  int rc =
      q_each(s,
             "UPDATE schedules SET last_due = ?3, day_runs = ?4, next_due = ?5 "
             "WHERE id = ?1 AND last_due = ?2 AND enabled = 1",
             ARGS(A_INT(id), A_INT(expect_last_due), A_INT(due), A_INT(day_runs), A_INT(next_due)),
             NULL, NULL, err, "firing the schedule");
  if (rc)
    return rc;
  if (q_changes(s) == 0)
    return fire_refused(s, id, due, err);
  job->schedule_id = id;
  job->due = due;
  if (!job->trigger[0])
    snprintf(job->trigger, sizeof(job->trigger), "schedule");
  return job_enqueue_in(s, job, overlap, err);
}

/* After an overlap: the due time is over with no job, and stays counted. */
static int fire_keep_count(struct sqlite_store *s, int64_t id, int64_t due, struct err *err) {
  int rc;
  fire_overlap(s, id, due, err);
  rc = tx_commit(s, err);
  if (rc) {
    tx_rollback(s);
    return rc;
  }
  return MS_EBUSY;
}

int sqlite_schedule_fire(struct store *st, int64_t schedule_id, int64_t expect_last_due,
                         int64_t due, int64_t day_runs, int64_t next_due, struct job_row *job,
                         struct err *err) {
  struct sqlite_store *s = backend(st);
  int overlap = 0, rc = fire_check(expect_last_due, due, day_runs, next_due, job, err);
  if (rc)
    return rc;
  job->id = 0;
  rc = tx_begin(s, err);
  if (rc)
    return rc;
  rc = fire_in(s, schedule_id, expect_last_due, due, day_runs, next_due, job, &overlap, err);
  if (rc && overlap)
    return fire_keep_count(s, schedule_id, due, err);
  if (!rc)
    rc = tx_commit(s, err);
  if (rc) {
    tx_rollback(s);
    job->id = 0;
  }
  return rc;
}

/* A run older than the one recorded (reported late) changes nothing. */
int sqlite_schedule_ran(struct store *st, int64_t schedule_id, int64_t run_id, const char *status,
                        struct err *err) {
  struct sqlite_store *s = backend(st);
  int64_t have = 0;
  int found = 0, rc = check_name("the run status", status, STATUS_MAX, err);
  if (!rc)
    rc = q_each(s,
                "UPDATE schedules SET last_run_id = ?2, last_status = ?3 "
                "WHERE id = ?1 AND last_run_id <= ?2",
                ARGS(A_INT(schedule_id), A_INT(run_id), A_TEXT(status)), NULL, NULL, err,
                "recording the schedule's run");
  if (rc || q_changes(s) > 0)
    return rc;
  rc = q_int(s, "SELECT last_run_id FROM schedules WHERE id = ?1", ARGS(A_INT(schedule_id)), &have,
             &found, err, "reading the schedule");
  if (!rc && !found)
    return err_set(err, MS_ENOTFOUND, "there is no schedule with id %lld (was it removed?)",
                   (long long)schedule_id);
  return rc;
}
