/* marketsync sandbox: serves the emulated Shopify Admin REST API and Amazon
 * Selling Partner API on loopback until SIGINT or SIGTERM. See
 * docs/sandbox.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "sandbox/sandbox.h"
#include "sandbox/server.h"
#include "util/tz.h"

#define MAX_TOTAL_ORDERS 50000000ULL /* all shops together, at start */

static const char usage_text[] =
    "usage: marketsync sandbox [--host 127.0.0.1] [--port N] [--seed N]\n"
    "                          [--shop NAME:TZ[:ORDERS_PER_DAY]]... [--days N] [--now ISO8601]\n"
    "                          [--token TOKEN] [--bucket-size N] [--leak-rate R]\n"
    "                          [--seller NAME[:ORDERS_PER_DAY[:TZ]]]...\n"
    "                          [--lwa-client-id ID] [--lwa-client-secret S]\n"
    "                          [--token-lifetime SECONDS] [--next-token-lifetime SECONDS]\n"
    "                          [--sp-speed F]\n"
    "                          [--no-rate-limit] [--threads N] [--log-requests FILE]\n"
    "                          [--faults KIND=P[,KIND=P...]] [--fault-seed N]\n"
    "                          [--fault-hang-ms MS] [--fault-huge-bytes N]\n"
    "                          [--shop-scopes NAME:SCOPE[,SCOPE...]]...\n"
    "                          [--admitad NAME[:ACTIONS_PER_DAY[:TZ]]]...\n"
    "                          [--admitad-client NAME:CLIENT_ID:CLIENT_SECRET]...\n"
    "                          [--admitad-token-lifetime SECONDS] [--admitad-limit N]\n"
    "                          [--boostiny NAME[:ROWS_PER_DAY[:TZ]]]...\n"
    "                          [--boostiny-key NAME:KEY]...\n"
    "                          [--boostiny-limit N] [--boostiny-lockout-after N]\n"
    "                          [--boostiny-lockout-minutes M] [--affiliate-speed F]\n"
    "\n"
    "Serves a local emulation of the Shopify Admin REST API (orders with refunds,\n"
    "products, customers, locations, inventory levels, events) and of Amazon's\n"
    "Selling Partner API (Orders v0) with generated data. The first line printed is\n"
    "the base URL; shop S is at BASE/shops/S, the SP-API at BASE/sp-api and the Login\n"
    "with Amazon token endpoint at BASE/auth/o2/token.\n"
    "Defaults: port 0 (any free port), seed 1, shops alpha:America/New_York:40 and\n"
    "beta:Europe/Berlin:25 unless --shop, --seller, --admitad or --boostiny is given,\n"
    "45 days, now = current time, token shpat_sandbox_token, bucket 40, leak 2/s,\n"
    "2 threads; sellers get 30 orders a day in America/Los_Angeles, refresh token\n"
    "Atzr|sandbox-NAME, client id amzn1.application-oa2-client.sandbox, secret\n"
    "sandbox-client-secret, access tokens for 3600 s, NextTokens that never expire,\n"
    "SP-API rates x1. Stop it with Ctrl-C or SIGTERM.\n"
    "Faults: --faults 500=0.02,reset=0.01 makes each API request of every shop,\n"
    "seller and affiliate account fail that way with that probability, in a sequence\n"
    "fixed by --fault-seed (default 1). Kinds: 500 502 503 429 429-date 429-bare hang\n"
    "reset truncated malformed shape huge deep utf8 expired html. A hang lasts\n"
    "30000 ms, a huge body is 83886080 bytes. POST /_sandbox/faults and\n"
    "/_sandbox/faults/plan change them.\n"
    "Scopes: the token may read everything (read_orders, read_products,\n"
    "read_customers, read_inventory, read_locations); --shop-scopes alpha:read_orders\n"
    "leaves shop alpha's token only the scopes listed (none after a bare colon).\n"
    "Affiliate networks: --admitad NAME serves an Admitad publisher at BASE/admitad\n"
    "(40 actions a day, Europe/Moscow, client id sandbox-admitad-NAME, secret\n"
    "sandbox-admitad-secret-NAME, tokens for 604800 s, 600 requests a minute, 503\n"
    "beyond); --boostiny NAME a Boostiny publisher at BASE/boostiny (30 rows a day,\n"
    "UTC days, key sandbox-boostiny-NAME, 60 requests a minute, 429 beyond, a\n"
    "10-minute lockout after more than 10 429s in a minute). --affiliate-speed F\n"
    "divides their rate windows and lockouts by F.\n";

