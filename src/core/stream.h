/* Streams: each kind of record a connector offers, described once.
 *
 * A stream_def says where its records are kept (a table, typed columns),
 * how each column is read from a record's JSON, what identifies a record and
 * what orders its versions, which streams are its children (line items,
 * variants, refunds: stored in the parent's transaction), and how the work
 * is cut into slices (by day of creation, by update-time window, or as a
 * whole snapshot). The store creates and upserts tables from it; the engine
 * drives slices by it; core/record.c reads records with it. Connectors hold
 * their streams as static tables (the rest connector builds them from its
 * specs).
 */
#ifndef MS_CORE_STREAM_H
#define MS_CORE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "net/http.h"
#include "util/err.h"

struct slice;
struct page;
struct record;

#define STREAM_NAME_MAX 48 /* bytes of a stream, table or column name */
#define STREAM_COLUMNS_MAX 64
#define STREAM_CHILDREN_MAX 8
#define STREAM_PATH_MAX 128 /* bytes of a path */

enum col_type {
  COL_TEXT = 1, /* text: a JSON string (a number or boolean is written as text) */
  COL_INT,      /* a whole number (a JSON number or a numeric string) */
  COL_BOOL,     /* 0 or 1 (true/false, "true"/"false", 0/1) */
  COL_TIME,     /* an instant, stored as UTC seconds (see time formats below) */
  COL_DATE,     /* a calendar day, stored as "YYYY-MM-DD" text */
  COL_MONEY,    /* exact decimal text as sent, plus whole minor units in `minor` */
  COL_DECIMAL,  /* exact decimal text without a currency (a rate, a count of units) */
  COL_JSON,     /* any JSON value, kept as compact text */
};

enum col_flags {
  COL_STATUS = 1 << 0,   /* a status: a change of it is an event (order.status_changed) */
  COL_REQUIRED = 1 << 1, /* missing (NULL) means the record is incomplete: the `incomplete`
                            mode fetches it again (Amazon totals while Pending) */
  COL_INDEX = 1 << 2,    /* the store keeps an index on it (sku, inventory_item_id) */
  COL_LOCAL = 1 << 3,    /* kept by marketsync, never read from the record
                            (price_estimated); an update leaves it alone */
};

/* A value read from a record for one column. */
struct value {
  int set;    /* 0: NULL */
  int64_t i;  /* INT, BOOL, TIME; MONEY: the minor units */
  char *text; /* TEXT, DATE, DECIMAL, JSON; MONEY: the amount as sent; owned, unless
                 its record keeps its texts in one block (record.texts) */
};

/* A column of a stream's table.
 *
 * A path names a member of the record's JSON: "total_price", "customer.id",
 * "OrderTotal.Amount", "transactions.0.amount" (a number is an index into a
 * list). A path starting with "^" is read from the parent record (a line
 * item's currency is its order's). */
struct column_def {
  const char *name;     /* SQL name: [a-z][a-z0-9_]*, at most STREAM_NAME_MAX - 8 bytes */
  enum col_type type;   /* how it is read and stored */
  const char *path;     /* where it is read; NULL for COL_LOCAL or when `read` computes it */
  const char *currency; /* COL_MONEY: path of the currency code; NULL: two decimals */
  const char *minor;    /* COL_MONEY: the column of the minor units; NULL: NAME_minor */
  const char *format;   /* COL_TIME and COL_DATE: NULL for ISO 8601, else a pattern of
                           yyyy mm dd HH MM SS and literal characters ("dd.mm.yyyy HH:MM:SS");
                           a time without an offset is in the source's zone */
  int flags;            /* enum col_flags */
  /* Computes the value from the record (and its parent, MAY be NULL) when
   * no path can say it (Shopify's order status from cancelled_at and
   * closed_at). Returns MS_OK, or MS_EPROTO when the record is unreadable.
   * MAY be NULL. */
  int (*read)(const void *json, const void *parent_json, struct value *out);
};

/* A column by name, type and path, any further members designated:
 *   COLUMN("total_price", COL_MONEY, "total_price", .minor = "total_minor") */
#define COLUMN(n, t, p, ...)                                                                       \
  { .name = (n), .type = (t), .path = (p), __VA_ARGS__ }

/* How a stream's work is cut into slices. */
enum slicing {
  SLICING_BY_DAY = 1, /* a slice per day of creation in the source's zone (orders); with
                         STREAM_MODIFIED also read by update time (mode `modified`) */
  SLICING_BY_UPDATES, /* one window from the watermark on, in update order (customers) */
  SLICING_SNAPSHOT,   /* the whole list each time; what it no longer holds is deleted */
};

