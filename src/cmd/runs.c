/* marketsync runs: the sync log, newest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "store/store.h"
#include "util/log.h"
#include "util/tz.h"

static int print_run(void *ctx, const struct run_row *r) {
  int *n = ctx;
  char start[TIME_STR_LEN];
  time_format(r->started_at, 0, 1, start);
  if ((*n)++ == 0)
    printf("%-6s %-21s %-8s %-11s %6s %6s %7s %9s %8s %6s %5s  %s\n", "RUN", "STARTED", "TRIGGER",
           "STATUS", "SLICES", "FAILED", "PAGES", "RECORDS", "REQUESTS", "RETRY", "429", "SECONDS");
  printf("%-6lld %-21s %-8s %-11s %6lld %6lld %7lld %9lld %8lld %6lld %5lld  %lld\n",
         (long long)r->id, start, r->trigger, r->status, (long long)r->slices_total,
         (long long)r->slices_failed, (long long)r->pages, (long long)r->records,
         (long long)r->requests, (long long)r->retries, (long long)r->rate_limited,
         (long long)(r->finished_at ? r->finished_at - r->started_at : 0));
  return MS_OK;
}

static const char runs_help[] =
    "usage: marketsync runs [--limit N]\n\n"
    "The sync log: one line per run, newest first, with its counters. SLICES are\n"
    "the days and the passes by update time (or whole) the run took on.\n";

enum { O_LIMIT = 1 };
static const struct cmd_option runs_options[] = {{"limit", required_argument, O_LIMIT}, {NULL}};

static int on_option(void *ctx, int key, const char *v) {
  (void)key; /* only --limit */
  return cmd_int("runs", "--limit", v, 1, 100000, ctx);
}

int cmd_runs(int argc, char **argv) {
  struct store *st = NULL;
  struct err err = {0};
  long limit = 20;
  int n = 0, first, rc;
  rc = cmd_parse("runs", runs_help, argc, argv, runs_options, on_option, &limit, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  if (first < argc)
    return cmd_usage_error("runs", "unexpected argument '%s'", argv[first]);
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
