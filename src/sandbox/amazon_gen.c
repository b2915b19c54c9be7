/* The Amazon sellers' data: catalogs, order index entries, their statuses
 * over time, and the content derived from (seed, seller, seq). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "sandbox/amazon.h"
#include "sandbox/prng.h"
#include "util/tz.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define DAY 86400
#define ID_SPACE 1000000000000000ULL /* 10^15: the digits after the leading "11" */
#define ITEM_BASE 10000000000000ULL  /* OrderItemIds have 14 digits, */
#define ITEM_SPACE 90000000000000ULL /* so there are 9 x 10^13 of them */

/* Sellers hash (seed, SELLER_NS + index, ...), which keeps their random
 * streams apart from the shops' (seed, shop index, ...). */
#define SELLER_NS 0x5e11e70000000000ULL

enum {
  SALT_DAY = 101,
  SALT_STATUS,
  SALT_SHAPE,
  SALT_CONTENT,
  SALT_CATALOG,
  SALT_MUTATE,
  SALT_IDS,
  SALT_SHIP
};

static uint64_t stream(const struct sb_seller *s) {
  return SELLER_NS + (uint64_t)s->index;
}

/* ---- statuses ---- */

static const char *const status_names[SB_AMZ_STATUS_COUNT] = {
    "Pending", "PendingAvailability", "Unshipped", "PartiallyShipped",
    "Shipped", "InvoiceUnconfirmed",  "Canceled",  "Unfulfillable"};

const char *sb_amz_status_name(int status) {
  return status >= 0 && status < SB_AMZ_STATUS_COUNT ? status_names[status] : "Pending";
}

int sb_amz_status_parse(const char *name, size_t len) {
  for (int i = 0; i < SB_AMZ_STATUS_COUNT; i++)
    if (strlen(status_names[i]) == len && memcmp(status_names[i], name, len) == 0)
      return i;
  return -1;
}

int sb_amz_status_pending(int status) {
  return status == SB_AMZ_PENDING || status == SB_AMZ_PENDING_AVAILABILITY;
}

/* ---- ids: bijections of (seq, seller) onto the id spaces ---- */

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) {
  return (uint64_t)((unsigned __int128)a * b % m);
}

/* The inverse of a modulo m; a MUST be coprime with m. */
static uint64_t inverse(uint64_t a, uint64_t m) {
  __int128 t = 0, nt = 1, r = (__int128)m, nr = (__int128)a;
  while (nr) {
    __int128 q = r / nr, tmp = t - q * nt;
    t = nt;
    nt = tmp;
    tmp = r - q * nr;
    r = nr;
    nr = tmp;
  }
  return (uint64_t)(t < 0 ? t + (__int128)m : t);
}

/* A multiplier coprime with m, whose only prime factors are 2, 3 and 5. */
static uint64_t coprime(uint64_t h, uint64_t m) {
  uint64_t x = h % m;
  while (x < 1000 || x % 2 == 0 || x % 3 == 0 || x % 5 == 0)
    x = (x + 1) % m;
  return x;
}

static uint64_t order_key(const struct sb_seller *s, uint64_t seq) {
  return seq * SB_MAX_SELLERS + (uint64_t)s->index;
}

uint64_t sb_seller_idnum(const struct sb_seller *s, uint32_t seq) {
  return (mulmod(order_key(s, seq), s->id_mul, ID_SPACE) + s->id_add) % ID_SPACE;
}

void sb_amz_order_id(const struct sb_amz_order *o, char out[SB_AMZ_ID_LEN]) {
  uint64_t v = o->idnum % ID_SPACE;
  snprintf(out, SB_AMZ_ID_LEN, "11%01u-%07u-%07u", (unsigned)(v / 100000000000000ULL),
           (unsigned)(v / 10000000ULL % 10000000ULL), (unsigned)(v % 10000000ULL));
}

