/* marketsync account add|list|remove: the owners of sources. */
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

static const char account_help[] =
    "usage: marketsync account add NAME\n"
    "       marketsync account list [--json]\n"
    "       marketsync account remove NAME\n\n"
    "An account owns sources (a client, a tenant): its members see them, and only\n"
    "them, through the admin API; admins see everything. 'source add ... --account A'\n"
    "and 'source edit NAME --account A' place a source in an account; a source in no\n"
    "account is seen by admins only. 'user add NAME --account A' makes a member.\n"
    "An account that still owns sources cannot be removed: move or remove them first.\n"
    "Names are 1 to 63 letters, digits, '-', '_' or '.'.\n";

enum { O_JSON = 1 };
static const struct cmd_option list_options[] = {{"json", no_argument, O_JSON}, {NULL}};

static int on_json(void *ctx, int key, const char *v) {
  (void)key; /* only --json */
  (void)v;
  *(int *)ctx = 1;
  return 0;
}

/* Parses a subcommand's options and its one NAME (name != NULL) or none. */
static int sub_args(const char *cmd, int argc, char **argv, const struct cmd_option *opts,
                    int *json, const char **name) {
  return cmd_parse_name(cmd, account_help, argc, argv, opts, on_json, json, "account", name);
}

static int account_add(int argc, char **argv) {
  struct account_row a = {0};
  struct store *st = NULL;
  struct err err = {0};
  const char *name;
  int rc = sub_args("account add", argc, argv, NULL, NULL, &name);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  if (strlen(name) >= sizeof(a.name))
    return cmd_usage_error("account add", "an account name has at most %zu characters",
                           sizeof(a.name) - 1);
  snprintf(a.name, sizeof(a.name), "%s", name);
  a.created_at = wall_now();
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = st->ops->account_add(st, &a, &err);
  store_close(st);
  if (rc)
    return rc == MS_EINVAL || rc == MS_EEXIST ? cmd_usage_error("account add", "%s", err.msg)
                                              : log_error(cmd_exit_for(rc), "%s", err.msg);
  if (!g_opts.quiet)
    printf("added account %s; 'marketsync source add ... --account %s' places sources in it\n",
           a.name, a.name);
  return EXIT_OK;
}

/* What `account list` shows beside each account. */
struct counts {
  int64_t *ids;     /* account ids */
  int *sources;     /* sources each owns */
  int *members;     /* users each has */
  size_t n;         /* accounts */
  int json;         /* --json */
  int printed;      /* rows so far */
  struct store *st; /* the store */
};

static size_t index_of(const struct counts *c, int64_t id) {
  for (size_t i = 0; i < c->n; i++)
    if (c->ids[i] == id)
      return i;
  return c->n;
}

static int count_source(void *ctx, const struct source_row *s) {
  struct counts *c = ctx;
  size_t i = index_of(c, s->account_id);
  if (i < c->n)
    c->sources[i]++;
  return MS_OK;
}

static int count_member(void *ctx, const struct user_row *u) {
  struct counts *c = ctx;
  for (size_t k = 0; k < u->naccounts; k++) {
    size_t i = index_of(c, u->accounts[k]);
    if (i < c->n)
      c->members[i]++;
  }
  return MS_OK;
}

static int take_id(void *ctx, const struct account_row *a) {
  struct counts *c = ctx;
  int64_t *v = realloc(c->ids, (c->n + 1) * sizeof(*v));
  if (!v)
    return MS_ENOMEM;
  c->ids = v;
  c->ids[c->n++] = a->id;
  return MS_OK;
}

static int print_account(void *ctx, const struct account_row *a) {
  struct counts *c = ctx;
  size_t i = index_of(c, a->id);
  char created[TIME_STR_LEN];
  time_format(a->created_at, 0, 1, created);
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    char *text;
    cJSON_AddNumberToObject(o, "id", (double)a->id);
    cJSON_AddStringToObject(o, "name", a->name);
    cJSON_AddNumberToObject(o, "sources", i < c->n ? c->sources[i] : 0);
    cJSON_AddNumberToObject(o, "members", i < c->n ? c->members[i] : 0);
    cJSON_AddStringToObject(o, "created_at", created);
    text = cJSON_PrintUnformatted(o);
    printf("%s\n", text ? text : "{}");
    free(text);
    cJSON_Delete(o);
  } else {
    if (!c->printed)
      printf("%-24s %7s %7s  %s\n", "NAME", "SOURCES", "MEMBERS", "CREATED");
    printf("%-24s %7d %7d  %s\n", a->name, i < c->n ? c->sources[i] : 0,
           i < c->n ? c->members[i] : 0, created);
  }
  c->printed++;
  return MS_OK;
}

static int account_list(int argc, char **argv) {
  struct counts c = {0};
  struct store *st = NULL;
  struct err err = {0};
  int rc = sub_args("account list", argc, argv, list_options, &c.json, NULL);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = st->ops->account_list(st, take_id, &c, &err);
  if (!rc && c.n) {
    c.sources = calloc(c.n, sizeof(*c.sources));
    c.members = calloc(c.n, sizeof(*c.members));
    if (!c.sources || !c.members)
      rc = err_set(&err, MS_ENOMEM, "out of memory");
  }
  if (!rc)
    rc = st->ops->source_list(st, count_source, &c, &err);
  if (!rc)
    rc = st->ops->user_list(st, count_member, &c, &err);
  if (!rc)
    rc = st->ops->account_list(st, print_account, &c, &err);
  if (!rc && !c.printed && !c.json)
    printf("no accounts yet; add one with 'marketsync account add NAME'\n");
  free(c.ids);
  free(c.sources);
  free(c.members);
  store_close(st);
  return rc ? log_error(cmd_exit_for(rc), "%s", err.msg) : EXIT_OK;
}

static int account_remove(int argc, char **argv) {
  struct store *st = NULL;
  struct err err = {0};
  const char *name;
  int rc = sub_args("account remove", argc, argv, NULL, NULL, &name);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = st->ops->account_remove(st, name, &err);
  store_close(st);
  if (rc)
    return cmd_exit_for(rc) == EXIT_USAGE ? cmd_usage_error("account remove", "%s", err.msg)
                                          : log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!g_opts.quiet)
    printf("removed account %s\n", name);
  return EXIT_OK;
}

int cmd_account(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(account_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  if (strcmp(argv[1], "add") == 0)
    return account_add(argc - 1, argv + 1);
  if (strcmp(argv[1], "list") == 0)
    return account_list(argc - 1, argv + 1);
  if (strcmp(argv[1], "remove") == 0 || strcmp(argv[1], "rm") == 0)
    return account_remove(argc - 1, argv + 1);
  return cmd_usage_error("account", "'%s' is not an account subcommand (add, list, remove)",
                         argv[1]);
}
