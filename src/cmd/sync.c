/* marketsync sync: read the options, hand the sync to the engine, report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "cmd/progress.h"
#include "engine/run.h"
#include "util/clock.h"
#include "util/log.h"

#define STREAMS_ASKED_MAX 16

static const char sync_help[] =
    "usage: marketsync sync [NAME...] [--stream S[,S...]] [--mode MODE] [RANGE]\n"
    "                       [--resync[=DATE]] [--max-retries N] [--max-day-retries N]\n"
    "                       [--delay SECONDS] [--concurrency N] [--overlap SECONDS]\n"
    "       marketsync sync [NAME...] --plan [RANGE] [--orders-per-day N]\n"
    "       marketsync sync [NAME...] --initialize-days N\n\n"
    "Fetches each source's streams and stores every page together with the place to\n"
    "resume from. Orders come day by day (each source's own calendar day); products,\n"
    "customers and stock levels by update time from where the last sync left them;\n"
    "locations as a whole. Completed days are skipped; a day that was interrupted\n"
    "resumes from its last stored page.\n\n"
    "With no mode and no range (what to run every hour): today and every day left\n"
    "pending or failed, then everything changed since the last sync, for every stream.\n\n"
    "  --stream S[,S...]     only these streams (default: the source's own choice, see\n"
    "                        'source add --streams', else every stream it offers):\n"
    "                        orders, products, customers, locations, inventory_levels,\n"
    "                        deletions (Shopify); orders (Amazon)\n"
    "  --mode MODE           new       records created in the chosen days\n"
    "                        modified  records changed since the last sync (by update\n"
    "                                  time, less --overlap), and deletions\n"
    "                        full      everything again (the chosen days, every stream\n"
    "                                  from the beginning)\n"
    "                        incomplete  records stored without their items, prices or\n"
    "                                  required fields, fetched again; then missing prices\n"
    "                                  estimated from a known price of the same SKU\n"
    "                        repair-items, repair-prices  one of those passes alone\n\n"
    "RANGE (days of day-by-day streams; default: today plus every day left pending or failed):\n"
    "  --today               today (alias --daily)\n"
    "  --yesterday           yesterday\n"
    "  --last-days N         the last N days, today included\n"
    "  --current-month       the 1st of this month to today\n"
    "  --previous-month      the whole previous month\n"
    "  --from DATE --to DATE these days, YYYY-MM-DD, both included\n"
    "  --pending             every pending or failed day, oldest first (alias --auto-sync)\n\n"
    "  --resync              fetch the chosen days again even when completed\n"
    "  --resync=DATE         fetch this one day again from scratch\n"
    "  --initialize-days N   record the last N days as pending, fetch nothing\n"
    "  --max-retries N       failed attempts of one page before its day fails (default 5)\n"
    "  --max-day-retries N   retries of one day, all its pages together, before it fails\n"
    "                        (default: 20, or 4 x --max-retries, plus one per page stored)\n"
    "  --delay SECONDS       at least this long between requests to one source (default 0;\n"
    "                        pacing normally follows the API's own rate-limit headers)\n"
    "  --concurrency N       days in flight per source and stream (default 2)\n"
    "  --overlap SECONDS     a changes pass starts this long before where the last one\n"
    "                        ended, for records changed while it ran (default 300)\n"
    "  --request-timeout S   give up on one request after S seconds (default 120; a\n"
    "                        request that receives nothing for 30 s is cut off sooner)\n"
    "  --plan                fetch nothing: print, per source, the days, the requests they\n"
    "                        will take and the time the API's rate limits impose\n"
    "  --orders-per-day N    with --plan: assume N orders a day (default: the average of\n"
    "                        the days already synced, else 100)\n\n"
    "Exit status: 0 all done, 1 some days or sources failed or the run was interrupted,\n"
    "2 bad arguments or configuration (a source's sealed secret that the master key\n"
    "cannot open counts as configuration).\n";

enum {
  O_TODAY = 1,
  O_YESTERDAY,
  O_LAST,
  O_FROM,
  O_TO,
  O_PENDING,
  O_CURRENT_MONTH,
  O_PREVIOUS_MONTH,
  O_RESYNC,
  O_MAX_RETRIES,
  O_MAX_DAY_RETRIES,
  O_DELAY,
  O_INIT,
  O_CONCURRENCY,
  O_PLAN,
  O_TIMEOUT,
  O_PER_DAY,
  O_STREAM,
  O_MODE,
  O_OVERLAP,
};

static const struct cmd_option sync_options[] = {
    {"today", no_argument, O_TODAY},
    {"daily", no_argument, O_TODAY},
    {"yesterday", no_argument, O_YESTERDAY},
    {"last-days", required_argument, O_LAST},
    {"from", required_argument, O_FROM},
    {"to", required_argument, O_TO},
    {"pending", no_argument, O_PENDING},
    {"auto-sync", no_argument, O_PENDING},
    {"current-month", no_argument, O_CURRENT_MONTH},
    {"previous-month", no_argument, O_PREVIOUS_MONTH},
    {"resync", optional_argument, O_RESYNC},
    {"max-retries", required_argument, O_MAX_RETRIES},
    {"max-day-retries", required_argument, O_MAX_DAY_RETRIES},
    {"delay", required_argument, O_DELAY},
    {"initialize-days", required_argument, O_INIT},
    {"concurrency", required_argument, O_CONCURRENCY},
    {"plan", no_argument, O_PLAN},
    {"request-timeout", required_argument, O_TIMEOUT},
    {"orders-per-day", required_argument, O_PER_DAY},
    {"stream", required_argument, O_STREAM},
    {"streams", required_argument, O_STREAM},
    {"mode", required_argument, O_MODE},
    {"overlap", required_argument, O_OVERLAP},
    {NULL, 0, 0},
};

struct sync_args {
  struct sync_request rq; /* for the engine */
  int ranged;             /* a range option was given */
  int have_from, have_to; /* --from, --to */
  int resync_one;         /* --resync=DATE */
  int init_days;          /* --initialize-days N, 0 if not */
  int plan;               /* --plan: estimate, fetch nothing */
  double per_day;         /* --orders-per-day, 0: from history */
  int mode_given;         /* --mode */
};

