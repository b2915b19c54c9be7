/* marketsync source add|list|test|remove */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "connectors/json_util.h"
#include "connectors/source.h"
#include "engine/sync.h"
#include "net/http.h"
#include "util/log.h"

static const char source_help[] =
    "usage: marketsync source add shopify NAME --shop DOMAIN (--token-env VAR | --token-file FILE)\n"
    "                             [--api-base URL] [--api-version V] [--timezone TZ] [--no-check]\n"
    "       marketsync source list [--json]\n"
    "       marketsync source test NAME\n"
    "       marketsync source remove NAME\n\n"
    "A source is one connection to one API, e.g. one Shopify shop.\n\n"
    "  --shop DOMAIN       the shop, as 'my-shop' or 'my-shop.myshopify.com'\n"
    "  --token-env VAR     read the Admin API access token from this environment variable\n"
    "  --token-file FILE   ...or from this file (the token itself is never stored)\n"
    "  --api-base URL      talk to this base URL instead of https://DOMAIN (sandbox, proxies)\n"
    "  --api-version V     Admin API version in the path (default 2024-01)\n"
    "  --timezone TZ       the shop's IANA time zone; default: read from the shop\n"
    "  --no-check          do not contact the API while adding\n";

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

static int valid_url(const char *s) {
  return (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) && strlen(s) < 1024 &&
         !strpbrk(s, " \t\r\n?#");
}

/* Contacts the API: proves the credentials and learns the time zone. */
static int probe_source(struct source *src, struct err *err) {
  const struct connector *conn = connector_find(src->row.connector);
  void *cstate = NULL;
  int rc;
  if (!conn)
    return err_set(err, MS_EINVAL, "unknown connector '%s'", src->row.connector);
  rc = conn->open(src, &cstate, err);
  if (rc)
    return rc;
  rc = sync_probe(src, conn, cstate, err);
  conn->close(cstate);
  if (!rc && src->timezone && !src->tz)
    rc = source_open_tz(src, err);
  return rc;
}

/* Writes a learned time zone back into the stored settings. */
static int save_timezone(struct store *st, struct source *src, struct err *err) {
  cJSON *settings = cJSON_Parse(src->row.settings ? src->row.settings : "{}");
  const char *old = jstr(settings, "timezone");
  int rc = MS_OK;
  if (!settings)
    return err_set(err, MS_EINVAL, "stored settings are damaged");
  if (src->timezone && (!old || strcmp(old, src->timezone) != 0)) {
    char *text;
    cJSON_DeleteItemFromObjectCaseSensitive(settings, "timezone");
    cJSON_AddStringToObject(settings, "timezone", src->timezone);
    text = cJSON_PrintUnformatted(settings);
    if (!text) {
      cJSON_Delete(settings);
      return err_set(err, MS_ENOMEM, "out of memory");
    }
    free(src->row.settings);
    src->row.settings = text;
    rc = st->ops->source_update(st, &src->row, err);
  }
  cJSON_Delete(settings);
  return rc;
}

