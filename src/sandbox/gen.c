#include "util/array.h"
#include "sandbox/gen.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/prng.h"
#include "sandbox/region.h"
#include "sandbox/world.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Salts that keep the random streams of different purposes apart. */
enum {
  SALT_DAY = 1,
  SALT_ID,
  SALT_STATUS,
  SALT_CONTENT,
  SALT_CUSTOMER,
  SALT_CATALOG,
  SALT_MUTATE,
  SALT_SHOP,
  SALT_GIFT,
  SALT_REFUND_INIT,
  SALT_NEW_PRODUCT
};

#define ORDER_ID_BASE 5000000000000ULL    /* order ids: 13 digits */
#define LINE_ID_BASE 1000000000000ULL     /* line item ids */
#define CUSTOMER_ID_BASE 6000000000000ULL /* customer ids */
#define PRODUCT_ID_BASE 7000000000000ULL  /* product ids */
#define VARIANT_ID_BASE 42000000000000ULL /* variant ids: 14 digits */
#define CHECKOUT_ID_BASE 30000000000000ULL

#define CATALOG_SIZE 48
#define DAY 86400

/* ---- names of enum values, as the REST API spells them ---- */

const char *sb_financial_name(int financial) {
  static const char *const names[] = {"pending",  "authorized", "paid", "partially_refunded",
                                      "refunded", "voided"};
  return financial >= 0 && financial < SB_FIN_COUNT ? names[financial] : "pending";
}

const char *sb_fulfillment_name(int fulfillment) {
  return fulfillment == SB_FUL_FULFILLED ? "fulfilled"
         : fulfillment == SB_FUL_PARTIAL ? "partial"
                                         : NULL;
}

const char *sb_cancel_reason_name(int reason) {
  static const char *const names[] = {NULL, "customer", "fraud", "inventory", "declined", "other"};
  return reason > 0 && reason < (int)N(names) ? names[reason] : NULL;
}

const char *sb_shop_currency(const struct sb_shop *s) {
  return s->region->currency;
}

/* ---- the catalog ---- */

enum opt_kind { OPT_NONE, OPT_SIZE_COLOR, OPT_COLOR, OPT_SIZE, OPT_SCENT, OPT_GRIND, OPT_SHOE };

struct noun {
  const char *name;  /* "T-Shirt" */
  const char *type;  /* product_type */
  enum opt_kind opt; /* how variants differ */
  int lo;            /* price range, whole units */
  int hi;            /* price range, whole units */
  int grams;         /* weight */
};

static const struct noun nouns[] = {
    {"T-Shirt", "Apparel", OPT_SIZE_COLOR, 18, 39, 180},
    {"Hoodie", "Apparel", OPT_SIZE_COLOR, 45, 89, 520},
    {"Mug", "Home", OPT_NONE, 12, 24, 350},
    {"Tote Bag", "Accessories", OPT_COLOR, 15, 35, 200},
    {"Candle", "Home", OPT_SCENT, 14, 32, 400},
    {"Notebook", "Stationery", OPT_NONE, 8, 19, 250},
    {"Water Bottle", "Accessories", OPT_COLOR, 19, 39, 300},
    {"Sneakers", "Footwear", OPT_SHOE, 69, 149, 900},
    {"Backpack", "Accessories", OPT_COLOR, 49, 129, 800},
    {"Cap", "Apparel", OPT_COLOR, 19, 34, 120},
    {"Socks", "Apparel", OPT_SIZE, 9, 16, 80},
    {"Headphones", "Electronics", OPT_COLOR, 49, 199, 350},
    {"Yoga Mat", "Sports", OPT_COLOR, 29, 79, 1200},
    {"Tea Sampler", "Food", OPT_NONE, 14, 29, 300},
    {"Coffee Beans", "Food", OPT_GRIND, 12, 24, 500},
    {"Sunglasses", "Accessories", OPT_NONE, 25, 120, 60},
    {"Wallet", "Accessories", OPT_COLOR, 29, 69, 100},
    {"Scarf", "Apparel", OPT_COLOR, 22, 59, 150},
};

static const char *const adjectives[] = {"Organic", "Classic", "Vintage",  "Everyday",
                                         "Premium", "Eco",     "Alpine",   "Coastal",
                                         "Urban",   "Minimal", "Handmade", "Recycled"};

static const char *const vendors[] = {"Northwind Supply", "Acme Outfitters", "Blue Harbor Co.",
                                      "Studio Kiln",      "Fjord & Pine",    "Maple Street Goods"};

static const char *const colors[][2] = {{"Black", "BLK"}, {"White", "WHT"}, {"Navy", "NVY"},
                                        {"Olive", "OLV"}, {"Sand", "SND"},  {"Red", "RED"}};
static const char *const sizes[] = {"S", "M", "L", "XL"};
static const char *const scents[][2] = {{"Lavender", "LAV"}, {"Cedar", "CDR"}, {"Vanilla", "VAN"}};
static const char *const grinds[][2] = {
    {"Whole Bean", "WB"}, {"Espresso", "ESP"}, {"Filter", "FLT"}};
static const char *const shoes[] = {"40", "41", "42", "43", "44"};

