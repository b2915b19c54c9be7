/* The sandbox's data generator: shops, their product catalogs, customers,
 * locations, inventory and orders, all derived deterministically from one
 * seed.
 *
 * Only a compact index is kept per order (struct sb_order); everything else
 * (customer, addresses, line items, money, refunds) is re-derived from (seed,
 * shop, order id) whenever the order is rendered, and the few fields that
 * change over time (statuses, updated_at, closed/cancelled, when refunds were
 * made) live in the index. Products, customers and events are few enough to
 * be kept as records (struct sb_product_rec, sb_customer, sb_event). */
#ifndef MS_SANDBOX_GEN_H
#define MS_SANDBOX_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/prng.h"
#include "sandbox/zone.h"
#include "util/err.h"

#define SB_SHOP_NAME_MAX 32       /* shop names: [a-z0-9-], 1..31 chars */
#define SB_TZID_MAX 64            /* IANA zone names */
#define SB_MAX_SHOPS 64           /* shops per sandbox; bounded by the id layout */
#define SB_MAX_LINES 5            /* line items per order */
#define SB_MAX_ORDERS 20000000    /* orders per shop, generated plus created */
#define SB_MAX_DAYS 3650          /* --days */
#define SB_MAX_PER_DAY 100000     /* ORDERS_PER_DAY */
#define SB_MAX_REFUNDS 2          /* refunds per order: a partial one, then the rest */
#define SB_MAX_LOCATIONS 4        /* locations per shop */
#define SB_MAX_VARIANTS 3         /* variants per product */
#define SB_MAX_PRODUCTS 4096      /* products per shop, generated plus created; the id layout */
#define SB_MAX_CUSTOMERS 20000000 /* customer records per shop, pool plus created */
#define SB_MAX_EVENTS 10000000    /* events per shop */

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

