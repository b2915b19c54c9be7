/* marketsync schedule: runs that happen on their own, made into jobs by
 * `serve` or `run-due`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "engine/schedule.h"
#include "util/clock.h"
#include "util/log.h"

static const char schedule_help[] =
    "usage: marketsync schedule add NAME TIMING [TARGETS] [RANGE] [--timezone ZONE] [--disabled]\n"
    "       marketsync schedule edit NAME [TIMING] [TARGETS] [RANGE] [--timezone ZONE]\n"
    "       marketsync schedule list [--json]\n"
    "       marketsync schedule show NAME\n"
    "       marketsync schedule enable|disable|remove NAME\n"
    "       marketsync schedule run NAME [--wait]\n\n"
    "A schedule makes a job each time it is due; `marketsync serve` (or `marketsync\n"
    "run-due` from cron) runs the jobs. Two jobs of the same source, stream and mode\n"
    "never wait or run at once: a due run that would overlap one is skipped. After a\n"
    "pause, a schedule makes one job for the latest time that passed, not one per\n"
    "missed time.\n\n"
    "TIMING (one of):\n"
    "  --every 10m|30m|1h|2h|6h|12h|24h  from local midnight on, every that long\n"
    "                        (any whole minutes or hours from 1m to 24h)\n"
    "  --cron \"0 */2 * * *\"   a cron expression (minute hour day month weekday)\n"
    "  --daily-at 02:00      once a day\n"
    "  --between 06:00-22:00 only at these local times (both ends included)\n"
    "  --max-runs-per-day N  at most N runs a local day\n"
    "  --timezone ZONE       the zone of these times (default: this machine's, else UTC)\n\n"
    "TARGETS:\n"
    "  --source S[,S...]     these sources (default: every source, also those added later)\n"
    "  --stream S[,S...]     these streams (default: each source's own choice)\n"
    "  --mode MODE           default, new, modified, full, incomplete, repair-items,\n"
    "                        repair-prices (see 'marketsync sync --help'; default: default)\n\n"
    "RANGE (days of day-by-day streams; default: today and the days left pending):\n"
    "  --range today|yesterday|last-7-days|last-30-days|current-month|previous-month\n"
    "  --from DATE --to DATE these days\n"
    "  edit also takes --no-between, --no-max-runs, --no-range, --all-sources,\n"
    "  --all-streams to drop a setting.\n\n"
    "Times that the clocks skip on a DST day run when the gap ends; in a repeated\n"
    "hour a daily time runs once, an interval keeps its pace. MARKETSYNC_NOW (an ISO\n"
    "8601 time) starts marketsync's clock there, to try schedules out.\n";

enum {
  O_EVERY = 1,
  O_CRON,
  O_DAILY,
  O_BETWEEN,
  O_MAXRUNS,
  O_TZ,
  O_SOURCE,
  O_STREAM,
  O_MODE,
  O_RANGE,
  O_FROM,
  O_TO,
  O_DISABLED,
  O_JSON,
  O_WAIT,
  O_NO_BETWEEN,
  O_NO_MAXRUNS,
  O_NO_RANGE,
  O_ALL_SOURCES,
  O_ALL_STREAMS,
};

static const struct cmd_option schedule_options[] = {
    {"every", required_argument, O_EVERY},
    {"cron", required_argument, O_CRON},
    {"daily-at", required_argument, O_DAILY},
    {"between", required_argument, O_BETWEEN},
    {"max-runs-per-day", required_argument, O_MAXRUNS},
    {"timezone", required_argument, O_TZ},
    {"source", required_argument, O_SOURCE},
    {"stream", required_argument, O_STREAM},
    {"mode", required_argument, O_MODE},
    {"range", required_argument, O_RANGE},
    {"from", required_argument, O_FROM},
    {"to", required_argument, O_TO},
    {"disabled", no_argument, O_DISABLED},
    {"json", no_argument, O_JSON},
    {"wait", no_argument, O_WAIT},
    {"no-between", no_argument, O_NO_BETWEEN},
    {"no-max-runs", no_argument, O_NO_MAXRUNS},
    {"no-range", no_argument, O_NO_RANGE},
    {"all-sources", no_argument, O_ALL_SOURCES},
    {"all-streams", no_argument, O_ALL_STREAMS},
    {NULL}};

