#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

struct tz {
  UCalendar *cal; /* Gregorian calendar in the zone */
  char name[64];  /* the IANA id as given */
};

static int is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 1;
}

int date_parse(const char *s, struct civil_date *out, struct err *err) {
  struct civil_date d;
  if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &d.y) ||
      !digits(s + 5, 2, &d.m) || !digits(s + 8, 2, &d.d))
    return err_set(err, MS_EINVAL, "'%s' is not a date; write it as YYYY-MM-DD, e.g. 2026-01-31",
                   s ? s : "");
  if (d.y < 1970 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > days_in_month(d.y, d.m))
    return err_set(err, MS_EINVAL, "'%s' is not a day of the calendar", s);
  *out = d;
  return MS_OK;
}

void date_format(struct civil_date d, char out[DATE_STR_LEN]) {
  /* Unsigned so that every field has a known width (and gcc's
   * -Wformat-truncation agrees). */
  snprintf(out, DATE_STR_LEN, "%04u-%02u-%02u", (unsigned)d.y % 10000u, (unsigned)d.m % 100u,
           (unsigned)d.d % 100u);
}

/* Days from civil, after the well-known proleptic Gregorian algorithm. */
int64_t date_to_days(struct civil_date d) {
  int64_t y = d.y - (d.m <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (d.m + (d.m > 2 ? -3 : 9)) + 2) / 5 + d.d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct civil_date date_from_days(int64_t z) {
  struct civil_date d;
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  d.d = (int)(doy - (153 * mp + 2) / 5 + 1);
  d.m = (int)(mp < 10 ? mp + 3 : mp - 9);
  d.y = (int)(yoe + era * 400 + (d.m <= 2));
  return d;
}

struct civil_date date_add(struct civil_date d, int days) {
  return date_from_days(date_to_days(d) + days);
}

int date_cmp(struct civil_date a, struct civil_date b) {
  int64_t x = date_to_days(a), y = date_to_days(b);
  return x < y ? -1 : x > y;
}

int tz_open(const char *tzid, struct tz **out, struct err *err) {
  UChar uid[128], canon[128];
  UErrorCode status = U_ZERO_ERROR;
  UBool is_system = 0;
  struct tz *tz;
  if (!tzid || !*tzid || strlen(tzid) >= 64)
    return err_set(err, MS_EINVAL, "time zone '%s' is not valid", tzid ? tzid : "");
  u_uastrncpy(uid, tzid, 127);
  uid[127] = 0;
  ucal_getCanonicalTimeZoneID(uid, -1, canon, 128, &is_system, &status);
  if (U_FAILURE(status) || !is_system)
    return err_set(err, MS_EINVAL,
                   "'%s' is not a known time zone; use an IANA name such as America/New_York",
                   tzid);
  tz = calloc(1, sizeof(*tz));
  if (!tz)
    return err_set(err, MS_ENOMEM, "out of memory");
  tz->cal = ucal_open(uid, -1, "en_US_POSIX", UCAL_GREGORIAN, &status);
  if (U_FAILURE(status)) {
    free(tz);
    return err_set(err, MS_EINVAL, "cannot open time zone '%s': %s", tzid, u_errorName(status));
  }
  /* A day starts at its first moment: where local midnight happens twice
   * (America/Havana 2026-11-01), the earlier one; where it is skipped
   * (America/Santiago 2026-09-06), the first valid time after the gap. ICU's
   * default for repeated times is the later one. */
  ucal_setAttribute(tz->cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
  ucal_setAttribute(tz->cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
  snprintf(tz->name, sizeof(tz->name), "%s", tzid);
  *out = tz;
  return MS_OK;
}

void tz_free(struct tz *tz) {
  if (!tz)
    return;
  ucal_close(tz->cal);
  free(tz);
}

const char *tz_name(const struct tz *tz) {
  return tz->name;
}

/* The first instant of the local day. Where midnight falls in a DST gap, ICU
 * (lenient) moves it forward to the first valid local time. */
static int day_start(struct tz *tz, struct civil_date day, int64_t *out) {
  UErrorCode status = U_ZERO_ERROR;
  ucal_clear(tz->cal);
  ucal_setDateTime(tz->cal, day.y, day.m - 1, day.d, 0, 0, 0, &status);
  UDate ms = ucal_getMillis(tz->cal, &status);
  if (U_FAILURE(status))
    return MS_EINVAL;
  *out = (int64_t)(ms / 1000.0);
  return MS_OK;
}

int tz_day_bounds(struct tz *tz, struct civil_date day, int64_t *start, int64_t *end) {
  int rc = day_start(tz, day, start);
  return rc ? rc : day_start(tz, date_add(day, 1), end);
}

int tz_offset_at(struct tz *tz, int64_t t, int *offset) {
  UErrorCode status = U_ZERO_ERROR;
  ucal_setMillis(tz->cal, (UDate)t * 1000.0, &status);
  int32_t zone = ucal_get(tz->cal, UCAL_ZONE_OFFSET, &status);
  int32_t dst = ucal_get(tz->cal, UCAL_DST_OFFSET, &status);
  if (U_FAILURE(status))
    return MS_EINVAL;
  *offset = (zone + dst) / 1000;
  return MS_OK;
}

int tz_local_date(struct tz *tz, int64_t t, struct civil_date *out) {
  int off, rc = tz_offset_at(tz, t, &off);
  if (rc)
    return rc;
  int64_t local = t + off;
  int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  *out = date_from_days(days);
  return MS_OK;
}

void time_format(int64_t t, int offset, int zulu, char out[TIME_STR_LEN]) {
  int64_t local = t + offset;
  int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  int64_t secs = local - days * 86400;
  struct civil_date d = date_from_days(days);
  int hh = (int)(secs / 3600), mm = (int)(secs / 60 % 60), ss = (int)(secs % 60);
  if (zulu && offset == 0) {
    snprintf(out, TIME_STR_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.y, d.m, d.d, hh, mm, ss);
    return;
  }
  int a = offset < 0 ? -offset : offset;
  snprintf(out, TIME_STR_LEN, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", d.y, d.m, d.d, hh, mm, ss,
           offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

int time_parse(const char *s, int64_t *out) {
  struct civil_date d;
  int hh, mm, ss, oh = 0, om = 0, sign = 1;
  const char *p;
  if (!s || strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':' || !digits(s, 4, &d.y) || !digits(s + 5, 2, &d.m) ||
      !digits(s + 8, 2, &d.d) || !digits(s + 11, 2, &hh) || !digits(s + 14, 2, &mm) ||
      !digits(s + 17, 2, &ss))
    return MS_EINVAL;
  if (d.m < 1 || d.m > 12 || d.d < 1 || d.d > days_in_month(d.y, d.m) || hh > 23 || mm > 59 ||
      ss > 60)
    return MS_EINVAL;
  p = s + 19;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9')
      return MS_EINVAL;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    sign = *p == '-' ? -1 : 1;
    p++;
    if (!digits(p, 2, &oh))
      return MS_EINVAL;
    p += 2;
    if (*p == ':')
      p++;
    if (!digits(p, 2, &om))
      return MS_EINVAL;
    p += 2;
    if (oh > 23 || om > 59)
      return MS_EINVAL;
  } else {
    return MS_EINVAL;
  }
  if (*p)
    return MS_EINVAL;
  *out = date_to_days(d) * 86400 + hh * 3600 + mm * 60 + ss - sign * (oh * 3600 + om * 60);
  return MS_OK;
}

int tz_local_to_utc(struct tz *tz, struct civil_date day, int sec_of_day, int64_t *out) {
  UErrorCode status = U_ZERO_ERROR;
  ucal_clear(tz->cal);
  ucal_setDateTime(tz->cal, day.y, day.m - 1, day.d, sec_of_day / 3600, sec_of_day / 60 % 60,
                   sec_of_day % 60, &status);
  UDate ms = ucal_getMillis(tz->cal, &status);
  if (U_FAILURE(status))
    return MS_EINVAL;
  *out = (int64_t)(ms / 1000.0);
  return MS_OK;
}

/* Reads the fields of s by a pattern into a day and seconds into it. */
static int read_pattern(const char *s, const char *pattern, struct civil_date *day, int *sec) {
  int y = -1, mo = -1, d = -1, h = 0, mi = 0, se = 0;
  const char *p = pattern;
  while (*p) {
    int *field = NULL, width = 0;
    if (strncmp(p, "yyyy", 4) == 0)
      field = &y, width = 4;
    else if (strncmp(p, "mm", 2) == 0)
      field = &mo, width = 2;
    else if (strncmp(p, "dd", 2) == 0)
      field = &d, width = 2;
    else if (strncmp(p, "HH", 2) == 0)
      field = &h, width = 2;
    else if (strncmp(p, "MM", 2) == 0)
      field = &mi, width = 2;
    else if (strncmp(p, "SS", 2) == 0)
      field = &se, width = 2;
    if (field) {
      if (!digits(s, width, field))
        return MS_EINVAL;
      s += width;
      p += width;
    } else {
      if (*s != *p)
        return MS_EINVAL;
      s++;
      p++;
    }
  }
  if (*s || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
      mi > 59 || se > 60)
    return MS_EINVAL;
  day->y = y;
  day->m = mo;
  day->d = d;
  *sec = h * 3600 + mi * 60 + (se > 59 ? 59 : se);
  return MS_OK;
}

static int local_instant(struct tz *zone, struct civil_date day, int sec, int64_t *out) {
  if (zone)
    return tz_local_to_utc(zone, day, sec, out);
  *out = date_to_days(day) * 86400 + sec;
  return MS_OK;
}

int time_parse_pattern(const char *s, const char *pattern, struct tz *zone, int64_t *out) {
  struct civil_date day;
  int sec;
  size_t n;
  if (!s)
    return MS_EINVAL;
  if (pattern)
    return read_pattern(s, pattern, &day, &sec) ? MS_EINVAL : local_instant(zone, day, sec, out);
  if (time_parse(s, out) == MS_OK)
    return MS_OK;
  /* No offset: the zone's wall time. */
  n = strlen(s);
  if (n == 10 && read_pattern(s, "yyyy-mm-dd", &day, &sec) == MS_OK)
    return local_instant(zone, day, sec, out);
  if (n >= 19 && (s[10] == ' ' || s[10] == 'T')) {
    char head[20];
    memcpy(head, s, 19);
    head[19] = '\0';
    head[10] = ' ';
    /* A fraction of a second after it is dropped. */
    if ((n == 19 || s[19] == '.') && read_pattern(head, "yyyy-mm-dd HH:MM:SS", &day, &sec) == 0)
      return local_instant(zone, day, sec, out);
  }
  return MS_EINVAL;
}

int date_parse_pattern(const char *s, const char *pattern, struct civil_date *out) {
  int sec;
  if (!s)
    return MS_EINVAL;
  if (pattern)
    return read_pattern(s, pattern, out, &sec);
  /* ISO: the date part of a date or a time. */
  if (strlen(s) >= 10) {
    char head[11];
    memcpy(head, s, 10);
    head[10] = '\0';
    return read_pattern(head, "yyyy-mm-dd", out, &sec);
  }
  return MS_EINVAL;
}

/* The field a pattern names at p and its width, or 0 for a literal. */
static int pattern_field(const char *p, char *which) {
  static const struct {
    const char *text; /* as written in a pattern */
    char which;       /* y, m, d, H, M, S */
  } fields[] = {{"yyyy", 'y'}, {"mm", 'm'}, {"dd", 'd'}, {"HH", 'H'}, {"MM", 'M'}, {"SS", 'S'}};
  for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
    if (strncmp(p, fields[i].text, strlen(fields[i].text)) == 0) {
      *which = fields[i].which;
      return (int)strlen(fields[i].text);
    }
  return 0;
}

int time_pattern_ok(const char *pattern) {
  int y = 0, m = 0, d = 0;
  if (!pattern || !*pattern || strlen(pattern) > 64)
    return 0;
  for (const char *p = pattern; *p;) {
    char which = 0;
    int w = pattern_field(p, &which);
    if (!w) {
      /* A letter that is no field is a typo ("YYYY", "hh"), not a literal;
       * ISO 8601's T and Z are the exceptions. */
      if (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) && *p != 'T' && *p != 'Z')
        return 0;
      p++;
      continue;
    }
    y += which == 'y';
    m += which == 'm';
    d += which == 'd';
    p += w;
  }
  return y == 1 && m == 1 && d == 1;
}

int time_format_pattern(int64_t t, const char *pattern, struct tz *zone, char *out, size_t n) {
  int off = 0;
  size_t used = 0;
  if (!out || n == 0 || !pattern || t < 0)
    return MS_EINVAL;
  if (zone && tz_offset_at(zone, t, &off))
    return MS_EINVAL;
  int64_t local = t + off;
  int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  int64_t secs = local - days * 86400;
  struct civil_date d = date_from_days(days);
  for (const char *p = pattern; *p;) {
    char which = 0;
    int w = pattern_field(p, &which), len;
    if (!w) {
      if (used + 1 >= n)
        return MS_EINVAL;
      out[used++] = *p++;
      continue;
    }
    len = snprintf(out + used, n - used, which == 'y' ? "%04d" : "%02d",
                   which == 'y'   ? d.y
                   : which == 'm' ? d.m
                   : which == 'd' ? d.d
                   : which == 'H' ? (int)(secs / 3600)
                   : which == 'M' ? (int)(secs / 60 % 60)
                                  : (int)(secs % 60));
    if (len < 0 || (size_t)len >= n - used)
      return MS_EINVAL;
    used += (size_t)len;
    p += w;
  }
  out[used] = '\0';
  return MS_OK;
}
