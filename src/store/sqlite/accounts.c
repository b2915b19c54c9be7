/* Accounts: the owners of sources. A source belongs to one account or to
 * none; users see the sources of the accounts they are members of. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

#define ACCOUNT_COLS "id, name, created_at"
#define ACCOUNTS_LIST_MAX 1000000 /* a list holds no more */
#define OWNED_SHOWN 3             /* sources named when a removal is refused */

static int is_unique_violation(int rc) {
  return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

static int account_read(sqlite3_stmt *q, void *out) {
  struct account_row *a = out;
  memset(a, 0, sizeof(*a));
  a->id = sqlite3_column_int64(q, 0);
  col_copy(q, 1, a->name, sizeof(a->name));
  a->created_at = sqlite3_column_int64(q, 2);
  return MS_OK;
}

static void account_forget(void *row) {
  (void)row; /* nothing owned */
}

static int id_row(void *ctx, sqlite3_stmt *q) {
  *(int64_t *)ctx = sqlite3_column_int64(q, 0);
  return MS_OK;
}

int sqlite_account_add(struct store *st, struct account_row *a, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_ident("the account name", a->name, sizeof(a->name), err);
  if (!rc)
    rc = check_time("the account's creation time", a->created_at, err);
  if (rc)
    return rc;
  rc = q_each(s, "INSERT INTO accounts (name, created_at) VALUES (?1, ?2) RETURNING id",
              ARGS(A_TEXT(a->name), A_INT(a->created_at)), id_row, &a->id, err,
              "adding the account");
  if (rc && is_unique_violation(s->last_rc))
    return err_set(err, MS_EEXIST, "an account named \"%s\" already exists; pick another name",
                   a->name);
  return rc;
}

static int account_fetch(struct sqlite_store *s, const char *sql, struct args a,
                         struct account_row *out, const char *missing, struct err *err) {
  struct account_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(s, sql, a, sizeof(*v), account_read, account_forget, 1, (void **)&v, &n, err,
                     "reading an account");
  memset(out, 0, sizeof(*out));
  if (!rc && n == 0)
    rc = err_set(err, MS_ENOTFOUND, "%s", missing);
  if (!rc)
    *out = v[0];
  free(v);
  return rc;
}

int sqlite_account_get(struct store *st, const char *name, struct account_row *out,
                       struct err *err) {
  char missing[MS_ERR_MSG_MAX];
  snprintf(missing, sizeof(missing),
           "no account named \"%s\"; `marketsync account list` shows the existing ones",
           name ? name : "");
  return account_fetch(backend(st), "SELECT " ACCOUNT_COLS " FROM accounts WHERE name = ?1",
                       ARGS(A_TEXT(name ? name : "")), out, missing, err);
}

int sqlite_account_get_id(struct store *st, int64_t id, struct account_row *out, struct err *err) {
  char missing[80];
  snprintf(missing, sizeof(missing), "there is no account with id %lld (was it removed?)",
           (long long)id);
  return account_fetch(backend(st), "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1",
                       ARGS(A_INT(id)), out, missing, err);
}

int sqlite_account_list(struct store *st, account_cb cb, void *ctx, struct err *err) {
  struct account_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(backend(st), "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY name", NO_ARGS,
                     sizeof(*v), account_read, account_forget, ACCOUNTS_LIST_MAX, (void **)&v, &n,
                     err, "listing accounts");
  for (size_t i = 0; i < n && !rc; i++)
    rc = cb(ctx, &v[i]);
  free(v);
  return rc;
}

/* The names of the first sources an account owns, for the refusal. */
struct owned {
  char names[OWNED_SHOWN * (MS_NAME_MAX + 2)]; /* "a, b, c" */
  size_t used;                                 /* bytes of names */
  int shown;                                   /* names in it */
};

static int owned_row(void *ctx, sqlite3_stmt *q) {
  struct owned *o = ctx;
  const char *name = col_text(q, 0);
  int n = snprintf(o->names + o->used, sizeof(o->names) - o->used, "%s%s", o->shown ? ", " : "",
                   name ? name : "");
  if (n > 0 && (size_t)n < sizeof(o->names) - o->used)
    o->used += (size_t)n;
  o->shown++;
  return MS_OK;
}

/* Checked and deleted in one transaction: a source added to the account
 * between the two would otherwise be left pointing at nothing (and the
 * foreign key refuses the delete anyway, as a backstop). */
int sqlite_account_remove(struct store *st, const char *name, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct owned o = {.used = 0};
  int64_t id = 0, count = 0;
  int found = 0, rc = tx_begin(s, err);
  if (!rc)
    rc = q_int(s, "SELECT id FROM accounts WHERE name = ?1", ARGS(A_TEXT(name ? name : "")), &id,
               &found, err, "removing the account");
  if (!rc && !found)
    rc = err_set(err, MS_ENOTFOUND,
                 "no account named \"%s\"; `marketsync account list` shows the existing ones",
                 name ? name : "");
  if (!rc)
    rc = q_int(s, "SELECT count(*) FROM sources WHERE account_id = ?1", ARGS(A_INT(id)), &count,
               NULL, err, "removing the account");
  if (!rc && count > 0) {
    rc = q_each(s, "SELECT name FROM sources WHERE account_id = ?1 ORDER BY name LIMIT ?2",
                ARGS(A_INT(id), A_INT(OWNED_SHOWN)), owned_row, &o, err, "removing the account");
    if (!rc)
      rc = err_set(err, MS_EEXIST,
                   "the account %s still owns %lld source%s (%s%s): move them to another account "
                   "with `marketsync source edit NAME --account OTHER`, or remove them, first",
                   name, (long long)count, count == 1 ? "" : "s", o.names,
                   count > OWNED_SHOWN ? ", ..." : "");
  }
  if (!rc)
    rc = q_each(s, "DELETE FROM accounts WHERE id = ?1", ARGS(A_INT(id)), NULL, NULL, err,
                "removing the account");
  if (!rc)
    return tx_commit(s, err);
  tx_rollback(s);
  return rc;
}
