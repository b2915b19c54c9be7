/* The store: everything marketsync keeps, behind one interface.
 *
 * A backend (SQLite now, PostgreSQL later) is a `struct store_ops` table
 * registered by name, in the manner of SQLite's VFS. Callers use the
 * store_*() functions below and never SQL. Every write that belongs
 * together is one transaction inside the backend: a page's records, its
 * events and the slice's new cursor commit together or not at all.
 */
#ifndef MS_STORE_STORE_H
#define MS_STORE_STORE_H

#include <stdint.h>

#include "core/model.h"
#include "core/source.h"
#include "util/err.h"

struct run_row {
  int64_t id;
  char trigger[16]; /* "cli", "schedule", "api", "quick" */
  char *scope;      /* human description: sources and days */
  int64_t started_at;
  int64_t finished_at; /* 0 while running */
  char status[16];     /* "running", "completed", "partial", "failed", "interrupted" */
  int64_t slices_total;
  int64_t slices_completed;
  int64_t slices_failed;
  int64_t pages;
  int64_t records;
  int64_t inserted;
  int64_t updated;
  int64_t unchanged;
  int64_t failed; /* records that could not be stored */
  int64_t requests;
  int64_t retries;
  int64_t rate_limited; /* 429 answers */
  int64_t pid;          /* process that ran it */
  int64_t schedule_id;  /* the schedule it served; 0 none */
  int64_t job_id;       /* the job it served; 0 none */
  char *error;          /* why it stopped, when it did; MAY be NULL */
};

void run_row_release(struct run_row *r);

#define RUN_FILTER_SOURCES_MAX 10000 /* source ids a run filter may name */

/* Which runs to list. */
struct run_filter {
  int64_t source_id;         /* only runs that worked on this source; 0 all */
  const int64_t *source_ids; /* or only runs that worked on one of these (a user's); NULL all */
  size_t nsource_ids;
  const char *status;  /* MAY be NULL */
  const char *trigger; /* MAY be NULL */
  int64_t schedule_id; /* 0 all */
  int64_t from, to;    /* started_at bounds, UTC seconds; 0 open */
  int limit;           /* newest first; 0: 50 */
  int offset;
};

/* One slice as a run finished it. */
struct run_slice_row {
  int64_t run_id;
  int64_t source_id;
  char source[MS_NAME_MAX]; /* its name, when listed */
  char stream[MS_STREAM_MAX];
  char key[MS_KEY_MAX];
  char status[16]; /* completed, failed */
  int64_t pages, records, inserted, updated, retries;
  char *error; /* MAY be NULL */
  int64_t finished_at;
};

/* A stored record, for export. Borrowed, valid during the callback. */
struct record_view {
  const char *source;       /* the source's name */
  const char *external_id;  /* the API's id */
  int64_t created_at;       /* UTC seconds; 0 when the stream has none */
  int64_t updated_at;       /* UTC seconds */
  int64_t deleted_at;       /* 0 unless marked deleted */
  int64_t first_seen_at;    /* when it was first stored */
  int64_t last_synced_at;   /* when a sync last saw it */
  const struct value *vals; /* one per column of the stream, in its order */
  size_t nvals;             /* the stream's columns */
  const int64_t *nchildren; /* per child stream of the stream (in its order): how many
                               (those marked deleted only when with_deleted) */
  const char *raw;          /* the record's JSON as the API sent it */
};

struct record_filter {
  const struct stream_def *def; /* the stream (its table and columns) */
  int64_t source_id;            /* 0: every source */
  int64_t created_from;         /* UTC seconds, inclusive; 0: no bound */
  int64_t created_to;           /* exclusive; 0: no bound */
  int with_deleted;             /* include records marked deleted */
};

struct slice_filter {
  int64_t source_id;  /* 0: all */
  const char *stream; /* MAY be NULL */
  int kind;           /* enum slice_kind; 0: all */
  const char *from;   /* "YYYY-MM-DD" inclusive (day slices), MAY be NULL */
  const char *to;     /* inclusive, MAY be NULL */
  int only_failed;    /* only SLICE_FAILED */
  int only_open;      /* pending, failed, or in progress with an expired lease */
  int64_t now;        /* for lease expiry in only_open */
};

/* Limits a record MUST meet to be stored; one over them is kept in
 * failed_records with the reason instead, and its page commits without it. */
#define STORE_RAW_MAX (1024 * 1024) /* bytes of a record's raw JSON */
#define STORE_ITEMS_MAX 10000       /* children of one record, per child stream */
#define STORE_TEXT_MAX                                                                             \
  4096                   /* bytes of a text column's value (name, status, SKU); a                  \
                            COL_JSON value is bounded by STORE_RAW_MAX instead */
#define STORE_ID_MAX 255 /* bytes of an external id */

/* A record that could not be stored. Strings belong to the row. */
struct failed_row {
  int64_t id;
  int64_t source_id;
  char source[MS_NAME_MAX];   /* the source's name */
  char stream[MS_STREAM_MAX]; /* "orders" */
  char key[MS_KEY_MAX];       /* the slice's key, "YYYY-MM-DD" for a day */
  char *external_id;          /* MAY be NULL: the record had none */
  char *raw;                  /* the record's JSON as the API sent it */
  char *error;                /* why it was not stored, last attempt; one line */
  int64_t first_failed_at;    /* UTC seconds */
  int64_t last_failed_at;
  int64_t attempts;    /* times it failed */
  int64_t resolved_at; /* 0 while open */
};

void failed_row_release(struct failed_row *f);

