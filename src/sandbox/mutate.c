/* What POST /_sandbox/mutate does to a shop: changes, creations and
 * deletions of orders, refunds, products, customers and inventory levels,
 * chosen deterministically from the seed and the shop's counts of changes.
 * Runs under the sandbox's lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "sandbox/prng.h"
#include "sandbox/world.h"

enum { SALT_REFUND_PICK = 501, SALT_PRODUCT_PICK, SALT_CUSTOMER_PICK, SALT_INVENTORY_PICK };

/* Which records were touched by this call. */
struct bits {
  unsigned char *b; /* one bit per position */
  size_t n;         /* positions */
};

static int bits_init(struct bits *t, size_t n) {
  t->n = n;
  t->b = calloc(n / 8 + 1, 1);
  return t->b ? MS_OK : MS_ENOMEM;
}

static int bit_get(const struct bits *t, size_t i) {
  return i < t->n && (t->b[i / 8] >> (i % 8)) & 1;
}

static void bit_set(struct bits *t, size_t i) {
  if (i < t->n)
    t->b[i / 8] |= (unsigned char)(1u << (i % 8));
}

static int touched_add(struct sb_mut_out *out, uint64_t id, uint64_t location_id) {
  int rc = array_reserve((void **)&out->ids, &out->cap, out->nids + 1, sizeof(*out->ids), 64);
  if (!rc)
    out->ids[out->nids++] = (struct sb_touched){id, location_id};
  return rc;
}

/* The first position from `start` on (wrapping within [lo, hi)) that ok()
 * accepts, or -1 after trying them all. */
static long probe(size_t start, size_t lo, size_t hi,
                  int (*ok)(const struct sb_shop *, size_t, const struct bits *),
                  const struct sb_shop *s, const struct bits *t) {
  size_t n = hi - lo;
  for (size_t k = 0; k < n; k++) {
    size_t pos = lo + (start - lo + k) % n;
    if (ok(s, pos, t))
      return (long)pos;
  }
  return -1;
}

/* ---- orders and refunds ---- */

static int order_live(const struct sb_shop *s, size_t pos, const struct bits *t) {
  return !s->orders[pos].deleted && !bit_get(t, pos);
}

/* Changes without a day range pick as they always did: an order may change
 * twice in one call. */
static int order_not_deleted(const struct sb_shop *s, size_t pos, const struct bits *t) {
  (void)t;
  return !s->orders[pos].deleted;
}

static int order_refundable(const struct sb_shop *s, size_t pos, const struct bits *t) {
  return sb_order_refundable(&s->orders[pos]) && !bit_get(t, pos);
}

/* First position whose created_at is >= t. */
static size_t created_bound(const struct sb_shop *s, int64_t t) {
  size_t a = 0, b = s->norders;
  while (a < b) {
    size_t mid = a + (b - a) / 2;
    if (s->orders[mid].created_at < t)
      a = mid + 1;
    else
      b = mid;
  }
  return a;
}

/* Where the next order change goes: within the day range if one was given,
 * else as sb_shop_pick_order() chooses. */
static size_t order_start(const struct sb_shop *s, const struct sb_mutation *m, size_t lo,
                          size_t hi, struct sb_rng *r) {
  if (m->ranged)
    return lo + (size_t)sb_rng_below(r, hi - lo);
  return sb_shop_pick_order(s, r);
}

static void order_name(const struct sb_order *o, char *out, size_t len) {
  snprintf(out, len, "#%u", o->number);
}

