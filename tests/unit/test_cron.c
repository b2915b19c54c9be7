/* Cron expressions: the syntax, its errors, and the next local time across
 * month ends, leap days and DST changes. Expected local times were checked
 * against the IANA rules (Python zoneinfo); an expected string carries the
 * offset in force, so it names one instant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/cron.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static struct tz *open_zone(const char *name) {
  struct tz *tz = NULL;
  struct err err = {0};
  if (tz_open(name, &tz, &err) != MS_OK)
    fail_msg("tz_open(%s): %s", name, err.msg);
  return tz;
}

static int64_t at(const char *iso) {
  int64_t t = 0;
  if (time_parse(iso, &t) != MS_OK)
    fail_msg("bad time in test: %s", iso);
  return t;
}

static void local_str(struct tz *tz, int64_t t, char out[TIME_STR_LEN]) {
  int off = 0;
  assert_int_equal(tz_offset_at(tz, t, &off), MS_OK);
  time_format(t, off, 0, out);
}

static struct cron parse_ok(const char *expr) {
  struct cron c;
  struct err err = {0};
  if (cron_parse(expr, &c, &err) != MS_OK)
    fail_msg("cron_parse(\"%s\"): %s", expr, err.msg);
  return c;
}

/* The runs of `expr` in `zone` after `after`, one after the other. */
static void expect_runs(const char *zone, const char *expr, const char *after,
                        const char *const *want, size_t n) {
  struct tz *tz = open_zone(zone);
  struct cron c = parse_ok(expr);
  int64_t t = at(after);
  for (size_t i = 0; i < n; i++) {
    struct err err = {0};
    int64_t next = 0;
    char got[TIME_STR_LEN];
    if (cron_next(&c, tz, t, &next, &err) != MS_OK)
      fail_msg("%s \"%s\" run %zu: %s", zone, expr, i + 1, err.msg);
    local_str(tz, next, got);
    if (strcmp(got, want[i]) != 0)
      fail_msg("%s \"%s\" run %zu after %s: got %s, want %s", zone, expr, i + 1,
               i ? want[i - 1] : after, got, want[i]);
    if (next <= t)
      fail_msg("%s \"%s\": %s is not after the time before it", zone, expr, got);
    t = next;
  }
  tz_free(tz);
}

#define EXPECT_RUNS(zone, expr, after, ...)                                                        \
  do {                                                                                             \
    const char *const want_[] = {__VA_ARGS__};                                                     \
    expect_runs(zone, expr, after, want_, N_OF(want_));                                            \
  } while (0)

static int minutes_count(const struct cron *c) {
  int n = 0;
  for (int m = 0; m < CRON_DAY_MINUTES; m++)
    n += cron_has_minute(c, m);
  return n;
}

static void assert_minutes(const struct cron *c, const int *want, size_t n) {
  assert_int_equal(minutes_count(c), (int)n);
  for (size_t i = 0; i < n; i++)
    if (!cron_has_minute(c, want[i]))
      fail_msg("minute %d of the day (%02d:%02d) is missing", want[i], want[i] / 60, want[i] % 60);
}

static struct civil_date day(int y, int m, int d) {
  struct civil_date c = {y, m, d};
  return c;
}

/* ---- syntax ---- */

static void test_parse_all_stars(void **state) {
  (void)state;
  struct cron c = parse_ok("* * * * *");
  assert_int_equal(minutes_count(&c), 1440);
  assert_int_equal(c.mdays, 0xfffffffeu);
  assert_int_equal(c.months, 0x1ffe);
  assert_int_equal(c.wdays, 0x7f);
  assert_int_equal(c.flags, CRON_DOM_STAR | CRON_DOW_STAR | CRON_WILD);
  /* spaces and tabs of any length separate fields, and may surround them */
  struct cron d = parse_ok("  *\t*  * \t *   *  ");
  assert_memory_equal(&c, &d, sizeof(c));
}

static void test_parse_numbers_ranges_steps_lists(void **state) {
  (void)state;
  struct cron c = parse_ok("*/15 3 * * *");
  const int quarter[] = {180, 195, 210, 225};
  assert_minutes(&c, quarter, N_OF(quarter));

  c = parse_ok("10-40/10 9-17/4 * * *");
  const int stepped[] = {9 * 60 + 10,  9 * 60 + 20,  9 * 60 + 30,  9 * 60 + 40,
                         13 * 60 + 10, 13 * 60 + 20, 13 * 60 + 30, 13 * 60 + 40,
                         17 * 60 + 10, 17 * 60 + 20, 17 * 60 + 30, 17 * 60 + 40};
  assert_minutes(&c, stepped, N_OF(stepped));

  c = parse_ok("0,5,59 0,23 * * *");
  const int listed[] = {0, 5, 59, 23 * 60, 23 * 60 + 5, 23 * 60 + 59};
  assert_minutes(&c, listed, N_OF(listed));

  c = parse_ok("7 1-3,20 * * *");
  const int mixed[] = {67, 127, 187, 20 * 60 + 7};
  assert_minutes(&c, mixed, N_OF(mixed));

  c = parse_ok("0 0 1-31/10 */5 *");
  assert_int_equal(c.mdays, (1u << 1) | (1u << 11) | (1u << 21) | (1u << 31));
  assert_int_equal(c.months, (1u << 1) | (1u << 6) | (1u << 11));

  /* a step over the whole field: only the first value */
  c = parse_ok("*/59 */23 * * *");
  const int edge[] = {0, 59, 23 * 60, 23 * 60 + 59};
  assert_minutes(&c, edge, N_OF(edge));

  /* the last value of each field */
  c = parse_ok("59 23 31 12 6");
  const int last[] = {23 * 60 + 59};
  assert_minutes(&c, last, N_OF(last));
  assert_int_equal(c.mdays, 1u << 31);
  assert_int_equal(c.months, 1u << 12);
  assert_int_equal(c.wdays, 1u << 6);
  assert_int_equal(c.flags, 0);
}