static int source_add(int argc, char **argv) {
  static const struct option opts[] = {
      {"shop", required_argument, 0, 's'},      {"token-env", required_argument, 0, 'e'},
      {"token-file", required_argument, 0, 'f'}, {"api-base", required_argument, 0, 'b'},
      {"api-version", required_argument, 0, 'v'}, {"timezone", required_argument, 0, 'z'},
      {"no-check", no_argument, 0, 'n'},        {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *shop = NULL, *token_env = NULL, *token_file = NULL, *api_base = NULL;
  const char *version = NULL, *zone = NULL, *kind, *name;
  char base[1024], domain[256];
  int no_check = 0, c, rc;
  struct err err = {0};
  struct store *st = NULL;
  struct source src = {0};
  struct source_row row = {0};
  cJSON *settings, *creds;
  char *secret = NULL;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 's': shop = optarg; break;
    case 'e': token_env = optarg; break;
    case 'f': token_file = optarg; break;
    case 'b': api_base = optarg; break;
    case 'v': version = optarg; break;
    case 'z': zone = optarg; break;
    case 'n': no_check = 1; break;
    case 'h': fputs(source_help, stdout); return EXIT_OK;
    default: return cmd_usage_error("source add", "unknown or incomplete option");
    }
  }
  if (argc - optind != 2)
    return cmd_usage_error("source add", "give the connector and a name: source add shopify NAME");
  kind = argv[optind];
  name = argv[optind + 1];
  if (strcmp(kind, "shopify") != 0)
    return cmd_usage_error("source add", "'%s' is not a connector this build knows (shopify)",
                           kind);
  if (!valid_name(name))
    return cmd_usage_error("source add",
                           "'%s' is not a usable name: use 1-63 letters, digits, '-', '_' or '.'",
                           name);
  if (!shop)
    return cmd_usage_error("source add", "--shop is required (e.g. --shop my-shop)");
  if (!valid_name(shop) || strlen(shop) > 200)
    return cmd_usage_error("source add", "'%s' is not a shop domain", shop);
  if (!!token_env == !!token_file)
    return cmd_usage_error("source add", "give exactly one of --token-env VAR or --token-file FILE");
  if (api_base && !valid_url(api_base))
    return cmd_usage_error("source add", "--api-base must be an http:// or https:// URL without "
                                         "query, e.g. https://my-shop.myshopify.com");
  if (version && (strlen(version) > 16 || !valid_name(version)))
    return cmd_usage_error("source add", "'%s' is not an API version such as 2024-01", version);
  if (zone) {
    struct tz *tz = NULL;
    if (tz_open(zone, &tz, &err))
      return cmd_usage_error("source add", "%s", err.msg);
    tz_free(tz);
  }
  rc = token_env ? secret_from_env(token_env, &secret, &err)
                 : secret_from_file(token_file, &secret, &err);
  if (rc)
    return cmd_usage_error("source add", "%s", err.msg);
  free(secret);
  snprintf(domain, sizeof(domain), "%s%s", shop, strchr(shop, '.') ? "" : ".myshopify.com");
  snprintf(base, sizeof(base), "%s", api_base ? api_base : "");
  if (!api_base)
    snprintf(base, sizeof(base), "https://%s", domain);
  while (strlen(base) > 8 && base[strlen(base) - 1] == '/')
    base[strlen(base) - 1] = '\0';

  settings = cJSON_CreateObject();
  cJSON_AddStringToObject(settings, "shop", domain);
  cJSON_AddStringToObject(settings, "api_base", base);
  cJSON_AddStringToObject(settings, "api_version", version ? version : "2024-01");
  if (zone) {
    cJSON_AddStringToObject(settings, "timezone", zone);
    cJSON_AddTrueToObject(settings, "timezone_override");
  }
  creds = cJSON_CreateObject();
  cJSON_AddStringToObject(creds, token_env ? "token_env" : "token_file",
                          token_env ? token_env : token_file);
  snprintf(row.name, sizeof(row.name), "%s", name);
  snprintf(row.connector, sizeof(row.connector), "%s", kind);
  row.settings = cJSON_PrintUnformatted(settings);
  row.credentials = cJSON_PrintUnformatted(creds);
  row.created_at = wall_now();
  cJSON_Delete(settings);
  cJSON_Delete(creds);
  if (!row.settings || !row.credentials) {
    source_row_release(&row);
    return log_error(EXIT_USAGE, "out of memory");
  }

  rc = cmd_open_store(&st);
  if (rc)
    goto out;
  if (st->ops->source_add(st, &row, &err)) {
    rc = cmd_usage_error("source add", "%s", err.msg);
    goto out;
  }
  rc = EXIT_OK;
  if (!g_opts.quiet)
    printf("added source %s (shopify, %s)\n", name, base);
  if (no_check)
    goto out;
  if (source_from_row(&row, &src, &err) || probe_source(&src, &err)) {
    fprintf(stderr,
            "warning: source %s is saved, but the connection check failed: %s\n"
            "Fix it, then run 'marketsync source test %s'.\n",
            name, err.msg, name);
    goto out;
  }
  if (save_timezone(st, &src, &err))
    log_error(MS_EDB, "could not save the time zone: %s", err.msg);
  if (!g_opts.quiet)
    printf("connection ok; the shop's days are counted in %s\n", src.timezone);
out:
  source_release(&src);
  source_row_release(&row);
  store_close(st);
  return rc;
}

struct list_ctx {
  int json;   /* --json */
  int count;  /* rows printed */
};

