/* Products as the API shows them (built from the read-only catalog, then
 * changed by mutations), the shop's locations, and the inventory levels of
 * every variant at every location. */
#include <stdio.h>
#include <string.h>

#include "util/array.h"
#include "sandbox/prng.h"
#include "sandbox/region.h"
#include "sandbox/world.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define DAY 86400
#define INVENTORY_ITEM_ID_BASE 43000000000000ULL /* 14 digits, like variant ids */

enum { SALT_PRODUCT = 201, SALT_LOCATION, SALT_CREATED_PRODUCT };

/* ---- handles ---- */

static int handle_taken(const struct sb_shop *s, const char *h) {
  for (size_t i = 0; i < s->nproducts; i++)
    if (strcmp(s->products[i].handle, h) == 0)
      return 1;
  return 0;
}

/* "Organic Cotton T-Shirt" -> "organic-cotton-t-shirt", made unique with
 * "-1", "-2", ... as Shopify does. */
static void handle_make(const struct sb_shop *s, const char *title, char *out, size_t len) {
  char base[64];
  size_t n = 0;
  int dash = 0;
  for (const unsigned char *p = (const unsigned char *)title; *p && n + 2 < sizeof(base); p++) {
    unsigned char c = *p;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (dash && n)
        base[n++] = '-';
      base[n++] = (char)c;
      dash = 0;
    } else if (c >= 'A' && c <= 'Z') {
      if (dash && n)
        base[n++] = '-';
      base[n++] = (char)(c - 'A' + 'a');
      dash = 0;
    } else {
      dash = 1;
    }
  }
  base[n] = '\0';
  snprintf(out, len, "%s", n ? base : "product");
  for (unsigned k = 1; handle_taken(s, out) && k < 100000; k++)
    snprintf(out, len, "%s-%u", n ? base : "product", k);
}

/* ---- products ---- */

static int products_reserve(struct sb_shop *s, size_t extra) {
  if (s->nproducts + extra > SB_MAX_PRODUCTS)
    return MS_ETOOBIG;
  return array_reserve((void **)&s->products, &s->products_cap, s->nproducts + extra,
                       sizeof(*s->products), 64);
}

/* A sale price: about 20 % above the price, ending in .99. */
static int64_t compare_price(int64_t price) {
  return (price * 6 / 5 / 100) * 100 + 99;
}

/* Appends the record of catalog entry cat (position k). created > 0 makes
 * it a product created at that instant (by a mutation); otherwise its
 * history is drawn from the seed. */
