/* The SQLite backend of the store.
 *
 * One connection per struct store; not safe to share between threads. The
 * file is opened in WAL mode with synchronous=NORMAL, foreign keys on and a
 * 5 s busy timeout, then brought up to date by the embedded migrations.
 * Every statement the hot paths use is prepared once and kept in the
 * backend (see stmt_sql[]); each use binds, steps and resets it. Writes
 * that belong together run in one BEGIN IMMEDIATE transaction, which also
 * serialises claims between processes sharing the file.
 *
 * Checkpoints (copying the WAL back into the database, with its fsyncs) run
 * on a thread of their own with its own connection, woken by the WAL hook,
 * so a bulk load does not stall on them; past WAL_HARD_BYTES the writer
 * waits for one, which bounds the WAL. Without the thread (no threads, or
 * ":memory:") SQLite's own automatic checkpoint is used.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "store/migrations.h"
#include "store/store.h"
#include "util/buf.h"

#define BUSY_TIMEOUT_MS 5000
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define PAGE_SIZE_NEW 16384                       /* 3 KB orders: fewer splits and syscalls */
#define CACHE_PRAGMA "PRAGMA cache_size = -16384" /* 16 MiB of page cache: RSS stays small */
#define WAL_LIMIT_PRAGMA "PRAGMA journal_size_limit = 67108864" /* WAL file kept <= 64 MiB */
#define WAL_WAKE_BYTES (32LL << 20)  /* WAL size that wakes the checkpointer */
#define WAL_HARD_BYTES (512LL << 20) /* WAL size where the writer waits for a checkpoint */
#define EXTERNAL_ID_MAX 255          /* longest external id we accept, bytes */
#define ERROR_TEXT_MAX 1000          /* stored error messages are cut to this, bytes */
#define SLICE_ROWS_MAX 10000000      /* slice_list refuses to hold more rows than this */

/* Columns of a slice row, in the order slice_from_row() reads them. */
#define SLICE_COLS                                                                                 \
  "source_id, stream, day, status, cursor, pages, records, inserted, updated, unchanged, "         \
  "retries, last_error, started_at, updated_at, completed_at, lease_owner, lease_token, "          \
  "lease_expires, failed, listed, follow, follow_cursor"
#define SLICE_KEY "source_id = ?1 AND stream = ?2 AND day = ?3"
/* A fenced write matches only while our lease token is current. */
#define SLICE_FENCE SLICE_KEY " AND lease_token = ?4 AND status = 'in_progress'"
#define FOLLOW_WAITING "coalesce(follow, '[]') <> '[]'"

#define SOURCE_COLS                                                                                \
  "id, name, connector, settings, credentials, created_at, last_sync_at, last_error"

#define RUN_COLS                                                                                   \
  "id, trigger, scope, started_at, finished_at, status, slices_total, slices_completed, "          \
  "slices_failed, pages, records, inserted, updated, unchanged, requests, retries, "               \
  "rate_limited, pid, failed"

#define ORDER_VALUES                                                                               \
  "name = ?3, created_at = ?4, updated_at = ?5, status = ?6, financial_status = ?7, "              \
  "fulfillment_status = ?8, total_price = ?9, total_minor = ?10, currency = ?11, raw = ?12, "      \
  "last_synced_at = ?13"

/* Statements kept prepared for the life of the connection. */
enum stmt_id {
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_VERSION,
  ST_SOURCE_INSERT,
  ST_SOURCE_BY_NAME,
  ST_SOURCE_BY_ID,
  ST_SOURCE_UPDATE,
  ST_SOURCE_DELETE,
  ST_SLICE_ENSURE,
  ST_SLICE_GET,
  ST_SLICE_TAKE,
  ST_SLICE_RESET,
  ST_SLICE_FAIL,
  ST_SLICE_RESTART,
  ST_SLICE_RELEASE,
  ST_SLICE_PAGE,
  ST_ORDER_STAMP,
  ST_ITEMS_EXIST,
  ST_ORDER_INSERT,
  ST_ORDER_UPDATE,
  ST_ORDER_TOUCH,
  ST_ITEMS_DELETE,
  ST_ITEM_INSERT,
  ST_ITEMS_RAW,
  ST_RUN_INSERT,
  ST_RUN_UPDATE,
  ST_SAVEPOINT,
  ST_SAVEPOINT_RELEASE,
  ST_SAVEPOINT_ROLLBACK,
  ST_FAILED_ADD,
  ST_FAILED_CLEAR,
  ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
    [ST_SOURCE_INSERT] = "INSERT INTO sources (name, connector, settings, credentials, created_at, "
                         "last_sync_at, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                         "RETURNING id",
    [ST_SOURCE_BY_NAME] = "SELECT " SOURCE_COLS " FROM sources WHERE name = ?1",
    [ST_SOURCE_BY_ID] = "SELECT " SOURCE_COLS " FROM sources WHERE id = ?1",
    [ST_SOURCE_UPDATE] = "UPDATE sources SET name = ?2, connector = ?3, settings = ?4, "
                         "credentials = ?5, last_sync_at = ?6, last_error = ?7 WHERE id = ?1",
    [ST_SOURCE_DELETE] = "DELETE FROM sources WHERE name = ?1",
    [ST_SLICE_ENSURE] = "INSERT INTO slices (source_id, stream, day) VALUES (?1, ?2, ?3) "
                        "ON CONFLICT (source_id, stream, day) DO NOTHING",
    [ST_SLICE_GET] = "SELECT " SLICE_COLS " FROM slices WHERE " SLICE_KEY,
    [ST_SLICE_TAKE] = "UPDATE slices SET status = 'in_progress', lease_owner = ?4, "
                      "lease_token = lease_token + 1, lease_expires = ?5, "
                      "started_at = CASE WHEN started_at = 0 THEN ?6 ELSE started_at END, "
                      "updated_at = ?6 WHERE " SLICE_KEY " RETURNING " SLICE_COLS,
    [ST_SLICE_RESET] = "INSERT INTO slices (source_id, stream, day, updated_at) "
                       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source_id, stream, day) DO UPDATE "
                       "SET status = 'pending', cursor = NULL, pages = 0, records = 0, "
                       "inserted = 0, updated = 0, unchanged = 0, retries = 0, "
                       "last_error = NULL, started_at = 0, updated_at = excluded.updated_at, "
                       "failed = 0, completed_at = 0, lease_owner = '', listed = 0, "
                       "follow = NULL, follow_cursor = NULL, "
                       "lease_token = slices.lease_token + 1, lease_expires = 0",
    [ST_SLICE_FAIL] = "UPDATE slices SET status = ?5, last_error = ?6, retries = retries + 1, "
                      "lease_owner = '', lease_expires = 0, updated_at = ?7 WHERE " SLICE_FENCE,
    /* With follow-ups waiting, the rejected cursor was the first one's items
     * cursor: its items start again. Otherwise the listing starts again. */
    [ST_SLICE_RESTART] = "UPDATE slices SET "
                         "cursor = CASE WHEN " FOLLOW_WAITING " THEN cursor ELSE NULL END, "
                         "listed = CASE WHEN " FOLLOW_WAITING " THEN listed ELSE 0 END, "
                         "follow_cursor = NULL, last_error = ?5, updated_at = ?6 "
                         "WHERE " SLICE_FENCE,
    [ST_SLICE_RELEASE] = "UPDATE slices SET status = 'pending', lease_owner = '', "
                         "lease_expires = 0, updated_at = ?5 WHERE " SLICE_FENCE,
    [ST_SLICE_PAGE] =
        "UPDATE slices SET cursor = ?5, pages = pages + 1, records = records + ?6, "
        "inserted = inserted + ?7, updated = updated + ?8, unchanged = unchanged + ?9, "
        "failed = failed + ?11, "
        "retries = 0, last_error = NULL, updated_at = ?10, "
        "listed = ?12, follow = ?13, follow_cursor = ?14, "
        "status = CASE WHEN ?15 THEN 'completed' ELSE 'in_progress' END, "
        "completed_at = CASE WHEN ?15 THEN ?10 ELSE completed_at END, "
        "lease_owner = CASE WHEN ?15 THEN '' ELSE lease_owner END, "
        "lease_expires = CASE WHEN ?15 THEN 0 ELSE lease_expires END "
        "WHERE " SLICE_FENCE " RETURNING " SLICE_COLS,
    [ST_ORDER_STAMP] = "SELECT updated_at FROM orders WHERE source_id = ?1 AND external_id = ?2",
    [ST_ITEMS_EXIST] = "SELECT 1 FROM order_items WHERE source_id = ?1 AND "
                       "order_external_id = ?2 LIMIT 1",
    [ST_ORDER_INSERT] = "INSERT INTO orders (source_id, external_id, name, created_at, "
                        "updated_at, status, financial_status, fulfillment_status, total_price, "
                        "total_minor, currency, raw, last_synced_at, first_seen_at) VALUES "
                        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
    [ST_ORDER_UPDATE] = "UPDATE orders SET " ORDER_VALUES " WHERE source_id = ?1 AND "
                        "external_id = ?2",
    [ST_ORDER_TOUCH] = "UPDATE orders SET last_synced_at = ?3 WHERE source_id = ?1 AND "
                       "external_id = ?2",
    [ST_ITEMS_DELETE] = "DELETE FROM order_items WHERE source_id = ?1 AND order_external_id = ?2",
    [ST_ITEM_INSERT] =
        "INSERT INTO order_items (source_id, order_external_id, external_id, line_no, sku, "
        "title, quantity, price, price_minor, currency, price_missing, raw) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
        "ON CONFLICT (source_id, order_external_id, external_id) DO UPDATE SET "
        "line_no = excluded.line_no, sku = excluded.sku, title = excluded.title, "
        "quantity = excluded.quantity, price = excluded.price, "
        "price_minor = excluded.price_minor, currency = excluded.currency, "
        "price_missing = excluded.price_missing, raw = excluded.raw",
    [ST_ITEMS_RAW] = "SELECT raw, external_id, sku, title, quantity, price, currency "
                     "FROM order_items WHERE source_id = ?1 AND order_external_id = ?2 "
                     "ORDER BY line_no, external_id",
    [ST_RUN_INSERT] = "INSERT INTO runs (trigger, scope, started_at, finished_at, status, "
                      "slices_total, slices_completed, slices_failed, pages, records, inserted, "
                      "updated, unchanged, requests, retries, rate_limited, pid, failed) VALUES "
                      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
                      "?17, ?18) RETURNING id",
    [ST_RUN_UPDATE] = "UPDATE runs SET trigger = ?2, scope = ?3, started_at = ?4, "
                      "finished_at = ?5, status = ?6, slices_total = ?7, "
                      "slices_completed = ?8, slices_failed = ?9, pages = ?10, records = ?11, "
                      "inserted = ?12, updated = ?13, unchanged = ?14, requests = ?15, "
                      "retries = ?16, rate_limited = ?17, pid = ?18, failed = ?19 WHERE id = ?1",
    [ST_SAVEPOINT] = "SAVEPOINT record",
    [ST_SAVEPOINT_RELEASE] = "RELEASE record",
    [ST_SAVEPOINT_ROLLBACK] = "ROLLBACK TO record",
    [ST_FAILED_ADD] =
        "INSERT INTO failed_records (source_id, stream, day, external_id, raw, error, "
        "first_failed_at, last_failed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) "
        "ON CONFLICT (source_id, stream, external_id) WHERE resolved_at IS NULL DO UPDATE SET "
        "day = excluded.day, raw = excluded.raw, error = excluded.error, "
        "last_failed_at = excluded.last_failed_at, attempts = attempts + 1",
    [ST_FAILED_CLEAR] = "UPDATE failed_records SET resolved_at = ?4 WHERE source_id = ?1 AND "
                        "stream = ?2 AND external_id = ?3 AND resolved_at IS NULL",
};

