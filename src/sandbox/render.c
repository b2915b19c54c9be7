#include "sandbox/render.h"

#include <stdio.h>
#include <string.h>

#include "sandbox/jw.h"
#include "sandbox/region.h"

/* The top-level fields of a REST order, in the order Shopify writes them. */
#define ORDER_FIELDS(X)                                                                            \
  X(id)                                                                                            \
  X(admin_graphql_api_id)                                                                          \
  X(browser_ip)                                                                                    \
  X(buyer_accepts_marketing)                                                                       \
  X(cancel_reason)                                                                                 \
  X(cancelled_at)                                                                                  \
  X(cart_token)                                                                                    \
  X(closed_at)                                                                                     \
  X(confirmed)                                                                                     \
  X(created_at)                                                                                    \
  X(currency)                                                                                      \
  X(discount_codes)                                                                                \
  X(email)                                                                                         \
  X(financial_status)                                                                              \
  X(fulfillment_status)                                                                            \
  X(gateway)                                                                                       \
  X(landing_site)                                                                                  \
  X(name)                                                                                          \
  X(note)                                                                                          \
  X(number)                                                                                        \
  X(order_number)                                                                                  \
  X(phone)                                                                                         \
  X(presentment_currency)                                                                          \
  X(processed_at)                                                                                  \
  X(referring_site)                                                                                \
  X(source_name)                                                                                   \
  X(subtotal_price)                                                                                \
  X(tags)                                                                                          \
  X(tax_lines)                                                                                     \
  X(taxes_included)                                                                                \
  X(test)                                                                                          \
  X(token)                                                                                         \
  X(total_discounts)                                                                               \
  X(total_line_items_price)                                                                        \
  X(total_outstanding)                                                                             \
  X(total_price)                                                                                   \
  X(total_price_set)                                                                               \
  X(total_tax)                                                                                     \
  X(total_weight)                                                                                  \
  X(updated_at)                                                                                    \
  X(billing_address)                                                                               \
  X(customer)                                                                                      \
  X(discount_applications)                                                                         \
  X(fulfillments)                                                                                  \
  X(line_items)                                                                                    \
  X(refunds)                                                                                       \
  X(shipping_address)                                                                              \
  X(shipping_lines)

#define AS_ENUM(n) F_##n,
#define AS_NAME(n) #n,
enum order_field { ORDER_FIELDS(AS_ENUM) F_COUNT };
static const char *const field_names[] = {ORDER_FIELDS(AS_NAME)};

_Static_assert(F_COUNT <= SB_FIELDS_MAX, "SB_FIELDS_MAX too small");

void sb_fieldset_all(struct sb_fieldset *fs) {
  memset(fs, 0, sizeof(*fs));
  fs->all = 1;
}

int sb_fieldset_parse(const char *list, struct sb_fieldset *fs) {
  return sb_fieldset_parse_names(list, field_names, F_COUNT, fs);
}

int sb_fieldset_parse_names(const char *list, const char *const *names, int count,
                            struct sb_fieldset *fs) {
  int known = 0;
  size_t budget = 8192;
  memset(fs, 0, sizeof(*fs));
  while (*list && budget) {
    const char *end = list;
    while (*end && *end != ',' && (size_t)(end - list) < budget)
      end++;
    const char *a = list, *b = end;
    while (a < b && (*a == ' ' || *a == '\t'))
      a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
      b--;
    for (int f = 0; f < count && f < SB_FIELDS_MAX; f++) {
      if (strlen(names[f]) == (size_t)(b - a) && memcmp(names[f], a, (size_t)(b - a)) == 0) {
        if (!fs->on[f])
          known++;
        fs->on[f] = 1;
        break;
      }
    }
    budget -= (size_t)(end - list) < budget ? (size_t)(end - list) : budget;
    list = *end ? end + 1 : end;
  }
  return known;
}

struct rctx {
  struct jw *w;               /* output */
  struct sb_shop *s;          /* the shop */
  const struct sb_order *o;   /* the order's index entry */
  const struct sb_content *c; /* its derived content */
  const char *cur;            /* currency code */
};

/* {"shop_money":{"amount":"1.00","currency_code":"USD"},"presentment_money":{...}} */
static void money_set(struct rctx *x, int64_t minor) {
  struct jw *w = x->w;
  jw_obj_begin(w);
  for (int i = 0; i < 2; i++) {
    jw_puts(w, i ? ",\"presentment_money\":{\"amount\":\"" : "\"shop_money\":{\"amount\":\"");
    jw_put_money(w, minor);
    jw_puts(w, "\",\"currency_code\":\"");
    jw_puts(w, x->cur);
    jw_puts(w, "\"}");
  }
  w->first[w->depth] = 0;
  jw_obj_end(w);
}

