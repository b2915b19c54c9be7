/* marketsync user add|list|remove|passwd: who may use the admin API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "engine/auth.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/tz.h"

#define USER_ACCOUNTS_SHOWN 512 /* bytes of the account names a list line shows */

static const char user_help[] =
    "usage: marketsync user add NAME [--admin] [--account A]...\n"
    "       marketsync user list [--json]\n"
    "       marketsync user remove NAME\n"
    "       marketsync user passwd NAME\n\n"
    "A user reaches the admin API with an API token ('marketsync token create') or\n"
    "a password. An admin sees and steers everything; any other user sees the\n"
    "sources of the accounts it is a member of (--account, as often as needed).\n"
    "'passwd' sets the password: typed twice without echo on a terminal, else the\n"
    "first line of standard input; at least 10 characters. Passwords are kept only\n"
    "as Argon2id hashes. Removing a user revokes its tokens with it.\n";

enum { O_ADMIN = 1, O_ACCOUNT, O_JSON };
static const struct cmd_option add_options[] = {
    {"admin", no_argument, O_ADMIN}, {"account", required_argument, O_ACCOUNT}, {NULL}};
static const struct cmd_option list_options[] = {{"json", no_argument, O_JSON}, {NULL}};

struct user_args {
  int admin;             /* --admin */
  int json;              /* --json */
  const char **accounts; /* --account values (each MAY hold commas) */
  size_t naccounts;      /* how many */
};

static int on_option(void *ctx, int key, const char *v) {
  struct user_args *a = ctx;
  if (key == O_ADMIN) {
    a->admin = 1;
  } else if (key == O_JSON) {
    a->json = 1;
  } else {
    const char **more = realloc(a->accounts, (a->naccounts + 1) * sizeof(*more));
    if (!more)
      return cmd_usage_error("user add", "out of memory");
    a->accounts = more;
    a->accounts[a->naccounts++] = v;
  }
  return 0;
}

static int sub_args(const char *cmd, int argc, char **argv, const struct cmd_option *opts,
                    struct user_args *a, const char **name) {
  return cmd_parse_name(cmd, user_help, argc, argv, opts, on_option, a, "user", name);
}

/* The ids of the accounts named by --account (each "A" or "A,B"). */
static int account_ids(struct store *st, const struct user_args *a, int64_t **ids, size_t *n) {
  *ids = NULL;
  *n = 0;
  for (size_t i = 0; i < a->naccounts; i++) {
    const char *p = a->accounts[i];
    while (*p) {
      size_t len = strcspn(p, ",");
      char name[MS_NAME_MAX];
      struct account_row row;
      struct err err = {0};
      int64_t *more;
      if (len == 0 || len >= sizeof(name))
        return cmd_usage_error("user add", "--account takes account names, not '%s'",
                               a->accounts[i]);
      snprintf(name, sizeof(name), "%.*s", (int)len, p);
      if (st->ops->account_get(st, name, &row, &err))
        return cmd_usage_error("user add", "%s", err.msg);
      if (*n >= ACCOUNTS_MAX)
        return cmd_usage_error("user add", "a user may be a member of at most %d accounts",
                               ACCOUNTS_MAX);
      more = realloc(*ids, (*n + 1) * sizeof(*more));
      if (!more)
        return cmd_usage_error("user add", "out of memory");
      *ids = more;
      (*ids)[(*n)++] = row.id;
      p += len + (p[len] == ',');
    }
  }
  return 0;
}

