/* Fuzzes dates, instants and zones: the whole input goes to date_parse,
 * time_parse and tz_open. When it holds a newline, the first line is also
 * read as a day and the second as a zone, and the day's bounds in that zone
 * are computed (23- and 25-hour days, skipped and repeated midnights); a
 * zone line that names no zone picks one of a few odd ones by its length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/tz.h"

static void check_text(const char *s) {
  struct civil_date d;
  struct err err = {0};
  struct tz *tz = NULL;
  int64_t t;
  if (date_parse(s, &d, &err) == MS_OK) {
    char back[DATE_STR_LEN];
    date_format(d, back);
    FUZZ_CHECK(strcmp(back, s) == 0);
    FUZZ_CHECK(date_cmp(date_from_days(date_to_days(d)), d) == 0);
  }
  if (time_parse(s, &t) == MS_OK) {
    char back[TIME_STR_LEN];
    time_format(t, 0, 1, back); /* any instant we accept can be written out */
    FUZZ_CHECK(time_parse(back, &t) == MS_OK);
  }
  if (tz_open(s, &tz, &err) == MS_OK) {
    FUZZ_CHECK(strcmp(tz_name(tz), s) == 0);
    tz_free(tz);
  }
}

/* Zones whose days are not all 24 hours long, for a zone line that names
 * none: the fuzzer finds dates far more easily than zone names. */
static const char *const odd_zones[] = {
    "America/New_York", "Europe/London",       "America/Havana",    "America/Santiago",
    "Pacific/Apia",     "Australia/Lord_Howe", "Asia/Kathmandu",    "Pacific/Kiritimati",
    "America/St_Johns", "Antarctica/Troll",    "Africa/Casablanca", "UTC",
};

static void check_day_in_zone(const char *day, const char *zone) {
  struct civil_date d, local;
  struct err err = {0};
  struct tz *tz = NULL;
  int64_t start, end;
  int off;
  if (date_parse(day, &d, &err))
    return;
  if (tz_open(zone, &tz, &err) &&
      tz_open(odd_zones[strlen(zone) % (sizeof(odd_zones) / sizeof(odd_zones[0]))], &tz, &err))
    return;
  if (tz_day_bounds(tz, d, &start, &end) == MS_OK) {
    /* Some zones skipped whole days (Pacific/Apia 2011-12-30): length 0. */
    FUZZ_CHECK(end >= start && end - start <= 2 * 86400);
    if (end > start && tz_local_date(tz, start, &local) == MS_OK)
      FUZZ_CHECK(date_cmp(local, d) == 0);
    if (tz_offset_at(tz, start, &off) == MS_OK)
      FUZZ_CHECK(off > -86400 && off < 86400);
  }
  tz_free(tz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *all = fuzz_strndup(data, size);
  size_t head_len, tail_len;
  int has_head;
  const uint8_t *tail = fuzz_split_line(data, size, &head_len, &has_head, &tail_len);
  check_text(all);
  if (has_head) {
    char *day = fuzz_strndup(data, head_len), *zone = fuzz_strndup(tail, tail_len);
    char *nl = strchr(zone, '\n');
    if (nl)
      *nl = '\0';
    check_text(day);
    check_day_in_zone(day, zone);
    free(day);
    free(zone);
  }
  free(all);
  return 0;
}