/* What the options said; applied onto a spec (new, or the stored one). */
struct sched_args {
  const char *sub;
  int timing_given;
  struct schedule_timing timing;
  char cron_text[CRON_EXPR_MAX + 1];
  int between_given, no_between;
  struct schedule_window window;
  int max_given, no_max;
  int max_runs;
  const char *timezone;
  char **sources;
  int nsources, all_sources;
  char **streams;
  int nstreams, all_streams;
  int mode_given;
  enum sync_mode mode;
  int range_given, no_range;
  enum range_preset range;
  int from_given, to_given;
  struct civil_date from, to;
  int disabled, json, wait;
};

static int timing_once(struct sched_args *a) {
  if (a->timing_given++)
    return cmd_usage_error("schedule", "give one of --every, --cron and --daily-at");
  return 0;
}

static int on_option(void *ctx, int key, const char *v) {
  struct sched_args *a = ctx;
  struct err err = {0};
  long n;
  switch (key) {
  case O_EVERY:
    if (timing_once(a))
      return EXIT_USAGE;
    a->timing.kind = SCHEDULE_EVERY;
    return schedule_timing_parse_every(v, &a->timing.every, &err)
               ? cmd_usage_error("schedule", "--every: %s", err.msg)
               : 0;
  case O_CRON:
    if (timing_once(a))
      return EXIT_USAGE;
    a->timing.kind = SCHEDULE_CRON;
    snprintf(a->cron_text, sizeof(a->cron_text), "%s", v);
    return cron_parse(v, &a->timing.cron, &err) ? cmd_usage_error("schedule", "--cron: %s", err.msg)
                                                : 0;
  case O_DAILY:
    if (timing_once(a))
      return EXIT_USAGE;
    a->timing.kind = SCHEDULE_DAILY_AT;
    return schedule_timing_parse_daily_at(v, &a->timing.daily_at, &err)
               ? cmd_usage_error("schedule", "--daily-at: %s", err.msg)
               : 0;
  case O_BETWEEN:
    a->between_given = 1;
    return schedule_timing_parse_between(v, &a->window, &err)
               ? cmd_usage_error("schedule", "--between: %s", err.msg)
               : 0;
  case O_MAXRUNS:
    a->max_given = 1;
    if (cmd_int("schedule", "--max-runs-per-day", v, 1, SCHEDULE_MAX_RUNS_LIMIT, &n))
      return EXIT_USAGE;
    a->max_runs = (int)n;
    return 0;
  case O_TZ:
    a->timezone = v;
    return 0;
  case O_SOURCE:
    return cmd_names("schedule", "--source", v, &a->sources, &a->nsources, SCHEDULE_NAMES_MAX);
  case O_STREAM:
    return cmd_names("schedule", "--stream", v, &a->streams, &a->nstreams, SCHEDULE_NAMES_MAX);
  case O_MODE:
    a->mode_given = 1;
    return sync_mode_parse(v, &a->mode)
               ? cmd_usage_error("schedule", "--mode: '%s' is not a mode (see --help)", v)
               : 0;
  case O_RANGE:
    a->range_given = 1;
    if (range_preset_parse(v, &a->range, &err))
      return cmd_usage_error("schedule", "--range: %s", err.msg);
    return a->range == RANGE_CUSTOM
               ? cmd_usage_error("schedule", "a custom range is given with --from and --to")
               : 0;
  case O_FROM:
    a->from_given = 1;
    return cmd_date("schedule", "--from", v, &a->from);
  case O_TO:
    a->to_given = 1;
    return cmd_date("schedule", "--to", v, &a->to);
  case O_DISABLED:
    a->disabled = 1;
    return 0;
  case O_JSON:
    a->json = 1;
    return 0;
  case O_WAIT:
    a->wait = 1;
    return 0;
  case O_NO_BETWEEN:
    a->no_between = 1;
    return 0;
  case O_NO_MAXRUNS:
    a->no_max = 1;
    return 0;
  case O_NO_RANGE:
    a->no_range = 1;
    return 0;
  case O_ALL_SOURCES:
    a->all_sources = 1;
    return 0;
  case O_ALL_STREAMS:
    a->all_streams = 1;
    return 0;
  }
  return EXIT_USAGE;
}

