/* Rate-limit models. See limiter.h for the shapes.
 *
 * One request: limiter_on_send() when it leaves; when its answer arrives,
 * limiter_on_done() and, if the answer carried the header, an observe call,
 * in either order. An observation right after on_done() with the same `now`
 * is taken to be that request's.
 *
 * With several requests in flight, answers arrive out of order and a
 * header's `used` may be older than one already seen. limiter_observe_level()
 * cannot tell, so it may then underestimate the level by the reordering;
 * limiter_observe_level_sent() places the answer by its send time and stays
 * exact. Callers that keep requests in flight concurrently SHOULD use it.
 */
#include "engine/limiter.h"

#include <math.h>
#include <stdlib.h>

#define LEAK_MARGIN 1.0 /* units kept free below the bucket size */
#define LEAK_MIN 0.01   /* bounds of a learned leak, per second */
#define LEAK_MAX 1e6
#define LEARN_MIN_SECONDS 0.5 /* a learning window at least this long */
#define LEARN_MIN_UNITS 3.0   /* ...in which at least this much drained */
#define LEARN_FORGET 0.95     /* weight left to older windows after each new one */
#define PLAN_SNAP 0.15        /* relative distance for snapping to a plan rate */
#define TOKEN_DERATE 0.99     /* x-amzn-RateLimit-Limit is rounded (0.0167 for 1/60) */
#define SEND_RING 1024        /* send times kept to place a response among its peers */
#define UNIT_EPSILON 1e-9     /* rounding slack: waiting the delay we return must be enough */

/* Shopify REST plans: leak per second. */
static const double plan_leaks[] = {2, 4, 20, 40};

struct leaky {
  double size;         /* bucket capacity */
  double leak;         /* current estimate, per second */
  double base;         /* level at t_base, every send so far included */
  double t_base;       /* when base was true */
  int anchored;        /* 1: the anchor below is valid */
  double anchor_obs;   /* when the anchor's response arrived */
  double anchor_sent;  /* when its request was sent; NAN if unknown */
  double anchor_used;  /* level it reported */
  long anchor_counted; /* sends the server had counted at the anchor */
  double drained;      /* learning: decayed sum of measured drains, units */
  double spent;        /* learning: decayed sum of window lengths, seconds */
};

struct token {
  double rate;   /* nominal refill per second, as configured or reported */
  double burst;  /* capacity */
  double tokens; /* at t_tok; negative when we sent more than we had */
  double t_tok;  /* when tokens was true */
};

struct limiter {
  enum rate_model kind;         /* which model below is live */
  struct leaky lk;              /* RATE_LEAKY */
  struct token tk;              /* RATE_TOKEN */
  long sent;                    /* sends so far */
  double send_times[SEND_RING]; /* times of the latest sends, by sent % SEND_RING */
  long inflight;                /* sent and not done */
  int done_unobserved;          /* 1: the last call was on_done, at last_done */
  double last_done;             /* time of the last on_done */
  double pause_until;           /* nothing before this */
  double floor;                 /* minimum seconds between sends */
  double last_send;             /* time of the last send; -inf if none */
  double last_event;            /* latest time any call told us about */
};

