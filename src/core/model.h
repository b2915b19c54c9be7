/* The data that flows between connectors, the engine and the store. */
#ifndef MS_CORE_MODEL_H
#define MS_CORE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "util/tz.h"

#define MS_NAME_MAX 64
#define MS_STREAM_MAX 32

/* Money: exact decimal text as the API sent it, plus integer minor units. */
struct money {
  char amount[32];  /* "199.00"; empty when the API sent none */
  int64_t minor;    /* 19900; 0 when amount is empty */
  char currency[4]; /* ISO 4217, "" when unknown */
};

/* One line of an order (Shopify line item, Amazon order item). */
struct record_item {
  char *external_id;  /* the API's id for the line */
  char *sku;          /* MAY be NULL */
  char *title;        /* MAY be NULL */
  int64_t quantity;   /* units ordered */
  struct money price; /* as the API gives it (Shopify: unit price) */
  int price_missing;  /* the API sent no price (e.g. Amazon Pending) */
  char *raw;          /* the item's JSON; MAY be NULL when the record's raw holds it */
  size_t raw_len;
};

/* One record of a stream, already reduced to the columns we index. */
struct record {
  char *external_id;        /* the API's id, as text */
  char *name;               /* human label such as "#1001"; MAY be NULL */
  int64_t created_at;       /* UTC seconds */
  int64_t updated_at;       /* UTC seconds; orders the copies of a record */
  char *status;             /* overall status; MAY be NULL */
  char *financial_status;   /* MAY be NULL */
  char *fulfillment_status; /* MAY be NULL */
  struct money total;       /* order total */
  char *raw;                /* the record's JSON exactly as the API sent it */
  size_t raw_len;
  struct record_item *items; /* MAY be NULL when the stream has none */
  size_t nitems;
  int items_included; /* 1: items above are the complete set */
  int follow;         /* its items come by follow-up requests: queue it, unless it is
                         stored unchanged with its items already */
  char *unreadable;   /* why the connector could not read it; raw holds its bytes */
};

/* One parsed page: records plus where to go next. An items page instead
 * carries the lines of one record stored earlier in the same slice, fetched
 * as a follow-up (Amazon's getOrderItems); its recs are then empty and its
 * next_cursor is the next page of that record's lines (NULL: the last). */
struct page {
  struct record *recs; /* owned */
  size_t n;
  size_t cap;
  char *next_cursor;         /* NULL: this was the last page of the slice */
  size_t bytes;              /* size of the body the page came from */
  char *items_of;            /* items page: the record's external id; else NULL */
  int items_first;           /* items page: the first of its lines, replacing stored ones */
  struct record_item *items; /* items page: owned */
  size_t nitems;
};

void page_init(struct page *pg);
void page_release(struct page *pg);
/* Appends a zeroed record and returns it, or NULL when out of memory. */
struct record *page_add(struct page *pg);
void record_release(struct record *r);
void record_item_release(struct record_item *it);
/* Marks a record the connector could not read: keeps its bytes and the
 * reason (and its id, when known) so the store can set it aside. */
int record_set_unreadable(struct record *r, const char *raw, size_t len, const char *why);

enum slice_status {
  SLICE_PENDING = 0,
  SLICE_IN_PROGRESS = 1,
  SLICE_COMPLETED = 2,
  SLICE_FAILED = 3,
};

const char *slice_status_name(enum slice_status s);
int slice_status_parse(const char *s, enum slice_status *out);

/* The unit of progress: one day of one stream of one source. */
struct slice {
  int64_t source_id;
  char stream[MS_STREAM_MAX];
  struct civil_date day;
  enum slice_status status;
  char *cursor;        /* opaque next-page cursor; NULL: from the start (or, when
                          listed, no more listing pages) */
  int listed;          /* the listing is done: only follow-ups may remain */
  char *follow;        /* JSON array of the ids of records whose items are still to
                          be fetched by follow-up requests, oldest first; MAY be NULL */
  char *follow_cursor; /* next items page of the first of them; NULL: its first */
  int64_t pages;       /* pages committed */
  int64_t records;     /* records received (inserted+updated+unchanged) */
  int64_t inserted;
  int64_t updated;
  int64_t unchanged;
  int64_t failed;                /* records that could not be stored (failed_records) */
  int64_t retries;               /* failed attempts since the last success */
  char *last_error;              /* MAY be NULL */
  int64_t started_at;            /* first claim, UTC seconds; 0 if never */
  int64_t updated_at;            /* last change */
  int64_t completed_at;          /* 0 unless completed */
  char lease_owner[MS_NAME_MAX]; /* worker id holding the lease, "" if none */
  int64_t lease_token;           /* fencing token; bumped by every claim */
  int64_t lease_expires;         /* UTC seconds */
  int64_t range_start;           /* UTC bounds of the day in the source's zone */
  int64_t range_end;             /* exclusive */
};

void slice_release(struct slice *sl);
/* The first id waiting for a follow-up, copied into out (NUL-terminated);
 * MS_ENOTFOUND when none waits, MS_ECURSOR when the list is unreadable. */
int slice_follow_head(const struct slice *sl, char *out, size_t n);
/* What the store's slice_restart does, on the copy in memory: with
 * follow-ups waiting, the first one's items start again, otherwise the
 * listing does. */
void slice_restart_local(struct slice *sl);

/* Per-page outcome of a commit. */
struct page_counts {
  int64_t inserted;
  int64_t updated;
  int64_t unchanged;
  int64_t items;
  int64_t failed; /* records kept in failed_records instead of their table */
};

/* Money helpers. */
/* Parses "199.00" (or "199", "-5.5") into minor units for the currency's
 * exponent (2 by default, 0 for JPY and the like, 3 for BHD and the like). */
int money_set(struct money *m, const char *amount, const char *currency);
int currency_exponent(const char *currency);

#endif
