/* The limiter against simulated servers: no sleeping, time is a variable. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "engine/limiter.h"
#include "net/headers.h"
#include "util/err.h"

/* A tiny deterministic generator so runs repeat exactly. */
static double rnd_next(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) / 9007199254740992.0;
}

/* Waits as the limiter says; fails the test if it never lets us go. */
static double wait_turn(const struct limiter *lim, double now) {
  for (int i = 0; i < 1000; i++) {
    double d = limiter_delay(lim, now);
    assert_true(d >= 0 && isfinite(d));
    if (d == 0)
      return now;
    now += d;
  }
  fail_msg("limiter_delay never reached 0 at t=%.3f", now);
  return now;
}

/* ---- Leaky bucket (Shopify REST) ---------------------------------------- */

struct leaky_server {
  double size;  /* bucket capacity */
  double leak;  /* per second */
  double level; /* at t */
  double t;
};

/* Returns 1 and the reported used (rounded up) when accepted, 0 on a 429. */
static int leaky_server_hit(struct leaky_server *s, double now, int *used) {
  s->level -= s->leak * (now - s->t);
  if (s->level < 0)
    s->level = 0;
  s->t = now;
  if (s->level + 1 > s->size + 1e-9) {
    *used = (int)ceil(s->level - 1e-9);
    return 0;
  }
  s->level += 1;
  *used = (int)ceil(s->level - 1e-9);
  return 1;
}

struct sim_result {
  double learned; /* leak or rate the limiter ended with */
  int n429;       /* refused requests in total */
  int n429_late;  /* refused after the initial burst */
  double elapsed; /* simulated seconds for all requests */
  double ratio;   /* elapsed / theoretical minimum */
};

/* Sequential client: sends whenever the limiter allows, observes every
 * response. The server counts a request half-way through its latency. */
/* done_first: the engine's order, limiter_on_done() before the observation. */
static struct sim_result run_leaky(double size, double true_leak, double guess, int n,
                                   int done_first) {
  struct leaky_server srv = {size, true_leak, 0, 0};
  struct limiter *lim = limiter_new_leaky(size, guess);
  struct sim_result r = {0};
  uint64_t seed = 42;
  double now = 0;
  int ok = 0;
  assert_non_null(lim);
  while (ok < n) {
    now = wait_turn(lim, now);
    double latency = 0.004 + 0.002 * rnd_next(&seed);
    int used;
    limiter_on_send(lim, now);
    int accepted = leaky_server_hit(&srv, now + latency / 2, &used);
    now += latency;
    if (done_first)
      limiter_on_done(lim, now);
    limiter_observe_level(lim, now, used, size);
    if (accepted) {
      ok++;
    } else {
      r.n429++;
      if (ok > 2 * size)
        r.n429_late++;
      limiter_pause(lim, now, 2.0); /* Shopify: Retry-After: 2.0 */
    }
    if (!done_first)
      limiter_on_done(lim, now);
  }
  r.learned = limiter_leak(lim);
  r.elapsed = now;
  r.ratio = now / ((n - size) / true_leak);
  limiter_free(lim);
  return r;
}

static void check_leaky(double size, double true_leak, double guess, int n) {
  for (int done_first = 0; done_first < 2; done_first++) {
    struct sim_result r = run_leaky(size, true_leak, guess, n, done_first);
    print_message("leaky size %.0f leak %.0f (guess %.0f), %d requests%s: learned %.3f, "
                  "429s %d (after burst %d), time %.1f s, ratio %.4f\n",
                  size, true_leak, guess, n, done_first ? ", done first" : "", r.learned, r.n429,
                  r.n429_late, r.elapsed, r.ratio);
    assert_true(fabs(r.learned - true_leak) <= 0.05 * true_leak);
    assert_true(r.n429_late * 1000 <= n);
    assert_true(r.ratio <= 1.05);
  }
}

static void test_leaky_standard_plan(void **state) {
  (void)state;
  check_leaky(40, 2, 2, 2000);
}

