/* The SQLite connection: opening, migrations, checkpoints, transactions,
 * errors, and the one query loop every file uses.
 *
 * The file is opened in WAL mode with synchronous=NORMAL, foreign keys on and
 * a 5 s busy timeout, then brought up to date by the embedded migrations.
 * Statements are prepared once per connection and kept in a cache keyed by
 * their SQL text: the fixed queries and those generated per stream alike.
 * Writes that belong together run in one BEGIN IMMEDIATE transaction, which
 * also serialises claims between processes sharing the file.
 *
 * Checkpoints (copying the WAL back into the database, with its fsyncs) run
 * on a thread of their own with its own connection, woken by the WAL hook,
 * so a bulk load does not stall on them; past WAL_HARD_BYTES the writer
 * waits for one, which bounds the WAL. Without the thread (no threads, or
 * ":memory:") SQLite's own automatic checkpoint is used.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "util/array.h"

#define BUSY_TIMEOUT_MS 5000
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define PAGE_SIZE_NEW 16384                       /* 3 KB orders: fewer splits and syscalls */
#define CACHE_PRAGMA "PRAGMA cache_size = -16384" /* 16 MiB of page cache: RSS stays small */
#define WAL_LIMIT_PRAGMA "PRAGMA journal_size_limit = 67108864" /* WAL file kept <= 64 MiB */
#define WAL_WAKE_BYTES (32LL << 20)  /* WAL size that wakes the checkpointer */
#define WAL_HARD_BYTES (512LL << 20) /* WAL size where the writer waits for a checkpoint */
#define STMT_CACHE_MAX 4096          /* statements kept per connection; more are one-off */

int64_t now_utc(void) {
  return (int64_t)time(NULL);
}

/* ---- errors -------------------------------------------------------------- */

int code_from_sqlite(int rc) {
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return MS_EBUSY;
  case SQLITE_FULL:
  case SQLITE_IOERR:
  case SQLITE_CANTOPEN:
    return MS_EIO;
  case SQLITE_NOMEM:
    return MS_ENOMEM;
  default:
    return MS_EDB;
  }
}

int is_constraint(int rc) {
  return (rc & 0xff) == SQLITE_CONSTRAINT;
}

int db_fail(struct sqlite_store *s, int rc, struct err *err, const char *what) {
  const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
  s->last_rc = rc;
  snprintf(s->last_msg, sizeof(s->last_msg), "%s", msg ? msg : sqlite3_errstr(rc));
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    return err_set(err, MS_EBUSY,
                   "%s: database %s is busy (%s); another marketsync is writing to it, "
                   "try again",
                   what, s->path, s->last_msg);
  return err_set(err, code_from_sqlite(rc), "%s: %s (database %s)", what, s->last_msg, s->path);
}

void one_line(const char *in, char *out, size_t size) {
  size_t i = 0;
  for (; in && in[i] && i + 1 < size; i++)
    out[i] = (in[i] == '\n' || in[i] == '\r') ? ' ' : in[i];
  out[i] = '\0';
}

int check_name(const char *what, const char *v, size_t max, struct err *err) {
  if (!v || !*v)
    return err_set(err, MS_EINVAL, "%s is empty", what);
  if (strlen(v) >= max)
    return err_set(err, MS_EINVAL, "%s \"%.40s...\" is too long (at most %zu characters)", what, v,
                   max - 1);
  return MS_OK;
}

int check_ident(const char *what, const char *v, size_t max, struct err *err) {
  int rc = check_name(what, v, max, err);
  for (const char *p = v; !rc && *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '-' || *p == '_' || *p == '.'))
      rc =
          err_set(err, MS_EINVAL,
                  "%s \"%.40s\" is not usable: use letters, digits, '-', '_' or '.' only", what, v);
  return rc;
}

int check_json_object(const char *what, const char *v, size_t max, struct err *err) {
  size_t len = v ? strlen(v) : 0;
  cJSON *j;
  int ok;
  if (!v)
    return err_set(err, MS_EINVAL, "%s is missing", what);
  if (len > max)
    return err_set(err, MS_EINVAL, "%s is too long (%zu bytes, at most %zu)", what, len, max);
  j = cJSON_ParseWithLength(v, len);
  ok = cJSON_IsObject(j);
  cJSON_Delete(j);
  return ok ? MS_OK : err_set(err, MS_EINVAL, "%s is not a JSON object: \"%.40s\"", what, v);
}