static int set_range(struct sync_args *a, enum day_choice choice, enum range_preset preset,
                     int last) {
  struct day_range *d = &a->rq.days;
  if (a->ranged && (d->choice != choice || d->preset != preset || d->last_days != last))
    return cmd_usage_error("sync", "choose one of --today, --yesterday, --last-days, "
                                   "--current-month, --previous-month, --from/--to and --pending");
  a->ranged = 1;
  d->choice = choice;
  d->preset = preset;
  d->last_days = last;
  return 0;
}

static int on_option(void *ctx, int key, const char *v) {
  struct sync_args *a = ctx;
  struct sync_opts *o = &a->rq.opts;
  long n;
  int rc = 0;
  switch (key) {
  case O_TODAY:
    return set_range(a, DAYS_RANGE, RANGE_TODAY, 0);
  case O_YESTERDAY:
    return set_range(a, DAYS_RANGE, RANGE_YESTERDAY, 0);
  case O_CURRENT_MONTH:
    return set_range(a, DAYS_RANGE, RANGE_CURRENT_MONTH, 0);
  case O_PREVIOUS_MONTH:
    return set_range(a, DAYS_RANGE, RANGE_PREVIOUS_MONTH, 0);
  case O_PENDING:
    return set_range(a, DAYS_OPEN, 0, 0);
  case O_LAST:
    rc = cmd_int("sync", "--last-days", v, 1, PLAN_DAYS_MAX, &n);
    return rc ? rc : set_range(a, DAYS_RANGE, 0, (int)n);
  case O_FROM:
  case O_TO:
    rc = set_range(a, DAYS_RANGE, RANGE_CUSTOM, 0);
    if (!rc)
      rc = cmd_date("sync", key == O_FROM ? "--from" : "--to", v,
                    key == O_FROM ? &a->rq.days.from : &a->rq.days.to);
    *(key == O_FROM ? &a->have_from : &a->have_to) = 1;
    return rc;
  case O_RESYNC:
    a->rq.days.resync = 1;
    if (v) {
      rc = cmd_date("sync", "--resync", v, &a->rq.days.from);
      a->rq.days.to = a->rq.days.from;
      a->resync_one = 1;
    }
    return rc;
  case O_MAX_RETRIES:
    rc = cmd_int("sync", "--max-retries", v, 0, 100, &n);
    o->max_retries = (int)n;
    return rc;
  case O_MAX_DAY_RETRIES:
    rc = cmd_int("sync", "--max-day-retries", v, 1, 1000000, &n);
    o->max_day_retries = (int)n;
    return rc;
  case O_CONCURRENCY:
    rc = cmd_int("sync", "--concurrency", v, 1, 16, &n);
    o->per_source = (int)n;
    return rc;
  case O_DELAY:
    return cmd_number("sync", "--delay", v, 0, 3600, &o->delay_floor);
  case O_OVERLAP:
    rc = cmd_int("sync", "--overlap", v, 0, 86400 * 7, &n);
    o->overlap_secs = (int)n;
    return rc;
  case O_INIT:
    rc = cmd_int("sync", "--initialize-days", v, 1, PLAN_DAYS_MAX, &n);
    a->init_days = (int)n;
    return rc;
  case O_PLAN:
    a->plan = 1;
    return 0;
  case O_TIMEOUT:
    rc = cmd_int("sync", "--request-timeout", v, 1, 3600, &n);
    o->request_timeout_ms = n * 1000;
    return rc;
  case O_PER_DAY:
    rc = cmd_int("sync", "--orders-per-day", v, 1, 10000000, &n);
    a->per_day = (double)n;
    return rc;
  case O_STREAM:
    return cmd_names("sync", "--stream", v, &a->rq.streams, &a->rq.nstreams, STREAMS_ASKED_MAX);
  case O_MODE:
    if (sync_mode_parse(v, &a->rq.mode) || a->rq.mode == SYNC_DEFAULT)
      return cmd_usage_error("sync",
                             "--mode is new, modified, full, incomplete, repair-items "
                             "or repair-prices, not '%s'",
                             v);
    a->mode_given = 1;
    return 0;
  }
  return cmd_usage_error("sync", "unknown option");
}