static void variant_option(enum opt_kind opt, int k, struct sb_rng *r, char *title, size_t tlen,
                           char *code, size_t clen) {
  switch (opt) {
  case OPT_SIZE_COLOR: {
    const char *sz = sizes[(k + sb_rng_below(r, 2)) % N(sizes)];
    int c = (int)sb_rng_below(r, N(colors));
    snprintf(title, tlen, "%s / %s", sz, colors[c][0]);
    snprintf(code, clen, "%s-%s", sz, colors[c][1]);
    return;
  }
  case OPT_COLOR: {
    int c = (k * 2 + (int)sb_rng_below(r, 2)) % (int)N(colors);
    snprintf(title, tlen, "%s", colors[c][0]);
    snprintf(code, clen, "%s", colors[c][1]);
    return;
  }
  case OPT_SIZE:
    snprintf(title, tlen, "%s", sizes[k % N(sizes)]);
    snprintf(code, clen, "%s", sizes[k % N(sizes)]);
    return;
  case OPT_SCENT:
    snprintf(title, tlen, "%s", scents[k % N(scents)][0]);
    snprintf(code, clen, "%s", scents[k % N(scents)][1]);
    return;
  case OPT_GRIND:
    snprintf(title, tlen, "%s", grinds[k % N(grinds)][0]);
    snprintf(code, clen, "%s", grinds[k % N(grinds)][1]);
    return;
  case OPT_SHOE:
    snprintf(title, tlen, "%s", shoes[(k * 2) % N(shoes)]);
    snprintf(code, clen, "%s", shoes[(k * 2) % N(shoes)]);
    return;
  case OPT_NONE:
  default:
    snprintf(title, tlen, "Default Title");
    snprintf(code, clen, "STD");
    return;
  }
}

static int64_t price_cents(struct sb_rng *r, int lo, int hi) {
  static const int cents[] = {0, 50, 95, 99};
  int64_t units = lo + (int64_t)sb_rng_below(r, (uint64_t)(hi - lo + 1));
  return units * 100 + cents[sb_rng_below(r, N(cents))];
}

/* Catalog entry k, drawn from r. */
static void product_make(const struct sb_shop *s, uint32_t k, struct sb_rng *r,
                         struct sb_product *p) {
  char prefix[4] = "XXX";
  for (int i = 0; i < 3 && s->name[i]; i++) {
    char c = s->name[i];
    prefix[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c == '-' ? 'X' : c);
  }
  memset(p, 0, sizeof(*p));
  p->noun = (uint8_t)sb_rng_below(r, N(nouns));
  const struct noun *n = &nouns[p->noun];
  const char *adj = adjectives[sb_rng_below(r, N(adjectives))];
  int64_t base = price_cents(r, n->lo, n->hi);
  p->opt = (uint8_t)n->opt;
  p->id = PRODUCT_ID_BASE + (((uint64_t)s->index * 4096 + (uint64_t)k) << 8) + sb_rng_below(r, 256);
  snprintf(p->title, sizeof(p->title), "%s %s", adj, n->name);
  p->vendor = vendors[sb_rng_below(r, N(vendors))];
  p->product_type = n->type;
  p->nvariants = n->opt == OPT_NONE ? 1 : 1 + (int)sb_rng_below(r, 3);
  p->weight = 1 + (uint32_t)sb_rng_below(r, 20);
  for (int v = 0; v < p->nvariants; v++) {
    struct sb_variant *var = &p->variants[v];
    char code[12];
    var->id = VARIANT_ID_BASE +
              (((uint64_t)s->index * 4096 + (uint64_t)k) * 4 + (uint64_t)v) * 1000 +
              sb_rng_below(r, 1000);
    variant_option(n->opt, v, r, var->title, sizeof(var->title), code, sizeof(code));
    snprintf(var->sku, sizeof(var->sku), "%s-%04u-%s", prefix, (unsigned)k + 1, code);
    var->price = base + (n->opt == OPT_SIZE_COLOR && v == 2 ? 200 : 0);
    var->grams = n->grams;
  }
}

static int catalog_build(struct sb_shop *s) {
  struct sb_rng r;
  s->catalog = calloc(CATALOG_SIZE, sizeof(*s->catalog));
  if (!s->catalog)
    return MS_ENOMEM;
  s->ncatalog = CATALOG_SIZE;
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, 0, SALT_CATALOG));
  for (int k = 0; k < CATALOG_SIZE; k++) {
    product_make(s, (uint32_t)k, &r, &s->catalog[k]);
    s->catalog_weight += s->catalog[k].weight;
  }
  return MS_OK;
}

void sb_catalog_entry(const struct sb_shop *s, uint32_t k, struct sb_product *out) {
  struct sb_rng r;
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, k, SALT_NEW_PRODUCT));
  product_make(s, k, &r, out);
}

const char *sb_noun_name(int noun) {
  return noun >= 0 && noun < (int)N(nouns) ? nouns[noun].name : "Item";
}

const char *sb_adjective(uint64_t pick) {
  return adjectives[pick % N(adjectives)];
}

