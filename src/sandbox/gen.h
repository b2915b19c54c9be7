/* The sandbox's data generator: shops, their product catalogs, customers and
 * orders, all derived deterministically from one seed.
 *
 * Only a compact index is kept per order (struct sb_order); everything else
 * (customer, addresses, line items, money) is re-derived from (seed, shop,
 * order id) whenever the order is rendered, and the few fields that change
 * over time (statuses, updated_at, closed/cancelled) live in the index. */
#ifndef MS_SANDBOX_GEN_H
#define MS_SANDBOX_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/prng.h"
#include "sandbox/zone.h"
#include "util/err.h"

#define SB_SHOP_NAME_MAX 32    /* shop names: [a-z0-9-], 1..31 chars */
#define SB_TZID_MAX 64         /* IANA zone names */
#define SB_MAX_SHOPS 64        /* shops per sandbox; bounded by the id layout */
#define SB_MAX_LINES 5         /* line items per order */
#define SB_MAX_ORDERS 20000000 /* orders per shop, generated plus created */
#define SB_MAX_DAYS 3650       /* --days */
#define SB_MAX_PER_DAY 100000  /* ORDERS_PER_DAY */

enum sb_financial {
  SB_FIN_PENDING,
  SB_FIN_AUTHORIZED,
  SB_FIN_PAID,
  SB_FIN_PARTIALLY_REFUNDED,
  SB_FIN_REFUNDED,
  SB_FIN_VOIDED,
  SB_FIN_COUNT
};

enum sb_fulfillment { SB_FUL_NONE, SB_FUL_PARTIAL, SB_FUL_FULFILLED };

enum sb_cancel_reason {
  SB_CANCEL_NONE,
  SB_CANCEL_CUSTOMER,
  SB_CANCEL_FRAUD,
  SB_CANCEL_INVENTORY,
  SB_CANCEL_DECLINED,
  SB_CANCEL_OTHER
};

/* The index entry of one order: all that is stored per order. */
struct sb_order {
  uint64_t id;           /* 13-digit order id; ascending with created_at */
  int64_t created_at;    /* UTC seconds; also processed_at */
  int64_t updated_at;    /* UTC seconds, >= created_at */
  int64_t closed_at;     /* UTC seconds; 0 while open */
  int64_t cancelled_at;  /* UTC seconds; 0 unless cancelled */
  uint32_t number;       /* order_number, from 1001 */
  uint32_t version;      /* 0 as generated, +1 per change */
  uint8_t financial;     /* enum sb_financial */
  uint8_t fulfillment;   /* enum sb_fulfillment */
  uint8_t cancel_reason; /* enum sb_cancel_reason */
};

/* Where a shop is: drives currency, addresses, names and taxes. */
struct sb_region;

struct sb_variant {
  uint64_t id;    /* variant id */
  char title[24]; /* "M / Black", or "Default Title" */
  char sku[32];   /* "ALP-0012-M-BLK" */
  int64_t price;  /* minor units */
  int grams;      /* shipping weight */
};

struct sb_product {
  uint64_t id;                   /* product id */
  char title[48];                /* "Organic Cotton T-Shirt" */
  const char *vendor;            /* static string */
  const char *product_type;      /* static string */
  int nvariants;                 /* 1..3 */
  struct sb_variant variants[3]; /* the variants */
  uint32_t weight;               /* relative popularity */
};

struct sb_shop_conf {
  char name[SB_SHOP_NAME_MAX]; /* "alpha" */
  char tzid[SB_TZID_MAX];      /* "America/New_York" */
  int orders_per_day;          /* mean orders per local day */
};

struct sb_shop {
  char name[SB_SHOP_NAME_MAX];    /* "alpha" */
  char tzid[SB_TZID_MAX];         /* IANA zone */
  int index;                      /* position among the shops, 0.. */
  uint64_t id;                    /* shop id */
  uint64_t seed;                  /* the sandbox seed */
  const struct sb_region *region; /* country, currency, taxes, names */
  struct sb_zone zone;            /* cached offsets */
  int orders_per_day;             /* as configured */
  int64_t range_start;            /* UTC: local midnight of the first day */
  int64_t created;                /* UTC: when the shop "opened" */
  struct sb_product *catalog;     /* products, read-only after init */
  size_t ncatalog;                /* entries in catalog */
  uint64_t catalog_weight;        /* sum of catalog[].weight */
  uint32_t ncustomers;            /* size of the customer pool */
  struct sb_order *orders;        /* ascending by id (== by created_at, id) */
  size_t norders;                 /* entries in orders */
  size_t cap;                     /* allocated entries */
  uint64_t next_seq;              /* sequence number of the next new order */
  uint32_t next_number;           /* order_number of the next new order */
  uint64_t mutations;             /* orders changed so far (drives choices) */
};

/* Builds a shop with its orders in [local midnight of (local date of now -
 * days), now]. index MUST be < SB_MAX_SHOPS and unique. */
int sb_shop_init(struct sb_shop *s, const struct sb_shop_conf *conf, int index, uint64_t seed,
                 int64_t now, int days, struct err *err);
