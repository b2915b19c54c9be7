/* Schedule timing (intervals, daily times, windows, runs per day) and
 * date-range presets. Expected local times were checked against the IANA
 * rules (Python zoneinfo); an expected string carries the offset in force,
 * so it names one instant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/schedule_time.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_RUNS 4000 /* more than any day, span or year here holds */

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

static struct civil_date day(int y, int m, int d) {
  struct civil_date c = {y, m, d};
  return c;
}

static void local_str(struct tz *tz, int64_t t, char out[TIME_STR_LEN]) {
  int off = 0;
  assert_int_equal(tz_offset_at(tz, t, &off), MS_OK);
  time_format(t, off, 0, out);
}

static void assert_date(struct civil_date got, int y, int m, int d) {
  if (got.y != y || got.m != m || got.d != d)
    fail_msg("got %04d-%02d-%02d, want %04d-%02d-%02d", got.y, got.m, got.d, y, m, d);
}

/* A timing as the command line gives it: exactly one of every, cron and
 * daily_at; between and max_runs MAY be NULL. */
static struct schedule_timing timing(const char *every, const char *cron, const char *daily_at,
                                     const char *between, const char *max_runs) {
  struct schedule_timing t;
  struct err err = {0};
  memset(&t, 0, sizeof(t));
  if (every) {
    t.kind = SCHEDULE_EVERY;
    if (schedule_timing_parse_every(every, &t.every, &err))
      fail_msg("--every %s: %s", every, err.msg);
  } else if (cron) {
    t.kind = SCHEDULE_CRON;
    if (cron_parse(cron, &t.cron, &err))
      fail_msg("--cron %s: %s", cron, err.msg);
  } else {
    t.kind = SCHEDULE_DAILY_AT;
    if (schedule_timing_parse_daily_at(daily_at, &t.daily_at, &err))
      fail_msg("--daily-at %s: %s", daily_at, err.msg);
  }
  if (between) {
    t.has_window = 1;
    if (schedule_timing_parse_between(between, &t.window, &err))
      fail_msg("--between %s: %s", between, err.msg);
  }
  if (max_runs && schedule_timing_parse_max_runs(max_runs, &t.max_runs_per_day, &err))
    fail_msg("--max-runs-per-day %s: %s", max_runs, err.msg);
  return t;
}

#define EVERY(s) timing(s, NULL, NULL, NULL, NULL)
#define DAILY_AT(s) timing(NULL, NULL, s, NULL, NULL)

/* Plays the scheduler: from `from`, takes due times one after the other
 * until `until`, keeping the stored last due time and day count the way
 * the scheduler will. Returns how many, with their local times in out. */
static size_t play(const struct schedule_timing *t, struct tz *tz, int64_t from, int64_t until,
                   char (*out)[TIME_STR_LEN], size_t max) {
  int64_t last_due = SCHEDULE_NEVER, after = from;
  int count = 0;
  size_t n = 0;
  for (;;) {
    struct err err = {0};
    int64_t next = 0;
    int runs = 0;
    if (schedule_runs_on_day(tz, last_due, count, after, &runs, &err))
      fail_msg("schedule_runs_on_day: %s", err.msg);
    if (schedule_next(t, tz, after, runs, &next, &err))
      fail_msg("schedule_next: %s", err.msg);
    if (next <= after)
      fail_msg("schedule_next went back: %lld after %lld", (long long)next, (long long)after);
    if (next >= until)
      return n;
    if (n == max)
      fail_msg("more than %zu runs", max);
    local_str(tz, next, out[n++]);
    if (schedule_runs_on_day(tz, last_due, count, next, &count, &err))
      fail_msg("schedule_runs_on_day: %s", err.msg);
    count++;
    last_due = after = next;
  }
}

static void compare_runs(const char *what, char (*got)[TIME_STR_LEN], size_t n,
                         const char *const *want, size_t nwant) {
  for (size_t i = 0; i < n && i < nwant; i++)
    if (strcmp(got[i], want[i]) != 0)
      fail_msg("%s: run %zu is %s, want %s", what, i + 1, got[i], want[i]);
  if (n != nwant)
    fail_msg("%s: %zu runs, want %zu (first extra or missing: %s)", what, n, nwant,
             n > nwant ? got[nwant] : want[n]);
}

/* The runs on one local day. */
static void expect_day(const char *zone, const struct schedule_timing *t, struct civil_date d,
                       const char *const *want, size_t nwant) {
  static char got[MAX_RUNS][TIME_STR_LEN];
  char what[128], name[DATE_STR_LEN];
  struct tz *tz = open_zone(zone);
  int64_t start, end;
  assert_int_equal(tz_day_bounds(tz, d, &start, &end), MS_OK);
  size_t n = play(t, tz, start - 1, end, got, MAX_RUNS);
  date_format(d, name);
  snprintf(what, sizeof(what), "%s %s", zone, name);
  compare_runs(what, got, n, want, nwant);
  tz_free(tz);
}

#define EXPECT_DAY(zone, t, d, ...)                                                                \
  do {                                                                                             \
    const struct schedule_timing t_ = (t);                                                         \
    const char *const want_[] = {__VA_ARGS__};                                                     \
    expect_day(zone, &t_, d, want_, N_OF(want_));                                                  \
  } while (0)

/* The runs between two instants. */
static void expect_span(const char *zone, const struct schedule_timing *t, const char *from,
                        const char *until, const char *const *want, size_t nwant) {
  static char got[MAX_RUNS][TIME_STR_LEN];
  char what[128];
  struct tz *tz = open_zone(zone);
  size_t n = play(t, tz, at(from), at(until), got, MAX_RUNS);
  snprintf(what, sizeof(what), "%s from %s", zone, from);
  compare_runs(what, got, n, want, nwant);
  tz_free(tz);
}

#define EXPECT_SPAN(zone, t, from, until, ...)                                                     \
  do {                                                                                             \
    const struct schedule_timing t_ = (t);                                                         \
    const char *const want_[] = {__VA_ARGS__};                                                     \
    expect_span(zone, &t_, from, until, want_, N_OF(want_));                                       \
  } while (0)

static size_t count_day(const char *zone, const struct schedule_timing *t, struct civil_date d) {
  static char got[MAX_RUNS][TIME_STR_LEN];
  struct tz *tz = open_zone(zone);
  int64_t start, end;
  assert_int_equal(tz_day_bounds(tz, d, &start, &end), MS_OK);
  size_t n = play(t, tz, start - 1, end, got, MAX_RUNS);
  tz_free(tz);
  return n;
}

/* ---- parsers ---- */

