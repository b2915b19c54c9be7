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
#include "net/http.h"
#include "net/url.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"

#define SETTINGS_MAX 32      /* settings of one connector */
#define SETTING_TEXT_MAX 512 /* bytes of a text setting */

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

static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n >= MS_NAME_MAX)
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '-' || *s == '_' || *s == '.'))
      return 0;
  return 1;
}

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

/* Checks one value by its kind and puts it in the settings. */
static int set_value(const struct setting_def *d, const char *v, cJSON *settings) {
  struct err err = {0};
  char opt[80];
  snprintf(opt, sizeof(opt), "--%s", d->flag);
  switch (d->kind) {
  case SETTING_URL: {
    char trimmed[URL_MAX + 1];
    size_t n = strlen(v);
    if (url_check_base(v, opt, &err))
      return cmd_usage_error("source add", "%s", err.msg);
    /* One trailing '/' is dropped: paths are appended to it. */
    snprintf(trimmed, sizeof(trimmed), "%s", v);
    if (n > 1 && trimmed[n - 1] == '/' && trimmed[n - 2] != '/')
      trimmed[n - 1] = '\0';
    cJSON_AddStringToObject(settings, d->key, trimmed);
    return 0;
  }
  case SETTING_ZONE: {
    struct tz *tz = NULL;
    if (tz_open(v, &tz, &err))
      return cmd_usage_error("source add", "%s: %s", opt, err.msg);
    tz_free(tz);
    break;
  }
  case SETTING_CHOICE: {
    const char *p = d->choices;
    size_t n = strlen(v);
    int ok = 0;
    while (p && *p && !ok) {
      size_t len = strcspn(p, ",");
      ok = len == n && strncmp(p, v, n) == 0;
      p += len + (p[len] == ',');
    }
    if (!ok)
      return cmd_usage_error("source add", "%s is one of %s, not '%s'", opt, d->choices, v);
    break;
  }
  case SETTING_LIST: {
    cJSON *list = cJSON_AddArrayToObject(settings, d->key);
    const char *p = v;
    while (*p) {
      size_t len = strcspn(p, ",");
      char item[129];
      if (len == 0 || len >= sizeof(item))
        return cmd_usage_error("source add", "%s takes values separated by commas", opt);
      snprintf(item, sizeof(item), "%.*s", (int)len, p);
      cJSON_AddItemToArray(list, cJSON_CreateString(item));
      p += len + (p[len] == ',');
    }
    return 0;
  }
  case SETTING_INT: {
    long n;
    if (cmd_int("source add", opt, v, 0, 1000000000, &n))
      return EXIT_USAGE;
    cJSON_AddNumberToObject(settings, d->key, (double)n);
    return 0;
  }
  default:
    if (!*v || strlen(v) > SETTING_TEXT_MAX || strpbrk(v, "\r\n\t"))
      return cmd_usage_error("source add", "%s takes text of 1 to %d characters on one line", opt,
                             SETTING_TEXT_MAX);
  }
  cJSON_AddStringToObject(settings, d->key, v);
  return 0;
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

/* --streams: names the connector offers (or their aliases, such as
 * "purchases"), kept in the settings. */
static int set_streams(const struct connector *c, const char *v, cJSON *settings) {
  cJSON *list = cJSON_AddArrayToObject(settings, "streams");
  const char *p = v;
  while (*p) {
    size_t len = strcspn(p, ",");
    char name[STREAM_NAME_MAX];
    snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1), p);
    if (!stream_offered(c->streams, name))
      return cmd_usage_error("source add", "the %s connector has no stream '%s'", c->name, name);
    cJSON_AddItemToArray(list, cJSON_CreateString(name));
    p += len + (p[len] == ',');
  }
  return 0;
}

/* Puts a learned time zone into a row's settings (in memory). */
static int settings_set_zone(struct source_row *row, const char *zone, const char *currency) {
  cJSON *settings = cJSON_Parse(row->settings ? row->settings : "{}");
  char *text;
  if (!settings)
    return MS_OK;
  if (zone && !jstr(settings, "timezone"))
    cJSON_AddStringToObject(settings, "timezone", zone);
  if (currency && !jstr(settings, "currency"))
    cJSON_AddStringToObject(settings, "currency", currency);
  text = cJSON_PrintUnformatted(settings);
  cJSON_Delete(settings);
  if (!text)
    return MS_ENOMEM;
  free(row->settings);
  row->settings = text;
  return MS_OK;
}

/* Builds the settings and credentials from what was given (a secret from
 * standard input is read into a->plain, not yet sealed). */