void sb_shop_release(struct sb_shop *s);

/* The instants of one local day's orders, ascending, in *tmp[0..*count): one
 * at local 00:00:00, one at 23:59:59 and about per_day more (x0.75..1.25 from
 * r, weekends x1.15), drawn over the day's real length (23, 24 or 25 hours),
 * busier in the evening. *tmp grows as needed; the caller frees it. */
int sb_day_instants(struct tz *tz, struct civil_date day, struct sb_rng *r, int per_day,
                    int64_t **tmp, size_t *tmpcap, size_t *count);

/* Appends a new order created at `now` (which MUST be >= every existing
 * created_at). */
int sb_shop_create_order(struct sb_shop *s, int64_t now);
/* Changes one existing order, chosen deterministically from the number of
 * changes made so far: version+1, updated_at = max(now, updated_at+1), and
 * maybe new statuses. Returns the changed order's position, or -1 when the
 * shop has no orders. */
long sb_shop_update_one(struct sb_shop *s, int64_t now);
/* Position of the order with this id in s->orders, or -1. */
long sb_shop_find(const struct sb_shop *s, uint64_t id);

const char *sb_shop_currency(const struct sb_shop *s);
const char *sb_financial_name(int financial);
/* NULL for SB_FUL_NONE. */
const char *sb_fulfillment_name(int fulfillment);
const char *sb_cancel_reason_name(int reason);

/* ---- What rendering derives from (seed, shop, id): used by render.c. ---- */

struct sb_person {
  uint32_t index;     /* position in the shop's customer pool */
  uint64_t id;        /* customer id */
  const char *first;  /* first name */
  const char *last;   /* last name */
  char email[96];     /* "anna.mueller42@example.com" */
  char phone[24];     /* "+12125550123" */
  int64_t created_at; /* customer since */
  int marketing;      /* accepts email marketing */
  int orders_hint;    /* 0..40: shown as a tag threshold */
};

struct sb_address {
  const char *first;         /* first name */
  const char *last;          /* last name */
  char address1[64];         /* "123 Main Street" */
  const char *address2;      /* may be NULL */
  const char *city;          /* city */
  const char *province;      /* NULL where none */
  const char *province_code; /* NULL where none */
  char zip[12];              /* postal code */
  const char *country;       /* "United States" */
  const char *country_code;  /* "US" */
  char phone[24];            /* may be empty */
  const char *company;       /* may be NULL */
  double latitude;           /* approximate */
  double longitude;          /* approximate */
};

struct sb_line {
  uint64_t id;                      /* line item id */
  const struct sb_product *product; /* catalog entry */
  const struct sb_variant *variant; /* chosen variant */
  int quantity;                     /* 1..3 */
  int64_t price;                    /* unit price, minor units */
  int64_t discount;                 /* discount allocated to the line */
  int64_t tax;                      /* tax of the line */
};

struct sb_content {
  struct sb_person customer;          /* the buyer */
  struct sb_address billing;          /* billing address */
  struct sb_address shipping;         /* shipping address (often the same) */
  int nlines;                         /* 1..SB_MAX_LINES */
  struct sb_line lines[SB_MAX_LINES]; /* line items */
  int tax_rate_ppm;                   /* tax rate, parts per million */
  const char *tax_title;              /* "NY State Tax", "MwSt" */
  int taxes_included;                 /* prices include tax (EU style) */
  const char *discount_code;          /* NULL when none */
  int discount_pct;                   /* 10 for 10 %, or 0 for a fixed amount */
  int64_t discount_fixed;             /* fixed discount amount, minor units */
  const char *ship_title;             /* "Standard Shipping" */
  const char *ship_code;              /* "STANDARD" */
  int64_t ship_price;                 /* shipping price */
  int64_t ship_tax;                   /* tax on shipping */
  int64_t line_items_total;           /* sum of price * quantity */
  int64_t discounts;                  /* sum of line discounts */
  int64_t subtotal;                   /* line_items_total - discounts */
  int64_t tax;                        /* sum of line and shipping taxes */
  int64_t total;                      /* subtotal + shipping (+ tax unless included) */
  int grams;                          /* total weight */
  const char *gateway;                /* "shopify_payments" */
  const char *source_name;            /* "web", "pos", ... */
  const char *note;                   /* NULL when none */
  const char *tags;                   /* "" when none */
  const char *landing_site;           /* "/products/..." */
  const char *referring_site;         /* "https://www.google.com/" or "" */
  char browser_ip[16];                /* dotted quad */
  char token[33];                     /* 32 hex */
  char cart_token[25];                /* 24 hex */
  char confirmation[10];              /* 9 chars */
  uint64_t checkout_id;               /* checkout id */
  uint64_t location_id;               /* fulfilment location */
  char tracking[20];                  /* tracking number */
  const char *carrier;                /* "UPS" */
};

/* Derives everything that does not change over time; pure and thread-safe. */
void sb_order_content(const struct sb_shop *s, const struct sb_order *o, struct sb_content *out);

#endif
