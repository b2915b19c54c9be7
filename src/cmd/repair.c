/* marketsync repair missing-items|zero-prices: the repair passes.
 *
 * Orders stored without their items, or with items the API sent without a
 * price (Amazon leaves prices out while an order is Pending), get their items
 * fetched again. Each local day's list of orders becomes a slice of the
 * stream "repair-items" whose follow-ups are those orders, so the engine
 * paces, retries, resumes and commits it like any day. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/progress.h"
#include "util/json.h"
#include "core/source.h"
#include "engine/session.h"
#include "engine/sync.h"
#include "util/log.h"
#include "util/clock.h"

#define REPAIR_STREAM "repair-items"

static const char repair_help[] =
    "usage: marketsync repair missing-items [NAME...] [--from DATE --to DATE]\n"
    "       marketsync repair zero-prices [NAME...] [--from DATE --to DATE]\n\n"
    "missing-items  orders stored without any items get their items fetched\n"
    "zero-prices    items stored with a missing or zero price are fetched again; where\n"
    "               the API still has no price and a real price for the same SKU is\n"
    "               known locally, that unit price times the quantity is used and the\n"
    "               item is marked estimated\n\n"
    "  --from/--to       only orders created on these days (the source's own days)\n"
    "  --max-retries N   failed attempts of one request before its day fails (default 5)\n\n"
    "Works for connectors that fetch items separately (amazon). Exit status as for sync.\n";

/* The orders to repair, grouped by the source's local day. */
struct day_list {
  struct civil_date day; /* local day of the orders */
  cJSON *ids;            /* array of order ids */
};

struct collect {
  struct tz *tz;         /* the source's zone */
  struct day_list *days; /* in day order (the store yields oldest first) */
  size_t n;
  int64_t orders;
};

static int collect_order(void *ctx, const char *id, int64_t created_at) {
  struct collect *c = ctx;
  struct civil_date d;
  if (tz_local_date(c->tz, created_at, &d))
    return MS_EINVAL;
  if (c->n == 0 || date_cmp(c->days[c->n - 1].day, d) != 0) {
    struct day_list *p = realloc(c->days, (c->n + 1) * sizeof(*p));
    if (!p)
      return MS_ENOMEM;
    c->days = p;
    c->days[c->n].day = d;
    c->days[c->n].ids = cJSON_CreateArray();
    if (!c->days[c->n].ids)
      return MS_ENOMEM;
    c->n++;
  }
  cJSON_AddItemToArray(c->days[c->n - 1].ids, cJSON_CreateString(id));
  c->orders++;
  return MS_OK;
}

struct repair_args {
  int zero_prices; /* which pass */
  struct civil_date from, to;
  int have_from, have_to;
  struct sync_opts eng;
  char **names;
  int nnames;
};

