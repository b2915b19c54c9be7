/* The data that flows between connectors, the engine and the store. */
#ifndef MS_CORE_MODEL_H
#define MS_CORE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/stream.h"
#include "util/tz.h"

#define MS_NAME_MAX 64
#define MS_STREAM_MAX 48 /* a stream's name, with room for STREAM_NAME_MAX */
#define MS_KEY_MAX 32    /* a slice's key: "2026-11-25", "modified", "refetch:2026-11-25" */

/* Money: exact decimal text as the API sent it, plus integer minor units. */
struct money {
  char amount[32];  /* "199.00"; empty when the API sent none */
  int64_t minor;    /* 19900; 0 when amount is empty */
  char currency[4]; /* ISO 4217, "" when unknown */
};

/* The records of one child stream of a record (an order's line items). */
struct record_set {
  const struct stream_def *def; /* the child stream */
  struct record *recs;          /* owned */
  size_t n;
  size_t cap;
};

/* One record of a stream: its identity and times, its columns' values (as
 * its stream_def lists them), its children, and its JSON exactly as the API
 * sent it. */
struct record {
  char *external_id;  /* the API's id, as text */
  int64_t created_at; /* UTC seconds; 0 when the stream has none */
  int64_t updated_at; /* UTC seconds; orders the copies of a record */
  char *raw;          /* the record's JSON as the API sent it */
  size_t raw_len;
  struct value *vals; /* one per column of the stream, in its order; MAY be NULL */
  size_t nvals;
  char *texts; /* the values' texts in one block, as record_read() keeps them: vals[].text
                  point into it and are not freed one by one; NULL: each text is owned */
  struct record_set *kids; /* one per child stream read with it; owned */
  size_t nkids;
  int follow; /* its children come by follow-up requests: queue it, unless it
                 is stored unchanged with children already */
  const struct stream_def *gone_from; /* a deletion (STREAM_DELETIONS): the record of that
                                         stream whose id is gone_id is gone; else NULL */
  char *gone_id;                      /* a deletion: the id of the record that is gone; owned */
  int64_t gone_at;                    /* a deletion: when it happened, UTC seconds */
  char *unreadable;                   /* why it could not be read; raw holds its bytes */
};

/* One parsed page: records of one stream plus where to go next. A
 * follow-up page instead carries the children of one record stored earlier
 * in the same slice (Amazon's getOrderItems): its recs are of the child
 * stream, children_of names the parent, and next_cursor is the next page of
 * that parent's children (NULL: the last). */
struct page {
  const struct stream_def *def; /* the stream of recs */
  struct record *recs;          /* owned */
  size_t n;
  size_t cap;
  char *next_cursor;   /* NULL: this was the last page of the listing (or of the
                          parent's children) */
  size_t bytes;        /* size of the body the page came from */
  char *children_of;   /* follow-up page: the parent's external id; else NULL */
  int children_first;  /* follow-up page: the first of them, replacing stored ones */
  int64_t server_time; /* how far the pass reaches: the connector's own bound (an
                          API that lists up to a time it chose), else the API's
                          clock (its Date header) when it answered; 0 unknown */
};

void page_init(struct page *pg, const struct stream_def *def);
void page_release(struct page *pg);
/* Appends a zeroed record and returns it, or NULL when out of memory. */
struct record *page_add(struct page *pg);
void record_release(struct record *r);
/* The child set of that stream in r, added when missing; NULL when out of
 * memory. */
struct record_set *record_kids(struct record *r, const struct stream_def *child);
/* Appends a zeroed record to the set, or NULL when out of memory. */
struct record *record_set_add(struct record_set *set);
/* Makes room for n more records in one allocation (a list of known size). */
int record_set_reserve(struct record_set *set, size_t n);
/* Marks a record that could not be read: keeps its bytes and the reason (and
 * its id, when known) so the store can set it aside. */
int record_set_unreadable(struct record *r, const char *raw, size_t len, const char *why);
/* The value of the named column of r (as def lists it), or NULL. */
const struct value *record_value(const struct record *r, const struct stream_def *def,
                                 const char *column);

enum slice_status {
  SLICE_PENDING = 0,
  SLICE_IN_PROGRESS = 1,
  SLICE_COMPLETED = 2,
  SLICE_FAILED = 3,
};

const char *slice_status_name(enum slice_status s);
int slice_status_parse(const char *s, enum slice_status *out);