int sb_option_names(int opt, const char *names[2]) {
  switch (opt) {
  case OPT_SIZE_COLOR:
    names[0] = "Size";
    names[1] = "Color";
    return 2;
  case OPT_COLOR:
    names[0] = "Color";
    return 1;
  case OPT_SIZE:
  case OPT_SHOE:
    names[0] = "Size";
    return 1;
  case OPT_SCENT:
    names[0] = "Scent";
    return 1;
  case OPT_GRIND:
    names[0] = "Grind";
    return 1;
  default:
    names[0] = "Title";
    return 1;
  }
}

/* ---- orders ---- */

static int orders_reserve(struct sb_shop *s, size_t extra) {
  size_t need = s->norders + extra;
  if (need > SB_MAX_ORDERS)
    return MS_ETOOBIG;
  return array_reserve((void **)&s->orders, &s->cap, need, sizeof(*s->orders), 1024);
}

static uint64_t order_id(const struct sb_shop *s, uint64_t seq) {
  uint64_t jitter = sb_hash4(s->seed, (uint64_t)s->index, seq, SALT_ID) & 1023;
  return ORDER_ID_BASE + ((seq * SB_MAX_SHOPS + (uint64_t)s->index) << 10) + jitter;
}

/* The refunds behind a generated partially_refunded or refunded status: the
 * last one at updated_at; 30 % of refunded orders (not cancelled ones) were
 * refunded in two steps, the first halfway. Drawn from their own stream, so
 * the statuses are what they were before refunds were kept. */
static void order_initial_refunds(const struct sb_shop *s, struct sb_order *o) {
  struct sb_rng r;
  uint32_t last = (uint32_t)(o->updated_at - o->created_at);
  if (o->financial == SB_FIN_PARTIALLY_REFUNDED) {
    o->nrefunds = 1;
    o->refund_after[0] = last;
  } else if (o->financial == SB_FIN_REFUNDED) {
    sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, o->id, SALT_REFUND_INIT));
    if (!o->cancelled_at && sb_rng_pct(&r, 30)) {
      o->nrefunds = 2;
      o->refund_after[0] = last / 2;
      o->refund_after[1] = last;
    } else {
      o->nrefunds = 1;
      o->refund_after[0] = last;
    }
  }
}

/* Statuses of an order as generated: older orders are mostly paid and
 * fulfilled, recent ones often still open. */
static void order_initial_status(const struct sb_shop *s, struct sb_order *o, int64_t now) {
  struct sb_rng r;
  int64_t age = now - o->created_at;
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, o->id, SALT_STATUS));
  uint64_t delay;
  unsigned u = (unsigned)sb_rng_below(&r, 100);
  if (u < 60)
    delay = 60 + sb_rng_below(&r, 3600);
  else if (u < 90)
    delay = sb_rng_below(&r, 3 * DAY);
  else
    delay = sb_rng_below(&r, 20 * DAY);
  /* An update that would fall after now lands somewhere between the
   * order's creation and now instead: recent orders are touched at times
   * spread like real ones, not all in the second the sandbox started. */
  if (o->created_at + (int64_t)delay > now)
    delay = now > o->created_at ? delay % (uint64_t)(now - o->created_at + 1) : 0;
  o->updated_at = o->created_at + (int64_t)delay;
  if (sb_rng_pct(&r, 3)) {
    o->cancelled_at = o->updated_at;
    o->closed_at = o->updated_at;
    o->cancel_reason = (uint8_t)(1 + sb_rng_below(&r, 5));
    o->financial = sb_rng_pct(&r, 60) ? SB_FIN_VOIDED : SB_FIN_REFUNDED;
    o->fulfillment = SB_FUL_NONE;
    order_initial_refunds(s, o);
    return;
  }
  u = (unsigned)sb_rng_below(&r, 100);
  o->financial = u < 4    ? SB_FIN_PENDING
                 : u < 9  ? SB_FIN_AUTHORIZED
                 : u < 90 ? SB_FIN_PAID
                 : u < 95 ? SB_FIN_PARTIALLY_REFUNDED
                          : SB_FIN_REFUNDED;
  u = (unsigned)sb_rng_below(&r, 100);
  if (o->financial == SB_FIN_PENDING || o->financial == SB_FIN_AUTHORIZED)
    o->fulfillment = SB_FUL_NONE;
  else if (age < DAY)
    o->fulfillment = u < 30 ? SB_FUL_FULFILLED : u < 35 ? SB_FUL_PARTIAL : SB_FUL_NONE;
  else
    o->fulfillment = u < 85 ? SB_FUL_FULFILLED : u < 90 ? SB_FUL_PARTIAL : SB_FUL_NONE;
  if (o->financial == SB_FIN_REFUNDED ||
      (o->financial != SB_FIN_PENDING && o->financial != SB_FIN_AUTHORIZED &&
       o->fulfillment == SB_FUL_FULFILLED))
    o->closed_at = o->updated_at;
  order_initial_refunds(s, o);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static int order_append(struct sb_shop *s, int64_t created, int64_t now) {
  int rc = orders_reserve(s, 1);
  if (rc)
    return rc;
  struct sb_order *o = &s->orders[s->norders++];
  memset(o, 0, sizeof(*o));
  o->id = order_id(s, s->next_seq++);
  o->created_at = created;
  o->number = s->next_number++;
  order_initial_status(s, o, now);
  return MS_OK;
}

