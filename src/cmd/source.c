/* marketsync source add|list|test|remove. `source add` and its help are
 * made from each connector's table of settings. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "engine/keys.h"
#include "engine/session.h"
#include "engine/sources.h"
#include "net/http.h"
#include "net/url.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"

#define SETTINGS_MAX SOURCE_SETTINGS_MAX

static const char source_help[] =
    "usage: marketsync source add CONNECTOR NAME [SETTINGS] [--streams S[,S...]] [--account A]\n"
    "                             [--no-check]\n"
    "       marketsync source edit NAME [--account A | --no-account] [SECRETS]\n"
    "       marketsync source list [--json]\n"
    "       marketsync source test NAME\n"
    "       marketsync source remove NAME\n\n"
    "A source is one connection to one API, e.g. one Shopify shop. 'source add' checks\n"
    "the connection (and learns the source's time zone) before it saves anything;\n"
    "--no-check saves it unchecked. A secret comes from an environment variable or a\n"
    "file, read again at each sync and never stored (--NAME-env VAR, --NAME-file FILE),\n"
    "or from standard input (--NAME-stdin; typed without echo on a terminal), stored\n"
    "sealed with the master key (see 'marketsync key --help'); one secret at most\n"
    "comes from standard input per command.\n"
    "--streams sets the streams a plain sync of the source fetches (default: all).\n"
    "--account places the source in an account: its members see it in the admin API;\n"
    "a source in no account is seen by admins only.\n"
    "'source edit' moves a source to another account (or none) and replaces secrets.\n\n"
    "SETTINGS of each connector:\n";

/* The settings of every connector, from their tables. */
static void print_help(FILE *out) {
  const struct connector *const *all = connector_all();
  fputs(source_help, out);
  for (size_t i = 0; all[i]; i++) {
    const struct stream_def *const *streams = all[i]->streams;
    fprintf(out, "\n  %s: %s\n", all[i]->name, all[i]->title ? all[i]->title : "");
    for (const struct setting_def *d = all[i]->settings; d && d->key; d++) {
      char flag[160];
      if (d->kind == SETTING_SECRET)
        snprintf(flag, sizeof(flag), "--%s-env VAR | --%s-file FILE | --%s-stdin", d->flag, d->flag,
                 d->flag);
      else if (d->kind == SETTING_CHOICE && d->choices)
        snprintf(flag, sizeof(flag), "--%s %s", d->flag, d->choices);
      else if (all[i]->spec_setting && strcmp(d->key, all[i]->spec_setting) == 0)
        snprintf(flag, sizeof(flag), "--%s FILE", d->flag);
      else
        snprintf(flag, sizeof(flag), "--%s %s", d->flag,
                 d->kind == SETTING_URL    ? "URL"
                 : d->kind == SETTING_ZONE ? "TZ"
                 : d->kind == SETTING_LIST ? "A[,B...]"
                 : d->kind == SETTING_INT  ? "N"
                                           : "VALUE");
      for (char *p = flag; *p; p++)
        if (*p == ',' && d->kind == SETTING_CHOICE)
          *p = '|';
      fprintf(out, "    %s%s\n        %s\n", flag,
              d->flags & SETTING_REQUIRED ? "  (required)" : "", d->help);
    }
    fprintf(out, "    streams:");
    for (size_t k = 0; streams && streams[k]; k++)
      fprintf(out, " %s", streams[k]->name);
    fputc('\n', out);
  }
}

/* What `source add` was told, by setting (in the connector's order). */
struct add_state {
  const struct connector *conn;    /* the connector */
  const char *value[SETTINGS_MAX]; /* a setting's value */
  const char *env[SETTINGS_MAX];   /* a secret's --FLAG-env */
  const char *file[SETTINGS_MAX];  /* a secret's --FLAG-file */
  int stdin_[SETTINGS_MAX];        /* a secret's --FLAG-stdin */
  char *plain[SETTINGS_MAX];       /* what standard input gave for it; wiped */
  const char *streams;             /* --streams */
  const char *account;             /* --account */
  int no_account;                  /* --no-account (edit) */
  int no_check;                    /* --no-check */
};

enum {
  KEY_VALUE = 1,
  KEY_ENV = 1000,
  KEY_FILE = 2000,
  KEY_STDIN = 3000,
  KEY_STREAMS = 4000,
  KEY_NO_CHECK,
  KEY_ACCOUNT,
  KEY_NO_ACCOUNT
};