/* One source: seeds the repair slices, runs them, reports. 0, 1 or 2. */
static int repair_source(struct store *st, const char *name, struct repair_args *a) {
  struct session sess = {0};
  struct collect col = {0};
  struct err err = {0};
  struct civil_date *days = NULL;
  int64_t from = 0, to = INT64_MAX / 2, unpriced_before = 0, unpriced_after = 0, estimated = 0;
  int64_t s_, e_;
  int exit_code = EXIT_OK, rc;
  rc = session_open(st, name, SESSION_ZONE, &sess, &err);
  if (rc == MS_ENOTFOUND)
    return cmd_usage_error("repair", "%s", err.msg);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s is skipped: %s", name, err.msg);
  if (!(sess.conn->flags & CONN_ITEMS_FOLLOW)) {
    printf("%s: %s orders carry their items; nothing to repair\n", name, sess.conn->name);
    session_close(&sess);
    return EXIT_OK;
  }
  if (a->have_from && !tz_day_bounds(sess.src.tz, a->from, &s_, &e_))
    from = s_;
  if (a->have_to && !tz_day_bounds(sess.src.tz, a->to, &s_, &e_))
    to = e_;
  col.tz = sess.src.tz;
  rc = st->ops->orders_needing_items(st, sess.src.row.id, from, to, a->zero_prices, collect_order,
                                     &col, &err);
  if (!rc && a->zero_prices)
    rc = st->ops->items_unpriced(st, sess.src.row.id, from, to, &unpriced_before, &err);
  if (rc) {
    exit_code = log_error(EXIT_PARTIAL, "%s: %s", name, err.msg);
    goto out;
  }
  if (col.n == 0) {
    printf("%s: nothing to repair\n", name);
    goto out;
  }
  days = calloc(col.n, sizeof(*days));
  if (!days) {
    exit_code = log_error(EXIT_PARTIAL, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < col.n; i++) {
    char *text = cJSON_PrintUnformatted(col.days[i].ids);
    rc = text ? st->ops->slice_seed(st, sess.src.row.id, REPAIR_STREAM, col.days[i].day, text, &err)
              : MS_ENOMEM;
    free(text);
    if (rc) {
      exit_code = log_error(EXIT_PARTIAL, "%s: %s", name, err.msg);
      goto out;
    }
    days[i] = col.days[i].day;
  }
  printf("%s: fetching the items of %lld orders over %zu days\n", name, (long long)col.orders,
         col.n);
  {
    struct sync_target t = {&sess.src, sess.conn, sess.cstate, REPAIR_STREAM, days, col.n};
    struct run_row run = {0};
    struct sync_stats stats = {0};
    struct progress prog;
    char scope[64];
    snprintf(scope, sizeof(scope), "repair %s", a->zero_prices ? "zero-prices" : "missing-items");
    cmd_close_dead_runs(st);
    snprintf(run.trigger, sizeof(run.trigger), "cli");
    run.scope = scope;
    run.pid = getpid();
    rc = st->ops->run_start(st, &run, &err);
    if (!rc) {
      progress_init(&prog, g_opts.quiet);
      a->eng.on_event = progress_event;
      a->eng.ctx = &prog;
      rc = sync_run(st, &t, 1, &a->eng, &run, &stats, &err);
      progress_finish(&prog);
      progress_print_failures(&prog);
      progress_release(&prog);
      run.finished_at = wall_now();
      snprintf(run.status, sizeof(run.status), "%s",
               rc                  ? "failed"
               : stats.days_failed ? "partial"
                                   : "completed");
      st->ops->run_update(st, &run, &err);
      run.scope = NULL;
      if (rc || stats.days_failed || stats.days_skipped)
        exit_code = EXIT_PARTIAL;
      printf("%s: %lld of %lld days repaired, %lld requests, %lld rate-limited (429)\n", name,
             (long long)stats.days_done, (long long)stats.days_total, (long long)stats.requests,
             (long long)stats.rate_limited);
    }
  }
  if (rc && rc != MS_EINTR)
    log_error(rc, "%s: %s", name, err.msg);
  if (a->zero_prices &&
      !st->ops->items_unpriced(st, sess.src.row.id, from, to, &unpriced_after, &err) &&
      !st->ops->items_estimate(st, sess.src.row.id, from, to, &estimated, &err)) {
    printf("%s: %lld items had no price: %lld fixed from the API, %lld estimated from a known "
           "price for their SKU, %lld still missing\n",
           name, (long long)unpriced_before,
           (long long)(unpriced_before > unpriced_after ? unpriced_before - unpriced_after : 0),
           (long long)estimated, (long long)(unpriced_after - estimated));
  } else if (!a->zero_prices) {
    struct collect left = {sess.src.tz, NULL, 0, 0};
    if (!st->ops->orders_needing_items(st, sess.src.row.id, from, to, 0, collect_order, &left,
                                       &err))
      printf("%s: %lld orders had no items: %lld repaired, %lld still without items\n", name,
             (long long)col.orders, (long long)(col.orders - left.orders), (long long)left.orders);
    for (size_t i = 0; i < left.n; i++)
      cJSON_Delete(left.days[i].ids);
    free(left.days);
  }
out:
  session_close(&sess);
  for (size_t i = 0; i < col.n; i++)
    cJSON_Delete(col.days[i].ids);
  free(col.days);
  free(days);
  return exit_code;
}

int cmd_repair(int argc, char **argv) {
  static const struct option opts[] = {{"from", required_argument, 0, 'f'},
                                       {"to", required_argument, 0, 't'},
                                       {"max-retries", required_argument, 0, 'm'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  struct repair_args a;
  char **all_names = NULL;
  int all_n = 0;
  struct store *st = NULL;
  struct err err = {0};
  char owner[MS_NAME_MAX];
  int opt, rc, exit_code = EXIT_OK;
  memset(&a, 0, sizeof(a));
  sync_opts_defaults(&a.eng);
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(repair_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  if (strcmp(argv[1], "zero-prices") == 0)
    a.zero_prices = 1;
  else if (strcmp(argv[1], "missing-items") != 0)
    return cmd_usage_error("repair", "'%s' is not a repair pass (missing-items, zero-prices)",
                           argv[1]);
  argc--;
  argv++;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
    case 'f':
    case 't':
      if (date_parse(optarg, opt == 'f' ? &a.from : &a.to, &err))
        return cmd_usage_error("repair", "--%s: %s", opt == 'f' ? "from" : "to", err.msg);
      *(opt == 'f' ? &a.have_from : &a.have_to) = 1;
      break;
    case 'm': {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*end || end == optarg || v < 0 || v > 100)
        return cmd_usage_error("repair", "--max-retries takes a whole number from 0 to 100");
      a.eng.max_retries = (int)v;
      break;
    }
    case 'h':
      fputs(repair_help, stdout);
      return EXIT_OK;
    default:
      return cmd_usage_error("repair", "unknown option or missing value");
    }
  }
  if (a.have_from && a.have_to && date_cmp(a.from, a.to) > 0)
    return cmd_usage_error("repair", "--from is after --to");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  a.names = argv + optind;
  a.nnames = argc - optind;
  if (a.nnames == 0) {
    if (cmd_source_names(st, &all_names, &all_n, &err)) {
      store_close(st);
      return log_error(EXIT_USAGE, "%s", err.msg);
    }
    a.names = all_names;
    a.nnames = all_n;
  }
  sync_owner_id(owner, sizeof(owner));
  a.eng.owner = owner;
  a.eng.stop = cmd_catch_stop_signals();
  for (int i = 0; i < a.nnames && !*a.eng.stop; i++) {
    rc = repair_source(st, a.names[i], &a);
    if (rc > exit_code)
      exit_code = rc;
  }
  cmd_names_free(all_names, all_n);
  store_close(st);
  return exit_code;
}
