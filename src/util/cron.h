/* Cron expressions and the next local time they name.
 *
 * Syntax: five fields separated by spaces or tabs,
 *
 *   minute (0-59)  hour (0-23)  day-of-month (1-31)  month (1-12)  day-of-week (0-7)
 *
 * each a comma-separated list of `*`, `N`, `A-B`, `*\/S` or `A-B/S` (here and
 * below `*\/` stands for a star followed by a slash, which a C comment cannot
 * hold). Months may be written jan..dec and days of the week sun..sat (any
 * case); both 0 and 7 are Sunday, and a range that ends on Sunday ends the
 * week ("fri-sun" is 5-7). A step needs `*` or a range before it ("5/10" is
 * refused: write "5-59/10"). The shorthands @yearly (@annually), @monthly,
 * @weekly, @daily (@midnight) and @hourly stand for "0 0 1 1 *",
 * "0 0 1 * *", "0 0 * * 0", "0 0 * * *" and "0 * * * *". An expression is
 * at most CRON_EXPR_MAX bytes of printable ASCII, spaces and tabs.
 *
 * Days follow Vixie cron (and cronie): a day-of-month or day-of-week field
 * that begins with `*` (so also `*\/2`) leaves that side unrestricted. When
 * both fields are restricted a day matches if EITHER does ("0 0 1,15 * mon":
 * the 1st, the 15th and every Monday); otherwise it must match both
 * ("0 0 *\/2 * mon": odd days that are Mondays). An expression whose
 * day-of-month can never fall in its months ("0 0 31 2 *") is refused.
 *
 * Times are local wall-clock times in a zone. Around DST changes:
 *
 *  - A time the clocks skip (02:30 on 2026-03-08 in New York) runs once, at
 *    the instant the gap ends (03:00 local): a run is late, never lost. Every
 *    skipped time of the gap lands on that same instant, so it is one run.
 *    (Vixie cron does this for fixed-time jobs only; we do it for all, since
 *    a missed sync costs more than a late one.)
 *  - A time the clocks pass twice (01:30 on 2026-11-01 in New York) runs at
 *    its first pass only, unless the expression is a "wildcard" one: its
 *    minute or hour field begins with `*` ("*\/15 * * * *", "0 * * * *",
 *    "0 *\/2 * * *"). Those run at every real instant whose local time
 *    matches, so an hourly job runs in both 01:00 hours and a 15-minute job
 *    keeps its pace. This is Vixie cron's and cronie's split between
 *    wildcard and fixed-time jobs: a job that names its hour means "once, at
 *    that time of day"; a job that repeats through the day means "at this
 *    pace".
 *  - A day the zone skipped whole (Samoa, 2011-12-30) runs its times when
 *    the next day starts, as any other skipped time.
 *  - A local day is assumed to hold at most one offset change, as in the
 *    rules of the zones in use; on a day with two, runs after the second
 *    would be mistimed.
 */
#ifndef MS_UTIL_CRON_H
#define MS_UTIL_CRON_H

#include <stdint.h>

#include "util/err.h"
#include "util/tz.h"

#define CRON_EXPR_MAX 256           /* longest expression accepted, in bytes */
#define CRON_DAY_MINUTES 1440       /* minutes in a (24-hour) local day */
#define CRON_DAY_WORDS 23           /* 64-bit words holding CRON_DAY_MINUTES bits */
#define CRON_SEARCH_YEARS 41        /* how far cron_next looks ahead */
#define CRON_TIME_MAX 32503680000LL /* 3000-01-01T00:00:00Z: latest `after` accepted */

/* Flags of struct cron. */
#define CRON_DOM_STAR 0x1 /* day-of-month begins with '*': does not restrict days */
#define CRON_DOW_STAR 0x2 /* day-of-week begins with '*': does not restrict days */
#define CRON_WILD 0x4     /* minute or hour begins with '*': runs twice in a repeated hour */

/* A parsed expression, as sets of what matches. Plain data: copy it freely.
 * Besides cron_parse, the schedule code builds these from intervals and
 * daily times, so one search serves all three. */
struct cron {
  uint64_t minutes[CRON_DAY_WORDS]; /* bit m: minute m of the local day (hour*60+min) */
  uint32_t mdays;                   /* bit d: day of month d, 1..31 */
  uint16_t months;                  /* bit m: month m, 1..12 */
  uint8_t wdays;                    /* bit w: day of week w, 0..6, 0 = Sunday */
  uint8_t flags;                    /* CRON_DOM_STAR | CRON_DOW_STAR | CRON_WILD */
};

/* Parses `expr` into *out. MS_EINVAL names the field and what it expects,
 * e.g. "cron field 2 (hour): 24 is out of range 0-23"; MS_ETOOBIG when
 * longer than CRON_EXPR_MAX. *out is written on success only. */
int cron_parse(const char *expr, struct cron *out, struct err *err);

/* True when minute-of-day `minute` (0..1439) is in the set. */
int cron_has_minute(const struct cron *c, int minute);
/* Adds minute-of-day `minute` (0..1439) to the set. */
void cron_add_minute(struct cron *c, int minute);
/* True when the local calendar day matches the day, month and weekday
 * fields (with the Vixie rule above). */
int cron_day_matches(const struct cron *c, struct civil_date day);

/* The first instant strictly after `after_utc` at which the local time in
 * `zone` matches, with the DST rules above, in *next_utc. The zone is not
 * const because ICU calendars keep state; it is not shared between threads.
 * MS_EINVAL when `after_utc` is outside 0..CRON_TIME_MAX or the set of
 * minutes is empty; MS_ENOTFOUND when nothing matches within
 * CRON_SEARCH_YEARS (February 29 on one weekday recurs at most 40 years
 * apart, so for a parsed expression this cannot happen before year 3000). */
int cron_next(const struct cron *c, struct tz *zone, int64_t after_utc, int64_t *next_utc,
              struct err *err);

#endif
