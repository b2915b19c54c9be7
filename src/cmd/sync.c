/* marketsync sync: choose the days, hand them to the engine, report. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/progress.h"
#include "core/source.h"
#include "engine/session.h"
#include "engine/sync.h"
#include "util/log.h"
#include "util/clock.h"

#define MAX_DAYS 3660 /* ten years of days per source and run */

static const char sync_help[] =
    "usage: marketsync sync [NAME...] [RANGE] [--resync[=DATE]] [--max-retries N]\n"
    "                       [--delay SECONDS] [--concurrency N]\n"
    "       marketsync sync [NAME...] --initialize-days N\n\n"
    "Fetches orders day by day (each source's own calendar day) and stores every page\n"
    "together with the place to resume from. Completed days are skipped; a day that was\n"
    "interrupted resumes from its last stored page.\n\n"
    "RANGE (default: today plus every day left pending or failed):\n"
    "  --today               today\n"
    "  --yesterday           yesterday\n"
    "  --last-days N         the last N days, today included\n"
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
    "  --concurrency N       days in flight per source (default 2)\n"
    "  --request-timeout S   give up on one request after S seconds (default 120; a\n"
    "                        request that receives nothing for 30 s is cut off sooner)\n"
    "  --plan                fetch nothing: print, per source, the days, the requests they\n"
    "                        will take and the time the API's rate limits impose\n"
    "  --orders-per-day N    with --plan: assume N orders a day (default: the average of\n"
    "                        the days already synced, else 100)\n\n"
    "Exit status: 0 all days done, 1 some days failed or the run was interrupted,\n"
    "2 bad arguments or configuration.\n";

enum range_kind { R_DEFAULT, R_TODAY, R_YESTERDAY, R_LAST, R_FROMTO, R_PENDING };

struct sync_args {
  enum range_kind range;      /* which days */
  int last_days;              /* R_LAST */
  struct civil_date from, to; /* R_FROMTO */
  int have_from, have_to;
  int resync;     /* --resync */
  int resync_one; /* --resync=DATE given */
  struct civil_date resync_day;
  int init_days;         /* --initialize-days N, 0 if not */
  int plan;              /* --plan: estimate, fetch nothing */
  double orders_per_day; /* --orders-per-day, 0: from history */
  struct sync_opts eng;  /* engine options */
  char **names;          /* sources named, MAY be empty */
  int nnames;
};

static int parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return MS_EINVAL;
  *out = v;
  return MS_OK;
}

static int set_range(struct sync_args *a, enum range_kind r) {
  if (a->range != R_DEFAULT && a->range != r)
    return cmd_usage_error("sync", "choose one of --today, --yesterday, --last-days, "
                                   "--from/--to and --pending");
  a->range = r;
  return 0;
}

