#include "sandbox/tbucket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_tbucket_init(struct sb_tbucket *b, double rate, double burst, int enabled) {
  b->rate = rate;
  b->burst = burst;
  b->tokens = burst;
  b->last = 0;
  b->enabled = enabled;
}

void sb_tbucket_refill(struct sb_tbucket *b, double now) {
  if (b->last > 0 && now > b->last) {
    b->tokens += b->rate * (now - b->last);
    if (b->tokens > b->burst)
      b->tokens = b->burst;
  }
  if (now > b->last)
    b->last = now;
}

int sb_tbucket_take(struct sb_tbucket *b, double now, double *wait) {
  sb_tbucket_refill(b, now);
  if (!b->enabled)
    return 1;
  /* A float's dust below a whole token still counts as the token. */
  if (b->tokens < 1 - 1e-9) {
    if (wait)
      *wait = (1 - b->tokens) / b->rate;
    return 0;
  }
  b->tokens -= 1;
  if (b->tokens < 0)
    b->tokens = 0;
  return 1;
}

void sb_rate_format(double rate, char *out, size_t len) {
  char tmp[64];
  size_t n;
  /* Six significant digits drop the float noise of rate x speed
   * (0.0167 x 500 = 8.350000000000001), then plain notation, no exponent. */
  snprintf(tmp, sizeof(tmp), "%.6g", rate);
  snprintf(tmp, sizeof(tmp), "%.10f", strtod(tmp, NULL));
  n = strlen(tmp);
  while (n > 1 && tmp[n - 1] == '0')
    n--;
  if (n > 1 && tmp[n - 1] == '.')
    n--;
  tmp[n] = '\0';
  snprintf(out, len, "%s", tmp);
}