static void test_leaky_advanced_plan(void **state) {
  (void)state;
  check_leaky(40, 4, 2, 2000);
}

static void test_leaky_rate_20_size_40(void **state) {
  (void)state;
  check_leaky(40, 20, 2, 2000);
}

static void test_leaky_rate_40_size_40(void **state) {
  (void)state;
  check_leaky(40, 40, 2, 2000);
}

static void test_leaky_unusual_rate_13(void **state) {
  (void)state;
  check_leaky(40, 13, 2, 2000);
}

static void test_leaky_plus_plan(void **state) {
  (void)state;
  check_leaky(400, 20, 20, 5000);
}

static void test_leaky_enterprise_plan(void **state) {
  (void)state;
  check_leaky(400, 40, 20, 5000);
}

static void test_leaky_unusual_rate_13_size_400(void **state) {
  (void)state;
  check_leaky(400, 13, 20, 5000);
}

/* A guess far above the truth: the limiter must come down without a storm
 * of 429s. */
static void test_leaky_guess_too_high(void **state) {
  (void)state;
  struct sim_result r = run_leaky(40, 2, 40, 1000, 1);
  print_message("leaky size 40 leak 2 (guess 40): learned %.3f, 429s %d (after burst %d), "
                "ratio %.4f\n",
                r.learned, r.n429, r.n429_late, r.ratio);
  assert_true(fabs(r.learned - 2) <= 0.1);
  assert_true(r.n429_late <= 1);
  assert_true(r.ratio <= 1.05);
}

/* A guess far below the truth on a small bucket (the engine scales the
 * standard 40/2 guess to 0.5/s when a shop reports a size of 10): waiting for
 * the slow guess lets the bucket empty between bursts, so every window ends
 * at a level of 0 or 1. The drain in such a window is still a lower bound,
 * and the model must climb on it instead of waiting forever. */
static void test_leaky_guess_far_too_low(void **state) {
  (void)state;
  struct sim_result r = run_leaky(10, 10, 0.5, 1000, 1);
  print_message("leaky size 10 leak 10 (guess 0.5): learned %.3f, 429s %d (after burst %d), "
                "ratio %.4f\n",
                r.learned, r.n429, r.n429_late, r.ratio);
  assert_true(fabs(r.learned - 10) <= 0.5);
  assert_true(r.n429_late <= 1);
  assert_true(r.ratio <= 1.10);
}

/* Many requests in flight, answered out of order: the server counts a request
 * `uplink` after it leaves and answers after a varying processing time, so
 * the headers arrive late and stale, and the model must carry the gaps. */
#define MAX_WORKERS 64

struct pending {
  double sent;  /* when the request left */
  double at;    /* when the response arrives */
  int used;     /* the header it carries */
  int accepted; /* 0: a 429 */
};

static struct sim_result run_leaky_concurrent(double size, double true_leak, double guess,
                                              int workers, int n, int with_sent, int done_first) {
  struct leaky_server srv = {size, true_leak, 0, 0};
  struct limiter *lim = limiter_new_leaky(size, guess);
  struct pending pend[MAX_WORKERS];
  struct sim_result r = {0};
  uint64_t seed = 99;
  const double uplink = 0.05;
  double now = 0;
  int ok = 0, npend = 0, stuck = 0;
  assert_non_null(lim);
  assert_true(workers <= MAX_WORKERS);
  while (ok < n) {
    int first = -1;
    for (int i = 0; i < npend; i++)
      if (first < 0 || pend[i].at < pend[first].at)
        first = i;
    double d = limiter_delay(lim, now);
    if (npend < workers && (first < 0 || now + d < pend[first].at)) {
      if (d > 0) {
        now += d;
        assert_true(++stuck < 1000);
        continue;
      }
      stuck = 0;
      limiter_on_send(lim, now);
      struct pending *p = &pend[npend++];
      p->sent = now;
      p->accepted = leaky_server_hit(&srv, now + uplink, &p->used);
      p->at = now + uplink + 0.05 + 0.2 * rnd_next(&seed);
      continue;
    }
    struct pending p = pend[first];
    pend[first] = pend[--npend];
    now = p.at;
    if (done_first)
      limiter_on_done(lim, now);
    if (with_sent)
      limiter_observe_level_sent(lim, now, p.sent, p.used, size);
    else
      limiter_observe_level(lim, now, p.used, size);
    if (p.accepted) {
      ok++;
    } else {
      r.n429++;
      if (ok > 2 * size)
        r.n429_late++;
      limiter_pause(lim, now, 2.0);
    }
    if (!done_first)
      limiter_on_done(lim, now);
  }
  r.learned = limiter_leak(lim);
  r.elapsed = now;
  r.ratio = now / ((n - size) / true_leak);
  limiter_free(lim);
  return r;
}

