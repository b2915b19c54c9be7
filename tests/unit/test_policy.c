/* The retry policy: every kind of failure gets its decision, and every
 * bound ends in giving up rather than looping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/policy.h"

static struct verdict verdict(int rc, double retry_after, int refresh) {
  struct verdict v = {rc, retry_after, refresh, 0, 0};
  return v;
}

static void test_ok_is_stored(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict v = verdict(MS_OK, -1, 0);
  (void)state;
  retry_policy_defaults(&p, 5, 0);
  assert_int_equal(policy_decide(&v, &t, &p, 0, 0.5).act, ACT_STORE);
}

static void test_transient_retries_with_backoff_then_fails_the_day(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict v = verdict(MS_ETRANSIENT, -1, 0);
  (void)state;
  retry_policy_defaults(&p, 3, 0);
  for (int i = 0; i < 3; i++) {
    struct decision d = policy_decide(&v, &t, &p, 0, 0.999);
    assert_int_equal(d.act, ACT_RETRY);
    /* full jitter below base * 2^i, capped */
    assert_true(d.wait >= 0 && d.wait <= p.base * (1 << i) + 1e-9);
  }
  assert_int_equal(policy_decide(&v, &t, &p, 0, 0.5).act, ACT_FAIL_DAY);
}

static void test_unreadable_and_busy_are_retried_like_transient(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict proto = verdict(MS_EPROTO, -1, 0), busy = verdict(MS_EBUSY, -1, 0);
  (void)state;
  retry_policy_defaults(&p, 5, 0);
  assert_int_equal(policy_decide(&proto, &t, &p, 0, 0.1).act, ACT_RETRY);
  assert_int_equal(policy_decide(&busy, &t, &p, 0, 0.1).act, ACT_RETRY);
}

static void test_retry_after_is_a_floor_for_transient(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict v = verdict(MS_ETRANSIENT, 7.5, 0);
  (void)state;
  retry_policy_defaults(&p, 5, 0);
  assert_true(policy_decide(&v, &t, &p, 0, 0.0).wait >= 7.5);
}

static void test_a_lockout_stops_the_source_whatever_the_wait(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict locked = verdict(MS_ERATELIMIT, 600, 0), vague = verdict(MS_ERATELIMIT, -1, 0);
  struct decision d;
  (void)state;
  locked.locked_out = vague.locked_out = 1;
  retry_policy_defaults(&p, 5, 0);
  d = policy_decide(&locked, &t, &p, 0, 0.5);
  assert_int_equal(d.act, ACT_LOCKED_OUT);
  assert_true(d.wait == 600); /* said, for the message: when to try again */
  d = policy_decide(&vague, &t, &p, 0, 0.5);
  assert_int_equal(d.act, ACT_LOCKED_OUT);
  assert_true(d.wait == 0);
  assert_int_equal(t.rate_hits, 0); /* never waited out like a throttle */
}

static void test_rate_limit_waits_as_told_and_is_not_a_failure(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict told = verdict(MS_ERATELIMIT, 2.0, 0), untold = verdict(MS_ERATELIMIT, -1, 0);
  struct decision d;
  (void)state;
  retry_policy_defaults(&p, 1, 0);
  d = policy_decide(&told, &t, &p, 0, 0.5);
  assert_int_equal(d.act, ACT_WAIT);
  assert_true(d.wait == 2.0);
  d = policy_decide(&untold, &t, &p, 0, 0.5);
  assert_int_equal(d.act, ACT_WAIT);
  assert_true(d.wait > 0 && d.wait <= p.cap);
  assert_int_equal(t.attempts, 0); /* 429s do not use up the page's attempts */
}

static void test_endless_rate_limits_fail_the_day(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict v = verdict(MS_ERATELIMIT, 1.0, 0);
  int i;
  (void)state;
  retry_policy_defaults(&p, 5, 0);
  for (i = 0; i < p.max_rate_hits; i++)
    assert_int_equal(policy_decide(&v, &t, &p, 0, 0.5).act, ACT_WAIT);
  assert_int_equal(policy_decide(&v, &t, &p, 0, 0.5).act, ACT_FAIL_DAY);
}

static void test_expired_token_is_refreshed_once_per_page(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict v = verdict(MS_EAUTH, -1, 1);
  (void)state;
  retry_policy_defaults(&p, 5, 0);
  assert_int_equal(policy_decide(&v, &t, &p, 1, 0.5).act, ACT_REFRESH);
  assert_int_equal(policy_decide(&v, &t, &p, 1, 0.5).act, ACT_FAIL_SOURCE);
  policy_page_done(&t, 1); /* the next page may refresh again */
  assert_int_equal(policy_decide(&v, &t, &p, 1, 0.5).act, ACT_REFRESH);
}