static void args_release(struct sched_args *a) {
  cmd_names_free(a->sources, a->nsources);
  cmd_names_free(a->streams, a->nstreams);
}

/* Moves the names of the options into the spec (replacing its own). */
static void take_names(char ***from, int *nfrom, char ***to, int *nto) {
  cmd_names_free(*to, *nto);
  *to = *from;
  *nto = *nfrom;
  *from = NULL;
  *nfrom = 0;
}

/* Applies the options onto s; EXIT_USAGE when they contradict. */
static int apply(struct sched_args *a, struct schedule_spec *s) {
  if ((a->from_given != a->to_given))
    return cmd_usage_error("schedule", "a custom range needs both --from and --to");
  if (a->from_given && a->range_given)
    return cmd_usage_error("schedule", "give --range or --from/--to, not both");
  if (a->from_given && date_cmp(a->from, a->to) > 0)
    return cmd_usage_error("schedule", "--from is after --to");
  if ((a->between_given && a->no_between) || (a->max_given && a->no_max) ||
      ((a->range_given || a->from_given) && a->no_range) || (a->nsources && a->all_sources) ||
      (a->nstreams && a->all_streams))
    return cmd_usage_error("schedule", "an option and its --no-/--all- form contradict");
  if (a->timing_given) {
    struct schedule_window w = s->timing.window;
    int has_w = s->timing.has_window, max = s->timing.max_runs_per_day;
    s->timing = a->timing;
    s->timing.window = w;
    s->timing.has_window = has_w;
    s->timing.max_runs_per_day = max;
    snprintf(s->cron_text, sizeof(s->cron_text), "%s", a->cron_text);
    s->has_timing = 1;
  }
  if (a->between_given) {
    s->timing.has_window = 1;
    s->timing.window = a->window;
  }
  if (a->no_between)
    s->timing.has_window = 0;
  if (a->max_given)
    s->timing.max_runs_per_day = a->max_runs;
  if (a->no_max)
    s->timing.max_runs_per_day = 0;
  if (a->nsources || a->all_sources)
    take_names(&a->sources, &a->nsources, &s->sources, &s->nsources);
  if (a->nstreams || a->all_streams)
    take_names(&a->streams, &a->nstreams, &s->streams, &s->nstreams);
  if (a->mode_given)
    s->mode = a->mode;
  if (a->range_given) {
    s->has_range = 1;
    s->range = a->range;
  }
  if (a->from_given) {
    s->has_range = 1;
    s->range = RANGE_CUSTOM;
    s->from = a->from;
    s->to = a->to;
  }
  if (a->no_range)
    s->has_range = 0;
  return 0;
}

/* The zone schedules use when none is given: TZ, else the system's
 * /etc/localtime, else UTC. */
static void default_zone(char *out, size_t n) {
  const char *tz = getenv("TZ");
  char link[512];
  ssize_t len;
  if (tz && *tz && *tz != ':' && strchr(tz, '/')) {
    snprintf(out, n, "%s", tz);
    return;
  }
  len = readlink("/etc/localtime", link, sizeof(link) - 1);
  if (len > 0) {
    const char *z;
    link[len] = '\0';
    z = strstr(link, "zoneinfo/");
    if (z) {
      snprintf(out, n, "%s", z + strlen("zoneinfo/"));
      return;
    }
  }
  snprintf(out, n, "UTC");
}

