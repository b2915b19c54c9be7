/* The SKU report as a person asks for it, sources by name and days in each
 * source's own zone, made into what the store counts (per source, the UTC
 * bounds of those local days) and counted by the store's report_skus.
 * `marketsync report skus` and the admin API's GET /api/reports/skus both
 * call report_skus() here, so the two cannot count differently. */
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

/* One SKU report asked for. Borrowed. */
struct report_request {
  const char *const *sources; /* source names; MAY be NULL when nsources is 0 */
  size_t nsources;            /* 0: every source */
  struct report_days days;    /* which local days; all zero: every day */
  const char *currency;       /* only this ISO code; NULL: every currency */
  enum sku_order order;       /* the rows' order */
  int64_t limit;              /* 0: every row; with SKU_BY_REVENUE, the `limit` SKUs with the
                                 most revenue in each currency, else the first `limit` rows */
  int64_t now;                /* UTC seconds: where presets and open periods end */
};

/* What a caller may want to tell the person about a report. */
struct report_note {
  size_t utc;        /* sources counted in UTC days: their zone is not known yet */
  char utc_name[64]; /* the first of them */
};

/* Runs the SKU report: cb once per row, in order (see store_ops.report_skus
 * for what is counted). note MAY be NULL. MS_ENOTFOUND for a source name
 * that does not exist, MS_EINVAL for a request that makes no sense (a first
 * day after the last, a source named twice): both are the caller's mistakes,
 * to be shown as such. */
int report_skus(struct store *st, const struct report_request *req, sku_cb cb, void *ctx,
                struct report_note *note, struct err *err);

/* The words of a report's order, as the command line and the API take them:
 * "revenue", "units", "sku". MS_OK, or MS_EINVAL for another word. */
int report_order_parse(const char *word, enum sku_order *out);
/* A currency code of three letters, written upper case into out.
 * MS_EINVAL for anything else. */
int report_currency_parse(const char *code, char out[4]);

#endif