static void test_parse_every(void **state) {
  (void)state;
  const struct {
    const char *s;
    int seconds;
  } ok[] = {{"10m", 600},     {"30m", 1800},  {"1h", 3600},  {"2h", 7200}, {"6h", 21600},
            {"12h", 43200},   {"24h", 86400}, {"90m", 5400}, {"1m", 60},   {"7m", 420},
            {"1440m", 86400}, {"10M", 600},   {"2H", 7200},  {"010m", 600}};
  for (size_t i = 0; i < N_OF(ok); i++) {
    int secs = 0;
    struct err err = {0};
    if (schedule_timing_parse_every(ok[i].s, &secs, &err) != MS_OK)
      fail_msg("'%s': %s", ok[i].s, err.msg);
    assert_int_equal(secs, ok[i].seconds);
  }
  const char *bad[] = {"",     "0m",   "0h",   "25h",    "1441m",   "10",   "m",
                       "10 m", "10mm", "-10m", "+10m",   "1.5h",    "10s",  "1d",
                       " 10m", "10m ", "h2",   "99999h", "123456m", "1h30m"};
  for (size_t i = 0; i < N_OF(bad); i++) {
    int secs = 77;
    struct err err = {0};
    if (schedule_timing_parse_every(bad[i], &secs, &err) != MS_EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(secs, 77);
    assert_true(strlen(err.msg) > 0);
  }
  struct err err = {0};
  int secs;
  assert_int_equal(schedule_timing_parse_every("3x", &secs, &err), MS_EINVAL);
  assert_string_equal(err.msg, "'3x' is not an interval; write a whole number of minutes or "
                               "hours, e.g. 10m, 90m or 2h");
  assert_int_equal(schedule_timing_parse_every("25h", &secs, &err), MS_EINVAL);
  assert_string_equal(err.msg, "interval 25h is out of range; use 1m to 24h");
  assert_int_equal(schedule_timing_parse_every(NULL, &secs, &err), MS_EINVAL);
  assert_int_equal(schedule_timing_parse_every("1000000000000000000000000000000000m", &secs, &err),
                   MS_EINVAL);
}

static void test_parse_daily_at(void **state) {
  (void)state;
  const struct {
    const char *s;
    int minute;
  } ok[] = {{"02:00", 120},  {"2:00", 120},  {"00:00", 0},
            {"23:59", 1439}, {"04:00", 240}, {"12:30", 750}};
  for (size_t i = 0; i < N_OF(ok); i++) {
    int m = -1;
    struct err err = {0};
    if (schedule_timing_parse_daily_at(ok[i].s, &m, &err) != MS_OK)
      fail_msg("'%s': %s", ok[i].s, err.msg);
    assert_int_equal(m, ok[i].minute);
  }
  const char *bad[] = {"24:00",  "12:60",  "2:0",    "02:00:00", "0200", "",      " 02:00",
                       "02:00 ", "123:00", "02:000", "-1:00",    "2h",   "02.00", "ab:cd"};
  for (size_t i = 0; i < N_OF(bad); i++) {
    int m = -1;
    struct err err = {0};
    if (schedule_timing_parse_daily_at(bad[i], &m, &err) != MS_EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(m, -1);
  }
  struct err err = {0};
  int m;
  assert_int_equal(schedule_timing_parse_daily_at("25:00", &m, &err), MS_EINVAL);
  assert_string_equal(err.msg,
                      "'25:00' is not a time of day; write HH:MM from 00:00 to 23:59, e.g. 02:00");
  assert_int_equal(schedule_timing_parse_daily_at(NULL, &m, &err), MS_EINVAL);
}

static void test_parse_between(void **state) {
  (void)state;
  struct schedule_window w;
  struct err err = {0};
  assert_int_equal(schedule_timing_parse_between("06:00-22:00", &w, &err), MS_OK);
  assert_int_equal(w.start, 360);
  assert_int_equal(w.end, 1320);
  assert_int_equal(schedule_timing_parse_between("22:00-06:00", &w, &err), MS_OK);
  assert_int_equal(w.start, 1320);
  assert_int_equal(w.end, 360);
  assert_int_equal(schedule_timing_parse_between("0:00-23:59", &w, &err), MS_OK);
  assert_int_equal(w.end, 1439);
  const char *bad[] = {"06:00",       "06:00-",       "-22:00", "06:00-24:00", "06:00 - 22:00",
                       "06:00_22:00", "06:00-22:00-", "",       "6-22",        "06:00-22:00x"};
  for (size_t i = 0; i < N_OF(bad); i++) {
    struct schedule_window before = {1, 2}, v = before;
    err_clear(&err);
    if (schedule_timing_parse_between(bad[i], &v, &err) != MS_EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(v.start, 1);
    assert_string_not_equal(err.msg, "");
  }
  assert_int_equal(schedule_timing_parse_between("06:00-06:00", &w, &err), MS_EINVAL);
  assert_string_equal(err.msg, "window 06:00-06:00 starts and ends at the same minute; leave the "
                               "window out to run all day");
  assert_int_equal(schedule_timing_parse_between("6-22", &w, &err), MS_EINVAL);
  assert_string_equal(err.msg, "'6-22' is not a window; write HH:MM-HH:MM, e.g. 06:00-22:00 (or "
                               "22:00-06:00 across midnight)");
}

static void test_parse_max_runs(void **state) {
  (void)state;
  int n = 0;
  struct err err = {0};
  assert_int_equal(schedule_timing_parse_max_runs("1", &n, &err), MS_OK);
  assert_int_equal(n, 1);
  assert_int_equal(schedule_timing_parse_max_runs("1440", &n, &err), MS_OK);
  assert_int_equal(n, 1440);
  assert_int_equal(schedule_timing_parse_max_runs("12", &n, &err), MS_OK);
  assert_int_equal(n, 12);
  const char *bad[] = {"0", "1441", "-1", "", "3x", " 3", "3 ", "+3", "999999999999"};
  for (size_t i = 0; i < N_OF(bad); i++) {
    n = 5;
    if (schedule_timing_parse_max_runs(bad[i], &n, &err) != MS_EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(n, 5);
  }
  assert_string_equal(err.msg, "'999999999999' is not a number of runs per day; use 1 to 1440");
  assert_int_equal(schedule_timing_parse_max_runs(NULL, &n, &err), MS_EINVAL);
}

static void test_compile_errors(void **state) {
  (void)state;
  struct schedule_timing t;
  struct cron c;
  struct err err = {0};
  memset(&t, 0, sizeof(t));
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);
  assert_string_equal(err.msg, "schedule has no timing: give --every, --cron or --daily-at");

  t = EVERY("10m");
  t.every = 30;
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);
  t.every = 90;
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);
  assert_string_equal(err.msg,
                      "interval of 90 seconds is not a whole number of minutes from 1m to 24h");
  t.every = 86460;
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);

  t = DAILY_AT("02:00");
  t.daily_at = 1440;
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);
  t.daily_at = -1;
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);

  t = EVERY("1h");
  t.max_runs_per_day = -1;
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);
  t.max_runs_per_day = 1441;
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);
  assert_string_equal(err.msg, "max runs per day 1441 is out of range; use 1 to 1440 (0: no "
                               "limit)");

  t = EVERY("1h");
  t.has_window = 1;
  t.window.start = 60;
  t.window.end = 60;
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);
  t.window.end = 1440;
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);

  /* windows that leave nothing to run */
  t = timing("6h", NULL, NULL, "07:00-11:00", NULL);
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);
  assert_string_equal(err.msg, "the schedule never runs: none of its times falls inside the "
                               "window 07:00-11:00");
  t = timing(NULL, NULL, "02:00", "06:00-22:00", NULL);
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);
  t = timing(NULL, "30 12 * * *", NULL, "22:00-06:00", NULL);
  assert_int_equal(schedule_timing_compile(&t, &c, &err), MS_EINVAL);

  /* schedule_next reports the same, and checks its own inputs */
  struct tz *tz = open_zone("UTC");
  int64_t next = 9;
  assert_int_equal(schedule_next(&t, tz, 0, 0, &next, &err), MS_EINVAL);
  t = EVERY("1h");
  assert_int_equal(schedule_next(&t, tz, 0, -1, &next, &err), MS_EINVAL);
  assert_int_equal(schedule_next(&t, tz, -5, 0, &next, &err), MS_EINVAL);
  assert_int_equal(schedule_next(&t, tz, CRON_TIME_MAX + 1, 0, &next, &err), MS_EINVAL);
  assert_int_equal(next, 9);
  tz_free(tz);
}