/* Checks and writes the spec into the row (engine/schedule.c). */
static int finish_row(struct store *st, struct schedule_row *row, struct schedule_spec *s,
                      const char *zone) {
  struct err err = {0};
  int rc = schedule_prepare(st, row, s, zone, wall_now(), &err);
  if (rc == MS_ENOMEM)
    return log_error(EXIT_PARTIAL, "out of memory");
  if (rc)
    return cmd_usage_error("schedule", "%s", err.msg);
  return 0;
}

static void print_when(int64_t t, const char *zone, char *out, size_t n) {
  struct tz *tz = NULL;
  struct err err = {0};
  int offset = 0;
  char text[TIME_STR_LEN];
  if (!t) {
    snprintf(out, n, "-");
    return;
  }
  if (!tz_open(zone, &tz, &err))
    tz_offset_at(tz, t, &offset);
  tz_free(tz);
  time_format(t, offset, 0, text);
  snprintf(out, n, "%.16s", text); /* to the minute, local */
}

/* ---- subcommands ------------------------------------------------------------ */

static int sub_add(struct store *st, struct sched_args *a, const char *name) {
  struct schedule_row row;
  struct schedule_spec s;
  struct err err = {0};
  char zone[64], when[32];
  int rc;
  memset(&row, 0, sizeof(row));
  memset(&s, 0, sizeof(s));
  if (!a->timing_given)
    return cmd_usage_error("schedule", "add needs --every, --cron or --daily-at");
  if (a->no_between || a->no_max || a->no_range || a->all_sources || a->all_streams)
    return cmd_usage_error("schedule", "the --no-... and --all-... options belong to edit");
  rc = apply(a, &s);
  snprintf(row.name, sizeof(row.name), "%s", name);
  default_zone(zone, sizeof(zone));
  row.enabled = !a->disabled;
  row.created_at = row.updated_at = wall_now();
  if (!rc)
    rc = finish_row(st, &row, &s, a->timezone ? a->timezone : zone);
  if (!rc) {
    rc = st->ops->schedule_add(st, &row, &err);
    if (rc == MS_EEXIST)
      rc = cmd_usage_error("schedule", "a schedule named '%s' exists; edit it or pick another name",
                           name);
    else if (rc)
      rc = log_error(EXIT_PARTIAL, "%s", err.msg);
  }
  if (!rc && !g_opts.quiet) {
    char timing[200];
    schedule_timing_describe(&s, timing, sizeof(timing));
    print_when(row.next_due, row.timezone, when, sizeof(when));
    printf("schedule %s: %s (%s)%s; next run %s\n", name, timing, row.timezone,
           row.enabled ? "" : ", disabled", row.enabled ? when : "-");
  }
  schedule_spec_release(&s);
  schedule_row_release(&row);
  return rc;
}

static int load(struct store *st, const char *name, struct schedule_row *row,
                struct schedule_spec *s) {
  struct err err = {0};
  int rc = st->ops->schedule_get(st, name, row, &err);
  if (rc == MS_ENOTFOUND)
    return cmd_usage_error("schedule", "there is no schedule named '%s'", name);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (s && schedule_spec_read(row->spec, 1, s, &err)) {
    schedule_row_release(row);
    return log_error(EXIT_PARTIAL, "schedule %s cannot be read: %s", name, err.msg);
  }
  return 0;
}

static int save(struct store *st, struct schedule_row *row) {
  struct err err = {0};
  row->updated_at = wall_now();
  if (st->ops->schedule_update(st, row, &err))
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  return 0;
}

