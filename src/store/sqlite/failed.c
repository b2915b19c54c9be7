/* Failed records: records that could not be stored, kept with their raw
 * JSON and the reason, in the same transaction as the rest of their page.
 * At most one open failure per (source, stream, record): failing again
 * counts an attempt on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

#define FAILED_SELECT                                                                              \
  "SELECT f.id, f.source_id, s.name, f.stream, f.slice_key, f.external_id, f.raw, f.error, "       \
  "f.first_failed_at, f.last_failed_at, f.attempts, coalesce(f.resolved_at, 0) "                   \
  "FROM failed_records f JOIN sources s ON s.id = f.source_id "

int failed_add(struct sqlite_store *s, const struct slice *sl, const struct record *r,
               const char *why, int64_t now, struct err *err) {
  char msg[ERROR_TEXT_MAX];
  int rc;
  one_line(why && *why ? why : "the record could not be stored", msg, sizeof(msg));
  rc = q_each(s,
              "INSERT INTO failed_records (source_id, stream, slice_key, external_id, raw, error, "
              "first_failed_at, last_failed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) "
              "ON CONFLICT (source_id, stream, external_id) WHERE resolved_at IS NULL DO UPDATE "
              "SET slice_key = excluded.slice_key, raw = excluded.raw, error = excluded.error, "
              "last_failed_at = excluded.last_failed_at, attempts = attempts + 1",
              ARGS(A_INT(sl->source_id), A_TEXT(sl->stream), A_TEXT(sl->key),
                   A_TEXT(r->external_id && *r->external_id ? r->external_id : NULL),
                   r->raw ? A_TEXTN(r->raw, r->raw_len ? r->raw_len : strlen(r->raw)) : A_TEXT(""),
                   A_TEXT(msg), A_INT(now)),
              NULL, NULL, err, "keeping a record that failed");
  return rc ? slice_write_fail(s, rc, sl->source_id, err) : MS_OK;
}

int failed_open(struct sqlite_store *s, int64_t source_id, const char *stream, int *open,
                struct err *err) {
  int64_t one = 0;
  return q_int(s,
               "SELECT 1 FROM failed_records WHERE source_id = ?1 AND stream = ?2 AND "
               "resolved_at IS NULL LIMIT 1",
               ARGS(A_INT(source_id), A_TEXT(stream)), &one, open, err,
               "looking for failed records");
}

int failed_clear(struct sqlite_store *s, int64_t source_id, const char *stream,
                 const char *external_id, int64_t now, struct err *err) {
  return q_each(s,
                "UPDATE failed_records SET resolved_at = ?4 WHERE source_id = ?1 AND stream = ?2 "
                "AND external_id = ?3 AND resolved_at IS NULL",
                ARGS(A_INT(source_id), A_TEXT(stream), A_TEXT(external_id), A_INT(now)), NULL, NULL,
                err, "closing a failed record");
}

static int failed_from_row(sqlite3_stmt *q, struct failed_row *f) {
  int rc;
  memset(f, 0, sizeof(*f));
  f->id = sqlite3_column_int64(q, 0);
  f->source_id = sqlite3_column_int64(q, 1);
  col_copy(q, 2, f->source, sizeof(f->source));
  col_copy(q, 3, f->stream, sizeof(f->stream));
  col_copy(q, 4, f->key, sizeof(f->key));
  rc = col_dup(q, 5, &f->external_id);
  if (!rc)
    rc = col_dup(q, 6, &f->raw);
  if (!rc)
    rc = col_dup(q, 7, &f->error);
  f->first_failed_at = sqlite3_column_int64(q, 8);
  f->last_failed_at = sqlite3_column_int64(q, 9);
  f->attempts = sqlite3_column_int64(q, 10);
  f->resolved_at = sqlite3_column_int64(q, 11);
  if (rc)
    failed_row_release(f);
  return rc;
}

/* Rows handed to the caller one at a time. */
struct failed_each {
  failed_cb cb; /* the caller's */
  void *ctx;    /* its context */
  int bad;      /* MS_ENOMEM when a row could not be read */
};

static int failed_each_row(void *ctx, sqlite3_stmt *q) {
  struct failed_each *e = ctx;
  struct failed_row f;
  int rc = failed_from_row(q, &f);
  if (rc)
    return e->bad = rc;
  rc = e->cb(e->ctx, &f);
  failed_row_release(&f);
  return rc;
}

int sqlite_failed_list(struct store *st, int64_t source_id, failed_cb cb, void *ctx,
                       struct err *err) {
  struct failed_each e = {cb, ctx, 0};
  int rc = q_each(backend(st),
                  FAILED_SELECT "WHERE f.resolved_at IS NULL AND (?1 = 0 OR f.source_id = ?1) "
                                "ORDER BY f.id",
                  ARGS(A_INT(source_id)), failed_each_row, &e, err, "listing failed records");
  if (e.bad)
    return err_set(err, e.bad, "out of memory listing failed records");
  return rc;
}

/* The one row of a lookup. */
struct failed_one {
  struct failed_row *out; /* where it goes */
  int found;              /* it came */
  int bad;                /* MS_ENOMEM when it could not be read */
};