static void test_refused_credentials_fail_the_source(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict refused = verdict(MS_EAUTH, -1, 0), maybe = verdict(MS_EAUTH, -1, 1);
  struct verdict fatal = verdict(MS_EFATAL, -1, 0);
  (void)state;
  retry_policy_defaults(&p, 5, 0);
  assert_int_equal(policy_decide(&refused, &t, &p, 1, 0.5).act, ACT_FAIL_SOURCE);
  /* a connector without token refresh cannot recover from an expired one */
  assert_int_equal(policy_decide(&maybe, &t, &p, 0, 0.5).act, ACT_FAIL_SOURCE);
  assert_int_equal(policy_decide(&fatal, &t, &p, 1, 0.5).act, ACT_FAIL_SOURCE);
}

static void test_rejected_cursor_restarts_the_day_while_it_makes_progress(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict v = verdict(MS_ECURSOR, -1, 0);
  (void)state;
  retry_policy_defaults(&p, 2, 0);
  /* Restarts with new records stored between them go on (far more than
   * max_retries of them)... */
  for (int i = 0; i < 50; i++) {
    assert_int_equal(policy_decide(&v, &t, &p, 0, 0.5).act, ACT_RESTART);
    policy_page_done(&t, 0); /* page 1 again: nothing new */
    policy_page_done(&t, 1); /* page 2 is new */
  }
  /* ...restarts with nothing new between them end the day. */
  for (int i = 0; i < p.max_restarts_idle; i++) {
    assert_int_equal(policy_decide(&v, &t, &p, 0, 0.5).act, ACT_RESTART);
    policy_page_done(&t, 0);
  }
  assert_int_equal(policy_decide(&v, &t, &p, 0, 0.5).act, ACT_FAIL_DAY);
  assert_int_equal(t.gave_up, LIMIT_RESTARTS);
}

static void test_restarts_are_bounded_even_with_progress(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  struct verdict v = verdict(MS_ECURSOR, -1, 0);
  int restarts = 0;
  (void)state;
  retry_policy_defaults(&p, 5, 0);
  while (policy_decide(&v, &t, &p, 0, 0.5).act == ACT_RESTART) {
    restarts++;
    policy_page_done(&t, 1);
    assert_true(restarts <= p.max_restarts);
  }
  assert_int_equal(restarts, p.max_restarts);
  assert_int_equal(t.gave_up, LIMIT_RESTARTS);
}

/* Each page fails `per_page` times and then succeeds; returns the retries
 * made before the day was given up (or after 100 pages). */
static int retries_over_pages(struct retry_policy *p, struct page_tries *t, int per_page) {
  struct verdict v = verdict(MS_ETRANSIENT, -1, 0);
  int retries = 0;
  for (int page = 0; page < 100; page++) {
    struct decision d = {ACT_RETRY, 0};
    for (int k = 0; k < per_page && d.act == ACT_RETRY; k++) {
      d = policy_decide(&v, t, p, 0, 0.5);
      retries += d.act == ACT_RETRY;
    }
    if (d.act == ACT_FAIL_DAY)
      break;
    policy_page_done(t, 1);
  }
  return retries;
}

static void test_a_fixed_day_budget_bounds_retries_across_pages(void **state) {
  struct retry_policy p;
  struct page_tries t = {0};
  (void)state;
  retry_policy_defaults(&p, 5, 30); /* --max-day-retries 30 */
  /* The page limit is never reached, but the day's budget is. */
  assert_int_equal(retries_over_pages(&p, &t, 3), 30);
  assert_int_equal(t.gave_up, LIMIT_DAY_RETRIES);
}

static void test_the_default_day_budget_grows_with_the_pages(void **state) {
  struct retry_policy p;
  struct page_tries t = {0}, t2 = {0};
  int retries;
  (void)state;
  retry_policy_defaults(&p, 5, 0);
  /* A long day on a flaky network: one retry per page, 100 pages, five
   * times the starting budget, and still not given up. */
  assert_int_equal(retries_over_pages(&p, &t, 1), 100);
  assert_int_equal(t.gave_up, LIMIT_NONE);
  /* Three retries for every page outrun the growth: the budget ends it,
   * after more retries than it started with. */
  retries = retries_over_pages(&p, &t2, 3);
  assert_int_equal(t2.gave_up, LIMIT_DAY_RETRIES);
  assert_true(retries > p.day_budget);
  assert_int_equal(retries, policy_day_budget(&p, &t2));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ok_is_stored),
      cmocka_unit_test(test_transient_retries_with_backoff_then_fails_the_day),
      cmocka_unit_test(test_unreadable_and_busy_are_retried_like_transient),
      cmocka_unit_test(test_retry_after_is_a_floor_for_transient),
      cmocka_unit_test(test_rate_limit_waits_as_told_and_is_not_a_failure),
      cmocka_unit_test(test_a_lockout_stops_the_source_whatever_the_wait),
      cmocka_unit_test(test_endless_rate_limits_fail_the_day),
      cmocka_unit_test(test_expired_token_is_refreshed_once_per_page),
      cmocka_unit_test(test_refused_credentials_fail_the_source),
      cmocka_unit_test(test_rejected_cursor_restarts_the_day_while_it_makes_progress),
      cmocka_unit_test(test_restarts_are_bounded_even_with_progress),
      cmocka_unit_test(test_a_fixed_day_budget_bounds_retries_across_pages),
      cmocka_unit_test(test_the_default_day_budget_grows_with_the_pages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
