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
};

void run_row_release(struct run_row *r);

/* A stored order, for export. Borrowed strings, valid during the callback. */
struct order_view {
  const char *source;
  const char *external_id;
  const char *name;
  int64_t created_at;
  int64_t updated_at;
  const char *status;
  const char *financial_status;
  const char *fulfillment_status;
  const char *total_price;
  int64_t total_minor;
  const char *currency;
  int64_t nitems;
  const char *raw;
  int64_t first_seen_at;
  int64_t last_synced_at;
};

struct order_filter {
  const char *source;   /* MAY be NULL: all sources */
  int64_t created_from; /* UTC seconds, inclusive; 0: no bound */
  int64_t created_to;   /* exclusive; 0: no bound */
};

struct slice_filter {
  int64_t source_id;  /* 0: all */
  const char *stream; /* MAY be NULL */
  const char *from;   /* "YYYY-MM-DD" inclusive, MAY be NULL */
  const char *to;     /* inclusive, MAY be NULL */
  int only_failed;    /* only SLICE_FAILED */
  int only_open;      /* pending, failed, or in progress with an expired lease */
  int64_t now;        /* for lease expiry in only_open */
};

/* Limits a record MUST meet to be stored; one over them is kept in
 * failed_records with the reason instead, and its page commits without it. */
#define STORE_RAW_MAX (1024 * 1024) /* bytes of a record's raw JSON */
#define STORE_ITEMS_MAX 10000       /* lines of one record */
#define STORE_TEXT_MAX 4096         /* bytes of a name, status, SKU or title */

/* A record that could not be stored. Strings belong to the row. */
struct failed_row {
  int64_t id;
  int64_t source_id;
  char source[MS_NAME_MAX];   /* the source's name */
  char stream[MS_STREAM_MAX]; /* "orders" */
  char day[DATE_STR_LEN];     /* the slice's day, "YYYY-MM-DD" */
  char *external_id;          /* MAY be NULL: the record had none */
  char *raw;                  /* the record's JSON as the API sent it */
  char *error;                /* why it was not stored, last attempt; one line */
  int64_t first_failed_at;    /* UTC seconds */
  int64_t last_failed_at;
  int64_t attempts;    /* times it failed */
  int64_t resolved_at; /* 0 while open */
};

void failed_row_release(struct failed_row *f);

typedef int (*source_cb)(void *ctx, const struct source_row *s);
typedef int (*slice_cb)(void *ctx, const struct slice *sl);
typedef int (*order_cb)(void *ctx, const struct order_view *o);
typedef int (*run_cb)(void *ctx, const struct run_row *r);
typedef int (*failed_cb)(void *ctx, const struct failed_row *f);
/* An order named by id and creation time (repair passes). */
typedef int (*order_ref_cb)(void *ctx, const char *external_id, int64_t created_at);

struct store;

struct store_ops {
  const char *name; /* "sqlite" */
  /* Opens (creating and migrating when needed). uri is backend-specific. */
  int (*open)(const char *uri, struct store **out, struct err *err);
  void (*close)(struct store *st);
  int (*schema_version)(struct store *st, int *version);

  int (*source_add)(struct store *st, struct source_row *s, struct err *err); /* sets s->id */
  int (*source_get)(struct store *st, const char *name, struct source_row *out, struct err *err);
  int (*source_get_id)(struct store *st, int64_t id, struct source_row *out, struct err *err);
  int (*source_list)(struct store *st, source_cb cb, void *ctx, struct err *err);
  int (*source_update)(struct store *st, const struct source_row *s, struct err *err);
  int (*source_remove)(struct store *st, const char *name, struct err *err);

  /* Creates the slice as pending unless it exists; never changes one. */
  int (*slice_ensure)(struct store *st, int64_t source_id, const char *stream,
                      struct civil_date day, struct err *err);
  int (*slice_get)(struct store *st, int64_t source_id, const char *stream, struct civil_date day,
                   struct slice *out, struct err *err);
  /* Takes the slice for `owner` for lease_secs: status in_progress, a new
   * lease_token. MS_EHELD when another owner's lease has not expired
   * (MS_EBUSY means the database itself is locked).
   * out gets the slice as stored, cursor included. */
  int (*slice_claim)(struct store *st, int64_t source_id, const char *stream, struct civil_date day,
                     const char *owner, int64_t now, int lease_secs, struct slice *out,
                     struct err *err);
  /* Back to pending from the start: cursor and counters cleared. */
  int (*slice_reset)(struct store *st, int64_t source_id, const char *stream, struct civil_date day,
                     struct err *err);
  /* Fenced by sl->lease_token: records the error, bumps retries, sets
   * status (failed, or pending to be retried later), releases the lease and
   * keeps the cursor. MS_ELEASE if the lease was lost. */
  int (*slice_fail)(struct store *st, const struct slice *sl, enum slice_status status,
                    const char *error, struct err *err);
  /* Fenced: starts the slice's pages again, keeping its counters: with
   * follow-ups waiting, the first one's items from their first page;
   * otherwise the listing from its first page. */
  int (*slice_restart)(struct store *st, const struct slice *sl, const char *why, struct err *err);
  /* Fenced: releases the lease, status back to pending, cursor kept. */
  int (*slice_release)(struct store *st, const struct slice *sl, struct err *err);
  int (*slice_list)(struct store *st, const struct slice_filter *f, slice_cb cb, void *ctx,
                    struct err *err);

