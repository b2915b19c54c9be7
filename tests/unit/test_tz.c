/* Calendar days, zones and timestamps. Expected instants were computed
 * independently (Python zoneinfo) from the IANA rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/tz.h"

static struct tz *open_zone(const char *name) {
  struct tz *tz = NULL;
  struct err err = {0};
  if (tz_open(name, &tz, &err) != MS_OK)
    fail_msg("tz_open(%s): %s", name, err.msg);
  return tz;
}

static struct civil_date day(int y, int m, int d) {
  struct civil_date c = {y, m, d};
  return c;
}

static void assert_date(struct civil_date got, int y, int m, int d) {
  if (got.y != y || got.m != m || got.d != d)
    fail_msg("got %04d-%02d-%02d, want %04d-%02d-%02d", got.y, got.m, got.d, y, m, d);
}

/* Checks [start, end) of the day and its length in hours. */
static void check_bounds(const char *zone, struct civil_date d, int64_t start, int64_t end,
                         int hours) {
  struct tz *tz = open_zone(zone);
  int64_t s = 0, e = 0;
  assert_int_equal(tz_day_bounds(tz, d, &s, &e), MS_OK);
  if (s != start || e != end)
    fail_msg("%s %04d-%02d-%02d: [%lld, %lld), want [%lld, %lld)", zone, d.y, d.m, d.d,
             (long long)s, (long long)e, (long long)start, (long long)end);
  assert_int_equal(e - s, hours * 3600);
  /* the first moment belongs to the day, the one before to the previous */
  struct civil_date got;
  assert_int_equal(tz_local_date(tz, s, &got), MS_OK);
  assert_date(got, d.y, d.m, d.d);
  assert_int_equal(tz_local_date(tz, s - 1, &got), MS_OK);
  struct civil_date prev = date_add(d, -1);
  assert_date(got, prev.y, prev.m, prev.d);
  assert_int_equal(tz_local_date(tz, e - 1, &got), MS_OK);
  assert_date(got, d.y, d.m, d.d);
  tz_free(tz);
}

static void test_los_angeles_dst(void **state) {
  (void)state;
  check_bounds("America/Los_Angeles", day(2026, 3, 8), 1772956800, 1773039600, 23);
  check_bounds("America/Los_Angeles", day(2026, 11, 1), 1793516400, 1793606400, 25);
  check_bounds("America/Los_Angeles", day(2026, 3, 9), 1773039600, 1773126000, 24);
}

static void test_new_york_dst(void **state) {
  (void)state;
  check_bounds("America/New_York", day(2026, 11, 1), 1793505600, 1793595600, 25);
}

static void test_berlin_dst(void **state) {
  (void)state;
  check_bounds("Europe/Berlin", day(2026, 10, 25), 1792879200, 1792969200, 25);
  check_bounds("Europe/Berlin", day(2026, 3, 29), 1774738800, 1774821600, 23);
}

static void test_kolkata_no_dst(void **state) {
  (void)state;
  check_bounds("Asia/Kolkata", day(2026, 3, 8), 1772908200, 1772994600, 24);
  struct tz *tz = open_zone("Asia/Kolkata");
  int off = 0;
  assert_int_equal(tz_offset_at(tz, 1772908200, &off), MS_OK);
  assert_int_equal(off, 19800);
  assert_int_equal(tz_offset_at(tz, 1793516400, &off), MS_OK);
  assert_int_equal(off, 19800);
  tz_free(tz);
}

/* Chile moves its clocks at local midnight: on 2026-09-06 midnight does not
 * exist and the day starts at 01:00 -03; on 2026-04-05 the hour before
 * midnight repeats, so 2026-04-04 has 25 hours. */
static void test_santiago_midnight_change(void **state) {
  (void)state;
  check_bounds("America/Santiago", day(2026, 9, 6), 1788667200, 1788750000, 23);
  check_bounds("America/Santiago", day(2026, 4, 4), 1775271600, 1775361600, 25);
  check_bounds("America/Santiago", day(2026, 4, 5), 1775361600, 1775448000, 24);
  struct tz *tz = open_zone("America/Santiago");
  int off = 0;
  char buf[TIME_STR_LEN];
  assert_int_equal(tz_offset_at(tz, 1788667200, &off), MS_OK);
  time_format(1788667200, off, 0, buf);
  assert_string_equal(buf, "2026-09-06T01:00:00-03:00");
  tz_free(tz);
}

