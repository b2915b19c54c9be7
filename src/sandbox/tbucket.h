/* The Selling Partner API's rate limit: a token bucket per operation and
 * seller. It starts full (the burst); each request takes one token; tokens
 * come back at `rate` per second up to the burst. Not thread-safe; the
 * sandbox calls it under its lock. */
#ifndef MS_SANDBOX_TBUCKET_H
#define MS_SANDBOX_TBUCKET_H

#include <stddef.h>

struct sb_tbucket {
  double rate;   /* tokens restored per second */
  double burst;  /* capacity */
  double tokens; /* tokens after the last update */
  double last;   /* monotonic seconds of the last update; 0 before the first */
  int enabled;   /* 0: never refuse */
};

/* A full bucket. */
void sb_tbucket_init(struct sb_tbucket *b, double rate, double burst, int enabled);
/* Restores the tokens earned up to `now`. */
void sb_tbucket_refill(struct sb_tbucket *b, double now);
/* Refills, then takes one token (returns 1) or refuses (returns 0 and sets
 * *wait, MAY be NULL, to the seconds until a token is back). */
int sb_tbucket_take(struct sb_tbucket *b, double now, double *wait);
/* The rate as x-amzn-RateLimit-Limit shows it: a plain decimal with at most
 * six significant digits, "0.0167", "8.35", "0.5", "2". */
void sb_rate_format(double rate, char *out, size_t len);

#endif