/* What a stored record lacks (records_incomplete). */
enum incomplete_flags {
  INCOMPLETE_SELF = 1 << 0,         /* a COL_REQUIRED column of its own is NULL */
  INCOMPLETE_CHILDREN = 1 << 1,     /* it has no children of a STREAM_REQUIRED child stream */
  INCOMPLETE_CHILD_FIELDS = 1 << 2, /* one of its children lacks a COL_REQUIRED column (NULL,
                                       or a zero minor price) and is not estimated */
};

/* A child whose price is missing, for the zero-price rule. Borrowed. */
struct unpriced_child {
  const char *parent_id; /* the parent's external id */
  const char *child_id;  /* its own */
  const char *sku;       /* MAY be NULL */
  int64_t quantity;      /* units */
  const char *currency;  /* MAY be NULL */
};

/* ---- the service: schedules, jobs, events, webhooks ---------------------- */

/* Every time the service ops take is UTC seconds given by the caller: the
 * store never reads the clock for them. Text over these limits is refused
 * (MS_EINVAL saying which), never cut; only an error message (last_error)
 * is put on one line and shortened, as a slice's is. */
#define SCHEDULE_SPEC_MAX (16 * 1024) /* bytes of a schedule's spec */
#define JOB_REQUEST_MAX (64 * 1024)   /* bytes of a job's request */
#define JOB_TARGETS_MAX 1000          /* targets of one job */
#define JOB_TARGET_MAX 160            /* bytes of one "source/stream/mode" */
#define JOB_ATTEMPTS_MAX 100          /* max_attempts of a job */
#define EVENT_DATA_MAX (64 * 1024)    /* bytes of an event's data */
#define EVENT_TYPE_MAX 40             /* bytes of an event type, with its NUL */
#define EVENT_TYPES_MAX 32            /* entries of a list of event types */
#define WEBHOOK_URL_MAX 2048          /* bytes of a webhook's URL */
#define WEBHOOK_SECRET_MAX 4096       /* bytes of where its secret is */
#define SERVICE_LIST_MAX 10000        /* rows one job or event list may ask for */
#define SERVICE_LIST_DEFAULT 100      /* rows a list gives when its limit is 0 */

/* When a schedule makes runs, and of what. */
struct schedule_row {
  int64_t id;
  char name[MS_NAME_MAX]; /* unique, chosen by the user */
  char *spec;             /* JSON object: {"sources":[...],"streams":[...],"mode":"new",
                             "every":7200 | "cron":"0 2 * * *" | "daily_at":"02:00",
                             "between":"06:00-22:00","max_runs_per_day":N,
                             "range":"last-7-days" | {"from":"..","to":".."}} */
  char timezone[64];      /* IANA zone its times are in */
  int enabled;            /* 0: it makes no runs (schedule_fire refuses it) */
  int64_t created_at;     /* UTC seconds, > 0 */
  int64_t updated_at;     /* last change of its spec; 0 on add: created_at */
  int64_t last_due;       /* the last due time that became a job; 0: never */
  int64_t day_runs;       /* jobs made on the local day of last_due */
  int64_t next_due;       /* the next due time, as last computed; 0: none */
  int64_t last_run_id;    /* the sync log's run of its latest job; 0: none */
  char last_status[16];   /* that run's outcome, "" when none */
};

void schedule_row_release(struct schedule_row *s);

/* A queued part of the work, claimed by a worker under a lease. */
struct job_row {
  int64_t id;
  int64_t schedule_id;           /* the schedule that made it; 0: by hand (run now, quick
                                    sync), or its schedule was removed */
  int64_t due;                   /* the schedule's due time it stands for; 0 by hand */
  char state[16];                /* available, running, retryable, completed, failed,
                                    cancelled */
  char trigger[16];              /* "schedule", "cli", "api", "quick" */
  char *request;                 /* JSON object: the sync request (sources, streams, mode,
                                    range) */
  char *targets;                 /* JSON array of the "source/stream/mode" it covers: no two
                                    jobs that are available, running or retryable share one
                                    (without overlapping); NULL on enqueue: none */
  int attempts;                  /* tries started (a released try is given back) */
  int max_attempts;              /* then it fails for good; 0 on enqueue: 3 */
  int64_t run_after;             /* UTC: not claimed before (backoff of a retryable job); 0
                                    on enqueue: created_at */
  int64_t created_at;            /* UTC seconds, > 0 */
  int64_t started_at;            /* its latest try */
  int64_t finished_at;           /* 0 until done */
  char lease_owner[MS_NAME_MAX]; /* worker holding it, "" if none */
  int64_t lease_token;           /* fencing token; bumped by every claim, never reset */
  int64_t lease_expires;         /* UTC seconds */
  int64_t run_id;                /* the sync log's run of its latest try; 0 none */
  char *last_error;              /* MAY be NULL */
};

void job_row_release(struct job_row *j);

struct job_filter {
  const char *state;   /* MAY be NULL: all */
  int64_t schedule_id; /* 0: all */
  int limit;           /* newest first; 0: SERVICE_LIST_DEFAULT, at most SERVICE_LIST_MAX */
};

/* An outbox row: written in the same transaction as what it tells. */
struct event_row {
  int64_t id;                 /* ascending: the order of delivery */
  char type[EVENT_TYPE_MAX];  /* order.created, order.status_changed, order.refunded,
                                 order.deleted, sync.failed, sync.recovered */
  int64_t source_id;          /* 0: none, or the source was removed */
  char source[MS_NAME_MAX];   /* its name when listed (kept after the source is removed) */
  char stream[MS_STREAM_MAX]; /* "" when none */
  char *record_id;            /* the record's external id; MAY be NULL */
  char *data;                 /* JSON object with the details; NULL on add: {} */
  int64_t created_at;         /* UTC seconds, > 0 */
};

void event_row_release(struct event_row *e);

