/* When a schedule is due, and which days a run covers.
 *
 * A schedule's timing is one of:
 *
 *  - every N minutes or hours (`--every 10m`, `--every 2h`): at local
 *    midnight and then every N, restarting at each local midnight, so
 *    "every 2h" runs at 00:00, 02:00, ... 22:00 whatever the day's length,
 *    and "every 90m" at 00:00, 01:30, ... 22:30;
 *  - a cron expression (`--cron "0 *\/2 * * *"`, see util/cron.h; `*\/` is a
 *    star and a slash, which a C comment cannot hold);
 *  - daily at HH:MM (`--daily-at 02:00`);
 *
 * optionally limited to a window of local times (`--between 06:00-22:00`,
 * both ends included; "22:00-06:00" wraps midnight) and to a number of runs
 * per local calendar day (`--max-runs-per-day N`). All times are local to
 * the schedule's zone.
 *
 * DST changes follow util/cron.h, with an interval counting as a wildcard
 * expression and a daily time as a fixed one:
 *
 *  - a run whose local time the clocks skip happens when the gap ends (daily
 *    at 02:30 on 2026-03-08 in New York runs at 03:00 EDT); never skipped;
 *  - in a repeated hour a daily time runs at its first pass only (daily at
 *    01:30 on 2026-11-01 in New York runs at 01:30 EDT), while an interval
 *    shorter than a day runs at each pass, keeping its pace (every 1h runs
 *    at 01:00 EDT and 01:00 EST); "every 24h" is once a day;
 *  - the window is checked against the run's nominal local time, so a
 *    02:00 run moved to 03:00 by a gap still runs when the window is
 *    01:00-02:30.
 *
 * What the scheduler stores per schedule is the due time of the last run it
 * enqueued and how many runs it enqueued on that run's local day; from these
 * schedule_runs_on_day() gives the count schedule_next() needs.
 */
#ifndef MS_UTIL_SCHEDULE_TIME_H
#define MS_UTIL_SCHEDULE_TIME_H

#include <stdint.h>

#include "util/cron.h"
#include "util/err.h"
#include "util/tz.h"

#define SCHEDULE_EVERY_MIN 60        /* shortest interval, seconds */
#define SCHEDULE_EVERY_MAX 86400     /* longest interval, seconds */
#define SCHEDULE_MAX_RUNS_LIMIT 1440 /* highest --max-runs-per-day (one a minute) */
#define SCHEDULE_TEXT_MAX 32         /* longest --every/--daily-at/--between text */
#define SCHEDULE_NEVER INT64_MIN     /* a last due time meaning "never ran" */
#define RANGE_MAX_DAYS 3660          /* longest custom date range, in days */

enum schedule_kind {
  SCHEDULE_EVERY = 1, /* every N seconds from local midnight */
  SCHEDULE_CRON,      /* a cron expression */
  SCHEDULE_DAILY_AT,  /* once a day at a local time */
};

/* Local times of day a schedule may run at, both ends included. */
struct schedule_window {
  int start; /* first allowed minute of the local day, 0..1439 */
  int end;   /* last allowed minute, 0..1439; below start when it wraps midnight */
};

struct schedule_timing {
  enum schedule_kind kind;       /* which of every, cron, daily_at is set */
  int every;                     /* SCHEDULE_EVERY: seconds, a multiple of 60, 60..86400 */
  struct cron cron;              /* SCHEDULE_CRON: the parsed expression */
  int daily_at;                  /* SCHEDULE_DAILY_AT: minute of the local day, 0..1439 */
  int has_window;                /* 1: runs only inside window */
  struct schedule_window window; /* when has_window: the allowed local times */
  int max_runs_per_day;          /* 0: no limit; else runs per local day, 1..1440 */
};

/* "10m", "90m", "1h", "24h" (a whole number of minutes or hours, from 1m to
 * 24h) into seconds. */
int schedule_timing_parse_every(const char *s, int *seconds, struct err *err);
/* "02:00" or "2:00" into the minute of the day (120). */
int schedule_timing_parse_daily_at(const char *s, int *minute, struct err *err);
/* "06:00-22:00" or "22:00-06:00"; both ends included, so they must differ. */
int schedule_timing_parse_between(const char *s, struct schedule_window *w, struct err *err);
/* "1".."1440". */
int schedule_timing_parse_max_runs(const char *s, int *n, struct err *err);

/* Checks the timing and turns it into the set of local minutes and days
 * cron_next() searches (window applied). MS_EINVAL when a field is out of
 * range or no time is left to run at ("every 6h between 07:00-11:00"). */
int schedule_timing_compile(const struct schedule_timing *t, struct cron *out, struct err *err);

/* The next due instant strictly after `after_utc`, in *next_utc.
 * `runs_in_day` is how many runs were already made on the local day of
 * `after_utc`; once it reaches max_runs_per_day, the rest of that day is
 * skipped. A run on a later day starts that day's count afresh. Errors as
 * for schedule_timing_compile() and cron_next(). */
int schedule_next(const struct schedule_timing *t, struct tz *zone, int64_t after_utc,
                  int runs_in_day, int64_t *next_utc, struct err *err);

/* The local calendar day of instant `t` in the zone: the day whose runs it
 * counts toward. */
int schedule_local_day(struct tz *zone, int64_t t, struct civil_date *day, struct err *err);

/* How many runs were made on the local day of `t`, given the due time of
 * the last run (SCHEDULE_NEVER when none) and the count stored with it (runs
 * on that run's local day, that one included): last_count when both fall on
 * the same local day, else 0. After enqueuing a run due at D, store D and
 * schedule_runs_on_day(..., D, &n) + 1. */
int schedule_runs_on_day(struct tz *zone, int64_t last_due, int last_count, int64_t t, int *runs,
                         struct err *err);

/* Which local days a run covers. */
enum range_preset {
  RANGE_TODAY = 1,      /* today */
  RANGE_YESTERDAY,      /* yesterday */
  RANGE_LAST_7_DAYS,    /* the 7 days ending today, today included */
  RANGE_LAST_30_DAYS,   /* the 30 days ending today, today included */
  RANGE_CURRENT_MONTH,  /* the 1st of this month to today */
  RANGE_PREVIOUS_MONTH, /* the whole previous month, 1st to last day */
  RANGE_CUSTOM,         /* the dates given */
};

/* "today", "yesterday", "last-7-days", "last-30-days", "current-month",
 * "previous-month" or "custom" (any case). */
int range_preset_parse(const char *s, enum range_preset *out, struct err *err);
/* The name range_preset_parse() reads; "?" for an unknown value. */
const char *range_preset_name(enum range_preset p);
/* "FROM..TO", two YYYY-MM-DD dates, FROM <= TO, at most RANGE_MAX_DAYS days. */
int range_custom_parse(const char *s, struct civil_date *from, struct civil_date *to,
                       struct err *err);
/* The first and last local day (both included) of the preset at `now_utc`
 * in the zone. custom_from and custom_to are read for RANGE_CUSTOM only
 * and checked as range_custom_parse() does. */
int range_preset_days(enum range_preset p, struct tz *zone, int64_t now_utc,
                      struct civil_date custom_from, struct civil_date custom_to,
                      struct civil_date *from, struct civil_date *to, struct err *err);

#endif
