#include "engine/policy.h"

#include "engine/limiter.h"

void retry_policy_defaults(struct retry_policy *p, int max_retries, int day_retries) {
  p->max_retries = max_retries;
  p->max_rate_hits = 200;
  p->day_budget = day_retries > 0 ? day_retries : max_retries * 4 > 20 ? max_retries * 4 : 20;
  p->day_budget_grows = day_retries <= 0;
  p->max_restarts = 100;
  p->max_restarts_idle = 3;
  p->base = 0.5;
  p->cap = 60.0;
}

int policy_day_budget(const struct retry_policy *p, const struct page_tries *t) {
  return p->day_budget + (p->day_budget_grows ? t->pages : 0);
}

void policy_page_done(struct page_tries *t, int progress) {
  t->attempts = 0;
  t->rate_hits = 0;
  t->refreshed = 0;
  t->pages++;
  if (progress)
    t->restarts_idle = 0;
}

static struct decision give_up(struct page_tries *t, enum policy_limit why) {
  struct decision d = {ACT_FAIL_DAY, 0};
  t->gave_up = why;
  return d;
}

static struct decision decide(enum policy_action act, double wait) {
  struct decision d = {act, wait};
  return d;
}

struct decision policy_decide(const struct verdict *v, struct page_tries *t,
                              const struct retry_policy *p, int can_refresh, double rnd) {
  switch (v->rc) {
  case MS_OK:
    return decide(ACT_STORE, 0);
  case MS_ERATELIMIT:
    /* A lockout punishes every request sent while it lasts: stop. */
    if (v->locked_out)
      return decide(ACT_LOCKED_OUT, v->retry_after >= 0 ? v->retry_after : 0);
    /* Not a failure of ours: wait as told, or back off if not told. */
    if (++t->rate_hits > p->max_rate_hits)
      return give_up(t, LIMIT_RATE_HITS);
    return decide(ACT_WAIT, v->retry_after >= 0
                                ? v->retry_after
                                : backoff_delay(t->rate_hits - 1, 1.0, p->cap, rnd));
  case MS_ECURSOR:
    /* Safe to start over: stored records are upserted, never duplicated,
     * and orders stored unchanged with their items are not fetched again,
     * so a restart makes progress; one that does not, in a row, ends it. */
    if (++t->restarts > p->max_restarts || ++t->restarts_idle > p->max_restarts_idle)
      return give_up(t, LIMIT_RESTARTS);
    return decide(ACT_RESTART, 0);
  case MS_EAUTH:
    if (v->refresh && can_refresh && !t->refreshed) {
      t->refreshed = 1;
      return decide(ACT_REFRESH, 0);
    }
    return decide(ACT_FAIL_SOURCE, 0);
  case MS_EFATAL:
  case MS_EINVAL:
    return decide(ACT_FAIL_SOURCE, 0);
  case MS_ESCOPE:
    return decide(ACT_FAIL_STREAM, 0);
  default: {
    /* Transient (5xx, timeout, reset, cut body) and unreadable answers. */
    double wait;
    if (++t->attempts > p->max_retries)
      return give_up(t, LIMIT_PAGE_RETRIES);
    if (++t->day_retries > policy_day_budget(p, t))
      return give_up(t, LIMIT_DAY_RETRIES);
    wait = backoff_delay(t->attempts - 1, p->base, p->cap, rnd);
    if (v->retry_after > wait)
      wait = v->retry_after;
    return decide(ACT_RETRY, wait);
  }
  }
}

const char *policy_action_name(enum policy_action a) {
  static const char *names[] = {"store",    "wait",        "retry",       "refresh",   "restart",
                                "fail day", "fail source", "fail stream", "locked out"};
  return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}