/* getopt's required_argument, short enough to keep the option table's lines
 * within 100 columns. */
#define REQ required_argument

/* One sentence on stderr, exit code 2: cmd_usage_error() with our name. */
#define usage_error(...) cmd_usage_error("sandbox", __VA_ARGS__)

static int parse_ll(const char *s, long long lo, long long hi, long long *out) {
  char *end;
  if (!s || !*s)
    return MS_EINVAL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < lo || v > hi)
    return MS_EINVAL;
  *out = v;
  return MS_OK;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-' || *s == '+')
    return MS_EINVAL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    return MS_EINVAL;
  *out = v;
  return MS_OK;
}

static int parse_double(const char *s, double lo, double hi, double *out) {
  char *end;
  if (!s || !*s)
    return MS_EINVAL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !isfinite(v) || v < lo || v > hi)
    return MS_EINVAL;
  *out = v;
  return MS_OK;
}

static int valid_shop_name(const char *s, size_t n) {
  if (n == 0 || n >= SB_SHOP_NAME_MAX || s[0] == '-')
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
      return 0;
  return 1;
}

static int shop_or_seller_named(const struct sb_config *cfg, const char *name) {
  for (int i = 0; i < cfg->nshops; i++)
    if (strcmp(cfg->shops[i].name, name) == 0)
      return 1;
  for (int i = 0; i < cfg->nsellers; i++)
    if (strcmp(cfg->sellers[i].name, name) == 0)
      return 1;
  return 0;
}

static int name_taken(const struct sb_config *cfg, const char *name) {
  return shop_or_seller_named(cfg, name) || sb_aff_name_taken(&cfg->aff, name);
}

/* --admitad and --boostiny: parsed by the sandbox library, names checked here. */
static int parse_account(const char *arg, int admitad, struct sb_config *cfg) {
  struct err err = {0};
  const char *name;
  if (admitad ? sb_aff_parse_admitad(&cfg->aff, arg, &err)
              : sb_aff_parse_boostiny(&cfg->aff, arg, &err))
    return usage_error("%s", err.msg);
  name = admitad ? cfg->aff.admitad[cfg->aff.nadmitad - 1].name
                 : cfg->aff.boostiny[cfg->aff.nboostiny - 1].name;
  if (shop_or_seller_named(cfg, name))
    return usage_error("the name '%s' is given twice; shop, seller and account names must all "
                       "be unique",
                       name);
  return MS_OK;
}

