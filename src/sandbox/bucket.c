#include "sandbox/bucket.h"

#include <math.h>
#include <stdio.h>

void sb_bucket_init(struct sb_bucket *b, double size, double leak, int enabled) {
  b->size = size;
  b->leak = leak;
  b->level = 0;
  b->last = 0;
  b->enabled = enabled;
}

void sb_bucket_drain(struct sb_bucket *b, double now) {
  if (b->last > 0 && now > b->last) {
    b->level -= b->leak * (now - b->last);
    if (b->level < 0)
      b->level = 0;
  }
  if (now > b->last)
    b->last = now;
}

int sb_bucket_take(struct sb_bucket *b, double now, double *retry_after) {
  sb_bucket_drain(b, now);
  if (b->enabled && b->level + 1 > b->size + 1e-9) {
    *retry_after = (b->level + 1 - b->size) / b->leak;
    return 0;
  }
  b->level += 1;
  if (!b->enabled && b->level > b->size)
    b->level = b->size;
  return 1;
}

void sb_bucket_header(const struct sb_bucket *b, char *out, unsigned long len) {
  if (!b->enabled) {
    snprintf(out, len, "1/%.0f", b->size);
    return;
  }
  /* Round up, but not a float's dust above a whole number. */
  double used = ceil(b->level - 1e-9);
  if (used <= 0)
    used = 0; /* also turns -0 into 0 */
  snprintf(out, len, "%.0f/%.0f", used, b->size);
}

void sb_retry_after_format(double seconds, char *out, unsigned long len) {
  double tenths = ceil(seconds * 10.0 - 1e-9);
  if (tenths < 10)
    tenths = 10;
  snprintf(out, len, "%.1f", tenths / 10.0);
}