static void test_parse_names(void **state) {
  (void)state;
  struct cron c = parse_ok("0 0 * jan-mar,Jun,DEC mon-fri");
  assert_int_equal(c.months, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 12));
  assert_int_equal(c.wdays, 0x3e);
  c = parse_ok("0 0 * * SUN,sat");
  assert_int_equal(c.wdays, (1u << 0) | (1u << 6));
  c = parse_ok("0 0 * feb-dec/2 mon-sat/2");
  assert_int_equal(c.months,
                   (1u << 2) | (1u << 4) | (1u << 6) | (1u << 8) | (1u << 10) | (1u << 12));
  assert_int_equal(c.wdays, (1u << 1) | (1u << 3) | (1u << 5));
  struct cron n = parse_ok("0 0 * 2-12/2 1-6/2");
  assert_memory_equal(&c, &n, sizeof(c));
}

static void test_parse_sunday_is_0_and_7(void **state) {
  (void)state;
  struct cron a = parse_ok("0 0 * * 0"), b = parse_ok("0 0 * * 7"), s = parse_ok("0 0 * * sun");
  assert_memory_equal(&a, &b, sizeof(a));
  assert_memory_equal(&a, &s, sizeof(a));
  assert_int_equal(a.wdays, 1);
  struct cron r = parse_ok("0 0 * * 5-7");
  assert_int_equal(r.wdays, (1u << 0) | (1u << 5) | (1u << 6));
  /* a range ending on Sunday ends the week */
  struct cron f = parse_ok("0 0 * * fri-sun"), z = parse_ok("0 0 * * 5-0");
  assert_memory_equal(&r, &f, sizeof(r));
  assert_memory_equal(&r, &z, sizeof(r));
  struct cron all = parse_ok("0 0 * * 0-7");
  assert_int_equal(all.wdays, 0x7f);
}

static void test_parse_shorthands(void **state) {
  (void)state;
  const struct {
    const char *shorthand;
    const char *fields;
  } table[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}, {"@DAILY", "0 0 * * *"},    {"  @Hourly\t", "0 * * * *"},
  };
  for (size_t i = 0; i < N_OF(table); i++) {
    struct cron a = parse_ok(table[i].shorthand), b = parse_ok(table[i].fields);
    if (memcmp(&a, &b, sizeof(a)) != 0)
      fail_msg("%s is not %s", table[i].shorthand, table[i].fields);
  }
  struct cron h = parse_ok("@hourly");
  assert_true(h.flags & CRON_WILD);
  struct cron d = parse_ok("@daily");
  assert_false(d.flags & CRON_WILD);
}

/* Vixie cron's wildcard jobs: minute or hour begins with '*'. */
static void test_parse_wildcard_flag(void **state) {
  (void)state;
  const char *wild[] = {"*/15 * * * *", "0 * * * *",    "0 */2 * * *",
                        "* 3 * * *",    "*/30 1 * * *", "0 *,5 * * *"};
  const char *fixed[] = {"30 2 * * *", "0 1-3 * * *", "0,30 1 * * *", "0 0-23 * * *",
                         "0-59 1 * * *"};
  for (size_t i = 0; i < N_OF(wild); i++)
    if (!(parse_ok(wild[i]).flags & CRON_WILD))
      fail_msg("\"%s\" should be a wildcard expression", wild[i]);
  for (size_t i = 0; i < N_OF(fixed); i++)
    if (parse_ok(fixed[i]).flags & CRON_WILD)
      fail_msg("\"%s\" should be a fixed-time expression", fixed[i]);
  assert_true(parse_ok("0 0 */2 * *").flags & CRON_DOM_STAR);
  assert_false(parse_ok("0 0 1-31 * *").flags & CRON_DOM_STAR);
  assert_true(parse_ok("0 0 * * */2").flags & CRON_DOW_STAR);
  assert_false(parse_ok("0 0 * * 0-6").flags & CRON_DOW_STAR);
}