int check_time(const char *what, int64_t t, struct err *err) {
  if (t <= 0)
    return err_set(err, MS_EINVAL, "%s is not set (UTC seconds, above 0)", what);
  return MS_OK;
}

/* ---- the statement cache ------------------------------------------------- */

static uint64_t sql_hash(const char *sql) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
    h = (h ^ *p) * 1099511628211ULL;
  return h;
}

/* The slot of sql, or the free place where it would go. */
static struct stmt_slot **cache_find(struct stmt_cache *c, const char *sql, uint64_t h) {
  size_t mask = c->cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    struct stmt_slot *slot = c->slots[i];
    if (!slot || (slot->hash == h && strcmp(slot->sql, sql) == 0))
      return &c->slots[i];
  }
}

static int cache_grow(struct stmt_cache *c) {
  size_t cap = c->cap ? c->cap * 2 : 64;
  struct stmt_slot **old = c->slots, **slots = calloc(cap, sizeof(*slots));
  size_t old_cap = c->cap;
  if (!slots)
    return SQLITE_NOMEM;
  c->slots = slots;
  c->cap = cap;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i])
      *cache_find(c, old[i]->sql, old[i]->hash) = old[i];
  free(old);
  return SQLITE_OK;
}

static void cache_release(struct stmt_cache *c) {
  for (size_t i = 0; i < c->cap; i++) {
    if (!c->slots[i])
      continue;
    sqlite3_finalize(c->slots[i]->q);
    free(c->slots[i]->sql);
    free(c->slots[i]);
  }
  free(c->slots);
  memset(c, 0, sizeof(*c));
}

/* The kept statement for sql, marked busy; or, when it is busy (a query
 * inside another's callback) or the cache is full, a statement of its own
 * (*slot NULL). Returns a SQLite code. */
static int stmt_acquire(struct sqlite_store *s, const char *sql, sqlite3_stmt **q,
                        struct stmt_slot **slot) {
  struct stmt_cache *c = &s->cache;
  size_t at = ((uintptr_t)sql >> 4) % STMT_BY_TEXT_AT;
  struct stmt_slot *memo = c->by_text_at[at].slot, **where, *fresh;
  uint64_t h;
  int rc;
  *slot = NULL;
  if (memo && c->by_text_at[at].sql == sql && !memo->busy && strcmp(memo->sql, sql) == 0) {
    memo->busy = 1;
    *slot = memo;
    *q = memo->q;
    return SQLITE_OK;
  }
  h = sql_hash(sql);
  if (c->cap && (where = cache_find(c, sql, h)) && *where && !(*where)->busy) {
    (*where)->busy = 1;
    *slot = *where;
    *q = (*where)->q;
    c->by_text_at[at].sql = sql;
    c->by_text_at[at].slot = *where;
    return SQLITE_OK;
  }
  if ((c->cap && *cache_find(c, sql, h)) || c->n >= STMT_CACHE_MAX)
    return sqlite3_prepare_v2(s->db, sql, -1, q, NULL);
  if ((c->n + 1) * 10 > c->cap * 7 && (rc = cache_grow(c)) != SQLITE_OK)
    return rc;
  fresh = calloc(1, sizeof(*fresh));
  if (!fresh || !(fresh->sql = strdup(sql))) {
    free(fresh);
    return SQLITE_NOMEM;
  }
  rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &fresh->q, NULL);
  if (rc) {
    free(fresh->sql);
    free(fresh);
    return rc;
  }
  fresh->hash = h;
  fresh->busy = 1;
  *cache_find(c, sql, h) = fresh;
  c->n++;
  c->by_text_at[at].sql = sql;
  c->by_text_at[at].slot = fresh;
  *slot = fresh;
  *q = fresh->q;
  return SQLITE_OK;
}

