/* Renders the sandbox's records as the Shopify Admin REST API (2024-01)
 * shows them: orders (with their refunds), the shop, products, customers,
 * locations, inventory levels and events. */
#ifndef MS_SANDBOX_RENDER_H
#define MS_SANDBOX_RENDER_H

#include <stdint.h>

#include "sandbox/gen.h"
#include "util/buf.h"

#define SB_FIELDS_MAX 128 /* room for the top-level fields of an order */

/* Which top-level fields of an order to render (the `fields` parameter). */
struct sb_fieldset {
  int all;                         /* render every field */
  unsigned char on[SB_FIELDS_MAX]; /* per field, when !all */
};

void sb_fieldset_all(struct sb_fieldset *fs);
/* Parses "id,name,total_price" (order fields); unknown names are ignored, as
 * Shopify does. Returns the number of known names. At most 8 KB of input is
 * read. */
int sb_fieldset_parse(const char *list, struct sb_fieldset *fs);
/* The same against any list of field names. */
int sb_fieldset_parse_names(const char *list, const char *const *names, int count,
                            struct sb_fieldset *fs);
/* The same for the records of a list (enum sb_resource in query.h). */
int sb_fieldset_parse_for(int resource, const char *list, struct sb_fieldset *fs);
/* Locations' fields (locations.json has no enum sb_resource of its own). */
int sb_fieldset_parse_locations(const char *list, struct sb_fieldset *fs);

/* Appends the order object ({...}, no wrapper). fs NULL means all fields.
 * Thread-safe: o is the caller's copy of the index entry. */
int sb_order_render(struct sb_shop *s, const struct sb_order *o, const struct sb_fieldset *fs,
                    struct buf *out);
/* Appends the order's refunds array ([...]), as in its "refunds" field. */
int sb_order_refunds_render(struct sb_shop *s, const struct sb_order *o, struct buf *out);
/* Appends the shop object ({...}, no wrapper) as seen at `now`. */
int sb_shop_render(struct sb_shop *s, int64_t now, struct buf *out);

/* One inventory level: a copy taken under the lock. */
struct sb_level {
  uint64_t inventory_item_id; /* the variant's inventory item */
  uint64_t location_id;       /* where */
  int64_t updated_at;         /* UTC seconds */
  int32_t available;          /* stock */
  int tracked;                /* 0: available is null */
};

/* The records below are the caller's copies (taken under the sandbox's
 * lock), so rendering needs no lock. fs NULL means all fields. */
int sb_product_render(struct sb_shop *s, const struct sb_product_rec *p,
                      const struct sb_fieldset *fs, struct buf *out);
int sb_customer_render(struct sb_shop *s, const struct sb_customer *c, const struct sb_fieldset *fs,
                       struct buf *out);
int sb_location_render(struct sb_shop *s, const struct sb_location *l, const struct sb_fieldset *fs,
                       struct buf *out);
int sb_level_render(struct sb_shop *s, const struct sb_level *l, const struct sb_fieldset *fs,
                    struct buf *out);
int sb_event_render(struct sb_shop *s, const struct sb_event *e, const struct sb_fieldset *fs,
                    struct buf *out);
/* {"subject_type":"Product","subject_id":N,"deleted_at":"..."} of a destroy event. */
int sb_deleted_render(struct sb_shop *s, const struct sb_event *e, struct buf *out);

#endif
