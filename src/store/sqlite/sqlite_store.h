/* The SQLite backend of the store: what its files share.
 *
 *   db.c       the connection: open, pragmas, migrations, schema version, the
 *              checkpointer thread, transactions, error mapping, the statement
 *              cache, q_each() and q_collect(), the ops table
 *   sources.c  sources
 *   slices.c   slices: ensure, get, claim, fence, fail, restart, release,
 *              reset, seed, list, keys
 *   tables.c   stream_prepare: tables made from stream descriptions, and the
 *              connection's registry of prepared streams
 *   records.c  the generic upsert of records and their children, deletions,
 *              cascades, the snapshot sweep, and the record queries
 *   pages.c    commit_page: the transaction that ties a page together
 *   failed.c   failed records
 *   runs.c     runs
 *   schedules.c
 *              schedules, and firing one: a due run becomes one job
 *   jobs.c     the job queue: enqueue without overlaps, claims under leases,
 *              fenced heartbeats and ends, retry, cancel
 *   events.c   the outbox: run events, lists filtered by type
 *   webhooks.c where events are delivered, and each one's cursor
 *   accounts.c accounts: the owners of sources
 *   users.c    users and their memberships of accounts
 *   tokens.c   API tokens, kept as hashes
 *   skus.c     the SKU report, and the daily summary it reads
 *
 * One connection per struct store; not safe to share between threads. Every
 * query runs through q_each(), which takes its statement from a cache keyed
 * by the SQL text (so the SQL generated per stream is prepared once per
 * connection), binds typed arguments, steps it and hands each row to a
 * callback.
 */
#ifndef MS_STORE_SQLITE_SQLITE_STORE_H
#define MS_STORE_SQLITE_SQLITE_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "store/store.h"
#include "util/buf.h"

#define ERROR_TEXT_MAX 1000     /* stored error messages are cut to this, bytes */
#define SLICE_ROWS_MAX 10000000 /* slice_list refuses to hold more rows than this */

/* ---- typed arguments ---------------------------------------------------- */

enum arg_type {
  ARG_NULL = 0, /* SQL NULL */
  ARG_INT,      /* an integer */
  ARG_TEXT,     /* text; a NULL pointer binds NULL */
};

/* One value bound to ?N; its text MUST outlive the query. */
struct arg {
  enum arg_type type; /* which member holds the value */
  int64_t i;          /* ARG_INT */
  const char *text;   /* ARG_TEXT: borrowed */
  size_t len;         /* ARG_TEXT: bytes, or SIZE_MAX to measure with strlen */
};

/* The arguments of one query, bound to ?1, ?2, ... in order. */
struct args {
  const struct arg *v; /* borrowed */
  size_t n;            /* how many */
};

#define A_NULL ((struct arg){ARG_NULL, 0, NULL, 0})
#define A_INT(x) ((struct arg){ARG_INT, (int64_t)(x), NULL, 0})
#define A_TEXT(x) ((struct arg){ARG_TEXT, 0, (x), SIZE_MAX})
#define A_TEXTN(x, n) ((struct arg){ARG_TEXT, 0, (x), (n)})
#define ARGS(...)                                                                                  \
  ((struct args){(const struct arg[]){__VA_ARGS__},                                                \
                 sizeof((const struct arg[]){__VA_ARGS__}) / sizeof(struct arg)})
#define NO_ARGS ((struct args){NULL, 0})

/* Called with each row; a non-zero return stops the query and is returned. */
typedef int (*row_fn)(void *ctx, sqlite3_stmt *q);
/* Reads one row into *out (a struct of the caller's): MS_OK or MS_ENOMEM. */
typedef int (*row_read_fn)(sqlite3_stmt *q, void *out);

/* ---- the connection ----------------------------------------------------- */

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

/* One statement kept prepared, found by its SQL text. */
struct stmt_slot {
  char *sql;       /* the text it was prepared from; owned */
  uint64_t hash;   /* of sql */
  sqlite3_stmt *q; /* the statement */
  int busy;        /* a query is stepping it now: a nested use prepares its own */
};

#define STMT_BY_TEXT_AT 256 /* entries of the cache's memo by address */