static void check_leaky_concurrent(double size, double true_leak, double guess, int workers,
                                   int n) {
  for (int done_first = 0; done_first < 2; done_first++) {
    struct sim_result r = run_leaky_concurrent(size, true_leak, guess, workers, n, 1, done_first);
    print_message("leaky size %.0f leak %.0f (guess %.0f), %d in flight, %d requests%s: learned "
                  "%.3f, 429s %d (after burst %d), time %.1f s, ratio %.4f\n",
                  size, true_leak, guess, workers, n, done_first ? ", done first" : "", r.learned,
                  r.n429, r.n429_late, r.elapsed, r.ratio);
    assert_true(fabs(r.learned - true_leak) <= 0.05 * true_leak);
    assert_true(r.n429_late * 1000 <= n);
    assert_true(r.ratio <= 1.05);
  }
}

/* Without send times the limiter cannot place a late answer: it stays
 * usable (learns, keeps pace) but runs into some 429s (17 in 3000 at leak 4
 * when written). */
static void test_leaky_concurrent_without_send_times(void **state) {
  (void)state;
  const double leaks[] = {4, 13, 40};
  for (size_t i = 0; i < 3; i++) {
    struct sim_result r = run_leaky_concurrent(40, leaks[i], 2, 8, 3000, 0, 1);
    print_message("leaky size 40 leak %.0f, 8 in flight, plain observe: learned %.3f, 429s %d "
                  "(after burst %d), ratio %.4f\n",
                  leaks[i], r.learned, r.n429, r.n429_late, r.ratio);
    assert_true(fabs(r.learned - leaks[i]) <= 0.05 * leaks[i]);
    assert_true(r.n429_late * 100 <= 3000); /* at most 1% */
    assert_true(r.ratio <= 1.05);
  }
}

static void test_leaky_concurrent(void **state) {
  (void)state;
  check_leaky_concurrent(40, 2, 2, 4, 2000);
  check_leaky_concurrent(40, 4, 2, 8, 2000);
  check_leaky_concurrent(40, 13, 2, 16, 3000);
  check_leaky_concurrent(40, 20, 2, 16, 3000);
  check_leaky_concurrent(40, 40, 2, 32, 5000);
  check_leaky_concurrent(400, 40, 20, 32, 10000);
}

static void test_leaky_inflight_counts(void **state) {
  (void)state;
  struct limiter *lim = limiter_new_leaky(40, 2);
  limiter_on_send(lim, 0);
  limiter_observe_level(lim, 0.01, 37, 40);
  limiter_on_done(lim, 0.01);
  assert_true(limiter_delay(lim, 0.01) == 0); /* 37 + 1 <= 39 */
  limiter_on_send(lim, 0.01);                 /* 38 with this one in flight */
  assert_true(limiter_delay(lim, 0.01) == 0);
  limiter_on_send(lim, 0.01); /* 39: one more would pass size - 1 */
  assert_true(fabs(limiter_level(lim, 0.01) - 39) < 1e-6);
  double d = limiter_delay(lim, 0.01);
  assert_true(fabs(d - 0.5) < 1e-6); /* one unit at 2 per second */
  /* One finishes without a header: it is still assumed counted. */
  limiter_on_done(lim, 0.02);
  assert_true(limiter_level(lim, 0.02) > 38.9);
  limiter_free(lim);
}