/* The background checkpointer of one store. */
struct checkpointer {
  pthread_t thread;    /* runs checkpointer_main() */
  pthread_mutex_t mu;  /* guards the counters and stop */
  pthread_cond_t wake; /* signalled when work is requested or stop is set */
  pthread_cond_t done; /* signalled after every checkpoint */
  sqlite3 *db;         /* its own connection to the file */
  uint64_t requested;  /* checkpoints asked for */
  uint64_t finished;   /* value of requested when the last checkpoint started */
  pid_t pid;           /* process the thread runs in */
  int stop;            /* the store is closing */
  int running;         /* the thread was started and not yet joined */
};

struct sqlite_store {
  struct store base;             /* MUST be first: what callers hold */
  sqlite3 *db;                   /* the connection */
  char *path;                    /* file name, for messages */
  int64_t page_size;             /* bytes, for WAL sizes */
  struct checkpointer ckpt;      /* background checkpoints; MAY not be running */
  sqlite3_stmt *stmts[ST_COUNT]; /* prepared on first use, finalized on close */
};

/* Binds ?1, ?2, ... in order and remembers the first failure. */
struct binder {
  sqlite3_stmt *st; /* statement being bound */
  int i;            /* last index bound */
  int rc;           /* first SQLite error, SQLITE_OK if none */
};

/* A slice named for messages: "2025-01-02 orders of source 3". */
struct slice_name {
  char text[DATE_STR_LEN + MS_STREAM_MAX + 48]; /* the name */
};

extern const struct store_ops sqlite_store_ops;

static struct sqlite_store *backend(struct store *st) {
  return (struct sqlite_store *)st;
}

static int64_t now_utc(void) {
  return (int64_t)time(NULL);
}

/* ---- errors ---------------------------------------------------------- */

/* The one place SQLite result codes become ours. */
static int code_from_sqlite(int rc) {
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

/* Sets err from the connection's last error, prefixed with what we were
 * doing. Call before anything else touches the connection. */
static int db_fail(struct sqlite_store *s, int rc, struct err *err, const char *what) {
  const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    return err_set(err, MS_EBUSY,
                   "%s: database %s is busy (%s); another marketsync is writing to it, "
                   "try again",
                   what, s->path, msg);
  return err_set(err, code_from_sqlite(rc), "%s: %s (database %s)", what, msg, s->path);
}

static void slice_name_set(struct slice_name *n, int64_t source_id, const char *stream,
                           struct civil_date day) {
  char d[DATE_STR_LEN];
  date_format(day, d);
  snprintf(n->text, sizeof(n->text), "%s %s of source %lld", d, stream, (long long)source_id);
}

/* ---- statements ------------------------------------------------------ */

/* Returns the kept statement, prepared on first use; its bindings are
 * cleared. The caller MUST sqlite3_reset() it when done. */
static int stmt_get(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt **out, struct err *err) {
  int rc;
  if (!s->stmts[id]) {
    rc =
        sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
    if (rc)
      return db_fail(s, rc, err, "preparing a query");
  }
  sqlite3_reset(s->stmts[id]); /* its last error was reported when it happened */
  rc = sqlite3_clear_bindings(s->stmts[id]);
  if (rc)
    return db_fail(s, rc, err, "preparing a query");
  *out = s->stmts[id];
  return MS_OK;
}

static void bind_init(struct binder *b, sqlite3_stmt *st) {
  b->st = st;
  b->i = 0;
  b->rc = SQLITE_OK;
}

static void bind_int(struct binder *b, int64_t v) {
  int rc = sqlite3_bind_int64(b->st, ++b->i, v);
  if (!b->rc)
    b->rc = rc;
}

static void bind_null(struct binder *b) {
  int rc = sqlite3_bind_null(b->st, ++b->i);
  if (!b->rc)
    b->rc = rc;
}

/* NULL binds SQL NULL. The text MUST outlive the statement's step. */
static void bind_textn(struct binder *b, const char *s, size_t len) {
  int rc;
  if (!s) {
    bind_null(b);
    return;
  }
  if (len > (size_t)INT32_MAX) {
    ++b->i;
    if (!b->rc)
      b->rc = SQLITE_TOOBIG;
    return;
  }
  rc = sqlite3_bind_text(b->st, ++b->i, s, (int)len, SQLITE_STATIC);
  if (!b->rc)
    b->rc = rc;
}

static void bind_text(struct binder *b, const char *s) {
  bind_textn(b, s, s ? strlen(s) : 0);
}

/* Empty text binds NULL: "the API sent none". */
static void bind_text_or_null(struct binder *b, const char *s) {
  bind_text(b, s && *s ? s : NULL);
}

static void bind_date(struct binder *b, char buf[DATE_STR_LEN], struct civil_date day) {
  date_format(day, buf);
  bind_text(b, buf);
}

/* Steps a statement that returns no rows (or whose rows are ignored) and
 * resets it. Returns the SQLite code (SQLITE_OK on success). */
static int stmt_run(sqlite3_stmt *st) {
  int rc;
  do
    rc = sqlite3_step(st);
  while (rc == SQLITE_ROW);
  if (rc == SQLITE_DONE)
    rc = SQLITE_OK;
  return rc;
}

static const char *col_text(sqlite3_stmt *st, int col) {
  return (const char *)sqlite3_column_text(st, col);
}

/* strdup of a nullable column: NULL stays NULL. */
static int col_dup(sqlite3_stmt *st, int col, char **out) {
  const char *t;
  *out = NULL;
  if (sqlite3_column_type(st, col) == SQLITE_NULL)
    return MS_OK;
  t = col_text(st, col);
  if (!t)
    return MS_ENOMEM;
  *out = strdup(t);
  return *out ? MS_OK : MS_ENOMEM;
}

static void col_copy(sqlite3_stmt *st, int col, char *dst, size_t size) {
  const char *t = col_text(st, col);
  snprintf(dst, size, "%s", t ? t : "");
}

/* ---- transactions ---------------------------------------------------- */

static int exec_kept(struct sqlite_store *s, enum stmt_id id, struct err *err, const char *what) {
  sqlite3_stmt *st;
  int rc = stmt_get(s, id, &st, err);
  if (rc)
    return rc;
  rc = stmt_run(st);
  if (rc)
    rc = db_fail(s, rc, err, what);
  sqlite3_reset(st);
  return rc;
}

static int tx_begin(struct sqlite_store *s, struct err *err) {
  return exec_kept(s, ST_BEGIN, err, "starting a transaction");
}

static int tx_commit(struct sqlite_store *s, struct err *err) {
  return exec_kept(s, ST_COMMIT, err, "committing");
}

/* After a failure: err already says why, so a failed rollback adds nothing
 * (SQLite rolls back by itself when it cannot). */
static void tx_rollback(struct sqlite_store *s) {
  if (!sqlite3_get_autocommit(s->db))
    (void)exec_kept(s, ST_ROLLBACK, NULL, "rolling back");
}

/* ---- opening and migrations ------------------------------------------ */

static int known_schema(void) {
  int v = 0;
  for (const struct migration *m = ms_migrations_sqlite; m->number; m++)
    if (m->number > v)
      v = m->number;
  return v;
}

/* Runs one statement that yields at most one integer. */
static int query_int(struct sqlite_store *s, const char *sql, int64_t *out, struct err *err,
                     const char *what) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (!rc) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *out = sqlite3_column_int64(st, 0);
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
      rc = SQLITE_OK;
    }
  }
  if (rc)
    rc = db_fail(s, rc, err, what);
  sqlite3_finalize(st);
  return rc;
}

static int damaged(struct sqlite_store *s, int rc, struct err *err) {
  int code = code_from_sqlite(rc);
  if (code != MS_EDB)
    return db_fail(s, rc, err, "opening");
  return err_set(err, MS_EDB,
                 "%s is not a marketsync database or is damaged: %s; check the path, or "
                 "restore it from a backup",
                 s->path, sqlite3_errmsg(s->db));
}

/* What the file holds: *version is the newest migration applied, 0 for a
 * new file. A SQLite file of another program is refused. */
static int inspect(struct sqlite_store *s, int *version, int *fresh, struct err *err) {
  int64_t objects = 0, ours = 0, v = 0;
  int rc;
  struct err tmp;
  rc = query_int(s, "SELECT count(*) FROM sqlite_schema", &objects, &tmp, "reading the schema");
  if (!rc)
    rc = query_int(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'", &ours,
                   &tmp, "reading the schema");
  if (rc)
    return damaged(s, sqlite3_extended_errcode(s->db), err);
  if (objects > 0 && !ours)
    return err_set(err, MS_EDB,
                   "%s is not a marketsync database or is damaged: it holds tables of another "
                   "program; give marketsync a new file",
                   s->path);
  if (ours) {
    rc = query_int(s, "SELECT coalesce(max(version), 0) FROM schema_migrations", &v, &tmp,
                   "reading the schema version");
    if (rc)
      return damaged(s, sqlite3_extended_errcode(s->db), err);
  }
  *version = (int)v;
  *fresh = objects == 0;
  return MS_OK;
}

static int pragma(struct sqlite_store *s, const char *sql, struct err *err) {
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  if (rc)
    return db_fail(s, rc, err, "setting up the connection");
  return MS_OK;
}

static int apply_migration(struct sqlite_store *s, const struct migration *m, struct err *err) {
  char what[128];
  int64_t have = 0;
  sqlite3_stmt *st = NULL;
  int rc;
  snprintf(what, sizeof(what), "applying migration %s", m->name);
  rc = tx_begin(s, err);
  if (rc)
    return rc;
  /* Another process may have applied it while we waited for the lock. */
  rc = query_int(s, "SELECT coalesce(max(version), 0) FROM schema_migrations", &have, err, what);
  if (rc || have >= m->number)
    goto done;
  rc = sqlite3_exec(s->db, m->sql, NULL, NULL, NULL);
  if (rc) {
    rc = db_fail(s, rc, err, what);
    goto done;
  }
  rc = sqlite3_prepare_v2(s->db,
                          "INSERT INTO schema_migrations (version, name, applied_at) "
                          "VALUES (?1, ?2, ?3)",
                          -1, &st, NULL);
  if (!rc) {
    struct binder b;
    bind_init(&b, st);
    bind_int(&b, m->number);
    bind_text(&b, m->name);
    bind_int(&b, now_utc());
    rc = b.rc ? b.rc : stmt_run(st);
  }
  if (rc)
    rc = db_fail(s, rc, err, what);
done:
  sqlite3_finalize(st);
  if (!rc)
    return tx_commit(s, err);
  tx_rollback(s);
  return rc;
}