static void product_append(struct sb_shop *s, const struct sb_product *cat, uint32_t k,
                           int64_t created, int64_t now) {
  struct sb_product_rec *p = &s->products[s->nproducts];
  struct sb_rng r;
  int salt = created ? SALT_CREATED_PRODUCT : SALT_PRODUCT;
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, k, (uint64_t)salt));
  memset(p, 0, sizeof(*p));
  p->id = cat->id;
  p->k = k;
  p->noun = cat->noun;
  p->opt = cat->opt;
  p->vendor = cat->vendor;
  p->product_type = cat->product_type;
  p->nvariants = (uint8_t)cat->nvariants;
  snprintf(p->title, sizeof(p->title), "%s", cat->title);
  handle_make(s, cat->title, p->handle, sizeof(p->handle));
  if (created) {
    p->created_at = p->updated_at = p->published_at = created;
    p->status = SB_PS_ACTIVE;
  } else {
    /* Spread over the shop's life before its first order, ascending with k. */
    int64_t span = s->range_start - s->created, step = span / (int64_t)(s->ncatalog + 1);
    unsigned u;
    p->created_at = s->created + step * (int64_t)k + (int64_t)sb_rng_below(&r, (uint64_t)step / 2);
    if (sb_rng_pct(&r, 50))
      p->updated_at =
          p->created_at + (int64_t)sb_rng_below(&r, (uint64_t)(s->range_start - p->created_at));
    else
      p->updated_at =
          s->range_start + (int64_t)sb_rng_below(&r, (uint64_t)(now - s->range_start + 1));
    if (p->updated_at > now)
      p->updated_at = now > p->created_at ? now : p->created_at;
    u = (unsigned)sb_rng_below(&r, 100);
    p->status = u < 88 ? SB_PS_ACTIVE : u < 95 ? SB_PS_DRAFT : SB_PS_ARCHIVED;
    if (p->status != SB_PS_DRAFT)
      p->published_at = p->created_at + (int64_t)sb_rng_below(&r, 2 * DAY);
    if (p->published_at > p->updated_at)
      p->published_at = p->updated_at; /* publishing was a change too */
  }
  p->tracked = (uint8_t)sb_rng_pct(&r, 90);
  p->tags = (uint8_t)sb_rng_below(&r, 8);
  int sale = sb_rng_pct(&r, 20);
  for (int v = 0; v < cat->nvariants; v++) {
    const struct sb_variant *cv = &cat->variants[v];
    struct sb_variant_rec *pv = &p->variants[v];
    pv->id = cv->id;
    pv->inventory_item_id = INVENTORY_ITEM_ID_BASE +
                            (((uint64_t)s->index * 4096 + k) * 4 + (uint64_t)v) * 1000 +
                            sb_rng_below(&r, 1000);
    pv->price = cv->price;
    pv->compare_at = sale ? compare_price(cv->price) : 0;
    pv->created_at = p->created_at;
    pv->updated_at = p->updated_at;
    pv->grams = cv->grams;
    snprintf(pv->title, sizeof(pv->title), "%s", cv->title);
    snprintf(pv->sku, sizeof(pv->sku), "%s", cv->sku);
    for (int l = 0; l < SB_MAX_LOCATIONS; l++) {
      pv->available[l] = p->tracked ? (int32_t)sb_rng_below(&r, 150) : 0;
      pv->level_updated[l] = p->updated_at;
    }
  }
  s->nproducts++;
}

int sb_products_init(struct sb_shop *s, int64_t now) {
  int rc = products_reserve(s, s->ncatalog);
  for (size_t k = 0; !rc && k < s->ncatalog; k++)
    product_append(s, &s->catalog[k], (uint32_t)k, 0, now);
  return rc;
}

long sb_product_find(const struct sb_shop *s, uint64_t id) {
  size_t a = 0, b = s->nproducts;
  while (a < b) {
    size_t mid = a + (b - a) / 2;
    if (s->products[mid].id < id)
      a = mid + 1;
    else
      b = mid;
  }
  return a < s->nproducts && s->products[a].id == id ? (long)a : -1;
}

int sb_product_create(struct sb_shop *s, int64_t now, size_t *pos) {
  struct sb_product cat;
  uint32_t k = (uint32_t)s->nproducts;
  int rc = products_reserve(s, 1);
  if (rc)
    return rc;
  if (s->nproducts && now < s->products[s->nproducts - 1].created_at)
    now = s->products[s->nproducts - 1].created_at;
  sb_catalog_entry(s, k, &cat);
  product_append(s, &cat, k, now, now);
  *pos = s->nproducts - 1;
  return MS_OK;
}

/* A new price 15 % below to 15 % above, keeping the cents, never the same. */
static int64_t new_price(int64_t price, struct sb_rng *r) {
  int64_t pct = 85 + (int64_t)sb_rng_below(r, 31);
  int64_t next = (price * pct / 100 / 100) * 100 + price % 100;
  if (next < 100)
    next = 100 + price % 100;
  return next == price ? price + 100 : next;
}