static void gid(struct jw *w, const char *kind, uint64_t id) {
  char tmp[64];
  int n = snprintf(tmp, sizeof(tmp), "\"gid://shopify/%s/", kind);
  if (n > 0 && (size_t)n < sizeof(tmp))
    jw_append(w, tmp, (size_t)n);
  jw_put_u64(w, id);
  jw_append(w, "\"", 1);
}

static void kstr(struct jw *w, const char *k, const char *v) {
  jw_key(w, k);
  jw_str(w, v);
}

static void address(struct rctx *x, const struct sb_address *a, int with_geo) {
  struct jw *w = x->w;
  char name[96];
  snprintf(name, sizeof(name), "%s %s", a->first, a->last);
  jw_obj_begin(w);
  kstr(w, "first_name", a->first);
  kstr(w, "address1", a->address1);
  kstr(w, "phone", a->phone[0] ? a->phone : NULL);
  kstr(w, "city", a->city);
  kstr(w, "zip", a->zip);
  kstr(w, "province", a->province);
  kstr(w, "country", a->country);
  kstr(w, "last_name", a->last);
  kstr(w, "address2", a->address2);
  kstr(w, "company", a->company);
  if (with_geo) {
    jw_key(w, "latitude");
    jw_fixed(w, a->latitude, 4);
    jw_key(w, "longitude");
    jw_fixed(w, a->longitude, 4);
  }
  kstr(w, "name", name);
  kstr(w, "country_code", a->country_code);
  kstr(w, "province_code", a->province_code);
  jw_obj_end(w);
}

static void customer(struct rctx *x) {
  struct jw *w = x->w;
  const struct sb_person *p = &x->c->customer;
  int64_t updated = p->created_at + 3600;
  jw_obj_begin(w);
  jw_key(w, "id");
  jw_u64(w, p->id);
  kstr(w, "email", p->email);
  jw_key(w, "created_at");
  jw_time(w, &x->s->zone, p->created_at);
  jw_key(w, "updated_at");
  jw_time(w, &x->s->zone, updated);
  kstr(w, "first_name", p->first);
  kstr(w, "last_name", p->last);
  kstr(w, "phone", p->phone[0] ? p->phone : NULL);
  kstr(w, "tags", p->orders_hint > 30 ? "repeat" : "");
  jw_obj_end(w);
}

static const char *line_fulfillment(const struct rctx *x, int i) {
  if (x->o->fulfillment == SB_FUL_FULFILLED)
    return "fulfilled";
  if (x->o->fulfillment == SB_FUL_PARTIAL) {
    if (x->c->nlines == 1)
      return "partial";
    return i == 0 ? "fulfilled" : NULL;
  }
  return NULL;
}

static void tax_line(struct rctx *x, int64_t amount) {
  struct jw *w = x->w;
  jw_obj_begin(w);
  jw_key(w, "price");
  jw_money(w, amount);
  jw_key(w, "rate");
  jw_rate(w, x->c->tax_rate_ppm);
  kstr(w, "title", x->c->tax_title);
  jw_obj_end(w);
}

static void line_item(struct rctx *x, int i) {
  struct jw *w = x->w;
  const struct sb_line *l = &x->c->lines[i];
  const char *ful = line_fulfillment(x, i);
  int single = strcmp(l->variant->title, "Default Title") == 0;
  int fulfillable = ful || x->o->cancelled_at ? 0 : l->quantity;
  jw_obj_begin(w);
  jw_key(w, "id");
  jw_u64(w, l->id);
  jw_key(w, "fulfillable_quantity");
  jw_i64(w, fulfillable);
  kstr(w, "fulfillment_status", ful);
  jw_key(w, "price");
  jw_money(w, l->price);
  jw_key(w, "product_id");
  jw_u64(w, l->product->id);
  jw_key(w, "quantity");
  jw_i64(w, l->quantity);
  jw_key(w, "requires_shipping");
  jw_bool(w, 1);
  kstr(w, "sku", l->variant->sku);
  jw_key(w, "taxable");
  jw_bool(w, x->c->tax_rate_ppm > 0);
  kstr(w, "title", l->product->title);
  jw_key(w, "total_discount");
  jw_money(w, l->discount);
  jw_key(w, "variant_id");
  jw_u64(w, l->variant->id);
  kstr(w, "variant_title", single ? NULL : l->variant->title);
  kstr(w, "vendor", l->product->vendor);
  jw_key(w, "tax_lines");
  jw_arr_begin(w);
  if (x->c->tax_rate_ppm > 0)
    tax_line(x, l->tax);
  jw_arr_end(w);
  jw_obj_end(w);
}