/* Cuba too: on 2026-11-01 midnight happens twice, and the day starts at the
 * first one (-04); on 2026-03-08 midnight is skipped. */
static void test_havana_midnight_change(void **state) {
  (void)state;
  check_bounds("America/Havana", day(2026, 11, 1), 1793505600, 1793595600, 25);
  check_bounds("America/Havana", day(2026, 10, 31), 1793419200, 1793505600, 24);
  check_bounds("America/Havana", day(2026, 3, 8), 1772946000, 1773028800, 23);
}

/* Every day of 2025-2027 in several zones: days tile time without gaps,
 * are 23 to 25 hours long, and start on their own date. */
static void test_days_tile(void **state) {
  (void)state;
  const char *zones[] = {"America/Los_Angeles",
                         "Europe/Berlin",
                         "America/Santiago",
                         "America/Havana",
                         "Asia/Kolkata",
                         "Australia/Lord_Howe",
                         "UTC"};
  for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
    struct tz *tz = open_zone(zones[z]);
    int64_t prev_end = 0;
    for (struct civil_date d = day(2025, 1, 1); date_cmp(d, day(2028, 1, 1)) < 0;
         d = date_add(d, 1)) {
      int64_t s, e;
      struct civil_date got;
      assert_int_equal(tz_day_bounds(tz, d, &s, &e), MS_OK);
      if (prev_end && s != prev_end)
        fail_msg("%s %04d-%02d-%02d starts at %lld, previous day ended at %lld", zones[z], d.y, d.m,
                 d.d, (long long)s, (long long)prev_end);
      assert_true(e - s >= 23 * 3600 && e - s <= 25 * 3600);
      assert_int_equal(tz_local_date(tz, s, &got), MS_OK);
      assert_int_equal(date_cmp(got, d), 0);
      prev_end = e;
    }
    tz_free(tz);
  }
}

static void test_local_date_around_midnight(void **state) {
  (void)state;
  struct tz *tz = open_zone("America/Los_Angeles");
  struct civil_date d;
  /* 2026-03-08T00:00:00-08:00 */
  assert_int_equal(tz_local_date(tz, 1772956800, &d), MS_OK);
  assert_date(d, 2026, 3, 8);
  assert_int_equal(tz_local_date(tz, 1772956799, &d), MS_OK);
  assert_date(d, 2026, 3, 7);
  /* 07:59:59 UTC on 03-08 is still 23:59:59 on 03-07 in Los Angeles */
  assert_int_equal(tz_local_date(tz, 1772956800 - 1, &d), MS_OK);
  assert_date(d, 2026, 3, 7);
  tz_free(tz);
  tz = open_zone("UTC");
  assert_int_equal(tz_local_date(tz, 0, &d), MS_OK);
  assert_date(d, 1970, 1, 1);
  assert_int_equal(tz_local_date(tz, -1, &d), MS_OK);
  assert_date(d, 1969, 12, 31);
  tz_free(tz);
}

static void test_time_format(void **state) {
  (void)state;
  char buf[TIME_STR_LEN];
  time_format(1745350200, -18000, 0, buf);
  assert_string_equal(buf, "2025-04-22T14:30:00-05:00");
  time_format(0, 0, 1, buf);
  assert_string_equal(buf, "1970-01-01T00:00:00Z");
  time_format(0, 0, 0, buf);
  assert_string_equal(buf, "1970-01-01T00:00:00+00:00");
  time_format(1767205800, 19800, 1, buf); /* zulu only applies to offset 0 */
  assert_string_equal(buf, "2026-01-01T00:00:00+05:30");
  time_format(1767205800, -9000, 0, buf);
  assert_string_equal(buf, "2025-12-31T16:00:00-02:30");
  time_format(-1, 0, 1, buf);
  assert_string_equal(buf, "1969-12-31T23:59:59Z");
}

