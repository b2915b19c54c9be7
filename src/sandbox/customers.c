/* Customer records: the pool that orders pick their buyers from, plus the
 * ones created later, with what their orders add up to (orders_count,
 * total_spent, last order) kept in step with every order change.
 *
 * The records are built on first use (adding up every order costs about a
 * microsecond per order), and everything in them is a function of the
 * state at that moment: counts and totals over the live orders, updated_at
 * the latest of the customer's own changes and of any of its orders'
 * updated_at (deleted orders' too). So building them late gives the same
 * bytes as building them at start and following every change; changes to
 * customers themselves build them first. */
#include <string.h>

#include "util/array.h"
#include "sandbox/prng.h"
#include "sandbox/world.h"

enum { SALT_CUSTOMER_STATE = 301, SALT_CUSTOMER_EDIT };

static int customers_reserve(struct sb_shop *s, size_t extra) {
  if (s->ncustomer_recs + extra > SB_MAX_CUSTOMERS)
    return MS_ETOOBIG;
  return array_reserve((void **)&s->customers, &s->customers_cap, s->ncustomer_recs + extra,
                       sizeof(*s->customers), 256);
}

/* Appends the record of customer `index` as the pool had it before any
 * order; created > 0 makes it a customer created at that instant. */
static void customer_append(struct sb_shop *s, int64_t created) {
  struct sb_customer *c = &s->customers[s->ncustomer_recs];
  struct sb_person p;
  struct sb_address a;
  struct sb_rng r;
  uint32_t index = (uint32_t)s->ncustomer_recs;
  sb_person_make(s, index, &p, &a);
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, index, SALT_CUSTOMER_STATE));
  memset(c, 0, sizeof(*c));
  c->id = p.id;
  c->index = index;
  c->marketing = (uint8_t)p.marketing;
  if (created) {
    c->created_at = c->updated_at = created;
    c->state = SB_CS_DISABLED;
  } else {
    unsigned u = (unsigned)sb_rng_below(&r, 100);
    c->created_at = p.created_at;
    c->updated_at = p.created_at + 3600;
    c->state = u < 70   ? SB_CS_ENABLED
               : u < 90 ? SB_CS_DISABLED
               : u < 98 ? SB_CS_INVITED
                        : SB_CS_DECLINED;
    c->tax_exempt = (uint8_t)sb_rng_pct(&r, 3);
  }
  s->ncustomer_recs++;
}

int sb_customers_ready(struct sb_shop *s) {
  struct sb_content c;
  int rc;
  if (s->customers_ready)
    return MS_OK;
  rc = customers_reserve(s, s->ncustomers);
  if (rc)
    return rc;
  for (uint32_t i = 0; i < s->ncustomers; i++)
    customer_append(s, 0);
  for (size_t i = 0; i < s->norders; i++) {
    const struct sb_order *o = &s->orders[i];
    sb_order_content(s, o, &c);
    struct sb_customer *cu = &s->customers[c.customer.index];
    if (o->updated_at > cu->updated_at)
      cu->updated_at = o->updated_at;
    if (o->deleted)
      continue;
    cu->orders_count++;
    cu->total_spent += sb_order_net_paid(s, o, &c);
    cu->last_order_id = o->id;
    cu->last_order_number = o->number;
  }
  s->customers_ready = 1;
  return MS_OK;
}

long sb_customer_find(const struct sb_shop *s, uint64_t id) {
  size_t a = 0, b = s->ncustomer_recs;
  while (a < b) {
    size_t mid = a + (b - a) / 2;
    if (s->customers[mid].id < id)
      a = mid + 1;
    else
      b = mid;
  }
  return a < s->ncustomer_recs && s->customers[a].id == id ? (long)a : -1;
}

int sb_customer_create(struct sb_shop *s, int64_t now, size_t *pos) {
  int rc = sb_customers_ready(s);
  if (!rc)
    rc = customers_reserve(s, 1);
  if (rc)
    return rc;
  customer_append(s, now);
  *pos = s->ncustomer_recs - 1;
  return MS_OK;
}

void sb_customer_change(struct sb_shop *s, size_t pos, int64_t now) {
  /* Callers made the records ready (they picked pos among them). */
  struct sb_customer *c = &s->customers[pos];
  struct sb_rng r;
  c->version++;
  c->updated_at = sb_stamp(c->updated_at, now);
  sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, ((uint64_t)c->index << 20) ^ c->version,
                           SALT_CUSTOMER_EDIT));
  switch (sb_rng_below(&r, 4)) {
  case 0:
    c->marketing = (uint8_t)!c->marketing;
    break;
  case 1:
    if (c->state == SB_CS_DISABLED)
      c->state = SB_CS_INVITED;
    else if (c->state == SB_CS_INVITED)
      c->state = SB_CS_ENABLED;
    break;
  default:
    break; /* the note and tags derive from the version */
  }
}

void sb_contrib_of(const struct sb_shop *s, const struct sb_order *o, struct sb_contrib *out) {
  struct sb_content c;
  memset(out, 0, sizeof(*out));
  if (!s->customers_ready)
    return; /* nothing to keep in step yet */
  sb_order_content(s, o, &c);
  out->customer = c.customer.index;
  out->live = !o->deleted;
  out->spent = sb_order_net_paid(s, o, &c);
}

/* The customer's newest live order before position `before`, or none. */
static void last_order_find(const struct sb_shop *s, struct sb_customer *cu, size_t before) {
  cu->last_order_id = 0;
  cu->last_order_number = 0;
  while (before-- > 0) {
    const struct sb_order *o = &s->orders[before];
    if (!o->deleted && sb_order_customer_index(s, o->id) == cu->index) {
      cu->last_order_id = o->id;
      cu->last_order_number = o->number;
      return;
    }
  }
}

void sb_contrib_apply(struct sb_shop *s, size_t pos, const struct sb_contrib *before, int64_t now) {
  const struct sb_order *o = &s->orders[pos];
  struct sb_contrib after;
  struct sb_customer *cu;
  if (!s->customers_ready)
    return;
  sb_contrib_of(s, o, &after);
  if (after.customer >= s->ncustomer_recs)
    return;
  cu = &s->customers[after.customer];
  if (cu->deleted_at)
    return;
  cu->orders_count = (uint32_t)((int64_t)cu->orders_count + after.live - before->live);
  cu->total_spent += after.spent - before->spent;
  if (after.live && o->id > cu->last_order_id) {
    cu->last_order_id = o->id;
    cu->last_order_number = o->number;
  } else if (!after.live && before->live && cu->last_order_id == o->id) {
    last_order_find(s, cu, pos);
  }
  if (o->updated_at > cu->updated_at)
    cu->updated_at = o->updated_at;
  (void)now;
}
