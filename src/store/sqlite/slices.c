/* Slices: the unit of progress, named by (source, stream, key).
 *
 * The key says what the slice covers (slice_key_make): a day, a window of
 * updates, a snapshot or a refetch of one day. Its kind and its day are
 * kept in columns of their own, derived from the key when the row is made,
 * so that lists filter on them. Writes by the worker holding a slice are
 * fenced by its lease token: they match only while the token is current.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"
#include "util/array.h"

/* Columns of a slice row, in the order slice_from_row() reads them. */
#define SLICE_COLS                                                                                 \
  "source_id, stream, slice_key, status, cursor, listed, follow, follow_cursor, watermark, "       \
  "pass_start, pages, records, inserted, updated, unchanged, deleted, failed, retries, "           \
  "last_error, started_at, updated_at, completed_at, lease_owner, lease_token, lease_expires"
#define SLICE_KEY "source_id = ?1 AND stream = ?2 AND slice_key = ?3"
/* A fenced write matches only while our lease token is current. */
#define SLICE_FENCE SLICE_KEY " AND lease_token = ?4 AND status = 'in_progress'"
#define FOLLOW_WAITING "coalesce(follow, '[]') <> '[]'"

/* What a key says, for the kind and day columns. */
struct key_parts {
  enum slice_kind kind;   /* from the key */
  char day[DATE_STR_LEN]; /* "YYYY-MM-DD", "" for windows and snapshots */
};

void slice_name_set(struct slice_name *n, int64_t source_id, const char *stream, const char *key) {
  snprintf(n->text, sizeof(n->text), "%s %s of source %lld", key, stream, (long long)source_id);
}

