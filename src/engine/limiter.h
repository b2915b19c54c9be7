/* Client-side models of an API's rate limit, fed by its response headers.
 *
 * Two shapes: a leaky bucket (Shopify REST: a request adds 1, the bucket
 * drains at `leak` per second, overflow is a 429) and a token bucket
 * (Amazon SP-API: tokens refill at `rate` per second up to `burst`, a request
 * takes one). All times are monotonic seconds passed in by the caller so the
 * model can be tested without sleeping.
 */
#ifndef MS_ENGINE_LIMITER_H
#define MS_ENGINE_LIMITER_H

#include "core/rate.h"

struct limiter;

/* size: bucket capacity; leak: drain per second (a first guess; learned). */
struct limiter *limiter_new_leaky(double size, double leak);
/* rate: tokens per second; burst: capacity; the bucket starts full. */
struct limiter *limiter_new_token(double rate, double burst);
/* No model: only the floor and pauses apply. */
struct limiter *limiter_new_none(void);
void limiter_free(struct limiter *lim);

/* Seconds to wait from `now` before one more request may be sent; 0: now. */
double limiter_delay(const struct limiter *lim, double now);
/* A request was sent at now. */
void limiter_on_send(struct limiter *lim, double now);
/* A request sent earlier finished (whatever its outcome). */
void limiter_on_done(struct limiter *lim, double now);

/* Shopify: the header said `used` of `size` right after our request was
 * counted. Corrects the level and learns the leak rate from successive
 * observations. */
void limiter_observe_level(struct limiter *lim, double now, double used, double size);
/* The same for the request that was sent at `sent_at` (the time given to
 * limiter_on_send). With several requests in flight, answers arrive out of
 * order: knowing which send a header belongs to keeps the level exact, where
 * limiter_observe_level must assume the worst. */
void limiter_observe_level_sent(struct limiter *lim, double now, double sent_at, double used,
                                double size);
/* Amazon: the header said the current rate is `rate` requests per second. */
void limiter_observe_rate(struct limiter *lim, double rate);
/* A 429: nothing may be sent before now + seconds; the model is also told the
 * bucket is full. */
void limiter_pause(struct limiter *lim, double now, double seconds);
/* Feeds the model what an answer to a request sent at sent_at said. */
void limiter_observe(struct limiter *lim, const struct rate_hint *hint, double sent_at, double now);
/* A minimum interval between sends (the user's --delay); 0 for none. */
void limiter_set_floor(struct limiter *lim, double seconds);

/* What the model believes, for progress lines and tests. */
double limiter_leak(const struct limiter *lim);              /* leak or refill rate */
double limiter_size(const struct limiter *lim);              /* bucket size or burst */
double limiter_level(const struct limiter *lim, double now); /* used (leaky) or tokens */
enum rate_model limiter_kind(const struct limiter *lim);

/* Exponential backoff with full jitter: a random delay in
 * [0, min(cap, base * 2^attempt)]. attempt counts from 0. rnd is in [0,1). */
double backoff_delay(int attempt, double base, double cap, double rnd);

#endif