/* Open addressing over slot pointers, so a slot stays put while the table
 * grows. In front of it, a memo by the address of the SQL text: the hot
 * queries pass the same long text every time, and comparing it is far
 * cheaper than hashing it (the text is still compared, never trusted by
 * its address alone). */
struct stmt_cache {
  struct stmt_slot **slots; /* cap entries, NULL where free */
  size_t cap;               /* a power of two, 0 before the first */
  size_t n;                 /* slots in use */
  struct {
    const char *sql;        /* the caller's text */
    struct stmt_slot *slot; /* its statement */
  } by_text_at[STMT_BY_TEXT_AT];
};

struct stable;

struct sqlite_store {
  struct store base;        /* MUST be first: what callers hold */
  sqlite3 *db;              /* the connection */
  char *path;               /* file name, for messages */
  int64_t page_size;        /* bytes, for WAL sizes */
  struct checkpointer ckpt; /* background checkpoints; MAY not be running */
  struct stmt_cache cache;  /* statements by SQL text */
  struct stable **tables;   /* streams prepared on this connection (tables.c) */
  size_t ntables;           /* entries in tables */
  size_t tables_cap;        /* allocated */
  int grouping;             /* inside group_begin .. group_end */
  int group_open;           /* ...and the group's transaction is open */
  int group_lost;           /* ...and SQLite rolled it back (disk error): writes fail */
  int last_rc;              /* extended SQLite code of the last failed query */
  char last_msg[256];       /* SQLite's message for it */
};

extern const struct store_ops sqlite_store_ops;

static inline struct sqlite_store *backend(struct store *st) {
  return (struct sqlite_store *)st;
}

/* ---- db.c --------------------------------------------------------------- */

int64_t now_utc(void);
/* The one place SQLite result codes become ours. */
int code_from_sqlite(int rc);
/* Sets err from the connection's last error, prefixed with what we were
 * doing, and remembers it in last_rc/last_msg. Call before anything else
 * touches the connection. */
int db_fail(struct sqlite_store *s, int rc, struct err *err, const char *what);
/* Runs sql with the arguments, calling row (MAY be NULL) with each row.
 * Returns MS_OK, the callback's non-zero code, or the mapped SQLite error
 * (err set, s->last_rc holding SQLite's code). */
int q_each(struct sqlite_store *s, const char *sql, struct args a, row_fn row, void *ctx,
           struct err *err, const char *what);
/* q_each() for a query of one integer: *found tells whether a row came
 * (MAY be NULL), *out is left alone when none did. */
/* q_each() of SQL written from fmt (a table's name, a column's); the
 * statement cache keys it by the text like any other. */