enum stream_flags {
  STREAM_MODIFIED = 1 << 0,  /* a day-sliced stream the API can also list by update time */
  STREAM_EVENTS = 1 << 1,    /* its records make events (order.created, ...) */
  STREAM_DELETIONS = 1 << 2, /* its records are deletions of other streams' records
                                (Shopify destroy events): see record.gone */
  STREAM_FOLLOW = 1 << 3,    /* a child fetched by follow-up requests, one parent at a time
                                (Amazon's order items), not read from the parent's JSON */
  STREAM_REQUIRED = 1 << 4,  /* a child every parent must have: a parent without any is
                                incomplete (an order without items) */
  STREAM_REFETCH = 1 << 5,   /* records can be fetched again by their ids (page_request on a
                                SLICE_REFETCH slice): the `incomplete` mode uses it */
  STREAM_UNORDERED = 1 << 6, /* its update-time listing is not in update order: a window's
                                watermark moves only when the pass completes */
};

/* When a record of a stream goes (deleted), records of `target` go with it:
 * those whose `target_column` equals `column` of one of the gone record's
 * `via` children. A deleted product takes the stock levels of its variants. */
struct cascade_def {
  const struct stream_def *via;    /* a child stream of the deleted record's ("product_variants") */
  const char *column;              /* its column ("inventory_item_id") */
  const struct stream_def *target; /* the stream whose records go too ("inventory_levels") */
  const char *target_column;       /* their column ("inventory_item_id") */
};

struct stream_def {
  const char *name;                 /* "orders"; unique within its connector */
  const char *table;                /* SQL table; connectors MAY share one (orders of every shop
                                       and seller); the table has the union of their columns */
  const char *parent;               /* children: the parent stream's name; NULL at the top */
  const char *parent_key;           /* children: the column holding the parent's id */
  const char *path;                 /* children: the list in the parent's JSON ("line_items");
                                       NULL for STREAM_FOLLOW children */
  enum slicing slicing;             /* top-level streams */
  const char *key;                  /* path of the record's id; several paths joined by ',' make
                                       one id "a:b" (inventory levels: item and location) */
  const char *created;              /* path of the creation time; MAY be NULL (then 0) */
  const char *updated;              /* path of the update time, which orders versions; MAY be NULL
                                       (then the creation time) */
  const char *time_format;          /* of created and updated, as column_def.format */
  const struct column_def *columns; /* terminated by {NULL}; MAY be NULL */
  const struct stream_def *const *children; /* NULL-terminated; MAY be NULL */
  const struct cascade_def *cascades;       /* terminated by {NULL}; MAY be NULL */
  const char *endpoint;            /* the rate class of its requests (connector endpoints[]) */
  const char *scope;               /* what the credentials must allow, for messages */
  const char *aliases;             /* other names it answers to when streams are chosen, comma-
                                      separated: "purchases" for Admitad's actions and Boostiny's
                                      performance; MAY be NULL */
  int recent_days;                 /* SLICING_BY_DAY: records of its last N days (today included)
                                      keep changing without a way to list the changes (totals per
                                      day that a late return alters): `modified` and the default
                                      mode fetch those days again; 0: none */
  const char *recent_days_setting; /* the source setting (a whole number) that replaces
                                      recent_days for one source; MAY be NULL */
  const char *event; /* events its records make, in the store's commit: at the top, a prefix
                       ("order": order.created, order.status_changed with each COL_STATUS
                       change, order.deleted); for a child, the event its new records make
                       for their parent ("order.refunded"). NULL: none. Never from refetch
                       slices. */
  int flags;         /* enum stream_flags */

  /* Builds the request for the slice at its cursor (see connector.h for the
   * slice kinds). A STREAM_FOLLOW child's request fetches the items of the
   * slice's first follow-up (slice_follow_head) at sl->follow_cursor. NULL
   * for children read from their parent's JSON. MS_ENOTFOUND: nothing to
   * fetch, the slice is complete as it stands. */
  int (*page_request)(void *state, const struct stream_def *def, const struct slice *sl,
                      struct http_request *req, struct err *err);
  /* Parses an OK answer into out: records of `def` (out->def), the next
   * cursor (NULL on the last page). A STREAM_FOLLOW child's page sets
   * out->children_of. NULL where page_request is. */
  int (*parse_page)(void *state, const struct stream_def *def, const struct slice *sl,
                    const struct http_response *res, struct page *out, struct err *err);
  const void *impl; /* the connector's own data for the stream (the rest connector's spec);
                       MAY be NULL */
};

/* The stream of that name among a NULL-terminated list, or NULL. */
const struct stream_def *stream_find(const struct stream_def *const *list, const char *name);
/* Whether def is what a person means by name: its own name, one of its
 * aliases, or "all". */
int stream_answers_to(const struct stream_def *def, const char *name);
/* Whether name is a stream of the list or an alias of one of them (or
 * "all"). */
int stream_offered(const struct stream_def *const *list, const char *name);
/* The child of def that is fetched by follow-ups, or NULL. */
const struct stream_def *stream_follow_child(const struct stream_def *def);
/* The column of that name, or NULL. */
const struct column_def *stream_column(const struct stream_def *def, const char *name);
/* Checks a description the way the store and the engine rely on it: names,
 * a key, columns that do not clash with the common ones (source_id,
 * external_id, created_at, updated_at, deleted_at, raw, first_seen_at,
 * last_synced_at, line_no and the parent key), children that name their
 * parent. MS_EINVAL with a message naming the stream and the field. */
int stream_check(const struct stream_def *def, struct err *err);

#endif
