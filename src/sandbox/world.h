/* What a shop holds besides its orders: products with their variants and
 * inventory levels, customers, locations, and the events that record
 * creations and deletions. Built at start from the seed (sb_world_init) and
 * changed only through the functions below, which the caller runs under the
 * sandbox's lock; every change stamps updated_at = max(now, previous + 1).
 *
 * Order content never reads these records (it uses the read-only catalog),
 * so orders render the same whatever happens to products and customers,
 * and rendering needs no lock. */
#ifndef MS_SANDBOX_WORLD_H
#define MS_SANDBOX_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/gen.h"

#define SB_LOCATION_ID_BASE 60000000000ULL /* + shop index * 1000 + 1 + position */

/* Builds products (from the catalog) and locations with their inventory.
 * Called by sb_shop_init(); customers come later (sb_customers_ready). */
int sb_world_init(struct sb_shop *s, int64_t now);

/* ---- catalog.c: products, locations, inventory levels ---- */

/* Catalog entry k as a new product would get it (k >= the generated ones). */
void sb_catalog_entry(const struct sb_shop *s, uint32_t k, struct sb_product *out);
const char *sb_noun_name(int noun);
const char *sb_adjective(uint64_t pick);
/* Option names of a kind of variants ("Size", "Color"); returns how many. */
int sb_option_names(int opt, const char *names[2]);

int sb_products_init(struct sb_shop *s, int64_t now);
void sb_locations_init(struct sb_shop *s);
/* Position of the product with this id (deleted or not), or -1. */
long sb_product_find(const struct sb_shop *s, uint64_t id);
/* Appends a new active product created at `now`; MS_ETOOBIG past
 * SB_MAX_PRODUCTS. *pos receives its position. */
int sb_product_create(struct sb_shop *s, int64_t now, size_t *pos);
/* Changes the product at pos: its prices (variants' updated_at too), its
 * title or its status, drawn from r. */
void sb_product_change(struct sb_shop *s, size_t pos, int64_t now, struct sb_rng *r);
/* Changes `available` of one tracked level; the variant's and product's
 * updated_at move with it (their inventory_quantity changed). */
void sb_level_change(struct sb_shop *s, size_t pos, int variant, int location, int64_t now,
                     struct sb_rng *r);
/* The variant's inventory_quantity: its stock over every location (0 when
 * the product's inventory is not tracked). */
int64_t sb_variant_quantity(const struct sb_shop *s, const struct sb_product_rec *p, int variant);

/* ---- customers.c ---- */

/* Builds the customer records of the pool and adds up their orders, once:
 * every use of customer records (lists, counts, truth, changes) calls it
 * first, under the lock. See customers.c for why late equals early. */
int sb_customers_ready(struct sb_shop *s);
/* Position of the customer with this id (deleted or not), or -1. */
long sb_customer_find(const struct sb_shop *s, uint64_t id);
/* Appends a new customer created at `now`; *pos receives its position. */
int sb_customer_create(struct sb_shop *s, int64_t now, size_t *pos);
/* An edit: note, tags, marketing consent or state, drawn from the version. */
void sb_customer_change(struct sb_shop *s, size_t pos, int64_t now);

/* What one order adds to its customer's record. */
struct sb_contrib {
  uint32_t customer; /* pool index */
  int live;          /* the order counts (not deleted) */
  int64_t spent;     /* sb_order_net_paid() */
};

/* The order's contribution now (computes its content); all zero while the
 * customer records are not built. */
void sb_contrib_of(const struct sb_shop *s, const struct sb_order *o, struct sb_contrib *out);
/* Moves the customer from `before` to the order's contribution now (o is
 * at position pos); its updated_at becomes at least the order's. Deleted
 * customers are left alone; nothing happens while the records are not
 * built. */
void sb_contrib_apply(struct sb_shop *s, size_t pos, const struct sb_contrib *before, int64_t now);

/* ---- events.c ---- */

/* Appends an event at `now` (never before the last one). */
int sb_event_add(struct sb_shop *s, int subject, int verb, uint64_t subject_id, const char *arg,
                 int64_t now);
const char *sb_subject_name(int subject);
const char *sb_verb_name(int verb);
/* The subject type named (case-insensitive "Order", "Product", "Customer"),
 * or -1. */
int sb_subject_lookup(const char *name, size_t len);

/* ---- mutate.c: what POST /_sandbox/mutate does to a shop ---- */

enum sb_mut_resource {
  SB_MUT_ORDERS,
  SB_MUT_PRODUCTS,
  SB_MUT_CUSTOMERS,
  SB_MUT_INVENTORY,
  SB_MUT_REFUNDS,
  SB_MUT_COUNT
};

struct sb_mutation {
  int resource;     /* enum sb_mut_resource */
  long long update; /* records to change (refunds: orders to refund) */
  long long create; /* records to create */
  long long remove; /* records to delete */
  int ranged;       /* orders and refunds: choose among orders created in [lo, hi) */
  int64_t lo;       /* UTC seconds */
  int64_t hi;       /* UTC seconds, exclusive */
};

/* A record a mutation touched: its id (inventory: inventory_item_id) and,
 * for inventory, the location. */
struct sb_touched {
  uint64_t id;          /* record id */
  uint64_t location_id; /* inventory levels only; 0 otherwise */
};

struct sb_mut_out {
  unsigned long long updated; /* records changed */
  unsigned long long created; /* records created */
  unsigned long long deleted; /* records deleted */
  struct sb_touched *ids;     /* every record touched, once */
  size_t nids;                /* entries in ids */
  size_t cap;                 /* allocated entries */
};

/* Applies the mutation to the shop at `now`, under the sandbox's lock. Each
 * record is changed at most once per call; fewer than asked are changed when
 * the candidates run out (customers with orders cannot be deleted, as on
 * Shopify). Choices derive from the seed and the shop's counts of changes.
 * Adds to out; MS_ETOOBIG when the shop cannot hold more records. */
int sb_shop_mutate(struct sb_shop *s, const struct sb_mutation *m, int64_t now,
                   struct sb_mut_out *out);
/* Sorts out->ids and drops repeats. */
void sb_mut_out_finish(struct sb_mut_out *out);
void sb_mut_out_release(struct sb_mut_out *out);

#endif
