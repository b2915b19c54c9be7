/* Parsers of pagination and pacing headers, fed what the services send and
 * what a broken proxy might. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/headers.h"
#include "util/err.h"

#define SHOP "https://shop.myshopify.com/admin/api/2024-01/orders.json"
#define NEXT_URL SHOP "?limit=250&page_info=eyJuZXh0In0"
#define PREV_URL SHOP "?limit=250&page_info=eyJwcmV2In0"

/* Sun, 06 Nov 1994 08:49:37 GMT */
#define T1994 784111777

static char out[512];

static int find_next(const char *header) {
  memset(out, 'x', sizeof(out));
  return link_find(header, "next", out, sizeof(out));
}

/* ---- Link --------------------------------------------------------------- */

static void test_link_first_page(void **state) {
  (void)state;
  assert_int_equal(find_next("<" NEXT_URL ">; rel=\"next\""), MS_OK);
  assert_string_equal(out, NEXT_URL);
}

static void test_link_middle_page(void **state) {
  (void)state;
  const char *h = "<" NEXT_URL ">; rel=\"next\", <" PREV_URL ">; rel=\"previous\"";
  assert_int_equal(find_next(h), MS_OK);
  assert_string_equal(out, NEXT_URL);
  /* previous first, as some versions send it */
  h = "<" PREV_URL ">; rel=\"previous\", <" NEXT_URL ">; rel=\"next\"";
  assert_int_equal(find_next(h), MS_OK);
  assert_string_equal(out, NEXT_URL);
  assert_int_equal(link_find(h, "previous", out, sizeof(out)), MS_OK);
  assert_string_equal(out, PREV_URL);
}

static void test_link_last_and_single_page(void **state) {
  (void)state;
  assert_int_equal(find_next("<" PREV_URL ">; rel=\"previous\""), MS_ENOTFOUND);
  assert_int_equal(find_next(NULL), MS_ENOTFOUND); /* single page: no header */
  assert_int_equal(find_next(""), MS_ENOTFOUND);
  assert_int_equal(find_next("   "), MS_ENOTFOUND);
}

static void test_link_forms(void **state) {
  (void)state;
  /* unquoted rel, upper case, extra whitespace */
  assert_int_equal(find_next("  <" NEXT_URL ">  ;  REL = next  "), MS_OK);
  assert_string_equal(out, NEXT_URL);
  /* several relation types; parameters in any order */
  assert_int_equal(find_next("<" PREV_URL ">; rel=\"prev previous\"; title=\"back\", <" NEXT_URL
                             ">; title=\"more, please\"; rel=\"last next\""),
                   MS_OK);
  assert_string_equal(out, NEXT_URL);
  /* "nextpage" is not "next", and a title mentioning next is not a rel */
  assert_int_equal(find_next("<" PREV_URL ">; rel=\"nextpage\"; title=\"next\""), MS_ENOTFOUND);
  /* only the first rel counts */
  assert_int_equal(find_next("<" PREV_URL ">; rel=previous; rel=next"), MS_ENOTFOUND);
  /* empty list elements are allowed */
  assert_int_equal(find_next(", <" NEXT_URL ">;rel=next ,"), MS_OK);
  assert_string_equal(out, NEXT_URL);
  /* tab as whitespace, a parameter without a value */
  assert_int_equal(find_next("<" NEXT_URL ">\t;\tcrossorigin;\trel=\"next\""), MS_OK);
  assert_string_equal(out, NEXT_URL);
}

static void test_link_url_with_commas_and_semicolons(void **state) {
  (void)state;
  const char *url = "https://x.test/o?ids=1,2,3;a=b&rel=next&f=\"q\"";
  char h[256];
  snprintf(h, sizeof(h), "<%s>; rel=\"previous\", <%s>; rel=\"next\"", "https://x.test/p?a=1,2;x",
           url);
  assert_int_equal(find_next(h), MS_OK);
  assert_string_equal(out, url);
}

