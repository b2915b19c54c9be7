#include "util/schedule_time.h"

#include <stdio.h>
#include <string.h>

/* Longest quote of the user's text inside an error message. */
#define QUOTE_MAX 32

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static char lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Reads 1..maxdigits decimal digits at *pp (no sign, no spaces: stricter
 * than strtol on purpose) and moves *pp past them. */
static int read_uint(const char **pp, int maxdigits, int *out) {
  const char *p = *pp;
  int v = 0, n = 0;
  while (is_digit(*p)) {
    if (++n > maxdigits)
      return 0;
    v = v * 10 + (*p - '0');
    p++;
  }
  if (!n)
    return 0;
  *out = v;
  *pp = p;
  return 1;
}

/* Checks that s is present and short; returns its length or -1. */
static int bounded(const char *s) {
  if (!s)
    return -1;
  size_t n = strnlen(s, SCHEDULE_TEXT_MAX + 1);
  return n > SCHEDULE_TEXT_MAX ? -1 : (int)n;
}

int schedule_timing_parse_every(const char *s, int *seconds, struct err *err) {
  const char *p = s;
  int n, len = bounded(s);
  if (len < 0)
    return err_set(err, MS_EINVAL, "interval is missing or too long; write e.g. 10m, 90m or 2h");
  if (!read_uint(&p, 5, &n) || !p[0] || p[1] || (lower(p[0]) != 'm' && lower(p[0]) != 'h'))
    return err_set(err, MS_EINVAL,
                   "'%.*s' is not an interval; write a whole number of minutes or hours, e.g. "
                   "10m, 90m or 2h",
                   QUOTE_MAX, s);
  long secs = (long)n * (lower(p[0]) == 'h' ? 3600 : 60);
  if (secs < SCHEDULE_EVERY_MIN || secs > SCHEDULE_EVERY_MAX)
    return err_set(err, MS_EINVAL, "interval %s is out of range; use 1m to 24h", s);
  *seconds = (int)secs;
  return MS_OK;
}

/* "H:MM" or "HH:MM" at *pp into a minute of the day; moves *pp past it. */
static int read_hhmm(const char **pp, int *minute) {
  const char *p = *pp, *m;
  int h, mm;
  if (!read_uint(&p, 2, &h) || *p != ':')
    return 0;
  m = ++p;
  if (!read_uint(&p, 2, &mm) || p - m != 2 || h > 23 || mm > 59)
    return 0;
  *minute = h * 60 + mm;
  *pp = p;
  return 1;
}

int schedule_timing_parse_daily_at(const char *s, int *minute, struct err *err) {
  const char *p = s;
  int v;
  if (bounded(s) < 0 || !read_hhmm(&p, &v) || *p)
    return err_set(err, MS_EINVAL,
                   "'%.*s' is not a time of day; write HH:MM from 00:00 to 23:59, e.g. 02:00",
                   QUOTE_MAX, s ? s : "");
  *minute = v;
  return MS_OK;
}

int schedule_timing_parse_between(const char *s, struct schedule_window *w, struct err *err) {
  const char *p = s;
  struct schedule_window v;
  if (bounded(s) < 0 || !read_hhmm(&p, &v.start) || *p++ != '-' || !read_hhmm(&p, &v.end) || *p)
    return err_set(err, MS_EINVAL,
                   "'%.*s' is not a window; write HH:MM-HH:MM, e.g. 06:00-22:00 (or 22:00-06:00 "
                   "across midnight)",
                   QUOTE_MAX, s ? s : "");
  if (v.start == v.end)
    return err_set(err, MS_EINVAL,
                   "window %s starts and ends at the same minute; leave the window out to run "
                   "all day",
                   s);
  *w = v;
  return MS_OK;
}

int schedule_timing_parse_max_runs(const char *s, int *n, struct err *err) {
  const char *p = s;
  int v;
  if (bounded(s) < 0 || !read_uint(&p, 5, &v) || *p || v < 1 || v > SCHEDULE_MAX_RUNS_LIMIT)
    return err_set(err, MS_EINVAL, "'%.*s' is not a number of runs per day; use 1 to %d", QUOTE_MAX,
                   s ? s : "", SCHEDULE_MAX_RUNS_LIMIT);
  *n = v;
  return MS_OK;
}

static int in_window(const struct schedule_window *w, int minute) {
  if (w->start <= w->end)
    return minute >= w->start && minute <= w->end;
  return minute >= w->start || minute <= w->end;
}

static int valid_minute(int m) {
  return m >= 0 && m < CRON_DAY_MINUTES;
}

/* Every day, every month, every weekday. */
static void all_days(struct cron *c) {
  c->mdays = 0xfffffffeu; /* 1..31 */
  c->months = 0x1ffe;     /* 1..12 */
  c->wdays = 0x7f;        /* 0..6 */
  c->flags = CRON_DOM_STAR | CRON_DOW_STAR;
}

