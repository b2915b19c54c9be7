/* Filtering and keyset paging of a shop's lists (orders, products,
 * customers, inventory levels, events), and the opaque page_info cursor that
 * carries the list, its filters, its sort order, the last key and the
 * direction. */
#ifndef MS_SANDBOX_QUERY_H
#define MS_SANDBOX_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/gen.h"
#include "sandbox/params.h"
#include "util/buf.h"

#define SB_LIMIT_DEFAULT 50
#define SB_LIMIT_MAX 250
#define SB_IDS_MAX 250         /* ids=... entries */
#define SB_LEVEL_IDS_MAX 50    /* inventory_item_ids=... and location_ids=... entries */
#define SB_TEXT_FILTER_MAX 200 /* bytes of title, vendor, product_type, handle */
#define SB_VERB_MAX 32         /* bytes of an event verb */
#define SB_PAGE_INFO_MAX 4096  /* characters of a page_info token */

enum sb_resource {
  SB_RES_ORDERS,
  SB_RES_PRODUCTS,
  SB_RES_CUSTOMERS,
  SB_RES_LEVELS, /* inventory_levels */
  SB_RES_EVENTS,
  SB_RES_COUNT
};

/* What a list is sorted by, then by id. Levels sort by (inventory_item_id,
 * location_id). */
enum sb_sort_field { SB_SORT_ID, SB_SORT_CREATED, SB_SORT_UPDATED, SB_SORT_LEVEL };

enum sb_status_filter { SB_ST_OPEN, SB_ST_CLOSED, SB_ST_CANCELLED, SB_ST_ANY };

enum sb_fin_filter {
  SB_FF_ANY = 0,
  SB_FF_UNPAID = 100,         /* pending, authorized (and partially_paid) */
  SB_FF_PARTIALLY_PAID = 101, /* never generated: matches nothing */
  /* 1 + enum sb_financial for one exact status */
};

enum sb_ful_filter {
  SB_UF_ANY,
  SB_UF_SHIPPED,    /* fulfilled */
  SB_UF_PARTIAL,    /* partially fulfilled */
  SB_UF_UNSHIPPED,  /* nothing fulfilled */
  SB_UF_UNFULFILLED /* unshipped or partial */
};

enum sb_published_filter { SB_PUB_ANY, SB_PUB_PUBLISHED, SB_PUB_UNPUBLISHED };

/* The filters and sort order of one list request; which members apply
 * depends on the resource. */
struct sb_filter {
  uint8_t resource;                          /* enum sb_resource */
  uint8_t sort;                              /* enum sb_sort_field */
  uint8_t desc;                              /* descending */
  uint8_t status;                            /* orders: enum sb_status_filter */
  uint8_t financial;                         /* orders: enum sb_fin_filter */
  uint8_t fulfillment;                       /* orders: enum sb_ful_filter */
  uint8_t pstatus;                           /* products: bit per sb_product_status; 0 any */
  uint8_t published;                         /* products: enum sb_published_filter */
  uint8_t subjects;                          /* events: bit per enum sb_subject; 0 any */
  int64_t created_min;                       /* inclusive; INT64_MIN when absent */
  int64_t created_max;                       /* inclusive; INT64_MAX when absent */
  int64_t updated_min;                       /* inclusive */
  int64_t updated_max;                       /* inclusive */
  int64_t processed_min;                     /* orders, inclusive; processed_at == created_at */
  int64_t processed_max;                     /* inclusive */
  int64_t published_min;                     /* products, inclusive */
  int64_t published_max;                     /* inclusive */
  uint64_t since_id;                         /* id > since_id; 0 when absent */
  uint16_t nids;                             /* entries in ids; 0: no ids filter */
  uint64_t ids[SB_IDS_MAX];                  /* ids=..., sorted ascending */
  uint16_t nitems;                           /* levels: entries in items */
  uint64_t items[SB_LEVEL_IDS_MAX];          /* levels: inventory_item_ids, sorted */
  uint16_t nlocs;                            /* levels: entries in locs */
  uint64_t locs[SB_LEVEL_IDS_MAX];           /* levels: location_ids, sorted */
  char title[SB_TEXT_FILTER_MAX + 1];        /* products: exact, ASCII case-insensitive */
  char vendor[SB_TEXT_FILTER_MAX + 1];       /* products: exact, ASCII case-insensitive */
  char product_type[SB_TEXT_FILTER_MAX + 1]; /* products: exact, ASCII case-insensitive */
  char handles[SB_TEXT_FILTER_MAX + 1];      /* products: comma list of exact handles */
  char verb[SB_VERB_MAX + 1];                /* events: exact verb, "" any */
};