/* A money amount as a JSON number with two decimals (199.00), as refund
 * line items carry them. */
static void money_number(struct jw *w, const char *key, int64_t minor) {
  jw_key(w, key);
  jw_put_money(w, minor);
}

static void refund_line(struct rctx *x, const struct sb_refund *r, int k) {
  struct jw *w = x->w;
  const struct sb_refund_line *rl = &r->lines[k];
  jw_obj_begin(w);
  jw_key(w, "id");
  jw_u64(w, r->id * 10 + 4 + (uint64_t)k);
  jw_key(w, "line_item_id");
  jw_u64(w, x->c->lines[rl->line].id);
  jw_key(w, "location_id");
  jw_u64(w, x->c->location_id);
  jw_key(w, "quantity");
  jw_i64(w, rl->quantity);
  kstr(w, "restock_type", r->restock_type);
  money_number(w, "subtotal", rl->subtotal);
  jw_key(w, "subtotal_set");
  money_set(x, rl->subtotal);
  money_number(w, "total_tax", rl->tax);
  jw_key(w, "total_tax_set");
  money_set(x, rl->tax);
  jw_key(w, "line_item");
  line_item(x, rl->line);
  jw_obj_end(w);
}

static void order_adjustment(struct rctx *x, const struct sb_refund *r, uint64_t id, int64_t amount,
                             int64_t tax, const char *kind, const char *reason) {
  struct jw *w = x->w;
  jw_obj_begin(w);
  jw_key(w, "id");
  jw_u64(w, id);
  jw_key(w, "order_id");
  jw_u64(w, x->o->id);
  jw_key(w, "refund_id");
  jw_u64(w, r->id);
  jw_key(w, "amount");
  jw_money(w, -amount);
  jw_key(w, "tax_amount");
  jw_money(w, -tax);
  kstr(w, "kind", kind);
  kstr(w, "reason", reason);
  jw_obj_end(w);
}

static void refund_transaction(struct rctx *x, const struct sb_refund *r) {
  struct jw *w = x->w;
  char msg[64];
  jw_obj_begin(w);
  jw_key(w, "id");
  jw_u64(w, r->id * 10 + 1);
  jw_key(w, "order_id");
  jw_u64(w, x->o->id);
  kstr(w, "kind", "refund");
  kstr(w, "gateway", x->c->gateway);
  kstr(w, "status", "success");
  snprintf(msg, sizeof(msg), "Refunded %lld.%02lld %s", (long long)(r->amount / 100),
           (long long)(r->amount % 100), x->cur);
  kstr(w, "message", msg);
  jw_key(w, "created_at");
  jw_time(w, &x->s->zone, r->created_at);
  jw_key(w, "test");
  jw_bool(w, 0);
  jw_key(w, "parent_id");
  jw_null(w);
  jw_key(w, "processed_at");
  jw_time(w, &x->s->zone, r->created_at);
  kstr(w, "source_name", "web");
  jw_key(w, "amount");
  jw_money(w, r->amount);
  kstr(w, "currency", x->cur);
  jw_key(w, "admin_graphql_api_id");
  gid(w, "OrderTransaction", r->id * 10 + 1);
  jw_obj_end(w);
}

static void refund(struct rctx *x, const struct sb_refund *r) {
  struct jw *w = x->w;
  jw_obj_begin(w);
  jw_key(w, "id");
  jw_u64(w, r->id);
  jw_key(w, "admin_graphql_api_id");
  gid(w, "Refund", r->id);
  jw_key(w, "created_at");
  jw_time(w, &x->s->zone, r->created_at);
  kstr(w, "note", r->note);
  jw_key(w, "order_id");
  jw_u64(w, x->o->id);
  jw_key(w, "processed_at");
  jw_time(w, &x->s->zone, r->created_at);
  jw_key(w, "restock");
  jw_bool(w, r->nlines > 0);
  jw_key(w, "user_id");
  jw_null(w);
  jw_key(w, "order_adjustments");
  jw_arr_begin(w);
  if (r->shipping)
    order_adjustment(x, r, r->id * 10 + 2, r->shipping, r->shipping_tax, "shipping_refund",
                     "Shipping refund");
  if (r->discrepancy)
    order_adjustment(x, r, r->id * 10 + 3, r->discrepancy, 0, "refund_discrepancy",
                     "Refund discrepancy");
  jw_arr_end(w);
  jw_key(w, "transactions");
  jw_arr_begin(w);
  refund_transaction(x, r);
  jw_arr_end(w);
  jw_key(w, "refund_line_items");
  jw_arr_begin(w);
  for (int k = 0; k < r->nlines; k++)
    refund_line(x, r, k);
  jw_arr_end(w);
  jw_obj_end(w);
}