  /* One transaction: upsert every record of the page into the stream's
   * table (an older copy never replaces a newer one), write the slice's new
   * cursor, counters and status, fenced by sl->lease_token (MS_ELEASE,
   * nothing written, if it moved). Records marked `follow` join the slice's
   * follow-ups unless stored unchanged with their items; an items page
   * (pg->items_of, which MUST be the first follow-up) moves that follow-up's
   * cursor on, or takes it off the list at its last page. The slice is
   * completed when its listing is done (a listing page without next cursor)
   * and no follow-up waits.
   * A record over the STORE_* limits, or that a constraint refuses, goes
   * to failed_records with the reason in the same transaction (counted in
   * counts->failed) and the others commit; an items page is still refused
   * whole. On success sl is updated to match what was stored. */
  int (*commit_page)(struct store *st, struct slice *sl, const struct page *pg, int64_t now,
                     struct page_counts *counts, struct err *err);

  int (*run_start)(struct store *st, struct run_row *r, struct err *err); /* sets r->id */
  int (*run_update)(struct store *st, const struct run_row *r, struct err *err);
  int (*run_list)(struct store *st, int limit, run_cb cb, void *ctx, struct err *err);

  int (*orders_each)(struct store *st, const struct order_filter *f, order_cb cb, void *ctx,
                     struct err *err);
  /* Orders of the source created in [from, to) that have no items
   * (zero_prices 0) or an item whose price is missing or zero and not
   * estimated (zero_prices 1), oldest first. */
  int (*orders_needing_items)(struct store *st, int64_t source_id, int64_t from, int64_t to,
                              int zero_prices, order_ref_cb cb, void *ctx, struct err *err);
  /* Creates the slice, or resets it, as pending with its listing done and
   * `follow` (a JSON array of record ids) waiting for follow-ups: a work
   * list the engine then drives like any day. */
  int (*slice_seed)(struct store *st, int64_t source_id, const char *stream, struct civil_date day,
                    const char *follow, struct err *err);
  /* Items of orders created in [from, to) whose price is missing or zero and
   * not estimated. */
  int (*items_unpriced)(struct store *st, int64_t source_id, int64_t from, int64_t to,
                        int64_t *count, struct err *err);
  /* Prices each of those items from the latest real price known for its SKU
   * in this source (unit price times quantity), marked estimated, in one
   * transaction. *estimated: how many were priced. */
  int (*items_estimate)(struct store *st, int64_t source_id, int64_t from, int64_t to,
                        int64_t *estimated, struct err *err);
  /* Open (unresolved) failed records, oldest first; source_id 0: all. The
   * row is valid during the call; the callback MUST NOT write. */
  int (*failed_list)(struct store *st, int64_t source_id, failed_cb cb, void *ctx, struct err *err);
  /* One failed record by id, open or not; MS_ENOTFOUND when there is none. */
  int (*failed_get)(struct store *st, int64_t id, struct failed_row *out, struct err *err);
  /* Stores r (parsed again from the failed record's raw JSON) into the
   * failed record's stream like any page's record (an older copy never
   * replaces a newer one) and marks the failed record resolved, in one
   * transaction. MS_EINVAL with the reason when r is still refused
   * (nothing written; see failed_again). */
  int (*failed_resolve)(struct store *st, int64_t id, const struct record *r, int64_t now,
                        struct err *err);
  /* A retry failed again: attempts + 1, the new error, last_failed_at. */
  int (*failed_again)(struct store *st, int64_t id, const char *error, int64_t now,
                      struct err *err);
  /* Items of one order as a JSON array text (caller frees). */
  int (*order_items_json)(struct store *st, int64_t source_id, const char *order_id, char **out,
                          struct err *err);
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
