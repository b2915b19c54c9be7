/* Runs: one execution of sync work each, with its counters (the sync log). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

#define RUN_COLS                                                                                   \
  "id, trigger, scope, started_at, finished_at, status, slices_total, slices_completed, "          \
  "slices_failed, pages, records, inserted, updated, unchanged, requests, retries, "               \
  "rate_limited, pid, failed, schedule_id, job_id, error"

static int check_run(const struct run_row *r, struct err *err) {
  int rc = check_name("the run trigger", r->trigger, sizeof(r->trigger), err);
  if (!rc)
    rc = check_name("the run status", r->status, sizeof(r->status), err);
  return rc;
}

/* The arguments after the id, in RUN_COLS order: 21 of them from `at`. */
static void run_args(const struct run_row *r, struct arg *a) {
  const struct arg v[] = {
      A_TEXT(r->trigger),         A_TEXT(r->scope),        A_INT(r->started_at),
      A_INT(r->finished_at),      A_TEXT(r->status),       A_INT(r->slices_total),
      A_INT(r->slices_completed), A_INT(r->slices_failed), A_INT(r->pages),
      A_INT(r->records),          A_INT(r->inserted),      A_INT(r->updated),
      A_INT(r->unchanged),        A_INT(r->requests),      A_INT(r->retries),
      A_INT(r->rate_limited),     A_INT(r->pid),           A_INT(r->failed),
      A_INT(r->schedule_id),      A_INT(r->job_id),        A_TEXT(r->error),
  };
  memcpy(a, v, sizeof(v));
}

static int id_row(void *ctx, sqlite3_stmt *q) {
  *(int64_t *)ctx = sqlite3_column_int64(q, 0);
  return MS_OK;
}

/* An empty status starts as "running"; started_at 0 means now. */
int sqlite_run_start(struct store *st, struct run_row *r, struct err *err) {
  struct arg a[21];
  int rc;
  if (!r->status[0])
    snprintf(r->status, sizeof(r->status), "running");
  if (!r->started_at)
    r->started_at = now_utc();
  rc = check_run(r, err);
  if (rc)
    return rc;
  run_args(r, a);
  return q_each(backend(st),
                "INSERT INTO runs (trigger, scope, started_at, finished_at, status, slices_total, "
                "slices_completed, slices_failed, pages, records, inserted, updated, unchanged, "
                "requests, retries, rate_limited, pid, failed, schedule_id, job_id, error) VALUES "
                "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
                "?19, ?20, ?21) RETURNING id",
                (struct args){a, 21}, id_row, &r->id, err, "recording the run");
}

int sqlite_run_update(struct store *st, const struct run_row *r, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct arg a[22];
  int rc = check_run(r, err);
  if (rc)
    return rc;
  a[0] = A_INT(r->id);
  run_args(r, a + 1);
  rc = q_each(s,
              "UPDATE runs SET trigger = ?2, scope = ?3, started_at = ?4, finished_at = ?5, "
              "status = ?6, slices_total = ?7, slices_completed = ?8, slices_failed = ?9, "
              "pages = ?10, records = ?11, inserted = ?12, updated = ?13, unchanged = ?14, "
              "requests = ?15, retries = ?16, rate_limited = ?17, pid = ?18, failed = ?19, "
              "schedule_id = ?20, job_id = ?21, error = ?22 WHERE id = ?1",
              (struct args){a, 22}, NULL, NULL, err, "recording the run");
  if (!rc && q_changes(s) == 0)
    return err_set(err, MS_ENOTFOUND, "no run with id %lld", (long long)r->id);
  return rc;
}