static int failed_one_row(void *ctx, sqlite3_stmt *q) {
  struct failed_one *o = ctx;
  int rc = failed_from_row(q, o->out);
  if (rc)
    return o->bad = rc;
  o->found = 1;
  return MS_OK;
}

int sqlite_failed_get(struct store *st, int64_t id, struct failed_row *out, struct err *err) {
  struct failed_one o = {out, 0, 0};
  int rc;
  memset(out, 0, sizeof(*out));
  rc = q_each(backend(st), FAILED_SELECT "WHERE f.id = ?1", ARGS(A_INT(id)), failed_one_row, &o,
              err, "reading a failed record");
  if (o.bad)
    return err_set(err, o.bad, "out of memory reading failed record %lld", (long long)id);
  if (!rc && !o.found)
    return err_set(err, MS_ENOTFOUND, "there is no failed record with id %lld", (long long)id);
  if (rc && o.found)
    failed_row_release(out);
  return rc;
}

/* Why r cannot be stored again as a record of def, or MS_OK. */
static int resolve_check(struct sqlite_store *s, const struct failed_row *f,
                         const struct stream_def *def, const struct record *r,
                         const struct stable **t, const struct stable **gone, struct err *err) {
  int rc;
  if (f->resolved_at)
    return err_set(err, MS_EINVAL, "failed record %lld was stored already", (long long)f->id);
  if (!def || !def->name || strcmp(def->name, f->stream) != 0)
    return err_set(err, MS_EINVAL, "failed record %lld is a record of stream %s, not of %s",
                   (long long)f->id, f->stream, def && def->name ? def->name : "no stream");
  if (r->unreadable)
    return err_set(err, MS_EINVAL, "%s", r->unreadable);
  rc = stable_get(s, def, t, err);
  if (!rc && r->gone_from)
    rc = stable_get(s, r->gone_from, gone, err);
  if (!rc)
    rc = record_check(*t, r, err);
  return rc;
}

/* Inside the transaction: the record itself, then its failures closed. */
static int resolve_in(struct sqlite_store *s, const struct failed_row *f, const struct stable *t,
                      const struct stable *gone, const struct record *r, int64_t now,
                      struct err *err) {
  struct page_counts c = {0};
  struct buf events;
  struct sku_days days = {0};
  struct upsert u = {
      .s = s, .source_id = f->source_id, .now = now, .c = &c, .events = &events, .days = &days};
  int rc;
  /* A record stored at last is news like any other (order.created). */
  buf_init(&events, 0);
  rc = gone ? record_gone(&u, gone, r, err) : record_put(&u, t, r, err);
  if (!rc)
    rc = events_flush(s, f->source_id, now, &events, err);
  if (!rc)
    rc = sku_days_flush(s, f->source_id, &days, err);
  buf_release(&events);
  if (!rc)
    rc = failed_clear(s, f->source_id, f->stream, r->external_id, now, err);
  if (!rc)
    rc = q_each(s, "UPDATE failed_records SET resolved_at = ?2 WHERE id = ?1",
                ARGS(A_INT(f->id), A_INT(now)), NULL, NULL, err, "closing a failed record");
  return rc;
}

int sqlite_failed_resolve(struct store *st, int64_t id, const struct stream_def *def,
                          const struct record *r, int64_t now, struct err *err) {
  struct sqlite_store *s = backend(st);
  const struct stable *t = NULL, *gone = NULL;
  struct failed_row f;
  int rc = sqlite_failed_get(st, id, &f, err);
  if (rc)
    return rc;
  rc = resolve_check(s, &f, def, r, &t, &gone, err);
  if (!rc)
    rc = tx_begin(s, err);
  if (rc)
    goto done;
  s->last_rc = SQLITE_OK;
  rc = resolve_in(s, &f, t, gone, r, now, err);
  if (rc && is_constraint(s->last_rc))
    rc = err_set(err, MS_EINVAL, "record %.40s was refused by the database: %s", r->external_id,
                 s->last_msg);
  else if (rc)
    rc = slice_write_fail(s, rc, f.source_id, err);
  if (!rc)
    rc = tx_commit(s, err);
  if (rc)
    tx_rollback(s);
done:
  failed_row_release(&f);
  return rc;
}

int sqlite_failed_again(struct store *st, int64_t id, const char *error, int64_t now,
                        struct err *err) {
  struct sqlite_store *s = backend(st);
  char msg[ERROR_TEXT_MAX];
  int rc;
  one_line(error ? error : "unknown error", msg, sizeof(msg));
  rc =
      q_each(s,
             "UPDATE failed_records SET attempts = attempts + 1, error = ?2, last_failed_at = ?3 "
             "WHERE id = ?1 AND resolved_at IS NULL",
             ARGS(A_INT(id), A_TEXT(msg), A_INT(now)), NULL, NULL, err, "recording a failed retry");
  if (!rc && q_changes(s) == 0)
    return err_set(err, MS_ENOTFOUND, "there is no open failed record with id %lld", (long long)id);
  return rc;
}