static int parse_args(int argc, char **argv, struct sync_args *a) {
  static const struct option opts[] = {{"today", no_argument, 0, 't'},
                                       {"daily", no_argument, 0, 't'},
                                       {"yesterday", no_argument, 0, 'y'},
                                       {"last-days", required_argument, 0, 'l'},
                                       {"from", required_argument, 0, 'f'},
                                       {"to", required_argument, 0, 'T'},
                                       {"pending", no_argument, 0, 'p'},
                                       {"auto-sync", no_argument, 0, 'p'},
                                       {"resync", optional_argument, 0, 'r'},
                                       {"max-retries", required_argument, 0, 'm'},
                                       {"max-day-retries", required_argument, 0, 'M'},
                                       {"delay", required_argument, 0, 'd'},
                                       {"initialize-days", required_argument, 0, 'i'},
                                       {"concurrency", required_argument, 0, 'c'},
                                       {"plan", no_argument, 0, 'P'},
                                       {"request-timeout", required_argument, 0, 'R'},
                                       {"orders-per-day", required_argument, 0, 'O'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  struct err err = {0};
  long n;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 't':
      if (set_range(a, R_TODAY))
        return EXIT_USAGE;
      break;
    case 'y':
      if (set_range(a, R_YESTERDAY))
        return EXIT_USAGE;
      break;
    case 'p':
      if (set_range(a, R_PENDING))
        return EXIT_USAGE;
      break;
    case 'l':
      if (set_range(a, R_LAST))
        return EXIT_USAGE;
      if (parse_int(optarg, 1, MAX_DAYS, &n))
        return cmd_usage_error("sync", "--last-days takes a whole number from 1 to %d, not '%s'",
                               MAX_DAYS, optarg);
      a->last_days = (int)n;
      break;
    case 'f':
    case 'T':
      if (set_range(a, R_FROMTO))
        return EXIT_USAGE;
      if (date_parse(optarg, c == 'f' ? &a->from : &a->to, &err))
        return cmd_usage_error("sync", "--%s: %s", c == 'f' ? "from" : "to", err.msg);
      *(c == 'f' ? &a->have_from : &a->have_to) = 1;
      break;
    case 'r':
      a->resync = 1;
      if (optarg) {
        if (date_parse(optarg, &a->resync_day, &err))
          return cmd_usage_error("sync", "--resync: %s", err.msg);
        a->resync_one = 1;
      }
      break;
    case 'm':
      if (parse_int(optarg, 0, 100, &n))
        return cmd_usage_error("sync", "--max-retries takes a whole number from 0 to 100");
      a->eng.max_retries = (int)n;
      break;
    case 'M':
      if (parse_int(optarg, 1, 1000000, &n))
        return cmd_usage_error("sync", "--max-day-retries takes a whole number from 1 to 1000000");
      a->eng.max_day_retries = (int)n;
      break;
    case 'c':
      if (parse_int(optarg, 1, 16, &n))
        return cmd_usage_error("sync", "--concurrency takes a whole number from 1 to 16");
      a->eng.per_source = (int)n;
      break;
    case 'd': {
      char *end;
      errno = 0;
      double d = strtod(optarg, &end);
      if (errno || end == optarg || *end || !isfinite(d) || d < 0 || d > 3600)
        return cmd_usage_error("sync", "--delay takes seconds from 0 to 3600, e.g. 0.5");
      a->eng.delay_floor = d;
      break;
    }
    case 'i':
      if (parse_int(optarg, 1, MAX_DAYS, &n))
        return cmd_usage_error("sync", "--initialize-days takes a whole number from 1 to %d",
                               MAX_DAYS);
      a->init_days = (int)n;
      break;
    case 'P':
      a->plan = 1;
      break;
    case 'R':
      if (parse_int(optarg, 1, 3600, &n))
        return cmd_usage_error("sync", "--request-timeout takes seconds from 1 to 3600");
      a->eng.request_timeout_ms = n * 1000;
      break;
    case 'O':
      if (parse_int(optarg, 1, 10000000, &n))
        return cmd_usage_error("sync", "--orders-per-day takes a whole number from 1 to 10000000");
      a->orders_per_day = (double)n;
      break;
    case 'h':
      fputs(sync_help, stdout);
      return -1;
    default:
      return cmd_usage_error("sync", "unknown option or missing value: '%s'", argv[optind - 1]);
    }
  }
  if (a->range == R_FROMTO) {
    if (!a->have_from || !a->have_to)
      return cmd_usage_error("sync", "--from and --to go together");
    if (date_cmp(a->from, a->to) > 0)
      return cmd_usage_error("sync", "--from is after --to");
    if (date_to_days(a->to) - date_to_days(a->from) >= MAX_DAYS)
      return cmd_usage_error("sync", "a range may hold at most %d days", MAX_DAYS);
  }
  if (a->resync_one && a->range != R_DEFAULT)
    return cmd_usage_error("sync", "--resync=DATE names its own day; drop the other range");
  if (a->init_days && (a->range != R_DEFAULT || a->resync))
    return cmd_usage_error("sync", "--initialize-days does not fetch; give it alone");
  a->names = argv + optind;
  a->nnames = argc - optind;
  return 0;
}

