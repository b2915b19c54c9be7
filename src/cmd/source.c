/* marketsync source add|list|test|remove */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/json.h"
#include "core/source.h"
#include "engine/session.h"
#include "net/http.h"
#include "net/url.h"
#include "util/log.h"
#include "util/clock.h"

static const char source_help[] =
    "usage: marketsync source add shopify NAME --shop DOMAIN (--token-env VAR | --token-file "
    "FILE)\n"
    "                             [--api-base URL] [--api-version V] [--timezone TZ] [--no-check]\n"
    "       marketsync source add amazon NAME --region na|eu|fe --marketplace ID[,ID...]\n"
    "                             --client-id ID (--client-secret-env VAR | --client-secret-file "
    "F)\n"
    "                             (--refresh-token-env VAR | --refresh-token-file F)\n"
    "                             [--api-base URL] [--token-url URL] [--timezone TZ] [--no-check]\n"
    "       marketsync source list [--json]\n"
    "       marketsync source test NAME\n"
    "       marketsync source remove NAME\n\n"
    "A source is one connection to one API, e.g. one Shopify shop.\n\n"
    "  --shop DOMAIN       the shop, as 'my-shop' or 'my-shop.myshopify.com'\n"
    "  --token-env VAR     read the Admin API access token from this environment variable\n"
    "  --token-file FILE   ...or from this file (the token itself is never stored)\n"
    "  --api-base URL      talk to this base URL instead of https://DOMAIN (sandbox, proxies)\n"
    "  --api-version V     Admin API version in the path (default 2024-01)\n"
    "  --timezone TZ       the IANA time zone of the source's days; default: the shop's own\n"
    "                      (Shopify) or the first marketplace's (Amazon: the US is\n"
    "                      America/Los_Angeles)\n"
    "  --region            Amazon: the SP-API region of the seller account\n"
    "  --marketplace       Amazon: marketplace ids, e.g. ATVPDKIKX0DER (US)\n"
    "  --client-id         Amazon: the LWA client id of the app (not a secret)\n"
    "  --client-secret-env/-file, --refresh-token-env/-file\n"
    "                      Amazon: where the LWA client secret and the seller's refresh\n"
    "                      token are read from (neither is ever stored)\n"
    "  --token-url URL     Amazon: the LWA token endpoint (default api.amazon.com)\n"
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

/* Puts a learned time zone into a row's settings (in memory). */
static int settings_set_zone(struct source_row *row, const char *zone) {
  cJSON *settings = cJSON_Parse(row->settings ? row->settings : "{}");
  char *text;
  if (!settings || !zone) {
    cJSON_Delete(settings);
    return MS_OK;
  }
  if (!jstr(settings, "timezone"))
    cJSON_AddStringToObject(settings, "timezone", zone);
  text = cJSON_PrintUnformatted(settings);
  cJSON_Delete(settings);
  if (!text)
    return MS_ENOMEM;
  free(row->settings);
  row->settings = text;
  return MS_OK;
}

/* What `source add` was told. */
struct add_opts {
  const char *kind, *name;            /* connector and source name */
  const char *shop;                   /* shopify */
  const char *token_env, *token_file; /* shopify */
  char *api_base;                     /* trimmed of a trailing '/' */
  const char *api_version, *zone;
  const char *region, *marketplaces, *client_id, *token_url;         /* amazon */
  const char *secret_env, *secret_file, *refresh_env, *refresh_file; /* amazon */
  int no_check;
};

/* Checks that exactly one of env/file is given and that it resolves now. */
static int check_secret(const char *what, const char *env, const char *file) {
  struct err err = {0};
  char *secret = NULL;
  int rc;
  if (!!env == !!file)
    return cmd_usage_error("source add", "give exactly one of --%s-env VAR or --%s-file FILE", what,
                           what);
  rc = env ? secret_from_env(env, &secret, &err) : secret_from_file(file, &secret, &err);
  free(secret);
  return rc ? cmd_usage_error("source add", "%s", err.msg) : 0;
}