void sb_product_change(struct sb_shop *s, size_t pos, int64_t now, struct sb_rng *r) {
  struct sb_product_rec *p = &s->products[pos];
  unsigned u = (unsigned)sb_rng_below(r, 100);
  p->version++;
  p->updated_at = sb_stamp(p->updated_at, now);
  if (u < 50) {
    for (int v = 0; v < p->nvariants; v++) {
      struct sb_variant_rec *pv = &p->variants[v];
      int64_t next = new_price(pv->price, r);
      pv->compare_at = next < pv->price ? pv->price : 0;
      pv->price = next;
      pv->updated_at = sb_stamp(pv->updated_at, now);
    }
  } else if (u < 75) {
    char title[64];
    uint64_t pick = sb_rng_next(r);
    for (int i = 0; i < 16; i++) {
      snprintf(title, sizeof(title), "%s %s", sb_adjective(pick + (uint64_t)i),
               sb_noun_name(p->noun));
      if (strcmp(title, p->title) != 0)
        break;
    }
    snprintf(p->title, sizeof(p->title), "%s", title);
  } else if (p->status == SB_PS_ACTIVE) {
    p->status = sb_rng_pct(r, 60) ? SB_PS_DRAFT : SB_PS_ARCHIVED;
    if (p->status == SB_PS_DRAFT)
      p->published_at = 0;
  } else {
    p->status = SB_PS_ACTIVE;
    if (!p->published_at)
      p->published_at = p->updated_at;
  }
}

void sb_level_change(struct sb_shop *s, size_t pos, int variant, int location, int64_t now,
                     struct sb_rng *r) {
  struct sb_product_rec *p = &s->products[pos];
  struct sb_variant_rec *pv = &p->variants[variant];
  int32_t delta = (int32_t)sb_rng_below(r, 36) - 10; /* sales and restocks */
  int32_t next = pv->available[location] + (delta ? delta : 5);
  if (next < 0)
    next = pv->available[location] + 10;
  pv->available[location] = next;
  pv->level_updated[location] = sb_stamp(pv->level_updated[location], now);
  pv->updated_at = sb_stamp(pv->updated_at, now);
  p->updated_at = sb_stamp(p->updated_at, now);
}

int64_t sb_variant_quantity(const struct sb_shop *s, const struct sb_product_rec *p, int variant) {
  int64_t sum = 0;
  if (!p->tracked)
    return 0;
  for (int l = 0; l < s->nlocations; l++)
    sum += p->variants[variant].available[l];
  return sum;
}

/* ---- locations ---- */

void sb_locations_init(struct sb_shop *s) {
  static const char *const names[] = {"Main Warehouse", "Downtown Store", "East Fulfillment Center",
                                      "Outlet Store"};
  const struct sb_region *rg = s->region;
  struct sb_rng r;
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, 0, SALT_LOCATION));
  s->nlocations = 2 + (int)sb_rng_below(&r, SB_MAX_LOCATIONS - 1);
  for (int i = 0; i < s->nlocations; i++) {
    struct sb_location *l = &s->locations[i];
    const struct sb_city *c = i == 0 ? &rg->cities[0] : &rg->cities[sb_rng_below(&r, rg->ncities)];
    const char *street = rg->streets[sb_rng_below(&r, rg->nstreets)];
    unsigned num = 1 + (unsigned)sb_rng_below(&r, 200);
    memset(l, 0, sizeof(*l));
    l->id = SB_LOCATION_ID_BASE + (uint64_t)s->index * 1000 + 1 + (uint64_t)i;
    l->name = names[i];
    l->city = c;
    l->created_at = s->created + (int64_t)i * 30 * DAY;
    l->updated_at = l->created_at + DAY;
    if (rg->street_number_first)
      snprintf(l->address1, sizeof(l->address1), "%u %s", num, street);
    else
      snprintf(l->address1, sizeof(l->address1), "%s %u", street, num);
    switch (rg->zip_style) {
    case SB_ZIP_DE:
      snprintf(l->zip, sizeof(l->zip), "%s%03u", c->zip_prefix, (unsigned)sb_rng_below(&r, 1000));
      break;
    case SB_ZIP_GB:
      snprintf(l->zip, sizeof(l->zip), "%s %uAB", c->zip_prefix, (unsigned)sb_rng_below(&r, 10));
      break;
    default:
      snprintf(l->zip, sizeof(l->zip), "%s%02u", c->zip_prefix, (unsigned)sb_rng_below(&r, 100));
      break;
    }
    snprintf(l->phone, sizeof(l->phone), "%s%s%07u", rg->phone_cc, c->area,
             (unsigned)sb_rng_below(&r, 10000000));
  }
}

int sb_world_init(struct sb_shop *s, int64_t now) {
  int rc;
  sb_locations_init(s);
  rc = sb_products_init(s, now);
  return rc;
}