static int parse_args(int argc, char **argv, struct sync_args *a) {
  int first, rc = cmd_parse("sync", sync_help, argc, argv, sync_options, on_option, a, &first);
  struct day_range *d = &a->rq.days;
  if (rc)
    return rc;
  if (d->preset == RANGE_CUSTOM && !a->resync_one) {
    if (!a->have_from || !a->have_to)
      return cmd_usage_error("sync", "--from and --to go together");
    if (date_cmp(d->from, d->to) > 0)
      return cmd_usage_error("sync", "--from is after --to");
    if (date_to_days(d->to) - date_to_days(d->from) >= PLAN_DAYS_MAX)
      return cmd_usage_error("sync", "a range may hold at most %d days", PLAN_DAYS_MAX);
  }
  if (a->resync_one) {
    if (a->ranged)
      return cmd_usage_error("sync", "--resync=DATE names its own day; drop the other range");
    d->choice = DAYS_RANGE;
    d->preset = RANGE_CUSTOM;
    a->ranged = 1;
  }
  if (a->init_days && (a->ranged || d->resync || a->mode_given))
    return cmd_usage_error("sync", "--initialize-days does not fetch; give it alone");
  /* A range names days: the changes of the streams that have days are
   * then left to a plain sync (or --mode modified). */
  if (a->ranged && !a->mode_given)
    a->rq.mode = SYNC_NEW;
  d->dry = a->plan;
  a->rq.sources = argv + first;
  a->rq.nsources = argc - first;
  return 0;
}

static void fmt_hours(double s, char *out, size_t n) {
  if (s < 120)
    snprintf(out, n, "%.0f s", s);
  else if (s < 7200)
    snprintf(out, n, "%.0f min", s / 60);
  else
    snprintf(out, n, "%.1f h", s / 3600);
}