static int shopify_settings(const struct add_opts *o, cJSON *settings, cJSON *creds) {
  char base[1024], domain[256];
  int rc;
  if (!o->shop)
    return cmd_usage_error("source add", "--shop is required (e.g. --shop my-shop)");
  if (!valid_name(o->shop) || strlen(o->shop) > 200)
    return cmd_usage_error("source add", "'%s' is not a shop domain", o->shop);
  if (o->api_version && (strlen(o->api_version) > 16 || !valid_name(o->api_version)))
    return cmd_usage_error("source add", "'%s' is not an API version such as 2024-01",
                           o->api_version);
  rc = check_secret("token", o->token_env, o->token_file);
  if (rc)
    return rc;
  snprintf(domain, sizeof(domain), "%s%s", o->shop, strchr(o->shop, '.') ? "" : ".myshopify.com");
  if (o->api_base)
    snprintf(base, sizeof(base), "%s", o->api_base);
  else
    snprintf(base, sizeof(base), "https://%s", domain);
  cJSON_AddStringToObject(settings, "shop", domain);
  cJSON_AddStringToObject(settings, "api_base", base);
  cJSON_AddStringToObject(settings, "api_version", o->api_version ? o->api_version : "2024-01");
  cJSON_AddStringToObject(creds, o->token_env ? "token_env" : "token_file",
                          o->token_env ? o->token_env : o->token_file);
  return 0;
}

static int amazon_settings(const struct add_opts *o, cJSON *settings, cJSON *creds) {
  struct err err = {0};
  const char *base;
  char list[1024], *tok, *save = NULL;
  cJSON *mps;
  int rc, n = 0;
  if (!o->region || !amazon_region_base(o->region))
    return cmd_usage_error("source add", "--region is required: na, eu or fe");
  if (!o->marketplaces || strlen(o->marketplaces) >= sizeof(list))
    return cmd_usage_error("source add", "--marketplace is required (e.g. ATVPDKIKX0DER for "
                                         "the US; several separated by commas)");
  if (!o->client_id || !*o->client_id || strlen(o->client_id) > 256 ||
      strpbrk(o->client_id, " \t\n"))
    return cmd_usage_error("source add",
                           "--client-id is required (amzn1.application-oa2-client...)");
  if (o->token_url && url_check_base(o->token_url, "--token-url", &err))
    return cmd_usage_error("source add", "%s", err.msg);
  rc = check_secret("client-secret", o->secret_env, o->secret_file);
  if (!rc)
    rc = check_secret("refresh-token", o->refresh_env, o->refresh_file);
  if (rc)
    return rc;
  snprintf(list, sizeof(list), "%s", o->marketplaces);
  mps = cJSON_AddArrayToObject(settings, "marketplaces");
  for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (!valid_name(tok) || ++n > 50)
      return cmd_usage_error("source add", "'%s' is not a marketplace id (at most 50)", tok);
    cJSON_AddItemToArray(mps, cJSON_CreateString(tok));
  }
  if (n == 0)
    return cmd_usage_error("source add", "--marketplace names no marketplace");
  base = o->api_base ? o->api_base : amazon_region_base(o->region);
  cJSON_AddStringToObject(settings, "region", o->region);
  cJSON_AddStringToObject(settings, "api_base", base);
  cJSON_AddStringToObject(settings, "token_url",
                          o->token_url ? o->token_url : "https://api.amazon.com/auth/o2/token");
  cJSON_AddStringToObject(settings, "client_id", o->client_id);
  if (!o->zone) {
    /* Amazon counts business days in the (first) marketplace's zone. */
    const char *z = amazon_marketplace_zone(cJSON_GetArrayItem(mps, 0)->valuestring);
    cJSON_AddStringToObject(settings, "timezone", z ? z : "UTC");
  }
  cJSON_AddStringToObject(creds, o->secret_env ? "client_secret_env" : "client_secret_file",
                          o->secret_env ? o->secret_env : o->secret_file);
  cJSON_AddStringToObject(creds, o->refresh_env ? "refresh_token_env" : "refresh_token_file",
                          o->refresh_env ? o->refresh_env : o->refresh_file);
  return 0;
}

