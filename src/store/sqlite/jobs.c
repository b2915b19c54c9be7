/* Jobs: the queue the service's workers take their work from.
 *
 * A job is claimed under a lease (owner, token, expiry), as a slice is: the
 * worker renews it with heartbeats, and what it writes afterwards is fenced
 * by its token, so a worker whose job was rescued by another writes nothing.
 *
 * A job that is available, running or retryable holds its targets
 * ("source/stream/mode") in job_targets, whose primary key lets one job hold
 * each. Triggers of migration 0005 keep job_targets in step with the jobs'
 * states, so the code here only changes states and lets the database refuse
 * an overlap; the refusal is then explained by naming the job in the way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"
#include "util/tz.h"

#define JOB_COLS                                                                                   \
  "id, coalesce(schedule_id, 0), due, state, trigger, request, targets, attempts, "                \
  "max_attempts, run_after, created_at, started_at, finished_at, lease_owner, lease_token, "       \
  "lease_expires, run_id, last_error"
/* A worker's write matches only while its token is current. */
#define JOB_FENCE "id = ?1 AND lease_token = ?2 AND state = 'running'"
#define JOB_ATTEMPTS_DEFAULT 3

/* In the order of job_counts. */
static const char *const job_states[] = {"available", "running", "retryable",
                                         "completed", "failed",  "cancelled"};
#define JOB_NSTATES (sizeof(job_states) / sizeof(job_states[0]))

/* The index of a state's name, or -1. */
static int job_state_index(const char *state) {
  for (size_t i = 0; state && i < JOB_NSTATES; i++)
    if (strcmp(state, job_states[i]) == 0)
      return (int)i;
  return -1;
}

/* ---- checks --------------------------------------------------------------- */

/* "source/stream/mode": three parts, none empty; the source's name MAY hold
 * a '/', so the stream and mode are the last two. */
static int target_shaped(const char *t) {
  const char *mode = strrchr(t, '/'), *stream;
  if (!mode || mode == t || !mode[1])
    return 0;
  for (stream = mode - 1; stream > t && *stream != '/'; stream--)
    ;
  return *stream == '/' && stream > t && stream + 1 < mode;
}

static int target_check(const cJSON *e, const cJSON *list, struct err *err) {
  const char *t = cJSON_IsString(e) ? e->valuestring : NULL;
  if (!t)
    return err_set(err, MS_EINVAL, "a job's targets must be strings \"source/stream/mode\"");
  if (strlen(t) >= JOB_TARGET_MAX)
    return err_set(err, MS_EINVAL, "job target \"%.40s...\" is too long (at most %d bytes)", t,
                   JOB_TARGET_MAX - 1);
  if (!target_shaped(t))
    return err_set(err, MS_EINVAL, "job target \"%s\" is not \"source/stream/mode\"", t);
  for (const cJSON *o = list->child; o != e; o = o->next)
    if (strcmp(o->valuestring, t) == 0)
      return err_set(err, MS_EINVAL, "job target \"%s\" is listed twice", t);
  return MS_OK;
}

/* NULL is no targets. */
static int targets_check(const char *targets, struct err *err) {
  cJSON *list;
  int rc = MS_OK, n = 0;
  if (!targets)
    return MS_OK;
  if (strlen(targets) > (size_t)JOB_TARGETS_MAX * JOB_TARGET_MAX)
    return err_set(err, MS_EINVAL, "a job's targets are too long (at most %d of %d bytes)",
                   JOB_TARGETS_MAX, JOB_TARGET_MAX);
  list = cJSON_Parse(targets);
  if (!cJSON_IsArray(list))
    rc = err_set(err, MS_EINVAL, "a job's targets must be a JSON array of \"source/stream/mode\"");
  for (const cJSON *e = list ? list->child : NULL; e && !rc; e = e->next)
    if (++n > JOB_TARGETS_MAX)
      rc = err_set(err, MS_EINVAL, "a job covers at most %d targets", JOB_TARGETS_MAX);
    else
      rc = target_check(e, list, err);
  cJSON_Delete(list);
  return rc;
}