int sb_amz_id_parse(const char *text, uint64_t *idnum) {
  uint64_t v = 0;
  if (strnlen(text, SB_AMZ_ID_LEN) != SB_AMZ_ID_LEN - 1 || text[3] != '-' || text[11] != '-')
    return MS_EINVAL;
  for (int i = 0; i < SB_AMZ_ID_LEN - 1; i++) {
    if (i == 3 || i == 11)
      continue;
    if (text[i] < '0' || text[i] > '9')
      return MS_EINVAL;
    if (i >= 2)
      v = v * 10 + (uint64_t)(text[i] - '0');
  }
  /* Well formed, but not one of ours unless it starts with 11: no order has
   * this idnum. */
  *idnum = text[0] == '1' && text[1] == '1' ? v : UINT64_MAX;
  return MS_OK;
}

long sb_seller_find(const struct sb_seller *s, uint64_t idnum) {
  if (idnum >= ID_SPACE || !s->norders)
    return -1;
  uint64_t k = mulmod((idnum + ID_SPACE - s->id_add) % ID_SPACE, s->id_inv, ID_SPACE);
  if (k % SB_MAX_SELLERS != (uint64_t)s->index || k / SB_MAX_SELLERS >= s->norders)
    return -1;
  /* The order with sequence number q sits at position q, give or take the
   * orders of the same second, which are sorted by id among themselves. */
  size_t p = (size_t)(k / SB_MAX_SELLERS);
  int64_t t = s->orders[p].purchase;
  for (size_t i = p + 1; i-- > 0 && s->orders[i].purchase == t;)
    if (s->orders[i].idnum == idnum)
      return (long)i;
  for (size_t i = p + 1; i < s->norders && s->orders[i].purchase == t; i++)
    if (s->orders[i].idnum == idnum)
      return (long)i;
  return -1;
}

/* ---- the catalog ---- */

enum variant_kind { V_NONE, V_COLOR, V_SIZE, V_PACK };

struct amz_noun {
  const char *name;      /* "Stainless Steel Water Bottle, 24 oz" */
  enum variant_kind var; /* how its SKUs differ */
  int lo;                /* price range, whole dollars */
  int hi;                /* price range, whole dollars */
};

static const struct amz_noun nouns[] = {
    {"Stainless Steel Water Bottle, 24 oz", V_COLOR, 14, 32},
    {"Bamboo Cutting Board Set", V_NONE, 19, 45},
    {"Silicone Baking Mat", V_PACK, 8, 22},
    {"USB-C Charging Cable, 6 ft", V_PACK, 7, 19},
    {"Wireless Earbuds with Charging Case", V_COLOR, 24, 89},
    {"Yoga Mat, 6 mm, Non-Slip", V_COLOR, 18, 49},
    {"Resistance Bands Set", V_NONE, 11, 29},
    {"LED Desk Lamp with USB Port", V_COLOR, 22, 59},
    {"Ceramic Coffee Mug, 12 oz", V_PACK, 9, 26},
    {"Cotton Bath Towels", V_PACK, 21, 55},
    {"Jigsaw Puzzle, 1000 Pieces", V_NONE, 12, 24},
    {"Durable Dog Chew Toy", V_SIZE, 8, 21},
    {"Reusable Stainless Steel Straws", V_PACK, 6, 15},
    {"Scented Soy Candle, 8 oz", V_NONE, 11, 28},
    {"Spiral Notebook, College Ruled", V_PACK, 5, 16},
    {"Insulated Lunch Bag", V_COLOR, 13, 31},
    {"Cushioned Running Socks", V_SIZE, 10, 22},
    {"Garlic Press, Dishwasher Safe", V_NONE, 9, 19},
    {"Cast Iron Skillet, 10 inch", V_NONE, 19, 39},
    {"Kids' Building Blocks, 500 Pieces", V_NONE, 17, 42},
    {"Memory Foam Pillow", V_SIZE, 25, 69},
    {"Phone Stand for Desk", V_COLOR, 8, 19},
};