struct event_filter {
  int64_t after_id;  /* only events with a larger id */
  const char *types; /* comma list of types or prefixes ("order."), MAY be NULL or "*": all */
  int64_t source_id; /* 0: all */
  int limit;         /* oldest first; 0: SERVICE_LIST_DEFAULT, at most SERVICE_LIST_MAX */
};

/* Where events are delivered. */
struct webhook_row {
  int64_t id;
  char *url;            /* http(s) URL, unique; its shape is checked when added */
  char *events;         /* comma list of types or prefixes; "*" (or NULL on add) for all */
  char *secret;         /* JSON object: where its signing secret is ({"secret_env":"VAR"});
                           NULL on add: {} */
  int enabled;          /* 0: nothing is delivered to it */
  int64_t created_at;   /* UTC seconds, > 0 */
  int64_t delivered_id; /* every event up to this one was delivered (or filtered out) */
  int failures;         /* deliveries failed in a row */
  int64_t retry_at;     /* UTC: not tried again before */
  char *last_error;     /* MAY be NULL */
};

void webhook_row_release(struct webhook_row *w);

/* ---- accounts, users and API tokens -------------------------------------- */

/* Account and user names follow the rule of source names: 1 to 63 letters,
 * digits, '-', '_' or '.'; another name is refused (MS_EINVAL saying so).
 * Times are UTC seconds given by the caller, as for the service's ops. */
#define ACCOUNTS_MAX 1000     /* accounts one user may be a member of */
#define TOKEN_LABEL_MAX 101   /* bytes of a token's label, with its NUL */
#define TOKEN_HASH_MAX 129    /* bytes of a token's hash as text, with its NUL */
#define TOKEN_PREFIX_MAX 17   /* bytes of the part of a token shown to people, with its NUL */
#define PASSWORD_HASH_MAX 256 /* bytes of a stored password hash (a crypt-style string) */
#define SOURCE_CREDENTIALS_MAX (64 * 1024) /* bytes of a source's credentials JSON */

/* An owner of sources: a client, a tenant. */
struct account_row {
  int64_t id;
  char name[MS_NAME_MAX]; /* unique */
  int64_t created_at;     /* UTC seconds, > 0 */
};

/* A person (or a program) that uses the admin API. */
struct user_row {
  int64_t id;
  char name[MS_NAME_MAX]; /* unique */
  int admin;              /* 1: sees and steers everything, every account */
  char *password_hash;    /* an Argon2id string (crypto_pwhash_str); NULL: no password
                             (API tokens only) */
  int64_t created_at;     /* UTC seconds, > 0 */
  int64_t *accounts;      /* ids of the accounts it is a member of, ascending; owned */
  size_t naccounts;       /* how many (at most ACCOUNTS_MAX) */
};

void user_row_release(struct user_row *u);

/* An API token as stored: never the token itself. */
struct token_row {
  int64_t id;
  int64_t user_id;               /* whose it is */
  char user[MS_NAME_MAX];        /* that user's name when read */
  char label[TOKEN_LABEL_MAX];   /* what it is for, "" when none */
  char hash[TOKEN_HASH_MAX];     /* the hash of the token, as text; unique */
  char prefix[TOKEN_PREFIX_MAX]; /* its first characters, to tell tokens apart in lists */
  int64_t created_at;            /* UTC seconds, > 0 */
  int64_t last_used_at;          /* 0: never */
  int64_t revoked_at;            /* 0: valid */
};

/* A source's credentials to replace, compared and set (see
 * source_credentials_swap). Borrowed. */
struct credentials_change {
  int64_t source_id; /* the source */
  const char *from;  /* its credentials as read: nothing is written unless they still are */
  const char *to;    /* the new ones, a JSON object */
};

/* ---- reports: sales per SKU ---------------------------------------------- */

#define SKU_SOURCES_MAX 10000 /* entries of sku_filter.sources */
#define SKU_ROWS_MAX 1000000  /* rows a report may hold before its limit; more: MS_ETOOBIG */

/* The order of a SKU report's rows. */
enum sku_order {
  SKU_BY_REVENUE = 0, /* by currency, then the most revenue first (amounts in different
                         currencies are not compared), then by SKU */
  SKU_BY_UNITS,       /* the most units first, then by SKU, then by currency */
  SKU_BY_SKU,         /* by SKU, then by currency */
};

/* A source of a SKU report with bounds of its own: a source's local days
 * are UTC bounds of their own. */
struct sku_scope {
  int64_t source_id; /* an id no source has matches nothing */
  int64_t from;      /* UTC seconds, inclusive, on an order's created_at; 0: the filter's */
  int64_t to;        /* exclusive; 0: the filter's */
};

/* Which orders a SKU report counts, and which of its rows it gives. */
struct sku_filter {
  int64_t source_id;               /* one source; 0 (with sources NULL): every source */
  const struct sku_scope *sources; /* not NULL: exactly these sources (nsources 0: none, an
                                      empty report), and source_id is not read */
  size_t nsources;                 /* entries of sources, at most SKU_SOURCES_MAX */
  int64_t from;                    /* UTC seconds, inclusive, on an order's created_at; 0: no
                                      bound */
  int64_t to;                      /* exclusive; 0: no bound */
  const char *currency;            /* only rows in this currency; MAY be NULL: every one */
  enum sku_order order;            /* the rows' order */
  int64_t top;                     /* > 0: in each currency, only the `top` rows with the most
                                      revenue (then by SKU); 0: every row */
  int64_t limit;                   /* rows given, after ordering and top; 0: all of them */
  int64_t offset;                  /* rows skipped before those */
  int64_t now;                     /* UTC seconds: where a period without an end (or ending
                                      later) ends, for days of cover; 0: at the newest order */
};