static int sub_edit(struct store *st, struct sched_args *a, const char *name) {
  struct schedule_row row;
  struct schedule_spec s;
  int rc = load(st, name, &row, &s);
  if (rc)
    return rc;
  if (a->disabled)
    rc = cmd_usage_error("schedule", "use 'schedule disable' to turn a schedule off");
  if (!rc)
    rc = apply(a, &s);
  if (!rc)
    rc = finish_row(st, &row, &s, a->timezone);
  if (!rc)
    rc = save(st, &row);
  if (!rc && !g_opts.quiet)
    printf("schedule %s changed\n", name);
  schedule_spec_release(&s);
  schedule_row_release(&row);
  return rc;
}

static int sub_enable(struct store *st, const char *name, int on) {
  struct schedule_row row;
  struct schedule_spec s;
  struct err err = {0};
  int rc = load(st, name, &row, &s);
  if (rc)
    return rc;
  row.enabled = on;
  /* Back on: due from now, not for the runs missed while it was off. */
  if (on && schedule_next_due(&row, &s, wall_now(), &err))
    rc = log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!rc)
    rc = save(st, &row);
  if (!rc && !g_opts.quiet)
    printf("schedule %s %s\n", name, on ? "enabled" : "disabled");
  schedule_spec_release(&s);
  schedule_row_release(&row);
  return rc;
}

static int sub_remove(struct store *st, const char *name) {
  struct err err = {0};
  int rc = st->ops->schedule_remove(st, name, &err);
  if (rc == MS_ENOTFOUND)
    return cmd_usage_error("schedule", "there is no schedule named '%s'", name);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!g_opts.quiet)
    printf("removed schedule %s (its jobs stay in the queue's history)\n", name);
  return 0;
}

static int sub_run(struct store *st, struct sched_args *a, const char *name) {
  struct schedule_row row;
  struct schedule_spec s;
  struct job_row job = {0};
  struct err err = {0};
  int rc = load(st, name, &row, &s);
  if (rc)
    return rc;
  rc = job_submit(st, &s, "cli", row.id, wall_now(), &job, &err);
  if (rc == MS_EBUSY)
    rc = log_error(EXIT_PARTIAL, "schedule %s: not queued, as it would overlap: %s", name, err.msg);
  else if (rc)
    rc = log_error(EXIT_PARTIAL, "schedule %s: %s", name, err.msg);
  else
    printf("job %lld queued for schedule %s; a running 'marketsync serve' or 'marketsync "
           "run-due' runs it\n",
           (long long)job.id, name);
  while (!rc && a->wait) {
    struct job_row now = {0};
    if (st->ops->job_get(st, job.id, &now, &err)) {
      rc = log_error(EXIT_PARTIAL, "%s", err.msg);
      break;
    }
    if (strcmp(now.state, "completed") == 0 || strcmp(now.state, "failed") == 0 ||
        strcmp(now.state, "cancelled") == 0) {
      printf("job %lld %s%s%s\n", (long long)job.id, now.state, now.last_error ? ": " : "",
             now.last_error ? now.last_error : "");
      rc = strcmp(now.state, "completed") == 0 ? 0 : EXIT_PARTIAL;
      job_row_release(&now);
      break;
    }
    job_row_release(&now);
    sleep(1);
  }
  job_row_release(&job);
  schedule_spec_release(&s);
  schedule_row_release(&row);
  return rc;
}

struct list_ctx {
  int json;
  int n;
};

static void targets_text(const struct schedule_spec *s, char *out, size_t n) {
  size_t used = 0;
  if (!s->nsources)
    used = (size_t)snprintf(out, n, "every source");
  for (int i = 0; i < s->nsources && used < n; i++)
    used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "", s->sources[i]);
  for (int i = 0; i < s->nstreams && used < n; i++)
    used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : " / ", s->streams[i]);
}