static void test_link_malformed(void **state) {
  (void)state;
  const char *bad[] = {
      "<" NEXT_URL,                                /* no closing > */
      "<" NEXT_URL ">; rel=\"next",                /* unterminated quote */
      "<" NEXT_URL ">; rel=\"next\", <https://sh", /* truncated second link */
      NEXT_URL "; rel=\"next\"",                   /* no <> */
      "<" NEXT_URL "> rel=\"next\"",               /* no ; */
      "<" NEXT_URL ">; =next",                     /* no parameter name */
      "<" NEXT_URL ">; rel=",                      /* no value */
      "<" NEXT_URL ">; rel=\"next\" junk",         /* junk after the value */
      "<>; rel=\"next\"",                          /* empty target */
      "<https://a.test/x y>; rel=\"next\"",        /* space in the URL */
      "<https://a.test/x\x01y>; rel=\"next\"",     /* control in the URL */
      "<" NEXT_URL ">; rel=\"next\\",              /* escape at the end */
      "garbage",
      ";;;",
      "<",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int rc = find_next(bad[i]);
    if (rc != MS_EINVAL)
      fail_msg("'%s' gave %d, want MS_EINVAL", bad[i], rc);
  }
}

static void test_link_every_truncation(void **state) {
  (void)state;
  /* Cutting a valid header anywhere gives an error or, when the cut falls
   * between whole links, a complete URL: never a partial one. */
  const char *h = "<" PREV_URL ">; rel=\"previous\", <" NEXT_URL ">; rel=\"next\"";
  size_t n = strlen(h);
  char *cut = malloc(n + 1);
  assert_non_null(cut);
  for (size_t i = 0; i < n; i++) {
    memcpy(cut, h, i);
    cut[i] = '\0';
    int rc = find_next(cut);
    assert_true(rc == MS_EINVAL || rc == MS_ENOTFOUND);
  }
  free(cut);
}

static void test_link_output_too_small(void **state) {
  (void)state;
  char small[8];
  const char *h = "<https://a.test/x>; rel=next"; /* 16 bytes of URL */
  assert_int_equal(link_find(h, "next", small, sizeof(small)), MS_ETOOBIG);
  char exact[17];
  assert_int_equal(link_find(h, "next", exact, 16), MS_ETOOBIG); /* no room for the NUL */
  assert_int_equal(link_find(h, "next", exact, sizeof(exact)), MS_OK);
  assert_string_equal(exact, "https://a.test/x");
  assert_int_equal(link_find(h, "next", exact, 0), MS_ETOOBIG);
}

static void test_link_huge_header(void **state) {
  (void)state;
  size_t n = 100000;
  char *h = malloc(n + 1);
  assert_non_null(h);
  memset(h, ' ', n);
  h[n] = '\0';
  assert_int_equal(find_next(h), MS_ETOOBIG);
  free(h);
}

/* ---- Retry-After -------------------------------------------------------- */

static double retry(const char *v, int64_t now, int *rc) {
  double s = -1;
  *rc = retry_after_parse(v, now, &s);
  return s;
}

static void test_retry_after_seconds(void **state) {
  (void)state;
  int rc;
  assert_true(retry("2.0", 0, &rc) == 2.0 && rc == MS_OK);
  assert_true(retry("120", 0, &rc) == 120.0 && rc == MS_OK);
  assert_true(retry(" 0.5 ", 0, &rc) == 0.5 && rc == MS_OK);
  assert_true(retry("0", 0, &rc) == 0.0 && rc == MS_OK);
  assert_true(retry("999999", 0, &rc) == 86400.0 && rc == MS_OK);
  assert_true(retry("99999999999999999999999999", 0, &rc) == 86400.0 && rc == MS_OK);
}

static void test_retry_after_dates(void **state) {
  (void)state;
  int rc;
  /* IMF-fixdate, 90 s ahead */
  assert_true(retry("Sun, 06 Nov 1994 08:49:37 GMT", T1994 - 90, &rc) == 90.0 && rc == MS_OK);
  /* in the past: 0 */
  assert_true(retry("Sun, 06 Nov 1994 08:49:37 GMT", T1994 + 5, &rc) == 0.0 && rc == MS_OK);
  /* far ahead: capped */
  assert_true(retry("Fri, 01 Jan 2100 00:00:00 GMT", T1994, &rc) == 86400.0 && rc == MS_OK);
  /* obsolete RFC 850 and asctime forms */
  assert_true(retry("Sunday, 06-Nov-94 08:49:37 GMT", T1994 - 10, &rc) == 10.0 && rc == MS_OK);
  assert_true(retry("Sun Nov  6 08:49:37 1994", T1994 - 10, &rc) == 10.0 && rc == MS_OK);
  /* a leap day, and a date in 2026 */
  assert_true(retry("Thu, 29 Feb 2024 00:00:01 GMT", 1709164800, &rc) == 1.0 && rc == MS_OK);
  assert_true(retry("Sun, 08 Mar 2026 10:00:00 GMT", 1772964000 - 30, &rc) == 30.0 && rc == MS_OK);
}

