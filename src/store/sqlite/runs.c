/* Runs: one execution of sync work each, with its counters (the sync log). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

#define RUN_COLS                                                                                   \
  "id, trigger, scope, started_at, finished_at, status, slices_total, slices_completed, "          \
  "slices_failed, pages, records, inserted, updated, unchanged, requests, retries, "               \
  "rate_limited, pid, failed"

static int check_run(const struct run_row *r, struct err *err) {
  int rc = check_name("the run trigger", r->trigger, sizeof(r->trigger), err);
  if (!rc)
    rc = check_name("the run status", r->status, sizeof(r->status), err);
  return rc;
}

/* The arguments after the id, in RUN_COLS order: 18 of them from `at`. */
static void run_args(const struct run_row *r, struct arg *a) {
  const struct arg v[] = {
      A_TEXT(r->trigger),         A_TEXT(r->scope),        A_INT(r->started_at),
      A_INT(r->finished_at),      A_TEXT(r->status),       A_INT(r->slices_total),
      A_INT(r->slices_completed), A_INT(r->slices_failed), A_INT(r->pages),
      A_INT(r->records),          A_INT(r->inserted),      A_INT(r->updated),
      A_INT(r->unchanged),        A_INT(r->requests),      A_INT(r->retries),
      A_INT(r->rate_limited),     A_INT(r->pid),           A_INT(r->failed),
  };
  memcpy(a, v, sizeof(v));
}

static int id_row(void *ctx, sqlite3_stmt *q) {
  *(int64_t *)ctx = sqlite3_column_int64(q, 0);
  return MS_OK;
}

/* An empty status starts as "running"; started_at 0 means now. */
int sqlite_run_start(struct store *st, struct run_row *r, struct err *err) {
  struct arg a[18];
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
                "requests, retries, rate_limited, pid, failed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) RETURNING id",
                (struct args){a, 18}, id_row, &r->id, err, "recording the run");
}

int sqlite_run_update(struct store *st, const struct run_row *r, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct arg a[19];
  int rc = check_run(r, err);
  if (rc)
    return rc;
  a[0] = A_INT(r->id);
  run_args(r, a + 1);
  rc = q_each(s,
              "UPDATE runs SET trigger = ?2, scope = ?3, started_at = ?4, finished_at = ?5, "
              "status = ?6, slices_total = ?7, slices_completed = ?8, slices_failed = ?9, "
              "pages = ?10, records = ?11, inserted = ?12, updated = ?13, unchanged = ?14, "
              "requests = ?15, retries = ?16, rate_limited = ?17, pid = ?18, failed = ?19 "
              "WHERE id = ?1",
              (struct args){a, 19}, NULL, NULL, err, "recording the run");
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