/* A source prepared for this run. */
struct prepared {
  struct session sess;     /* the source, opened */
  struct civil_date *days; /* chosen days */
  size_t ndays;
  size_t skipped_complete; /* completed days left alone */
  int failed;              /* could not be prepared */
};

static int add_day(struct prepared *p, struct civil_date d) {
  struct civil_date *n = realloc(p->days, (p->ndays + 1) * sizeof(*n));
  if (!n)
    return MS_ENOMEM;
  p->days = n;
  p->days[p->ndays++] = d;
  return MS_OK;
}

struct open_ctx {
  struct prepared *p; /* collects the days */
  int rc;
};

static int collect_open(void *ctx, const struct slice *sl) {
  struct open_ctx *oc = ctx;
  oc->rc = add_day(oc->p, sl->day);
  return oc->rc;
}

/* Whether a day must be fetched: not completed, or completed before the day
 * was over (so orders created later that day may be missing). */
static int needs_fetch(struct store *st, struct prepared *p, struct civil_date day, int dry,
                       int *need) {
  struct slice sl = {0};
  struct err err = {0};
  int64_t start, end;
  int rc = st->ops->slice_get(st, p->sess.src.row.id, "orders", day, &sl, &err);
  *need = 1;
  if (rc == MS_ENOTFOUND)
    return MS_OK;
  if (rc)
    return rc;
  if (sl.status == SLICE_COMPLETED && !tz_day_bounds(p->sess.src.tz, day, &start, &end)) {
    if (sl.completed_at >= end)
      *need = 0;
    else if (!dry) /* an open day is checked again from its first page, counted afresh */
      rc = st->ops->slice_reset(st, p->sess.src.row.id, "orders", day, &err);
  }
  slice_release(&sl);
  return rc;
}

static int choose_days(struct store *st, const struct sync_args *a, struct prepared *p,
                       struct err *err) {
  struct civil_date today, first, last;
  int rc = tz_local_date(p->sess.src.tz, wall_now(), &today);
  if (rc)
    return err_set(err, rc, "cannot compute today's date in %s", p->sess.src.timezone);
  if (a->resync_one && a->plan)
    return add_day(p, a->resync_day);
  if (a->resync_one) {
    rc = st->ops->slice_reset(st, p->sess.src.row.id, "orders", a->resync_day, err);
    return rc && rc != MS_ENOTFOUND ? rc : add_day(p, a->resync_day);
  }
  switch (a->range) {
  case R_TODAY:
    first = last = today;
    break;
  case R_YESTERDAY:
    first = last = date_add(today, -1);
    break;
  case R_LAST:
    first = date_add(today, -(a->last_days - 1));
    last = today;
    break;
  case R_FROMTO:
    first = a->from;
    last = date_cmp(a->to, today) > 0 ? today : a->to;
    break;
  case R_PENDING:
  case R_DEFAULT: {
    struct slice_filter f = {0};
    struct open_ctx oc = {p, MS_OK};
    f.source_id = p->sess.src.row.id;
    f.stream = "orders";
    f.only_open = 1;
    f.now = wall_now();
    rc = st->ops->slice_list(st, &f, collect_open, &oc, err);
    if (rc)
      return rc;
    if (a->range == R_PENDING)
      return MS_OK;
    first = last = today; /* the default adds today, once */
    for (size_t i = 0; i < p->ndays; i++)
      if (date_cmp(p->days[i], today) == 0)
        return MS_OK;
    break;
  }
  }
  for (struct civil_date d = first; date_cmp(d, last) <= 0; d = date_add(d, 1)) {
    int need = 1;
    if (a->resync && !a->plan) {
      rc = st->ops->slice_reset(st, p->sess.src.row.id, "orders", d, err);
      if (rc && rc != MS_ENOTFOUND)
        return rc;
    } else {
      rc = needs_fetch(st, p, d, a->plan, &need);
      if (rc)
        return err_set(err, rc, "cannot read the state of %s", p->sess.src.row.name);
    }
    if (!need) {
      p->skipped_complete++;
      continue;
    }
    rc = add_day(p, d);
    if (rc)
      return err_set(err, rc, "out of memory");
  }
  return MS_OK;
}

