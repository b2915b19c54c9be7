/* The repair passes: records stored without what they need are fetched
 * again (as SLICE_REFETCH slices the page loop drives like any day), and
 * children still without a price get one estimated from a known price of
 * their SKU. */
#ifndef MS_ENGINE_REPAIR_H
#define MS_ENGINE_REPAIR_H

#include "engine/plan.h"
#include "engine/run.h"

enum repair_kind {
  REPAIR_ALL = 0, /* everything a record lacks: its own required fields, its children */
  REPAIR_ITEMS,   /* records without children (or children lacking what they need) */
  REPAIR_PRICES,  /* children without a price */
};

/* Seeds the refetch slices of a day-sliced stream: per local day of
 * creation (within the days asked for, or all history), the records to
 * fetch again (a cursor of ids, for a stream that can fetch records by id)
 * and the records whose children to fetch again (follow-ups, for a stream
 * whose children come that way). Their keys go to keys; counts go to rc. */
int repair_plan(struct store *st, struct session *s, const struct stream_def *def,
                enum repair_kind kind, const struct day_range *days, struct key_list *keys,
                struct repair_counts *rc, struct err *err);

/* After the refetch: counts what is still incomplete and, with prices,
 * estimates the price of each child still without one from the latest real
 * unit price of its SKU (times its quantity, in its currency's minor units),
 * marked estimated. */
int repair_finish(struct store *st, struct session *s, enum repair_kind kind,
                  const struct day_range *days, struct repair_counts *rc, struct err *err);

#endif