int schedule_timing_compile(const struct schedule_timing *t, struct cron *out, struct err *err) {
  struct cron c;
  memset(&c, 0, sizeof(c));
  switch (t->kind) {
  case SCHEDULE_EVERY:
    if (t->every < SCHEDULE_EVERY_MIN || t->every > SCHEDULE_EVERY_MAX || t->every % 60)
      return err_set(err, MS_EINVAL,
                     "interval of %d seconds is not a whole number of minutes from 1m to 24h",
                     t->every);
    all_days(&c);
    for (int m = 0; m < CRON_DAY_MINUTES; m += t->every / 60)
      cron_add_minute(&c, m);
    if (t->every < SCHEDULE_EVERY_MAX)
      c.flags |= CRON_WILD;
    break;
  case SCHEDULE_CRON:
    c = t->cron;
    break;
  case SCHEDULE_DAILY_AT:
    if (!valid_minute(t->daily_at))
      return err_set(err, MS_EINVAL, "daily time %d is not a minute of the day (0 to 1439)",
                     t->daily_at);
    all_days(&c);
    cron_add_minute(&c, t->daily_at);
    break;
  default:
    return err_set(err, MS_EINVAL, "schedule has no timing: give --every, --cron or --daily-at");
  }
  if (t->has_window) {
    const struct schedule_window *w = &t->window;
    if (!valid_minute(w->start) || !valid_minute(w->end) || w->start == w->end)
      return err_set(err, MS_EINVAL, "window %d-%d is not two different minutes of the day",
                     w->start, w->end);
    int left = 0;
    for (int w64 = 0; w64 < CRON_DAY_WORDS; w64++) {
      for (int b = 0; b < 64; b++) {
        int m = w64 * 64 + b;
        if (m < CRON_DAY_MINUTES && !in_window(w, m))
          c.minutes[w64] &= ~((uint64_t)1 << b);
      }
      left |= c.minutes[w64] != 0;
    }
    if (!left)
      return err_set(err, MS_EINVAL,
                     "the schedule never runs: none of its times falls inside the window "
                     "%02d:%02d-%02d:%02d",
                     w->start / 60, w->start % 60, w->end / 60, w->end % 60);
  }
  int any = 0;
  for (int w64 = 0; w64 < CRON_DAY_WORDS; w64++)
    any |= c.minutes[w64] != 0;
  if (!any)
    return err_set(err, MS_EINVAL, "the schedule names no time of day to run at");
  if (t->max_runs_per_day < 0 || t->max_runs_per_day > SCHEDULE_MAX_RUNS_LIMIT)
    return err_set(err, MS_EINVAL, "max runs per day %d is out of range; use 1 to %d (0: no limit)",
                   t->max_runs_per_day, SCHEDULE_MAX_RUNS_LIMIT);
  *out = c;
  return MS_OK;
}

int schedule_local_day(struct tz *zone, int64_t t, struct civil_date *day, struct err *err) {
  if (tz_local_date(zone, t, day))
    return err_set(err, MS_EINVAL, "cannot read the local date in time zone %s", tz_name(zone));
  return MS_OK;
}

int schedule_next(const struct schedule_timing *t, struct tz *zone, int64_t after_utc,
                  int runs_in_day, int64_t *next_utc, struct err *err) {
  struct cron c;
  int rc = schedule_timing_compile(t, &c, err);
  if (rc)
    return rc;
  if (runs_in_day < 0)
    return err_set(err, MS_EINVAL, "runs made today cannot be negative (%d)", runs_in_day);
  if (after_utc < 0 || after_utc > CRON_TIME_MAX)
    return err_set(err, MS_EINVAL, "time %lld is outside 1970..3000", (long long)after_utc);
  int64_t from = after_utc;
  if (t->max_runs_per_day && runs_in_day >= t->max_runs_per_day) {
    /* This day is used up: look from the last second of it. */
    struct civil_date day;
    int64_t start, end;
    if ((rc = schedule_local_day(zone, after_utc, &day, err)))
      return rc;
    if (tz_day_bounds(zone, day, &start, &end))
      return err_set(err, MS_EINVAL, "cannot find the bounds of a day in time zone %s",
                     tz_name(zone));
    from = end - 1;
  }
  return cron_next(&c, zone, from, next_utc, err);
}

int schedule_runs_on_day(struct tz *zone, int64_t last_due, int last_count, int64_t t, int *runs,
                         struct err *err) {
  struct civil_date a, b;
  int rc;
  if (last_count < 0)
    return err_set(err, MS_EINVAL, "stored run count cannot be negative (%d)", last_count);
  if (last_due == SCHEDULE_NEVER) {
    *runs = 0;
    return MS_OK;
  }
  if ((rc = schedule_local_day(zone, last_due, &a, err)) ||
      (rc = schedule_local_day(zone, t, &b, err)))
    return rc;
  *runs = date_cmp(a, b) == 0 ? last_count : 0;
  return MS_OK;
}

/* ---- date-range presets ---- */