/* NAME:TZ[:ORDERS_PER_DAY] */
static int parse_shop(const char *arg, struct sb_config *cfg) {
  const char *c1 = strchr(arg, ':'), *c2;
  struct sb_shop_conf *sc;
  struct tz *tz;
  struct err err = {0};
  long long per_day = 40;
  if (cfg->nshops == SB_MAX_SHOPS)
    return usage_error("at most %d shops can be served; drop some --shop options", SB_MAX_SHOPS);
  if (!c1)
    return usage_error("--shop '%s' needs the form NAME:TIMEZONE[:ORDERS_PER_DAY], e.g. "
                       "alpha:America/New_York:40",
                       arg);
  if (!valid_shop_name(arg, (size_t)(c1 - arg)))
    return usage_error("shop name '%.*s' must be 1 to 31 lower-case letters, digits or dashes",
                       (int)(c1 - arg), arg);
  c2 = strchr(c1 + 1, ':');
  sc = &cfg->shops[cfg->nshops];
  memset(sc, 0, sizeof(*sc));
  memcpy(sc->name, arg, (size_t)(c1 - arg));
  size_t tzlen = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
  if (tzlen == 0 || tzlen >= SB_TZID_MAX)
    return usage_error("--shop '%s' has no valid time zone; use an IANA name such as "
                       "Europe/Berlin",
                       arg);
  memcpy(sc->tzid, c1 + 1, tzlen);
  if (c2 && parse_ll(c2 + 1, 0, SB_MAX_PER_DAY, &per_day))
    return usage_error("orders per day in --shop '%s' must be a whole number from 0 to %d", arg,
                       SB_MAX_PER_DAY);
  sc->orders_per_day = (int)per_day;
  if (tz_open(sc->tzid, &tz, &err))
    return usage_error("%s", err.msg);
  tz_free(tz);
  if (name_taken(cfg, sc->name))
    return usage_error("the name '%s' is given twice; shop, seller and account names must all "
                       "be unique",
                       sc->name);
  cfg->nshops++;
  return MS_OK;
}

/* NAME[:ORDERS_PER_DAY[:TZ]] */
static int parse_seller(const char *arg, struct sb_config *cfg) {
  const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  size_t nlen = c1 ? (size_t)(c1 - arg) : strlen(arg);
  struct sb_seller_conf *sc;
  struct tz *tz;
  struct err err = {0};
  long long per_day = SB_AMZ_PER_DAY_DEFAULT;
  char num[24];
  if (cfg->nsellers == SB_MAX_SELLERS)
    return usage_error("at most %d sellers can be served; drop some --seller options",
                       SB_MAX_SELLERS);
  if (!valid_shop_name(arg, nlen))
    return usage_error("seller name '%.*s' must be 1 to 31 lower-case letters, digits or dashes "
                       "(--seller NAME[:ORDERS_PER_DAY[:TIMEZONE]], e.g. acme:30)",
                       (int)(nlen < 64 ? nlen : 64), arg);
  sc = &cfg->sellers[cfg->nsellers];
  memset(sc, 0, sizeof(*sc));
  memcpy(sc->name, arg, nlen);
  if (c1) {
    size_t len = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    if (len == 0 || len >= sizeof(num))
      per_day = -1;
    else
      snprintf(num, sizeof(num), "%.*s", (int)len, c1 + 1);
    if (per_day < 0 || parse_ll(num, 0, SB_MAX_PER_DAY, &per_day))
      return usage_error("orders per day in --seller '%s' must be a whole number from 0 to %d", arg,
                         SB_MAX_PER_DAY);
  }
  sc->orders_per_day = (int)per_day;
  if (c2) {
    if (!c2[1] || strlen(c2 + 1) >= SB_TZID_MAX)
      return usage_error("--seller '%s' has no valid time zone; use an IANA name such as "
                         "America/Los_Angeles",
                         arg);
    snprintf(sc->tzid, sizeof(sc->tzid), "%s", c2 + 1);
  } else {
    snprintf(sc->tzid, sizeof(sc->tzid), "%s", SB_AMZ_TZ_DEFAULT);
  }
  if (tz_open(sc->tzid, &tz, &err))
    return usage_error("%s", err.msg);
  tz_free(tz);
  if (name_taken(cfg, sc->name))
    return usage_error("the name '%s' is given twice; shop, seller and account names must all "
                       "be unique",
                       sc->name);
  cfg->nsellers++;
  return MS_OK;
}

/* --shop-scopes values, applied once every --shop is known. */
struct scopes_opt {
  char name[SB_SHOP_NAME_MAX]; /* the shop */
  unsigned scopes;             /* what its token may read */
};

