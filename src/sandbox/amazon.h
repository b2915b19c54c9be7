/* The sandbox's Amazon sellers: orders and order items shaped like the
 * Selling Partner API's Orders v0, derived deterministically from one seed.
 *
 * As for the Shopify shops (gen.h), only a compact index entry is kept per
 * order (struct sb_amz_order); items, money and flags are re-derived from
 * (seed, seller, seq) whenever an order is rendered, and what changes over
 * time (status, LastUpdateDate, whether the payment was authorized) lives in
 * the entry. All instants are UTC; days are the seller's local days. */
#ifndef MS_SANDBOX_AMAZON_H
#define MS_SANDBOX_AMAZON_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/gen.h"
#include "sandbox/region.h"
#include "util/buf.h"
#include "util/err.h"

#define SB_MAX_SELLERS 64                       /* sellers per sandbox; bounded by the id layout */
#define SB_AMZ_MARKETPLACE "ATVPDKIKX0DER"      /* amazon.com, the only marketplace served */
#define SB_AMZ_TZ_DEFAULT "America/Los_Angeles" /* its business day */
#define SB_AMZ_PER_DAY_DEFAULT 30               /* ORDERS_PER_DAY when not given */
#define SB_AMZ_MAX_ITEMS 25                     /* order items per order */
#define SB_AMZ_ITEMS_PAGE 10                    /* order items per getOrderItems page */
#define SB_AMZ_ID_LEN 20                        /* "113-1234567-1234567" and its NUL */
#define SB_AMZ_CATALOG 160                      /* SKUs per seller */

/* SP-API token buckets (requests per second, burst), before --sp-speed. */
#define SB_SP_ORDERS_RATE 0.0167 /* getOrders */
#define SB_SP_ORDERS_BURST 20
#define SB_SP_ITEMS_RATE 0.5 /* getOrderItems */
#define SB_SP_ITEMS_BURST 30
#define SB_SP_ORDER_RATE 0.5 /* getOrder */
#define SB_SP_ORDER_BURST 30

enum sb_amz_status {
  SB_AMZ_PENDING,
  SB_AMZ_PENDING_AVAILABILITY,
  SB_AMZ_UNSHIPPED,
  SB_AMZ_PARTIALLY_SHIPPED,
  SB_AMZ_SHIPPED,
  SB_AMZ_INVOICE_UNCONFIRMED,
  SB_AMZ_CANCELED,
  SB_AMZ_UNFULFILLABLE,
  SB_AMZ_STATUS_COUNT
};

/* The index entry of one order: all that is stored per order. */
struct sb_amz_order {
  uint64_t idnum;   /* the 15 digits of the AmazonOrderId after its leading 11 */
  int64_t purchase; /* PurchaseDate, UTC seconds */
  int64_t updated;  /* LastUpdateDate, >= purchase */
  uint32_t seq;     /* creation sequence; the content derives from it */
  uint16_t version; /* 0 as generated, +1 per change */
  uint8_t status;   /* enum sb_amz_status */
  uint8_t priced;   /* payment authorized: OrderTotal and item prices shown */
};

struct sb_seller_conf {
  char name[SB_SHOP_NAME_MAX]; /* "acme" */
  char tzid[SB_TZID_MAX];      /* the business day's zone, America/Los_Angeles */
  int orders_per_day;          /* mean orders per local day */
};

struct sb_amz_sku {
  char asin[11];   /* "B0C1X2Y3Z4" */
  char sku[32];    /* "ACM-KIT-0042-BLK" */
  char title[96];  /* "Stainless Steel Water Bottle, 24 oz, Navy" */
  int64_t price;   /* unit price in cents: the same in every order */
  uint32_t weight; /* relative popularity */
};

struct sb_seller {
  char name[SB_SHOP_NAME_MAX];     /* "acme" */
  char tzid[SB_TZID_MAX];          /* IANA zone of its business days */
  int index;                       /* position among the sellers, 0.. */
  uint64_t seed;                   /* the sandbox seed */
  int orders_per_day;              /* as configured */
  int64_t range_start;             /* UTC: local midnight of the first day */
  uint64_t id_mul;                 /* AmazonOrderId permutation: multiplier, */
  uint64_t id_inv;                 /* its inverse */
  uint64_t id_add;                 /* and offset, all mod 10^15 */
  uint64_t item_mul;               /* OrderItemId permutation, mod 9 x 10^13 */
  uint64_t item_add;               /* and its offset */
  const struct sb_city *ship_city; /* MFN DefaultShipFromLocationAddress: city, */
  char ship_name[48];              /* Name (and SellerDisplayName), */
  char ship_line1[48];             /* AddressLine1 */
  char ship_zip[8];                /* and PostalCode */
  struct sb_amz_sku *catalog;      /* SB_AMZ_CATALOG SKUs, read-only after init */
  uint64_t catalog_weight;         /* sum of catalog[].weight */
  struct sb_amz_order *orders;     /* ascending by (purchase, idnum) */
  size_t norders;                  /* entries in orders */
  size_t cap;                      /* allocated entries */
  uint64_t mutations;              /* changes made so far (drives choices) */
};