static int orders_mutate(struct sb_shop *s, const struct sb_mutation *m, int64_t now,
                         struct bits *t, struct sb_mut_out *out) {
  size_t lo = m->ranged ? created_bound(s, m->lo) : 0;
  size_t hi = m->ranged ? created_bound(s, m->hi) : s->norders;
  struct sb_contrib before;
  struct sb_rng r;
  char name[16];
  int rc = MS_OK;
  for (long long k = 0; !rc && k < m->update && hi > lo; k++) {
    sb_shop_order_rng(s, &r);
    long pos = probe(order_start(s, m, lo, hi, &r), lo, hi,
                     m->ranged ? order_live : order_not_deleted, s, t);
    if (pos < 0)
      break;
    sb_contrib_of(s, &s->orders[pos], &before);
    sb_order_change(&s->orders[pos], now, &r);
    sb_contrib_apply(s, (size_t)pos, &before, now);
    bit_set(t, (size_t)pos);
    out->updated++;
    rc = touched_add(out, s->orders[pos].id, 0);
  }
  for (long long k = 0; !rc && k < m->remove && hi > lo; k++) {
    sb_shop_order_rng(s, &r);
    long pos = probe(order_start(s, m, lo, hi, &r), lo, hi, order_live, s, t);
    if (pos < 0)
      break;
    struct sb_order *o = &s->orders[pos];
    sb_contrib_of(s, o, &before);
    o->deleted = 1;
    o->updated_at = sb_stamp(o->updated_at, now); /* its customer changed then */
    s->orders_deleted++;
    sb_contrib_apply(s, (size_t)pos, &before, now);
    bit_set(t, (size_t)pos);
    order_name(o, name, sizeof(name));
    rc = sb_event_add(s, SB_SUBJ_ORDER, SB_VERB_DESTROY, o->id, name, now);
    out->deleted++;
    if (!rc)
      rc = touched_add(out, o->id, 0);
  }
  for (long long k = 0; !rc && k < m->create; k++) {
    rc = sb_shop_create_order(s, now);
    if (rc)
      break;
    struct sb_order *o = &s->orders[s->norders - 1];
    before.customer = sb_order_customer_index(s, o->id);
    before.live = 0;
    before.spent = 0;
    sb_contrib_apply(s, s->norders - 1, &before, now);
    order_name(o, name, sizeof(name));
    rc = sb_event_add(s, SB_SUBJ_ORDER, SB_VERB_CREATE, o->id, name, now);
    out->created++;
    if (!rc)
      rc = touched_add(out, o->id, 0);
  }
  return rc;
}

static int refunds_mutate(struct sb_shop *s, const struct sb_mutation *m, int64_t now,
                          struct bits *t, struct sb_mut_out *out) {
  size_t lo = m->ranged ? created_bound(s, m->lo) : 0;
  size_t hi = m->ranged ? created_bound(s, m->hi) : s->norders;
  struct sb_contrib before;
  struct sb_rng r;
  int rc = MS_OK;
  for (long long k = 0; !rc && k < m->update && hi > lo; k++) {
    sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, s->refund_changes++, SALT_REFUND_PICK));
    long pos = probe(order_start(s, m, lo, hi, &r), lo, hi, order_refundable, s, t);
    if (pos < 0)
      break;
    sb_contrib_of(s, &s->orders[pos], &before);
    sb_order_add_refund(&s->orders[pos], now);
    sb_contrib_apply(s, (size_t)pos, &before, now);
    bit_set(t, (size_t)pos);
    out->updated++;
    rc = touched_add(out, s->orders[pos].id, 0);
  }
  return rc;
}

/* ---- products and inventory ---- */

static int product_live(const struct sb_shop *s, size_t pos, const struct bits *t) {
  return !s->products[pos].deleted_at && !bit_get(t, pos);
}