/* How busy a local hour is, out of 10: quiet nights, busy evenings. */
static int hour_weight(int64_t secs_into_day) {
  static const int w[24] = {3, 2, 1, 1, 1, 2, 3,  5,  6,  7, 8, 8,
                            9, 8, 8, 8, 8, 9, 10, 10, 10, 9, 7, 5};
  int64_t h = secs_into_day / 3600;
  return w[h < 0 ? 0 : h > 23 ? 23 : h];
}

int sb_day_instants(struct tz *tz, struct civil_date day, struct sb_rng *r, int per_day,
                    int64_t **tmp, size_t *tmpcap, size_t *count) {
  int64_t start, end;
  int64_t dnum = date_to_days(day);
  if (tz_day_bounds(tz, day, &start, &end))
    return MS_EINVAL;
  /* 1970-01-01 was a Thursday; weekends sell a little more. */
  int wday = (int)(((dnum % 7) + 11) % 7); /* 0 = Sunday */
  double factor = 0.75 + 0.5 * sb_rng_unit(r);
  if (wday == 0 || wday == 6)
    factor *= 1.15;
  size_t want = (size_t)(per_day * factor + 0.5);
  size_t need = want + 2;
  if (need > *tmpcap) {
    int64_t *p = realloc(*tmp, need * sizeof(*p));
    if (!p)
      return MS_ENOMEM;
    *tmp = p;
    *tmpcap = need;
  }
  int64_t *t = *tmp;
  size_t n = 0;
  t[n++] = start;   /* the local midnight edge case */
  t[n++] = end - 1; /* and 23:59:59 */
  while (n < need) {
    int64_t c = start + (int64_t)sb_rng_below(r, (uint64_t)(end - start));
    if ((int)sb_rng_below(r, 10) < hour_weight(c - start))
      t[n++] = c;
  }
  qsort(t, n, sizeof(*t), cmp_i64);
  *count = n;
  return MS_OK;
}

static int day_generate(struct sb_shop *s, struct civil_date day, int64_t now, int64_t **tmp,
                        size_t *tmpcap) {
  struct sb_rng r;
  size_t n;
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, (uint64_t)date_to_days(day), SALT_DAY));
  int rc = sb_day_instants(s->zone.tz, day, &r, s->orders_per_day, tmp, tmpcap, &n);
  for (size_t i = 0; !rc && i < n && (*tmp)[i] <= now; i++)
    rc = order_append(s, (*tmp)[i], now);
  return rc;
}

int sb_shop_init(struct sb_shop *s, const struct sb_shop_conf *conf, int index, uint64_t seed,
                 int64_t now, int days, struct err *err) {
  struct civil_date today, first;
  int64_t start, end, *tmp = NULL;
  size_t tmpcap = 0;
  int rc;
  memset(s, 0, sizeof(*s));
  if (index < 0 || index >= SB_MAX_SHOPS)
    return err_set(err, MS_EINVAL, "too many shops (at most %d)", SB_MAX_SHOPS);
  if (days < 0 || days > SB_MAX_DAYS || conf->orders_per_day < 0 ||
      conf->orders_per_day > SB_MAX_PER_DAY)
    return err_set(err, MS_EINVAL, "shop %s: days or orders per day out of range", conf->name);
  snprintf(s->name, sizeof(s->name), "%s", conf->name);
  snprintf(s->tzid, sizeof(s->tzid), "%s", conf->tzid);
  s->index = index;
  s->seed = seed;
  s->orders_per_day = conf->orders_per_day;
  s->region = sb_region_for_zone(conf->tzid);
  s->id = 50000000000ULL + sb_hash4(seed, (uint64_t)index, 0, SALT_SHOP) % 9000000000ULL;
  s->next_number = 1001;
  {
    /* Offsets are cached from two years before the first day (customers
     * and the shop itself are older than their orders) to two years on. */
    struct tz *probe;
    rc = tz_open(conf->tzid, &probe, err);
    if (rc)
      return rc;
    rc = tz_local_date(probe, now, &today);
    first = date_add(today, -days);
    if (!rc)
      rc = tz_day_bounds(probe, first, &start, &end);
    tz_free(probe);
    if (rc)
      return err_set(err, MS_EINVAL, "shop %s: cannot compute local days in %s", conf->name,
                     conf->tzid);
  }
  s->range_start = start;
  s->created = start - 400 * (int64_t)DAY;
  rc =
      sb_zone_init(&s->zone, conf->tzid, start - 800 * (int64_t)DAY, now + 800 * (int64_t)DAY, err);
  if (rc)
    return rc;
  rc = catalog_build(s);
  uint64_t expected = (uint64_t)conf->orders_per_day * (uint64_t)(days + 1);
  if (expected > SB_MAX_ORDERS)
    rc = MS_ETOOBIG;
  if (!rc)
    rc = orders_reserve(s, (size_t)expected + (size_t)(days + 1) * 3);
  s->ncustomers = (uint32_t)(expected / 3 > 100 ? expected / 3 : 100);
  for (struct civil_date d = first; !rc && date_cmp(d, today) <= 0; d = date_add(d, 1))
    rc = day_generate(s, d, now, &tmp, &tmpcap);
  free(tmp);
  if (!rc)
    rc = sb_world_init(s, now);
  if (rc) {
    sb_shop_release(s);
    return err_set(err, rc, "shop %s: cannot generate orders: %s", conf->name, ms_strerror(rc));
  }
  return MS_OK;
}