static void test_leaky_learns_size_from_header(void **state) {
  (void)state;
  struct limiter *lim = limiter_new_leaky(40, 2);
  limiter_on_send(lim, 0);
  limiter_observe_level(lim, 0.01, 1, 400);
  limiter_on_done(lim, 0.01);
  assert_true(limiter_size(lim) == 400);
  assert_true(fabs(limiter_leak(lim) - 20) < 1e-9); /* plans keep size/leak */
  limiter_free(lim);
}

/* ---- Token bucket (Amazon SP-API) --------------------------------------- */

struct token_server {
  double rate;   /* per second */
  double burst;  /* capacity */
  double tokens; /* at t */
  double t;
};

static void token_server_settle(struct token_server *s, double now) {
  s->tokens += s->rate * (now - s->t);
  if (s->tokens > s->burst)
    s->tokens = s->burst;
  s->t = now;
}

static int token_server_hit(struct token_server *s, double now) {
  token_server_settle(s, now);
  if (s->tokens < 1)
    return 0;
  s->tokens -= 1;
  return 1;
}

/* header: the server's x-amzn-RateLimit-Limit text; change_at/new_rate/
 * new_header: the server's rate changes at that time (0: never). */
struct token_case {
  double rate, burst, guess;
  const char *header;
  double change_at, new_rate;
  const char *new_header;
  int n;
};

static struct sim_result run_token(const struct token_case *c) {
  struct token_server srv = {c->rate, c->burst, c->burst, 0};
  struct limiter *lim = limiter_new_token(c->guess, c->burst);
  struct sim_result r = {0};
  uint64_t seed = 7;
  double now = 0, active;
  int ok = 0;
  assert_non_null(lim);
  while (ok < c->n) {
    now = wait_turn(lim, now);
    double latency = 0.05 + 0.1 * rnd_next(&seed);
    const char *header = c->header;
    if (c->change_at > 0 && now >= c->change_at && srv.rate != c->new_rate) {
      token_server_settle(&srv, c->change_at);
      srv.rate = c->new_rate;
    }
    if (srv.rate == c->new_rate && c->change_at > 0)
      header = c->new_header;
    limiter_on_send(lim, now);
    int accepted = token_server_hit(&srv, now + latency / 2);
    now += latency;
    if (accepted) {
      double rate;
      assert_int_equal(rate_limit_parse(header, &rate), MS_OK);
      limiter_observe_rate(lim, rate);
      ok++;
    } else {
      r.n429++;
      if (ok > c->burst)
        r.n429_late++;
      limiter_pause(lim, now, 0); /* no Retry-After on SP-API 429s */
    }
    limiter_on_done(lim, now);
  }
  r.learned = limiter_leak(lim);
  r.elapsed = now;
  if (c->change_at > 0) {
    double before = c->burst + c->rate * c->change_at; /* sends possible by the change */
    active = c->change_at + (c->n - before) / c->new_rate;
  } else {
    active = (c->n - c->burst) / c->rate;
  }
  r.ratio = now / active;
  limiter_free(lim);
  return r;
}

static void check_token(const struct token_case *c, const char *label) {
  struct sim_result r = run_token(c);
  print_message("token %s, %d requests: rate %.4f, 429s %d (after burst %d), time %.0f s, "
                "ratio %.4f\n",
                label, c->n, r.learned, r.n429, r.n429_late, r.elapsed, r.ratio);
  assert_true(r.n429_late * 1000 <= c->n);
  assert_true(r.ratio <= 1.05);
}

static void test_token_get_order(void **state) {
  (void)state;
  struct token_case c = {0.5, 30, 0.5, "0.5", 0, 0, NULL, 1000};
  check_token(&c, "rate 0.5 burst 30");
}