static void refunds(struct rctx *x) {
  struct sb_refund r[SB_MAX_REFUNDS];
  int n = sb_order_refunds(x->s, x->o, x->c, r);
  jw_arr_begin(x->w);
  for (int i = 0; i < n; i++)
    refund(x, &r[i]);
  jw_arr_end(x->w);
}

static void fulfillment(struct rctx *x) {
  struct jw *w = x->w;
  const struct sb_order *o = x->o;
  uint64_t id = x->c->lines[0].id + 3000000000000ULL;
  int64_t at = o->created_at + 3600 + (int64_t)(o->id % 86400);
  char name[24];
  if (at > o->updated_at)
    at = o->updated_at;
  snprintf(name, sizeof(name), "#%u.1", o->number);
  jw_obj_begin(w);
  jw_key(w, "id");
  jw_u64(w, id);
  jw_key(w, "created_at");
  jw_time(w, &x->s->zone, at);
  kstr(w, "name", name);
  jw_key(w, "order_id");
  jw_u64(w, o->id);
  kstr(w, "status", "success");
  kstr(w, "tracking_company", x->c->carrier);
  kstr(w, "tracking_number", x->c->tracking);
  jw_obj_end(w);
}

static void shipping_line(struct rctx *x) {
  struct jw *w = x->w;
  jw_obj_begin(w);
  jw_key(w, "id");
  jw_u64(w, x->c->lines[0].id + 2000000000000ULL);
  kstr(w, "code", x->c->ship_code);
  jw_key(w, "discounted_price");
  jw_money(w, x->c->ship_price);
  jw_key(w, "price");
  jw_money(w, x->c->ship_price);
  kstr(w, "source", "shopify");
  kstr(w, "title", x->c->ship_title);
  jw_key(w, "tax_lines");
  jw_arr_begin(w);
  if (x->c->ship_tax)
    tax_line(x, x->c->ship_tax);
  jw_arr_end(w);
  jw_obj_end(w);
}

static int64_t outstanding(const struct rctx *x) {
  int f = x->o->financial;
  return f == SB_FIN_PENDING || f == SB_FIN_AUTHORIZED ? x->c->total : 0;
}