static void test_compile_sets(void **state) {
  (void)state;
  struct cron c;
  struct schedule_timing t = EVERY("90m");
  assert_int_equal(schedule_timing_compile(&t, &c, NULL), MS_OK);
  for (int m = 0; m < CRON_DAY_MINUTES; m++)
    assert_int_equal(cron_has_minute(&c, m), m % 90 == 0);
  assert_true(c.flags & CRON_WILD);
  t = EVERY("24h");
  assert_int_equal(schedule_timing_compile(&t, &c, NULL), MS_OK);
  assert_true(cron_has_minute(&c, 0));
  assert_false(c.flags & CRON_WILD);
  t = DAILY_AT("04:00");
  assert_int_equal(schedule_timing_compile(&t, &c, NULL), MS_OK);
  assert_true(cron_has_minute(&c, 240));
  assert_false(cron_has_minute(&c, 0));
  assert_false(c.flags & CRON_WILD);
  /* the window keeps the cron expression's days and flags */
  t = timing(NULL, "*/20 * * * mon", NULL, "09:00-10:00", NULL);
  assert_int_equal(schedule_timing_compile(&t, &c, NULL), MS_OK);
  assert_int_equal(c.wdays, 1u << 1);
  assert_true(c.flags & CRON_WILD);
  for (int m = 0; m < CRON_DAY_MINUTES; m++)
    assert_int_equal(cron_has_minute(&c, m), m >= 540 && m <= 600 && m % 20 == 0);
}

/* ---- seed 002: the four order-sync schedules ---- */

#define NEW_ORDERS timing("2h", NULL, NULL, "06:00-22:00", NULL)
#define MODIFIED DAILY_AT("02:00")
#define CARE DAILY_AT("04:00")
#define INCOMPLETE EVERY("4h")

static void test_seed_schedules_normal_day(void **state) {
  (void)state;
  struct civil_date d = day(2026, 6, 15);
  EXPECT_DAY("Europe/Berlin", NEW_ORDERS, d, "2026-06-15T06:00:00+02:00",
             "2026-06-15T08:00:00+02:00", "2026-06-15T10:00:00+02:00", "2026-06-15T12:00:00+02:00",
             "2026-06-15T14:00:00+02:00", "2026-06-15T16:00:00+02:00", "2026-06-15T18:00:00+02:00",
             "2026-06-15T20:00:00+02:00", "2026-06-15T22:00:00+02:00");
  EXPECT_DAY("Europe/Berlin", MODIFIED, d, "2026-06-15T02:00:00+02:00");
  EXPECT_DAY("Europe/Berlin", CARE, d, "2026-06-15T04:00:00+02:00");
  EXPECT_DAY("Europe/Berlin", INCOMPLETE, d, "2026-06-15T00:00:00+02:00",
             "2026-06-15T04:00:00+02:00", "2026-06-15T08:00:00+02:00", "2026-06-15T12:00:00+02:00",
             "2026-06-15T16:00:00+02:00", "2026-06-15T20:00:00+02:00");
  EXPECT_DAY("America/New_York", NEW_ORDERS, d, "2026-06-15T06:00:00-04:00",
             "2026-06-15T08:00:00-04:00", "2026-06-15T10:00:00-04:00", "2026-06-15T12:00:00-04:00",
             "2026-06-15T14:00:00-04:00", "2026-06-15T16:00:00-04:00", "2026-06-15T18:00:00-04:00",
             "2026-06-15T20:00:00-04:00", "2026-06-15T22:00:00-04:00");
  EXPECT_DAY("America/New_York", MODIFIED, d, "2026-06-15T02:00:00-04:00");
  EXPECT_DAY("America/New_York", CARE, d, "2026-06-15T04:00:00-04:00");
  EXPECT_DAY("America/New_York", INCOMPLETE, d, "2026-06-15T00:00:00-04:00",
             "2026-06-15T04:00:00-04:00", "2026-06-15T08:00:00-04:00", "2026-06-15T12:00:00-04:00",
             "2026-06-15T16:00:00-04:00", "2026-06-15T20:00:00-04:00");
}

/* Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST, a 23-hour day. */
static void test_seed_schedules_berlin_spring(void **state) {
  (void)state;
  struct civil_date d = day(2026, 3, 29);
  EXPECT_DAY("Europe/Berlin", NEW_ORDERS, d, "2026-03-29T06:00:00+02:00",
             "2026-03-29T08:00:00+02:00", "2026-03-29T10:00:00+02:00", "2026-03-29T12:00:00+02:00",
             "2026-03-29T14:00:00+02:00", "2026-03-29T16:00:00+02:00", "2026-03-29T18:00:00+02:00",
             "2026-03-29T20:00:00+02:00", "2026-03-29T22:00:00+02:00");
  /* 02:00 does not exist that night: the run happens when the gap ends */
  EXPECT_DAY("Europe/Berlin", MODIFIED, d, "2026-03-29T03:00:00+02:00");
  EXPECT_DAY("Europe/Berlin", CARE, d, "2026-03-29T04:00:00+02:00");
  EXPECT_DAY("Europe/Berlin", INCOMPLETE, d, "2026-03-29T00:00:00+01:00",
             "2026-03-29T04:00:00+02:00", "2026-03-29T08:00:00+02:00", "2026-03-29T12:00:00+02:00",
             "2026-03-29T16:00:00+02:00", "2026-03-29T20:00:00+02:00");
}