static int migrate(struct sqlite_store *s, int from, struct err *err) {
  int rc = pragma(s,
                  "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                  "name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                  err);
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

/* ---- background checkpoints ------------------------------------------ */

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
  if (query_int(s, "PRAGMA page_size", &size, &ignored, "") || size <= 0)
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

static void sqlite_close(struct store *st) {
  struct sqlite_store *s = backend(st);
  if (!s)
    return;
  checkpointer_stop(s);
  for (int i = 0; i < ST_COUNT; i++)
    sqlite3_finalize(s->stmts[i]);
  sqlite3_close(s->db);
  free(s->path);
  free(s);
}

static int sqlite_open(const char *uri, struct store **out, struct err *err) {
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
  rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
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
  /* The page size can only be chosen before the first table exists. */
  rc = fresh ? pragma(s, "PRAGMA page_size = " STRINGIFY(PAGE_SIZE_NEW), err) : MS_OK;
  if (!rc)
    rc = pragma(s, "PRAGMA journal_mode = WAL", err);
  if (!rc)
    rc = pragma(s, "PRAGMA synchronous = NORMAL", err);
  if (!rc)
    rc = pragma(s, "PRAGMA foreign_keys = ON", err);
  if (!rc)
    rc = pragma(s, CACHE_PRAGMA, err);
  if (!rc)
    rc = pragma(s, WAL_LIMIT_PRAGMA, err);
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

static int sqlite_schema_version(struct store *st, int *version) {
  struct sqlite_store *s = backend(st);
  sqlite3_stmt *q = NULL;
  int rc = stmt_get(s, ST_VERSION, &q, NULL);
  if (rc)
    return rc;
  rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    *version = sqlite3_column_int(q, 0);
    rc = MS_OK;
  } else {
    rc = code_from_sqlite(rc);
  }
  sqlite3_reset(q);
  return rc;
}

/* ---- sources --------------------------------------------------------- */

static int check_name(const char *what, const char *v, size_t max, struct err *err) {
  if (!v || !*v)
    return err_set(err, MS_EINVAL, "%s is empty", what);
  if (strlen(v) >= max)
    return err_set(err, MS_EINVAL, "%s \"%.40s...\" is too long (at most %zu characters)", what, v,
                   max - 1);
  return MS_OK;
}

static int check_source(const struct source_row *r, struct err *err) {
  int rc = check_name("the source name", r->name, sizeof(r->name), err);
  if (!rc)
    rc = check_name("the connector name", r->connector, sizeof(r->connector), err);
  return rc;
}

static int row_to_source(sqlite3_stmt *st, struct source_row *out) {
  int rc;
  memset(out, 0, sizeof(*out));
  out->id = sqlite3_column_int64(st, 0);
  col_copy(st, 1, out->name, sizeof(out->name));
  col_copy(st, 2, out->connector, sizeof(out->connector));
  rc = col_dup(st, 3, &out->settings);
  if (!rc)
    rc = col_dup(st, 4, &out->credentials);
  out->created_at = sqlite3_column_int64(st, 5);
  out->last_sync_at = sqlite3_column_int64(st, 6);
  if (!rc)
    rc = col_dup(st, 7, &out->last_error);
  if (rc)
    source_row_release(out);
  return rc;
}

static int is_unique_violation(int rc) {
  return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

static int sqlite_source_add(struct store *st, struct source_row *r, struct err *err) {
  struct sqlite_store *s = backend(st);
  sqlite3_stmt *q;
  struct binder b;
  int rc = check_source(r, err);
  if (rc)
    return rc;
  if (!r->created_at)
    r->created_at = now_utc();
  rc = stmt_get(s, ST_SOURCE_INSERT, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_text(&b, r->name);
  bind_text(&b, r->connector);
  bind_text(&b, r->settings ? r->settings : "{}");
  bind_text(&b, r->credentials ? r->credentials : "{}");
  bind_int(&b, r->created_at);
  bind_int(&b, r->last_sync_at);
  bind_text(&b, r->last_error);
  rc = b.rc ? b.rc : sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    r->id = sqlite3_column_int64(q, 0);
    rc = stmt_run(q);
  }
  if (is_unique_violation(rc))
    rc = err_set(err, MS_EEXIST,
                 "a source named \"%s\" already exists; pick another name or remove it first",
                 r->name);
  else if (rc)
    rc = db_fail(s, rc, err, "adding the source");
  sqlite3_reset(q);
  return rc;
}

static int source_fetch(struct sqlite_store *s, sqlite3_stmt *q, struct source_row *out,
                        struct err *err, const char *missing) {
  int rc = sqlite3_step(q);
  memset(out, 0, sizeof(*out));
  if (rc == SQLITE_ROW) {
    rc = row_to_source(q, out);
    if (rc)
      err_set(err, rc, "out of memory reading a source");
  } else if (rc == SQLITE_DONE) {
    rc = err_set(err, MS_ENOTFOUND, "%s", missing);
  } else {
    rc = db_fail(s, rc, err, "reading a source");
  }
  sqlite3_reset(q);
  return rc;
}

static int sqlite_source_get(struct store *st, const char *name, struct source_row *out,
                             struct err *err) {
  struct sqlite_store *s = backend(st);
  char missing[MS_ERR_MSG_MAX];
  sqlite3_stmt *q;
  struct binder b;
  int rc = stmt_get(s, ST_SOURCE_BY_NAME, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_text(&b, name ? name : "");
  if (b.rc) {
    sqlite3_reset(q);
    return db_fail(s, b.rc, err, "reading a source");
  }
  snprintf(missing, sizeof(missing),
           "no source named \"%s\"; `marketsync source list` shows the configured ones",
           name ? name : "");
  return source_fetch(s, q, out, err, missing);
}

static int sqlite_source_get_id(struct store *st, int64_t id, struct source_row *out,
                                struct err *err) {
  struct sqlite_store *s = backend(st);
  char missing[64];
  sqlite3_stmt *q;
  struct binder b;
  int rc = stmt_get(s, ST_SOURCE_BY_ID, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_int(&b, id);
  if (b.rc) {
    sqlite3_reset(q);
    return db_fail(s, b.rc, err, "reading a source");
  }
  snprintf(missing, sizeof(missing), "no source with id %lld", (long long)id);
  return source_fetch(s, q, out, err, missing);
}

/* Sources are read in full before the callback runs, so it may write. */
static int sqlite_source_list(struct store *st, source_cb cb, void *ctx, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct source_row *rows = NULL, *grown;
  size_t n = 0, cap = 0;
  sqlite3_stmt *q = NULL;
  int rc =
      sqlite3_prepare_v2(s->db, "SELECT " SOURCE_COLS " FROM sources ORDER BY name", -1, &q, NULL);
  if (rc) {
    rc = db_fail(s, rc, err, "listing sources");
    goto done;
  }
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      grown = realloc(rows, cap * sizeof(*rows));
      if (!grown) {
        rc = err_set(err, MS_ENOMEM, "out of memory listing sources");
        goto done;
      }
      rows = grown;
    }
    rc = row_to_source(q, &rows[n]);
    if (rc) {
      err_set(err, rc, "out of memory listing sources");
      goto done;
    }
    n++;
  }
  if (rc != SQLITE_DONE) {
    rc = db_fail(s, rc, err, "listing sources");
    goto done;
  }
  sqlite3_finalize(q);
  q = NULL;
  rc = MS_OK;
  for (size_t i = 0; i < n && !rc; i++)
    rc = cb(ctx, &rows[i]);
done:
  sqlite3_finalize(q);
  for (size_t i = 0; i < n; i++)
    source_row_release(&rows[i]);
  free(rows);
  return rc;
}

static int sqlite_source_update(struct store *st, const struct source_row *r, struct err *err) {
  struct sqlite_store *s = backend(st);
  sqlite3_stmt *q;
  struct binder b;
  int rc = check_source(r, err);
  if (rc)
    return rc;
  rc = stmt_get(s, ST_SOURCE_UPDATE, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_int(&b, r->id);
  bind_text(&b, r->name);
  bind_text(&b, r->connector);
  bind_text(&b, r->settings ? r->settings : "{}");
  bind_text(&b, r->credentials ? r->credentials : "{}");
  bind_int(&b, r->last_sync_at);
  bind_text(&b, r->last_error);
  rc = b.rc ? b.rc : stmt_run(q);
  if (is_unique_violation(rc))
    rc =
        err_set(err, MS_EEXIST, "a source named \"%s\" already exists; pick another name", r->name);
  else if (rc)
    rc = db_fail(s, rc, err, "updating the source");
  else if (sqlite3_changes(s->db) == 0)
    rc = err_set(err, MS_ENOTFOUND, "no source with id %lld (was it removed?)", (long long)r->id);
  sqlite3_reset(q);
  return rc;
}

static int sqlite_source_remove(struct store *st, const char *name, struct err *err) {
  struct sqlite_store *s = backend(st);
  sqlite3_stmt *q;
  struct binder b;
  int rc = stmt_get(s, ST_SOURCE_DELETE, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_text(&b, name ? name : "");
  rc = b.rc ? b.rc : stmt_run(q);
  if (rc)
    rc = db_fail(s, rc, err, "removing the source");
  else if (sqlite3_changes(s->db) == 0)
    rc = err_set(err, MS_ENOTFOUND,
                 "no source named \"%s\"; `marketsync source list` shows the configured ones",
                 name ? name : "");
  sqlite3_reset(q);
  return rc;
}

/* ---- slices ---------------------------------------------------------- */

static int check_slice_key(const char *stream, struct err *err) {
  return check_name("the stream name", stream, MS_STREAM_MAX, err);
}

/* Fills out from a row in SLICE_COLS order. out is overwritten. */
static int slice_from_row(sqlite3_stmt *st, struct slice *out) {
  int rc;
  const char *t;
  memset(out, 0, sizeof(*out));
  out->source_id = sqlite3_column_int64(st, 0);
  col_copy(st, 1, out->stream, sizeof(out->stream));
  t = col_text(st, 2);
  if (!t || date_parse(t, &out->day, NULL))
    return MS_EDB;
  t = col_text(st, 3);
  if (!t || slice_status_parse(t, &out->status))
    return MS_EDB;
  rc = col_dup(st, 4, &out->cursor);
  out->pages = sqlite3_column_int64(st, 5);
  out->records = sqlite3_column_int64(st, 6);
  out->inserted = sqlite3_column_int64(st, 7);
  out->updated = sqlite3_column_int64(st, 8);
  out->unchanged = sqlite3_column_int64(st, 9);
  out->retries = sqlite3_column_int64(st, 10);
  if (!rc)
    rc = col_dup(st, 11, &out->last_error);
  out->started_at = sqlite3_column_int64(st, 12);
  out->updated_at = sqlite3_column_int64(st, 13);
  out->completed_at = sqlite3_column_int64(st, 14);
  col_copy(st, 15, out->lease_owner, sizeof(out->lease_owner));
  out->lease_token = sqlite3_column_int64(st, 16);
  out->lease_expires = sqlite3_column_int64(st, 17);
  out->failed = sqlite3_column_int64(st, 18);
  out->listed = sqlite3_column_int(st, 19) != 0;
  if (!rc)
    rc = col_dup(st, 20, &out->follow);
  if (!rc)
    rc = col_dup(st, 21, &out->follow_cursor);
  if (rc)
    slice_release(out);
  return rc;
}

static int slice_row_fail(int rc, const struct slice_name *n, struct err *err) {
  if (rc == MS_ENOMEM)
    return err_set(err, rc, "out of memory reading slice %s", n->text);
  return err_set(err, MS_EDB, "slice %s holds a value this marketsync cannot read", n->text);
}

static void bind_slice_key(struct binder *b, char d[DATE_STR_LEN], int64_t source_id,
                           const char *stream, struct civil_date day) {
  bind_int(b, source_id);
  bind_text(b, stream);
  bind_date(b, d, day);
}

/* Turns a foreign key failure into "no such source". */
static int slice_write_fail(struct sqlite_store *s, int rc, int64_t source_id, struct err *err,
                            const char *what) {
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    return err_set(err, MS_ENOTFOUND, "no source with id %lld (was it removed?)",
                   (long long)source_id);
  return db_fail(s, rc, err, what);
}

static int slice_ensure_in(struct sqlite_store *s, int64_t source_id, const char *stream,
                           struct civil_date day, struct err *err) {
  char d[DATE_STR_LEN];
  sqlite3_stmt *q;
  struct binder b;
  int rc = stmt_get(s, ST_SLICE_ENSURE, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_slice_key(&b, d, source_id, stream, day);
  rc = b.rc ? b.rc : stmt_run(q);
  if (rc)
    rc = slice_write_fail(s, rc, source_id, err, "creating a slice");
  sqlite3_reset(q);
  return rc;
}

static int sqlite_slice_ensure(struct store *st, int64_t source_id, const char *stream,
                               struct civil_date day, struct err *err) {
  int rc = check_slice_key(stream, err);
  if (rc)
    return rc;
  return slice_ensure_in(backend(st), source_id, stream, day, err);
}

static int sqlite_slice_get(struct store *st, int64_t source_id, const char *stream,
                            struct civil_date day, struct slice *out, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct slice_name n;
  char d[DATE_STR_LEN];
  sqlite3_stmt *q;
  struct binder b;
  int rc;
  memset(out, 0, sizeof(*out));
  rc = check_slice_key(stream, err);
  if (rc)
    return rc;
  slice_name_set(&n, source_id, stream, day);
  rc = stmt_get(s, ST_SLICE_GET, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_slice_key(&b, d, source_id, stream, day);
  rc = b.rc ? b.rc : sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    rc = slice_from_row(q, out);
    if (rc)
      rc = slice_row_fail(rc, &n, err);
  } else if (rc == SQLITE_DONE) {
    rc = err_set(err, MS_ENOTFOUND, "no slice %s", n.text);
  } else {
    rc = db_fail(s, rc, err, "reading a slice");
  }
  sqlite3_reset(q);
  return rc;
}

/* Inside the claim transaction: MS_EHELD when another owner's lease holds. */
static int claim_check(struct sqlite_store *s, int64_t source_id, const char *stream,
                       struct civil_date day, const char *owner, int64_t now,
                       const struct slice_name *n, struct err *err) {
  char d[DATE_STR_LEN];
  sqlite3_stmt *q;
  struct binder b;
  int rc = stmt_get(s, ST_SLICE_GET, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_slice_key(&b, d, source_id, stream, day);
  rc = b.rc ? b.rc : sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    const char *status = col_text(q, 3), *holder = col_text(q, 15);
    int64_t expires = sqlite3_column_int64(q, 17);
    rc = MS_OK;
    if (status && strcmp(status, "in_progress") == 0 && holder && *holder &&
        strcmp(holder, owner) != 0 && expires > now)
      rc = err_set(err, MS_EHELD,
                   "slice %s is being synced by %s (lease for %lld more seconds); try again "
                   "later",
                   n->text, holder, (long long)(expires - now));
  } else if (rc == SQLITE_DONE) {
    rc = err_set(err, MS_EDB, "slice %s vanished while being claimed", n->text);
  } else {
    rc = db_fail(s, rc, err, "claiming a slice");
  }
  sqlite3_reset(q);
  return rc;
}

static int claim_take(struct sqlite_store *s, int64_t source_id, const char *stream,
                      struct civil_date day, const char *owner, int64_t now, int lease_secs,
                      struct slice *out, const struct slice_name *n, struct err *err) {
  char d[DATE_STR_LEN];
  sqlite3_stmt *q;
  struct binder b;
  int rc = stmt_get(s, ST_SLICE_TAKE, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_slice_key(&b, d, source_id, stream, day);
  bind_text(&b, owner);
  bind_int(&b, now + lease_secs);
  bind_int(&b, now);
  rc = b.rc ? b.rc : sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    rc = slice_from_row(q, out);
    if (rc)
      rc = slice_row_fail(rc, n, err);
    else if ((rc = stmt_run(q)) != SQLITE_OK)
      rc = db_fail(s, rc, err, "claiming a slice");
    if (rc)
      slice_release(out);
  } else if (rc == SQLITE_DONE) {
    rc = err_set(err, MS_EDB, "slice %s vanished while being claimed", n->text);
  } else {
    rc = db_fail(s, rc, err, "claiming a slice");
  }
  sqlite3_reset(q);
  return rc;
}

static int sqlite_slice_claim(struct store *st, int64_t source_id, const char *stream,
                              struct civil_date day, const char *owner, int64_t now, int lease_secs,
                              struct slice *out, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct slice_name n;
  int rc;
  memset(out, 0, sizeof(*out));
  rc = check_slice_key(stream, err);
  if (!rc)
    rc = check_name("the worker id", owner, MS_NAME_MAX, err);
  if (rc)
    return rc;
  if (lease_secs <= 0)
    return err_set(err, MS_EINVAL, "the lease must last at least one second");
  slice_name_set(&n, source_id, stream, day);
  rc = tx_begin(s, err);
  if (rc)
    return rc;
  rc = slice_ensure_in(s, source_id, stream, day, err);
  if (!rc)
    rc = claim_check(s, source_id, stream, day, owner, now, &n, err);
  if (!rc)
    rc = claim_take(s, source_id, stream, day, owner, now, lease_secs, out, &n, err);
  if (!rc)
    rc = tx_commit(s, err);
  if (rc) {
    tx_rollback(s);
    slice_release(out);
    memset(out, 0, sizeof(*out));
    return rc;
  }
  return MS_OK;
}

static int sqlite_slice_reset(struct store *st, int64_t source_id, const char *stream,
                              struct civil_date day, struct err *err) {
  struct sqlite_store *s = backend(st);
  char d[DATE_STR_LEN];
  sqlite3_stmt *q;
  struct binder b;
  int rc = check_slice_key(stream, err);
  if (rc)
    return rc;
  rc = stmt_get(s, ST_SLICE_RESET, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_slice_key(&b, d, source_id, stream, day);
  bind_int(&b, now_utc());
  rc = b.rc ? b.rc : stmt_run(q);
  if (rc)
    rc = slice_write_fail(s, rc, source_id, err, "resetting a slice");
  sqlite3_reset(q);
  return rc;
}

static int sqlite_slice_seed(struct store *st, int64_t source_id, const char *stream,
                             struct civil_date day, const char *follow, struct err *err) {
  struct sqlite_store *s = backend(st);
  char d[DATE_STR_LEN];
  sqlite3_stmt *q = NULL;
  int rc = sqlite_slice_reset(st, source_id, stream, day, err);
  if (rc)
    return rc;
  date_format(day, d);
  rc = sqlite3_prepare_v2(s->db,
                          "UPDATE slices SET listed = 1, follow = ?4 WHERE source_id = ?1 AND "
                          "stream = ?2 AND day = ?3",
                          -1, &q, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(q, 1, source_id);
    sqlite3_bind_text(q, 2, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, d, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, follow, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  sqlite3_finalize(q);
  return rc ? db_fail(s, rc, err, "seeding a slice") : MS_OK;
}

/* Items whose price is missing or zero and was not estimated. */
#define UNPRICED "(i.price_missing = 1 OR coalesce(i.price_minor, 0) = 0) AND i.price_estimated = 0"

static int sqlite_orders_needing_items(struct store *st, int64_t source_id, int64_t from,
                                       int64_t to, int zero_prices, order_ref_cb cb, void *ctx,
                                       struct err *err) {
  struct sqlite_store *s = backend(st);
  sqlite3_stmt *q = NULL;
  int rc = sqlite3_prepare_v2(
      s->db,
      zero_prices
          ? "SELECT o.external_id, o.created_at FROM orders o WHERE o.source_id = ?1 AND "
            "o.created_at >= ?2 AND o.created_at < ?3 AND EXISTS (SELECT 1 FROM order_items i "
            "WHERE i.source_id = o.source_id AND i.order_external_id = o.external_id AND " UNPRICED
            ") ORDER BY o.created_at, o.external_id"
          : "SELECT o.external_id, o.created_at FROM orders o WHERE o.source_id = ?1 AND "
            "o.created_at >= ?2 AND o.created_at < ?3 AND NOT EXISTS (SELECT 1 FROM order_items "
            "i WHERE i.source_id = o.source_id AND i.order_external_id = o.external_id) "
            "ORDER BY o.created_at, o.external_id",
      -1, &q, NULL);
  if (rc != SQLITE_OK)
    return db_fail(s, rc, err, "finding orders to repair");
  sqlite3_bind_int64(q, 1, source_id);
  sqlite3_bind_int64(q, 2, from);
  sqlite3_bind_int64(q, 3, to);
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    int crc = cb(ctx, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int64(q, 1));
    if (crc) {
      sqlite3_finalize(q);
      return crc;
    }
  }
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? MS_OK : db_fail(s, rc, err, "finding orders to repair");
}

static int count_query(struct sqlite_store *s, const char *sql, int64_t source_id, int64_t from,
                       int64_t to, int64_t *out, struct err *err, const char *what) {
  sqlite3_stmt *q = NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(q, 1, source_id);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
      *out = sqlite3_column_int64(q, 0);
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
      *out = sqlite3_changes64(s->db);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(q);
  return rc ? db_fail(s, rc, err, what) : MS_OK;
}

static int sqlite_items_unpriced(struct store *st, int64_t source_id, int64_t from, int64_t to,
                                 int64_t *count, struct err *err) {
  return count_query(backend(st),
                     "SELECT count(*) FROM order_items i JOIN orders o ON o.source_id = "
                     "i.source_id AND o.external_id = i.order_external_id WHERE o.source_id = ?1 "
                     "AND o.created_at >= ?2 AND o.created_at < ?3 AND " UNPRICED,
                     source_id, from, to, count, err, "counting unpriced items");
}

/* The catalog price of a SKU: the unit price of its latest real sale in this
 * source. Integer minor units throughout; the text price is derived from
 * them with the currency's two decimals (the estimate is marked as such). */
static int sqlite_items_estimate(struct store *st, int64_t source_id, int64_t from, int64_t to,
                                 int64_t *estimated, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = tx_begin(s, err);
  if (rc)
    return rc;
  rc = count_query(
      s,
      "UPDATE order_items AS i SET price_minor = e.unit * i.quantity, price = "
      "printf('%d.%02d', (e.unit * i.quantity) / 100, (e.unit * i.quantity) % 100), "
      "currency = e.currency, price_estimated = 1, price_missing = 0 "
      "FROM (SELECT u.order_external_id AS oid, u.external_id AS iid, "
      "  (SELECT p.price_minor / p.quantity FROM order_items p JOIN orders po ON "
      "   po.source_id = p.source_id AND po.external_id = p.order_external_id "
      "   WHERE p.source_id = u.source_id AND p.sku = u.sku AND p.price_missing = 0 AND "
      "   p.price_estimated = 0 AND p.quantity > 0 AND coalesce(p.price_minor, 0) > 0 "
      "   ORDER BY po.created_at DESC LIMIT 1) AS unit, "
      "  (SELECT p.currency FROM order_items p JOIN orders po ON po.source_id = p.source_id "
      "   AND po.external_id = p.order_external_id WHERE p.source_id = u.source_id AND "
      "   p.sku = u.sku AND p.price_missing = 0 AND p.price_estimated = 0 AND "
      "   coalesce(p.price_minor, 0) > 0 ORDER BY po.created_at DESC LIMIT 1) AS currency "
      "  FROM order_items u JOIN orders o ON o.source_id = u.source_id AND o.external_id = "
      "  u.order_external_id WHERE u.source_id = ?1 AND o.created_at >= ?2 AND "
      "  o.created_at < ?3 AND (u.price_missing = 1 OR coalesce(u.price_minor, 0) = 0) AND "
      "  u.price_estimated = 0 AND u.sku IS NOT NULL) AS e "
      "WHERE i.source_id = ?1 AND i.order_external_id = e.oid AND i.external_id = e.iid AND "
      "e.unit IS NOT NULL AND i.quantity > 0",
      source_id, from, to, estimated, err, "estimating prices");
  if (!rc)
    rc = tx_commit(s, err);
  if (rc)
    tx_rollback(s);
  return rc;
}

/* Explains an MS_ELEASE: who holds the slice now, if anyone. */
static int lease_lost(struct sqlite_store *s, const struct slice *sl, struct err *err) {
  struct slice_name n;
  struct slice now;
  struct err ignored;
  slice_name_set(&n, sl->source_id, sl->stream, sl->day);
  if (sqlite_slice_get(&s->base, sl->source_id, sl->stream, sl->day, &now, &ignored))
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

/* Error text as stored: one line, bounded. */
static void one_line(const char *in, char *out, size_t size) {
  size_t i = 0;
  for (; in && in[i] && i + 1 < size; i++)
    out[i] = (in[i] == '\n' || in[i] == '\r') ? ' ' : in[i];
  out[i] = '\0';
}

/* Runs a fenced single-statement update; MS_ELEASE when it matched nothing. */
static int fenced_run(struct sqlite_store *s, sqlite3_stmt *q, struct binder *b,
                      const struct slice *sl, struct err *err, const char *what) {
  int rc = b->rc ? b->rc : stmt_run(q);
  if (rc)
    rc = db_fail(s, rc, err, what);
  else if (sqlite3_changes(s->db) == 0)
    rc = MS_ELEASE;
  sqlite3_reset(q);
  if (rc == MS_ELEASE)
    return lease_lost(s, sl, err);
  return rc;
}

static int fenced_start(struct sqlite_store *s, enum stmt_id id, const struct slice *sl,
                        char d[DATE_STR_LEN], sqlite3_stmt **q, struct binder *b, struct err *err) {
  int rc = stmt_get(s, id, q, err);
  if (rc)
    return rc;
  bind_init(b, *q);
  bind_slice_key(b, d, sl->source_id, sl->stream, sl->day);
  bind_int(b, sl->lease_token);
  return MS_OK;
}

static int sqlite_slice_fail(struct store *st, const struct slice *sl, enum slice_status status,
                             const char *error, struct err *err) {
  struct sqlite_store *s = backend(st);
  char d[DATE_STR_LEN], msg[ERROR_TEXT_MAX];
  sqlite3_stmt *q;
  struct binder b;
  int rc;
  if (status != SLICE_FAILED && status != SLICE_PENDING)
    return err_set(err, MS_EINVAL, "a slice can only fail to \"failed\" or \"pending\", not %s",
                   slice_status_name(status));
  one_line(error ? error : "unknown error", msg, sizeof(msg));
  rc = fenced_start(s, ST_SLICE_FAIL, sl, d, &q, &b, err);
  if (rc)
    return rc;
  bind_text(&b, slice_status_name(status));
  bind_text(&b, msg);
  bind_int(&b, now_utc());
  return fenced_run(s, q, &b, sl, err, "recording a slice failure");
}

static int sqlite_slice_restart(struct store *st, const struct slice *sl, const char *why,
                                struct err *err) {
  struct sqlite_store *s = backend(st);
  char d[DATE_STR_LEN], msg[ERROR_TEXT_MAX];
  sqlite3_stmt *q;
  struct binder b;
  int rc = fenced_start(s, ST_SLICE_RESTART, sl, d, &q, &b, err);
  if (rc)
    return rc;
  one_line(why, msg, sizeof(msg));
  bind_text_or_null(&b, msg);
  bind_int(&b, now_utc());
  return fenced_run(s, q, &b, sl, err, "restarting a slice");
}

static int sqlite_slice_release(struct store *st, const struct slice *sl, struct err *err) {
  struct sqlite_store *s = backend(st);
  char d[DATE_STR_LEN];
  sqlite3_stmt *q;
  struct binder b;
  int rc = fenced_start(s, ST_SLICE_RELEASE, sl, d, &q, &b, err);
  if (rc)
    return rc;
  bind_int(&b, now_utc());
  return fenced_run(s, q, &b, sl, err, "releasing a slice");
}

static int check_day_bound(const char *what, const char *v, struct err *err) {
  struct civil_date d;
  if (v && date_parse(v, &d, NULL))
    return err_set(err, MS_EINVAL, "%s date \"%.40s\" is not a YYYY-MM-DD day", what, v);
  return MS_OK;
}

struct slice_set {
  struct slice *v; /* rows */
  size_t n;        /* used */
  size_t cap;      /* allocated */
};

static void slice_set_release(struct slice_set *set) {
  for (size_t i = 0; i < set->n; i++)
    slice_release(&set->v[i]);
  free(set->v);
}

static int slice_set_add(struct slice_set *set, sqlite3_stmt *q) {
  if (set->n == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 64;
    struct slice *v;
    if (cap > SLICE_ROWS_MAX)
      return MS_ETOOBIG;
    v = realloc(set->v, cap * sizeof(*v));
    if (!v)
      return MS_ENOMEM;
    set->v = v;
    set->cap = cap;
  }
  int rc = slice_from_row(q, &set->v[set->n]);
  if (rc)
    return rc;
  set->n++;
  return MS_OK;
}

/* Slices are read in full before the callbacks run, so a callback may
 * claim or change the slice it is given. */
static int sqlite_slice_list(struct store *st, const struct slice_filter *f, slice_cb cb, void *ctx,
                             struct err *err) {
  static const char sql[] = "SELECT " SLICE_COLS " FROM slices WHERE (?1 = 0 OR source_id = ?1) "
                            "AND (?2 IS NULL OR stream = ?2) AND (?3 IS NULL OR day >= ?3) "
                            "AND (?4 IS NULL OR day <= ?4) AND (?5 = 0 OR status = 'failed') "
                            "AND (?6 = 0 OR status IN ('pending', 'failed') "
                            "OR (status = 'in_progress' AND lease_expires <= ?7)) "
                            "ORDER BY day, source_id, stream";
  struct sqlite_store *s = backend(st);
  struct slice_set set = {0};
  sqlite3_stmt *q = NULL;
  struct binder b;
  int rc = check_day_bound("the from", f->from, err);
  if (!rc)
    rc = check_day_bound("the to", f->to, err);
  if (rc)
    return rc;
  rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
  if (rc) {
    rc = db_fail(s, rc, err, "listing slices");
    goto done;
  }
  bind_init(&b, q);
  bind_int(&b, f->source_id);
  bind_text(&b, f->stream);
  bind_text(&b, f->from);
  bind_text(&b, f->to);
  bind_int(&b, f->only_failed != 0);
  bind_int(&b, f->only_open != 0);
  bind_int(&b, f->now);
  rc = b.rc;
  while (!rc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
    rc = slice_set_add(&set, q);
    if (rc) {
      err_set(err, rc,
              rc == MS_ENOMEM ? "out of memory listing slices"
                              : "too many slices to list at once; narrow the filter");
      goto done;
    }
  }
  if (rc != SQLITE_DONE) {
    rc = db_fail(s, rc, err, "listing slices");
    goto done;
  }
  sqlite3_finalize(q);
  q = NULL;
  rc = MS_OK;
  for (size_t i = 0; i < set.n && !rc; i++)
    rc = cb(ctx, &set.v[i]);
done:
  sqlite3_finalize(q);
  slice_set_release(&set);
  return rc;
}

/* ---- pages of records ------------------------------------------------ */

static size_t text_len(const char *s, size_t len) {
  return len ? len : strlen(s);
}

/* Names the first of the optional text fields longer than STORE_TEXT_MAX. */
static const char *long_text(const char *const *v, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (v[i] && strlen(v[i]) > STORE_TEXT_MAX)
      return names[i];
  return NULL;
}

static int check_items(const struct record *r, struct err *err) {
  static const char *const names[] = {"SKU", "title"};
  if (r->nitems > STORE_ITEMS_MAX)
    return err_set(err, MS_EINVAL, "it has %zu lines, over the limit of %d", r->nitems,
                   STORE_ITEMS_MAX);
  if (r->nitems && !r->items)
    return err_set(err, MS_EINVAL, "it lost its lines");
  for (size_t j = 0; j < r->nitems; j++) {
    const struct record_item *it = &r->items[j];
    const char *const v[] = {it->sku, it->title};
    const char *which = long_text(v, names, 2);
    if (!it->external_id || !*it->external_id || strlen(it->external_id) > EXTERNAL_ID_MAX)
      return err_set(err, MS_EINVAL, "line %zu has %s id", j + 1,
                     !it->external_id || !*it->external_id ? "no" : "an over-long");
    if (which)
      return err_set(err, MS_EINVAL, "line %zu has a %s longer than %d bytes", j + 1, which,
                     STORE_TEXT_MAX);
  }
  return MS_OK;
}

/* Why a record cannot be stored, or MS_OK. The message names no position
 * in the page: it is kept with the record in failed_records. */
static int check_record(const struct record *r, struct err *err) {
  static const char *const names[] = {"name", "status", "financial status", "fulfillment status"};
  const char *const v[] = {r->name, r->status, r->financial_status, r->fulfillment_status};
  const char *id = r->external_id, *which;
  size_t raw;
  if (!id || !*id)
    return err_set(err, MS_EINVAL, "the record has no id");
  if (strlen(id) > EXTERNAL_ID_MAX)
    return err_set(err, MS_EINVAL, "the record's id is longer than %d bytes (\"%.40s...\")",
                   EXTERNAL_ID_MAX, id);
  if (!r->raw)
    return err_set(err, MS_EINVAL, "record %s has no raw JSON", id);
  raw = text_len(r->raw, r->raw_len);
  if (raw > STORE_RAW_MAX)
    return err_set(err, MS_EINVAL, "record %s is %zu bytes of JSON, over the limit of %d", id, raw,
                   STORE_RAW_MAX);
  if (r->created_at < 0 || r->updated_at < 0)
    return err_set(err, MS_EINVAL, "record %s has a time before 1970", id);
  which = long_text(v, names, sizeof(v) / sizeof(v[0]));
  if (which)
    return err_set(err, MS_EINVAL, "record %s has a %s longer than %d bytes", id, which,
                   STORE_TEXT_MAX);
  if (check_items(r, err)) {
    err_prefix(err, "record %s", id);
    return MS_EINVAL;
  }
  return MS_OK;
}

/* The bindings ST_ORDER_INSERT and ST_ORDER_UPDATE share: ?1 .. ?13. */
static void bind_order(struct binder *b, int64_t source_id, const struct record *r, int64_t now) {
  bind_int(b, source_id);
  bind_text(b, r->external_id);
  bind_text(b, r->name);
  bind_int(b, r->created_at);
  bind_int(b, r->updated_at);
  bind_text(b, r->status);
  bind_text(b, r->financial_status);
  bind_text(b, r->fulfillment_status);
  bind_text_or_null(b, r->total.amount);
  if (r->total.amount[0])
    bind_int(b, r->total.minor);
  else
    bind_null(b);
  bind_text_or_null(b, r->total.currency);
  bind_textn(b, r->raw, text_len(r->raw, r->raw_len));
  bind_int(b, now);
}

/* Reads the stored updated_at: *found 0 when the record is new. */
static int order_stamp(struct sqlite_store *s, int64_t source_id, const struct record *r,
                       int *found, int64_t *updated_at) {
  sqlite3_stmt *q = s->stmts[ST_ORDER_STAMP];
  struct binder b;
  int rc;
  bind_init(&b, q);
  bind_int(&b, source_id);
  bind_text(&b, r->external_id);
  rc = b.rc ? b.rc : sqlite3_step(q);
  *found = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW) {
    *updated_at = sqlite3_column_int64(q, 0);
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  }
  sqlite3_reset(q);
  return rc;
}

static int order_write(struct sqlite_store *s, enum stmt_id id, int64_t source_id,
                       const struct record *r, int64_t now) {
  sqlite3_stmt *q = s->stmts[id];
  struct binder b;
  int rc;
  bind_init(&b, q);
  if (id == ST_ORDER_TOUCH) {
    bind_int(&b, source_id);
    bind_text(&b, r->external_id);
    bind_int(&b, now);
  } else {
    bind_order(&b, source_id, r, now);
  }
  rc = b.rc ? b.rc : stmt_run(q);
  sqlite3_reset(q);
  return rc;
}

static int items_write(struct sqlite_store *s, int64_t source_id, const struct record *r,
                       int existed, int64_t line_base, int64_t *count) {
  sqlite3_stmt *q;
  struct binder b;
  int rc = SQLITE_OK;
  if (existed) {
    q = s->stmts[ST_ITEMS_DELETE];
    bind_init(&b, q);
    bind_int(&b, source_id);
    bind_text(&b, r->external_id);
    rc = b.rc ? b.rc : stmt_run(q);
    sqlite3_reset(q);
  }
  q = s->stmts[ST_ITEM_INSERT];
  for (size_t j = 0; !rc && j < r->nitems; j++) {
    const struct record_item *it = &r->items[j];
    int priced = !it->price_missing && it->price.amount[0];
    bind_init(&b, q);
    bind_int(&b, source_id);
    bind_text(&b, r->external_id);
    bind_text(&b, it->external_id);
    bind_int(&b, line_base + (int64_t)j);
    bind_text(&b, it->sku);
    bind_text(&b, it->title);
    bind_int(&b, it->quantity);
    bind_text(&b, priced ? it->price.amount : NULL);
    if (priced)
      bind_int(&b, it->price.minor);
    else
      bind_null(&b);
    bind_text_or_null(&b, it->price.currency);
    bind_int(&b, it->price_missing != 0);
    if (it->raw)
      bind_textn(&b, it->raw, text_len(it->raw, it->raw_len));
    else
      bind_null(&b);
    rc = b.rc ? b.rc : stmt_run(q);
    sqlite3_reset(q);
    (*count)++;
  }
  return rc;
}

/* Whether the order has any item stored: *yes. */
static int items_exist(struct sqlite_store *s, int64_t source_id, const char *order, int *yes) {
  sqlite3_stmt *q = s->stmts[ST_ITEMS_EXIST];
  struct binder b;
  int rc;
  bind_init(&b, q);
  bind_int(&b, source_id);
  bind_text(&b, order);
  rc = b.rc ? b.rc : sqlite3_step(q);
  *yes = rc == SQLITE_ROW;
  rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
  sqlite3_reset(q);
  return rc;
}

/* Appends id to the JSON array unless it is there already (or there is no
 * array: the caller has no slice to queue follow-ups in). */
static int follow_add(cJSON *follow, const char *id) {
  const cJSON *e;
  if (!follow)
    return SQLITE_OK;
  cJSON_ArrayForEach(e, follow) {
    if (cJSON_IsString(e) && strcmp(e->valuestring, id) == 0)
      return SQLITE_OK;
  }
  return cJSON_AddItemToArray(follow, cJSON_CreateString(id)) ? SQLITE_OK : SQLITE_NOMEM;
}

/* Upserts one record; an older or equal copy never replaces a newer one.
 * A record whose items come by follow-up is queued in follow, unless it is
 * stored unchanged with items already: a day started over does not fetch
 * them again. */
static int record_upsert(struct sqlite_store *s, int64_t source_id, const struct record *r,
                         int64_t now, cJSON *follow, struct page_counts *c) {
  int64_t stored = 0;
  int found = 0, has_items = 0;
  int rc = order_stamp(s, source_id, r, &found, &stored);
  if (rc)
    return rc;
  if (found && r->updated_at <= stored) {
    c->unchanged++;
    rc = order_write(s, ST_ORDER_TOUCH, source_id, r, now);
    if (!rc && r->follow)
      rc = items_exist(s, source_id, r->external_id, &has_items);
    if (!rc && r->follow && !has_items)
      rc = follow_add(follow, r->external_id);
    return rc;
  }
  rc = order_write(s, found ? ST_ORDER_UPDATE : ST_ORDER_INSERT, source_id, r, now);
  if (rc)
    return rc;
  if (found)
    c->updated++;
  else
    c->inserted++;
  if (r->items_included)
    rc = items_write(s, source_id, r, found, 0, &c->items);
  if (!rc && r->follow)
    rc = follow_add(follow, r->external_id);
  return rc;
}

/* An items page: the lines of an order stored earlier in this slice. The
 * first page of its lines replaces what was stored; later ones add to it,
 * numbered after the lines already there. */
static int items_page_write(struct sqlite_store *s, const struct slice *sl, const struct page *pg,
                            struct page_counts *c, struct err *err) {
  struct record view = {0};
  int64_t source_id = sl->source_id, base = 0;
  char head[EXTERNAL_ID_MAX + 1];
  int rc = slice_follow_head(sl, head, sizeof(head));
  if (rc || strcmp(head, pg->items_of) != 0)
    return err_set(err, MS_EINVAL, "items of order %.40s came, but %s", pg->items_of,
                   rc ? "no order of the slice waits for items" : "another order waits first");
  if (!pg->items_first) {
    sqlite3_stmt *q = NULL;
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT count(*) FROM order_items WHERE source_id = ?1 AND "
                            "order_external_id = ?2",
                            -1, &q, NULL);
    if (rc == SQLITE_OK) {
      sqlite3_bind_int64(q, 1, source_id);
      sqlite3_bind_text(q, 2, pg->items_of, -1, SQLITE_STATIC);
      rc = sqlite3_step(q);
      if (rc == SQLITE_ROW) {
        base = sqlite3_column_int64(q, 0);
        rc = SQLITE_OK;
      }
    }
    sqlite3_finalize(q);
    if (rc)
      return db_fail(s, rc, err, "counting stored items");
  }
  view.external_id = pg->items_of;
  view.items = pg->items;
  view.nitems = pg->nitems;
  rc = items_write(s, source_id, &view, pg->items_first, base, &c->items);
  return rc ? slice_write_fail(s, rc, source_id, err, "storing order items") : MS_OK;
}

/* Prepares every statement a commit uses, so the loop never fails on it. */
static int page_prepare(struct sqlite_store *s, struct err *err) {
  static const enum stmt_id ids[] = {
      ST_ORDER_STAMP,       ST_ITEMS_EXIST,        ST_ORDER_INSERT, ST_ORDER_UPDATE, ST_ORDER_TOUCH,
      ST_ITEMS_DELETE,      ST_ITEM_INSERT,        ST_SLICE_GET,    ST_SLICE_PAGE,   ST_SAVEPOINT,
      ST_SAVEPOINT_RELEASE, ST_SAVEPOINT_ROLLBACK, ST_FAILED_ADD,   ST_FAILED_CLEAR};
  sqlite3_stmt *q;
  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
    int rc = stmt_get(s, ids[i], &q, err);
    if (rc)
      return rc;
  }
  return MS_OK;
}

/* Inside the transaction: our token is current and the slice in progress. */
static int page_fence(struct sqlite_store *s, const struct slice *sl, struct err *err) {
  char d[DATE_STR_LEN];
  sqlite3_stmt *q = s->stmts[ST_SLICE_GET];
  struct binder b;
  int rc, held = 0;
  bind_init(&b, q);
  bind_slice_key(&b, d, sl->source_id, sl->stream, sl->day);
  rc = b.rc ? b.rc : sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    const char *status = col_text(q, 3);
    held = sqlite3_column_int64(q, 16) == sl->lease_token && status &&
           strcmp(status, "in_progress") == 0;
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  }
  if (rc)
    rc = db_fail(s, rc, err, "checking the slice lease");
  sqlite3_reset(q);
  if (!rc && !held)
    rc = MS_ELEASE;
  return rc;
}

/* Where the slice goes after a page: the listing cursor, the follow-ups
 * (an items page that was the last of its order takes that order off), and
 * whether the slice is complete (listed, nothing waiting). */
struct advance {
  const char *cursor;        /* listing cursor to store */
  int listed;                /* listing done */
  char *follow;              /* JSON array text, NULL when empty; owned */
  const char *follow_cursor; /* items cursor of the first waiting */
  int done;                  /* the slice completes */
};

static int advance_plan(const struct slice *sl, const struct page *pg, cJSON *follow,
                        struct advance *a) {
  memset(a, 0, sizeof(*a));
  if (pg->items_of) {
    a->cursor = sl->cursor;
    a->listed = sl->listed;
    a->follow_cursor = pg->next_cursor;
    if (!pg->next_cursor)
      cJSON_DeleteItemFromArray(follow, 0);
  } else {
    a->cursor = pg->next_cursor;
    a->listed = pg->next_cursor == NULL;
    a->follow_cursor = sl->follow_cursor;
  }
  if (cJSON_GetArraySize(follow) > 0) {
    a->follow = cJSON_PrintUnformatted(follow);
    if (!a->follow)
      return MS_ENOMEM;
  }
  a->done = a->listed && !a->follow;
  return MS_OK;
}

/* The slice's new cursor and counters; *stored gets the row as written. */
static int page_advance(struct sqlite_store *s, const struct slice *sl, const struct page *pg,
                        int64_t now, const struct page_counts *c, cJSON *follow,
                        struct slice *stored, struct err *err) {
  char d[DATE_STR_LEN];
  sqlite3_stmt *q = s->stmts[ST_SLICE_PAGE];
  struct slice_name n;
  struct advance a;
  struct binder b;
  int rc = advance_plan(sl, pg, follow, &a);
  if (rc)
    return err_set(err, rc, "out of memory");
  bind_init(&b, q);
  bind_slice_key(&b, d, sl->source_id, sl->stream, sl->day);
  bind_int(&b, sl->lease_token);
  bind_text(&b, a.cursor);
  bind_int(&b, (int64_t)pg->n);
  bind_int(&b, c->inserted);
  bind_int(&b, c->updated);
  bind_int(&b, c->unchanged);
  bind_int(&b, now);
  bind_int(&b, c->failed);
  bind_int(&b, a.listed);
  bind_text(&b, a.follow);
  bind_text(&b, a.follow_cursor);
  bind_int(&b, a.done);
  rc = b.rc ? b.rc : sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    slice_name_set(&n, sl->source_id, sl->stream, sl->day);
    rc = slice_from_row(q, stored);
    if (rc)
      rc = slice_row_fail(rc, &n, err);
    else if ((rc = stmt_run(q)) != SQLITE_OK)
      rc = db_fail(s, rc, err, "saving the slice cursor");
    if (rc)
      slice_release(stored);
  } else if (rc == SQLITE_DONE) {
    rc = MS_ELEASE;
  } else {
    rc = db_fail(s, rc, err, "saving the slice cursor");
  }
  sqlite3_reset(q);
  free(a.follow);
  return rc;
}

/* Keeps a record that could not be stored, with why, in failed_records; a
 * record already failing there counts one more attempt. */
static int failed_add(struct sqlite_store *s, const struct slice *sl, const struct record *r,
                      const char *why, int64_t now) {
  sqlite3_stmt *q = s->stmts[ST_FAILED_ADD];
  char d[DATE_STR_LEN], msg[ERROR_TEXT_MAX];
  struct binder b;
  int rc;
  one_line(why, msg, sizeof(msg));
  bind_init(&b, q);
  bind_int(&b, sl->source_id);
  bind_text(&b, sl->stream);
  bind_date(&b, d, sl->day);
  bind_text_or_null(&b, r->external_id);
  if (r->raw)
    bind_textn(&b, r->raw, text_len(r->raw, r->raw_len));
  else
    bind_text(&b, "");
  bind_text(&b, msg);
  bind_int(&b, now);
  rc = b.rc ? b.rc : stmt_run(q);
  sqlite3_reset(q);
  return rc;
}

/* A record stored: an open failure of the same record is over. */
static int failed_clear(struct sqlite_store *s, int64_t source_id, const char *stream,
                        const char *external_id, int64_t now) {
  sqlite3_stmt *q = s->stmts[ST_FAILED_CLEAR];
  struct binder b;
  int rc;
  bind_init(&b, q);
  bind_int(&b, source_id);
  bind_text(&b, stream);
  bind_text(&b, external_id);
  bind_int(&b, now);
  rc = b.rc ? b.rc : stmt_run(q);
  sqlite3_reset(q);
  return rc;
}

static int is_constraint(int rc) {
  return (rc & 0xff) == SQLITE_CONSTRAINT;
}

/* One record of a page, inside the page's transaction. A record the checks
 * or a constraint refuse goes to failed_records (its partial writes undone
 * by the savepoint) and the page goes on; any other failure fails the page. */
static int page_record(struct sqlite_store *s, const struct slice *sl, const struct record *r,
                       size_t i, int64_t now, cJSON *follow, struct page_counts *c,
                       struct err *err) {
  struct page_counts before = *c;
  struct err why = {0};
  char what[96];
  int rc, src;
  if (r->unreadable) /* the connector could not read it: set it aside as it came */
    rc = err_set(&why, MS_EINVAL, "%s", r->unreadable);
  else
    rc = check_record(r, &why);
  if (!rc) {
    rc = exec_kept(s, ST_SAVEPOINT, err, "storing a record");
    if (rc)
      return rc;
    src = record_upsert(s, sl->source_id, r, now, follow, c);
    if (!src)
      src = failed_clear(s, sl->source_id, sl->stream, r->external_id, now);
    if (!src)
      return exec_kept(s, ST_SAVEPOINT_RELEASE, err, "storing a record");
    if (!is_constraint(src)) {
      snprintf(what, sizeof(what), "storing record %zu (id %.40s)", i + 1, r->external_id);
      return slice_write_fail(s, src, sl->source_id, err, what);
    }
    err_set(&why, MS_EINVAL, "record %.40s was refused by the database: %s", r->external_id,
            sqlite3_errmsg(s->db));
    *c = before;
    rc = exec_kept(s, ST_SAVEPOINT_ROLLBACK, err, "undoing a refused record");
    if (!rc)
      rc = exec_kept(s, ST_SAVEPOINT_RELEASE, err, "undoing a refused record");
    if (rc)
      return rc;
  }
  src = failed_add(s, sl, r, why.msg, now);
  if (src)
    return slice_write_fail(s, src, sl->source_id, err, "keeping a record that failed");
  c->failed++;
  return MS_OK;
}

static int sqlite_commit_page(struct store *st, struct slice *sl, const struct page *pg,
                              int64_t now, struct page_counts *counts, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct page_counts c = {0};
  struct slice stored;
  cJSON *follow;
  int rc;
  if (pg->n && !pg->recs)
    return err_set(err, MS_EINVAL, "the page has %zu records but no record array", pg->n);
  if (pg->items_of && (!*pg->items_of || pg->n))
    return err_set(err, MS_EINVAL, "an items page must name its order and carry no records");
  for (size_t i = 0; pg->items_of && i < pg->nitems; i++)
    if (!pg->items[i].external_id || !*pg->items[i].external_id)
      return err_set(err, MS_EINVAL, "item %zu of order %s has no id; nothing was stored", i + 1,
                     pg->items_of);
  follow = sl->follow ? cJSON_Parse(sl->follow) : cJSON_CreateArray();
  if (!cJSON_IsArray(follow)) {
    cJSON_Delete(follow);
    return err_set(err, MS_EINVAL, "the slice's list of orders waiting for items is damaged");
  }
  rc = page_prepare(s, err);
  if (!rc)
    rc = tx_begin(s, err);
  if (rc) {
    cJSON_Delete(follow);
    return rc;
  }
  rc = page_fence(s, sl, err);
  for (size_t i = 0; !rc && i < pg->n; i++)
    rc = page_record(s, sl, &pg->recs[i], i, now, follow, &c, err);
  if (!rc && pg->items_of)
    rc = items_page_write(s, sl, pg, &c, err);
  if (!rc)
    rc = page_advance(s, sl, pg, now, &c, follow, &stored, err);
  cJSON_Delete(follow);
  if (!rc) {
    rc = tx_commit(s, err);
    if (rc)
      slice_release(&stored);
  }
  if (rc) {
    tx_rollback(s);
    return rc == MS_ELEASE ? lease_lost(s, sl, err) : rc;
  }
  stored.range_start = sl->range_start;
  stored.range_end = sl->range_end;
  slice_release(sl);
  *sl = stored;
  if (counts)
    *counts = c;
  return MS_OK;
}

/* ---- failed records -------------------------------------------------- */

#define FAILED_SELECT                                                                              \
  "SELECT f.id, f.source_id, s.name, f.stream, f.day, f.external_id, f.raw, f.error, "             \
  "f.first_failed_at, f.last_failed_at, f.attempts, coalesce(f.resolved_at, 0) "                   \
  "FROM failed_records f JOIN sources s ON s.id = f.source_id "

static int failed_from_row(sqlite3_stmt *q, struct failed_row *f) {
  int rc;
  memset(f, 0, sizeof(*f));
  f->id = sqlite3_column_int64(q, 0);
  f->source_id = sqlite3_column_int64(q, 1);
  col_copy(q, 2, f->source, sizeof(f->source));
  col_copy(q, 3, f->stream, sizeof(f->stream));
  col_copy(q, 4, f->day, sizeof(f->day));
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

static int sqlite_failed_list(struct store *st, int64_t source_id, failed_cb cb, void *ctx,
                              struct err *err) {
  static const char sql[] = FAILED_SELECT "WHERE f.resolved_at IS NULL AND "
                                          "(?1 = 0 OR f.source_id = ?1) ORDER BY f.id";
  struct sqlite_store *s = backend(st);
  struct failed_row f = {0};
  sqlite3_stmt *q = NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
  if (!rc)
    rc = sqlite3_bind_int64(q, 1, source_id);
  if (rc) {
    rc = db_fail(s, rc, err, "listing failed records");
    goto done;
  }
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    rc = failed_from_row(q, &f);
    if (rc) {
      err_set(err, rc, "out of memory listing failed records");
      goto done;
    }
    rc = cb(ctx, &f);
    failed_row_release(&f);
    if (rc)
      goto done;
  }
  rc = rc == SQLITE_DONE ? MS_OK : db_fail(s, rc, err, "listing failed records");
done:
  sqlite3_finalize(q);
  return rc;
}

static int sqlite_failed_get(struct store *st, int64_t id, struct failed_row *out,
                             struct err *err) {
  static const char sql[] = FAILED_SELECT "WHERE f.id = ?1";
  struct sqlite_store *s = backend(st);
  sqlite3_stmt *q = NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
  memset(out, 0, sizeof(*out));
  if (!rc)
    rc = sqlite3_bind_int64(q, 1, id);
  if (!rc)
    rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    rc = failed_from_row(q, out);
    if (rc)
      err_set(err, rc, "out of memory reading failed record %lld", (long long)id);
  } else if (rc == SQLITE_DONE) {
    rc = err_set(err, MS_ENOTFOUND, "there is no failed record with id %lld", (long long)id);
  } else {
    rc = db_fail(s, rc, err, "reading a failed record");
  }
  sqlite3_finalize(q);
  return rc;
}

/* Inside the transaction: the record itself, then the failure closed. */
static int resolve_in(struct sqlite_store *s, const struct failed_row *f, const struct record *r,
                      int64_t now) {
  struct page_counts c = {0};
  sqlite3_stmt *q = NULL;
  int rc = record_upsert(s, f->source_id, r, now, NULL, &c); /* items: repair missing-items */
  if (!rc)
    rc = failed_clear(s, f->source_id, f->stream, r->external_id, now);
  if (!rc)
    rc = sqlite3_prepare_v2(s->db, "UPDATE failed_records SET resolved_at = ?2 WHERE id = ?1", -1,
                            &q, NULL);
  if (!rc) {
    sqlite3_bind_int64(q, 1, f->id);
    sqlite3_bind_int64(q, 2, now);
    rc = stmt_run(q);
  }
  sqlite3_finalize(q);
  return rc;
}

static int sqlite_failed_resolve(struct store *st, int64_t id, const struct record *r, int64_t now,
                                 struct err *err) {
  struct sqlite_store *s = backend(st);
  struct failed_row f;
  int rc = sqlite_failed_get(st, id, &f, err);
  if (rc)
    return rc;
  if (f.resolved_at)
    rc = err_set(err, MS_EINVAL, "failed record %lld was stored already", (long long)id);
  if (!rc)
    rc = check_record(r, err);
  if (!rc)
    rc = page_prepare(s, err);
  if (!rc)
    rc = tx_begin(s, err);
  if (rc)
    goto done;
  rc = resolve_in(s, &f, r, now);
  if (rc) {
    if (is_constraint(rc))
      rc = err_set(err, MS_EINVAL, "record %.40s was refused by the database: %s", r->external_id,
                   sqlite3_errmsg(s->db));
    else
      rc = slice_write_fail(s, rc, f.source_id, err, "storing a failed record again");
    tx_rollback(s);
  } else {
    rc = tx_commit(s, err);
    if (rc)
      tx_rollback(s);
  }
done:
  failed_row_release(&f);
  return rc;
}

static int sqlite_failed_again(struct store *st, int64_t id, const char *error, int64_t now,
                               struct err *err) {
  struct sqlite_store *s = backend(st);
  char msg[ERROR_TEXT_MAX];
  sqlite3_stmt *q = NULL;
  struct binder b;
  int rc = sqlite3_prepare_v2(s->db,
                              "UPDATE failed_records SET attempts = attempts + 1, error = ?2, "
                              "last_failed_at = ?3 WHERE id = ?1 AND resolved_at IS NULL",
                              -1, &q, NULL);
  if (rc) {
    rc = db_fail(s, rc, err, "recording a failed retry");
    goto done;
  }
  one_line(error ? error : "unknown error", msg, sizeof(msg));
  bind_init(&b, q);
  bind_int(&b, id);
  bind_text(&b, msg);
  bind_int(&b, now);
  rc = b.rc ? b.rc : stmt_run(q);
  if (rc)
    rc = db_fail(s, rc, err, "recording a failed retry");
  else if (sqlite3_changes(s->db) == 0)
    rc = err_set(err, MS_ENOTFOUND, "there is no open failed record with id %lld", (long long)id);
done:
  sqlite3_finalize(q);
  return rc;
}

/* ---- runs ------------------------------------------------------------ */

static int check_run(const struct run_row *r, struct err *err) {
  int rc = check_name("the run trigger", r->trigger, sizeof(r->trigger), err);
  if (!rc)
    rc = check_name("the run status", r->status, sizeof(r->status), err);
  return rc;
}

/* ?n .. ?n+17 in RUN_COLS order after the id. */
static void bind_run(struct binder *b, const struct run_row *r) {
  bind_text(b, r->trigger);
  bind_text(b, r->scope);
  bind_int(b, r->started_at);
  bind_int(b, r->finished_at);
  bind_text(b, r->status);
  bind_int(b, r->slices_total);
  bind_int(b, r->slices_completed);
  bind_int(b, r->slices_failed);
  bind_int(b, r->pages);
  bind_int(b, r->records);
  bind_int(b, r->inserted);
  bind_int(b, r->updated);
  bind_int(b, r->unchanged);
  bind_int(b, r->requests);
  bind_int(b, r->retries);
  bind_int(b, r->rate_limited);
  bind_int(b, r->pid);
  bind_int(b, r->failed);
}

/* An empty status starts as "running"; started_at 0 means now. */
static int sqlite_run_start(struct store *st, struct run_row *r, struct err *err) {
  struct sqlite_store *s = backend(st);
  sqlite3_stmt *q;
  struct binder b;
  int rc;
  if (!r->status[0])
    snprintf(r->status, sizeof(r->status), "running");
  if (!r->started_at)
    r->started_at = now_utc();
  rc = check_run(r, err);
  if (rc)
    return rc;
  rc = stmt_get(s, ST_RUN_INSERT, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_run(&b, r);
  rc = b.rc ? b.rc : sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    r->id = sqlite3_column_int64(q, 0);
    rc = stmt_run(q);
  }
  if (rc)
    rc = db_fail(s, rc, err, "recording the run");
  sqlite3_reset(q);
  return rc;
}

static int sqlite_run_update(struct store *st, const struct run_row *r, struct err *err) {
  struct sqlite_store *s = backend(st);
  sqlite3_stmt *q;
  struct binder b;
  int rc = check_run(r, err);
  if (rc)
    return rc;
  rc = stmt_get(s, ST_RUN_UPDATE, &q, err);
  if (rc)
    return rc;
  bind_init(&b, q);
  bind_int(&b, r->id);
  bind_run(&b, r);
  rc = b.rc ? b.rc : stmt_run(q);
  if (rc)
    rc = db_fail(s, rc, err, "recording the run");
  else if (sqlite3_changes(s->db) == 0)
    rc = err_set(err, MS_ENOTFOUND, "no run with id %lld", (long long)r->id);
  sqlite3_reset(q);
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

/* Newest first; limit <= 0 lists all. The row is valid during the call. */
static int sqlite_run_list(struct store *st, int limit, run_cb cb, void *ctx, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct run_row r = {0};
  sqlite3_stmt *q = NULL;
  int rc = sqlite3_prepare_v2(
      s->db, "SELECT " RUN_COLS " FROM runs ORDER BY started_at DESC, id DESC LIMIT ?1", -1, &q,
      NULL);
  if (!rc)
    rc = sqlite3_bind_int64(q, 1, limit > 0 ? limit : -1);
  if (rc) {
    rc = db_fail(s, rc, err, "listing runs");
    goto done;
  }
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    rc = run_from_row(q, &r);
    if (rc) {
      err_set(err, rc, "out of memory listing runs");
      goto done;
    }
    rc = cb(ctx, &r);
    run_row_release(&r);
    if (rc)
      goto done;
  }
  rc = rc == SQLITE_DONE ? MS_OK : db_fail(s, rc, err, "listing runs");
done:
  run_row_release(&r);
  sqlite3_finalize(q);
  return rc;
}

/* ---- orders ---------------------------------------------------------- */

/* Streams the orders; the callback MUST NOT write orders of the sources
 * being listed. Optional text columns that are NULL come as NULL. */
static int sqlite_orders_each(struct store *st, const struct order_filter *f, order_cb cb,
                              void *ctx, struct err *err) {
  static const char sql[] =
      "SELECT s.name, o.external_id, o.name, o.created_at, o.updated_at, o.status, "
      "o.financial_status, o.fulfillment_status, o.total_price, o.total_minor, o.currency, "
      "(SELECT count(*) FROM order_items i WHERE i.source_id = o.source_id "
      "AND i.order_external_id = o.external_id), o.raw, o.first_seen_at, o.last_synced_at "
      "FROM orders o JOIN sources s ON s.id = o.source_id "
      "WHERE (?1 = 0 OR o.source_id = ?1) AND (?2 = 0 OR o.created_at >= ?2) "
      "AND (?3 = 0 OR o.created_at < ?3) "
      "ORDER BY o.source_id, o.created_at, o.external_id";
  struct sqlite_store *s = backend(st);
  struct source_row src = {0};
  int64_t source_id = 0;
  struct order_view v;
  sqlite3_stmt *q = NULL;
  struct binder b;
  int rc;
  if (f->source) {
    rc = sqlite_source_get(st, f->source, &src, err);
    if (rc)
      return rc;
    source_id = src.id;
    source_row_release(&src);
  }
  rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
  if (rc) {
    rc = db_fail(s, rc, err, "listing orders");
    goto done;
  }
  bind_init(&b, q);
  bind_int(&b, source_id);
  bind_int(&b, f->created_from);
  bind_int(&b, f->created_to);
  rc = b.rc;
  while (!rc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
    v.source = col_text(q, 0);
    v.external_id = col_text(q, 1);
    v.name = col_text(q, 2);
    v.created_at = sqlite3_column_int64(q, 3);
    v.updated_at = sqlite3_column_int64(q, 4);
    v.status = col_text(q, 5);
    v.financial_status = col_text(q, 6);
    v.fulfillment_status = col_text(q, 7);
    v.total_price = col_text(q, 8);
    v.total_minor = sqlite3_column_int64(q, 9);
    v.currency = col_text(q, 10);
    v.nitems = sqlite3_column_int64(q, 11);
    v.raw = col_text(q, 12);
    v.first_seen_at = sqlite3_column_int64(q, 13);
    v.last_synced_at = sqlite3_column_int64(q, 14);
    rc = cb(ctx, &v);
    if (rc)
      goto done;
  }
  rc = rc == SQLITE_DONE ? MS_OK : db_fail(s, rc, err, "listing orders");
done:
  sqlite3_finalize(q);
  return rc;
}

static int json_member(struct buf *b, const char *key, const char *v) {
  int rc = buf_printf(b, "\"%s\":", key);
  if (!rc)
    rc = v ? buf_json_str(b, v) : buf_puts(b, "null");
  return rc;
}

/* The item's raw JSON, or when the connector kept it only inside the
 * order's raw, an object made of the stored columns. */
static int item_json(struct buf *b, sqlite3_stmt *q) {
  const char *raw = col_text(q, 0);
  int rc;
  if (raw)
    return buf_puts(b, raw);
  rc = buf_putc(b, '{');
  if (!rc)
    rc = json_member(b, "id", col_text(q, 1));
  if (!rc)
    rc = buf_putc(b, ',');
  if (!rc)
    rc = json_member(b, "sku", col_text(q, 2));
  if (!rc)
    rc = buf_putc(b, ',');
  if (!rc)
    rc = json_member(b, "title", col_text(q, 3));
  if (!rc)
    rc = buf_printf(b, ",\"quantity\":%lld,", (long long)sqlite3_column_int64(q, 4));
  if (!rc)
    rc = json_member(b, "price", col_text(q, 5));
  if (!rc)
    rc = buf_putc(b, ',');
  if (!rc)
    rc = json_member(b, "currency", col_text(q, 6));
  if (!rc)
    rc = buf_putc(b, '}');
  return rc;
}

static int sqlite_order_items_json(struct store *st, int64_t source_id, const char *order_id,
                                   char **out, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct buf json;
  sqlite3_stmt *q;
  struct binder b;
  int rc, src, n = 0;
  *out = NULL;
  rc = stmt_get(s, ST_ITEMS_RAW, &q, err);
  if (rc)
    return rc;
  buf_init(&json, 0);
  bind_init(&b, q);
  bind_int(&b, source_id);
  bind_text(&b, order_id ? order_id : "");
  src = b.rc;
  rc = buf_putc(&json, '[');
  while (!rc && !src && (src = sqlite3_step(q)) == SQLITE_ROW) {
    src = SQLITE_OK;
    if (n++)
      rc = buf_putc(&json, ',');
    if (!rc)
      rc = item_json(&json, q);
  }
  if (!rc && src != SQLITE_DONE) {
    rc = db_fail(s, src, err, "reading order items");
  } else {
    if (!rc)
      rc = buf_putc(&json, ']');
    if (rc)
      err_set(err, rc, "out of memory reading order items");
  }
  sqlite3_reset(q);
  if (rc) {
    buf_release(&json);
    return rc;
  }
  *out = buf_detach(&json);
  return MS_OK;
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
    .slice_ensure = sqlite_slice_ensure,
    .slice_get = sqlite_slice_get,
    .slice_claim = sqlite_slice_claim,
    .slice_reset = sqlite_slice_reset,
    .slice_fail = sqlite_slice_fail,
    .slice_restart = sqlite_slice_restart,
    .slice_release = sqlite_slice_release,
    .slice_list = sqlite_slice_list,
    .commit_page = sqlite_commit_page,
    .orders_needing_items = sqlite_orders_needing_items,
    .slice_seed = sqlite_slice_seed,
    .items_unpriced = sqlite_items_unpriced,
    .items_estimate = sqlite_items_estimate,
    .run_start = sqlite_run_start,
    .run_update = sqlite_run_update,
    .run_list = sqlite_run_list,
    .orders_each = sqlite_orders_each,
    .order_items_json = sqlite_order_items_json,
    .failed_list = sqlite_failed_list,
    .failed_get = sqlite_failed_get,
    .failed_resolve = sqlite_failed_resolve,
    .failed_again = sqlite_failed_again,
};
