/* marketsync jobs: the queue that schedules (and `schedule run`) fill and
 * workers empty. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/tz.h"

static const char jobs_help[] =
    "usage: marketsync jobs list [--state STATE] [--limit N] [--json]\n"
    "       marketsync jobs show ID\n"
    "       marketsync jobs retry ID... | --all-failed\n"
    "       marketsync jobs cancel ID...\n\n"
    "A job is one due run of a schedule (or one run asked for by hand), worked by\n"
    "`marketsync serve` or `marketsync run-due`. States: available (waiting),\n"
    "running (a worker holds its lease), retryable (failed a try; runs again after a\n"
    "backoff), completed, failed (out of tries, or it cannot run: see its error),\n"
    "cancelled. A job whose worker died is taken over when its lease runs out.\n\n"
    "  retry    a failed or cancelled job runs again from its first try\n"
    "  cancel   a job that waits (available or retryable) will not run\n";

enum { O_STATE = 1, O_LIMIT, O_JSON, O_ALL_FAILED };
static const struct cmd_option jobs_options[] = {{"state", required_argument, O_STATE},
                                                 {"limit", required_argument, O_LIMIT},
                                                 {"json", no_argument, O_JSON},
                                                 {"all-failed", no_argument, O_ALL_FAILED},
                                                 {NULL}};

struct jobs_args {
  const char *state;
  long limit;
  int json, all_failed;
};

static int on_option(void *ctx, int key, const char *v) {
  static const char *const states[] = {"available", "running",   "retryable", "completed",
                                       "failed",    "cancelled", NULL};
  struct jobs_args *a = ctx;
  switch (key) {
  case O_STATE:
    for (int i = 0; states[i]; i++)
      if (strcmp(v, states[i]) == 0) {
        a->state = v;
        return 0;
      }
    return cmd_usage_error("jobs", "--state is one of available, running, retryable, "
                                   "completed, failed, cancelled");
  case O_LIMIT:
    return cmd_int("jobs", "--limit", v, 1, 100000, &a->limit);
  case O_JSON:
    a->json = 1;
    return 0;
  case O_ALL_FAILED:
    a->all_failed = 1;
    return 0;
  }
  return EXIT_USAGE;
}

static char *job_json(const struct job_row *j) {
  cJSON *o = cJSON_CreateObject();
  cJSON *req = cJSON_Parse(j->request ? j->request : "{}");
  cJSON *targets = cJSON_Parse(j->targets ? j->targets : "[]");
  char *text;
  cJSON_AddNumberToObject(o, "id", (double)j->id);
  cJSON_AddStringToObject(o, "state", j->state);
  cJSON_AddStringToObject(o, "trigger", j->trigger);
  cJSON_AddNumberToObject(o, "schedule_id", (double)j->schedule_id);
  cJSON_AddNumberToObject(o, "due", (double)j->due);
  cJSON_AddItemToObject(o, "request", req ? req : cJSON_CreateObject());
  cJSON_AddItemToObject(o, "targets", targets ? targets : cJSON_CreateArray());
  cJSON_AddNumberToObject(o, "attempts", j->attempts);
  cJSON_AddNumberToObject(o, "max_attempts", j->max_attempts);
  cJSON_AddNumberToObject(o, "run_after", (double)j->run_after);
  cJSON_AddNumberToObject(o, "created_at", (double)j->created_at);
  cJSON_AddNumberToObject(o, "started_at", (double)j->started_at);
  cJSON_AddNumberToObject(o, "finished_at", (double)j->finished_at);
  cJSON_AddStringToObject(o, "lease_owner", j->lease_owner);
  cJSON_AddNumberToObject(o, "lease_expires", (double)j->lease_expires);
  cJSON_AddNumberToObject(o, "run_id", (double)j->run_id);
  if (j->last_error)
    cJSON_AddStringToObject(o, "last_error", j->last_error);
  text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

struct list_ctx {
  int json, n;
};

static int print_job(void *ctx, const struct job_row *j) {
  struct list_ctx *c = ctx;
  char created[TIME_STR_LEN], what[200] = "";
  if (c->json) {
    char *text = job_json(j);
    printf("%s\n", text ? text : "{}");
    free(text);
    c->n++;
    return MS_OK;
  }
  {
    cJSON *req = cJSON_Parse(j->request ? j->request : "{}");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(req, "mode");
    int targets = 0;
    cJSON *t = cJSON_Parse(j->targets ? j->targets : "[]");
    targets = cJSON_GetArraySize(t);
    snprintf(what, sizeof(what), "%s, %d targets", cJSON_IsString(mode) ? mode->valuestring : "?",
             targets);
    cJSON_Delete(t);
    cJSON_Delete(req);
  }
  time_format(j->created_at, 0, 1, created);
  if (c->n == 0)
    printf("%-7s %-10s %-9s %-21s %-8s %-8s %-22s %s\n", "JOB", "STATE", "TRIGGER", "CREATED",
           "TRIES", "RUN", "WHAT", "ERROR");
  printf("%-7lld %-10s %-9s %-21s %2d of %-3d %-8lld %-22s %s\n", (long long)j->id, j->state,
         j->trigger, created, j->attempts, j->max_attempts, (long long)j->run_id, what,
         j->last_error ? j->last_error : "");
  c->n++;
  return MS_OK;
}

static int sub_list(struct store *st, const struct jobs_args *a) {
  struct job_filter f = {a->state, 0, (int)a->limit};
  struct list_ctx c = {a->json, 0};
  struct err err = {0};
  int64_t counts[6];
  if (st->ops->job_list(st, &f, print_job, &c, &err))
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!c.json && !c.n)
    printf("no jobs%s%s\n", a->state ? " in state " : "", a->state ? a->state : "");
  if (!c.json && !st->ops->job_counts(st, counts, &err))
    printf("\n%lld available, %lld running, %lld retryable, %lld completed, %lld failed, "
           "%lld cancelled\n",
           (long long)counts[0], (long long)counts[1], (long long)counts[2], (long long)counts[3],
           (long long)counts[4], (long long)counts[5]);
  return 0;
}

static int read_id(const char *s, int64_t *id) {
  char *end;
  long long v;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 1)
    return cmd_usage_error("jobs", "'%s' is not a job id", s);
  *id = v;
  return 0;
}

static int sub_show(struct store *st, const char *idtext) {
  struct job_row j = {0};
  struct err err = {0};
  int64_t id;
  char *text;
  int rc = read_id(idtext, &id);
  if (rc)
    return rc;
  rc = st->ops->job_get(st, id, &j, &err);
  if (rc == MS_ENOTFOUND)
    return cmd_usage_error("jobs", "there is no job %lld", (long long)id);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  text = job_json(&j);
  printf("%s\n", text ? text : "{}");
  free(text);
  job_row_release(&j);
  return 0;
}

struct failed_ids {
  int64_t *v;
  size_t n;
};

static int collect_failed(void *ctx, const struct job_row *j) {
  struct failed_ids *f = ctx;
  int64_t *v = realloc(f->v, (f->n + 1) * sizeof(*v));
  if (!v)
    return MS_ENOMEM;
  f->v = v;
  f->v[f->n++] = j->id;
  return MS_OK;
}

/* retry or cancel each id; the exit code. */
static int each_id(struct store *st, int retry, const int64_t *ids, size_t n) {
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    struct err err = {0};
    int rc = retry ? st->ops->job_retry(st, ids[i], wall_now(), &err)
                   : st->ops->job_cancel(st, ids[i], wall_now(), &err);
    if (rc == MS_ENOTFOUND) {
      log_error(rc, "there is no job %lld", (long long)ids[i]);
      bad = EXIT_USAGE;
    } else if (rc) {
      log_error(rc, "%s", err.msg);
      if (!bad)
        bad = EXIT_PARTIAL;
    } else if (!g_opts.quiet) {
      printf("job %lld %s\n", (long long)ids[i], retry ? "will run again" : "cancelled");
    }
  }
  return bad;
}