enum sb_dir { SB_DIR_NEXT = 0, SB_DIR_PREV = 1 };

struct sb_cursor {
  uint8_t dir;        /* enum sb_dir */
  int64_t key_time;   /* sort value of the key record (created_at, updated_at; levels:
                         inventory_item_id; 0 for id order) */
  uint64_t key_id;    /* id of the key record (levels: location_id) */
  struct sb_filter f; /* the list, its filters and sort of the first request */
};

/* A record's place in its list's sort order. */
struct sb_key {
  int64_t t;   /* the sort field's value (0 for id order) */
  uint64_t id; /* then the id */
};

/* A record selected for a page: its position in the shop's array (levels:
 * (product position * SB_MAX_VARIANTS + variant) * SB_MAX_LOCATIONS +
 * location) and its key. */
struct sb_hit {
  size_t pos;        /* where it is */
  struct sb_key key; /* its key */
};

/* Orders' defaults: status open, created_at DESC. */
void sb_filter_init(struct sb_filter *f);
/* Defaults of a list: orders as above; products and customers id ASC;
 * events id DESC; levels (inventory_item_id, location_id) ASC. */
void sb_filter_init_for(struct sb_filter *f, int resource);
/* Reads the orders.json filters (status, dates, since_id, ids,
 * financial_status, fulfillment_status, order) from p. On a bad value returns
 * MS_EINVAL and puts an {"errors":{...}} body in err_body. */
int sb_filter_parse(const struct sb_params *p, struct sb_filter *f, struct buf *err_body);
/* The same for any list. For levels, a missing id list is not an error here
 * (the caller answers 422); a list over 50 ids is MS_ETOOBIG. */
int sb_filter_parse_for(const struct sb_params *p, int resource, struct sb_filter *f,
                        struct buf *err_body);
int sb_filter_match(const struct sb_filter *f, const struct sb_order *o);

/* Reads `limit`: default 50, 1..250, else MS_EINVAL with an errors body. */
int sb_limit_parse(const struct sb_params *p, int *limit, struct buf *err_body);

/* base64url token; `secret` makes tokens of another sandbox seed fail. */
int sb_cursor_encode(const struct sb_cursor *c, uint64_t secret, struct buf *out);
int sb_cursor_decode(const char *token, uint64_t secret, struct sb_cursor *out);

struct sb_page_result {
  size_t n;     /* entries written to out */
  int has_prev; /* matches exist before the first entry */
  int has_next; /* matches exist after the last entry */
};

/* One page of orders over arr[0..n) (sorted by id == by created_at).
 * cur NULL: the first page. Copies up to limit entries to out. */
void sb_query_page(const struct sb_order *arr, size_t n, const struct sb_filter *f,
                   const struct sb_cursor *cur, size_t limit, struct sb_order *out,
                   struct sb_page_result *res);
size_t sb_query_count(const struct sb_order *arr, size_t n, const struct sb_filter *f);

/* One page of any list of the shop (f->resource): up to limit hits in list
 * order. Runs under the sandbox's lock; hits MUST hold limit entries. */
void sb_list_page(const struct sb_shop *s, const struct sb_filter *f, const struct sb_cursor *cur,
                  size_t limit, struct sb_hit *hits, struct sb_page_result *res);
/* How many records of the shop's list match f. */
size_t sb_list_count(const struct sb_shop *s, const struct sb_filter *f);

#endif