static int products_mutate(struct sb_shop *s, const struct sb_mutation *m, int64_t now,
                           struct bits *t, struct sb_mut_out *out) {
  struct sb_rng r;
  int rc = MS_OK;
  for (long long k = 0; !rc && k < m->update && s->nproducts; k++) {
    sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, s->product_changes++, SALT_PRODUCT_PICK));
    long pos = probe((size_t)sb_rng_below(&r, s->nproducts), 0, s->nproducts, product_live, s, t);
    if (pos < 0)
      break;
    sb_product_change(s, (size_t)pos, now, &r);
    bit_set(t, (size_t)pos);
    out->updated++;
    rc = touched_add(out, s->products[pos].id, 0);
  }
  for (long long k = 0; !rc && k < m->remove && s->nproducts; k++) {
    sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, s->product_changes++, SALT_PRODUCT_PICK));
    long pos = probe((size_t)sb_rng_below(&r, s->nproducts), 0, s->nproducts, product_live, s, t);
    if (pos < 0)
      break;
    struct sb_product_rec *p = &s->products[pos];
    p->deleted_at = now;
    s->products_deleted++;
    bit_set(t, (size_t)pos);
    rc = sb_event_add(s, SB_SUBJ_PRODUCT, SB_VERB_DESTROY, p->id, p->title, now);
    out->deleted++;
    if (!rc)
      rc = touched_add(out, p->id, 0);
  }
  for (long long k = 0; !rc && k < m->create; k++) {
    size_t pos;
    rc = sb_product_create(s, now, &pos);
    if (rc)
      break;
    rc = sb_event_add(s, SB_SUBJ_PRODUCT, SB_VERB_CREATE, s->products[pos].id,
                      s->products[pos].title, now);
    out->created++;
    if (!rc)
      rc = touched_add(out, s->products[pos].id, 0);
  }
  return rc;
}

/* Inventory slots: (product position * variants + variant) * locations + location. */
static int level_ok(const struct sb_shop *s, size_t slot, const struct bits *t) {
  size_t pos = slot / (SB_MAX_VARIANTS * SB_MAX_LOCATIONS);
  int v = (int)(slot / SB_MAX_LOCATIONS % SB_MAX_VARIANTS), l = (int)(slot % SB_MAX_LOCATIONS);
  const struct sb_product_rec *p = &s->products[pos];
  return !p->deleted_at && p->tracked && v < p->nvariants && l < s->nlocations && !bit_get(t, slot);
}

static int inventory_mutate(struct sb_shop *s, const struct sb_mutation *m, int64_t now,
                            struct bits *t, struct sb_mut_out *out) {
  size_t slots = s->nproducts * SB_MAX_VARIANTS * SB_MAX_LOCATIONS;
  struct sb_rng r;
  int rc = MS_OK;
  for (long long k = 0; !rc && k < m->update && slots; k++) {
    sb_rng_seed(&r,
                sb_hash4(s->seed, (uint64_t)s->index, s->inventory_changes++, SALT_INVENTORY_PICK));
    long slot = probe((size_t)sb_rng_below(&r, slots), 0, slots, level_ok, s, t);
    if (slot < 0)
      break;
    size_t pos = (size_t)slot / (SB_MAX_VARIANTS * SB_MAX_LOCATIONS);
    int v = (int)((size_t)slot / SB_MAX_LOCATIONS % SB_MAX_VARIANTS);
    int l = (int)((size_t)slot % SB_MAX_LOCATIONS);
    sb_level_change(s, pos, v, l, now, &r);
    bit_set(t, (size_t)slot);
    out->updated++;
    rc = touched_add(out, s->products[pos].variants[v].inventory_item_id, s->locations[l].id);
  }
  return rc;
}

/* ---- customers ---- */

static int customer_live(const struct sb_shop *s, size_t pos, const struct bits *t) {
  return !s->customers[pos].deleted_at && !bit_get(t, pos);
}

/* Shopify refuses to delete a customer who has orders. */
static int customer_deletable(const struct sb_shop *s, size_t pos, const struct bits *t) {
  return customer_live(s, pos, t) && s->customers[pos].orders_count == 0;
}

static void customer_name(const struct sb_shop *s, const struct sb_customer *c, char *out,
                          size_t len) {
  struct sb_person p;
  struct sb_address a;
  sb_person_make(s, c->index, &p, &a);
  snprintf(out, len, "%s %s", p.first, p.last);
}