void sb_shop_release(struct sb_shop *s) {
  if (!s)
    return;
  sb_zone_release(&s->zone);
  free(s->catalog);
  free(s->orders);
  free(s->products);
  free(s->customers);
  free(s->events);
  s->catalog = NULL;
  s->orders = NULL;
  s->products = NULL;
  s->customers = NULL;
  s->events = NULL;
  s->norders = s->cap = 0;
  s->nproducts = s->ncustomer_recs = s->nevents = 0;
}

long sb_shop_find(const struct sb_shop *s, uint64_t id) {
  size_t a = 0, b = s->norders;
  while (a < b) {
    size_t mid = a + (b - a) / 2;
    if (s->orders[mid].id < id)
      a = mid + 1;
    else
      b = mid;
  }
  return a < s->norders && s->orders[a].id == id ? (long)a : -1;
}

int sb_shop_create_order(struct sb_shop *s, int64_t now) {
  int rc = orders_reserve(s, 1);
  if (rc)
    return rc;
  if (s->norders && now < s->orders[s->norders - 1].created_at)
    now = s->orders[s->norders - 1].created_at;
  struct sb_order *o = &s->orders[s->norders++];
  struct sb_rng r;
  memset(o, 0, sizeof(*o));
  o->id = order_id(s, s->next_seq++);
  o->created_at = now;
  o->updated_at = now;
  o->number = s->next_number++;
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, o->id, SALT_STATUS));
  o->financial = sb_rng_pct(&r, 80) ? SB_FIN_PAID : SB_FIN_PENDING;
  o->fulfillment = SB_FUL_NONE;
  return MS_OK;
}

static void order_advance(struct sb_order *o, struct sb_rng *r) {
  if (o->cancelled_at)
    return; /* only a note or tag edit: the version and updated_at move */
  if (o->fulfillment != SB_FUL_FULFILLED && sb_rng_pct(r, 5)) {
    o->cancelled_at = o->updated_at;
    o->closed_at = o->updated_at;
    o->cancel_reason = (uint8_t)(1 + sb_rng_below(r, 5));
    o->financial = o->financial == SB_FIN_PENDING || o->financial == SB_FIN_AUTHORIZED
                       ? SB_FIN_VOIDED
                       : SB_FIN_REFUNDED;
    o->fulfillment = SB_FUL_NONE;
    return;
  }
  switch (o->financial) {
  case SB_FIN_PENDING:
    o->financial = sb_rng_pct(r, 30) ? SB_FIN_AUTHORIZED : SB_FIN_PAID;
    break;
  case SB_FIN_AUTHORIZED:
    o->financial = SB_FIN_PAID;
    break;
  case SB_FIN_PAID:
    if (o->fulfillment == SB_FUL_NONE)
      o->fulfillment = sb_rng_pct(r, 20) ? SB_FUL_PARTIAL : SB_FUL_FULFILLED;
    else if (o->fulfillment == SB_FUL_PARTIAL)
      o->fulfillment = SB_FUL_FULFILLED;
    else if (sb_rng_pct(r, 30))
      o->financial = SB_FIN_PARTIALLY_REFUNDED;
    break;
  case SB_FIN_PARTIALLY_REFUNDED:
    if (sb_rng_pct(r, 50))
      o->financial = SB_FIN_REFUNDED;
    break;
  default:
    break;
  }
  if (!o->closed_at &&
      (o->financial == SB_FIN_REFUNDED ||
       ((o->financial == SB_FIN_PAID || o->financial == SB_FIN_PARTIALLY_REFUNDED) &&
        o->fulfillment == SB_FUL_FULFILLED)))
    o->closed_at = o->updated_at;
}

int64_t sb_stamp(int64_t previous, int64_t now) {
  return now > previous ? now : previous + 1;
}

void sb_order_change(struct sb_order *o, int64_t now, struct sb_rng *r) {
  int before = o->financial;
  o->version++;
  o->updated_at = sb_stamp(o->updated_at, now);
  order_advance(o, r);
  if (o->financial != before &&
      (o->financial == SB_FIN_PARTIALLY_REFUNDED || o->financial == SB_FIN_REFUNDED) &&
      o->nrefunds < SB_MAX_REFUNDS)
    o->refund_after[o->nrefunds++] = (uint32_t)(o->updated_at - o->created_at);
}

int sb_order_refundable(const struct sb_order *o) {
  return !o->deleted && !o->cancelled_at && o->nrefunds < SB_MAX_REFUNDS &&
         (o->financial == SB_FIN_PAID || o->financial == SB_FIN_PARTIALLY_REFUNDED);
}