static int source_add(int argc, char **argv) {
  static const struct option opts[] = {{"shop", required_argument, 0, 's'},
                                       {"token-env", required_argument, 0, 'e'},
                                       {"token-file", required_argument, 0, 'f'},
                                       {"api-base", required_argument, 0, 'b'},
                                       {"api-version", required_argument, 0, 'v'},
                                       {"timezone", required_argument, 0, 'z'},
                                       {"region", required_argument, 0, 'r'},
                                       {"marketplace", required_argument, 0, 'm'},
                                       {"client-id", required_argument, 0, 'c'},
                                       {"client-secret-env", required_argument, 0, 'S'},
                                       {"client-secret-file", required_argument, 0, 'F'},
                                       {"refresh-token-env", required_argument, 0, 'R'},
                                       {"refresh-token-file", required_argument, 0, 'G'},
                                       {"token-url", required_argument, 0, 'u'},
                                       {"no-check", no_argument, 0, 'n'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  struct add_opts o = {0};
  int c, rc;
  struct err err = {0};
  struct store *st = NULL;
  struct session sess = {0};
  struct source_row row = {0};
  cJSON *settings = NULL, *creds = NULL;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 's':
      o.shop = optarg;
      break;
    case 'e':
      o.token_env = optarg;
      break;
    case 'f':
      o.token_file = optarg;
      break;
    case 'b':
      o.api_base = optarg;
      break;
    case 'v':
      o.api_version = optarg;
      break;
    case 'z':
      o.zone = optarg;
      break;
    case 'r':
      o.region = optarg;
      break;
    case 'm':
      o.marketplaces = optarg;
      break;
    case 'c':
      o.client_id = optarg;
      break;
    case 'S':
      o.secret_env = optarg;
      break;
    case 'F':
      o.secret_file = optarg;
      break;
    case 'R':
      o.refresh_env = optarg;
      break;
    case 'G':
      o.refresh_file = optarg;
      break;
    case 'u':
      o.token_url = optarg;
      break;
    case 'n':
      o.no_check = 1;
      break;
    case 'h':
      fputs(source_help, stdout);
      return EXIT_OK;
    default:
      return cmd_usage_error("source add", "unknown option or missing value: '%s'",
                             argv[optind - 1]);
    }
  }
  if (argc - optind != 2)
    return cmd_usage_error("source add", "give the connector and a name: source add shopify NAME");
  o.kind = argv[optind];
  o.name = argv[optind + 1];
  if (strcmp(o.kind, "shopify") != 0 && strcmp(o.kind, "amazon") != 0)
    return cmd_usage_error("source add",
                           "'%s' is not a connector this build knows (shopify, amazon)", o.kind);
  if (!valid_name(o.name))
    return cmd_usage_error("source add",
                           "'%s' is not a usable name: use 1-63 letters, digits, '-', '_' or '.'",
                           o.name);
  if (o.api_base) {
    /* One trailing '/' is allowed and dropped: paths are appended to it. */
    size_t n = strlen(o.api_base);
    if (url_check_base(o.api_base, "--api-base", &err))
      return cmd_usage_error("source add", "%s", err.msg);
    if (n > 1 && o.api_base[n - 1] == '/' && o.api_base[n - 2] != '/')
      o.api_base[n - 1] = '\0';
  }
  if (o.zone) {
    struct tz *tz = NULL;
    if (tz_open(o.zone, &tz, &err))
      return cmd_usage_error("source add", "%s", err.msg);
    tz_free(tz);
  }
  settings = cJSON_CreateObject();
  creds = cJSON_CreateObject();
  if (!settings || !creds) {
    rc = log_error(EXIT_USAGE, "out of memory");
    goto out;
  }
  rc = strcmp(o.kind, "shopify") == 0 ? shopify_settings(&o, settings, creds)
                                      : amazon_settings(&o, settings, creds);
  if (rc)
    goto out;
  if (o.zone) {
    cJSON_AddStringToObject(settings, "timezone", o.zone);
    cJSON_AddTrueToObject(settings, "timezone_override");
  }
  snprintf(row.name, sizeof(row.name), "%s", o.name);
  snprintf(row.connector, sizeof(row.connector), "%s", o.kind);
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
    int exists = st->ops->source_get(st, o.name, &old, &err) == MS_OK;
    source_row_release(&old);
    if (exists) {
      rc = cmd_usage_error("source add", "there is already a source named %s", o.name);
      goto out;
    }
  }
  /* The check comes first: a source that cannot be reached, or whose time
   * zone stays unknown, is not saved (unless --no-check). */
  if (!o.no_check) {
    if (session_from_row(NULL, &row, 0, &sess, &err) || session_probe(NULL, &sess, &err)) {
      fprintf(stderr,
              "marketsync source add: the connection check failed: %s\n"
              "Nothing was saved. Fix it and add the source again, or give --no-check to save "
              "it without a check.\n",
              err.msg);
      rc = EXIT_PARTIAL;
      goto out;
    }
    if (settings_set_zone(&row, sess.src.timezone)) {
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
    printf("added source %s (%s, %s)\n", o.name, o.kind, shown);
    if (o.no_check)
      printf("not checked; 'marketsync source test %s' checks it\n", o.name);
    else
      printf("connection ok; the source's days are counted in %s\n", sess.src.timezone);
  }
out:
  cJSON_Delete(settings);
  cJSON_Delete(creds);
  session_close(&sess);
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
  char last[TIME_STR_LEN] = "never", where[300] = "", base[URL_MAX + 1];
  /* A URL stored by an older version may hold a password: never shown. */
  url_redact(jstr(settings, "api_base"), base, sizeof(base));
  size_t used = 0;
  if (s->last_sync_at)
    time_format(s->last_sync_at, 0, 1, last);
  /* Where each secret is read from: "env VAR" or "file PATH", never the value. */
  cJSON_ArrayForEach(c, creds) {
    size_t n = c->string ? strlen(c->string) : 0;
    int env = n > 4 && strcmp(c->string + n - 4, "_env") == 0;
    if (!cJSON_IsString(c) || used >= sizeof(where))
      continue;
    used += (size_t)snprintf(where + used, sizeof(where) - used, "%s%s %s", used ? ", " : "",
                             env ? "env" : "file", c->valuestring);
  }
  if (lc->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", s->name);
    cJSON_AddStringToObject(o, "connector", s->connector);
    cJSON_AddStringToObject(o, "api_base", base);
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
             "LAST SYNC", "SECRETS FROM");
    printf("%-16s %-9s %-22s %-42s %-22s %s\n", s->name, s->connector, zone ? zone : "(unknown)",
           *base ? base : "-", last, where);
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
  struct session sess = {0};
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
  rc = session_open(st, argv[1], 0, &sess, &err);
  if (rc == MS_ENOTFOUND) {
    store_close(st);
    return cmd_usage_error("source test", "%s", err.msg);
  }
  t0 = mono_now();
  if (!rc)
    rc = session_probe(st, &sess, &err);
  if (rc) {
    printf("FAILED  %s: %s\n", argv[1], err.msg);
    rc = EXIT_PARTIAL;
  } else {
    printf("OK      %s answered in %.0f ms; days are counted in %s\n", argv[1],
           (mono_now() - t0) * 1000, sess.src.timezone ? sess.src.timezone : "(unknown)");
  }
  session_close(&sess);
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