static void stmt_release(sqlite3_stmt *q, struct stmt_slot *slot) {
  if (!slot) {
    sqlite3_finalize(q);
    return;
  }
  sqlite3_reset(q); /* its error, if any, was reported when it happened */
  sqlite3_clear_bindings(q);
  slot->busy = 0;
}

static int bind_args(sqlite3_stmt *q, struct args a) {
  int rc = SQLITE_OK;
  for (size_t i = 0; i < a.n && !rc; i++) {
    const struct arg *v = &a.v[i];
    int at = (int)i + 1;
    if (v->type == ARG_INT) {
      rc = sqlite3_bind_int64(q, at, v->i);
    } else if (v->type == ARG_TEXT && v->text) {
      size_t len = v->len == SIZE_MAX ? strlen(v->text) : v->len;
      rc = len > (size_t)INT32_MAX ? SQLITE_TOOBIG
                                   : sqlite3_bind_text(q, at, v->text, (int)len, SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(q, at);
    }
  }
  return rc;
}

static int group_open(struct sqlite_store *s, struct err *err);

int q_each(struct sqlite_store *s, const char *sql, struct args a, row_fn row, void *ctx,
           struct err *err, const char *what) {
  struct stmt_slot *slot;
  sqlite3_stmt *q = NULL;
  int rc = stmt_acquire(s, sql, &q, &slot), cb = MS_OK;
  if (rc)
    return db_fail(s, rc, err, what);
  rc = bind_args(q, a);
  if (!rc && s->grouping && !s->group_open && !sqlite3_stmt_readonly(q)) {
    /* A write in a write group joins the group's transaction. */
    stmt_release(q, slot);
    rc = group_open(s, err);
    if (rc)
      return rc;
    return q_each(s, sql, a, row, ctx, err, what);
  }
  while (!rc) {
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW) {
      if (row && (cb = row(ctx, q)) != MS_OK)
        break;
      continue;
    }
    rc = step == SQLITE_DONE ? SQLITE_OK : step;
    break;
  }
  if (rc)
    rc = db_fail(s, rc, err, what);
  stmt_release(q, slot);
  return rc ? rc : cb;
}

int q_eachf(struct sqlite_store *s, struct args a, row_fn row, void *ctx, struct err *err,
            const char *what, const char *fmt, ...) {
  struct buf sql;
  va_list ap;
  int rc;
  buf_init(&sql, 0);
  va_start(ap, fmt);
  rc = buf_vprintf(&sql, fmt, ap);
  va_end(ap);
  rc = rc ? err_set(err, MS_ENOMEM, "out of memory writing SQL")
          : q_each(s, sql.data, a, row, ctx, err, what);
  buf_release(&sql);
  return rc;
}

/* Fills the integer of the first row. */
struct one_int {
  int64_t *out; /* where it goes */
  int found;    /* a row came */
};

static int one_int_row(void *ctx, sqlite3_stmt *q) {
  struct one_int *o = ctx;
  if (!o->found)
    *o->out = sqlite3_column_int64(q, 0);
  o->found = 1;
  return MS_OK;
}

int q_int(struct sqlite_store *s, const char *sql, struct args a, int64_t *out, int *found,
          struct err *err, const char *what) {
  struct one_int o = {out, 0};
  int rc = q_each(s, sql, a, one_int_row, &o, err, what);
  if (found)
    *found = o.found;
  return rc;
}

int64_t q_changes(struct sqlite_store *s) {
  return (int64_t)sqlite3_changes64(s->db);
}

const char *col_text(sqlite3_stmt *q, int col) {
  return (const char *)sqlite3_column_text(q, col);
}

int col_dup(sqlite3_stmt *q, int col, char **out) {
  const char *t;
  *out = NULL;
  if (sqlite3_column_type(q, col) == SQLITE_NULL)
    return MS_OK;
  t = col_text(q, col);
  if (!t)
    return MS_ENOMEM;
  *out = strdup(t);
  return *out ? MS_OK : MS_ENOMEM;
}

void col_copy(sqlite3_stmt *q, int col, char *dst, size_t size) {
  const char *t = col_text(q, col);
  snprintf(dst, size, "%s", t ? t : "");
}

