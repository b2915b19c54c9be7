/* The one place that decides what to do about an answer: store it, wait,
 * retry, refresh the token, restart the day, or give up on the day or the
 * whole source. Pure: counters in, decision out, so it is tested without a
 * network (tests/unit/test_policy.c). */
#ifndef MS_ENGINE_POLICY_H
#define MS_ENGINE_POLICY_H

#include "connectors/connector.h"

enum policy_action {
  ACT_STORE,       /* a good answer: parse and store it */
  ACT_WAIT,        /* rate-limited: pause the endpoint for `wait`, then the same page */
  ACT_RETRY,       /* transient: the same page again after `wait` */
  ACT_REFRESH,     /* the token expired: a new one, then the same page */
  ACT_RESTART,     /* the cursor was rejected: the day again from its first page */
  ACT_FAIL_DAY,    /* give up on this day for this run; it keeps its cursor */
  ACT_FAIL_SOURCE, /* the source refused us: fail this day and skip its others */
  ACT_FAIL_STREAM, /* the credentials may not read the stream: fail this slice, skip the
                      stream's others; the source's other streams go on */
  ACT_LOCKED_OUT,  /* the API locked the credentials out for `wait` seconds: fail every
                      slice of the source with when to try again, send nothing more */
};

/* What one day has been through in this run. */
struct page_tries {
  int attempts;      /* failed attempts of the current page */
  int rate_hits;     /* 429s in a row for the current page */
  int restarts;      /* cursor restarts of the day */
  int restarts_idle; /* restarts since the day last stored something new */
  int refreshed;     /* the token was refreshed for the current page */
  int day_retries;   /* retries of all the day's pages together */
  int pages;         /* pages of the day stored in this run */
  int gave_up;       /* why the last ACT_FAIL_DAY came: enum policy_limit */
};

/* Which limit made the policy give up on a day. */
enum policy_limit {
  LIMIT_NONE = 0,
  LIMIT_PAGE_RETRIES, /* one page failed max_retries + 1 times */
  LIMIT_DAY_RETRIES,  /* the day used up its retry budget */
  LIMIT_RATE_HITS,    /* too many 429s in a row */
  LIMIT_RESTARTS,     /* the day was started over too often */
};

struct retry_policy {
  int max_retries;       /* failed attempts of one page before the day fails */
  int max_rate_hits;     /* 429s in a row before the day fails */
  int day_budget;        /* retries of one day, all pages together, to start with */
  int day_budget_grows;  /* each page stored adds a retry to the day's budget */
  int max_restarts;      /* restarts of one day in one run */
  int max_restarts_idle; /* restarts in a row with nothing new stored between them */
  double base;           /* first backoff, seconds */
  double cap;            /* longest backoff, seconds */
};

struct decision {
  enum policy_action act; /* what to do */
  double wait;            /* seconds, for ACT_WAIT and ACT_RETRY */
};

/* Defaults for max_retries; day_retries > 0 fixes the day's budget at that
 * (else it starts at max(20, 4 x max_retries) and grows with the pages). */
void retry_policy_defaults(struct retry_policy *p, int max_retries, int day_retries);

/* The day's retry budget now: grows with the pages stored unless fixed. */
int policy_day_budget(const struct retry_policy *p, const struct page_tries *t);

/* Decides from the connector's verdict. Updates the counters in t. A
 * successful page MUST be followed by policy_page_done(t). can_refresh: the
 * connector can fetch a new token. rnd in [0,1) draws the jitter. */
struct decision policy_decide(const struct verdict *v, struct page_tries *t,
                              const struct retry_policy *p, int can_refresh, double rnd);

/* The page was stored: its own counters start again. progress: it moved the
 * day past where it had been (records inserted or updated, or the last page
 * of an order's items), which ends a run of restarts that made none. */
void policy_page_done(struct page_tries *t, int progress);

const char *policy_action_name(enum policy_action a);

#endif