/* A source that cannot take part in this run (its secret is missing, its
 * settings are damaged, its zone cannot be learned) is reported and left
 * out; the others go on and the run exits 1. Only a name that names no
 * source is a usage error. */
static int prepare_source(struct store *st, const char *name, const struct sync_args *a,
                          struct prepared *p) {
  struct err err = {0};
  int rc = session_open(st, name, SESSION_ZONE, &p->sess, &err);
  if (rc == MS_ENOTFOUND)
    return cmd_usage_error("sync", "%s", err.msg);
  if (rc) {
    log_error(rc, "%s is skipped: %s", name, err.msg);
    p->failed = 1;
    return EXIT_OK;
  }
  rc = choose_days(st, a, p, &err);
  if (rc)
    return log_error(EXIT_USAGE, "%s: %s", name, err.msg);
  return EXIT_OK;
}

struct history {
  int64_t days;    /* completed days seen */
  int64_t records; /* their records */
};

static int add_history(void *ctx, const struct slice *sl) {
  struct history *h = ctx;
  if (sl->status == SLICE_COMPLETED) {
    h->days++;
    h->records += sl->records;
  }
  return MS_OK;
}

static void fmt_hours(double s, char *out, size_t n) {
  if (s < 120)
    snprintf(out, n, "%.0f s", s);
  else if (s < 7200)
    snprintf(out, n, "%.0f min", s / 60);
  else
    snprintf(out, n, "%.1f h", s / 3600);
}

/* What the chosen days will cost, from the connector's requests per day and
 * its endpoints' documented limits: a burst first, then the steady rate.
 * Endpoints are paced independently, so the slowest one sets the time. */
static int print_plan(struct store *st, struct prepared *ps, int n, double assume) {
  int unplanned = 0;
  printf("%-14s %-9s %6s %10s  %s\n", "SOURCE", "CONNECTOR", "DAYS", "REQUESTS",
         "ESTIMATED TIME (by the API's rate limits)");
  for (int i = 0; i < n; i++) {
    struct prepared *p = &ps[i];
    const struct endpoint_def *ep;
    struct slice_filter f = {0};
    struct history h = {0, 0};
    struct err err = {0};
    double per_day[8] = {0}, orders, slowest = 0, total = 0;
    char when[32], basis[96], detail[320] = "";
    size_t used = 0;
    if (p->failed || !p->sess.conn->plan_day) {
      /* Why it failed was said when it was prepared. */
      if (!p->failed)
        log_error(MS_EINVAL, "%s: the %s connector cannot estimate its requests",
                  p->sess.src.row.name, p->sess.conn->name);
      unplanned++;
      continue;
    }
    ep = p->sess.conn->endpoints;
    f.source_id = p->sess.src.row.id;
    f.stream = "orders";
    st->ops->slice_list(st, &f, add_history, &h, &err);
    if (assume > 0) {
      orders = assume;
      snprintf(basis, sizeof(basis), "%.0f orders a day, as given", assume);
    } else if (h.days > 0) {
      orders = (double)h.records / (double)h.days;
      snprintf(basis, sizeof(basis), "%.0f orders a day, the average of %lld synced days", orders,
               (long long)h.days);
    } else {
      orders = 100;
      snprintf(basis, sizeof(basis), "100 orders a day assumed: no history yet");
    }
    p->sess.conn->plan_day(orders, per_day);
    for (int k = 0; k < 8 && ep[k].name; k++) {
      double req = per_day[k] * (double)p->ndays;
      double secs = req > ep[k].size ? (req - ep[k].size) / ep[k].rate : 0;
      total += req;
      if (secs > slowest)
        slowest = secs;
      fmt_hours(secs, when, sizeof(when));
      if (used < sizeof(detail))
        used += (size_t)snprintf(detail + used, sizeof(detail) - used,
                                 "%s%s: %.0f requests at %g/s after a burst of %.0f, %s",
                                 used ? "; " : "", ep[k].name, req, ep[k].rate, ep[k].size, when);
    }
    fmt_hours(slowest, when, sizeof(when));
    printf("%-14s %-9s %6zu %10.0f  %s\n", p->sess.src.row.name, p->sess.conn->name, p->ndays,
           total, when);
    printf("%-14s %s\n%-14s %s\n", "", basis, "", detail);
  }
  return unplanned;
}