static int print_source(void *ctx, const struct source_row *s) {
  struct list_ctx *lc = ctx;
  cJSON *settings = cJSON_Parse(s->settings ? s->settings : "{}");
  cJSON *creds = cJSON_Parse(s->credentials ? s->credentials : "{}");
  const char *zone = jstr(settings, "timezone"), *base = jstr(settings, "api_base");
  const char *env = jstr(creds, "token_env"), *file = jstr(creds, "token_file");
  char last[TIME_STR_LEN] = "never", where[300];
  if (s->last_sync_at)
    time_format(s->last_sync_at, 0, 1, last);
  snprintf(where, sizeof(where), "%s %s", env ? "env" : "file", env ? env : file ? file : "-");
  if (lc->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", s->name);
    cJSON_AddStringToObject(o, "connector", s->connector);
    cJSON_AddStringToObject(o, "api_base", base ? base : "");
    cJSON_AddStringToObject(o, "timezone", zone ? zone : "");
    cJSON_AddStringToObject(o, "token_from", where);
    cJSON_AddStringToObject(o, "last_sync_at", s->last_sync_at ? last : "");
    char *text = cJSON_PrintUnformatted(o);
    printf("%s\n", text ? text : "{}");
    free(text);
    cJSON_Delete(o);
  } else {
    if (lc->count == 0)
      printf("%-16s %-9s %-22s %-42s %-22s %s\n", "NAME", "CONNECTOR", "TIME ZONE", "API BASE",
             "TOKEN FROM", "LAST SYNC");
    printf("%-16s %-9s %-22s %-42s %-22s %s\n", s->name, s->connector, zone ? zone : "(unknown)",
           base ? base : "-", where, last);
  }
  lc->count++;
  cJSON_Delete(settings);
  cJSON_Delete(creds);
  return MS_OK;
}

static int source_list(int argc, char **argv) {
  struct list_ctx lc = {0, 0};
  struct store *st = NULL;
  struct err err = {0};
  int rc;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      lc.json = 1;
    else if (strcmp(argv[i], "--help") == 0) {
      fputs(source_help, stdout);
      return EXIT_OK;
    } else
      return cmd_usage_error("source list", "unexpected argument '%s'", argv[i]);
  }
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
  struct source src = {0};
  struct err err = {0};
  double t0;
  int rc;
  if (argc == 2 && strcmp(argv[1], "--help") == 0) {
    fputs(source_help, stdout);
    return EXIT_OK;
  }
  if (argc != 2)
    return cmd_usage_error("source test", "give one source name");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  if (source_load(st, argv[1], &src, &err)) {
    store_close(st);
    return cmd_usage_error("source test", "%s", err.msg);
  }
  t0 = mono_now();
  rc = probe_source(&src, &err);
  if (rc) {
    printf("FAILED  %s: %s\n", src.row.name, err.msg);
    rc = EXIT_PARTIAL;
  } else {
    save_timezone(st, &src, &err);
    printf("OK      %s answered in %.0f ms; days are counted in %s\n", src.row.name,
           (mono_now() - t0) * 1000, src.timezone ? src.timezone : "(unknown)");
  }
  source_release(&src);
  store_close(st);
  return rc;
}

static int source_remove(int argc, char **argv) {
  struct store *st = NULL;
  struct err err = {0};
  int rc;
  if (argc == 2 && strcmp(argv[1], "--help") == 0) {
    fputs(source_help, stdout);
    return EXIT_OK;
  }
  if (argc != 2)
    return cmd_usage_error("source remove", "give one source name");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = st->ops->source_remove(st, argv[1], &err);
  store_close(st);
  if (rc)
    return cmd_usage_error("source remove", "%s", err.msg);
  if (!g_opts.quiet)
    printf("removed source %s with its days and records\n", argv[1]);
  return EXIT_OK;
}

int cmd_source(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(source_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  if (strcmp(argv[1], "add") == 0)
    return source_add(argc - 1, argv + 1);
  if (strcmp(argv[1], "list") == 0)
    return source_list(argc - 1, argv + 1);
  if (strcmp(argv[1], "test") == 0)
    return source_test(argc - 1, argv + 1);
  if (strcmp(argv[1], "remove") == 0 || strcmp(argv[1], "rm") == 0)
    return source_remove(argc - 1, argv + 1);
  return cmd_usage_error("source", "'%s' is not a source subcommand (add, list, test, remove)",
                         argv[1]);
}
