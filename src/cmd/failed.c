/* marketsync failed: records that could not be stored, listed and retried. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "engine/failed.h"
#include "util/json.h"
#include "core/source.h"
#include "store/store.h"
#include "util/log.h"

static const char failed_help[] =
    "usage: marketsync failed list [NAME] [--json]\n"
    "       marketsync failed retry --all | ID...\n\n"
    "A record the database cannot take (no id, over a size limit, refused by a\n"
    "constraint) does not fail its day: it is kept aside with the reason, and the rest\n"
    "of its page is stored.\n\n"
    "  list    one line per record still not stored: id, source, stream, day, external\n"
    "          id, attempts, when it last failed and why (--json: one object a line)\n"
    "  retry   reads each record again from the JSON the API sent and stores it (an\n"
    "          older copy never replaces a newer one); the source's secrets must be\n"
    "          available, but nothing is fetched\n\n"
    "Exit status: 0 all stored, 1 some still fail, 2 bad arguments (such as an\n"
    "unknown id).\n";

/* ---- list ------------------------------------------------------------ */

struct list_ctx {
  int json; /* --json */
  int n;    /* rows printed */
};

static int print_failed(void *ctx, const struct failed_row *f) {
  struct list_ctx *c = ctx;
  char when[TIME_STR_LEN];
  time_format(f->last_failed_at, 0, 1, when);
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    char *text;
    cJSON_AddNumberToObject(o, "id", (double)f->id);
    cJSON_AddStringToObject(o, "source", f->source);
    cJSON_AddStringToObject(o, "stream", f->stream);
    cJSON_AddStringToObject(o, "day", f->key);
    if (f->external_id)
      cJSON_AddStringToObject(o, "external_id", f->external_id);
    else
      cJSON_AddNullToObject(o, "external_id");
    cJSON_AddNumberToObject(o, "attempts", (double)f->attempts);
    cJSON_AddStringToObject(o, "error", f->error ? f->error : "");
    cJSON_AddNumberToObject(o, "first_failed_at", (double)f->first_failed_at);
    cJSON_AddNumberToObject(o, "last_failed_at", (double)f->last_failed_at);
    text = cJSON_PrintUnformatted(o);
    printf("%s\n", text ? text : "{}");
    free(text);
    cJSON_Delete(o);
  } else {
    if (c->n == 0)
      printf("%-6s %-14s %-8s %-10s %-20s %8s  %-20s  %s\n", "ID", "SOURCE", "STREAM", "DAY",
             "EXTERNAL ID", "ATTEMPTS", "LAST FAILED", "ERROR");
    printf("%-6lld %-14s %-8s %-10s %-20.40s %8lld  %-20s  %s\n", (long long)f->id, f->source,
           f->stream, f->key, f->external_id ? f->external_id : "-", (long long)f->attempts, when,
           f->error ? f->error : "");
  }
  c->n++;
  return MS_OK;
}

/* name: NULL for every source. */
static int failed_list(struct store *st, const char *name, int json) {
  struct list_ctx c = {json, 0};
  struct source_row src = {0};
  struct err err = {0};
  int rc;
  if (name) {
    rc = st->ops->source_get(st, name, &src, &err);
    if (rc == MS_ENOTFOUND)
      return cmd_usage_error("failed", "there is no source named '%s'", name);
    if (rc)
      return log_error(EXIT_PARTIAL, "%s", err.msg);
    source_row_release(&src);
  }
  rc = st->ops->failed_list(st, src.id, print_failed, &c, &err);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!c.n && !c.json)
    printf("no records are waiting: every record received was stored\n");
  return EXIT_OK;
}

/* ---- retry ----------------------------------------------------------- */

static int parse_id(const char *s, int64_t *out) {
  char *end;
  long long v;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 1)
    return MS_EINVAL;
  *out = v;
  return MS_OK;
}

/* argv: the ids. */
static int failed_retry_cmd(struct store *st, int all, int argc, char **argv) {
  struct failed_report rep;
  struct err err = {0};
  int64_t *ids = NULL;
  size_t n = 0;
  int rc;
  for (int i = 0; i < argc; i++) {
    int64_t id;
    if (parse_id(argv[i], &id) || n >= FAILED_RETRY_MAX) {
      free(ids);
      return cmd_usage_error("failed", "'%s' is not the id of a failed record", argv[i]);
    }
    {
      struct failed_row f;
      int open;
      rc = st->ops->failed_get(st, id, &f, &err);
      if (rc && rc != MS_ENOTFOUND) {
        free(ids);
        return log_error(EXIT_PARTIAL, "%s", err.msg);
      }
      open = rc == MS_OK && !f.resolved_at;
      if (rc == MS_OK)
        failed_row_release(&f);
      if (!open) {
        free(ids);
        return cmd_usage_error("failed",
                               "there is no failed record %lld waiting to be stored; "
                               "'marketsync failed list' shows them",
                               (long long)id);
      }
    }
    int64_t *v = realloc(ids, (n + 1) * sizeof(*v));
    if (!v) {
      free(ids);
      return log_error(EXIT_PARTIAL, "out of memory");
    }
    ids = v;
    ids[n++] = id;
  }
  if (all == (n > 0)) {
    free(ids);
    return cmd_usage_error("failed", "retry takes --all or the ids of failed records");
  }
  rc = failed_retry(st, ids, n, &rep, &err);
  free(ids);
  if (rc)
    log_error(rc, "%s", err.msg);
  printf("retried %lld: %lld stored, %lld still failing\n", (long long)(rep.stored + rep.failing),
         (long long)rep.stored, (long long)rep.failing);
  if (rep.skipped)
    printf("%lld not retried: their source could not be opened (see above)\n",
           (long long)rep.skipped);
  return !rc && !rep.failing && !rep.skipped ? EXIT_OK : EXIT_PARTIAL;
}

enum { O_JSON = 1, O_ALL };
static const struct cmd_option failed_options[] = {
    {"json", no_argument, O_JSON}, {"all", no_argument, O_ALL}, {NULL}};

struct failed_args {
  int json; /* list --json */
  int all;  /* retry --all */
};

static int on_option(void *ctx, int key, const char *v) {
  struct failed_args *a = ctx;
  (void)v;
  if (key == O_JSON)
    a->json = 1;
  else
    a->all = 1;
  return 0;
}

int cmd_failed(int argc, char **argv) {
  struct failed_args a = {0, 0};
  struct store *st = NULL;
  int list, first, rc;
  if (argc < 2)
    return cmd_usage_error("failed", "say 'list' or 'retry'");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(failed_help, stdout);
    return EXIT_OK;
  }
  if (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "retry") != 0)
    return cmd_usage_error("failed", "unknown subcommand '%s'; say 'list' or 'retry'", argv[1]);
  list = strcmp(argv[1], "list") == 0;
  /* argv[1] stands for the command's name from here. */
  rc = cmd_parse("failed", failed_help, argc - 1, argv + 1, failed_options, on_option, &a, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  first++; /* an index into argv again */
  if (list && a.all)
    return cmd_usage_error("failed", "--all belongs to 'failed retry'");
  if (!list && a.json)
    return cmd_usage_error("failed", "--json belongs to 'failed list'");
  if (list && argc - first > 1)
    return cmd_usage_error("failed", "list takes at most one source name");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = list ? failed_list(st, first < argc ? argv[first] : NULL, a.json)
            : failed_retry_cmd(st, a.all, argc - first, argv + first);
  store_close(st);
  return rc;
}
