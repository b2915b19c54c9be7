/* Sources: the configured connections, one row each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"
#include "util/array.h"

/* A source with its account's name: FROM SOURCE_FROM. */
#define SOURCE_COLS                                                                                \
  "s.id, s.name, s.connector, s.settings, s.credentials, s.created_at, s.last_sync_at, "           \
  "s.last_error, s.account_id, a.name"
#define SOURCE_FROM "sources s LEFT JOIN accounts a ON a.id = s.account_id"

static int check_source(const struct source_row *r, struct err *err) {
  int rc = check_name("the source name", r->name, sizeof(r->name), err);
  if (!rc)
    rc = check_name("the connector name", r->connector, sizeof(r->connector), err);
  return rc;
}

static int is_unique_violation(int rc) {
  return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

/* Fills out from a row in SOURCE_COLS order. */
static int row_to_source(sqlite3_stmt *q, struct source_row *out) {
  int rc;
  memset(out, 0, sizeof(*out));
  out->id = sqlite3_column_int64(q, 0);
  col_copy(q, 1, out->name, sizeof(out->name));
  col_copy(q, 2, out->connector, sizeof(out->connector));
  rc = col_dup(q, 3, &out->settings);
  if (!rc)
    rc = col_dup(q, 4, &out->credentials);
  out->created_at = sqlite3_column_int64(q, 5);
  out->last_sync_at = sqlite3_column_int64(q, 6);
  if (!rc)
    rc = col_dup(q, 7, &out->last_error);
  out->account_id = sqlite3_column_int64(q, 8);
  col_copy(q, 9, out->account, sizeof(out->account));
  if (rc)
    source_row_release(out);
  return rc;
}

static int id_row(void *ctx, sqlite3_stmt *q) {
  *(int64_t *)ctx = sqlite3_column_int64(q, 0);
  return MS_OK;
}

int sqlite_source_add(struct store *st, struct source_row *r, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_source(r, err);
  if (rc)
    return rc;
  if (!r->created_at)
    r->created_at = now_utc();
  rc = q_each(s,
              "INSERT INTO sources (name, connector, settings, credentials, created_at, "
              "last_sync_at, last_error, account_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
              "RETURNING id",
              ARGS(A_TEXT(r->name), A_TEXT(r->connector), A_TEXT(r->settings ? r->settings : "{}"),
                   A_TEXT(r->credentials ? r->credentials : "{}"), A_INT(r->created_at),
                   A_INT(r->last_sync_at), A_TEXT(r->last_error),
                   r->account_id ? A_INT(r->account_id) : A_NULL),
              id_row, &r->id, err, "adding the source");
  if (rc && is_unique_violation(s->last_rc))
    return err_set(err, MS_EEXIST,
                   "a source named \"%s\" already exists; pick another name or remove it first",
                   r->name);
  if (rc && s->last_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    return err_set(err, MS_ENOTFOUND,
                   "there is no account with id %lld (was it removed?); the source was not added",
                   (long long)r->account_id);
  return rc;
}

/* The one row of a lookup. */
struct source_one {
  struct source_row *out; /* where it goes */
  int found;              /* it came */
};

static int source_one_row(void *ctx, sqlite3_stmt *q) {
  struct source_one *o = ctx;
  int rc = row_to_source(q, o->out);
  o->found = rc == MS_OK;
  return rc;
}

static int source_fetch(struct sqlite_store *s, const char *sql, struct args a,
                        struct source_row *out, struct err *err, const char *missing) {
  struct source_one o = {out, 0};
  int rc;
  memset(out, 0, sizeof(*out));
  rc = q_each(s, sql, a, source_one_row, &o, err, "reading a source");
  if (rc == MS_ENOMEM && !o.found)
    return err_set(err, rc, "out of memory reading a source");
  if (!rc && !o.found)
    return err_set(err, MS_ENOTFOUND, "%s", missing);
  return rc;
}

int sqlite_source_get(struct store *st, const char *name, struct source_row *out, struct err *err) {
  char missing[MS_ERR_MSG_MAX];
  snprintf(missing, sizeof(missing),
           "no source named \"%s\"; `marketsync source list` shows the configured ones",
           name ? name : "");
  return source_fetch(backend(st), "SELECT " SOURCE_COLS " FROM " SOURCE_FROM " WHERE s.name = ?1",
                      ARGS(A_TEXT(name ? name : "")), out, err, missing);
}

int sqlite_source_get_id(struct store *st, int64_t id, struct source_row *out, struct err *err) {
  char missing[64];
  snprintf(missing, sizeof(missing), "no source with id %lld", (long long)id);
  return source_fetch(backend(st), "SELECT " SOURCE_COLS " FROM " SOURCE_FROM " WHERE s.id = ?1",
                      ARGS(A_INT(id)), out, err, missing);
}

/* Every source, held in memory. */
struct source_set {
  struct source_row *v; /* rows */
  size_t n;             /* used */
  size_t cap;           /* allocated */
};

static int source_set_row(void *ctx, sqlite3_stmt *q) {
  struct source_set *set = ctx;
  int rc = array_reserve((void **)&set->v, &set->cap, set->n + 1, sizeof(*set->v), 16);
  if (!rc)
    rc = row_to_source(q, &set->v[set->n]);
  if (!rc)
    set->n++;
  return rc;
}

/* Sources are read in full before the callback runs, so it may write. */
int sqlite_source_list(struct store *st, source_cb cb, void *ctx, struct err *err) {
  struct source_set set = {0};
  int rc = q_each(backend(st), "SELECT " SOURCE_COLS " FROM " SOURCE_FROM " ORDER BY s.name",
                  NO_ARGS, source_set_row, &set, err, "listing sources");
  if (rc == MS_ENOMEM)
    err_set(err, rc, "out of memory listing sources");
  for (size_t i = 0; i < set.n && !rc; i++)
    rc = cb(ctx, &set.v[i]);
  for (size_t i = 0; i < set.n; i++)
    source_row_release(&set.v[i]);
  free(set.v);
  return rc;
}

int sqlite_source_update(struct store *st, const struct source_row *r, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_source(r, err);
  if (rc)
    return rc;
  /* Not the credentials: a row read before a sync and written back after
   * it would put back secrets sealed with a key a rotation has retired
   * meanwhile (source_credentials_swap changes them, compared and set). */
  rc = q_each(s,
              "UPDATE sources SET name = ?2, connector = ?3, settings = ?4, last_sync_at = ?5, "
              "last_error = ?6 WHERE id = ?1",
              ARGS(A_INT(r->id), A_TEXT(r->name), A_TEXT(r->connector),
                   A_TEXT(r->settings ? r->settings : "{}"), A_INT(r->last_sync_at),
                   A_TEXT(r->last_error)),
              NULL, NULL, err, "updating the source");
  if (rc && is_unique_violation(s->last_rc))
    return err_set(err, MS_EEXIST, "a source named \"%s\" already exists; pick another name",
                   r->name);
  if (!rc && q_changes(s) == 0)
    return err_set(err, MS_ENOTFOUND, "no source with id %lld (was it removed?)", (long long)r->id);
  return rc;
}

/* Its slices, records of every stream and failed records go with it: each
 * of their tables refers to sources with ON DELETE CASCADE. */
int sqlite_source_remove(struct store *st, const char *name, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = q_each(s, "DELETE FROM sources WHERE name = ?1", ARGS(A_TEXT(name ? name : "")), NULL,
                  NULL, err, "removing the source");
  if (!rc && q_changes(s) == 0)
    return err_set(err, MS_ENOTFOUND,
                   "no source named \"%s\"; `marketsync source list` shows the configured ones",
                   name ? name : "");
  return rc;
}

int sqlite_source_set_account(struct store *st, int64_t source_id, int64_t account_id,
                              struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = q_each(s, "UPDATE sources SET account_id = ?2 WHERE id = ?1",
                  ARGS(A_INT(source_id), account_id ? A_INT(account_id) : A_NULL), NULL, NULL, err,
                  "moving the source to another account");
  if (rc && s->last_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    return err_set(err, MS_ENOTFOUND, "there is no account with id %lld (was it removed?)",
                   (long long)account_id);
  if (!rc && q_changes(s) == 0)
    return err_set(err, MS_ENOTFOUND, "no source with id %lld (was it removed?)",
                   (long long)source_id);
  return rc;
}

/* Compare and set, all or nothing: a rotation that read the credentials
 * before another process changed them must not write its stale copy. */
int sqlite_source_credentials_swap(struct store *st, const struct credentials_change *v, size_t n,
                                   struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = MS_OK;
  for (size_t i = 0; i < n && !rc; i++)
    rc = check_json_object("the new credentials", v[i].to, SOURCE_CREDENTIALS_MAX, err);
  if (!rc)
    rc = tx_begin(s, err);
  for (size_t i = 0; i < n && !rc; i++) {
    rc = q_each(s, "UPDATE sources SET credentials = ?3 WHERE id = ?1 AND credentials = ?2",
                ARGS(A_INT(v[i].source_id), A_TEXT(v[i].from ? v[i].from : "{}"), A_TEXT(v[i].to)),
                NULL, NULL, err, "replacing the credentials of sources");
    if (!rc && q_changes(s) == 0)
      rc = err_set(err, MS_EBUSY,
                   "the credentials of source id %lld were changed or removed meanwhile; nothing "
                   "was written, try again",
                   (long long)v[i].source_id);
  }
  if (!rc)
    return tx_commit(s, err);
  tx_rollback(s);
  return rc;
}

int sqlite_source_streak(struct store *st, int64_t source_id, int failed, int64_t now,
                         int64_t *before, int64_t *after, struct err *err) {
  struct sqlite_store *s = backend(st);
  int found = 0, rc = tx_begin(s, err);
  *before = *after = 0;
  if (!rc)
    rc = q_int(s, "SELECT fail_streak FROM source_health WHERE source_id = ?1",
               ARGS(A_INT(source_id)), before, &found, err, "reading the source's health");
  *after = failed ? *before + 1 : 0;
  if (!rc)
    rc =
        q_each(s,
               "INSERT INTO source_health (source_id, fail_streak, updated_at) VALUES (?1, ?2, ?3) "
               "ON CONFLICT (source_id) DO UPDATE SET fail_streak = ?2, updated_at = ?3",
               ARGS(A_INT(source_id), A_INT(*after), A_INT(now)), NULL, NULL, err,
               "keeping the source's health");
  if (!rc)
    rc = tx_commit(s, err);
  else
    tx_rollback(s);
  return rc;
}