/* Rows read into an array, for q_collect(). */
struct row_array {
  char *v;                    /* elements of `size` bytes */
  size_t n;                   /* read */
  size_t cap;                 /* allocated */
  size_t size;                /* bytes of one */
  size_t max;                 /* rows allowed */
  row_read_fn read;           /* fills one element */
  int bad;                    /* MS_ENOMEM or MS_ETOOBIG when a row could not be kept */
  void (*release)(void *row); /* undoes read, for the rows kept on failure */
};

static int row_array_add(void *ctx, sqlite3_stmt *q) {
  struct row_array *a = ctx;
  int rc = a->n >= a->max ? MS_ETOOBIG : MS_OK;
  if (!rc)
    rc = array_reserve((void **)&a->v, &a->cap, a->n + 1, a->size, 8);
  if (!rc)
    rc = a->read(q, a->v + a->n * a->size);
  if (rc)
    return a->bad = rc;
  a->n++;
  return MS_OK;
}

int q_collect(struct sqlite_store *s, const char *sql, struct args args, size_t size,
              row_read_fn read, void (*release)(void *row), size_t max, void **out, size_t *n,
              struct err *err, const char *what) {
  struct row_array a = {NULL, 0, 0, size, max, read, 0, release};
  int rc = q_each(s, sql, args, row_array_add, &a, err, what);
  if (a.bad == MS_ENOMEM)
    err_set(err, rc, "%s: out of memory", what);
  else if (a.bad == MS_ETOOBIG)
    err_set(err, rc, "%s: more than %zu rows; narrow the request", what, max);
  if (rc) {
    for (size_t i = 0; i < a.n; i++)
      release(a.v + i * size);
    free(a.v);
    a.v = NULL;
    a.n = 0;
  }
  *out = a.v;
  *n = a.n;
  return rc;
}

/* ---- transactions -------------------------------------------------------- */

/* Inside a write group (store.h) a transaction is a savepoint of the
 * group's one transaction, opened by the first write. */

/* SQLite ends a transaction itself on some errors (a full disk): the
 * group's writes so far are then undone. */
static int group_vanished(struct sqlite_store *s) {
  return s->group_lost || (s->group_open && sqlite3_get_autocommit(s->db));
}

static int group_gone(struct sqlite_store *s, struct err *err) {
  s->group_lost = 1;
  return err_set(err, MS_EIO,
                 "the database rolled back the writes since the last commit (%s); nothing of "
                 "them is stored",
                 s->last_msg[0] ? s->last_msg : "disk error");
}

int tx_begin_alone(struct sqlite_store *s, struct err *err) {
  if (s->group_open)
    return err_set(err, MS_EINVAL, "a transaction of its own cannot start inside a write group");
  return q_each(s, "BEGIN IMMEDIATE", NO_ARGS, NULL, NULL, err, "starting a transaction");
}

/* The group's transaction, opened by its first write. */
static int group_open(struct sqlite_store *s, struct err *err) {
  int rc;
  if (group_vanished(s))
    return group_gone(s, err);
  if (s->group_open)
    return MS_OK;
  s->group_open = 1; /* first: BEGIN IMMEDIATE is itself a write to q_each */
  rc = q_each(s, "BEGIN IMMEDIATE", NO_ARGS, NULL, NULL, err, "starting a transaction");
  if (rc)
    s->group_open = 0;
  return rc;
}

int tx_begin(struct sqlite_store *s, struct err *err) {
  int rc;
  if (!s->grouping)
    return tx_begin_alone(s, err);
  rc = group_open(s, err);
  return rc ? rc : q_each(s, "SAVEPOINT tx", NO_ARGS, NULL, NULL, err, "starting a transaction");
}

int tx_commit(struct sqlite_store *s, struct err *err) {
  if (!s->group_open)
    return q_each(s, "COMMIT", NO_ARGS, NULL, NULL, err, "committing");
  if (group_vanished(s))
    return group_gone(s, err);
  return q_each(s, "RELEASE tx", NO_ARGS, NULL, NULL, err, "committing");
}