static int initialize_days(struct store *st, struct prepared *ps, int n, int days) {
  int skipped = 0;
  for (int i = 0; i < n; i++) {
    struct civil_date today;
    struct err err = {0};
    int made = 0;
    if (ps[i].failed) {
      skipped++;
      continue;
    }
    tz_local_date(ps[i].sess.src.tz, wall_now(), &today);
    for (int k = days - 1; k >= 0; k--) {
      if (st->ops->slice_ensure(st, ps[i].sess.src.row.id, "orders", date_add(today, -k), &err))
        return log_error(EXIT_USAGE, "%s: %s", ps[i].sess.src.row.name, err.msg);
      made++;
    }
    if (!g_opts.quiet)
      printf("%s: %d days recorded as pending (existing days left as they were)\n",
             ps[i].sess.src.row.name, made);
  }
  return skipped ? EXIT_PARTIAL : EXIT_OK;
}

static void print_summary(const struct sync_stats *s, const struct run_row *run, double secs,
                          size_t skipped, int rc) {
  printf("\n%s run %lld: %lld of %lld days completed", rc == MS_EINTR ? "interrupted" : "finished",
         (long long)run->id, (long long)s->days_done, (long long)s->days_total);
  if (s->days_failed)
    printf(", %lld FAILED", (long long)s->days_failed);
  if (s->days_skipped)
    printf(", %lld skipped", (long long)s->days_skipped);
  if (skipped)
    printf(" (%zu already complete, not fetched again)", skipped);
  printf("\n  %lld orders in %lld pages: %lld new, %lld updated, %lld unchanged\n",
         (long long)s->records, (long long)s->pages, (long long)s->inserted, (long long)s->updated,
         (long long)s->unchanged);
  if (s->failed)
    printf("  %lld record%s could not be stored (see marketsync failed list)\n",
           (long long)s->failed, s->failed == 1 ? "" : "s");
  printf("  %lld requests, %lld retried, %lld rate-limited (429), %.1f MB of JSON, %.1f s\n",
         (long long)s->requests, (long long)s->retries, (long long)s->rate_limited,
         (double)s->bytes / 1e6, secs);
}