/* Berlin 2026-10-25: 03:00 CEST falls back to 02:00 CET, a 25-hour day. */
static void test_seed_schedules_berlin_autumn(void **state) {
  (void)state;
  struct civil_date d = day(2026, 10, 25);
  EXPECT_DAY("Europe/Berlin", NEW_ORDERS, d, "2026-10-25T06:00:00+01:00",
             "2026-10-25T08:00:00+01:00", "2026-10-25T10:00:00+01:00", "2026-10-25T12:00:00+01:00",
             "2026-10-25T14:00:00+01:00", "2026-10-25T16:00:00+01:00", "2026-10-25T18:00:00+01:00",
             "2026-10-25T20:00:00+01:00", "2026-10-25T22:00:00+01:00");
  /* 02:00 happens twice: once, at the first pass (CEST) */
  EXPECT_DAY("Europe/Berlin", MODIFIED, d, "2026-10-25T02:00:00+02:00");
  EXPECT_DAY("Europe/Berlin", CARE, d, "2026-10-25T04:00:00+01:00");
  EXPECT_DAY("Europe/Berlin", INCOMPLETE, d, "2026-10-25T00:00:00+02:00",
             "2026-10-25T04:00:00+01:00", "2026-10-25T08:00:00+01:00", "2026-10-25T12:00:00+01:00",
             "2026-10-25T16:00:00+01:00", "2026-10-25T20:00:00+01:00");
}

/* New York 2026-03-08: 02:00 EST jumps to 03:00 EDT. */
static void test_seed_schedules_new_york_spring(void **state) {
  (void)state;
  struct civil_date d = day(2026, 3, 8);
  EXPECT_DAY("America/New_York", NEW_ORDERS, d, "2026-03-08T06:00:00-04:00",
             "2026-03-08T08:00:00-04:00", "2026-03-08T10:00:00-04:00", "2026-03-08T12:00:00-04:00",
             "2026-03-08T14:00:00-04:00", "2026-03-08T16:00:00-04:00", "2026-03-08T18:00:00-04:00",
             "2026-03-08T20:00:00-04:00", "2026-03-08T22:00:00-04:00");
  EXPECT_DAY("America/New_York", MODIFIED, d, "2026-03-08T03:00:00-04:00");
  EXPECT_DAY("America/New_York", CARE, d, "2026-03-08T04:00:00-04:00");
  EXPECT_DAY("America/New_York", INCOMPLETE, d, "2026-03-08T00:00:00-05:00",
             "2026-03-08T04:00:00-04:00", "2026-03-08T08:00:00-04:00", "2026-03-08T12:00:00-04:00",
             "2026-03-08T16:00:00-04:00", "2026-03-08T20:00:00-04:00");
}

/* New York 2026-11-01: 02:00 EDT falls back to 01:00 EST. */
static void test_seed_schedules_new_york_autumn(void **state) {
  (void)state;
  struct civil_date d = day(2026, 11, 1);
  EXPECT_DAY("America/New_York", NEW_ORDERS, d, "2026-11-01T06:00:00-05:00",
             "2026-11-01T08:00:00-05:00", "2026-11-01T10:00:00-05:00", "2026-11-01T12:00:00-05:00",
             "2026-11-01T14:00:00-05:00", "2026-11-01T16:00:00-05:00", "2026-11-01T18:00:00-05:00",
             "2026-11-01T20:00:00-05:00", "2026-11-01T22:00:00-05:00");
  /* the repeated hour is 01:00-01:59; 02:00 happens once, in EST */
  EXPECT_DAY("America/New_York", MODIFIED, d, "2026-11-01T02:00:00-05:00");
  EXPECT_DAY("America/New_York", CARE, d, "2026-11-01T04:00:00-05:00");
  EXPECT_DAY("America/New_York", INCOMPLETE, d, "2026-11-01T00:00:00-04:00",
             "2026-11-01T04:00:00-05:00", "2026-11-01T08:00:00-05:00", "2026-11-01T12:00:00-05:00",
             "2026-11-01T16:00:00-05:00", "2026-11-01T20:00:00-05:00");
}

/* The seed schedules run the same number of times on every local day of
 * 2026 in both zones: 9, 1, 1 and 6. */
static void test_seed_schedules_every_day_of_a_year(void **state) {
  (void)state;
  const char *zones[] = {"Europe/Berlin", "America/New_York"};
  const struct schedule_timing t[] = {NEW_ORDERS, MODIFIED, CARE, INCOMPLETE};
  const size_t per_day[] = {9, 1, 1, 6};
  static char got[MAX_RUNS][TIME_STR_LEN];
  for (size_t z = 0; z < N_OF(zones); z++) {
    struct tz *tz = open_zone(zones[z]);
    int64_t start, end, unused;
    assert_int_equal(tz_day_bounds(tz, day(2026, 1, 1), &start, &unused), MS_OK);
    assert_int_equal(tz_day_bounds(tz, day(2027, 1, 1), &end, &unused), MS_OK);
    for (size_t i = 0; i < N_OF(t); i++) {
      size_t n = play(&t[i], tz, start - 1, end, got, MAX_RUNS);
      if (n != 365 * per_day[i])
        fail_msg("%s schedule %zu: %zu runs in 2026, want %zu", zones[z], i + 1, n,
                 365 * per_day[i]);
    }
    tz_free(tz);
  }
}

/* ---- intervals ---- */

static void test_every_hour_on_dst_days(void **state) {
  (void)state;
  const char *ny = "America/New_York";
  /* 23 runs: 02:00 falls in the gap and joins 03:00 */
  EXPECT_SPAN(ny, EVERY("1h"), "2026-03-08T00:30:00-05:00", "2026-03-08T04:30:00-04:00",
              "2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00",
              "2026-03-08T04:00:00-04:00");
  struct schedule_timing hourly = EVERY("1h");
  assert_int_equal(count_day(ny, &hourly, day(2026, 3, 8)), 23);
  /* 25 runs: both 01:00 */
  EXPECT_SPAN(ny, EVERY("1h"), "2026-11-01T00:30:00-04:00", "2026-11-01T03:30:00-05:00",
              "2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00",
              "2026-11-01T03:00:00-05:00");
  assert_int_equal(count_day(ny, &hourly, day(2026, 11, 1)), 25);
  assert_int_equal(count_day(ny, &hourly, day(2026, 6, 15)), 24);
  /* every 10 minutes keeps its pace through the repeated hour */
  struct schedule_timing ten = EVERY("10m");
  assert_int_equal(count_day(ny, &ten, day(2026, 11, 1)), 150);
  assert_int_equal(count_day(ny, &ten, day(2026, 3, 8)), 138);
  assert_int_equal(count_day("Europe/Berlin", &ten, day(2026, 10, 25)), 150);
}