void tx_rollback(struct sqlite_store *s) {
  int rc = s->last_rc;
  char msg[sizeof(s->last_msg)];
  memcpy(msg, s->last_msg, sizeof(msg));
  if (group_vanished(s))
    s->group_lost = 1;
  else if (s->group_open)
    (void)(q_each(s, "ROLLBACK TO tx", NO_ARGS, NULL, NULL, NULL, "rolling back") ||
           q_each(s, "RELEASE tx", NO_ARGS, NULL, NULL, NULL, "rolling back"));
  else if (!sqlite3_get_autocommit(s->db))
    (void)q_each(s, "ROLLBACK", NO_ARGS, NULL, NULL, NULL, "rolling back");
  s->last_rc = rc; /* the failure that caused it stays the one to explain */
  memcpy(s->last_msg, msg, sizeof(msg));
}

void sqlite_group_begin(struct store *st) {
  struct sqlite_store *s = backend(st);
  s->grouping = 1;
}

int sqlite_group_end(struct store *st, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = MS_OK;
  if (group_vanished(s))
    rc = group_gone(s, err);
  else if (s->group_open)
    rc = q_each(s, "COMMIT", NO_ARGS, NULL, NULL, err, "committing");
  if (rc && !sqlite3_get_autocommit(s->db))
    (void)q_each(s, "ROLLBACK", NO_ARGS, NULL, NULL, NULL, "rolling back");
  s->grouping = s->group_open = s->group_lost = 0;
  return rc;
}

int savepoint(struct sqlite_store *s, struct err *err) {
  return q_each(s, "SAVEPOINT record", NO_ARGS, NULL, NULL, err, "storing a record");
}

int savepoint_release(struct sqlite_store *s, struct err *err) {
  return q_each(s, "RELEASE record", NO_ARGS, NULL, NULL, err, "storing a record");
}

int savepoint_undo(struct sqlite_store *s, struct err *err) {
  int rc = q_each(s, "ROLLBACK TO record", NO_ARGS, NULL, NULL, err, "undoing a refused record");
  return rc ? rc : savepoint_release(s, err);
}

/* ---- opening and migrations ---------------------------------------------- */

static int known_schema(void) {
  int v = 0;
  for (const struct migration *m = ms_migrations_sqlite; m->number; m++)
    if (m->number > v)
      v = m->number;
  return v;
}

static int damaged(struct sqlite_store *s, struct err *err) {
  int code = code_from_sqlite(s->last_rc);
  if (code != MS_EDB)
    return err_set(err, code, "opening: %s (database %s)", s->last_msg, s->path);
  return err_set(err, MS_EDB,
                 "%s is not a marketsync database or is damaged: %s; check the path, or "
                 "restore it from a backup",
                 s->path, s->last_msg);
}

/* What the file holds: *version is the newest migration applied, 0 for a
 * new file. A SQLite file of another program is refused. */
static int inspect(struct sqlite_store *s, int *version, int *fresh, struct err *err) {
  int64_t objects = 0, ours = 0, v = 0;
  struct err tmp;
  int rc = q_int(s, "SELECT count(*) FROM sqlite_schema", NO_ARGS, &objects, NULL, &tmp,
                 "reading the schema");
  if (!rc)
    rc = q_int(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'", NO_ARGS,
               &ours, NULL, &tmp, "reading the schema");
  if (rc)
    return damaged(s, err);
  if (objects > 0 && !ours)
    return err_set(err, MS_EDB,
                   "%s is not a marketsync database or is damaged: it holds tables of another "
                   "program; give marketsync a new file",
                   s->path);
  if (ours) {
    rc = q_int(s, "SELECT coalesce(max(version), 0) FROM schema_migrations", NO_ARGS, &v, NULL,
               &tmp, "reading the schema version");
    if (rc)
      return damaged(s, err);
  }
  *version = (int)v;
  *fresh = objects == 0;
  return MS_OK;
}

/* One or more statements without arguments or rows (pragmas, DDL). */
static int exec_script(struct sqlite_store *s, const char *sql, struct err *err, const char *what) {
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  return rc ? db_fail(s, rc, err, what) : MS_OK;
}