static int user_add(int argc, char **argv) {
  struct user_args a = {0};
  struct user_row u = {0};
  struct store *st = NULL;
  struct err err = {0};
  const char *name;
  int rc = sub_args("user add", argc, argv, add_options, &a, &name);
  if (rc) {
    free(a.accounts);
    return rc == CMD_HELP ? EXIT_OK : rc;
  }
  if (strlen(name) >= sizeof(u.name)) {
    free(a.accounts);
    return cmd_usage_error("user add", "a user name has at most %zu characters",
                           sizeof(u.name) - 1);
  }
  rc = cmd_open_store(&st);
  if (!rc)
    rc = account_ids(st, &a, &u.accounts, &u.naccounts);
  if (!rc) {
    snprintf(u.name, sizeof(u.name), "%s", name);
    u.admin = a.admin;
    u.created_at = wall_now();
    rc = st->ops->user_add(st, &u, &err);
    if (rc)
      rc = cmd_exit_for(rc) == EXIT_USAGE ? cmd_usage_error("user add", "%s", err.msg)
                                          : log_error(EXIT_PARTIAL, "%s", err.msg);
  }
  if (!rc && !g_opts.quiet)
    printf("added %s %s; 'marketsync token create --user %s' makes an API token, 'marketsync "
           "user passwd %s' sets a password\n",
           a.admin       ? "admin"
           : u.naccounts ? "user"
                         : "user (of no account yet)",
           u.name, u.name, u.name);
  free(u.accounts);
  free(a.accounts);
  store_close(st);
  return rc;
}

/* Account names by id, for lists. */
struct names {
  int64_t *ids;           /* account ids */
  char (*v)[MS_NAME_MAX]; /* their names */
  size_t n;               /* how many */
};

static int take_account(void *ctx, const struct account_row *a) {
  struct names *nm = ctx;
  int64_t *ids = realloc(nm->ids, (nm->n + 1) * sizeof(*ids));
  char(*v)[MS_NAME_MAX];
  if (!ids)
    return MS_ENOMEM;
  nm->ids = ids;
  v = realloc(nm->v, (nm->n + 1) * sizeof(*v));
  if (!v)
    return MS_ENOMEM;
  nm->v = v;
  nm->ids[nm->n] = a->id;
  snprintf(nm->v[nm->n++], MS_NAME_MAX, "%s", a->name);
  return MS_OK;
}

static const char *name_of(const struct names *nm, int64_t id) {
  for (size_t i = 0; i < nm->n; i++)
    if (nm->ids[i] == id)
      return nm->v[i];
  return "?";
}

struct list_ctx {
  const struct names *accounts; /* names by id */
  struct store *st;             /* for token counts */
  int json;                     /* --json */
  int printed;                  /* rows so far */
};

static int count_token(void *ctx, const struct token_row *t) {
  if (!t->revoked_at)
    (*(int *)ctx)++;
  return MS_OK;
}

static int print_user(void *ctx, const struct user_row *u) {
  struct list_ctx *lc = ctx;
  char created[TIME_STR_LEN], accounts[USER_ACCOUNTS_SHOWN] = "";
  size_t used = 0;
  int tokens = 0;
  struct err err = {0};
  int rc = lc->st->ops->token_list(lc->st, u->id, count_token, &tokens, &err);
  if (rc)
    return rc;
  time_format(u->created_at, 0, 1, created);
  for (size_t i = 0; i < u->naccounts && used < sizeof(accounts); i++)
    used += (size_t)snprintf(accounts + used, sizeof(accounts) - used, "%s%s", i ? "," : "",
                             name_of(lc->accounts, u->accounts[i]));
  if (lc->json) {
    cJSON *o = cJSON_CreateObject(), *list;
    char *text;
    cJSON_AddNumberToObject(o, "id", (double)u->id);
    cJSON_AddStringToObject(o, "name", u->name);
    cJSON_AddBoolToObject(o, "admin", u->admin);
    list = cJSON_AddArrayToObject(o, "accounts");
    for (size_t i = 0; i < u->naccounts; i++)
      cJSON_AddItemToArray(list, cJSON_CreateString(name_of(lc->accounts, u->accounts[i])));
    cJSON_AddBoolToObject(o, "password", u->password_hash != NULL);
    cJSON_AddNumberToObject(o, "tokens", tokens);
    cJSON_AddStringToObject(o, "created_at", created);
    text = cJSON_PrintUnformatted(o);
    printf("%s\n", text ? text : "{}");
    free(text);
    cJSON_Delete(o);
  } else {
    if (!lc->printed)
      printf("%-20s %-6s %-8s %6s  %-22s %s\n", "NAME", "ROLE", "PASSWORD", "TOKENS", "CREATED",
             "ACCOUNTS");
    printf("%-20s %-6s %-8s %6d  %-22s %s\n", u->name, u->admin ? "admin" : "member",
           u->password_hash ? "set" : "none", tokens, created,
           u->admin    ? "(all)"
           : *accounts ? accounts
                       : "-");
  }
  lc->printed++;
  return MS_OK;
}

