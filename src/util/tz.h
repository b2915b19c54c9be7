/* Calendar dates, instants and time zones (ICU underneath).
 *
 * Instants are int64_t seconds since the Unix epoch, UTC. A "day" is a civil
 * date; its bounds in a zone are the instants of local midnight at its start
 * and at the start of the next day, so a day may be 23, 24 or 25 hours long.
 */
#ifndef MS_UTIL_TZ_H
#define MS_UTIL_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct civil_date {
  int y; /* year, 1970..9999 */
  int m; /* month, 1..12 */
  int d; /* day of month, 1..31 */
};

#define DATE_STR_LEN 11 /* "YYYY-MM-DD" + NUL */
#define TIME_STR_LEN 32 /* "YYYY-MM-DDTHH:MM:SS+HH:MM" + NUL, with room */

/* Strict "YYYY-MM-DD" of a real calendar day. */
int date_parse(const char *s, struct civil_date *out, struct err *err);
void date_format(struct civil_date d, char out[DATE_STR_LEN]);
int64_t date_to_days(struct civil_date d); /* days since 1970-01-01 */
struct civil_date date_from_days(int64_t days);
struct civil_date date_add(struct civil_date d, int days);
int date_cmp(struct civil_date a, struct civil_date b);

/* An opened time zone. Not safe to share between threads. */
struct tz;

/* Opens an IANA zone such as "America/Los_Angeles"; MS_EINVAL when unknown. */
int tz_open(const char *tzid, struct tz **out, struct err *err);
void tz_free(struct tz *tz);
const char *tz_name(const struct tz *tz);

/* [*start, *end) are the UTC instants of the local day's first and next
 * day's first moment. */
int tz_day_bounds(struct tz *tz, struct civil_date day, int64_t *start, int64_t *end);
/* Offset from UTC in seconds at the instant (e.g. -18000 for UTC-5). */
int tz_offset_at(struct tz *tz, int64_t t, int *offset);
/* The local calendar date at the instant. */
int tz_local_date(struct tz *tz, int64_t t, struct civil_date *out);

/* "2025-04-22T14:30:00-05:00" for the given offset; offset 0 gives "+00:00"
 * unless zulu is set, which gives "Z". */
void time_format(int64_t t, int offset, int zulu, char out[TIME_STR_LEN]);
/* Parses ISO-8601 with Z or +HH:MM / +HHMM, optional fraction (dropped). */
int time_parse(const char *s, int64_t *out);

/* The instant of a local wall time in the zone (seconds into the day). A
 * time in a DST gap moves forward past it; one that happens twice is its
 * first occurrence. */
int tz_local_to_utc(struct tz *tz, struct civil_date day, int sec_of_day, int64_t *out);

/* Parses a time written by a pattern of yyyy, mm, dd, HH, MM, SS and literal
 * characters ("dd.mm.yyyy HH:MM:SS", "yyyy-mm-dd"); fields left out are 0.
 * The result is the local time in zone (UTC when zone is NULL). With a NULL
 * pattern: ISO 8601 as time_parse, and a time without an offset
 * ("2026-11-20 14:05:33", "2026-11-20T14:05:33") or a bare date also read
 * as local time in zone. MS_EINVAL when s does not match. */
int time_parse_pattern(const char *s, const char *pattern, struct tz *zone, int64_t *out);
/* The same for a day: the date part only, as "YYYY-MM-DD" in out. */
int date_parse_pattern(const char *s, const char *pattern, struct civil_date *out);

/* Writes the instant t as local time in zone (UTC when NULL) by a pattern
 * of the same letters ("dd.mm.yyyy HH:MM:SS"); every other character is
 * copied. MS_EINVAL when out is too small or t is before 1970. */
int time_format_pattern(int64_t t, const char *pattern, struct tz *zone, char *out, size_t n);
/* Checks that a pattern names a year, a month and a day once each, and no
 * letter that is not a field (but ISO 8601's T and Z): 1 when usable. */
int time_pattern_ok(const char *pattern);

#endif
