/* How a connector describes an API's rate limit, and what it reads from an
 * answer about it: the engine keeps the limiter (engine/limiter.h) and feeds
 * it these hints, so connectors never touch it. */
#ifndef MS_CORE_RATE_H
#define MS_CORE_RATE_H

/* The shape of an API's limit. */
enum rate_model {
  RATE_LEAKY = 1, /* a request adds 1, the bucket drains at a rate (Shopify REST) */
  RATE_TOKEN = 2, /* tokens refill at a rate up to a burst, a request takes one (SP-API) */
  RATE_NONE = 3,  /* no model: only pauses and the user's floor apply */
};

/* What one answer said about the limit. */
struct rate_hint {
  enum {
    HINT_NONE = 0, /* nothing (no header, or one that cannot be read) */
    HINT_LEVEL,    /* `used` of `size` right after this request was counted */
    HINT_RATE,     /* the current rate is `rate` requests a second */
  } kind;
  double used; /* HINT_LEVEL */
  double size; /* HINT_LEVEL */
  double rate; /* HINT_RATE */
};

#endif
