/* Filtering and keyset paging of a shop's orders, and the opaque page_info
 * cursor that carries the filters, the last key and the direction. */
#ifndef MS_SANDBOX_QUERY_H
#define MS_SANDBOX_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/gen.h"
#include "sandbox/params.h"
#include "util/buf.h"

#define SB_LIMIT_DEFAULT 50
#define SB_LIMIT_MAX 250
#define SB_IDS_MAX 250        /* ids=... entries */
#define SB_PAGE_INFO_MAX 4096 /* characters of a page_info token */

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

struct sb_filter {
  uint8_t status;           /* enum sb_status_filter */
  uint8_t financial;        /* enum sb_fin_filter */
  uint8_t fulfillment;      /* enum sb_ful_filter */
  uint8_t ascending;        /* since_id given: id ascending */
  int64_t created_min;      /* inclusive; INT64_MIN when absent */
  int64_t created_max;      /* inclusive; INT64_MAX when absent */
  int64_t updated_min;      /* inclusive */
  int64_t updated_max;      /* inclusive */
  int64_t processed_min;    /* inclusive; processed_at == created_at */
  int64_t processed_max;    /* inclusive */
  uint64_t since_id;        /* id > since_id; 0 when absent */
  uint16_t nids;            /* entries in ids; 0: no ids filter */
  uint64_t ids[SB_IDS_MAX]; /* ids=..., sorted ascending */
};

enum sb_dir { SB_DIR_NEXT = 0, SB_DIR_PREV = 1 };

struct sb_cursor {
  uint8_t dir;         /* enum sb_dir */
  int64_t key_created; /* created_at of the key order */
  uint64_t key_id;     /* id of the key order */
  struct sb_filter f;  /* the filters of the first request */
};

void sb_filter_init(struct sb_filter *f);
/* Reads the list filters (status, dates, since_id, ids, financial_status,
 * fulfillment_status) from p. On a bad value returns MS_EINVAL and appends an
 * {"errors":{...}} body to err_body. */
int sb_filter_parse(const struct sb_params *p, struct sb_filter *f, struct buf *err_body);
int sb_filter_match(const struct sb_filter *f, const struct sb_order *o);

/* Reads `limit`: default 50, 1..250, else MS_EINVAL with an errors body. */
int sb_limit_parse(const struct sb_params *p, int *limit, struct buf *err_body);

/* base64url token; `secret` makes tokens of another sandbox seed fail. */
int sb_cursor_encode(const struct sb_cursor *c, uint64_t secret, struct buf *out);
int sb_cursor_decode(const char *token, uint64_t secret, struct sb_cursor *out);

/* One page of orders over arr[0..n) (sorted by id == by created_at).
 * cur NULL: the first page. Copies up to limit entries to out. */
struct sb_page_result {
  size_t n;     /* entries written to out */
  int has_prev; /* matches exist before the first entry */
  int has_next; /* matches exist after the last entry */
};

void sb_query_page(const struct sb_order *arr, size_t n, const struct sb_filter *f,
                   const struct sb_cursor *cur, size_t limit, struct sb_order *out,
                   struct sb_page_result *res);
size_t sb_query_count(const struct sb_order *arr, size_t n, const struct sb_filter *f);

#endif
