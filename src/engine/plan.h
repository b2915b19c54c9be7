/* Which slices a sync works through: the days of a range in a source's own
 * zone, the days left pending or failed, today; and what they cost. */
#ifndef MS_ENGINE_PLAN_H
#define MS_ENGINE_PLAN_H

#include "engine/session.h"
#include "store/store.h"
#include "util/schedule_time.h"

#define PLAN_DAYS_MAX 3660 /* ten years of days per source and stream */

/* Which days, as a person asks for them. */
enum day_choice {
  DAYS_DEFAULT = 0, /* today and every day left pending or failed */
  DAYS_OPEN,        /* every day left pending or failed, oldest first */
  DAYS_RANGE,       /* a preset (today, yesterday, last 7 or 30 days, this or last month),
                       the last N days, or FROM..TO */
};

struct day_range {
  enum day_choice choice;     /* what to take */
  enum range_preset preset;   /* DAYS_RANGE: 0 when last_days or from/to say it */
  int last_days;              /* DAYS_RANGE: the last N days, today included; 0: not this */
  struct civil_date from, to; /* DAYS_RANGE with RANGE_CUSTOM: both included */
  int resync;                 /* fetch the days again even when completed */
  int dry;                    /* only look: reset nothing (--plan) */
};

/* A list of slice keys. */
struct key_list {
  char (*keys)[MS_KEY_MAX]; /* owned */
  size_t n;
  size_t cap;
};

int key_list_add(struct key_list *l, const char *key);
void key_list_release(struct key_list *l);

/* The first and last day of a range in the session's zone (for DAYS_RANGE;
 * the last is never after today). */
int plan_range_days(struct session *s, const struct day_range *r, struct civil_date *first,
                    struct civil_date *last, struct err *err);

/* The day slices of a day-sliced stream to fetch: days already completed
 * (after they ended) are left out and counted in *skipped; a day completed
 * while it was still going on is checked again (reset, unless dry);
 * resync resets the days. */
int plan_days(struct store *st, struct session *s, const struct stream_def *def,
              const struct day_range *r, struct key_list *out, size_t *skipped, struct err *err);

/* Where a window's pass asks from (UTC seconds; 0: from the beginning):
 * the watermark less the overlap, or, before the first pass, the stream's
 * first start (first_start: when its earliest day was fetched; 0 none);
 * from_start (a full pass) ignores both. Never below 0. */
int64_t plan_window_from(int64_t watermark, int64_t first_start, int from_start, int overlap);

/* Records the last `days` days of the stream as pending, nothing fetched. */
int plan_initialize(struct store *st, struct session *s, const struct stream_def *def, int days,
                    int *made, struct err *err);

/* What a list of days of a stream will cost: requests per endpoint and the
 * time the endpoints' documented limits impose (a burst first, then the
 * steady rate; endpoints are paced independently, so the slowest one sets
 * the time). per_day: assumed records a day (0: the average of the days
 * already synced, else 100). */
struct plan_cost {
  double per_day;     /* records a day assumed */
  int from_history;   /* per_day came from the days already synced */
  double requests[8]; /* per endpoint */
  double seconds[8];  /* per endpoint */
  double total;       /* requests in all */
  double slowest;     /* seconds: the time the plan takes */
};

int plan_cost(struct store *st, struct session *s, const struct stream_def *def, size_t ndays,
              double per_day, struct plan_cost *out, struct err *err);

#endif