static int sub_change(struct store *st, const struct jobs_args *a, int retry, int argc,
                      char **argv) {
  struct failed_ids ids = {NULL, 0};
  struct err err = {0};
  int rc = 0;
  if (a->all_failed && (!retry || argc))
    return cmd_usage_error("jobs", "--all-failed is given to retry alone");
  if (!a->all_failed && !argc)
    return cmd_usage_error("jobs", "give the ids of jobs%s", retry ? " or --all-failed" : "");
  if (a->all_failed) {
    struct job_filter f = {"failed", 0, 100000};
    if (st->ops->job_list(st, &f, collect_failed, &ids, &err))
      rc = log_error(EXIT_PARTIAL, "%s", err.msg);
  }
  for (int i = 0; !rc && i < argc; i++) {
    int64_t id, *v;
    rc = read_id(argv[i], &id);
    if (!rc && !(v = realloc(ids.v, (ids.n + 1) * sizeof(*v))))
      rc = log_error(EXIT_PARTIAL, "out of memory");
    if (!rc) {
      ids.v = v;
      ids.v[ids.n++] = id;
    }
  }
  if (!rc)
    rc = each_id(st, retry, ids.v, ids.n);
  if (!rc && a->all_failed && !ids.n && !g_opts.quiet)
    printf("no failed jobs\n");
  free(ids.v);
  return rc;
}

int cmd_jobs(int argc, char **argv) {
  struct jobs_args a = {NULL, 20, 0, 0};
  struct store *st = NULL;
  const char *sub;
  int first, rc;
  if (argc < 2)
    return cmd_usage_error("jobs", "say list, show, retry or cancel");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(jobs_help, stdout);
    return EXIT_OK;
  }
  sub = argv[1];
  if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 && strcmp(sub, "retry") != 0 &&
      strcmp(sub, "cancel") != 0)
    return cmd_usage_error("jobs", "'%s' is not a jobs subcommand (list, show, retry, cancel)",
                           sub);
  rc = cmd_parse("jobs", jobs_help, argc - 1, argv + 1, jobs_options, on_option, &a, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  first++;
  if (strcmp(sub, "list") != 0 && (a.state || a.json))
    return cmd_usage_error("jobs", "--state and --json belong to list");
  if (strcmp(sub, "list") == 0 && first < argc)
    return cmd_usage_error("jobs", "list takes no ids");
  if (strcmp(sub, "show") == 0 && argc - first != 1)
    return cmd_usage_error("jobs", "show takes one job id");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  if (strcmp(sub, "list") == 0)
    rc = sub_list(st, &a);
  else if (strcmp(sub, "show") == 0)
    rc = sub_show(st, argv[first]);
  else
    rc = sub_change(st, &a, strcmp(sub, "retry") == 0, argc - first, argv + first);
  store_close(st);
  return rc;
}