static void test_parse_errors(void **state) {
  (void)state;
  const struct {
    const char *expr;
    const char *msg; /* the whole message, or its start when it ends with "..." */
  } table[] = {
      {"", "cron expression is empty; it needs 5 fields: minute hour day-of-month month "
           "day-of-week, e.g. \"0 */2 * * *\""},
      {" \t ", "cron expression is empty..."},
      {"* * * *", "cron expression has 4 fields; it needs 5: minute hour day-of-month month "
                  "day-of-week, e.g. \"0 */2 * * *\""},
      {"*", "cron expression has 1 field; it needs 5..."},
      {"* * * * * *", "cron expression has 6 fields; it needs 5..."},
      {"60 * * * *", "cron field 1 (minute): 60 is out of range 0-59"},
      {"* 24 * * *", "cron field 2 (hour): 24 is out of range 0-23"},
      {"* * 0 * *", "cron field 3 (day-of-month): 0 is out of range 1-31"},
      {"* * 32 * *", "cron field 3 (day-of-month): 32 is out of range 1-31"},
      {"* * * 0 *", "cron field 4 (month): 0 is out of range 1-12"},
      {"* * * 13 *", "cron field 4 (month): 13 is out of range 1-12"},
      {"* * * * 8", "cron field 5 (day-of-week): 8 is out of range 0-7"},
      {"1-70 * * * *", "cron field 1 (minute): 70 is out of range 0-59"},
      {"5-1 * * * *", "cron field 1 (minute): range 5-1 runs backwards; write the smaller value "
                      "first"},
      {"0 0 * dec-jan *", "cron field 4 (month): range 12-1 runs backwards..."},
      {"*/0 * * * *", "cron field 1 (minute): step 0 is out of range 1-59"},
      {"*/60 * * * *", "cron field 1 (minute): step 60 is out of range 1-59"},
      {"0 */24 * * *", "cron field 2 (hour): step 24 is out of range 1-23"},
      {"0 0 * * */8", "cron field 5 (day-of-week): step 8 is out of range 1-7"},
      {"*/ * * * *", "cron field 1 (minute): a step needs a number after '/', e.g. */5"},
      {"1-5/x * * * *", "cron field 1 (minute): a step needs a number after '/'..."},
      {"5/10 * * * *", "cron field 1 (minute): a step needs a range or '*' before it: write "
                       "5-59/N or */N, not 5/N"},
      {"1,,2 * * * *", "cron field 1 (minute): empty item in the list (two commas, or a comma "
                       "at an end)"},
      {"1, * * * *", "cron field 1 (minute): empty item in the list..."},
      {"0 ,1 * * *", "cron field 2 (hour): empty item in the list..."},
      {"a * * * *", "cron field 1 (minute): 'a' is not a number; use 0-59"},
      {"0 0 mon * *", "cron field 3 (day-of-month): 'mon' is not a number; use 1-31"},
      {"0 0 * foo *", "cron field 4 (month): 'foo' is not a name; use 1-12 or jan-dec"},
      {"0 0 * january *", "cron field 4 (month): 'january' is not a name; use 1-12 or jan-dec"},
      {"0 0 * * funday", "cron field 5 (day-of-week): 'funday' is not a name; use 0-7 or "
                         "sun-sat"},
      {"0 0 * * jan", "cron field 5 (day-of-week): 'jan' is not a name..."},
      {"1-2-3 * * * *", "cron field 1 (minute): unexpected '-' in '1-2-3'"},
      {"*5 * * * *", "cron field 1 (minute): unexpected '5' in '*5'"},
      {"*/5-10 * * * *", "cron field 1 (minute): unexpected '-' in '*/5-10'"},
      {"-5 * * * *", "cron field 1 (minute): unexpected '-'; expected a number (0-59)"},
      {"5- * * * *", "cron field 1 (minute): a number is missing; use 0-59"},
      {"1000000 * * * *", "cron field 1 (minute): number '100000...' is too long; use 0-59"},
      {"0 0 * * 1.5", "cron field 5 (day-of-week): unexpected '.' in '1.5'"},
      {"0 0 31 2 *", "cron expression never runs: none of its days of the month (field 3) "
                     "exists in its months (field 4), like 31 in February"},
      {"0 0 30 feb *", "cron expression never runs..."},
      {"0 0 31 4,6,9,11 *", "cron expression never runs..."},
      {"0 0 31 2 */7", "cron expression never runs..."},
      {"@reboot", "cron shorthand '@reboot' names no time; a schedule needs one"},
      {"@fortnightly", "unknown cron shorthand '@fortnightly'; use @hourly, @daily, @midnight, "
                       "@weekly, @monthly, @yearly or @annually"},
      {"@", "unknown cron shorthand '@'..."},
      {"@daily 5", "cron shorthand '@daily' takes nothing after it"},
      {"0 0 * * *\n", "cron expression has an unexpected character (byte 10) at position 10"},
      {"0 0 * * *\xc3\xa9", "cron expression has an unexpected character (byte 195) at "
                            "position 10"},
      {"0\r0 * * *", "cron expression has an unexpected character (byte 13) at position 2"},
  };
  for (size_t i = 0; i < N_OF(table); i++) {
    struct cron c;
    struct err err = {0};
    int rc = cron_parse(table[i].expr, &c, &err);
    if (rc != MS_EINVAL)
      fail_msg("\"%s\": got %d, want MS_EINVAL", table[i].expr, rc);
    assert_int_equal(err.code, MS_EINVAL);
    size_t n = strlen(table[i].msg);
    int prefix = n > 3 && strcmp(table[i].msg + n - 3, "...") == 0;
    if (prefix ? strncmp(err.msg, table[i].msg, n - 3) != 0 : strcmp(err.msg, table[i].msg) != 0)
      fail_msg("\"%s\":\n  got  %s\n  want %s", table[i].expr, err.msg, table[i].msg);
  }
  struct cron c;
  struct err err = {0};
  assert_int_equal(cron_parse(NULL, &c, &err), MS_EINVAL);
  assert_string_equal(err.msg, "cron expression is missing");
  assert_int_equal(cron_parse("61 * * * *", &c, NULL), MS_EINVAL); /* err MAY be NULL */
}