static void test_every_aligned_to_local_midnight(void **state) {
  (void)state;
  EXPECT_DAY("UTC", EVERY("90m"), day(2026, 6, 15), "2026-06-15T00:00:00+00:00",
             "2026-06-15T01:30:00+00:00", "2026-06-15T03:00:00+00:00", "2026-06-15T04:30:00+00:00",
             "2026-06-15T06:00:00+00:00", "2026-06-15T07:30:00+00:00", "2026-06-15T09:00:00+00:00",
             "2026-06-15T10:30:00+00:00", "2026-06-15T12:00:00+00:00", "2026-06-15T13:30:00+00:00",
             "2026-06-15T15:00:00+00:00", "2026-06-15T16:30:00+00:00", "2026-06-15T18:00:00+00:00",
             "2026-06-15T19:30:00+00:00", "2026-06-15T21:00:00+00:00", "2026-06-15T22:30:00+00:00");
  /* an interval that does not divide the day starts again at midnight */
  EXPECT_SPAN("UTC", EVERY("7m"), "2026-06-15T23:40:00Z", "2026-06-16T00:15:00Z",
              "2026-06-15T23:41:00+00:00", "2026-06-15T23:48:00+00:00", "2026-06-15T23:55:00+00:00",
              "2026-06-16T00:00:00+00:00", "2026-06-16T00:07:00+00:00",
              "2026-06-16T00:14:00+00:00");
  struct schedule_timing seven = EVERY("7m");
  assert_int_equal(count_day("UTC", &seven, day(2026, 6, 15)), 206);
  /* local midnight, not UTC's: Kolkata is +05:30 */
  EXPECT_SPAN("Asia/Kolkata", EVERY("12h"), "2026-06-14T18:00:00Z", "2026-06-15T18:00:00Z",
              "2026-06-15T00:00:00+05:30", "2026-06-15T12:00:00+05:30");
  EXPECT_DAY("UTC", EVERY("24h"), day(2026, 6, 15), "2026-06-15T00:00:00+00:00");
  EXPECT_DAY("UTC", EVERY("1440m"), day(2026, 2, 28), "2026-02-28T00:00:00+00:00");
}

/* Havana repeats midnight on 2026-11-01 and skips it on 2026-03-08. */
static void test_every_at_a_midnight_change(void **state) {
  (void)state;
  const char *h = "America/Havana";
  EXPECT_DAY(h, EVERY("24h"), day(2026, 11, 1), "2026-11-01T00:00:00-04:00");
  EXPECT_DAY(h, EVERY("12h"), day(2026, 11, 1), "2026-11-01T00:00:00-04:00",
             "2026-11-01T00:00:00-05:00", "2026-11-01T12:00:00-05:00");
  EXPECT_DAY(h, EVERY("24h"), day(2026, 3, 8), "2026-03-08T01:00:00-04:00");
  EXPECT_DAY("America/Santiago", EVERY("6h"), day(2026, 9, 6), "2026-09-06T01:00:00-03:00",
             "2026-09-06T06:00:00-03:00", "2026-09-06T12:00:00-03:00", "2026-09-06T18:00:00-03:00");
}

/* ---- daily at ---- */

static void test_daily_at_dst(void **state) {
  (void)state;
  const char *ny = "America/New_York";
  /* skipped: runs when the gap ends */
  EXPECT_DAY(ny, DAILY_AT("02:30"), day(2026, 3, 8), "2026-03-08T03:00:00-04:00");
  EXPECT_SPAN(ny, DAILY_AT("02:30"), "2026-03-07T00:00:00-05:00", "2026-03-10T00:00:00-04:00",
              "2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00",
              "2026-03-09T02:30:00-04:00");
  /* repeated: the first pass only */
  EXPECT_DAY(ny, DAILY_AT("01:30"), day(2026, 11, 1), "2026-11-01T01:30:00-04:00");
  EXPECT_DAY(ny, DAILY_AT("01:00"), day(2026, 11, 1), "2026-11-01T01:00:00-04:00");
  EXPECT_DAY("Europe/Berlin", DAILY_AT("02:30"), day(2026, 10, 25), "2026-10-25T02:30:00+02:00");
  EXPECT_DAY("Europe/Berlin", DAILY_AT("02:59"), day(2026, 3, 29), "2026-03-29T03:00:00+02:00");
  /* a midnight that does not happen, and one that happens twice */
  EXPECT_DAY("America/Santiago", DAILY_AT("00:00"), day(2026, 9, 6), "2026-09-06T01:00:00-03:00");
  EXPECT_DAY("America/Santiago", DAILY_AT("00:30"), day(2026, 9, 6), "2026-09-06T01:00:00-03:00");
  EXPECT_DAY("America/Santiago", DAILY_AT("23:30"), day(2026, 4, 4), "2026-04-04T23:30:00-03:00");
  EXPECT_DAY("America/Havana", DAILY_AT("00:00"), day(2026, 11, 1), "2026-11-01T00:00:00-04:00");
  EXPECT_DAY("Asia/Beirut", DAILY_AT("00:15"), day(2026, 3, 29), "2026-03-29T01:00:00+03:00");
  EXPECT_DAY("Australia/Lord_Howe", DAILY_AT("02:10"), day(2026, 10, 4),
             "2026-10-04T02:30:00+11:00");
  EXPECT_DAY("Australia/Lord_Howe", DAILY_AT("01:40"), day(2026, 4, 5),
             "2026-04-05T01:40:00+11:00");
}

/* ---- windows ---- */

static void test_window_ends_included(void **state) {
  (void)state;
  EXPECT_DAY("UTC", timing("30m", NULL, NULL, "06:00-07:00", NULL), day(2026, 6, 15),
             "2026-06-15T06:00:00+00:00", "2026-06-15T06:30:00+00:00", "2026-06-15T07:00:00+00:00");
  EXPECT_DAY("UTC", timing(NULL, "*/20 * * * *", NULL, "09:00-10:00", NULL), day(2026, 6, 15),
             "2026-06-15T09:00:00+00:00", "2026-06-15T09:20:00+00:00", "2026-06-15T09:40:00+00:00",
             "2026-06-15T10:00:00+00:00");
  EXPECT_DAY("UTC", timing("1h", NULL, NULL, "06:01-07:59", NULL), day(2026, 6, 15),
             "2026-06-15T07:00:00+00:00");
  EXPECT_DAY("UTC", timing(NULL, NULL, "06:00", "06:00-06:01", NULL), day(2026, 6, 15),
             "2026-06-15T06:00:00+00:00");
}