/* The index entry of one order: all that is stored per order (64 bytes). */
struct sb_order {
  uint64_t id;                           /* 13-digit order id; ascending with created_at */
  int64_t created_at;                    /* UTC seconds; also processed_at */
  int64_t updated_at;                    /* UTC seconds, >= created_at */
  int64_t closed_at;                     /* UTC seconds; 0 while open */
  int64_t cancelled_at;                  /* UTC seconds; 0 unless cancelled */
  uint32_t number;                       /* order_number, from 1001 */
  uint32_t version;                      /* 0 as generated, +1 per change */
  uint32_t refund_after[SB_MAX_REFUNDS]; /* seconds after created_at of each refund */
  uint8_t financial;                     /* enum sb_financial */
  uint8_t fulfillment;                   /* enum sb_fulfillment */
  uint8_t cancel_reason;                 /* enum sb_cancel_reason */
  uint8_t nrefunds;                      /* refunds made, 0..SB_MAX_REFUNDS */
  uint8_t deleted;                       /* deleted: in no list, count or answer */
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

/* A catalog entry as generated: what orders are made of. It never changes
 * (orders keep the price they were sold at); the product as the API shows it
 * now is a struct sb_product_rec. */
struct sb_product {
  uint64_t id;                   /* product id */
  char title[48];                /* "Organic Cotton T-Shirt" */
  const char *vendor;            /* static string */
  const char *product_type;      /* static string */
  int nvariants;                 /* 1..3 */
  struct sb_variant variants[3]; /* the variants */
  uint32_t weight;               /* relative popularity */
  uint8_t noun;                  /* what it is (index into the noun table) */
  uint8_t opt;                   /* how its variants differ (enum in gen.c) */
};

enum sb_product_status { SB_PS_ACTIVE, SB_PS_ARCHIVED, SB_PS_DRAFT, SB_PS_COUNT };

/* A variant as the API shows it now, with its inventory item's levels. */
struct sb_variant_rec {
  uint64_t id;                             /* variant id (as in the catalog) */
  uint64_t inventory_item_id;              /* stable per variant */
  int64_t price;                           /* current price, minor units */
  int64_t compare_at;                      /* compare_at_price; 0: null */
  int64_t created_at;                      /* UTC seconds */
  int64_t updated_at;                      /* UTC seconds */
  int64_t level_updated[SB_MAX_LOCATIONS]; /* updated_at of its level at each location */
  int32_t available[SB_MAX_LOCATIONS];     /* stock at each location (tracked products) */
  int32_t grams;                           /* weight */
  char title[24];                          /* "M / Black", or "Default Title" */
  char sku[32];                            /* "ALP-0012-M-BLK" */
};

/* A product as the API shows it now. */
struct sb_product_rec {
  uint64_t id;                                     /* product id; ascending with k */
  int64_t created_at;                              /* UTC seconds; ascending with k */
  int64_t updated_at;                              /* UTC seconds, >= its variants' */
  int64_t published_at;                            /* 0: not published */
  int64_t deleted_at;                              /* 0: live */
  uint32_t k;                                      /* position in the id layout */
  uint32_t version;                                /* changes so far */
  uint8_t status;                                  /* enum sb_product_status */
  uint8_t nvariants;                               /* 1..SB_MAX_VARIANTS */
  uint8_t tracked;                                 /* inventory tracked by Shopify */
  uint8_t opt;                                     /* how its variants differ */
  uint8_t noun;                                    /* what it is */
  uint8_t tags;                                    /* which tag set */
  const char *vendor;                              /* static string */
  const char *product_type;                        /* static string */
  char title[64];                                  /* current title */
  char handle[80];                                 /* unique, kept when the title changes */
  struct sb_variant_rec variants[SB_MAX_VARIANTS]; /* the variants */
};

enum sb_customer_state { SB_CS_DISABLED, SB_CS_INVITED, SB_CS_ENABLED, SB_CS_DECLINED };

/* A customer as the API shows it now. The pool of customers that orders
 * pick from is generated at start (index < sb_shop.ncustomers); records
 * created later have higher indexes and ids. */
struct sb_customer {
  uint64_t id;                /* customer id; ascending with index */
  int64_t created_at;         /* UTC seconds */
  int64_t updated_at;         /* UTC seconds */
  int64_t deleted_at;         /* 0: live */
  int64_t total_spent;        /* minor units: paid minus refunded, over its live orders */
  uint64_t last_order_id;     /* its newest live order; 0: none */
  uint32_t index;             /* position: derives name, e-mail and address */
  uint32_t orders_count;      /* its live orders */
  uint32_t last_order_number; /* order_number of last_order_id */
  uint32_t version;           /* edits so far: derive note, tags, marketing */
  uint8_t state;              /* enum sb_customer_state */
  uint8_t marketing;          /* accepts_marketing */
  uint8_t tax_exempt;         /* tax_exempt */
};

struct sb_city;

/* A place that stocks inventory. Locations never change. */
struct sb_location {
  uint64_t id;                /* location id; the first is the shop's primary one */
  int64_t created_at;         /* UTC seconds */
  int64_t updated_at;         /* UTC seconds */
  const char *name;           /* "Main Warehouse" */
  const struct sb_city *city; /* where */
  char address1[64];          /* street */
  char zip[12];               /* postal code */
  char phone[24];             /* phone */
};

enum sb_subject { SB_SUBJ_ORDER, SB_SUBJ_PRODUCT, SB_SUBJ_CUSTOMER, SB_SUBJ_COUNT };
enum sb_verb { SB_VERB_CREATE, SB_VERB_DESTROY, SB_VERB_COUNT };

/* Something that happened to an order, product or customer. */
struct sb_event {
  uint64_t id;         /* event id; ascending with created_at */
  uint64_t subject_id; /* the order, product or customer */
  int64_t created_at;  /* UTC seconds */
  uint8_t subject;     /* enum sb_subject */
  uint8_t verb;        /* enum sb_verb */
  char arg[70];        /* its name then: "#1001", a title, "Anna Müller" */
};

struct sb_shop_conf {
  char name[SB_SHOP_NAME_MAX]; /* "alpha" */
  char tzid[SB_TZID_MAX];      /* "America/New_York" */
  int orders_per_day;          /* mean orders per local day */
  unsigned denied_scopes;      /* enum sb_scope bits the token lacks; 0: it has them all */
};

struct sb_shop {
  char name[SB_SHOP_NAME_MAX];                    /* "alpha" */
  char tzid[SB_TZID_MAX];                         /* IANA zone */
  int index;                                      /* position among the shops, 0.. */
  uint64_t id;                                    /* shop id */
  uint64_t seed;                                  /* the sandbox seed */
  const struct sb_region *region;                 /* country, currency, taxes, names */
  struct sb_zone zone;                            /* cached offsets */
  int orders_per_day;                             /* as configured */
  int64_t range_start;                            /* UTC: local midnight of the first day */
  int64_t created;                                /* UTC: when the shop "opened" */
  struct sb_product *catalog;                     /* products, read-only after init */
  size_t ncatalog;                                /* entries in catalog */
  uint64_t catalog_weight;                        /* sum of catalog[].weight */
  uint32_t ncustomers;                            /* size of the customer pool */
  struct sb_order *orders;                        /* ascending by id (== by created_at, id) */
  size_t norders;                                 /* entries in orders */
  size_t cap;                                     /* allocated entries */
  uint64_t next_seq;                              /* sequence number of the next new order */
  uint32_t next_number;                           /* order_number of the next new order */
  uint64_t mutations;                             /* orders changed so far (drives choices) */
  size_t orders_deleted;                          /* entries of orders marked deleted */
  struct sb_product_rec *products;                /* ascending by id; deleted ones stay, marked */
  size_t nproducts;                               /* entries in products */
  size_t products_cap;                            /* allocated entries */
  size_t products_deleted;                        /* of which deleted */
  uint64_t product_changes;                       /* product changes so far (drives choices) */
  struct sb_customer *customers;                  /* by index, ascending by id; deleted ones stay */
  size_t ncustomer_recs;                          /* entries in customers */
  size_t customers_cap;                           /* allocated entries */
  size_t customers_deleted;                       /* of which deleted */
  int customers_ready;                            /* customer records built (on first use) */
  uint64_t customer_changes;                      /* customer changes so far (drives choices) */
  struct sb_location locations[SB_MAX_LOCATIONS]; /* the shop's locations */
  int nlocations;                                 /* 2..SB_MAX_LOCATIONS */
  uint64_t inventory_changes;                     /* inventory changes so far (drives choices) */
  struct sb_event *events;                        /* ascending by id */
  size_t nevents;                                 /* entries in events */
  size_t events_cap;                              /* allocated entries */
  uint64_t refund_changes;                        /* refunds added so far (drives choices) */
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
/* Position of the order with this id in s->orders (deleted or not), or -1. */
long sb_shop_find(const struct sb_shop *s, uint64_t id);
/* Seeds r for the next order change from the shop's count of changes. */
void sb_shop_order_rng(struct sb_shop *s, struct sb_rng *r);
/* Picks the position of the next order to change from r: 70 % among the last
 * seven days of orders, else any. The shop MUST have orders. */
size_t sb_shop_pick_order(const struct sb_shop *s, struct sb_rng *r);
/* Changes the order: version+1, updated_at = max(now, updated_at+1), and
 * maybe new statuses drawn from r; a change into partially_refunded or
 * refunded records a refund at the new updated_at. */
void sb_order_change(struct sb_order *o, int64_t now, struct sb_rng *r);
/* Adds one refund to a paid or partially refunded order at the stamp
 * max(now, updated_at+1): paid -> partially_refunded, partially_refunded ->
 * refunded (and closed). Returns MS_EINVAL when the order cannot take one. */
int sb_order_add_refund(struct sb_order *o, int64_t now);
/* Whether sb_order_add_refund() would take this order. */
int sb_order_refundable(const struct sb_order *o);
/* updated_at of a record changed at `now`: max(now, previous + 1). */
int64_t sb_stamp(int64_t previous, int64_t now);

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
/* The creation sequence behind an order id, unique across shops (seq *
 * SB_MAX_SHOPS + shop index): the other ids of an order derive from it. */
uint64_t sb_order_seq(uint64_t order_id);
/* The pool index of the order's customer (== content.customer.index), cheaply. */
uint32_t sb_order_customer_index(const struct sb_shop *s, uint64_t order_id);
/* The person and address of customer `index` of the shop; pure. */
void sb_person_make(const struct sb_shop *s, uint32_t index, struct sb_person *p,
                    struct sb_address *addr);

/* ---- refunds (refunds.c) ---- */

enum sb_refund_kind {
  SB_REFUND_FULL,      /* everything at once */
  SB_REFUND_PARTIAL,   /* one unit of one line */
  SB_REFUND_REMAINDER, /* what the partial refund left */
  SB_REFUND_AMOUNT     /* an amount without line items (single-unit orders, free shipping) */
};

struct sb_refund_line {
  int line;         /* index into sb_content.lines */
  int quantity;     /* units refunded */
  int64_t subtotal; /* price x quantity - discount, for these units */
  int64_t tax;      /* their tax */
};

struct sb_refund {
  uint64_t id;                               /* refund id */
  int64_t created_at;                        /* UTC seconds; also processed_at */
  int kind;                                  /* enum sb_refund_kind */
  int nlines;                                /* entries in lines */
  struct sb_refund_line lines[SB_MAX_LINES]; /* refund_line_items */
  int64_t shipping;                          /* shipping refunded (an order adjustment) */
  int64_t shipping_tax;                      /* its tax */
  int64_t discrepancy;                       /* refunded without line items */
  int64_t amount;                            /* the refund transaction's amount */
  const char *restock_type; /* "cancel" when made as the order was cancelled, else "return" */
  const char *note;         /* may be NULL */
};

/* The order's refunds, oldest first, derived from its entry and content;
 * returns how many (o->nrefunds). Their amounts add up to total_price when
 * the order is refunded, to less when it is partially refunded. Pure. */
int sb_order_refunds(const struct sb_shop *s, const struct sb_order *o, const struct sb_content *c,
                     struct sb_refund out[SB_MAX_REFUNDS]);
/* What the order's customer has spent on it: total_price minus refunds once
 * paid (paid, partially_refunded, refunded), else 0; 0 for a deleted order. */
int64_t sb_order_net_paid(const struct sb_shop *s, const struct sb_order *o,
                          const struct sb_content *c);

#endif