/* What a slice covers. */
enum slice_kind {
  SLICE_DAY = 1,  /* the records created on one day in the source's zone */
  SLICE_WINDOW,   /* the records updated since the stream's watermark (less an overlap) */
  SLICE_SNAPSHOT, /* the whole list; what it no longer holds is marked deleted */
  SLICE_REFETCH,  /* records of one day fetched again by their ids (`incomplete`):
                     the ids in the cursor (JSON array), children in follow */
};

const char *slice_kind_name(enum slice_kind k);
int slice_kind_parse(const char *s, enum slice_kind *out);
/* The key of a slice: "YYYY-MM-DD" (day), "modified" (window), "snapshot",
 * "refetch:YYYY-MM-DD". */
void slice_key_make(enum slice_kind kind, struct civil_date day, char out[MS_KEY_MAX]);
/* Reads a key back into kind and day (day is 0000-00-00 for window and
 * snapshot); MS_EINVAL when it is not one. */
int slice_key_parse(const char *key, enum slice_kind *kind, struct civil_date *day);

/* The unit of progress: one day, window or snapshot of one stream of one
 * source. */
struct slice {
  int64_t source_id;
  char stream[MS_STREAM_MAX];
  char key[MS_KEY_MAX];  /* see slice_key_make */
  enum slice_kind kind;  /* from the key */
  struct civil_date day; /* SLICE_DAY and SLICE_REFETCH: the day */
  enum slice_status status;
  char *cursor;        /* opaque next-page cursor; NULL: from the start (or, when
                          listed, no more listing pages) */
  int listed;          /* the listing is done: only follow-ups may remain */
  char *follow;        /* JSON array of the ids of records whose children are still to
                          be fetched by follow-up requests, oldest first; MAY be NULL */
  char *follow_cursor; /* next page of the first one's children; NULL: its first */
  int64_t watermark;   /* SLICE_WINDOW: every record updated before it (the API's
                          time) is stored; 0: none yet */
  int64_t pass_start;  /* SLICE_WINDOW: the API's time when this pass began (the cap of
                          the watermark); 0 until its first page */
  int64_t pages;       /* pages committed */
  int64_t records;     /* records received (inserted+updated+unchanged) */
  int64_t inserted;
  int64_t updated;
  int64_t unchanged;
  int64_t deleted;               /* records marked deleted */
  int64_t failed;                /* records that could not be stored (failed_records) */
  int64_t retries;               /* failed attempts since the last success */
  char *last_error;              /* MAY be NULL */
  int64_t started_at;            /* first claim of this pass, UTC seconds; 0 if never */
  int64_t updated_at;            /* last change */
  int64_t completed_at;          /* 0 unless completed */
  char lease_owner[MS_NAME_MAX]; /* worker id holding the lease, "" if none */
  int64_t lease_token;           /* fencing token; bumped by every claim */
  int64_t lease_expires;         /* UTC seconds */
  int64_t range_start;           /* UTC: a day's bounds in the source's zone, or a window's
                                    start (watermark less the overlap) */
  int64_t range_end;             /* exclusive; 0 for an open window */
};

void slice_release(struct slice *sl);
/* The first id waiting for a follow-up, copied into out (NUL-terminated);
 * MS_ENOTFOUND when none waits, MS_ECURSOR when the list is unreadable. */
int slice_follow_head(const struct slice *sl, char *out, size_t n);
/* The stream whose request comes next for a slice of def: its follow-up
 * child's while a record waits for its children, else def itself. */
const struct stream_def *slice_stream(const struct stream_def *def, const struct slice *sl);
/* What the store's slice_restart does, on the copy in memory: with
 * follow-ups waiting, the first one's items start again, otherwise the
 * listing does. */
void slice_restart_local(struct slice *sl);

/* Per-page outcome of a commit. */
struct page_counts {
  int64_t inserted;  /* top-level records new to the store */
  int64_t updated;   /* stored before, now replaced by a newer copy */
  int64_t unchanged; /* stored before, this copy no newer */
  int64_t deleted;   /* records marked deleted (deletions, snapshots, cascades) */
  int64_t children;  /* child records written */
  int64_t failed;    /* records kept in failed_records instead of their table */
};

/* Money helpers. */
/* Writes minor units as decimal text with the currency's exponent:
 * 19900 USD -> "199.00", 1500 JPY -> "1500", 1234 BHD -> "1.234". */
void money_format(int64_t minor, const char *currency, char *out, size_t n);
/* Parses "199.00" (or "199", "-5.5") into minor units for the currency's
 * exponent (2 by default, 0 for JPY and the like, 3 for BHD and the like). */
int money_set(struct money *m, const char *amount, const char *currency);
int currency_exponent(const char *currency);

#endif