static const char *const colors[][2] = {{"Black", "BLK"},      {"White", "WHT"},
                                        {"Navy", "NVY"},       {"Sage Green", "SGE"},
                                        {"Blush Pink", "PNK"}, {"Charcoal", "CHR"}};
static const char *const sizes[][2] = {{"Small", "S"}, {"Medium", "M"}, {"Large", "L"}};
static const char *const packs[][2] = {{"2-Pack", "2PK"}, {"4-Pack", "4PK"}, {"6-Pack", "6PK"}};

static void brand_of(const char *name, char *out, size_t len) {
  size_t n = 0;
  int up = 1;
  for (const char *p = name; *p && n + 1 < len; p++) {
    char c = *p == '-' ? ' ' : *p;
    out[n++] = (char)(up && c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    up = c == ' ';
  }
  out[n] = '\0';
}

static int catalog_build(struct sb_seller *s) {
  struct sb_rng r;
  char brand[SB_SHOP_NAME_MAX], prefix[4] = "XXX";
  static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  static const int cents[] = {99, 95, 49, 0};
  brand_of(s->name, brand, sizeof(brand));
  for (int i = 0, k = 0; s->name[i] && k < 3; i++)
    if (s->name[i] != '-')
      prefix[k++] = (char)(s->name[i] >= 'a' ? s->name[i] - 'a' + 'A' : s->name[i]);
  s->catalog = calloc(SB_AMZ_CATALOG, sizeof(*s->catalog));
  if (!s->catalog)
    return MS_ENOMEM;
  sb_rng_seed(&r, sb_hash4(s->seed, stream(s), 0, SALT_CATALOG));
  for (int k = 0; k < SB_AMZ_CATALOG; k++) {
    struct sb_amz_sku *p = &s->catalog[k];
    const struct amz_noun *n = &nouns[sb_rng_below(&r, N(nouns))];
    const char *const *v = NULL;
    switch (n->var) {
    case V_COLOR:
      v = colors[sb_rng_below(&r, N(colors))];
      break;
    case V_SIZE:
      v = sizes[sb_rng_below(&r, N(sizes))];
      break;
    case V_PACK:
      v = packs[sb_rng_below(&r, N(packs))];
      break;
    default:
      break;
    }
    p->asin[0] = 'B';
    p->asin[1] = '0';
    for (int i = 2; i < 10; i++)
      p->asin[i] = alnum[sb_rng_below(&r, sizeof(alnum) - 1)];
    p->asin[10] = '\0';
    if (v) {
      snprintf(p->title, sizeof(p->title), "%s %s, %s", brand, n->name, v[0]);
      snprintf(p->sku, sizeof(p->sku), "%s-%04d-%s", prefix, k + 1, v[1]);
    } else {
      snprintf(p->title, sizeof(p->title), "%s %s", brand, n->name);
      snprintf(p->sku, sizeof(p->sku), "%s-%04d", prefix, k + 1);
    }
    p->price = (n->lo + (int64_t)sb_rng_below(&r, (uint64_t)(n->hi - n->lo + 1))) * 100 +
               cents[sb_rng_below(&r, N(cents))];
    p->weight = 1 + (uint32_t)sb_rng_below(&r, 20);
    s->catalog_weight += p->weight;
  }
  return MS_OK;
}

static void ship_from_build(struct sb_seller *s) {
  static const char *const streets[] = {"Harbor Blvd", "Industrial Way", "Commerce Drive",
                                        "Logistics Pkwy", "Warehouse Road"};
  const struct sb_region *rg = sb_region_for_zone(SB_AMZ_TZ_DEFAULT);
  struct sb_rng r;
  char brand[SB_SHOP_NAME_MAX];
  sb_rng_seed(&r, sb_hash4(s->seed, stream(s), 0, SALT_SHIP));
  brand_of(s->name, brand, sizeof(brand));
  s->ship_city = &rg->cities[sb_rng_below(&r, rg->ncities)];
  snprintf(s->ship_name, sizeof(s->ship_name), "%s Store", brand);
  snprintf(s->ship_line1, sizeof(s->ship_line1), "%u %s", 100 + (unsigned)sb_rng_below(&r, 9900),
           streets[sb_rng_below(&r, N(streets))]);
  snprintf(s->ship_zip, sizeof(s->ship_zip), "%s%02u", s->ship_city->zip_prefix,
           (unsigned)sb_rng_below(&r, 100));
}

/* ---- the shape of an order: what its status depends on ---- */

struct shape {
  int nitems;                /* order items */
  int qty[SB_AMZ_MAX_ITEMS]; /* QuantityOrdered of each */
  int units;                 /* their sum */
  int afn;                   /* fulfilled by Amazon */
  int business;              /* IsBusinessOrder */
  int preorder;              /* OrderType Preorder */
};

static void order_shape(const struct sb_seller *s, uint32_t seq, struct shape *sh) {
  struct sb_rng r;
  unsigned u;
  sb_rng_seed(&r, sb_hash4(s->seed, stream(s), seq, SALT_SHAPE));
  u = (unsigned)sb_rng_below(&r, 1000);
  /* Most orders hold one item; about 3 % hold 11 to 25 and so need several
   * getOrderItems pages. */
  sh->nitems = u < 620   ? 1
               : u < 800 ? 2
               : u < 870 ? 3
               : u < 970 ? 4 + (int)sb_rng_below(&r, 7)
                         : 11 + (int)sb_rng_below(&r, 15);
  sh->units = 0;
  for (int i = 0; i < sh->nitems; i++) {
    u = (unsigned)sb_rng_below(&r, 100);
    sh->qty[i] = sh->nitems > 10 ? (u < 85 ? 1 : 2) : (u < 78 ? 1 : u < 94 ? 2 : 3);
    sh->units += sh->qty[i];
  }
  sh->afn = sb_rng_pct(&r, 60);
  sh->business = sb_rng_pct(&r, 7);
  sh->preorder = sb_rng_below(&r, 1000) < 5;
}

int sb_amz_is_afn(const struct sb_seller *s, const struct sb_amz_order *o) {
  struct shape sh;
  order_shape(s, o->seq, &sh);
  return sh.afn;
}

/* purchase + delay, or, when that is still to come, an instant between the
 * purchase and now (so recent orders do not all share now as their
 * LastUpdateDate). */
static int64_t clamp_updated(int64_t purchase, int64_t delay, int64_t now) {
  if (now <= purchase)
    return purchase;
  if (purchase + delay > now)
    delay %= now - purchase + 1;
  return purchase + delay;
}

/* Statuses as generated: recent orders are often still pending or
 * unshipped, older ones mostly shipped. */
static void order_initial(const struct sb_seller *s, struct sb_amz_order *o, int64_t now) {
  struct shape sh;
  struct sb_rng r;
  int64_t age = now - o->purchase, delay;
  unsigned u;
  int st;
  order_shape(s, o->seq, &sh);
  sb_rng_seed(&r, sb_hash4(s->seed, stream(s), o->seq, SALT_STATUS));
  u = (unsigned)sb_rng_below(&r, 1000);
  o->priced = 1;
  if (sh.preorder && age < 14 * DAY) {
    st = SB_AMZ_PENDING_AVAILABILITY;
  } else if (u < 30) {
    st = SB_AMZ_CANCELED;
    o->priced = (uint8_t)sb_rng_pct(&r, 50); /* cancelled before or after payment */
  } else {
    u = (unsigned)sb_rng_below(&r, 1000);
    if (age < 3600)
      st = u < 600 ? SB_AMZ_PENDING : SB_AMZ_UNSHIPPED;
    else if (age < DAY)
      st = u < 80    ? SB_AMZ_PENDING
           : u < 680 ? SB_AMZ_UNSHIPPED
           : u < 720 ? SB_AMZ_PARTIALLY_SHIPPED
                     : SB_AMZ_SHIPPED;
    else if (age < 3 * DAY)
      st = u < 20    ? SB_AMZ_PENDING
           : u < 270 ? SB_AMZ_UNSHIPPED
           : u < 300 ? SB_AMZ_PARTIALLY_SHIPPED
                     : SB_AMZ_SHIPPED;
    else
      st = u < 3    ? SB_AMZ_PENDING
           : u < 23 ? SB_AMZ_UNSHIPPED
           : u < 33 ? SB_AMZ_PARTIALLY_SHIPPED
           : u < 38 ? SB_AMZ_UNFULFILLABLE
                    : SB_AMZ_SHIPPED;
    if (st == SB_AMZ_PARTIALLY_SHIPPED && sh.units < 2)
      st = SB_AMZ_UNSHIPPED;
    if (st == SB_AMZ_UNFULFILLABLE && !sh.afn)
      st = SB_AMZ_SHIPPED;
    if (st == SB_AMZ_SHIPPED && sh.business && sb_rng_pct(&r, 15))
      st = SB_AMZ_INVOICE_UNCONFIRMED;
  }
  switch (st) {
  case SB_AMZ_PENDING:
  case SB_AMZ_PENDING_AVAILABILITY:
    delay = (int64_t)sb_rng_below(&r, 120);
    o->priced = 0;
    break;
  case SB_AMZ_UNSHIPPED:
    delay = 60 + (int64_t)sb_rng_below(&r, 3600);
    break;
  case SB_AMZ_CANCELED:
    delay = 600 + (int64_t)sb_rng_below(&r, 2 * DAY);
    break;
  case SB_AMZ_UNFULFILLABLE:
    delay = 3600 + (int64_t)sb_rng_below(&r, 2 * DAY);
    break;
  default:
    delay = 7200 + (int64_t)sb_rng_below(&r, 3 * DAY);
    break;
  }
  o->status = (uint8_t)st;
  o->updated = clamp_updated(o->purchase, delay, now);
}

static int orders_reserve(struct sb_seller *s, size_t extra) {
  size_t need = s->norders + extra;
  if (need > SB_MAX_ORDERS)
    return MS_ETOOBIG;
  return array_reserve((void **)&s->orders, &s->cap, need, sizeof(*s->orders), 1024);
}

static struct sb_amz_order *order_push(struct sb_seller *s, int64_t purchase) {
  if (orders_reserve(s, 1))
    return NULL;
  struct sb_amz_order *o = &s->orders[s->norders];
  memset(o, 0, sizeof(*o));
  o->seq = (uint32_t)s->norders;
  o->idnum = sb_seller_idnum(s, o->seq);
  o->purchase = purchase;
  o->updated = purchase;
  s->norders++;
  return o;
}

static int cmp_order(const void *a, const void *b) {
  const struct sb_amz_order *x = a, *y = b;
  if (x->purchase != y->purchase)
    return x->purchase < y->purchase ? -1 : 1;
  return x->idnum < y->idnum ? -1 : x->idnum > y->idnum;
}

static int day_generate(struct sb_seller *s, struct tz *tz, struct civil_date day, int64_t now,
                        int64_t **tmp, size_t *cap) {
  struct sb_rng r;
  size_t n, first = s->norders;
  sb_rng_seed(&r, sb_hash4(s->seed, stream(s), (uint64_t)date_to_days(day), SALT_DAY));
  int rc = sb_day_instants(tz, day, &r, s->orders_per_day, tmp, cap, &n);
  for (size_t i = 0; !rc && i < n && (*tmp)[i] <= now; i++) {
    struct sb_amz_order *o = order_push(s, (*tmp)[i]);
    if (!o)
      rc = MS_ENOMEM;
    else
      order_initial(s, o, now);
  }
  /* Orders of the same second go by id: "sorted by PurchaseDate, then id". */
  if (!rc && s->norders > first)
    qsort(s->orders + first, s->norders - first, sizeof(*s->orders), cmp_order);
  return rc;
}

int sb_seller_init(struct sb_seller *s, const struct sb_seller_conf *conf, int index, uint64_t seed,
                   int64_t now, int days, struct err *err) {
  struct civil_date today, first;
  struct tz *tz;
  int64_t start, end, *tmp = NULL;
  size_t tmpcap = 0;
  int rc;
  memset(s, 0, sizeof(*s));
  if (index < 0 || index >= SB_MAX_SELLERS)
    return err_set(err, MS_EINVAL, "too many sellers (at most %d)", SB_MAX_SELLERS);
  if (days < 0 || days > SB_MAX_DAYS || conf->orders_per_day < 0 ||
      conf->orders_per_day > SB_MAX_PER_DAY)
    return err_set(err, MS_EINVAL, "seller %s: days or orders per day out of range", conf->name);
  snprintf(s->name, sizeof(s->name), "%s", conf->name);
  snprintf(s->tzid, sizeof(s->tzid), "%s", conf->tzid);
  s->index = index;
  s->seed = seed;
  s->orders_per_day = conf->orders_per_day;
  s->id_mul = coprime(sb_hash4(seed, stream(s), 1, SALT_IDS), ID_SPACE);
  s->id_inv = inverse(s->id_mul, ID_SPACE);
  s->id_add = sb_hash4(seed, stream(s), 2, SALT_IDS) % ID_SPACE;
  s->item_mul = coprime(sb_hash4(seed, stream(s), 3, SALT_IDS), ITEM_SPACE);
  s->item_add = sb_hash4(seed, stream(s), 4, SALT_IDS) % ITEM_SPACE;
  rc = tz_open(conf->tzid, &tz, err);
  if (rc)
    return rc;
  rc = tz_local_date(tz, now, &today);
  first = date_add(today, -days);
  if (!rc)
    rc = tz_day_bounds(tz, first, &start, &end);
  if (rc) {
    tz_free(tz);
    return err_set(err, MS_EINVAL, "seller %s: cannot compute local days in %s", conf->name,
                   conf->tzid);
  }
  s->range_start = start;
  rc = catalog_build(s);
  ship_from_build(s);
  uint64_t expected = (uint64_t)conf->orders_per_day * (uint64_t)(days + 1);
  if (!rc && expected > SB_MAX_ORDERS)
    rc = MS_ETOOBIG;
  if (!rc)
    rc = orders_reserve(s, (size_t)expected + (size_t)(days + 1) * 3);
  for (struct civil_date d = first; !rc && date_cmp(d, today) <= 0; d = date_add(d, 1))
    rc = day_generate(s, tz, d, now, &tmp, &tmpcap);
  free(tmp);
  tz_free(tz);
  if (rc) {
    sb_seller_release(s);
    return err_set(err, rc, "seller %s: cannot generate orders: %s", conf->name, ms_strerror(rc));
  }
  return MS_OK;
}

void sb_seller_release(struct sb_seller *s) {
  if (!s)
    return;
  free(s->catalog);
  free(s->orders);
  s->catalog = NULL;
  s->orders = NULL;
  s->norders = s->cap = 0;
}

/* ---- changes over time ---- */

static int movable(int status) {
  return status == SB_AMZ_PENDING || status == SB_AMZ_PENDING_AVAILABILITY ||
         status == SB_AMZ_UNSHIPPED || status == SB_AMZ_PARTIALLY_SHIPPED ||
         status == SB_AMZ_INVOICE_UNCONFIRMED;
}

static void order_advance(const struct sb_seller *s, struct sb_amz_order *o, struct sb_rng *r) {
  struct shape sh;
  switch (o->status) {
  case SB_AMZ_PENDING_AVAILABILITY:
    o->status = SB_AMZ_PENDING; /* the preorder's item became available */
    break;
  case SB_AMZ_PENDING:
    if (sb_rng_pct(r, 10)) {
      o->status = SB_AMZ_CANCELED; /* never paid: stays without prices */
    } else {
      o->status = SB_AMZ_UNSHIPPED;
      o->priced = 1;
    }
    break;
  case SB_AMZ_UNSHIPPED: {
    unsigned u = (unsigned)sb_rng_below(r, 100);
    order_shape(s, o->seq, &sh);
    o->status = u < 8                     ? SB_AMZ_CANCELED
                : u < 20 && sh.units >= 2 ? SB_AMZ_PARTIALLY_SHIPPED
                                          : SB_AMZ_SHIPPED;
    break;
  }
  case SB_AMZ_PARTIALLY_SHIPPED:
  case SB_AMZ_INVOICE_UNCONFIRMED:
    o->status = SB_AMZ_SHIPPED;
    break;
  default:
    break; /* final: only LastUpdateDate moves */
  }
}

long sb_seller_update_one(struct sb_seller *s, int64_t now) {
  struct sb_rng r;
  size_t a = 0, pos;
  if (!s->norders)
    return -1;
  sb_rng_seed(&r, sb_hash4(s->seed, stream(s), s->mutations++, SALT_MUTATE));
  if (sb_rng_pct(&r, 70)) {
    /* Recent orders change more often: pick among the last seven days. */
    int64_t since = s->orders[s->norders - 1].purchase - 7 * (int64_t)DAY;
    size_t b = s->norders;
    while (a < b) {
      size_t mid = a + (b - a) / 2;
      if (s->orders[mid].purchase < since)
        a = mid + 1;
      else
        b = mid;
    }
  }
  pos = a + (size_t)sb_rng_below(&r, s->norders - a);
  /* Prefer an order that can still move: look a little further on. */
  for (size_t k = 0, span = s->norders - a; k < 512 && k < span; k++) {
    size_t p = a + (pos - a + k) % span;
    if (movable(s->orders[p].status)) {
      pos = p;
      break;
    }
  }
  struct sb_amz_order *o = &s->orders[pos];
  o->version++;
  o->updated = now > o->updated ? now : o->updated + 1;
  order_advance(s, o, &r);
  return (long)pos;
}

int sb_seller_create_order(struct sb_seller *s, int64_t now) {
  if (s->norders && now < s->orders[s->norders - 1].purchase)
    now = s->orders[s->norders - 1].purchase;
  struct sb_amz_order *o = order_push(s, now);
  if (!o)
    return s->norders >= SB_MAX_ORDERS ? MS_ETOOBIG : MS_ENOMEM;
  o->status = SB_AMZ_PENDING;
  o->priced = 0;
  /* Keep (PurchaseDate, id) order among the orders of this same second. */
  for (size_t i = s->norders - 1; i > 0 && cmp_order(&s->orders[i - 1], &s->orders[i]) > 0; i--) {
    struct sb_amz_order t = s->orders[i];
    s->orders[i] = s->orders[i - 1];
    s->orders[i - 1] = t;
  }
  return MS_OK;
}

/* ---- content derived at render time ---- */

int sb_amz_units_shipped(const struct sb_amz_order *o, const struct sb_amz_content *c) {
  switch (o->status) {
  case SB_AMZ_SHIPPED:
  case SB_AMZ_INVOICE_UNCONFIRMED:
    return c->units;
  case SB_AMZ_PARTIALLY_SHIPPED:
    return c->units / 2 > 0 ? c->units / 2 : 1;
  default:
    return 0;
  }
}

static const struct sb_amz_sku *pick_sku(const struct sb_seller *s, struct sb_rng *r,
                                         unsigned char *used) {
  uint64_t w = sb_rng_below(r, s->catalog_weight);
  size_t k = 0;
  for (; k + 1 < SB_AMZ_CATALOG && w >= s->catalog[k].weight; k++)
    w -= s->catalog[k].weight;
  while (used[k]) /* one line per SKU, as on Amazon */
    k = (k + 1) % SB_AMZ_CATALOG;
  used[k] = 1;
  return &s->catalog[k];
}

void sb_amz_content(const struct sb_seller *s, const struct sb_amz_order *o,
                    struct sb_amz_content *c) {
  static const struct {
    const char *afn_level; /* ShipServiceLevel when AFN */
    const char *mfn_level; /* ShipServiceLevel when MFN */
    const char *category;  /* ShipmentServiceLevelCategory */
  } levels[] = {{"Standard", "Std US D2D Dom", "Standard"},
                {"Expedited", "Exp US D2D Dom", "Expedited"},
                {"SecondDay", "Second US D2D Dom", "SecondDay"},
                {"NextDay", "Next US D2D Dom", "NextDay"}};
  const struct sb_region *rg = sb_region_for_zone(SB_AMZ_TZ_DEFAULT);
  unsigned char used[SB_AMZ_CATALOG];
  struct shape sh;
  struct sb_rng r;
  int level, promo;
  uint64_t key = order_key(s, o->seq);
  memset(c, 0, sizeof(*c));
  memset(used, 0, sizeof(used));
  order_shape(s, o->seq, &sh);
  sb_rng_seed(&r, sb_hash4(s->seed, stream(s), o->seq, SALT_CONTENT));
  c->afn = sh.afn;
  c->business = sh.business;
  c->preorder = sh.preorder;
  c->prime = sb_rng_pct(&r, sh.afn ? 55 : 8);
  c->premium = sb_rng_pct(&r, 2);
  c->replacement = o->seq > 0 && sb_rng_pct(&r, 1);
  c->replaced_seq = o->seq > 0 ? (uint32_t)sb_rng_below(&r, o->seq) : 0;
  level = c->prime ? 2 + (int)sb_rng_below(&r, 2) : sb_rng_pct(&r, 12) ? 1 : 0;
  c->level = sh.afn ? levels[level].afn_level : levels[level].mfn_level;
  c->category = levels[level].category;
  c->handling_days = sh.afn ? 1 : 1 + (int)sb_rng_below(&r, 3);
  c->transit_days = 3 - (level > 1 ? 2 : level) + (int)sb_rng_below(&r, 3);
  {
    const struct sb_city *city = &rg->cities[sb_rng_below(&r, rg->ncities)];
    c->city = city->name;
    c->state = city->province_code;
    c->tax_ppm = city->tax_ppm;
    snprintf(c->zip, sizeof(c->zip), "%s%02u-%04u", city->zip_prefix,
             (unsigned)sb_rng_below(&r, 100), (unsigned)sb_rng_below(&r, 10000));
  }
  c->buyer = sb_rng_next(&r);
  promo = sb_rng_pct(&r, 10);
  if (promo)
    snprintf(c->promotion_id, sizeof(c->promotion_id), "PLM-%08X",
             (unsigned)sb_rng_below(&r, 0x100000000ULL));
  int gift = sb_rng_pct(&r, 4);
  c->nitems = sh.nitems;
  for (int i = 0; i < c->nitems; i++) {
    struct sb_amz_item *it = &c->items[i];
    it->sku = pick_sku(s, &r, used);
    it->item_id =
        ITEM_BASE +
        (mulmod(key * SB_AMZ_MAX_ITEMS + (uint64_t)i, s->item_mul, ITEM_SPACE) + s->item_add) %
            ITEM_SPACE;
    it->quantity = sh.qty[i];
    it->price = it->sku->price * it->quantity;
    it->promotion = promo && i == 0 ? (it->price * 10 + 50) / 100 : 0;
    it->tax = ((it->price - it->promotion) * c->tax_ppm + 500000) / 1000000;
    it->shipping = !sh.afn && !c->prime && i == 0 ? 499 : 0;
    it->gift = gift;
    c->units += it->quantity;
    c->total += it->price + it->tax + it->shipping - it->promotion;
  }
}