int sb_order_add_refund(struct sb_order *o, int64_t now) {
  if (!sb_order_refundable(o))
    return MS_EINVAL;
  o->version++;
  o->updated_at = sb_stamp(o->updated_at, now);
  o->refund_after[o->nrefunds++] = (uint32_t)(o->updated_at - o->created_at);
  if (o->financial == SB_FIN_PAID) {
    o->financial = SB_FIN_PARTIALLY_REFUNDED;
  } else {
    o->financial = SB_FIN_REFUNDED;
    if (!o->closed_at)
      o->closed_at = o->updated_at;
  }
  return MS_OK;
}

size_t sb_shop_pick_order(const struct sb_shop *s, struct sb_rng *r) {
  size_t pos;
  if (sb_rng_pct(r, 70)) {
    /* Recent orders change more often: pick among the last seven days. */
    int64_t since = s->orders[s->norders - 1].created_at - 7 * (int64_t)DAY;
    size_t a = 0, b = s->norders;
    while (a < b) {
      size_t mid = a + (b - a) / 2;
      if (s->orders[mid].created_at < since)
        a = mid + 1;
      else
        b = mid;
    }
    pos = a + (size_t)sb_rng_below(r, s->norders - a);
  } else {
    pos = (size_t)sb_rng_below(r, s->norders);
  }
  return pos;
}

void sb_shop_order_rng(struct sb_shop *s, struct sb_rng *r) {
  sb_rng_seed(r, sb_hash4(s->seed, (uint64_t)s->index, s->mutations++, SALT_MUTATE));
}

long sb_shop_update_one(struct sb_shop *s, int64_t now) {
  struct sb_rng r;
  if (!s->norders)
    return -1;
  sb_shop_order_rng(s, &r);
  size_t pos = sb_shop_pick_order(s, &r);
  sb_order_change(&s->orders[pos], now, &r);
  return (long)pos;
}

/* ---- content derived at render time ---- */

static void fmt_zip(const struct sb_region *rg, const struct sb_city *c, struct sb_rng *r,
                    char *out, size_t len) {
  switch (rg->zip_style) {
  case SB_ZIP_DE:
    snprintf(out, len, "%s%03u", c->zip_prefix, (unsigned)sb_rng_below(r, 1000));
    return;
  case SB_ZIP_GB: {
    static const char letters[] = "ABDEFGHJLNPQRSTUWXYZ";
    snprintf(out, len, "%s %u%c%c", c->zip_prefix, (unsigned)sb_rng_below(r, 10),
             letters[sb_rng_below(r, sizeof(letters) - 1)],
             letters[sb_rng_below(r, sizeof(letters) - 1)]);
    return;
  }
  case SB_ZIP_US:
  default:
    snprintf(out, len, "%s%02u", c->zip_prefix, (unsigned)sb_rng_below(r, 100));
    return;
  }
}

static void fmt_phone(const struct sb_region *rg, const struct sb_city *c, struct sb_rng *r,
                      char *out, size_t len) {
  if (rg->zip_style == SB_ZIP_US)
    snprintf(out, len, "%s%s555%04u", rg->phone_cc, c->area, (unsigned)sb_rng_below(r, 10000));
  else
    snprintf(out, len, "%s%s%07u", rg->phone_cc, c->area, (unsigned)sb_rng_below(r, 10000000));
}

static void make_address(const struct sb_shop *s, struct sb_rng *r, const char *first,
                         const char *last, struct sb_address *a) {
  static const char *const apartments[] = {"Apt 4B", "Suite 210", "Unit 7", "2. OG", "Floor 3"};
  static const char *const companies[] = {"Hooli", "Initech", "Globex GmbH", "Umbrella Ltd"};
  const struct sb_region *rg = s->region;
  const struct sb_city *c = &rg->cities[sb_rng_below(r, rg->ncities)];
  const char *street = rg->streets[sb_rng_below(r, rg->nstreets)];
  unsigned num = 1 + (unsigned)sb_rng_below(r, rg->street_number_first ? 2400 : 120);
  memset(a, 0, sizeof(*a));
  a->first = first;
  a->last = last;
  if (rg->street_number_first)
    snprintf(a->address1, sizeof(a->address1), "%u %s", num, street);
  else
    snprintf(a->address1, sizeof(a->address1), "%s %u", street, num);
  a->address2 = sb_rng_pct(r, 20) ? apartments[sb_rng_below(r, N(apartments))] : NULL;
  a->company = sb_rng_pct(r, 8) ? companies[sb_rng_below(r, N(companies))] : NULL;
  a->city = c->name;
  a->province = c->province;
  a->province_code = c->province_code;
  fmt_zip(rg, c, r, a->zip, sizeof(a->zip));
  a->country = rg->country;
  a->country_code = rg->country_code;
  if (sb_rng_pct(r, 70))
    fmt_phone(rg, c, r, a->phone, sizeof(a->phone));
  a->latitude = c->lat + ((double)sb_rng_below(r, 2001) - 1000.0) / 20000.0;
  a->longitude = c->lon + ((double)sb_rng_below(r, 2001) - 1000.0) / 20000.0;
}