static int on_setting(void *ctx, int key, const char *v) {
  struct add_state *a = ctx;
  if (key == KEY_STREAMS)
    a->streams = v;
  else if (key == KEY_NO_CHECK)
    a->no_check = 1;
  else if (key == KEY_ACCOUNT)
    a->account = v;
  else if (key == KEY_NO_ACCOUNT)
    a->no_account = 1;
  else if (key >= KEY_STDIN)
    a->stdin_[key - KEY_STDIN] = 1;
  else if (key >= KEY_FILE)
    a->file[key - KEY_FILE] = v;
  else if (key >= KEY_ENV)
    a->env[key - KEY_ENV] = v;
  else
    a->value[key - KEY_VALUE] = v;
  return 0;
}

/* The value of --NAME FILE or --NAME=FILE among the arguments, or NULL. */
static const char *spec_argument(int argc, char **argv, const char *name) {
  size_t n = strlen(name);
  for (int i = 3; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
      continue;
    if (a[2 + n] == '=' && a[3 + n])
      return a + 3 + n;
    if (a[2 + n] == '\0' && i + 1 < argc)
      return argv[i + 1];
  }
  return NULL;
}

/* The command-line options of a connector's settings (`edit`: its secrets
 * and the account only). names holds the option names made for secrets
 * ("token-env"). */
static size_t options_of(const struct connector *c, int edit, struct cmd_option *opts,
                         char names[][72]) {
  size_t n = 0, k = 0;
  for (const struct setting_def *d = c->settings; d && d->key && k < SETTINGS_MAX; d++, k++) {
    if (d->kind == SETTING_SECRET) {
      snprintf(names[3 * k], 72, "%s-env", d->flag);
      snprintf(names[3 * k + 1], 72, "%s-file", d->flag);
      snprintf(names[3 * k + 2], 72, "%s-stdin", d->flag);
      opts[n++] = (struct cmd_option){names[3 * k], required_argument, KEY_ENV + (int)k};
      opts[n++] = (struct cmd_option){names[3 * k + 1], required_argument, KEY_FILE + (int)k};
      opts[n++] = (struct cmd_option){names[3 * k + 2], no_argument, KEY_STDIN + (int)k};
    } else if (!edit) {
      opts[n++] = (struct cmd_option){d->flag, required_argument, KEY_VALUE + (int)k};
    }
  }
  if (!edit) {
    opts[n++] = (struct cmd_option){"streams", required_argument, KEY_STREAMS};
    opts[n++] = (struct cmd_option){"stream", required_argument, KEY_STREAMS};
    opts[n++] = (struct cmd_option){"no-check", no_argument, KEY_NO_CHECK};
  } else {
    opts[n++] = (struct cmd_option){"no-account", no_argument, KEY_NO_ACCOUNT};
  }
  opts[n++] = (struct cmd_option){"account", required_argument, KEY_ACCOUNT};
  opts[n] = (struct cmd_option){NULL, 0, 0};
  return n;
}

static void add_state_release(struct add_state *a) {
  for (size_t k = 0; k < SETTINGS_MAX; k++) {
    cmd_secret_free(a->plain[k]);
    a->plain[k] = NULL;
  }
}

/* A secret: exactly one of --FLAG-env, --FLAG-file and --FLAG-stdin. From
 * a variable or a file, it must be readable now and only where it is goes
 * into the credentials (in place of any other way the source had); from
 * standard input it is read now into *plain, to be sealed once the master
 * key is at hand. `required`: say so when none is given. */