/* The sales of one SKU in one currency. Borrowed, valid during the
 * callback. */
struct sku_row {
  const char *sku;      /* "" for lines without a SKU (shown as "(no SKU)") */
  const char *currency; /* ISO code; "" when the lines carry none (not priced yet) */
  int64_t units;        /* units sold: the quantities of the lines counted */
  int64_t revenue;      /* minor units of currency: each line's unit price times its
                           quantity (or its line total, as Amazon gives it), before
                           discounts, tax, shipping and refunds */
  int64_t orders;       /* distinct orders */
  int64_t refunded;     /* units of those lines refunded */
  int64_t unpriced;     /* units of lines without a price yet: in units, not in revenue */
  int64_t last_sold;    /* UTC seconds: the newest of those orders' created_at */
  int has_stock;        /* stock is known */
  int64_t stock;        /* units available now at every location, over the variants with this
                           SKU in the report's sources whose stock levels are synced */
  int has_cover;        /* cover_days is known: stock known, and units sold in every currency */
  double cover_days;    /* stock / (units sold per day over the period), the SKU's units in
                           every currency; 0 when stock is 0 or less */
  int64_t total;        /* rows of the report, after top, before limit and offset */
};

/* What report_refresh did. */
struct sku_refresh_counts {
  int64_t sources; /* sources whose summary is now up to date */
  int64_t days;    /* days summarized anew */
  int64_t rows;    /* summary rows written */
};

typedef int (*source_cb)(void *ctx, const struct source_row *s);
typedef int (*slice_cb)(void *ctx, const struct slice *sl);
typedef int (*record_cb)(void *ctx, const struct record_view *r);
typedef int (*run_cb)(void *ctx, const struct run_row *r);
typedef int (*run_slice_cb)(void *ctx, const struct run_slice_row *r);
typedef int (*failed_cb)(void *ctx, const struct failed_row *f);
/* A record named by id and creation time, with enum incomplete_flags. */
typedef int (*incomplete_cb)(void *ctx, const char *external_id, int64_t created_at, int what);
typedef int (*unpriced_cb)(void *ctx, const struct unpriced_child *c);
typedef int (*schedule_cb)(void *ctx, const struct schedule_row *s);
typedef int (*job_cb)(void *ctx, const struct job_row *j);
typedef int (*event_cb)(void *ctx, const struct event_row *e);
typedef int (*webhook_cb)(void *ctx, const struct webhook_row *w);
typedef int (*account_cb)(void *ctx, const struct account_row *a);
typedef int (*user_cb)(void *ctx, const struct user_row *u);
typedef int (*token_cb)(void *ctx, const struct token_row *t);
typedef int (*sku_cb)(void *ctx, const struct sku_row *r);

struct store;

struct store_ops {
  const char *name; /* "sqlite" */
  /* Opens (creating and migrating when needed). uri is backend-specific. */
  int (*open)(const char *uri, struct store **out, struct err *err);
  void (*close)(struct store *st);
  int (*schema_version)(struct store *st, int *version);

  /* Sets s->id. s->account_id (0: none) MUST name an account that exists
   * (MS_ENOTFOUND, nothing written). */
  int (*source_add)(struct store *st, struct source_row *s, struct err *err);
  int (*source_get)(struct store *st, const char *name, struct source_row *out, struct err *err);
  int (*source_get_id)(struct store *st, int64_t id, struct source_row *out, struct err *err);
  int (*source_list)(struct store *st, source_cb cb, void *ctx, struct err *err);
  /* Writes name, connector, settings, last_sync_at and last_error; never
   * the account (source_set_account) nor the credentials
   * (source_credentials_swap): a sync writes back the row it read when it
   * started, and must not undo a secret entered or re-sealed meanwhile. */
  int (*source_update)(struct store *st, const struct source_row *s, struct err *err);
  /* Removes the source with its slices, records (every stream's table) and
   * failed records. */
  int (*source_remove)(struct store *st, const char *name, struct err *err);
  /* Moves the source into the account (0: into none, admins only see it).
   * MS_ENOTFOUND when either does not exist. */
  int (*source_set_account)(struct store *st, int64_t source_id, int64_t account_id,
                            struct err *err);
  /* Replaces the credentials of several sources in one transaction (a
   * master key rotation re-seals every secret at once): each only if they
   * still read `from`. When one was changed or removed meanwhile, nothing
   * is written: MS_EBUSY, err naming the source (read them again and
   * retry). */
  int (*source_credentials_swap)(struct store *st, const struct credentials_change *v, size_t n,
                                 struct err *err);

  /* Makes the tables of a stream and of its children (and of its cascades'
   * targets) exist with every column the description names: creates them,
   * or adds the columns they lack (a table shared by several connectors
   * holds the union). A column that exists with the other storage class
   * (text or integer), or a table with another key, is refused (MS_EINVAL
   * naming table and column). Cheap when nothing changed: the store
   * remembers, per connection, the descriptions it prepared (by address and
   * content). MUST be called before a stream's pages are committed or its
   * records read (a top-level stream not prepared yet is prepared then; a
   * child is known through its parent, which the zero-price queries and
   * the snapshot sweep of follow-up pages need). */
  int (*stream_prepare)(struct store *st, const struct stream_def *def, struct err *err);