static void order_field(struct rctx *x, int f) {
  struct jw *w = x->w;
  const struct sb_order *o = x->o;
  const struct sb_content *c = x->c;
  struct sb_zone *z = &x->s->zone;
  char tmp[256];
  switch (f) {
  case F_id:
    jw_u64(w, o->id);
    break;
  case F_admin_graphql_api_id:
    gid(w, "Order", o->id);
    break;
  case F_browser_ip:
    jw_str(w, c->source_name[0] == 'w' ? c->browser_ip : NULL);
    break;
  case F_buyer_accepts_marketing:
    jw_bool(w, c->customer.marketing);
    break;
  case F_cancel_reason:
    jw_str(w, sb_cancel_reason_name(o->cancel_reason));
    break;
  case F_cancelled_at:
    jw_time(w, z, o->cancelled_at);
    break;
  case F_cart_token:
    jw_str(w, c->source_name[0] == 'w' ? c->cart_token : NULL);
    break;
  case F_closed_at:
    jw_time(w, z, o->closed_at);
    break;
  case F_confirmed:
    jw_bool(w, 1);
    break;
  case F_email:
    jw_str(w, c->customer.email);
    break;
  case F_created_at:
  case F_processed_at:
    jw_time(w, z, o->created_at);
    break;
  case F_currency:
  case F_presentment_currency:
    jw_str(w, x->cur);
    break;
  case F_subtotal_price:
    jw_money(w, c->subtotal);
    break;
  case F_total_discounts:
    jw_money(w, c->discounts);
    break;
  case F_total_price:
    jw_money(w, c->total);
    break;
  case F_total_tax:
    jw_money(w, c->tax);
    break;
  case F_discount_codes:
    jw_arr_begin(w);
    if (c->discount_code) {
      jw_obj_begin(w);
      kstr(w, "code", c->discount_code);
      jw_key(w, "amount");
      jw_money(w, c->discounts);
      kstr(w, "type", c->discount_pct ? "percentage" : "fixed_amount");
      jw_obj_end(w);
    }
    jw_arr_end(w);
    break;
  case F_test:
    jw_bool(w, 0);
    break;
  case F_financial_status:
    jw_str(w, sb_financial_name(o->financial));
    break;
  case F_fulfillment_status:
    jw_str(w, sb_fulfillment_name(o->fulfillment));
    break;
  case F_gateway:
    jw_str(w, c->gateway);
    break;
  case F_landing_site:
    jw_str(w, c->landing_site);
    break;
  case F_name:
    snprintf(tmp, sizeof(tmp), "#%u", o->number);
    jw_str(w, tmp);
    break;
  case F_note:
    jw_str(w, c->note);
    break;
  case F_refunds:
    refunds(x);
    break;
  case F_number:
    jw_u64(w, o->number - 1000);
    break;
  case F_order_number:
    jw_u64(w, o->number);
    break;
  case F_phone:
    jw_str(w, c->customer.phone[0] ? c->customer.phone : NULL);
    break;
  case F_referring_site:
    jw_str(w, c->referring_site);
    break;
  case F_source_name:
    jw_str(w, c->source_name);
    break;
  case F_tags:
    jw_str(w, c->tags);
    break;
  case F_tax_lines:
    jw_arr_begin(w);
    if (c->tax_rate_ppm > 0)
      tax_line(x, c->tax);
    jw_arr_end(w);
    break;
  case F_taxes_included:
    jw_bool(w, c->taxes_included);
    break;
  case F_token:
    jw_str(w, c->token);
    break;
  case F_total_line_items_price:
    jw_money(w, c->line_items_total);
    break;
  case F_total_outstanding:
    jw_money(w, outstanding(x));
    break;
  case F_total_price_set:
    money_set(x, c->total);
    break;
  case F_total_weight:
    jw_i64(w, c->grams);
    break;
  case F_updated_at:
    jw_time(w, z, o->updated_at);
    break;
  case F_billing_address:
    address(x, &c->billing, 0);
    break;
  case F_shipping_address:
    address(x, &c->shipping, 0);
    break;
  case F_customer:
    customer(x);
    break;
  case F_discount_applications:
    jw_arr_begin(w);
    if (c->discount_code) {
      jw_obj_begin(w);
      kstr(w, "target_type", "line_item");
      kstr(w, "type", "discount_code");
      jw_key(w, "value");
      if (c->discount_pct)
        jw_raw(w, "\"10.0\"");
      else
        jw_money(w, c->discount_fixed);
      kstr(w, "value_type", c->discount_pct ? "percentage" : "fixed_amount");
      kstr(w, "allocation_method", "across");
      kstr(w, "target_selection", "all");
      kstr(w, "code", c->discount_code);
      jw_obj_end(w);
    }
    jw_arr_end(w);
    break;
  case F_fulfillments:
    jw_arr_begin(w);
    if (o->fulfillment != SB_FUL_NONE)
      fulfillment(x);
    jw_arr_end(w);
    break;
  case F_line_items:
    jw_arr_begin(w);
    for (int i = 0; i < c->nlines; i++)
      line_item(x, i);
    jw_arr_end(w);
    break;
  case F_shipping_lines:
    jw_arr_begin(w);
    shipping_line(x);
    jw_arr_end(w);
    break;
  default:
    jw_null(w);
    break;
  }
}

int sb_order_render(struct sb_shop *s, const struct sb_order *o, const struct sb_fieldset *fs,
                    struct buf *out) {
  struct sb_content c;
  struct jw w;
  struct rctx x = {&w, s, o, &c, sb_shop_currency(s)};
  sb_order_content(s, o, &c);
  jw_init(&w, out);
  if (!w.rc)
    w.rc = buf_reserve(out, 6144);
  jw_obj_begin(&w);
  for (int f = 0; f < F_COUNT; f++) {
    if (fs && !fs->all && !fs->on[f])
      continue;
    jw_key(&w, field_names[f]);
    order_field(&x, f);
  }
  jw_obj_end(&w);
  return w.rc;
}