static int set_secret(const char *cmd, const struct setting_def *d, const char *env,
                      const char *file, int from_stdin, int required, char **plain, cJSON *creds) {
  static const char *const ways[] = {"env", "file", "sealed"};
  struct err err = {0};
  char *secret = NULL, key[80], what[96];
  int rc;
  if (!env && !file && !from_stdin) {
    if (!required || !(d->flags & SETTING_REQUIRED))
      return 0;
    return cmd_usage_error(cmd, "give --%s-env VAR, --%s-file FILE or --%s-stdin (%s)", d->flag,
                           d->flag, d->flag, d->help);
  }
  if (!!env + !!file + !!from_stdin > 1)
    return cmd_usage_error(cmd, "give one of --%s-env, --%s-file and --%s-stdin, not %s", d->flag,
                           d->flag, d->flag, env && file && from_stdin ? "all three" : "both");
  if (from_stdin) {
    snprintf(what, sizeof(what), "the %s", d->key);
    return cmd_read_secret(cmd, what, plain);
  }
  rc = env ? secret_from_env(env, &secret, &err) : secret_from_file(file, &secret, &err);
  cmd_secret_free(secret);
  if (rc)
    return cmd_usage_error(cmd, "%s", err.msg);
  for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
    snprintf(key, sizeof(key), "%s_%s", d->key, ways[i]);
    cJSON_DeleteItemFromObjectCaseSensitive(creds, key);
  }
  snprintf(key, sizeof(key), "%s_%s", d->key, env ? "env" : "file");
  cJSON_AddStringToObject(creds, key, env ? env : file);
  return 0;
}

/* At most one secret may come from standard input: it carries one value. */
static int one_stdin(const char *cmd, const struct add_state *a) {
  int n = 0;
  for (size_t k = 0; k < SETTINGS_MAX; k++)
    n += a->stdin_[k];
  if (n > 1)
    return cmd_usage_error(cmd, "only one secret can come from standard input; give the others "
                                "with --NAME-env or --NAME-file");
  return 0;
}

/* Seals what standard input gave into the credentials, with the master
 * key (made now when there is none and nothing is sealed yet). */
static int seal_plain(const char *cmd, struct store *st, struct add_state *a, const char *source,
                      cJSON *creds) {
  struct keyring *kr = NULL;
  struct err err = {0};
  size_t k = 0;
  int created = 0, rc = 0, any = 0;
  for (k = 0; k < SETTINGS_MAX; k++)
    any |= a->plain[k] != NULL;
  if (!any)
    return 0;
  if (!secret_keyfile())
    return cmd_usage_error(cmd, "a secret from standard input is sealed with the master key, but "
                                "the database is not a file: set MARKETSYNC_KEY_FILE");
  if (key_ready(st, secret_keyfile(), &kr, &created, &err))
    return log_error(cmd_exit_for(err.code), "%s", err.msg);
  if (created)
    fprintf(stderr,
            "made the master key %s (key id %s) to seal the secret: back it up apart from "
            "the database\n",
            secret_keyfile(), keyring_id(kr));
  k = 0;
  for (const struct setting_def *d = a->conn->settings; d && d->key && !rc; d++, k++)
    if (a->plain[k] && credentials_seal(kr, source, d->key, a->plain[k], creds, &err))
      rc = log_error(cmd_exit_for(err.code), "%s", err.msg);
  keyring_free(kr);
  add_state_release(a);
  return rc;
}

/* The id of the account --account names; 0 without it. */
static int account_of(const char *cmd, struct store *st, const char *name, int64_t *id) {
  struct account_row row;
  struct err err = {0};
  *id = 0;
  if (!name)
    return 0;
  if (st->ops->account_get(st, name, &row, &err))
    return cmd_usage_error(cmd, "%s", err.msg);
  *id = row.id;
  return 0;
}

/* What the command line gave, as the engine takes a new source; secrets
 * from standard input are read now. */
static int source_new_of(struct add_state *a, const char *name, struct source_new *in) {
  size_t k = 0;
  memset(in, 0, sizeof(*in));
  in->name = name;
  in->conn = a->conn;
  in->streams = a->streams;
  in->account = a->account;
  in->no_check = a->no_check;
  in->flag_names = 1;
  for (const struct setting_def *d = a->conn->settings; d && d->key && k < SETTINGS_MAX; d++, k++) {
    in->values[k] = a->value[k];
    in->secrets[k].env = a->env[k];
    in->secrets[k].file = a->file[k];
    if (a->stdin_[k] && d->kind == SETTING_SECRET) {
      char what[96];
      snprintf(what, sizeof(what), "the %s", d->key);
      if (cmd_read_secret("source add", what, &a->plain[k]))
        return EXIT_USAGE;
      in->secrets[k].plain = a->plain[k];
    }
  }
  return 0;
}