static void test_window_wraps_midnight(void **state) {
  (void)state;
  EXPECT_DAY("UTC", timing("1h", NULL, NULL, "22:00-06:00", NULL), day(2026, 6, 15),
             "2026-06-15T00:00:00+00:00", "2026-06-15T01:00:00+00:00", "2026-06-15T02:00:00+00:00",
             "2026-06-15T03:00:00+00:00", "2026-06-15T04:00:00+00:00", "2026-06-15T05:00:00+00:00",
             "2026-06-15T06:00:00+00:00", "2026-06-15T22:00:00+00:00", "2026-06-15T23:00:00+00:00");
  /* a night shift across the turn of a year */
  EXPECT_SPAN("Europe/Berlin", timing("2h", NULL, NULL, "23:00-03:00", NULL),
              "2026-12-31T12:00:00+01:00", "2027-01-01T12:00:00+01:00", "2027-01-01T00:00:00+01:00",
              "2027-01-01T02:00:00+01:00");
  EXPECT_SPAN("Europe/Berlin", timing("30m", NULL, NULL, "23:30-00:30", NULL),
              "2026-12-31T12:00:00+01:00", "2027-01-01T12:00:00+01:00", "2026-12-31T23:30:00+01:00",
              "2027-01-01T00:00:00+01:00", "2027-01-01T00:30:00+01:00");
}

/* The window looks at a run's nominal time, so a run the gap moves out of
 * the window still happens. */
static void test_window_nominal_time_in_gap(void **state) {
  (void)state;
  EXPECT_DAY("America/New_York", timing("30m", NULL, NULL, "01:00-02:30", NULL), day(2026, 3, 8),
             "2026-03-08T01:00:00-05:00", "2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00");
  /* and both passes of a repeated hour are inside it */
  EXPECT_DAY("America/New_York", timing("30m", NULL, NULL, "01:00-01:59", NULL), day(2026, 11, 1),
             "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00",
             "2026-11-01T01:30:00-05:00");
}

/* ---- runs per day ---- */

static void test_max_runs_per_day(void **state) {
  (void)state;
  EXPECT_SPAN("UTC", timing("10m", NULL, NULL, NULL, "3"), "2026-06-14T23:59:59Z",
              "2026-06-17T00:00:00Z", "2026-06-15T00:00:00+00:00", "2026-06-15T00:10:00+00:00",
              "2026-06-15T00:20:00+00:00", "2026-06-16T00:00:00+00:00", "2026-06-16T00:10:00+00:00",
              "2026-06-16T00:20:00+00:00");
  EXPECT_DAY("Europe/Berlin", timing("2h", NULL, NULL, "06:00-22:00", "4"), day(2026, 6, 15),
             "2026-06-15T06:00:00+02:00", "2026-06-15T08:00:00+02:00", "2026-06-15T10:00:00+02:00",
             "2026-06-15T12:00:00+02:00");
  /* the limit counts local days, not UTC ones */
  EXPECT_SPAN("America/New_York", timing("1h", NULL, NULL, NULL, "2"), "2026-06-14T23:59:59-04:00",
              "2026-06-16T12:00:00Z", "2026-06-15T00:00:00-04:00", "2026-06-15T01:00:00-04:00",
              "2026-06-16T00:00:00-04:00", "2026-06-16T01:00:00-04:00");
  /* both passes of a repeated hour are runs of that day */
  EXPECT_SPAN("America/New_York", timing("1h", NULL, NULL, NULL, "3"), "2026-10-31T23:30:00-04:00",
              "2026-11-02T12:00:00-05:00", "2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00",
              "2026-11-01T01:00:00-05:00", "2026-11-02T00:00:00-05:00", "2026-11-02T01:00:00-05:00",
              "2026-11-02T02:00:00-05:00");
  /* with a window across midnight, each calendar day has its own count */
  EXPECT_SPAN("UTC", timing("1h", NULL, NULL, "22:00-02:00", "2"), "2026-06-15T12:00:00Z",
              "2026-06-16T12:00:00Z", "2026-06-15T22:00:00+00:00", "2026-06-15T23:00:00+00:00",
              "2026-06-16T00:00:00+00:00", "2026-06-16T01:00:00+00:00");
}

static void test_max_runs_direct(void **state) {
  (void)state;
  struct tz *tz = open_zone("UTC");
  struct schedule_timing t = timing("10m", NULL, NULL, NULL, "5");
  int64_t next = 0;
  char s[TIME_STR_LEN];
  assert_int_equal(schedule_next(&t, tz, at("2026-06-15T10:00:00Z"), 4, &next, NULL), MS_OK);
  local_str(tz, next, s);
  assert_string_equal(s, "2026-06-15T10:10:00+00:00");
  assert_int_equal(schedule_next(&t, tz, at("2026-06-15T10:00:00Z"), 5, &next, NULL), MS_OK);
  local_str(tz, next, s);
  assert_string_equal(s, "2026-06-16T00:00:00+00:00");
  assert_int_equal(schedule_next(&t, tz, at("2026-06-15T10:00:00Z"), 9, &next, NULL), MS_OK);
  assert_int_equal(next, at("2026-06-16T00:00:00Z"));
  /* at the day's last second, the next day starts fresh */
  assert_int_equal(schedule_next(&t, tz, at("2026-06-15T23:59:59Z"), 5, &next, NULL), MS_OK);
  assert_int_equal(next, at("2026-06-16T00:00:00Z"));
  /* no limit: the count does not matter */
  t.max_runs_per_day = 0;
  assert_int_equal(schedule_next(&t, tz, at("2026-06-15T10:00:00Z"), 1000, &next, NULL), MS_OK);
  assert_int_equal(next, at("2026-06-15T10:10:00Z"));
  tz_free(tz);
  /* a used-up day before a day that starts late (Santiago, 2026-09-06) */
  tz = open_zone("America/Santiago");
  t = timing("1h", NULL, NULL, NULL, "1");
  assert_int_equal(schedule_next(&t, tz, at("2026-09-05T00:00:00-04:00"), 1, &next, NULL), MS_OK);
  local_str(tz, next, s);
  assert_string_equal(s, "2026-09-06T01:00:00-03:00");
  tz_free(tz);
}