/* Builds a seller with its orders in [local midnight of (local date of now -
 * days), now]. index MUST be < SB_MAX_SELLERS and unique. */
int sb_seller_init(struct sb_seller *s, const struct sb_seller_conf *conf, int index, uint64_t seed,
                   int64_t now, int days, struct err *err);
void sb_seller_release(struct sb_seller *s);

/* Moves one order forward (Pending -> Unshipped, now priced; Unshipped ->
 * Shipped or PartiallyShipped; some get Canceled), chosen deterministically
 * from the number of changes so far, mostly among the last seven days;
 * LastUpdateDate = max(now, previous + 1 s). Returns its position, or -1 when
 * the seller has no orders. */
long sb_seller_update_one(struct sb_seller *s, int64_t now);
/* Appends a Pending order purchased at now (or at the newest PurchaseDate
 * when that is later). */
int sb_seller_create_order(struct sb_seller *s, int64_t now);

/* The idnum of the order with this sequence number (it need not exist). */
uint64_t sb_seller_idnum(const struct sb_seller *s, uint32_t seq);
/* "113-1234567-1234567" of an entry. */
void sb_amz_order_id(const struct sb_amz_order *o, char out[SB_AMZ_ID_LEN]);
/* Parses an AmazonOrderId into idnum; MS_EINVAL unless it has the shape
 * DDD-DDDDDDD-DDDDDDD. Ids that do not start with 11 get an idnum that no
 * order has. */
int sb_amz_id_parse(const char *text, uint64_t *idnum);
/* Position of the order with this idnum, or -1. */
long sb_seller_find(const struct sb_seller *s, uint64_t idnum);

const char *sb_amz_status_name(int status);
/* The status for a name as the API spells it, or -1. */
int sb_amz_status_parse(const char *name, size_t len);
/* Pending and PendingAvailability: the buyer's payment is not authorized. */
int sb_amz_status_pending(int status);

/* ---- what rendering derives from (seed, seller, seq): pure, thread-safe ---- */

struct sb_amz_item {
  const struct sb_amz_sku *sku; /* catalog entry */
  uint64_t item_id;             /* OrderItemId, 14 digits */
  int quantity;                 /* QuantityOrdered, 1..3 */
  int64_t price;                /* ItemPrice: unit price x quantity */
  int64_t tax;                  /* ItemTax, on price - promotion */
  int64_t shipping;             /* ShippingPrice */
  int64_t promotion;            /* PromotionDiscount */
  int gift;                     /* IsGift */
};

struct sb_amz_content {
  int afn;                                    /* FulfillmentChannel AFN, else MFN */
  int prime;                                  /* IsPrime */
  int business;                               /* IsBusinessOrder */
  int premium;                                /* IsPremiumOrder */
  int replacement;                            /* IsReplacementOrder */
  int preorder;                               /* OrderType Preorder, else StandardOrder */
  uint32_t replaced_seq;                      /* ReplacedOrderId's seq, when replacement */
  const char *level;                          /* ShipServiceLevel, "Std US D2D Dom" */
  const char *category;                       /* ShipmentServiceLevelCategory */
  int handling_days;                          /* LatestShipDate - EarliestShipDate */
  int transit_days;                           /* MFN: delivery after shipping */
  const char *city;                           /* ShippingAddress.City */
  const char *state;                          /* ShippingAddress.StateOrRegion */
  char zip[12];                               /* ShippingAddress.PostalCode */
  int tax_ppm;                                /* sales tax at the ship-to city */
  uint64_t buyer;                             /* picks BuyerInfo.BuyerEmail */
  char promotion_id[24];                      /* "" when no promotion */
  int nitems;                                 /* 1..SB_AMZ_MAX_ITEMS */
  struct sb_amz_item items[SB_AMZ_MAX_ITEMS]; /* the order items */
  int units;                                  /* sum of quantities */
  int64_t total;                              /* OrderTotal: sum over items of price + tax +
                                                 shipping - promotion */
};

void sb_amz_content(const struct sb_seller *s, const struct sb_amz_order *o,
                    struct sb_amz_content *out);
/* FulfillmentChannel AFN (1) or MFN (0), cheaper than sb_amz_content(). */
int sb_amz_is_afn(const struct sb_seller *s, const struct sb_amz_order *o);
/* Units shipped so far under the order's status. */
int sb_amz_units_shipped(const struct sb_amz_order *o, const struct sb_amz_content *c);

/* Appends the order as getOrders shows it ({...}). With with_items, the
 * object gets one more member, "OrderItems":[every item as getOrderItems
 * shows it], as the ground truth has it. c MAY be NULL (then it is derived). */
int sb_amz_order_render(const struct sb_seller *s, const struct sb_amz_order *o,
                        const struct sb_amz_content *c, int with_items, struct buf *out);
/* Appends items [first, first + n) as getOrderItems shows them, comma-separated,
 * without brackets. c MAY be NULL. */
int sb_amz_items_render(const struct sb_seller *s, const struct sb_amz_order *o,
                        const struct sb_amz_content *c, int first, int n, struct buf *out);

#endif