/* Says why nothing was saved, with the exit code. */
static int add_failed(const struct source_made *made, int rc, const struct err *err) {
  if (made->check_failed) {
    fprintf(stderr,
            "marketsync source add: the connection check failed: %s\n"
            "Nothing was saved. Fix it and add the source again, or give --no-check to save "
            "it without a check.\n",
            err->msg);
    return EXIT_PARTIAL;
  }
  if (rc == MS_EKEY)
    return log_error(EXIT_USAGE, "%s; nothing was saved", err->msg);
  if (cmd_exit_for(rc) == EXIT_USAGE)
    return cmd_usage_error("source add", "%s", err->msg);
  return log_error(EXIT_PARTIAL, "%s", err->msg);
}

static void print_added(struct store *st, const struct add_state *a, const char *name,
                        const struct source_made *made) {
  struct source_row row = {0};
  struct err err = {0};
  char shown[URL_MAX + 1] = "";
  if (made->key_created)
    fprintf(stderr,
            "made the master key %s (key id %s) to seal the secret: back it up apart from "
            "the database\n",
            secret_keyfile(), made->key_id);
  if (g_opts.quiet)
    return;
  if (st->ops->source_get(st, name, &row, &err) == MS_OK) {
    cJSON *settings = cJSON_Parse(row.settings ? row.settings : "{}");
    url_redact(jstr(settings, "api_base"), shown, sizeof(shown));
    cJSON_Delete(settings);
  }
  source_row_release(&row);
  printf("added source %s (%s, %s%s%s)\n", name, a->conn->name, shown,
         a->account ? ", account " : "", a->account ? a->account : "");
  if (a->no_check)
    printf("not checked; 'marketsync source test %s' checks it\n", name);
  else
    printf("connection ok; the source's days are counted in %s\n", made->timezone);
}

/* Finds the connector argv[1] names; says which there are when none. */
static int connector_arg(const char *name, const struct connector **out) {
  char known[256] = "";
  size_t used = 0;
  *out = connector_find(name);
  if (*out)
    return 0;
  for (const struct connector *const *c = connector_all(); *c && used < sizeof(known); c++)
    used +=
        (size_t)snprintf(known + used, sizeof(known) - used, "%s%s", used ? ", " : "", (*c)->name);
  return cmd_usage_error("source add", "'%s' is not a connector this build knows (%s)", name,
                         known);
}

static int source_add(int argc, char **argv) {
  struct cmd_option opts[3 * SETTINGS_MAX + 8];
  char secret_names[3 * SETTINGS_MAX][72];
  struct add_state a;
  struct source_new in;
  struct source_made made;
  struct store *st = NULL;
  struct err err = {0};
  const char *name;
  int first, rc;
  memset(&a, 0, sizeof(a));
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      print_help(stdout);
      return EXIT_OK;
    }
  if (argc < 3 || argv[1][0] == '-' || argv[2][0] == '-')
    return cmd_usage_error("source add", "give the connector and a name first: source add "
                                         "shopify NAME --shop ...");
  if ((rc = connector_arg(argv[1], &a.conn)) != 0)
    return rc;
  if (a.conn->from_spec) {
    /* The connector is made of a file: its options come from it. */
    const char *path = spec_argument(argc, argv, a.conn->spec_setting);
    if (!path)
      return cmd_usage_error("source add",
                             "give --%s FILE: the spec that describes the API (check one with "
                             "'marketsync spec check FILE')",
                             a.conn->spec_setting);
    if (a.conn->from_spec(path, &a.conn, &err))
      return cmd_usage_error("source add", "%s", err.msg);
  }
  name = argv[2];
  if (!source_name_ok(name))
    return cmd_usage_error(
        "source add", "'%s' is not a usable name: use 1-63 letters, digits, '-', '_' or '.'", name);
  options_of(a.conn, 0, opts, secret_names);
  rc = cmd_parse("source add", source_help, argc - 2, argv + 2, opts, on_setting, &a, &first);
  if (rc == CMD_HELP)
    return EXIT_OK;
  if (rc)
    return rc;
  if (first < argc - 2)
    return cmd_usage_error("source add", "unexpected argument '%s'", argv[2 + first]);
  if ((rc = one_stdin("source add", &a)) != 0 || (rc = source_new_of(&a, name, &in)) != 0 ||
      (rc = cmd_open_store(&st)) != 0) {
    add_state_release(&a);
    return rc;
  }
  rc = source_create(st, secret_keyfile(), &in, &made, &err);
  add_state_release(&a);
  if (rc)
    rc = add_failed(&made, rc, &err);
  else
    print_added(st, &a, name, &made);
  store_close(st);
  return rc;
}