static double clampd(double v, double lo, double hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

static int usable(double v) {
  return isfinite(v) && v > 0;
}

static struct limiter *limiter_alloc(enum rate_model kind) {
  struct limiter *lim = calloc(1, sizeof(*lim));
  if (!lim)
    return NULL;
  lim->kind = kind;
  lim->pause_until = -INFINITY;
  lim->last_send = -INFINITY;
  lim->last_event = -INFINITY;
  return lim;
}

struct limiter *limiter_new_leaky(double size, double leak) {
  if (!usable(size) || !usable(leak))
    return NULL;
  struct limiter *lim = limiter_alloc(RATE_LEAKY);
  if (!lim)
    return NULL;
  lim->lk.size = size;
  lim->lk.leak = clampd(leak, LEAK_MIN, LEAK_MAX);
  lim->lk.t_base = -INFINITY;
  return lim;
}

struct limiter *limiter_new_token(double rate, double burst) {
  if (!usable(rate) || !usable(burst))
    return NULL;
  struct limiter *lim = limiter_alloc(RATE_TOKEN);
  if (!lim)
    return NULL;
  lim->tk.rate = rate;
  lim->tk.burst = burst;
  lim->tk.tokens = burst;
  lim->tk.t_tok = -INFINITY;
  return lim;
}

struct limiter *limiter_new_none(void) {
  return limiter_alloc(RATE_NONE);
}

void limiter_free(struct limiter *lim) {
  free(lim);
}

static void note_time(struct limiter *lim, double now) {
  if (now > lim->last_event)
    lim->last_event = now;
}

/* ---- Leaky bucket ------------------------------------------------------- */

static double leaky_level(const struct limiter *lim, double now) {
  const struct leaky *lk = &lim->lk;
  if (lk->base <= 0 || !(now > lk->t_base))
    return lk->base > 0 ? lk->base : 0;
  double v = lk->base - lk->leak * (now - lk->t_base);
  return v > 0 ? v : 0;
}

static void leaky_settle(struct limiter *lim, double now) {
  struct leaky *lk = &lim->lk;
  if (now > lk->t_base || lk->t_base == -INFINITY) {
    lk->base = leaky_level(lim, now);
    lk->t_base = now;
  }
}

static double leaky_delay(const struct limiter *lim, double now) {
  const struct leaky *lk = &lim->lk;
  double room = lk->size - LEAK_MARGIN;
  if (room < 1)
    room = 1; /* a bucket of 1: wait until it is empty */
  double excess = leaky_level(lim, now) + 1 - room;
  return excess > UNIT_EPSILON ? excess / lk->leak : 0;
}

/* How many sends left after the one sent at t (sends at the same instant
 * count as after: the safe side); -1 when t is older than what we keep. */
static long sends_after(const struct limiter *lim, double t) {
  long kept = lim->sent < SEND_RING ? lim->sent : SEND_RING;
  long lo = lim->sent - kept, hi = lim->sent; /* first send index with time >= t */
  if (kept == 0 || (lim->sent > SEND_RING && t < lim->send_times[lo % SEND_RING]))
    return -1;
  while (lo < hi) {
    long mid = lo + (hi - lo) / 2;
    if (lim->send_times[mid % SEND_RING] < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  long n = lim->sent - lo - 1;
  return n > 0 ? n : 0;
}

static double snap_to_plan(double leak) {
  for (size_t i = 0; i < sizeof(plan_leaks) / sizeof(plan_leaks[0]); i++)
    if (fabs(leak - plan_leaks[i]) <= PLAN_SNAP * plan_leaks[i])
      return plan_leaks[i];
  return leak;
}

/* One report: `used` was the level right after the server counted the
 * request sent at `sent` (NAN if unknown), answered at `obs`; `counted` is
 * how many of our sends the server had counted by then. */
struct report {
  double obs, sent, used;
  long counted;
};

static void leaky_anchor(struct leaky *lk, const struct report *r) {
  lk->anchored = 1;
  lk->anchor_obs = r->obs;
  lk->anchor_sent = r->sent;
  lk->anchor_used = r->used;
  lk->anchor_counted = r->counted;
}

/* Learns the leak from the anchor to this report. While the bucket never
 * emptied, what drained is what was there plus what we added minus what is
 * there now. The rounding of `used` adds an error of up to one unit at each
 * end; consecutive windows share their ends, so the errors cancel in the
 * decayed sums and the estimate sharpens with every window. Send times, when
 * known, measure the window better than arrival times: the way to the server
 * varies less than the server's answer. */
static void leaky_learn(struct leaky *lk, const struct report *r) {
  if (!lk->anchored) {
    leaky_anchor(lk, r);
    return;
  }
  int by_send = !isnan(r->sent) && !isnan(lk->anchor_sent);
  double dt = by_send ? r->sent - lk->anchor_sent : r->obs - lk->anchor_obs;
  if (by_send && dt < 0)
    return; /* an older request answered late: the anchor already covers it */
  double drain = lk->anchor_used + (double)(r->counted - lk->anchor_counted) - r->used;
  if (r->used <= 1) {
    /* The bucket may have emptied on the way, so the drain is only a lower
     * bound. It still matters: a guess far too low makes us wait so long that
     * the bucket always empties, and without this we would never learn. */
    if (dt > 0 && drain >= LEARN_MIN_UNITS && drain / dt > lk->leak * (1 + PLAN_SNAP)) {
      lk->leak = clampd(drain / dt, LEAK_MIN, LEAK_MAX);
      lk->drained = lk->spent = 0; /* a bound, not a measure: the next window decides */
    }
    leaky_anchor(lk, r);
    return;
  }
  if (dt < LEARN_MIN_SECONDS || (drain < LEARN_MIN_UNITS && lk->leak * dt < LEARN_MIN_UNITS))
    return; /* too short to be precise: keep accumulating */
  lk->drained = lk->drained * LEARN_FORGET + (drain > 0 ? drain : 0);
  lk->spent = lk->spent * LEARN_FORGET + dt;
  lk->leak = clampd(snap_to_plan(lk->drained / lk->spent), LEAK_MIN, LEAK_MAX);
  leaky_anchor(lk, r);
}

/* `later`: sends after the reported one, which `used` does not include. */
static void leaky_observe(struct limiter *lim, struct report *r, long later, double size) {
  struct leaky *lk = &lim->lk;
  if (usable(size) && size != lk->size) {
    /* Another plan: the Shopify plans keep size/leak, so scale the guess,
     * and start learning afresh. */
    lk->leak = clampd(lk->leak * size / lk->size, LEAK_MIN, LEAK_MAX);
    lk->size = size;
    lk->anchored = 0;
    lk->drained = lk->spent = 0;
  }
  r->counted = lim->sent - later;
  leaky_learn(lk, r);
  /* The level was `used` when the request was counted, somewhat before now;
   * dating it now keeps the estimate on the safe side. */
  lk->base = r->used + (double)later;
  lk->t_base = r->obs;
}

/* ---- Token bucket ------------------------------------------------------- */

static double token_rate(const struct token *tk) {
  return tk->rate * TOKEN_DERATE;
}

static double token_at(const struct token *tk, double now) {
  if (tk->t_tok == -INFINITY)
    return tk->burst;
  if (!(now > tk->t_tok))
    return tk->tokens;
  double v = tk->tokens + token_rate(tk) * (now - tk->t_tok);
  return v < tk->burst ? v : tk->burst;
}

static void token_settle(struct token *tk, double now) {
  if (tk->t_tok == -INFINITY || now > tk->t_tok) {
    tk->tokens = token_at(tk, now);
    tk->t_tok = now;
  }
}

static double token_delay(const struct token *tk, double now) {
  double have = token_at(tk, now);
  return have >= 1 - UNIT_EPSILON ? 0 : (1 - have) / token_rate(tk);
}

/* ---- Common ------------------------------------------------------------- */

double limiter_delay(const struct limiter *lim, double now) {
  double d = 0;
  if (!lim)
    return 0;
  if (lim->kind == RATE_LEAKY)
    d = leaky_delay(lim, now);
  else if (lim->kind == RATE_TOKEN)
    d = token_delay(&lim->tk, now);
  if (lim->pause_until - now > d)
    d = lim->pause_until - now;
  if (lim->floor > 0 && lim->last_send + lim->floor - now > d)
    d = lim->last_send + lim->floor - now;
  return d > 0 ? d : 0;
}

void limiter_on_send(struct limiter *lim, double now) {
  if (!lim)
    return;
  note_time(lim, now);
  lim->send_times[lim->sent % SEND_RING] = now;
  lim->sent++;
  lim->inflight++;
  lim->done_unobserved = 0;
  lim->last_send = now;
  if (lim->kind == RATE_LEAKY) {
    leaky_settle(lim, now);
    lim->lk.base += 1;
  } else if (lim->kind == RATE_TOKEN) {
    token_settle(&lim->tk, now);
    if (lim->tk.tokens > -lim->tk.burst)
      lim->tk.tokens -= 1;
  }
}

void limiter_on_done(struct limiter *lim, double now) {
  if (!lim)
    return;
  note_time(lim, now);
  /* One that finished without a header stays in the level: it may have
   * counted. */
  if (lim->inflight > 0)
    lim->inflight--;
  lim->done_unobserved = 1;
  lim->last_done = now;
}

static void observe_level(struct limiter *lim, double now, double sent_at, double used,
                          double size) {
  if (!lim || lim->kind != RATE_LEAKY || !isfinite(now) || !(used >= 0) || !isfinite(used))
    return;
  note_time(lim, now);
  int own_done = lim->done_unobserved && now == lim->last_done;
  lim->done_unobserved = 0;
  /* Without the send time, assume every other request in flight comes after
   * this one. */
  long later = isnan(sent_at) ? -1 : sends_after(lim, sent_at);
  if (later < 0) {
    later = lim->inflight - (own_done ? 0 : 1);
    if (later < 0)
      later = 0;
    sent_at = NAN;
  }
  struct report r = {now, sent_at, used, 0};
  leaky_observe(lim, &r, later, size);
}

void limiter_observe_level(struct limiter *lim, double now, double used, double size) {
  observe_level(lim, now, NAN, used, size);
}

void limiter_observe_level_sent(struct limiter *lim, double now, double sent_at, double used,
                                double size) {
  observe_level(lim, now, isfinite(sent_at) ? sent_at : NAN, used, size);
}

void limiter_observe(struct limiter *lim, const struct rate_hint *hint, double sent_at,
                     double now) {
  if (hint->kind == HINT_LEVEL)
    limiter_observe_level_sent(lim, now, sent_at, hint->used, hint->size);
  else if (hint->kind == HINT_RATE)
    limiter_observe_rate(lim, hint->rate);
}

void limiter_observe_rate(struct limiter *lim, double rate) {
  if (!lim || lim->kind != RATE_TOKEN || !usable(rate))
    return;
  /* Tokens refilled at the old rate up to the latest moment we know of. */
  if (lim->last_event > -INFINITY)
    token_settle(&lim->tk, lim->last_event);
  lim->tk.rate = rate;
}

void limiter_pause(struct limiter *lim, double now, double seconds) {
  if (!lim || !isfinite(now))
    return;
  note_time(lim, now);
  if (!(seconds > 0) || !isfinite(seconds))
    seconds = 0;
  if (now + seconds > lim->pause_until)
    lim->pause_until = now + seconds;
  if (lim->kind == RATE_LEAKY) {
    /* Those still in flight may yet count on top of the full bucket. */
    lim->lk.base = lim->lk.size + (double)lim->inflight;
    lim->lk.t_base = now;
    /* A full bucket is a known level: learning goes on from here. */
    struct report r = {now, NAN, lim->lk.size, lim->sent - lim->inflight};
    leaky_anchor(&lim->lk, &r);
  } else if (lim->kind == RATE_TOKEN) {
    lim->tk.tokens = 0;
    lim->tk.t_tok = now;
  }
}

void limiter_set_floor(struct limiter *lim, double seconds) {
  if (lim)
    lim->floor = usable(seconds) ? seconds : 0;
}

double limiter_leak(const struct limiter *lim) {
  if (!lim)
    return 0;
  return lim->kind == RATE_LEAKY ? lim->lk.leak : lim->kind == RATE_TOKEN ? lim->tk.rate : 0;
}

double limiter_size(const struct limiter *lim) {
  if (!lim)
    return 0;
  return lim->kind == RATE_LEAKY ? lim->lk.size : lim->kind == RATE_TOKEN ? lim->tk.burst : 0;
}

double limiter_level(const struct limiter *lim, double now) {
  if (!lim)
    return 0;
  if (lim->kind == RATE_LEAKY)
    return leaky_level(lim, now);
  if (lim->kind == RATE_TOKEN)
    return token_at(&lim->tk, now);
  return 0;
}

enum rate_model limiter_kind(const struct limiter *lim) {
  return lim ? lim->kind : RATE_NONE;
}

double backoff_delay(int attempt, double base, double cap, double rnd) {
  if (!usable(base) || !(cap > 0) || !(rnd > 0))
    return 0;
  if (attempt < 0)
    attempt = 0;
  if (attempt > 2000) /* 2^2000 is past any double: the cap applies */
    attempt = 2000;
  if (rnd >= 1)
    rnd = nextafter(1.0, 0.0);
  /* Doubling stops once past the cap, so a huge attempt cannot overflow. */
  double ceiling = base;
  for (int i = 0; i < attempt && ceiling < cap; i++)
    ceiling *= 2;
  if (ceiling > cap)
    ceiling = cap;
  return rnd * ceiling;
}