  /* Slices are named by (source, stream, key); see slice_key_make. */
  /* Creates the slice as pending unless it exists; never changes one. */
  int (*slice_ensure)(struct store *st, int64_t source_id, const char *stream, const char *key,
                      struct err *err);
  int (*slice_get)(struct store *st, int64_t source_id, const char *stream, const char *key,
                   struct slice *out, struct err *err);
  /* Takes the slice for `owner` for lease_secs: status in_progress, a new
   * lease_token, started_at set when 0. A slice not there yet is created
   * first, as slice_ensure would. MS_EHELD when another owner's lease has
   * not expired (MS_EBUSY means the database itself is locked).
   * MS_ENOTFOUND when the source does not exist; MS_EINVAL when the key is
   * not one slice_key_make writes. out gets the slice as stored. */
  int (*slice_claim)(struct store *st, int64_t source_id, const char *stream, const char *key,
                     const char *owner, int64_t now, int lease_secs, struct slice *out,
                     struct err *err);
  /* Back to pending from the start, for a new pass: cursor, follow-ups,
   * counters, started_at and pass_start cleared, the lease fenced off (a
   * window keeps its watermark). Reopens completed slices. Creates the
   * slice when missing. */
  int (*slice_reset)(struct store *st, int64_t source_id, const char *stream, const char *key,
                     struct err *err);
  /* Fenced by sl->lease_token: records the error, bumps retries, sets
   * status (failed, or pending to be retried later), releases the lease and
   * keeps the cursor. MS_ELEASE if the lease was lost. */
  int (*slice_fail)(struct store *st, const struct slice *sl, enum slice_status status,
                    const char *error, struct err *err);
  /* Fenced: starts the slice's pages again, keeping its counters: with
   * follow-ups waiting, the first one's children from their first page;
   * otherwise the listing from its first page. */
  int (*slice_restart)(struct store *st, const struct slice *sl, const char *why, struct err *err);
  /* Fenced: releases the lease, status back to pending, cursor kept. */
  int (*slice_release)(struct store *st, const struct slice *sl, struct err *err);
  int (*slice_list)(struct store *st, const struct slice_filter *f, slice_cb cb, void *ctx,
                    struct err *err);
  /* Creates the slice, or resets it, as pending with this listing cursor
   * (MAY be NULL: then the listing counts as done) and `follow` (a JSON
   * array of record ids waiting for their children; MAY be NULL): a work
   * list the engine then drives like any day (SLICE_REFETCH). */
  int (*slice_seed)(struct store *st, int64_t source_id, const char *stream, const char *key,
                    const char *cursor, const char *follow, struct err *err);

  /* One transaction, fenced by sl->lease_token (MS_ELEASE, nothing written,
   * if it moved). A listing page's def MUST be the slice's stream, a
   * follow-up page's its STREAM_FOLLOW child (MS_EINVAL, nothing written):
   * - every record of the page is upserted into pg->def's table (an older
   *   or equal copy never replaces a newer one; counted inserted, updated,
   *   unchanged), with its children (a newer parent replaces its children of
   *   each child stream read with it), clearing deleted_at;
   * - a deletion record (r->gone_from) is stored like any record of its
   *   stream (an audit of deletions) and marks the record r->gone_id of
   *   gone_from's stream deleted at r->gone_at, with its children and its
   *   cascades (counted deleted: the top-level rows marked, not their
   *   children); a newer copy of a deleted record brings it back with its
   *   children, and so does any copy seen by a snapshot;
   * - records marked `follow` join the slice's follow-ups unless stored
   *   unchanged with children already; a follow-up page (pg->children_of,
   *   which MUST be the first follow-up) stores that parent's children (the
   *   first page replacing the stored ones, later ones appended with their
   *   line numbers continuing) and moves the follow-up's cursor on, or takes
   *   it off the list at its last page; a child over the limits refuses the
   *   page whole (MS_EINVAL), as the children are one set;
   * - events (the outbox), for streams with an `event` name and not in a
   *   SLICE_REFETCH slice: PREFIX.created for a record inserted,
   *   PREFIX.status_changed for each COL_STATUS column whose value a newer
   *   copy changed (data: field, old, new), PREFIX.deleted for a record marked
   *   deleted; a child stream's event (order.refunded) for each child id a
   *   stored parent did not have before (a new parent's children are told
   *   by its .created). A copy that changes nothing makes none. In a
   *   SLICE_REFETCH slice (a repair) an equal copy rewrites its children;
   * - a record over the STORE_* limits, or refused by a constraint, goes to
   *   failed_records with the reason (counted failed) and the others commit;
   * - the slice's new cursor, counters and status: completed when its
   *   listing is done (a listing page without next cursor) and no follow-up
   *   waits. A window slice's watermark moves to the largest updated_at
   *   stored in this pass, but never past pass_start (set from the first
   *   page's server_time, or that page's largest updated_at when the API
   *   gave no time). A snapshot slice that completes marks the records of
   *   its stream's table and source it did not see in this pass deleted
   *   (last_synced_at before the slice's started_at; a record it saw but
   *   could not store counts as seen).
   * On success sl is updated to match what was stored. */
  int (*commit_page)(struct store *st, struct slice *sl, const struct page *pg, int64_t now,
                     struct page_counts *counts, struct err *err);

  /* A write group: from group_begin to group_end, the writes of this
   * connection (commit_page, claims, run_slice_put, ...) share one
   * transaction, opened at the first of them, so that a run over many
   * small slices pays one commit for many pages instead of one each. Each
   * write still succeeds or fails alone (a savepoint): a page is stored
   * with its cursor or not at all, and nothing of the group is durable
   * before group_end. group_end commits; if it fails (or the group's
   * transaction was lost to a disk error on the way) nothing of the group
   * is stored, and the caller MUST treat every write since group_begin as
   * undone. Preparing a stream is refused inside an open group. Groups do
   * not nest. */
  void (*group_begin)(struct store *st);
  int (*group_end)(struct store *st, struct err *err);