static void test_parse_bounded_length(void **state) {
  (void)state;
  char expr[CRON_EXPR_MAX + 2];
  struct cron c;
  struct err err = {0};
  /* exactly the limit: "0 0 * * *" padded with spaces is fine */
  memset(expr, ' ', sizeof(expr));
  memcpy(expr, "0 0 * * *", 9);
  expr[CRON_EXPR_MAX] = '\0';
  assert_int_equal(cron_parse(expr, &c, &err), MS_OK);
  expr[CRON_EXPR_MAX] = ' ';
  expr[CRON_EXPR_MAX + 1] = '\0';
  assert_int_equal(cron_parse(expr, &c, &err), MS_ETOOBIG);
  assert_string_equal(err.msg, "cron expression is longer than 256 characters");
  /* a long list within the limit still parses */
  struct cron l = parse_ok("0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,"
                           "26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,"
                           "49,50,51,52,53,54,55,56,57,58,59 0 * * *");
  assert_int_equal(minutes_count(&l), 60);
}

static void test_parse_keeps_out_on_error(void **state) {
  (void)state;
  struct cron c, before;
  memset(&c, 0xab, sizeof(c));
  before = c;
  assert_int_equal(cron_parse("0 24 * * *", &c, NULL), MS_EINVAL);
  assert_memory_equal(&c, &before, sizeof(c));
}

/* ---- days ---- */

static void test_day_rule_vixie(void **state) {
  (void)state;
  /* both restricted: the 1st, the 15th, and every Monday */
  struct cron either = parse_ok("0 0 1,15 * mon");
  assert_true(cron_day_matches(&either, day(2026, 7, 1)));   /* Wednesday the 1st */
  assert_true(cron_day_matches(&either, day(2026, 7, 6)));   /* Monday */
  assert_true(cron_day_matches(&either, day(2026, 7, 15)));  /* Wednesday the 15th */
  assert_false(cron_day_matches(&either, day(2026, 7, 14))); /* Tuesday */
  /* day of month begins with '*': both must match */
  struct cron both = parse_ok("0 0 */2 * mon");
  assert_true(cron_day_matches(&both, day(2026, 7, 13)));  /* Monday, odd */
  assert_false(cron_day_matches(&both, day(2026, 7, 6)));  /* Monday, even */
  assert_false(cron_day_matches(&both, day(2026, 7, 15))); /* odd, Wednesday */
  /* only one side restricted */
  struct cron mondays = parse_ok("0 0 * * mon");
  assert_true(cron_day_matches(&mondays, day(2026, 7, 6)));
  assert_false(cron_day_matches(&mondays, day(2026, 7, 7)));
  struct cron thirteenth = parse_ok("0 0 13 * *");
  assert_true(cron_day_matches(&thirteenth, day(2026, 2, 13)));
  assert_false(cron_day_matches(&thirteenth, day(2026, 2, 14)));
  /* the month always has to match */
  struct cron july = parse_ok("0 0 1 jul mon");
  assert_false(cron_day_matches(&july, day(2026, 6, 1))); /* a Monday, but June */
  assert_true(cron_day_matches(&july, day(2026, 7, 27)));
  /* weekdays before 1970 and far ahead still come out right */
  struct cron thursday = parse_ok("0 0 * * thu");
  assert_true(cron_day_matches(&thursday, day(1970, 1, 1)));
  assert_true(cron_day_matches(&thursday, day(2999, 12, 26)));
  assert_false(cron_day_matches(&thursday, day(2999, 12, 27)));
}

static void test_next_day_rule(void **state) {
  (void)state;
  EXPECT_RUNS("UTC", "0 0 1,15 * mon", "2026-06-30T00:00:00Z", "2026-07-01T00:00:00+00:00",
              "2026-07-06T00:00:00+00:00", "2026-07-13T00:00:00+00:00", "2026-07-15T00:00:00+00:00",
              "2026-07-20T00:00:00+00:00", "2026-07-27T00:00:00+00:00",
              "2026-08-01T00:00:00+00:00");
  EXPECT_RUNS("UTC", "0 0 */2 * mon", "2026-07-01T00:00:00Z", "2026-07-13T00:00:00+00:00",
              "2026-07-27T00:00:00+00:00", "2026-08-03T00:00:00+00:00", "2026-08-17T00:00:00+00:00",
              "2026-08-31T00:00:00+00:00");
  EXPECT_RUNS("UTC", "0 9 * * mon-fri", "2026-06-05T10:00:00Z", /* a Friday */
              "2026-06-08T09:00:00+00:00", "2026-06-09T09:00:00+00:00");
  EXPECT_RUNS("UTC", "0 9 * * 1-5", "2026-06-05T08:59:59Z", "2026-06-05T09:00:00+00:00",
              "2026-06-08T09:00:00+00:00");
}

/* ---- next time ---- */

