/* Money as the APIs send it: decimal text, turned into integer minor units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/model.h"
#include "util/err.h"

static void check(const char *amount, const char *currency, int64_t minor) {
  struct money m;
  int rc = money_set(&m, amount, currency);
  if (rc != MS_OK || m.minor != minor)
    fail_msg("'%s' %s: rc %d minor %lld, want %lld", amount, currency ? currency : "(null)", rc,
             (long long)m.minor, (long long)minor);
  assert_string_equal(m.amount, amount); /* the text is kept as sent */
}

static void test_two_decimals(void **state) {
  (void)state;
  check("199.00", "USD", 19900);
  check("5", "USD", 500);
  check("-3.5", "USD", -350);
  check("0.01", "EUR", 1);
  check("0", "EUR", 0);
  check("-0.00", "EUR", 0);
  check("1234567.89", "GBP", 123456789);
  check("12.50", NULL, 1250); /* unknown currency: 2 decimals */
  check("12.50", "", 1250);
  check("7.10", "XYZ", 710);
}

static void test_exponents(void **state) {
  (void)state;
  check("1500", "JPY", 1500);
  check("1500.00", "JPY", 1500); /* zeros past the exponent are harmless */
  check("1.234", "BHD", 1234);
  check("1.2", "KWD", 1200);
  check("-0.005", "OMR", -5);
  assert_int_equal(currency_exponent("JPY"), 0);
  assert_int_equal(currency_exponent("KRW"), 0);
  assert_int_equal(currency_exponent("BHD"), 3);
  assert_int_equal(currency_exponent("USD"), 2);
  assert_int_equal(currency_exponent(NULL), 2);
}

static void test_currency_kept(void **state) {
  (void)state;
  struct money m;
  assert_int_equal(money_set(&m, "1.00", "USD"), MS_OK);
  assert_string_equal(m.currency, "USD");
  assert_int_equal(money_set(&m, "1.00", "US"), MS_OK);
  assert_string_equal(m.currency, "");
}

static void test_empty_means_none(void **state) {
  (void)state;
  struct money m;
  assert_int_equal(money_set(&m, "", "USD"), MS_OK);
  assert_int_equal(m.minor, 0);
  assert_string_equal(m.amount, "");
  assert_int_equal(money_set(&m, NULL, "USD"), MS_OK);
  assert_string_equal(m.amount, "");
}

static void test_garbage_rejected(void **state) {
  (void)state;
  const char *bad[] = {"abc", "1,00", "1.2.3",   "1e3", " 1",  "1 ",  "-",     "+",    ".5", "--1",
                       "1-",  "0x10", "1.00USD", "$1",  "NaN", "inf", "1.001", "5.5.", "١٢"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct money m;
    int rc = money_set(&m, bad[i], "USD");
    if (rc != MS_EINVAL)
      fail_msg("'%s' gave %d (minor %lld)", bad[i], rc, (long long)m.minor);
  }
  /* more precision than the currency has */
  struct money m;
  assert_int_equal(money_set(&m, "1.5", "JPY"), MS_EINVAL);
  assert_int_equal(money_set(&m, "1.2345", "BHD"), MS_EINVAL);
}

static void test_overflow_rejected(void **state) {
  (void)state;
  struct money m;
  assert_int_equal(money_set(&m, "9223372036854775807", "USD"), MS_EINVAL);
  assert_int_equal(money_set(&m, "-9223372036854775808", "JPY"), MS_EINVAL);
  assert_int_equal(money_set(&m, "99999999999999999999.99", "USD"), MS_EINVAL);
  /* longer than the text field */
  assert_int_equal(money_set(&m, "1.00000000000000000000000000000000", "USD"), MS_EINVAL);
  /* large but representable */
  assert_int_equal(money_set(&m, "90000000000000.00", "USD"), MS_OK);
  assert_true(m.minor == 9000000000000000LL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_decimals),     cmocka_unit_test(test_exponents),
      cmocka_unit_test(test_currency_kept),    cmocka_unit_test(test_empty_means_none),
      cmocka_unit_test(test_garbage_rejected), cmocka_unit_test(test_overflow_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