int slice_write_fail(struct sqlite_store *s, int rc, int64_t source_id, struct err *err) {
  if (s->last_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    return err_set(err, MS_ENOTFOUND, "no source with id %lld (was it removed?)",
                   (long long)source_id);
  return rc;
}

static int check_slice(const char *stream, const char *key, struct key_parts *parts,
                       struct err *err) {
  struct civil_date day;
  int rc = check_name("the stream name", stream, MS_STREAM_MAX, err);
  if (!rc)
    rc = check_name("the slice key", key, MS_KEY_MAX, err);
  if (rc)
    return rc;
  if (slice_key_parse(key, &parts->kind, &day))
    return err_set(err, MS_EINVAL,
                   "slice key \"%s\" is not a day (YYYY-MM-DD), \"modified\", \"snapshot\" or "
                   "\"refetch:YYYY-MM-DD\"",
                   key);
  parts->day[0] = '\0';
  if (parts->kind == SLICE_DAY || parts->kind == SLICE_REFETCH)
    date_format(day, parts->day);
  return MS_OK;
}

/* The kind and day columns take NULL for "none". */
static struct arg day_arg(const struct key_parts *p) {
  return p->day[0] ? A_TEXT(p->day) : A_NULL;
}

/* Fills out from a row in SLICE_COLS order. out is overwritten. */
static int slice_from_row(sqlite3_stmt *q, struct slice *out) {
  const char *t;
  int rc;
  memset(out, 0, sizeof(*out));
  out->source_id = sqlite3_column_int64(q, 0);
  col_copy(q, 1, out->stream, sizeof(out->stream));
  col_copy(q, 2, out->key, sizeof(out->key));
  if (slice_key_parse(out->key, &out->kind, &out->day))
    return MS_EDB;
  t = col_text(q, 3);
  if (!t || slice_status_parse(t, &out->status))
    return MS_EDB;
  rc = col_dup(q, 4, &out->cursor);
  out->listed = sqlite3_column_int(q, 5) != 0;
  if (!rc)
    rc = col_dup(q, 6, &out->follow);
  if (!rc)
    rc = col_dup(q, 7, &out->follow_cursor);
  out->watermark = sqlite3_column_int64(q, 8);
  out->pass_start = sqlite3_column_int64(q, 9);
  out->pages = sqlite3_column_int64(q, 10);
  out->records = sqlite3_column_int64(q, 11);
  out->inserted = sqlite3_column_int64(q, 12);
  out->updated = sqlite3_column_int64(q, 13);
  out->unchanged = sqlite3_column_int64(q, 14);
  out->deleted = sqlite3_column_int64(q, 15);
  out->failed = sqlite3_column_int64(q, 16);
  out->retries = sqlite3_column_int64(q, 17);
  if (!rc)
    rc = col_dup(q, 18, &out->last_error);
  out->started_at = sqlite3_column_int64(q, 19);
  out->updated_at = sqlite3_column_int64(q, 20);
  out->completed_at = sqlite3_column_int64(q, 21);
  col_copy(q, 22, out->lease_owner, sizeof(out->lease_owner));
  out->lease_token = sqlite3_column_int64(q, 23);
  out->lease_expires = sqlite3_column_int64(q, 24);
  if (rc)
    slice_release(out);
  return rc;
}

/* The one row of a lookup or a RETURNING. */
struct slice_one {
  struct slice *out; /* where it goes */
  int found;         /* it came */
  int bad;           /* it could not be read: MS_ENOMEM or MS_EDB */
};

static int slice_one_row(void *ctx, sqlite3_stmt *q) {
  struct slice_one *o = ctx;
  int rc;
  if (o->found)
    return MS_OK;
  rc = slice_from_row(q, o->out);
  if (rc)
    return o->bad = rc;
  o->found = 1;
  return MS_OK;
}

/* A row that could not be read, in words. */
static int slice_row_fail(int rc, const struct slice_name *n, struct err *err) {
  if (rc == MS_ENOMEM)
    return err_set(err, rc, "out of memory reading slice %s", n->text);
  return err_set(err, MS_EDB, "slice %s holds a value this marketsync cannot read", n->text);
}

/* Runs a query that yields the slice row (SELECT or RETURNING) into out;
 * *found tells whether it came. */
static int slice_query(struct sqlite_store *s, const char *sql, struct args a, struct slice *out,
                       int *found, const struct slice_name *n, struct err *err, const char *what) {
  struct slice_one o = {out, 0, 0};
  int rc;
  memset(out, 0, sizeof(*out));
  rc = q_each(s, sql, a, slice_one_row, &o, err, what);
  if (o.bad)
    rc = slice_row_fail(o.bad, n, err);
  if (rc && o.found) {
    slice_release(out);
    memset(out, 0, sizeof(*out));
  }
  *found = o.found && !rc;
  return rc;
}

static int slice_ensure_in(struct sqlite_store *s, int64_t source_id, const char *stream,
                           const char *key, const struct key_parts *p, struct err *err) {
  int rc = q_each(s,
                  "INSERT INTO slices (source_id, stream, slice_key, kind, day) VALUES "
                  "(?1, ?2, ?3, ?4, ?5) ON CONFLICT (source_id, stream, slice_key) DO NOTHING",
                  ARGS(A_INT(source_id), A_TEXT(stream), A_TEXT(key),
                       A_TEXT(slice_kind_name(p->kind)), day_arg(p)),
                  NULL, NULL, err, "creating a slice");
  return rc ? slice_write_fail(s, rc, source_id, err) : MS_OK;
}

int sqlite_slice_ensure(struct store *st, int64_t source_id, const char *stream, const char *key,
                        struct err *err) {
  struct key_parts p;
  int rc = check_slice(stream, key, &p, err);
  return rc ? rc : slice_ensure_in(backend(st), source_id, stream, key, &p, err);
}

int sqlite_slice_get(struct store *st, int64_t source_id, const char *stream, const char *key,
                     struct slice *out, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct slice_name n;
  struct key_parts p;
  int found, rc;
  memset(out, 0, sizeof(*out));
  rc = check_slice(stream, key, &p, err);
  if (rc)
    return rc;
  slice_name_set(&n, source_id, stream, key);
  rc = slice_query(s, "SELECT " SLICE_COLS " FROM slices WHERE " SLICE_KEY,
                   ARGS(A_INT(source_id), A_TEXT(stream), A_TEXT(key)), out, &found, &n, err,
                   "reading a slice");
  if (!rc && !found)
    return err_set(err, MS_ENOTFOUND, "no slice %s", n.text);
  return rc;
}

/* The holder of a lease that has not run out, for MS_EHELD. */
struct holder {
  char owner[MS_NAME_MAX]; /* lease owner, "" if none */
  int in_progress;         /* status */
  int64_t expires;         /* lease expiry */
  int found;               /* the row came */
};

static int holder_row(void *ctx, sqlite3_stmt *q) {
  struct holder *h = ctx;
  const char *status = col_text(q, 0);
  col_copy(q, 1, h->owner, sizeof(h->owner));
  h->expires = sqlite3_column_int64(q, 2);
  h->in_progress = status && strcmp(status, "in_progress") == 0;
  h->found = 1;
  return MS_OK;
}

/* Inside the claim transaction: MS_EHELD when another owner's lease holds. */
static int claim_check(struct sqlite_store *s, int64_t source_id, const char *stream,
                       const char *key, const char *owner, int64_t now, const struct slice_name *n,
                       struct err *err) {
  struct holder h = {0};
  int rc = q_each(s, "SELECT status, lease_owner, lease_expires FROM slices WHERE " SLICE_KEY,
                  ARGS(A_INT(source_id), A_TEXT(stream), A_TEXT(key)), holder_row, &h, err,
                  "claiming a slice");
  if (rc)
    return rc;
  if (!h.found)
    return err_set(err, MS_EDB, "slice %s vanished while being claimed", n->text);
  if (h.in_progress && h.owner[0] && strcmp(h.owner, owner) != 0 && h.expires > now)
    return err_set(err, MS_EHELD,
                   "slice %s is being synced by %s (lease for %lld more seconds); try again "
                   "later",
                   n->text, h.owner, (long long)(h.expires - now));
  return MS_OK;
}

int sqlite_slice_claim(struct store *st, int64_t source_id, const char *stream, const char *key,
                       const char *owner, int64_t now, int lease_secs, struct slice *out,
                       struct err *err) {
  struct sqlite_store *s = backend(st);
  struct slice_name n;
  struct key_parts p;
  int rc, found = 0;
  memset(out, 0, sizeof(*out));
  rc = check_slice(stream, key, &p, err);
  if (!rc)
    rc = check_name("the worker id", owner, MS_NAME_MAX, err);
  if (rc)
    return rc;
  if (lease_secs <= 0)
    return err_set(err, MS_EINVAL, "the lease must last at least one second");
  slice_name_set(&n, source_id, stream, key);
  /* One statement makes the row if needed and takes the lease unless
   * another owner's holds; only a refusal reads who holds it. */
  rc = slice_query(s,
                   "INSERT INTO slices (source_id, stream, slice_key, kind, day, status, "
                   "lease_owner, lease_token, lease_expires, started_at, updated_at) VALUES "
                   "(?1, ?2, ?3, ?7, ?8, 'in_progress', ?4, 1, ?5, ?6, ?6) "
                   "ON CONFLICT (source_id, stream, slice_key) DO UPDATE SET "
                   "status = 'in_progress', lease_owner = ?4, "
                   "lease_token = slices.lease_token + 1, lease_expires = ?5, "
                   "started_at = CASE WHEN slices.started_at = 0 THEN ?6 ELSE slices.started_at "
                   "END, updated_at = ?6 WHERE NOT (slices.status = 'in_progress' AND "
                   "slices.lease_owner <> '' AND slices.lease_owner <> ?4 AND "
                   "slices.lease_expires > ?6) RETURNING " SLICE_COLS,
                   ARGS(A_INT(source_id), A_TEXT(stream), A_TEXT(key), A_TEXT(owner),
                        A_INT(now + lease_secs), A_INT(now), A_TEXT(slice_kind_name(p.kind)),
                        day_arg(&p)),
                   out, &found, &n, err, "claiming a slice");
  if (rc)
    return slice_write_fail(s, rc, source_id, err);
  if (!found) {
    rc = claim_check(s, source_id, stream, key, owner, now, &n, err);
    memset(out, 0, sizeof(*out));
    return rc ? rc : err_set(err, MS_EDB, "slice %s could not be claimed", n.text);
  }
  return MS_OK;
}

/* A new pass: pending from the start, counters cleared, the lease fenced
 * off; a window's watermark stays (it is what the next pass starts from). */
static int slice_reset_in(struct sqlite_store *s, int64_t source_id, const char *stream,
                          const char *key, const struct key_parts *p, struct err *err) {
  int rc = q_each(s,
                  "INSERT INTO slices (source_id, stream, slice_key, kind, day, updated_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                  "ON CONFLICT (source_id, stream, slice_key) DO UPDATE SET status = 'pending', "
                  "cursor = NULL, listed = 0, follow = NULL, follow_cursor = NULL, "
                  "pass_start = 0, pages = 0, records = 0, inserted = 0, updated = 0, "
                  "unchanged = 0, deleted = 0, failed = 0, retries = 0, last_error = NULL, "
                  "started_at = 0, updated_at = excluded.updated_at, completed_at = 0, "
                  "lease_owner = '', lease_token = slices.lease_token + 1, lease_expires = 0",
                  ARGS(A_INT(source_id), A_TEXT(stream), A_TEXT(key),
                       A_TEXT(slice_kind_name(p->kind)), day_arg(p), A_INT(now_utc())),
                  NULL, NULL, err, "resetting a slice");
  return rc ? slice_write_fail(s, rc, source_id, err) : MS_OK;
}

int sqlite_slice_reset(struct store *st, int64_t source_id, const char *stream, const char *key,
                       struct err *err) {
  struct key_parts p;
  int rc = check_slice(stream, key, &p, err);
  return rc ? rc : slice_reset_in(backend(st), source_id, stream, key, &p, err);
}

/* A JSON array of non-empty strings, or NULL. */
static int check_follow(const char *follow, struct err *err) {
  cJSON *list, *e;
  int ok;
  if (!follow)
    return MS_OK;
  list = cJSON_Parse(follow);
  ok = cJSON_IsArray(list);
  for (e = ok ? list->child : NULL; e; e = e->next)
    if (!cJSON_IsString(e) || !*e->valuestring)
      ok = 0;
  cJSON_Delete(list);
  return ok ? MS_OK
            : err_set(err, MS_EINVAL, "the ids waiting for follow-ups must be a JSON array of ids");
}

int sqlite_slice_seed(struct store *st, int64_t source_id, const char *stream, const char *key,
                      const char *cursor, const char *follow, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct key_parts p;
  int rc = check_slice(stream, key, &p, err);
  if (!rc)
    rc = check_follow(follow, err);
  if (!rc)
    rc = tx_begin(s, err);
  if (rc)
    return rc;
  rc = slice_reset_in(s, source_id, stream, key, &p, err);
  if (!rc)
    rc = q_each(s, "UPDATE slices SET cursor = ?4, listed = ?5, follow = ?6 WHERE " SLICE_KEY,
                ARGS(A_INT(source_id), A_TEXT(stream), A_TEXT(key), A_TEXT(cursor),
                     A_INT(cursor == NULL), A_TEXT(follow)),
                NULL, NULL, err, "seeding a slice");
  if (!rc)
    rc = tx_commit(s, err);
  if (rc)
    tx_rollback(s);
  return rc;
}

int lease_lost(struct sqlite_store *s, const struct slice *sl, struct err *err) {
  struct slice_name n;
  struct slice now;
  struct err ignored;
  slice_name_set(&n, sl->source_id, sl->stream, sl->key);
  if (sqlite_slice_get(&s->base, sl->source_id, sl->stream, sl->key, &now, &ignored))
    return err_set(err, MS_ELEASE,
                   "lost the lease on slice %s: it no longer exists; nothing was written", n.text);
  err_set(err, MS_ELEASE,
          "lost the lease on slice %s (our token %lld, now %lld, %s%s%s); another worker or a "
          "reset took it over, nothing was written",
          n.text, (long long)sl->lease_token, (long long)now.lease_token,
          slice_status_name(now.status), now.lease_owner[0] ? " by " : "", now.lease_owner);
  slice_release(&now);
  return MS_ELEASE;
}

/* Runs a fenced single-statement update: ?1..?4 are the slice and its
 * token, then `more`. MS_ELEASE (explained) when it matched nothing. */
static int fenced_run(struct sqlite_store *s, const struct slice *sl, const char *sql,
                      const struct arg *more, size_t nmore, struct err *err, const char *what) {
  struct arg a[8] = {A_INT(sl->source_id), A_TEXT(sl->stream), A_TEXT(sl->key),
                     A_INT(sl->lease_token)};
  int rc;
  for (size_t i = 0; i < nmore && i + 4 < sizeof(a) / sizeof(a[0]); i++)
    a[4 + i] = more[i];
  rc = q_each(s, sql, (struct args){a, 4 + nmore}, NULL, NULL, err, what);
  if (!rc && q_changes(s) == 0)
    return lease_lost(s, sl, err);
  return rc;
}

int sqlite_slice_fail(struct store *st, const struct slice *sl, enum slice_status status,
                      const char *error, struct err *err) {
  char msg[ERROR_TEXT_MAX];
  if (status != SLICE_FAILED && status != SLICE_PENDING)
    return err_set(err, MS_EINVAL, "a slice can only fail to \"failed\" or \"pending\", not %s",
                   slice_status_name(status));
  one_line(error ? error : "unknown error", msg, sizeof(msg));
  const struct arg more[] = {A_TEXT(slice_status_name(status)), A_TEXT(msg), A_INT(now_utc())};
  return fenced_run(backend(st), sl,
                    "UPDATE slices SET status = ?5, last_error = ?6, retries = retries + 1, "
                    "lease_owner = '', lease_expires = 0, updated_at = ?7 WHERE " SLICE_FENCE,
                    more, 3, err, "recording a slice failure");
}

/* With follow-ups waiting, the rejected cursor was the first one's
 * children cursor: its children start again. Otherwise the listing does. */
int sqlite_slice_restart(struct store *st, const struct slice *sl, const char *why,
                         struct err *err) {
  char msg[ERROR_TEXT_MAX];
  one_line(why, msg, sizeof(msg));
  const struct arg more[] = {A_TEXT(msg[0] ? msg : NULL), A_INT(now_utc())};
  return fenced_run(backend(st), sl,
                    "UPDATE slices SET "
                    "cursor = CASE WHEN " FOLLOW_WAITING " THEN cursor ELSE NULL END, "
                    "listed = CASE WHEN " FOLLOW_WAITING " THEN listed ELSE 0 END, "
                    "follow_cursor = NULL, last_error = ?5, updated_at = ?6 WHERE " SLICE_FENCE,
                    more, 2, err, "restarting a slice");
}

int sqlite_slice_release(struct store *st, const struct slice *sl, struct err *err) {
  const struct arg more[] = {A_INT(now_utc())};
  return fenced_run(backend(st), sl,
                    "UPDATE slices SET status = 'pending', lease_owner = '', lease_expires = 0, "
                    "updated_at = ?5 WHERE " SLICE_FENCE,
                    more, 1, err, "releasing a slice");
}

/* Whether the fenced slice is held by our token. */
static int fence_row(void *ctx, sqlite3_stmt *q) {
  *(int *)ctx = 1;
  (void)q;
  return MS_OK;
}

int slice_fence(struct sqlite_store *s, const struct slice *sl, struct err *err) {
  int held = 0;
  int rc = q_each(
      s, "SELECT 1 FROM slices WHERE " SLICE_FENCE,
      ARGS(A_INT(sl->source_id), A_TEXT(sl->stream), A_TEXT(sl->key), A_INT(sl->lease_token)),
      fence_row, &held, err, "checking the slice lease");
  return rc ? rc : held ? MS_OK : MS_ELEASE;
}

int slice_advance(struct sqlite_store *s, const struct slice *sl, const struct slice_advance *a,
                  const struct page_counts *c, int64_t now, struct slice *stored, struct err *err) {
  struct slice_name n;
  int found, rc;
  slice_name_set(&n, sl->source_id, sl->stream, sl->key);
  /* In SET, columns name their old values: a pass (of a day or a window)
   * starts at ?17 on its first page. A completed window has seen every
   * change before its start, so its watermark moves there; midway it moves to the page's largest
   * update time, never past the pass's start. */
  rc = slice_query(s,
                   "UPDATE slices SET cursor = ?5, pages = pages + 1, records = records + ?6, "
                   "inserted = inserted + ?7, updated = updated + ?8, unchanged = unchanged + ?9, "
                   "updated_at = ?10, failed = failed + ?11, listed = ?12, follow = ?13, "
                   "follow_cursor = ?14, "
                   "status = CASE WHEN ?15 THEN 'completed' ELSE 'in_progress' END, "
                   "completed_at = CASE WHEN ?15 THEN ?10 ELSE completed_at END, "
                   "lease_owner = CASE WHEN ?15 THEN '' ELSE lease_owner END, "
                   "lease_expires = CASE WHEN ?15 THEN 0 ELSE lease_expires END, "
                   "deleted = deleted + ?16, retries = 0, last_error = NULL, "
                   "pass_start = CASE WHEN pass_start = 0 THEN ?17 ELSE pass_start END, "
                   "watermark = CASE WHEN kind <> 'window' THEN watermark "
                   "WHEN ?15 AND (pass_start > 0 OR ?17 > 0) THEN max(watermark, "
                   "CASE WHEN pass_start = 0 THEN ?17 ELSE pass_start END) "
                   "WHEN ?18 IS NOT NULL THEN max(watermark, min(?18, "
                   "CASE WHEN pass_start = 0 THEN ?17 ELSE pass_start END)) ELSE watermark END "
                   "WHERE " SLICE_FENCE " RETURNING " SLICE_COLS,
                   ARGS(A_INT(sl->source_id), A_TEXT(sl->stream), A_TEXT(sl->key),
                        A_INT(sl->lease_token), A_TEXT(a->cursor), A_INT(a->records),
                        A_INT(c->inserted), A_INT(c->updated), A_INT(c->unchanged), A_INT(now),
                        A_INT(c->failed), A_INT(a->listed), A_TEXT(a->follow),
                        A_TEXT(a->follow_cursor), A_INT(a->done), A_INT(c->deleted),
                        A_INT(a->pass_start), a->has_updated ? A_INT(a->max_updated) : A_NULL),
                   stored, &found, &n, err, "saving the slice cursor");
  return rc ? rc : found ? MS_OK : MS_ELEASE;
}

/* Slices held in memory. */
struct slice_set {
  struct slice *v; /* rows */
  size_t n;        /* used */
  size_t cap;      /* allocated */
  int bad;         /* a row could not be held: MS_ENOMEM, MS_ETOOBIG or MS_EDB */
};

static int slice_set_row(void *ctx, sqlite3_stmt *q) {
  struct slice_set *set = ctx;
  int rc = set->n >= SLICE_ROWS_MAX ? MS_ETOOBIG : MS_OK;
  if (!rc)
    rc = array_reserve((void **)&set->v, &set->cap, set->n + 1, sizeof(*set->v), 64);
  if (!rc)
    rc = slice_from_row(q, &set->v[set->n]);
  if (rc)
    return set->bad = rc;
  set->n++;
  return MS_OK;
}

static int check_day_bound(const char *what, const char *v, struct err *err) {
  struct civil_date d;
  if (v && date_parse(v, &d, NULL))
    return err_set(err, MS_EINVAL, "%s date \"%.40s\" is not a YYYY-MM-DD day", what, v);
  return MS_OK;
}

/* Slices are read in full before the callbacks run, so a callback may
 * claim or change the slice it is given. */
int sqlite_slice_list(struct store *st, const struct slice_filter *f, slice_cb cb, void *ctx,
                      struct err *err) {
  struct slice_set set = {0};
  const char *kind = NULL;
  int rc = check_day_bound("the from", f->from, err);
  if (!rc)
    rc = check_day_bound("the to", f->to, err);
  if (!rc && f->kind) {
    kind = slice_kind_name((enum slice_kind)f->kind);
    if (strcmp(kind, "?") == 0)
      rc = err_set(err, MS_EINVAL, "slice kind %d is not one this marketsync knows", f->kind);
  }
  if (rc)
    return rc;
  rc = q_each(backend(st),
              "SELECT " SLICE_COLS " FROM slices WHERE (?1 = 0 OR source_id = ?1) "
              "AND (?2 IS NULL OR stream = ?2) AND (?3 IS NULL OR day >= ?3) "
              "AND (?4 IS NULL OR day <= ?4) AND (?5 = 0 OR status = 'failed') "
              "AND (?6 = 0 OR status IN ('pending', 'failed') "
              "OR (status = 'in_progress' AND lease_expires <= ?7)) "
              "AND (?8 IS NULL OR kind = ?8) ORDER BY day, source_id, stream, slice_key",
              ARGS(A_INT(f->source_id), A_TEXT(f->stream), A_TEXT(f->from), A_TEXT(f->to),
                   A_INT(f->only_failed != 0), A_INT(f->only_open != 0), A_INT(f->now),
                   A_TEXT(kind)),
              slice_set_row, &set, err, "listing slices");
  if (set.bad == MS_ENOMEM)
    err_set(err, rc, "out of memory listing slices");
  else if (set.bad == MS_ETOOBIG)
    err_set(err, rc, "too many slices to list at once; narrow the filter");
  else if (set.bad)
    err_set(err, rc, "a slice holds a value this marketsync cannot read");
  for (size_t i = 0; i < set.n && !rc; i++)
    rc = cb(ctx, &set.v[i]);
  for (size_t i = 0; i < set.n; i++)
    slice_release(&set.v[i]);
  free(set.v);
  return rc;
}