/* What `source edit` changes, in words. */
static void describe_edit(const struct add_state *a, char *out, size_t size) {
  size_t used = 0, k = 0;
  out[0] = '\0';
  for (const struct setting_def *d = a->conn->settings; d && d->key && used < size; d++, k++)
    if (d->kind == SETTING_SECRET && (a->env[k] || a->file[k] || a->stdin_[k]))
      used += (size_t)snprintf(out + used, size - used, "%s%s %s", used ? ", " : "", d->key,
                               a->env[k]    ? "from the environment"
                               : a->file[k] ? "from a file"
                                            : "sealed");
  if (used < size && (a->account || a->no_account))
    snprintf(out + used, size - used, "%saccount %s", used ? ", " : "",
             a->account ? a->account : "none");
}

static int source_edit(int argc, char **argv) {
  struct cmd_option opts[3 * SETTINGS_MAX + 8];
  char secret_names[3 * SETTINGS_MAX][72], what[400];
  struct add_state a;
  struct store *st = NULL;
  struct source_row row = {0};
  struct err err = {0};
  cJSON *creds = NULL;
  char *text = NULL;
  int64_t account = 0;
  int first, rc, secrets = 0;
  size_t k = 0;
  memset(&a, 0, sizeof(a));
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      print_help(stdout);
      return EXIT_OK;
    }
  if (argc < 2 || argv[1][0] == '-')
    return cmd_usage_error("source edit",
                           "give the source's name first: source edit NAME --account A");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  if (st->ops->source_get(st, argv[1], &row, &err)) {
    rc = cmd_usage_error("source edit", "%s", err.msg);
    goto out;
  }
  if (connector_for_row(&row, &a.conn, &err)) {
    rc = cmd_usage_error("source edit", "%s", err.msg);
    goto out;
  }
  options_of(a.conn, 1, opts, secret_names);
  rc = cmd_parse("source edit", source_help, argc - 1, argv + 1, opts, on_setting, &a, &first);
  if (rc == CMD_HELP)
    rc = EXIT_OK;
  if (!rc && first < argc - 1)
    rc = cmd_usage_error("source edit", "unexpected argument '%s'", argv[1 + first]);
  if (!rc)
    rc = one_stdin("source edit", &a);
  if (!rc && a.account && a.no_account)
    rc = cmd_usage_error("source edit", "give one of --account and --no-account");
  for (const struct setting_def *d = a.conn->settings; !rc && d && d->key; d++, k++)
    secrets += d->kind == SETTING_SECRET && (a.env[k] || a.file[k] || a.stdin_[k]);
  if (!rc && !secrets && !a.account && !a.no_account)
    rc = cmd_usage_error("source edit", "say what to change: --account A, --no-account, or a "
                                        "secret (see 'marketsync source --help')");
  if (rc)
    goto out;
  /* Everything is read and checked before anything is written. */
  creds = cJSON_Parse(row.credentials ? row.credentials : "{}");
  if (!cJSON_IsObject(creds)) {
    rc = log_error(EXIT_USAGE, "the stored credentials of %s are damaged", row.name);
    goto out;
  }
  k = 0;
  for (const struct setting_def *d = a.conn->settings; !rc && d && d->key; d++, k++)
    if (d->kind == SETTING_SECRET)
      rc = set_secret("source edit", d, a.env[k], a.file[k], a.stdin_[k], 0, &a.plain[k], creds);
  if (!rc)
    rc = account_of("source edit", st, a.account, &account);
  if (!rc)
    rc = seal_plain("source edit", st, &a, row.name, creds);
  if (rc)
    goto out;
  if (secrets) {
    struct credentials_change change;
    text = cJSON_PrintUnformatted(creds);
    if (!text) {
      rc = log_error(EXIT_USAGE, "out of memory");
      goto out;
    }
    change = (struct credentials_change){row.id, row.credentials, text};
    if (st->ops->source_credentials_swap(st, &change, 1, &err)) {
      rc = log_error(cmd_exit_for(err.code), "%s; nothing was changed", err.msg);
      goto out;
    }
  }
  if ((a.account || a.no_account) && st->ops->source_set_account(st, row.id, account, &err)) {
    rc = log_error(cmd_exit_for(err.code), "%s%s", err.msg,
                   secrets ? " (its secrets were changed, its account was not)" : "");
    goto out;
  }
  describe_edit(&a, what, sizeof(what));
  if (!g_opts.quiet)
    printf("changed source %s: %s\n", row.name, what);
  if (!g_opts.quiet && secrets)
    printf("'marketsync source test %s' checks the connection\n", row.name);
  rc = EXIT_OK;