/* ASCII lower-case of a name for an e-mail address; non-ASCII letters map
 * to their base letter where simple, else they are dropped. */
static size_t email_part(const char *name, char *out, size_t len) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)name; *p && n + 2 < len; p++) {
    unsigned char c = *p;
    if (c >= 'A' && c <= 'Z')
      out[n++] = (char)(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
      out[n++] = (char)c;
    else if (c == 0xC3 && p[1]) {
      /* Latin-1 supplement: ä ö ü ß é ó ë, upper and lower. */
      static const char map[64] = "aaaaaaaceeeeiiiidnooooo/ouuuuyts"
                                  "aaaaaaaceeeeiiiidnooooo/ouuuuyty";
      char m = map[(p[1] - 0x80) & 63];
      p++;
      if (m != '/')
        out[n++] = m;
    }
  }
  out[n] = '\0';
  return n;
}

static void make_person(const struct sb_shop *s, uint32_t index, struct sb_person *p,
                        struct sb_address *addr) {
  struct sb_rng r;
  char f[32], l[32];
  const struct sb_region *rg = s->region;
  static const char *const domains[] = {"example.com", "example.org", "example.net"};
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, index, SALT_CUSTOMER));
  memset(p, 0, sizeof(*p));
  p->index = index;
  p->id = CUSTOMER_ID_BASE + (((uint64_t)index * SB_MAX_SHOPS + (uint64_t)s->index) << 10) +
          sb_rng_below(&r, 1024);
  p->first = rg->first_names[sb_rng_below(&r, rg->nfirst)];
  p->last = rg->last_names[sb_rng_below(&r, rg->nlast)];
  email_part(p->first, f, sizeof(f));
  email_part(p->last, l, sizeof(l));
  snprintf(p->email, sizeof(p->email), "%s.%s%u@%s", f, l, index % 1000,
           domains[sb_rng_below(&r, N(domains))]);
  p->created_at = s->created + (int64_t)sb_rng_below(&r, 400 * DAY);
  p->marketing = sb_rng_pct(&r, 40);
  p->orders_hint = (int)sb_rng_below(&r, 40);
  make_address(s, &r, p->first, p->last, addr);
  snprintf(p->phone, sizeof(p->phone), "%s", addr->phone);
}

void sb_person_make(const struct sb_shop *s, uint32_t index, struct sb_person *p,
                    struct sb_address *addr) {
  make_person(s, index, p, addr);
}

uint64_t sb_order_seq(uint64_t order_id) {
  return (order_id - ORDER_ID_BASE) >> 10;
}

uint32_t sb_order_customer_index(const struct sb_shop *s, uint64_t order_id) {
  struct sb_rng r;
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, order_id, SALT_CONTENT));
  return (uint32_t)sb_rng_below(&r, s->ncustomers);
}

static const struct sb_product *pick_product(const struct sb_shop *s, struct sb_rng *r) {
  uint64_t w = sb_rng_below(r, s->catalog_weight);
  for (size_t i = 0; i < s->ncatalog; i++) {
    if (w < s->catalog[i].weight)
      return &s->catalog[i];
    w -= s->catalog[i].weight;
  }
  return &s->catalog[s->ncatalog - 1];
}

/* Tax of an amount at a rate in ppm, rounded half up; when the amount
 * already includes the tax, the included part. */
static int64_t tax_of(int64_t amount, int ppm, int included) {
  if (included)
    return (amount * ppm + (1000000 + ppm) / 2) / (1000000 + ppm);
  return (amount * ppm + 500000) / 1000000;
}

static void hex_token(struct sb_rng *r, char *out, size_t n) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++)
    out[i] = hex[sb_rng_below(r, 16)];
  out[n] = '\0';
}

