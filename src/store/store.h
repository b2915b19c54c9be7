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

#include "engine/model.h"
#include "util/err.h"

/* A configured connection to one API. Secrets are never stored here in
 * clear: `credentials` holds only where to find them (env var, file). */
struct source_row {
  int64_t id;
  char name[MS_NAME_MAX];      /* unique, chosen by the user */
  char connector[MS_NAME_MAX]; /* "shopify" */
  char *settings;              /* JSON object: shop, api_base, timezone, ... */
  char *credentials;           /* JSON object: {"token_env":"VAR"} etc. */
  int64_t created_at;
  int64_t last_sync_at; /* 0 if never */
  char *last_error;     /* MAY be NULL */
};

void source_row_release(struct source_row *s);

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

typedef int (*source_cb)(void *ctx, const struct source_row *s);
typedef int (*slice_cb)(void *ctx, const struct slice *sl);
typedef int (*order_cb)(void *ctx, const struct order_view *o);
typedef int (*run_cb)(void *ctx, const struct run_row *r);
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
   * lease_token. MS_EBUSY when another owner's lease has not expired.
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
  /* Fenced: drops the cursor (restart from the first page), keeps counters. */
  int (*slice_restart)(struct store *st, const struct slice *sl, const char *why, struct err *err);
  /* Fenced: releases the lease, status back to pending, cursor kept. */
  int (*slice_release)(struct store *st, const struct slice *sl, struct err *err);
  int (*slice_list)(struct store *st, const struct slice_filter *f, slice_cb cb, void *ctx,
                    struct err *err);

  /* One transaction: upsert every record of the page into the stream's
   * table (an older copy never replaces a newer one), write the slice's new
   * cursor, counters and status (completed when pg->next_cursor is NULL),
   * fenced by sl->lease_token (MS_ELEASE, nothing written, if it moved).
   * On success sl is updated to match what was stored. */
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
  /* Creates the slice, or resets it, as pending with this cursor: a work
   * list the engine then drives like any day. */
  int (*slice_seed)(struct store *st, int64_t source_id, const char *stream, struct civil_date day,
                    const char *cursor, struct err *err);
  /* Items of orders created in [from, to) whose price is missing or zero and
   * not estimated. */
  int (*items_unpriced)(struct store *st, int64_t source_id, int64_t from, int64_t to,
                        int64_t *count, struct err *err);
  /* Prices each of those items from the latest real price known for its SKU
   * in this source (unit price times quantity), marked estimated, in one
   * transaction. *estimated: how many were priced. */
  int (*items_estimate)(struct store *st, int64_t source_id, int64_t from, int64_t to,
                        int64_t *estimated, struct err *err);
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