/* Fills what a new job leaves to the store, then checks it whole. */
static int job_prepare(struct job_row *j, struct err *err) {
  int rc;
  if (!j->state[0])
    snprintf(j->state, sizeof(j->state), "available");
  if (!j->max_attempts)
    j->max_attempts = JOB_ATTEMPTS_DEFAULT;
  if (!j->run_after)
    j->run_after = j->created_at;
  if (strcmp(j->state, "available") != 0 && strcmp(j->state, "retryable") != 0)
    return err_set(err, MS_EINVAL,
                   "a job is queued available or retryable, not \"%.16s\"; only a claim makes "
                   "it running",
                   j->state);
  if (j->max_attempts < 1 || j->max_attempts > JOB_ATTEMPTS_MAX)
    return err_set(err, MS_EINVAL, "a job's max attempts must be 1 to %d, not %d", JOB_ATTEMPTS_MAX,
                   j->max_attempts);
  if (j->schedule_id < 0 || j->due < 0 || j->run_after < 0)
    return err_set(err, MS_EINVAL, "a job's schedule, due time and run_after cannot be negative");
  rc = check_name("the job trigger", j->trigger, sizeof(j->trigger), err);
  if (!rc)
    rc = check_time("the job's creation time", j->created_at, err);
  if (!rc)
    rc = check_json_object("the job request", j->request, JOB_REQUEST_MAX, err);
  if (!rc)
    rc = targets_check(j->targets, err);
  return rc;
}

/* ---- reading rows ------------------------------------------------------------ */

/* Fills out from a row in JOB_COLS order; on failure nothing is held. */
static int job_read(sqlite3_stmt *q, void *out) {
  struct job_row *j = out;
  int rc;
  memset(j, 0, sizeof(*j));
  j->id = sqlite3_column_int64(q, 0);
  j->schedule_id = sqlite3_column_int64(q, 1);
  j->due = sqlite3_column_int64(q, 2);
  col_copy(q, 3, j->state, sizeof(j->state));
  col_copy(q, 4, j->trigger, sizeof(j->trigger));
  rc = col_dup(q, 5, &j->request);
  if (!rc)
    rc = col_dup(q, 6, &j->targets);
  j->attempts = sqlite3_column_int(q, 7);
  j->max_attempts = sqlite3_column_int(q, 8);
  j->run_after = sqlite3_column_int64(q, 9);
  j->created_at = sqlite3_column_int64(q, 10);
  j->started_at = sqlite3_column_int64(q, 11);
  j->finished_at = sqlite3_column_int64(q, 12);
  col_copy(q, 13, j->lease_owner, sizeof(j->lease_owner));
  j->lease_token = sqlite3_column_int64(q, 14);
  j->lease_expires = sqlite3_column_int64(q, 15);
  j->run_id = sqlite3_column_int64(q, 16);
  if (!rc)
    rc = col_dup(q, 17, &j->last_error);
  if (rc)
    job_row_release(j);
  return rc;
}

static void job_forget(void *row) {
  job_row_release(row);
}

/* The one row a query (a SELECT or a RETURNING) gives into *out; *found
 * tells whether it came. */
static int job_query(struct sqlite_store *s, const char *sql, struct args a, struct job_row *out,
                     int *found, struct err *err, const char *what) {
  struct job_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(s, sql, a, sizeof(*v), job_read, job_forget, 1, (void **)&v, &n, err, what);
  *found = !rc && n == 1;
  if (*found)
    *out = v[0];
  free(v);
  return rc;
}

static int job_fetch(struct sqlite_store *s, int64_t id, struct job_row *out, struct err *err) {
  int found, rc;
  memset(out, 0, sizeof(*out));
  rc = job_query(s, "SELECT " JOB_COLS " FROM jobs WHERE id = ?1", ARGS(A_INT(id)), out, &found,
                 err, "reading a job");
  if (!rc && !found)
    return err_set(err, MS_ENOTFOUND, "there is no job with id %lld", (long long)id);
  return rc;
}

/* ---- overlaps ---------------------------------------------------------------- */

