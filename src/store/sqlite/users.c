/* Users and their memberships of accounts. A user is an admin (sees
 * everything) or a member of accounts (sees their sources). The store keeps
 * a password only as the hash it is given; it never sees the password. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

/* The account ids come as one text "3,1,2", parsed and sorted. */
#define USER_COLS                                                                                  \
  "u.id, u.name, u.admin, u.password_hash, u.created_at, "                                         \
  "(SELECT group_concat(m.account_id) FROM user_accounts m WHERE m.user_id = u.id)"
#define USERS_LIST_MAX 1000000 /* a list holds no more */

static int is_unique_violation(int rc) {
  return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

static int cmp_id(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* "3,1,2" into a sorted array. */
static int ids_parse(const char *text, int64_t **out, size_t *n) {
  size_t count = 0, cap = 1;
  int64_t *v;
  *out = NULL;
  *n = 0;
  if (!text || !*text)
    return MS_OK;
  for (const char *p = text; *p; p++)
    cap += *p == ',';
  v = calloc(cap, sizeof(*v));
  if (!v)
    return MS_ENOMEM;
  for (const char *p = text; *p && count < cap;) {
    char *end;
    long long id;
    errno = 0;
    id = strtoll(p, &end, 10);
    if (end == p || errno || (*end && *end != ',')) {
      free(v);
      return MS_EDB; /* not what the query makes */
    }
    v[count++] = (int64_t)id;
    p = *end ? end + 1 : end;
  }
  qsort(v, count, sizeof(*v), cmp_id);
  *out = v;
  *n = count;
  return MS_OK;
}

static int user_read(sqlite3_stmt *q, void *out) {
  struct user_row *u = out;
  int rc;
  memset(u, 0, sizeof(*u));
  u->id = sqlite3_column_int64(q, 0);
  col_copy(q, 1, u->name, sizeof(u->name));
  u->admin = sqlite3_column_int(q, 2) != 0;
  rc = col_dup(q, 3, &u->password_hash);
  u->created_at = sqlite3_column_int64(q, 4);
  if (!rc)
    rc = ids_parse(col_text(q, 5), &u->accounts, &u->naccounts);
  if (rc)
    user_row_release(u);
  return rc;
}

static void user_forget(void *row) {
  user_row_release(row);
}

static int check_accounts(const int64_t *ids, size_t n, struct err *err) {
  if (n > ACCOUNTS_MAX)
    return err_set(err, MS_EINVAL, "a user may be a member of at most %d accounts, not %zu",
                   ACCOUNTS_MAX, n);
  if (n && !ids)
    return err_set(err, MS_EINVAL, "the list of accounts is missing");
  return MS_OK;
}

static int check_hash(const char *hash, struct err *err) {
  if (hash && (!*hash || strlen(hash) >= PASSWORD_HASH_MAX))
    return err_set(err, MS_EINVAL, "the password hash is empty or longer than %d bytes",
                   PASSWORD_HASH_MAX - 1);
  return MS_OK;
}

/* Inside a transaction: the memberships become exactly ids. */
static int memberships_write(struct sqlite_store *s, int64_t user_id, const int64_t *ids, size_t n,
                             struct err *err) {
  int rc = q_each(s, "DELETE FROM user_accounts WHERE user_id = ?1", ARGS(A_INT(user_id)), NULL,
                  NULL, err, "setting the user's accounts");
  for (size_t i = 0; i < n && !rc; i++) {
    rc =
        q_each(s, "INSERT OR IGNORE INTO user_accounts (user_id, account_id) VALUES (?1, ?2)",
               ARGS(A_INT(user_id), A_INT(ids[i])), NULL, NULL, err, "setting the user's accounts");
    if (rc && s->last_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      rc = err_set(err, MS_ENOTFOUND, "there is no account with id %lld (was it removed?)",
                   (long long)ids[i]);
  }
  return rc;
}

static int id_row(void *ctx, sqlite3_stmt *q) {
  *(int64_t *)ctx = sqlite3_column_int64(q, 0);
  return MS_OK;
}

int sqlite_user_add(struct store *st, struct user_row *u, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_ident("the user name", u->name, sizeof(u->name), err);
  if (!rc)
    rc = check_time("the user's creation time", u->created_at, err);
  if (!rc)
    rc = check_hash(u->password_hash, err);
  if (!rc)
    rc = check_accounts(u->accounts, u->naccounts, err);
  if (!rc)
    rc = tx_begin(s, err);
  if (rc)
    return rc;
  rc = q_each(
      s,
      "INSERT INTO users (name, admin, password_hash, created_at) VALUES (?1, ?2, ?3, ?4) "
      "RETURNING id",
      ARGS(A_TEXT(u->name), A_INT(u->admin != 0), A_TEXT(u->password_hash), A_INT(u->created_at)),
      id_row, &u->id, err, "adding the user");
  if (rc && is_unique_violation(s->last_rc))
    rc = err_set(err, MS_EEXIST, "a user named \"%s\" already exists; pick another name", u->name);
  if (!rc)
    rc = memberships_write(s, u->id, u->accounts, u->naccounts, err);
  if (!rc)
    return tx_commit(s, err);
  tx_rollback(s);
  u->id = 0;
  return rc;
}

static int user_fetch(struct sqlite_store *s, const char *sql, struct args a, struct user_row *out,
                      const char *missing, struct err *err) {
  struct user_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(s, sql, a, sizeof(*v), user_read, user_forget, 1, (void **)&v, &n, err,
                     "reading a user");
  memset(out, 0, sizeof(*out));
  if (!rc && n == 0)
    rc = err_set(err, MS_ENOTFOUND, "%s", missing);
  if (!rc)
    *out = v[0];
  free(v);
  return rc;
}

int sqlite_user_get(struct store *st, const char *name, struct user_row *out, struct err *err) {
  char missing[MS_ERR_MSG_MAX];
  snprintf(missing, sizeof(missing),
           "no user named \"%s\"; `marketsync user list` shows the existing ones",
           name ? name : "");
  return user_fetch(backend(st), "SELECT " USER_COLS " FROM users u WHERE u.name = ?1",
                    ARGS(A_TEXT(name ? name : "")), out, missing, err);
}

int sqlite_user_get_id(struct store *st, int64_t id, struct user_row *out, struct err *err) {
  char missing[80];
  snprintf(missing, sizeof(missing), "there is no user with id %lld (was it removed?)",
           (long long)id);
  return user_fetch(backend(st), "SELECT " USER_COLS " FROM users u WHERE u.id = ?1",
                    ARGS(A_INT(id)), out, missing, err);
}

int sqlite_user_list(struct store *st, user_cb cb, void *ctx, struct err *err) {
  struct user_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(backend(st), "SELECT " USER_COLS " FROM users u ORDER BY u.name", NO_ARGS,
                     sizeof(*v), user_read, user_forget, USERS_LIST_MAX, (void **)&v, &n, err,
                     "listing users");
  for (size_t i = 0; i < n && !rc; i++)
    rc = cb(ctx, &v[i]);
  for (size_t i = 0; i < n; i++)
    user_row_release(&v[i]);
  free(v);
  return rc;
}

/* Memberships and tokens go with it (ON DELETE CASCADE). */
int sqlite_user_remove(struct store *st, const char *name, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = q_each(s, "DELETE FROM users WHERE name = ?1", ARGS(A_TEXT(name ? name : "")), NULL,
                  NULL, err, "removing the user");
  if (!rc && q_changes(s) == 0)
    return err_set(err, MS_ENOTFOUND,
                   "no user named \"%s\"; `marketsync user list` shows the existing ones",
                   name ? name : "");
  return rc;
}

int sqlite_user_set_password(struct store *st, int64_t user_id, const char *hash, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = check_hash(hash, err);
  if (!rc)
    rc = q_each(s, "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                ARGS(A_INT(user_id), A_TEXT(hash)), NULL, NULL, err, "setting the password");
  if (!rc && q_changes(s) == 0)
    return err_set(err, MS_ENOTFOUND, "there is no user with id %lld (was it removed?)",
                   (long long)user_id);
  return rc;
}

int sqlite_user_set_accounts(struct store *st, int64_t user_id, const int64_t *accounts, size_t n,
                             struct err *err) {
  struct sqlite_store *s = backend(st);
  int64_t one = 0;
  int found = 0, rc = check_accounts(accounts, n, err);
  if (!rc)
    rc = tx_begin(s, err);
  if (rc)
    return rc;
  rc = q_int(s, "SELECT 1 FROM users WHERE id = ?1", ARGS(A_INT(user_id)), &one, &found, err,
             "setting the user's accounts");
  if (!rc && !found)
    rc = err_set(err, MS_ENOTFOUND, "there is no user with id %lld (was it removed?)",
                 (long long)user_id);
  if (!rc)
    rc = memberships_write(s, user_id, accounts, n, err);
  if (!rc)
    return tx_commit(s, err);
  tx_rollback(s);
  return rc;
}