/* --plan and --initialize-days: per source and day-sliced stream, no run. */
static int each_day_stream(struct store *st, struct sync_args *a) {
  int unplanned = 0, printed = 0, names_n = a->rq.nsources, all_n = 0, key_trouble = 0;
  char **names = a->rq.sources, **all = NULL;
  struct err err = {0};
  if (names_n == 0) {
    if (source_names(st, &all, &all_n, &err))
      return log_error(EXIT_USAGE, "%s", err.msg);
    names = all;
    names_n = all_n;
  }
  for (int i = 0; i < names_n; i++) {
    struct session s;
    const struct stream_def *defs[STREAMS_ASKED_MAX];
    size_t nd = 0;
    int rc = session_open(st, names[i], SESSION_ZONE, &s, &err);
    if (rc == MS_ENOTFOUND) {
      source_names_free(all, all_n);
      return cmd_usage_error("sync", "%s", err.msg);
    }
    if (rc) {
      log_error(rc, "%s is skipped: %s", names[i], err.msg);
      unplanned++;
      key_trouble |= rc == MS_EKEY;
      continue;
    }
    session_pick_streams(&s, a->rq.streams, a->rq.nstreams, defs, STREAMS_ASKED_MAX, &nd, &err);
    for (size_t k = 0; k < nd; k++) {
      const struct stream_def *def = defs[k];
      if (def->slicing != SLICING_BY_DAY)
        continue;
      if (st->ops->stream_prepare(st, def, &err)) {
        log_error(MS_EDB, "%s: %s", names[i], err.msg);
        unplanned++;
        continue;
      }
      if (a->init_days) {
        int made = 0;
        if (plan_initialize(st, &s, def, a->init_days, &made, &err)) {
          log_error(MS_EDB, "%s: %s", names[i], err.msg);
          unplanned++;
        } else if (!g_opts.quiet) {
          printf("%s %s: %d days recorded as pending (existing days left as they were)\n", names[i],
                 def->name, made);
        }
      } else {
        struct key_list keys = {0};
        struct plan_cost cost;
        size_t skipped = 0;
        const struct endpoint_def *ep = s.conn->endpoints;
        char when[32], detail[400] = "";
        size_t used = 0;
        if (plan_days(st, &s, def, &a->rq.days, &keys, &skipped, &err) ||
            plan_cost(st, &s, def, keys.n, a->per_day, &cost, &err)) {
          log_error(MS_EINVAL, "%s: %s", names[i], err.msg);
          unplanned++;
          key_list_release(&keys);
          continue;
        }
        if (!printed++)
          printf("%-14s %-9s %-10s %6s %10s  %s\n", "SOURCE", "CONNECTOR", "STREAM", "DAYS",
                 "REQUESTS", "ESTIMATED TIME (by the API's rate limits)");
        for (int e = 0; e < 8 && ep && ep[e].name; e++) {
          if (cost.requests[e] <= 0)
            continue;
          fmt_hours(cost.seconds[e], when, sizeof(when));
          if (used < sizeof(detail))
            used += (size_t)snprintf(detail + used, sizeof(detail) - used,
                                     "%s%s: %.0f requests at %g/s after a burst of %.0f, %s",
                                     used ? "; " : "", ep[e].name, cost.requests[e], ep[e].rate,
                                     ep[e].size, when);
        }
        fmt_hours(cost.slowest, when, sizeof(when));
        printf("%-14s %-9s %-10s %6zu %10.0f  %s\n", names[i], s.conn->name, def->name, keys.n,
               cost.total, when);
        printf("%-14s %s %.0f %s a day (%s)\n%-14s %s\n", "", "assuming", cost.per_day, def->name,
               cost.from_history ? "the average of the days synced" : "a guess", "", detail);
        key_list_release(&keys);
      }
    }
    session_close(&s);
  }
  source_names_free(all, all_n);
  return key_trouble ? EXIT_USAGE : unplanned ? EXIT_PARTIAL : EXIT_OK;
}

static void print_summary(const struct sync_report *r, double secs, int rc) {
  const struct sync_stats *s = &r->stats;
  printf("\n%s run %lld: %lld of %lld days completed", rc == MS_EINTR ? "interrupted" : "finished",
         (long long)r->run.id, (long long)s->days_done, (long long)s->days_total);
  if (s->days_failed)
    printf(", %lld FAILED", (long long)s->days_failed);
  if (s->days_skipped)
    printf(", %lld skipped", (long long)s->days_skipped);
  if (r->skipped_complete)
    printf(" (%zu already complete, not fetched again)", r->skipped_complete);
  if (s->passes_total) {
    printf("; %lld of %lld passes by update time or whole", (long long)s->passes_done,
           (long long)s->passes_total);
    if (s->passes_failed)
      printf(", %lld FAILED", (long long)s->passes_failed);
  }
  printf("\n  %lld records in %lld pages: %lld new, %lld updated, %lld unchanged",
         (long long)s->records, (long long)s->pages, (long long)s->inserted, (long long)s->updated,
         (long long)s->unchanged);
  if (s->deleted)
    printf(", %lld marked deleted", (long long)s->deleted);
  printf("\n");
  if (s->failed)
    printf("  %lld record%s could not be stored (see marketsync failed list)\n",
           (long long)s->failed, s->failed == 1 ? "" : "s");
  printf("  %lld requests, %lld retried, %lld rate-limited (429), %.1f MB of JSON, %.1f s\n",
         (long long)s->requests, (long long)s->retries, (long long)s->rate_limited,
         (double)s->bytes / 1e6, secs);
}

