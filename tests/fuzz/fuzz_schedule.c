/* Fuzzes what `schedule add` reads: the first line goes to cron_parse and to
 * the --every, --daily-at, --between, --max-runs-per-day, date-range preset
 * and FROM..TO parsers. An expression that parses is then run forward with
 * cron_next from a few instants (around DST changes) in the zone named by
 * the second line, or one of a few odd zones picked by its length, and
 * every run must be later than the last and either match the expression at
 * its local time or be the end of a skipped stretch. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/cron.h"
#include "util/schedule_time.h"

static const char *const odd_zones[] = {
    "America/New_York",
    "Europe/Berlin",
    "America/Havana",
    "America/Santiago",
    "Asia/Beirut",
    "Pacific/Apia",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Antarctica/Troll",
    "UTC",
};

/* Instants around changes of 2026 (and Samoa's skipped day). */
static const int64_t starts[] = {
    1772949600, /* 2026-03-08T06:00Z: New York's spring gap, an hour ahead */
    1793500000, /* 2026-11-01 early UTC: New York's and Havana's repeats ahead */
    1774738800, /* 2026-03-29T00:00+01:00: Berlin and Beirut */
    1325152800, /* 2011-12-29T10:00Z: Samoa skips 2011-12-30 */
};

#define RUNS_PER_START 6

static void check_runs(const struct cron *c, struct tz *tz) {
  for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
    int64_t t = starts[i];
    for (int k = 0; k < RUNS_PER_START; k++) {
      int64_t next;
      int off, before;
      struct civil_date d;
      if (cron_next(c, tz, t, &next, NULL) != MS_OK)
        return;
      FUZZ_CHECK(next > t);
      FUZZ_CHECK(next - t <= (int64_t)(CRON_SEARCH_YEARS + 1) * 366 * 86400);
      FUZZ_CHECK(tz_offset_at(tz, next, &off) == MS_OK);
      FUZZ_CHECK(tz_offset_at(tz, next - 1, &before) == MS_OK);
      FUZZ_CHECK(tz_local_date(tz, next, &d) == MS_OK);
      int64_t local = next + off, sec = ((local % 86400) + 86400) % 86400;
      int matches = sec % 60 == 0 && cron_has_minute(c, (int)(sec / 60)) && cron_day_matches(c, d);
      FUZZ_CHECK(matches || before != off); /* else it ends a gap */
      t = next;
    }
  }
}

static void check_text(const char *s) {
  struct cron c;
  struct err err = {0};
  int v;
  struct schedule_window w;
  enum range_preset p;
  struct civil_date from, to;
  if (schedule_timing_parse_every(s, &v, &err) == MS_OK)
    FUZZ_CHECK(v >= SCHEDULE_EVERY_MIN && v <= SCHEDULE_EVERY_MAX && v % 60 == 0);
  if (schedule_timing_parse_daily_at(s, &v, &err) == MS_OK)
    FUZZ_CHECK(v >= 0 && v < CRON_DAY_MINUTES);
  if (schedule_timing_parse_between(s, &w, &err) == MS_OK)
    FUZZ_CHECK(w.start != w.end && w.start >= 0 && w.end < CRON_DAY_MINUTES);
  if (schedule_timing_parse_max_runs(s, &v, &err) == MS_OK)
    FUZZ_CHECK(v >= 1 && v <= SCHEDULE_MAX_RUNS_LIMIT);
  if (range_preset_parse(s, &p, &err) == MS_OK)
    FUZZ_CHECK(strcmp(range_preset_name(p), "?") != 0);
  if (range_custom_parse(s, &from, &to, &err) == MS_OK)
    FUZZ_CHECK(date_cmp(from, to) <= 0);
  if (cron_parse(s, &c, &err) != MS_OK)
    FUZZ_CHECK(err.code != MS_OK && err.msg[0] && !strchr(err.msg, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t head_len, tail_len;
  int has_head;
  const uint8_t *tail = fuzz_split_line(data, size, &head_len, &has_head, &tail_len);
  char *expr = fuzz_strndup(data, has_head ? head_len : size);
  char *zone = fuzz_strndup(has_head ? tail : data, has_head ? tail_len : 0);
  struct cron c;
  struct tz *tz = NULL;
  check_text(expr);
  if (cron_parse(expr, &c, NULL) == MS_OK &&
      (tz_open(zone, &tz, NULL) == MS_OK ||
       tz_open(odd_zones[strlen(zone) % (sizeof(odd_zones) / sizeof(odd_zones[0]))], &tz, NULL) ==
           MS_OK)) {
    check_runs(&c, tz);
    tz_free(tz);
  }
  free(expr);
  free(zone);
  return 0;
}