out:
  add_state_release(&a);
  free(text);
  cJSON_Delete(creds);
  source_row_release(&row);
  store_close(st);
  return rc;
}

struct list_ctx {
  int json;  /* --json */
  int count; /* rows printed */
};

static int print_source(void *ctx, const struct source_row *s) {
  struct list_ctx *lc = ctx;
  cJSON *settings = cJSON_Parse(s->settings ? s->settings : "{}");
  cJSON *creds = cJSON_Parse(s->credentials ? s->credentials : "{}");
  const char *zone = jstr(settings, "timezone");
  const cJSON *c;
  const cJSON *chosen = cJSON_GetObjectItemCaseSensitive(settings, "streams");
  char last[TIME_STR_LEN] = "never", where[300] = "", base[URL_MAX + 1], streams[300] = "";
  /* A URL stored by an older version may hold a password: never shown. */
  url_redact(jstr(settings, "api_base"), base, sizeof(base));
  size_t used = 0;
  if (s->last_sync_at)
    time_format(s->last_sync_at, 0, 1, last);
  /* Where each secret is read from: "env VAR", "file PATH" or "sealed (key
   * ID)", never the value. */
  cJSON_ArrayForEach(c, creds) {
    size_t n = c->string ? strlen(c->string) : 0;
    int env = n > 4 && strcmp(c->string + n - 4, "_env") == 0;
    int sealed = n > 7 && strcmp(c->string + n - 7, "_sealed") == 0;
    char id[KEY_ID_LEN + 1];
    if (!cJSON_IsString(c) || used >= sizeof(where))
      continue;
    if (sealed)
      used += (size_t)snprintf(where + used, sizeof(where) - used, "%s%.*s sealed (key %s)",
                               used ? ", " : "", (int)(n - 7), c->string,
                               secret_key_id(c->valuestring, id) == MS_OK ? id : "?");
    else
      used += (size_t)snprintf(where + used, sizeof(where) - used, "%s%s %s", used ? ", " : "",
                               env ? "env" : "file", c->valuestring);
  }
  /* The streams a plain sync fetches: the ones chosen, else all. */
  used = 0;
  cJSON_ArrayForEach(c, chosen) {
    if (cJSON_IsString(c) && used < sizeof(streams))
      used += (size_t)snprintf(streams + used, sizeof(streams) - used, "%s%s", used ? "," : "",
                               c->valuestring);
  }
  if (!used)
    snprintf(streams, sizeof(streams), "all");
  if (lc->json) {
    cJSON *o = cJSON_CreateObject();
    const struct connector *conn = NULL;
    cJSON *list;
    if (connector_for_row(s, &conn, NULL))
      conn = NULL; /* its spec cannot be read now: its streams are not known */
    cJSON_AddStringToObject(o, "name", s->name);
    cJSON_AddStringToObject(o, "connector", s->connector);
    cJSON_AddStringToObject(o, "account", s->account);
    cJSON_AddStringToObject(o, "api_base", base);
    cJSON_AddStringToObject(o, "timezone", zone ? zone : "");
    cJSON_AddStringToObject(o, "token_from", where);
    cJSON_AddStringToObject(o, "last_sync_at", s->last_sync_at ? last : "");
    list = cJSON_AddArrayToObject(o, "streams");
    cJSON_ArrayForEach(c, chosen) {
      if (cJSON_IsString(c))
        cJSON_AddItemToArray(list, cJSON_CreateString(c->valuestring));
    }
    if (cJSON_GetArraySize(list) == 0) /* none chosen: every stream the connector offers */
      for (size_t k = 0; conn && conn->streams && conn->streams[k]; k++)
        cJSON_AddItemToArray(list, cJSON_CreateString(conn->streams[k]->name));
    char *text = cJSON_PrintUnformatted(o);
    printf("%s\n", text ? text : "{}");
    free(text);
    cJSON_Delete(o);
  } else {
    if (lc->count == 0)
      printf("%-16s %-9s %-16s %-22s %-42s %-22s %-24s %s\n", "NAME", "CONNECTOR", "ACCOUNT",
             "TIME ZONE", "API BASE", "LAST SYNC", "STREAMS", "SECRETS FROM");
    printf("%-16s %-9s %-16s %-22s %-42s %-22s %-24s %s\n", s->name, s->connector,
           s->account[0] ? s->account : "-", zone ? zone : "(unknown)", *base ? base : "-", last,
           streams, where);
  }
  lc->count++;
  cJSON_Delete(settings);
  cJSON_Delete(creds);
  return MS_OK;
}