static int apply_migration(struct sqlite_store *s, const struct migration *m, struct err *err) {
  char what[128];
  int64_t have = 0;
  int rc;
  snprintf(what, sizeof(what), "applying migration %s", m->name);
  rc = tx_begin(s, err);
  if (rc)
    return rc;
  /* Another process may have applied it while we waited for the lock. */
  rc = q_int(s, "SELECT coalesce(max(version), 0) FROM schema_migrations", NO_ARGS, &have, NULL,
             err, what);
  if (!rc && have < m->number)
    rc = exec_script(s, m->sql, err, what);
  if (!rc && have < m->number)
    rc = q_each(s, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                ARGS(A_INT(m->number), A_TEXT(m->name), A_INT(now_utc())), NULL, NULL, err, what);
  if (!rc)
    return tx_commit(s, err);
  tx_rollback(s);
  return rc;
}

static int migrate(struct sqlite_store *s, int from, struct err *err) {
  int rc = exec_script(s,
                       "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                       "KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                       err, "setting up the connection");
  if (rc)
    return rc;
  for (const struct migration *m = ms_migrations_sqlite; m->number; m++) {
    if (m->number <= from)
      continue;
    rc = apply_migration(s, m, err);
    if (rc)
      return rc;
  }
  return MS_OK;
}

/* ---- background checkpoints ---------------------------------------------- */

static void *checkpointer_main(void *arg) {
  struct checkpointer *c = arg;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    while (c->finished == c->requested && !c->stop)
      pthread_cond_wait(&c->wake, &c->mu);
    if (c->stop)
      break;
    uint64_t gen = c->requested;
    pthread_mutex_unlock(&c->mu);
    /* PASSIVE never blocks the writer; a failure is retried next time. */
    (void)sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    c->finished = gen;
    pthread_cond_broadcast(&c->done);
  }
  pthread_cond_broadcast(&c->done);
  pthread_mutex_unlock(&c->mu);
  return NULL;
}

/* Runs after every commit of the store's connection, outside its lock. Past
 * WAL_HARD_BYTES the writer waits for a checkpoint that started after its
 * commit: the WAL is then fully copied and the next write starts it over. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages) {
  struct sqlite_store *s = arg;
  struct checkpointer *c = &s->ckpt;
  int64_t bytes = (int64_t)pages * s->page_size;
  if (bytes < WAL_WAKE_BYTES)
    return SQLITE_OK;
  if (getpid() != c->pid) { /* a forked child: the thread stayed in the parent */
    (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
  }
  pthread_mutex_lock(&c->mu);
  uint64_t gen = ++c->requested;
  pthread_cond_signal(&c->wake);
  while (bytes >= WAL_HARD_BYTES && c->finished < gen && !c->stop)
    pthread_cond_wait(&c->done, &c->mu);
  pthread_mutex_unlock(&c->mu);
  return SQLITE_OK;
}

static void checkpointer_stop(struct sqlite_store *s) {
  struct checkpointer *c = &s->ckpt;
  if (c->running && getpid() != c->pid) {
    c->running = 0; /* a forked child: nothing to join */
  } else if (c->running) {
    sqlite3_wal_hook(s->db, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->done);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    c->running = 0;
  }
  sqlite3_close(c->db);
  c->db = NULL;
}

/* Best effort: without the thread SQLite checkpoints in the writer. */
static void checkpointer_start(struct sqlite_store *s) {
  struct checkpointer *c = &s->ckpt;
  int64_t size = 0;
  struct err ignored;
  if (q_int(s, "PRAGMA page_size", NO_ARGS, &size, NULL, &ignored, "reading the page size") ||
      size <= 0)
    return;
  s->page_size = size;
  if (sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
      sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL; SELECT count(*) FROM sqlite_schema", NULL,
                   NULL, NULL) != SQLITE_OK)
    goto fail;
  if (pthread_mutex_init(&c->mu, NULL))
    goto fail;
  if (pthread_cond_init(&c->wake, NULL)) {
    pthread_mutex_destroy(&c->mu);
    goto fail;
  }
  if (pthread_cond_init(&c->done, NULL)) {
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    goto fail;
  }
  if (pthread_create(&c->thread, NULL, checkpointer_main, c)) {
    pthread_cond_destroy(&c->done);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    goto fail;
  }
  c->running = 1;
  c->pid = getpid();
  sqlite3_wal_hook(s->db, wal_hook, s);
  return;