  int (*run_start)(struct store *st, struct run_row *r, struct err *err); /* sets r->id */
  int (*run_update)(struct store *st, const struct run_row *r, struct err *err);
  int (*run_list)(struct store *st, int limit, run_cb cb, void *ctx, struct err *err);
  /* Runs as the filter says, newest first. */
  int (*run_find)(struct store *st, const struct run_filter *f, run_cb cb, void *ctx,
                  struct err *err);
  int (*run_get)(struct store *st, int64_t id, struct run_row *out, struct err *err);
  /* The run finished this slice (completed or failed): kept with its
   * counters and error, once per run (a later report replaces it). */
  int (*run_slice_put)(struct store *st, int64_t run_id, const struct slice *sl, const char *status,
                       int64_t now, struct err *err);
  /* The slices a run finished, by source, stream and key. */
  int (*run_slices)(struct store *st, int64_t run_id, run_slice_cb cb, void *ctx, struct err *err);

  /* Stored records of a top-level stream, by source, then oldest created
   * first, then by id (the order of the table's index: no sort). The
   * callback MUST NOT change the stream's tables; it MAY read. */
  int (*records_each)(struct store *st, const struct record_filter *f, record_cb cb, void *ctx,
                      struct err *err);
  /* Records of the source's stream created in [from, to) that lack what
   * enum incomplete_flags says, oldest first; deleted ones are left out.
   * The callback MUST NOT change the stream's tables. */
  int (*records_incomplete)(struct store *st, int64_t source_id, const struct stream_def *def,
                            int64_t from, int64_t to, incomplete_cb cb, void *ctx, struct err *err);
  /* Children of the child stream (whose columns MUST include sku, quantity,
   * price (money), currency and price_estimated) of parents created in
   * [from, to) whose price is NULL or zero and not estimated, oldest parent
   * first. They are read in full before the callbacks run, so a callback
   * MAY write (child_estimate). Deleted records are left out. */
  int (*children_unpriced)(struct store *st, int64_t source_id, const struct stream_def *child,
                           int64_t from, int64_t to, unpriced_cb cb, void *ctx, struct err *err);
  /* The latest real (not estimated, above zero, with a quantity above zero)
   * price of a child with that SKU and currency (NULL matches no currency)
   * in the source: its line price in minor units and its quantity. Latest
   * is by the parent's updated_at (then its created_at and id): stores
   * without rowids order it the same way. MS_ENOTFOUND when none is known. */
  int (*child_price_known)(struct store *st, int64_t source_id, const struct stream_def *child,
                           const char *sku, const char *currency, int64_t *minor, int64_t *quantity,
                           struct err *err);
  /* Sets an estimated price on one child (amount text and minor units,
   * price_estimated = 1). MS_ENOTFOUND when the child is not stored. */
  int (*child_estimate)(struct store *st, int64_t source_id, const struct stream_def *child,
                        const char *parent_id, const char *child_id, const char *amount,
                        int64_t minor, struct err *err);
  /* The children of one record as a JSON array of their stored raw JSON (or,
   * when no raw was kept, an object of "id" and their columns other than
   * COL_LOCAL ones, in JSON types), in line order (caller frees). */
  int (*children_json)(struct store *st, int64_t source_id, const struct stream_def *child,
                       const char *parent_id, char **out, struct err *err);

  /* Open (unresolved) failed records, oldest first; source_id 0: all. The
   * row is valid during the call; the callback MUST NOT write. */
  int (*failed_list)(struct store *st, int64_t source_id, failed_cb cb, void *ctx, struct err *err);
  /* One failed record by id, open or not; MS_ENOTFOUND when there is none. */
  int (*failed_get)(struct store *st, int64_t id, struct failed_row *out, struct err *err);
  /* Stores r, a record of def read again from the failed record's raw JSON,
   * like any page's record (an older copy never replaces a newer one), and
   * marks the failed record resolved, in one transaction. def MUST be the
   * failed record's stream. MS_EINVAL with the reason when r is still
   * refused or was stored already (nothing written; see failed_again). */
  int (*failed_resolve)(struct store *st, int64_t id, const struct stream_def *def,
                        const struct record *r, int64_t now, struct err *err);
  /* A retry failed again: attempts + 1, the new error, last_failed_at. */
  int (*failed_again)(struct store *st, int64_t id, const char *error, int64_t now,
                      struct err *err);

  /* ---- schedules ---- */
  /* Sets s->id (and updated_at when 0). MS_EEXIST when the name is taken. */
  int (*schedule_add)(struct store *st, struct schedule_row *s, struct err *err);
  /* By name; MS_ENOTFOUND when there is none. */
  int (*schedule_get)(struct store *st, const char *name, struct schedule_row *out,
                      struct err *err);
  int (*schedule_get_id)(struct store *st, int64_t id, struct schedule_row *out, struct err *err);
  /* By name. Read in full before the callbacks run: a callback MAY write. */
  int (*schedule_list)(struct store *st, schedule_cb cb, void *ctx, struct err *err);
  /* Writes name, spec, timezone, enabled, next_due (and updated_at) of the
   * schedule s->id. MS_EEXIST when the new name is taken. */
  int (*schedule_update)(struct store *st, const struct schedule_row *s, struct err *err);
  /* Its jobs stay (they are history; queued ones still run) with
   * schedule_id 0. */
  int (*schedule_remove)(struct store *st, const char *name, struct err *err);
  /* A due run of a schedule becomes exactly one job, even with several
   * schedulers on one database: in one transaction, the schedule's
   * last_due moves from expect_last_due to due (else MS_EEXIST: another
   * scheduler did it) with day_runs and next_due, and the job is enqueued as
   * job_enqueue does, with this schedule_id and due (trigger "schedule" when
   * empty). An overlapping job is not enqueued and the due run still counts
   * as made: MS_EBUSY, err naming the job in the way, job->id 0 (a locked
   * database is MS_EBUSY too, with nothing written: either way, firing again
   * with the schedule as it now is does the right thing). due MUST come
   * after expect_last_due; a disabled schedule is refused (MS_EINVAL). */
  int (*schedule_fire)(struct store *st, int64_t schedule_id, int64_t expect_last_due, int64_t due,
                       int64_t day_runs, int64_t next_due, struct job_row *job, struct err *err);
  /* The schedule's latest run, for `schedule list`. A run older than the one
   * recorded changes nothing. */
  int (*schedule_ran)(struct store *st, int64_t schedule_id, int64_t run_id, const char *status,
                      struct err *err);