/* Who holds one of the targets, for the message. */
struct holder {
  char target[JOB_TARGET_MAX]; /* the first target in the way */
  int64_t job_id;              /* the job holding it */
  char state[16];              /* its state */
  char owner[MS_NAME_MAX];     /* its worker, "" if none */
  int found;                   /* a row came */
};

static int holder_row(void *ctx, sqlite3_stmt *q) {
  struct holder *h = ctx;
  col_copy(q, 0, h->target, sizeof(h->target));
  h->job_id = sqlite3_column_int64(q, 1);
  col_copy(q, 2, h->state, sizeof(h->state));
  col_copy(q, 3, h->owner, sizeof(h->owner));
  h->found = 1;
  return MS_OK;
}

/* Inside the transaction whose write the overlap refused: MS_EBUSY naming
 * the job in the way. `what` says what did not happen. */
static int overlap_fail(struct sqlite_store *s, const char *targets, int64_t self, const char *what,
                        struct err *err) {
  struct holder h = {0};
  int rc = q_each(s,
                  "SELECT t.target, t.job_id, j.state, j.lease_owner FROM json_each(?1) n "
                  "JOIN job_targets t ON t.target = n.value JOIN jobs j ON j.id = t.job_id "
                  "WHERE t.job_id <> ?2 ORDER BY n.key LIMIT 1",
                  ARGS(A_TEXT(targets ? targets : "[]"), A_INT(self)), holder_row, &h, err,
                  "finding the job in the way");
  if (rc)
    return rc;
  if (!h.found)
    return err_set(err, MS_EBUSY, "%s: another job covers one of its targets; try again", what);
  return err_set(err, MS_EBUSY,
                 "%s: job %lld (%s%s%s) already covers %s, and two jobs never sync the same "
                 "source, stream and mode at once; wait for it to finish or cancel it",
                 what, (long long)h.job_id, h.state, h.owner[0] ? " on " : "", h.owner, h.target);
}

/* ---- enqueue --------------------------------------------------------------- */

