#include "sandbox/zone.h"

#include <stdlib.h>
#include <string.h>

/* Two offset changes never come closer than this in real zones, so sampling
 * at this step and bisecting finds every transition. */
#define ZONE_STEP (6 * 3600)

static int icu_offset(struct tz *tz, int64_t t) {
  int off = 0;
  if (tz_offset_at(tz, t, &off))
    return 0;
  return off;
}

static int zone_push(struct sb_zone *z, size_t *cap, int64_t at, int offset) {
  if (z->ntr == *cap) {
    size_t ncap = *cap ? *cap * 2 : 16;
    struct sb_transition *p = realloc(z->tr, ncap * sizeof(*p));
    if (!p)
      return MS_ENOMEM;
    z->tr = p;
    *cap = ncap;
  }
  z->tr[z->ntr].at = at;
  z->tr[z->ntr].offset = offset;
  z->ntr++;
  return MS_OK;
}

int sb_zone_init(struct sb_zone *z, const char *tzid, int64_t lo, int64_t hi, struct err *err) {
  size_t cap = 0;
  int rc, cur;
  memset(z, 0, sizeof(*z));
  rc = tz_open(tzid, &z->tz, err);
  if (rc)
    return rc;
  pthread_mutex_init(&z->lock, NULL);
  z->lo = lo;
  z->hi = hi;
  cur = icu_offset(z->tz, lo);
  rc = zone_push(z, &cap, lo, cur);
  for (int64_t t = lo; !rc && t < hi; t += ZONE_STEP) {
    int next = icu_offset(z->tz, t + ZONE_STEP);
    if (next == cur)
      continue;
    int64_t a = t, b = t + ZONE_STEP; /* offset(a) == cur, offset(b) == next */
    while (b - a > 1) {
      int64_t mid = a + (b - a) / 2;
      if (icu_offset(z->tz, mid) == cur)
        a = mid;
      else
        b = mid;
    }
    cur = icu_offset(z->tz, b);
    rc = zone_push(z, &cap, b, cur);
  }
  if (rc) {
    sb_zone_release(z);
    return err_set(err, rc, "out of memory while caching time zone %s", tzid);
  }
  return MS_OK;
}

void sb_zone_release(struct sb_zone *z) {
  if (!z->tz)
    return;
  tz_free(z->tz);
  pthread_mutex_destroy(&z->lock);
  free(z->tr);
  memset(z, 0, sizeof(*z));
}

int sb_zone_offset(struct sb_zone *z, int64_t t) {
  if (t < z->lo || t >= z->hi) {
    int off;
    pthread_mutex_lock(&z->lock);
    off = icu_offset(z->tz, t);
    pthread_mutex_unlock(&z->lock);
    return off;
  }
  size_t a = 0, b = z->ntr; /* tr[a].at <= t < tr[b].at */
  while (b - a > 1) {
    size_t mid = a + (b - a) / 2;
    if (z->tr[mid].at <= t)
      a = mid;
    else
      b = mid;
  }
  return z->tr[a].offset;
}

void sb_zone_format(struct sb_zone *z, int64_t t, char out[TIME_STR_LEN]) {
  time_format(t, sb_zone_offset(z, t), 0, out);
}
