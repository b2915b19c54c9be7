/* The SKU report's scope as a person gives it, sources by name and days in
 * each source's own zone, made into what the store counts: per source, the
 * UTC bounds of those local days. The command and the HTTP API both start
 * here. */
#ifndef MS_ENGINE_REPORT_H
#define MS_ENGINE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/schedule_time.h"

/* Which days: a preset, or from and/or to (a missing one leaves that end
 * open), or none of them (every day). */
struct report_days {
  enum range_preset preset; /* 0: from/to say it; RANGE_CUSTOM is not one here */
  int has_from;             /* from is given */
  int has_to;               /* to is given */
  struct civil_date from;   /* the first local day, included */
  struct civil_date to;     /* the last local day, included */
};

/* The scope of a report. */
struct report_scope {
  struct sku_scope *v; /* one per source, owned */
  size_t n;            /* how many */
  size_t cap;          /* allocated */
  size_t utc;          /* sources whose zone is not known yet: their days are UTC days */
  char utc_name[64];   /* the first of them, for a message */
};

/* Fills scope with the sources named (every source when n is 0), each with
 * the bounds of the days in its own zone at `now` (UTC seconds). MS_ENOTFOUND
 * naming a source that does not exist; MS_EINVAL for days that make no
 * range (from after to). */
int report_scope_make(struct store *st, const char *const *names, size_t n,
                      const struct report_days *days, int64_t now, struct report_scope *scope,
                      struct err *err);
void report_scope_release(struct report_scope *scope);

#endif
