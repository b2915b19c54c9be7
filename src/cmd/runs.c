/* marketsync runs: the sync log, newest first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "store/store.h"
#include "util/log.h"
#include "util/tz.h"

static int print_run(void *ctx, const struct run_row *r) {
  int *n = ctx;
  char start[TIME_STR_LEN];
  time_format(r->started_at, 0, 1, start);
  if ((*n)++ == 0)
    printf("%-6s %-21s %-8s %-11s %6s %6s %7s %9s %8s %6s %5s  %s\n", "RUN", "STARTED", "TRIGGER",
           "STATUS", "DAYS", "FAILED", "PAGES", "ORDERS", "REQUESTS", "RETRY", "429", "SECONDS");
  printf("%-6lld %-21s %-8s %-11s %6lld %6lld %7lld %9lld %8lld %6lld %5lld  %lld\n",
         (long long)r->id, start, r->trigger, r->status, (long long)r->slices_total,
         (long long)r->slices_failed, (long long)r->pages, (long long)r->records,
         (long long)r->requests, (long long)r->retries, (long long)r->rate_limited,
         (long long)(r->finished_at ? r->finished_at - r->started_at : 0));
  return MS_OK;
}

int cmd_runs(int argc, char **argv) {
  struct store *st = NULL;
  struct err err = {0};
  long limit = 20;
  int n = 0, rc;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0) {
      printf("usage: marketsync runs [--limit N]\n\nThe sync log: one line per run, newest "
             "first, with its counters.\n");
      return EXIT_OK;
    }
    if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
      char *end;
      errno = 0;
      limit = strtol(argv[++i], &end, 10);
      if (errno || *end || limit < 1 || limit > 100000)
        return cmd_usage_error("runs", "--limit takes a whole number from 1 to 100000");
    } else {
      return cmd_usage_error("runs", "unexpected argument '%s'", argv[i]);
    }
  }
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = st->ops->run_list(st, (int)limit, print_run, &n, &err);
  store_close(st);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!n)
    printf("no runs yet\n");
  return EXIT_OK;
}
