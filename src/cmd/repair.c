/* marketsync repair missing-items|zero-prices: the repair passes, as
 * `sync --mode repair-items|repair-prices`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "engine/run.h"

static const char repair_help[] =
    "usage: marketsync repair missing-items [NAME...] [--from DATE --to DATE]\n"
    "       marketsync repair zero-prices [NAME...] [--from DATE --to DATE]\n\n"
    "missing-items  orders stored without any items get their items fetched\n"
    "zero-prices    items stored with a missing or zero price are fetched again; where\n"
    "               the API still has no price and a real price for the same SKU is\n"
    "               known locally, that unit price times the quantity is used (in the\n"
    "               currency's own decimals) and the item is marked estimated\n\n"
    "  --from/--to       only orders created on these days (the source's own days)\n"
    "  --max-retries N   failed attempts of one request before its day fails (default 5)\n\n"
    "The same as 'marketsync sync --mode repair-items' and '--mode repair-prices';\n"
    "'sync --mode incomplete' runs both and fetches orders missing required fields.\n"
    "Exit status as for sync.\n";

enum { O_FROM = 1, O_TO, O_MAX_RETRIES };

static const struct cmd_option repair_options[] = {
    {"from", required_argument, O_FROM},
    {"to", required_argument, O_TO},
    {"max-retries", required_argument, O_MAX_RETRIES},
    {NULL, 0, 0},
};

struct repair_args {
  struct sync_request rq; /* for the engine */
  int have_from, have_to; /* --from, --to */
};

static int on_option(void *ctx, int key, const char *v) {
  struct repair_args *a = ctx;
  long n;
  int rc;
  switch (key) {
  case O_FROM:
    a->have_from = 1;
    return cmd_date("repair", "--from", v, &a->rq.days.from);
  case O_TO:
    a->have_to = 1;
    return cmd_date("repair", "--to", v, &a->rq.days.to);
  case O_MAX_RETRIES:
    rc = cmd_int("repair", "--max-retries", v, 0, 100, &n);
    a->rq.opts.max_retries = (int)n;
    return rc;
  }
  return cmd_usage_error("repair", "unknown option");
}

int cmd_repair(int argc, char **argv) {
  struct repair_args a;
  struct store *st = NULL;
  int first, rc;
  memset(&a, 0, sizeof(a));
  sync_opts_defaults(&a.rq.opts);
  a.rq.trigger = "cli";
  if (argc < 2 || (strcmp(argv[1], "missing-items") != 0 && strcmp(argv[1], "zero-prices") != 0)) {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
      fputs(repair_help, stdout);
      return EXIT_OK;
    }
    return cmd_usage_error("repair", "say which pass: missing-items or zero-prices");
  }
  a.rq.mode = strcmp(argv[1], "zero-prices") == 0 ? SYNC_REPAIR_PRICES : SYNC_REPAIR_ITEMS;
  rc = cmd_parse("repair", repair_help, argc - 1, argv + 1, repair_options, on_option, &a, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  if (a.have_from != a.have_to)
    return cmd_usage_error("repair", "--from and --to go together");
  if (a.have_from) {
    if (date_cmp(a.rq.days.from, a.rq.days.to) > 0)
      return cmd_usage_error("repair", "--from is after --to");
    a.rq.days.choice = DAYS_RANGE;
    a.rq.days.preset = RANGE_CUSTOM;
  }
  a.rq.sources = argv + 1 + first;
  a.rq.nsources = argc - 1 - first;
  rc = cmd_open_store(&st);
  if (!rc)
    rc = cmd_run_sync(st, &a.rq);
  store_close(st);
  return rc;
}