int q_eachf(struct sqlite_store *s, struct args a, row_fn row, void *ctx, struct err *err,
            const char *what, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
int q_int(struct sqlite_store *s, const char *sql, struct args a, int64_t *out, int *found,
          struct err *err, const char *what);
/* Reads every row (at most max: MS_ETOOBIG) into *out, an array of *n
 * elements of `size` bytes filled by read(), so that the caller's callbacks
 * run after the query is done and MAY write. On failure nothing is left to
 * free (release() undoes read() on the rows kept). The caller releases each
 * row, then frees *out. */
int q_collect(struct sqlite_store *s, const char *sql, struct args a, size_t size, row_read_fn read,
              void (*release)(void *row), size_t max, void **out, size_t *n, struct err *err,
              const char *what);
/* Rows changed by the last write. */
int64_t q_changes(struct sqlite_store *s);
int is_constraint(int rc);

int tx_begin(struct sqlite_store *s, struct err *err);
/* tx_begin() that ignores a write group (refused inside an open one): for
 * what must be durable at once, such as a stream's tables. */
int tx_begin_alone(struct sqlite_store *s, struct err *err);
void sqlite_group_begin(struct store *st);
int sqlite_group_end(struct store *st, struct err *err);
int tx_commit(struct sqlite_store *s, struct err *err);
/* After a failure: err already says why, so a failed rollback adds nothing. */
void tx_rollback(struct sqlite_store *s);
int savepoint(struct sqlite_store *s, struct err *err);
int savepoint_release(struct sqlite_store *s, struct err *err);
/* Undoes the writes since savepoint() and releases it. */
int savepoint_undo(struct sqlite_store *s, struct err *err);

const char *col_text(sqlite3_stmt *q, int col);
/* strdup of a nullable column: NULL stays NULL. */
int col_dup(sqlite3_stmt *q, int col, char **out);
void col_copy(sqlite3_stmt *q, int col, char *dst, size_t size);
/* Error text as stored: one line, bounded. */
void one_line(const char *in, char *out, size_t size);
int check_name(const char *what, const char *v, size_t max, struct err *err);
/* check_name, and only letters, digits, '-', '_' and '.' (account and user
 * names, like source names). */
int check_ident(const char *what, const char *v, size_t max, struct err *err);
/* v is a JSON object of at most max bytes; what names it in the message. */
int check_json_object(const char *what, const char *v, size_t max, struct err *err);
/* A time the caller MUST give: above 0. */
int check_time(const char *what, int64_t t, struct err *err);

int sqlite_open(const char *uri, struct store **out, struct err *err);
void sqlite_close(struct store *st);
int sqlite_schema_version(struct store *st, int *version);

/* ---- sources.c ---------------------------------------------------------- */

int sqlite_source_add(struct store *st, struct source_row *s, struct err *err);
int sqlite_source_get(struct store *st, const char *name, struct source_row *out, struct err *err);
int sqlite_source_get_id(struct store *st, int64_t id, struct source_row *out, struct err *err);
int sqlite_source_list(struct store *st, source_cb cb, void *ctx, struct err *err);
int sqlite_source_update(struct store *st, const struct source_row *s, struct err *err);
int sqlite_source_remove(struct store *st, const char *name, struct err *err);
int sqlite_run_find(struct store *st, const struct run_filter *f, run_cb cb, void *ctx,
                    struct err *err);
int sqlite_run_get(struct store *st, int64_t id, struct run_row *out, struct err *err);
int sqlite_run_slice_put(struct store *st, int64_t run_id, const struct slice *sl,
                         const char *status, int64_t now, struct err *err);
int sqlite_run_slices(struct store *st, int64_t run_id, run_slice_cb cb, void *ctx,
                      struct err *err);
int sqlite_source_set_account(struct store *st, int64_t source_id, int64_t account_id,
                              struct err *err);
int sqlite_source_credentials_swap(struct store *st, const struct credentials_change *v, size_t n,
                                   struct err *err);
int sqlite_source_streak(struct store *st, int64_t source_id, int failed, int64_t now,
                         int64_t *before, int64_t *after, struct err *err);

/* ---- slices.c ----------------------------------------------------------- */

/* A slice named for messages: "2025-01-02 orders of source 3". */
struct slice_name {
  char text[MS_KEY_MAX + MS_STREAM_MAX + 48]; /* the name */
};

void slice_name_set(struct slice_name *n, int64_t source_id, const char *stream, const char *key);
/* Turns a foreign key failure into "no such source". */
int slice_write_fail(struct sqlite_store *s, int rc, int64_t source_id, struct err *err);
/* Inside a transaction: our lease token is current and the slice in
 * progress; MS_ELEASE otherwise. */
int slice_fence(struct sqlite_store *s, const struct slice *sl, struct err *err);
/* Explains an MS_ELEASE: who holds the slice now, if anyone. */
int lease_lost(struct sqlite_store *s, const struct slice *sl, struct err *err);

/* Where a slice goes after a page (pages.c computes it, slices.c writes it). */
struct slice_advance {
  const char *cursor;        /* listing cursor to store */
  int listed;                /* the listing is done */
  const char *follow;        /* JSON array of ids waiting, NULL when none */
  const char *follow_cursor; /* next page of the first one's children */
  int done;                  /* the slice completes */
  int64_t records;           /* records received in the page */
  int64_t pass_start;        /* window: the pass's start when this is its first page */
  int64_t max_updated;       /* window: largest updated_at stored; 0 when none */
  int has_updated;           /* max_updated holds a value */
};

/* Fenced: the slice's new cursor, counters and window marks; *stored gets
 * the row as written. MS_ELEASE when the lease moved. */
int slice_advance(struct sqlite_store *s, const struct slice *sl, const struct slice_advance *a,
                  const struct page_counts *c, int64_t now, struct slice *stored, struct err *err);

int sqlite_slice_ensure(struct store *st, int64_t source_id, const char *stream, const char *key,
                        struct err *err);
int sqlite_slice_get(struct store *st, int64_t source_id, const char *stream, const char *key,
                     struct slice *out, struct err *err);
int sqlite_slice_claim(struct store *st, int64_t source_id, const char *stream, const char *key,
                       const char *owner, int64_t now, int lease_secs, struct slice *out,
                       struct err *err);
int sqlite_slice_reset(struct store *st, int64_t source_id, const char *stream, const char *key,
                       struct err *err);
int sqlite_slice_fail(struct store *st, const struct slice *sl, enum slice_status status,
                      const char *error, struct err *err);
int sqlite_slice_restart(struct store *st, const struct slice *sl, const char *why,
                         struct err *err);
int sqlite_slice_release(struct store *st, const struct slice *sl, struct err *err);
int sqlite_slice_list(struct store *st, const struct slice_filter *f, slice_cb cb, void *ctx,
                      struct err *err);
int sqlite_slice_seed(struct store *st, int64_t source_id, const char *stream, const char *key,
                      const char *cursor, const char *follow, struct err *err);

/* ---- tables.c ----------------------------------------------------------- */

/* A stored column: one per column of a stream, plus the minor units of each
 * money column. */
struct scol {
  char name[STREAM_NAME_MAX];   /* its SQL name */
  const struct column_def *def; /* the column it stores */
  size_t val;                   /* index of its value in record.vals */
  int integer;                  /* 1: INTEGER (struct value.i), 0: TEXT (struct value.text) */
  int minor;                    /* the minor units of a COL_MONEY column */
  int local;                    /* COL_LOCAL: never written from a record */
};

/* At most this many status columns of a stream are watched for changes. */
#define STAMP_STATUS_MAX 4

/* A stored column whose changes are events (COL_STATUS, written from
 * records). */
static inline int status_col(const struct scol *c) {
  return !c->local && c->def && (c->def->flags & COL_STATUS);
}

/* A stream as prepared on this connection: its table holds every column the
 * description names, and the SQL its records need is generated. */
struct stable {
  const struct stream_def *def;             /* the description (borrowed: connectors keep theirs) */
  uint64_t sig;                             /* fingerprint of def when it was prepared */
  const struct stable *parent;              /* a child's parent, NULL at the top (or when a child
                                               was prepared on its own) */
  struct stable *kids[STREAM_CHILDREN_MAX]; /* the entries of def->children, in order */
  size_t nkids;                             /* how many */
  struct scol *cols;                        /* stored columns, in the description's order */
  size_t ncols;                             /* how many */
  size_t nvals;                             /* def's columns (values a record carries) */
  char *sql_find;                           /* top: updated_at, deleted_at of one record,
                                               whether its raw is the same (a stream without
                                               an update time), its status columns */
  char *sql_insert;                         /* top: a record, unless it is stored already;
                                               child: one row, upserted */
  char *sql_update;                         /* top: a newer copy, clearing deleted_at */
  char *sql_touch;                          /* top: seen again (last_synced_at), ?4 reviving it */
  char *sql_exists;                         /* child: any row under a parent */
  char *sql_next_line;                      /* child: the next line_no under a parent */
  int ready;                                /* its DDL is committed */
  int sku_days;                             /* the SKU summary reads it (the orders table):
                                               the days its records change are marked */
};

/* The stream's entry, preparing a top-level stream (and its children and
 * cascade targets) on first use. MUST NOT be called inside a transaction
 * for a stream not prepared yet. */
int stable_get(struct sqlite_store *s, const struct stream_def *def, const struct stable **out,
               struct err *err);
/* The entry of a prepared child stream, or NULL. */
const struct stable *stable_kid(const struct stable *t, const struct stream_def *child);
void stables_free(struct sqlite_store *s);
int sqlite_stream_prepare(struct store *st, const struct stream_def *def, struct err *err);

/* ---- skus.c: the days the SKU summary must count again ----------------- */

#define SKU_DAYS_MAX 256 /* distinct days one page keeps; more mark their whole span */

/* The UTC days (created_at / 86400) of the orders a page inserted, changed,
 * deleted or brought back. Marked once at the end of the page: a trigger
 * on every insert into orders cost each a statement journal (an eighth of
 * a first sync's instructions). */
struct sku_days {
  int64_t day[SKU_DAYS_MAX];
  size_t n;
  int spill;      /* more than SKU_DAYS_MAX: mark every day from lo to hi */
  int64_t lo, hi; /* the span of the days seen */
};

/* Adds the day of a record created at `created_at` (UTC seconds). */
void sku_days_add(struct sku_days *d, int64_t created_at);
/* Marks the days in sku_dirty, inside the caller's transaction; d MAY be
 * NULL. */
int sku_days_flush(struct sqlite_store *s, int64_t source_id, const struct sku_days *d,
                   struct err *err);
/* Adds the day of the stored record `id` of t (a record about to be marked
 * deleted, whose created_at only the table knows). */
int sku_days_of_stored(struct sqlite_store *s, const struct stable *t, int64_t source_id,
                       const char *id, struct sku_days *d, struct err *err);

/* ---- records.c ---------------------------------------------------------- */

/* What the records of one commit share. */
struct upsert {
  struct sqlite_store *s; /* the store */
  int64_t source_id;      /* the records' source */
  int64_t now;            /* last_synced_at, first_seen_at */
  cJSON *follow;          /* ids waiting for follow-ups; MAY be NULL (no slice) */
  int snapshot;           /* a snapshot's pass: an unchanged copy of a record marked
                             deleted revives it (the whole list holds it) */
  struct page_counts *c;  /* counts of the page */
  int expect_new;         /* the last record written was new: the next is inserted before it
                             is looked for */
  struct buf *events;     /* the page's events so far, each its type, stream, record id and
                             data ("": none) as NUL-ended strings, written at the end of the
                             page (events_flush); MAY be NULL (no commit: nothing makes
                             events) */
  size_t nevents;         /* rows in events */
  struct sku_days *days;  /* the UTC days whose orders the page changed, marked for the SKU
                             summary at its end (sku_days_flush); MAY be NULL */
  int refetch;            /* a repair fetching again what was stored: an equal copy
                             rewrites its children (they are what it repairs), and
                             records make no events (what it finds is no news) */
  int64_t max_updated;    /* largest updated_at of the records stored */
  int has_updated;        /* max_updated holds a value */
};

/* Why a record of t cannot be stored (MS_EINVAL, err says), or MS_OK. */
int record_check(const struct stable *t, const struct record *r, struct err *err);
/* The same for the children of parent_id in stream k (a follow-up page). */
int children_check(const struct stable *k, const char *parent_id, const struct record *recs,
                   size_t n, struct err *err);
/* Upserts one checked record of t with its children; an older or equal copy
 * never replaces a newer one. */
int record_put(struct upsert *u, const struct stable *t, const struct record *r, struct err *err);
/* A deletion record: marks the record of `gone` it names deleted, with its
 * children and cascades. */
int record_gone(struct upsert *u, const struct stable *gone, const struct record *r,
                struct err *err);
/* Marks deleted the records of t's table and the source that the pass
 * started at started_at did not see, with their children and cascades. */
int records_sweep(struct upsert *u, const struct stable *t, int64_t started_at, struct err *err);
/* A follow-up page: the children of parent_id (child stream k), the first
 * page replacing what was stored. */
int children_put(struct upsert *u, const struct stable *k, const char *parent_id,
                 const struct record *recs, size_t n, int first, struct err *err);
/* Marks seen (last_synced_at) a record of t that could not be stored. */
int record_touch(struct upsert *u, const struct stable *t, const char *external_id,
                 struct err *err);

int sqlite_records_each(struct store *st, const struct record_filter *f, record_cb cb, void *ctx,
                        struct err *err);
int sqlite_records_incomplete(struct store *st, int64_t source_id, const struct stream_def *def,
                              int64_t from, int64_t to, incomplete_cb cb, void *ctx,
                              struct err *err);
int sqlite_children_unpriced(struct store *st, int64_t source_id, const struct stream_def *child,
                             int64_t from, int64_t to, unpriced_cb cb, void *ctx, struct err *err);
int sqlite_child_price_known(struct store *st, int64_t source_id, const struct stream_def *child,
                             const char *sku, const char *currency, int64_t *minor,
                             int64_t *quantity, struct err *err);
int sqlite_child_estimate(struct store *st, int64_t source_id, const struct stream_def *child,
                          const char *parent_id, const char *child_id, const char *amount,
                          int64_t minor, struct err *err);
int sqlite_children_json(struct store *st, int64_t source_id, const struct stream_def *child,
                         const char *parent_id, char **out, struct err *err);

/* ---- pages.c ------------------------------------------------------------ */

int sqlite_commit_page(struct store *st, struct slice *sl, const struct page *pg, int64_t now,
                       struct page_counts *counts, struct err *err);

/* ---- failed.c ----------------------------------------------------------- */

/* Keeps a record that could not be stored, with why; a record already
 * failing there counts one more attempt. */
int failed_add(struct sqlite_store *s, const struct slice *sl, const struct record *r,
               const char *why, int64_t now, struct err *err);
/* Whether a record of the source's stream has an open failure: *open 1 or
 * 0. A page of a stream with none need not close any. */
int failed_open(struct sqlite_store *s, int64_t source_id, const char *stream, int *open,
                struct err *err);
/* A record stored: an open failure of the same record is over. */
int failed_clear(struct sqlite_store *s, int64_t source_id, const char *stream,
                 const char *external_id, int64_t now, struct err *err);

int sqlite_failed_list(struct store *st, int64_t source_id, failed_cb cb, void *ctx,
                       struct err *err);
int sqlite_failed_get(struct store *st, int64_t id, struct failed_row *out, struct err *err);
int sqlite_failed_resolve(struct store *st, int64_t id, const struct stream_def *def,
                          const struct record *r, int64_t now, struct err *err);
int sqlite_failed_again(struct store *st, int64_t id, const char *error, int64_t now,
                        struct err *err);

/* ---- runs.c ------------------------------------------------------------- */

int sqlite_run_start(struct store *st, struct run_row *r, struct err *err);
int sqlite_run_update(struct store *st, const struct run_row *r, struct err *err);
int sqlite_run_list(struct store *st, int limit, run_cb cb, void *ctx, struct err *err);

/* ---- schedules.c -------------------------------------------------------- */

int sqlite_schedule_add(struct store *st, struct schedule_row *s, struct err *err);
int sqlite_schedule_get(struct store *st, const char *name, struct schedule_row *out,
                        struct err *err);
int sqlite_schedule_get_id(struct store *st, int64_t id, struct schedule_row *out, struct err *err);
int sqlite_schedule_list(struct store *st, schedule_cb cb, void *ctx, struct err *err);
int sqlite_schedule_update(struct store *st, const struct schedule_row *s, struct err *err);
int sqlite_schedule_remove(struct store *st, const char *name, struct err *err);
int sqlite_schedule_fire(struct store *st, int64_t schedule_id, int64_t expect_last_due,
                         int64_t due, int64_t day_runs, int64_t next_due, struct job_row *job,
                         struct err *err);
int sqlite_schedule_ran(struct store *st, int64_t schedule_id, int64_t run_id, const char *status,
                        struct err *err);

/* ---- jobs.c ------------------------------------------------------------- */

/* Inside a transaction: checks the job, fills what it leaves to the store
 * and inserts it (sets j->id). MS_EBUSY with *overlap set, nothing written,
 * when another job holds one of its targets (err names it). */
int job_enqueue_in(struct sqlite_store *s, struct job_row *j, int *overlap, struct err *err);

int sqlite_job_enqueue(struct store *st, struct job_row *job, struct err *err);
int sqlite_job_claim(struct store *st, const char *owner, int64_t now, int lease_secs,
                     struct job_row *out, struct err *err);
int sqlite_job_heartbeat(struct store *st, int64_t id, int64_t token, int64_t now, int lease_secs,
                         struct err *err);
int sqlite_job_finish(struct store *st, int64_t id, int64_t token, const char *state, int64_t now,
                      int64_t run_after, int64_t run_id, const char *error, struct err *err);
int sqlite_job_get(struct store *st, int64_t id, struct job_row *out, struct err *err);
int sqlite_job_list(struct store *st, const struct job_filter *f, job_cb cb, void *ctx,
                    struct err *err);
int sqlite_job_retry(struct store *st, int64_t id, int64_t now, struct err *err);
int sqlite_job_cancel(struct store *st, int64_t id, int64_t now, struct err *err);
int sqlite_job_counts(struct store *st, int64_t counts[6], struct err *err);

/* ---- events.c ----------------------------------------------------------- */

/* A list of event types and prefixes, read from its comma text. */
struct event_types {
  char *json;                                      /* JSON array of the entries, for
                                                      json_each; NULL: every event */
  char text[EVENT_TYPES_MAX * EVENT_TYPE_MAX + 1]; /* the entries joined by commas, or "*" */
};

/* Reads "order., sync.failed" (NULL, blank or "*": every event); MS_EINVAL
 * naming `what` for an entry that is neither a type nor a prefix ending
 * with a dot. */
int event_types_parse(const char *what, const char *text, struct event_types *out, struct err *err);
void event_types_release(struct event_types *t);

int sqlite_event_add(struct store *st, struct event_row *e, struct err *err);
/* sqlite_event_add on the store's connection, inside the caller's
 * transaction (commit_page's record events). */
int event_insert(struct sqlite_store *s, struct event_row *e, struct err *err);
/* Writes the events a page collected (`rows`: of each event, its type,
 * stream, record id and data, "" for none, as NUL-ended strings) for the
 * source at `now`, in their order, inside the caller's transaction. A few
 * statements for the page, each inserting many events: an insert per event
 * cost a fifth of a first sync's time. */
int events_flush(struct sqlite_store *s, int64_t source_id, int64_t now, const struct buf *rows,
                 struct err *err);
int sqlite_event_list(struct store *st, const struct event_filter *f, event_cb cb, void *ctx,
                      struct err *err);

/* ---- webhooks.c --------------------------------------------------------- */

int sqlite_webhook_add(struct store *st, struct webhook_row *w, struct err *err);
int sqlite_webhook_list(struct store *st, webhook_cb cb, void *ctx, struct err *err);
int sqlite_webhook_get(struct store *st, int64_t id, struct webhook_row *out, struct err *err);
int sqlite_webhook_remove(struct store *st, int64_t id, struct err *err);
int sqlite_webhook_delivered(struct store *st, int64_t id, int64_t delivered_id, struct err *err);
int sqlite_webhook_failed(struct store *st, int64_t id, int64_t retry_at, const char *error,
                          struct err *err);

/* ---- accounts.c --------------------------------------------------------- */

int sqlite_account_add(struct store *st, struct account_row *a, struct err *err);
int sqlite_account_get(struct store *st, const char *name, struct account_row *out,
                       struct err *err);
int sqlite_account_get_id(struct store *st, int64_t id, struct account_row *out, struct err *err);
int sqlite_account_list(struct store *st, account_cb cb, void *ctx, struct err *err);
int sqlite_account_remove(struct store *st, const char *name, struct err *err);

/* ---- users.c ------------------------------------------------------------ */

int sqlite_user_add(struct store *st, struct user_row *u, struct err *err);
int sqlite_user_get(struct store *st, const char *name, struct user_row *out, struct err *err);
int sqlite_user_get_id(struct store *st, int64_t id, struct user_row *out, struct err *err);
int sqlite_user_list(struct store *st, user_cb cb, void *ctx, struct err *err);
int sqlite_user_remove(struct store *st, const char *name, struct err *err);
int sqlite_user_set_password(struct store *st, int64_t user_id, const char *hash, struct err *err);
int sqlite_user_set_accounts(struct store *st, int64_t user_id, const int64_t *accounts, size_t n,
                             struct err *err);

/* ---- tokens.c ----------------------------------------------------------- */

int sqlite_token_add(struct store *st, struct token_row *t, struct err *err);
int sqlite_token_find_by_hash(struct store *st, const char *hash, struct token_row *out,
                              struct err *err);
int sqlite_token_list(struct store *st, int64_t user_id, token_cb cb, void *ctx, struct err *err);
int sqlite_token_revoke(struct store *st, int64_t id, int64_t now, struct err *err);
int sqlite_token_touch(struct store *st, int64_t id, int64_t now, struct err *err);

/* ---- skus.c ------------------------------------------------------------- */

int sqlite_report_skus(struct store *st, const struct sku_filter *f, sku_cb cb, void *ctx,
                       struct err *err);
int sqlite_report_refresh(struct store *st, int64_t source_id, int64_t now,
                          struct sku_refresh_counts *out, struct err *err);

#endif