static int print_schedule(void *ctx, const struct schedule_row *row) {
  struct list_ctx *c = ctx;
  struct schedule_spec s;
  struct err err = {0};
  char timing[200] = "?", targets[300] = "?", range[64] = "?", next[32], last[32];
  int ok = schedule_spec_read(row->spec, 1, &s, &err) == MS_OK;
  if (ok) {
    schedule_timing_describe(&s, timing, sizeof(timing));
    targets_text(&s, targets, sizeof(targets));
    schedule_range_describe(&s, range, sizeof(range));
  }
  print_when(row->enabled ? row->next_due : 0, row->timezone, next, sizeof(next));
  print_when(row->last_due, row->timezone, last, sizeof(last));
  if (c->json) {
    cJSON *o = cJSON_CreateObject(), *spec = cJSON_Parse(row->spec ? row->spec : "{}");
    char *text;
    cJSON_AddStringToObject(o, "name", row->name);
    cJSON_AddBoolToObject(o, "enabled", row->enabled);
    cJSON_AddStringToObject(o, "timezone", row->timezone);
    cJSON_AddStringToObject(o, "timing", timing);
    cJSON_AddItemToObject(o, "spec", spec ? spec : cJSON_CreateObject());
    cJSON_AddNumberToObject(o, "next_due", (double)(row->enabled ? row->next_due : 0));
    cJSON_AddNumberToObject(o, "last_due", (double)row->last_due);
    cJSON_AddNumberToObject(o, "last_run_id", (double)row->last_run_id);
    cJSON_AddStringToObject(o, "last_status", row->last_status);
    text = cJSON_PrintUnformatted(o);
    printf("%s\n", text ? text : "{}");
    free(text);
    cJSON_Delete(o);
  } else {
    if (c->n == 0)
      printf("%-16s %-3s %-40s %-10s %-24s %-22s %-16s %-22s %s\n", "NAME", "ON", "WHEN", "MODE",
             "TARGETS", "DAYS", "LAST RUN", "", "NEXT RUN");
    printf("%-16s %-3s %-40s %-10s %-24s %-22s %-16s %-22s %s (%s)\n", row->name,
           row->enabled ? "yes" : "no", timing, ok ? sync_mode_name(s.mode) : "?", targets, range,
           last, row->last_status[0] ? row->last_status : "", next, row->timezone);
  }
  if (ok)
    schedule_spec_release(&s);
  c->n++;
  return MS_OK;
}

static int sub_list(struct store *st, struct sched_args *a) {
  struct list_ctx c = {a->json, 0};
  struct err err = {0};
  if (st->ops->schedule_list(st, print_schedule, &c, &err))
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!c.n && !c.json)
    printf("no schedules yet; add one with 'marketsync schedule add NAME --every 1h'\n");
  return 0;
}

static int print_job_line(void *ctx, const struct job_row *j) {
  char when[TIME_STR_LEN];
  (void)ctx;
  time_format(j->created_at, 0, 1, when);
  printf("  job %-6lld %-10s %s  run %lld%s%s\n", (long long)j->id, j->state, when,
         (long long)j->run_id, j->last_error ? "  " : "", j->last_error ? j->last_error : "");
  return MS_OK;
}

static int sub_show(struct store *st, const char *name) {
  struct schedule_row row;
  struct schedule_spec s;
  struct job_filter f = {NULL, 0, 10};
  struct err err = {0};
  char timing[200], targets[300], range[64], next[32], last[32];
  int rc = load(st, name, &row, &s);
  if (rc)
    return rc;
  schedule_timing_describe(&s, timing, sizeof(timing));
  targets_text(&s, targets, sizeof(targets));
  schedule_range_describe(&s, range, sizeof(range));
  print_when(row.enabled ? row.next_due : 0, row.timezone, next, sizeof(next));
  print_when(row.last_due, row.timezone, last, sizeof(last));
  printf("name:      %s\nenabled:   %s\nwhen:      %s\ntime zone: %s\nmode:      %s\n"
         "targets:   %s\ndays:      %s\nlast run:  %s %s\nnext run:  %s\nspec:      %s\n",
         row.name, row.enabled ? "yes" : "no", timing, row.timezone, sync_mode_name(s.mode),
         targets, range, last, row.last_status, next, row.spec);
  printf("recent jobs:\n");
  f.schedule_id = row.id;
  if (st->ops->job_list(st, &f, print_job_line, NULL, &err))
    rc = log_error(EXIT_PARTIAL, "%s", err.msg);
  schedule_spec_release(&s);
  schedule_row_release(&row);
  return rc;
}

