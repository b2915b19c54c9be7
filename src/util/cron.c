#include "util/cron.h"

#include <stdio.h>
#include <string.h>

/* ---- parsing ---- */

struct field_def {
  const char *name;         /* as shown in errors */
  int lo;                   /* smallest value */
  int hi;                   /* largest value */
  const char *const *names; /* three-letter names of lo, lo+1, ...; MAY be NULL */
  int nnames;               /* entries in names */
  const char *names_hint;   /* how errors describe the names */
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

enum { F_MINUTE, F_HOUR, F_MDAY, F_MONTH, F_WDAY, F_COUNT };

static const struct field_def fields[F_COUNT] = {
    {"minute", 0, 59, NULL, 0, NULL},
    {"hour", 0, 23, NULL, 0, NULL},
    {"day-of-month", 1, 31, NULL, 0, NULL},
    {"month", 1, 12, month_names, 12, "jan-dec"},
    {"day-of-week", 0, 7, day_names, 7, "sun-sat"},
};

/* Longest quote of the user's text inside an error message. */
#define QUOTE_MAX 40

static const struct {
  const char *name;      /* the shorthand, without '@' */
  const char *expansion; /* the five fields it stands for */
} shorthands[] = {
    {"yearly", "0 0 1 1 *"}, {"annually", "0 0 1 1 *"}, {"monthly", "0 0 1 * *"},
    {"weekly", "0 0 * * 0"}, {"daily", "0 0 * * *"},    {"midnight", "0 0 * * *"},
    {"hourly", "0 * * * *"},
};

static int is_space(char c) {
  return c == ' ' || c == '\t';
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static char lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int is_alpha(char c) {
  c = lower(c);
  return c >= 'a' && c <= 'z';
}

/* A field's text, [p, end), for errors. */
struct span {
  const char *p;   /* first byte */
  const char *end; /* one past the last byte */
};

static int span_len(struct span s) {
  int n = (int)(s.end - s.p);
  return n > QUOTE_MAX ? QUOTE_MAX : n;
}

static int field_err(struct err *err, int f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int field_err(struct err *err, int f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_setv(err, MS_EINVAL, fmt, ap);
  va_end(ap);
  err_prefix(err, "cron field %d (%s)", f + 1, fields[f].name);
  return MS_EINVAL;
}

/* Reads a number or (where the field has them) a name at *pp, moving *pp past
 * it. Numbers are range-checked by the caller; a name is its value. */
static int read_value(int f, const char **pp, const char *end, int *out, struct err *err) {
  const struct field_def *fd = &fields[f];
  const char *p = *pp;
  if (p < end && is_digit(*p)) {
    long v = 0;
    int n = 0;
    while (p < end && is_digit(*p)) {
      if (++n > 6)
        return field_err(err, f, "number '%.*s...' is too long; use %d-%d", 6, *pp, fd->lo, fd->hi);
      v = v * 10 + (*p - '0');
      p++;
    }
    if (v < fd->lo || v > fd->hi)
      return field_err(err, f, "%ld is out of range %d-%d", v, fd->lo, fd->hi);
    *out = (int)v;
    *pp = p;
    return MS_OK;
  }
  if (p < end && is_alpha(*p)) {
    const char *w = p;
    while (p < end && is_alpha(*p))
      p++;
    int len = (int)(p - w);
    if (!fd->names)
      return field_err(err, f, "'%.*s' is not a number; use %d-%d",
                       len > QUOTE_MAX ? QUOTE_MAX : len, w, fd->lo, fd->hi);
    for (int i = 0; len == 3 && i < fd->nnames; i++)
      if (lower(w[0]) == fd->names[i][0] && lower(w[1]) == fd->names[i][1] &&
          lower(w[2]) == fd->names[i][2]) {
        *out = fd->lo + i;
        *pp = p;
        return MS_OK;
      }
    return field_err(err, f, "'%.*s' is not a name; use %d-%d or %s",
                     len > QUOTE_MAX ? QUOTE_MAX : len, w, fd->lo, fd->hi, fd->names_hint);
  }
  if (p >= end)
    return field_err(err, f, "a number is missing; use %d-%d", fd->lo, fd->hi);
  return field_err(err, f, "unexpected '%c'; expected a number (%d-%d)", *p, fd->lo, fd->hi);
}

/* Reads the step after '/' at *pp: 1 to the field's largest value. */
static int read_step(int f, const char **pp, const char *end, int *out, struct err *err) {
  const struct field_def *fd = &fields[f];
  const char *p = *pp;
  long v = 0;
  int n = 0;
  if (p >= end || !is_digit(*p))
    return field_err(err, f, "a step needs a number after '/', e.g. */5");
  while (p < end && is_digit(*p)) {
    if (++n > 6)
      return field_err(err, f, "step '%.*s...' is too long; use 1-%d", 6, *pp, fd->hi);
    v = v * 10 + (*p - '0');
    p++;
  }
  if (v < 1 || v > fd->hi)
    return field_err(err, f, "step %ld is out of range 1-%d", v, fd->hi);
  *out = (int)v;
  *pp = p;
  return MS_OK;
}

/* One list item: `*`, `N`, `A-B`, `*\/S` or `A-B/S`, into *bits. */
static int parse_item(int f, struct span item, uint64_t *bits, struct err *err) {
  const struct field_def *fd = &fields[f];
  const char *p = item.p;
  int a, b, step = 1, rc;
  if (p == item.end)
    return field_err(err, f, "empty item in the list (two commas, or a comma at an end)");
  if (*p == '*') {
    a = fd->lo;
    b = fd->hi;
    p++;
  } else {
    if ((rc = read_value(f, &p, item.end, &a, err)))
      return rc;
    b = a;
    if (p < item.end && *p == '-') {
      p++;
      if ((rc = read_value(f, &p, item.end, &b, err)))
        return rc;
      if (f == F_WDAY && b == 0 && a > 0) /* "fri-sun": Sunday is 7 at the end of a week */
        b = 7;
      if (b < a)
        return field_err(err, f, "range %d-%d runs backwards; write the smaller value first", a, b);
    } else if (p < item.end && *p == '/') {
      return field_err(err, f,
                       "a step needs a range or '*' before it: write %d-%d/N or */N, not %d/N", a,
                       fd->hi, a);
    }
  }
  if (p < item.end && *p == '/') {
    p++;
    if ((rc = read_step(f, &p, item.end, &step, err)))
      return rc;
  }
  if (p != item.end)
    return field_err(err, f, "unexpected '%c' in '%.*s'", *p, span_len(item), item.p);
  for (int v = a; v <= b; v += step)
    *bits |= (uint64_t)1 << v;
  return MS_OK;
}

/* A whole field: a comma-separated list of items. */
static int parse_field(int f, struct span field, uint64_t *bits, struct err *err) {
  const char *p = field.p;
  *bits = 0;
  for (;;) {
    struct span item = {p, p};
    while (item.end < field.end && *item.end != ',')
      item.end++;
    int rc = parse_item(f, item, bits, err);
    if (rc)
      return rc;
    if (item.end == field.end)
      break;
    p = item.end + 1;
  }
  if (f == F_WDAY && (*bits & ((uint64_t)1 << 7))) /* 7 is Sunday too */
    *bits = (*bits & ~((uint64_t)1 << 7)) | 1;
  return MS_OK;
}

static int is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* When only the day of month picks the days, some month of the expression
 * must have one of its days ("31 2" never does). */
static int check_reachable(const struct cron *c, struct err *err) {
  if (!(c->flags & CRON_DOW_STAR) || (c->flags & CRON_DOM_STAR))
    return MS_OK;
  for (int m = 1; m <= 12; m++) {
    if (!(c->months & (1u << m)))
      continue;
    for (int d = 1; d <= month_days(2000, m); d++) /* 2000: Feb 29 counts */
      if (c->mdays & (1u << d))
        return MS_OK;
  }
  return err_set(err, MS_EINVAL,
                 "cron expression never runs: none of its days of the month (field 3) exists in "
                 "its months (field 4), like 31 in February");
}

static int parse_fields(const char *expr, struct cron *out, struct err *err) {
  struct span f[F_COUNT];
  uint64_t bits[F_COUNT];
  int n = 0, rc;
  const char *p = expr;
  for (;;) {
    while (is_space(*p))
      p++;
    if (!*p)
      break;
    const char *start = p;
    while (*p && !is_space(*p))
      p++;
    if (n < F_COUNT) {
      f[n].p = start;
      f[n].end = p;
    }
    n++;
  }
  if (n != F_COUNT)
    return err_set(err, MS_EINVAL,
                   "cron expression has %d field%s; it needs 5: minute hour day-of-month month "
                   "day-of-week, e.g. \"0 */2 * * *\"",
                   n, n == 1 ? "" : "s");
  for (int i = 0; i < F_COUNT; i++)
    if ((rc = parse_field(i, f[i], &bits[i], err)))
      return rc;

  struct cron c;
  memset(&c, 0, sizeof(c));
  for (int h = 0; h < 24; h++)
    for (int m = 0; m < 60; m++)
      if ((bits[F_HOUR] >> h & 1) && (bits[F_MINUTE] >> m & 1))
        cron_add_minute(&c, h * 60 + m);
  c.mdays = (uint32_t)bits[F_MDAY];
  c.months = (uint16_t)bits[F_MONTH];
  c.wdays = (uint8_t)bits[F_WDAY];
  if (*f[F_MINUTE].p == '*' || *f[F_HOUR].p == '*')
    c.flags |= CRON_WILD;
  if (*f[F_MDAY].p == '*')
    c.flags |= CRON_DOM_STAR;
  if (*f[F_WDAY].p == '*')
    c.flags |= CRON_DOW_STAR;
  if ((rc = check_reachable(&c, err)))
    return rc;
  *out = c;
  return MS_OK;
}

/* True when the len bytes at w spell `name`, in any case. */
static int word_is(const char *w, size_t len, const char *name) {
  size_t k = 0;
  while (k < len && name[k] && lower(w[k]) == name[k])
    k++;
  return k == len && !name[k];
}

static int parse_shorthand(const char *expr, struct cron *out, struct err *err) {
  const char *w = expr + 1, *p = w;
  while (*p && !is_space(*p))
    p++;
  size_t len = (size_t)(p - w);
  int shown = (int)(len > QUOTE_MAX ? QUOTE_MAX : len);
  while (is_space(*p))
    p++;
  if (*p)
    return err_set(err, MS_EINVAL, "cron shorthand '@%.*s' takes nothing after it", shown, w);
  for (size_t i = 0; i < sizeof(shorthands) / sizeof(shorthands[0]); i++)
    if (word_is(w, len, shorthands[i].name))
      return parse_fields(shorthands[i].expansion, out, err);
  if (word_is(w, len, "reboot"))
    return err_set(err, MS_EINVAL, "cron shorthand '@reboot' names no time; a schedule needs one");
  return err_set(err, MS_EINVAL,
                 "unknown cron shorthand '@%.*s'; use @hourly, @daily, @midnight, @weekly, "
                 "@monthly, @yearly or @annually",
                 shown, w);
}

int cron_parse(const char *expr, struct cron *out, struct err *err) {
  if (!expr)
    return err_set(err, MS_EINVAL, "cron expression is missing");
  size_t len = strnlen(expr, CRON_EXPR_MAX + 1);
  if (len > CRON_EXPR_MAX)
    return err_set(err, MS_ETOOBIG, "cron expression is longer than %d characters", CRON_EXPR_MAX);
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)expr[i];
    if ((ch < 0x20 && ch != '\t') || ch >= 0x7f)
      return err_set(err, MS_EINVAL,
                     "cron expression has an unexpected character (byte %u) at position %zu", ch,
                     i + 1);
  }
  const char *p = expr;
  while (is_space(*p))
    p++;
  if (!*p)
    return err_set(err, MS_EINVAL,
                   "cron expression is empty; it needs 5 fields: minute hour day-of-month month "
                   "day-of-week, e.g. \"0 */2 * * *\"");
  if (*p == '@')
    return parse_shorthand(p, out, err);
  return parse_fields(p, out, err);
}

/* ---- sets ---- */

int cron_has_minute(const struct cron *c, int minute) {
  if (minute < 0 || minute >= CRON_DAY_MINUTES)
    return 0;
  return (int)(c->minutes[minute / 64] >> (minute % 64) & 1);
}

void cron_add_minute(struct cron *c, int minute) {
  if (minute < 0 || minute >= CRON_DAY_MINUTES)
    return;
  c->minutes[minute / 64] |= (uint64_t)1 << (minute % 64);
}

static int weekday(struct civil_date day) {
  int64_t w = (date_to_days(day) + 4) % 7; /* 1970-01-01 was a Thursday */
  return (int)(w < 0 ? w + 7 : w);
}

int cron_day_matches(const struct cron *c, struct civil_date day) {
  if (day.m < 1 || day.m > 12 || day.d < 1 || day.d > 31 || !(c->months >> day.m & 1))
    return 0;
  int dom = (int)(c->mdays >> day.d & 1);
  int dow = (int)(c->wdays >> weekday(day) & 1);
  if (c->flags & (CRON_DOM_STAR | CRON_DOW_STAR))
    return dom && dow;
  return dom || dow;
}

/* ---- local wall time to instants ---- */

/* One local day in a zone: [start, end) in UTC, with the offset before and
 * after the day's one offset change at `change` (end when there is none). */
struct day_map {
  int64_t start;  /* first instant of the day */
  int64_t end;    /* first instant of the next day */
  int64_t change; /* first instant with off_after; end when the offset holds all day */
  int off_before; /* offset from UTC in [start, change), seconds */
  int off_after;  /* offset from UTC in [change, end), seconds */
  int64_t naive;  /* the day's local midnight read as if it were UTC */
};

static int day_map_init(struct tz *zone, struct civil_date day, struct day_map *m,
                        struct err *err) {
  char name[DATE_STR_LEN];
  int last;
  if (tz_day_bounds(zone, day, &m->start, &m->end) ||
      tz_offset_at(zone, m->start, &m->off_before) || tz_offset_at(zone, m->end - 1, &last)) {
    date_format(day, name);
    return err_set(err, MS_EINVAL, "cannot find the bounds of %s in time zone %s", name,
                   tz_name(zone));
  }
  m->naive = date_to_days(day) * 86400;
  m->change = m->end;
  m->off_after = m->off_before;
  /* A day the zone skipped whole (Pacific/Apia, 2011-12-30) has no instant:
   * each of its times is a skipped one, run when the next day starts. */
  if (m->end <= m->start) {
    m->change = m->end = m->start;
    return MS_OK;
  }
  if (last == m->off_before)
    return MS_OK;
  /* Find the change: the offset is off_before at lo, something else at hi. */
  int64_t lo = m->start, hi = m->end - 1;
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    int off;
    if (tz_offset_at(zone, mid, &off))
      return err_set(err, MS_EINVAL, "cannot read the offset of time zone %s", tz_name(zone));
    if (off == m->off_before)
      lo = mid;
    else
      hi = mid;
  }
  m->change = hi;
  return tz_offset_at(zone, hi, &m->off_after)
             ? err_set(err, MS_EINVAL, "cannot read the offset of time zone %s", tz_name(zone))
             : MS_OK;
}