static int run_from_row(sqlite3_stmt *q, struct run_row *r) {
  memset(r, 0, sizeof(*r));
  r->id = sqlite3_column_int64(q, 0);
  col_copy(q, 1, r->trigger, sizeof(r->trigger));
  r->started_at = sqlite3_column_int64(q, 3);
  r->finished_at = sqlite3_column_int64(q, 4);
  col_copy(q, 5, r->status, sizeof(r->status));
  r->slices_total = sqlite3_column_int64(q, 6);
  r->slices_completed = sqlite3_column_int64(q, 7);
  r->slices_failed = sqlite3_column_int64(q, 8);
  r->pages = sqlite3_column_int64(q, 9);
  r->records = sqlite3_column_int64(q, 10);
  r->inserted = sqlite3_column_int64(q, 11);
  r->updated = sqlite3_column_int64(q, 12);
  r->unchanged = sqlite3_column_int64(q, 13);
  r->requests = sqlite3_column_int64(q, 14);
  r->retries = sqlite3_column_int64(q, 15);
  r->rate_limited = sqlite3_column_int64(q, 16);
  r->pid = sqlite3_column_int64(q, 17);
  r->failed = sqlite3_column_int64(q, 18);
  r->schedule_id = sqlite3_column_int64(q, 19);
  r->job_id = sqlite3_column_int64(q, 20);
  if (col_dup(q, 21, &r->error))
    return MS_ENOMEM;
  return col_dup(q, 2, &r->scope);
}

/* Rows handed to the caller one at a time. */
struct run_each {
  run_cb cb; /* the caller's */
  void *ctx; /* its context */
  int bad;   /* MS_ENOMEM when a row could not be read */
};

static int run_each_row(void *ctx, sqlite3_stmt *q) {
  struct run_each *e = ctx;
  struct run_row r;
  int rc = run_from_row(q, &r);
  if (rc) {
    run_row_release(&r);
    return e->bad = rc;
  }
  rc = e->cb(e->ctx, &r);
  run_row_release(&r);
  return rc;
}

/* Newest first; limit <= 0 lists all. The row is valid during the call. */
int sqlite_run_list(struct store *st, int limit, run_cb cb, void *ctx, struct err *err) {
  struct run_each e = {cb, ctx, 0};
  int rc = q_each(backend(st),
                  "SELECT " RUN_COLS " FROM runs ORDER BY started_at DESC, id DESC LIMIT ?1",
                  ARGS(A_INT(limit > 0 ? limit : -1)), run_each_row, &e, err, "listing runs");
  if (e.bad)
    return err_set(err, e.bad, "out of memory listing runs");
  return rc;
}

/* ---- the detail: filters, one run, its slices ---------------------------- */

int sqlite_run_find(struct store *st, const struct run_filter *f, run_cb cb, void *ctx,
                    struct err *err) {
  struct run_each e = {cb, ctx, 0};
  struct buf sql;
  int rc;
  if (f->nsource_ids > RUN_FILTER_SOURCES_MAX)
    return err_set(err, MS_EINVAL, "a run filter names at most %d sources", RUN_FILTER_SOURCES_MAX);
  buf_init(&sql, 512);
  rc = buf_puts(&sql, "SELECT " RUN_COLS " FROM runs r WHERE 1");
  if (!rc && f->source_id)
    rc = buf_puts(&sql, " AND EXISTS (SELECT 1 FROM run_slices x WHERE x.run_id = r.id AND "
                        "x.source_id = ?1)");
  if (!rc && f->source_ids) {
    /* The ids are numbers: written into the text, as no list binds. */
    rc = buf_puts(&sql, " AND EXISTS (SELECT 1 FROM run_slices x WHERE x.run_id = r.id AND "
                        "x.source_id IN (0");
    for (size_t i = 0; !rc && i < f->nsource_ids; i++)
      rc = buf_printf(&sql, ",%lld", (long long)f->source_ids[i]);
    if (!rc)
      rc = buf_puts(&sql, "))");
  }
  if (!rc && f->status)
    rc = buf_puts(&sql, " AND r.status = ?2");
  if (!rc && f->trigger)
    rc = buf_puts(&sql, " AND r.trigger = ?3");
  if (!rc && f->schedule_id)
    rc = buf_puts(&sql, " AND r.schedule_id = ?4");
  if (!rc && f->from)
    rc = buf_puts(&sql, " AND r.started_at >= ?5");
  if (!rc && f->to)
    rc = buf_puts(&sql, " AND r.started_at < ?6");
  if (!rc)
    rc = buf_puts(&sql, " ORDER BY r.started_at DESC, r.id DESC LIMIT ?7 OFFSET ?8");
  if (rc) {
    buf_release(&sql);
    return err_set(err, MS_ENOMEM, "out of memory");
  }
  rc = q_each(backend(st), sql.data,
              ARGS(A_INT(f->source_id), A_TEXT(f->status), A_TEXT(f->trigger),
                   A_INT(f->schedule_id), A_INT(f->from), A_INT(f->to),
                   A_INT(f->limit > 0 ? f->limit : 50), A_INT(f->offset > 0 ? f->offset : 0)),
              run_each_row, &e, err, "listing runs");
  buf_release(&sql);
  if (e.bad)
    return err_set(err, e.bad, "out of memory listing runs");
  return rc;
}

