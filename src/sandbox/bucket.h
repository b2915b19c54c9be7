/* Shopify's REST rate limit: a leaky bucket per shop. Not thread-safe; the
 * sandbox calls it under its lock. */
#ifndef MS_SANDBOX_BUCKET_H
#define MS_SANDBOX_BUCKET_H

struct sb_bucket {
  double size;  /* capacity in requests (40) */
  double leak;  /* requests drained per second (2) */
  double level; /* requests in the bucket after the last update */
  double last;  /* monotonic seconds of the last update */
  int enabled;  /* 0: never throttle */
};

void sb_bucket_init(struct sb_bucket *b, double size, double leak, int enabled);
/* Drains to `now`, then admits one request (returns 1) or refuses it
 * (returns 0 and sets *retry_after to the seconds until a slot frees). */
int sb_bucket_take(struct sb_bucket *b, double now, double *retry_after);
/* Drains to `now` without taking anything. */
void sb_bucket_drain(struct sb_bucket *b, double now);
/* The X-Shopify-Shop-Api-Call-Limit value, "USED/SIZE" (USED rounded up). */
void sb_bucket_header(const struct sb_bucket *b, char *out, unsigned long len);
/* Retry-After in decimal seconds with one decimal, at least "1.0". */
void sb_retry_after_format(double seconds, char *out, unsigned long len);

#endif