enum wall { WALL_ONCE, WALL_TWICE, WALL_SKIPPED };

/* The instants at which the local time `sec` seconds after the day's
 * midnight happens: once (t[0]), twice (t[0] < t[1]), or not at all, and
 * then t[0] is where the skipped stretch ends. */
static enum wall day_map_resolve(const struct day_map *m, int64_t sec, int64_t t[2]) {
  int64_t local = m->naive + sec;
  int64_t a = local - m->off_before, b = local - m->off_after;
  int first = a >= m->start && a < m->change;
  int second = m->change < m->end && b >= m->change && b < m->end;
  if (first && second) {
    t[0] = a;
    t[1] = b;
    return WALL_TWICE;
  }
  if (first || second) {
    t[0] = first ? a : b;
    return WALL_ONCE;
  }
  t[0] = a < m->start ? m->start : m->change;
  return WALL_SKIPPED;
}

/* The earliest run of day `day` strictly after `after`, if any. */
static int day_next(const struct cron *c, struct tz *zone, struct civil_date day, int64_t after,
                    int64_t *best, int *found, struct err *err) {
  struct day_map m;
  int rc = day_map_init(zone, day, &m, err);
  if (rc)
    return rc;
  *found = 0;
  if (m.end <= after)
    return MS_OK;
  for (int w = 0; w < CRON_DAY_WORDS; w++) {
    uint64_t bits = c->minutes[w];
    while (bits) {
      int minute = w * 64 + __builtin_ctzll(bits);
      bits &= bits - 1;
      int64_t t[2];
      enum wall kind = day_map_resolve(&m, (int64_t)minute * 60, t);
      int n = kind == WALL_TWICE && (c->flags & CRON_WILD) ? 2 : 1;
      for (int i = 0; i < n; i++)
        if (t[i] > after && (!*found || t[i] < *best)) {
          *best = t[i];
          *found = 1;
        }
    }
  }
  return MS_OK;
}

