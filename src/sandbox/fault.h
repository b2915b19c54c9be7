/* Faults the sandbox injects into API answers: which kinds exist, the
 * `--faults KIND=P,...` spec, the deterministic per-shop/per-seller draw and
 * the exact plans ("the 3rd request matching X fails with 503"). Pure logic
 * plus the builders of the faulted answers; the sandbox calls it under its
 * lock, the server (server.c) carries out the wire-level kinds. */
#ifndef MS_SANDBOX_FAULT_H
#define MS_SANDBOX_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SB_FAULT_PLANS_MAX 64                 /* queued plans per shop or seller */
#define SB_FAULT_MATCH_MAX 256                /* bytes of a plan's match substring */
#define SB_FAULT_TIMES_MAX 1000000            /* nth and times of a plan */
#define SB_FAULT_HANG_MS 30000                /* default hang */
#define SB_FAULT_HANG_MS_MAX 600000           /* longest hang */
#define SB_FAULT_HUGE_BYTES (80ull << 20)     /* default size of a huge body */
#define SB_FAULT_HUGE_BYTES_MAX (64ull << 30) /* largest huge body */
#define SB_FAULT_DEPTH 100000                 /* '[' in a deep body */

enum sb_fault_kind {
  SB_FAULT_NONE = 0,
  SB_FAULT_500,       /* 500 Internal Server Error */
  SB_FAULT_502,       /* 502 Bad Gateway */
  SB_FAULT_503,       /* 503 Service Unavailable */
  SB_FAULT_429,       /* 429 with Retry-After: 2 (seconds) */
  SB_FAULT_429_DATE,  /* 429 with Retry-After as an IMF-fixdate */
  SB_FAULT_429_BARE,  /* 429 without Retry-After */
  SB_FAULT_HANG,      /* no answer for hang_ms, then close */
  SB_FAULT_RESET,     /* half the body, then a TCP reset */
  SB_FAULT_TRUNCATED, /* half the body under the full Content-Length, then close */
  SB_FAULT_MALFORMED, /* the real body with its second half chopped off */
  SB_FAULT_SHAPE,     /* valid JSON of the wrong shape */
  SB_FAULT_HUGE,      /* a body of huge_bytes, streamed */
  SB_FAULT_DEEP,      /* 100,000 nested arrays */
  SB_FAULT_UTF8,      /* invalid UTF-8 inside a string */
  SB_FAULT_EXPIRED,   /* SP-API and Admitad only: the access token has expired */
  SB_FAULT_HTML,      /* 200 with an HTML page (a login or proxy page) instead of JSON */
  SB_FAULT_N
};

/* Which API a request went to: decides the bodies and which kinds apply. */
enum sb_fault_api {
  SB_API_SHOPIFY = 0, /* /shops/S/admin/api/... */
  SB_API_SP,          /* /sp-api/... */
  SB_API_LWA,         /* /auth/o2/token */
  SB_API_ADMITAD,     /* /admitad/... but the token endpoint */
  SB_API_ADM_TOKEN,   /* /admitad/token/ */
  SB_API_BOOSTINY     /* /boostiny/... */
};

struct sb_fault_probs {
  double p[SB_FAULT_N]; /* probability per kind; p[0] unused; sum <= 1 */
};

struct sb_fault_plan {
  char match[SB_FAULT_MATCH_MAX]; /* substring of path?query; "" matches all */
  uint32_t skip;                  /* matching requests still to let through */
  uint32_t times;                 /* matching requests still to fail */
  uint8_t kind;                   /* enum sb_fault_kind */
};

struct sb_fault_state {
  struct sb_fault_probs probs;                    /* probabilistic faults */
  uint64_t id;                                    /* hash of the name: the stream */
  uint64_t draws;                                 /* requests drawn for so far */
  struct sb_fault_plan plans[SB_FAULT_PLANS_MAX]; /* queue; plans[0] is active */
  int nplans;                                     /* entries in plans */
  uint64_t counts[SB_FAULT_N];                    /* faults injected, per kind */
};

/* "500", "429-date", ... ; "" for SB_FAULT_NONE. */
const char *sb_fault_name(int kind);
/* The kind with this name, or SB_FAULT_NONE. */
int sb_fault_lookup(const char *name, size_t len);
/* Whether a kind applies to an API (expired: SP-API and Admitad only). */
int sb_fault_applies(int kind, enum sb_fault_api api);
/* Whether the request takes a rate-limit slot (all but the 429s and expired). */
int sb_fault_counted(int kind);
/* Whether the server sends no complete answer (hang, reset, truncated): logged
 * with status 0. */
int sb_fault_wire(int kind);

/* Parses "500=0.02,reset=0.01" into probs (kinds not named stay as they
 * are). Refuses unknown kinds, probabilities outside [0, 1] and a sum over 1,
 * with a message for a person in err. */
int sb_fault_spec_parse(const char *spec, struct sb_fault_probs *probs, struct err *err);
/* Sum of the probabilities. */
double sb_fault_probs_sum(const struct sb_fault_probs *probs);

void sb_fault_state_init(struct sb_fault_state *st, const char *name);
/* The kind drawn for the n-th request (0, 1, ...) of stream id: a pure
 * function of (seed, id, n, probs). SB_FAULT_NONE most of the time. */
int sb_fault_draw(const struct sb_fault_probs *probs, uint64_t seed, uint64_t id, uint64_t n);
/* Appends a plan: the nth (1-based) request matching `match` counted from
 * when the plan becomes the first in the queue fails with kind, and so do
 * the next times-1 matching ones. */
int sb_fault_plan_add(struct sb_fault_state *st, const char *match, uint32_t nth, uint32_t times,
                      int kind, struct err *err);
/* Decides the fault of one request whose target is "path?query": the
 * active plan first, else the draw. Always advances the draw counter;
 * counts the fault. Kinds that do not apply to api give SB_FAULT_NONE. */
int sb_fault_next(struct sb_fault_state *st, uint64_t seed, enum sb_fault_api api,
                  const char *target);

#endif