/* NAME:read_orders,read_products */
static int parse_scopes_opt(const char *arg, struct scopes_opt *out) {
  const char *colon = strchr(arg, ':');
  struct err err = {0};
  if (!colon || !valid_shop_name(arg, (size_t)(colon - arg)))
    return usage_error("--shop-scopes '%s' needs the form NAME:SCOPE[,SCOPE...], e.g. "
                       "alpha:read_orders,read_products",
                       arg);
  memset(out, 0, sizeof(*out));
  memcpy(out->name, arg, (size_t)(colon - arg));
  if (sb_scopes_parse(colon + 1, &out->scopes, &err))
    return usage_error("--shop-scopes '%s': %s", arg, err.msg);
  return MS_OK;
}

static int apply_scopes(struct sb_config *cfg, const struct scopes_opt *opts, int n) {
  for (int k = 0; k < n; k++) {
    int i;
    for (i = 0; i < cfg->nshops && strcmp(cfg->shops[i].name, opts[k].name) != 0; i++)
      ;
    if (i == cfg->nshops)
      return usage_error("--shop-scopes names '%s', which is not a shop; add it with --shop",
                         opts[k].name);
    cfg->shops[i].denied_scopes = SB_SCOPES_ALL & ~opts[k].scopes;
  }
  return MS_OK;
}

