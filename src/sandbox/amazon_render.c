/* Renders the sellers' orders and order items as the Selling Partner API's
 * Orders v0 shows them: UTC timestamps, money as {"CurrencyCode","Amount"}
 * with a string amount, prices absent until the payment is authorized. */
#include <stdio.h>
#include <string.h>

#include "sandbox/amazon.h"
#include "sandbox/jw.h"

#define DAY 86400

static void utc(struct jw *w, const char *key, int64_t t) {
  char tmp[TIME_STR_LEN];
  time_format(t, 0, 1, tmp);
  jw_key(w, key);
  jw_str(w, tmp);
}

static void money(struct jw *w, const char *key, int64_t cents) {
  jw_key(w, key);
  jw_obj_begin(w);
  jw_key(w, "CurrencyCode");
  jw_str(w, "USD");
  jw_key(w, "Amount");
  jw_money(w, cents);
  jw_obj_end(w);
}

static void bool_key(struct jw *w, const char *key, int v) {
  jw_key(w, key);
  jw_bool(w, v);
}

static void str_key(struct jw *w, const char *key, const char *v) {
  jw_key(w, key);
  jw_str(w, v);
}

/* Units shipped of item i: the order's shipped units, filled in item order. */
static int item_shipped(const struct sb_amz_content *c, int shipped, int i) {
  for (int k = 0; k < i; k++)
    shipped -= c->items[k].quantity < shipped ? c->items[k].quantity : shipped;
  return c->items[i].quantity < shipped ? c->items[i].quantity : shipped;
}

static void item_write(struct jw *w, const struct sb_amz_order *o, const struct sb_amz_content *c,
                       int shipped, int i) {
  const struct sb_amz_item *it = &c->items[i];
  jw_obj_begin(w);
  str_key(w, "ASIN", it->sku->asin);
  str_key(w, "SellerSKU", it->sku->sku);
  jw_key(w, "OrderItemId");
  jw_append(w, "\"", 1);
  jw_put_u64(w, it->item_id);
  jw_append(w, "\"", 1);
  str_key(w, "Title", it->sku->title);
  jw_key(w, "QuantityOrdered");
  jw_i64(w, it->quantity);
  jw_key(w, "QuantityShipped");
  jw_i64(w, item_shipped(c, shipped, i));
  jw_key(w, "ProductInfo");
  jw_obj_begin(w);
  str_key(w, "NumberOfItems", "1");
  jw_obj_end(w);
  if (o->priced) {
    money(w, "ItemPrice", it->price);
    money(w, "ShippingPrice", it->shipping);
    money(w, "ItemTax", it->tax);
    money(w, "ShippingTax", 0);
    money(w, "ShippingDiscount", 0);
    money(w, "ShippingDiscountTax", 0);
    money(w, "PromotionDiscount", it->promotion);
    money(w, "PromotionDiscountTax", 0);
    if (it->promotion) {
      jw_key(w, "PromotionIds");
      jw_arr_begin(w);
      jw_str(w, c->promotion_id);
      jw_arr_end(w);
    }
  }
  str_key(w, "IsGift", it->gift ? "true" : "false");
  str_key(w, "ConditionId", "New");
  str_key(w, "ConditionSubtypeId", "New");
  bool_key(w, "IsTransparency", 0);
  bool_key(w, "SerialNumberRequired", 0);
  jw_obj_end(w);
}