fail:
  sqlite3_close(c->db);
  c->db = NULL;
}

static int is_file_path(const char *uri) {
  return strcmp(uri, ":memory:") != 0 && strncmp(uri, "file:", 5) != 0;
}

void sqlite_close(struct store *st) {
  struct sqlite_store *s = backend(st);
  if (!s)
    return;
  checkpointer_stop(s);
  cache_release(&s->cache);
  stables_free(s);
  sqlite3_close(s->db);
  free(s->path);
  free(s);
}

static int setup(struct sqlite_store *s, int fresh, struct err *err) {
  static const char *const pragmas[] = {
      "PRAGMA journal_mode = WAL",
      "PRAGMA synchronous = NORMAL",
      "PRAGMA foreign_keys = ON",
      CACHE_PRAGMA,
      WAL_LIMIT_PRAGMA,
      /* Statement journals (an upsert, a row with foreign keys, inside a
       * page's transaction) stay in memory instead of spilling to a
       * temporary file past 64 KiB: a page of orders with their lines and
       * refunds wrote a third of its time to such files. */
      "PRAGMA temp_store = MEMORY",
  };
  /* The page size can only be chosen before the first table exists. */
  int rc = fresh ? exec_script(s, "PRAGMA page_size = " STRINGIFY(PAGE_SIZE_NEW), err,
                               "setting up the connection")
                 : MS_OK;
  for (size_t i = 0; !rc && i < sizeof(pragmas) / sizeof(pragmas[0]); i++)
    rc = exec_script(s, pragmas[i], err, "setting up the connection");
  return rc;
}