static const char *const preset_names[] = {
    [RANGE_TODAY] = "today",
    [RANGE_YESTERDAY] = "yesterday",
    [RANGE_LAST_7_DAYS] = "last-7-days",
    [RANGE_LAST_30_DAYS] = "last-30-days",
    [RANGE_CURRENT_MONTH] = "current-month",
    [RANGE_PREVIOUS_MONTH] = "previous-month",
    [RANGE_CUSTOM] = "custom",
};

#define PRESET_COUNT ((int)(sizeof(preset_names) / sizeof(preset_names[0])))

static int same_word(const char *s, const char *name) {
  size_t i = 0;
  for (; s[i] && name[i]; i++)
    if (lower(s[i]) != name[i])
      return 0;
  return !s[i] && !name[i];
}

int range_preset_parse(const char *s, enum range_preset *out, struct err *err) {
  if (bounded(s) >= 0)
    for (int i = RANGE_TODAY; i < PRESET_COUNT; i++)
      if (same_word(s, preset_names[i])) {
        *out = (enum range_preset)i;
        return MS_OK;
      }
  return err_set(err, MS_EINVAL,
                 "'%.*s' is not a date range; use today, yesterday, last-7-days, last-30-days, "
                 "current-month, previous-month or custom",
                 QUOTE_MAX, s ? s : "");
}

const char *range_preset_name(enum range_preset p) {
  return (int)p >= RANGE_TODAY && (int)p < PRESET_COUNT ? preset_names[p] : "?";
}

static int check_custom(struct civil_date from, struct civil_date to, struct err *err) {
  char a[DATE_STR_LEN], b[DATE_STR_LEN];
  date_format(from, a);
  date_format(to, b);
  if (date_cmp(from, to) > 0)
    return err_set(err, MS_EINVAL, "date range %s..%s ends before it starts", a, b);
  if (date_to_days(to) - date_to_days(from) + 1 > RANGE_MAX_DAYS)
    return err_set(err, MS_EINVAL, "date range %s..%s is longer than %d days", a, b,
                   RANGE_MAX_DAYS);
  return MS_OK;
}

int range_custom_parse(const char *s, struct civil_date *from, struct civil_date *to,
                       struct err *err) {
  char a[DATE_STR_LEN], b[DATE_STR_LEN];
  struct civil_date f, t;
  int rc;
  /* Exactly "YYYY-MM-DD..YYYY-MM-DD": 22 bytes. */
  if (bounded(s) != 22 || s[10] != '.' || s[11] != '.')
    return err_set(err, MS_EINVAL,
                   "'%.*s' is not a date range; write FROM..TO, e.g. 2026-01-01..2026-01-31",
                   QUOTE_MAX, s ? s : "");
  memcpy(a, s, 10);
  a[10] = '\0';
  memcpy(b, s + 12, 10);
  b[10] = '\0';
  if ((rc = date_parse(a, &f, err)) || (rc = date_parse(b, &t, err)))
    return rc;
  if ((rc = check_custom(f, t, err)))
    return rc;
  *from = f;
  *to = t;
  return MS_OK;
}

/* A real day from 1970 to 9999: it survives a round trip through day numbers. */
static int on_calendar(struct civil_date d) {
  if (d.y < 1970 || d.y > 9999 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > 31)
    return 0;
  struct civil_date back = date_from_days(date_to_days(d));
  return back.y == d.y && back.m == d.m && back.d == d.d;
}

static struct civil_date first_of_month(struct civil_date d) {
  d.d = 1;
  return d;
}

int range_preset_days(enum range_preset p, struct tz *zone, int64_t now_utc,
                      struct civil_date custom_from, struct civil_date custom_to,
                      struct civil_date *from, struct civil_date *to, struct err *err) {
  struct civil_date today, f, t;
  int rc;
  if (p == RANGE_CUSTOM) {
    if (!on_calendar(custom_from) || !on_calendar(custom_to))
      return err_set(err, MS_EINVAL, "custom date range holds a day that is not on the calendar");
    if ((rc = check_custom(custom_from, custom_to, err)))
      return rc;
    *from = custom_from;
    *to = custom_to;
    return MS_OK;
  }
  if ((rc = schedule_local_day(zone, now_utc, &today, err)))
    return rc;
  switch (p) {
  case RANGE_TODAY:
    f = t = today;
    break;
  case RANGE_YESTERDAY:
    f = t = date_add(today, -1);
    break;
  case RANGE_LAST_7_DAYS:
    f = date_add(today, -6);
    t = today;
    break;
  case RANGE_LAST_30_DAYS:
    f = date_add(today, -29);
    t = today;
    break;
  case RANGE_CURRENT_MONTH:
    f = first_of_month(today);
    t = today;
    break;
  case RANGE_PREVIOUS_MONTH:
    t = date_add(first_of_month(today), -1);
    f = first_of_month(t);
    break;
  default:
    return err_set(err, MS_EINVAL, "unknown date range preset %d", (int)p);
  }
  *from = f;
  *to = t;
  return MS_OK;
}