static void order_write(struct jw *w, const struct sb_seller *s, const struct sb_amz_order *o,
                        const struct sb_amz_content *c) {
  char id[SB_AMZ_ID_LEN];
  int shipped = sb_amz_units_shipped(o, c);
  int64_t earliest, latest;
  sb_amz_order_id(o, id);
  if (c->afn) /* Amazon ships from its warehouses within hours */
    earliest = (o->purchase / 3600 + 1) * 3600;
  else /* the seller ships from the next morning on (07:00 UTC) */
    earliest = (o->purchase / DAY + 1) * DAY + 7 * 3600;
  latest = earliest + c->handling_days * (int64_t)DAY - 1;

  jw_obj_begin(w);
  str_key(w, "AmazonOrderId", id);
  str_key(w, "SellerOrderId", id);
  utc(w, "PurchaseDate", o->purchase);
  utc(w, "LastUpdateDate", o->updated);
  str_key(w, "OrderStatus", sb_amz_status_name(o->status));
  str_key(w, "FulfillmentChannel", c->afn ? "AFN" : "MFN");
  str_key(w, "SalesChannel", "Amazon.com");
  str_key(w, "ShipServiceLevel", c->level);
  if (o->priced)
    money(w, "OrderTotal", c->total);
  jw_key(w, "NumberOfItemsShipped");
  jw_i64(w, shipped);
  jw_key(w, "NumberOfItemsUnshipped");
  jw_i64(w, o->status == SB_AMZ_CANCELED ? 0 : c->units - shipped);
  str_key(w, "PaymentMethod", "Other");
  jw_key(w, "PaymentMethodDetails");
  jw_arr_begin(w);
  jw_str(w, "Standard");
  jw_arr_end(w);
  bool_key(w, "IsReplacementOrder", c->replacement);
  if (c->replacement) {
    struct sb_amz_order ro;
    char rid[SB_AMZ_ID_LEN];
    memset(&ro, 0, sizeof(ro));
    ro.idnum = sb_seller_idnum(s, c->replaced_seq);
    sb_amz_order_id(&ro, rid);
    str_key(w, "ReplacedOrderId", rid);
  }
  str_key(w, "MarketplaceId", SB_AMZ_MARKETPLACE);
  str_key(w, "ShipmentServiceLevelCategory", c->category);
  str_key(w, "OrderType", c->preorder ? "Preorder" : "StandardOrder");
  utc(w, "EarliestShipDate", earliest);
  utc(w, "LatestShipDate", latest);
  if (!c->afn) {
    int64_t delivery = earliest + (c->handling_days + c->transit_days) * (int64_t)DAY;
    utc(w, "EarliestDeliveryDate", delivery);
    utc(w, "LatestDeliveryDate", delivery + 3 * (int64_t)DAY - 1);
  }
  bool_key(w, "IsBusinessOrder", c->business);
  if (c->business) {
    char po[24];
    snprintf(po, sizeof(po), "PO-%06u", (unsigned)(o->idnum % 1000000));
    str_key(w, "PurchaseOrderNumber", po);
  }
  bool_key(w, "IsPrime", c->prime);
  bool_key(w, "IsEstimatedShipDateSet", 0);
  bool_key(w, "IsPremiumOrder", c->premium);
  bool_key(w, "IsGlobalExpressEnabled", 0);
  bool_key(w, "IsSoldByAB", 0);
  bool_key(w, "IsIBA", 0);
  bool_key(w, "IsISPU", 0);
  bool_key(w, "IsAccessPointOrder", 0);
  bool_key(w, "HasRegulatedItems", 0);
  if (o->priced) { /* no address before the payment is authorized */
    jw_key(w, "ShippingAddress");
    jw_obj_begin(w);
    str_key(w, "City", c->city);
    str_key(w, "StateOrRegion", c->state);
    str_key(w, "PostalCode", c->zip);
    str_key(w, "CountryCode", "US");
    jw_obj_end(w);
  }
  if (!c->afn) {
    jw_key(w, "DefaultShipFromLocationAddress");
    jw_obj_begin(w);
    str_key(w, "Name", s->ship_name);
    str_key(w, "AddressLine1", s->ship_line1);
    str_key(w, "City", s->ship_city->name);
    str_key(w, "StateOrRegion", s->ship_city->province_code);
    str_key(w, "PostalCode", s->ship_zip);
    str_key(w, "CountryCode", "US");
    jw_obj_end(w);
    jw_key(w, "AutomatedShippingSettings");
    jw_obj_begin(w);
    bool_key(w, "HasAutomatedShippingSettings", 0);
    jw_obj_end(w);
  }
  if (o->priced) {
    /* Amazon's relay address, never the buyer's own. */
    char email[64];
    snprintf(email, sizeof(email), "%014llx%c@marketplace.amazon.com",
             (unsigned long long)(c->buyer & 0xffffffffffffffULL), 'a' + (int)(c->buyer >> 60));
    jw_key(w, "BuyerInfo");
    jw_obj_begin(w);
    str_key(w, "BuyerEmail", email);
    jw_obj_end(w);
  }
  str_key(w, "SellerDisplayName", s->ship_name);
  str_key(w, "ElectronicInvoiceStatus", "NotRequired");
}

int sb_amz_order_render(const struct sb_seller *s, const struct sb_amz_order *o,
                        const struct sb_amz_content *c, int with_items, struct buf *out) {
  struct sb_amz_content own;
  struct jw w;
  if (!c) {
    sb_amz_content(s, o, &own);
    c = &own;
  }
  jw_init(&w, out);
  order_write(&w, s, o, c);
  if (with_items) {
    int shipped = sb_amz_units_shipped(o, c);
    jw_key(&w, "OrderItems");
    jw_arr_begin(&w);
    for (int i = 0; i < c->nitems; i++)
      item_write(&w, o, c, shipped, i);
    jw_arr_end(&w);
  }
  jw_obj_end(&w);
  return w.rc;
}

int sb_amz_items_render(const struct sb_seller *s, const struct sb_amz_order *o,
                        const struct sb_amz_content *c, int first, int n, struct buf *out) {
  struct sb_amz_content own;
  struct jw w;
  if (!c) {
    sb_amz_content(s, o, &own);
    c = &own;
  }
  int shipped = sb_amz_units_shipped(o, c);
  jw_init(&w, out);
  for (int i = first; i >= 0 && i < first + n && i < c->nitems; i++) {
    if (i > first)
      jw_append(&w, ",", 1);
    item_write(&w, o, c, shipped, i);
  }
  return w.rc;
}