  /* ---- jobs ---- */
  /* Enqueues a job, available (or retryable, to wait for run_after). A job
   * that is available, running or retryable holds its targets: a retryable
   * one will run again, so another job on them would overlap it then.
   * MS_EBUSY, nothing written, when one of the targets is held by another
   * job; err names that job and the target. MS_EEXIST when the schedule
   * already has a job for that due time. Sets job->id. */
  int (*job_enqueue)(struct store *st, struct job_row *job, struct err *err);
  /* Claims, for owner, the job that may run now and has waited longest (by
   * run_after, then id): available or retryable with run_after passed, or
   * running with its lease expired (rescued: its worker died). state
   * running, attempts + 1, a new lease_token, the lease to now + lease_secs,
   * started_at now. A rescued job that used its last attempt fails instead
   * (its worker may be what kills it). MS_ENOTFOUND when none may run. */
  int (*job_claim)(struct store *st, const char *owner, int64_t now, int lease_secs,
                   struct job_row *out, struct err *err);
  /* Fenced by the token: the lease runs lease_secs from now (even if it had
   * run out, as long as nobody took the job). MS_ELEASE when lost. */
  int (*job_heartbeat)(struct store *st, int64_t id, int64_t token, int64_t now, int lease_secs,
                       struct err *err);
  /* Fenced: the try ended at now, with its run_id and error (MAY be NULL):
   * - completed, failed or cancelled: done (finished_at), its targets free;
   * - retryable: waits for run_after (0: now), holding its targets;
   * - available: released unfinished (shutting down): any worker may claim
   *   it at once, and the try is given back (attempts - 1).
   * MS_ELEASE, nothing written, when the lease was lost. */
  int (*job_finish)(struct store *st, int64_t id, int64_t token, const char *state, int64_t now,
                    int64_t run_after, int64_t run_id, const char *error, struct err *err);
  int (*job_get)(struct store *st, int64_t id, struct job_row *out, struct err *err);
  /* Read in full before the callbacks run: a callback MAY write. */
  int (*job_list)(struct store *st, const struct job_filter *f, job_cb cb, void *ctx,
                  struct err *err);
  /* A failed or cancelled job runs again: available at now, attempts 0.
   * MS_EBUSY, nothing written, when another job holds one of its targets;
   * MS_EINVAL for a job in another state. */
  int (*job_retry)(struct store *st, int64_t id, int64_t now, struct err *err);
  /* Cancels a job that is available or retryable, or running with its lease
   * run out (nobody is running it), at now. A running one is left to finish:
   * MS_EBUSY. A job already done: MS_EINVAL. */
  int (*job_cancel)(struct store *st, int64_t id, int64_t now, struct err *err);
  /* Counts of jobs by state, for status and metrics: available, running,
   * retryable, completed, failed, cancelled (in that order). */
  int (*job_counts)(struct store *st, int64_t counts[6], struct err *err);

  /* A source's part in a run ended: its count of failed runs in a row goes
   * up by one (failed) or back to 0, atomically. *before and *after are the
   * counts around the change. */
  int (*source_streak)(struct store *st, int64_t source_id, int failed, int64_t now,
                       int64_t *before, int64_t *after, struct err *err);

  /* ---- events ---- */
  /* An event of the run itself (sync.failed, sync.recovered): a lowercase
   * dotted type, its source (0: none; MS_ENOTFOUND when there is no such
   * source), data a JSON object. Sets e->id. Record events are written by
   * commit_page. */
  int (*event_add)(struct store *st, struct event_row *e, struct err *err);
  /* Read in full before the callbacks run: a callback MAY write (deliver,
   * then webhook_delivered). */
  int (*event_list)(struct store *st, const struct event_filter *f, event_cb cb, void *ctx,
                    struct err *err);

  /* ---- webhooks ---- */
  /* Sets w->id. A new webhook is delivered the events written after it:
   * delivered_id starts at the newest event (set in w). MS_EEXIST when a
   * webhook has that URL already (one per receiver, with every type it
   * wants in its list). */
  int (*webhook_add)(struct store *st, struct webhook_row *w, struct err *err);
  /* By id. Read in full before the callbacks run: a callback MAY write. */
  int (*webhook_list)(struct store *st, webhook_cb cb, void *ctx, struct err *err);
  int (*webhook_get)(struct store *st, int64_t id, struct webhook_row *out, struct err *err);
  int (*webhook_remove)(struct store *st, int64_t id, struct err *err);
  /* Delivery moved on: delivered_id (never back: an older one keeps the
   * newer), failures 0, no error, no retry_at. */
  int (*webhook_delivered)(struct store *st, int64_t id, int64_t delivered_id, struct err *err);
  /* A delivery failed: failures + 1, retry_at, the error. */
  int (*webhook_failed)(struct store *st, int64_t id, int64_t retry_at, const char *error,
                        struct err *err);