static void test_runs_on_day(void **state) {
  (void)state;
  struct tz *tz = open_zone("America/New_York");
  struct err err = {0};
  int runs = -1;
  assert_int_equal(
      schedule_runs_on_day(tz, SCHEDULE_NEVER, 0, at("2026-06-15T12:00:00Z"), &runs, &err), MS_OK);
  assert_int_equal(runs, 0);
  /* 23:30 and 00:30 local are different days, though the same UTC day */
  int64_t last = at("2026-06-15T23:30:00-04:00");
  assert_int_equal(schedule_runs_on_day(tz, last, 7, at("2026-06-15T23:59:59-04:00"), &runs, &err),
                   MS_OK);
  assert_int_equal(runs, 7);
  assert_int_equal(schedule_runs_on_day(tz, last, 7, at("2026-06-16T00:00:00-04:00"), &runs, &err),
                   MS_OK);
  assert_int_equal(runs, 0);
  assert_int_equal(schedule_runs_on_day(tz, last, 7, at("2026-06-15T00:00:00-04:00"), &runs, &err),
                   MS_OK);
  assert_int_equal(runs, 7);
  /* both passes of 01:30 on 2026-11-01 are the same local day */
  assert_int_equal(schedule_runs_on_day(tz, at("2026-11-01T01:30:00-04:00"), 3,
                                        at("2026-11-01T01:30:00-05:00"), &runs, &err),
                   MS_OK);
  assert_int_equal(runs, 3);
  assert_int_equal(schedule_runs_on_day(tz, last, -1, last, &runs, &err), MS_EINVAL);

  struct civil_date d;
  assert_int_equal(schedule_local_day(tz, at("2026-06-16T03:00:00Z"), &d, &err), MS_OK);
  assert_date(d, 2026, 6, 15);
  assert_int_equal(schedule_local_day(tz, at("2026-06-16T04:00:00Z"), &d, &err), MS_OK);
  assert_date(d, 2026, 6, 16);
  tz_free(tz);
}

/* ---- date-range presets ---- */