static int customers_mutate(struct sb_shop *s, const struct sb_mutation *m, int64_t now,
                            struct bits *t, struct sb_mut_out *out) {
  struct sb_rng r;
  char name[70];
  int rc = sb_customers_ready(s);
  size_t n = s->ncustomer_recs;
  for (long long k = 0; !rc && k < m->update && n; k++) {
    sb_rng_seed(&r,
                sb_hash4(s->seed, (uint64_t)s->index, s->customer_changes++, SALT_CUSTOMER_PICK));
    long pos = probe((size_t)sb_rng_below(&r, n), 0, n, customer_live, s, t);
    if (pos < 0)
      break;
    sb_customer_change(s, (size_t)pos, now);
    bit_set(t, (size_t)pos);
    out->updated++;
    rc = touched_add(out, s->customers[pos].id, 0);
  }
  for (long long k = 0; !rc && k < m->remove && n; k++) {
    sb_rng_seed(&r,
                sb_hash4(s->seed, (uint64_t)s->index, s->customer_changes++, SALT_CUSTOMER_PICK));
    long pos = probe((size_t)sb_rng_below(&r, n), 0, n, customer_deletable, s, t);
    if (pos < 0)
      break;
    struct sb_customer *c = &s->customers[pos];
    c->deleted_at = now;
    s->customers_deleted++;
    bit_set(t, (size_t)pos);
    customer_name(s, c, name, sizeof(name));
    rc = sb_event_add(s, SB_SUBJ_CUSTOMER, SB_VERB_DESTROY, c->id, name, now);
    out->deleted++;
    if (!rc)
      rc = touched_add(out, c->id, 0);
  }
  for (long long k = 0; !rc && k < m->create; k++) {
    size_t pos;
    rc = sb_customer_create(s, now, &pos);
    if (rc)
      break;
    customer_name(s, &s->customers[pos], name, sizeof(name));
    rc = sb_event_add(s, SB_SUBJ_CUSTOMER, SB_VERB_CREATE, s->customers[pos].id, name, now);
    out->created++;
    if (!rc)
      rc = touched_add(out, s->customers[pos].id, 0);
  }
  return rc;
}

int sb_shop_mutate(struct sb_shop *s, const struct sb_mutation *m, int64_t now,
                   struct sb_mut_out *out) {
  struct bits t;
  size_t n;
  int rc = MS_OK;
  switch (m->resource) {
  case SB_MUT_PRODUCTS:
    n = s->nproducts;
    break;
  case SB_MUT_CUSTOMERS:
    rc = sb_customers_ready(s);
    if (rc)
      return rc;
    n = s->ncustomer_recs;
    break;
  case SB_MUT_INVENTORY:
    n = s->nproducts * SB_MAX_VARIANTS * SB_MAX_LOCATIONS;
    break;
  default:
    n = s->norders;
    break;
  }
  if (bits_init(&t, n))
    return MS_ENOMEM;
  switch (m->resource) {
  case SB_MUT_PRODUCTS:
    rc = products_mutate(s, m, now, &t, out);
    break;
  case SB_MUT_CUSTOMERS:
    rc = customers_mutate(s, m, now, &t, out);
    break;
  case SB_MUT_INVENTORY:
    rc = inventory_mutate(s, m, now, &t, out);
    break;
  case SB_MUT_REFUNDS:
    rc = refunds_mutate(s, m, now, &t, out);
    break;
  default:
    rc = orders_mutate(s, m, now, &t, out);
    break;
  }
  free(t.b);
  return rc;
}

static int touched_cmp(const void *a, const void *b) {
  const struct sb_touched *x = a, *y = b;
  if (x->id != y->id)
    return x->id < y->id ? -1 : 1;
  return x->location_id < y->location_id ? -1 : x->location_id > y->location_id;
}

void sb_mut_out_finish(struct sb_mut_out *out) {
  size_t k = 0;
  if (!out->nids)
    return;
  qsort(out->ids, out->nids, sizeof(*out->ids), touched_cmp);
  for (size_t i = 1; i < out->nids; i++)
    if (touched_cmp(&out->ids[i], &out->ids[k]) != 0)
      out->ids[++k] = out->ids[i];
  out->nids = k + 1;
}

void sb_mut_out_release(struct sb_mut_out *out) {
  free(out->ids);
  out->ids = NULL;
  out->nids = out->cap = 0;
}