static void test_time_parse(void **state) {
  (void)state;
  int64_t t = 0;
  assert_int_equal(time_parse("2025-04-22T14:30:00-05:00", &t), MS_OK);
  assert_int_equal(t, 1745350200);
  assert_int_equal(time_parse("2025-04-22T19:30:00Z", &t), MS_OK);
  assert_int_equal(t, 1745350200);
  assert_int_equal(time_parse("2025-04-22T19:30:00.123456Z", &t), MS_OK);
  assert_int_equal(t, 1745350200);
  assert_int_equal(time_parse("2025-04-22T19:30:00.9+00:00", &t), MS_OK);
  assert_int_equal(t, 1745350200);
  assert_int_equal(time_parse("2026-01-01T00:00:00+0530", &t), MS_OK);
  assert_int_equal(t, 1767205800);
  assert_int_equal(time_parse("2026-03-08 10:15:30Z", &t), MS_OK);
  assert_int_equal(t, 1772964930);
  const char *bad[] = {
      "",
      "2026-01-01",
      "2026-01-01T00:00:00",       /* no zone */
      "2026-02-30T00:00:00Z",      /* no such day */
      "2026-13-01T00:00:00Z",      /* no such month */
      "2026-01-01T24:00:00Z",      /* no such hour */
      "2026-01-01T00:60:00Z",      /* no such minute */
      "2026-01-01T00:00:00+24:00", /* no such offset */
      "2026-01-01T00:00:00+05",    /* offset without minutes */
      "2026-01-01T00:00:00.Z",     /* empty fraction */
      "2026-01-01T00:00:00Zjunk",  /* trailing junk */
      "2026-01-01T00:00:00+05:30x",
      "2026/01/01T00:00:00Z",
      "2026-1-01T00:00:00Z",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (time_parse(bad[i], &t) != MS_EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
  assert_int_equal(time_parse(NULL, &t), MS_EINVAL);
}

static void test_time_round_trip(void **state) {
  (void)state;
  const int offsets[] = {0, -28800, -25200, 3600, 7200, 19800, 20700, -9000, 50400};
  const int64_t times[] = {0, 1745350200, 1772956800, 1793516399, 4102444799, -86401};
  char buf[TIME_STR_LEN];
  for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
    for (size_t j = 0; j < sizeof(times) / sizeof(times[0]); j++)
      for (int zulu = 0; zulu < 2; zulu++) {
        int64_t back = 0;
        time_format(times[j], offsets[i], zulu, buf);
        if (time_parse(buf, &back) != MS_OK || back != times[j])
          fail_msg("%lld at %d gave '%s' and back %lld", (long long)times[j], offsets[i], buf,
                   (long long)back);
      }
}

static void test_date_parse(void **state) {
  (void)state;
  struct civil_date d;
  struct err err = {0};
  assert_int_equal(date_parse("2026-02-28", &d, &err), MS_OK);
  assert_date(d, 2026, 2, 28);
  assert_int_equal(date_parse("2024-02-29", &d, &err), MS_OK);
  assert_int_equal(date_parse("2000-02-29", &d, &err), MS_OK);
  const char *bad[] = {"2026-02-30", "2026-13-01",  "2026-1-1",    "2026-01-01x",
                       "2026-00-10", "2026-01-00",  "2025-02-29",  "1900-02-29",
                       "",           " 2026-01-01", "2026-01-01 ", "2026/01/01",
                       "20260101",   "2026-01-32",  "abcd-ef-gh"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err_clear(&err);
    if (date_parse(bad[i], &d, &err) != MS_EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(err.code, MS_EINVAL);
    assert_true(strlen(err.msg) > 0);
  }
  assert_int_equal(date_parse(NULL, &d, NULL), MS_EINVAL);
}

static void test_date_arithmetic(void **state) {
  (void)state;
  char buf[DATE_STR_LEN];
  assert_int_equal(date_to_days(day(1970, 1, 1)), 0);
  assert_int_equal(date_to_days(day(2026, 3, 8)), 20520);
  assert_date(date_from_days(20520), 2026, 3, 8);
  assert_date(date_add(day(2024, 2, 28), 1), 2024, 2, 29);
  assert_date(date_add(day(2025, 12, 31), 1), 2026, 1, 1);
  assert_date(date_add(day(2026, 3, 1), -1), 2026, 2, 28);
  assert_true(date_cmp(day(2026, 1, 1), day(2025, 12, 31)) > 0);
  assert_true(date_cmp(day(2026, 1, 1), day(2026, 1, 1)) == 0);
  for (int64_t n = -800000; n < 800000; n += 997) {
    struct civil_date d = date_from_days(n);
    assert_int_equal(date_to_days(d), n);
  }
  date_format(day(2026, 3, 8), buf);
  assert_string_equal(buf, "2026-03-08");
  date_format(day(9999, 12, 31), buf);
  assert_string_equal(buf, "9999-12-31");
}

/* Times written the way an API wants them, and read back the same way. */
static void test_time_format_pattern(void **state) {
  struct tz *moscow = NULL, *berlin = NULL;
  struct err err = {0};
  char out[64];
  int64_t back;
  (void)state;
  assert_int_equal(tz_open("Europe/Moscow", &moscow, &err), MS_OK);
  assert_int_equal(tz_open("Europe/Berlin", &berlin, &err), MS_OK);
  /* 2026-11-20T00:00:00Z */
  assert_int_equal(time_format_pattern(1795132800, "dd.mm.yyyy HH:MM:SS", moscow, out, sizeof(out)),
                   MS_OK);
  assert_string_equal(out, "20.11.2026 03:00:00");
  assert_int_equal(time_parse_pattern(out, "dd.mm.yyyy HH:MM:SS", moscow, &back), MS_OK);
  assert_int_equal(back, 1795132800);
  assert_int_equal(time_format_pattern(1795132800, "yyyy-mm-ddTHH:MM:SSZ", NULL, out, sizeof(out)),
                   MS_OK);
  assert_string_equal(out, "2026-11-20T00:00:00Z");
  /* 2026-03-29T01:30:00Z: the first hour of summer time in Berlin */
  assert_int_equal(time_format_pattern(1774747800, "HH:MM", berlin, out, sizeof(out)), MS_OK);
  assert_string_equal(out, "03:30");
  assert_int_equal(time_format_pattern(1795132800, "dd.mm.yyyy", moscow, out, 5), MS_EINVAL);
  assert_int_equal(time_format_pattern(-1, "yyyy", NULL, out, sizeof(out)), MS_EINVAL);
  assert_true(time_pattern_ok("dd.mm.yyyy"));
  assert_true(time_pattern_ok("yyyy-mm-ddTHH:MM:SSZ"));
  assert_false(time_pattern_ok("YYYY-MM-DD")); /* a typo, not literals */
  assert_false(time_pattern_ok("HH:MM"));      /* no day */
  assert_false(time_pattern_ok("yyyy-mm-dd yyyy"));
  assert_false(time_pattern_ok(""));
  tz_free(moscow);
  tz_free(berlin);
}

static void test_tz_open(void **state) {
  (void)state;
  struct tz *tz = NULL;
  struct err err = {0};
  const char *bad[] = {"Mars/Olympus_Mons", "", "America/Los Angeles", "Not/A/Zone",
                       "America/Los_Angeles_and_then_a_very_long_tail_past_sixty_four_bytes"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err_clear(&err);
    if (tz_open(bad[i], &tz, &err) != MS_EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
    assert_true(strlen(err.msg) > 0);
  }
  assert_int_equal(tz_open(NULL, &tz, NULL), MS_EINVAL);
  assert_int_equal(tz_open("Europe/Berlin", &tz, &err), MS_OK);
  assert_string_equal(tz_name(tz), "Europe/Berlin");
  tz_free(tz);
  tz_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_los_angeles_dst),
      cmocka_unit_test(test_new_york_dst),
      cmocka_unit_test(test_berlin_dst),
      cmocka_unit_test(test_kolkata_no_dst),
      cmocka_unit_test(test_santiago_midnight_change),
      cmocka_unit_test(test_havana_midnight_change),
      cmocka_unit_test(test_days_tile),
      cmocka_unit_test(test_local_date_around_midnight),
      cmocka_unit_test(test_time_format),
      cmocka_unit_test(test_time_parse),
      cmocka_unit_test(test_time_round_trip),
      cmocka_unit_test(test_date_parse),
      cmocka_unit_test(test_date_arithmetic),
      cmocka_unit_test(test_tz_open),
      cmocka_unit_test(test_time_format_pattern),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