static void test_preset_parse(void **state) {
  (void)state;
  const struct {
    const char *s;
    enum range_preset p;
  } ok[] = {{"today", RANGE_TODAY},
            {"yesterday", RANGE_YESTERDAY},
            {"last-7-days", RANGE_LAST_7_DAYS},
            {"last-30-days", RANGE_LAST_30_DAYS},
            {"current-month", RANGE_CURRENT_MONTH},
            {"previous-month", RANGE_PREVIOUS_MONTH},
            {"custom", RANGE_CUSTOM},
            {"Last-7-Days", RANGE_LAST_7_DAYS},
            {"TODAY", RANGE_TODAY}};
  for (size_t i = 0; i < N_OF(ok); i++) {
    enum range_preset p = 0;
    struct err err = {0};
    if (range_preset_parse(ok[i].s, &p, &err) != MS_OK)
      fail_msg("'%s': %s", ok[i].s, err.msg);
    assert_int_equal(p, ok[i].p);
  }
  for (int p = RANGE_TODAY; p <= RANGE_CUSTOM; p++) {
    enum range_preset back = 0;
    assert_int_equal(range_preset_parse(range_preset_name((enum range_preset)p), &back, NULL),
                     MS_OK);
    assert_int_equal(back, p);
  }
  assert_string_equal(range_preset_name((enum range_preset)0), "?");
  assert_string_equal(range_preset_name((enum range_preset)99), "?");
  const char *bad[] = {"",    "last-7", "last7days",      "last_7_days",           "todays",
                       "tod", " today", "previous month", "2026-01-01..2026-01-31"};
  for (size_t i = 0; i < N_OF(bad); i++) {
    enum range_preset p = RANGE_TODAY;
    struct err err = {0};
    if (range_preset_parse(bad[i], &p, &err) != MS_EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(p, RANGE_TODAY);
  }
  struct err err = {0};
  enum range_preset p;
  assert_int_equal(range_preset_parse("weekly", &p, &err), MS_EINVAL);
  assert_string_equal(err.msg, "'weekly' is not a date range; use today, yesterday, last-7-days, "
                               "last-30-days, current-month, previous-month or custom");
  assert_int_equal(range_preset_parse(NULL, &p, &err), MS_EINVAL);
}

/* The preset's days at instant `now` in the zone. */
static void expect_range(const char *zone, enum range_preset p, const char *now, const char *from,
                         const char *to) {
  struct tz *tz = open_zone(zone);
  struct civil_date f, t, none = {0, 0, 0};
  struct err err = {0};
  char fs[DATE_STR_LEN], ts[DATE_STR_LEN];
  if (range_preset_days(p, tz, at(now), none, none, &f, &t, &err) != MS_OK)
    fail_msg("%s at %s: %s", range_preset_name(p), now, err.msg);
  date_format(f, fs);
  date_format(t, ts);
  if (strcmp(fs, from) || strcmp(ts, to))
    fail_msg("%s at %s in %s: %s..%s, want %s..%s", range_preset_name(p), now, zone, fs, ts, from,
             to);
  tz_free(tz);
}

static void test_presets_mid_month(void **state) {
  (void)state;
  const char *now = "2026-03-15T12:00:00-04:00";
  const char *ny = "America/New_York";
  expect_range(ny, RANGE_TODAY, now, "2026-03-15", "2026-03-15");
  expect_range(ny, RANGE_YESTERDAY, now, "2026-03-14", "2026-03-14");
  expect_range(ny, RANGE_LAST_7_DAYS, now, "2026-03-09", "2026-03-15");
  expect_range(ny, RANGE_LAST_30_DAYS, now, "2026-02-14", "2026-03-15");
  expect_range(ny, RANGE_CURRENT_MONTH, now, "2026-03-01", "2026-03-15");
  expect_range(ny, RANGE_PREVIOUS_MONTH, now, "2026-02-01", "2026-02-28");
}

static void test_presets_across_year_end(void **state) {
  (void)state;
  const char *now = "2026-01-01T08:00:00+01:00";
  const char *b = "Europe/Berlin";
  expect_range(b, RANGE_TODAY, now, "2026-01-01", "2026-01-01");
  expect_range(b, RANGE_YESTERDAY, now, "2025-12-31", "2025-12-31");
  expect_range(b, RANGE_LAST_7_DAYS, now, "2025-12-26", "2026-01-01");
  expect_range(b, RANGE_LAST_30_DAYS, now, "2025-12-03", "2026-01-01");
  expect_range(b, RANGE_CURRENT_MONTH, now, "2026-01-01", "2026-01-01");
  expect_range(b, RANGE_PREVIOUS_MONTH, now, "2025-12-01", "2025-12-31");
  /* the first of a month: current-month is one day, previous is whole */
  expect_range(b, RANGE_CURRENT_MONTH, "2026-05-01T00:00:00+02:00", "2026-05-01", "2026-05-01");
  expect_range(b, RANGE_PREVIOUS_MONTH, "2026-05-01T00:00:00+02:00", "2026-04-01", "2026-04-30");
  expect_range(b, RANGE_PREVIOUS_MONTH, "2026-04-30T23:59:59+02:00", "2026-03-01", "2026-03-31");
}

static void test_presets_leap_years(void **state) {
  (void)state;
  expect_range("UTC", RANGE_PREVIOUS_MONTH, "2024-03-10T12:00:00Z", "2024-02-01", "2024-02-29");
  expect_range("UTC", RANGE_PREVIOUS_MONTH, "2025-03-10T12:00:00Z", "2025-02-01", "2025-02-28");
  expect_range("UTC", RANGE_PREVIOUS_MONTH, "2000-03-01T00:00:00Z", "2000-02-01", "2000-02-29");
  expect_range("UTC", RANGE_PREVIOUS_MONTH, "2100-03-31T00:00:00Z", "2100-02-01", "2100-02-28");
  expect_range("UTC", RANGE_YESTERDAY, "2024-03-01T00:00:00Z", "2024-02-29", "2024-02-29");
  expect_range("UTC", RANGE_LAST_7_DAYS, "2024-03-03T00:00:00Z", "2024-02-26", "2024-03-03");
  expect_range("UTC", RANGE_LAST_30_DAYS, "2024-03-01T00:00:00Z", "2024-02-01", "2024-03-01");
  expect_range("UTC", RANGE_LAST_30_DAYS, "2025-03-01T00:00:00Z", "2025-01-31", "2025-03-01");
  expect_range("UTC", RANGE_CURRENT_MONTH, "2024-02-29T23:00:00Z", "2024-02-01", "2024-02-29");
}

/* "Today" is the zone's: at 03:00 UTC on March 1st it is still February in
 * New York and already March in Tokyo. */
static void test_presets_use_the_local_day(void **state) {
  (void)state;
  const char *now = "2026-03-01T03:00:00Z";
  expect_range("America/New_York", RANGE_TODAY, now, "2026-02-28", "2026-02-28");
  expect_range("America/New_York", RANGE_CURRENT_MONTH, now, "2026-02-01", "2026-02-28");
  expect_range("America/New_York", RANGE_PREVIOUS_MONTH, now, "2026-01-01", "2026-01-31");
  expect_range("Asia/Tokyo", RANGE_TODAY, now, "2026-03-01", "2026-03-01");
  expect_range("Asia/Tokyo", RANGE_PREVIOUS_MONTH, now, "2026-02-01", "2026-02-28");
  /* on a 23-hour day the local day still comes out right */
  expect_range("America/New_York", RANGE_YESTERDAY, "2026-03-09T00:30:00-04:00", "2026-03-08",
               "2026-03-08");
}

static void test_custom_range(void **state) {
  (void)state;
  struct civil_date f, t;
  struct err err = {0};
  assert_int_equal(range_custom_parse("2026-01-01..2026-01-31", &f, &t, &err), MS_OK);
  assert_date(f, 2026, 1, 1);
  assert_date(t, 2026, 1, 31);
  assert_int_equal(range_custom_parse("2024-02-29..2024-02-29", &f, &t, &err), MS_OK);
  assert_date(t, 2024, 2, 29);
  const char *bad[] = {"",
                       "2026-01-01",
                       "2026-01-01..",
                       "..2026-01-31",
                       "2026-01-01...2026-01-31",
                       "2026-01-01--2026-01-31",
                       "2026-01-31..2026-01-01",
                       "2026-02-30..2026-03-01",
                       "2025-02-29..2025-03-01",
                       "2026-1-1..2026-1-31",
                       "2026-01-01 ..2026-01-31",
                       "2000-01-01..2026-01-01"};
  for (size_t i = 0; i < N_OF(bad); i++) {
    struct civil_date before = {1, 2, 3};
    f = before;
    err_clear(&err);
    if (range_custom_parse(bad[i], &f, &t, &err) != MS_EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(f.y, 1);
    assert_string_not_equal(err.msg, "");
  }
  assert_int_equal(range_custom_parse("2026-01-31..2026-01-01", &f, &t, &err), MS_EINVAL);
  assert_string_equal(err.msg, "date range 2026-01-31..2026-01-01 ends before it starts");
  assert_int_equal(range_custom_parse("2000-01-01..2026-01-01", &f, &t, &err), MS_EINVAL);
  assert_string_equal(err.msg, "date range 2000-01-01..2026-01-01 is longer than 3660 days");
  assert_int_equal(range_custom_parse("2026-01-01..2026-01-32", &f, &t, &err), MS_EINVAL);
  assert_string_equal(err.msg, "'2026-01-32' is not a day of the calendar");
  assert_int_equal(range_custom_parse(NULL, &f, &t, &err), MS_EINVAL);

  /* the preset hands custom dates through, checked the same way */
  struct tz *tz = open_zone("UTC");
  struct civil_date from, to;
  assert_int_equal(
      range_preset_days(RANGE_CUSTOM, tz, 0, day(2026, 1, 1), day(2026, 1, 31), &from, &to, &err),
      MS_OK);
  assert_date(from, 2026, 1, 1);
  assert_date(to, 2026, 1, 31);
  assert_int_equal(
      range_preset_days(RANGE_CUSTOM, tz, 0, day(2026, 2, 1), day(2026, 1, 31), &from, &to, &err),
      MS_EINVAL);
  assert_int_equal(
      range_preset_days(RANGE_CUSTOM, tz, 0, day(2026, 2, 30), day(2026, 3, 1), &from, &to, &err),
      MS_EINVAL);
  assert_string_equal(err.msg, "custom date range holds a day that is not on the calendar");
  assert_int_equal(
      range_preset_days(RANGE_CUSTOM, tz, 0, day(2026, 13, 1), day(2026, 13, 2), &from, &to, &err),
      MS_EINVAL);
  assert_int_equal(range_preset_days((enum range_preset)0, tz, 0, day(2026, 1, 1), day(2026, 1, 1),
                                     &from, &to, &err),
                   MS_EINVAL);
  tz_free(tz);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_every),
      cmocka_unit_test(test_parse_daily_at),
      cmocka_unit_test(test_parse_between),
      cmocka_unit_test(test_parse_max_runs),
      cmocka_unit_test(test_compile_errors),
      cmocka_unit_test(test_compile_sets),
      cmocka_unit_test(test_seed_schedules_normal_day),
      cmocka_unit_test(test_seed_schedules_berlin_spring),
      cmocka_unit_test(test_seed_schedules_berlin_autumn),
      cmocka_unit_test(test_seed_schedules_new_york_spring),
      cmocka_unit_test(test_seed_schedules_new_york_autumn),
      cmocka_unit_test(test_seed_schedules_every_day_of_a_year),
      cmocka_unit_test(test_every_hour_on_dst_days),
      cmocka_unit_test(test_every_aligned_to_local_midnight),
      cmocka_unit_test(test_every_at_a_midnight_change),
      cmocka_unit_test(test_daily_at_dst),
      cmocka_unit_test(test_window_ends_included),
      cmocka_unit_test(test_window_wraps_midnight),
      cmocka_unit_test(test_window_nominal_time_in_gap),
      cmocka_unit_test(test_max_runs_per_day),
      cmocka_unit_test(test_max_runs_direct),
      cmocka_unit_test(test_runs_on_day),
      cmocka_unit_test(test_preset_parse),
      cmocka_unit_test(test_presets_mid_month),
      cmocka_unit_test(test_presets_across_year_end),
      cmocka_unit_test(test_presets_leap_years),
      cmocka_unit_test(test_presets_use_the_local_day),
      cmocka_unit_test(test_custom_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