static int loopback(const char *host) {
  struct in_addr a4;
  struct in6_addr a6;
  if (inet_pton(AF_INET, host, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, host, &a6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&a6);
  return 0;
}

static int parse_args(int argc, char **argv, struct sb_config *cfg, const char **log_path) {
  enum {
    O_HOST = 256,
    O_PORT,
    O_SEED,
    O_SHOP,
    O_DAYS,
    O_NOW,
    O_TOKEN,
    O_BUCKET,
    O_LEAK,
    O_NORATE,
    O_THREADS,
    O_LOG,
    O_SELLER,
    O_LWA_ID,
    O_LWA_SECRET,
    O_LIFETIME,
    O_NEXT_LIFE,
    O_SPEED,
    O_FAULTS,
    O_FAULT_SEED,
    O_HANG_MS,
    O_HUGE_BYTES,
    O_SHOP_SCOPES,
    O_ADMITAD,
    O_ADMITAD_CLIENT,
    O_ADMITAD_LIFETIME,
    O_ADMITAD_LIMIT,
    O_BOOSTINY,
    O_BOOSTINY_KEY,
    O_BOOSTINY_LIMIT,
    O_LOCKOUT_AFTER,
    O_LOCKOUT_MINUTES,
    O_AFF_SPEED,
    O_HELP
  };
  static const struct option opts[] = {{"host", required_argument, NULL, O_HOST},
                                       {"port", required_argument, NULL, O_PORT},
                                       {"seed", required_argument, NULL, O_SEED},
                                       {"shop", required_argument, NULL, O_SHOP},
                                       {"days", required_argument, NULL, O_DAYS},
                                       {"now", required_argument, NULL, O_NOW},
                                       {"token", required_argument, NULL, O_TOKEN},
                                       {"bucket-size", required_argument, NULL, O_BUCKET},
                                       {"leak-rate", required_argument, NULL, O_LEAK},
                                       {"no-rate-limit", no_argument, NULL, O_NORATE},
                                       {"threads", required_argument, NULL, O_THREADS},
                                       {"log-requests", required_argument, NULL, O_LOG},
                                       {"seller", required_argument, NULL, O_SELLER},
                                       {"lwa-client-id", required_argument, NULL, O_LWA_ID},
                                       {"lwa-client-secret", required_argument, NULL, O_LWA_SECRET},
                                       {"token-lifetime", required_argument, NULL, O_LIFETIME},
                                       {"next-token-lifetime", REQ, NULL, O_NEXT_LIFE},
                                       {"sp-speed", required_argument, NULL, O_SPEED},
                                       {"faults", required_argument, NULL, O_FAULTS},
                                       {"fault-seed", required_argument, NULL, O_FAULT_SEED},
                                       {"fault-hang-ms", required_argument, NULL, O_HANG_MS},
                                       {"fault-huge-bytes", required_argument, NULL, O_HUGE_BYTES},
                                       {"shop-scopes", REQ, NULL, O_SHOP_SCOPES},
                                       {"admitad", REQ, NULL, O_ADMITAD},
                                       {"admitad-client", REQ, NULL, O_ADMITAD_CLIENT},
                                       {"admitad-token-lifetime", REQ, NULL, O_ADMITAD_LIFETIME},
                                       {"admitad-limit", REQ, NULL, O_ADMITAD_LIMIT},
                                       {"boostiny", REQ, NULL, O_BOOSTINY},
                                       {"boostiny-key", REQ, NULL, O_BOOSTINY_KEY},
                                       {"boostiny-limit", REQ, NULL, O_BOOSTINY_LIMIT},
                                       {"boostiny-lockout-after", REQ, NULL, O_LOCKOUT_AFTER},
                                       {"boostiny-lockout-minutes", REQ, NULL, O_LOCKOUT_MINUTES},
                                       {"affiliate-speed", REQ, NULL, O_AFF_SPEED},
                                       {"help", no_argument, NULL, O_HELP},
                                       {NULL, 0, NULL, 0}};
  struct scopes_opt scopes[SB_MAX_SHOPS];
  int nscopes = 0;
  long long v;
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case O_HOST: {
      const char *host = strcmp(optarg, "localhost") == 0 ? "127.0.0.1" : optarg;
      if (strlen(host) >= sizeof(cfg->host) || !loopback(host))
        return usage_error("--host '%s' must be a loopback address such as 127.0.0.1 or ::1; "
                           "the sandbox does not listen on other interfaces",
                           optarg);
      snprintf(cfg->host, sizeof(cfg->host), "%s", host);
      break;
    }
    case O_PORT:
      if (parse_ll(optarg, 0, 65535, &v))
        return usage_error("--port '%s' must be a number from 0 (any free port) to 65535", optarg);
      cfg->port = (int)v;
      break;
    case O_SEED:
      if (parse_u64(optarg, &cfg->seed))
        return usage_error("--seed '%s' must be a whole number from 0 to 18446744073709551615",
                           optarg);
      break;
    case O_SHOP:
      if ((rc = parse_shop(optarg, cfg)))
        return rc;
      break;
    case O_DAYS:
      if (parse_ll(optarg, 0, SB_MAX_DAYS, &v))
        return usage_error("--days '%s' must be a whole number from 0 to %d", optarg, SB_MAX_DAYS);
      cfg->days = (int)v;
      break;
    case O_NOW:
      if (time_parse(optarg, &cfg->now))
        return usage_error("--now '%s' must be an ISO 8601 time with an offset, e.g. "
                           "2026-11-20T12:00:00Z",
                           optarg);
      break;
    case O_TOKEN:
      if (!*optarg || strlen(optarg) >= sizeof(cfg->token))
        return usage_error("--token must be 1 to %zu characters", sizeof(cfg->token) - 1);
      snprintf(cfg->token, sizeof(cfg->token), "%s", optarg);
      break;
    case O_BUCKET:
      if (parse_ll(optarg, 1, 1000000, &v))
        return usage_error("--bucket-size '%s' must be a whole number from 1 to 1000000", optarg);
      cfg->bucket_size = (double)v;
      break;
    case O_LEAK:
      if (parse_double(optarg, 0.001, 1000000, &cfg->leak_rate))
        return usage_error("--leak-rate '%s' must be a number of requests per second above 0",
                           optarg);
      break;
    case O_NORATE:
      cfg->rate_limit = 0;
      break;
    case O_THREADS:
      if (parse_ll(optarg, 1, 256, &v))
        return usage_error("--threads '%s' must be a whole number from 1 to 256", optarg);
      cfg->threads = (int)v;
      break;
    case O_LOG:
      *log_path = optarg;
      break;
    case O_SELLER:
      if ((rc = parse_seller(optarg, cfg)))
        return rc;
      break;
    case O_LWA_ID:
    case O_LWA_SECRET: {
      char *dst = c == O_LWA_ID ? cfg->lwa_client_id : cfg->lwa_client_secret;
      if (!*optarg || strlen(optarg) >= sizeof(cfg->lwa_client_id))
        return usage_error("%s must be 1 to %zu characters",
                           c == O_LWA_ID ? "--lwa-client-id" : "--lwa-client-secret",
                           sizeof(cfg->lwa_client_id) - 1);
      snprintf(dst, sizeof(cfg->lwa_client_id), "%s", optarg);
      break;
    }
    case O_LIFETIME:
      if (parse_ll(optarg, 1, SB_TOKEN_LIFETIME_MAX, &v))
        return usage_error("--token-lifetime '%s' must be a whole number of seconds from 1 to %d",
                           optarg, SB_TOKEN_LIFETIME_MAX);
      cfg->token_lifetime = (int)v;
      break;
    case O_NEXT_LIFE: {
      double secs;
      if (parse_double(optarg, 0.001, SB_TOKEN_LIFETIME_MAX, &secs))
        return usage_error("--next-token-lifetime '%s' must be seconds from 0.001 to %d", optarg,
                           SB_TOKEN_LIFETIME_MAX);
      cfg->next_token_lifetime_ms = (int64_t)(secs * 1000 + 0.5);
      break;
    }
    case O_SPEED:
      if (parse_double(optarg, 0.001, 1000000, &cfg->sp_speed))
        return usage_error("--sp-speed '%s' must be a number from 0.001 to 1000000 (1 = Amazon's "
                           "real rates)",
                           optarg);
      break;
    case O_FAULTS: {
      struct err ferr = {0};
      if (sb_fault_spec_parse(optarg, &cfg->faults, &ferr))
        return usage_error("--faults '%.200s': %s", optarg, ferr.msg);
      break;
    }
    case O_FAULT_SEED:
      if (parse_u64(optarg, &cfg->fault_seed))
        return usage_error("--fault-seed '%s' must be a whole number from 0 to "
                           "18446744073709551615",
                           optarg);
      break;
    case O_HANG_MS:
      if (parse_ll(optarg, 0, SB_FAULT_HANG_MS_MAX, &v))
        return usage_error("--fault-hang-ms '%s' must be a whole number of milliseconds from 0 "
                           "to %d",
                           optarg, SB_FAULT_HANG_MS_MAX);
      cfg->fault_hang_ms = (unsigned)v;
      break;
    case O_HUGE_BYTES:
      if (parse_ll(optarg, 0, (long long)SB_FAULT_HUGE_BYTES_MAX, &v))
        return usage_error("--fault-huge-bytes '%s' must be a whole number of bytes from 0 to "
                           "%llu",
                           optarg, (unsigned long long)SB_FAULT_HUGE_BYTES_MAX);
      cfg->fault_huge_bytes = (uint64_t)v;
      break;
    case O_SHOP_SCOPES:
      if (nscopes == SB_MAX_SHOPS)
        return usage_error("--shop-scopes may be given at most %d times", SB_MAX_SHOPS);
      if ((rc = parse_scopes_opt(optarg, &scopes[nscopes])))
        return rc;
      nscopes++;
      break;
    case O_ADMITAD:
    case O_BOOSTINY:
      if ((rc = parse_account(optarg, c == O_ADMITAD, cfg)))
        return rc;
      break;
    case O_ADMITAD_CLIENT:
    case O_BOOSTINY_KEY: {
      struct err aerr = {0};
      if (c == O_ADMITAD_CLIENT ? sb_aff_parse_admitad_client(&cfg->aff, optarg, &aerr)
                                : sb_aff_parse_boostiny_key(&cfg->aff, optarg, &aerr))
        return usage_error("%s", aerr.msg);
      break;
    }
    case O_ADMITAD_LIFETIME:
      if (parse_ll(optarg, 1, SB_TOKEN_LIFETIME_MAX, &v))
        return usage_error("--admitad-token-lifetime '%s' must be a whole number of seconds from 1 "
                           "to %d",
                           optarg, SB_TOKEN_LIFETIME_MAX);
      cfg->aff.token_lifetime = (int)v;
      break;
    case O_ADMITAD_LIMIT:
    case O_BOOSTINY_LIMIT:
      if (parse_ll(optarg, 1, 100000, &v))
        return usage_error("%s '%s' must be a whole number of requests a minute from 1 to 100000",
                           c == O_ADMITAD_LIMIT ? "--admitad-limit" : "--boostiny-limit", optarg);
      *(c == O_ADMITAD_LIMIT ? &cfg->aff.admitad_limit : &cfg->aff.boostiny_limit) = (int)v;
      break;
    case O_LOCKOUT_AFTER:
      if (parse_ll(optarg, 0, 100000, &v))
        return usage_error("--boostiny-lockout-after '%s' must be a whole number of 429 answers "
                           "from 0 to 100000",
                           optarg);
      cfg->aff.lockout_after = (int)v;
      break;
    case O_LOCKOUT_MINUTES:
      if (parse_ll(optarg, 1, 1440, &v))
        return usage_error("--boostiny-lockout-minutes '%s' must be a whole number from 1 to 1440",
                           optarg);
      cfg->aff.lockout_minutes = (int)v;
      break;
    case O_AFF_SPEED:
      if (parse_double(optarg, 0.001, 1000000, &cfg->aff.speed))
        return usage_error("--affiliate-speed '%s' must be a number from 0.001 to 1000000 (1 = "
                           "the networks' real windows)",
                           optarg);
      break;
    case O_HELP:
      fputs(usage_text, stdout);
      return -1;
    default:
      if (optopt)
        return usage_error("option '%s' needs a value or is not known", argv[optind - 1]);
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return usage_error("unexpected argument '%s'", argv[optind]);
  if (cfg->nshops == 0 && cfg->nsellers == 0 && cfg->aff.nadmitad == 0 && cfg->aff.nboostiny == 0) {
    if ((rc = parse_shop("alpha:America/New_York:40", cfg)) ||
        (rc = parse_shop("beta:Europe/Berlin:25", cfg)))
      return rc;
  }
  if ((rc = apply_scopes(cfg, scopes, nscopes)))
    return rc;
  unsigned long long total = 0;
  for (int i = 0; i < cfg->nshops; i++)
    total += (unsigned long long)cfg->shops[i].orders_per_day * (unsigned long long)(cfg->days + 1);
  for (int i = 0; i < cfg->nsellers; i++)
    total +=
        (unsigned long long)cfg->sellers[i].orders_per_day * (unsigned long long)(cfg->days + 1);
  total += sb_aff_expected_records(&cfg->aff, cfg->days);
  if (total > MAX_TOTAL_ORDERS)
    return usage_error("the shops, sellers and accounts would start with about %llu orders, "
                       "actions and rows; at most %llu are supported, so lower --days or the "
                       "numbers per day",
                       total, MAX_TOTAL_ORDERS);
  return MS_OK;
}

static void print_summary(const struct sandbox *sb) {
  for (int i = 0; i < sb->cfg.nshops; i++) {
    const struct sb_shop *s = &sb->shops[i];
    printf("shop %-12s %-22s %s %8zu orders  %s/shops/%s\n", s->name, s->tzid, sb_shop_currency(s),
           s->norders, sb->base_url, s->name);
  }
  for (int i = 0; i < sb->cfg.nsellers; i++) {
    const struct sb_seller *s = &sb->sellers[i];
    printf("seller %-10s %-22s %s %8zu orders  %s/sp-api  Atzr|sandbox-%s\n", s->name, s->tzid,
           SB_AMZ_MARKETPLACE, s->norders, sb->base_url, s->name);
  }
  if (sb->cfg.nshops)
    printf("token %s\n", sb->cfg.token);
  if (sb->cfg.nsellers)
    printf("lwa %s/auth/o2/token client_id %s client_secret %s (access tokens for %d s)\n",
           sb->base_url, sb->cfg.lwa_client_id, sb->cfg.lwa_client_secret, sb->cfg.token_lifetime);
  for (int i = 0; i < sb->aff->n; i++) {
    const struct sb_aff_account *a = &sb->aff->accounts[i];
    if (a->net == SB_NET_ADMITAD)
      printf("admitad %-9s %-22s website %llu %8zu actions  %s/admitad  client_id %s "
             "client_secret %s\n",
             a->name, a->tzid, (unsigned long long)a->website_id, a->nactions, sb->base_url,
             a->secret1, a->secret2);
    else
      printf("boostiny %-8s %-22s %8zu rows  %s/boostiny  key %s\n", a->name, a->tzid, a->nrows,
             sb->base_url, a->secret1);
  }
  if (sb->cfg.aff.nadmitad)
    printf("admitad tokens at %s/admitad/token/ for %d s; %d requests a minute (speed %g)\n",
           sb->base_url, sb->cfg.aff.token_lifetime, sb->cfg.aff.admitad_limit, sb->cfg.aff.speed);
  if (sb->cfg.aff.nboostiny)
    printf("boostiny %d requests a minute per key; more than %d 429s in a minute lock it out for "
           "%d minutes (speed %g)\n",
           sb->cfg.aff.boostiny_limit, sb->cfg.aff.lockout_after, sb->cfg.aff.lockout_minutes,
           sb->cfg.aff.speed);
  printf("admin %s/_sandbox/info (truth, requests, stats, mutate, config, faults%s%s%s)\n",
         sb->base_url, sb->cfg.nsellers ? ", amazon/invalidate-tokens" : "",
         sb->cfg.aff.nadmitad ? ", admitad/expire-tokens" : "",
         sb->cfg.aff.nboostiny ? ", boostiny/unlock" : "");
  if (sb_fault_probs_sum(&sb->cfg.faults) > 0)
    printf("faults seed %llu, %.4g of requests per shop, seller or account\n",
           (unsigned long long)sb->cfg.fault_seed, sb_fault_probs_sum(&sb->cfg.faults));
  fflush(stdout);
}

int cmd_sandbox(int argc, char **argv) {
  struct sb_config cfg;
  struct sandbox *sb = NULL;
  struct sb_server *srv = NULL;
  struct err err = {0};
  const char *log_path = NULL;
  FILE *logf = NULL;
  sigset_t set;
  int rc, sig;

  sb_config_defaults(&cfg);
  rc = parse_args(argc, argv, &cfg, &log_path);
  if (rc)
    return rc < 0 ? EXIT_OK : rc;
  if (log_path) {
    logf = fopen(log_path, "a");
    if (!logf)
      return usage_error("cannot open --log-requests file '%s': %s", log_path, strerror(errno));
  }

  /* Block the stop signals before any thread starts, so that every thread
   * inherits the mask and only sigwait() below sees them. */
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  rc = sandbox_new(&cfg, &sb, &err);
  if (!rc) {
    sb->log.mirror = logf;
    rc = sb_server_start(sb, &srv, &err);
  }
  if (rc) {
    fprintf(stderr, "marketsync sandbox: %s\n", err.msg);
    sandbox_free(sb);
    if (logf)
      fclose(logf);
    return rc == MS_EINVAL ? EXIT_USAGE : EXIT_PARTIAL;
  }
  printf("%s\n", sb->base_url);
  fflush(stdout);
  print_summary(sb);

  while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
    ;
  sb_server_stop(srv);
  sandbox_free(sb);
  if (logf)
    fclose(logf);
  return EXIT_OK;
}