static int one_run(void *ctx, sqlite3_stmt *q) {
  struct run_row *r = ctx;
  run_row_release(r);
  return run_from_row(q, r);
}

int sqlite_run_get(struct store *st, int64_t id, struct run_row *out, struct err *err) {
  int rc;
  memset(out, 0, sizeof(*out));
  rc = q_each(backend(st), "SELECT " RUN_COLS " FROM runs WHERE id = ?1", ARGS(A_INT(id)), one_run,
              out, err, "reading the run");
  if (!rc && !out->id)
    return err_set(err, MS_ENOTFOUND, "no run with id %lld", (long long)id);
  return rc;
}

int sqlite_run_slice_put(struct store *st, int64_t run_id, const struct slice *sl,
                         const char *status, int64_t now, struct err *err) {
  return q_each(backend(st),
                "INSERT INTO run_slices (run_id, source_id, stream, slice_key, status, pages, "
                "records, inserted, updated, retries, error, finished_at) VALUES (?1, ?2, ?3, ?4, "
                "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (run_id, source_id, stream, "
                "slice_key) DO UPDATE SET status = ?5, pages = ?6, records = ?7, inserted = ?8, "
                "updated = ?9, retries = ?10, error = ?11, finished_at = ?12",
                ARGS(A_INT(run_id), A_INT(sl->source_id), A_TEXT(sl->stream), A_TEXT(sl->key),
                     A_TEXT(status), A_INT(sl->pages), A_INT(sl->records), A_INT(sl->inserted),
                     A_INT(sl->updated), A_INT(sl->retries), A_TEXT(sl->last_error), A_INT(now)),
                NULL, NULL, err, "recording the run's slice");
}

struct slice_rows {
  run_slice_cb cb;
  void *ctx;
};

static int run_slice_row(void *ctx, sqlite3_stmt *q) {
  struct slice_rows *sr = ctx;
  struct run_slice_row r;
  int rc;
  memset(&r, 0, sizeof(r));
  r.run_id = sqlite3_column_int64(q, 0);
  r.source_id = sqlite3_column_int64(q, 1);
  col_copy(q, 2, r.source, sizeof(r.source));
  col_copy(q, 3, r.stream, sizeof(r.stream));
  col_copy(q, 4, r.key, sizeof(r.key));
  col_copy(q, 5, r.status, sizeof(r.status));
  r.pages = sqlite3_column_int64(q, 6);
  r.records = sqlite3_column_int64(q, 7);
  r.inserted = sqlite3_column_int64(q, 8);
  r.updated = sqlite3_column_int64(q, 9);
  r.retries = sqlite3_column_int64(q, 10);
  if (col_dup(q, 11, &r.error))
    return MS_ENOMEM;
  r.finished_at = sqlite3_column_int64(q, 12);
  rc = sr->cb(sr->ctx, &r);
  free(r.error);
  return rc;
}

int sqlite_run_slices(struct store *st, int64_t run_id, run_slice_cb cb, void *ctx,
                      struct err *err) {
  struct slice_rows sr = {cb, ctx};
  return q_each(backend(st),
                "SELECT x.run_id, x.source_id, coalesce(s.name, ''), x.stream, x.slice_key, "
                "x.status, x.pages, x.records, x.inserted, x.updated, x.retries, x.error, "
                "x.finished_at FROM run_slices x LEFT JOIN sources s ON s.id = x.source_id "
                "WHERE x.run_id = ?1 ORDER BY s.name, x.stream, x.slice_key",
                ARGS(A_INT(run_id)), run_slice_row, &sr, err, "listing the run's slices");
}