int sb_order_refunds_render(struct sb_shop *s, const struct sb_order *o, struct buf *out) {
  struct sb_content c;
  struct jw w;
  struct rctx x = {&w, s, o, &c, sb_shop_currency(s)};
  sb_order_content(s, o, &c);
  jw_init(&w, out);
  refunds(&x);
  return w.rc;
}

int sb_shop_render(struct sb_shop *s, int64_t now, struct buf *out) {
  const struct sb_region *rg = s->region;
  const struct sb_city *city = &rg->cities[0];
  char tmp[160], off[TIME_STR_LEN];
  struct jw w;
  jw_init(&w, out);
  jw_obj_begin(&w);
  jw_key(&w, "id");
  jw_u64(&w, s->id);
  snprintf(tmp, sizeof(tmp), "%c%s Sandbox Store",
           s->name[0] >= 'a' && s->name[0] <= 'z' ? s->name[0] - 'a' + 'A' : s->name[0],
           s->name + 1);
  kstr(&w, "name", tmp);
  snprintf(tmp, sizeof(tmp), "owner@%s.example.com", s->name);
  kstr(&w, "email", tmp);
  snprintf(tmp, sizeof(tmp), "%s.myshopify.com", s->name);
  kstr(&w, "domain", tmp);
  kstr(&w, "province", city->province);
  kstr(&w, "country", rg->country_code);
  kstr(&w, "address1", rg->street_number_first ? "1 Sandbox Way" : "Sandkastenweg 1");
  kstr(&w, "zip", city->zip_prefix);
  kstr(&w, "city", city->name);
  kstr(&w, "source", NULL);
  kstr(&w, "phone", NULL);
  jw_key(&w, "latitude");
  jw_fixed(&w, city->lat, 4);
  jw_key(&w, "longitude");
  jw_fixed(&w, city->lon, 4);
  kstr(&w, "primary_locale", rg->locale);
  kstr(&w, "address2", "");
  jw_key(&w, "created_at");
  jw_time(&w, &s->zone, s->created);
  jw_key(&w, "updated_at");
  jw_time(&w, &s->zone, s->range_start);
  kstr(&w, "country_code", rg->country_code);
  kstr(&w, "country_name", rg->country);
  kstr(&w, "currency", rg->currency);
  snprintf(tmp, sizeof(tmp), "owner@%s.example.com", s->name);
  kstr(&w, "customer_email", tmp);
  time_format(0, sb_zone_offset(&s->zone, now), 0, off); /* "...+HH:MM" */
  snprintf(tmp, sizeof(tmp), "(GMT%s) %s", off + 19, s->tzid);
  kstr(&w, "timezone", tmp);
  kstr(&w, "iana_timezone", s->tzid);
  kstr(&w, "shop_owner", "Sandbox Owner");
  kstr(&w, "money_format", rg->money_format);
  snprintf(tmp, sizeof(tmp), "%s %s", rg->money_format, rg->currency);
  kstr(&w, "money_with_currency_format", tmp);
  kstr(&w, "weight_unit", rg->weight_unit);
  kstr(&w, "province_code", city->province_code);
  jw_key(&w, "taxes_included");
  jw_bool(&w, rg->taxes_included);
  jw_key(&w, "tax_shipping");
  jw_null(&w);
  jw_key(&w, "county_taxes");
  jw_bool(&w, 1);
  kstr(&w, "plan_display_name", "Basic");
  kstr(&w, "plan_name", "basic");
  jw_key(&w, "has_discounts");
  jw_bool(&w, 1);
  jw_key(&w, "has_gift_cards");
  jw_bool(&w, 0);
  snprintf(tmp, sizeof(tmp), "%s.myshopify.com", s->name);
  kstr(&w, "myshopify_domain", tmp);
  jw_key(&w, "password_enabled");
  jw_bool(&w, 0);
  jw_key(&w, "has_storefront");
  jw_bool(&w, 1);
  jw_key(&w, "primary_location_id");
  jw_u64(&w, 60000000000ULL + (uint64_t)s->index * 1000 + 1);
  jw_key(&w, "multi_location_enabled");
  jw_bool(&w, s->nlocations > 1);
  jw_key(&w, "setup_required");
  jw_bool(&w, 0);
  jw_key(&w, "enabled_presentment_currencies");
  jw_arr_begin(&w);
  jw_str(&w, rg->currency);
  jw_arr_end(&w);
  jw_obj_end(&w);
  return w.rc;
}
