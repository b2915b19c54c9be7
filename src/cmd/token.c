/* marketsync token create|list|revoke: API tokens of users. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "engine/auth.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/tz.h"

static const char token_help[] =
    "usage: marketsync token create --user NAME [--label TEXT]\n"
    "       marketsync token list [--user NAME] [--json]\n"
    "       marketsync token revoke ID\n\n"
    "An API token lets a program act as its user in the admin API (header\n"
    "'Authorization: Bearer TOKEN'). 'create' prints the token on standard output,\n"
    "alone, this one time: marketsync keeps only a hash of it and cannot show it\n"
    "again. Lists show its first characters, to tell tokens apart. A revoked token\n"
    "stops working at once.\n";

enum { O_USER = 1, O_LABEL, O_JSON };
static const struct cmd_option options[] = {{"user", required_argument, O_USER},
                                            {"label", required_argument, O_LABEL},
                                            {"json", no_argument, O_JSON},
                                            {NULL}};

struct token_args {
  const char *user;  /* --user */
  const char *label; /* --label */
  int json;          /* --json */
};

static int on_option(void *ctx, int key, const char *v) {
  struct token_args *a = ctx;
  if (key == O_USER)
    a->user = v;
  else if (key == O_LABEL)
    a->label = v;
  else
    a->json = 1;
  return 0;
}

static int token_create(struct store *st, const struct token_args *a) {
  char token[AUTH_TOKEN_SIZE];
  struct user_row u = {0};
  struct token_row row;
  struct err err = {0};
  int rc;
  if (!a->user)
    return cmd_usage_error("token create", "say whose token it is: --user NAME");
  if (a->json)
    return cmd_usage_error("token create", "--json belongs to 'token list'");
  if (a->label && (strlen(a->label) >= TOKEN_LABEL_MAX || strpbrk(a->label, "\r\n\t")))
    return cmd_usage_error("token create", "--label takes one line of at most %d characters",
                           TOKEN_LABEL_MAX - 1);
  if (st->ops->user_get(st, a->user, &u, &err))
    return cmd_usage_error("token create", "%s", err.msg);
  rc = auth_token_create(st, u.id, a->label, wall_now(), token, &row, &err);
  user_row_release(&u);
  if (rc)
    return log_error(cmd_exit_for(rc), "%s", err.msg);
  /* The token alone on standard output, so `T=$(marketsync token create ...)`
   * takes exactly it; what to know about it goes to standard error. */
  printf("%s\n", token);
  fflush(stdout);
  sodium_memzero(token, sizeof(token));
  if (!g_opts.quiet)
    fprintf(stderr,
            "made API token %lld (%s...) for %s; it is shown this once and cannot be shown "
            "again: keep it now\n",
            (long long)row.id, row.prefix, row.user[0] ? row.user : a->user);
  return EXIT_OK;
}

struct list_ctx {
  int json;    /* --json */
  int printed; /* rows so far */
};

static void when(int64_t t, char out[TIME_STR_LEN], const char *none) {
  if (t)
    time_format(t, 0, 1, out);
  else
    snprintf(out, TIME_STR_LEN, "%s", none);
}

static int print_token(void *ctx, const struct token_row *t) {
  struct list_ctx *lc = ctx;
  char created[TIME_STR_LEN], used[TIME_STR_LEN], revoked[TIME_STR_LEN],
      shown[TOKEN_PREFIX_MAX + 4];
  snprintf(shown, sizeof(shown), "%s...", t->prefix);
  when(t->created_at, created, "-");
  when(t->last_used_at, used, "never");
  when(t->revoked_at, revoked, "-");
  if (lc->json) {
    cJSON *o = cJSON_CreateObject();
    char *text;
    cJSON_AddNumberToObject(o, "id", (double)t->id);
    cJSON_AddStringToObject(o, "prefix", t->prefix);
    cJSON_AddStringToObject(o, "user", t->user);
    cJSON_AddStringToObject(o, "label", t->label);
    cJSON_AddStringToObject(o, "created_at", created);
    cJSON_AddStringToObject(o, "last_used_at", t->last_used_at ? used : "");
    cJSON_AddStringToObject(o, "revoked_at", t->revoked_at ? revoked : "");
    text = cJSON_PrintUnformatted(o);
    printf("%s\n", text ? text : "{}");
    free(text);
    cJSON_Delete(o);
  } else {
    if (!lc->printed)
      printf("%-5s %-16s %-16s %-20s %-22s %-22s %s\n", "ID", "TOKEN", "USER", "LABEL", "CREATED",
             "LAST USED", "REVOKED");
    printf("%-5lld %-16s %-16s %-20s %-22s %-22s %s\n", (long long)t->id, shown, t->user,
           t->label[0] ? t->label : "-", created, used, revoked);
  }
  lc->printed++;
  return MS_OK;
}

static int token_list(struct store *st, const struct token_args *a) {
  struct list_ctx lc = {a->json, 0};
  struct user_row u = {0};
  struct err err = {0};
  int rc;
  if (a->label)
    return cmd_usage_error("token list", "--label belongs to 'token create'");
  if (a->user && st->ops->user_get(st, a->user, &u, &err))
    return cmd_usage_error("token list", "%s", err.msg);
  rc = st->ops->token_list(st, u.id, print_token, &lc, &err);
  user_row_release(&u);
  if (rc)
    return log_error(cmd_exit_for(rc), "%s", err.msg);
  if (!lc.printed && !lc.json)
    printf("no API tokens%s; make one with 'marketsync token create --user NAME'\n",
           a->user ? " of that user" : " yet");
  return EXIT_OK;
}

static int token_revoke(struct store *st, const struct token_args *a, const char *id_text) {
  struct err err = {0};
  long id;
  int rc;
  if (a->user || a->label || a->json)
    return cmd_usage_error("token revoke", "revoke takes a token's id alone");
  if (cmd_int("token revoke", "the token id", id_text, 1, INT32_MAX, &id))
    return EXIT_USAGE;
  rc = st->ops->token_revoke(st, id, wall_now(), &err);
  if (rc)
    return cmd_exit_for(rc) == EXIT_USAGE ? cmd_usage_error("token revoke", "%s", err.msg)
                                          : log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!g_opts.quiet)
    printf("API token %ld is revoked; it no longer works\n", id);
  return EXIT_OK;
}

int cmd_token(int argc, char **argv) {
  struct token_args a = {0};
  struct store *st = NULL;
  const char *sub;
  int first, rc;
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(token_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  sub = argv[1];
  if (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0)
    return cmd_usage_error("token", "'%s' is not a token subcommand (create, list, revoke)", sub);
  rc = cmd_parse("token", token_help, argc - 1, argv + 1, options, on_option, &a, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  first++; /* argv[0] of the parse was the subcommand */
  if (strcmp(sub, "revoke") == 0 ? argc - first != 1 : argc != first)
    return cmd_usage_error("token", "%s",
                           strcmp(sub, "revoke") == 0 ? "revoke takes one token id"
                                                      : "unexpected argument");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  if (strcmp(sub, "create") == 0)
    rc = token_create(st, &a);
  else if (strcmp(sub, "list") == 0)
    rc = token_list(st, &a);
  else
    rc = token_revoke(st, &a, argv[first]);
  store_close(st);
  return rc;
}