/* The header says 0.0167 for a true 1/60: a limiter trusting it blindly
 * drifts ahead of the server by a token every few hundred requests. */
static void test_token_get_orders_rounded_header(void **state) {
  (void)state;
  struct token_case c = {1.0 / 60, 20, 0.0167, "0.0167", 0, 0, NULL, 1000};
  check_token(&c, "rate 1/60 (header 0.0167) burst 20");
}

/* The sandbox's speed-up: the same operation 60 times faster; the limiter
 * starts from the documented rate and follows the header. */
static void test_token_get_orders_speed_up(void **state) {
  (void)state;
  struct token_case c = {60.0 / 60, 20, 0.0167, "1.0", 0, 0, NULL, 1000};
  check_token(&c, "rate 1/60 x60 speed-up (guess 0.0167) burst 20");
}

/* The rate changes mid-run; the limiter follows the header. */
static void test_token_rate_drops(void **state) {
  (void)state;
  struct token_case c = {0.5, 30, 0.5, "0.5", 500, 0.25, "0.25", 1000};
  struct sim_result r = run_token(&c);
  print_message("token rate 0.5 -> 0.25 at 500 s: rate %.4f, 429s %d, ratio %.4f\n", r.learned,
                r.n429, r.ratio);
  assert_true(fabs(r.learned - 0.25) < 1e-9);
  assert_true(r.n429 <= 1);
  assert_true(r.ratio <= 1.05);
}

static void test_token_delay_and_pause(void **state) {
  (void)state;
  struct limiter *lim = limiter_new_token(0.5, 2);
  assert_true(limiter_delay(lim, 100) == 0);
  limiter_on_send(lim, 100);
  limiter_on_send(lim, 100);
  assert_true(fabs(limiter_delay(lim, 100) - 2.0 / 0.99) < 1e-6); /* one token at 0.5/s, derated */
  assert_true(limiter_delay(lim, 103) == 0);
  limiter_pause(lim, 103, 10); /* and the bucket is empty */
  assert_true(fabs(limiter_delay(lim, 103) - 10) < 1e-9);
  assert_true(fabs(limiter_delay(lim, 112) - 1) < 1e-9);
  assert_true(limiter_level(lim, 103) == 0);
  limiter_free(lim);
}

/* ---- Common ------------------------------------------------------------- */

static void test_pause_honoured(void **state) {
  (void)state;
  struct limiter *lims[] = {limiter_new_leaky(40, 2), limiter_new_token(2, 40), limiter_new_none()};
  for (size_t i = 0; i < 3; i++) {
    struct limiter *lim = lims[i];
    assert_true(limiter_delay(lim, 10) == 0);
    limiter_pause(lim, 10, 5);
    assert_true(limiter_delay(lim, 10) >= 5 - 1e-9);
    assert_true(limiter_delay(lim, 14) >= 1 - 1e-9);
    limiter_pause(lim, 11, 1); /* a shorter pause does not shorten the first */
    assert_true(limiter_delay(lim, 12) >= 3 - 1e-9);
    if (limiter_kind(lim) == RATE_LEAKY)
      assert_true(fabs(limiter_level(lim, 11) - 40) < 1e-9); /* told it is full */
    limiter_free(lim);
  }
}

static void test_floor_honoured(void **state) {
  (void)state;
  struct limiter *lims[] = {limiter_new_leaky(40, 2), limiter_new_token(2, 40), limiter_new_none()};
  for (size_t i = 0; i < 3; i++) {
    struct limiter *lim = lims[i];
    limiter_set_floor(lim, 1.5);
    assert_true(limiter_delay(lim, 0) == 0); /* nothing sent yet */
    limiter_on_send(lim, 0);
    limiter_on_done(lim, 0.1);
    assert_true(fabs(limiter_delay(lim, 0.5) - 1.0) < 1e-9);
    assert_true(limiter_delay(lim, 1.5) == 0);
    limiter_set_floor(lim, 0);
    assert_true(limiter_delay(lim, 0.5) == 0);
    limiter_free(lim);
  }
}

