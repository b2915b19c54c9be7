/* API tokens. The store keeps the hash of a token and the few characters
 * shown to people, never the token: a copy of the database (a backup, a
 * dump) lets nobody in. A token is found by its hash, through the unique
 * index on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

#define TOKEN_COLS                                                                                 \
  "t.id, t.user_id, u.name, t.label, t.hash, t.prefix, t.created_at, t.last_used_at, "             \
  "t.revoked_at"
#define TOKEN_FROM "api_tokens t JOIN users u ON u.id = t.user_id"
#define TOKENS_LIST_MAX 1000000 /* a list holds no more */

static int token_read(sqlite3_stmt *q, void *out) {
  struct token_row *t = out;
  memset(t, 0, sizeof(*t));
  t->id = sqlite3_column_int64(q, 0);
  t->user_id = sqlite3_column_int64(q, 1);
  col_copy(q, 2, t->user, sizeof(t->user));
  col_copy(q, 3, t->label, sizeof(t->label));
  col_copy(q, 4, t->hash, sizeof(t->hash));
  col_copy(q, 5, t->prefix, sizeof(t->prefix));
  t->created_at = sqlite3_column_int64(q, 6);
  t->last_used_at = sqlite3_column_int64(q, 7);
  t->revoked_at = sqlite3_column_int64(q, 8);
  return MS_OK;
}

static void token_forget(void *row) {
  (void)row; /* nothing owned */
}

static int token_check(const struct token_row *t, struct err *err) {
  int rc = check_name("the token's hash", t->hash, sizeof(t->hash), err);
  if (!rc)
    rc = check_name("the token's prefix", t->prefix, sizeof(t->prefix), err);
  if (!rc &&
      (strnlen(t->label, sizeof(t->label)) >= sizeof(t->label) || strpbrk(t->label, "\r\n\t")))
    rc = err_set(err, MS_EINVAL, "a token's label is one line of at most %zu characters",
                 sizeof(t->label) - 1);
  if (!rc)
    rc = check_time("the token's creation time", t->created_at, err);
  return rc;
}

static int id_row(void *ctx, sqlite3_stmt *q) {
  *(int64_t *)ctx = sqlite3_column_int64(q, 0);
  return MS_OK;
}

int sqlite_token_add(struct store *st, struct token_row *t, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = token_check(t, err);
  if (rc)
    return rc;
  rc = q_each(s,
              "INSERT INTO api_tokens (user_id, label, hash, prefix, created_at, last_used_at, "
              "revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, 0) RETURNING id",
              ARGS(A_INT(t->user_id), A_TEXT(t->label), A_TEXT(t->hash), A_TEXT(t->prefix),
                   A_INT(t->created_at)),
              id_row, &t->id, err, "adding the token");
  if (rc && s->last_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    return err_set(err, MS_ENOTFOUND, "there is no user with id %lld (was it removed?)",
                   (long long)t->user_id);
  if (rc && s->last_rc == SQLITE_CONSTRAINT_UNIQUE)
    return err_set(err, MS_EEXIST, "a token with that hash is stored already; make another token");
  return rc;
}

int sqlite_token_find_by_hash(struct store *st, const char *hash, struct token_row *out,
                              struct err *err) {
  struct token_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(backend(st), "SELECT " TOKEN_COLS " FROM " TOKEN_FROM " WHERE t.hash = ?1",
                     ARGS(A_TEXT(hash ? hash : "")), sizeof(*v), token_read, token_forget, 1,
                     (void **)&v, &n, err, "looking up a token");
  memset(out, 0, sizeof(*out));
  if (!rc && n == 0)
    rc = err_set(err, MS_ENOTFOUND, "no such token");
  if (!rc)
    *out = v[0];
  free(v);
  return rc;
}

int sqlite_token_list(struct store *st, int64_t user_id, token_cb cb, void *ctx, struct err *err) {
  struct token_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(backend(st),
                     "SELECT " TOKEN_COLS " FROM " TOKEN_FROM
                     " WHERE ?1 = 0 OR t.user_id = ?1 ORDER BY t.id",
                     ARGS(A_INT(user_id)), sizeof(*v), token_read, token_forget, TOKENS_LIST_MAX,
                     (void **)&v, &n, err, "listing tokens");
  for (size_t i = 0; i < n && !rc; i++)
    rc = cb(ctx, &v[i]);
  free(v);
  return rc;
}

static int no_token(int64_t id, struct err *err) {
  return err_set(err, MS_ENOTFOUND,
                 "there is no token with id %lld; `marketsync token list` shows them",
                 (long long)id);
}

int sqlite_token_revoke(struct store *st, int64_t id, int64_t now, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_time("the revocation time", now, err);
  if (!rc)
    rc = q_each(s,
                "UPDATE api_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ?2 ELSE "
                "revoked_at END WHERE id = ?1",
                ARGS(A_INT(id), A_INT(now)), NULL, NULL, err, "revoking the token");
  if (!rc && q_changes(s) == 0)
    return no_token(id, err);
  return rc;
}

int sqlite_token_touch(struct store *st, int64_t id, int64_t now, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_time("the time of use", now, err);
  if (!rc)
    rc = q_each(s, "UPDATE api_tokens SET last_used_at = max(last_used_at, ?2) WHERE id = ?1",
                ARGS(A_INT(id), A_INT(now)), NULL, NULL, err, "noting the token's use");
  if (!rc && q_changes(s) == 0)
    return no_token(id, err);
  return rc;
}