static int minutes_empty(const struct cron *c) {
  for (int w = 0; w < CRON_DAY_WORDS; w++)
    if (c->minutes[w])
      return 0;
  return 1;
}

int cron_next(const struct cron *c, struct tz *zone, int64_t after_utc, int64_t *next_utc,
              struct err *err) {
  struct civil_date first;
  if (after_utc < 0 || after_utc > CRON_TIME_MAX)
    return err_set(err, MS_EINVAL, "time %lld is outside 1970..3000", (long long)after_utc);
  if (minutes_empty(c) || !c->months)
    return err_set(err, MS_EINVAL, "the schedule names no time of day to run at");
  if (tz_local_date(zone, after_utc, &first))
    return err_set(err, MS_EINVAL, "cannot read the local date in time zone %s", tz_name(zone));
  int64_t from = date_to_days(first), to = from + (int64_t)CRON_SEARCH_YEARS * 366;
  for (int64_t n = from; n <= to; n++) {
    struct civil_date day = date_from_days(n);
    int found, rc;
    if (!cron_day_matches(c, day))
      continue;
    if ((rc = day_next(c, zone, day, after_utc, next_utc, &found, err)))
      return rc;
    if (found)
      return MS_OK;
  }
  return err_set(err, MS_ENOTFOUND, "no time in the next %d years matches the schedule",
                 CRON_SEARCH_YEARS);
}