  /* ---- accounts ---- */
  /* Sets a->id. MS_EEXIST when the name is taken. */
  int (*account_add)(struct store *st, struct account_row *a, struct err *err);
  /* MS_ENOTFOUND when there is none. */
  int (*account_get)(struct store *st, const char *name, struct account_row *out, struct err *err);
  int (*account_get_id)(struct store *st, int64_t id, struct account_row *out, struct err *err);
  /* By name. Read in full before the callbacks run: a callback MAY write. */
  int (*account_list)(struct store *st, account_cb cb, void *ctx, struct err *err);
  /* Its memberships go with it. An account that still owns sources is
   * refused, nothing written: MS_EEXIST with a sentence naming them (move
   * or remove them first). */
  int (*account_remove)(struct store *st, const char *name, struct err *err);

  /* ---- users ---- */
  /* Adds the user with its memberships (u->accounts) in one transaction;
   * sets u->id. MS_EEXIST when the name is taken, MS_ENOTFOUND when one of
   * the accounts does not exist (nothing written either way). */
  int (*user_add)(struct store *st, struct user_row *u, struct err *err);
  /* With its memberships. MS_ENOTFOUND when there is none. */
  int (*user_get)(struct store *st, const char *name, struct user_row *out, struct err *err);
  int (*user_get_id)(struct store *st, int64_t id, struct user_row *out, struct err *err);
  /* By name, with their memberships. Read in full before the callbacks run. */
  int (*user_list)(struct store *st, user_cb cb, void *ctx, struct err *err);
  /* Its memberships and API tokens go with it. */
  int (*user_remove)(struct store *st, const char *name, struct err *err);
  /* hash NULL: the user has no password any more. */
  int (*user_set_password)(struct store *st, int64_t user_id, const char *hash, struct err *err);
  /* Its memberships become exactly these accounts, in one transaction.
   * MS_ENOTFOUND (nothing written) when the user or an account does not
   * exist. */
  int (*user_set_accounts)(struct store *st, int64_t user_id, const int64_t *accounts, size_t n,
                           struct err *err);

  /* ---- API tokens ---- */
  /* Sets t->id. t->hash and t->prefix MUST be set; MS_ENOTFOUND when the
   * user does not exist, MS_EEXIST when the hash is stored already. */
  int (*token_add)(struct store *st, struct token_row *t, struct err *err);
  /* The token with that hash, revoked or not (revoked_at tells).
   * MS_ENOTFOUND when none has it. */
  int (*token_find_by_hash)(struct store *st, const char *hash, struct token_row *out,
                            struct err *err);
  /* The tokens of one user (0: of everyone), oldest first. Read in full
   * before the callbacks run. */
  int (*token_list)(struct store *st, int64_t user_id, token_cb cb, void *ctx, struct err *err);
  /* The token stops working at now. Revoking a revoked token keeps its
   * first revocation time (MS_OK). MS_ENOTFOUND when there is none. */
  int (*token_revoke)(struct store *st, int64_t id, int64_t now, struct err *err);
  /* The token was used at now: last_used_at moves forward, never back. */
  int (*token_touch)(struct store *st, int64_t id, int64_t now, struct err *err);

  /* ---- reports ---- */
  /* Sales per SKU and currency of the orders created within the bounds
   * (each source's own, else the filter's), one struct sku_row each:
   * - counted are the lines not marked deleted of the orders not marked
   *   deleted and not cancelled (a status spelled "cancelled" or "canceled",
   *   in any case: Shopify's, set from cancelled_at, and Amazon's Canceled);
   * - a line's revenue is its price times its quantity, except where the
   *   price is the line's total already: an Amazon source's (ItemPrice) and
   *   an estimated price (child_estimate writes the line's total); a line
   *   without a price counts in units and unpriced, not in revenue;
   * - a line's currency is its own, else its order's;
   * - refunded: the quantities of the refund lines (refunds of the order,
   *   not marked deleted) whose line_item_id is one of those lines;
   * - stock: the sum of available of the stock levels (not marked deleted)
   *   of the inventory items of the variants (not marked deleted) with the
   *   SKU, in the report's sources; unknown when none is synced, and for
   *   the lines without a SKU;
   * - days of cover: stock / (units / days), units of the SKU in every
   *   currency (the filter's currency does not change it), days the
   *   period's length, at least 1: the longest of the sources' periods,
   *   each from its start (or its earliest order) to its end or now,
   *   whichever comes first (or, with neither, its newest order);
   * A table the backend lacks (no refunds or stock levels synced yet)
   * counts as empty. The rows come in the filter's order, read in full (at
   * most SKU_ROWS_MAX, else MS_ETOOBIG) from one snapshot before the
   * callbacks run, so a callback MAY write. The figures do not depend on
   * the summary: days summarized by report_refresh and unchanged since are
   * read from it, every other day from the orders. MS_EINVAL for a filter
   * out of its limits. */
  int (*report_skus)(struct store *st, const struct sku_filter *f, sku_cb cb, void *ctx,
                     struct err *err);
  /* Brings the summary the SKU report reads up to date for the source (0:
   * every source): the days changed since its last refresh, or every day of
   * it at the first, a few days per transaction (a sync waits for one of
   * them, not for the whole refresh). now is kept as the refresh's time.
   * out MAY be NULL. */
  int (*report_refresh)(struct store *st, int64_t source_id, int64_t now,
                        struct sku_refresh_counts *out, struct err *err);
};

struct store {
  const struct store_ops *ops; /* the backend */
};

/* Backends known by name. */
const struct store_ops *store_backend(const char *name);

/* Opens by location: a "postgres://" or "postgresql://" URI picks PostgreSQL
 * (when built), anything else is a SQLite file path. */
int store_open(const char *location, struct store **out, struct err *err);
void store_close(struct store *st);

#endif
