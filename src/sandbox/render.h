/* Renders the sandbox's records as the Shopify Admin REST API (2024-01)
 * shows them: orders and the shop. */
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
/* Parses "id,name,total_price"; unknown names are ignored, as Shopify does.
 * Returns the number of known names. At most 8 KB of input is read. */
int sb_fieldset_parse(const char *list, struct sb_fieldset *fs);

/* Appends the order object ({...}, no wrapper). fs NULL means all fields.
 * Thread-safe: o is the caller's copy of the index entry. */
int sb_order_render(struct sb_shop *s, const struct sb_order *o, const struct sb_fieldset *fs,
                    struct buf *out);
/* Appends the shop object ({...}, no wrapper) as seen at `now`. */
int sb_shop_render(struct sb_shop *s, int64_t now, struct buf *out);

#endif
