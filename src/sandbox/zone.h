/* A time zone with its UTC offsets cached as a table of transitions, so that
 * rendering timestamps needs no ICU call and may run on many threads at once.
 * Instants outside the cached window fall back to ICU under a mutex. */
#ifndef MS_SANDBOX_ZONE_H
#define MS_SANDBOX_ZONE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/tz.h"

struct sb_transition {
  int64_t at; /* first instant (UTC seconds) with this offset */
  int offset; /* seconds east of UTC from `at` on */
};

struct sb_zone {
  struct tz *tz;            /* ICU zone; used under lock only after init */
  pthread_mutex_t lock;     /* guards tz for look-ups outside the window */
  int64_t lo;               /* cached window start (UTC seconds) */
  int64_t hi;               /* cached window end, exclusive */
  struct sb_transition *tr; /* ascending by at; tr[0].at == lo */
  size_t ntr;               /* entries in tr */
};

/* Opens tzid and caches its offsets over [lo, hi). */
int sb_zone_init(struct sb_zone *z, const char *tzid, int64_t lo, int64_t hi, struct err *err);
void sb_zone_release(struct sb_zone *z);
/* Seconds east of UTC at instant t. Thread-safe. */
int sb_zone_offset(struct sb_zone *z, int64_t t);
/* "2026-11-01T01:30:00-04:00": t in the zone's offset at that instant. */
void sb_zone_format(struct sb_zone *z, int64_t t, char out[TIME_STR_LEN]);

#endif