enum { O_JSON = 1 };
static const struct cmd_option list_options[] = {{"json", no_argument, O_JSON}, {NULL}};

static int on_list_option(void *ctx, int key, const char *v) {
  (void)key; /* only --json */
  (void)v;
  ((struct list_ctx *)ctx)->json = 1;
  return 0;
}

/* Parses a subcommand's arguments: its options, and (name != NULL) one
 * source name. The help is generated, so print_help prints it. */
static int sub_args(const char *cmd, int argc, char **argv, const struct cmd_option *opts,
                    int (*on)(void *, int, const char *), void *ctx, const char **name) {
  int rc = cmd_parse_name(cmd, "", argc, argv, opts, on, ctx, "source", name);
  if (rc == CMD_HELP)
    print_help(stdout);
  return rc;
}

static int source_list(int argc, char **argv) {
  struct list_ctx lc = {0, 0};
  struct store *st = NULL;
  struct err err = {0};
  int rc = sub_args("source list", argc, argv, list_options, on_list_option, &lc, NULL);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = st->ops->source_list(st, print_source, &lc, &err);
  if (!rc && !lc.count && !lc.json)
    printf("no sources yet; add one with 'marketsync source add shopify NAME --shop ...'\n");
  store_close(st);
  return rc ? log_error(EXIT_PARTIAL, "%s", err.msg) : EXIT_OK;
}

static int source_test(int argc, char **argv) {
  struct store *st = NULL;
  struct session sess = {0};
  struct err err = {0};
  const char *name;
  double t0;
  int rc = sub_args("source test", argc, argv, NULL, NULL, NULL, &name);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = session_open(st, name, 0, &sess, &err);
  if (rc == MS_ENOTFOUND) {
    store_close(st);
    return cmd_usage_error("source test", "%s", err.msg);
  }
  t0 = mono_now();
  if (!rc)
    rc = session_probe(st, &sess, &err);
  if (rc == MS_EKEY) {
    rc = log_error(EXIT_USAGE, "%s", err.msg);
  } else if (rc) {
    printf("FAILED  %s: %s\n", name, err.msg);
    rc = EXIT_PARTIAL;
  } else {
    printf("OK      %s answered in %.0f ms; days are counted in %s\n", name,
           (mono_now() - t0) * 1000, sess.src.timezone ? sess.src.timezone : "(unknown)");
  }
  session_close(&sess);
  store_close(st);
  return rc;
}

static int source_remove(int argc, char **argv) {
  struct store *st = NULL;
  struct err err = {0};
  const char *name;
  int rc = sub_args("source remove", argc, argv, NULL, NULL, NULL, &name);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = st->ops->source_remove(st, name, &err);
  store_close(st);
  if (rc)
    return cmd_usage_error("source remove", "%s", err.msg);
  if (!g_opts.quiet)
    printf("removed source %s with its days and records\n", name);
  return EXIT_OK;
}

int cmd_source(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    print_help(argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  if (strcmp(argv[1], "add") == 0)
    return source_add(argc - 1, argv + 1);
  if (strcmp(argv[1], "edit") == 0)
    return source_edit(argc - 1, argv + 1);
  if (strcmp(argv[1], "list") == 0)
    return source_list(argc - 1, argv + 1);
  if (strcmp(argv[1], "test") == 0)
    return source_test(argc - 1, argv + 1);
  if (strcmp(argv[1], "remove") == 0 || strcmp(argv[1], "rm") == 0)
    return source_remove(argc - 1, argv + 1);
  return cmd_usage_error(
      "source", "'%s' is not a source subcommand (add, edit, list, test, remove)", argv[1]);
}