static void test_retry_after_garbage(void **state) {
  (void)state;
  const char *bad[] = {
      "",
      "   ",
      "-1",
      "-0.5",
      "+3",
      "2.",
      ".5",
      "1e3",
      "inf",
      "nan",
      "0x10",
      "2 s",
      "soon",
      "Sun, 06 Nov 1994 08:49:37",      /* no GMT */
      "Sun, 06 Nov 1994 08:49:37 UTC",  /* not GMT */
      "Sun, 31 Feb 1994 08:49:37 GMT",  /* no such day */
      "Sun, 06 Foo 1994 08:49:37 GMT",  /* no such month */
      "Sun, 06 Nov 1994 24:00:00 GMT",  /* no such hour */
      "Xyz, 06 Nov 1994 08:49:37 GMT",  /* no such weekday */
      "Sun, 6 Nov 1994 08:49:37 GMT",   /* one-digit day */
      "Sun, 06 Nov 1994 08:49:37 GMTx", /* trailing junk */
      "Sunday, 06-Nov-94 08:49:37",
      "Sun Nov  6 08:49:37",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    double s = 123;
    int rc = retry_after_parse(bad[i], T1994, &s);
    if (rc != MS_EINVAL)
      fail_msg("'%s' gave %d (%f), want MS_EINVAL", bad[i], rc, s);
    assert_true(s == 123); /* untouched on error */
  }
  double s;
  assert_int_equal(retry_after_parse(NULL, 0, &s), MS_EINVAL);
}

/* ---- Call limit and rate ------------------------------------------------ */

static void test_call_limit(void **state) {
  (void)state;
  int used = -1, size = -1;
  assert_int_equal(call_limit_parse("32/40", &used, &size), MS_OK);
  assert_int_equal(used, 32);
  assert_int_equal(size, 40);
  assert_int_equal(call_limit_parse(" 0/400 ", &used, &size), MS_OK);
  assert_int_equal(used, 0);
  assert_int_equal(size, 400);
  assert_int_equal(call_limit_parse("40 / 40", &used, &size), MS_OK);
  assert_int_equal(used, 40);
  const char *bad[] = {"",
                       "32",
                       "32/",
                       "/40",
                       "-1/40",
                       "32/-40",
                       "32/0",
                       "401/40",
                       "32/40/1",
                       "32/40x",
                       "a/40",
                       "32.5/40",
                       "+3/40",
                       "3 2/40",
                       "32//40",
                       "0x20/40",
                       "99999999999/40",
                       "1/99999999999",
                       "2147483648/2147483647",
                       "1/2000000"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    used = size = 7;
    if (call_limit_parse(bad[i], &used, &size) != MS_EINVAL)
      fail_msg("'%s' accepted as %d/%d", bad[i], used, size);
    assert_int_equal(used, 7);
  }
}

static void test_rate_limit(void **state) {
  (void)state;
  double r = -1;
  assert_int_equal(rate_limit_parse("0.0167", &r), MS_OK);
  assert_true(r > 0.016699 && r < 0.016701);
  assert_int_equal(rate_limit_parse("2", &r), MS_OK);
  assert_true(r == 2.0);
  assert_int_equal(rate_limit_parse(" 0.5\t", &r), MS_OK);
  assert_true(r == 0.5);
  const char *bad[] = {"",    "0",   "0.000", "-1",  "abc", "1e-2",
                       "inf", "nan", "0.5/s", "1,5", ".5",  "99999999"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    r = 42;
    if (rate_limit_parse(bad[i], &r) != MS_EINVAL)
      fail_msg("'%s' accepted as %f", bad[i], r);
    assert_true(r == 42);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_link_first_page),
      cmocka_unit_test(test_link_middle_page),
      cmocka_unit_test(test_link_last_and_single_page),
      cmocka_unit_test(test_link_forms),
      cmocka_unit_test(test_link_url_with_commas_and_semicolons),
      cmocka_unit_test(test_link_malformed),
      cmocka_unit_test(test_link_every_truncation),
      cmocka_unit_test(test_link_output_too_small),
      cmocka_unit_test(test_link_huge_header),
      cmocka_unit_test(test_retry_after_seconds),
      cmocka_unit_test(test_retry_after_dates),
      cmocka_unit_test(test_retry_after_garbage),
      cmocka_unit_test(test_call_limit),
      cmocka_unit_test(test_rate_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