static void test_none_kind(void **state) {
  (void)state;
  struct limiter *lim = limiter_new_none();
  assert_int_equal(limiter_kind(lim), RATE_NONE);
  for (int i = 0; i < 1000; i++)
    limiter_on_send(lim, 0);
  assert_true(limiter_delay(lim, 0) == 0);
  limiter_free(lim);
  limiter_free(NULL);
}

static void test_backoff_bounds(void **state) {
  (void)state;
  assert_true(backoff_delay(0, 1, 60, 0) == 0);
  assert_true(fabs(backoff_delay(0, 1, 60, 0.5) - 0.5) < 1e-12);
  assert_true(fabs(backoff_delay(3, 1, 60, 0.5) - 4) < 1e-12);
  assert_true(fabs(backoff_delay(10, 1, 60, 0.5) - 30) < 1e-12);
  for (int a = 0; a < 70; a++) {
    double ceiling = fmin(60, ldexp(0.5, a));
    double d = backoff_delay(a, 0.5, 60, 0.999999);
    assert_true(d >= 0 && d <= ceiling && d > 0.99 * ceiling);
  }
  const int huge[] = {1000, 1024, 5000, 1 << 30, 2147483647};
  for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
    double d = backoff_delay(huge[i], 1, 300, 0.999);
    assert_true(isfinite(d) && d <= 300 && d > 299);
  }
  assert_true(backoff_delay(-5, 1, 60, 0.5) <= 1);
  assert_true(backoff_delay(3, 1, 60, 1.0) <= 8);
}

static void test_backoff_jitter_spread(void **state) {
  (void)state;
  uint64_t seed = 1;
  double lo = 1e9, hi = 0, sum = 0;
  int buckets[10] = {0};
  const int n = 10000;
  for (int i = 0; i < n; i++) {
    double d = backoff_delay(4, 1, 60, rnd_next(&seed)); /* ceiling 16 */
    assert_true(d >= 0 && d < 16);
    lo = fmin(lo, d);
    hi = fmax(hi, d);
    sum += d;
    buckets[(int)(d / 1.6)]++;
  }
  assert_true(lo < 0.1 && hi > 15.9);
  assert_true(fabs(sum / n - 8) < 0.3); /* full jitter: mean is half the ceiling */
  for (int b = 0; b < 10; b++)
    assert_true(buckets[b] > n / 10 * 0.85 && buckets[b] < n / 10 * 1.15);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_leaky_standard_plan),
      cmocka_unit_test(test_leaky_advanced_plan),
      cmocka_unit_test(test_leaky_rate_20_size_40),
      cmocka_unit_test(test_leaky_rate_40_size_40),
      cmocka_unit_test(test_leaky_unusual_rate_13),
      cmocka_unit_test(test_leaky_plus_plan),
      cmocka_unit_test(test_leaky_enterprise_plan),
      cmocka_unit_test(test_leaky_unusual_rate_13_size_400),
      cmocka_unit_test(test_leaky_guess_too_high),
      cmocka_unit_test(test_leaky_guess_far_too_low),
      cmocka_unit_test(test_leaky_concurrent),
      cmocka_unit_test(test_leaky_concurrent_without_send_times),
      cmocka_unit_test(test_leaky_inflight_counts),
      cmocka_unit_test(test_leaky_learns_size_from_header),
      cmocka_unit_test(test_token_get_order),
      cmocka_unit_test(test_token_get_orders_rounded_header),
      cmocka_unit_test(test_token_get_orders_speed_up),
      cmocka_unit_test(test_token_rate_drops),
      cmocka_unit_test(test_token_delay_and_pause),
      cmocka_unit_test(test_pause_honoured),
      cmocka_unit_test(test_floor_honoured),
      cmocka_unit_test(test_none_kind),
      cmocka_unit_test(test_backoff_bounds),
      cmocka_unit_test(test_backoff_jitter_spread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