int sqlite_open(const char *uri, struct store **out, struct err *err) {
  struct sqlite_store *s;
  int rc, version = 0, fresh = 0, known = known_schema();
  *out = NULL;
  if (!uri || !*uri)
    return err_set(err, MS_EINVAL, "no database file given");
  s = calloc(1, sizeof(*s));
  if (!s)
    return err_set(err, MS_ENOMEM, "out of memory opening %s", uri);
  s->base.ops = &sqlite_store_ops;
  s->path = strdup(uri);
  if (!s->path) {
    rc = err_set(err, MS_ENOMEM, "out of memory opening %s", uri);
    goto fail;
  }
  /* One thread uses the connection (the checkpointer has its own), so
   * SQLite need not lock it around every call. */
  rc = sqlite3_open_v2(uri, &s->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc) {
    rc = code_from_sqlite(rc) == MS_ENOMEM
             ? err_set(err, MS_ENOMEM, "out of memory opening %s", uri)
             : err_set(err, code_from_sqlite(rc),
                       "cannot open database %s: %s; check that its directory exists and is "
                       "writable",
                       uri, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    goto fail;
  }
  sqlite3_extended_result_codes(s->db, 1);
  rc = sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
  if (rc) {
    rc = db_fail(s, rc, err, "setting up the connection");
    goto fail;
  }
  /* Look before touching anything: a damaged, foreign or newer file must
   * be left exactly as it is. */
  rc = inspect(s, &version, &fresh, err);
  if (rc)
    goto fail;
  if (version > known) {
    rc = err_set(err, MS_EVERSION,
                 "database %s was written by a newer marketsync (schema %d, this build knows "
                 "up to %d); upgrade marketsync",
                 uri, version, known);
    goto fail;
  }
  rc = setup(s, fresh, err);
  if (!rc && version < known)
    rc = migrate(s, version, err);
  if (rc)
    goto fail;
  if (is_file_path(uri))
    checkpointer_start(s);
  *out = &s->base;
  return MS_OK;
fail:
  sqlite_close(&s->base);
  return rc;
}

int sqlite_schema_version(struct store *st, int *version) {
  int64_t v = 0;
  int rc = q_int(backend(st), "SELECT coalesce(max(version), 0) FROM schema_migrations", NO_ARGS,
                 &v, NULL, NULL, "reading the schema version");
  if (!rc)
    *version = (int)v;
  return rc;
}

const struct store_ops sqlite_store_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .schema_version = sqlite_schema_version,
    .source_add = sqlite_source_add,
    .source_get = sqlite_source_get,
    .source_get_id = sqlite_source_get_id,
    .source_list = sqlite_source_list,
    .source_update = sqlite_source_update,
    .source_remove = sqlite_source_remove,
    .source_set_account = sqlite_source_set_account,
    .source_credentials_swap = sqlite_source_credentials_swap,
    .source_streak = sqlite_source_streak,
    .run_find = sqlite_run_find,
    .run_get = sqlite_run_get,
    .run_slice_put = sqlite_run_slice_put,
    .run_slices = sqlite_run_slices,
    .stream_prepare = sqlite_stream_prepare,
    .slice_ensure = sqlite_slice_ensure,
    .slice_get = sqlite_slice_get,
    .slice_claim = sqlite_slice_claim,
    .slice_reset = sqlite_slice_reset,
    .slice_fail = sqlite_slice_fail,
    .slice_restart = sqlite_slice_restart,
    .slice_release = sqlite_slice_release,
    .slice_list = sqlite_slice_list,
    .slice_seed = sqlite_slice_seed,
    .commit_page = sqlite_commit_page,
    .group_begin = sqlite_group_begin,
    .group_end = sqlite_group_end,
    .run_start = sqlite_run_start,
    .run_update = sqlite_run_update,
    .run_list = sqlite_run_list,
    .records_each = sqlite_records_each,
    .records_incomplete = sqlite_records_incomplete,
    .children_unpriced = sqlite_children_unpriced,
    .child_price_known = sqlite_child_price_known,
    .child_estimate = sqlite_child_estimate,
    .children_json = sqlite_children_json,
    .failed_list = sqlite_failed_list,
    .failed_get = sqlite_failed_get,
    .failed_resolve = sqlite_failed_resolve,
    .failed_again = sqlite_failed_again,
    .schedule_add = sqlite_schedule_add,
    .schedule_get = sqlite_schedule_get,
    .schedule_get_id = sqlite_schedule_get_id,
    .schedule_list = sqlite_schedule_list,
    .schedule_update = sqlite_schedule_update,
    .schedule_remove = sqlite_schedule_remove,
    .schedule_fire = sqlite_schedule_fire,
    .schedule_ran = sqlite_schedule_ran,
    .job_enqueue = sqlite_job_enqueue,
    .job_claim = sqlite_job_claim,
    .job_heartbeat = sqlite_job_heartbeat,
    .job_finish = sqlite_job_finish,
    .job_get = sqlite_job_get,
    .job_list = sqlite_job_list,
    .job_retry = sqlite_job_retry,
    .job_cancel = sqlite_job_cancel,
    .job_counts = sqlite_job_counts,
    .event_add = sqlite_event_add,
    .event_list = sqlite_event_list,
    .webhook_add = sqlite_webhook_add,
    .webhook_list = sqlite_webhook_list,
    .webhook_get = sqlite_webhook_get,
    .webhook_remove = sqlite_webhook_remove,
    .webhook_delivered = sqlite_webhook_delivered,
    .webhook_failed = sqlite_webhook_failed,
    .account_add = sqlite_account_add,
    .account_get = sqlite_account_get,
    .account_get_id = sqlite_account_get_id,
    .account_list = sqlite_account_list,
    .account_remove = sqlite_account_remove,
    .user_add = sqlite_user_add,
    .user_get = sqlite_user_get,
    .user_get_id = sqlite_user_get_id,
    .user_list = sqlite_user_list,
    .user_remove = sqlite_user_remove,
    .user_set_password = sqlite_user_set_password,
    .user_set_accounts = sqlite_user_set_accounts,
    .token_add = sqlite_token_add,
    .token_find_by_hash = sqlite_token_find_by_hash,
    .token_list = sqlite_token_list,
    .token_revoke = sqlite_token_revoke,
    .token_touch = sqlite_token_touch,
    .report_skus = sqlite_report_skus,
    .report_refresh = sqlite_report_refresh,
};