/* What the repair passes found and did. */
static void print_repair(const struct sync_report *r, enum sync_mode m) {
  const struct repair_counts *c = &r->repair;
  int64_t fixed =
      c->incomplete_before > c->incomplete_after ? c->incomplete_before - c->incomplete_after : 0;
  if (m == SYNC_REPAIR_ITEMS)
    printf("  %lld orders had no items: %lld repaired, %lld still without items\n",
           (long long)c->incomplete_before, (long long)fixed, (long long)c->incomplete_after);
  if (m == SYNC_INCOMPLETE)
    printf("  %lld orders were incomplete (no items, items without a price, or fields their "
           "connector requires): %lld complete now, %lld still incomplete\n",
           (long long)c->incomplete_before, (long long)fixed, (long long)c->incomplete_after);
  if (m == SYNC_REPAIR_PRICES || m == SYNC_INCOMPLETE)
    printf("  %lld items had no price: %lld fixed from the API, %lld estimated from a known "
           "price for their SKU, %lld still missing\n",
           (long long)c->unpriced_before,
           (long long)(c->unpriced_before > c->unpriced_after
                           ? c->unpriced_before - c->unpriced_after
                           : 0),
           (long long)c->estimated, (long long)(c->unpriced_after - c->estimated));
}

/* Runs the request through the engine with progress on the terminal and
 * prints the outcome; the exit code. Shared with `repair`. */
int cmd_run_sync(struct store *st, struct sync_request *rq) {
  struct sync_report rep;
  struct progress prog;
  struct err err = {0};
  char owner[MS_NAME_MAX];
  double t0 = mono_now();
  int rc, exit_code = EXIT_OK, key_trouble = 0;
  sync_owner_id(owner, sizeof(owner));
  rq->opts.owner = owner;
  rq->opts.stop = cmd_catch_stop_signals();
  progress_init(&prog, g_opts.quiet);
  rq->opts.on_event = progress_event;
  rq->opts.ctx = &prog;
  rc = engine_sync(st, rq, &rep, &err);
  progress_finish(&prog);
  if (rc == MS_ENOTFOUND || (rc == MS_EINVAL && !rep.run.id)) {
    progress_release(&prog);
    sync_report_release(&rep);
    return cmd_usage_error("sync", "%s", err.msg);
  }
  for (size_t i = 0; i < rep.nsources; i++)
    if (rep.sources[i].failed)
      log_error(MS_EINVAL, "%s is skipped: %s", rep.sources[i].name, rep.sources[i].error);
  /* A secret that no retry will open (another master key, an altered or
   * moved text) needs a person: a configuration error, whatever else ran. */
  for (size_t i = 0; i < rep.nsources; i++)
    if (rep.sources[i].failed && rep.sources[i].code == MS_EKEY)
      key_trouble = 1;
  if (!g_opts.quiet && rep.run.id) {
    print_summary(&rep, mono_now() - t0, rc);
    if (rq->mode >= SYNC_INCOMPLETE)
      print_repair(&rep, rq->mode);
  }
  progress_print_failures(&prog);
  if (rc && rc != MS_EINTR) {
    log_error(rc, "the run stopped: %s", err.msg);
    exit_code = rep.run.id ? EXIT_PARTIAL : EXIT_USAGE;
  } else if (rc == MS_EINTR) {
    fprintf(stderr, "interrupted; run the same command again to resume where it stopped\n");
    exit_code = EXIT_PARTIAL;
  } else if (rep.stats.days_failed || rep.stats.days_skipped || rep.stats.passes_failed ||
             rep.stats.passes_skipped || rep.failed_sources) {
    exit_code = EXIT_PARTIAL;
  }
  progress_release(&prog);
  sync_report_release(&rep);
  return key_trouble ? EXIT_USAGE : exit_code;
}

int cmd_sync(int argc, char **argv) {
  struct sync_args a;
  struct store *st = NULL;
  int rc;
  memset(&a, 0, sizeof(a));
  sync_opts_defaults(&a.rq.opts);
  a.rq.trigger = "cli";
  rc = parse_args(argc, argv, &a);
  if (rc) {
    cmd_names_free(a.rq.streams, a.rq.nstreams);
    return rc == CMD_HELP ? EXIT_OK : rc;
  }
  rc = cmd_open_store(&st);
  if (!rc)
    rc = a.plan || a.init_days ? each_day_stream(st, &a) : cmd_run_sync(st, &a.rq);
  cmd_names_free(a.rq.streams, a.rq.nstreams);
  store_close(st);
  return rc;
}