int cmd_schedule(int argc, char **argv) {
  static const char *const subs[] = {"add",     "edit",   "list", "show", "enable",
                                     "disable", "remove", "run",  NULL};
  struct sched_args a;
  struct store *st = NULL;
  const char *name = NULL;
  int first, rc, known = 0;
  memset(&a, 0, sizeof(a));
  if (argc < 2)
    return cmd_usage_error("schedule", "say add, edit, list, show, enable, disable, remove or run");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(schedule_help, stdout);
    return EXIT_OK;
  }
  for (int i = 0; subs[i]; i++)
    known |= strcmp(argv[1], subs[i]) == 0;
  if (!known)
    return cmd_usage_error("schedule", "'%s' is not a schedule subcommand", argv[1]);
  a.sub = argv[1];
  rc = cmd_parse("schedule", schedule_help, argc - 1, argv + 1, schedule_options, on_option, &a,
                 &first);
  if (rc) {
    args_release(&a);
    return rc == CMD_HELP ? EXIT_OK : rc;
  }
  first++; /* an index into argv again */
  {
    int edits = a.sub[0] == 'a' || strcmp(a.sub, "edit") == 0;
    int changes = a.timing_given || a.between_given || a.max_given || a.timezone || a.nsources ||
                  a.nstreams || a.mode_given || a.range_given || a.from_given || a.to_given ||
                  a.disabled || a.no_between || a.no_max || a.no_range || a.all_sources ||
                  a.all_streams;
    if (changes && !edits)
      rc = cmd_usage_error("schedule", "%s takes no timing, target or range options", a.sub);
    else if (a.json && strcmp(a.sub, "list") != 0)
      rc = cmd_usage_error("schedule", "--json belongs to list");
    else if (a.wait && strcmp(a.sub, "run") != 0)
      rc = cmd_usage_error("schedule", "--wait belongs to run");
  }
  if (!rc && strcmp(a.sub, "list") == 0 && first < argc)
    rc = cmd_usage_error("schedule", "list takes no name");
  if (!rc && strcmp(a.sub, "list") != 0) {
    if (argc - first != 1)
      rc = cmd_usage_error("schedule", "%s takes one schedule name", a.sub);
    else
      name = argv[first];
  }
  if (name && (strlen(name) >= MS_NAME_MAX ||
               strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name)))
    rc = cmd_usage_error("schedule",
                         "a schedule name is lowercase letters, digits, - and _ (at most 63)");
  if (!rc)
    rc = cmd_open_store(&st);
  if (!rc) {
    if (strcmp(a.sub, "add") == 0)
      rc = sub_add(st, &a, name);
    else if (strcmp(a.sub, "edit") == 0)
      rc = sub_edit(st, &a, name);
    else if (strcmp(a.sub, "list") == 0)
      rc = sub_list(st, &a);
    else if (strcmp(a.sub, "show") == 0)
      rc = sub_show(st, name);
    else if (strcmp(a.sub, "enable") == 0 || strcmp(a.sub, "disable") == 0)
      rc = sub_enable(st, name, strcmp(a.sub, "enable") == 0);
    else if (strcmp(a.sub, "remove") == 0)
      rc = sub_remove(st, name);
    else
      rc = sub_run(st, &a, name);
  }
  store_close(st);
  args_release(&a);
  return rc;
}