void sb_order_content(const struct sb_shop *s, const struct sb_order *o, struct sb_content *c) {
  static const char *const gateways[] = {"shopify_payments", "shopify_payments", "paypal",
                                         "shopify_payments", "manual"};
  static const char *const notes[] = {"Please gift wrap, it is a birthday present.",
                                      "Leave at the \"back door\" if nobody answers.",
                                      "Call before delivery.", "Ship together with order #1042."};
  static const char *const tag_sets[] = {
      "", "", "", "", "vip", "wholesale", "newsletter, repeat", "gift", "vip, priority"};
  static const char *const referrers[] = {
      "", "https://www.google.com/", "https://www.instagram.com/", "https://www.facebook.com/", ""};
  static const char *const landings[] = {"/", "/collections/all", "/products/new-arrivals",
                                         "/?utm_source=newsletter", "/collections/sale"};
  static const char *const carriers[] = {"UPS", "USPS", "FedEx", "DHL Express", "Royal Mail"};
  const struct sb_region *rg = s->region;
  struct sb_rng r;
  uint64_t seq = ((o->id - ORDER_ID_BASE) >> 10); /* seq * SB_MAX_SHOPS + shop index */
  memset(c, 0, sizeof(*c));
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, o->id, SALT_CONTENT));

  make_person(s, (uint32_t)sb_rng_below(&r, s->ncustomers), &c->customer, &c->billing);
  if (sb_rng_pct(&r, 12)) {
    struct sb_rng g;
    sb_rng_seed(&g, sb_hash4(s->seed, (uint64_t)s->index, o->id, SALT_GIFT));
    make_address(s, &g, rg->first_names[sb_rng_below(&g, rg->nfirst)],
                 rg->last_names[sb_rng_below(&g, rg->nlast)], &c->shipping);
  } else {
    c->shipping = c->billing;
  }
  /* Tax follows the shipping address's city in the US, the country in the EU. */
  for (size_t i = 0; i < rg->ncities; i++) {
    if (rg->cities[i].name == c->shipping.city) {
      c->tax_rate_ppm = rg->cities[i].tax_ppm;
      break;
    }
  }
  c->taxes_included = rg->taxes_included;
  c->tax_title = rg->tax_title;

  unsigned u = (unsigned)sb_rng_below(&r, 100);
  c->nlines = u < 40 ? 1 : u < 70 ? 2 : u < 85 ? 3 : u < 95 ? 4 : 5;
  for (int i = 0; i < c->nlines; i++) {
    struct sb_line *l = &c->lines[i];
    l->id = LINE_ID_BASE + seq * SB_MAX_LINES + (uint64_t)i;
    l->product = pick_product(s, &r);
    l->variant = &l->product->variants[sb_rng_below(&r, (uint64_t)l->product->nvariants)];
    u = (unsigned)sb_rng_below(&r, 100);
    l->quantity = u < 75 ? 1 : u < 93 ? 2 : 3;
    l->price = l->variant->price;
    c->line_items_total += l->price * l->quantity;
    c->grams += l->variant->grams * l->quantity;
  }

  u = (unsigned)sb_rng_below(&r, 100);
  if (u < 15) {
    c->discount_code = "WELCOME10";
    c->discount_pct = 10;
  } else if (u < 23 && c->line_items_total > 2000) {
    c->discount_code = "SAVE5";
    c->discount_fixed = 500;
  }
  int64_t left = c->discount_fixed;
  for (int i = 0; i < c->nlines; i++) {
    struct sb_line *l = &c->lines[i];
    int64_t gross = l->price * l->quantity;
    if (c->discount_pct)
      l->discount = (gross * c->discount_pct + 50) / 100;
    else if (c->discount_fixed)
      l->discount = i == c->nlines - 1 ? left : c->discount_fixed * gross / c->line_items_total;
    left -= l->discount;
    l->tax = tax_of(gross - l->discount, c->tax_rate_ppm, c->taxes_included);
    c->discounts += l->discount;
    c->tax += l->tax;
  }
  c->subtotal = c->line_items_total - c->discounts;

  if (sb_rng_pct(&r, 15)) {
    c->ship_title = "Express Shipping";
    c->ship_code = "EXPRESS";
    c->ship_price = rg->ship_express;
  } else {
    c->ship_title = "Standard Shipping";
    c->ship_code = "STANDARD";
    c->ship_price = c->subtotal >= rg->free_shipping_over ? 0 : rg->ship_standard;
  }
  c->ship_tax = c->taxes_included ? tax_of(c->ship_price, c->tax_rate_ppm, 1) : 0;
  c->tax += c->ship_tax;
  c->total = c->subtotal + c->ship_price + (c->taxes_included ? 0 : c->tax);

  c->gateway = gateways[sb_rng_below(&r, N(gateways))];
  u = (unsigned)sb_rng_below(&r, 100);
  c->source_name = u < 80 ? "web" : u < 90 ? "pos" : u < 96 ? "shopify_draft_order" : "iphone";
  c->note = sb_rng_pct(&r, 10) ? notes[sb_rng_below(&r, N(notes))] : NULL;
  c->tags = tag_sets[sb_rng_below(&r, N(tag_sets))];
  c->landing_site = landings[sb_rng_below(&r, N(landings))];
  c->referring_site = referrers[sb_rng_below(&r, N(referrers))];
  snprintf(c->browser_ip, sizeof(c->browser_ip), "%u.%u.%u.%u",
           23 + (unsigned)sb_rng_below(&r, 180), (unsigned)sb_rng_below(&r, 256),
           (unsigned)sb_rng_below(&r, 256), 1 + (unsigned)sb_rng_below(&r, 254));
  hex_token(&r, c->token, 32);
  hex_token(&r, c->cart_token, 24);
  {
    static const char alnum[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (int i = 0; i < 9; i++)
      c->confirmation[i] = alnum[sb_rng_below(&r, sizeof(alnum) - 1)];
    c->confirmation[9] = '\0';
  }
  c->checkout_id = CHECKOUT_ID_BASE + seq * 16 + sb_rng_below(&r, 16);
  c->location_id = 60000000000ULL + (uint64_t)s->index * 1000 + 1;
  snprintf(c->tracking, sizeof(c->tracking), "1Z%08u%08u", (unsigned)sb_rng_below(&r, 100000000),
           (unsigned)sb_rng_below(&r, 100000000));
  c->carrier = carriers[sb_rng_below(&r, N(carriers))];
}