/* The refusal of an insert, in words. */
static int enqueue_fail(struct sqlite_store *s, int rc, const struct job_row *j, int *overlap,
                        struct err *err) {
  char due[TIME_STR_LEN];
  if (s->last_rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    rc = overlap_fail(s, j->targets, 0, "the job was not queued", err);
    *overlap = rc == MS_EBUSY;
    return rc;
  }
  if (s->last_rc == SQLITE_CONSTRAINT_UNIQUE) {
    time_format(j->due, 0, 1, due);
    return err_set(err, MS_EEXIST, "schedule %lld has a job for its run due at %s already",
                   (long long)j->schedule_id, due);
  }
  if (s->last_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    return err_set(err, MS_ENOTFOUND, "there is no schedule with id %lld (was it removed?)",
                   (long long)j->schedule_id);
  return rc;
}

static int id_row(void *ctx, sqlite3_stmt *q) {
  *(int64_t *)ctx = sqlite3_column_int64(q, 0);
  return MS_OK;
}

int job_enqueue_in(struct sqlite_store *s, struct job_row *j, int *overlap, struct err *err) {
  int rc;
  *overlap = 0;
  j->id = 0;
  rc = job_prepare(j, err);
  if (rc)
    return rc;
  rc = q_each(s,
              "INSERT INTO jobs (schedule_id, due, state, trigger, request, targets, "
              "max_attempts, run_after, created_at) VALUES (nullif(?1, 0), ?2, ?3, ?4, ?5, ?6, "
              "?7, ?8, ?9) RETURNING id",
              ARGS(A_INT(j->schedule_id), A_INT(j->due), A_TEXT(j->state), A_TEXT(j->trigger),
                   A_TEXT(j->request), A_TEXT(j->targets ? j->targets : "[]"),
                   A_INT(j->max_attempts), A_INT(j->run_after), A_INT(j->created_at)),
              id_row, &j->id, err, "queueing a job");
  if (rc) {
    j->id = 0;
    return enqueue_fail(s, rc, j, overlap, err);
  }
  j->attempts = 0;
  j->started_at = j->finished_at = j->lease_token = j->lease_expires = j->run_id = 0;
  j->lease_owner[0] = '\0';
  return MS_OK;
}

int sqlite_job_enqueue(struct store *st, struct job_row *job, struct err *err) {
  struct sqlite_store *s = backend(st);
  int overlap, rc = tx_begin(s, err);
  if (rc)
    return rc;
  rc = job_enqueue_in(s, job, &overlap, err);
  if (!rc)
    rc = tx_commit(s, err);
  if (rc) {
    tx_rollback(s);
    job->id = 0;
  }
  return rc;
}

/* ---- claims and leases ------------------------------------------------------- */

/* A job whose worker died on its last allowed try is not tried again: the
 * job itself may be what kills its workers. */
static int fail_exhausted(struct sqlite_store *s, int64_t now, struct err *err) {
  return q_each(s,
                "UPDATE jobs SET state = 'failed', finished_at = ?1, lease_owner = '', "
                "lease_expires = 0, last_error = 'its worker (' || lease_owner || ') stopped "
                "renewing its lease on its last try (' || attempts || ' of ' || max_attempts || "
                "'); see that worker''s log, then retry the job' "
                "WHERE state = 'running' AND lease_expires <= ?1 AND attempts >= max_attempts",
                ARGS(A_INT(now)), NULL, NULL, err, "failing jobs out of tries");
}

int sqlite_job_claim(struct store *st, const char *owner, int64_t now, int lease_secs,
                     struct job_row *out, struct err *err) {
  struct sqlite_store *s = backend(st);
  int found = 0, rc;
  memset(out, 0, sizeof(*out));
  rc = check_name("the worker id", owner, MS_NAME_MAX, err);
  if (!rc)
    rc = check_time("the time of the claim", now, err);
  if (!rc && lease_secs <= 0)
    rc = err_set(err, MS_EINVAL, "the lease must last at least one second");
  if (!rc)
    rc = tx_begin(s, err);
  if (rc)
    return rc;
  rc = fail_exhausted(s, now, err);
  /* Waiting longest: a rescued job keeps the run_after it was queued with. */
  if (!rc)
    rc = job_query(s,
                   "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?1, "
                   "lease_token = lease_token + 1, lease_expires = ?2 + ?3, started_at = ?2 "
                   "WHERE id = (SELECT id FROM jobs WHERE (state IN ('available', 'retryable') "
                   "AND run_after <= ?2) OR (state = 'running' AND lease_expires <= ?2) "
                   "ORDER BY run_after, id LIMIT 1) RETURNING " JOB_COLS,
                   ARGS(A_TEXT(owner), A_INT(now), A_INT(lease_secs)), out, &found, err,
                   "claiming a job");
  if (!rc)
    rc = tx_commit(s, err);
  if (rc) {
    tx_rollback(s);
    if (found)
      job_row_release(out);
    memset(out, 0, sizeof(*out));
    return rc;
  }
  return found ? MS_OK : err_set(err, MS_ENOTFOUND, "no job is ready to run");
}

/* Explains a fenced write that matched nothing. */
static int job_lost(struct sqlite_store *s, int64_t id, int64_t token, struct err *err) {
  struct job_row now;
  int rc = job_fetch(s, id, &now, err);
  if (rc)
    return rc;
  err_set(err, MS_ELEASE,
          "lost the lease on job %lld (our token %lld, now %lld, %s%s%s); another worker took "
          "it over or it ended, nothing was written",
          (long long)id, (long long)token, (long long)now.lease_token, now.state,
          now.lease_owner[0] ? " on " : "", now.lease_owner);
  job_row_release(&now);
  return MS_ELEASE;
}

int sqlite_job_heartbeat(struct store *st, int64_t id, int64_t token, int64_t now, int lease_secs,
                         struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_time("the time of the heartbeat", now, err);
  if (!rc && lease_secs <= 0)
    rc = err_set(err, MS_EINVAL, "the lease must last at least one second");
  if (!rc)
    rc = q_each(s, "UPDATE jobs SET lease_expires = ?3 + ?4 WHERE " JOB_FENCE,
                ARGS(A_INT(id), A_INT(token), A_INT(now), A_INT(lease_secs)), NULL, NULL, err,
                "renewing a job's lease");
  if (!rc && q_changes(s) == 0)
    return job_lost(s, id, token, err);
  return rc;
}

/* The states a try ends in, and the run_after it leaves. */
static int finish_check(const char *state, int64_t now, int64_t *run_after, struct err *err) {
  int i = job_state_index(state);
  if (i < 0 || strcmp(state, "running") == 0)
    return err_set(err, MS_EINVAL,
                   "a job's try ends completed, failed, cancelled, retryable or available, "
                   "not \"%.16s\"",
                   state ? state : "");
  if (strcmp(state, "retryable") == 0 && *run_after <= 0)
    *run_after = now;
  return check_time("the time the try ended", now, err);
}

int sqlite_job_finish(struct store *st, int64_t id, int64_t token, const char *state, int64_t now,
                      int64_t run_after, int64_t run_id, const char *error, struct err *err) {
  struct sqlite_store *s = backend(st);
  char msg[ERROR_TEXT_MAX];
  int rc = finish_check(state, now, &run_after, err);
  if (rc)
    return rc;
  one_line(error, msg, sizeof(msg));
  /* A released try is given back: the job did not fail, its worker left. */
  rc = q_each(s,
              "UPDATE jobs SET state = ?3, lease_owner = '', lease_expires = 0, run_id = ?6, "
              "last_error = ?7, "
              "finished_at = CASE WHEN ?3 IN ('completed', 'failed', 'cancelled') THEN ?4 "
              "ELSE 0 END, "
              "run_after = CASE WHEN ?3 = 'retryable' THEN ?5 ELSE run_after END, "
              "attempts = CASE WHEN ?3 = 'available' THEN max(attempts - 1, 0) ELSE attempts END "
              "WHERE " JOB_FENCE,
              ARGS(A_INT(id), A_INT(token), A_TEXT(state), A_INT(now), A_INT(run_after),
                   A_INT(run_id), A_TEXT(error ? msg : NULL)),
              NULL, NULL, err, "ending a job's try");
  if (!rc && q_changes(s) == 0)
    return job_lost(s, id, token, err);
  return rc;
}

/* ---- by hand: get, list, retry, cancel, counts ------------------------------- */

int sqlite_job_get(struct store *st, int64_t id, struct job_row *out, struct err *err) {
  return job_fetch(backend(st), id, out, err);
}

int sqlite_job_list(struct store *st, const struct job_filter *f, job_cb cb, void *ctx,
                    struct err *err) {
  struct job_row *v = NULL;
  size_t n = 0;
  int limit = f->limit ? f->limit : SERVICE_LIST_DEFAULT, rc;
  if (f->state && job_state_index(f->state) < 0)
    return err_set(err, MS_EINVAL,
                   "job state \"%.16s\" is not one of available, running, retryable, completed, "
                   "failed, cancelled",
                   f->state);
  if (limit < 0 || limit > SERVICE_LIST_MAX)
    return err_set(err, MS_EINVAL, "a job list shows 1 to %d jobs, not %d", SERVICE_LIST_MAX,
                   limit);
  rc = q_collect(backend(st),
                 "SELECT " JOB_COLS " FROM jobs WHERE (?1 IS NULL OR state = ?1) "
                 "AND (?2 = 0 OR schedule_id = ?2) ORDER BY id DESC LIMIT ?3",
                 ARGS(A_TEXT(f->state), A_INT(f->schedule_id), A_INT(limit)), sizeof(*v), job_read,
                 job_forget, (size_t)limit, (void **)&v, &n, err, "listing jobs");
  for (size_t i = 0; i < n && !rc; i++)
    rc = cb(ctx, &v[i]);
  for (size_t i = 0; i < n; i++)
    job_row_release(&v[i]);
  free(v);
  return rc;
}

/* Why a job in this state cannot run again. */
static int retry_refused(struct sqlite_store *s, int64_t id, struct err *err) {
  struct job_row j;
  int rc = job_fetch(s, id, &j, err);
  if (rc)
    return rc;
  if (strcmp(j.state, "completed") == 0)
    rc = err_set(err, MS_EINVAL, "job %lld completed; only a failed or cancelled job runs again",
                 (long long)id);
  else
    rc =
        err_set(err, MS_EINVAL, "job %lld is %s already; only a failed or cancelled job runs again",
                (long long)id, j.state);
  job_row_release(&j);
  return rc;
}

/* Inside the transaction: back to available, taking its targets again. */
static int retry_in(struct sqlite_store *s, int64_t id, int64_t now, struct err *err) {
  char what[64];
  struct job_row j;
  int rc = q_each(s,
                  "UPDATE jobs SET state = 'available', attempts = 0, run_after = ?2, "
                  "finished_at = 0, lease_owner = '', lease_expires = 0 "
                  "WHERE id = ?1 AND state IN ('failed', 'cancelled')",
                  ARGS(A_INT(id), A_INT(now)), NULL, NULL, err, "queueing a job again");
  if (!rc)
    return q_changes(s) ? MS_OK : retry_refused(s, id, err);
  if (s->last_rc != SQLITE_CONSTRAINT_PRIMARYKEY || job_fetch(s, id, &j, NULL))
    return rc;
  snprintf(what, sizeof(what), "job %lld cannot run again yet", (long long)id);
  rc = overlap_fail(s, j.targets, id, what, err);
  job_row_release(&j);
  return rc;
}

int sqlite_job_retry(struct store *st, int64_t id, int64_t now, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_time("the time of the retry", now, err);
  if (!rc)
    rc = tx_begin(s, err);
  if (rc)
    return rc;
  rc = retry_in(s, id, now, err);
  if (!rc)
    rc = tx_commit(s, err);
  if (rc)
    tx_rollback(s);
  return rc;
}

/* Why a job in this state cannot be cancelled. */
static int cancel_refused(struct sqlite_store *s, int64_t id, struct err *err) {
  char until[TIME_STR_LEN];
  struct job_row j;
  int rc = job_fetch(s, id, &j, err);
  if (rc)
    return rc;
  time_format(j.lease_expires, 0, 1, until);
  if (strcmp(j.state, "running") == 0)
    rc = err_set(err, MS_EBUSY,
                 "job %lld is running on %s (lease until %s) and is not stopped midway; wait for "
                 "it to finish",
                 (long long)id, j.lease_owner, until);
  else
    rc = err_set(err, MS_EINVAL, "job %lld is %s already; only a queued job can be cancelled",
                 (long long)id, j.state);
  job_row_release(&j);
  return rc;
}

/* A running job whose lease ran out has no live worker: cancelling it
 * fences that worker off (its writes need state running). */
int sqlite_job_cancel(struct store *st, int64_t id, int64_t now, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_time("the time of the cancel", now, err);
  if (!rc)
    rc = q_each(s,
                "UPDATE jobs SET state = 'cancelled', finished_at = ?2, lease_owner = '', "
                "lease_expires = 0 WHERE id = ?1 AND (state IN ('available', 'retryable') "
                "OR (state = 'running' AND lease_expires <= ?2))",
                ARGS(A_INT(id), A_INT(now)), NULL, NULL, err, "cancelling a job");
  if (!rc && q_changes(s) == 0)
    return cancel_refused(s, id, err);
  return rc;
}

static int count_row(void *ctx, sqlite3_stmt *q) {
  int64_t *counts = ctx;
  int i = job_state_index(col_text(q, 0));
  if (i >= 0)
    counts[i] = sqlite3_column_int64(q, 1);
  return MS_OK;
}

int sqlite_job_counts(struct store *st, int64_t counts[6], struct err *err) {
  memset(counts, 0, 6 * sizeof(counts[0]));
  return q_each(backend(st), "SELECT state, count(*) FROM jobs GROUP BY state", NO_ARGS, count_row,
                counts, err, "counting jobs");
}