static void test_next_is_strictly_after(void **state) {
  (void)state;
  EXPECT_RUNS("UTC", "*/15 * * * *", "2026-06-15T10:07:00Z", "2026-06-15T10:15:00+00:00",
              "2026-06-15T10:30:00+00:00", "2026-06-15T10:45:00+00:00",
              "2026-06-15T11:00:00+00:00");
  EXPECT_RUNS("UTC", "*/15 * * * *", "2026-06-15T10:14:59Z", "2026-06-15T10:15:00+00:00");
  EXPECT_RUNS("UTC", "*/15 * * * *", "2026-06-15T10:15:00Z", "2026-06-15T10:30:00+00:00");
  EXPECT_RUNS("UTC", "* * * * *", "2026-06-15T10:15:30Z", "2026-06-15T10:16:00+00:00",
              "2026-06-15T10:17:00+00:00");
  EXPECT_RUNS("UTC", "59 23 * * *", "2026-06-15T23:59:00Z", "2026-06-16T23:59:00+00:00");
}

static void test_next_month_and_year_ends(void **state) {
  (void)state;
  EXPECT_RUNS("UTC", "0 0 1 * *", "2026-12-31T12:00:00Z", "2027-01-01T00:00:00+00:00",
              "2027-02-01T00:00:00+00:00");
  EXPECT_RUNS("UTC", "59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00+00:00");
  EXPECT_RUNS("UTC", "0 12 31 * *", "2026-04-15T00:00:00Z", "2026-05-31T12:00:00+00:00",
              "2026-07-31T12:00:00+00:00", "2026-08-31T12:00:00+00:00", "2026-10-31T12:00:00+00:00",
              "2026-12-31T12:00:00+00:00", "2027-01-31T12:00:00+00:00");
  EXPECT_RUNS("UTC", "30 6 30 * *", "2027-01-30T06:30:00Z", "2027-03-30T06:30:00+00:00");
  EXPECT_RUNS("UTC", "0 0 * * *", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00+00:00");
  /* local midnight of a new year east and west of UTC */
  EXPECT_RUNS("Asia/Kolkata", "0 0 1 1 *", "2026-06-15T00:00:00Z", "2027-01-01T00:00:00+05:30");
  EXPECT_RUNS("America/New_York", "@yearly", "2026-12-31T23:59:59-05:00",
              "2027-01-01T00:00:00-05:00", "2028-01-01T00:00:00-05:00");
}

static void test_next_leap_days(void **state) {
  (void)state;
  EXPECT_RUNS("UTC", "0 0 29 2 *", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00+00:00",
              "2032-02-29T00:00:00+00:00");
  /* 2100 is not a leap year */
  EXPECT_RUNS("UTC", "0 0 29 2 *", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00+00:00");
  EXPECT_RUNS("UTC", "0 0 28 2 *", "2028-02-28T00:00:00Z", "2029-02-28T00:00:00+00:00");
  /* the last day of February, either way */
  EXPECT_RUNS("UTC", "0 0 28,29 2 *", "2027-03-01T00:00:00Z", "2028-02-28T00:00:00+00:00",
              "2028-02-29T00:00:00+00:00", "2029-02-28T00:00:00+00:00");
  /* February 29 that is a Sunday: the rarest day there is, 28 then 40 years
   * apart, still within the search */
  EXPECT_RUNS("UTC", "0 0 29 2 */7", "2026-01-01T00:00:00Z", "2032-02-29T00:00:00+00:00",
              "2060-02-29T00:00:00+00:00", "2088-02-29T00:00:00+00:00",
              "2128-02-29T00:00:00+00:00");
  /* both sides restricted: February 29 or any Monday in February */
  EXPECT_RUNS("UTC", "0 0 29 2 mon", "2027-02-22T00:00:00Z", "2028-02-07T00:00:00+00:00",
              "2028-02-14T00:00:00+00:00", "2028-02-21T00:00:00+00:00", "2028-02-28T00:00:00+00:00",
              "2028-02-29T00:00:00+00:00");
}

static void test_next_shorthands(void **state) {
  (void)state;
  const char *after = "2026-06-15T10:30:00Z"; /* a Monday */
  EXPECT_RUNS("UTC", "@yearly", after, "2027-01-01T00:00:00+00:00");
  EXPECT_RUNS("UTC", "@monthly", after, "2026-07-01T00:00:00+00:00");
  EXPECT_RUNS("UTC", "@weekly", after, "2026-06-21T00:00:00+00:00");
  EXPECT_RUNS("UTC", "@daily", after, "2026-06-16T00:00:00+00:00");
  EXPECT_RUNS("UTC", "@hourly", after, "2026-06-15T11:00:00+00:00");
  EXPECT_RUNS("Asia/Kolkata", "0 9 * * *", "2026-06-15T00:00:00Z", "2026-06-15T09:00:00+05:30",
              "2026-06-16T09:00:00+05:30");
}

/* New York springs forward at 02:00 on 2026-03-08: 02:00-02:59 never happens. */
static void test_gap_new_york(void **state) {
  (void)state;
  const char *ny = "America/New_York";
  EXPECT_RUNS(ny, "30 2 * * *", "2026-03-08T00:00:00-05:00", "2026-03-08T03:00:00-04:00",
              "2026-03-09T02:30:00-04:00");
  EXPECT_RUNS(ny, "0 2 * * *", "2026-03-07T12:00:00-05:00", "2026-03-08T03:00:00-04:00",
              "2026-03-09T02:00:00-04:00");
  EXPECT_RUNS(ny, "59 2 * * sun", "2026-03-01T12:00:00-05:00", "2026-03-08T03:00:00-04:00",
              "2026-03-15T02:59:00-04:00");
  /* every skipped time lands on the gap's end: one run there */
  EXPECT_RUNS(ny, "*/15 * * * *", "2026-03-08T01:40:00-05:00", "2026-03-08T01:45:00-05:00",
              "2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00");
  EXPECT_RUNS(ny, "30 * * * *", "2026-03-08T01:00:00-05:00", "2026-03-08T01:30:00-05:00",
              "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00");
  EXPECT_RUNS(ny, "0 */2 * * *", "2026-03-07T23:00:00-05:00", "2026-03-08T00:00:00-05:00",
              "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00");
  EXPECT_RUNS(ny, "0,30 2,3 * * *", "2026-03-08T00:00:00-05:00", "2026-03-08T03:00:00-04:00",
              "2026-03-08T03:30:00-04:00", "2026-03-09T02:00:00-04:00");
  /* asked from inside the (real) hour after the gap, the gap's run is past */
  EXPECT_RUNS(ny, "30 2 * * *", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00");
}

/* New York falls back at 02:00 EDT on 2026-11-01: 01:00-01:59 happens twice. */
static void test_overlap_new_york(void **state) {
  (void)state;
  const char *ny = "America/New_York";
  /* fixed times: the first pass only */
  EXPECT_RUNS(ny, "30 1 * * *", "2026-11-01T00:00:00-04:00", "2026-11-01T01:30:00-04:00",
              "2026-11-02T01:30:00-05:00");
  EXPECT_RUNS(ny, "0,30 1 * * *", "2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00",
              "2026-11-01T01:30:00-04:00", "2026-11-02T01:00:00-05:00");
  /* asked during the second pass: the run already happened at the first */
  EXPECT_RUNS(ny, "30 1 * * *", "2026-11-01T01:10:00-05:00", "2026-11-02T01:30:00-05:00");
  /* 02:00 happens once (EST) */
  EXPECT_RUNS(ny, "0 2 * * *", "2026-11-01T00:00:00-04:00", "2026-11-01T02:00:00-05:00");
  /* wildcards: every real instant that matches */
  EXPECT_RUNS(ny, "0 * * * *", "2026-11-01T00:30:00-04:00", "2026-11-01T01:00:00-04:00",
              "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00");
  EXPECT_RUNS(ny, "*/30 1 * * *", "2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00",
              "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00",
              "2026-11-02T01:00:00-05:00");
  EXPECT_RUNS(ny, "*/20 * * * *", "2026-11-01T01:30:00-04:00", "2026-11-01T01:40:00-04:00",
              "2026-11-01T01:00:00-05:00", "2026-11-01T01:20:00-05:00");
}

/* Berlin: 2026-03-29 02:00 CET jumps to 03:00 CEST; 2026-10-25 03:00 CEST
 * falls back to 02:00 CET. */
static void test_dst_berlin(void **state) {
  (void)state;
  const char *b = "Europe/Berlin";
  EXPECT_RUNS(b, "30 2 * * *", "2026-03-29T00:00:00+01:00", "2026-03-29T03:00:00+02:00",
              "2026-03-30T02:30:00+02:00");
  EXPECT_RUNS(b, "0 * * * *", "2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00",
              "2026-03-29T04:00:00+02:00");
  EXPECT_RUNS(b, "30 2 * * *", "2026-10-25T00:00:00+02:00", "2026-10-25T02:30:00+02:00",
              "2026-10-26T02:30:00+01:00");
  EXPECT_RUNS(b, "0 * * * *", "2026-10-25T01:30:00+02:00", "2026-10-25T02:00:00+02:00",
              "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00");
  EXPECT_RUNS(b, "0 3 * * *", "2026-10-25T00:00:00+02:00", "2026-10-25T03:00:00+01:00");
}

/* Zones that change at midnight: the day itself starts late or repeats. */
static void test_dst_at_midnight(void **state) {
  (void)state;
  /* Santiago: 2026-09-06 starts at 01:00 -03; 2026-04-04 23:00-24:00 twice */
  const char *s = "America/Santiago";
  EXPECT_RUNS(s, "0 0 * * *", "2026-09-05T12:00:00-04:00", "2026-09-06T01:00:00-03:00",
              "2026-09-07T00:00:00-03:00");
  EXPECT_RUNS(s, "30 0 * * *", "2026-09-05T12:00:00-04:00", "2026-09-06T01:00:00-03:00",
              "2026-09-07T00:30:00-03:00");
  EXPECT_RUNS(s, "@hourly", "2026-09-05T22:30:00-04:00", "2026-09-05T23:00:00-04:00",
              "2026-09-06T01:00:00-03:00", "2026-09-06T02:00:00-03:00");
  EXPECT_RUNS(s, "30 23 * * *", "2026-04-04T12:00:00-03:00", "2026-04-04T23:30:00-03:00",
              "2026-04-05T23:30:00-04:00");
  EXPECT_RUNS(s, "*/30 23 * * *", "2026-04-04T12:00:00-03:00", "2026-04-04T23:00:00-03:00",
              "2026-04-04T23:30:00-03:00", "2026-04-04T23:00:00-04:00", "2026-04-04T23:30:00-04:00",
              "2026-04-05T23:00:00-04:00");
  EXPECT_RUNS(s, "0 0 * * *", "2026-04-04T12:00:00-03:00", "2026-04-05T00:00:00-04:00");
  /* Havana: midnight twice on 2026-11-01, skipped on 2026-03-08 */
  const char *h = "America/Havana";
  EXPECT_RUNS(h, "0 0 * * *", "2026-10-31T12:00:00-04:00", "2026-11-01T00:00:00-04:00",
              "2026-11-02T00:00:00-05:00");
  EXPECT_RUNS(h, "@hourly", "2026-10-31T23:30:00-04:00", "2026-11-01T00:00:00-04:00",
              "2026-11-01T00:00:00-05:00", "2026-11-01T01:00:00-05:00");
  EXPECT_RUNS(h, "0 0 * * *", "2026-03-07T12:00:00-05:00", "2026-03-08T01:00:00-04:00",
              "2026-03-09T00:00:00-04:00");
  EXPECT_RUNS(h, "@hourly", "2026-03-07T23:30:00-05:00", "2026-03-08T01:00:00-04:00",
              "2026-03-08T02:00:00-04:00");
  /* Beirut: midnight skipped on 2026-03-29; 23:00-24:00 twice on 2026-10-24 */
  const char *be = "Asia/Beirut";
  EXPECT_RUNS(be, "0 0 * * *", "2026-03-28T12:00:00+02:00", "2026-03-29T01:00:00+03:00",
              "2026-03-30T00:00:00+03:00");
  EXPECT_RUNS(be, "30 23 * * *", "2026-10-24T12:00:00+03:00", "2026-10-24T23:30:00+03:00",
              "2026-10-25T23:30:00+02:00");
}

/* Samoa skipped 2011-12-30 whole, from 23:59:59 -10:00 on the 29th to
 * 00:00 +14:00 on the 31st: that day's run happens when the 31st starts. */
static void test_skipped_day(void **state) {
  (void)state;
  EXPECT_RUNS("Pacific/Apia", "0 12 * * *", "2011-12-29T12:00:00-10:00",
              "2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00",
              "2012-01-01T12:00:00+14:00");
  EXPECT_RUNS("Pacific/Apia", "0 12 30 12 *", "2011-06-01T00:00:00-10:00",
              "2011-12-31T00:00:00+14:00", "2012-12-30T12:00:00+14:00");
  EXPECT_RUNS("Pacific/Apia", "0 */6 * * *", "2011-12-29T17:00:00-10:00",
              "2011-12-29T18:00:00-10:00", "2011-12-31T00:00:00+14:00",
              "2011-12-31T06:00:00+14:00");
}

/* Lord Howe Island moves its clocks by half an hour. */
static void test_dst_half_hour(void **state) {
  (void)state;
  const char *lh = "Australia/Lord_Howe";
  /* 2026-10-04: 02:00 +10:30 becomes 02:30 +11:00 */
  EXPECT_RUNS(lh, "15 2 * * *", "2026-10-03T12:00:00+10:30", "2026-10-04T02:30:00+11:00",
              "2026-10-05T02:15:00+11:00");
  /* 2026-04-05: 02:00 +11:00 becomes 01:30 +10:30 */
  EXPECT_RUNS(lh, "45 1 * * *", "2026-04-05T00:00:00+11:00", "2026-04-05T01:45:00+11:00",
              "2026-04-06T01:45:00+10:30");
  EXPECT_RUNS(lh, "*/15 1 * * *", "2026-04-05T00:00:00+11:00", "2026-04-05T01:00:00+11:00",
              "2026-04-05T01:15:00+11:00", "2026-04-05T01:30:00+11:00", "2026-04-05T01:45:00+11:00",
              "2026-04-05T01:30:00+10:30", "2026-04-05T01:45:00+10:30",
              "2026-04-06T01:00:00+10:30");
}

static const char *const dst_zones[] = {
    "America/New_York",    "Europe/Berlin", "America/Santiago",
    "America/Havana",      "Asia/Beirut",   "Australia/Lord_Howe",
    "America/Los_Angeles", "Asia/Kolkata",  "UTC"};

/* A wildcard job keeps its pace through every change of 2026: runs are
 * always 30 real minutes apart, and each falls on :00 or :30 local. */
static void test_half_hourly_keeps_pace(void **state) {
  (void)state;
  struct cron c = parse_ok("*/30 * * * *");
  for (size_t z = 0; z < N_OF(dst_zones); z++) {
    struct tz *tz = open_zone(dst_zones[z]);
    int64_t t = at("2026-01-01T00:00:00Z"), end = at("2027-01-01T00:00:00Z");
    int64_t prev = 0;
    while (t < end) {
      int64_t next = 0;
      int off = 0;
      assert_int_equal(cron_next(&c, tz, t, &next, NULL), MS_OK);
      assert_int_equal(tz_offset_at(tz, next, &off), MS_OK);
      int64_t local = next + off;
      if (((local % 1800) + 1800) % 1800 != 0)
        fail_msg("%s: run at %lld is not on a half hour", dst_zones[z], (long long)next);
      if (prev && next - prev != 1800)
        fail_msg("%s: runs %lld and %lld are %lld s apart", dst_zones[z], (long long)prev,
                 (long long)next, (long long)(next - prev));
      prev = t = next;
    }
    tz_free(tz);
  }
}

/* A fixed-time job runs exactly once on every local day of 2025-2027, even
 * on days whose time is skipped or repeated. */
static void test_fixed_time_once_a_day(void **state) {
  (void)state;
  const char *exprs[] = {"30 2 * * *", "0 0 * * *", "30 23 * * *", "45 1 * * *", "0 1 * * *"};
  for (size_t z = 0; z < N_OF(dst_zones); z++) {
    struct tz *tz = open_zone(dst_zones[z]);
    for (size_t e = 0; e < N_OF(exprs); e++) {
      struct cron c = parse_ok(exprs[e]);
      struct civil_date first = day(2025, 1, 1), want = first;
      int64_t start, end, t;
      assert_int_equal(tz_day_bounds(tz, first, &start, &end), MS_OK);
      t = start - 1;
      for (; date_cmp(want, day(2028, 1, 1)) < 0; want = date_add(want, 1)) {
        int64_t next = 0;
        struct civil_date got;
        assert_int_equal(cron_next(&c, tz, t, &next, NULL), MS_OK);
        assert_int_equal(tz_local_date(tz, next, &got), MS_OK);
        if (date_cmp(got, want) != 0) {
          char g[DATE_STR_LEN], w[DATE_STR_LEN];
          date_format(got, g);
          date_format(want, w);
          fail_msg("%s \"%s\": ran on %s, want one run on %s", dst_zones[z], exprs[e], g, w);
        }
        t = next;
      }
    }
    tz_free(tz);
  }
}

static void test_next_errors(void **state) {
  (void)state;
  struct tz *tz = open_zone("UTC");
  struct cron c = parse_ok("0 0 * * *");
  struct err err = {0};
  int64_t next = 42;
  assert_int_equal(cron_next(&c, tz, -1, &next, &err), MS_EINVAL);
  assert_string_equal(err.msg, "time -1 is outside 1970..3000");
  assert_int_equal(cron_next(&c, tz, CRON_TIME_MAX + 1, &next, &err), MS_EINVAL);
  assert_int_equal(next, 42);
  /* the latest time accepted still finds the next run */
  assert_int_equal(cron_next(&c, tz, CRON_TIME_MAX, &next, &err), MS_OK);
  assert_int_equal(next, CRON_TIME_MAX + 86400);
  /* no minute at all */
  struct cron empty = c;
  memset(empty.minutes, 0, sizeof(empty.minutes));
  assert_int_equal(cron_next(&empty, tz, 0, &next, &err), MS_EINVAL);
  assert_string_equal(err.msg, "the schedule names no time of day to run at");
  /* a hand-made set no day can match: not found, after a bounded search */
  struct cron never = c;
  never.mdays = 0;
  never.wdays = 0;
  never.flags = 0;
  err_clear(&err);
  next = 42;
  assert_int_equal(cron_next(&never, tz, 0, &next, &err), MS_ENOTFOUND);
  assert_string_equal(err.msg, "no time in the next 41 years matches the schedule");
  assert_int_equal(next, 42);
  tz_free(tz);
}

static void test_minute_set_bounds(void **state) {
  (void)state;
  struct cron c;
  memset(&c, 0, sizeof(c));
  cron_add_minute(&c, -1);
  cron_add_minute(&c, CRON_DAY_MINUTES);
  assert_int_equal(minutes_count(&c), 0);
  cron_add_minute(&c, 0);
  cron_add_minute(&c, 1439);
  cron_add_minute(&c, 64);
  assert_int_equal(minutes_count(&c), 3);
  assert_true(cron_has_minute(&c, 1439));
  assert_false(cron_has_minute(&c, 1440));
  assert_false(cron_has_minute(&c, -5));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_all_stars),
      cmocka_unit_test(test_parse_numbers_ranges_steps_lists),
      cmocka_unit_test(test_parse_names),
      cmocka_unit_test(test_parse_sunday_is_0_and_7),
      cmocka_unit_test(test_parse_shorthands),
      cmocka_unit_test(test_parse_wildcard_flag),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_parse_bounded_length),
      cmocka_unit_test(test_parse_keeps_out_on_error),
      cmocka_unit_test(test_day_rule_vixie),
      cmocka_unit_test(test_next_day_rule),
      cmocka_unit_test(test_next_is_strictly_after),
      cmocka_unit_test(test_next_month_and_year_ends),
      cmocka_unit_test(test_next_leap_days),
      cmocka_unit_test(test_next_shorthands),
      cmocka_unit_test(test_gap_new_york),
      cmocka_unit_test(test_overlap_new_york),
      cmocka_unit_test(test_dst_berlin),
      cmocka_unit_test(test_dst_at_midnight),
      cmocka_unit_test(test_dst_half_hour),
      cmocka_unit_test(test_skipped_day),
      cmocka_unit_test(test_half_hourly_keeps_pace),
      cmocka_unit_test(test_fixed_time_once_a_day),
      cmocka_unit_test(test_next_errors),
      cmocka_unit_test(test_minute_set_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