int cmd_sync(int argc, char **argv) {
  struct sync_args a;
  struct store *st = NULL;
  struct prepared *ps = NULL;
  struct sync_target *targets = NULL;
  char **all_names = NULL;
  int all_n = 0;
  struct run_row run = {0};
  struct sync_stats stats = {0};
  struct progress prog;
  struct err err = {0};
  char owner[MS_NAME_MAX], scope[512];
  size_t ntargets = 0, skipped = 0;
  int rc, exit_code = EXIT_OK, prep_failed = 0;
  memset(&a, 0, sizeof(a));
  sync_opts_defaults(&a.eng);
  rc = parse_args(argc, argv, &a);
  if (rc)
    return rc < 0 ? EXIT_OK : rc;
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  if (a.nnames == 0) {
    if (cmd_source_names(st, &all_names, &all_n, &err)) {
      store_close(st);
      return log_error(EXIT_USAGE, "%s", err.msg);
    }
    a.names = all_names;
    a.nnames = all_n;
    if (all_n == 0) {
      store_close(st);
      return cmd_usage_error("sync", "there are no sources yet; add one with "
                                     "'marketsync source add shopify NAME --shop ...'");
    }
  }
  ps = calloc((size_t)a.nnames, sizeof(*ps));
  targets = calloc((size_t)a.nnames, sizeof(*targets));
  if (!ps || !targets) {
    exit_code = log_error(EXIT_USAGE, "out of memory");
    goto out;
  }
  for (int i = 0; i < a.nnames; i++) {
    rc = prepare_source(st, a.names[i], &a, &ps[i]);
    if (rc) {
      exit_code = rc;
      goto out;
    }
    prep_failed += ps[i].failed;
  }
  if (a.init_days) {
    exit_code = initialize_days(st, ps, a.nnames, a.init_days);
    goto out;
  }
  if (a.plan) {
    exit_code = print_plan(st, ps, a.nnames, a.orders_per_day) ? EXIT_PARTIAL : EXIT_OK;
    goto out;
  }
  snprintf(scope, sizeof(scope), "%d source%s", a.nnames, a.nnames == 1 ? "" : "s");
  for (int i = 0; i < a.nnames; i++) {
    skipped += ps[i].skipped_complete;
    if (ps[i].failed || ps[i].ndays == 0)
      continue;
    targets[ntargets].src = &ps[i].sess.src;
    targets[ntargets].conn = ps[i].sess.conn;
    targets[ntargets].cstate = ps[i].sess.cstate;
    targets[ntargets].stream = "orders";
    targets[ntargets].days = ps[i].days;
    targets[ntargets].ndays = ps[i].ndays;
    ntargets++;
  }
  sync_owner_id(owner, sizeof(owner));
  a.eng.owner = owner;
  a.eng.stop = cmd_catch_stop_signals();

  cmd_close_dead_runs(st);
  snprintf(run.trigger, sizeof(run.trigger), "cli");
  snprintf(run.status, sizeof(run.status), "running");
  run.scope = scope;
  run.started_at = wall_now();
  run.pid = getpid();
  if (st->ops->run_start(st, &run, &err)) {
    run.scope = NULL;
    exit_code = log_error(EXIT_USAGE, "%s", err.msg);
    goto out;
  }
  progress_init(&prog, g_opts.quiet);
  a.eng.on_event = progress_event;
  a.eng.ctx = &prog;
  rc = sync_run(st, targets, ntargets, &a.eng, &run, &stats, &err);
  progress_finish(&prog);

  run.finished_at = wall_now();
  snprintf(run.status, sizeof(run.status), "%s",
           rc == MS_EINTR                     ? "interrupted"
           : rc                               ? "failed"
           : stats.days_failed || prep_failed ? "partial"
                                              : "completed");
  if (st->ops->run_update(st, &run, &err))
    log_error(rc, "could not record the run: %s", err.msg);
  for (size_t i = 0; i < ntargets; i++) {
    targets[i].src->row.last_sync_at = run.finished_at;
    st->ops->source_update(st, &targets[i].src->row, &err);
  }
  if (!g_opts.quiet)
    print_summary(&stats, &run, mono_now() - stats.started, skipped, rc);
  progress_print_failures(&prog);
  run.scope = NULL;
  if (rc && rc != MS_EINTR) {
    log_error(rc, "the run stopped: %s", err.msg);
    exit_code = EXIT_PARTIAL;
  } else if (rc == MS_EINTR) {
    fprintf(stderr, "interrupted; run the same command again to resume where it stopped\n");
    exit_code = EXIT_PARTIAL;
  } else if (stats.days_failed || stats.days_skipped || prep_failed) {
    exit_code = EXIT_PARTIAL;
  }
  progress_release(&prog);
out:
  for (int i = 0; i < a.nnames && ps; i++) {
    session_close(&ps[i].sess);
    free(ps[i].days);
  }
  cmd_names_free(all_names, all_n);
  free(ps);
  free(targets);
  store_close(st);
  return exit_code;
}