static int build(struct add_state *a, cJSON *settings, cJSON *creds) {
  struct err err = {0};
  size_t k = 0;
  int rc;
  for (const struct setting_def *d = a->conn->settings; d && d->key; d++, k++) {
    if (d->kind == SETTING_SECRET) {
      rc = set_secret("source add", d, a->env[k], a->file[k], a->stdin_[k], 1, &a->plain[k], creds);
    } else if (a->value[k]) {
      rc = set_value(d, a->value[k], settings);
      if (!rc && d->kind == SETTING_ZONE)
        cJSON_AddTrueToObject(settings, "timezone_override");
    } else {
      rc = 0;
    }
    if (rc)
      return rc;
  }
  if (a->streams && (rc = set_streams(a->conn, a->streams, settings)))
    return rc;
  if (a->conn->configure && a->conn->configure(a->conn, settings, &err))
    return cmd_usage_error("source add", "%s", err.msg);
  k = 0;
  for (const struct setting_def *d = a->conn->settings; d && d->key; d++, k++)
    if ((d->flags & SETTING_REQUIRED) && d->kind != SETTING_SECRET && !a->value[k] &&
        !cJSON_GetObjectItemCaseSensitive(settings, d->key))
      return cmd_usage_error("source add", "--%s is required (%s)", d->flag, d->help);
  return 0;
}

static int source_add(int argc, char **argv) {
  struct cmd_option opts[3 * SETTINGS_MAX + 8];
  char secret_names[3 * SETTINGS_MAX][72];
  struct add_state a;
  struct store *st = NULL;
  struct session sess = {0};
  struct source_row row = {0};
  struct err err = {0};
  cJSON *settings = NULL, *creds = NULL;
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
  a.conn = connector_find(argv[1]);
  if (!a.conn) {
    char known[256] = "";
    size_t used = 0;
    for (const struct connector *const *c = connector_all(); *c && used < sizeof(known); c++)
      used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s", used ? ", " : "",
                               (*c)->name);
    return cmd_usage_error("source add", "'%s' is not a connector this build knows (%s)", argv[1],
                           known);
  }
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
  if (!valid_name(name))
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
  if ((rc = one_stdin("source add", &a)) != 0)
    return rc;
  settings = cJSON_CreateObject();
  creds = cJSON_CreateObject();
  if (!settings || !creds) {
    rc = log_error(EXIT_USAGE, "out of memory");
    goto out;
  }
  rc = build(&a, settings, creds);
  if (rc)
    goto out;
  snprintf(row.name, sizeof(row.name), "%s", name);
  snprintf(row.connector, sizeof(row.connector), "%s", a.conn->name);
  row.settings = cJSON_PrintUnformatted(settings);
  row.credentials = cJSON_PrintUnformatted(creds);
  row.created_at = wall_now();
  if (!row.settings || !row.credentials) {
    rc = log_error(EXIT_USAGE, "out of memory");
    goto out;
  }
  rc = cmd_open_store(&st);
  if (rc)
    goto out;
  {
    struct source_row old = {0};
    int exists = st->ops->source_get(st, name, &old, &err) == MS_OK;
    source_row_release(&old);
    if (exists) {
      rc = cmd_usage_error("source add", "there is already a source named %s", name);
      goto out;
    }
  }
  rc = account_of("source add", st, a.account, &row.account_id);
  if (!rc)
    rc = seal_plain("source add", st, &a, name, creds);
  if (rc)
    goto out;
  free(row.credentials);
  row.credentials = cJSON_PrintUnformatted(creds);
  if (!row.credentials) {
    rc = log_error(EXIT_USAGE, "out of memory");
    goto out;
  }
  /* The check comes first: a source that cannot be reached, or whose time
   * zone stays unknown, is not saved (unless --no-check). */
  if (!a.no_check) {
    int open_rc = session_from_row(NULL, &row, 0, &sess, &err);
    if (open_rc == MS_EKEY) {
      rc = log_error(EXIT_USAGE, "%s; nothing was saved", err.msg);
      goto out;
    }
    if (open_rc || session_probe(NULL, &sess, &err)) {
      fprintf(stderr,
              "marketsync source add: the connection check failed: %s\n"
              "Nothing was saved. Fix it and add the source again, or give --no-check to save "
              "it without a check.\n",
              err.msg);
      rc = EXIT_PARTIAL;
      goto out;
    }
    if (settings_set_zone(&row, sess.src.timezone, sess.src.currency)) {
      rc = log_error(EXIT_USAGE, "out of memory");
      goto out;
    }
  }
  if (st->ops->source_add(st, &row, &err)) {
    rc = cmd_usage_error("source add", "%s", err.msg);
    goto out;
  }
  rc = EXIT_OK;
  if (!g_opts.quiet) {
    char shown[URL_MAX + 1];
    url_redact(jstr(settings, "api_base"), shown, sizeof(shown));
    printf("added source %s (%s, %s%s%s)\n", name, a.conn->name, shown,
           a.account ? ", account " : "", a.account ? a.account : "");
    if (a.no_check)
      printf("not checked; 'marketsync source test %s' checks it\n", name);
    else
      printf("connection ok; the source's days are counted in %s\n", sess.src.timezone);
  }
out:
  add_state_release(&a);
  cJSON_Delete(settings);
  cJSON_Delete(creds);
  session_close(&sess);
  source_row_release(&row);
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
  int first, rc = cmd_parse(cmd, "", argc, argv, opts, on, ctx, &first);
  if (rc == CMD_HELP) {
    print_help(stdout);
    return CMD_HELP;
  }
  if (rc)
    return rc;
  if (name && argc - first != 1)
    return cmd_usage_error(cmd, "give one source name");
  if (!name && argc - first != 0)
    return cmd_usage_error(cmd, "unexpected argument '%s'", argv[first]);
  if (name)
    *name = argv[first];
  return 0;
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
