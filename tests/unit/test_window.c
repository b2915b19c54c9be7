/* Where a pass by update time starts: watermark and overlap arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/plan.h"

static void test_a_pass_starts_at_the_watermark_less_the_overlap(void **state) {
  (void)state;
  assert_int_equal(plan_window_from(1000000, 0, 0, 300), 999700);
  assert_int_equal(plan_window_from(1000000, 5, 0, 0), 1000000);
  /* The first start no longer matters once there is a watermark. */
  assert_int_equal(plan_window_from(1000000, 400000, 0, 300), 999700);
}

static void test_the_first_pass_starts_when_the_earliest_day_was_fetched(void **state) {
  (void)state;
  assert_int_equal(plan_window_from(0, 500000, 0, 300), 499700);
  assert_int_equal(plan_window_from(0, 0, 0, 300), 0); /* nothing fetched: everything */
}

static void test_a_full_pass_starts_from_the_beginning(void **state) {
  (void)state;
  assert_int_equal(plan_window_from(1000000, 500000, 1, 300), 0);
}

static void test_the_start_never_goes_below_zero(void **state) {
  (void)state;
  assert_int_equal(plan_window_from(100, 0, 0, 300), 0);
  assert_int_equal(plan_window_from(300, 0, 0, 300), 0);
  assert_int_equal(plan_window_from(301, 0, 0, 300), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_pass_starts_at_the_watermark_less_the_overlap),
      cmocka_unit_test(test_the_first_pass_starts_when_the_earliest_day_was_fetched),
      cmocka_unit_test(test_a_full_pass_starts_from_the_beginning),
      cmocka_unit_test(test_the_start_never_goes_below_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