static int user_list(int argc, char **argv) {
  struct user_args a = {0};
  struct names nm = {0};
  struct store *st = NULL;
  struct err err = {0};
  struct list_ctx lc = {&nm, NULL, 0, 0};
  int rc = sub_args("user list", argc, argv, list_options, &a, NULL);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  lc.st = st;
  lc.json = a.json;
  rc = st->ops->account_list(st, take_account, &nm, &err);
  if (rc == MS_ENOMEM)
    err_set(&err, rc, "out of memory");
  if (!rc)
    rc = st->ops->user_list(st, print_user, &lc, &err);
  if (!rc && !lc.printed && !lc.json)
    printf("no users yet; add one with 'marketsync user add NAME --admin'\n");
  free(nm.ids);
  free(nm.v);
  store_close(st);
  return rc ? log_error(cmd_exit_for(rc), "%s", err.msg) : EXIT_OK;
}

static int user_remove(int argc, char **argv) {
  struct user_args a = {0};
  struct user_row u = {0};
  struct store *st = NULL;
  struct err err = {0};
  const char *name;
  int tokens = 0;
  int rc = sub_args("user remove", argc, argv, NULL, &a, &name);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = st->ops->user_get(st, name, &u, &err);
  if (!rc)
    rc = st->ops->token_list(st, u.id, count_token, &tokens, &err);
  if (!rc)
    rc = st->ops->user_remove(st, name, &err);
  user_row_release(&u);
  store_close(st);
  if (rc)
    return cmd_exit_for(rc) == EXIT_USAGE ? cmd_usage_error("user remove", "%s", err.msg)
                                          : log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!g_opts.quiet)
    printf("removed user %s%s\n", name, tokens ? " with its API tokens (they no longer work)" : "");
  return EXIT_OK;
}

static int user_passwd(int argc, char **argv) {
  struct user_args a = {0};
  struct user_row u = {0};
  struct store *st = NULL;
  struct err err = {0};
  char hash[AUTH_HASH_SIZE], *password = NULL;
  const char *name;
  int rc = sub_args("user passwd", argc, argv, NULL, &a, &name);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  /* The user first: nobody types a password for a name that is wrong. */
  if (st->ops->user_get(st, name, &u, &err)) {
    store_close(st);
    return cmd_usage_error("user passwd", "%s", err.msg);
  }
  rc = cmd_read_new_password("user passwd", &password);
  if (!rc && auth_password_hash(password, hash, &err))
    rc = cmd_usage_error("user passwd", "%s", err.msg);
  cmd_secret_free(password);
  if (!rc && st->ops->user_set_password(st, u.id, hash, &err))
    rc = log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!rc && !g_opts.quiet)
    printf("the password of %s is set\n", u.name);
  user_row_release(&u);
  store_close(st);
  return rc;
}

int cmd_user(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(user_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  if (strcmp(argv[1], "add") == 0)
    return user_add(argc - 1, argv + 1);
  if (strcmp(argv[1], "list") == 0)
    return user_list(argc - 1, argv + 1);
  if (strcmp(argv[1], "remove") == 0 || strcmp(argv[1], "rm") == 0)
    return user_remove(argc - 1, argv + 1);
  if (strcmp(argv[1], "passwd") == 0)
    return user_passwd(argc - 1, argv + 1);
  return cmd_usage_error("user", "'%s' is not a user subcommand (add, list, remove, passwd)",
                         argv[1]);
}
